"""Opening, creating, versioning and backing up the DuckDB warehouse.

A warehouse is one DuckDB file. Its data tables (:data:`cxlab.schema.TABLES`)
live in DuckDB's ``main`` schema, each with an extra ``load_id`` column naming
the load that wrote the row. Book-keeping lives in a ``cxlab_meta`` schema (not ``cxlab``, which would clash
with the catalog of a file named ``cxlab.duckdb``):

- ``cxlab_meta.info(key, value)``: ``schema_version`` and ``created_by`` (``'cxlab
  demo'`` for a warehouse the demo built, which the demo may rebuild);
- ``cxlab_meta.loads``: one row per load, update, unload or build (see
  :mod:`cxlab.warehouse.unloading`);
- ``cxlab_meta.replaced_<table>``: earlier versions of rows that ``--update``
  replaced or ``unload`` removed, so that nothing loaded is ever lost.

Version 1 warehouses (cxlab 0.1 before load tracking) have no ``cxlab_meta``
schema; the first write migrates them in one transaction. A warehouse written
by a *newer* layout is refused with a message rather than misread.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError
from cxlab.schema import SCHEMA_VERSION, TABLES, Table

__all__ = [
    "DEFAULT_DB",
    "backup",
    "connect",
    "create",
    "data_fingerprint",
    "info",
    "schema_version",
    "table",
]

DEFAULT_DB = Path("data/cxlab.duckdb")
#: DuckDB memory limit while loading; larger inputs spill to the staging folder.
MEMORY_LIMIT = "1GB"
STAGING_PREFIX = ".cxlab-staging-"
LOAD_ID = "load_id"
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def q(name: str) -> str:
    """Quote a SQL identifier (``date``, ``timestamp`` are keywords)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: Any) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def table_def(name: str) -> Table:
    """The schema of warehouse table ``name``, or a message listing the tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise CxlabError(
            f"unknown table {name!r}; the warehouse tables are: {', '.join(TABLES)}."
        ) from None


def create_sql(t: Table, *, schema: str = "main", name: str | None = None) -> str:
    cols = ", ".join(f"{q(c.name)} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in t.columns)
    return f"CREATE TABLE IF NOT EXISTS {schema}.{q(name or t.name)} ({cols}, {LOAD_ID} BIGINT)"


def _os_message(exc: BaseException) -> str | None:
    text = str(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "No space left" in text:
        return "the disk is full (no space left on the device)"
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG or "File too large" in text:
        return "the file system refused to let the file grow (file size limit)"
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        return "permission denied"
    if isinstance(exc, OSError) and exc.errno == errno.EROFS or "Read-only file system" in text:
        return "the file system is read-only"
    return None


def describe_error(db: Path, exc: BaseException, doing: str) -> CxlabError:
    """Turn a DuckDB or OS error into one plain message about warehouse ``db``."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    why = _os_message(exc)
    if why:
        return CxlabError(f"{db}: {doing} failed: {why}. The warehouse was left as it was.")
    if (
        "not a valid DuckDB database" in text
        or "not a valid database" in text
        or ("Extension" in text and "not found" in text)  # e.g. an SQLite file
    ):
        return CxlabError(
            f"{db}: this file is not a DuckDB warehouse (or it is damaged); cxlab did not "
            "change it. Point --db at a warehouse file, or at a new path to create one."
        )
    if "lock" in text.lower():
        return CxlabError(
            f"{db}: the warehouse is locked by another process (a notebook or a cxlab "
            "command writing to it); close it there or try again when it has finished."
        )
    if (
        "older version of DuckDB" in text
        or "newer version of DuckDB" in text
        or ("version" in text.lower() and "storage" in text.lower())
    ):
        return CxlabError(f"{db}: written by another DuckDB version: {text}")
    return CxlabError(f"{db}: {doing} failed: {text}")


