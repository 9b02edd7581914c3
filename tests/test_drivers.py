"""Key driver analysis: checked against brute-force regressions on rows, planted truth."""

from __future__ import annotations

import math
from itertools import combinations, permutations

import duckdb
import ibis
import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.datasets
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from matplotlib.collections import LineCollection, PathCollection

from cxlab import warehouse
from cxlab.errors import CxlabError
from cxlab.key_drivers import (
    KeyDrivers,
    adjacent_pairs,
    base_text,
    driver_frame,
    drivers,
    importance_performance,
    moments,
    plot_importance,
    plot_importance_performance,
    ranking_text,
    relative_weights,
    subset_r2,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def longley() -> tuple[pd.DataFrame, str, list[str]]:
    ds = statsmodels.datasets.longley.load_pandas()
    return ds.data.astype(float), ds.endog_name, list(ds.exog.columns)


def _ols_r2(df: pd.DataFrame, y: str, xs: list[str]) -> float:
    if not xs:
        return 0.0
    return float(sm.OLS(df[y], sm.add_constant(df[list(xs)])).fit().rsquared)


def _lmg_by_permutations(df: pd.DataFrame, y: str, xs: list[str], r2=_ols_r2) -> dict:
    """LMG: each driver's R^2 increment averaged over all p! orders of entry, every
    R^2 from a model fitted on the rows (memoised by subset)."""
    cache: dict[frozenset, float] = {}

    def fit(s: frozenset) -> float:
        if s not in cache:
            cache[s] = r2(df, y, sorted(s))
        return cache[s]

    total = dict.fromkeys(xs, 0.0)
    orders = list(permutations(xs))
    for order in orders:
        seen: frozenset = frozenset()
        for x in order:
            total[x] += fit(seen | {x}) - fit(seen)
            seen = seen | {x}
    return {x: v / len(orders) for x, v in total.items()}


# --------------------------------------------------------------------------- reference values


def test_subset_r2_equals_ols_fits_on_rows(longley):
    df, y, xs = longley
    m = moments(df, [y, *xs])
    r2 = subset_r2(m.corr[1:, 1:], m.corr[1:, 0])
    for k in range(1, len(xs) + 1):
        for comb in combinations(range(len(xs)), k):
            mask = sum(1 << j for j in comb)
            assert r2[mask] == pytest.approx(_ols_r2(df, y, [xs[j] for j in comb]), abs=1e-10)


def test_shapley_equals_lmg_by_permutation_and_general_dominance(longley):
    df, y, xs = longley
    lmg = _lmg_by_permutations(df, y, xs)
    sh = drivers(df, y, xs, method="shapley").set_index("driver")
    dom_fit = KeyDrivers(method="dominance").fit(df, y, xs)
    dom = dom_fit.importance_.set_index("driver")
    for x in xs:
        assert sh.loc[x, "importance"] == pytest.approx(lmg[x], abs=1e-10)
        assert dom.loc[x, "importance"] == pytest.approx(lmg[x], abs=1e-10)
    full = _ols_r2(df, y, xs)
    assert sh["importance"].sum() == pytest.approx(full, abs=1e-10)
    assert sh["share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert sh["r2"].iloc[0] == pytest.approx(full, abs=1e-10)
    # sign = sign of the full-model coefficient (Displayr's convention)
    coef = sm.OLS(df[y], sm.add_constant(df[xs])).fit().params
    for x in xs:
        assert sh.loc[x, "sign"] == np.sign(coef[x])
    # conditional dominance at size 0 is r^2, at size p-1 the usefulness of the driver
    cond = dom_fit.conditional_dominance_
    for x in xs:
        assert cond.loc[x, "k=0"] == pytest.approx(_ols_r2(df, y, [x]), abs=1e-10)
        rest = [v for v in xs if v != x]
        assert cond.loc[x, f"k={len(xs) - 1}"] == pytest.approx(
            full - _ols_r2(df, y, rest), abs=1e-10
        )


def test_complete_dominance_matches_brute_force():
    ds = statsmodels.datasets.stackloss.load_pandas()
    df, y, xs = ds.data.astype(float), ds.endog_name, list(ds.exog.columns)
    comp = KeyDrivers(method="dominance").fit(df, y, xs).complete_dominance_
    for a in xs:
        for b in xs:
            if a == b:
                continue
            others = [v for v in xs if v not in (a, b)]
            subsets = [list(s) for k in range(len(others) + 1) for s in combinations(others, k)]
            expected = all(_ols_r2(df, y, s + [a]) > _ols_r2(df, y, s + [b]) for s in subsets)
            assert bool(comp.loc[a, b]) == expected
    # AIRFLOW dominates both others completely in the stack-loss data
    assert comp.loc["AIRFLOW"].drop("AIRFLOW").all()


def test_relative_weights_match_johnson_svd_on_rows(longley):
    """Johnson (2000) as published: SVD of the standardized rows X = P D Q', Z = P Q',
    beta = regression of y on Z, Lambda = Q D Q' / sqrt(n - 1), eps = Lambda^2 beta^2."""
    df, y, xs = longley
    x = df[xs].to_numpy()
    x = (x - x.mean(0)) / x.std(0, ddof=1)
    yy = df[y].to_numpy()
    yy = (yy - yy.mean()) / yy.std(ddof=1)
    p_, d, qt = np.linalg.svd(x, full_matrices=False)
    z = p_ @ qt
    beta = np.linalg.lstsq(z, yy, rcond=None)[0] / math.sqrt(len(yy) - 1)  # std. Z
    lam = qt.T @ np.diag(d) @ qt / math.sqrt(len(yy) - 1)
    eps = (lam**2) @ (beta**2)
    res = drivers(df, y, xs, method="relative-weights").set_index("driver")
    for j, v in enumerate(xs):
        assert res.loc[v, "importance"] == pytest.approx(eps[j], abs=1e-9)
    assert res["importance"].sum() == pytest.approx(_ols_r2(df, y, xs), abs=1e-10)
    assert res["share"].sum() == pytest.approx(1.0)


def test_correlation_method_is_squared_correlation(longley):
    df, y, xs = longley
    res = drivers(df, y, xs, method="correlation").set_index("driver")
    for x in xs:
        r = np.corrcoef(df[y], df[x])[0, 1]
        assert res.loc[x, "importance"] == pytest.approx(r**2, abs=1e-12)
        assert res.loc[x, "sign"] == np.sign(r)
    assert res["share"].sum() == pytest.approx(1.0)


def test_relative_weights_orthogonal_drivers_are_squared_correlations():
    rxy = np.array([0.3, -0.4, 0.1])
    assert relative_weights(np.eye(3), rxy) == pytest.approx(rxy**2, abs=1e-15)


# --------------------------------------------------------------------------- engine, weights


def test_engine_correlation_matrix_equals_numpy_on_duckdb_file(tmp_path):
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(1e6, 3.0, (2000, 4)), columns=["y", "a", "b", "c"])
    df.loc[::7, "b"] = np.nan
    db = tmp_path / "d.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t AS SELECT * FROM df")
    t = ibis.duckdb.connect(str(db), read_only=True).table("t")
    m = moments(t, ["y", "a", "b", "c"])
    complete = df.dropna()
    assert m.n == len(complete) and m.n_rows == 2000 and m.n_dropped == len(df) - len(complete)
    assert m.corr == pytest.approx(np.corrcoef(complete.to_numpy().T), abs=1e-12)
    assert m.cov == pytest.approx(np.cov(complete.to_numpy().T, ddof=0), rel=1e-10)
    fit = KeyDrivers(method="shapley").fit(t, "y", ["a", "b", "c"])
    assert fit.n_dropped_ == len(df) - len(complete)
    assert (fit.importance_["n"] == len(complete)).all()


