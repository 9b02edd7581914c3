"""Loading, correcting and removing data: validated, all or nothing, traceable.

:func:`ingest` reads a file (:mod:`~cxlab.warehouse.readers`), checks every
rule inside DuckDB (:mod:`~cxlab.warehouse.validate`), and then, in **one
transaction**, checks keys against the file and the warehouse and writes:

- rows with a new key are added;
- rows whose key is present with the same values are skipped ("already
  present"), so re-ingesting a file changes nothing;
- rows whose key is present with other values are refused, unless
  ``update=True`` (``--update``), which replaces them and keeps the earlier
  version in ``cxlab_meta.replaced_<table>``;
- survey responses marked unfinished by the export (``Finished`` false, or
  ``Progress`` below 100 when there is no ``Finished`` column) and responses
  with no score at all are skipped and counted, never loaded silently.

Each load gets an id in ``cxlab_meta.loads`` (time, file, SHA-256, table, counts,
options) and every row it wrote carries that ``load_id``; :func:`unload`
removes what one load added (and restores what it replaced) in one
transaction. Any problem raises :class:`cxlab.errors.CxlabError` and leaves
the warehouse as it was; a killed run leaves only a staging folder, which the
next load removes.

Tables carry ``NOT NULL`` constraints but no ``PRIMARY KEY`` (DuckDB's key
index made a five-million-row load about six times slower here); these
functions enforce key uniqueness. Write to the tables through them only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError
from cxlab.schema import TABLES, Table
from cxlab.warehouse.backends import is_url, refuse_mangled_url
from cxlab.warehouse.ingest_report import IngestReport
from cxlab.warehouse.readers import Renumber, open_source
from cxlab.warehouse.spec import LoadSpec
from cxlab.warehouse.store import (
    DEFAULT_DB,
    clean_stale_staging,
    describe_error,
    duckdb_connect,
    ensure_layout,
    file_sha256,
    q,
    record_load,
    remove_db_files,
    table_def,
    writing,
)
from cxlab.warehouse.unloading import loads, unload
from cxlab.warehouse.validate import check, final_view, plan, typed_sql
from cxlab.warehouse.writes import write_rows

__all__ = ["IngestReport", "build_from_dir", "ingest", "loads", "unload"]


def ingest(
    table: str,
    path: Path | str,
    *,
    db: Path | str = DEFAULT_DB,
    mapping: dict[str, str] | None = None,
    spec: LoadSpec | None = None,
    update: bool = False,
    created_by: str | None = None,
) -> IngestReport:
    """Validate a file and load it into a warehouse table, all or nothing.

    Parameters
    ----------
    table : str
        Warehouse table name (see :data:`cxlab.schema.TABLES`).
    path : path
        The export: CSV/TSV (a Qualtrics or SurveyMonkey export included),
        Excel ``.xlsx``, SPSS ``.sav``, or Parquet (a file or a folder of parts).
        See :mod:`cxlab.warehouse.readers`.
    db : path or URL
        DuckDB warehouse; created with all tables if it does not exist. Or a
        PostgreSQL URL (``postgres://...`` or ``env:NAME``, see
        :func:`cxlab.warehouse.connect`): the same checks, then ``COPY`` in one
        transaction (see :mod:`cxlab.warehouse.server_ingest` for what differs).
    mapping : dict, optional
        ``{file column: warehouse column}`` renames (see :func:`parse_mapping`).
    spec : LoadSpec, optional
        Format, sheet, encoding, dates, renames, recodes and constants.
    update : bool
        Replace rows whose key exists with other values (their earlier version
        is kept in ``cxlab_meta.replaced_<table>``); columns the file lacks keep their
        warehouse values.

    Returns
    -------
    IngestReport

    Raises
    ------
    ValidationError
        If any rule is broken anywhere in the file, a key is duplicated in the
        file, or (without ``update``) a key already in the warehouse has other
        values. The warehouse is then unchanged.
    CxlabError
        Unknown table, unreadable file, warehouse locked, not a warehouse,
        written by a newer cxlab, disk full.

    Examples
    --------
    >>> spec = LoadSpec(format="qualtrics", constants={"unit": "Nordics"},
    ...                 columns={"ltr": "Q1"})  # doctest: +SKIP
    >>> print(ingest("responses", "export.csv", db="data/cxlab.duckdb",
    ...              spec=spec).summary())  # doctest: +SKIP
    export.csv -> responses in data/cxlab.duckdb: 400 rows read, 381 added, ...
    """
    t = table_def(table)
    spec = spec or LoadSpec()
    if mapping:
        spec = LoadSpec.from_options(
            mapping=[f"{s}={tgt}" for s, tgt in mapping.items()], base=spec
        )
    if is_url(db):  # a PostgreSQL warehouse: same checks, then COPY in one transaction
        from cxlab.warehouse.server_ingest import ingest_to_server

        return ingest_to_server(t.name, Path(path), str(db), spec=spec, update=update)
    refuse_mangled_url(db)  # e.g. a command line that typed --db as a path
    path, db = Path(path), Path(db)
    stale = clean_stale_staging(db)
    with writing(db) as (con, staging):
        try:
            report = _ingest(con, staging, t, path, db, spec, update, created_by, numbered=False)
        except Renumber:  # a message must name rows: read again, numbered
            for obj in (
                "VIEW __final",
                "TABLE __quarters",
                "TABLE __canon",
                "TABLE __typed",
                "VIEW __src",
                "TABLE __raw",
            ):
                con.execute(f"DROP {obj.split()[0]} IF EXISTS {obj.split()[1]}")
            report = _ingest(con, staging, t, path, db, spec, update, created_by, numbered=True)
    if stale:
        note = "removed what an interrupted run left behind: " + ", ".join(p.name for p in stale)
        report = dataclasses.replace(report, notes=(*report.notes, note))
    return report


def _ingest(
    con: Any,
    staging: Path,
    t: Table,
    path: Path,
    db: Path,
    spec: LoadSpec,
    update: bool,
    created_by: str | None,
    *,
    numbered: bool,
) -> IngestReport:
    import duckdb

    src = open_source(con, path, spec, staging, numbered=numbered)
    p = plan(t, src, spec)
    sql, typed = typed_sql(p)
    try:
        con.execute(sql)
    except duckdb.Error:
        if numbered:
            raise
        raise Renumber from None  # e.g. a ragged line: the numbered read names it
    check(con, p, typed, src.row_note)
    rows_read = int(con.execute("SELECT count(*) FROM __typed").fetchone()[0])
    skipped = dict(
        con.execute(
            "SELECT __skip, count(*) FROM __typed WHERE __skip IS NOT NULL GROUP BY 1 ORDER BY 1 DESC"
        ).fetchall()
    )
    if skipped:
        con.execute("DELETE FROM __typed WHERE __skip IS NOT NULL")
    final_view(con, t)
    options = spec.to_dict() | ({"update": True} if update else {})
    try:
        con.execute("BEGIN TRANSACTION")
        ensure_layout(con, db, created_by=created_by)
        result = write_rows(con, t, p, update, src, str(p.where))
        load_id = None
        if result["added"] or result["updated"]:
            load_id = _finish_load(con, t, result, src, rows_read, options, update)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return IngestReport(
        file=path,
        table=t.name,
        db=db,
        rows_read=rows_read,
        rows_added=result["added"],
        rows_already_present=result["same"],
        ignored_columns=tuple(p.ignored),
        rows_updated=result["updated"],
        load_id=load_id,
        skipped={k: int(v) for k, v in skipped.items()},
        absent_columns=tuple(c for c in p.absent if not _always_absent(t, c)),
        changed_columns=result["changed"],
    )


def _always_absent(t: Table, column: str) -> bool:
    """Columns not worth mentioning when absent (derived or rarely exported)."""
    return (t.name, column) in {("customers", "churn_date"), ("customer_history", "valid_to")}


def _finish_load(
    con: Any,
    t: Table,
    result: dict[str, Any],
    src: Any,
    rows_read: int,
    options: dict[str, Any],
    update: bool,
) -> int:
    load_id = result["load_id"]
    record_load(
        con,
        load_id=load_id,
        kind="update" if update else "ingest",
        table=t.name,
        file=str(src.path),
        sha256=src.sha(),
        rows_read=rows_read,
        rows_added=result["added"],
        rows_updated=result["updated"],
        options=json.dumps(options, sort_keys=True, ensure_ascii=False),
    )
    return load_id


# --------------------------------------------------------------------------- #
# Building a fresh warehouse from a folder of Parquet parts
# --------------------------------------------------------------------------- #


def build_from_dir(
    src_dir: Path | str,
    db: Path | str = DEFAULT_DB,
    *,
    created_by: str | None = None,
    replace: bool = False,
) -> dict[str, int]:
    """Build a fresh warehouse from ``src_dir/<table>/part-*.parquet``, atomically.

    The warehouse is built in a temporary file next to ``db`` and moved onto
    ``db`` with :func:`os.replace` only when every table loaded, so a failure
    leaves any existing ``db`` untouched. An existing ``db`` is replaced only
    with ``replace=True`` (callers keep a backup first, see
    :func:`cxlab.warehouse.backup`). Tables without a folder stay empty.

    Returns
    -------
    dict
        Row count per table.

    Examples
    --------
    >>> build_from_dir("data/demo", "data/demo/cxlab.duckdb")  # doctest: +SKIP
    {'customers': 5000, 'customer_history': 7400, 'responses': 60000, ...}
    """
    src_dir, db = Path(src_dir), Path(db)
    if not src_dir.is_dir():
        raise CxlabError(f"{src_dir}: no such folder.")
    if db.exists() and not replace:
        raise CxlabError(
            f"{db}: a warehouse is already there; build_from_dir does not replace it "
            "(pass replace=True after making a backup)."
        )
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
    tmp = db.parent / f".cxlab-staging-build-{db.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    target = tmp / db.name
    try:
        for name, path in found.items():
            ingest(name, path, db=target, created_by=created_by)
        con = duckdb_connect(target)
        try:
            con.execute("BEGIN TRANSACTION")
            ensure_layout(con, target, created_by=created_by)
            last = con.execute("SELECT coalesce(max(load_id), 0) FROM cxlab_meta.loads").fetchone()
            con.execute(  # the demo may rebuild it while nothing is loaded after this
                "INSERT OR REPLACE INTO cxlab_meta.info VALUES ('built_through_load', ?)",
                [str(last[0])],
            )
            con.execute("COMMIT")
            counts = {
                name: int(con.execute(f"SELECT count(*) FROM {q(name)}").fetchone()[0])
                for name in TABLES
            }
            con.execute("CHECKPOINT")
        finally:
            con.close()
        remove_db_files(db, only_wal=True)  # a stale WAL must not be replayed onto the new file
        os.replace(target, db)
    except OSError as exc:
        raise describe_error(db, exc, "building the warehouse") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return counts


def file_digest(path: Path) -> str:
    """SHA-256 of a file (re-exported for the command line)."""
    return file_sha256(path)
