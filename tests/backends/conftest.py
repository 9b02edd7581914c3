"""Real servers, started by the tests: PostgreSQL (Debian's postgresql) and Spark in local mode.

``make test-backends`` installs what these need (``.ci/ensure-backends`` and
``requirements-backends.lock``). Each server is started once per session on a
small demo warehouse copied from DuckDB, and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "cxlab-test-only"  # a throwaway server's; handed over through PGPASSWORD


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).exists():
            return str(d / name)
    pytest.fail(f"{name} not found: run `make test-backends` (it installs Debian's postgresql).")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory) -> Path:
    """A small synthetic demo warehouse (DuckDB file), the reference for every backend."""
    from cxlab import synth, warehouse

    base = tmp_path_factory.mktemp("small")
    synth.generate(base / "data", n_responses=3_000, seed=7)
    db = base / "cx.duckdb"
    warehouse.build_from_dir(base / "data", db)
    return db


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL server on 127.0.0.1 (free port, password auth); yields its URL."""
    base = Path(tempfile_dir(tmp_path_factory))
    data = base / "pgdata"
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(pwfile, "postgres")
    port = _free_port()
    subprocess.run(
        _as_server_user(
            [
                _pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "cxlab",
                "--pwfile",
                str(pwfile),
                "-A",
                "scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale",
                "C",
            ]
        ),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c timezone=UTC"
    subprocess.run(
        _as_server_user(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(base / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgres://cxlab@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def tempfile_dir(tmp_path_factory) -> str:
    """A folder the `postgres` user can enter (pytest's tmp folders are private to root)."""
    import tempfile

    d = tempfile.mkdtemp(prefix="cxlab-pg-", dir="/tmp")
    os.chmod(d, 0o755)
    return d


@pytest.fixture(scope="session")
def pg(postgres_url, small_warehouse) -> Iterator[Any]:
    """The small warehouse copied into PostgreSQL, opened with cxlab.warehouse.connect."""
    from cxlab import warehouse

    mp = pytest.MonkeyPatch()
    mp.setenv("PGPASSWORD", PASSWORD)
    warehouse.copy_warehouse(small_warehouse, postgres_url)
    con = warehouse.connect(postgres_url)
    yield con
    con.disconnect()
    mp.undo()


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory) -> Iterator[Any]:
    """A local Spark session (one core, small shuffles), its warehouse folder under tmp."""
    from pyspark.sql import SparkSession

    where = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("cxlab-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.warehouse.dir", str(where / "warehouse"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark(spark_session, small_warehouse) -> Any:
    """The small warehouse copied into Spark, opened with cxlab.warehouse.connect."""
    from cxlab import warehouse

    warehouse.copy_warehouse(small_warehouse, spark_session)
    return warehouse.connect(spark_session)


@pytest.fixture(scope="session")
def duck(small_warehouse) -> Any:
    from cxlab import warehouse

    return warehouse.connect(small_warehouse)


@pytest.fixture(scope="session", params=["postgres", "pyspark"])
def other(request) -> Any:
    """Each server backend in turn (the comparison tests run against both)."""
    return request.getfixturevalue("pg" if request.param == "postgres" else "spark")
