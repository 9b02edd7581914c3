"""Journey case studies scored: touch point by touch point, and how the aggregate masks them.

:func:`case_study` scores a case (:func:`cxlab.journey.load_case`; literal
scores, or queries against the warehouse) into a :class:`CaseStudyResult`;
:func:`aggregate_masking` shows how the aggregate hides its weak touch points.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxlab.errors import CxlabError
from cxlab.journey._common import JourneyColumns, is_number, journey_columns, unit_responses
from cxlab.journey.casefiles import CaseStudy, load_case
from cxlab.journey.events import interactions_view
from cxlab.journey.markov import removal_effects

__all__ = ["CaseStudyResult", "aggregate_masking", "case_study"]

KPI_COLS = ("conv_rate", "conv_low", "conv_high")


class CaseStudyResult:
    """A scored journey case study (from :func:`case_study`).

    Attributes
    ----------
    touchpoints_ : pandas.DataFrame
        One row per touch point in journey order (see :func:`case_study`).
    case_ : CaseStudy
        The validated case.
    aggregate_ : dict
        The case's aggregate: ``label`` (default ``"aggregate"``), ``score``
        (given or queried; ``None`` when the case gives none), ``low``,
        ``high`` and ``n`` when queried.
    scale_ : (float, float)
        The relationship scores' scale.
    weak_below_ : float
        Scores below this are weak.
    level_ : float
        Confidence level of the queried intervals.

    Examples
    --------
    >>> r = case_study("electronics_product_launch")
    >>> r.scale_, r.weak_below_, r.aggregate_["score"]
    ((0.0, 10.0), 5.0, 9.2)
    """

    touchpoints_: pd.DataFrame
    case_: CaseStudy
    aggregate_: dict[str, Any]
    scale_: tuple[float, float]
    weak_below_: float
    level_: float

    def __init__(
        self, touchpoints: pd.DataFrame, case: CaseStudy, aggregate: Mapping[str, Any], level: float
    ) -> None:
        self.touchpoints_ = touchpoints
        self.case_ = case
        self.aggregate_ = {"label": "aggregate", "score": None, **aggregate}
        self.scale_ = case.scale
        self.weak_below_ = case.weak_below
        self.level_ = level

    def __repr__(self) -> str:
        weak = int(self.touchpoints_["weak"].sum())
        return (
            f"<CaseStudyResult {self.case_.name!r}: {len(self.touchpoints_)} touch points, "
            f"{weak} weak>"
        )

    @property
    def aggregate_score_(self) -> float:
        """The aggregate: the case's (given or queried), else the mean of the scores of the
        touch points ``in_aggregate`` weighted by ``customers`` (1 where not given)."""
        if self.aggregate_.get("score") is not None:
            return float(self.aggregate_["score"])
        inc = self.touchpoints_[self.touchpoints_["in_aggregate"]]
        w = inc["customers"].fillna(1.0).to_numpy(float)
        if inc.empty or w.sum() <= 0:
            raise CxlabError(
                "aggregate_masking: no aggregate score given and no touch point in the aggregate."
            )
        return float(np.average(inc["score"].to_numpy(float), weights=w))

    @property
    def hidden_customers_(self) -> float:
        """Customers who met a weak touch point and are not in the aggregate's sample."""
        t = self.touchpoints_
        hidden = t["weak"] & ~t["in_aggregate"]
        return float(t.loc[hidden, "customers"].fillna(0).sum())

    @property
    def all_touchpoints_mean_(self) -> float:
        """Unweighted mean of every touch point's score."""
        return float(self.touchpoints_["score"].mean())

    def summary(self) -> pd.DataFrame:
        """The case in one tidy row: its touch points, weak ones, aggregate and scale.

        Examples
        --------
        >>> s = case_study("electronics_product_launch").summary()
        >>> s[["touchpoints", "weak", "aggregate", "hidden_customers"]].to_dict("records")
        [{'touchpoints': 5, 'weak': 2, 'aggregate': 9.2, 'hidden_customers': 3000.0}]
        """
        agg = self.aggregate_
        return pd.DataFrame(
            [
                {
                    "case": self.case_.name,
                    "touchpoints": len(self.touchpoints_),
                    "weak": int(self.touchpoints_["weak"].sum()),
                    "aggregate_label": agg["label"],
                    "aggregate": self.aggregate_score_,
                    "aggregate_low": agg.get("low", np.nan),
                    "aggregate_high": agg.get("high", np.nan),
                    "all_touchpoints_mean": self.all_touchpoints_mean_,
                    "hidden_customers": self.hidden_customers_,
                    "scale_low": self.scale_[0],
                    "scale_high": self.scale_[1],
                    "weak_below": self.weak_below_,
                    "level": self.level_,
                }
            ]
        )

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """The journey chart (:func:`~cxlab.journey.plot_journey`); returns the Axes."""
        from cxlab.journey.plots import plot_journey

        return plot_journey(self, ax=ax, **kwargs)


