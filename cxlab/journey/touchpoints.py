"""Does a touch point lose customers? Adjusted effects on conversion and their verdicts.

Journeys are grouped by the touch points they met (in the engine); a
quasi-binomial GLM on that small table adjusts each touch point for the others
met on the same journey; Holm-adjusted verdicts and the report's sentences.
"""

from __future__ import annotations

import math
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats
from cxlab._checks import check_level
from cxlab.errors import CxlabError
from cxlab.journey._common import ADJ_COLS, JourneyColumns, by_evidence, journey_columns
from cxlab.journey.events import journeys
from cxlab.tables import signed

__all__ = ["journey_patterns", "touchpoint_effects", "touchpoint_verdict_text"]


def journey_patterns(
    interactions: pd.DataFrame | ir.Table,
    *,
    columns: JourneyColumns | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Journeys grouped by the set of touch points they met on the path to purchase.

    A journey's *pattern* is one indicator per touch point: did the journey meet
    it before its first conversion? Only the path to purchase counts: the
    conversion touch point itself, events after the conversion and
    ``cultivation``-stage events (after-sales contacts; see :func:`journeys`)
    are left out. Aggregated in the engine (one ``bool_or`` per touch point per
    journey, then ``GROUP BY`` the indicators), so the result has at most one
    row per distinct pattern however many journeys there are.

    Returns
    -------
    pandas.DataFrame
        One row per pattern: one boolean column per touch point (sorted by
        name), ``journeys`` and ``converted`` (counts).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-01", "2025-01-01"]),
    ...     "touchpoint": ["Ad", "Purchase", "Ad", "Email"],
    ...     "stage": ["attraction", "interaction", "attraction", "attraction"]})
    >>> journey_patterns(ev).values.tolist()
    [[True, False, 2, 1], [False, True, 1, 0]]
    """
    jc = journey_columns(columns, options, "journey_patterns")
    customer, touchpoint, stage, conversion = jc.customer, jc.touchpoint, jc.stage, jc.conversion
    j = journeys(
        interactions,
        columns=jc,
    )
    on_path = j.pre_conversion & ~j.is_conversion & (j[stage] != "cultivation")
    tps = j.filter(on_path).select(touchpoint).distinct().to_pandas()[touchpoint]
    tps = sorted(str(x) for x in tps.dropna())
    if not tps:
        raise CxlabError(
            f"interactions: no journey meets a touch point before {conversion!r}; there is "
            "nothing to compare."
        )
    # positional column names in the engine: touch-point names come from the data
    ind = {f"_k{i}": (on_path & (j[touchpoint] == tp)).any() for i, tp in enumerate(tps)}
    per = j.group_by([customer, "journey"]).aggregate(_conv=j.is_conversion.any(), **ind)
    g = (
        per.group_by(list(ind))
        .aggregate(journeys=per.count(), converted=per._conv.ifelse(1, 0).sum())
        .to_pandas()
    )
    g = g.rename(columns={f"_k{i}": tp for i, tp in enumerate(tps)})
    g[tps] = g[tps].fillna(False).astype(bool)
    g["journeys"] = g["journeys"].astype("int64")
    g["converted"] = g["converted"].fillna(0).astype("int64")
    g = g.sort_values(["journeys", *tps], ascending=False, kind="stable")
    return g.reset_index(drop=True)


def _logit_effects(pat: pd.DataFrame, tps: list[str], level: float) -> tuple[pd.DataFrame, float]:
    """Binomial GLM of conversion on touch-point indicators, fitted on the pattern table.

    Quasi-binomial: the covariance is scaled by ``max(1, Pearson X^2 / df)``
    (McCullagh & Nelder 1989, section 4.5; Agresti 2013, section 4.7), so lack
    of fit between the patterns widens the intervals instead of making verdicts.
    Returns per touch point ``b, se, odds_ratio, or_low, or_high, adj_diff,
    adj_diff_low, adj_diff_high, p`` (NaN where the coefficient is not
    estimable: constant or aliased indicators, or separation), and the
    dispersion factor ``phi`` (NaN when nothing was fitted).
    """
    import warnings

    import statsmodels.api as sm
    from scipy.special import expit
    from scipy.stats import norm

    cols = ["b", "se", "odds_ratio", "or_low", "or_high", "adj_diff", "adj_diff_low"]
    cols += ["adj_diff_high", "p"]
    res = pd.DataFrame(np.nan, index=tps, columns=cols)
    x = pat[tps].to_numpy(float)
    n = pat["journeys"].to_numpy(float)
    c = pat["converted"].to_numpy(float)
    # estimable: not constant, and not a linear combination of the others
    full = np.column_stack([np.ones(len(x)), x])
    rank = np.linalg.matrix_rank(full)
    est = [k for k in range(len(tps)) if x[:, k].min() != x[:, k].max()]
    est = [k for k in est if np.linalg.matrix_rank(np.delete(full, 1 + k, axis=1)) < rank]
    if not est or c.sum() in (0, n.sum()):
        return res, np.nan
    xe = np.column_stack([np.ones(len(x)), x[:, est]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(np.column_stack([c, n - c]), xe, family=sm.families.Binomial()).fit()
    df = max(len(x) - xe.shape[1], 0)
    phi = max(1.0, float(fit.pearson_chi2) / df) if df > 0 else 1.0
    beta = np.asarray(fit.params, float)
    cov = np.asarray(fit.cov_params(), float) * phi
    z = norm.ppf(0.5 + level / 2)
    for j, k in enumerate(est, start=1):
        b, se = beta[j], math.sqrt(max(cov[j, j], 0.0))
        if not (np.isfinite(b) and np.isfinite(se) and se > 0 and abs(b) < 15):
            continue  # separation: no finite estimate
        # average effect on the journeys through k: predicted conversion with k minus without
        on = x[:, k] > 0
        x1 = xe[on].copy()
        x0 = x1.copy()
        x0[:, j] = 0.0
        p1, p0 = expit(x1 @ beta), expit(x0 @ beta)
        w = n[on] / n[on].sum()
        ame = float(np.sum(w * (p1 - p0)))
        grad = (w * p1 * (1 - p1)) @ x1 - (w * p0 * (1 - p0)) @ x0
        ame_se = math.sqrt(max(float(grad @ cov @ grad), 0.0))
        with np.errstate(over="ignore"):
            ors = np.exp([b, b - z * se, b + z * se])
        res.loc[tps[k]] = [
            b,
            se,
            *ors.tolist(),
            100 * ame,
            100 * (ame - z * ame_se),
            100 * (ame + z * ame_se),
            float(2 * norm.sf(abs(b / se))),
        ]
    return res, phi


def touchpoint_effects(
    interactions: pd.DataFrame | ir.Table,
    *,
    level: float = 0.95,
    bands: tuple[int, int] = (30, 100),
    min_reach: float = 0.01,
    columns: JourneyColumns | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Does meeting a touch point lose customers, given the other touch points met?

    A logistic regression of a journey's conversion on one indicator per touch
    point met on the path to purchase (Agresti 2013, *Categorical Data
    Analysis*, 3rd ed., ch. 5), so each touch point is compared with journeys
    that met the same other touch points. Aggregate where the data live, infer
    on summaries: the journeys are grouped by their pattern of indicators in
    the engine (:func:`journey_patterns`), and the binomial GLM (statsmodels)
    is fitted on that small table (identical to the fit on one row per
    journey). The dispersion is estimated (quasi-binomial, Pearson ``X^2 /
    df``, never below 1), so patterns the additive model does not fit widen the
    intervals rather than produce verdicts. Wald tests are Holm-adjusted over
    touch points.

    Why adjust: touch points are met together (a store visit usually follows a
    question asked in the store), so a crude comparison of the journeys
    through a touch point with the others also carries the effect of the
    failing touch points its journeys share. ``adj_diff`` is the average
    change in the predicted conversion of the journeys through the touch point
    if they had not met it (percentage points, delta-method interval);
    ``odds_ratio`` is the model's.

    What is left out: after-sales (``cultivation``-stage) contacts are
    attributed to the purchase they follow (:func:`journeys`) and are never on
    a path to purchase, so they get no row; nor does the conversion touch
    point. Touch points met on every journey, or only together with another
    one, or whose journeys all convert (or none do), are not estimable (``p``
    NaN, no verdict). The comparison is observational: it adjusts for the
    other touch points and nothing else.

    Parameters
    ----------
    interactions : pandas.DataFrame or ibis Table
        The event log (see :func:`journeys`).
    columns, **options
        The event log's columns and the journey rules (:class:`JourneyColumns`).
    level : float
        Confidence level of the intervals; a verdict needs ``p_adj < 1 - level``.
    bands : (int, int)
        Base-size bands for ``flag`` (journeys through the touch point).
    min_reach : float
        Touch points met on a smaller share of the journeys sort with the low
        bases, at the end.

    Returns
    -------
    pandas.DataFrame
        One row per touch point on a path to purchase: ``touchpoint, journeys,
        reach, converted, conv_rate, odds_ratio, or_low, or_high, adj_diff,
        adj_diff_low, adj_diff_high, p, p_adj, verdict, flag, level, dispersion``;
        ``verdict`` is ``"loses customers"``, ``"helps"`` or ``""``. Sorted by
        evidence: reportable bases first, by ``p_adj`` (smallest first);
        ``"indicative"`` and ``"unreliable"`` bases (fewer than ``bands[1]``
        journeys), touch points below ``min_reach`` and untested rows last.
        ``dispersion`` is the dispersion factor used (one value, on every row).

    Examples
    --------
    Journeys through B meet A, which loses customers, more often than the
    others do: crude, B looks harmful; given the other touch points it is not.

    >>> import pandas as pd
    >>> paths = {("A", "B"): (200, 60), ("A",): (50, 15), ("B",): (50, 30), ("C",): (200, 120)}
    >>> rows = []
    >>> for path, (n, conv) in paths.items():
    ...     for i in range(n):
    ...         full = [*path, "Purchase"] if i < conv else list(path)
    ...         rows += [("".join(path) + str(i), day, tp) for day, tp in enumerate(full)]
    >>> ev = pd.DataFrame(rows, columns=["customer_id", "day", "touchpoint"])
    >>> ev = ev.assign(timestamp=pd.Timestamp("2025-01-01") + pd.to_timedelta(ev["day"], "D"),
    ...                stage="interaction")
    >>> r = touchpoint_effects(ev).set_index("touchpoint")
    >>> r["verdict"].sort_index().to_dict()
    {'A': 'loses customers', 'B': '', 'C': ''}
    >>> from cxlab.journey import removal_effects
    >>> crude = removal_effects(ev, n_boot=0).set_index("touchpoint").loc["B"]
    >>> round(float(crude["diff"])), bool(crude["p_crude"] < 0.001)
    (-18, True)
    """
    jc = journey_columns(columns, options, "touchpoint_effects")
    level = check_level(level, "touchpoint_effects")
    pat = journey_patterns(
        interactions,
        columns=jc,
    )
    tps = [c for c in pat.columns if c not in ("journeys", "converted")]
    fit, phi = _logit_effects(pat, tps, level)
    n1 = np.array([pat.loc[pat[tp], "journeys"].sum() for tp in tps], float)
    c1 = np.array([pat.loc[pat[tp], "converted"].sum() for tp in tps], float)
    out = pd.DataFrame(
        {
            "touchpoint": tps,
            "journeys": n1.astype("int64"),
            "reach": n1 / float(pat["journeys"].sum()),
            "converted": c1.astype("int64"),
            "conv_rate": 100 * c1 / np.where(n1 > 0, n1, np.nan),
        }
    )
    for col in ADJ_COLS[:-2]:
        out[col] = fit[col].to_numpy(float)
    out["p_adj"] = stats.adjust_pvalues(out["p"].to_numpy(float), "holm")
    sig = (out["p_adj"] < 1 - level).to_numpy()
    out["verdict"] = np.where(
        sig & (out["odds_ratio"] < 1),
        "loses customers",
        np.where(sig & (out["odds_ratio"] > 1), "helps", ""),
    )
    out["flag"] = stats.base_flag(out["journeys"].to_numpy(float), bands)
    out["level"] = level
    out = by_evidence(out, min_reach)
    out["dispersion"] = phi
    return out


