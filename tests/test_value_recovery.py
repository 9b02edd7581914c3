"""Parameter recovery: BG/NBD and Gamma-Gamma fits on data simulated from known values.

Seeds are 1..N_SEEDS (a fixed rule, never chosen after looking at results). The
true parameters are the CDNOW estimates (Fader, Hardie & Lee 2005; Fader &
Hardie 2013).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlab import value

BG_TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_TRUE = {"p": 6.25, "q": 3.74, "v": 15.44}
N_CUSTOMERS = 4000
N_SEEDS = 100


def simulate(seed: int, n: int = N_CUSTOMERS) -> pd.DataFrame:
    """(frequency, recency, T, monetary) of ``n`` customers from the two models.

    BG/NBD: purchase rate ``lambda ~ Gamma(r, 1/alpha)``, dropout ``p ~ Beta(a, b)``
    after each repeat purchase; ages ``T ~ Uniform(26, 52)`` weeks (a cohort
    acquired over half a year). Given ``N(T) = m`` Poisson arrivals, they are
    uniform order statistics on ``[0, T]``; the customer dies after repeat
    purchase ``D ~ Geometric(p)``, so ``x = min(D, m)`` and ``t_x`` is the x-th of
    the m order statistics, ``T * Beta(x, m - x + 1)``. Gamma-Gamma: ``nu ~
    Gamma(q, 1/v)``; the mean of ``x`` spends ``Gamma(p, 1/nu)`` is
    ``Gamma(p x, 1/(nu x))``.
    """
    rng = np.random.default_rng(seed)
    r, alpha, a, b = BG_TRUE.values()
    age = rng.uniform(26.0, 52.0, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    m = rng.poisson(lam * age)
    x = np.minimum(rng.geometric(drop), m)
    rec = np.where(x > 0, age * rng.beta(np.maximum(x, 1), m - x + 1), 0.0)
    p, q, v = GG_TRUE.values()
    nu = rng.gamma(q, 1.0 / v, n)
    xm = np.maximum(x, 1)
    zbar = np.where(x > 0, rng.gamma(p * xm, 1.0 / (nu * xm)), np.nan)
    return pd.DataFrame({"frequency": x, "recency": rec, "T": age, "monetary": zbar})


def covered(table: pd.DataFrame, truth: dict[str, float]) -> np.ndarray:
    t = table.set_index("param").loc[list(truth)]
    true = np.array(list(truth.values()))
    return ((t["low"] <= true) & (true <= t["high"])).to_numpy()


def test_one_simulated_cohort_recovers_the_parameters():
    """Seed 1, 20,000 customers: each estimate within 3 standard errors of the truth."""
    s = simulate(1, n=20_000)
    bg, gg = value.bgnbd(s), value.gamma_gamma(s)
    for fit, truth in ((bg, BG_TRUE), (gg, GG_TRUE)):
        z = (fit.params_ - pd.Series(truth)) / fit.se_
        assert (z.abs() < 3).all(), z


@pytest.fixture(scope="module")
def fits() -> list[tuple[value.BGNBD, value.GammaGamma]]:
    """The two fits on each of the cohorts of seeds 1..N_SEEDS."""
    out = []
    for seed in range(1, N_SEEDS + 1):
        s = simulate(seed)
        out.append((value.bgnbd(s), value.gamma_gamma(s)))
    return out


@pytest.mark.slow
def test_intervals_cover_the_true_parameters_at_the_nominal_rate(fits):
    """95% intervals, seeds 1..100, 4,000 customers each: for each parameter the
    number of seeds whose interval covers the truth is Binomial(100, 0.95) if the
    intervals are right; the test fails when it falls below that distribution's
    0.1% quantile (89 of 100), i.e. with probability under 0.1% per parameter
    when the coverage is nominal. It also fails when the estimates are biased:
    the mean of the 100 estimates must lie within 4 Monte-Carlo standard errors
    (standard deviation of the estimates / 10) of the truth."""
    bound = stats.binom.ppf(0.001, N_SEEDS, 0.95)
    hits = {k: 0 for k in [*BG_TRUE, *GG_TRUE]}
    estimates: dict[str, list[float]] = {k: [] for k in hits}
    for seed, (bg, gg) in enumerate(fits, start=1):
        for fit, truth in ((bg, BG_TRUE), (gg, GG_TRUE)):
            assert fit.converged_, (seed, fit)
            for name, hit in zip(truth, covered(fit.summary_, truth), strict=True):
                hits[name] += int(hit)
                estimates[name].append(float(fit.params_[name]))
    assert min(hits.values()) >= bound, hits
    truth = {**BG_TRUE, **GG_TRUE}
    for name, values in estimates.items():
        est = np.array(values)
        mc_se = est.std(ddof=1) / np.sqrt(len(est))
        assert abs(est.mean() - truth[name]) < 4 * mc_se, (name, est.mean(), mc_se)


@pytest.mark.slow
def test_clv_intervals_cover_the_true_expected_value_at_the_nominal_rate(fits):
    """The 95% parametric-bootstrap interval of ``clv`` (n_boot=200, seed = the
    cohort's seed) for three customer profiles, against their CLV under the true
    parameters, over the fits of seeds 1..100: per profile the number covering
    it must not fall below the 0.1% quantile of Binomial(100, 0.95) (89)."""
    profiles = pd.DataFrame(
        {
            "frequency": [0, 2, 8],
            "recency": [0.0, 30.0, 20.0],
            "T": [39.0, 39.0, 39.0],
            "monetary": [np.nan, 30.0, 45.0],
        }
    )
    true_bg, true_gg = value.BGNBD(), value.GammaGamma()
    true_bg.params_, true_gg.params_ = pd.Series(BG_TRUE), pd.Series(GG_TRUE)
    true_bg.columns_ = {c: c for c in ("frequency", "recency", "T")}
    true_gg.columns_ = {c: c for c in ("frequency", "monetary")}
    truth = value.clv(true_bg, true_gg, profiles)["clv"].to_numpy()
    hits = np.zeros(len(profiles), dtype=int)
    for seed, (bg, gg) in enumerate(fits, start=1):
        got = value.clv(bg, gg, profiles, n_boot=200, seed=seed)
        hits += ((got["low"] <= truth) & (truth <= got["high"])).to_numpy()
    assert hits.min() >= stats.binom.ppf(0.001, N_SEEDS, 0.95), hits
