"""The DuckDB warehouse: create it, query it with Ibis, and load files into it.

Loading (:func:`ingest`) is *validated* and *all or nothing*:

1. The file (CSV, Parquet file or folder of Parquet parts, Excel ``.xlsx``) is
   read in chunks of about half a million rows, so a file with ten million
   survey responses never sits in memory at once.
2. Each chunk is checked with a `pandera <https://pandera.readthedocs.io>`_
   schema built from :data:`cxlab.schema.TABLES` plus the domain rules (LTR is
   a whole number 0-10, CSAT 1-5, CES 1-7, weights >= 0, dates parse, ...).
   Every broken rule in the whole file is collected and reported in one
   message naming the file, column, rule, row numbers and offending values.
3. Valid chunks are converted to the warehouse types and written to a staging
   Parquet file; duplicate keys in the file and conflicts with rows already in
   the warehouse are then found with SQL in DuckDB (no pandas ``groupby`` over
   ten million rows).
4. New rows are inserted from the staging file in one DuckDB transaction.
   Rows whose key is already present with identical values are skipped
   ("already present"), so re-ingesting a file is a no-op.

Any problem raises :class:`cxlab.errors.CxlabError` (usually
:class:`cxlab.errors.ValidationError`) and leaves the warehouse unchanged.

Row numbers in messages count data rows from 1, not counting the header:
row 1 is the first row under the header, i.e. line 2 of a CSV file (unless a
quoted field spans several lines) and row 2 of a spreadsheet.

Tables carry ``NOT NULL`` constraints but no ``PRIMARY KEY``: DuckDB's key
index made a five-million-row load about six times slower and the file four
times larger here, and :func:`ingest` enforces key uniqueness itself. Do not
write to the tables by other means than :func:`ingest`.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from cxlab.errors import CxlabError, ValidationError
from cxlab.schema import STAGES, TABLES, Column, Table, quarter_label

__all__ = [
    "DEFAULT_DB",
    "IngestReport",
    "build_from_dir",
    "connect",
    "create",
    "data_fingerprint",
    "ingest",
    "parse_mapping",
    "pandera_schema",
    "table",
]

DEFAULT_DB = Path("data/cxlab.duckdb")

#: Rows per validation chunk (Parquet and Excel); CSV chunks are ~32 MiB blocks.
CHUNK_ROWS = 500_000
CSV_BLOCK_BYTES = 32 << 20
#: Examples (row numbers, values, keys) shown per broken rule.
MAX_EXAMPLES = 5
#: DuckDB memory limit while loading, so peak memory stays well under 2 GB.
DUCKDB_MEMORY_LIMIT = "1GB"

_ROW = "__row"
_ARROW_TYPES: dict[str, pa_arrow.DataType] = {
    "VARCHAR": pa_arrow.string(),
    "DATE": pa_arrow.date32(),
    "TIMESTAMP": pa_arrow.timestamp("us"),
    "INTEGER": pa_arrow.int32(),
    "BIGINT": pa_arrow.int64(),
    "DOUBLE": pa_arrow.float64(),
    "BOOLEAN": pa_arrow.bool_(),
}
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")


# --------------------------------------------------------------------------- #
# Creating and opening the warehouse
# --------------------------------------------------------------------------- #


def _q(name: str) -> str:
    """Quote a SQL identifier (``date``, ``timestamp`` are keywords)."""
    return '"' + name.replace('"', '""') + '"'


def _create_sql(t: Table) -> str:
    cols = ", ".join(f"{_q(c.name)} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in t.columns)
    return f"CREATE TABLE IF NOT EXISTS {_q(t.name)} ({cols})"


def _duckdb_connect(db: Path, *, read_only: bool = False) -> Any:
    import duckdb

    try:
        return duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise CxlabError(
                f"{db}: the warehouse is locked by another process (a notebook or a cxlab "
                "command writing to it); close it there or try again when it has finished."
            ) from None
        raise CxlabError(f"{db}: cannot open the warehouse: {exc}") from None
    except duckdb.Error as exc:
        raise CxlabError(f"{db}: cannot open the warehouse: {exc}") from None


def create(db: Path | str) -> None:
    """Create the DuckDB warehouse file (if needed) and every table in the schema.

    Tables are created with ``CREATE TABLE IF NOT EXISTS``, so calling this on an
    existing warehouse is harmless. Non-nullable columns get ``NOT NULL``.

    Parameters
    ----------
    db : path
        The DuckDB file; missing parent folders are created.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "cx.duckdb"
    >>> create(db)
    >>> sorted(connect(db).list_tables())[:3]
    ['attribute_ratings', 'customer_history', 'customers']
    """
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    con = _duckdb_connect(db)
    try:
        for t in TABLES.values():
            con.execute(_create_sql(t))
    finally:
        con.close()


def connect(db: Path | str = DEFAULT_DB, *, read_only: bool = True) -> Any:
    """Open the warehouse as an Ibis DuckDB backend.

    Parameters
    ----------
    db : path
        The DuckDB file. It must exist (build it with ``cxlab ingest`` or
        ``cxlab demo``).
    read_only : bool
        Open read-only (the default), so several notebooks can read at once.

    Returns
    -------
    ibis.backends.duckdb.Backend

    Raises
    ------
    CxlabError
        If the file does not exist or cannot be opened.

    Examples
    --------
    >>> con = connect("data/cxlab.duckdb")  # doctest: +SKIP
    >>> con.table("responses").ltr.mean().execute()  # doctest: +SKIP
    """
    import ibis

    db = Path(db)
    if not db.is_file():
        raise CxlabError(
            f"{db}: no warehouse file here. Build one with `cxlab demo` or load data with "
            "`cxlab ingest TABLE FILE --db " + str(db) + "`."
        )
    # one place turns DuckDB's open errors (a lock held elsewhere...) into messages
    return ibis.duckdb.from_connection(_duckdb_connect(db, read_only=read_only))


def table(name: str, db: Path | str = DEFAULT_DB) -> Any:
    """Return one warehouse table as an Ibis table expression (read-only).

    Examples
    --------
    >>> r = table("responses", db="data/cxlab.duckdb")  # doctest: +SKIP
    >>> r.group_by("unit").agg(n=r.count()).execute()  # doctest: +SKIP
    """
    _table_def(name)
    return connect(db).table(name)


def data_fingerprint(db: Path | str = DEFAULT_DB) -> str:
    """SHA-256 hex digest of the warehouse file, read in 1 MiB blocks.

    Used to state in a rendered report exactly which data produced it.

    Examples
    --------
    >>> data_fingerprint("data/cxlab.duckdb")  # doctest: +SKIP
    '3f0c...'
    """
    db = Path(db)
    if not db.is_file():
        raise CxlabError(f"{db}: no warehouse file here, so it has no fingerprint.")
    h = hashlib.sha256()
    with db.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _table_def(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise CxlabError(
            f"unknown table {name!r}; the warehouse tables are: {', '.join(TABLES)}."
        ) from None


# --------------------------------------------------------------------------- #
# Column mapping
# --------------------------------------------------------------------------- #


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """Parse ``"Source column=target"`` items into ``{source: target}``.

    The split is at the *last* ``=``, so a survey question may itself contain
    ``=``. Targets must be column names of some warehouse table.

    Parameters
    ----------
    items : list of str
        E.g. ``["How likely are you to recommend us?=ltr", "RespondentID=response_id"]``.

    Returns
    -------
    dict
        Source column name to warehouse column name.

    Raises
    ------
    CxlabError
        On an item without ``=``, an empty side, an unknown target, or a source
        or target given twice.

    Examples
    --------
    >>> parse_mapping(["How likely are you to recommend us?=ltr", "ID = response_id"])
    {'How likely are you to recommend us?': 'ltr', 'ID': 'response_id'}
    """
    known = sorted({c for t in TABLES.values() for c in t.column_names})
    out: dict[str, str] = {}
    for item in items:
        source, sep, target = item.rpartition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target:
            raise CxlabError(f'column mapping {item!r} is not of the form "Source column=target".')
        if target not in known:
            raise CxlabError(
                f"column mapping {item!r}: {target!r} is not a warehouse column; "
                f"columns are: {', '.join(known)}."
            )
        if source in out:
            raise CxlabError(f"column mapping: source column {source!r} is mapped twice.")
        if target in out.values():
            raise CxlabError(f"column mapping: target column {target!r} is given twice.")
        out[source] = target
    return out


# --------------------------------------------------------------------------- #
# Parsing raw values (shared by the checks and the conversion)
# --------------------------------------------------------------------------- #


def _as_number(s: pd.Series) -> pd.Series:
    """Numbers as float64; anything unparseable becomes NaN."""
    if pd.api.types.is_bool_dtype(s):
        return pd.Series(np.nan, index=s.index)
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    if not pd.api.types.is_string_dtype(s):
        s = s.astype("str")
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        # fast path (~20x pd.to_numeric): Arrow casts the whole chunk if every value parses
        try:
            arr = pc.cast(pc.utf8_trim_whitespace(pa_arrow.array(s)), pa_arrow.float64())
            return pd.Series(arr.to_numpy(zero_copy_only=False), index=s.index)
        except pa_arrow.ArrowInvalid:
            pass
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _as_datetime(s: pd.Series) -> pd.Series:
    """ISO 8601 dates/date-times as naive datetime64 (aware values in UTC); else NaT."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    try:
        out = pd.to_datetime(s, errors="coerce", format="ISO8601")
    except (ValueError, TypeError):  # mixed time zones
        try:
            out = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)
        except (ValueError, TypeError):
            out = pd.to_datetime(
                s.map(lambda v: pd.to_datetime(v, errors="coerce", utc=True)), utc=True
            )
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _as_bool(s: pd.Series) -> pd.Series:
    """true/false, yes/no, 1/0, t/f, y/n (any case) as a nullable boolean; else NA."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")

    def one(v: Any) -> Any:
        key = str(v).strip().lower()
        if isinstance(v, float) and v.is_integer():
            key = str(int(v))
        return True if key in _TRUE else False if key in _FALSE else pd.NA

    return s.map(one, na_action="ignore").astype("boolean")


def _as_text(s: pd.Series) -> pd.Series:
    """Text; whole floats (ids read as numbers) lose their ``.0``."""
    if pd.api.types.is_float_dtype(s):
        whole = s.dropna()
        if len(whole) and bool((whole % 1 == 0).all()):
            s = s.astype("Int64")
    return s if isinstance(s.dtype, pd.StringDtype) else s.astype("str")


# --------------------------------------------------------------------------- #
# The pandera schema per table
# --------------------------------------------------------------------------- #

# (column) -> (low, high) inclusive bounds of the survey scales in ``responses``.
#: Rating scales by (table, column).
_SCALES = {
    ("responses", "ltr"): (0, 10),
    ("responses", "csat"): (1, 5),
    ("responses", "ces"): (1, 7),
    ("attribute_ratings", "rating"): (0, 10),
}


@dataclass(frozen=True)
class _Rule:
    """One domain rule on parsed values; missing values pass (nullability is separate)."""

    text: str
    ok: Callable[[pd.Series], pd.Series]


@dataclass(frozen=True)
class _ColumnRules:
    """How to parse a column's raw values and the rules its parsed values must meet.

    Parsing is the costly part (``pd.to_numeric`` on text), so a column gets
    *one* pandera check that parses once and applies every rule; the few
    failing values are then re-classified rule by rule for the message.
    """

    column: str
    parse: Callable[[pd.Series], pd.Series] | None
    parse_text: str
    rules: tuple[_Rule, ...]

    @property
    def error(self) -> str:
        texts = ([self.parse_text] if self.parse else []) + [r.text for r in self.rules]
        return f"{self.column}: " + "; ".join(texts)

    def check(self, s: pd.Series) -> pd.Series:
        p = self.parse(s) if self.parse else s
        good = pd.Series(True, index=s.index)
        if self.parse:
            good &= p.notna() | s.isna()
        for r in self.rules:
            good &= r.ok(p).fillna(True).astype(bool) | p.isna()
        return good

    def classify(self, values: Sequence[Any]) -> list[str]:
        """The first broken rule for each failing raw value (vectorized)."""
        s = pd.Series(list(values), dtype=object)
        p = self.parse(s) if self.parse else s
        out = pd.Series("breaks a rule", index=s.index, dtype=object)
        done = pd.Series(False, index=s.index)
        if self.parse:
            out[p.isna()] = self.parse_text
            done |= p.isna()
        for r in self.rules:
            broken = ~done & ~r.ok(p).fillna(True).astype(bool)
            out[broken] = r.text
            done |= broken
        return out.tolist()


def _between(low: float | None, high: float | None) -> Callable[[pd.Series], pd.Series]:
    def ok(n: pd.Series) -> pd.Series:
        good = pd.Series(True, index=n.index)
        if low is not None:
            good &= n >= low
        if high is not None:
            good &= n <= high
        return good | n.isna() | np.isinf(n)

    return ok


def _column_rules(t: Table, col: Column) -> _ColumnRules:
    parse: Callable[[pd.Series], pd.Series] | None = None
    parse_text = ""
    rules: list[_Rule] = []
    if col.type in ("INTEGER", "BIGINT", "DOUBLE"):
        parse, parse_text = _as_number, "must be a number"
        rules.append(_Rule("must be finite (not infinity)", lambda n: ~np.isinf(n)))
        if col.type != "DOUBLE":
            rules.append(
                _Rule("must be a whole number", lambda n: n.isna() | np.isinf(n) | (n % 1 == 0))
            )
    elif col.type == "DATE":
        parse = _as_datetime
        parse_text = "must be a date such as 2025-03-31 (ISO 8601, year-month-day)"
    elif col.type == "TIMESTAMP":
        parse = _as_datetime
        parse_text = "must be a date-time such as 2025-03-31 14:05:00 (ISO 8601)"
    elif col.type == "BOOLEAN":
        parse, parse_text = _as_bool, "must be true or false (also yes/no, 1/0)"
    elif col.type == "VARCHAR" and not col.nullable:
        rules.append(_Rule("must not be blank", lambda s: s.astype("str").str.strip() != ""))

    name = col.name
    if (t.name, name) in _SCALES:
        lo, hi = _SCALES[t.name, name]
        rules.append(_Rule(f"must be between {lo} and {hi}", _between(lo, hi)))
    elif name == "weight":
        rules.append(_Rule("must be >= 0 (survey weights are not negative)", _between(0, None)))
    elif name == "market_share":
        rules.append(_Rule("must be between 0 and 1 (a share, not a percent)", _between(0, 1)))
    elif name == "new_customers":
        rules.append(_Rule("must be >= 0", _between(0, None)))
    elif name == "stage":
        text = "must be one of " + ", ".join(STAGES)
        rules.append(_Rule(text, lambda s: s.astype("str").isin(STAGES)))
    elif name == "quarter" and t.name != "responses":
        rules.append(
            _Rule(
                "must be a quarter label such as 2025Q3",
                lambda s: s.astype("str").str.fullmatch(r"\d{4}Q[1-4]"),
            )
        )
    return _ColumnRules(name, parse, parse_text, tuple(rules))


@dataclass(frozen=True)
class _FrameRule:
    """A rule across columns; failures are reported against ``column``."""

    column: str
    error: str
    fn: Callable[[pd.DataFrame], pd.Series]


def _quarter_matches(df: pd.DataFrame) -> pd.Series:
    if "quarter" not in df or "survey_date" not in df:
        return pd.Series(True, index=df.index)
    d = _as_datetime(df["survey_date"])
    derived = quarter_label(d.where(d.notna(), pd.Timestamp("2000-01-01")))
    q = df["quarter"]
    return q.isna() | d.isna() | (q.astype("str").str.strip() == derived)


def _valid_to_after_from(df: pd.DataFrame) -> pd.Series:
    if "valid_to" not in df:
        return pd.Series(True, index=df.index)
    a, b = _as_datetime(df["valid_from"]), _as_datetime(df["valid_to"])
    return a.isna() | b.isna() | (b >= a)


_FRAME_RULES: dict[str, list[_FrameRule]] = {
    "responses": [
        _FrameRule(
            "quarter",
            "must equal the quarter of survey_date (e.g. 2025-08-14 is 2025Q3)",
            _quarter_matches,
        )
    ],
    "customer_history": [
        _FrameRule("valid_to", "must be on or after valid_from", _valid_to_after_from)
    ],
}


def pandera_schema(table_name: str) -> pa.DataFrameSchema:
    """The pandera schema that :func:`ingest` applies to a table's raw values.

    It checks values *as read* from the file (text from CSV, numbers or text
    from Parquet/Excel), without coercing, so that failure cases show exactly
    what the analyst typed. Each column has one check that parses the values
    once and applies all its rules (its error text lists them); :func:`ingest`
    then names the rule each failing value broke. Duplicate keys are checked
    later, in DuckDB. Optional columns are ``required=False``; ``quarter`` in
    ``responses`` may be empty (it is derived from ``survey_date``).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pandera_schema("outcomes")
    >>> df = pd.DataFrame({"unit": ["A"], "quarter": ["2025Q3"], "new_customers": ["12"],
    ...                    "revenue": ["10.5"], "profit": ["1"], "market_share": ["0.2"]})
    >>> len(s.validate(df))
    1
    >>> s.columns["market_share"].checks[0].error
    'market_share: must be a number; must be finite (not infinity); must be between 0 and 1 (a share, not a percent)'
    """
    t = _table_def(table_name)
    columns = {}
    for c in t.columns:
        rules = _column_rules(t, c)
        checks = [pa.Check(rules.check, error=rules.error, name=c.name)]
        columns[c.name] = pa.Column(
            None,
            checks=checks if (rules.parse or rules.rules) else [],
            nullable=c.nullable or (t.name == "responses" and c.name == "quarter"),
            required=c.required,
            name=c.name,
        )
    frame_checks = [
        pa.Check(r.fn, error=r.error, name=r.column) for r in _FRAME_RULES.get(t.name, [])
    ]
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False, coerce=False)


# --------------------------------------------------------------------------- #
# Collecting failures into one message
# --------------------------------------------------------------------------- #


@dataclass
class _Problem:
    count: int = 0
    rows: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)


def _fmt_value(v: Any) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return "(empty)"
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else str(v)
    return str(v)


class _Failures:
    """Broken rules over the whole file, with counts and the first few examples."""

    def __init__(self, t: Table) -> None:
        self.by_rule: dict[tuple[str, str], _Problem] = {}
        self.frame_rule_column = {r.error: r.column for r in _FRAME_RULES.get(t.name, [])}
        rules = [_column_rules(t, c) for c in t.columns]
        self.column_rules = {r.error: r for r in rules}

    def __bool__(self) -> bool:
        return bool(self.by_rule)

    def _record(self, column: str, rule: str, rows: Sequence[int], values: Sequence[Any]) -> None:
        p = self.by_rule.setdefault((column, rule), _Problem())
        p.count += len(rows)
        room = MAX_EXAMPLES - len(p.rows)
        if room > 0:
            p.rows += [int(i) for i in rows[:room]]
            p.values += list(values[:room])

    def add(self, failure_cases: pd.DataFrame) -> None:
        fc = failure_cases
        frame = fc["schema_context"] == "DataFrameSchema"
        if frame.any():
            keep = fc["column"] == fc["check"].map(self.frame_rule_column)
            fc = fc[~frame | keep]
        for (column, check), g in fc.groupby(["column", "check"], sort=False, dropna=False):
            g = g.sort_values("index")
            rows, values = g["index"].tolist(), g["failure_case"].tolist()
            if check == "not_nullable":
                self._record(str(column), "must not be empty", rows, values)
            elif check in self.column_rules:
                texts = self.column_rules[check].classify(values)
                for text in dict.fromkeys(texts):
                    idx = [i for i, x in enumerate(texts) if x == text]
                    self._record(
                        str(column), text, [rows[i] for i in idx], [values[i] for i in idx]
                    )
            else:
                self._record(str(column), str(check), rows, values)

    def message(
        self, where: Callable[[list[int]], str], source: Mapping[str, str] | None = None
    ) -> list[str]:
        """One line per broken rule; ``source`` maps a column to its name in the file."""
        source = source or {}
        lines = []
        order = sorted(self.by_rule.items(), key=lambda kv: kv[1].rows[0] if kv[1].rows else 0)
        for (column, rule), p in order:
            n = f"{p.count} row" + ("s" if p.count != 1 else "")
            more = ", ..." if p.count > len(p.rows) else ""
            label = repr(column)
            if column in source:
                label += f" (file column {source[column]!r})"
            line = f"  - column {label} {rule}: {n} ({where(p.rows)}{more})"
            if rule != "must not be empty":
                line += "; value" + ("s" if len(p.values) > 1 else "") + ": "
                line += ", ".join(_fmt_value(v) for v in p.values) + more
            lines.append(line)
        return lines


# --------------------------------------------------------------------------- #
# Reading files in chunks
# --------------------------------------------------------------------------- #


def _numbered(df: pd.DataFrame, done: int) -> pd.DataFrame:
    """Index a chunk by 1-based row number within its file."""
    df.index = pd.RangeIndex(done + 1, done + 1 + len(df))
    return df


@dataclass
class _Part:
    """One physical file: its header and a chunk iterator over chosen columns."""

    path: Path
    columns: list[str]
    #: yields chunks of the chosen columns indexed by 1-based row number in the file
    chunks: Callable[[list[str]], Iterator[pd.DataFrame]]


def _sniff_csv(path: Path) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV file from its first 64 KiB."""
    raw = path.open("rb").read(1 << 16)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        try:
            raw.decode("utf-8")
            encoding = "utf8"
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the end of the sample is still UTF-8
            encoding = "utf8" if exc.start >= len(raw) - 3 else "cp1252"
    text = raw.decode("utf-16" if encoding == "utf-16" else encoding, errors="ignore")
    text = text.lstrip("\ufeff")
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return encoding, delimiter