#: environment variable: the most memory DuckDB may use (e.g. ``3GB``); beyond it,
#: sorts, joins and GROUP BYs spill to disk (DuckDB's default: 80% of the RAM)
MEMORY_LIMIT_ENV = "CXLAB_MEMORY_LIMIT"


def duckdb_connect(db: Path, *, read_only: bool = False) -> Any:
    """A raw DuckDB connection to ``db`` with errors turned into messages.

    Extensions are never downloaded or loaded; ``CXLAB_MEMORY_LIMIT`` (e.g.
    ``3GB``), when set, caps DuckDB's memory so a large warehouse is processed
    out of core on a small machine.
    """
    import duckdb

    config = dict(_CONFIG)
    limit = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if limit:
        config["memory_limit"] = limit
    try:
        # never download or load extensions: a file that looks like another database
        # must not make cxlab fetch anything
        return duckdb.connect(str(db), read_only=read_only, config=config)
    except (duckdb.Error, OSError) as exc:
        if limit and "memory" in str(exc).lower():
            raise CxlabError(
                f"{MEMORY_LIMIT_ENV}={limit!r} is not a memory size DuckDB understands; "
                "use e.g. 3GB or 500MB."
            ) from None
        raise describe_error(db, exc, "opening the warehouse") from None


def schema_version(con: Any) -> int:
    """The layout version of the open warehouse: 0 (empty), 1 (no book-keeping) or more."""
    has_meta = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'cxlab_meta' AND table_name = 'info'"
    ).fetchone()[0]
    if has_meta:
        row = con.execute(
            "SELECT value FROM cxlab_meta.info WHERE key = 'schema_version'"
        ).fetchone()
        return int(row[0]) if row else 1
    has_data = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        ["responses"],
    ).fetchone()[0]
    return 1 if has_data else 0


def check_version(db: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise CxlabError(
            f"{db}: this warehouse was written by a newer cxlab (layout version {version}; "
            f"this cxlab reads up to version {SCHEMA_VERSION}). Upgrade cxlab to use it; "
            "nothing was changed."
        )


def ensure_layout(con: Any, db: Path, *, created_by: str | None = None) -> None:
    """Create or migrate the layout inside the caller's open transaction."""
    version = schema_version(con)
    check_version(db, version)
    con.execute("CREATE SCHEMA IF NOT EXISTS cxlab_meta")
    con.execute(
        "CREATE TABLE IF NOT EXISTS cxlab_meta.info (key VARCHAR PRIMARY KEY, value VARCHAR)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS cxlab_meta.loads (load_id BIGINT, loaded_at TIMESTAMP, "
        'kind VARCHAR, "table" VARCHAR, file VARCHAR, sha256 VARCHAR, rows_read BIGINT, '
        "rows_added BIGINT, rows_updated BIGINT, rows_removed BIGINT, options VARCHAR, "
        "undone_by BIGINT, cxlab_version VARCHAR)"
    )
    for t in TABLES.values():
        if version == 1:  # migrate: add the load column, relax what became optional
            cols = [r[0] for r in con.execute(f"DESCRIBE {q(t.name)}").fetchall()]
            if LOAD_ID not in cols:
                con.execute(f"ALTER TABLE {q(t.name)} ADD COLUMN {LOAD_ID} BIGINT DEFAULT 0")
            not_null = {
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' "
                    "AND table_name = ? AND NOT is_nullable",
                    [t.name],
                ).fetchall()
            }
            for c in t.columns:
                if c.nullable and c.name in not_null:
                    con.execute(f"ALTER TABLE {q(t.name)} ALTER COLUMN {q(c.name)} DROP NOT NULL")
        con.execute(create_sql(t))
        history = create_sql(t, schema="cxlab_meta", name=f"replaced_{t.name}").replace(
            " NOT NULL", ""
        )
        con.execute(history[:-1] + ", replaced_by BIGINT)")
    if version == 1:
        record_load(con, kind="migrate", table="*", rows_read=0, load_id=0)
    con.execute(
        "INSERT OR REPLACE INTO cxlab_meta.info VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
    )
    if version == 0 and created_by:
        con.execute("INSERT OR REPLACE INTO cxlab_meta.info VALUES ('created_by', ?)", [created_by])
    for t in TABLES.values():
        have = [r[0] for r in con.execute(f"DESCRIBE {q(t.name)}").fetchall()]
        if have != [*t.column_names, LOAD_ID]:
            raise CxlabError(
                f"{db}: table {t.name!r} has columns {have}, not the expected "
                f"{[*t.column_names, LOAD_ID]}; it was not made by cxlab. Nothing was changed."
            )


