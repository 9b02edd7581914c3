"""The table rules, checked as SQL inside DuckDB, and the one message they make.

Validation happens where the data are: every value of the staged file is
parsed and checked by one DuckDB query (``CREATE TEMP TABLE __typed``) that
produces the typed value of each warehouse column and, beside it, the code of
the first rule it breaks. One aggregate then counts every broken rule, and the
first few rows of each are looked up for the message. (pandera, which cxlab
0.1 used on pandas chunks, runs one query per check in its Ibis backend and
materialises every failure case; on a million rows the engine-side checks are
about three times faster and hold nothing in Python.)

The rules, from :data:`cxlab.schema.TABLES` and the domain:

- numbers parse (``1e3``, `` 7 ``, and a labelled answer's leading number as in
  ``10 - Extremely likely``), are finite, whole for integer columns, and within
  the scale (:data:`cxlab.schema.SCALES`), ``weight >= 0``, ``market_share`` in
  0-1, ``new_customers >= 0``;
- dates and date-times are ISO 8601 (time-zone offsets are converted to UTC),
  or match ``--date-format`` / ``--dayfirst``; a date column takes the day of a
  date-time;
- ``stage`` is one of :data:`cxlab.schema.STAGES`, any case;
- quarter labels look like ``2025Q3``; a responses ``quarter`` given in the
  file must equal the quarter of ``survey_date`` (it is always derived);
- ``valid_to`` is on or after ``valid_from``;
- required values are not empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cxlab.errors import ValidationError
from cxlab.schema import SCALES, SCORES, STAGES, Column, Table
from cxlab.warehouse.readers import Renumber, Source
from cxlab.warehouse.spec import LoadSpec
from cxlab.warehouse.store import lit, q

__all__ = ["Plan", "check", "final_view", "plan", "typed_sql"]

MAX_EXAMPLES = 5

_TRUE = ("true", "t", "yes", "y", "1", "1.0")
_FALSE = ("false", "f", "no", "n", "0", "0.0")
_DAYFIRST = [
    f"%d{sep}%m{sep}{year}{time}"
    for sep in "/.-"
    for year in ("%Y", "%y")
    for time in ("", " %H:%M", " %H:%M:%S")
]
#: Columns the format names for us: (format, warehouse column) -> file column.
FORMAT_COLUMNS = {
    "qualtrics": {"response_id": "ResponseId", "survey_date": "RecordedDate"},
    "surveymonkey": {"response_id": "Respondent ID", "survey_date": "End Date"},
}
_LOOKS_LIKE_DMY = r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@dataclass
class Plan:
    """Where each warehouse column comes from in the staged file."""

    table: Table
    source: Source
    spec: LoadSpec
    exprs: dict[str, str] = field(default_factory=dict)  # column -> raw SQL expression
    raw_types: dict[str, str] = field(default_factory=dict)
    file_column: dict[str, str] = field(default_factory=dict)  # column -> file column
    absent: list[str] = field(default_factory=list)  # optional columns stored as NULL
    ignored: list[str] = field(default_factory=list)  # file columns not used
    incomplete: str | None = None  # SQL: true for an unfinished response
    incomplete_rule: str = ""

    @property
    def where(self) -> str:
        sheet = f" (sheet {self.source.sheet!r})" if self.source.sheet else ""
        return f"{self.source.path}{sheet}"


def _find(src: Source, name: str) -> str | None:
    if name in src.columns:
        return name
    if name in src.aliases:
        return src.aliases[name]
    stripped = name.strip()
    for c in src.columns:
        if c.strip() == stripped:
            return c
    return None


def plan(t: Table, src: Source, spec: LoadSpec) -> Plan:
    """Match the file's columns to table ``t``'s; a missing required column is an error."""
    p = Plan(t, src, spec)
    shown = p.where
    for target in [*spec.columns, *spec.constants, *spec.recode]:
        if target not in t.column_names:
            given = spec.columns.get(target, spec.constants.get(target, "(recode)"))
            raise ValidationError(
                f"{shown}: column mapping {given!r}={target!r}: {target!r} is not a column "
                f"of table {t.name!r} ({', '.join(t.column_names)})."
            )
    for target, name in spec.columns.items():
        found = _find(src, name)
        if found is None:
            raise ValidationError(
                f"{shown}: column mapping {name!r}={target!r}: the file has no column "
                f"{name!r}; its columns are: {', '.join(map(repr, src.columns))}."
            )
        p.file_column[target] = found
    by_norm: dict[str, list[str]] = {}
    for col in src.columns:
        by_norm.setdefault(_norm(col), []).append(col)
    defaults = FORMAT_COLUMNS.get(src.format, {})
    for c in t.columns:
        if c.name in p.file_column or c.name in spec.constants:
            continue
        if c.name in src.columns:
            p.file_column[c.name] = c.name
        elif defaults.get(c.name) in src.columns:
            p.file_column[c.name] = defaults[c.name]
        elif len(by_norm.get(_norm(c.name), [])) == 1:
            p.file_column[c.name] = by_norm[_norm(c.name)][0]
    for c in t.columns:
        if c.name in spec.constants:
            p.exprs[c.name] = lit(spec.constants[c.name])
            p.raw_types[c.name] = "VARCHAR"
        elif c.name in p.file_column:
            i = src.columns.index(p.file_column[c.name])
            expr, typ = f"c{i}", src.types[i]
            labels = src.value_labels.get(p.file_column[c.name])
            if labels and c.type == "VARCHAR":  # SPSS value labels for text columns
                cases = " ".join(f"WHEN {_sql_value(k)} THEN {lit(v)}" for k, v in labels.items())
                expr, typ = f"CASE {expr} {cases} ELSE CAST({expr} AS VARCHAR) END", "VARCHAR"
            p.exprs[c.name], p.raw_types[c.name] = expr, typ
    used = set(p.file_column.values())
    missing = [c.name for c in t.columns if c.required and c.name not in p.exprs]
    if t.name == "responses" and not any(s in p.exprs for s in SCORES):
        missing.append("a score (ltr, csat or ces)")
    if t.name == "responses":
        _completion(p, by_norm, used)
    if missing:
        sheets = ""
        if src.sheets:
            sheets = (
                f" The workbook's sheets are: {', '.join(map(repr, src.sheets))}; pick "
                "another with --sheet NAME."
            )
        raise ValidationError(
            f"{shown}: required column(s) missing for table {t.name!r}: {', '.join(missing)}. "
            f"The file's columns are: {', '.join(map(repr, src.columns))}. Name an export "
            'column with --map "File column=target", or give a constant with --set '
            f"column=value.{sheets}"
        )
    p.absent = [
        c.name
        for c in t.columns
        if c.name not in p.exprs and not (t.name == "responses" and c.name == "quarter")
    ]
    p.ignored = [c for c in src.columns if c not in used and c not in p.file_column.values()]
    if p.incomplete:
        p.ignored = [c for c in p.ignored if _norm(c) not in ("finished", "progress")]
    return p


def _sql_value(v: Any) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return repr(float(v))
    return lit(v)


def _completion(p: Plan, by_norm: dict[str, list[str]], used: set[str]) -> None:
    """Qualtrics-style ``Finished`` (or ``Progress`` < 100) marks unfinished responses."""
    for name, rule in (
        ("finished", "the export's Finished column is false"),
        ("progress", "the export's Progress column is below 100"),
    ):
        cols = by_norm.get(name, [])
        if len(cols) == 1 and cols[0] not in used:
            i = p.source.columns.index(cols[0])
            text = f"lower(trim(CAST(c{i} AS VARCHAR)))"
            p.incomplete = (
                f"{text} IN {tuple(_FALSE)}"
                if name == "finished"
                else f"TRY_CAST({text} AS DOUBLE) < 100"
            )
            p.incomplete_rule = rule
            return


# --------------------------------------------------------------------------- #
# Typed values and rule codes in one query
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Rule:
    text: str
    broken: str  # SQL over §p (the parsed value): true when broken


def _rules(t: Table, c: Column) -> tuple[str, list[_Rule]]:
    """(parse failure text, value rules) of column ``c``."""
    rules: list[_Rule] = []
    parse = ""
    if c.type in ("INTEGER", "BIGINT", "DOUBLE"):
        parse = "must be a number"
        rules.append(_Rule("must be finite (not infinity)", "isinf(§p)"))
        if c.type != "DOUBLE":
            rules.append(_Rule("must be a whole number", "§p <> trunc(§p)"))
    elif c.type == "DATE":
        parse = "must be a date such as 2025-03-31 (ISO 8601, year-month-day)"
    elif c.type == "TIMESTAMP":
        parse = "must be a date-time such as 2025-03-31 14:05:00 (ISO 8601)"
    elif c.type == "BOOLEAN":
        parse = "must be true or false (also yes/no, 1/0)"
    if (t.name, c.name) in SCALES:
        lo, hi = SCALES[t.name, c.name]
        rules.append(_Rule(f"must be between {lo} and {hi}", f"§p < {lo} OR §p > {hi}"))
    elif c.name == "weight":
        rules.append(_Rule("must be >= 0 (survey weights are not negative)", "§p < 0"))
    elif c.name == "market_share":
        rules.append(_Rule("must be between 0 and 1 (a share, not a percent)", "§p < 0 OR §p > 1"))
    elif c.name == "new_customers":
        rules.append(_Rule("must be >= 0", "§p < 0"))
    elif c.name == "stage":
        rules.append(_Rule("must be one of " + ", ".join(STAGES), f"§p NOT IN {tuple(STAGES)}"))
    elif c.name == "quarter" and t.name != "responses":
        rules.append(
            _Rule(
                "must be a quarter label such as 2025Q3",
                "NOT regexp_full_match(§p, '[0-9]{4}Q[1-4]')",
            )
        )
    return parse, rules


def _text(expr: str, typ: str) -> str:
    """Trimmed text, missing-value markers as NULL (trim only where needed: it is costly)."""
    if typ == "VARCHAR":
        nulls = ", ".join(lit(v) for v in ("", "NA", "N/A", "n/a", "null", "NULL", "NaN", "nan"))
        return (
            f"CASE WHEN {expr} LIKE ' %' OR {expr} LIKE '% ' THEN NULLIF(trim({expr}), '') "
            f"WHEN {expr} IN ({nulls}) THEN NULL ELSE {expr} END"
        )
    return f"CAST({expr} AS VARCHAR)"


def _parse(c: Column, expr: str, typ: str, spec: LoadSpec) -> str:
    """SQL for the parsed value of column ``c`` from text ``t`` (or typed ``expr``)."""
    numeric_raw = typ in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE")
    numeric_raw = numeric_raw or typ.startswith("DECIMAL") or typ.startswith("UTINY")
    if c.type in ("INTEGER", "BIGINT", "DOUBLE"):
        if numeric_raw:
            return "CAST(§r AS DOUBLE)"
        prefix = r"^\s*(-?[0-9]+(\.[0-9]+)?)\s*[-–—:=.)]\s+\S"
        return (
            "CASE WHEN TRY_CAST(§t AS DOUBLE) IS NOT NULL THEN TRY_CAST(§t AS DOUBLE) "
            f"ELSE TRY_CAST(NULLIF(regexp_extract(§t, {lit(prefix)}, 1), '') AS DOUBLE) END"
        )
    if c.type in ("DATE", "TIMESTAMP"):
        if typ.startswith("TIMESTAMP") or typ == "DATE":
            return "CAST(§r AS TIMESTAMP)"
        if numeric_raw:
            return "CAST(NULL AS TIMESTAMP)"
        formats = list(spec.date_format) + (_DAYFIRST if spec.dayfirst else [])
        parts = []
        if formats:
            parts.append(f"try_strptime(§t, [{', '.join(lit(f) for f in formats)}])")
        # offsets need the (slower) time-zone-aware cast; plain ISO values do not
        parts.append(
            "CASE WHEN length(§t) <= 19 THEN TRY_CAST(§t AS TIMESTAMP) "
            "ELSE CAST(TRY_CAST(§t AS TIMESTAMPTZ) AS TIMESTAMP) END"
        )
        return f"coalesce({', '.join(parts)})"
    if c.type == "BOOLEAN":
        if typ == "BOOLEAN":
            return "§r"
        return f"CASE WHEN lower(§t) IN {_TRUE} THEN true WHEN lower(§t) IN {_FALSE} THEN false END"
    if c.name == "stage":
        return "lower(§t)"
    return "§t"


def _final(c: Column) -> str:
    if c.type in ("INTEGER", "BIGINT"):
        return f"CAST(CASE WHEN isfinite(§p) AND §p = trunc(§p) THEN §p END AS {c.type})"
    if c.type == "DATE":
        return "CAST(§p AS DATE)"
    return "§p"


@dataclass
class Typed:
    """The codes of broken rules: (column, code) -> rule text."""

    codes: dict[tuple[str, int], str]
    frame_codes: dict[str, str]


def typed_sql(p: Plan) -> tuple[str, Typed]:
    """``CREATE TEMP TABLE __typed`` with each column's value and rule code, and the codes."""
    t, spec = p.table, p.spec
    inner, middle, outer = ["__row"], ["__row"], ["__row"]
    codes: dict[tuple[str, int], str] = {}
    frame_codes: dict[str, str] = {}
    for c in t.columns:
        if c.name not in p.exprs:
            if not (t.name == "responses" and c.name == "quarter"):
                outer.append(f"CAST(NULL AS {c.type}) AS {q(c.name)}")
            continue
        expr, typ = p.exprs[c.name], p.raw_types[c.name]
        text = _text(expr, typ)
        recode = spec.recode.get(c.name)
        if recode:
            cases = " ".join(f"WHEN {lit(k.lower())} THEN {lit(v)}" for k, v in recode.items())
            text = f"CASE lower({text}) {cases} ELSE {text} END"
        parsed = _parse(c, expr, typ, spec)
        inner.append(f"{text} AS {q('t:' + c.name)}")
        inner.append(f"{expr} AS {q('r:' + c.name)}")
        middle.append(q("t:" + c.name))
        tcol, pcol = q("t:" + c.name), q("p:" + c.name)
        middle.append(f"{parsed.replace('§t', tcol).replace('§r', q('r:' + c.name))} AS {pcol}")
        parse_text, rules = _rules(t, c)
        whens = []
        if not c.nullable:
            codes[c.name, 1] = "must not be empty"
            whens.append(f"WHEN {tcol} IS NULL THEN 1")
        if parse_text:
            codes[c.name, 2] = parse_text
            whens.append(f"WHEN {tcol} IS NOT NULL AND {pcol} IS NULL THEN 2")
        for k, rule in enumerate(rules, start=3):
            codes[c.name, k] = rule.text
            whens.append(
                f"WHEN {pcol} IS NOT NULL AND ({rule.broken.replace('§p', pcol)}) THEN {k}"
            )
        bad = f"CASE {' '.join(whens)} END" if whens else "NULL"
        outer.append(f"{_final(c).replace('§p', pcol)} AS {q(c.name)}")
        outer.append(f"CAST({bad} AS UTINYINT) AS {q('bad:' + c.name)}")
    if t.name == "responses":
        date = q("p:survey_date")
        derived = f"(year({date}) || 'Q' || quarter({date}))"
        # the label is made once per quarter (see QUARTER_VIEW), not per row: cheaper
        outer.append(f"year({date}) * 10 + quarter({date}) AS __qi")
        if "quarter" in p.exprs:
            frame_codes["quarter"] = (
                "must equal the quarter of survey_date (e.g. 2025-08-14 is 2025Q3)"
            )
            outer.append(
                f"CAST(CASE WHEN {q('t:quarter')} IS NOT NULL AND {date} IS NOT NULL AND "
                f"{q('t:quarter')} <> {derived} THEN 1 END AS UTINYINT) AS {q('frame:quarter')}"
            )
        skip = []
        if p.incomplete and not spec.keep_incomplete:
            inner.append(f"({p.incomplete}) AS __incomplete")
            middle.append("__incomplete")
            skip.append("WHEN __incomplete THEN 'incomplete response'")
        scores = [q("t:" + s) for s in SCORES if s in p.exprs]
        skip.append(f"WHEN {' AND '.join(f'{s} IS NULL' for s in scores)} THEN 'blank score'")
        outer.append(f"CASE {' '.join(skip)} END AS __skip")
    else:
        outer.append("CAST(NULL AS VARCHAR) AS __skip")
    if t.name == "customer_history" and "valid_to" in p.exprs:
        frame_codes["valid_to"] = "must be on or after valid_from"
        outer.append(
            f"CAST(CASE WHEN {q('p:valid_to')} < {q('p:valid_from')} THEN 1 END AS UTINYINT) "
            f"AS {q('frame:valid_to')}"
        )
    sql = (
        f"CREATE TEMP TABLE __typed AS SELECT {', '.join(outer)} FROM (SELECT "
        f"{', '.join(middle)} FROM (SELECT {', '.join(inner)} FROM __src))"
    )
    return sql, Typed(codes, frame_codes)