def _query_score(
    con: Any, q: Mapping[str, Any], level: float, unit: str = "ALL", weight: str | None = None
) -> tuple[float, float, float, int]:
    from cxlab.metrics import ces, csat, nps

    r = (
        unit_responses(con, unit)
        if "unit" not in (q.get("filter") or {})
        else con.table("responses")
    )
    for col, val in (q.get("filter") or {}).items():
        vals = val if isinstance(val, list) else [val]
        r = r.filter(r[col].isin(vals))
    m = q["metric"]
    if m == "nps":
        row = nps(r, "ltr", level=level, weight=weight).iloc[0]
        return float(row["nps"]), float(row["low"]), float(row["high"]), int(row["n"])
    f = csat if m == "csat" else ces
    row = f(r, m, level=level, weight=weight).iloc[0]
    return float(row["mean"]), float(row["mean_low"]), float(row["mean_high"]), int(row["n"])


def case_study(
    case: str | Path | CaseStudy,
    con: Any = None,
    *,
    level: float = 0.95,
    unit: str = "ALL",
    weight: str | None = None,
    columns: JourneyColumns | None = None,
    **options: Any,
) -> CaseStudyResult:
    """Score a journey case study: a :class:`CaseStudyResult` (one row per touch point).

    Literal scores are taken as given; ``query`` touch points are scored on the
    warehouse (``con``) with :func:`cxlab.nps` / :func:`cxlab.csat` /
    :func:`cxlab.ces` (CSAT and CES: the mean), with intervals; an operational
    ``value: conversion`` is the conversion rate of the warehouse journeys through
    the touch point (:func:`removal_effects`), with its Wilson interval. ``unit``
    restricts the warehouse queries to one business unit (a query's own ``unit``
    filter wins). ``weight`` (a survey-weight column of the responses) weights
    the queried scores (``n`` stays the number of responses); the conversion
    KPI counts journeys and is never weighted. A touch
    point is *weak* when its relationship score is below ``weak_below`` or its
    operational KPI misses the target (for a warehouse-derived KPI: the whole
    interval is on the wrong side of the target).

    Returns
    -------
    CaseStudyResult
        ``touchpoints_``: ``order, touchpoint, stage, channel, intentional, kpi,
        kpi_value, kpi_low, kpi_high, kpi_target, kpi_met, score, score_low,
        score_high, n, customers, in_aggregate, weak, weak_reason``; with the
        case (``case_``), ``scale_``, ``weak_below_`` and the aggregate
        (``aggregate_``, queried when the case says so).

    Examples
    --------
    >>> r = case_study("electronics_product_launch")
    >>> t = r.touchpoints_
    >>> t.loc[t["weak"], "order"].tolist()
    [2, 5]
    """
    jc = journey_columns(columns, options, "case_study")
    c = case if isinstance(case, CaseStudy) else load_case(case)
    jc = journey_columns(columns, options, "case_study")
    needs_con = any("query" in tp for tp in c.touchpoints) or "query" in c.aggregate
    needs_con |= any(
        (tp.get("operational") or {}).get("value") == "conversion" for tp in c.touchpoints
    )
    if needs_con and con is None:
        raise CxlabError(
            f"{c.path}: this case study queries the warehouse; pass con="
            "cxlab.warehouse.connect(...)."
        )
    conv: pd.DataFrame | None = None
    rows = []
    for i, tp in enumerate(c.touchpoints, start=1):
        if (tp.get("operational") or {}).get("value") == "conversion" and conv is None:
            conv = removal_effects(
                interactions_view(con, unit), level=level, n_boot=0, columns=jc
            ).set_index("touchpoint")
        kpi = _operational(c, i, tp, conv)
        n: float
        if "query" in tp:
            score, slo, shi, n = _query_score(con, tp["query"], level, unit, weight)
        else:
            score, slo, shi, n = float(tp["relationship"]["score"]), np.nan, np.nan, np.nan
        reasons = []
        if score < c.weak_below:
            reasons.append(f"score {score:.3g} below {c.weak_below:g}")
        if kpi["kpi_met"] is False:
            reasons.append(
                f"{kpi['kpi']} {kpi['kpi_value']:.3g} misses target {kpi['kpi_target']:.3g}"
            )
        rows.append(
            {
                "order": i,
                "touchpoint": tp["name"],
                "stage": tp["stage"],
                "channel": tp.get("channel", ""),
                "intentional": bool(tp.get("intentional", True)),
                **kpi,
                "score": score,
                "score_low": slo,
                "score_high": shi,
                "n": n,
                "customers": float(tp.get("customers", np.nan)),
                "in_aggregate": bool(tp.get("in_aggregate", True)),
                "weak": bool(reasons),
                "weak_reason": "; ".join(reasons),
            }
        )
    agg = dict(c.aggregate)
    if "query" in agg:
        agg["score"], agg["low"], agg["high"], agg["n"] = _query_score(
            con, agg["query"], level, unit, weight
        )
    return CaseStudyResult(pd.DataFrame(rows), c, agg, level)