def touchpoint_verdict_text(result: pd.DataFrame) -> str:
    """The report's sentences on which touch points lose customers (Markdown).

    Takes a :func:`removal_effects` (or :func:`touchpoint_effects`) result and
    states the adjusted verdicts only: a touch point *loses customers* when the
    logistic model of :func:`touchpoint_effects` says so, with its adjusted
    difference and interval. Touch points whose crude difference is negative
    (interval below zero) but which the adjusted model clears are named as such,
    so a reader of the crude table is not misled; verdicts on fewer than 30
    journeys are withheld. Names are escaped with
    :func:`cxlab.report.md_escape`.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"touchpoint": ["A*", "B"], "journeys": [300, 250],
    ...     "conv_rate": [30.0, 36.0], "diff": [-25.0, -18.0], "diff_low": [-32.0, -26.0],
    ...     "diff_high": [-18.0, -10.0], "adj_diff": [-30.0, 0.0],
    ...     "adj_diff_low": [-40.0, -9.0], "adj_diff_high": [-20.0, 9.0],
    ...     "p_adj": [1e-6, 1.0], "verdict": ["loses customers", ""],
    ...     "flag": ["reportable", "reportable"], "level": 0.95})
    >>> print(touchpoint_verdict_text(r))  # doctest: +NORMALIZE_WHITESPACE
    Given the other touch points met on the same journey, journeys through **A\\*** convert
    30.0 points less (95% interval -40.0 to -20.0; Holm-adjusted p < 0.001): it loses
    customers.
    <BLANKLINE>
    **B** looks worse in the crude comparison (-18.0 points) only because its journeys
    also meet other touch points: given those, the difference is 0.0 points (95% interval
    -9.0 to +9.0), no evidence that it loses customers.
    <BLANKLINE>
    Logistic regression of conversion on the touch points met (quasi-binomial, Holm-adjusted
    over touch points; Agresti 2013). After-sales contacts count towards the purchase they
    follow, not the next journey. Observational: other differences between journeys are not
    adjusted for.
    """
    from cxlab._html import md_escape as e

    if result.empty:
        return "No touch point on a path to purchase."
    level = float(result["level"].iloc[0]) if "level" in result else 0.95
    ok = result["flag"] != "unreliable"
    lose = result[ok & (result["verdict"] == "loses customers")]
    parts = []

    def _p(p: float) -> str:
        return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"

    if len(lose):
        items = [
            f"**{e(r.touchpoint)}** convert {abs(r.adj_diff):.1f} points less "
            f"({level:.0%} interval {signed(r.adj_diff_low)} to {signed(r.adj_diff_high)}; "
            f"Holm-adjusted {_p(r.p_adj)})"
            + (" on an indicative base" if r.flag == "indicative" else "")
            for r in lose.itertuples()
        ]
        verb = "it loses customers" if len(lose) == 1 else "they lose customers"
        parts.append(
            "Given the other touch points met on the same journey, journeys through "
            + "; ".join(items)
            + f": {verb}."
        )
    else:
        parts.append(
            "No touch point loses customers once the other touch points met on the same "
            "journey are taken into account."
        )
    cleared = result[ok & (result["diff_high"] < 0) & (result["verdict"] != "loses customers")]
    cleared = cleared[cleared["adj_diff"].notna()]
    for r in cleared.itertuples():
        parts.append(
            f"**{e(r.touchpoint)}** looks worse in the crude comparison ({signed(r.diff)} points) "
            "only because its journeys also meet other touch points: given those, the "
            f"difference is {signed(r.adj_diff)} points ({level:.0%} interval "
            f"{signed(r.adj_diff_low)} to {signed(r.adj_diff_high)}), no evidence that it loses "
            "customers."
        )
    few = result[~ok]
    if len(few):
        parts.append(
            "Too few journeys (under 30) to judge: "
            + ", ".join(e(t) for t in few["touchpoint"])
            + "."
        )
    parts.append(
        "Logistic regression of conversion on the touch points met (quasi-binomial, "
        "Holm-adjusted over touch points; Agresti 2013). After-sales contacts count towards the "
        "purchase they follow, not the next journey. Observational: other differences between "
        "journeys are not adjusted for."
    )
    return "\n\n".join(parts)
