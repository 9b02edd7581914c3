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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError, ValidationError
from cxlab.schema import TABLES, VOCABULARY_COLUMNS, Table
from cxlab.warehouse.readers import Renumber, open_source
from cxlab.warehouse.spec import LoadSpec
from cxlab.warehouse.store import (
    DEFAULT_DB,
    LOAD_ID,
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
from cxlab.warehouse.validate import MAX_EXAMPLES, check, final_view, fmt_value, plan, typed_sql

__all__ = ["IngestReport", "build_from_dir", "ingest", "loads", "unload"]


@dataclass(frozen=True)
class IngestReport:
    """What :func:`ingest` did.

    Attributes
    ----------
    file, table, db : what was loaded where.
    load_id : the load's id in ``cxlab_meta.loads`` (``None`` when nothing changed).
    rows_read : data rows in the file.
    rows_added, rows_updated, rows_already_present : what happened to them.
    skipped : ``{reason: rows}`` for rows not loaded (blank score, incomplete).
    absent_columns : optional warehouse columns the file lacks (stored as NULL).
    ignored_columns : file columns that feed no warehouse column.
    changed_columns : ``{column: rows}`` changed by an update.
    """

    file: Path
    table: str
    db: Path
    rows_read: int
    rows_added: int
    rows_already_present: int
    ignored_columns: tuple[str, ...] = ()
    rows_updated: int = 0
    load_id: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    absent_columns: tuple[str, ...] = ()
    changed_columns: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """The ingest summary printed by ``cxlab ingest``.

        Examples
        --------
        >>> r = IngestReport(Path("r.csv"), "responses", Path("w.duckdb"), 10, 7, 1,
        ...                  skipped={"blank score": 2}, absent_columns=("channel",))
        >>> print(r.summary())
        r.csv -> responses in w.duckdb: 10 rows read, 7 added, 1 already present, 2 skipped
          skipped: blank score 2 (a response needs at least one of ltr, csat, ces)
          not in the file, stored as empty (shown as "not recorded"): channel
        """
        text = (
            f"{self.file} -> {self.table} in {self.db}: {self.rows_read} rows read, "
            f"{self.rows_added} added, {self.rows_already_present} already present"
        )
        if self.rows_updated:
            text += f", {self.rows_updated} updated"
        n_skipped = sum(self.skipped.values())
        if n_skipped:
            text += f", {n_skipped} skipped"
        lines = [text + (f" (load {self.load_id})" if self.load_id is not None else "")]
        lines[0] = lines[0].replace(" (load None)", "")
        if self.changed_columns:
            lines.append(
                "  changed: "
                + ", ".join(
                    f"{c} in {n} row{'s' if n != 1 else ''}"
                    for c, n in self.changed_columns.items()
                )
            )
        why = {
            "blank score": "a response needs at least one of ltr, csat, ces",
            "incomplete response": "the export marks it unfinished; keep them with "
            "--keep-incomplete",
        }
        if n_skipped:
            lines.append(
                "  skipped: "
                + "; ".join(f"{k} {v} ({why.get(k, '')})" for k, v in self.skipped.items())
            )
        if self.absent_columns:
            lines.append(
                '  not in the file, stored as empty (shown as "not recorded"): '
                + ", ".join(self.absent_columns)
            )
        if self.ignored_columns:
            shown = list(self.ignored_columns[:12])
            more = len(self.ignored_columns) - len(shown)
            lines.append(
                "  ignored columns: "
                + ", ".join(map(repr, shown))
                + (f" and {more} more" if more > 0 else "")
            )
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)


def _key_text(key: tuple[str, ...], values: tuple[Any, ...]) -> str:
    return ", ".join(
        f"{k}={fmt_value(str(v) if v is not None else v)}" for k, v in zip(key, values, strict=True)
    )


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
    db : path
        DuckDB warehouse; created with all tables if it does not exist.
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
    path, db = Path(path), Path(db)
    spec = spec or LoadSpec()
    if mapping:
        spec = LoadSpec.from_options(
            mapping=[f"{s}={tgt}" for s, tgt in mapping.items()], base=spec
        )
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
        result = _write(con, t, p, update, src, str(p.where))
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


