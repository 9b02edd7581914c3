"""cxlab ingest into PostgreSQL: the same checks, all or nothing in one transaction."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlab import warehouse
from cxlab.errors import CxlabError, ValidationError

pytestmark = pytest.mark.backends


@pytest.fixture
def empty_db_url(postgres_url, pg):
    """A fresh database on the test server (the comparisons' data stay untouched)."""
    import psycopg

    name = "ingest_test"
    admin = postgres_url.replace("postgres://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    return postgres_url.rsplit("/", 1)[0] + "/" + name


def _rows(duck, n: int) -> pd.DataFrame:
    r = duck.table("responses").order_by("response_id").limit(n).to_pandas()
    return r.drop(columns=["load_id"])


def test_ingest_adds_skips_and_refuses_all_or_nothing(duck, empty_db_url, tmp_path):
    rows = _rows(duck, 20)
    first = tmp_path / "first.csv"
    rows.to_csv(first, index=False)
    rep = warehouse.ingest("responses", first, db=empty_db_url)
    assert (rep.rows_read, rep.rows_added, rep.rows_already_present) == (20, 20, 0)
    assert rep.load_id == 1
    again = warehouse.ingest("responses", first, db=empty_db_url)
    assert (again.rows_added, again.rows_already_present, again.load_id) == (0, 20, None)

    con = warehouse.connect(empty_db_url)
    back = con.table("responses").order_by("response_id").to_pandas()
    assert back["response_id"].tolist() == rows["response_id"].tolist()
    assert back["ltr"].tolist() == rows["ltr"].tolist()
    assert con.table("loads", database="cxlab_meta").count().execute() == 1

    # one changed value among new rows: refused, and the new rows are not added either
    more = _rows(duck, 40)
    more.loc[0, "ltr"] = (int(more.loc[0, "ltr"]) + 1) % 11
    changed = tmp_path / "changed.csv"
    more.to_csv(changed, index=False)
    with pytest.raises(ValidationError, match="1 row have a key already"):
        warehouse.ingest("responses", changed, db=empty_db_url)
    assert con.table("responses").count().execute() == 20

    # a rule broken in the file: the same message as on DuckDB, nothing loaded
    bad = _rows(duck, 40)
    bad.loc[30, "ltr"] = 12
    broken = tmp_path / "broken.csv"
    bad.to_csv(broken, index=False)
    with pytest.raises(ValidationError, match="ltr"):
        warehouse.ingest("responses", broken, db=empty_db_url)
    assert con.table("responses").count().execute() == 20
    con.disconnect()


def test_update_on_a_server_is_refused_clearly(empty_db_url, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("response_id\n1\n")
    with pytest.raises(CxlabError, match="--update is not available on a PostgreSQL"):
        warehouse.ingest("responses", f, db=empty_db_url, update=True)


def test_messages_name_the_file_and_server_not_the_scratch_copy(duck, empty_db_url, tmp_path):
    bad = _rows(duck, 5)
    bad.loc[2, "ltr"] = 12
    f = tmp_path / "bad.csv"
    bad.to_csv(f, index=False)
    with pytest.raises(ValidationError) as err:
        warehouse.ingest("responses", f, db=empty_db_url)
    assert str(f) in str(err.value) and "stage.duckdb" not in str(err.value)
    ok = tmp_path / "ok.csv"
    _rows(duck, 5).to_csv(ok, index=False)
    summary = warehouse.ingest("responses", ok, db=empty_db_url).summary()
    assert summary.startswith(f"{ok} -> responses in {empty_db_url}: 5 rows read, 5 added")
