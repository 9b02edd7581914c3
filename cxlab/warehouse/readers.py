"""Reading exports as they come, into a DuckDB staging view.

:func:`open_source` reads a file into the temporary view ``__src`` of the
loading connection: a column ``__row`` (the data row number, from 1, under the
header rows) and one column per file column, named ``c0, c1, ...``. CSV files
are read by DuckDB itself (all text, so every value is checked as typed);
Excel and SPSS files through pandas/openpyxl and pyreadstat; Parquet by DuckDB
with its types.

Formats (``--format``; detected when unambiguous):

- ``csv``: one header row; delimiter and encoding sniffed (a UTF-8 BOM never
  reaches a column name; Windows-1252 and UTF-16 files are transcoded).
- ``qualtrics``: Qualtrics' CSV/TSV/Excel export, whose header is followed by
  a question-text row and a ``{"ImportId": ...}`` row. Recognised by that row.
  File columns may be named by export tag (``Q1``) or question text.
- ``surveymonkey``: SurveyMonkey's export, a question row and a second
  header row (``Response``, ``Open-Ended Response`` or option labels); a
  column is named ``Question`` or ``Question - Option``.
- ``excel``: ``.xlsx``; ``--sheet NAME|INDEX`` picks the sheet.
- ``parquet``: a file or a folder of parts, read in name order.
- ``spss``: ``.sav``/``.zsav`` via pyreadstat; value labels are applied to text
  columns (codes stay numbers for scores); variable labels work as names.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError
from cxlab.warehouse.sniff import (
    EXCEL_SUFFIXES,
    cell_text,
    column_names,
    csv_head,
    detect_format,
    excel_rows,
    sniff,
)
from cxlab.warehouse.spec import LoadSpec
from cxlab.warehouse.store import file_sha256, lit, q

__all__ = ["Renumber", "Source", "detect_format", "open_source"]

NULL_STRINGS = ("", "NA", "N/A", "n/a", "null", "NULL", "NaN", "nan", "#N/A", "None")


@dataclass
class Source:
    """A file read into the view ``__src``: its columns and how to name its rows."""

    path: Path
    format: str
    columns: list[str]  # display names, in file order (c0, c1, ...)
    types: list[str]  # DuckDB type of each staged column
    row_note: str
    sha256: Any  # the file's SHA-256, or a Future of it (hashed while DuckDB reads)
    aliases: dict[str, str] = field(default_factory=dict)  # question text -> column name
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)  # SPSS
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    parts: list[tuple[int, str]] = field(default_factory=list)  # (global offset, part name)
    numbered: bool = True  # False: __row is NULL (the fast path; see open_source)

    def sha(self) -> str:
        """The file's SHA-256 (waits for the background hash)."""
        if not isinstance(self.sha256, str):
            self.sha256 = self.sha256.result()
        return self.sha256

    def sql(self, name: str) -> str:
        """The staged SQL column of display column ``name``."""
        return f"c{self.columns.index(name)}"

    def locate(self, rows: list[int]) -> str:
        """``rows 3, 8`` or ``part-00001.parquet row 2`` for the message."""
        if not rows:
            return "no rows"
        if len(self.parts) <= 1:
            return ("row " if len(rows) == 1 else "rows ") + ", ".join(map(str, rows))
        starts = [s for s, _ in self.parts]
        out = []
        for r in rows:
            i = bisect.bisect_left(starts, r) - 1
            out.append(f"{self.parts[i][1]} row {r - starts[i]}")
        return ", ".join(out)


def _to_utf8(path: Path, encoding: str, staging: Path) -> Path:
    """Transcode a non-UTF-8 file into the staging folder (DuckDB reads UTF-8)."""
    out = staging / "utf8.csv"
    try:
        with (
            path.open("r", encoding=encoding, errors="strict", newline="") as src,
            out.open("w", encoding="utf-8", newline="") as dst,
        ):
            while block := src.read(1 << 20):
                dst.write(block)
    except UnicodeDecodeError as exc:
        raise CxlabError(
            f"{path}: the file is not valid {encoding} text (byte {exc.start} cannot be "
            "decoded); give its encoding with --encoding (e.g. utf-8, cp1252, latin-1)."
        ) from None
    return out


