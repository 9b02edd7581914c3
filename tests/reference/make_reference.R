# Reference values for tests/test_reference.py, computed in R so that cxlab is
# checked against independent implementations (as pingouin checks itself against R).
# The test suite reads only the CSV files written here; it never needs R.
#
# How to run (from the repository root):
#
#   apt-get install -y r-base-core r-cran-plm r-cran-sandwich r-cran-lmtest \
#                      r-cran-forecast r-cran-psych
#   NPS_R_DIR=/path/to/NPS/R RMCORR_R_DIR=/path/to/rmcorr/R \
#     Rscript tests/reference/make_reference.R
#
# NPS_R_DIR and RMCORR_R_DIR are the R/ folders of two packages that Debian does not
# ship; their source files are source()d, not copied into this repository:
#   - NPS 2.0.999 by Brendan Rocks: GitHub repository brendan-r/NPS, commit cd9473e
#     (files R/nps.R, R/nps_global.R, R/nps_interval_estimators.R, R/nps_tests.R);
#   - rmcorr 0.8.1 by Bakdash & Marusich: GitHub repository lmarusich/rmcorr,
#     commit 13bda36 (file R/rmcorr.R; it needs psych for its Fisher-z interval).
#
# Values committed with this script were produced on Debian 12 (bookworm) with
# r-base-core 4.2.2.20221110-2, r-cran-plm 2.6-2+dfsg-1, r-cran-sandwich 3.0-2-1,
# r-cran-lmtest 0.9.40-1, r-cran-zoo 1.8-11-1, r-cran-forecast 8.20-1 and
# r-cran-psych 2.2.9-1 (versions.csv records what the last run used).
#
# Inputs: tests/reference/panel.csv (written by make_panel.py, committed) and R's own
# data sets plm::Grunfeld (written out as grunfeld.csv for the Python side) and
# datasets::attitude (also written out, as attitude.csv). Every number is written with
# 17 significant digits, so the Python side can compare at 1e-10 and tighter.