def _csv_part(path: Path) -> _Part:
    encoding, delimiter = _sniff_csv(path)
    read = pa_csv.ReadOptions(encoding=encoding, block_size=CSV_BLOCK_BYTES)
    probe = pa_csv.ReadOptions(encoding=encoding, block_size=1 << 16)
    parse = pa_csv.ParseOptions(delimiter=delimiter)
    try:
        header = pa_csv.open_csv(path, read_options=probe, parse_options=parse).schema.names
    except (pa_arrow.ArrowInvalid, UnicodeDecodeError) as exc:
        raise CxlabError(f"{path}: cannot read it as CSV: {exc}") from None

    def chunks(cols: list[str]) -> Iterator[pd.DataFrame]:
        convert = pa_csv.ConvertOptions(
            column_types={c: pa_arrow.string() for c in cols},
            include_columns=cols,
            strings_can_be_null=True,
        )
        try:
            reader = pa_csv.open_csv(
                path, read_options=read, parse_options=parse, convert_options=convert
            )
            done = 0
            for batch in reader:
                yield _numbered(batch.to_pandas(), done)
                done += batch.num_rows
        except pa_arrow.ArrowInvalid as exc:
            raise CxlabError(f"{path}: cannot read it as CSV: {exc}") from None

    return _Part(path, list(header), chunks)


