"""cxlab against outside references computed in R (as pingouin checks itself against R).

The numbers come from ``tests/reference/make_reference.R`` (its header says how to run
it and which Debian packages produced them) and are committed as CSV, so this module
needs no R. Inputs: ``tests/reference/panel.csv`` (written by ``make_panel.py``) and
R's ``plm::Grunfeld`` and ``datasets::attitude`` (written out by the R script).

Deterministic computations are compared at ``rtol=1e-10`` (p-values, which go through
different libraries' t/F tails, at 1e-8); the only loose comparisons are the NPS
package's own bisection for the score interval (it stops at a step of 1e-7) and the
Monte-Carlo methods (bootstrap, Bayes), which are checked against exact distributions
computed in R with stated Monte-Carlo tolerances. Where cxlab's definition differs from
R's (finite-sample factors, the t reference's df, clipping, Spearman variants), the test
says how and compares like with like.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlab
from cxlab import key_drivers as kd
from cxlab import outcomes as oc
from cxlab import stats as cs

REF = Path(__file__).resolve().parent / "reference"
RTOL = 1e-10


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, dtype=str, keep_default_na=False)


def _lookup(table: pd.DataFrame, **keys: object) -> float:
    """The single ``value`` of ``table`` whose key columns equal ``keys``."""
    hit = _sel(table, **keys)["value"]
    assert len(hit) == 1, f"{len(hit)} reference rows for {keys}"
    return float(hit.iloc[0]) if hit.iloc[0] != "NA" else np.nan


def _sel(table: pd.DataFrame, **keys: object) -> pd.DataFrame:
    """Rows of ``table`` whose columns equal ``keys`` (compared as strings for the CSVs)."""
    mask = np.ones(len(table), dtype=bool)
    for col, val in keys.items():
        mask &= (table[col].astype(str) == str(val)).to_numpy()
    return table.loc[mask]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(REF / "panel.csv")


@pytest.fixture(scope="module")
def panel_singleton(panel) -> pd.DataFrame:
    """Unit g cut to 2021Q1-Q3: at lag 2 it keeps one row (a singleton cluster)."""
    return panel[~((panel["unit"] == "g") & (panel["qi"] > 2021 * 4 + 2))].reset_index(drop=True)


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    g = pd.read_csv(REF / "grunfeld.csv")
    # cxlab's panel keys: any unit label, a quarter label and consecutive integer periods
    return pd.DataFrame(
        {
            "unit": g["firm"].astype(str),
            "quarter": g["year"].astype(str),
            "qi": g["year"],
            "inv": g["inv"],
            "value": g["value"],
        }
    )


def _fe(request, source: str, metric: str, outcome: str, lags, **kw) -> pd.DataFrame:
    """fe_regression with unit effects only and CR1 unless told otherwise: the defaults
    became two-way effects and the wild cluster bootstrap (issue 9); these R values
    check the one-way model and the analytic SEs, section 1b the two-way model."""
    data = request.getfixturevalue(source)
    kw.setdefault("effects", "unit")
    kw.setdefault("cov", "cluster")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oc.fe_regression(data, metric, outcome, lag=lags, **kw)


# ----------------------------------------------------------------------- 1. fixed effects

FE_CASES = {
    "grunfeld_inv_value_l0": ("grunfeld", "value", "inv", 0),
    "grunfeld_inv_value_l01": ("grunfeld", "value", "inv", [0, 1]),
    "panel_new_nps_l1": ("panel", "nps", "new_customers", 1),
    "panel_revenue_nps_l12": ("panel", "nps", "revenue", [1, 2]),
    "panel_revenue_csat_l0": ("panel", "csat_mean", "revenue", 0),
    "panel_revenue_nps_l2_singleton": ("panel_singleton", "nps", "revenue", 2),
}


@pytest.mark.parametrize("case", FE_CASES)
def test_fe_cluster_equals_plm_vcovHC_sss(request, case):
    """Coefficients equal plm's within estimator; cxlab's CR1 cluster SE equals
    ``plm::vcovHC(type="sss", cluster="group")`` and ``sandwich::vcovCL(type="HC1")`` on
    the unit-demeaned lm (both ``G/(G-1) * (N-1)/(N-K)`` with K the slopes only)."""
    source, metric, outcome, lags = FE_CASES[case]
    res = _fe(request, source, metric, outcome, lags)
    ref = _sel(_csv("r_fe.csv"), case=case)
    assert res["n"].iloc[0] == _lookup(ref, lag="all", quantity="n")
    assert res["n_units"].iloc[0] == _lookup(ref, lag="all", quantity="n_units")
    np.testing.assert_allclose(
        res["r2_within"].iloc[0], _lookup(ref, lag="all", quantity="r2_within"), rtol=RTOL
    )
    for _, row in res.iterrows():
        lag = str(row["lag"])
        np.testing.assert_allclose(row["coef"], _lookup(ref, lag=lag, quantity="coef"), rtol=RTOL)
        np.testing.assert_allclose(
            row["coef"], _lookup(ref, lag=lag, quantity="coef_lsdv"), rtol=RTOL
        )
        for q in ("se_plm_sss", "se_vcovCL_HC1_demeaned"):
            np.testing.assert_allclose(row["se"], _lookup(ref, lag=lag, quantity=q), rtol=RTOL)
        # cxlab's t reference has G - 1 df (coeftest would use N - G - K): recomputed in R
        np.testing.assert_allclose(row["p"], _lookup(ref, lag=lag, quantity="p_sss_tG1"), rtol=1e-8)
        np.testing.assert_allclose(
            row["low"], _lookup(ref, lag=lag, quantity="low_sss_tG1"), rtol=RTOL
        )
        np.testing.assert_allclose(
            row["high"], _lookup(ref, lag=lag, quantity="high_sss_tG1"), rtol=RTOL
        )
        assert row["df"] == row["n_units"] - 1


@pytest.mark.parametrize("case", FE_CASES)
def test_fe_cluster_vs_other_r_corrections(request, case):
    """How cxlab's cluster SE relates to the other R settings (the definitions differ
    only in the finite-sample factor; the ratios are exact):

    - ``plm::vcovHC(type="HC0", cluster="group")``: no factor, Var ratio (G-1)/G (N-K)/(N-1);
    - ``plm::vcovHC(type="HC1", cluster="group")``: N/(N-K) only, no G/(G-1);
    - ``sandwich::vcovCL(type="HC1")`` on the dummy-variable lm counts the G unit
      dummies in K: Var ratio (N-K)/(N-K-G), i.e. larger than cxlab's (and Stata's).
    """
    source, metric, outcome, lags = FE_CASES[case]
    res = _fe(request, source, metric, outcome, lags)
    ref = _sel(_csv("r_fe.csv"), case=case)
    n, g, k = int(res["n"].iloc[0]), int(res["n_units"].iloc[0]), len(res)
    factors = {
        "se_plm_HC0": (g - 1) / g * (n - k) / (n - 1),
        "se_plm_HC1": (g - 1) / g * (n - k) / (n - 1) * n / (n - k),
        "se_vcovCL_HC1_lsdv": (n - k) / (n - k - g),
    }
    for _, row in res.iterrows():
        for q, f in factors.items():
            r_se = _lookup(ref, lag=str(row["lag"]), quantity=q)
            np.testing.assert_allclose(r_se**2, row["se"] ** 2 * f, rtol=RTOL)


@pytest.mark.parametrize("case", FE_CASES)
def test_fe_nonrobust_and_hc1_equal_lsdv(request, case):
    """``cov="nonrobust"`` equals plm's (= the dummy-variable lm's) OLS SE; ``cov="HC1"``
    equals ``sandwich::vcovHC(type="HC1")`` on the dummy-variable lm."""
    source, metric, outcome, lags = FE_CASES[case]
    ref = _sel(_csv("r_fe.csv"), case=case)
    for cov, q in (("nonrobust", "se_ols"), ("HC1", "se_vcovHC_HC1_lsdv")):
        res = _fe(request, source, metric, outcome, lags, cov=cov)
        for _, row in res.iterrows():
            np.testing.assert_allclose(
                row["se"], _lookup(ref, lag=str(row["lag"]), quantity=q), rtol=RTOL
            )


def test_fe_errors_in_variables_matches_fuller_by_hand(panel):
    """No R package does Fuller's known-variance correction on a within model; the R
    script writes it out (b = S_xy / (S_xx - sum s2 (1 - 1/T_u)), SE / reliability)
    on plm's demeaned data and its sss SE."""
    res = oc.fe_regression(
        panel, "nps", "new_customers", lag=1, eiv=True, effects="unit", cov="cluster"
    )
    ref = _sel(_csv("r_fe.csv"), case="panel_new_nps_l1")
    row = res.iloc[0]
    for col, q in (("reliability", "eiv_reliability"), ("coef", "eiv_coef"), ("se", "eiv_se")):
        np.testing.assert_allclose(row[col], _lookup(ref, lag="1", quantity=q), rtol=RTOL)
    # panel.csv has no response counts: no term for the reliability's own uncertainty
    assert row["se_reliability"] == 0 and "reliability's own uncertainty" in row["caution"]


