"""Correlations of CX metrics with outcomes: pooled, within units, by lag, and trend checks."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxlab import stats as cxstats
from cxlab._checks import check_level, renamed_keywords
from cxlab.errors import CxlabError
from cxlab.outcomes._common import (
    CX_METRICS,
    EFFECTS,
    OUTCOMES,
    PanelLike,
    PanelWarning,
    as_list,
    caution_note,
    check_panel,
    check_usable,
    demean,
    metric_pairs,
)
from cxlab.outcomes.regression import (
    fe_regression,
)


def _corr_one(
    pairs: pd.DataFrame, method: str, within: bool, z: float, effects: str = "unit"
) -> tuple[float, float, float, float, int]:
    """Correlation, its Fisher-z interval and p-value; returns (r, low, high, p, df).

    ``within`` with ``effects="unit"``: the repeated-measures correlation (unit means
    removed, N - k - 1 df); ``effects="twoway"``: unit and quarter effects partialled out
    of both series (the partial correlation of the two-way model: N - rank - 1 df, whose
    t test is the dummy-variable regression's t test of the slope)."""
    x, y = pairs["x"].to_numpy(float), pairs["y"].to_numpy(float)
    if method == "spearman":  # ranks of the pooled data; "within" then removes the effects
        x, y = sps.rankdata(x), sps.rankdata(y)
    n = len(x)
    if within:
        d = demean(pairs.assign(x=x, y=y), ["x", "y"], effects)
        x, y = d["x"].to_numpy(), d["y"].to_numpy()
        df = n - int(d.attrs["rank"]) - 1  # unit effects: Bakdash & Marusich (2017)
    else:
        df = n - 2
    xc, yc = x - x.mean(), y - y.mean()
    denom = np.sqrt((xc @ xc) * (yc @ yc))
    r = float((xc @ yc) / denom) if denom > 0 else np.nan
    if df < 2 or not np.isfinite(r):
        return r, np.nan, np.nan, np.nan, df
    se_z = 1.0 / np.sqrt(df - 1)  # n - 3 for the pooled case
    if method == "spearman":
        se_z *= np.sqrt(1.06)  # Fieller, Hartley & Pearson (1957)
    lo, hi = cxstats.fisher_ci(r, se_z, z)
    low, high = float(lo), float(hi)
    t = r * np.sqrt(df / max(1e-300, 1 - r * r))
    p = float(2 * sps.t.sf(abs(t), df))
    return r, low, high, p, df


@renamed_keywords(panel="data")
def correlations(
    data: PanelLike,
    metrics: str | Sequence[str] | None = None,
    outcomes: str | Sequence[str] | None = None,
    *,
    lag: int = 0,
    methods: Sequence[str] = ("pearson", "spearman"),
    scopes: Sequence[str] = ("pooled", "within"),
    level: float = 0.95,
    correction: str = "holm",
) -> pd.DataFrame:
    """Correlations of each CX metric (at t - lag) with each outcome (at t).

    ``pooled`` correlates all unit-quarters together (mixing between-unit and
    over-time differences, as Reichheld's cross-sectional plots did);
    ``within`` removes each unit's mean first (the repeated-measures
    correlation of Bakdash & Marusich 2017, *Frontiers in Psychology*, with
    ``N - k - 1`` degrees of freedom for k units), so it answers "when a unit's
    NPS is higher than usual, is its outcome higher than usual?".

    Intervals use Fisher's z with SE ``1/sqrt(df - 1)`` (``1/sqrt(n - 3)``
    pooled), times ``sqrt(1.06)`` for Spearman (Fieller, Hartley & Pearson
    1957, *Biometrika* 44); p-values are the t test of r. ``p_adj`` corrects
    across the whole grid (Holm 1979 by default, statsmodels ``multipletests``).
    Correlations of autocorrelated, trending series have fewer independent
    observations than rows, so the intervals are optimistic; ``caution``
    names the small-sample problems.

    Parameters
    ----------
    data : Panel or pandas.DataFrame
        From :func:`build_panel` (or its ``data_`` table).
    metrics, outcomes : str or list of str, optional
        Default: every metric in :data:`CX_METRICS` and outcome in :data:`OUTCOMES`.
    lag : int
        Metric ``lag`` quarters before the outcome.
    methods : sequence of {"pearson", "spearman"}
    scopes : sequence of {"pooled", "within"}
    level : float
    correction : str
        Any ``statsmodels.stats.multitest.multipletests`` method, or ``"none"``.

    Returns
    -------
    pandas.DataFrame
        ``metric, outcome, lag, method, scope, n, n_units, n_periods, r, low,
        high, p, p_adj, significant, caution``.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": list("aaabbb"), "quarter": ["2025Q1", "2025Q2", "2025Q3"] * 2,
    ...                   "qi": [8100, 8101, 8102] * 2, "nps": [1.0, 2, 3, 5, 6, 8],
    ...                   "revenue": [2.0, 4, 6, 1, 3, 4]})
    >>> correlations(p, "nps", "revenue", methods=["pearson"], scopes=["within"])["r"].round(4)
    0    0.9068
    Name: r, dtype: float64
    """
    metrics_ = as_list(metrics, CX_METRICS)
    outcomes_ = as_list(outcomes, OUTCOMES)
    panel = check_panel(data, [*metrics_, *outcomes_])
    level = check_level(level, "correlations")
    bad = [m for m in methods if m not in ("pearson", "spearman")]
    bad += [s for s in scopes if s not in ("pooled", "within")]
    if bad:
        raise CxlabError(
            f"unknown method/scope {bad}; methods: pearson, spearman; scopes: pooled, within."
        )
    z = float(sps.norm.ppf(0.5 + level / 2))
    rows = []
    for m in metrics_:
        for o in outcomes_:
            pairs = metric_pairs(panel, m, o, lag)
            for scope in scopes:
                within = scope == "within"
                check_usable(pairs, m, o, within=within)
                n, k = len(pairs), pairs["unit"].nunique()
                t_max = int(pairs.groupby("unit").size().max())
                for method in methods:
                    r, low, high, p, _df = _corr_one(pairs, method, within, z)
                    rows.append(
                        {
                            "metric": m,
                            "outcome": o,
                            "lag": lag,
                            "method": method,
                            "scope": scope,
                            "n": n,
                            "n_units": k,
                            "n_periods": t_max,
                            "r": r,
                            "low": low,
                            "high": high,
                            "p": p,
                            "caution": caution_note(n, k, t_max, within=within),
                        }
                    )
    out = pd.DataFrame(rows)
    out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    out["significant"] = out["p_adj"] < 1 - level
    cols = ["metric", "outcome", "lag", "method", "scope", "n", "n_units", "n_periods", "r"]
    return out[[*cols, "low", "high", "p", "p_adj", "significant", "caution"]]


@renamed_keywords(panel="data")
def lag_correlations(
    data: PanelLike,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lags: Sequence[int] = range(-4, 5),
    method: str = "pearson",
    within: bool = True,
    effects: str = "twoway",
    level: float = 0.95,
    correction: str = "holm",
    model_test: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Cross-correlogram: metric at t against outcome at t + k for each k in ``lags``.

    A peak at positive k means the metric *leads* the outcome by k quarters; at
    negative k it *lags* it (the outcome moves first); at 0 they move together.
    Pairs never span a missing quarter. With trending or autocorrelated series
    neighbouring lags share much of their signal, so read the shape, not one
    bar. See :func:`correlations` for the interval and p-value.

    ``within`` removes what the fixed-effects models remove: by default
    (``effects="twoway"``) unit *and* quarter effects, partialled out of both series
    at each lag (the two-way within transformation, exact on unbalanced panels; the
    correlation's t test is then the t test of the slope in :func:`fe_regression`
    with ``effects="twoway"``, ``cov="nonrobust"``), so a trend that all units share
    (NPS drifting down while the outcome drifts up) is not read as a lead or a lag.
    ``effects="unit"`` removes unit means only (the repeated-measures correlation of
    :func:`correlations`), which such a trend fools; ``effects`` labels the rows.

    ``p`` and the Fisher-z interval treat the unit-quarters as independent; serially
    correlated series within a unit make them optimistic (with AR(1) noise and
    unit-specific drifts a no-link panel's best of nine lags passes Holm far more often
    than 5%). ``model_test`` (default) adds ``p_fe``: the p-value of the slope at that lag
    in :func:`fe_regression` with the same effects (``cov="auto"``: the wild cluster
    bootstrap by unit below 20 units), and ``p_fe_adj``, Holm-adjusted (``correction``)
    over the lags. When the enumerated Rademacher floor ``2 / 2^G`` cannot pass Holm's
    first step, every lag uses Webb's six-point weights (``seed``), as in
    :func:`lag_effect`. :func:`conclusion` states a lead or lag only when ``p_fe_adj``
    of the peak is below ``1 - level``.

    Returns
    -------
    pandas.DataFrame
        ``lag, n, r, low, high, p, p_adj, best`` (``best`` marks the lag with the
        largest ``|r|``), plus ``metric, outcome, method, scope, effects``
        (``"unit + quarter effects"``, ``"unit effects only"`` or ``"none"`` pooled),
        and ``p_fe, p_fe_adj`` (NaN pooled, without ``model_test``, or where the model
        cannot be estimated).

    Examples
    --------
    >>> p = pd.DataFrame({"unit": ["a"] * 6, "quarter": [f"2025Q{i}" for i in range(1, 5)]
    ...                   + ["2026Q1", "2026Q2"], "qi": range(8100, 8106),
    ...                   "nps": [1.0, 3, 2, 5, 4, 6], "revenue": [0.0, 0, 1, 3, 2, 5]})
    >>> lag_correlations(p, "nps", "revenue", lags=[0, 1], within=False)[["lag", "n"]]
       lag  n
    0    0  6
    1    1  5
    """
    panel = check_panel(data, [metric, outcome])
    level = check_level(level, "lag_correlations")
    if effects not in EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    z = float(sps.norm.ppf(0.5 + level / 2))
    rows = []
    for k in lags:
        pairs = metric_pairs(panel, metric, outcome, int(k))
        try:
            check_usable(pairs, metric, outcome, within=within, min_pairs=4, effects=effects)
        except CxlabError as exc:  # the same kind (too little data stays too little data)
            raise type(exc)(f"lag {k}: {exc}") from None
        r, low, high, p, _df = _corr_one(pairs, method, within, z, effects)
        rows.append({"lag": int(k), "n": len(pairs), "r": r, "low": low, "high": high, "p": p})
    out = pd.DataFrame(rows)
    out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    out["best"] = False
    out.loc[out["r"].abs().idxmax(), "best"] = True
    out["metric"], out["outcome"] = metric, outcome
    out["method"], out["scope"] = method, "within" if within else "pooled"
    out["effects"] = EFFECTS[effects] if within else "none"
    out["p_fe"], out["p_fe_adj"] = np.nan, np.nan
    if within and model_test:
        out["p_fe"] = _model_pvalues(
            panel, metric, outcome, list(out["lag"]), effects, level, seed, correction
        )
        out["p_fe_adj"] = cxstats.adjust_pvalues(out["p_fe"].to_numpy(float), correction)
    return out


def _model_pvalues(
    panel: PanelLike,
    metric: str,
    outcome: str,
    lags: list[int],
    effects: str,
    level: float,
    seed: int,
    correction: str,
) -> np.ndarray:
    """p-values of the slope of :func:`fe_regression` (no EIV: it does not change the
    test of b = 0) at each lag; Webb weights when Rademacher's floor is too coarse for
    the Holm steps over these lags (see :func:`lag_effect`)."""

    def fit(weights: str) -> tuple[np.ndarray, bool]:
        p = np.full(len(lags), np.nan)
        coarse = False
        for i, k in enumerate(lags):
            try:
                f = fe_regression(
                    panel,
                    metric,
                    outcome,
                    lag=k,
                    effects=effects,
                    level=level,
                    weights=weights,
                    seed=seed,
                )
            except CxlabError:
                continue
            p[i] = float(f["p"].iloc[0])
            g = int(f["n_units"].iloc[0])
            coarse |= "Rademacher weights, all" in str(f["inference"].iloc[0]) and 2.0 / 2**g > (
                1 - level
            ) / max(1, len(lags))
        return p, coarse

    p, coarse = fit("auto")
    if coarse and correction != "none" and len(lags) > 1:
        p, _ = fit("webb")
    return p


@renamed_keywords(panel="data")
def trend_check(
    data: PanelLike,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lag: int = 0,
    threshold: float = 0.3,
    level: float = 0.95,
) -> pd.DataFrame:
    """Do the metric and the outcome trend within units? (A warning, not a model.)

    For the metric (at t - lag) and the outcome (at t), on the rows where both are
    present: the within-unit correlation with the quarter index (each unit's means
    removed; repeated-measures correlation, N - k - 1 df, Fisher-z interval as in
    :func:`correlations`). A series *trends* when ``|r| >= threshold`` and its p-value
    is below ``1 - level``. When both trend, a slope with unit effects only mixes the
    two trends with any effect (opposite trends give a negative slope, common ones a
    positive slope, with no causal link at all): the message says so, and a
    :class:`PanelWarning` is raised. Quarter effects (``fe_regression(effects=
    "twoway")``, the default) remove trends shared by all units; ``r_unit_specific`` is
    the within-unit correlation with the quarter index that is left after removing
    each quarter's mean across units (trends that differ between units, which quarter
    effects cannot remove).

    Returns
    -------
    pandas.DataFrame
        One row each for the metric and the outcome: ``variable, role, lag, n, r, low,
        high, p, trending, r_unit_specific, message`` (the warning text, the same on both
        rows; "" when at most one series trends). ``attrs["message"]`` holds it too, for
        now: it is deprecated, read the column.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": list("aaaabbbb"), "quarter": ["2025Q1", "2025Q2", "2025Q3",
    ...                   "2025Q4"] * 2, "qi": [8100, 8101, 8102, 8103] * 2,
    ...                   "nps": [9.0, 7, 6, 3, 20, 19, 16, 15],
    ...                   "margin": [1.0, 2, 4, 5, 3, 4, 5, 7]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     tc = trend_check(p, "nps", "margin", lag=0)
    >>> tc[["variable", "trending"]].values.tolist()
    [['nps', True], ['margin', True]]
    """
    panel = check_panel(data, [metric, outcome])
    level = check_level(level, "trend_check")
    pairs = metric_pairs(panel, metric, outcome, lag)
    check_usable(pairs, metric, outcome, within=True)
    z = float(sps.norm.ppf(0.5 + level / 2))
    q = pairs["qi"].astype(float)
    rows = []
    for role, name, col in (("metric", metric, "x"), ("outcome", outcome, "y")):
        sub = pd.DataFrame({"unit": pairs["unit"], "x": q, "y": pairs[col]})
        r, low, high, p, _df = _corr_one(sub, "pearson", True, z)
        # remove each quarter's cross-unit mean, then correlate within units again
        resid = pairs[col] - pairs.groupby("qi")[col].transform("mean")
        sub2 = pd.DataFrame({"unit": pairs["unit"], "x": q, "y": resid})
        r2, *_ = _corr_one(sub2, "pearson", True, z)
        rows.append(
            {
                "variable": name,
                "role": role,
                "lag": lag if role == "metric" else 0,
                "n": len(pairs),
                "r": r,
                "low": low,
                "high": high,
                "p": p,
                "trending": bool(abs(r) >= threshold and p < 1 - level),
                "r_unit_specific": r2,
            }
        )
    out = pd.DataFrame(rows)
    message = ""
    if out["trending"].all():
        mlab = CX_METRICS.get(metric, metric)
        olab = OUTCOMES.get(outcome, outcome)
        rm, ro = out["r"].tolist()
        kind = "opposite" if rm * ro < 0 else "same-direction"
        message = (
            f"{mlab} and {olab.lower()} both trend within units (correlation with the quarter "
            f"index {rm:+.2f} and {ro:+.2f}): with unit effects only, these {kind} trends "
            f"would show up as a {'negative' if rm * ro < 0 else 'positive'} 'effect' even "
            "with no causal link. The reported model also removes quarter effects (trends all "
            "units share)"
        )
        rs = out["r_unit_specific"].abs()
        if (rs >= threshold).all():
            message += (
                "; trends that differ between units remain in both series "
                f"(r {out['r_unit_specific'].iloc[0]:+.2f} and "
                f"{out['r_unit_specific'].iloc[1]:+.2f} after quarter effects), so even that "
                "model's slope may reflect trends"
            )
        message += "."
        warnings.warn(message, PanelWarning, stacklevel=3)  # the caller (past renamed_keywords)
    out["message"] = message
    out.attrs["message"] = message  # deprecated: read the message column
    return out