def _parquet_part(path: Path) -> _Part:
    try:
        pf = pq.ParquetFile(path)
    except (pa_arrow.ArrowInvalid, OSError) as exc:
        raise CxlabError(f"{path}: cannot read it as Parquet: {exc}") from None

    def chunks(cols: list[str]) -> Iterator[pd.DataFrame]:
        done = 0
        for batch in pf.iter_batches(batch_size=CHUNK_ROWS, columns=cols):
            arrays = [
                a.dictionary_decode() if pa_arrow.types.is_dictionary(a.type) else a
                for a in batch.columns
            ]
            batch = pa_arrow.RecordBatch.from_arrays(arrays, names=batch.schema.names)
            yield _numbered(batch.to_pandas(date_as_object=False), done)
            done += batch.num_rows

    return _Part(path, list(pf.schema_arrow.names), chunks)


def _excel_part(path: Path) -> _Part:
    try:
        df = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types on a broken workbook
        raise CxlabError(f"{path}: cannot read it as an Excel workbook: {exc}") from None
    df.columns = [str(c) for c in df.columns]
    df.index = pd.RangeIndex(1, len(df) + 1)
    df = df[df.notna().any(axis=1)]  # rows left blank (e.g. formatted but empty)

    def chunks(cols: list[str]) -> Iterator[pd.DataFrame]:
        for start in range(0, len(df), CHUNK_ROWS):
            yield df[cols].iloc[start : start + CHUNK_ROWS]

    return _Part(path, list(df.columns), chunks)


