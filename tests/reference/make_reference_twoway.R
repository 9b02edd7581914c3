# Two-way fixed-effects reference values for tests/test_reference.py (r_fe_twoway.csv).
# A companion to make_reference.R, kept separate because that script also needs the NPS
# and rmcorr sources; this one needs only plm and sandwich:
#
#   apt-get install -y r-base-core r-cran-plm r-cran-sandwich
#   Rscript tests/reference/make_reference_twoway.R
#
# cxlab.outcomes.fe_regression(effects="twoway") partials out unit and quarter effects;
# its slopes equal plm(model = "within", effect = "twoways") and the dummy-variable lm
# (y ~ x + factor(unit) + factor(quarter)); cov="cluster" equals
# plm::vcovHC(type = "sss", cluster = "group") (K = slopes only); cov="nonrobust" equals
# the dummy-variable lm's SE and cov="HC1" sandwich::vcovHC(type = "HC1") on that lm.

suppressPackageStartupMessages({
  library(plm)
  library(sandwich)
})

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

twoway_case <- function(case, d, y, x, lags) {
  d <- d[order(d$unit, d$t), ]
  xs <- character(0)
  for (k in lags) {
    nm <- paste0("x_l", k)
    d[[nm]] <- lag_q(data.frame(unit = d$unit, t = d$t, v = d[[x]]), "v", k)
    xs <- c(xs, nm)
  }
  d$y <- d[[y]]
  d <- d[complete.cases(d[, c("y", xs)]), ]
  pd <- pdata.frame(d, index = c("unit", "t"))
  f <- as.formula(paste("y ~", paste(xs, collapse = " + ")))
  m <- plm(f, data = pd, model = "within", effect = "twoways")
  lsdv <- lm(update(f, . ~ . + factor(unit) + factor(t)), data = d)
  v_sss <- vcovHC(m, type = "sss", cluster = "group")
  v_hc1 <- sandwich::vcovHC(lsdv, type = "HC1")[xs, xs, drop = FALSE]
  v_ols <- vcov(lsdv)[xs, xs, drop = FALSE]
  for (i in seq_along(xs)) {
    lg <- as.character(lags[i])
    add(case = case, lag = lg, quantity = "coef", value = coef(m)[[i]])
    add(case = case, lag = lg, quantity = "coef_lsdv", value = coef(lsdv)[[xs[i]]])
    add(case = case, lag = lg, quantity = "se_plm_sss", value = sqrt(v_sss[i, i]))
    add(case = case, lag = lg, quantity = "se_ols_lsdv", value = sqrt(v_ols[i, i]))
    add(case = case, lag = lg, quantity = "se_vcovHC_HC1_lsdv", value = sqrt(v_hc1[i, i]))
  }
  add(case = case, lag = "all", quantity = "n", value = nrow(d))
  add(case = case, lag = "all", quantity = "n_units", value = length(unique(d$unit)))
  add(case = case, lag = "all", quantity = "df_residual", value = df.residual(lsdv))
}

data("Grunfeld", package = "plm")
g <- data.frame(unit = as.character(Grunfeld$firm), t = Grunfeld$year, inv = Grunfeld$inv,
                value = Grunfeld$value, stringsAsFactors = FALSE)
twoway_case("grunfeld_inv_value_l0", g, "inv", "value", 0)
twoway_case("grunfeld_inv_value_l01", g, "inv", "value", c(0, 1))
pp <- data.frame(unit = panel$unit, t = panel$qi, panel[, -(1:3)], stringsAsFactors = FALSE)
twoway_case("panel_new_nps_l1", pp, "new_customers", "nps", 1)
twoway_case("panel_revenue_nps_l12", pp, "revenue", "nps", c(1, 2))
twoway_case("panel_revenue_csat_l0", pp, "revenue", "csat_mean", 0)

rows$value <- num(rows$value)
write.csv(rows, file.path(OUT, "r_fe_twoway.csv"), row.names = FALSE, quote = TRUE)
v <- data.frame(package = c("R", "plm", "sandwich"),
                version = c(as.character(getRversion()), as.character(packageVersion("plm")),
                            as.character(packageVersion("sandwich"))))
write.csv(v, file.path(OUT, "versions_twoway.csv"), row.names = FALSE, quote = TRUE)
