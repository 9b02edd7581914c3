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
_NUMBER = {"type": "number", "description": "a number"}
_BOOL = {"type": "boolean", "description": "true or false"}
_TEXT = {"type": "string", "description": "must be text"}
_METRIC = {"enum": list(_METRIC_SCALE), "description": f"one of {list(_METRIC_SCALE)}"}
_FILTER = {
    "type": "object",
    "propertyNames": {"enum": ["touchpoint", "channel", "unit"]},
    "description": "a mapping of touchpoint / channel / unit to a value or a list of values",
}
_TOUCHPOINT: dict[str, Any] = {
    "type": "object",
    "description": "must be a mapping with at least 'name' and 'stage'",
    "required": ["name", "stage"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"\S", "description": "a non-empty text"},
        "stage": {"enum": list(STAGES), "description": f"one of {list(STAGES)}"},
        "channel": _TEXT,
        "intentional": _BOOL,
        "in_aggregate": _BOOL,
        "customers": {"type": "number", "minimum": 0, "description": "a number >= 0"},
        "note": {},
        "operational": {
            "type": "object",
            "description": "a mapping {kpi, value, target}",
            "required": ["kpi"],
            "properties": {
                "kpi": {"type": "string", "description": "text"},
                "value": {
                    "anyOf": [{"type": "number"}, {"const": "conversion"}],
                    "description": "a number, or 'conversion' (conversion of the warehouse "
                    "journeys through the touch point)",
                },
                "target": _NUMBER,
                "better": {"enum": ["higher", "lower"], "description": "'higher' or 'lower'"},
            },
        },
        "relationship": {
            "type": "object",
            "description": "a mapping {score}",
            "required": ["score"],
            "properties": {"score": {}},  # a number within the scale: _scale_rules
        },
        "query": {
            "type": "object",
            "description": "a mapping {metric, filter}",
            "required": ["metric"],
            "properties": {"metric": _METRIC, "filter": _FILTER},
        },
    },
}
#: JSON Schema (2020-12) of a case-study file: the structure. The rules that
#: depend on the case's scale, and unique names, are checked by :func:`_scale_rules`.
CASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "the file must hold a mapping with 'name', 'scale' and 'touchpoints'",
    "required": ["name", "scale", "touchpoints"],
    "additionalProperties": False,
    "properties": {
        "name": _TOUCHPOINT["properties"]["name"],
        "description": _TEXT,
        "source": {},
        "scale": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 2,
            "description": "[low, high] with low < high (e.g. [0, 10])",
        },
        "weak_below": {},  # a number within the scale: _scale_rules
        "touchpoints": {
            "type": "array",
            "minItems": 1,
            "items": _TOUCHPOINT,
            "description": "a non-empty list of touch points in journey order",
        },
        "aggregate": {
            "type": ["object", "null"],
            "description": "a mapping {label, score} or {label, query}",
            "properties": {
                "label": {},
                "score": {},  # a number within the scale: _scale_rules
                "query": {
                    "type": "object",
                    "required": ["metric"],
                    "description": "a mapping {metric, filter}",
                    "properties": {"metric": _METRIC, "filter": _FILTER},
                },
            },
        },
    },
}


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


def _validator() -> Any:
    """A JSON Schema validator of :data:`CASE_SCHEMA` whose numbers are finite (not bools)."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    types = base.TYPE_CHECKER.redefine("number", lambda _checker, v: is_number(v))
    return jsonschema.validators.extend(base, type_checker=types)(CASE_SCHEMA)


def _where(doc: Any, path: Sequence[Any]) -> tuple[str, list[str]]:
    """``"touch point 2 ('Stock-out'): "`` (or ``""``) and the field path below it."""
    parts = [str(x) for x in path]
    if len(path) >= 2 and path[0] == "touchpoints" and isinstance(path[1], int):
        tp = doc["touchpoints"][path[1]]
        name = f" ({str(tp.get('name'))!r})" if isinstance(tp, Mapping) else ""
        return f"touch point {path[1] + 1}{name}: ", parts[2:]
    return "", parts


def _described(doc: Any, err: Any) -> tuple[list[Any], dict[str, Any]]:
    """The error's field: the deepest schema on its way that describes its rule, and the
    instance path down to it (an item of ``scale`` is reported as ``scale``)."""
    node, best, depth, path = CASE_SCHEMA, CASE_SCHEMA, 0, list(err.absolute_schema_path)
    keep, i = 0, 0
    while i < len(path) and path[i] in ("properties", "items"):
        node = node["properties"][path[i + 1]] if path[i] == "properties" else node["items"]
        i += 2 if path[i] == "properties" else 1
        depth += 1
        if "description" in node:
            best, keep = node, depth
    return list(err.absolute_path)[:keep], best


def _message(doc: Any, err: Any) -> str:
    """One schema error as the file's reader needs it: touch point, field, rule, value."""
    if err.validator == "required":
        loc, field_path = _where(doc, list(err.absolute_path))
        missing = err.message.split("'")[1]  # "'stage' is a required property"
        sub = err.schema["properties"][missing].get("description", "")
        return f"{loc}field {'.'.join([*field_path, missing])!r}: required, {sub}."
    if err.validator == "additionalProperties":
        loc, _ = _where(doc, list(err.absolute_path))
        allowed = sorted(err.schema["properties"])
        unknown = sorted(set(err.instance) - set(allowed))
        return f"{loc}unknown field(s) {unknown}; allowed: {allowed}."
    path, schema = _described(doc, err)
    loc, field_path = _where(doc, path)
    value = doc
    for key in path:
        value = value[key]
    if not field_path:
        return f"{loc}{schema['description']}."
    return f"{loc}field {'.'.join(field_path)!r}: {schema['description']}, not {value!r}."


