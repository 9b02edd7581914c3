"""Granger tests and the out-of-sample forecast horse race of the CX metrics."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxlab import stats as cxstats
from cxlab._checks import check_level, renamed_keywords
from cxlab.errors import CxlabError
from cxlab.outcomes._common import (
    CX_METRICS,
    EFFECTS,
    PanelLike,
    PanelWarning,
    absorb,
    as_list,
    check_panel,
    interval_levels,
    lagged,
)


@renamed_keywords(panel="data", maxlag="lags")
def granger(
    data: PanelLike,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lags: int = 2,
    level: float = 0.95,
    correction: str = "holm",
    effects: str = "twoway",
) -> pd.DataFrame:
    """Granger-causality tests: do past values of the metric help predict the outcome?

    For each unit, OLS of ``y_t`` on a constant, ``y_{t-1..p}`` and
    ``x_{t-1..p}``; the F test of all ``x`` lags = 0 (Granger 1969,
    *Econometrica* 37; the test of statsmodels ``grangercausalitytests``, here
    on rows built by quarter arithmetic so gaps are never bridged). Pooled: the
    same regression with fixed effects and a cluster-robust Wald test
    (Holtz-Eakin, Newey & Rosen 1988, *Econometrica* 56, with homogeneous
    coefficients). As in :func:`fe_regression`, ``effects="twoway"`` (the default)
    removes unit and quarter effects, so a trend that all units share is not read as
    the metric helping to predict the outcome; ``effects="unit"`` keeps unit effects
    only (``plm(model = "within")``). A single unit's series cannot separate a quarter
    effect from its own dynamics, so the per-unit tests have none: with trending
    series read them with :func:`trend_check`. Fixed effects with a lagged outcome
    carry Nickell (1981) bias of order 1/T, so read the pooled test as indicative.
    "Granger cause" means "precedes and helps predict", not "causes".

    ``lags`` is the number of lags p of both series (its former name ``maxlag=`` still
    works, with a :class:`DeprecationWarning`); ``data`` is the :class:`Panel` (formerly
    ``panel=``).

    Returns
    -------
    pandas.DataFrame
        ``scope`` ("unit" or "pooled"), ``unit, n, df_num, df_den, F, p, p_adj,
        significant, caution`` (the pooled row's names its fixed effects); per-unit
        p-values are corrected across units.
    """
    panel = check_panel(data, [metric, outcome])
    level = check_level(level, "granger")
    if lags < 1:
        raise CxlabError(f"granger: lags must be >= 1, got {lags}.")
    if effects not in EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    df = pd.DataFrame(
        {
            "unit": panel["unit"].to_numpy(),
            "qi": panel["qi"].to_numpy(),
            "y": panel[outcome].to_numpy(float),
        }
    )
    names = []
    for k in range(1, lags + 1):
        df[f"y{k}"] = lagged(panel, outcome, k).to_numpy()
        df[f"x{k}"] = lagged(panel, metric, k).to_numpy()
        names += [f"y{k}", f"x{k}"]
    df = df.dropna().reset_index(drop=True)
    rows = [_granger_unit(u, g, names, lags) for u, g in df.groupby("unit", sort=True)]
    out = pd.DataFrame(rows)
    if len(out):
        out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    pooled = _granger_pooled(df, names, lags, effects)
    if pooled is not None:
        out = pd.concat([out, pd.DataFrame([pooled])], ignore_index=True)
    if out.empty:
        raise CxlabError(
            f"granger {metric} -> {outcome}: no unit has enough consecutive quarters for "
            f"{lags} lag(s)."
        )
    out["significant"] = out["p_adj"] < 1 - level
    out.insert(0, "outcome", outcome)
    out.insert(0, "metric", metric)
    return out


def _granger_unit(u: Any, g: pd.DataFrame, names: list[str], lags: int) -> dict[str, Any]:
    """One unit's Granger F test (OLS on a constant, the outcome's and the metric's lags)."""
    import statsmodels.api as sm

    xnames = [f"x{k}" for k in range(1, lags + 1)]
    row = {"scope": "unit", "unit": u, "n": len(g), "df_num": lags}
    dfd = len(g) - (1 + 2 * lags)
    if dfd < 2:
        return row | {"df_den": dfd, "F": np.nan, "p": np.nan, "caution": "too few quarters"}
    X = sm.add_constant(g[names].to_numpy(float), has_constant="add")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        return row | {"df_den": dfd, "F": np.nan, "p": np.nan, "caution": "constant or collinear"}
    res = sm.OLS(g["y"].to_numpy(float), X).fit()
    R = np.zeros((lags, X.shape[1]))
    for i, nm in enumerate(xnames):
        R[i, 1 + names.index(nm)] = 1
    ft = res.f_test(R)
    caution = "few quarters: low power" if len(g) < 12 else ""
    return row | {
        "df_den": dfd,
        "F": float(np.squeeze(ft.fvalue)),
        "p": float(ft.pvalue),
        "caution": caution,
    }


def _granger_pooled(
    df: pd.DataFrame, names: list[str], lags: int, effects: str
) -> dict[str, Any] | None:
    """The pooled test: fixed effects partialled out, cluster-robust Wald F test (None when
    the data cannot support it)."""
    import statsmodels.api as sm

    xnames = [f"x{k}" for k in range(1, lags + 1)]
    n_units = df["unit"].nunique()
    # the cluster-robust covariance has rank <= G - 1: the joint test needs G > lags
    if not (n_units > lags and len(df) - n_units > len(names) + 1):
        return None
    codes = pd.factorize(df["unit"])[0]
    cols = df[["y", *names]].to_numpy(float)
    absorbed, _m, _q, rank_fe = absorb(codes, df["qi"].to_numpy(), cols, effects)
    X = absorbed[:, 1:]
    if not (np.linalg.matrix_rank(X) == X.shape[1] and len(df) - rank_fe > X.shape[1]):
        return None
    res = sm.OLS(absorbed[:, 0], X).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(df["unit"])[0]},
        use_t=True,
    )
    R = np.zeros((lags, X.shape[1]))
    for i, nm in enumerate(xnames):
        R[i, names.index(nm)] = 1
    ft = res.f_test(R)
    notes = [EFFECTS[effects], "Nickell bias with short panels"]
    if n_units < 20:
        notes.append(f"{n_units} clusters: cluster-robust test is approximate")
    pooled = {
        "scope": "pooled",
        "unit": "ALL",
        "n": len(df),
        "df_num": lags,
        "df_den": n_units - 1,
        "F": float(np.squeeze(ft.fvalue)),
        "p": float(ft.pvalue),
        "caution": "; ".join(notes),
    }
    pooled["p_adj"] = pooled["p"]
    return pooled


