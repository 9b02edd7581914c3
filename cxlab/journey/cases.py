"""Journey case studies: YAML files loaded, validated and scored.

A case names the touch points of one journey in order, each with a
relationship score (literal, or a query against the warehouse) and optionally
an operational KPI; :func:`case_study` scores it and :func:`aggregate_masking`
shows how the aggregate hides the weak touch points. Shipped cases live in
``cxlab/case_studies``.
"""

from __future__ import annotations

import importlib.resources
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd

from cxlab.errors import CxlabError
from cxlab.journey._common import unit_responses
from cxlab.journey.events import interactions_view
from cxlab.journey.markov import removal_effects
from cxlab.schema import STAGES

__all__ = ["KPI_COLS", "CaseStudy", "aggregate_masking", "case_study", "list_cases", "load_case"]


KPI_COLS = ("conv_rate", "conv_low", "conv_high")


_METRIC_SCALE = {"nps": (-100.0, 100.0), "csat": (1.0, 5.0), "ces": (1.0, 7.0)}


_TP_FIELDS = {
    "name",
    "stage",
    "channel",
    "intentional",
    "operational",
    "relationship",
    "query",
    "customers",
    "in_aggregate",
    "note",
}


_CASE_FIELDS = {"name", "description", "scale", "weak_below", "aggregate", "touchpoints", "source"}


@dataclass
class CaseStudy:
    """A validated journey case study (see :func:`load_case`)."""

    name: str
    description: str
    scale: tuple[float, float]
    weak_below: float
    touchpoints: list[dict[str, Any]]
    aggregate: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    path: str = ""


def _case_dir() -> Path:
    return Path(str(importlib.resources.files("cxlab") / "case_studies"))


def list_cases() -> list[str]:
    """Names of the case studies shipped with cxlab (``cxlab/case_studies/*.yaml``).

    Examples
    --------
    >>> "electronics_product_launch" in list_cases()
    True
    """
    return sorted(p.stem for p in _case_dir().glob("*.yaml"))


def _resolve_case(case: str | Path) -> Path:
    p = Path(case)
    if p.is_file():
        return p
    shipped = _case_dir() / f"{p.stem if p.suffix in ('.yaml', '.yml') else case}.yaml"
    if shipped.is_file() and (p.parent == Path(".") or not p.parent.exists()):
        return shipped
    raise CxlabError(
        f"case study {str(case)!r}: no such file, and not a shipped case "
        f"({', '.join(list_cases())})."
    )


class _CaseErrors:
    def __init__(self, where: str) -> None:
        self.where = where
        self.items: list[str] = []

    def add(self, msg: str, tp: tuple[int, str] | None = None) -> None:
        loc = f"touch point {tp[0]} ({tp[1]!r}): " if tp else ""
        self.items.append(loc + msg)

    def raise_if_any(self) -> None:
        if self.items:
            raise CxlabError(f"{self.where}: invalid case study:\n  - " + "\n  - ".join(self.items))


