"""The load log, and undoing a load.

Every load has a row in ``cxlab_meta.loads`` (:func:`loads`); :func:`unload`
removes the rows one load added and restores the rows it replaced, in one
transaction, keeping what it removed in ``cxlab_meta.replaced_<table>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError
from cxlab.schema import TABLES
from cxlab.warehouse.store import (
    DEFAULT_DB,
    LOAD_ID,
    check_version,
    duckdb_connect,
    ensure_layout,
    q,
    record_load,
    schema_version,
    writing,
)

__all__ = ["loads", "unload"]


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
