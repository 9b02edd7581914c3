"""Tests for cxlab.stats: hand-derived values, brute-force references, properties, coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint

from cxlab.errors import CxlabError
from cxlab.stats import (
    base_flag,
    kish_n,
    mean_ci,
    nps_bootstrap_cells,
    nps_counts,
    nps_diff,
    nps_moe,
    nps_sample_size,
    proportion_ci,
)

Z95 = 1.959963984540054
DETERMINISTIC = ("wald", "adjusted-wald", "score")

# ----------------------------------------------------------------- hand values


def test_wald_hand_values():
    # (D, Pa, P) = (20, 30, 50), n = 100: P = .5, D = .2, NPS = 30,
    # V = P + D - (P - D)^2 = .5 + .2 - .09 = .61, SE = sqrt(.61 / 100) = .0781025
    # -> 30 +- 1.959964 * 7.81025 = [14.69219, 45.30781]
    r = nps_counts(20, 30, 50, method="wald")
    se = 100 * math.sqrt(0.61 / 100)
    assert r["n"] == 100
    assert r["nps"] == pytest.approx(30.0, abs=1e-12)
    assert r["se"] == pytest.approx(se, abs=1e-9)
    assert r["se"] == pytest.approx(7.810250, abs=1e-6)
    assert r["low"] == pytest.approx(30 - Z95 * se, abs=1e-6)
    assert r["high"] == pytest.approx(30 + Z95 * se, abs=1e-6)
    assert r["low"] == pytest.approx(14.692192, abs=1e-6)
    assert r["method"] == "wald" and r["level"] == 0.95
    # Guard against the known bug: P(1-P) + D(1-D) = .25 + .16 = .41 drops the
    # covariance (+2PD = .2) and would give SE = .0640 instead of .0781.
    buggy = 100 * math.sqrt((0.5 * 0.5 + 0.2 * 0.8) / 100)
    assert abs(r["se"] - buggy) > 1.0


def test_adjusted_wald_hand_values():
    # Adjusted counts 20.75 / 31.5 / 50.75 over 103:
    # P~ = 50.75/103 = .4927184, D~ = 20.75/103 = .2014563, centre = 30/103 = .2912621
    # V~ = .6941748 - .2912621^2 = .6093411, SE~ = sqrt(.6093411/103) = .0769151
    # bounds = 29.12621 -+ 1.959964 * 7.69151 = [14.05113, 44.20130]; observed nps = 30.
    r = nps_counts(20, 30, 50)
    assert r["method"] == "adjusted-wald"
    centre = 30 / 103
    v = (71.5 / 103) - centre**2
    se = math.sqrt(v / 103)
    assert v == pytest.approx(0.6093411, abs=1e-7)
    assert r["nps"] == pytest.approx(30.0, abs=1e-12)
    assert r["se"] == pytest.approx(100 * se, abs=1e-9)
    assert r["se"] == pytest.approx(7.691510, abs=1e-6)
    assert r["low"] == pytest.approx(100 * (centre - Z95 * se), abs=1e-6)
    assert r["high"] == pytest.approx(100 * (centre + Z95 * se), abs=1e-6)
    assert r["low"] == pytest.approx(14.051130, abs=1e-5)
    assert r["high"] == pytest.approx(44.201297, abs=1e-5)


def test_vectorized_matches_scalar_and_keeps_index():
    idx = pd.Index(["a", "b", "c"], name="unit")
    d = pd.Series([20, 5, 0], index=idx)
    out = nps_counts(d, [30, 5, 0], [50, 10, 7], method="score")
    assert isinstance(out, pd.DataFrame) and list(out.index) == list(idx)
    for key, (dd, pa, pp) in zip(idx, [(20, 30, 50), (5, 5, 10), (0, 0, 7)], strict=True):
        s = nps_counts(dd, pa, pp, method="score")
        for col in ("nps", "se", "low", "high"):
            assert out.loc[key, col] == pytest.approx(s[col], abs=1e-12)


def test_weighted_totals_use_n_eff():
    # Totals scaled by 2.5 (weights) with n_eff = 100 give the unweighted interval.
    for method in DETERMINISTIC:
        a = nps_counts(20, 30, 50, method=method)
        b = nps_counts(50, 75, 125, method=method, n_eff=100)
        assert b["n"] == 250 and b["n_eff"] == 100
        for col in ("nps", "se", "low", "high"):
            assert b[col] == pytest.approx(a[col], abs=1e-9)
    # A smaller effective n widens the interval; the estimate is unchanged.
    c = nps_counts(50, 75, 125, n_eff=40)
    assert c["nps"] == pytest.approx(30)
    assert c["high"] - c["low"] > b["high"] - b["low"]


@pytest.mark.parametrize("method", ["wald", "adjusted-wald", "score", "bootstrap", "bayes"])
def test_zero_n_gives_nan(method):
    r = nps_counts(0, 0, 0, method=method, seed=1)
    assert r["n"] == 0
    assert all(math.isnan(r[c]) for c in ("nps", "se", "low", "high"))
    df = nps_counts([0, 10], [0, 10], [0, 10], method=method, seed=1, n_boot=200)
    assert df["nps"].isna().tolist() == [True, False]
    # An empty weighted group (zero totals, Kish n 0) is NaN like an empty count.
    w = nps_counts([0, 2], [0, 2], [0, 4], n_eff=[0, 8], method=method, seed=1, n_boot=200)
    assert np.isnan(w.loc[0, "nps"]) and np.isnan(w.loc[0, "low"])
    assert w.loc[1, "low"] < 25 < w.loc[1, "high"]
    # D6: a zero effective n with responses used to give NaN silently; it cannot come
    # from Kish's formula ((sum w)^2 / sum w^2 >= 1 for any positive weight).
    with pytest.raises(CxlabError, match=r"'n_eff' must be > 0 where there are responses"):
        nps_counts([2, 2], [2, 2], [4, 4], n_eff=[0, 8], method=method)


# ------------------------------------------------------------ score interval


def _loglik(q: float, delta: float, b: float, c: float, pa: float) -> float:
    cells = [(b, q + delta), (c, q), (pa, 1 - 2 * q - delta)]
    total = 0.0
    for k, prob in cells:
        if k > 0:
            if prob <= 0:
                return -np.inf
            total += k * math.log(prob)
    return total


def _brute_restricted_q(delta: float, b: float, c: float, pa: float) -> float:
    """Restricted MLE of the detractor share by numerical constrained maximisation."""
    lo, hi = max(0.0, -delta), (1 - delta) / 2
    if hi - lo < 1e-15:
        return lo
    res = optimize.minimize_scalar(
        lambda q: -_loglik(q, delta, b, c, pa),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-13},
    )
    # The bounded optimiser never evaluates the end points: check them as well.
    cand = [res.x, lo, hi]
    return max(cand, key=lambda q: _loglik(q, delta, b, c, pa))


def _brute_z(delta: float, b: float, c: float, pa: float) -> float:
    n = b + c + pa
    q = _brute_restricted_q(delta, b, c, pa)
    var = n * (2 * q + delta * (1 - delta))
    num = b - c - n * delta
    return num / math.sqrt(var) if var > 1e-300 else math.copysign(1e12, num)


def _brute_score_interval(d, pa, p, z=Z95):
    n = d + pa + p
    obs = (p - d) / n
    grid = np.linspace(-1 + 1e-9, 1 - 1e-9, 801)
    vals = np.array([abs(_brute_z(t, p, d, pa)) - z for t in grid])
    inside = np.flatnonzero(vals <= 0)
    i0, i1 = inside.min(), inside.max()
    low = (
        optimize.brentq(lambda t: _brute_z(t, p, d, pa) - z, grid[i0 - 1], grid[i0], xtol=1e-12)
        if i0 > 0
        else -1.0
    )
    high = (
        optimize.brentq(lambda t: _brute_z(t, p, d, pa) + z, grid[i1], grid[i1 + 1], xtol=1e-12)
        if i1 < len(grid) - 1
        else 1.0
    )
    return 100 * min(low, obs), 100 * max(high, obs)


@pytest.mark.parametrize(
    "counts", [(20, 30, 50), (3, 1, 6), (0, 4, 6), (7, 0, 0), (12, 80, 8), (1, 1, 1)]
)
def test_score_matches_brute_force_inversion(counts):
    r = nps_counts(*counts, method="score")
    low, high = _brute_score_interval(*counts)
    assert r["low"] == pytest.approx(low, abs=1e-4)
    assert r["high"] == pytest.approx(high, abs=1e-4)


def test_tango_closed_form_mle_matches_slsqp():
    from cxlab.stats.intervals import _tango_restricted_q

    d, pa, p = 12, 30, 58
    n = d + pa + p
    for delta in (-0.5, 0.0, 0.3, 0.46, 0.8):

        def negll(x, delta=delta):
            pd_, ppa, pp = x
            return -(d * np.log(pd_) + pa * np.log(ppa) + p * np.log(pp))

        cons = [
            {"type": "eq", "fun": lambda x: x.sum() - 1},
            {"type": "eq", "fun": lambda x, delta=delta: x[2] - x[0] - delta},
        ]
        q0 = (max(0.0, -delta) + (1 - delta) / 2) / 2  # a feasible interior start
        x0 = np.array([q0, 1 - 2 * q0 - delta, q0 + delta])
        res = optimize.minimize(
            negll,
            x0,
            method="SLSQP",
            constraints=cons,
            bounds=[(1e-9, 1)] * 3,
            options={"ftol": 1e-14, "maxiter": 500},
        )
        assert res.success
        assert _tango_restricted_q(delta, p, d, n) == pytest.approx(res.x[0], abs=1e-6)


@pytest.mark.parametrize(
    "counts",
    [(0, 0, 10), (10, 0, 0), (0, 10, 0), (0, 0, 1), (1, 0, 0), (0, 1, 0), (0, 5, 5), (5, 5, 0)],
)
def test_score_edges(counts):
    r = nps_counts(*counts, method="score")
    assert -100 <= r["low"] <= r["nps"] <= r["high"] <= 100
    assert r["high"] > r["low"]  # never degenerate, unlike Wald
    if counts[2] == sum(counts):
        assert r["high"] == 100
    if counts[0] == sum(counts):
        assert r["low"] == -100


# ------------------------------------------------------------------ properties

counts_st = st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300)).filter(
    lambda t: sum(t) > 0
)


@settings(max_examples=150, deadline=None)
@given(counts=counts_st, level=st.floats(0.5, 0.999))
def test_bounds_and_containment(counts, level):
    for method in DETERMINISTIC:
        r = nps_counts(*counts, method=method, level=level)
        assert -100 <= r["low"] <= r["high"] <= 100
        if method != "adjusted-wald":
            assert r["low"] - 1e-9 <= r["nps"] <= r["high"] + 1e-9
        else:
            # The adjusted interval always contains its own (adjusted) centre.
            adj = 100 * (counts[2] - counts[0]) / (sum(counts) + 3)
            assert r["low"] - 1e-9 <= adj <= r["high"] + 1e-9
            # It contains the observed NPS when n >= 2 at levels >= 95% (see below).
            if level >= 0.95 and sum(counts) >= 2:
                assert r["low"] - 1e-9 <= r["nps"] <= r["high"] + 1e-9


def test_adjusted_wald_observed_outside_interval_documented():
    # What is true: at 95% the observed NPS lies outside the adjusted-Wald interval only
    # for n = 1 (checked exhaustively for n <= 120). For 1 promoter of 1: adjusted
    # counts .75/1.5/1.75 over 4, centre 25, V = .625 - .0625 = .5625, SE = .375,
    # high = 25 + 1.959964 * 37.5 = 98.4986 < 100 = observed.
    r = nps_counts(0, 0, 1)
    assert r["high"] == pytest.approx(25 + Z95 * 37.5, abs=1e-6) and r["nps"] == 100
    for n in range(2, 121):
        dd, pp = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
        keep = dd + pp <= n
        dd, pp = dd[keep], pp[keep]
        out = nps_counts(dd, n - dd - pp, pp)
        assert ((out["nps"] >= out["low"] - 1e-9) & (out["nps"] <= out["high"] + 1e-9)).all()
    # At low levels it fails even at large n: all promoters, the gap 1 - centre = 3/(n+3)
    # exceeds z * SE~ when z^2 < 2 (n + 3) / (n + 1), i.e. below ~84% confidence.
    r80 = nps_counts(0, 0, 1000, level=0.8)
    assert r80["high"] < r80["nps"]


@settings(max_examples=120, deadline=None)
@given(counts=counts_st, level=st.floats(0.5, 0.999))
def test_symmetry_swapping_promoters_and_detractors(counts, level):
    d, pa, p = counts
    for method in DETERMINISTIC:
        a = nps_counts(d, pa, p, method=method, level=level)
        b = nps_counts(p, pa, d, method=method, level=level)
        assert b["nps"] == pytest.approx(-a["nps"], abs=1e-9)
        assert b["low"] == pytest.approx(-a["high"], abs=1e-7)
        assert b["high"] == pytest.approx(-a["low"], abs=1e-7)


@settings(max_examples=120, deadline=None)
@given(counts=counts_st, l1=st.floats(0.5, 0.99), l2=st.floats(0.5, 0.99))
def test_level_monotonicity(counts, l1, l2):
    lo_level, hi_level = min(l1, l2), max(l1, l2)
    for method in DETERMINISTIC:
        a = nps_counts(*counts, method=method, level=lo_level)
        b = nps_counts(*counts, method=method, level=hi_level)
        assert b["low"] <= a["low"] + 1e-9 and b["high"] >= a["high"] - 1e-9
    w95 = nps_counts(*counts, method="score", level=0.95)
    w99 = nps_counts(*counts, method="score", level=0.99)
    assert w99["low"] <= w95["low"] + 1e-9 and w99["high"] >= w95["high"] - 1e-9


# -------------------------------------------------------------------- coverage


@pytest.mark.parametrize("shares", [(0.2, 0.3, 0.5), (0.05, 0.15, 0.8)])
@pytest.mark.parametrize("n, band", [(30, (0.90, 0.99)), (500, (0.92, 0.98))])
@pytest.mark.parametrize("method", ["adjusted-wald", "score"])
def test_coverage(method, n, band, shares):
    rng = np.random.default_rng(20240501)
    reps = 3000
    draws = rng.multinomial(n, shares, size=reps)
    out = nps_counts(draws[:, 0], draws[:, 1], draws[:, 2], method=method)
    truth = 100 * (shares[2] - shares[0])
    cover = ((out["low"] <= truth) & (truth <= out["high"])).mean()
    assert band[0] <= cover <= band[1], cover


def test_wald_undercovers_at_small_n_edge():
    # The reason Wald is not the default: at n = 30 with 80% promoters it under-covers.
    rng = np.random.default_rng(7)
    draws = rng.multinomial(30, (0.05, 0.15, 0.8), size=4000)
    truth = 75.0
    cov = {}
    for m in ("wald", "adjusted-wald"):
        out = nps_counts(draws[:, 0], draws[:, 1], draws[:, 2], method=m)
        cov[m] = ((out["low"] <= truth) & (truth <= out["high"])).mean()
    assert cov["wald"] < 0.93 < cov["adjusted-wald"]


# -------------------------------------------------------- bootstrap and bayes


def test_bootstrap_and_bayes_close_to_adjusted_wald_at_large_n():
    ref = nps_counts(2000, 3000, 5000)
    for method in ("bootstrap", "bayes"):
        for interval in ("equal-tailed", "hpd"):
            r = nps_counts(2000, 3000, 5000, method=method, seed=3, interval=interval)
            assert r["nps"] == 30
            assert r["low"] == pytest.approx(ref["low"], abs=0.3)
            assert r["high"] == pytest.approx(ref["high"], abs=0.3)
            assert r["se"] == pytest.approx(ref["se"], rel=0.05)


def test_bootstrap_reproducible_and_tight_at_large_n():
    a = nps_counts(20, 30, 50, method="bootstrap", seed=11)
    b = nps_counts(20, 30, 50, method="bootstrap", seed=11)
    c = nps_counts(20, 30, 50, method="bootstrap", seed=12)
    assert (a["low"], a["high"]) == (b["low"], b["high"])
    assert (a["low"], a["high"]) != (c["low"], c["high"])
    # speed at this size is measured in benchmarks/run.py ("bootstrap"), not here
    r = nps_counts(200_000, 300_000, 500_000, method="bootstrap", n_boot=10_000, seed=1)
    assert r["low"] < 30 < r["high"] and r["high"] - r["low"] < 0.5


def test_bayes_hpd_is_shorter_on_skewed_posterior():
    eq = nps_counts(0, 1, 9, method="bayes", seed=2, n_boot=20_000)
    hpd = nps_counts(0, 1, 9, method="bayes", seed=2, n_boot=20_000, interval="hpd")
    assert hpd["high"] - hpd["low"] < eq["high"] - eq["low"]
    assert -100 <= hpd["low"] and hpd["high"] <= 100


def test_bootstrap_cells_unit_weights_agree_with_plain_bootstrap():
    plain = nps_counts(200, 300, 500, method="bootstrap", seed=5, n_boot=20_000)
    cells = nps_bootstrap_cells([-1, 0, 1], [1.0, 1.0, 1.0], [200, 300, 500], seed=6, n_boot=20_000)
    assert cells["nps"] == pytest.approx(30.0)
    assert cells["n"] == 1000 and cells["n_eff"] == pytest.approx(1000)
    assert cells["low"] == pytest.approx(plain["low"], abs=0.5)
    assert cells["high"] == pytest.approx(plain["high"], abs=0.5)
    assert cells["se"] == pytest.approx(plain["se"], rel=0.05)


def test_bootstrap_cells_weighted_estimate_and_se():
    # Cells: 20 detractors w=1, 30 passives w=1, 25 promoters w=1, 25 promoters w=2.
    # Weighted totals D=20, Pa=30, P=75; sum w = 125 -> NPS = 100 * (75 - 20) / 125 = 44.
    # Kish n = 125^2 / (20 + 30 + 25 + 100) = 89.2857.
    cat, w, cnt = [-1, 0, 1, 1], [1.0, 1.0, 1.0, 2.0], [20, 30, 25, 25]
    r = nps_bootstrap_cells(cat, w, cnt, seed=1, n_boot=20_000)
    assert r["nps"] == pytest.approx(44.0, abs=1e-12)
    assert r["n_eff"] == pytest.approx(125**2 / 175, abs=1e-9)
    assert (r["detractors"], r["passives"], r["promoters"]) == (20.0, 30.0, 75.0)
    # Linearisation SE of the ratio estimator sum(w x) / sum(w):
    # Var ~ sum_i w_i^2 (x_i - R)^2 / (sum w)^2 (with-replacement design).
    rr = 0.44
    s2 = 20 * (-1 - rr) ** 2 + 30 * (0 - rr) ** 2 + 25 * (1 - rr) ** 2 + 25 * 4 * (1 - rr) ** 2
    se_lin = 100 * math.sqrt(s2) / 125
    assert r["se"] == pytest.approx(se_lin, rel=0.06)
    assert r["low"] < 44 < r["high"]


# ------------------------------------------------------------------ difference


def test_nps_diff_wald_hand_values():
    # a = (20, 30, 50): NPS 30, V = .61; b = (30, 30, 40): NPS 10, V = .4 + .3 - .01 = .69
    # SE = sqrt(.0061 + .0069) = .1140175 -> 11.40175 points; z = 20 / 11.40175 = 1.754116
    # p = 2 (1 - Phi(1.754116)) = .079411
    a = nps_counts(20, 30, 50, method="wald")
    b = nps_counts(30, 30, 40, method="wald")
    r = nps_diff(a, b)
    se = 100 * math.sqrt(0.61 / 100 + 0.69 / 100)
    assert r["diff"] == pytest.approx(20.0)
    assert r["se"] == pytest.approx(se, abs=1e-9)
    assert r["z"] == pytest.approx(20 / se, abs=1e-9)
    assert r["p"] == pytest.approx(2 * stats.norm.sf(20 / se), abs=1e-12)
    assert r["p"] == pytest.approx(0.079411, abs=1e-6)
    assert r["low"] == pytest.approx(20 - Z95 * se, abs=1e-6)
    assert r["high"] == pytest.approx(20 + Z95 * se, abs=1e-6)


def test_nps_diff_adjusted_hand_values():
    # Adjusted: a centre 30/103 = .2912621, V1 = .6093411; b centre 10/103 = .0970874,
    # V2 = 70.5/103 - .0970874^2 = .6847488; SE = sqrt((V1 + V2)/103) = .1120892,
    # centre diff = 20/103 = .1941748, z = 1.732324, p = .083216,
    # CI = 19.41748 -+ 1.959964 * 11.20892 = [-2.55160, 41.38655]; diff reported = 20.
    r = nps_diff(nps_counts(20, 30, 50), nps_counts(30, 30, 40))
    assert r["method"] == "adjusted-wald"
    assert r["diff"] == pytest.approx(20.0)
    assert r["se"] == pytest.approx(11.208916, abs=1e-6)
    assert r["z"] == pytest.approx(1.732324, abs=1e-6)
    assert r["p"] == pytest.approx(0.083216, abs=1e-6)
    assert r["low"] == pytest.approx(-2.551596, abs=1e-6)
    assert r["high"] == pytest.approx(41.386547, abs=1e-6)


def test_nps_diff_vectorized_rows():
    a = pd.DataFrame({"detractors": [20, 10], "passives": [30, 10], "promoters": [50, 10]})
    b = pd.DataFrame({"detractors": [30, 10], "passives": [30, 10], "promoters": [40, 10]})
    out = nps_diff(a, b)
    assert out.loc[0, "se"] == pytest.approx(11.208916, abs=1e-6)
    assert out.loc[1, "diff"] == 0 and out.loc[1, "p"] == pytest.approx(1.0)


# ------------------------------------------------------------ planning


def test_moe_and_sample_size():
    # Worst case V = 1: MOE(n) = 100 * 1.96 * sqrt(1 / (n + 3)); n for +-10 points:
    # 1.959964^2 / .01 - 3 = 384.146 - 3 = 381.146 -> 382.
    assert nps_sample_size(10) == 382
    assert nps_moe(382) == pytest.approx(100 * Z95 / math.sqrt(385), abs=1e-9)
    assert nps_moe(382) <= 10 < nps_moe(381)
    # Shares (D, P) = (.2, .5): V = .61; n = 1.959964^2 * .61 / .0025 - 3 = 934.3 -> 935.
    assert nps_sample_size(5, promoters=0.5, detractors=0.2) == 935
    assert nps_sample_size(5, shares=(0.2, 0.5)) == 935
    assert nps_moe(100, shares=(0.2, 0.5), method="wald") == pytest.approx(Z95 * 7.81025, abs=1e-4)
    assert nps_moe(np.array([97, 997])) == pytest.approx(
        100 * Z95 * np.array([0.1, 1 / 31.6227766])
    )
    # The adjusted-Wald MOE at the adjusted shares equals the interval's half-width.
    r = nps_counts(20, 30, 50)
    moe = nps_moe(100, shares=(20.75 / 103, 50.75 / 103))
    assert moe == pytest.approx((r["high"] - r["low"]) / 2, abs=1e-9)


# ----------------------------------------------------------- proportions, means


def test_proportion_ci_matches_statsmodels():
    k = np.array([0, 3, 80, 100])
    n = np.array([10, 30, 100, 100])
    for method in ("wilson", "agresti_coull", "beta", "jeffreys"):
        est, low, high = proportion_ci(k, n, method=method, level=0.9)
        lo, hi = proportion_confint(k, n, alpha=0.1, method=method)
        np.testing.assert_allclose(est, 100 * k / n)
        np.testing.assert_allclose(low, 100 * np.asarray(lo), atol=1e-12)
        np.testing.assert_allclose(high, 100 * np.asarray(hi), atol=1e-12)
    # Wilson by hand for 80/100: (p + z^2/2n -+ z sqrt(p q / n + z^2 / 4n^2)) / (1 + z^2/n)
    z2 = Z95**2
    centre = (0.8 + z2 / 200) / (1 + z2 / 100)
    half = Z95 * math.sqrt(0.16 / 100 + z2 / 40000) / (1 + z2 / 100)
    est, low, high = proportion_ci(80, 100)
    assert (est, low, high) == pytest.approx((80, 100 * (centre - half), 100 * (centre + half)))
    est, low, high = proportion_ci([0, 5], [0, 10])
    assert np.isnan(est[0]) and np.isnan(low[0]) and est[1] == 50


def test_mean_ci_hand_value():
    # Values 1..5: sum 15, sum of squares 55, n 5 -> mean 3, s^2 = (55 - 45) / 4 = 2.5,
    # SE = sqrt(2.5 / 5) = .7071068, t(.975, 4) = 2.776445 -> [1.036757, 4.963243].
    m, se, lo, hi = mean_ci(15, 55, 5)
    assert m == 3 and se == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert lo == pytest.approx(3 - 2.7764451 * math.sqrt(0.5), abs=1e-6)
    assert hi == pytest.approx(4.963243, abs=1e-6)
    m, se, lo, hi = mean_ci([15, 4, 0], [55, 16, 0], [5, 1, 0])
    assert m[1] == 4 and np.isnan(se[1]) and np.isnan(m[2])
    x = np.random.default_rng(0).integers(1, 6, size=50).astype(float)
    m, se, lo, hi = mean_ci(x.sum(), (x * x).sum(), 50, level=0.9)
    ref = stats.t.interval(0.9, 49, loc=x.mean(), scale=stats.sem(x))
    assert (lo, hi) == pytest.approx(ref, abs=1e-9)


# ------------------------------------------------------------ flags, weights


def test_base_flag_bands():
    assert base_flag(0) == "unreliable"
    assert base_flag(29.9) == "unreliable"
    assert base_flag(30) == "indicative"
    assert base_flag(99) == "indicative"
    assert base_flag(100) == "reportable"
    assert base_flag([5, 60, 150], bands=(50, 200)).tolist() == [
        "unreliable",
        "indicative",
        "indicative",
    ]


def test_kish_n():
    assert kish_n(100.0, 100.0) == 100.0  # unit weights
    w = np.array([1.0, 1.0, 2.0, 4.0])
    assert kish_n(w.sum(), (w * w).sum()) == pytest.approx(64 / 22)
    np.testing.assert_allclose(kish_n(np.array([4.0, 0.0]), np.array([4.0, 0.0])), [4.0, 0.0])


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call",
    [
        lambda: nps_counts(-1, 2, 3),
        lambda: nps_counts([1, 2], [1, -2], [1, 1]),
        lambda: nps_counts(1, 2, float("nan")),
        lambda: nps_counts(1, 2, 3, method="exact"),
        lambda: nps_counts(1, 2, 3, level=0),
        lambda: nps_counts(1, 2, 3, level=1),
        lambda: nps_counts(1, 2, 3, level=95),
        lambda: nps_counts(1, 2, 3, method="bayes", interval="central"),
        lambda: nps_counts(1, 2, 3, n_eff=-5),
        lambda: nps_counts(1, 2, 3, method="bootstrap", n_boot="many"),
        lambda: nps_bootstrap_cells([2, 0], [1, 1], [1, 1]),
        lambda: nps_bootstrap_cells([1, 0], [1, -1], [1, 1]),
        lambda: nps_bootstrap_cells([1, 0], [1, 1], [1.5, 1]),
        lambda: nps_diff({"detractors": 1, "passives": 1}, {"detractors": 1}),
        lambda: nps_sample_size(0),
        lambda: nps_sample_size(5, promoters=0.7, detractors=0.5),
        lambda: nps_moe(100, promoters=0.5),
        lambda: proportion_ci(5, 3),
        lambda: proportion_ci(1, 3, method="magic"),
        lambda: mean_ci(1, 1, -1),
        lambda: base_flag(10, bands=(100, 30)),
        lambda: kish_n(-1, 1),
    ],
)
def test_errors_raise_cxlaberror(call):
    with pytest.raises(CxlabError):
        call()


def test_error_message_names_the_rule():
    with pytest.raises(CxlabError, match=r"'passives' must be >= 0.*position\(s\) \[1\]"):
        nps_counts([1, 2], [1, -2], [1, 1])
    with pytest.raises(CxlabError, match="unknown method 'exact'"):
        nps_counts(1, 2, 3, method="exact")


def test_nps_diff_uses_effective_counts_for_weighted_results():
    a = nps_counts(50, 75, 125, n_eff=100)  # shares (.2, .3, .5), effective n 100
    b = nps_counts(60, 60, 80, n_eff=100)  # shares (.3, .3, .4)
    r = nps_diff(a, b)
    ref = nps_diff(nps_counts(20, 30, 50), nps_counts(30, 30, 40))
    for col in ("diff", "se", "low", "high", "p"):
        assert r[col] == pytest.approx(ref[col], abs=1e-9)


# ------------------------------------------------- empty groups and effective n


@pytest.mark.parametrize("method", ["adjusted-wald", "wald", "score"])
def test_nps_diff_with_an_empty_group_is_nan_and_flagged(method):
    # D4: the adjusted-Wald pseudo-counts gave an empty group an SE, an interval and
    # p = 1.0. No responses -> no NPS -> no difference, whichever side is empty.
    full = nps_counts(10, 10, 10, method=method)
    for a, b in ((nps_counts(0, 0, 0, method=method), full), (full, nps_counts(0, 0, 0))):
        r = nps_diff(a, b)
        assert all(math.isnan(r[c]) for c in ("diff", "se", "low", "high", "z", "p"))
        assert r["flag"] == "empty"
    ok = nps_diff(full, nps_counts(5, 10, 15, method=method))
    assert ok["flag"] == "" and 0 < ok["p"] < 1
    rows = nps_diff(
        pd.DataFrame({"detractors": [0, 20], "passives": [0, 30], "promoters": [0, 50]}),
        pd.DataFrame({"detractors": [10, 30], "passives": [10, 30], "promoters": [10, 40]}),
    )
    assert rows["flag"].tolist() == ["empty", ""]
    assert rows["se"].isna().tolist() == [True, False]
    assert rows.loc[1, "se"] == pytest.approx(11.208916, abs=1e-6)  # unchanged hand value
    # a zero-weight group (totals 0, Kish n 0) is empty too
    z = {"detractors": 0.0, "passives": 0.0, "promoters": 0.0, "n_eff": 0.0}
    assert nps_diff(z, full)["flag"] == "empty"


def test_n_eff_must_lie_between_zero_and_the_number_of_respondents():
    # D6: n_eff = 100 for 8 respondents was accepted (a narrower interval than 8
    # responses allow); Kish's n of k positive weights lies in [1, k].
    with pytest.raises(CxlabError, match=r"'n_eff' cannot exceed n.*\[100\.0\] > \[8\.0\]"):
        nps_counts(1, 3, 4, n_eff=100)
    with pytest.raises(CxlabError, match=r"'n_eff' must be > 0 where there are responses"):
        nps_counts(1, 3, 4, n_eff=0)
    with pytest.raises(CxlabError, match=r"'n_eff' must be 0 where there are no responses"):
        nps_counts(0, 0, 0, n_eff=3)
    with pytest.raises(CxlabError, match=r"position\(s\) \[1\]"):
        nps_counts([1, 1], [3, 3], [4, 4], n_eff=[8, 9])
    # float noise from the engine is tolerated; n_eff == n is the unweighted case
    assert nps_counts(1, 3, 4, n_eff=8 * (1 + 1e-12))["n_eff"] == pytest.approx(8)
    # normalised weights (summing to 1 over 100 respondents): say how many respondents
    r = nps_counts(0.2, 0.3, 0.5, n_eff=87.0, n_rows=100)
    ref = nps_counts(0.2 * 87, 0.3 * 87, 0.5 * 87)
    for c in ("nps", "se", "low", "high"):
        assert r[c] == pytest.approx(ref[c], abs=1e-9)
    with pytest.raises(CxlabError, match=r"cannot exceed 'n_rows'"):
        nps_counts(0.2, 0.3, 0.5, n_eff=87.0, n_rows=50)


def test_kish_n_and_bootstrap_cells_survive_extreme_weights():
    # D7: squares of weights near 1e155 overflow; the effective n must not.
    assert kish_n(1e200, 1e250) == pytest.approx(1e150, rel=1e-12)
    base = nps_bootstrap_cells([-1, 0, 1], [1.0, 1.0, 2.0], [3, 4, 5], n_boot=200, seed=1)
    for f in (1e155, 1e-160):
        big = nps_bootstrap_cells([-1, 0, 1], [f, f, 2 * f], [3, 4, 5], n_boot=200, seed=1)
        assert big["n_eff"] == pytest.approx(base["n_eff"], rel=1e-12)
        for c in ("nps", "se", "low", "high"):
            assert big[c] == pytest.approx(base[c], rel=1e-12)
        assert big["promoters"] == pytest.approx(10 * f, rel=1e-12)


# ------------------------------------------------ exact coverage (benchmark core)


def _coverage_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "nps_coverage.py"
    spec = importlib.util.spec_from_file_location("nps_coverage", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _coverage_by_hand(n: int, pp: float, dd: float, **kw) -> float:
    """Enumerate every (d, a, p) with loops and factorials; one scalar call each."""
    truth = 100 * (pp - dd)
    total = 0.0
    for d in range(n + 1):
        for p in range(n + 1 - d):
            a = n - d - p
            prob = (
                math.factorial(n)
                / (math.factorial(d) * math.factorial(a) * math.factorial(p))
                * dd**d
                * (1 - pp - dd) ** a
                * pp**p
            )
            r = nps_counts(d, a, p, **kw)
            total += prob * (r["low"] <= truth <= r["high"])
    return total


def test_exact_coverage_agrees_with_a_hand_enumeration():
    cov = _coverage_module()
    assert len(cov.outcomes(10)) == 66 and (cov.outcomes(10).sum(axis=1) == 10).all()
    got = cov.exact_coverage(10, [(0.98, 0.01), (0.5, 0.2)], method="wald")
    ref = [
        _coverage_by_hand(10, 0.98, 0.01, method="wald"),
        _coverage_by_hand(10, 0.5, 0.2, method="wald"),
    ]
    assert got == pytest.approx(ref, abs=1e-12)
    # Wald at n = 10, 98% promoters: all ten promoters (0.98^10 = 81.7%) gives the
    # zero-width interval [100, 100], which misses NPS 97 -> coverage <= 18.3%.
    assert got[0] <= 1 - 0.98**10 + 1e-12 and got[0] < 0.25
    aw = cov.exact_coverage(12, [(0.9, 0.05)], method="adjusted-wald")
    assert aw[0] == pytest.approx(_coverage_by_hand(12, 0.9, 0.05), abs=1e-12)


def test_exact_coverage_headlines():
    cov = _coverage_module()
    centre = cov.exact_coverage(100, [(0.34, 0.33), (0.5, 0.2)], method="adjusted-wald")
    assert (0.935 <= centre).all() and (centre <= 0.965).all()
    edge = [(0.98, 0.01), (0.01, 0.98)]
    # The audit's finding at n = 30: the uniform Dirichlet prior under-covers at the
    # edge (about 71%); the Jeffreys prior does not. (At n = 10 the uniform prior's
    # figure is a knife edge: for ten promoters of ten P(NPS > 97) = 0.0256 under
    # Dirichlet(1, 1, 11), so the Monte-Carlo bound falls either side of 97.)
    assert (cov.exact_coverage(30, edge, method="bayes") < 0.8).all()
    for n in (10, 30):
        assert (cov.exact_coverage(n, edge, method="bayes", prior="jeffreys") > 0.9).all()
        # the bootstrap, like Wald, cannot leave an all-promoter sample
        assert (cov.exact_coverage(n, edge, method="bootstrap") < 0.5).all()


def test_bayes_prior_option():
    a = nps_counts(3, 2, 40, method="bayes", seed=4)
    assert a.equals(nps_counts(3, 2, 40, method="bayes", seed=4, prior="uniform"))
    assert a.equals(nps_counts(3, 2, 40, method="bayes", seed=4, prior=1))
    j = nps_counts(3, 2, 40, method="bayes", seed=4, prior="jeffreys")
    assert j.equals(nps_counts(3, 2, 40, method="bayes", seed=4, prior=0.5))
    assert j["high"] > a["high"]  # less pull towards the centre
    for bad in ("flat", 0, -1, float("nan"), True):
        with pytest.raises(CxlabError, match="prior"):
            nps_counts(3, 2, 40, method="bayes", prior=bad)
    with pytest.raises(CxlabError, match="applies to method='bayes' only"):
        nps_counts(3, 2, 40, prior="jeffreys")