def _open_parts(path: Path) -> tuple[list[_Part], str]:
    """Parts to read and the note explaining row numbers for this kind of file."""
    if not path.exists():
        raise CxlabError(f"{path}: no such file or folder.")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".parquet" and p.is_file())
        if not files:
            raise CxlabError(f"{path}: the folder holds no .parquet files.")
        note = "Row numbers count rows from 1 within each part file."
        return [_parquet_part(f) for f in files], note
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        note = (
            "Row numbers count data rows from 1 under the header: row N is line N+1 of the "
            "file (unless a quoted field spans several lines)."
        )
        return [_csv_part(path)], note
    if suffix in (".parquet", ".pq"):
        return [_parquet_part(path)], "Row numbers count rows from 1 in file order."
    if suffix in _EXCEL_SUFFIXES:
        note = (
            "Row numbers count data rows from 1 under the header: row N is spreadsheet "
            "row N+1 of the first sheet."
        )
        return [_excel_part(path)], note
    if suffix == ".xls":
        raise CxlabError(f"{path}: old .xls workbooks are not supported; save it as .xlsx.")
    raise CxlabError(
        f"{path}: unsupported file type {suffix or '(none)'!r}; use CSV, Parquet "
        "(a file or a folder of parts) or Excel .xlsx."
    )