# --------------------------------------------------------------------------- #
# Counting broken rules and writing the message
# --------------------------------------------------------------------------- #


def fmt_value(v: Any) -> str:
    import datetime as dt
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "(empty)"
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return str(v.date()) if v.time() == dt.time() else str(v)
    return str(v)


def check(con: Any, p: Plan, typed: Typed, note: str) -> None:
    """Raise one :class:`ValidationError` listing every broken rule, or return."""
    items = [(col, k, text, q("bad:" + col)) for (col, k), text in typed.codes.items()]
    items += [(col, 1, text, q("frame:" + col)) for col, text in typed.frame_codes.items()]
    if not items:
        return
    counts = con.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {sel} = {k})" for _, k, _, sel in items)
        + " FROM __typed WHERE __skip IS NULL"
    ).fetchone()
    broken = [(item, int(n)) for item, n in zip(items, counts, strict=True) if n]
    if not broken:
        return
    if not p.source.numbered:
        raise Renumber
    lines = []
    first_rows = []
    hints: set[str] = set()
    for (col, k, text, sel), n in broken:
        rows = [
            r[0]
            for r in con.execute(
                f"SELECT __row FROM __typed WHERE {sel} = {k} AND __skip IS NULL "
                f"ORDER BY __row LIMIT {MAX_EXAMPLES}"
            ).fetchall()
        ]
        values: list[Any] = []
        if col in p.exprs:
            raw = dict(
                con.execute(
                    f"SELECT __row, {p.exprs[col]} FROM __src WHERE __row IN "
                    f"({', '.join(map(str, rows))})"
                ).fetchall()
            )
            values = [raw.get(r) for r in rows]
        more = ", ..." if n > len(rows) else ""
        label = repr(col)
        if col in p.file_column and p.file_column[col] != col:
            label += f" (file column {p.file_column[col]!r})"
        elif col in p.spec.constants:
            label += " (--set)"
        line = (
            f"  - column {label} {text}: {n} row{'s' if n != 1 else ''} "
            f"({p.source.locate(rows)}{more})"
        )
        if text != "must not be empty" and col in p.exprs and (col, k) in typed.codes:
            line += "; value" + ("s" if len(values) > 1 else "") + ": "
            line += ", ".join(fmt_value(v) for v in values) + more
        hints |= _hints(text, values)
        lines.append(line)
        first_rows.append(rows[0] if rows else 0)
    order = sorted(range(len(lines)), key=lambda i: first_rows[i])
    head = (
        f"{p.where}: {len(lines)} rule{'s' if len(lines) != 1 else ''} broken; nothing was "
        f"loaded into table {p.table.name!r}. {note}"
    )
    raise ValidationError("\n".join([head, *(lines[i] for i in order), *sorted(hints)]))