# ----------------------------------------------------------------------- 1b. two-way effects

TWOWAY_CASES = {k: v for k, v in FE_CASES.items() if not k.endswith("singleton")}


@pytest.mark.parametrize("case", TWOWAY_CASES)
def test_fe_twoway_equals_plm_twoways(request, case):
    """``effects="twoway"`` equals ``plm(model="within", effect="twoways")`` and the
    dummy-variable lm with unit and quarter factors (``make_reference_twoway.R``):
    slopes, CR1 (= plm ``vcovHC(type="sss")``, K = slopes), OLS and HC1 SEs."""
    source, metric, outcome, lags = TWOWAY_CASES[case]
    ref = _sel(_csv("r_fe_twoway.csv"), case=case)
    for cov, q in (
        ("cluster", "se_plm_sss"),
        ("nonrobust", "se_ols_lsdv"),
        ("HC1", "se_vcovHC_HC1_lsdv"),
    ):
        res = _fe(request, source, metric, outcome, lags, effects="twoway", cov=cov)
        assert res["n"].iloc[0] == _lookup(ref, lag="all", quantity="n")
        assert res["n_units"].iloc[0] == _lookup(ref, lag="all", quantity="n_units")
        if cov != "cluster":
            assert res["df"].iloc[0] == _lookup(ref, lag="all", quantity="df_residual")
        assert (res["effects"] == "unit + quarter effects").all()
        for _, row in res.iterrows():
            lag = str(row["lag"])
            for rq in ("coef", "coef_lsdv"):
                np.testing.assert_allclose(
                    row["coef"], _lookup(ref, lag=lag, quantity=rq), rtol=1e-9
                )
            np.testing.assert_allclose(row["se"], _lookup(ref, lag=lag, quantity=q), rtol=1e-9)


