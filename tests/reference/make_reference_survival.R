# Reference values for tests/test_retention_reference.py: Kaplan-Meier, median survival,
# log-rank and Cox models from R's `survival` package, on data nobody here generated.
# The test suite reads only the CSV files written here; it never needs R.
#
# How to run (from the repository root):
#
#   apt-get install -y r-base-core r-cran-survival r-cran-modeldata
#   Rscript tests/reference/make_reference_survival.R
#
# Values committed with this script were produced with R 4.2.2, survival 3.5-3 and
# modeldata 1.1.0 (versions_survival.csv records what the last run used).
#
# Inputs written out for the Python side:
#   - tests/data/telco/wa_churn.csv: the IBM Watson telco churn data, modeldata::wa_churn
#     (7,043 customers), the columns the tests use; churn is 1 for "Yes";
#   - tests/reference/lung.csv: survival::lung (status recoded 0/1) with a deterministic
#     whole-number case weight w = 1 + (row %% 3), for the weighted Kaplan-Meier (with
#     non-integer weights survfit defaults to the robust infinitesimal-jackknife
#     variance, robust = TRUE; cxlab reports Greenwood, which treats weights as counts);
#   - tests/reference/veteran.csv: survival::veteran, for a stratified Cox model.
# Every number is written with 17 significant digits.

suppressPackageStartupMessages({
  library(survival)
  library(modeldata)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
OUT <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"
DATA <- file.path(dirname(OUT), "data", "telco")
dir.create(DATA, showWarnings = FALSE, recursive = TRUE)

num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
write_num <- function(d, file) {
  for (nm in names(d)) if (is.numeric(d[[nm]])) d[[nm]] <- num(d[[nm]])
  write.csv(d, file, row.names = FALSE, quote = TRUE)
}

# ------------------------------------------------------------------------------- inputs
data(wa_churn, package = "modeldata")
telco <- data.frame(
  tenure = wa_churn$tenure,
  churn = as.integer(wa_churn$churn == "Yes"),
  contract = as.character(wa_churn$contract),
  internet_service = as.character(wa_churn$internet_service),
  senior_citizen = wa_churn$senior_citizen,
  monthly_charges = wa_churn$monthly_charges,
  stringsAsFactors = FALSE
)
write.csv(telco, file.path(DATA, "wa_churn.csv"), row.names = FALSE)

lung <- survival::lung
lung <- data.frame(time = lung$time, status = as.integer(lung$status == 2), sex = lung$sex,
                   age = lung$age, w = 1 + (seq_len(nrow(lung)) %% 3))
write_num(lung, file.path(OUT, "lung.csv"))
vet <- survival::veteran
vet <- data.frame(time = vet$time, status = vet$status, trt = vet$trt,
                  celltype = as.character(vet$celltype), karno = vet$karno, age = vet$age,
                  stringsAsFactors = FALSE)
write.csv(vet, file.path(OUT, "veteran.csv"), row.names = FALSE)

# --------------------------------------------------------------- Kaplan-Meier and median
km_rows <- list()
med_rows <- list()
km_case <- function(case, fit) {
  s <- summary(fit, censored = TRUE)
  grp <- if (is.null(s$strata)) rep("", length(s$time)) else sub("^[^=]*=", "", as.character(s$strata))
  km_rows[[length(km_rows) + 1]] <<- data.frame(
    case = case, conf_type = fit$conf.type, group = grp, time = s$time,
    at_risk = s$n.risk, events = s$n.event, censored = s$n.censor, survival = s$surv,
    std_err = s$std.err, low = s$lower, high = s$upper, stringsAsFactors = FALSE
  )
  q <- quantile(fit, probs = 0.5)
  gnames <- if (is.null(fit$strata)) "" else sub("^[^=]*=", "", names(fit$strata))
  med_rows[[length(med_rows) + 1]] <<- data.frame(
    case = case, conf_type = fit$conf.type, group = gnames,
    median = as.numeric(q$quantile), low = as.numeric(q$lower), high = as.numeric(q$upper),
    stringsAsFactors = FALSE
  )
}
for (ct in c("log", "log-log", "plain")) {
  km_case("telco_contract", survfit(Surv(tenure, churn) ~ contract, data = telco, conf.type = ct))
  km_case("lung_weighted", survfit(Surv(time, status) ~ 1, data = lung, weights = w, conf.type = ct))
  km_case("lung_sex_90", survfit(Surv(time, status) ~ sex, data = lung, conf.type = ct,
                                 conf.int = 0.90))
}
write_num(do.call(rbind, km_rows), file.path(OUT, "r_km.csv"))
write_num(do.call(rbind, med_rows), file.path(OUT, "r_median.csv"))

# ------------------------------------------------------------------------------ log-rank
lr_case <- function(case, sd) {
  g <- sub("^[^=]*=", "", names(sd$n))
  data.frame(case = case, group = g, n = as.numeric(sd$n), observed = sd$obs, expected = sd$exp,
             chisq = sd$chisq, df = length(sd$n) - 1,
             p = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE),
             stringsAsFactors = FALSE)
}
write_num(rbind(
  lr_case("telco_contract", survdiff(Surv(tenure, churn) ~ contract, data = telco)),
  lr_case("telco_internet", survdiff(Surv(tenure, churn) ~ internet_service, data = telco)),
  lr_case("lung_sex", survdiff(Surv(time, status) ~ sex, data = lung))
), file.path(OUT, "r_logrank.csv"))

# ---------------------------------------------------------------------- Cox and cox.zph
cox_rows <- list()
zph_rows <- list()
cox_case <- function(case, fit) {
  s <- summary(fit, conf.int = 0.95)$coefficients
  ci <- summary(fit, conf.int = 0.95)$conf.int
  cox_rows[[length(cox_rows) + 1]] <<- data.frame(
    case = case, ties = fit$method, term = rownames(s), coef = s[, "coef"], se = s[, "se(coef)"],
    hr = s[, "exp(coef)"], low = ci[, "lower .95"], high = ci[, "upper .95"], z = s[, "z"],
    p = s[, "Pr(>|z|)"], loglik = fit$loglik[2], stringsAsFactors = FALSE
  )
  z <- cox.zph(fit)$table
  zph_rows[[length(zph_rows) + 1]] <<- data.frame(
    case = case, ties = fit$method, term = rownames(z), chisq = z[, "chisq"], df = z[, "df"],
    p = z[, "p"], stringsAsFactors = FALSE
  )
}
for (ties in c("efron", "breslow")) {
  cox_case("telco", coxph(Surv(tenure, churn) ~ contract + senior_citizen + monthly_charges,
                          data = telco, ties = ties))
  cox_case("veteran_strata", coxph(Surv(time, status) ~ karno + age + trt + strata(celltype),
                                   data = vet, ties = ties))
  cox_case("lung", coxph(Surv(time, status) ~ age + sex, data = lung, ties = ties))
}
write_num(do.call(rbind, cox_rows), file.path(OUT, "r_cox.csv"))
write_num(do.call(rbind, zph_rows), file.path(OUT, "r_zph.csv"))

vers <- data.frame(
  component = c("R", "survival", "modeldata"),
  version = c(R.version.string, as.character(packageVersion("survival")),
              as.character(packageVersion("modeldata")))
)
write.csv(vers, file.path(OUT, "versions_survival.csv"), row.names = FALSE)
