# Two-way reference values for tests/test_reference.py, all from one panel and plm:
# the two-way fixed-effects estimator (r_fe_twoway.csv), the two-way pooled Granger test
# (r_granger_twoway.csv), the horse race with a common linear trend (r_race_trend.csv)
# and the two-way within correlogram (r_corr_twoway.csv).
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

# Pooled Granger test with unit and quarter effects (r_granger_twoway.csv), as
# cxlab.outcomes.granger(effects = "twoway"): plm two-way within regression of y on its
# own lags and the metric's lags (plm lags are gap-aware), Wald F = W / q with the sss
# cluster covariance, p from F(q, G - 1).
rows <- NULL
granger_twoway <- function(case, x, y, order) {
  pd <- pdata.frame(data.frame(unit = panel$unit, qi = panel$qi, x = panel[[x]], y = panel[[y]]),
                    index = c("unit", "qi"))
  m <- plm(y ~ lag(y, 1:order) + lag(x, 1:order), data = pd, model = "within",
           effect = "twoways")
  V <- vcovHC(m, type = "sss", cluster = "group")
  idx <- grep("lag\\(x", names(coef(m)))
  b <- coef(m)[idx]
  W <- as.numeric(t(b) %*% solve(V[idx, idx]) %*% b)
  G <- length(unique(index(m)[[1]]))
  Fp <- W / length(idx)
  add(case = case, quantity = "F", value = Fp)
  add(case = case, quantity = "p", value = pf(Fp, length(idx), G - 1, lower.tail = FALSE))
  add(case = case, quantity = "n", value = nobs(m))
}
granger_twoway("nps_new_customers_2", "nps", "new_customers", 2)
granger_twoway("nps_revenue_1", "nps", "revenue", 1)
rows$value <- num(rows$value)
write.csv(rows, file.path(OUT, "r_granger_twoway.csv"), row.names = FALSE, quote = TRUE)

# Horse race with a common linear trend (r_race_trend.csv), as
# cxlab.outcomes.horse_race(trend = TRUE), rebuilt from scratch: rolling origin by quarter,
# forecasts from lm(y ~ x + factor(unit) + qi) fitted on earlier quarters (none:
# lm(y ~ factor(unit) + qi)), loss = squared error averaged per quarter. The
# Diebold-Mariano test with the HLN correction at h = 1 is the one-sample t test of the
# per-quarter loss differences (t.test), Holm via p.adjust.
rows <- NULL
race_trend <- function(case, outcome, metrics, lag, min_train) {
  base <- data.frame(unit = panel$unit, qi = panel$qi, y = panel[[outcome]])
  for (m in metrics) base[[m]] <- lag_q(data.frame(unit = panel$unit, t = panel$qi, v = panel[[m]]), "v", lag)
  base <- base[complete.cases(base), ]
  qs <- sort(unique(base$qi))
  cands <- c("none", metrics)
  loss <- list()
  for (t in qs[-(1:min_train)]) {
    train <- base[base$qi < t, ]
    test <- base[base$qi == t & base$unit %in% train$unit, ]
    if (!nrow(test)) next
    f0 <- lm(y ~ factor(unit) + qi, data = train)
    row <- c(qi = t, none = mean((test$y - predict(f0, newdata = test))^2))
    for (m in metrics) {
      fit <- lm(as.formula(paste("y ~", m, "+ factor(unit) + qi")), data = train)
      row[m] <- mean((test$y - predict(fit, newdata = test))^2)
    }
    loss[[length(loss) + 1]] <- row
  }
  L <- as.data.frame(do.call(rbind, loss))
  mse <- sapply(cands, function(m) mean(L[[m]]))
  best <- names(which.min(mse))
  for (m in cands) {
    add(case = case, metric = m, quantity = "rmse", value = sqrt(mse[[m]]))
    add(case = case, metric = m, quantity = "rmse_vs_none", value = 100 * sqrt(mse[[m]] / mse[["none"]]))
    add(case = case, metric = m, quantity = "mse_diff", value = mse[[m]] - mse[[best]])
    if (m != best) {
      tt <- t.test(L[[m]] - L[[best]])
      add(case = case, metric = m, quantity = "p", value = tt$p.value)
      add(case = case, metric = m, quantity = "low", value = tt$conf.int[1])
      add(case = case, metric = m, quantity = "high", value = tt$conf.int[2])
    }
    if (m != "none") {
      add(case = case, metric = m, quantity = "p_vs_none",
          value = t.test(L[[m]] - L[["none"]], alternative = "less")$p.value)
    }
  }
  add(case = case, metric = best, quantity = "best", value = 1)
  add(case = case, metric = "all", quantity = "n_quarters", value = nrow(L))
  others <- setdiff(cands, best)
  p <- vapply(others, function(m) t.test(L[[m]] - L[[best]])$p.value, 0)
  padj <- p.adjust(p, method = "holm")
  for (m in names(padj)) add(case = case, metric = m, quantity = "p_adj", value = padj[[m]])
}
race_trend("new_customers_l1", "new_customers", c("nps", "csat_mean", "ces_mean"), 1, 4)
race_trend("revenue_l2", "revenue", c("nps", "csat_mean"), 2, 5)
rows$value <- num(rows$value)
write.csv(rows, file.path(OUT, "r_race_trend.csv"), row.names = FALSE, quote = TRUE)

# Two-way within correlations (r_corr_twoway.csv): the
# correlogram and lag choice of cxlab.outcomes.lag_correlations(effects = "twoway"), the
# default, remove what the two-way fixed-effects model removes, unit AND quarter effects.
#
# For each case the pairs are the rows with the metric k quarters earlier (gap-aware, as
# in twoway_case above) and the outcome now; both series are within-transformed with
# plm::Within(effect = "twoways") on those pairs (panel.csv has gaps, so the panel is
# unbalanced), r = cor() of the two, and the same residuals from lm(v ~ factor(unit) +
# factor(t)) must agree (stopifnot). df = df.residual of lm(y ~ x + factor(unit) +
# factor(t)); p = that lm's t test of x (the partial correlation's t test); the interval
# is Fisher's z with SE 1/sqrt(df - 1) (as psych::r.con(r, df + 2) for rmcorr's df). The
# unit-only rows ("unit") use plm::Within(effect = "individual") and df = N - k - 1 (the
# repeated-measures correlation of rmcorr).
rows <- NULL
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

v <- data.frame(package = c("R", "plm", "sandwich"),
                version = c(as.character(getRversion()), as.character(packageVersion("plm")),
                            as.character(packageVersion("sandwich"))))
write.csv(v, file.path(OUT, "versions_twoway.csv"), row.names = FALSE, quote = TRUE)
