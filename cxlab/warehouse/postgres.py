"""The PostgreSQL adapter: the warehouse's tables created and filled with ``COPY``.

``COPY ... FROM STDIN`` through psycopg is PostgreSQL's fastest bulk path
(row-by-row ``INSERT`` is tens of times slower). Everything runs in **one
transaction**: PostgreSQL's DDL is transactional, so a failure part-way leaves
the server as it was, the same all-or-nothing rule as a DuckDB load.
"""

from __future__ import annotations

from typing import Any

from cxlab.schema import TABLES, Table
from cxlab.warehouse.store import LOAD_ID, q

__all__ = ["copy_rows", "copy_tables", "create_sql", "ensure_meta"]

#: DuckDB type names of :mod:`cxlab.schema` -> PostgreSQL's.
PG_TYPES = {
    "VARCHAR": "TEXT",
    "DOUBLE": "DOUBLE PRECISION",
    "BIGINT": "BIGINT",
    "INTEGER": "INTEGER",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "BOOLEAN": "BOOLEAN",
}

_LOADS = (
    ("load_id", "BIGINT"),
    ("loaded_at", "TIMESTAMP"),
    ("kind", "TEXT"),
    ("table", "TEXT"),
    ("file", "TEXT"),
    ("sha256", "TEXT"),
    ("rows_read", "BIGINT"),
    ("rows_added", "BIGINT"),
    ("rows_updated", "BIGINT"),
    ("rows_removed", "BIGINT"),
    ("options", "TEXT"),
    ("undone_by", "BIGINT"),
    ("cxlab_version", "TEXT"),
)


def create_sql(t: Table) -> str:
    """``CREATE TABLE`` of a schema table (with its ``load_id``) in PostgreSQL's types."""
    cols = ", ".join(
        f"{q(c.name)} {PG_TYPES[c.type]}{'' if c.nullable else ' NOT NULL'}" for c in t.columns
    )
    return f"CREATE TABLE {q(t.name)} ({cols}, {LOAD_ID} BIGINT)"


def copy_rows(cur: Any, name: str, columns: list[str], data: Any) -> None:
    """``COPY`` the ``columns`` of Arrow table ``data`` into table ``name`` (quoted)."""
    cols = ", ".join(q(c) for c in columns)
    with cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
        for batch in data.select(columns).to_batches(max_chunksize=65536):
            for row in zip(*(col.to_pylist() for col in batch.columns), strict=True):
                copy.write_row(row)


def copy_tables(con: Any, data: dict[str, Any], log: Any | None, *, schema: str) -> None:
    """Create the tables and ``COPY`` Arrow tables into them, in one transaction.

    ``con`` is an Ibis PostgreSQL backend; ``data`` maps table names to Arrow
    tables with the schema's columns and ``load_id``; ``log`` is the load log
    (``cxlab_meta.loads``) or ``None``.
    """
    raw = con.con  # the backend's psycopg connection
    with raw.transaction(), raw.cursor() as cur:
        for name, tbl in data.items():
            t = TABLES[name]
            cur.execute(f"DROP TABLE IF EXISTS {q(name)}")
            cur.execute(create_sql(t))
            copy_rows(cur, q(name), [*t.column_names, LOAD_ID], tbl)
        if log is not None:
            cur.execute(f"DROP TABLE IF EXISTS {q(schema)}.loads")
            ensure_meta(cur, schema)
            names = [c for c, _ in _LOADS if c in log.column_names]
            copy_rows(cur, f"{q(schema)}.loads", names, log)


def ensure_meta(cur: Any, schema: str = "cxlab_meta") -> None:
    """Create the ``cxlab_meta`` schema and its load log when missing."""
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {q(schema)}")
    cols = ", ".join(f"{q(c)} {ty}" for c, ty in _LOADS)
    cur.execute(f"CREATE TABLE IF NOT EXISTS {q(schema)}.loads ({cols})")
