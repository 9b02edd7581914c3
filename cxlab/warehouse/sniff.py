"""Recognising an export: its format, encoding, delimiter and header rows.

Used by :mod:`~cxlab.warehouse.readers` before the data are read: the format a
file's suffix and header imply (:func:`detect_format`), the encoding and
delimiter of a CSV file (:func:`sniff`), the first rows of a CSV file or an
Excel sheet (:func:`csv_head`, :func:`excel_rows`), and the column names and
question-text aliases the header rows give (:func:`column_names`).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError
from cxlab.warehouse.spec import LoadSpec

__all__ = [
    "EXCEL_SUFFIXES",
    "cell_text",
    "column_names",
    "csv_head",
    "detect_format",
    "excel_rows",
    "sniff",
]

_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"')
_SM_SUBHEADERS = {"response", "open-ended response", ""}
_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")

# --------------------------------------------------------------------------- #
# Detecting the format
# --------------------------------------------------------------------------- #


def detect_format(path: Path, spec: LoadSpec) -> str:
    """The format named by ``spec``, else the one the suffix and header imply."""
    if spec.format:
        return spec.format
    if path.is_dir():
        return "parquet"
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".sav", ".zsav"):
        return "spss"
    if suffix == ".xls":
        raise CxlabError(f"{path}: old .xls workbooks are not supported; save it as .xlsx.")
    if suffix in EXCEL_SUFFIXES:
        head = excel_rows(path, spec.sheet, 4)[1]
        return _header_kind(head[spec.skip_rows :]) or "excel"
    if suffix in _CSV_SUFFIXES:
        encoding, delimiter = sniff(path, spec)
        return _header_kind(csv_head(path, encoding, delimiter, spec.skip_rows)) or "csv"
    if suffix == ".sas7bdat" or suffix == ".dta":
        raise CxlabError(f"{path}: {suffix} files are not supported; export CSV or SPSS .sav.")
    raise CxlabError(
        f"{path}: unsupported file type {suffix or '(none)'!r}; use CSV, Excel .xlsx, SPSS "
        ".sav or Parquet (a file or a folder of parts)."
    )


def _header_kind(rows: list[list[str]]) -> str | None:
    if len(rows) >= 3 and any(_IMPORT_ID.match(str(v or "")) for v in rows[2]):
        return "qualtrics"
    if len(rows) >= 2 and rows[0] and str(rows[0][0]).strip() == "Respondent ID":
        second = {str(v or "").strip().lower() for v in rows[1]}
        if "response" in second or "open-ended response" in second:
            return "surveymonkey"
    return None


# --------------------------------------------------------------------------- #
# Header rows -> column names
# --------------------------------------------------------------------------- #


def _clean(name: Any) -> str:
    return str("" if name is None else name).replace("\ufeff", "").strip()


def column_names(
    fmt: str, rows: Sequence[Sequence[str | None]], path: Path
) -> tuple[list[str], int, dict[str, str]]:
    """Column names, header rows to drop, and aliases (question text -> name)."""
    if not rows:
        raise CxlabError(f"{path}: the file is empty (no header row).")
    header = [_clean(v) for v in rows[0]]
    aliases: dict[str, str] = {}
    n_header = 1
    if fmt == "qualtrics":
        n_header = 2
        for i, row in enumerate(rows[1:3], start=2):
            if any(_IMPORT_ID.match(str(v or "")) for v in row):
                n_header = i
        texts = [_clean(v) for v in rows[1]] if len(rows) > 1 else []
        counts: dict[str, int] = {}
        for text in texts:
            counts[text] = counts.get(text, 0) + 1
        for name, text in zip(header, texts, strict=False):
            if text and counts[text] == 1 and text != name:
                aliases[text] = name
    elif fmt == "surveymonkey":
        n_header = 2
        second = [_clean(v) for v in rows[1]] if len(rows) > 1 else []
        names, question = [], ""
        for i, top in enumerate(header):
            sub = second[i] if i < len(second) else ""
            question = top or question
            if top and sub.lower() in _SM_SUBHEADERS:
                names.append(top)
            else:
                names.append(f"{question} - {sub}" if question else sub)
        header = names
    blank = [i + 1 for i, name in enumerate(header) if not name]
    if blank:
        raise CxlabError(
            f"{path}: header column(s) {', '.join(map(str, blank))} have no name; every "
            "column needs a header (use --skip-rows N if the header is not the first line)."
        )
    seen: dict[str, int] = {}
    for name in header:
        seen[name] = seen.get(name, 0) + 1
    dup = sorted(n for n, k in seen.items() if k > 1)
    if dup:
        raise CxlabError(
            f"{path}: the header names column(s) {', '.join(map(repr, dup))} more than once; "
            "rename them in the file so each column has its own name."
        )
    return header, n_header, aliases


# --------------------------------------------------------------------------- #
# CSV
# --------------------------------------------------------------------------- #


def sniff(path: Path, spec: LoadSpec) -> tuple[str, str]:
    """(encoding, delimiter): the spec's, else sniffed from the first 64 KiB."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(1 << 16)
    except OSError as exc:
        raise CxlabError(f"{path}: cannot read the file: {exc.strerror}.") from None
    encoding = spec.encoding
    if encoding is None:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        else:
            try:
                raw.decode("utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError as exc:
                # a multi-byte character cut at the end of the sample is still UTF-8
                encoding = "utf-8" if exc.start >= len(raw) - 3 else "cp1252"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise CxlabError(
            f"unknown --encoding {encoding!r} (e.g. utf-8, cp1252, latin-1)."
        ) from None
    if spec.delimiter:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(spec.delimiter, spec.delimiter)
        return encoding, delimiter
    if path.suffix.lower() == ".tsv":
        return encoding, "\t"
    text = raw.decode(encoding, errors="ignore").lstrip("\ufeff")
    lines = text.splitlines()[spec.skip_rows : spec.skip_rows + 1] or [""]
    try:
        delimiter = csv.Sniffer().sniff(lines[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return encoding, delimiter


def csv_head(path: Path, encoding: str, delimiter: str, skip: int, n: int = 4) -> list[list[str]]:
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        for _ in range(skip):
            fh.readline()
        reader = csv.reader(fh, delimiter=delimiter)
        rows = []
        try:
            for row in reader:
                rows.append(row)
                if len(rows) >= n:
                    break
        except csv.Error as exc:
            raise CxlabError(f"{path}: cannot read it as CSV: {exc}") from None
    return rows


def excel_rows(
    path: Path, sheet: str | int | None, limit: int | None = None
) -> tuple[str, list[list[Any]], list[str]]:
    """(sheet name, rows as lists of cell values, all sheet names)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on a broken workbook
        raise CxlabError(f"{path}: cannot read it as an Excel workbook: {exc}") from None
    try:
        sheets = list(wb.sheetnames)
        if sheet is None:
            name = sheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(sheets):
                raise CxlabError(
                    f"{path}: there is no sheet number {sheet} (sheets count from 0); the "
                    f"workbook's sheets are: {', '.join(map(repr, sheets))}."
                )
            name = sheets[sheet]
        elif sheet in sheets:
            name = sheet
        else:
            raise CxlabError(
                f"{path}: there is no sheet {sheet!r}; the workbook's sheets are: "
                f"{', '.join(map(repr, sheets))}."
            )
        rows = []
        for row in wb[name].iter_rows(values_only=True):
            rows.append(list(row))
            if limit and len(rows) >= limit:
                break
    finally:
        wb.close()
    return name, rows, sheets


def cell_text(v: Any) -> str | None:
    import datetime as dt

    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)
