"""Warehouses beyond one DuckDB file: PostgreSQL, Spark and other Ibis backends.

:func:`cxlab.warehouse.connect` takes a DuckDB path (the default, embedded) or
a connection URL, opened here through Ibis:

- ``postgres://user@host:5432/db`` (also ``postgresql://``; a unix socket with
  ``postgres://user@/db?host=/run/postgresql``);
- ``pyspark://local[2]`` (a local Spark session; Spark settings as query
  parameters, e.g. ``?spark.sql.catalogImplementation=hive``) or
  ``pyspark://`` (the session already running, e.g. on Databricks); an
  existing ``SparkSession`` or Ibis backend object is used as it is;
- any other URL Ibis understands (``snowflake://``, ``bigquery://``,
  ``trino://`` ...), when that Ibis backend is installed;
- ``env:NAME``: the URL is in the environment variable ``NAME``.

Credentials come from the environment only (``PGPASSWORD`` or a password file
for PostgreSQL, the cloud's own credential chain elsewhere): a URL with a
password written in it is refused unless it comes through ``env:NAME``, so it
never lands in a notebook, a report or its provenance. Messages show URLs with
any password masked (:func:`mask`).

A report on a server has no file to hash: its provenance records the backend
and :func:`fingerprint` (row counts per table and the latest load time).
:func:`copy_warehouse` loads a DuckDB warehouse's tables into a server (COPY
on PostgreSQL, Arrow through Ibis elsewhere).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from cxlab.errors import CxlabError
from cxlab.schema import TABLES

__all__ = [
    "refuse_mangled_url",
    "backend_name",
    "engine_step",
    "copy_warehouse",
    "fingerprint",
    "fingerprint_text",
    "is_url",
    "mask",
]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_ENV = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
_SCHEMES = {"postgres": "postgres", "postgresql": "postgres", "pyspark": "pyspark"}
META_SCHEMA = "cxlab_meta"


def is_url(value: object) -> bool:
    """Whether a ``warehouse`` value is a connection URL (or ``env:NAME``), not a path.

    Examples
    --------
    >>> is_url("postgres://cx@db:5432/cx"), is_url("env:CX_URL"), is_url("data/cx.duckdb")
    (True, True, False)
    """
    return isinstance(value, str) and bool(_URL.match(value) or _ENV.match(value))


def refuse_mangled_url(db: object) -> None:
    """Refuse a path that is a URL whose ``//`` a ``Path`` collapsed (``postgres:/u@h/db``).

    Examples
    --------
    >>> from pathlib import Path
    >>> refuse_mangled_url(Path("data/cx.duckdb"))
    >>> refuse_mangled_url(Path("postgres://cx@db/cx"))
    Traceback (most recent call last):
    ...
    cxlab.errors.CxlabError: warehouse 'postgres:/cx@db/cx' looks like a URL whose '//' was lost ...
    """
    text = str(db)
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*):/(?!/)", text)
    if m and m.group(1).lower() in {*_SCHEMES, "duckdb", "snowflake", "bigquery", "trino"}:
        raise CxlabError(
            f"warehouse {mask(text)!r} looks like a URL whose '//' was lost (it was read as a "
            "file path); pass the URL as text, e.g. warehouse.connect('postgres://user@host/db')."
        )


def mask(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs).

    Examples
    --------
    >>> mask("postgres://cx:s3cret@db:5432/cx")
    'postgres://cx:***@db:5432/cx'
    >>> mask("postgres://cx@db/cx")
    'postgres://cx@db/cx'
    """
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        netloc = f"{parts.username or ''}:***@{host}{port}"
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def _resolve(value: str) -> tuple[str, str]:
    """(URL to open, how to name it in messages) for a URL or ``env:NAME``."""
    m = _ENV.match(value)
    if m:
        url = os.environ.get(m.group(1), "").strip()
        if not url:
            raise CxlabError(
                f"warehouse {value!r}: the environment variable {m.group(1)} is not set or "
                "empty; it should hold the connection URL (e.g. postgres://user@host:5432/db, "
                "with the password in PGPASSWORD)."
            )
        return url, f"{mask(url)} (from {m.group(1)})"
    try:
        has_password = urlsplit(value).password is not None
    except ValueError:
        has_password = False
    if has_password:
        raise CxlabError(
            f"warehouse {mask(value)}: the URL holds a password, which would be written into "
            "the notebook and its report. Give the password through the environment "
            "(PGPASSWORD for PostgreSQL), or put the whole URL in an environment variable "
            "and pass warehouse='env:NAME'."
        )
    return value, value