def _toy(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    x = rng.normal(size=(n, 4)) + 0.6 * f[:, None]
    y = x @ np.array([0.8, 0.5, 0.2, 0.0]) + rng.normal(size=n)
    df = pd.DataFrame(np.round(x * 2 + 5), columns=["a", "b", "c", "d"])
    df["y"] = np.round(y * 2 + 5)
    return df


def test_weights_equal_replicated_rows():
    df = _toy(300, 1)
    df["w"] = np.random.default_rng(2).integers(0, 4, len(df))
    rep = df.loc[df.index.repeat(df["w"])]
    for method in ("relative-weights", "shapley"):
        a = drivers(df, "y", list("abcd"), method=method, weight="w").set_index("driver")
        b = drivers(rep, "y", list("abcd"), method=method).set_index("driver")
        assert a["importance"].to_numpy() == pytest.approx(b["importance"].to_numpy(), abs=1e-12)
        assert a["mean"].to_numpy() == pytest.approx(b["mean"].to_numpy(), abs=1e-12)
        w = df["w"].to_numpy(float)
        assert a["n_eff"].iloc[0] == pytest.approx(w.sum() ** 2 / (w**2).sum(), abs=0.05)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scale=st.floats(0.01, 100).flatmap(lambda s: st.sampled_from([s, -s])),
    shift=st.floats(-1e3, 1e3),
    order=st.permutations(list("abcd")),
)
def test_invariant_to_scaling_and_order(scale, shift, order):
    df = _toy(400, 5)
    base = drivers(df, "y", list("abcd"), method="shapley").set_index("driver")
    moved = df.assign(b=df["b"] * scale + shift)
    res = drivers(moved, "y", order, method="shapley").set_index("driver")
    assert res.loc[list("abcd"), "importance"].to_numpy() == pytest.approx(
        base["importance"].to_numpy(), abs=1e-9
    )
    assert res.loc["b", "sign"] == base.loc["b", "sign"] * np.sign(scale)
    rw = drivers(moved, "y", order).set_index("driver")
    rw0 = drivers(df, "y", list("abcd")).set_index("driver")
    assert rw.loc[list("abcd"), "importance"].to_numpy() == pytest.approx(
        rw0["importance"].to_numpy(), abs=1e-9
    )


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_intervals_contain_estimate_and_shrink_with_n():
    small = drivers(_toy(500, 7), "y", list("abcd"), method="shapley", n_boot=150)
    big = drivers(_toy(8000, 7), "y", list("abcd"), method="shapley", n_boot=150)
    for res in (small, big):
        assert (res["low"] <= res["importance"]).all() and (res["importance"] <= res["high"]).all()
        assert (res["share_low"] <= res["share"]).all() and (
            res["share"] <= res["share_high"]
        ).all()
    ws = (small["high"] - small["low"]).to_numpy()
    wb = (big["high"] - big["low"]).to_numpy()
    assert np.median(wb / ws) < 0.45  # about 1/4 (sqrt(16)); generous for noise
    again = drivers(_toy(500, 7), "y", list("abcd"), method="shapley", n_boot=150)
    pd.testing.assert_frame_equal(small, again)  # deterministic replicates
    other = drivers(_toy(500, 7), "y", list("abcd"), method="shapley", n_boot=150, seed=1)
    assert not np.allclose(other["low"], small["low"])