suppressPackageStartupMessages({
  library(plm)
  library(sandwich)
  library(lmtest)
  library(zoo)
  library(forecast)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
OUT <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

write_long <- function(rows, file) {
  # rows: data.frame with character columns and a numeric column `value`
  rows$value <- num(rows$value)
  write.csv(rows, file.path(OUT, file), row.names = FALSE, quote = TRUE)
}

acc <- new.env()
add <- function(table, ...) {
  r <- data.frame(..., stringsAsFactors = FALSE)
  acc[[table]] <- rbind(acc[[table]], r)
}

panel <- read.csv(file.path(OUT, "panel.csv"), stringsAsFactors = FALSE)

# value of `col` k quarters earlier in the same unit (NA if that row is missing)
lag_q <- function(d, col, k) {
  key <- paste(d$unit, d$qi)
  d[[col]][match(paste(d$unit, d$qi - k), key)]
}

# ---------------------------------------------------------------------------- 1. fixed effects
# cxlab.outcomes.fe_regression: within estimator, CR1 cluster-robust SE by unit with
# G/(G-1) * (N-1)/(N-K), K = slopes only (unit effects absorbed, as Stata xtreg, fe).
# plm's vcovHC(type = "sss", cluster = "group") is that same correction; HC0/HC1 and
# sandwich::vcovCL on the dummy-variable lm are recorded to document the differences.

fe_case <- function(case, d, y, x, lags, eiv_var = NULL) {
  d <- d[order(d$unit, d$t), ]
  xs <- character(0)
  for (k in lags) {
    nm <- paste0("x_l", k)
    d[[nm]] <- lag_q(data.frame(unit = d$unit, qi = d$t, v = d[[x]]), "v", k)
    xs <- c(xs, nm)
  }
  if (!is.null(eiv_var)) d$s2 <- lag_q(data.frame(unit = d$unit, qi = d$t, v = d[[eiv_var]]), "v", lags[1])
  d$y <- d[[y]]
  keep <- complete.cases(d[, c("y", xs, if (!is.null(eiv_var)) "s2")])
  d <- d[keep, ]
  pd <- pdata.frame(d, index = c("unit", "t"))
  f <- as.formula(paste("y ~", paste(xs, collapse = " + ")))
  m <- plm(f, data = pd, model = "within")
  G <- length(unique(d$unit))
  N <- nrow(d)
  K <- length(xs)
  b <- coef(m)
  v_sss <- vcovHC(m, type = "sss", cluster = "group")
  v_hc0 <- vcovHC(m, type = "HC0", cluster = "group")
  v_hc1 <- vcovHC(m, type = "HC1", cluster = "group")
  # the same regression as lm: dummy variables (LSDV) and the demeaned data
  lsdv <- lm(update(f, . ~ . + factor(unit)), data = d)
  dm <- d
  for (v in c("y", xs)) dm[[v]] <- d[[v]] - ave(d[[v]], d$unit)
  lmdm <- lm(update(f, . ~ . - 1), data = dm)
  v_cl_dm <- vcovCL(lmdm, cluster = ~unit, type = "HC1")
  v_cl_lsdv <- vcovCL(lsdv, cluster = ~unit, type = "HC1")[xs, xs, drop = FALSE]
  v_hc1_lsdv <- sandwich::vcovHC(lsdv, type = "HC1")[xs, xs, drop = FALSE]
  v_ols <- vcov(m)
  ct <- coeftest(m, vcov. = v_sss)
  for (i in seq_along(xs)) {
    lg <- as.character(lags[i])
    add("fe", case = case, lag = lg, quantity = "coef", value = b[[i]])
    add("fe", case = case, lag = lg, quantity = "coef_lsdv", value = coef(lsdv)[[xs[i]]])
    add("fe", case = case, lag = lg, quantity = "se_plm_sss", value = sqrt(v_sss[i, i]))
    add("fe", case = case, lag = lg, quantity = "se_plm_HC0", value = sqrt(v_hc0[i, i]))
    add("fe", case = case, lag = lg, quantity = "se_plm_HC1", value = sqrt(v_hc1[i, i]))
    add("fe", case = case, lag = lg, quantity = "se_vcovCL_HC1_demeaned", value = sqrt(v_cl_dm[i, i]))
    add("fe", case = case, lag = lg, quantity = "se_vcovCL_HC1_lsdv", value = sqrt(v_cl_lsdv[i, i]))
    add("fe", case = case, lag = lg, quantity = "se_vcovHC_HC1_lsdv", value = sqrt(v_hc1_lsdv[i, i]))
    add("fe", case = case, lag = lg, quantity = "se_ols", value = sqrt(v_ols[i, i]))
    # coeftest uses the residual df N - G - K; cxlab's t reference has G - 1 df
    add("fe", case = case, lag = lg, quantity = "p_coeftest_sss", value = ct[i, 4])
    add("fe", case = case, lag = lg, quantity = "p_sss_tG1",
        value = 2 * pt(-abs(b[[i]] / sqrt(v_sss[i, i])), G - 1))
    add("fe", case = case, lag = lg, quantity = "low_sss_tG1",
        value = b[[i]] - qt(0.975, G - 1) * sqrt(v_sss[i, i]))
    add("fe", case = case, lag = lg, quantity = "high_sss_tG1",
        value = b[[i]] + qt(0.975, G - 1) * sqrt(v_sss[i, i]))
  }
  add("fe", case = case, lag = "all", quantity = "n", value = N)
  add("fe", case = case, lag = "all", quantity = "n_units", value = G)
  add("fe", case = case, lag = "all", quantity = "r2_within", value = r.squared(m))
  if (!is.null(eiv_var)) {
    # Fuller (1987) method of moments with known error variances, written out by hand:
    # b = S_xy / (S_xx - sum s2 (1 - 1/T_u)); SE scaled by the same reliability
    x1 <- dm[[xs[1]]]
    tu <- ave(d$s2, d$unit, FUN = length)
    lam <- (sum(x1^2) - sum(d$s2 * (1 - 1 / tu))) / sum(x1^2)
    add("fe", case = case, lag = as.character(lags[1]), quantity = "eiv_reliability", value = lam)
    add("fe", case = case, lag = as.character(lags[1]), quantity = "eiv_coef", value = b[[1]] / lam)
    add("fe", case = case, lag = as.character(lags[1]), quantity = "eiv_se", value = sqrt(v_sss[1, 1]) / lam)
  }
}

data("Grunfeld", package = "plm")
grun <- Grunfeld
write.csv(grun, file.path(OUT, "grunfeld.csv"), row.names = FALSE)
g <- data.frame(unit = as.character(grun$firm), t = grun$year, inv = grun$inv,
                value = grun$value, capital = grun$capital, stringsAsFactors = FALSE)
fe_case("grunfeld_inv_value_l0", g, "inv", "value", 0)
fe_case("grunfeld_inv_value_l01", g, "inv", "value", c(0, 1))
pp <- data.frame(unit = panel$unit, t = panel$qi, panel[, -(1:3)], stringsAsFactors = FALSE)
fe_case("panel_new_nps_l1", pp, "new_customers", "nps", 1, eiv_var = "nps_var")
fe_case("panel_revenue_nps_l12", pp, "revenue", "nps", c(1, 2))
fe_case("panel_revenue_csat_l0", pp, "revenue", "csat_mean", 0)
# unit g cut to 2021Q1-Q3: after lag 2 it has a single row, which adds nothing to the
# slope but still counts as a cluster (G) and an observation (N), as in plm
fe_case("panel_revenue_nps_l2_singleton", pp[!(pp$unit == "g" & pp$t > 2021 * 4 + 2), ],
        "revenue", "nps", 2)

# ---------------------------------------------------------------------------- 2. Granger
# Per unit: lmtest::grangertest on the unit's series laid on a regular quarter grid
# (missing quarters are NA rows, so lags never bridge a gap). Pooled: plm within
# regression on plm lags (gap-aware), Wald F with the sss cluster covariance, p from
# F(q, G - 1) as cxlab does.

granger_case <- function(case, x, y, order) {
  for (u in sort(unique(panel$unit))) {
    d <- panel[panel$unit == u, ]
    grid <- seq(min(d$qi), max(d$qi))
    xz <- zoo(d[[x]][match(grid, d$qi)], grid)
    yz <- zoo(d[[y]][match(grid, d$qi)], grid)
    gt <- grangertest(xz, yz, order = order)
    add("granger", case = case, unit = u, quantity = "F", value = gt$F[2])
    add("granger", case = case, unit = u, quantity = "p", value = gt$`Pr(>F)`[2])
    add("granger", case = case, unit = u, quantity = "df_den", value = gt$Res.Df[1])
    add("granger", case = case, unit = u, quantity = "df_num", value = -gt$Df[2])
  }
  pd <- pdata.frame(data.frame(unit = panel$unit, qi = panel$qi, x = panel[[x]], y = panel[[y]]),
                    index = c("unit", "qi"))
  m <- plm(y ~ lag(y, 1:order) + lag(x, 1:order), data = pd, model = "within")
  V <- vcovHC(m, type = "sss", cluster = "group")
  idx <- grep("lag\\(x", names(coef(m)))
  b <- coef(m)[idx]
  W <- as.numeric(t(b) %*% solve(V[idx, idx]) %*% b)
  G <- length(unique(index(m)[[1]]))
  Fp <- W / length(idx)
  add("granger", case = case, unit = "ALL", quantity = "F", value = Fp)
  add("granger", case = case, unit = "ALL", quantity = "p", value = pf(Fp, length(idx), G - 1, lower.tail = FALSE))
  add("granger", case = case, unit = "ALL", quantity = "n", value = nobs(m))
}
granger_case("nps_new_customers_2", "nps", "new_customers", 2)
granger_case("nps_revenue_1", "nps", "revenue", 1)

# ---------------------------------------------------------------------------- 3. horse race / DM
# cxlab.outcomes.horse_race rebuilt from scratch: rolling origin by quarter, forecasts from
# lm(y ~ x + factor(unit)) fitted on earlier quarters (none: the unit's training mean), loss =
# squared error, averaged per quarter; forecast::dm.test (h = 1, power = 2, HLN-corrected
# statistic with a t(T - 1) reference) on the per-quarter losses, fed as e = sqrt(loss).

race_case <- function(case, outcome, metrics, lag, min_train) {
  base <- data.frame(unit = panel$unit, qi = panel$qi, y = panel[[outcome]])
  for (m in metrics) base[[m]] <- lag_q(panel, m, lag)
  base <- base[complete.cases(base), ]
  qs <- sort(unique(base$qi))
  cands <- c("none", metrics)
  loss <- list()
  for (t in qs[-(1:min_train)]) {
    train <- base[base$qi < t, ]
    test <- base[base$qi == t & base$unit %in% train$unit, ]
    if (!nrow(test)) next
    yhat0 <- tapply(train$y, train$unit, mean)[test$unit]
    row <- c(qi = t, none = mean((test$y - yhat0)^2))
    for (m in metrics) {
      fit <- lm(as.formula(paste("y ~", m, "+ factor(unit)")), data = train)
      row[m] <- mean((test$y - predict(fit, newdata = test))^2)
    }
    loss[[length(loss) + 1]] <- row
  }
  L <- as.data.frame(do.call(rbind, loss))
  for (m in cands) {
    for (i in seq_len(nrow(L))) {
      add("race_losses", case = case, metric = m, qi = as.character(L$qi[i]), value = L[[m]][i])
    }
  }
  mse <- sapply(cands, function(m) mean(L[[m]]))
  best <- names(which.min(mse))
  for (m in cands) {
    add("race", case = case, metric = m, quantity = "rmse", value = sqrt(mse[[m]]))
    add("race", case = case, metric = m, quantity = "rmse_vs_none", value = 100 * sqrt(mse[[m]] / mse[["none"]]))
    add("race", case = case, metric = m, quantity = "mse_diff", value = mse[[m]] - mse[[best]])
    if (m != best) {
      dm <- dm.test(sqrt(L[[m]]), sqrt(L[[best]]), h = 1, power = 2)
      add("race", case = case, metric = m, quantity = "dm_statistic", value = dm$statistic)
      add("race", case = case, metric = m, quantity = "p", value = dm$p.value)
      ci <- t.test(L[[m]] - L[[best]])$conf.int
      add("race", case = case, metric = m, quantity = "low", value = ci[1])
      add("race", case = case, metric = m, quantity = "high", value = ci[2])
    }
    if (m != "none") {
      dm0 <- dm.test(sqrt(L[[m]]), sqrt(L[["none"]]), alternative = "less", h = 1, power = 2)
      add("race", case = case, metric = m, quantity = "p_vs_none", value = dm0$p.value)
    }
  }
  add("race", case = case, metric = best, quantity = "best", value = 1)
  add("race", case = case, metric = "all", quantity = "n_quarters", value = nrow(L))
  others <- setdiff(cands, best)
  p <- vapply(others, function(m) unname(dm.test(sqrt(L[[m]]), sqrt(L[[best]]), h = 1, power = 2)$p.value), 0)
  names(p) <- others
  padj <- p.adjust(p, method = "holm")
  for (m in names(padj)) add("race", case = case, metric = m, quantity = "p_adj", value = padj[[m]])
}
race_case("new_customers_l1", "new_customers", c("nps", "csat_mean", "ces_mean"), 1, 4)
race_case("revenue_l2", "revenue", c("nps", "csat_mean"), 2, 5)

# ---------------------------------------------------------------------------- 4. key drivers
# attitude: brute force over all 2^6 subsets (lm R^2) and all 6! orders of entry (LMG /
# Shapley), dominance by subset size, Johnson's relative weights from an eigen
# decomposition. relaimpo is not in Debian, so it is written out here in base R.

write.csv(attitude, file.path(OUT, "attitude.csv"), row.names = FALSE)
att <- attitude
drv <- c("complaints", "privileges", "learning", "raises", "critical", "advance")
att$w <- 1 + (seq_len(nrow(att)) %% 3)  # a deterministic survey weight: 2, 3, 1, 2, 3, 1, ...
att$top <- as.integer(att$rating > 65)  # binary outcome for the logistic family

perms <- function(v) {
  if (length(v) <= 1) return(list(v))
  out <- list()
  for (i in seq_along(v)) for (p in perms(v[-i])) out[[length(out) + 1]] <- c(v[i], p)
  out
}
ORDERS <- perms(seq_along(drv))

decompose <- function(case, fit_value) {
  # fit_value(subset of driver names) -> R^2 (or pseudo-R^2) of that subset
  p <- length(drv)
  v <- numeric(2^p)
  for (mask in 0:(2^p - 1)) {
    s <- drv[bitwAnd(mask, 2^(0:(p - 1))) > 0]
    v[mask + 1] <- if (length(s)) fit_value(s) else 0
  }
  val <- function(idx) v[sum(2^(idx - 1)) + 1]
  shap <- numeric(p)
  for (o in ORDERS) {
    for (k in seq_len(p)) {
      shap[o[k]] <- shap[o[k]] + val(o[1:k]) - val(o[seq_len(k - 1)])
    }
  }
  shap <- shap / length(ORDERS)
  cond <- matrix(0, p, p)
  for (j in seq_len(p)) {
    others <- setdiff(seq_len(p), j)
    for (k in 0:(p - 1)) {
      subs <- if (k == 0) list(integer(0)) else combn(others, k, simplify = FALSE)
      cond[j, k + 1] <- mean(sapply(subs, function(s) val(c(s, j)) - val(s)))
    }
  }
  for (j in seq_len(p)) {
    add("drivers", case = case, driver = drv[j], quantity = "shapley", value = shap[j])
    add("drivers", case = case, driver = drv[j], quantity = "dominance", value = mean(cond[j, ]))
    for (k in 0:(p - 1)) {
      add("drivers", case = case, driver = drv[j], quantity = paste0("cond_k", k), value = cond[j, k + 1])
    }
    for (i in seq_len(p)) {
      if (i == j) next
      others <- setdiff(seq_len(p), c(i, j))
      subs <- c(list(integer(0)), unlist(lapply(seq_along(others), function(k) combn(others, k, simplify = FALSE)), recursive = FALSE))
      dom <- all(sapply(subs, function(s) val(c(s, j)) > val(c(s, i))))
      add("drivers", case = case, driver = drv[j], quantity = paste0("completely_dominates_", drv[i]), value = as.numeric(dom))
    }
  }
  add("drivers", case = case, driver = "all", quantity = "r2", value = v[2^p])
}

linear_case <- function(case, w = NULL) {
  ww <- if (is.null(w)) rep(1, nrow(att)) else att[[w]]
  r2 <- function(s) summary(lm(reformulate(s, "rating"), data = att, weights = ww))$r.squared
  decompose(case, r2)
  cw <- cov.wt(att[, c("rating", drv)], wt = ww / sum(ww), cor = TRUE)$cor
  rxx <- cw[drv, drv]
  rxy <- cw[drv, "rating"]
  e <- eigen(rxx, symmetric = TRUE)
  lam <- e$vectors %*% diag(sqrt(e$values)) %*% t(e$vectors)
  beta_z <- solve(lam, rxy)
  rw <- as.vector((lam^2) %*% beta_z^2)
  beta <- coef(lm(reformulate(drv, "rating"), data = att, weights = ww))[drv] *
    sqrt(diag(cov.wt(att[, drv], wt = ww)$cov)) / sqrt(cov.wt(att[, "rating", drop = FALSE], wt = ww)$cov[1, 1])
  for (j in seq_along(drv)) {
    add("drivers", case = case, driver = drv[j], quantity = "relative-weights", value = rw[j])
    add("drivers", case = case, driver = drv[j], quantity = "correlation", value = rxy[[j]]^2)
    add("drivers", case = case, driver = drv[j], quantity = "r", value = rxy[[j]])
    add("drivers", case = case, driver = drv[j], quantity = "beta", value = beta[[j]])
    add("drivers", case = case, driver = drv[j], quantity = "mean", value = weighted.mean(att[[drv[j]]], ww))
  }
}
linear_case("attitude_linear")
linear_case("attitude_linear_weighted", w = "w")

# logistic: McFadden pseudo-R^2 of every subset (glm, tight convergence) for Shapley /
# dominance; Tonidandel & LeBreton (2010) relative weights by their recipe: logistic
# regression of y on the orthogonal Z = X_std Lambda^{-1}, b_z standardized with
# R_O = cor(y, p_hat) and the SD of the fitted logits, eps = Lambda^2 beta_std^2.
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
ll0 <- as.numeric(logLik(glm(top ~ 1, data = att, family = binomial, control = ctl)))
mcf <- function(s) 1 - as.numeric(logLik(glm(reformulate(s, "top"), data = att, family = binomial, control = ctl))) / ll0
decompose("attitude_logistic", mcf)
xs <- scale(as.matrix(att[, drv]))
rxx <- cor(att[, drv])
e <- eigen(rxx, symmetric = TRUE)
lam <- e$vectors %*% diag(sqrt(e$values)) %*% t(e$vectors)
Z <- xs %*% solve(lam)
fz <- glm(att$top ~ Z, family = binomial, control = ctl)
bz <- coef(fz)[-1]
logit <- predict(fz, type = "link")
r_o <- cor(att$top, fitted(fz))
beta_std <- bz * r_o / sd(logit)
rw <- as.vector((lam^2) %*% beta_std^2)
fs <- glm(att$top ~ xs, family = binomial, control = ctl)
for (j in seq_along(drv)) {
  add("drivers", case = "attitude_logistic", driver = drv[j], quantity = "relative-weights", value = rw[j])
  add("drivers", case = "attitude_logistic", driver = drv[j], quantity = "beta",
      value = coef(fs)[-1][[j]] * sqrt((nrow(att) - 1) / nrow(att)))  # per population SD
}
add("drivers", case = "attitude_logistic", driver = "all", quantity = "r2_relative_weights", value = r_o^2)
for (j in seq_along(drv)) {  # method = "correlation": squared point-biserial correlation
  add("drivers", case = "attitude_logistic", driver = drv[j], quantity = "correlation",
      value = cor(att$top, att[[drv[j]]])^2)
}
# weighted logistic: glm prior weights (integers 1..3 here, so they act as frequency weights)
ll0w <- as.numeric(logLik(glm(top ~ 1, data = att, family = binomial, weights = w, control = ctl)))
mcfw <- function(s) {
  1 - as.numeric(logLik(glm(reformulate(s, "top"), data = att, family = binomial, weights = w,
                            control = ctl))) / ll0w
}
decompose("attitude_logistic_weighted", mcfw)

# ---------------------------------------------------------------------------- 5. correlations
# Within-unit (repeated-measures) correlation: rmcorr::rmcorr (sourced from its GitHub
# source, see the header) on pairs built by quarter arithmetic; pooled Pearson: cor.test.
RMCORR_R_DIR <- Sys.getenv("RMCORR_R_DIR")
if (!nzchar(RMCORR_R_DIR)) stop("set RMCORR_R_DIR to the R/ folder of lmarusich/rmcorr")
source(file.path(RMCORR_R_DIR, "rmcorr.R"))

corr_pairs <- function(metric, outcome, lag) {
  d <- data.frame(unit = factor(panel$unit), x = lag_q(panel, metric, lag), y = panel[[outcome]])
  d[complete.cases(d), ]
}
corr_case <- function(metric, outcome, lag) {
  case <- paste(metric, outcome, lag, sep = "_")
  d <- corr_pairs(metric, outcome, lag)
  rm <- rmcorr(unit, x, y, dataset = d)
  add("corr", case = case, scope = "within", method = "pearson", quantity = "r", value = rm$r)
  add("corr", case = case, scope = "within", method = "pearson", quantity = "low", value = rm$CI[1])
  add("corr", case = case, scope = "within", method = "pearson", quantity = "high", value = rm$CI[2])
  add("corr", case = case, scope = "within", method = "pearson", quantity = "p", value = rm$p)
  add("corr", case = case, scope = "within", method = "pearson", quantity = "df", value = rm$df)
  add("corr", case = case, scope = "within", method = "pearson", quantity = "n", value = nrow(d))
  # cxlab's within Spearman: ranks of the pooled data, then rmcorr on the ranks (its Fisher
  # interval is widened by sqrt(1.06), Fieller et al. 1957, which rmcorr does not do)
  dr <- transform(d, x = rank(x), y = rank(y))
  rmr <- rmcorr(unit, x, y, dataset = dr)
  add("corr", case = case, scope = "within", method = "spearman", quantity = "r", value = rmr$r)
  add("corr", case = case, scope = "within", method = "spearman", quantity = "p", value = rmr$p)
  ct <- cor.test(d$x, d$y)
  add("corr", case = case, scope = "pooled", method = "pearson", quantity = "r", value = ct$estimate)
  add("corr", case = case, scope = "pooled", method = "pearson", quantity = "low", value = ct$conf.int[1])
  add("corr", case = case, scope = "pooled", method = "pearson", quantity = "high", value = ct$conf.int[2])
  add("corr", case = case, scope = "pooled", method = "pearson", quantity = "p", value = ct$p.value)
  add("corr", case = case, scope = "pooled", method = "spearman", quantity = "r",
      value = cor(d$x, d$y, method = "spearman"))
  # cor.test's Spearman p (AS 89 / exact) is not cxlab's t approximation: Pearson on ranks
  add("corr", case = case, scope = "pooled", method = "spearman", quantity = "p",
      value = cor.test(rank(d$x), rank(d$y))$p.value)
}
for (m in c("nps", "csat_mean", "ces_mean")) {
  for (o in c("revenue", "new_customers")) corr_case(m, o, 0)
}
corr_case("nps", "new_customers", 1)
corr_case("nps", "revenue", 2)
corr_case("nps", "new_customers", -1)  # a lead: the outcome a quarter before the metric

# Holm and BH over cxlab's correlations() grid order (metric, outcome, scope, method)
grid <- acc$corr[acc$corr$quantity == "p" & grepl("_0$", acc$corr$case), ]
for (mth in c("holm", "BH", "bonferroni")) {
  adj <- p.adjust(grid$value, method = mth)
  for (i in seq_len(nrow(grid))) {
    add("padjust", case = grid$case[i], scope = grid$scope[i], method = grid$method[i],
        adjust = mth, value = adj[i])
  }
}

# ---------------------------------------------------------------------------- 6. NPS (Rocks)
NPS_R_DIR <- Sys.getenv("NPS_R_DIR")
if (!nzchar(NPS_R_DIR)) stop("set NPS_R_DIR to the R/ folder of brendan-r/NPS")
for (f in c("nps_global.R", "nps.R", "nps_interval_estimators.R", "nps_tests.R")) {
  source(file.path(NPS_R_DIR, f))
}
options(nps.breaks = c(0, 6, 8, 10), nps.100 = FALSE)  # the package's .onLoad defaults

# Tango's score interval to machine precision: the package's own score statistic
# (iterative() above, a bisection stopping at 1e-7) solved with uniroot instead.
tango_score <- function(delta, b, c, n) {
  pb <- -b - c + (2 * n - c + b) * delta
  pc <- -b * delta * (1 - delta)
  q <- (sqrt(pb^2 - 8 * n * pc) - pb) / (4 * n)
  num <- c - b - n * delta
  if (abs(num) < 1e-12 * n) return(0)  # at the observed NPS (also where the variance is 0)
  num / sqrt(n * (2 * q + delta * (1 - delta)))
}
tango_ci <- function(x, conf) {
  z <- qnorm(1 - (1 - conf) / 2)
  n <- sum(x); b <- x[[1]]; c <- x[[3]]
  obs <- (c - b) / n
  lo <- if (b == n) -1 else uniroot(function(t) tango_score(t, b, c, n) - z, c(-1, obs), tol = 1e-14)$root
  hi <- if (c == n) 1 else uniroot(function(t) tango_score(t, b, c, n) + z, c(obs, 1), tol = 1e-14)$root
  c(lo, hi)
}

# exact multinomial bootstrap distribution of (promoters - detractors) / n
boot_exact <- function(x) {
  n <- sum(x); pr <- x / n
  vals <- c(); probs <- c()
  for (d in 0:n) for (p in 0:(n - d)) {
    vals <- c(vals, (p - d) / n)
    probs <- c(probs, dmultinom(c(d, n - d - p, p), prob = pr))
  }
  agg <- tapply(probs, vals, sum)
  list(v = as.numeric(names(agg)), cdf = cumsum(agg))
}
q_exact <- function(b, a) b$v[which(b$cdf >= a - 1e-12)[1]]

# exact posterior of theta_pro - theta_det under Dirichlet(x + 1): theta_det ~
# Beta(a_d, a_pa + a_p) and, given it, theta_pro / (1 - theta_det) ~ Beta(a_p, a_pa)
post_cdf <- function(t, a) {
  f <- function(u) dbeta(u, a[1], a[2] + a[3]) * pbeta(pmin(pmax((t + u) / (1 - u), 0), 1), a[3], a[2])
  integrate(f, 0, 1, rel.tol = 1e-12, subdivisions = 1000L)$value
}
post_q <- function(a, prob) uniroot(function(t) post_cdf(t, a) - prob, c(-1, 1), tol = 1e-13)$root

triples <- list(c(20, 30, 50), c(30, 30, 40), c(5, 5, 10), c(3, 10, 1), c(120, 340, 540),
                c(0, 0, 5), c(2, 0, 0), c(7, 2, 11), c(1, 1, 1))
for (x in triples) {
  key <- paste(x, collapse = "-")
  add("nps", case = key, quantity = "nps", value = nps_(x))
  add("nps", case = key, quantity = "nps_var", value = nps_var_(x))
  add("nps", case = key, quantity = "nps_se", value = nps_se_(x))
  for (conf in c(0.95, 0.9)) {
    sfx <- paste0("_", conf)
    w <- nps_test_(x, test = "wald", conf = conf)
    add("nps", case = key, quantity = paste0("wald_low", sfx), value = w$int[1])
    add("nps", case = key, quantity = paste0("wald_high", sfx), value = w$int[2])
    add("nps", case = key, quantity = paste0("wald_se", sfx), value = w$se.hat)
    a <- nps_test_(x, test = "adjusted.wald", conf = conf)
    add("nps", case = key, quantity = paste0("adjusted_low", sfx), value = a$int[1])
    add("nps", case = key, quantity = paste0("adjusted_high", sfx), value = a$int[2])
    add("nps", case = key, quantity = paste0("adjusted_se", sfx), value = a$se.hat)
    it <- nps_test_(x, test = "iterative", conf = conf)
    add("nps", case = key, quantity = paste0("iterative_low", sfx), value = it$int[1])
    add("nps", case = key, quantity = paste0("iterative_high", sfx), value = it$int[2])
    tc <- tango_ci(x, conf)
    add("nps", case = key, quantity = paste0("tango_uniroot_low", sfx), value = tc[1])
    add("nps", case = key, quantity = paste0("tango_uniroot_high", sfx), value = tc[2])
  }
  # Monte-Carlo methods: exact distributions, and their quantiles at 0.025 -+ d and
  # 0.975 -+ d with d = 5 binomial SEs for 40,000 draws (the tests use n_boot = 40000)
  d <- 5 * sqrt(0.025 * 0.975 / 40000)
  if (sum(x) <= 200) {
    b <- boot_exact(x)
    for (pr in c(0.025 - d, 0.025 + d, 0.975 - d, 0.975 + d)) {
      add("nps", case = key, quantity = sprintf("boot_q%.6f", pr), value = q_exact(b, pr))
    }
  }
  {  # Bayes: posterior Dirichlet(x + 1)
    a <- x + 1
    A <- sum(a)
    add("nps", case = key, quantity = "bayes_mean", value = (a[3] - a[1]) / A)
    add("nps", case = key, quantity = "bayes_sd",
        value = sqrt((a[3] * (A - a[3]) + a[1] * (A - a[1]) + 2 * a[1] * a[3]) / (A^2 * (A + 1))))
    for (pr in c(0.025 - d, 0.025 + d, 0.975 - d, 0.975 + d)) {
      add("nps", case = key, quantity = sprintf("bayes_q%.6f", pr), value = post_q(a, pr))
    }
  }
}
# two-sample tests (the package centres its interval on |difference|, so pairs are
# ordered with the larger NPS first)
pairs2 <- list(list(c(20, 30, 50), c(30, 30, 40)), list(c(5, 5, 10), c(3, 10, 1)),
               list(c(120, 340, 540), c(7, 2, 11)))
for (pr in pairs2) {
  key <- paste(paste(pr[[1]], collapse = "-"), paste(pr[[2]], collapse = "-"), sep = "_vs_")
  for (tst in c("wald", "adjusted.wald")) {
    r <- nps_test_(pr[[1]], pr[[2]], test = tst, conf = 0.95)
    add("nps_diff", case = key, test = tst, quantity = "delta", value = r$delta.hat)
    add("nps_diff", case = key, test = tst, quantity = "se", value = r$se.hat)
    add("nps_diff", case = key, test = tst, quantity = "low", value = r$int[1])
    add("nps_diff", case = key, test = tst, quantity = "high", value = r$int[2])
    add("nps_diff", case = key, test = tst, quantity = "p", value = r$p.value)
  }
}

# ---------------------------------------------------------------------------- 7. proportions
for (kn in list(c(80, 100), c(0, 12), c(12, 12), c(3, 17), c(451, 1003))) {
  k <- kn[1]; n <- kn[2]; key <- paste(k, n, sep = "/")
  for (conf in c(0.95, 0.8)) {
    z <- qnorm(1 - (1 - conf) / 2)
    wil <- prop.test(k, n, conf.level = conf, correct = FALSE)$conf.int
    cp <- binom.test(k, n, conf.level = conf)$conf.int
    nt <- n + z^2; pt_ <- (k + z^2 / 2) / nt
    ac <- pmin(pmax(c(pt_ - z * sqrt(pt_ * (1 - pt_) / nt), pt_ + z * sqrt(pt_ * (1 - pt_) / nt)), 0), 1)
    jf <- qbeta(c((1 - conf) / 2, 1 - (1 - conf) / 2), k + 0.5, n - k + 0.5)
    for (m in list(list("wilson", wil), list("beta", cp), list("agresti_coull", ac), list("jeffreys", jf))) {
      add("prop", case = key, level = as.character(conf), method = m[[1]], quantity = "low", value = m[[2]][1])
      add("prop", case = key, level = as.character(conf), method = m[[1]], quantity = "high", value = m[[2]][2])
    }
  }
}

# t.test on each attitude column (cxlab.stats.mean_ci works from sum, sum of squares, n)
for (col in names(attitude)) {
  for (conf in c(0.95, 0.8)) {
    tt <- t.test(attitude[[col]], conf.level = conf)
    add("mean", case = col, level = as.character(conf), quantity = "mean", value = tt$estimate)
    add("mean", case = col, level = as.character(conf), quantity = "se", value = tt$stderr)
    add("mean", case = col, level = as.character(conf), quantity = "low", value = tt$conf.int[1])
    add("mean", case = col, level = as.character(conf), quantity = "high", value = tt$conf.int[2])
  }
}

# ---------------------------------------------------------------------------- write
for (tab in ls(acc)) write_long(acc[[tab]], paste0("r_", tab, ".csv"))
vers <- data.frame(
  component = c("R", "plm", "sandwich", "lmtest", "zoo", "forecast", "psych", "NPS (sourced)", "rmcorr (sourced)"),
  version = c(R.version.string, as.character(packageVersion("plm")), as.character(packageVersion("sandwich")),
              as.character(packageVersion("lmtest")), as.character(packageVersion("zoo")),
              as.character(packageVersion("forecast")), as.character(packageVersion("psych")),
              "2.0.999 (brendan-r/NPS cd9473e)", "0.8.1 (lmarusich/rmcorr 13bda36)")
)
write.csv(vers, file.path(OUT, "versions.csv"), row.names = FALSE)
cat("wrote", paste0("r_", ls(acc), ".csv"), "to", OUT, "\n")