@renamed_keywords(panel="data")
def horse_race(
    data: PanelLike,
    outcome: str = "new_customers",
    metrics: str | Sequence[str] | None = None,
    *,
    lag: int = 2,
    min_train: int = 4,
    level: float = 0.95,
    correction: str = "holm",
    trend: bool = True,
) -> pd.DataFrame:
    """Which CX metric forecasts the outcome best, out of sample?

    Rolling origin by quarter: for each quarter t with at least ``min_train``
    earlier quarters of usable data, fit ``y = a_u + g q + b x_{t-lag}`` (unit fixed
    effects and, with ``trend=True``, the default, a linear trend in the quarter
    index q common to all units) on the quarters before t and forecast every unit's
    outcome at t. All metrics, and a benchmark without any CX metric (``"none"``:
    ``y = a_u + g q``, each unit's training mean when ``trend=False``), are scored
    on the same unit-quarters.

    Why a common trend and not the quarter effects of :func:`fe_regression`: a
    quarter's effect cannot be estimated before that quarter has happened, so quarter
    dummies cannot forecast; their forecastable part is the trend that all units
    share. Without it, a metric that merely trends (NPS drifting down while the
    outcome drifts up) beats the unit-mean benchmark by standing in for time, and
    the race would credit the metric with what the calendar predicts. With it, a
    metric must forecast better than the shared trend does. Trends that differ
    between units are left in (four training quarters cannot estimate a slope per
    unit reliably); :func:`trend_check` flags them. ``trend=False`` is the
    unit-effects-only race. The comparison with
    the best metric is a Diebold & Mariano (1995, *JBES* 13) test on the
    per-quarter mean loss differences with the small-sample correction of
    Harvey, Leybourne & Newbold (1997, *IJF* 13), which for one-step forecasts
    is a one-sample t test with T - 1 degrees of freedom; p-values are
    Holm-corrected across the metrics.

    One inference per row: ``low, high`` (and ``low_pct, high_pct``) are adjusted
    the same way as ``p_adj``. With Holm, the row at step i of the step-down
    (p-values in increasing order, m tests) gets the t interval at level
    ``1 - alpha / (m - i + 1)``; rows from the first step that is not rejected on
    get that step's level, so an interval excludes zero exactly when ``p_adj <
    alpha`` (the step-down intervals of Strassburger & Bretz 2008, *Statistics in
    Medicine* 27, without their extension to the rejected rows). Bonferroni uses
    ``1 - alpha / m`` for every row; ``"none"`` and the false-discovery-rate methods
    leave the intervals unadjusted (``interval`` says which). ``low_unadj,
    high_unadj`` are the unadjusted intervals.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, best first: ``outcome, metric, lag, n_forecasts,
        n_quarters, rmse, rmse_vs_none`` (RMSE as % of the no-CX benchmark's),
        ``mse_diff`` (MSE minus the best's), ``low, high`` (its interval),
        ``mse_diff_pct, low_pct, high_pct`` (the same in % of the best's MSE), ``p,
        p_adj`` (vs the best), ``p_vs_none`` (one-sided: beats the no-CX benchmark),
        ``low_unadj, high_unadj``, ``interval`` (how the intervals are adjusted),
        ``model`` ("unit effects + common linear trend" or "unit effects"), ``rank,
        best, caution``.

    Examples
    --------
    >>> from cxlab.outcomes import lagged
    >>> rng = np.random.default_rng(0)
    >>> p = pd.DataFrame({"unit": np.repeat(["a", "b"], 10), "qi": np.tile(range(8100, 8110), 2)})
    >>> p["quarter"] = [f"{q // 4}Q{q % 4 + 1}" for q in p["qi"]]
    >>> p["nps"] = rng.normal(0, 5, 20)
    >>> p["new_customers"] = 2 * lagged(p, "nps", 1).fillna(0) + rng.normal(0, 1, 20)
    >>> horse_race(p, "new_customers", ["nps"], lag=1)[["metric", "interval"]].values.tolist()
    [['nps', 'Holm-adjusted'], ['none', 'Holm-adjusted']]
    """
    metrics_ = as_list(metrics, CX_METRICS)
    panel = check_panel(data, [outcome, *metrics_])
    level = check_level(level, "horse_race")
    base = pd.DataFrame(
        {
            "unit": panel["unit"].to_numpy(),
            "qi": panel["qi"].to_numpy(),
            "y": panel[outcome].to_numpy(float),
        }
    )
    for m in metrics_:
        base[m] = lagged(panel, m, lag).to_numpy()
    base = base.dropna().reset_index(drop=True)  # common sample for a fair race
    quarters = np.sort(base["qi"].unique())
    if len(quarters) <= min_train:
        raise CxlabError(
            f"horse_race: {len(quarters)} quarter(s) with the outcome and every metric at lag "
            f"{lag}; at least {min_train + 1} are needed (min_train = {min_train})."
        )
    if base["unit"].nunique() < 2:
        warnings.warn(
            "horse_race: a single unit; forecasts rest on one series.", PanelWarning, stacklevel=3
        )
    losses, keys = _rolling_losses(base, quarters[min_train:], metrics_, trend)
    q_of = np.array([k[1] for k in keys])
    cands = ["none", *metrics_]
    per_q = pd.DataFrame({m: losses[m] for m in cands}).groupby(q_of).mean()
    mse = per_q.mean()
    order = mse.sort_values().index.tolist()
    best = order[0]
    t_n = len(per_q)
    rows = [
        {"outcome": outcome, "metric": m, "lag": lag, "n_forecasts": len(keys)}
        | _race_row(per_q, mse, m, best, level)
        for m in cands
    ]
    out = pd.DataFrame(rows)
    out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    a_row, how = interval_levels(out["p"].to_numpy(float), correction, 1 - level)
    with np.errstate(invalid="ignore"):
        tq = sps.t.ppf(1 - a_row / 2, t_n - 1) if t_n > 1 else np.full(len(out), np.nan)
    out["low"] = out["mse_diff"] - tq * out["se_d"]
    out["high"] = out["mse_diff"] + tq * out["se_d"]
    out.loc[out["metric"] == best, ["low", "high"]] = np.nan
    out["interval"] = how
    out = out.drop(columns="se_d")
    for col in ("mse_diff", "low", "high"):  # in percent of the best metric's MSE
        out[f"{col}_pct"] = 100.0 * out[col] / float(mse[best])
    out["model"] = "unit effects + common linear trend" if trend else "unit effects"
    out["rank"] = out["metric"].map({m: i + 1 for i, m in enumerate(order)})
    out["best"] = out["metric"] == best
    out["caution"] = f"only {t_n} forecast quarters" if t_n < 8 else ""
    out = out.sort_values("rank").reset_index(drop=True)
    return out


