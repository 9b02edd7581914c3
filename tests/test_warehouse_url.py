"""Opening a warehouse by URL: credentials only from the environment, clear messages."""

from __future__ import annotations

import pytest

from cxlab import warehouse
from cxlab.errors import CxlabError
from cxlab.warehouse.backends import is_url, mask


def test_a_url_with_a_password_is_refused_and_the_password_never_shown():
    with pytest.raises(CxlabError) as err:
        warehouse.connect("postgres://cx:s3cret-pw@db.example:5432/cx")
    text = str(err.value)
    assert "s3cret-pw" not in text
    assert "postgres://cx:***@db.example:5432/cx" in text and "PGPASSWORD" in text


def test_env_url_must_be_set(monkeypatch):
    monkeypatch.delenv("CXLAB_NO_SUCH_URL", raising=False)
    with pytest.raises(CxlabError, match="CXLAB_NO_SUCH_URL is not set"):
        warehouse.connect("env:CXLAB_NO_SUCH_URL")


def test_unreachable_server_is_one_message_without_the_password(monkeypatch):
    # port 9 on 127.0.0.1 (discard) refuses: the message names the masked URL
    monkeypatch.setenv("CXLAB_URL", "postgres://cx:pw-in-env@127.0.0.1:9/cx")
    with pytest.raises(CxlabError) as err:
        warehouse.connect("env:CXLAB_URL")
    text = str(err.value)
    assert "pw-in-env" not in text and "postgres://cx:***@127.0.0.1:9/cx" in text
    assert "cannot connect" in text or "not installed" in text


def test_a_duckdb_backend_object_without_tables_is_refused():
    import ibis

    with pytest.raises(CxlabError, match="no 'responses' table"):
        warehouse.connect(ibis.duckdb.connect())


def test_a_duckdb_backend_object_is_used_as_it_is(demo_warehouse):
    con = warehouse.connect(demo_warehouse[0])
    assert warehouse.connect(con) is con
    fp = warehouse.fingerprint(con)
    assert fp["backend"] == "duckdb" and fp["rows"]["responses"] == 20_000
    assert fp["last_load"] is not None
    con.disconnect()


def test_urls_and_paths_are_told_apart():
    assert is_url("postgresql://u@h/db") and is_url("pyspark://local[2]") and is_url("env:X")
    assert not is_url("data/cx.duckdb") and not is_url("C:/data/cx.duckdb")
    assert not is_url("env:not a name")
    assert mask("pyspark://local[2]") == "pyspark://local[2]"


def test_cli_ingest_with_a_url_as_db_goes_to_the_server_not_a_file(tmp_path):
    import subprocess
    import sys

    f = tmp_path / "r.csv"
    f.write_text("response_id,unit,survey_date,ltr\nr1,Nordics,2026-01-05,9\n")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "cxlab.cli",
            "ingest",
            "responses",
            str(f),
            "--db",
            "postgres://cx@127.0.0.1:9/cx",  # a closed local port: refused at once
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    said = res.stderr  # no driver here (make test): say how to install; else the refusal
    assert "not installed" in said or "cannot connect" in said, said
    assert "Traceback" not in said
    assert not (tmp_path / "postgres:").exists()