def test_bootstrap_coverage_matches_sampling_spread():
    """The bootstrap sd of an importance matches its sd over fresh samples."""
    fresh = [
        drivers(_toy(1000, s), "y", list("abcd"), method="relative-weights")
        .set_index("driver")
        .loc["a", "importance"]
        for s in range(100, 140)
    ]
    res = drivers(_toy(1000, 100), "y", list("abcd"), n_boot=300, level=0.6827)
    half = res.set_index("driver").loc["a", ["low", "high"]].diff().iloc[-1] / 2
    assert half == pytest.approx(np.std(fresh, ddof=1), rel=0.35)


# --------------------------------------------------------------------------- logistic


def test_logistic_shapley_equals_mcfadden_lmg_on_rows():
    ds = statsmodels.datasets.spector.load_pandas()
    df, y, xs = ds.data.astype(float), ds.endog_name, list(ds.exog.columns)

    def mcfadden(d, yy, cols):
        if not cols:
            return 0.0
        return float(sm.Logit(d[yy], sm.add_constant(d[list(cols)])).fit(disp=0).prsquared)

    lmg = _lmg_by_permutations(df, y, xs, r2=mcfadden)
    res = drivers(df, y, xs, method="shapley", family="logistic").set_index("driver")
    for x in xs:
        assert res.loc[x, "importance"] == pytest.approx(lmg[x], abs=1e-7)
    assert res["importance"].sum() == pytest.approx(mcfadden(df, y, xs), abs=1e-7)
    assert res["share"].sum() == pytest.approx(1.0)


def test_logistic_relative_weights_tonidandel_lebreton():
    ds = statsmodels.datasets.spector.load_pandas()
    df, y, xs = ds.data.astype(float), ds.endog_name, list(ds.exog.columns)
    res = drivers(df, y, xs, family="logistic").set_index("driver")
    fit = sm.Logit(df[y], sm.add_constant(df[xs])).fit(disp=0)
    r_o = np.corrcoef(df[y], fit.predict())[0, 1]
    assert res["importance"].sum() == pytest.approx(r_o**2, abs=1e-7)
    assert res.loc["PSI", "sign"] == np.sign(fit.params["PSI"])
    # grouped fitting equals fitting on replicated rows
    rep = pd.concat([df, df, df], ignore_index=True)
    again = drivers(rep, y, xs, family="logistic").set_index("driver")
    assert again["importance"].to_numpy() == pytest.approx(res["importance"].to_numpy(), abs=1e-8)
    boot = drivers(df, y, xs, family="logistic", n_boot=50)
    assert (boot["low"] <= boot["importance"]).all() and (boot["importance"] <= boot["high"]).all()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.assign(c=d["a"] + d["b"]), {}, "perfectly collinear"),
        (lambda d: d.assign(c=3.0), {}, "constant"),
        (lambda d: d.head(4), {}, "too few complete rows"),
        (lambda d: d.assign(c="x"), {}, "must be numeric"),
        (lambda d: d.assign(w=-1.0), {"weight": "w"}, "negative weight"),
        (lambda d: d.assign(c=np.nan), {}, "no complete rows"),
        (lambda d: d, {"method": "lmg"}, "method must be one of"),
        (lambda d: d, {"family": "logistic"}, "0/1"),
        (lambda d: d, {"n_boot": 1}, "n_boot must be"),
        pytest.param(  # the deprecated name is the one the message names
            lambda d: d,
            {"bootstrap": 1},
            "bootstrap must be",
            marks=pytest.mark.filterwarnings("ignore::DeprecationWarning"),
        ),
    ],
)
def test_bad_input_raises_clear_error(change, kwargs, message):
    df = change(_toy(100, 3))
    with pytest.raises(CxlabError, match=message):
        drivers(df, "y", ["a", "b", "c"], **kwargs)