def _rolling_losses(
    base: pd.DataFrame, origins: np.ndarray, metrics_: list[str], trend: bool
) -> tuple[dict[str, list[float]], list[tuple[Any, int]]]:
    """Squared forecast errors of each candidate at each origin quarter (fitted on the
    quarters before it), and the (unit, quarter) of each forecast."""
    losses: dict[str, list[float]] = {m: [] for m in ["none", *metrics_]}
    keys: list[tuple[Any, int]] = []
    base["q"] = base["qi"].astype(float)
    for t in origins:
        train, test = base[base["qi"] < t], base[base["qi"] == t]
        test = test[test["unit"].isin(train["unit"])]
        if test.empty:
            continue
        means = train.groupby("unit").mean(numeric_only=True)
        keys += list(zip(test["unit"], test["qi"], strict=True))
        at = test["unit"]

        def within(col: str, train: pd.DataFrame = train, means: pd.DataFrame = means) -> Any:
            """The training column minus its unit's training mean."""
            return (train[col] - train["unit"].map(means[col])).to_numpy(float)

        def dev(col: str, test: pd.DataFrame = test, means: pd.DataFrame = means) -> Any:
            """The test rows' value minus their unit's training mean."""
            return test[col].to_numpy(float) - means.loc[test["unit"], col].to_numpy()

        y_bar = means.loc[at, "y"].to_numpy()
        yd = within("y")
        for m in ["none", *metrics_]:
            cols = (["q"] if trend else []) + ([] if m == "none" else [m])
            pred = y_bar.copy()
            if cols:
                xd = np.column_stack([within(c) for c in cols])
                coef = np.linalg.lstsq(xd, yd, rcond=None)[0]
                pred += np.column_stack([dev(c) for c in cols]) @ coef
            losses[m] += list((test["y"].to_numpy() - pred) ** 2)
    return losses, keys