def now() -> str:
    """The load time: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    t = time.gmtime(int(epoch)) if epoch else time.gmtime()
    return time.strftime("%Y-%m-%d %H:%M:%S", t)


def record_load(
    con: Any, *, kind: str, table: str, load_id: int | None = None, **values: Any
) -> int:
    """Append a row to ``cxlab_meta.loads`` and return its id (the next integer)."""
    import cxlab

    if load_id is None:
        load_id = int(
            con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM cxlab_meta.loads").fetchone()[0]
        )
    row = {
        "load_id": load_id,
        "loaded_at": now(),
        "kind": kind,
        "table": table,
        "file": None,
        "sha256": None,
        "rows_read": None,
        "rows_added": 0,
        "rows_updated": 0,
        "rows_removed": 0,
        "options": None,
        "undone_by": None,
        "cxlab_version": cxlab.__version__,
    } | values
    cols = ", ".join(q(k) for k in row)
    con.execute(
        f"INSERT INTO cxlab_meta.loads ({cols}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )
    return load_id


@contextlib.contextmanager
def writing(db: Path) -> Iterator[Any]:
    """A read-write connection to ``db`` for one load; yields ``(con, staging_dir)``.

    Creates the folder, removes staging folders that killed runs left behind,
    points DuckDB's spill files at a staging folder of this process, and on every
    exit path closes the connection, removes the staging folder and, if the
    warehouse did not exist before and the load failed, the new file.
    """
    import duckdb

    db = Path(db)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise describe_error(db, exc, "creating the warehouse folder") from None
    clean_stale_staging(db)
    existed = db.exists()
    staging = db.parent / f"{STAGING_PREFIX}{db.name}-{os.getpid()}"
    con = None
    ok = False
    try:
        staging.mkdir(exist_ok=True)
        con = duckdb_connect(db)
        con.execute(f"SET temp_directory = {lit(staging)}")
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET TimeZone = 'UTC'")
        if sys.stdout.isatty():  # DuckDB's own progress bar for queries over two seconds
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = true")
        check_version(db, schema_version(con))
        yield con, staging
        ok = True
    except (OSError, duckdb.Error) as exc:
        raise describe_error(db, exc, "loading") from None
    finally:
        if con is not None:
            with contextlib.suppress(Exception):
                con.close()
        shutil.rmtree(staging, ignore_errors=True)
        if not ok and not existed:
            remove_db_files(db)


def clean_stale_staging(db: Path) -> list[Path]:
    """Remove staging folders (and old temp files) that killed runs left next to ``db``."""
    removed: list[Path] = []
    if not db.parent.is_dir():
        return removed
    for p in db.parent.glob(f"{STAGING_PREFIX}*"):
        pid = p.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _alive(int(pid)):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    for p in db.parent.glob(".cxlab-ingest-*"):  # cxlab 0.1's staging folders
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_db_files(db: Path, *, only_wal: bool = False) -> None:
    targets = [Path(str(db) + ".wal")] + ([] if only_wal else [db])
    for p in targets:
        p.unlink(missing_ok=True)


def create(db: Path | str) -> None:
    """Create the DuckDB warehouse file (if needed) with every table of the schema.

    Calling this on an existing warehouse is harmless (an old layout is migrated).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "cx.duckdb"
    >>> create(db)
    >>> sorted(connect(db).list_tables())[:3]
    ['attribute_ratings', 'customer_history', 'customers']
    """
    db = Path(db)
    with writing(db) as (con, _):
        con.execute("BEGIN TRANSACTION")
        ensure_layout(con, db)
        con.execute("COMMIT")


def connect(db: Path | str | Any = DEFAULT_DB, *, read_only: bool = True) -> Any:
    """Open the warehouse as an Ibis backend: a DuckDB file, or a server by URL.

    Parameters
    ----------
    db : path, URL or backend
        The DuckDB file (embedded, the default). It must exist (build it with
        ``cxlab ingest`` or ``cxlab demo``). Or a connection URL opened
        through Ibis: ``postgres://user@host:5432/db``, ``pyspark://local[2]``,
        ``env:NAME`` (the URL in an environment variable), or an existing Ibis
        backend or ``SparkSession``; credentials come from the environment
        only (see :mod:`cxlab.warehouse.backends`).
    read_only : bool
        Open a DuckDB file read-only (the default), so several notebooks can
        read at once.

    Returns
    -------
    ibis backend
        ``ibis.backends.duckdb.Backend`` for a file.

    Raises
    ------
    CxlabError
        If the file does not exist, is not a DuckDB warehouse, or was written
        by a newer cxlab.

    Examples
    --------
    >>> con = connect("data/cxlab.duckdb")  # doctest: +SKIP
    >>> con.table("responses").ltr.mean().execute()  # doctest: +SKIP
    """
    import ibis

    from cxlab.warehouse import backends

    if backends.is_url(db):
        return backends.connect_url(str(db))
    if not isinstance(db, str | os.PathLike):
        return backends.connect_object(db)
    backends.refuse_mangled_url(db)
    db = Path(db)
    if not db.is_file():
        raise CxlabError(
            f"{db}: no warehouse file here. Load your data with `cxlab ingest TABLE FILE "
            f"--db {db}`, or build the demo company with `cxlab demo` (it writes "
            "data/demo/cxlab.duckdb)."
        )
    raw = duckdb_connect(db, read_only=read_only)
    check_version(db, schema_version(raw))
    return ibis.duckdb.from_connection(raw)


def table(name: str, db: Path | str = DEFAULT_DB) -> Any:
    """Return one warehouse table as an Ibis table expression (read-only).

    Examples
    --------
    >>> r = table("responses", db="data/cxlab.duckdb")  # doctest: +SKIP
    >>> r.group_by("unit").agg(n=r.count()).execute()  # doctest: +SKIP
    """
    table_def(name)
    return connect(db).table(name)


def info(db: Path | str) -> dict[str, str]:
    """The warehouse's ``cxlab_meta.info`` entries (``schema_version``, ``created_by``)."""
    con = duckdb_connect(Path(db), read_only=True)
    try:
        if schema_version(con) < 2:
            return {"schema_version": str(schema_version(con))}
        return dict(con.execute("SELECT key, value FROM cxlab_meta.info").fetchall())
    finally:
        con.close()


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
    return file_sha256(db)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def backup(db: Path | str) -> Path:
    """Copy ``db`` (and its write-ahead log) to ``<name>.backup-<UTC time>.duckdb``.

    Returns the backup's path. Used before anything replaces a warehouse.
    """
    db = Path(db)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = db.with_name(f"{db.stem}.backup-{stamp}{db.suffix or '.duckdb'}")
    n = 1
    while dest.exists():
        dest = db.with_name(f"{db.stem}.backup-{stamp}-{n}{db.suffix or '.duckdb'}")
        n += 1
    tmp = dest.with_name(dest.name + ".part")
    try:
        shutil.copy2(db, tmp)
        wal = Path(str(db) + ".wal")
        if wal.exists():
            shutil.copy2(wal, Path(str(dest) + ".wal"))
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise describe_error(db, exc, "making a backup") from None
    return dest
