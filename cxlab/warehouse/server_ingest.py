"""``cxlab ingest`` into a PostgreSQL warehouse: the same rules, then COPY in one transaction.

The file is read and checked exactly as for a DuckDB warehouse (every rule,
every message, keys duplicated within the file), in a scratch DuckDB file
that is removed afterwards. The checked rows then go to the server with
``COPY`` into a temporary table and, in **one PostgreSQL transaction**, are
compared with the rows already there by key: new keys are added, identical
rows are skipped ("already present"), and a key already there with other
values refuses the whole load (nothing changes). The load is recorded in
``cxlab_meta.loads`` with its id on every row it wrote.

Where this differs from a DuckDB warehouse: ``--update`` and ``unload`` are
not available on a server yet (correct the rows on DuckDB and copy again);
channel names are not respelled to match the server's rows; concurrent loads
into one table are serialised by a table lock (``LOCK TABLE ... IN SHARE ROW
EXCLUSIVE MODE``) rather than by DuckDB's single writer.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError, ValidationError
from cxlab.schema import TABLES
from cxlab.warehouse.ingest_report import IngestReport
from cxlab.warehouse.postgres import copy_rows, create_sql, ensure_meta
from cxlab.warehouse.spec import LoadSpec
from cxlab.warehouse.store import LOAD_ID, duckdb_connect, now, q, table_def

__all__ = ["ingest_to_server"]


def ingest_to_server(
    table: str,
    path: Path,
    url: str,
    *,
    spec: LoadSpec,
    update: bool = False,
) -> IngestReport:
    """Validate ``path`` locally and load it into ``table`` on the server at ``url``."""
    from cxlab.warehouse import backends
    from cxlab.warehouse.loading import ingest

    t = table_def(table)
    con, shown = backends.open_target(url)
    if backends.backend_name(con) != "postgres":
        raise CxlabError(
            f"warehouse {shown}: cxlab ingest loads into DuckDB or PostgreSQL; the "
            f"{backends.backend_name(con)} backend is not supported (load into DuckDB, then "
            "cxlab.warehouse.copy_warehouse)."
        )
    if update:
        raise CxlabError(
            f"warehouse {shown}: --update is not available on a PostgreSQL warehouse yet; "
            "correct the rows in a DuckDB warehouse and copy it (copy_warehouse)."
        )
    with tempfile.TemporaryDirectory(prefix="cxlab-stage-") as tmp:
        local = Path(tmp) / "stage.duckdb"
        checked = ingest(table, path, db=local, spec=spec)
        raw = duckdb_connect(local, read_only=True)
        try:
            data = raw.execute(f"SELECT * FROM {q(t.name)}").fetch_arrow_table()
        finally:
            raw.close()
    try:
        added, same, load_id = _load(con, t.name, data, path, checked)
    finally:
        con.disconnect()
    return IngestReport(
        file=path,
        table=t.name,
        db=shown,
        rows_read=checked.rows_read,
        rows_added=added,
        rows_already_present=same,
        ignored_columns=checked.ignored_columns,
        load_id=load_id,
        skipped=checked.skipped,
        absent_columns=checked.absent_columns,
    )


def _load(
    con: Any, name: str, data: Any, path: Path, checked: IngestReport
) -> tuple[int, int, int | None]:
    """Compare by key and add the new rows, in one transaction; (added, same, load id)."""
    import cxlab

    t = TABLES[name]
    keys = " AND ".join(f"w.{q(k)} = s.{q(k)}" for k in t.key)
    others = [c for c in t.column_names if c not in t.key]
    differ = " OR ".join(f"s.{q(c)} IS DISTINCT FROM w.{q(c)}" for c in others) or "false"
    raw = con.con
    with raw.transaction(), raw.cursor() as cur:
        cur.execute(create_sql(t).replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
        ensure_meta(cur)
        cur.execute(f"LOCK TABLE {q(name)} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"CREATE TEMP TABLE __incoming (LIKE {q(name)}) ON COMMIT DROP")
        copy_rows(cur, "__incoming", [*t.column_names, LOAD_ID], data)
        join = f"FROM __incoming s JOIN {q(name)} w ON {keys}"
        same = cur.execute(f"SELECT count(*) {join} WHERE NOT ({differ})").fetchone()[0]
        changed = cur.execute(
            f"SELECT {', '.join('s.' + q(k) for k in t.key)} {join} WHERE {differ} "
            "ORDER BY 1 LIMIT 5"
        ).fetchall()
        if changed:
            n = cur.execute(f"SELECT count(*) {join} WHERE {differ}").fetchone()[0]
            shown = "; ".join(
                ", ".join(f"{k}={v}" for k, v in zip(t.key, r, strict=True)) for r in changed
            )
            raise ValidationError(
                f"{path}: {n} row{'s' if n != 1 else ''} have a key already in table {name!r} "
                f"but different values (e.g. {shown}); nothing was loaded."
            )
        load_id = int(
            cur.execute("SELECT coalesce(max(load_id), 0) + 1 FROM cxlab_meta.loads").fetchone()[0]
        )
        cols = ", ".join(q(c) for c in t.column_names)
        cur.execute(
            f"INSERT INTO {q(name)} ({cols}, {LOAD_ID}) SELECT {cols}, {load_id} FROM __incoming s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {q(name)} w WHERE {keys})"
        )
        added = int(cur.rowcount)
        if not added:
            return 0, int(same), None
        cur.execute(
            'INSERT INTO cxlab_meta.loads (load_id, loaded_at, kind, "table", file, sha256, '
            "rows_read, rows_added, rows_updated, rows_removed, options, cxlab_version) "
            "VALUES (%s, %s, 'ingest', %s, %s, NULL, %s, %s, 0, 0, %s, %s)",
            [
                load_id,
                now(),
                name,
                str(path),
                checked.rows_read,
                added,
                json.dumps({}),
                cxlab.__version__,
            ],
        )
    return added, int(same), load_id