def test_too_many_drivers_for_exact_methods():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(200, 22)), columns=[f"x{i}" for i in range(22)])
    df["y"] = df.sum(axis=1)
    cols = [f"x{i}" for i in range(21)]
    with pytest.raises(CxlabError, match="relative-weights"):
        drivers(df, "y", cols, method="shapley")
    assert len(drivers(df, "y", cols)) == 21  # relative weights have no limit
    with pytest.raises(CxlabError, match="also listed as a driver"):
        drivers(df, "y", ["y", "x1"])


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo_drivers(demo_warehouse):
    db, truth = demo_warehouse
    con = warehouse.connect(db)
    wide = driver_frame(con.table("attribute_ratings"), con.table("responses"))
    return wide, truth


def test_driver_frame_pivots_like_pandas(demo_drivers, demo_warehouse):
    wide, truth = demo_drivers
    db, _ = demo_warehouse
    con = warehouse.connect(db)
    long = con.table("attribute_ratings").to_pandas()
    ltr = con.table("responses").select("response_id", "ltr", "weight").to_pandas()
    expected = long.pivot(index="response_id", columns="attribute", values="rating")
    expected = expected.join(ltr.set_index("response_id")).sort_index()
    got = wide.to_pandas().set_index("response_id").sort_index()
    assert sorted(c for c in got.columns if c not in ("ltr", "weight")) == sorted(
        truth["drivers"]["attributes"]
    )
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)


@pytest.mark.parametrize("method", ["relative-weights", "shapley", "correlation"])
def test_demo_recovers_planted_key_weaknesses(demo_drivers, method):
    wide, truth = demo_drivers
    attrs = truth["drivers"]["attributes"]
    fit = KeyDrivers(method=method, weight="weight").fit(wide, "ltr", attrs)
    res = fit.importance_
    top3 = set(res["driver"].head(3))
    assert top3 == set(truth["drivers"]["key_weaknesses"])
    assert (res["sign"] == 1).all()
    assert fit.n_dropped_ > 0  # "don't know" answers are dropped listwise
    if method != "correlation":
        ip = importance_performance(res)
        weak = set(ip.loc[ip["quadrant"] == "key weakness", "driver"])
        assert weak == top3
        # the shares land near the population Shapley shares of the generating model
        share = res.set_index("driver")["share"]
        for a, s in truth["drivers"]["population_shapley_share"].items():
            assert share[a] == pytest.approx(s, abs=0.05)


def test_demo_logistic_detractor_drivers(demo_drivers):
    wide, truth = demo_drivers
    wide = wide.mutate(detractor=(wide.ltr <= 6).cast("int64"))
    res = drivers(wide, "detractor", truth["drivers"]["attributes"], family="logistic")
    assert set(res["driver"].head(3)) == set(truth["drivers"]["key_weaknesses"])
    assert (res["sign"] == -1).all()  # better ratings, fewer detractors


def test_importance_performance_chart(demo_drivers):
    wide, truth = demo_drivers
    res = drivers(wide, "ltr", truth["drivers"]["attributes"], n_boot=20)
    ip = importance_performance(res)
    assert set(ip["quadrant"]) <= {
        "key weakness",
        "key strength",
        "secondary weakness",
        "secondary strength",
    }
    assert ip["importance_cut"].to_numpy() == pytest.approx(0.1)  # mean share over 10 drivers
    ax = plot_importance_performance(ip, title="Drivers of LTR")
    texts = {t.get_text() for t in ax.texts}
    assert set(truth["drivers"]["attributes"]) <= texts
    assert any("KEY WEAKNESSES" in t for t in texts)
    with pytest.raises(CxlabError, match="missing driver"):
        importance_performance(res, performance={"Price": 5.0})


# ------------------------------------------------------------- scale-free input checks

# mtcars (Henderson & Velleman 1981; R's datasets::mtcars): mpg, disp, hp, wt of 32 cars.
MTCARS = pd.DataFrame(
    {
        "mpg": [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3,
                15.2, 10.4, 10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3,
                26.0, 30.4, 15.8, 19.7, 15.0, 21.4],
        "disp": [160.0, 160.0, 108.0, 258.0, 360.0, 225.0, 360.0, 146.7, 140.8, 167.6, 167.6,
                 275.8, 275.8, 275.8, 472.0, 460.0, 440.0, 78.7, 75.7, 71.1, 120.1, 318.0,
                 304.0, 350.0, 400.0, 79.0, 120.3, 95.1, 351.0, 145.0, 301.0, 121.0],
        "hp": [110, 110, 93, 110, 175, 105, 245, 62, 95, 123, 123, 180, 180, 180, 205, 215,
               230, 66, 52, 65, 97, 150, 150, 245, 175, 66, 91, 113, 264, 175, 335, 109],
        "wt": [2.620, 2.875, 2.320, 3.215, 3.440, 3.460, 3.570, 3.190, 3.150, 3.440, 3.440,
               4.070, 3.730, 3.780, 5.250, 5.424, 5.345, 2.200, 1.615, 1.835, 2.465, 3.520,
               3.435, 3.840, 3.845, 1.935, 2.140, 1.513, 3.170, 2.770, 3.570, 2.780],
    }
)  # fmt: skip