def _resolve_columns(
    part: _Part, t: Table, mapping: dict[str, str], shown: str
) -> tuple[dict[str, str], list[str]]:
    """Source-name -> warehouse-name for the columns to read, and ignored columns."""
    names = {c.strip().lstrip("\ufeff"): c for c in part.columns}
    for source, target in mapping.items():
        if target not in t.column_names:
            raise CxlabError(
                f"{shown}: column mapping {source!r}={target!r}: {target!r} is not a column "
                f"of table {t.name!r} ({', '.join(t.column_names)})."
            )
        if source not in names:
            raise CxlabError(
                f"{shown}: column mapping {source!r}={target!r}: the file has no column "
                f"{source!r}; its columns are: {', '.join(map(repr, names))}."
            )
    rename: dict[str, str] = {}
    ignored: list[str] = []
    for clean, raw in names.items():
        target = mapping.get(clean, clean if clean not in mapping.values() else None)
        if target in t.column_names:
            if target in rename.values():
                raise CxlabError(
                    f"{shown}: two columns would both become {target!r}; drop one or "
                    "change the --map."
                )
            rename[raw] = target
        else:
            ignored.append(clean)
    missing = [c.name for c in t.columns if c.required and c.name not in rename.values()]
    if missing:
        raise ValidationError(
            f"{shown}: required column(s) missing for table {t.name!r}: {', '.join(missing)}. "
            f"The file's columns are: {', '.join(map(repr, names))}. "
            'Rename an export column with --map "Source column=target".'
        )
    return rename, ignored


