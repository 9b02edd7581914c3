# BG/NBD and Gamma-Gamma maximum likelihood on CDNOW, written from the papers in base R:
# an implementation independent of cxlab's (R's lgamma/lbeta, optim and optimHess)
# for tests/test_value.py. Run from the repository root:
#   Rscript tests/reference/make_reference_value.R
# Likelihoods: Fader, Hardie & Lee (2005), Marketing Science 24(2);
# Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".
# Input: tests/data/cdnow/cdnow_customers_summary_with_transactions.csv (2-decimal summary).
# Output: tests/reference/r_value.csv (model, param, estimate, se, loglik) and
# tests/reference/versions_value.csv.

d <- read.csv("tests/data/cdnow/cdnow_customers_summary_with_transactions.csv")

bgnbd_ll <- function(p, x, tx, T) {
  r <- p[1]; alpha <- p[2]; a <- p[3]; b <- p[4]
  a1 <- lgamma(r + x) - lgamma(r) + r * log(alpha)
  a2 <- lbeta(a, b + x) - lbeta(a, b)
  a3 <- -(r + x) * log(alpha + T)
  a4 <- ifelse(x > 0, log(a) - log(pmax(b + x - 1, 1e-300)) - (r + x) * log(alpha + tx), -Inf)
  m <- pmax(a3, a4)
  sum(a1 + a2 + m + log(exp(a3 - m) + exp(a4 - m)))
}

gg_ll <- function(p, x, z) {
  pp <- p[1]; q <- p[2]; v <- p[3]
  sum(lgamma(pp * x + q) - lgamma(pp * x) - lgamma(q) + q * log(v) +
      (pp * x - 1) * log(z) + pp * x * log(x) - (pp * x + q) * log(v + x * z))
}

fit <- function(ll, start, names) {
  neg <- function(lp) -ll(exp(lp))
  o <- optim(log(start), neg, method = "BFGS", control = list(reltol = 1e-14, maxit = 1000))
  est <- exp(o$par)
  h <- optimHess(est, function(p) -ll(p))  # observed information on the natural scale
  data.frame(param = names, estimate = est, se = sqrt(diag(solve(h))), loglik = -o$value)
}

bg <- fit(function(p) bgnbd_ll(p, d$x, d$t_x, d$T), c(1, 1, 1, 1), c("r", "alpha", "a", "b"))
rep <- d[d$x > 0, ]
gg <- fit(function(p) gg_ll(p, rep$x, rep$zbar), c(1, 1, mean(rep$zbar)), c("p", "q", "v"))
out <- rbind(cbind(model = "bgnbd", bg), cbind(model = "gamma_gamma", gg))
write.csv(out, "tests/reference/r_value.csv", row.names = FALSE)
write.csv(data.frame(what = "R", version = R.version.string),
          "tests/reference/versions_value.csv", row.names = FALSE)
print(out, digits = 10)