def _is_number(v: Any) -> TypeGuard[float]:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _validate_case(doc: Any, where: str) -> CaseStudy:
    err = _CaseErrors(where)
    if not isinstance(doc, Mapping):
        err.add("the file must hold a mapping with 'name', 'scale' and 'touchpoints'.")
        err.raise_if_any()
    unknown = set(doc) - _CASE_FIELDS
    if unknown:
        err.add(f"unknown field(s) {sorted(unknown)}; allowed: {sorted(_CASE_FIELDS)}.")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        err.add("field 'name': required, a non-empty text.")
    desc = doc.get("description", "")
    if not isinstance(desc, str):
        err.add("field 'description': must be text.")
    scale = doc.get("scale")
    ok_scale = (
        isinstance(scale, Sequence)
        and not isinstance(scale, str)
        and len(scale) == 2
        and all(_is_number(v) for v in scale)
        and scale[0] < scale[1]
    )
    if not ok_scale:
        err.add(
            f"field 'scale': required, [low, high] with low < high (e.g. [0, 10]), not {scale!r}."
        )
        scale = (0.0, 10.0)
    lo, hi = float(scale[0]), float(scale[1])
    weak_below = doc.get("weak_below", lo + (hi - lo) / 2)
    if not _is_number(weak_below) or not lo <= weak_below <= hi:
        err.add(
            f"field 'weak_below': a number within the scale {lo:g}..{hi:g}, not {weak_below!r}."
        )
        weak_below = lo + (hi - lo) / 2
    tps = doc.get("touchpoints")
    if not isinstance(tps, list) or not tps:
        err.add("field 'touchpoints': required, a non-empty list of touch points in journey order.")
        tps = []
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for i, tp in enumerate(tps, start=1):
        if not isinstance(tp, Mapping):
            err.add(f"touch point {i}: must be a mapping with at least 'name' and 'stage'.")
            continue
        nm = tp.get("name")
        here = (i, str(nm))
        if not isinstance(nm, str) or not nm.strip():
            err.add("field 'name': required, a non-empty text.", here)
        elif nm in seen:
            err.add("field 'name': duplicate touch point name.", here)
        seen.add(str(nm))
        bad = set(tp) - _TP_FIELDS
        if bad:
            err.add(f"unknown field(s) {sorted(bad)}; allowed: {sorted(_TP_FIELDS)}.", here)
        if tp.get("stage") not in STAGES:
            err.add(f"field 'stage': one of {list(STAGES)}, not {tp.get('stage')!r}.", here)
        if "channel" in tp and not isinstance(tp["channel"], str):
            err.add("field 'channel': must be text.", here)
        if not isinstance(tp.get("intentional", True), bool):
            err.add(f"field 'intentional': true or false, not {tp.get('intentional')!r}.", here)
        if "customers" in tp and (not _is_number(tp["customers"]) or tp["customers"] < 0):
            err.add(f"field 'customers': a number >= 0, not {tp['customers']!r}.", here)
        if not isinstance(tp.get("in_aggregate", True), bool):
            err.add(f"field 'in_aggregate': true or false, not {tp.get('in_aggregate')!r}.", here)
        op = tp.get("operational")
        if op is not None:
            if not isinstance(op, Mapping):
                err.add("field 'operational': a mapping {kpi, value, target}.", here)
            else:
                if not isinstance(op.get("kpi"), str):
                    err.add("field 'operational.kpi': required, text.", here)
                val = op.get("value")
                if not (_is_number(val) or val == "conversion"):
                    err.add(
                        "field 'operational.value': a number, or 'conversion' (conversion of the "
                        f"warehouse journeys through the touch point), not {val!r}.",
                        here,
                    )
                if "target" in op and not _is_number(op["target"]):
                    err.add(f"field 'operational.target': a number, not {op['target']!r}.", here)
                if op.get("better", "higher") not in ("higher", "lower"):
                    err.add(
                        f"field 'operational.better': 'higher' or 'lower', not {op['better']!r}.",
                        here,
                    )
        rel, q = tp.get("relationship"), tp.get("query")
        if (rel is None) == (q is None):
            err.add("give exactly one of 'relationship' {score} or 'query' {metric, filter}.", here)
        if rel is not None:
            sc = rel.get("score") if isinstance(rel, Mapping) else None
            if not _is_number(sc) or not lo <= sc <= hi:
                err.add(
                    f"field 'relationship.score': a number within the scale {lo:g}..{hi:g}, "
                    f"not {sc!r}.",
                    here,
                )
        if q is not None:
            if not isinstance(q, Mapping):
                err.add("field 'query': a mapping {metric, filter}.", here)
            else:
                m = q.get("metric")
                if m not in _METRIC_SCALE:
                    err.add(f"field 'query.metric': one of {list(_METRIC_SCALE)}, not {m!r}.", here)
                elif _METRIC_SCALE[m] != (lo, hi):
                    slo, shi = _METRIC_SCALE[m]
                    err.add(
                        f"field 'query.metric': {m} runs {slo:g}..{shi:g} but the case's scale is "
                        f"{lo:g}..{hi:g}.",
                        here,
                    )
                flt = q.get("filter", {})
                if not isinstance(flt, Mapping) or set(flt) - {"touchpoint", "channel", "unit"}:
                    err.add(
                        "field 'query.filter': a mapping of touchpoint / channel / unit to a value "
                        f"or a list of values, not {flt!r}.",
                        here,
                    )
        clean.append(dict(tp))
    agg = doc.get("aggregate", {}) or {}
    if not isinstance(agg, Mapping):
        err.add("field 'aggregate': a mapping {label, score} or {label, query}.")
        agg = {}
    else:
        if "score" in agg and (not _is_number(agg["score"]) or not lo <= agg["score"] <= hi):
            err.add(
                f"field 'aggregate.score': a number within {lo:g}..{hi:g}, not {agg['score']!r}."
            )
        if "query" in agg:
            q = agg["query"]
            if not isinstance(q, Mapping) or q.get("metric") not in _METRIC_SCALE:
                err.add(f"field 'aggregate.query.metric': one of {list(_METRIC_SCALE)}.")
    err.raise_if_any()
    return CaseStudy(
        name=str(name),
        description=str(desc),
        scale=(lo, hi),
        weak_below=float(weak_below),
        touchpoints=clean,
        aggregate=dict(agg),
        source=str(doc.get("source", "")),
        path=where,
    )