# --------------------------------------------------------------------------- #
# Converting a validated chunk to the warehouse types
# --------------------------------------------------------------------------- #


def _to_arrow(df: pd.DataFrame, t: Table) -> pa_arrow.Table:
    arrays = {}
    n = len(df)
    for c in t.columns:
        typ = _ARROW_TYPES[c.type]
        if c.name == "quarter" and t.name == "responses":
            d = _as_datetime(df["survey_date"])
            arrays[c.name] = pa_arrow.array(quarter_label(d).astype(object), type=typ)
            continue
        if c.name not in df:
            arrays[c.name] = pa_arrow.nulls(n, type=typ)
            continue
        s = df[c.name]
        if c.type == "VARCHAR":
            arr = pa_arrow.array(_as_text(s), type=typ, from_pandas=True)
        elif c.type == "DATE":
            d = _as_datetime(s).dt.floor("D").astype("datetime64[us]")
            arr = pa_arrow.array(d, from_pandas=True).cast(typ)
        elif c.type == "TIMESTAMP":
            arr = pa_arrow.array(_as_datetime(s).astype("datetime64[us]"), from_pandas=True)
        elif c.type in ("INTEGER", "BIGINT"):
            arr = pa_arrow.array(_as_number(s).astype("Int64"), type=typ, from_pandas=True)
        elif c.type == "DOUBLE":
            arr = pa_arrow.array(_as_number(s).to_numpy(), type=typ, from_pandas=True)
        else:  # BOOLEAN
            arr = pa_arrow.array(_as_bool(s), type=typ, from_pandas=True)
        arrays[c.name] = arr
    arrays[_ROW] = pa_arrow.array(df.index.to_numpy(dtype="int64"), type=pa_arrow.int64())
    return pa_arrow.table(arrays)


def _stage_schema(t: Table) -> pa_arrow.Schema:
    return pa_arrow.schema(
        [(c.name, _ARROW_TYPES[c.type]) for c in t.columns] + [(_ROW, pa_arrow.int64())]
    )