def connect_url(value: str) -> Any:
    """Open the warehouse at a URL (see the module docstring) as an Ibis backend."""
    import ibis

    url, shown = _resolve(value)
    scheme = url.split("://", 1)[0].lower()
    kind = _SCHEMES.get(scheme, scheme)
    try:
        if kind == "pyspark":
            con = _spark(url)
        elif kind == "duckdb":
            raise CxlabError(
                f"warehouse {shown}: give a DuckDB warehouse as its file path, not a URL."
            )
        else:
            con = ibis.connect(url)
    except CxlabError:
        raise
    except ImportError:  # ibis re-raises a driver's ModuleNotFoundError as ImportError
        raise CxlabError(
            f"warehouse {shown}: the {kind} backend is not installed; install it with "
            "pip install -r requirements-backends.lock (what make test-backends uses)."
        ) from None
    except Exception as exc:  # drivers raise their own types (psycopg.OperationalError...)
        raise CxlabError(
            f"warehouse {shown}: cannot connect ({type(exc).__name__}: "
            f"{mask(str(exc).strip().splitlines()[0] if str(exc).strip() else '')})."
        ) from None
    check_tables(con, shown)
    return con


def _spark(url: str) -> Any:
    import ibis
    from pyspark.sql import SparkSession

    parts = urlsplit(url)
    master = url.split("://", 1)[1].split("?", 1)[0]
    builder = SparkSession.builder.appName("cxlab")
    if master:
        builder = builder.master(master)
    for key, value in parse_qsl(parts.query):  # ?spark.sql.warehouse.dir=...&...
        builder = builder.config(key, value)
    return ibis.pyspark.connect(builder.getOrCreate())


def _as_backend(obj: Any) -> Any:
    import ibis
    from ibis.backends import BaseBackend

    if isinstance(obj, BaseBackend):
        return obj
    if hasattr(obj, "sparkContext") and hasattr(obj, "sql"):  # a SparkSession
        return ibis.pyspark.connect(obj)
    raise CxlabError(
        f"warehouse: cannot use a {type(obj).__name__} as a warehouse; give a DuckDB file "
        "path, a connection URL (postgres://..., pyspark://...), an Ibis backend or a "
        "SparkSession."
    )


def connect_object(obj: Any) -> Any:
    """An Ibis backend for an existing backend object or ``SparkSession`` (with the tables)."""
    con = _as_backend(obj)
    check_tables(con, f"({type(obj).__name__} object)")
    return con


def check_tables(con: Any, shown: str) -> None:
    """Refuse a backend without the warehouse's ``responses`` table (one clear message)."""
    try:
        names = set(con.list_tables())
    except Exception as exc:
        raise CxlabError(
            f"warehouse {shown}: cannot list its tables ({type(exc).__name__})."
        ) from None
    if "responses" not in names:
        raise CxlabError(
            f"warehouse {shown} ({backend_name(con)}): no 'responses' table there; load the "
            "warehouse's tables first (cxlab.warehouse.copy_warehouse, or cxlab ingest)."
        )


def backend_name(con: Any) -> str:
    """The Ibis backend's name (``duckdb``, ``postgres``, ``pyspark`` ...)."""
    return str(getattr(con, "name", type(con).__module__.split(".")[-1]))


def fingerprint(con: Any) -> dict[str, Any]:
    """What identifies the data of a warehouse with no file to hash.

    Returns ``{"backend": name, "rows": {table: count}, "last_load": time or None}``:
    row counts of the schema's tables present and the latest ``loaded_at`` in
    ``cxlab_meta.loads`` (when that table is there). Counted in the engine.
    """
    present = set(con.list_tables())
    rows = {name: int(con.table(name).count().execute()) for name in TABLES if name in present}
    last = None
    try:
        loads = con.table("loads", database=META_SCHEMA)
        value = loads.loaded_at.max().execute()
        last = None if value is None or str(value) in ("NaT", "None") else str(value)
    except Exception:  # no load log on this backend: counts only
        last = None
    return {"backend": backend_name(con), "rows": rows, "last_load": last}


def fingerprint_text(con: Any) -> str:
    """:func:`fingerprint` as one line for a report's provenance.

    Examples
    --------
    >>> import ibis
    >>> con = ibis.duckdb.connect()
    >>> _ = con.create_table("responses", ibis.memtable({"ltr": [9, 3]}))
    >>> fingerprint_text(con)
    'duckdb; rows: responses 2; last load: not recorded'
    """
    fp = fingerprint(con)
    counts = ", ".join(f"{k} {v:,}" for k, v in fp["rows"].items()) or "no tables"
    return f"{fp['backend']}; rows: {counts}; last load: {fp['last_load'] or 'not recorded'}"