# ----------------------------------------------------------------------- 2. Granger

GRANGER_CASES = {
    "nps_new_customers_2": ("nps", "new_customers", 2),
    "nps_revenue_1": ("nps", "revenue", 1),
}


@pytest.mark.parametrize("case", GRANGER_CASES)
def test_granger_per_unit_equals_lmtest_grangertest(panel, case):
    """Per unit: F, p and residual df equal ``lmtest::grangertest`` on the unit's series
    laid on a regular quarter grid (missing quarters as NA, so no lag bridges a gap)."""
    metric, outcome, order = GRANGER_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = oc.granger(panel, metric, outcome, lags=order)
    ref = _sel(_csv("r_granger.csv"), case=case)
    units = _sel(res, scope="unit")
    assert sorted(units["unit"]) == sorted(set(ref["unit"]) - {"ALL"})
    for _, row in units.iterrows():
        u = row["unit"]
        np.testing.assert_allclose(row["F"], _lookup(ref, unit=u, quantity="F"), rtol=RTOL)
        np.testing.assert_allclose(row["p"], _lookup(ref, unit=u, quantity="p"), rtol=1e-8)
        assert row["df_den"] == _lookup(ref, unit=u, quantity="df_den")
        assert row["df_num"] == _lookup(ref, unit=u, quantity="df_num")