def _read_csv(
    con: Any, path: Path, fmt: str, spec: LoadSpec, staging: Path, numbered: bool
) -> Source:
    encoding, delimiter = sniff(path, spec)
    head = csv_head(path, encoding, delimiter, spec.skip_rows)
    names, n_header, aliases = column_names(fmt, head, path)
    data = path if encoding.replace("-", "").lower() in ("utf8", "utf8sig") else None
    data = data or _to_utf8(path, encoding, staging)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    nulls = "[" + ", ".join(lit(v) for v in NULL_STRINGS) + "]"
    cols = ", ".join(f"c{i}" for i in range(len(names)))
    note = (
        "Row numbers count data rows from 1 under the header"
        + (f" rows ({n_header} of them)" if n_header > 1 else "")
        + f": row N is line N+{n_header + spec.skip_rows} of the file "
        "(unless a quoted field spans several lines)."
    )
    sha = _hash_in_background(path)

    def read(header: bool) -> str:
        return (
            f"read_csv({lit(data)}, header = {str(header).lower()}, skip = {spec.skip_rows}, "
            f"delim = {lit(delimiter)}, quote = '\"', escape = '\"', columns = {columns}, "
            f"nullstr = {nulls}, max_line_size = 16777216, auto_detect = false)"
        )

    if not numbered and n_header == 1:
        # fast path: rows stream from the file into the checks, with no numbers; a
        # problem makes the caller read again with numbers to name the rows
        con.execute(
            f"CREATE TEMP VIEW __src AS SELECT CAST(NULL AS BIGINT) AS __row, {cols} "
            f"FROM {read(True)}"
        )
        src = Source(path, fmt, names, ["VARCHAR"] * len(names), note, sha, aliases)
        src.numbered = False
        return src
    import duckdb

    try:
        con.execute(f"CREATE TEMP TABLE __raw AS SELECT * FROM {read(False)}")
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:  # ragged...
        lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
        first = "; ".join(
            ln for ln in lines[:4] if not ln.startswith(("Possible fixes", "*", "Original Line"))
        )
        raise CxlabError(
            f"{path}: cannot read it as CSV with delimiter {delimiter!r} and {n_header} header "
            f"row(s): {first}. Check --delimiter, --encoding and --skip-rows; every line must "
            f"have the header's {len(names)} fields."
        ) from None
    con.execute(
        f"CREATE TEMP VIEW __src AS SELECT rowid - {n_header - 1} AS __row, {cols} "
        f"FROM __raw WHERE rowid >= {n_header}"
    )
    return Source(path, fmt, names, ["VARCHAR"] * len(names), note, sha, aliases)


# --------------------------------------------------------------------------- #
# Excel
# --------------------------------------------------------------------------- #


def _read_excel(con: Any, path: Path, fmt: str, spec: LoadSpec) -> Source:
    import pandas as pd

    name, rows, sheets = excel_rows(path, spec.sheet)
    rows = rows[spec.skip_rows :]
    names, n_header, aliases = column_names(
        fmt, [[cell_text(v) for v in r] for r in rows[:4]], path
    )
    width = len(names)
    body = []
    numbers = []
    for i, r in enumerate(rows[n_header:], start=1):
        cells = [cell_text(v) for v in r[:width]] + [None] * max(0, width - len(r))
        if any(c is not None and c.strip() for c in cells):  # rows left blank are not data
            body.append(cells)
            numbers.append(i)
    frame = pd.DataFrame(body, columns=[f"c{i}" for i in range(width)], dtype=object)
    frame.insert(0, "__row", pd.array(numbers, dtype="int64"))
    frame = frame.astype({f"c{i}": "string" for i in range(width)})
    con.register("__excel", frame)
    con.execute("CREATE TEMP TABLE __raw AS SELECT * FROM __excel")
    con.unregister("__excel")
    con.execute("CREATE TEMP VIEW __src AS SELECT * FROM __raw")
    note = (
        f"Row numbers count data rows from 1 under the header of sheet {name!r}: row N is "
        f"spreadsheet row N+{n_header + spec.skip_rows}."
    )
    src = Source(path, fmt, names, ["VARCHAR"] * width, note, file_sha256(path), aliases)
    src.sheet, src.sheets = name, sheets
    return src


# --------------------------------------------------------------------------- #
# SPSS
# --------------------------------------------------------------------------- #


