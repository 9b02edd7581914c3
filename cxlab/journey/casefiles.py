"""Journey case-study files: YAML loaded and validated into a :class:`CaseStudy`.

Shipped cases live in ``cxlab/case_studies``; :func:`load_case` reads a path
or a shipped name and reports every problem at once, naming the file, the
touch point and the field. :mod:`cxlab.journey.cases` scores them.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError
from cxlab.journey._common import is_number
from cxlab.schema import STAGES

__all__ = ["CaseStudy", "list_cases", "load_case"]

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
        and all(is_number(v) for v in scale)
        and scale[0] < scale[1]
    )
    if not ok_scale:
        err.add(
            f"field 'scale': required, [low, high] with low < high (e.g. [0, 10]), not {scale!r}."
        )
        scale = (0.0, 10.0)
    lo, hi = float(scale[0]), float(scale[1])
    weak_below = doc.get("weak_below", lo + (hi - lo) / 2)
    if not is_number(weak_below) or not lo <= weak_below <= hi:
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
        if "customers" in tp and (not is_number(tp["customers"]) or tp["customers"] < 0):
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
                if not (is_number(val) or val == "conversion"):
                    err.add(
                        "field 'operational.value': a number, or 'conversion' (conversion of the "
                        f"warehouse journeys through the touch point), not {val!r}.",
                        here,
                    )
                if "target" in op and not is_number(op["target"]):
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
            if not is_number(sc) or not lo <= sc <= hi:
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
        if "score" in agg and (not is_number(agg["score"]) or not lo <= agg["score"] <= hi):
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