def test_mtcars_is_the_published_data():
    # R: sapply(mtcars[c("mpg", "disp", "hp", "wt")], mean) and sd
    assert MTCARS.mean().tolist() == pytest.approx(
        [20.09062, 230.7219, 146.6875, 3.21725], abs=1e-4
    )
    assert MTCARS.std().tolist() == pytest.approx(
        [6.026948, 123.9387, 68.56287, 0.9784574], abs=1e-4
    )


def test_cubic_terms_match_lmg_on_rows():
    # D1: hp^3 has variance ~1e14, so "variance below 1e-12 x the largest covariance"
    # called mpg and wt constant. The reference is LMG from OLS fits on the rows.
    df = MTCARS.assign(hp2=MTCARS["hp"] ** 2, hp3=MTCARS["hp"] ** 3)
    xs = ["wt", "hp", "hp2", "hp3"]
    lmg = _lmg_by_permutations(df, "mpg", xs)
    res = drivers(df, "mpg", xs, method="shapley").set_index("driver")
    for x in xs:
        assert res.loc[x, "importance"] == pytest.approx(lmg[x], abs=1e-9)
    assert res["r2"].iloc[0] == pytest.approx(_ols_r2(df, "mpg", xs), abs=1e-9)


def test_a_currency_driver_does_not_make_ratings_constant():
    # D1: spend in currency units (sd 5e6) next to 0-10 ratings; rescaling spend must
    # not turn a result into an error, nor change it.
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"ease": rng.integers(0, 11, 400).astype(float)})
    df["spend"] = rng.normal(0, 5e6, 400)
    df["ltr"] = np.clip(np.round(0.5 * df["ease"] + df["spend"] / 5e6 + 3), 0, 10)
    ref = drivers(df.assign(spend=df["spend"] / 5e6), "ltr", ["ease", "spend"])
    res = drivers(df, "ltr", ["ease", "spend"])
    assert res["importance"].to_numpy() == pytest.approx(ref["importance"].to_numpy(), abs=1e-12)
    # a small-scale driver is not constant either; a truly constant one still is
    tiny = df.assign(ease=df["ease"] * 1e-9, big=1e9)
    assert len(drivers(tiny, "ltr", ["ease", "spend"])) == 2
    with pytest.raises(CxlabError, match=r"'big' are constant"):
        drivers(tiny, "ltr", ["ease", "spend", "big"])
    with pytest.raises(CxlabError, match=r"'ltr' are constant"):
        drivers(df.assign(ltr=7.0), "ltr", ["ease", "spend"])


def test_infinite_values_are_refused_by_column_and_row(tmp_path):
    # D2: +inf gave "Eigenvalues did not converge" or all-NaN importances silently.
    df = _toy(200, 9)
    df["w"] = 1.0
    bad = df.copy()
    bad.loc[[3, 17], "b"] = np.inf
    bad.loc[40, "w"] = -np.inf
    for method in ("relative-weights", "shapley", "correlation"):
        with pytest.raises(CxlabError, match=r"infinite.*'b': 2 row\(s\) at index 3, 17") as e:
            drivers(bad, "y", list("abcd"), method=method)
        assert "'w'" not in str(e.value)  # not asked for: no weight in this call
    with pytest.raises(CxlabError, match=r"'b': 2 row\(s\).*'w': 1 row\(s\) at index 40"):
        drivers(bad, "y", list("abcd"), weight="w")
    # Ibis table on a DuckDB file: counted in the engine
    path = tmp_path / "inf.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("src", bad)
        con.execute("CREATE TABLE t AS SELECT * FROM src")
    con = ibis.duckdb.connect(str(path), read_only=True)
    with pytest.raises(CxlabError, match=r"infinite values \(\+inf or -inf\) in 'b': 2 row\(s\)\."):
        drivers(con.table("t"), "y", list("abcd"))
    con.disconnect()


_BASE = {}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(column="b", log_scale=8.0, shift=0.0, method="shapley")  # the others "constant"
@example(column="y", log_scale=-8.0, shift=1e3, method="relative-weights")
@given(
    column=st.sampled_from(["y", "a", "b", "c", "d"]),
    log_scale=st.floats(-8, 8),
    shift=st.floats(-1e3, 1e3),
    method=st.sampled_from(["relative-weights", "shapley", "dominance", "correlation"]),
)
def test_importances_do_not_depend_on_units(column, log_scale, shift, method):
    """Rescaling (1e-8..1e8) or shifting any driver or the outcome changes nothing."""
    df = _toy(300, 21)
    if method not in _BASE:
        _BASE[method] = drivers(df, "y", list("abcd"), method=method).set_index("driver")
    base = _BASE[method]
    scale = 10.0**log_scale
    moved = df.assign(**{column: (df[column] + shift) * scale})
    res = drivers(moved, "y", list("abcd"), method=method).set_index("driver")
    for col in ("importance", "share", "r", "beta"):
        assert res.loc[list("abcd"), col].to_numpy() == pytest.approx(
            base.loc[list("abcd"), col].to_numpy(), abs=1e-9
        ), col
    assert res["sign"].tolist() == base["sign"].tolist()


# ------------------------------------------------------------- report sentences (issue 9)