def load_case(case: str | Path) -> CaseStudy:
    """Read and validate a journey case study (YAML).

    ``case`` is a path, or the name of a shipped case (:func:`list_cases`).
    Every problem is reported at once; messages name the file, the touch point
    and the field.

    The file::

        name: text
        description: text                 # optional
        scale: [0, 10]                     # the relationship scores' scale
        weak_below: 5                      # optional; default: the scale's midpoint
        aggregate:                         # optional: the headline that may mask
          label: text
          score: 8.9                       # or query: {metric, filter}
        touchpoints:                       # in journey order
          - name: text
            stage: attraction | interaction | cultivation
            channel: text                  # optional
            intentional: true | false      # default true
            customers: 4000                # optional: customers who met it
            in_aggregate: true | false     # optional: are they in the aggregate's sample?
            operational: {kpi: text, value: 0.12 | conversion, target: 0.25,
                          better: higher | lower}              # optional
            relationship: {score: 3}       # or:
            query: {metric: nps | csat | ces,
                    filter: {touchpoint: ..., channel: ..., unit: ...}}

    Examples
    --------
    >>> c = load_case("electronics_product_launch")
    >>> [tp["name"] for tp in c.touchpoints][:2]
    ['Media buzz', 'Store and phone staff: questions and pre-orders']
    """
    import yaml

    p = _resolve_case(case)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CxlabError(f"{p}: not valid YAML: {exc}") from None
    return _validate_case(doc, str(p))


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
    gap_days: float = 30,
    unit: str = "ALL",
    weight: str | None = None,
) -> pd.DataFrame:
    """Score a journey case study: one row per touch point in journey order.

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
    pandas.DataFrame
        ``order, touchpoint, stage, channel, intentional, kpi, kpi_value,
        kpi_low, kpi_high, kpi_target, kpi_met, score, score_low, score_high, n, customers,
        in_aggregate, weak, weak_reason``; ``attrs`` holds the case (``case``),
        the scale and ``weak_below``.

    Examples
    --------
    >>> r = case_study("electronics_product_launch")
    >>> r.loc[r["weak"], "order"].tolist()
    [2, 5]
    """
    c = case if isinstance(case, CaseStudy) else load_case(case)
    needs_con = any("query" in tp for tp in c.touchpoints) or "query" in c.aggregate
    needs_con |= any(
        (tp.get("operational") or {}).get("value") == "conversion" for tp in c.touchpoints
    )
    if needs_con and con is None:
        raise CxlabError(
            f"{c.path}: this case study queries the warehouse; pass con="
            "cxlab.warehouse.connect(...)."
        )
    conv = None
    rows = []
    for i, tp in enumerate(c.touchpoints, start=1):
        op = tp.get("operational") or {}
        val = op.get("value")
        if val == "conversion":
            if conv is None:
                conv = removal_effects(
                    interactions_view(con, unit), gap_days=gap_days, level=level, n_boot=0
                ).set_index("touchpoint")
            tpname = (tp.get("query") or {}).get("filter", {}).get("touchpoint", tp["name"])
            if tpname not in conv.index:
                raise CxlabError(
                    f"{c.path}: touch point {i} ({tp['name']!r}): field 'operational.value': "
                    f"no journeys pass through {tpname!r} in the warehouse."
                )
            val, klo, khi = (float(conv.loc[tpname, k]) / 100.0 for k in KPI_COLS)
        else:
            klo = khi = np.nan
        target = op.get("target", np.nan)
        met = np.nan
        if _is_number(val) and _is_number(target) and not np.isnan(val):
            higher = op.get("better", "higher") == "higher"
            # a warehouse-derived KPI misses only when its interval excludes the target
            v_hi = val if np.isnan(khi) else khi
            v_lo = val if np.isnan(klo) else klo
            met = bool(v_hi >= target) if higher else bool(v_lo <= target)
        n: float
        if "query" in tp:
            score, slo, shi, n = _query_score(con, tp["query"], level, unit, weight)
        else:
            score, slo, shi, n = float(tp["relationship"]["score"]), np.nan, np.nan, np.nan
        reasons = []
        if score < c.weak_below:
            reasons.append(f"score {score:.3g} below {c.weak_below:g}")
        if met is False:
            reasons.append(f"{op.get('kpi')} {val:.3g} misses target {target:.3g}")
        rows.append(
            {
                "order": i,
                "touchpoint": tp["name"],
                "stage": tp["stage"],
                "channel": tp.get("channel", ""),
                "intentional": bool(tp.get("intentional", True)),
                "kpi": op.get("kpi", ""),
                "kpi_value": float(val) if _is_number(val) else np.nan,
                "kpi_low": klo,
                "kpi_high": khi,
                "kpi_target": float(target) if _is_number(target) else np.nan,
                "kpi_met": met,
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
    out = pd.DataFrame(rows)
    agg = dict(c.aggregate)
    if "query" in agg:
        agg["score"], agg["low"], agg["high"], agg["n"] = _query_score(
            con, agg["query"], level, unit, weight
        )
    out.attrs.update(
        {
            "case": c.name,
            "description": c.description,
            "source": c.source,
            "scale": c.scale,
            "weak_below": c.weak_below,
            "aggregate": agg,
        }
    )
    return out


def aggregate_masking(result: pd.DataFrame) -> pd.DataFrame:
    """How the aggregate score masks the weak touch points of a :func:`case_study`.

    The aggregate is the case's ``aggregate.score`` (or query); without one, the
    mean of the touch-point scores weighted by ``customers`` over the touch
    points ``in_aggregate``. For every weak touch point: its score, the gap to
    the aggregate, the customers who met it, and whether they are in the
    aggregate's sample at all (``in_aggregate: false``: survivorship -- e.g.
    customers turned away by a stock-out never became buyers, so a survey of
    buyers cannot hear them).

    Returns
    -------
    pandas.DataFrame
        One row per weak touch point: ``touchpoint, score, aggregate, gap,
        customers, share_of_customers, in_aggregate, weak_reason``; ``attrs``
        carries ``aggregate``, ``aggregate_label``, ``hidden_customers`` (met a
        weak touch point and are not in the aggregate's sample) and
        ``all_touchpoints_mean`` (unweighted mean of every touch point's score).

    Examples
    --------
    >>> m = aggregate_masking(case_study("electronics_product_launch"))
    >>> m["touchpoint"].tolist()
    ['Store and phone staff: questions and pre-orders', 'Stock-out: customers turned away']
    """
    if result.empty:
        raise CxlabError("aggregate_masking: the case study has no touch points.")
    agg = result.attrs.get("aggregate", {}) or {}
    score = agg.get("score")
    inc = result[result["in_aggregate"]]
    if score is None:
        w = inc["customers"].fillna(1.0).to_numpy(float)
        if inc.empty or w.sum() <= 0:
            raise CxlabError(
                "aggregate_masking: no aggregate score given and no touch point in the aggregate."
            )
        score = float(np.average(inc["score"].to_numpy(float), weights=w))
    weak = result[result["weak"]].copy()
    total = result["customers"].max()
    out = pd.DataFrame(
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
    out.attrs.update(
        {
            "aggregate": score,
            "aggregate_label": agg.get("label", "aggregate"),
            "aggregate_low": agg.get("low", np.nan),
            "aggregate_high": agg.get("high", np.nan),
            "hidden_customers": float(weak.loc[~weak["in_aggregate"], "customers"].fillna(0).sum()),
            "all_touchpoints_mean": float(result["score"].mean()),
        }
    )
    return out