@pytest.mark.parametrize("case", GRANGER_CASES)
def test_granger_pooled_equals_plm_cluster_wald(panel, case):
    """Pooled: plm within regression on plm's (gap-aware) lags, Wald F = W / q with the
    ``vcovHC(type="sss", cluster="group")`` covariance, p from F(q, G - 1); unit effects
    only (``effects="unit"``, ``plm(model="within")``) in r_granger.csv, unit and quarter
    effects (the default, ``effect="twoways"``) in r_granger_twoway.csv."""
    metric, outcome, order = GRANGER_CASES[case]
    for effects, ref in (
        ("unit", _sel(_csv("r_granger.csv"), case=case, unit="ALL")),
        ("twoway", _sel(_csv("r_granger_twoway.csv"), case=case)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = oc.granger(panel, metric, outcome, lags=order, effects=effects)
        row = _sel(res, scope="pooled").iloc[0]
        assert row["n"] == _lookup(ref, quantity="n")
        np.testing.assert_allclose(row["F"], _lookup(ref, quantity="F"), rtol=RTOL)
        np.testing.assert_allclose(row["p"], _lookup(ref, quantity="p"), rtol=1e-8)


# ----------------------------------------------------------------------- 3. horse race / DM

RACE_CASES = {
    "new_customers_l1": ("new_customers", ["nps", "csat_mean", "ces_mean"], 1, 4),
    "revenue_l2": ("revenue", ["nps", "csat_mean"], 2, 5),
}


def _assert_race_equals_r(res, ref, mse_atol):
    """Every number of a horse race against the R rebuild: best metric, RMSEs, loss
    differences, DM p-values and unadjusted intervals, Holm p-values, p vs no CX metric."""
    best = _sel(ref, quantity="best")["metric"].item()
    assert res.loc[res["best"], "metric"].item() == best
    assert res["n_quarters"].iloc[0] == _lookup(ref, metric="all", quantity="n_quarters")
    for _, row in res.iterrows():
        m = row["metric"]
        for col in ("rmse", "rmse_vs_none"):
            np.testing.assert_allclose(row[col], _lookup(ref, metric=m, quantity=col), rtol=RTOL)
        np.testing.assert_allclose(
            row["mse_diff"], _lookup(ref, metric=m, quantity="mse_diff"), rtol=RTOL, atol=mse_atol
        )
        if m != best:
            for col, rq in (
                ("p", "p"),
                ("low_unadj", "low"),
                ("high_unadj", "high"),
                ("p_adj", "p_adj"),
            ):
                np.testing.assert_allclose(row[col], _lookup(ref, metric=m, quantity=rq), rtol=1e-9)
        if m != "none":
            np.testing.assert_allclose(
                row["p_vs_none"], _lookup(ref, metric=m, quantity="p_vs_none"), rtol=1e-9
            )


@pytest.mark.parametrize("case", RACE_CASES)
def test_horse_race_with_a_common_trend_equals_r(panel, case):
    """The default race (``trend=True``) rebuilt in R by make_reference_twoway.R:
    ``lm(y ~ x + factor(unit) + qi)`` on earlier quarters, the benchmark ``lm(y ~
    factor(unit) + qi)``; DM (HLN, h = 1) as ``t.test`` of the per-quarter loss
    differences, Holm by ``p.adjust``."""
    outcome, metrics, lag, min_train = RACE_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = oc.horse_race(panel, outcome, metrics, lag=lag, min_train=min_train)
    assert (res["model"] == "unit effects + common linear trend").all()
    _assert_race_equals_r(res, _sel(_csv("r_race_trend.csv"), case=case), mse_atol=1e-9)


@pytest.mark.parametrize("case", RACE_CASES)
def test_horse_race_equals_r_rolling_origin_and_dm_test(panel, case):
    """``trend=False``: the R script rebuilds the race (``lm(y ~ x + factor(unit))`` on earlier quarters)
    and tests with ``forecast::dm.test(h=1, power=2)`` on the per-quarter losses: its HLN
    statistic for h = 1 is exactly the one-sample t statistic cxlab uses, t(T - 1)."""
    outcome, metrics, lag, min_train = RACE_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = oc.horse_race(panel, outcome, metrics, lag=lag, min_train=min_train, trend=False)
    _assert_race_equals_r(res, _sel(_csv("r_race.csv"), case=case), mse_atol=1e-12)
    best = res.loc[res["best"], "metric"].item()
    for _, row in res[res["metric"] != best].iterrows():
        # R's dm.test intervals are unadjusted: cxlab's low/high became Holm-adjusted
        # (issue 9), the unadjusted ones are low_unadj/high_unadj (compared above).
        # One inference per row: the Holm interval excludes zero exactly when p_adj < 0.05
        assert (row["low"] > 0 or row["high"] < 0) == (row["p_adj"] < 0.05)
        assert row["low"] <= row["low_unadj"] and row["high"] >= row["high_unadj"]


def test_statsmodels_diebold_mariano_matches_forecast_dm_test():
    """statsmodels (0.15) has ``diebold_mariano_test``; with ``lags=0`` (h - 1) and
    ``harvey_adj=True`` it reproduces ``forecast::dm.test(h=1)`` on the committed
    per-quarter losses. Its *default* bandwidth is ``ceil(T^(1/3))`` lags (a HAC
    variance), not h - 1, and its default has no HLN correction: not comparable as is."""
    from statsmodels.tsa.stattools import diebold_mariano_test

    losses = _csv("r_race_losses.csv")
    race = _csv("r_race.csv")
    checked = 0
    for case in RACE_CASES:
        lo = _sel(losses, case=case).astype({"value": float, "qi": int})
        wide = lo.pivot(index="qi", columns="metric", values="value")
        best = _sel(race, case=case, quantity="best")["metric"].item()
        for m in wide.columns.drop(best):
            res = diebold_mariano_test(
                np.zeros(len(wide)),
                np.sqrt(wide[m].to_numpy()),
                np.sqrt(wide[best].to_numpy()),
                lags=0,
                harvey_adj=True,
            )
            ref = _sel(race, case=case)
            stat = _lookup(ref, metric=m, quantity="dm_statistic")
            np.testing.assert_allclose(res.statistic, stat, rtol=RTOL)
            np.testing.assert_allclose(res.pvalue, _lookup(ref, metric=m, quantity="p"), rtol=1e-9)
            checked += 1
    assert checked == 5


# ----------------------------------------------------------------------- 4. key drivers

DRIVERS = ["complaints", "privileges", "learning", "raises", "critical", "advance"]


@pytest.fixture(scope="module")
def attitude() -> pd.DataFrame:
    att = pd.read_csv(REF / "attitude.csv")
    att["w"] = 1.0 + (np.arange(1, len(att) + 1) % 3)  # as in make_reference.R
    att["top"] = (att["rating"] > 65).astype(int)
    return att


@pytest.mark.parametrize(
    "case,weight", [("attitude_linear", None), ("attitude_linear_weighted", "w")]
)
@pytest.mark.parametrize("method", kd.METHODS)
def test_drivers_linear_equal_brute_force_r(attitude, case, weight, method):
    """Importances vs base R on ``attitude``: Shapley/LMG averaged over all 720 orders
    of entry, general dominance from every subset's lm R^2, Johnson's relative weights
    from an eigen decomposition, squared correlations; also r, standardized beta, the
    driver means and R^2 (weighted with ``lm(weights=)`` / ``cov.wt``)."""
    res = cxlab.drivers(attitude, "rating", DRIVERS, method=method, weight=weight).set_index(
        "driver"
    )
    ref = _sel(_csv("r_drivers.csv"), case=case)
    for d in DRIVERS:
        np.testing.assert_allclose(
            res.loc[d, "importance"], _lookup(ref, driver=d, quantity=method), rtol=RTOL
        )
        for col in ("r", "beta", "mean"):
            np.testing.assert_allclose(
                res.loc[d, col], _lookup(ref, driver=d, quantity=col), rtol=RTOL
            )
    r2 = res["r2"].iloc[0]
    np.testing.assert_allclose(r2, _lookup(ref, driver="all", quantity="r2"), rtol=RTOL)
    if method in ("shapley", "dominance"):
        np.testing.assert_allclose(res["importance"].sum(), r2, rtol=RTOL)


@pytest.mark.parametrize(
    "family,case", [("linear", "attitude_linear"), ("logistic", "attitude_logistic")]
)
def test_drivers_dominance_detail_equals_r(attitude, family, case):
    """Conditional dominance (mean increment by subset size) and complete dominance."""
    outcome = "rating" if family == "linear" else "top"
    fit = kd.KeyDrivers(method="dominance", family=family).fit(attitude, outcome, DRIVERS)
    ref = _sel(_csv("r_drivers.csv"), case=case)
    cond = fit.conditional_dominance_
    comp = fit.complete_dominance_
    for d in DRIVERS:
        for k in range(len(DRIVERS)):
            np.testing.assert_allclose(
                cond.loc[d, f"k={k}"], _lookup(ref, driver=d, quantity=f"cond_k{k}"), rtol=1e-9
            )
        for other in DRIVERS:
            if other != d:
                want = _lookup(ref, driver=d, quantity=f"completely_dominates_{other}")
                assert bool(comp.loc[d, other]) == bool(want), (d, other)


@pytest.mark.parametrize("method", kd.METHODS)
def test_drivers_logistic_equal_r_glm(attitude, method):
    """Binary outcome (rating > 65): Shapley / dominance of McFadden's pseudo-R^2 from
    every subset's ``glm(binomial)`` (epsilon 1e-14), and Tonidandel & LeBreton's
    relative weights by their recipe (``glm`` on ``Z = X_std Lambda^{-1}``, b_z times
    R_O / SD(logit)); beta = coefficients per population SD of each driver;
    ``correlation`` = squared point-biserial correlations. With the IRLS tolerances
    (R epsilon 1e-14, statsmodels tol 1e-10) the fits agree to about 1e-14."""
    fit = kd.KeyDrivers(method=method, family="logistic").fit(attitude, "top", DRIVERS)
    res = fit.importance_.set_index("driver")
    ref = _sel(_csv("r_drivers.csv"), case="attitude_logistic")
    for d in DRIVERS:
        np.testing.assert_allclose(
            res.loc[d, "importance"], _lookup(ref, driver=d, quantity=method), rtol=RTOL
        )
        if method != "correlation":  # there beta and r2 are the linear ones of the 0/1 outcome
            np.testing.assert_allclose(
                res.loc[d, "beta"], _lookup(ref, driver=d, quantity="beta"), rtol=RTOL
            )
    if method != "correlation":
        want_r2 = "r2_relative_weights" if method == "relative-weights" else "r2"
        np.testing.assert_allclose(fit.r2_, _lookup(ref, driver="all", quantity=want_r2), rtol=RTOL)
        # McFadden's pseudo-R^2 of the full model, whichever importance is reported
        np.testing.assert_allclose(
            fit.r2_mcfadden_, _lookup(ref, driver="all", quantity="r2"), rtol=RTOL
        )


@pytest.mark.parametrize("method", ["shapley", "dominance"])
def test_drivers_logistic_weighted_equal_r_glm(attitude, method):
    """Survey weights with a binary outcome: cxlab fits grouped rows with frequency weights
    count x weight; R fits ``glm(weights = w)`` on the rows (integer weights here)."""
    fit = kd.KeyDrivers(method=method, family="logistic", weight="w")
    res = fit.fit(attitude, "top", DRIVERS).importance_.set_index("driver")
    ref = _sel(_csv("r_drivers.csv"), case="attitude_logistic_weighted")
    for d in DRIVERS:
        np.testing.assert_allclose(
            res.loc[d, "importance"], _lookup(ref, driver=d, quantity=method), rtol=RTOL
        )
    np.testing.assert_allclose(fit.r2_, _lookup(ref, driver="all", quantity="r2"), rtol=RTOL)


# ----------------------------------------------------------------------- 5. correlations

CORR_CASES = [
    (m, o, 0) for m in ("nps", "csat_mean", "ces_mean") for o in ("revenue", "new_customers")
] + [("nps", "new_customers", 1), ("nps", "revenue", 2), ("nps", "new_customers", -1)]


@pytest.mark.parametrize("metric,outcome,lag", CORR_CASES)
def test_correlations_equal_rmcorr_and_cor_test(panel, metric, outcome, lag):
    """Within-unit Pearson = ``rmcorr::rmcorr`` (r, its df N - k - 1, p, and its Fisher-z
    interval from ``psych::r.con(r, df + 2)``, i.e. SE 1/sqrt(df - 1)); pooled Pearson =
    ``cor.test`` (r, Fisher-z interval, t-test p).

    Spearman is cxlab's own definition and compared only where R computes the same thing:
    within = rmcorr on the *pooled* ranks (r and p; cxlab widens the interval by
    sqrt(1.06), Fieller et al. 1957, which rmcorr does not); pooled r = ``cor(method=
    "spearman")``, p = the t test of the rank correlation (``cor.test`` on the ranks;
    ``cor.test(method="spearman")`` uses AS 89 / exact p-values instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = oc.correlations(panel, metric, outcome, lag=lag)
    ref = _sel(_csv("r_corr.csv"), case=f"{metric}_{outcome}_{lag}")
    full = {("within", "pearson"), ("pooled", "pearson")}
    for _, row in res.iterrows():
        key = (row["scope"], row["method"])
        sel = _sel(ref, scope=key[0], method=key[1])
        np.testing.assert_allclose(row["r"], _lookup(sel, quantity="r"), rtol=RTOL)
        np.testing.assert_allclose(row["p"], _lookup(sel, quantity="p"), rtol=1e-8)
        if key in full:
            np.testing.assert_allclose(row["low"], _lookup(sel, quantity="low"), rtol=RTOL)
            np.testing.assert_allclose(row["high"], _lookup(sel, quantity="high"), rtol=RTOL)
        if key == ("within", "pearson"):
            assert row["n"] == _lookup(sel, quantity="n")
            assert row["n"] - row["n_units"] - 1 == _lookup(sel, quantity="df")


def test_lag_correlations_equal_rmcorr(panel):
    """The unit-effects-only correlogram's rows at lags -1, 0 and 1 are rmcorr's."""
    res = oc.lag_correlations(panel, "nps", "new_customers", lags=[-1, 0, 1], effects="unit")
    ref = _sel(_csv("r_corr.csv"), scope="within", method="pearson")
    for _, row in res.iterrows():
        sel = _sel(ref, case=f"nps_new_customers_{row.lag}")
        for col in ("r", "low", "high", "p"):
            np.testing.assert_allclose(row[col], _lookup(sel, quantity=col), rtol=1e-8)


TWOWAY_CORR = [("nps", "new_customers", k) for k in range(-2, 4)]
TWOWAY_CORR += [("nps", "revenue", k) for k in range(3)]
TWOWAY_CORR += [("csat_mean", "revenue", 1), ("ces_mean", "new_customers", 0)]


@pytest.mark.parametrize("effects", ["twoway", "unit"])
@pytest.mark.parametrize("metric,outcome,lag", TWOWAY_CORR)
def test_lag_correlations_equal_plm_within(panel, metric, outcome, lag, effects):
    """The correlogram (``lag_correlations``, two-way by default) equals R's correlation of
    ``plm::Within(effect = "twoways")`` series on the unbalanced panel (cross-checked in R
    against lm residuals on unit and quarter factors), its p the dummy-variable lm's t test
    of the slope, df = that lm's residual df, Fisher-z interval with SE 1/sqrt(df - 1)
    (``make_reference_twoway.R``); ``effects="unit"`` equals ``effect="individual"``
    (rmcorr's numbers). The two differ on this panel, so neither can pass for the other."""
    ref = _sel(_csv("r_corr_twoway.csv"), case=f"{metric}_{outcome}_{lag}", effects=effects)
    res = oc.lag_correlations(panel, metric, outcome, lags=[lag], effects=effects).iloc[0]
    for col in ("r", "low", "high"):
        np.testing.assert_allclose(res[col], _lookup(ref, quantity=col), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res["p"], _lookup(ref, quantity="p"), rtol=1e-8)
    assert res["n"] == _lookup(ref, quantity="n")
    assert (
        res["effects"] == {"twoway": "unit + quarter effects", "unit": "unit effects only"}[effects]
    )
    other = _sel(
        _csv("r_corr_twoway.csv"),
        case=f"{metric}_{outcome}_{lag}",
        effects="unit" if effects == "twoway" else "twoway",
    )
    assert abs(res["r"] - _lookup(other, quantity="r")) > 1e-3
    # the t test of the two-way correlation is the two-way model's t test of the slope
    if effects == "twoway":
        fit = oc.fe_regression(panel, metric, outcome, lag=lag, cov="nonrobust").iloc[0]
        assert fit.df == _lookup(ref, quantity="df")
        np.testing.assert_allclose(fit.p, res["p"], rtol=1e-8)


@pytest.mark.parametrize(
    "correction,r_name", [("holm", "holm"), ("fdr_bh", "BH"), ("bonferroni", "bonferroni")]
)
def test_correlation_grid_p_adjust_equals_r(panel, correction, r_name):
    """``p_adj`` over the correlations grid (statsmodels ``multipletests``) equals R's
    ``p.adjust`` applied to R's own p-values of the same 24 tests."""
    metrics, outcomes = ["nps", "csat_mean", "ces_mean"], ["revenue", "new_customers"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = oc.correlations(panel, metrics, outcomes, lag=0, correction=correction)
    ref = _sel(_csv("r_padjust.csv"), adjust=r_name)
    assert len(res) == len(ref) == 24
    for _, row in res.iterrows():
        want = _lookup(
            ref,
            case=f"{row['metric']}_{row['outcome']}_0",
            scope=row["scope"],
            method=row["method"],
        )
        np.testing.assert_allclose(row["p_adj"], want, rtol=1e-8)


# ----------------------------------------------------------------------- 6. NPS (Rocks' R package)

TRIPLES = [
    "20-30-50",
    "30-30-40",
    "5-5-10",
    "3-10-1",
    "120-340-540",
    "0-0-5",
    "2-0-0",
    "7-2-11",
    "1-1-1",
]


def _counts(key: str) -> tuple[float, float, float]:
    d, pa, p = (float(v) for v in key.split("-"))
    return d, pa, p


@pytest.mark.parametrize("key", TRIPLES)
def test_nps_se_equals_nps_package(key):
    """``nps_``, ``nps_var_`` and ``nps_se_`` of the NPS package (proportion scale)."""
    ref = _sel(_csv("r_nps.csv"), case=key)
    r = cs.nps_counts(*_counts(key), method="wald")
    np.testing.assert_allclose(r["nps"] / 100, _lookup(ref, quantity="nps"), rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(
        r["se"] / 100, _lookup(ref, quantity="nps_se"), rtol=RTOL, atol=1e-15
    )
    np.testing.assert_allclose(
        (r["se"] / 100) ** 2 * r["n"], _lookup(ref, quantity="nps_var"), rtol=RTOL, atol=1e-15
    )


@pytest.mark.parametrize("level", [0.95, 0.9])
@pytest.mark.parametrize("key", TRIPLES)
def test_nps_wald_and_adjusted_wald_equal_nps_test(key, level):
    """``nps_test_(test="wald" / "adjusted.wald")``: same pseudo-counts (0.75, 1.5, 0.75),
    centre and SE. One definition difference: cxlab clips bounds to [-100, 100], the
    package does not (e.g. 0-0-5 adjusted: upper bound 107.5 in R, 100 in cxlab)."""
    ref = _sel(_csv("r_nps.csv"), case=key)
    for method, pre in (("wald", "wald"), ("adjusted-wald", "adjusted")):
        r = cs.nps_counts(*_counts(key), method=method, level=level)
        sfx = f"_{level}"
        np.testing.assert_allclose(
            r["se"] / 100, _lookup(ref, quantity=f"{pre}_se{sfx}"), rtol=RTOL, atol=1e-15
        )
        lo, hi = _lookup(ref, quantity=f"{pre}_low{sfx}"), _lookup(ref, quantity=f"{pre}_high{sfx}")
        np.testing.assert_allclose(r["low"] / 100, max(lo, -1.0), rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(r["high"] / 100, min(hi, 1.0), rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("level", [0.95, 0.9])
@pytest.mark.parametrize("key", TRIPLES)
def test_nps_score_equals_tango_iterative(key, level):
    """``method="score"`` vs the package's ``iterative()`` (Tango's score interval by
    bisection that stops at a step of 1e-7: atol 3e-7 on the proportion scale) and vs
    the same score statistic solved with ``uniroot(tol=1e-14)`` in R (atol 1e-10)."""
    ref = _sel(_csv("r_nps.csv"), case=key)
    r = cs.nps_counts(*_counts(key), method="score", level=level)
    sfx = f"_{level}"
    for bound in ("low", "high"):
        got = r[bound] / 100
        np.testing.assert_allclose(got, _lookup(ref, quantity=f"iterative_{bound}{sfx}"), atol=3e-7)
        np.testing.assert_allclose(
            got, _lookup(ref, quantity=f"tango_uniroot_{bound}{sfx}"), atol=1e-10
        )


# Monte-Carlo methods: R gives the exact distribution's quantiles at 0.025 -+ d and
# 0.975 -+ d, d = 5 binomial SEs of a quantile level for 40,000 draws; the estimated
# bound must fall between them (a failure would be a 5-sigma event, or a wrong method).
N_DRAWS = 40_000
_D = 5 * np.sqrt(0.025 * 0.975 / N_DRAWS)
_QS = {
    "low": (f"{0.025 - _D:.6f}", f"{0.025 + _D:.6f}"),
    "high": (f"{0.975 - _D:.6f}", f"{0.975 + _D:.6f}"),
}


@pytest.mark.parametrize("key", [k for k in TRIPLES if sum(_counts(k)) <= 200])
def test_nps_bootstrap_bounds_within_exact_multinomial_quantiles(key):
    """Percentile bootstrap vs the exact multinomial bootstrap distribution enumerated in
    R; its SD vs the exact SD sqrt(V / n) (the package's ``nps_se_``), within 3%."""
    ref = _sel(_csv("r_nps.csv"), case=key)
    r = cs.nps_counts(*_counts(key), method="bootstrap", n_boot=N_DRAWS, seed=7)
    for bound, (qa, qb) in _QS.items():
        a, b = _lookup(ref, quantity=f"boot_q{qa}"), _lookup(ref, quantity=f"boot_q{qb}")
        assert a - 1e-12 <= r[bound] / 100 <= b + 1e-12, (bound, r[bound], a, b)
    np.testing.assert_allclose(
        r["se"] / 100, _lookup(ref, quantity="nps_se"), rtol=0.03, atol=1e-12
    )


@pytest.mark.parametrize("key", TRIPLES)
def test_nps_bayes_bounds_within_exact_posterior_quantiles(key):
    """Dirichlet(counts + 1) posterior of theta_pro - theta_det: exact quantiles by
    numerical integration in R; the posterior SD (closed form) within 3%."""
    ref = _sel(_csv("r_nps.csv"), case=key)
    r = cs.nps_counts(*_counts(key), method="bayes", n_boot=N_DRAWS, seed=7)
    for bound, (qa, qb) in _QS.items():
        a, b = _lookup(ref, quantity=f"bayes_q{qa}"), _lookup(ref, quantity=f"bayes_q{qb}")
        assert a - 1e-9 <= r[bound] / 100 <= b + 1e-9, (bound, r[bound], a, b)
    np.testing.assert_allclose(r["se"] / 100, _lookup(ref, quantity="bayes_sd"), rtol=0.03)


PAIRS = ["20-30-50_vs_30-30-40", "5-5-10_vs_3-10-1", "120-340-540_vs_7-2-11"]


@pytest.mark.parametrize("test_name,method", [("wald", "wald"), ("adjusted.wald", "adjusted-wald")])
@pytest.mark.parametrize("key", PAIRS)
def test_nps_diff_equals_two_sample_nps_test(key, test_name, method):
    """Two-sample ``nps_test_``: same SE and p. The package centres its interval on the
    *absolute* (for adjusted.wald: adjusted) difference; the pairs are ordered so that
    the first NPS is larger, where that equals cxlab's signed centre."""
    ka, kb = key.split("_vs_")
    a = dict(zip(("detractors", "passives", "promoters"), _counts(ka), strict=True))
    b = dict(zip(("detractors", "passives", "promoters"), _counts(kb), strict=True))
    r = cs.nps_diff(a, b, method=method)
    ref = _sel(_csv("r_nps_diff.csv"), case=key, test=test_name)
    np.testing.assert_allclose(r["se"] / 100, _lookup(ref, quantity="se"), rtol=RTOL)
    np.testing.assert_allclose(r["low"] / 100, _lookup(ref, quantity="low"), rtol=RTOL)
    np.testing.assert_allclose(r["high"] / 100, _lookup(ref, quantity="high"), rtol=RTOL)
    np.testing.assert_allclose(r["p"], _lookup(ref, quantity="p"), rtol=1e-9)
    centre = (r["low"] + r["high"]) / 200
    np.testing.assert_allclose(centre, _lookup(ref, quantity="delta"), rtol=RTOL)
    if method == "wald":
        np.testing.assert_allclose(r["diff"] / 100, _lookup(ref, quantity="delta"), rtol=RTOL)


# ----------------------------------------------------------------------- 7. proportions

PROPS = ["80/100", "0/12", "12/12", "3/17", "451/1003"]


@pytest.mark.parametrize("level", ["0.95", "0.8"])
@pytest.mark.parametrize("method", ["wilson", "beta", "agresti_coull", "jeffreys"])
@pytest.mark.parametrize("key", PROPS)
def test_proportion_ci_equals_r(key, method, level):
    """Wilson = ``prop.test(correct=FALSE)``; Clopper-Pearson (``beta``) = ``binom.test``;
    Agresti-Coull written out (clipped to [0, 1]); Jeffreys = ``qbeta(k + 1/2, n - k + 1/2)``
    equal-tailed (no special case at k = 0 or n, as in statsmodels)."""
    k, n = (int(v) for v in key.split("/"))
    _, low, high = cs.proportion_ci(k, n, level=float(level), method=method)
    ref = _sel(_csv("r_prop.csv"), case=key, level=level, method=method)
    np.testing.assert_allclose(low / 100, _lookup(ref, quantity="low"), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(high / 100, _lookup(ref, quantity="high"), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("level", ["0.95", "0.8"])
def test_mean_ci_equals_t_test(attitude, level):
    """``mean_ci`` from (sum, sum of squares, n) equals ``t.test`` on the raw values."""
    ref = _sel(_csv("r_mean.csv"), level=level)
    for col in ["rating", *DRIVERS]:
        x = attitude[col].to_numpy(float)
        got = cs.mean_ci(x.sum(), (x * x).sum(), len(x), level=float(level))
        sel = _sel(ref, case=col)
        for v, q in zip(got, ("mean", "se", "low", "high"), strict=True):
            np.testing.assert_allclose(v, _lookup(sel, quantity=q), rtol=1e-10)