def _read_spss(con: Any, path: Path, spec: LoadSpec) -> Source:
    import pandas as pd
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path))
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise CxlabError(f"{path}: cannot read it as an SPSS .sav file: {exc}") from None
    names = [str(c) for c in frame.columns]
    aliases = {}
    labels = meta.column_names_to_labels or {}
    counts: dict[str, int] = {}
    for text in labels.values():
        if text:
            counts[text] = counts.get(text, 0) + 1
    for col, text in labels.items():
        if text and counts[text] == 1 and text != col:
            aliases[str(text)] = str(col)
    frame.columns = [f"c{i}" for i in range(len(names))]
    frame.insert(0, "__row", pd.array(range(1, len(frame) + 1), dtype="int64"))
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].astype("string")
    con.register("__spss", frame)
    con.execute("CREATE TEMP TABLE __raw AS SELECT * FROM __spss")
    con.unregister("__spss")
    con.execute("CREATE TEMP VIEW __src AS SELECT * FROM __raw")
    types = [r[1] for r in con.execute("DESCRIBE __raw").fetchall()][1:]
    value_labels = {str(k): dict(v) for k, v in (meta.variable_value_labels or {}).items() if v}
    note = "Row numbers count cases from 1 in file order."
    return Source(path, "spss", names, types, note, file_sha256(path), aliases, value_labels)


# --------------------------------------------------------------------------- #
# Parquet
# --------------------------------------------------------------------------- #


def _read_parquet(con: Any, path: Path) -> Source:
    import pyarrow.parquet as pq

    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".parquet" and p.is_file())
        if not files:
            raise CxlabError(f"{path}: the folder holds no .parquet files.")
    else:
        files = [path]
    parts, offset, names = [], 0, None
    digest = io.StringIO()
    for f in files:
        try:
            meta = pq.ParquetFile(f)
        except Exception as exc:  # pyarrow.ArrowInvalid, OSError
            raise CxlabError(f"{f}: cannot read it as Parquet: {exc}") from None
        names = (names or []) + [
            str(n) for n in meta.schema_arrow.names if str(n) not in (names or [])
        ]  # parts may differ in optional columns: read by name, missing ones empty
        parts.append((offset, f.name))
        offset += meta.metadata.num_rows
        digest.write(file_sha256(f))
    assert names is not None
    listing = "[" + ", ".join(lit(f) for f in files) + "]"
    cols = ", ".join(f"{q(n)} AS c{i}" for i, n in enumerate(names))
    starts = (
        "CASE filename "
        + " ".join(f"WHEN {lit(f)} THEN {s}" for f, (s, _) in zip(files, parts, strict=True))
        + " END"
    )
    con.execute(
        f"CREATE TEMP VIEW __src AS SELECT ({starts}) + file_row_number + 1 AS __row, {cols} "
        f"FROM read_parquet({listing}, filename = true, file_row_number = true, "
        "union_by_name = true)"
    )
    types = [r[1] for r in con.execute("DESCRIBE __src").fetchall()][1:]
    note = (
        "Row numbers count rows from 1 within each part file."
        if len(files) > 1
        else "Row numbers count rows from 1 in file order."
    )
    import hashlib

    sha = (
        file_sha256(files[0])
        if len(files) == 1
        else hashlib.sha256(digest.getvalue().encode()).hexdigest()
    )
    src = Source(path, "parquet", names, types, note, sha)
    src.parts = parts
    return src


def _hash_in_background(path: Path) -> Any:
    """Hash ``path`` in a thread (hashlib releases the GIL) while DuckDB reads it."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(file_sha256, path)
    pool.shutdown(wait=False)
    return future


class Renumber(Exception):
    """Raised on the fast path when a message needs row numbers: read again, numbered."""


def open_source(
    con: Any, path: Path, spec: LoadSpec, staging: Path, *, numbered: bool = True
) -> Source:
    """Read ``path`` into the view ``__src`` of ``con`` (see the module docstring).

    With ``numbered=False`` a plain CSV file is not copied first: the checks read
    it as it streams, and ``__row`` is NULL. Whatever finds a problem then raises
    :class:`Renumber`, and the caller reads the file again with numbers.
    """
    path = Path(path)
    if not path.exists():
        raise CxlabError(f"{path}: no such file or folder.")
    fmt = detect_format(path, spec)
    if fmt == "parquet":
        return _read_parquet(con, path)
    if fmt == "spss":
        return _read_spss(con, path, spec)
    if fmt == "excel" or path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(con, path, fmt, spec)
    return _read_csv(con, path, fmt, spec, staging, numbered)


#: Type of a callable that names rows for messages.
Locate = Callable[[list[int]], str]