def _canonical_vocabulary(con: Any, t: Table) -> None:
    """Store channels in the spelling the warehouse already uses (any case matches)."""
    for col in VOCABULARY_COLUMNS:
        if col == "stage" or col not in t.column_names:
            continue
        known = " UNION ALL ".join(
            f"SELECT {q(c)} AS v FROM {q(other.name)} WHERE {q(c)} IS NOT NULL"
            for other in TABLES.values()
            for c in other.column_names
            if c in ("channel", "preferred_channel")
        )
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE __canon AS
            WITH seen AS (
                SELECT v, 0 AS pri, count(*) AS n FROM ({known}) GROUP BY v
                UNION ALL
                SELECT {q(col)}, 1, count(*) FROM __typed WHERE {q(col)} IS NOT NULL GROUP BY 1
            )
            SELECT lower(v) AS k, arg_min(v, (pri, -n, v)) AS canon FROM seen GROUP BY 1
            """
        )
        con.execute(
            f"UPDATE __typed SET {q(col)} = __canon.canon FROM __canon "
            f"WHERE lower(__typed.{q(col)}) = __canon.k AND __typed.{q(col)} <> __canon.canon"
        )


def _write(con: Any, t: Table, p: Any, update: bool, src: Any, shown: str) -> dict[str, Any]:
    """Check keys, then add new rows and (with ``update``) replace changed ones."""
    _canonical_vocabulary(con, t)
    _check_duplicates(con, t, shown, src)
    keys = ", ".join(q(k) for k in t.key)
    others = [c for c in t.column_names if c not in t.key]
    cols = ", ".join(q(c) for c in t.column_names)
    if update:  # columns the file lacks keep their warehouse values
        kept = [c for c in p.absent if c in others]
        if kept:
            sets = ", ".join(f"{q(c)} = w.{q(c)}" for c in kept)
            on = " AND ".join(f"__typed.{q(k)} = w.{q(k)}" for k in t.key)
            con.execute(f"UPDATE __typed SET {sets} FROM {q(t.name)} w WHERE {on}")
    differ = " OR ".join(f"(s.{q(c)} IS DISTINCT FROM w.{q(c)})" for c in others) or "false"
    join = f"FROM __final s JOIN {q(t.name)} w USING ({keys})"
    present = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {q(t.name)} LIMIT 1)").fetchone()
    n_same, n_changed, changed = 0, 0, {}
    if present[0]:  # compare with the rows already there (nothing to compare on a first load)
        n_same = con.execute(f"SELECT count(*) {join} WHERE NOT ({differ})").fetchone()[0]
        per_column = ", ".join(
            f"count(*) FILTER (WHERE s.{q(c)} IS DISTINCT FROM w.{q(c)})" for c in others
        )
        counts = con.execute(
            f"SELECT count(*), {per_column or '0'} {join} WHERE {differ}"
        ).fetchone()
        n_changed = int(counts[0])
        changed = {c: int(k) for c, k in zip(others, counts[1:], strict=False) if k}
    if n_changed and not update:
        if not src.numbered:
            raise Renumber
        _conflict_message(con, t, shown, src, join, differ, n_changed, list(changed), others)
    load_id = int(
        con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM cxlab_meta.loads").fetchone()[0]
    )
    if n_changed:
        old = ", ".join(f"w.{q(c)}" for c in [*t.column_names, LOAD_ID])
        con.execute(
            f"INSERT INTO cxlab_meta.{q('replaced_' + t.name)} SELECT {old}, {load_id} {join} "
            f"WHERE {differ}"
        )
        on = " AND ".join(f"{q(t.name)}.{q(k)} = s.{q(k)}" for k in t.key)
        con.execute(
            f"DELETE FROM {q(t.name)} USING __final s WHERE {on} AND ("
            + differ.replace("w.", f"{q(t.name)}.")
            + ")"
        )
    con.execute("SET preserve_insertion_order = false")
    anti = f"ANTI JOIN {q(t.name)} USING ({keys})" if present[0] else ""
    added = con.execute(
        f"INSERT INTO {q(t.name)} ({cols}, {LOAD_ID}) SELECT {cols}, {load_id} FROM __final " + anti
    ).fetchone()[0]
    return {
        "added": int(added) - n_changed,
        "updated": n_changed,
        "same": int(n_same),
        "changed": changed,
        "load_id": load_id,
    }


def _check_duplicates(con: Any, t: Table, shown: str, src: Any) -> None:
    keys = ", ".join(q(k) for k in t.key)
    top_keys = ", ".join(f"top.{q(k)}" for k in t.key)
    rows = con.execute(
        f"""
        WITH d AS (
            SELECT {keys}, count(*) AS n, min(__row) AS first
            FROM __typed GROUP BY {keys} HAVING count(*) > 1
        ),
        top AS (
            SELECT *, count(*) OVER () AS n_keys, sum(n) OVER () AS n_rows
            FROM d ORDER BY first LIMIT {MAX_EXAMPLES}
        )
        SELECT {top_keys}, top.n, list(s.__row ORDER BY s.__row)[1:{MAX_EXAMPLES}],
               top.n_keys, top.n_rows
        FROM top JOIN __typed s USING ({keys})
        GROUP BY ALL ORDER BY min(s.__row)
        """
    ).fetchall()
    if not rows:
        return
    if not src.numbered:
        raise Renumber
    k = len(t.key)
    n_keys, n_rows = rows[0][-2], int(rows[0][-1])
    lines = [
        f"{shown}: key ({', '.join(t.key)}) is duplicated within the file: {n_keys} key"
        f"{'s' if n_keys != 1 else ''} on {n_rows} rows; nothing was loaded into table "
        f"{t.name!r}. {src.row_note}"
    ]
    for r in rows:
        lines.append(f"  - {_key_text(t.key, r[:k])}: {src.locate(list(r[k + 1]))}")
    if n_keys > len(rows):
        lines.append(f"  - ... and {n_keys - len(rows)} more keys")
    raise ValidationError("\n".join(lines))


def _conflict_message(
    con: Any,
    t: Table,
    shown: str,
    src: Any,
    join: str,
    differ: str,
    n: int,
    cols: list[str],
    others: list[str],
) -> None:
    sel = ", ".join(["s.__row"] + [f"s.{q(k)}" for k in t.key])
    sel += "".join(f", s.{q(c)}, w.{q(c)}" for c in others)
    examples = con.execute(
        f"SELECT {sel} {join} WHERE {differ} ORDER BY s.__row LIMIT {MAX_EXAMPLES}"
    ).fetchall()
    lines = [
        f"{shown}: {n} row{'s' if n != 1 else ''} have a key already in table {t.name!r} "
        f"but different values (columns: {', '.join(cols)}); nothing was loaded. To correct "
        f"those rows, load the file with --update (the earlier values are kept). "
        f"{src.row_note}"
    ]
    k = len(t.key)
    for ex in examples:
        row, key_vals, rest = ex[0], ex[1 : 1 + k], ex[1 + k :]
        diffs = [
            f"{c}: file {fmt_value(rest[2 * i])} vs warehouse {fmt_value(rest[2 * i + 1])}"
            for i, c in enumerate(others)
            if rest[2 * i] != rest[2 * i + 1]
        ]
        lines.append(f"  - {_key_text(t.key, key_vals)} ({src.locate([row])}): {'; '.join(diffs)}")
    if n > len(examples):
        lines.append(f"  - ... and {n - len(examples)} more")
    raise ValidationError("\n".join(lines))


# --------------------------------------------------------------------------- #
# The load log, and undoing a load
# --------------------------------------------------------------------------- #


def loads(db: Path | str = DEFAULT_DB) -> Any:
    """The warehouse's loads, oldest first, as a pandas DataFrame.

    Columns: ``load_id, loaded_at, kind, table, file, sha256, rows_read,
    rows_added, rows_updated, rows_removed, options, undone_by``.
    """
    import pandas as pd

    db = Path(db)
    if not db.is_file():
        raise CxlabError(f"{db}: no warehouse file here.")
    con = duckdb_connect(db, read_only=True)
    try:
        from cxlab.warehouse.store import check_version, schema_version

        version = schema_version(con)
        check_version(db, version)
        if version < 2:
            return pd.DataFrame(
                columns=["load_id", "loaded_at", "kind", "table", "file", "rows_added"]
            )
        return con.execute(
            'SELECT load_id, loaded_at, kind, "table", file, sha256, rows_read, rows_added, '
            "rows_updated, rows_removed, options, undone_by FROM cxlab_meta.loads ORDER BY load_id"
        ).df()
    finally:
        con.close()


def unload(load_id: int, *, db: Path | str = DEFAULT_DB) -> str:
    """Remove the rows that load ``load_id`` added and restore the rows it replaced.

    One transaction. The removed rows are kept in ``cxlab_meta.replaced_<table>``;
    the unload is itself recorded in ``cxlab_meta.loads``. Refused when a later load
    changed rows this load wrote (unload that one first).

    Returns
    -------
    str
        A one-line summary for the terminal.
    """
    db = Path(db)
    if not db.is_file():
        raise CxlabError(f"{db}: no warehouse file here.")
    with writing(db) as (con, _):
        con.execute("BEGIN TRANSACTION")
        try:
            ensure_layout(con, db)
            text = _unload(con, int(load_id), db)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return text


def _unload(con: Any, load_id: int, db: Path) -> str:
    row = con.execute(
        'SELECT kind, "table", undone_by, file FROM cxlab_meta.loads WHERE load_id = ?', [load_id]
    ).fetchone()
    if row is None:
        ids = [
            r[0] for r in con.execute("SELECT load_id FROM cxlab_meta.loads ORDER BY 1").fetchall()
        ]
        raise CxlabError(
            f"{db}: there is no load {load_id}; the loads are: {', '.join(map(str, ids)) or 'none'} "
            "(see `cxlab loads`)."
        )
    kind, table, undone_by, file = row
    if kind == "unload":
        raise CxlabError(f"{db}: load {load_id} is itself an unload; it cannot be unloaded.")
    if undone_by is not None:
        raise CxlabError(f"{db}: load {load_id} was already unloaded (by load {undone_by}).")
    tables = list(TABLES) if table == "*" else [table]
    later = []
    for name in tables:
        hist = q("replaced_" + name)
        later += [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT replaced_by FROM cxlab_meta.{hist} WHERE {LOAD_ID} = ? "
                "AND replaced_by > ?",
                [load_id, load_id],
            ).fetchall()
        ]
    if later:
        raise CxlabError(
            f"{db}: load(s) {', '.join(map(str, sorted(set(later))))} changed rows that load "
            f"{load_id} wrote; unload those first. Nothing was changed."
        )
    me = int(
        con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM cxlab_meta.loads").fetchone()[0]
    )
    removed = restored = 0
    for name in tables:
        t = TABLES[name]
        cols = ", ".join(q(c) for c in t.column_names)
        hist = "cxlab_meta." + q("replaced_" + name)
        con.execute(
            f"INSERT INTO {hist} SELECT {cols}, {LOAD_ID}, {me} FROM {q(name)} "
            f"WHERE {LOAD_ID} = {load_id}"
        )
        removed += con.execute(f"DELETE FROM {q(name)} WHERE {LOAD_ID} = {load_id}").fetchone()[0]
        restored += con.execute(
            f"INSERT INTO {q(name)} SELECT {cols}, {LOAD_ID} FROM {hist} "
            f"WHERE replaced_by = {load_id}"
        ).fetchone()[0]
        con.execute(f"DELETE FROM {hist} WHERE replaced_by = {load_id}")
    record_load(
        con,
        load_id=me,
        kind="unload",
        table=table,
        file=file,
        rows_removed=removed,
        options=json.dumps({"unloaded": load_id}),
    )
    con.execute("UPDATE cxlab_meta.loads SET undone_by = ? WHERE load_id = ?", [me, load_id])
    what = f"{removed} row{'s' if removed != 1 else ''} removed"
    if restored:
        what += f", {restored} earlier version{'s' if restored != 1 else ''} restored"
    return f"{db}: unloaded load {load_id} ({table}): {what} (recorded as load {me})."


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