# --------------------------------------------------------------------------- #
# Ingest
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class IngestReport:
    """What :func:`ingest` did.

    Attributes
    ----------
    file, table, db : what was loaded where.
    rows_read : data rows in the file.
    rows_added : new rows written to the warehouse.
    rows_already_present : rows whose key was already there with the same values.
    ignored_columns : columns of the file that are not warehouse columns.
    """

    file: Path
    table: str
    db: Path
    rows_read: int
    rows_added: int
    rows_already_present: int
    ignored_columns: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for the terminal.

        Examples
        --------
        >>> IngestReport(Path("r.csv"), "responses", Path("w.duckdb"), 3, 2, 1, ("Notes",)).summary()
        "r.csv -> responses in w.duckdb: 3 rows read, 2 added, 1 already present; ignored columns: 'Notes'"
        """
        text = (
            f"{self.file} -> {self.table} in {self.db}: {self.rows_read} rows read, "
            f"{self.rows_added} added, {self.rows_already_present} already present"
        )
        if self.ignored_columns:
            text += "; ignored columns: " + ", ".join(map(repr, self.ignored_columns))
        return text


class _RowLocator:
    """Turn global row numbers back into "row N" or "part-x.parquet row N"."""

    def __init__(self) -> None:
        self.starts: list[int] = []  # global offset of each part
        self.names: list[str] = []

    def add(self, offset: int, name: str) -> None:
        self.starts.append(offset)
        self.names.append(name)

    def __call__(self, rows: list[int]) -> str:
        if not rows:
            return "no rows"
        if len(self.starts) <= 1:
            return ("row " if len(rows) == 1 else "rows ") + ", ".join(map(str, rows))
        out = []
        for r in rows:
            i = bisect.bisect_left(self.starts, r) - 1
            out.append(f"{self.names[i]} row {r - self.starts[i]}")
        return ", ".join(out)


def ingest(
    table: str,
    path: Path | str,
    *,
    db: Path | str = DEFAULT_DB,
    mapping: dict[str, str] | None = None,
) -> IngestReport:
    """Validate a file and load it into a warehouse table, all or nothing.

    Parameters
    ----------
    table : str
        Warehouse table name (see :data:`cxlab.schema.TABLES`).
    path : path
        CSV (any of ``, ; tab |`` as delimiter; UTF-8, UTF-16 or Windows-1252),
        Parquet file, folder of Parquet parts (read in name order) or Excel
        ``.xlsx`` (first sheet, header in row 1). Empty cells and ``NA``/
        ``null`` in CSV are missing values.
    db : path
        DuckDB warehouse; created with all tables if it does not exist.
    mapping : dict, optional
        ``{source column: warehouse column}`` renames (see :func:`parse_mapping`).

    Returns
    -------
    IngestReport

    Raises
    ------
    ValidationError
        If any rule is broken anywhere in the file: a required column is
        missing, a value is out of range or unparseable, a key is duplicated in
        the file, or a key already in the warehouse has other values. The
        warehouse is then unchanged.
    CxlabError
        Unknown table, unreadable file, warehouse locked by another process.

    Notes
    -----
    Columns that are not warehouse columns are ignored and listed in the report.
    Optional columns that are absent are loaded as NULL; ``responses.quarter``
    is always derived from ``survey_date`` (a given quarter must agree). Date
    columns take the calendar date of a date-time value; time-zone-aware
    date-times are converted to UTC.

    Examples
    --------
    >>> report = ingest("responses", "exports/q3.csv", db="data/cxlab.duckdb",
    ...                 mapping={"How likely are you to recommend us?": "ltr"})  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    exports/q3.csv -> responses in data/cxlab.duckdb: 1200 rows read, 1200 added, 0 already present
    """
    t = _table_def(table)
    path, db = Path(path), Path(db)
    shown = str(path)
    mapping = dict(mapping or {})
    parts, row_note = _open_parts(path)
    schema = pandera_schema(t.name)
    failures = _Failures(t)
    locate = _RowLocator()
    ignored: list[str] = []
    db.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix=".cxlab-ingest-", dir=db.parent) as tmp:
        stage = Path(tmp) / "stage.parquet"
        writer = pq.ParquetWriter(stage, _stage_schema(t))
        offset = 0
        try:
            for part in parts:
                part_shown = str(part.path)
                rename, ign = _resolve_columns(part, t, mapping, part_shown)
                ignored += [c for c in ign if c not in ignored]
                locate.add(offset, part.path.name)
                last = 0
                for chunk in part.chunks(list(rename)):
                    chunk = chunk.rename(columns=rename)
                    if len(chunk):
                        last = int(chunk.index[-1])
                    chunk.index = chunk.index + offset
                    try:
                        schema.validate(chunk, lazy=True, inplace=True)
                    except pa.errors.SchemaErrors as exc:
                        failures.add(exc.failure_cases)
                    if not failures:
                        writer.write_table(_to_arrow(chunk, t))
                offset += last
        finally:
            writer.close()
        if failures:
            n = len(failures.by_rule)
            lines = [
                f"{shown}: {n} rule{'s' if n != 1 else ''} broken; nothing was loaded into "
                f"table {t.name!r}. {row_note}",
                *failures.message(locate, {v: k for k, v in mapping.items()}),
            ]
            raise ValidationError("\n".join(lines))
        rows_read = pq.ParquetFile(stage).metadata.num_rows
        added = _load(db, t, stage, shown, locate, row_note)

    return IngestReport(
        file=path,
        table=t.name,
        db=db,
        rows_read=rows_read,
        rows_added=added,
        rows_already_present=rows_read - added,
        ignored_columns=tuple(ignored),
    )


def _key_text(key: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(
        f"{k}={_fmt_value(str(v) if v is not None else v)}"
        for k, v in zip(key, values, strict=True)
    )


def _load(db: Path, t: Table, stage: Path, shown: str, locate: _RowLocator, row_note: str) -> int:
    """Check keys against the file and the warehouse in DuckDB, then insert new rows."""
    import duckdb

    existed = db.exists()
    con = _duckdb_connect(db)
    ok = False
    try:
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        # row order inside a table carries no meaning here; without this, DuckDB
        # buffers a large INSERT ... SELECT to keep it and runs out of memory
        con.execute("SET preserve_insertion_order = false")
        con.execute("BEGIN TRANSACTION")
        try:
            for other in TABLES.values():
                con.execute(_create_sql(other))
            have = [r[0] for r in con.execute(f"DESCRIBE {_q(t.name)}").fetchall()]
            if have != list(t.column_names):
                raise CxlabError(
                    f"{db}: table {t.name!r} has columns {have}, not the expected "
                    f"{list(t.column_names)}; the warehouse was made by another version."
                )
            stage_sql = "'" + str(stage).replace("'", "''") + "'"
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW __stage AS SELECT * FROM read_parquet({stage_sql})"
            )
            _check_duplicates(con, t, shown, locate, row_note)
            _check_conflicts(con, t, shown, locate, row_note)
            cols = ", ".join(_q(c) for c in t.column_names)
            keys = ", ".join(_q(k) for k in t.key)
            added = con.execute(
                f"INSERT INTO {_q(t.name)} ({cols}) SELECT {cols} FROM __stage "
                f"ANTI JOIN {_q(t.name)} USING ({keys})"
            ).fetchone()[0]
            con.execute("COMMIT")
            ok = True
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except duckdb.Error as exc:
        raise CxlabError(f"{db}: loading {shown} into {t.name!r} failed: {exc}") from None
    finally:
        con.close()
        if not ok and not existed:  # do not leave an empty warehouse behind
            _remove_db_files(db)
    return int(added)


def _check_duplicates(con: Any, t: Table, shown: str, locate: _RowLocator, note: str) -> None:
    keys = ", ".join(_q(k) for k in t.key)
    top_keys = ", ".join(f"top.{_q(k)}" for k in t.key)
    # Find duplicated keys with plain counts (which spill to disk at any size),
    # then collect row numbers for the first few only.
    rows = con.execute(
        f"""
        WITH d AS (
            SELECT {keys}, count(*) AS n, min({_ROW}) AS first
            FROM __stage GROUP BY {keys} HAVING count(*) > 1
        ),
        top AS (
            SELECT *, count(*) OVER () AS n_keys, sum(n) OVER () AS n_rows
            FROM d ORDER BY first LIMIT {MAX_EXAMPLES}
        )
        SELECT {top_keys}, top.n, list(s.{_ROW} ORDER BY s.{_ROW})[1:{MAX_EXAMPLES}],
               top.n_keys, top.n_rows
        FROM top JOIN __stage s USING ({keys})
        GROUP BY ALL ORDER BY min(s.{_ROW})
        """
    ).fetchall()
    if not rows:
        return
    k = len(t.key)
    n_keys, n_rows = rows[0][-2], int(rows[0][-1])
    lines = [
        f"{shown}: key ({', '.join(t.key)}) is duplicated within the file: {n_keys} key"
        f"{'s' if n_keys != 1 else ''} on {n_rows} rows; nothing was loaded into table "
        f"{t.name!r}. {note}"
    ]
    for r in rows:
        lines.append(f"  - {_key_text(t.key, r[:k])}: {locate(list(r[k + 1]))}")
    if n_keys > len(rows):
        lines.append(f"  - ... and {n_keys - len(rows)} more keys")
    raise ValidationError("\n".join(lines))


def _check_conflicts(con: Any, t: Table, shown: str, locate: _RowLocator, note: str) -> None:
    others = [c for c in t.column_names if c not in t.key]
    keys = ", ".join(_q(k) for k in t.key)
    differ = [f"(s.{_q(c)} IS DISTINCT FROM w.{_q(c)})" for c in others]
    join = f"FROM __stage s JOIN {_q(t.name)} w USING ({keys}) WHERE {' OR '.join(differ)}"
    counts = con.execute(
        f"SELECT count(*), {', '.join(f'count(*) FILTER ({d})' for d in differ)} {join}"
    ).fetchone()
    if not counts[0]:
        return
    n = counts[0]
    cols = [c for c, k in zip(others, counts[1:], strict=True) if k]
    sel = ", ".join([f"s.{_ROW}"] + [f"s.{_q(k)}" for k in t.key])
    sel += "".join(f", s.{_q(c)}, w.{_q(c)}" for c in others)
    examples = con.execute(f"SELECT {sel} {join} ORDER BY s.{_ROW} LIMIT {MAX_EXAMPLES}").fetchall()
    lines = [
        f"{shown}: {n} row{'s' if n != 1 else ''} have a key already in table {t.name!r} "
        f"but different values (columns: {', '.join(cols)}); nothing was loaded. A key's "
        f"values cannot be changed by re-ingesting. {note}"
    ]
    k = len(t.key)
    for ex in examples:
        row, key_vals, rest = ex[0], ex[1 : 1 + k], ex[1 + k :]
        diffs = [
            f"{c}: file {_fmt_value(rest[2 * i])} vs warehouse {_fmt_value(rest[2 * i + 1])}"
            for i, c in enumerate(others)
            if rest[2 * i] != rest[2 * i + 1]
        ]
        lines.append(f"  - {_key_text(t.key, key_vals)} ({locate([row])}): {'; '.join(diffs)}")
    if n > len(examples):
        lines.append(f"  - ... and {n - len(examples)} more")
    raise ValidationError("\n".join(lines))


# --------------------------------------------------------------------------- #
# Building a fresh warehouse from a folder of Parquet parts
# --------------------------------------------------------------------------- #


def build_from_dir(src_dir: Path | str, db: Path | str = DEFAULT_DB) -> dict[str, int]:
    """Build a fresh warehouse from ``src_dir/<table>/part-*.parquet``, atomically.

    The warehouse is built in ``db.with_suffix('.tmp.duckdb')`` by :func:`ingest`
    per table and moved onto ``db`` with :func:`os.replace` only when every
    table loaded, so a failure leaves any existing ``db`` untouched. Tables
    without a folder stay empty.

    Parameters
    ----------
    src_dir : path
        Folder as written by :func:`cxlab.synth.generate`, e.g.
        ``data/demo/responses/part-00000.parquet``.
    db : path
        Warehouse file to (re)place.

    Returns
    -------
    dict
        Row count per table.

    Examples
    --------
    >>> build_from_dir("data/demo", "data/cxlab.duckdb")  # doctest: +SKIP
    {'customers': 5000, 'customer_history': 7400, 'responses': 60000, ...}
    """
    src_dir, db = Path(src_dir), Path(db)
    if not src_dir.is_dir():
        raise CxlabError(f"{src_dir}: no such folder.")
    found: dict[str, Path] = {}
    for name in TABLES:
        for candidate in (src_dir / name, src_dir / f"{name}.parquet"):
            if candidate.exists():
                found[name] = candidate
                break
    if not found:
        raise CxlabError(
            f"{src_dir}: no table folders found; expected e.g. {src_dir / 'responses'}/"
            "part-00000.parquet."
        )
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_suffix(".tmp.duckdb")
    _remove_db_files(tmp)
    try:
        create(tmp)
        for name, path in found.items():
            ingest(name, path, db=tmp)
        con = _duckdb_connect(tmp)
        try:
            counts = {
                name: int(con.execute(f"SELECT count(*) FROM {_q(name)}").fetchone()[0])
                for name in TABLES
            }
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except BaseException:
        _remove_db_files(tmp)
        raise
    _remove_db_files(db, only_wal=True)  # a stale WAL must not be replayed onto the new file
    os.replace(tmp, db)
    return counts


def _remove_db_files(db: Path, *, only_wal: bool = False) -> None:
    targets = [Path(str(db) + ".wal")] + ([] if only_wal else [db])
    for p in targets:
        p.unlink(missing_ok=True)