def _operational(
    c: CaseStudy, i: int, tp: Mapping[str, Any], conv: pd.DataFrame | None
) -> dict[str, Any]:
    """The touch point's operational KPI: value (literal, or the conversion of the warehouse
    journeys through it, with its interval), target and whether it is met."""
    op = tp.get("operational") or {}
    val = op.get("value")
    klo = khi = np.nan
    if val == "conversion" and conv is not None:
        tpname = (tp.get("query") or {}).get("filter", {}).get("touchpoint", tp["name"])
        if tpname not in conv.index:
            raise CxlabError(
                f"{c.path}: touch point {i} ({tp['name']!r}): field 'operational.value': "
                f"no journeys pass through {tpname!r} in the warehouse."
            )
        val, klo, khi = (float(conv.loc[tpname, k]) / 100.0 for k in KPI_COLS)
    target = op.get("target", np.nan)
    met: Any = np.nan
    if is_number(val) and is_number(target) and not np.isnan(val):
        higher = op.get("better", "higher") == "higher"
        # a warehouse-derived KPI misses only when its interval excludes the target
        v_hi = val if np.isnan(khi) else khi
        v_lo = val if np.isnan(klo) else klo
        met = bool(v_hi >= target) if higher else bool(v_lo <= target)
    return {
        "kpi": op.get("kpi", ""),
        "kpi_value": float(val) if is_number(val) else np.nan,
        "kpi_low": klo,
        "kpi_high": khi,
        "kpi_target": float(target) if is_number(target) else np.nan,
        "kpi_met": met,
    }


def aggregate_masking(result: CaseStudyResult) -> pd.DataFrame:
    """How the aggregate score masks the weak touch points of a :func:`case_study`.

    The aggregate is the case's ``aggregate.score`` (or query); without one, the
    mean of the touch-point scores weighted by ``customers`` over the touch
    points ``in_aggregate`` (:attr:`CaseStudyResult.aggregate_score_`). For
    every weak touch point: its score, the gap to the aggregate, the customers
    who met it, and whether they are in the aggregate's sample at all
    (``in_aggregate: false``: survivorship -- e.g. customers turned away by a
    stock-out never became buyers, so a survey of buyers cannot hear them; the
    result's ``hidden_customers_`` counts them).

    Returns
    -------
    pandas.DataFrame
        One row per weak touch point: ``touchpoint, score, aggregate, gap,
        customers, share_of_customers, in_aggregate, weak_reason``.

    Examples
    --------
    >>> m = aggregate_masking(case_study("electronics_product_launch"))
    >>> m["touchpoint"].tolist()
    ['Store and phone staff: questions and pre-orders', 'Stock-out: customers turned away']
    """
    if not isinstance(result, CaseStudyResult):
        raise TypeError(
            f"aggregate_masking takes the result of case_study(), not {type(result).__name__}."
        )
    t = result.touchpoints_
    if t.empty:
        raise CxlabError("aggregate_masking: the case study has no touch points.")
    score = result.aggregate_score_
    weak = t[t["weak"]]
    total = t["customers"].max()
    return pd.DataFrame(
        {
            "touchpoint": weak["touchpoint"],
            "score": weak["score"],
            "aggregate": score,
            "gap": weak["score"] - score,
            "customers": weak["customers"],
            "share_of_customers": weak["customers"] / total if total and total > 0 else np.nan,
            "in_aggregate": weak["in_aggregate"],
            "weak_reason": weak["weak_reason"],
        }
    ).reset_index(drop=True)