def test_ranking_text_covers_every_adjacent_pair():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 4))
    df = pd.DataFrame(x, columns=list("abcd"))
    df["y"] = 3 * df["a"] + 1.5 * df["b"] + 0.4 * df["c"] + 0.4 * df["d"] + rng.normal(size=2000)
    fit = KeyDrivers(method="shapley", n_boot=100).fit(df, "y", list("abcd"))
    res = fit.importance_
    adj = adjacent_pairs(fit)
    assert adj["rank"].tolist() == [1, 2, 3]
    assert adj["driver"].tolist() == res["driver"].head(3).tolist()
    assert adj["next_driver"].tolist() == res["driver"].iloc[1:].tolist()
    assert (adj["basis"] == "difference").all()
    assert adj["separated"].tolist() == ((adj["low"] > 0) | (adj["high"] < 0)).tolist()
    assert adj["diff"].to_numpy() == pytest.approx(-np.diff(res["share"].to_numpy()))
    # a and b are far apart, b and the next too; c and d were planted equal
    assert adj["separated"].tolist()[:2] == [True, True] and not adj["separated"].iloc[2]
    text = ranking_text(fit)
    for k in (1, 2, 3):
        assert f"{k} vs {k + 1} (" in text
    assert text.count("cannot be told apart") == 1 and text.count(", told apart") == 2
    # without replicates (the table alone): the overlap of the share intervals, every pair
    plain = res.copy()
    assert adjacent_pairs(plain)["basis"].eq("overlap").all()
    assert ranking_text(plain).count(" vs ") == 3
    assert "bootstrap = 0" in ranking_text(drivers(df, "y", list("abcd")))


def test_ranking_text_escapes_names():
    rng = np.random.default_rng(4)
    df = pd.DataFrame(rng.normal(size=(300, 2)), columns=["*x*", "[y](http://e.test)"])
    df["out"] = df["*x*"] + rng.normal(size=300)
    text = ranking_text(drivers(df, "out", ["*x*", "[y](http://e.test)"], n_boot=20))
    assert "*x*" not in text and "[y](" not in text