def _scale_rules(doc: Mapping[str, Any], lo: float, hi: float) -> list[str]:
    """What the schema cannot say: scores within the case's scale, matching metric scales,
    exactly one of relationship / query per touch point, unique names."""
    out = []
    wb = doc.get("weak_below", lo + (hi - lo) / 2)
    if not (is_number(wb) and lo <= wb <= hi):
        out.append(f"field 'weak_below': a number within the scale {lo:g}..{hi:g}, not {wb!r}.")
    seen: set[str] = set()
    tps = doc.get("touchpoints")
    for i, tp in enumerate(tps if isinstance(tps, list) else [], start=1):
        if not isinstance(tp, Mapping):
            continue
        here = f"touch point {i} ({str(tp.get('name'))!r}): "
        if tp.get("name") in seen:
            out.append(here + "field 'name': duplicate touch point name.")
        seen.add(str(tp.get("name")))
        rel, q = tp.get("relationship"), tp.get("query")
        if (rel is None) == (q is None):
            out.append(here + "give exactly one of 'relationship' {score} or 'query' "
                       "{metric, filter}.")  # fmt: skip
        sc = rel.get("score") if isinstance(rel, Mapping) else None
        if isinstance(rel, Mapping) and not (is_number(sc) and lo <= sc <= hi):
            out.append(
                here + f"field 'relationship.score': a number within the scale {lo:g}..{hi:g}, "
                f"not {sc!r}."
            )
        m = q.get("metric") if isinstance(q, Mapping) else None
        if m in _METRIC_SCALE and _METRIC_SCALE[m] != (lo, hi):
            slo, shi = _METRIC_SCALE[m]
            out.append(
                here + f"field 'query.metric': {m} runs {slo:g}..{shi:g} but the case's scale is "
                f"{lo:g}..{hi:g}."
            )
    agg = doc.get("aggregate")
    sc = agg.get("score") if isinstance(agg, Mapping) else None
    if isinstance(agg, Mapping) and "score" in agg and not (is_number(sc) and lo <= sc <= hi):
        out.append(f"field 'aggregate.score': a number within {lo:g}..{hi:g}, not {sc!r}.")
    return out


def _in_file_order(err: Any) -> list[tuple[int, str]]:
    """Sort key: fields in the order the file format lists them, touch points in order."""
    top = list(CASE_SCHEMA["properties"])
    return [
        (x, "") if isinstance(x, int) else (top.index(x) if x in top else len(top), str(x))
        for x in err.absolute_path
    ]


def _validate_case(doc: Any, where: str) -> CaseStudy:
    """The case of a parsed file, or one :class:`CxlabError` listing every problem in it."""
    errors = sorted(_validator().iter_errors(doc), key=_in_file_order)
    items = [_message(doc, e) for e in errors]
    if isinstance(doc, Mapping):
        scale = doc.get("scale")
        ok = isinstance(scale, list) and not any(e.path and e.path[0] == "scale" for e in errors)
        if ok and not scale[0] < scale[1]:  # type: ignore[index]
            items.append(
                f"field 'scale': [low, high] with low < high (e.g. [0, 10]), not {scale!r}."
            )
            ok = False
        lo, hi = (float(scale[0]), float(scale[1])) if ok else (0.0, 10.0)  # type: ignore[index]
        items += _scale_rules(doc, lo, hi)
    if items:
        raise CxlabError(f"{where}: invalid case study:\n  - " + "\n  - ".join(items))
    return CaseStudy(
        name=str(doc["name"]),
        description=str(doc.get("description", "")),
        scale=(lo, hi),
        weak_below=float(doc.get("weak_below", lo + (hi - lo) / 2)),
        touchpoints=[dict(tp) for tp in doc["touchpoints"]],
        aggregate=dict(doc.get("aggregate") or {}),
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