def _race_row(
    per_q: pd.DataFrame, mse: pd.Series, m: str, best: str, level: float
) -> dict[str, Any]:
    """One candidate against the best (Diebold-Mariano with the HLN correction: a t test
    of the per-quarter loss differences) and against no CX metric (one-sided)."""
    t_n = len(per_q)
    d = (per_q[m] - per_q[best]).to_numpy()
    d0 = (per_q[m] - per_q["none"]).to_numpy()
    mean_d = float(d.mean())
    se_d = float(d.std(ddof=1) / np.sqrt(t_n)) if t_n > 1 else np.nan
    tcrit = float(sps.t.ppf(0.5 + level / 2, t_n - 1)) if t_n > 1 else np.nan
    p = float(2 * sps.t.sf(abs(mean_d / se_d), t_n - 1)) if se_d > 0 else np.nan
    se0 = float(d0.std(ddof=1) / np.sqrt(t_n)) if t_n > 1 else np.nan
    p0 = float(sps.t.cdf(d0.mean() / se0, t_n - 1)) if se0 > 0 else np.nan
    return {
        "n_quarters": t_n,
        "rmse": float(np.sqrt(mse[m])),
        "rmse_vs_none": 100.0 * float(np.sqrt(mse[m] / mse["none"])),
        "mse_diff": mean_d,
        "se_d": se_d,
        "low_unadj": mean_d - tcrit * se_d if m != best else np.nan,
        "high_unadj": mean_d + tcrit * se_d if m != best else np.nan,
        "p": p if m != best else np.nan,
        "p_vs_none": p0 if m != "none" else np.nan,
    }