def test_base_text_and_chart_labels_name_n_and_effective_n():
    from matplotlib.figure import Figure

    from cxlab import plots

    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.normal(size=(400, 2)), columns=["a", "b"])
    df["y"] = df["a"] + rng.normal(size=400)
    df["w"] = rng.uniform(0.2, 3.0, 400)
    res = drivers(df, "y", ["a", "b"], weight="w")
    n, ne = int(res["n"].iloc[0]), float(res["n_eff"].iloc[0])
    assert ne < n - 1
    assert base_text(res) == f"n = {n:,} responses (effective n = {ne:,.0f} with weights)"
    assert base_text(drivers(df, "y", ["a", "b"])) == f"n = {n:,} responses"
    ax = Figure().subplots()
    frame = res.assign(low=res["share"] - 0.1, high=res["share"] + 0.1)
    plots.plot_intervals(frame, "driver", estimate="share", ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert all(f"(n={n:,}, effective n={ne:,.0f})" in lab for lab in labels)
    ax = Figure().subplots()
    plots.plot_intervals(frame.drop(columns="n_eff"), "driver", estimate="share", ax=ax)
    assert all(t.get_text().endswith(f"(n={n:,})") for t in ax.get_yticklabels())


# ------------------------------------------------- the fitted object and the plain table


def test_drivers_table_has_no_attrs_and_merges_under_pandas_3():
    # attrs holding DataFrames made pandas 3 raise "The truth value of a DataFrame is
    # ambiguous" when a dominance result was merged with itself
    df = _toy(300, 11)
    for method in ("dominance", "shapley"):
        res = drivers(df, "y", list("abcd"), method=method, n_boot=20)
        assert res.attrs == {}
        merged = res.merge(res[["driver"]], on="driver")
        assert merged["driver"].tolist() == res["driver"].tolist()
    ip = importance_performance(res)
    assert ip.attrs == {}
    assert ip.merge(ip[["driver"]], on="driver").shape == ip.shape


def test_key_drivers_holds_every_part_of_the_result():
    df = _toy(400, 12)
    df.loc[:9, "c"] = np.nan
    df["w"] = np.random.default_rng(13).uniform(0.5, 2.0, len(df))
    fit = KeyDrivers(method="dominance", weight="w", n_boot=30, seed=3).fit(
        df, score="y", drivers=list("abcd")
    )
    table = drivers(df, "y", list("abcd"), method="dominance", weight="w", n_boot=30, seed=3)
    pd.testing.assert_frame_equal(fit.importance_, table)
    complete = df.dropna()
    w = complete["w"].to_numpy()
    assert (fit.n_rows_, fit.n_, fit.n_dropped_) == (400, len(complete), 10)
    assert fit.n_eff_ == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
    wls = sm.WLS(complete["y"], sm.add_constant(complete[list("abcd")]), weights=w).fit()
    assert fit.r2_ == pytest.approx(wls.rsquared, abs=1e-10)
    assert fit.r2_mcfadden_ is None and fit.n_boot_failed_ == 0
    assert list(fit.conditional_dominance_.columns) == ["k=0", "k=1", "k=2", "k=3"]
    assert sorted(fit.complete_dominance_.index) == list("abcd")
    assert fit.adjacent_["driver"].tolist() == fit.importance_["driver"].head(3).tolist()
    summary = fit.summary()
    assert len(summary) == 1
    assert summary.loc[0, ["score", "n", "n_dropped", "n_boot"]].tolist() == ["y", 390, 10, 30]
    # no bootstrap: no adjacent pairs; not dominance: no dominance tables
    plain = KeyDrivers(method="shapley").fit(df, "y", list("abcd"))
    assert plain.adjacent_ is None and plain.conditional_dominance_ is None
    assert plain.complete_dominance_ is None


def test_key_drivers_refuses_bad_options_and_use_before_fit():
    with pytest.raises(CxlabError, match="method must be one of"):
        KeyDrivers(method="lmg")
    with pytest.raises(CxlabError, match="n_boot must be 0 or an integer >= 2"):
        KeyDrivers(n_boot=1)
    with pytest.raises(CxlabError, match="level must lie strictly between 0 and 1"):
        KeyDrivers(level=95)
    with pytest.raises(CxlabError, match="not fitted yet"):
        KeyDrivers().summary()


def test_former_keywords_outcome_and_bootstrap_still_work():
    df = _toy(300, 14)
    new = drivers(df, score="y", drivers=list("abcd"), n_boot=20)
    with pytest.warns(DeprecationWarning, match="outcome= is now called score="):
        old = drivers(df, outcome="y", drivers=list("abcd"), n_boot=20)
    pd.testing.assert_frame_equal(new, old)
    with pytest.warns(DeprecationWarning, match="bootstrap= is now called n_boot="):
        old = drivers(df, "y", list("abcd"), bootstrap=20)
    pd.testing.assert_frame_equal(new, old)
    with pytest.raises(CxlabError, match="not both"):
        drivers(df, "y", list("abcd"), n_boot=20, bootstrap=20)
    with pytest.raises(CxlabError, match="give the score column"):
        drivers(df, drivers=list("abcd"))
    long = pd.DataFrame({"response_id": ["r1", "r1"], "attribute": ["x", "y"], "rating": [3, 4]})
    resp = pd.DataFrame({"response_id": ["r1"], "nps_score": [9], "weight": [1.0]})
    with pytest.warns(DeprecationWarning, match="outcome= is now called score="):
        old = driver_frame(long, resp, outcome="nps_score").to_pandas()
    new = driver_frame(long, resp, score="nps_score").to_pandas()
    pd.testing.assert_frame_equal(old, new)
    assert new.columns.tolist() == ["response_id", "x", "y", "nps_score", "weight"]


def test_plot_importance_draws_each_driver_in_rank_order():
    import matplotlib.pyplot as plt

    df = _toy(500, 15)
    fit = KeyDrivers(method="shapley", n_boot=20).fit(df, "y", list("abcd"))
    fig = plt.figure()
    try:
        ax = fit.plot(s=99, marker="D")  # no ax: the current Axes, no new figure
        assert ax is fig.gca() and plt.gcf() is fig
        (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(dots.get_offsets()) == 4 and dots.get_sizes().tolist() == [99.0]
        share = fit.importance_["share"].to_numpy() * 100
        assert sorted(dots.get_offsets()[:, 0]) == pytest.approx(sorted(share))
        labels = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
        assert [t.get_text() for t in labels] == fit.importance_["driver"].tolist()
        assert ax.get_xlim()[0] == 0.0
        assert ax.get_xlim()[1] >= fit.importance_["share_high"].max() * 100
        (bars,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        ends = np.sort([seg[:, 0] for seg in bars.get_segments()], axis=0)
        want = np.sort(fit.importance_[["share_low", "share_high"]].to_numpy() * 100, axis=0)
        assert ends == pytest.approx(want)  # one interval per driver, low to high
        # the table alone draws the same, here as fractions
        ax2 = plot_importance(fit.importance_, ax=fig.add_subplot(2, 1, 2), percent=False)
        (dots2,) = [c for c in ax2.collections if isinstance(c, PathCollection)]
        x1, x100 = (np.asarray(d.get_offsets())[:, 0] for d in (dots2, dots))
        assert x1.tolist() == pytest.approx((x100 / 100).tolist())
    finally:
        plt.close(fig)


def test_plot_importance_performance_draws_on_the_current_axes():
    import matplotlib.pyplot as plt

    res = pd.DataFrame(
        {"driver": ["a", "b", "c"], "share": [0.5, 0.3, 0.2], "mean": [5.0, 8.0, 6.0]}
    )
    ip = importance_performance(res)
    assert ip["performance_cut"].to_numpy() == pytest.approx(19 / 3)
    fig = plt.figure()
    try:
        n_figs = len(plt.get_fignums())
        ax = plot_importance_performance(ip, alpha=0.5)
        assert ax is fig.gca() and len(plt.get_fignums()) == n_figs
        (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert dots.get_offsets().tolist() == [[5.0, 50.0], [8.0, 30.0], [6.0, 20.0]]
        assert dots.get_alpha() == 0.5
        assert {"a", "b", "c"} <= {t.get_text() for t in ax.texts}
        x0, x1 = ax.get_xlim()
        assert x0 < 5.0 and x1 > 8.0 and ax.get_ylim()[0] >= 0.0
        cut_lines = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
        assert sorted(ln.get_xydata()[0, 0] for ln in cut_lines)[-1] == pytest.approx(19 / 3)
        ax2 = plot_importance_performance(ip, ax=fig.add_subplot(2, 1, 2), color="black")
        assert ax2 is not ax and ax2.collections[0].get_facecolors().tolist() == [[0, 0, 0, 1]]
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- narrative
def _battery(n: int, seed: int, names: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 11, size=(n, 3)).astype(float)
    x[:, 1] = np.clip(x[:, 1] + 3, 0, 10)  # the second driver is rated high
    df = pd.DataFrame(x, columns=names)
    df["ltr"] = (0.6 * x[:, 0] + 0.3 * x[:, 1] + rng.normal(0, 2, n)).round()
    return df


def test_lead_is_three_sentences_naming_the_top_drivers_and_the_weak_one():
    from cxlab.key_drivers import KeyDrivers, importance_performance, lead

    names = ["Price <img src=x onerror=alert(1)>", "Staff *friendly*", "Web"]
    fit = KeyDrivers(n_boot=0).fit(_battery(600, 3, names), "ltr", names)
    text = lead(fit)
    assert text.count(". ") + 1 == 3 and text.endswith(".")
    assert "<img" not in text and "&lt;img" in text and r"\*friendly\*" in text
    ip = importance_performance(fit)
    weak = ip.loc[ip.quadrant == "key weakness", "driver"].tolist()
    assert weak == [names[0]]  # important and rated low; the second is rated high
    assert "is important and rated below average: improving it" in text
    assert f"R² = {fit.r2_:.0%}" in text


def test_lead_and_conclusion_warn_on_a_small_base():
    from cxlab.key_drivers import KeyDrivers, conclusion, lead

    names = ["a", "b", "c"]
    small = KeyDrivers(n_boot=0).fit(_battery(120, 4, names), "ltr", names)
    assert "Caution: only 120 complete responses" in lead(small)
    assert "Caution: only 120 complete responses" in conclusion(small)
    assert "not proven cause" in conclusion(small)  # the association caveat stays
    large = KeyDrivers(n_boot=0).fit(_battery(600, 4, names), "ltr", names)
    assert "Caution" not in lead(large) and "not proven cause" in lead(large)


def _label_overlaps(ip: pd.DataFrame, **kwargs) -> list[tuple[str, str]]:
    """Draw the chart as the drivers notebook does; pairs of point or corner labels whose
    boxes overlap once drawn."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from cxlab.plots import style

    with style.context():
        fig, ax = plt.subplots(figsize=style.figsize(5.5))
        FigureCanvasAgg(fig)
        plot_importance_performance(ip, ax=ax, title="Importance-performance", **kwargs)
        fig.canvas.draw()
        names = set(ip["driver"]) | {"KEY WEAKNESSES\nfix first", "KEY STRENGTHS\nprotect"}
        names |= {"secondary weaknesses", "secondary strengths"}
        boxes = [(t.get_text(), t.get_window_extent()) for t in ax.texts if t.get_text() in names]
        plt.close(fig)
    assert {n for n, _ in boxes} == names
    return [(a, b) for (a, ba), (b, bb) in combinations(boxes, 2) if ba.overlaps(bb)]


# the demo company's battery: planted weights (importance) and mean ratings (performance)
_DEMO_BATTERY = {
    "Stock availability": (0.36, 5.0),
    "Pre-order availability": (0.30, 5.4),
    "Phone service": (0.25, 5.8),
    "Staff knowledge": (0.17, 8.0),
    "Delivery speed": (0.11, 7.5),
    "Support resolution": (0.09, 6.9),
    "Price": (0.07, 6.5),
    "Ease of website": (0.05, 8.2),
    "Returns process": (0.04, 7.1),
    "Product range": (0.02, 8.4),
}


@pytest.mark.parametrize("crowd", [0.0, 0.15, 0.3])
def test_importance_performance_labels_never_overlap_on_demo_like_data(crowd):
    """Labels are placed when drawn, clear of each other and of the quadrant names; on the
    demo's battery, and with the points pulled together (crowd) until they nearly touch."""
    w = np.array([v[0] for v in _DEMO_BATTERY.values()])
    perf = np.array([v[1] for v in _DEMO_BATTERY.values()])
    res = pd.DataFrame(
        {
            "driver": list(_DEMO_BATTERY),
            "share": w / w.sum() * (1 - crowd) + crowd / len(w),
            "mean": perf * (1 - crowd) + perf.mean() * crowd,
        }
    )
    assert _label_overlaps(importance_performance(res)) == []


def test_importance_performance_labels_never_overlap_on_the_demo(demo_drivers):
    wide, truth = demo_drivers
    res = drivers(wide, "ltr", truth["drivers"]["attributes"], n_boot=20)
    assert _label_overlaps(importance_performance(res)) == []
