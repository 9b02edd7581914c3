# Two-way within correlations for tests/test_reference.py (r_corr_twoway.csv): the
# correlogram and lag choice of cxlab.outcomes.lag_correlations(effects = "twoway"), the
# default, remove what the two-way fixed-effects model removes, unit AND quarter effects.
#
#   apt-get install -y r-base-core r-cran-plm
#   Rscript tests/reference/make_reference_corr_twoway.R
#
# For each case the pairs are the rows with the metric k quarters earlier (gap-aware, as
# in make_reference_twoway.R) and the outcome now; both series are within-transformed with
# plm::Within(effect = "twoways") on those pairs (panel.csv has gaps, so the panel is
# unbalanced), r = cor() of the two, and the same residuals from lm(v ~ factor(unit) +
# factor(t)) must agree (stopifnot). df = df.residual of lm(y ~ x + factor(unit) +
# factor(t)); p = that lm's t test of x (the partial correlation's t test); the interval
# is Fisher's z with SE 1/sqrt(df - 1) (as psych::r.con(r, df + 2) for rmcorr's df). The
# unit-only rows ("unit") use plm::Within(effect = "individual") and df = N - k - 1 (the
# repeated-measures correlation of rmcorr).

suppressPackageStartupMessages(library(plm))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
OUT <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
rows <- NULL
add <- function(...) rows <<- rbind(rows, data.frame(..., stringsAsFactors = FALSE))

panel <- read.csv(file.path(OUT, "panel.csv"), stringsAsFactors = FALSE)
lag_q <- function(d, col, k) {
  key <- paste(d$unit, d$t)
  d[[col]][match(paste(d$unit, d$t - k), key)]
}

corr_case <- function(x, y, k) {
  d <- data.frame(unit = panel$unit, t = panel$qi, stringsAsFactors = FALSE)
  d$x <- lag_q(data.frame(unit = d$unit, t = d$t, v = panel[[x]]), "v", k)
  d$y <- panel[[y]]
  d <- d[complete.cases(d), ]
  d <- d[order(d$unit, d$t), ]
  pd <- pdata.frame(d, index = c("unit", "t"))
  case <- paste(x, y, k, sep = "_")
  for (eff in c("twoways", "individual")) {
    wx <- as.numeric(Within(pd$x, effect = eff))
    wy <- as.numeric(Within(pd$y, effect = eff))
    if (eff == "twoways") {
      fx <- resid(lm(x ~ factor(unit) + factor(t), data = d))
      fy <- resid(lm(y ~ factor(unit) + factor(t), data = d))
      stopifnot(max(abs(wx - fx)) < 1e-8 * max(1, abs(d$x)),
                max(abs(wy - fy)) < 1e-8 * max(1, abs(d$y)))
      lsdv <- lm(y ~ x + factor(unit) + factor(t), data = d)
    } else {
      lsdv <- lm(y ~ x + factor(unit), data = d)
    }
    r <- cor(wx, wy)
    df <- df.residual(lsdv)
    p <- summary(lsdv)$coefficients["x", 4]
    z <- qnorm(0.975) / sqrt(df - 1)
    scope <- if (eff == "twoways") "twoway" else "unit"
    add(case = case, effects = scope, quantity = "r", value = r)
    add(case = case, effects = scope, quantity = "p", value = p)
    add(case = case, effects = scope, quantity = "df", value = df)
    add(case = case, effects = scope, quantity = "n", value = nrow(d))
    add(case = case, effects = scope, quantity = "low", value = tanh(atanh(r) - z))
    add(case = case, effects = scope, quantity = "high", value = tanh(atanh(r) + z))
  }
}

for (k in -2:3) corr_case("nps", "new_customers", k)
for (k in 0:2) corr_case("nps", "revenue", k)
corr_case("csat_mean", "revenue", 1)
corr_case("ces_mean", "new_customers", 0)

rows$value <- num(rows$value)
write.csv(rows, file.path(OUT, "r_corr_twoway.csv"), row.names = FALSE, quote = TRUE)

v <- data.frame(package = c("R", "plm"),
                version = c(as.character(getRversion()), as.character(packageVersion("plm"))))
write.csv(v, file.path(OUT, "versions_corr_twoway.csv"), row.names = FALSE, quote = TRUE)