def _hints(rule: str, values: Sequence[Any]) -> set[str]:
    import re

    out = set()
    texts = [v for v in values if isinstance(v, str)]
    if rule.startswith("must be a date") and any(re.match(_LOOKS_LIKE_DMY, v) for v in texts):
        out.add(
            '  Dates like these need their format: --date-format "%m/%d/%Y %I:%M:%S %p" '
            '(US, with AM/PM), --date-format "%m/%d/%Y", or --dayfirst for 31/12/2025.'
        )
    if rule == "must be a number" and any(re.search(r"[A-Za-z]", v) for v in texts):
        out.add(
            '  Labelled answers need numbers: --recode "column:Very satisfied=5,Satisfied=4,..."'
            " (or a 'recode:' section in a --mapping file)."
        )
    return out


def final_view(con: Any, t: Table) -> None:
    """``__final``: the typed rows as the table stores them (quarter labels added)."""
    if t.name != "responses":
        con.execute("CREATE OR REPLACE TEMP VIEW __final AS SELECT * FROM __typed")
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __quarters AS SELECT DISTINCT __qi, "
        "CAST(__qi // 10 AS VARCHAR) || 'Q' || CAST(__qi % 10 AS VARCHAR) AS quarter "
        "FROM __typed"
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW __final AS SELECT __typed.*, __quarters.quarter "
        "FROM __typed LEFT JOIN __quarters USING (__qi)"
    )