def copy_warehouse(db: Path | str, target: Any, *, replace: bool = False) -> dict[str, int]:
    """Load every table of a DuckDB warehouse (and its load log) into another backend.

    On PostgreSQL the tables are created and filled with ``COPY`` in **one
    transaction** (PostgreSQL's DDL is transactional: a failure leaves the
    server as it was). Other backends get each table through Ibis
    ``create_table`` from Arrow, one table at a time (Spark has no
    transactions: a failure part-way leaves the tables written so far).

    Parameters
    ----------
    db : path
        The DuckDB warehouse (validated and loaded with ``cxlab ingest``).
    target : str or backend
        A URL or ``env:NAME`` (see :func:`cxlab.warehouse.connect`), an Ibis
        backend or a ``SparkSession``.
    replace : bool
        Replace tables already there; without it, a target that already has a
        warehouse table is refused.

    Returns
    -------
    dict
        Rows copied per table.
    """
    from cxlab.warehouse.store import duckdb_connect

    con = _target(target)
    present = set(con.list_tables())
    clash = sorted(n for n in TABLES if n in present)
    if clash and not replace:
        raise CxlabError(
            f"{backend_name(con)}: tables {', '.join(clash)} are already there; pass "
            "replace=True to replace them. Nothing was copied."
        )
    src = duckdb_connect(Path(db), read_only=True)
    try:
        data = {n: src.execute(f'SELECT * FROM "{n}"').fetch_arrow_table() for n in TABLES}
        has_log = src.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'loads'",
            [META_SCHEMA],
        ).fetchone()[0]
        log = (
            src.execute(f"SELECT * FROM {META_SCHEMA}.loads").fetch_arrow_table()
            if has_log
            else None
        )
    finally:
        src.close()
    if backend_name(con) == "postgres":
        from cxlab.warehouse.postgres import copy_tables

        copy_tables(con, data, log, schema=META_SCHEMA)
    elif backend_name(con) == "pyspark":
        # straight from Arrow: through pandas, a missing score in an integer
        # column would come back as NaN or lose the column's values
        session = con._session  # the SparkSession the Ibis backend wraps
        for name, tbl in data.items():
            session.createDataFrame(tbl).write.mode("overwrite").saveAsTable(name)
    else:
        for name, tbl in data.items():
            con.create_table(name, tbl, overwrite=True)
    return {n: t.num_rows for n, t in data.items()}


def open_target(url: str) -> tuple[Any, str]:
    """(Ibis backend, URL for messages) for a server that may hold no tables yet."""
    _, shown = _resolve(url)
    try:
        return _target(url), shown
    except CxlabError:
        raise
    except Exception as exc:  # drivers raise their own types
        raise CxlabError(
            f"warehouse {shown}: cannot connect ({type(exc).__name__}: "
            f"{mask(str(exc).strip().splitlines()[0] if str(exc).strip() else '')})."
        ) from None


def _target(target: Any) -> Any:
    import ibis

    if isinstance(target, str) and is_url(target):
        url, _ = _resolve(target)
        if url.split("://", 1)[0].lower() == "pyspark":
            return _spark(url)
        return ibis.connect(url)
    return _as_backend(target)


@contextlib.contextmanager
def engine_step(expr: Any, what: str) -> Iterator[None]:
    """Run an engine query; if its backend cannot, one :class:`CxlabError` naming both.

    Ibis refuses at compile time what a backend's SQL cannot express (e.g. an
    ordered ``ARRAY_AGG`` on Spark); the analyst sees which backend and which
    step, not a compiler traceback.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"x": [1, 2]})
    >>> with engine_step(t, "counting"):
    ...     int(t.count().execute())
    2
    """
    from ibis.common.exceptions import OperationNotDefinedError, UnsupportedOperationError

    try:
        yield
    except (UnsupportedOperationError, OperationNotDefinedError, NotImplementedError) as exc:
        try:
            import ibis

            name = backend_name(ibis.get_backend(expr))
        except Exception:
            name = "this"
        raise CxlabError(
            f"{what}: the {name} backend cannot run this step ({exc}); run it on a DuckDB "
            "or PostgreSQL warehouse."
        ) from None
