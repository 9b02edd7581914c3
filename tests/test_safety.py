"""Nothing an analyst loaded is ever lost: loads, corrections, undo, and failures.

Real DuckDB files, real processes (a SIGKILLed ingest), a real full disk (a
small tmpfs in a private mount namespace) and a real permission error (the
command run as an unprivileged user).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cxlab import demo, warehouse
from cxlab.errors import CxlabError, ValidationError
from cxlab.schema import TABLES

CXLAB = Path(sys.executable).parent / "cxlab"


def responses(n: int, start: int = 1, ltr: int | None = None) -> pd.DataFrame:
    ids = range(start, start + n)
    return pd.DataFrame(
        {
            "response_id": [f"R{i}" for i in ids],
            "unit": ["North" if i % 2 else "South" for i in ids],
            "survey_date": [f"2026-0{1 + i % 9}-15" for i in ids],
            "ltr": [i % 11 if ltr is None else ltr for i in ids],
            "verbatim": [f"comment {i}" for i in ids],
        }
    )


def write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


def table(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".cxlab"))


# --------------------------------------------------------------------------- #
# Loads, --update and unload
# --------------------------------------------------------------------------- #


def test_loads_update_and_unload_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = warehouse.ingest("responses", write(responses(5), tmp_path / "a.csv"), db=db)
    second = warehouse.ingest("responses", write(responses(3, 6), tmp_path / "b.csv"), db=db)
    assert (first.load_id, second.load_id) == (1, 2)
    fixed = responses(2, 4, ltr=10)  # R4 and R5 corrected, other columns the same
    fixed = pd.concat([fixed, responses(1, 20)], ignore_index=True)  # plus one new row R20
    src = write(fixed, tmp_path / "fix.csv")
    with pytest.raises(ValidationError, match="--update"):
        warehouse.ingest("responses", src, db=db)
    upd = warehouse.ingest("responses", src, db=db, update=True)
    assert (upd.rows_added, upd.rows_updated, upd.load_id) == (1, 2, 3)
    assert upd.changed_columns == {"ltr": 2}
    assert "changed: ltr in 2 rows" in upd.summary()
    ltr = dict(table(db, "SELECT response_id, ltr FROM responses"))
    assert (ltr["R4"], ltr["R5"], ltr["R20"], len(ltr)) == (10, 10, 9, 9)

    log = warehouse.loads(db)
    assert log["kind"].tolist() == ["ingest", "ingest", "update"]
    assert log["rows_added"].tolist() == [5, 3, 1] and log["rows_updated"].tolist() == [0, 0, 2]
    assert log["file"].tolist()[0] == str(tmp_path / "a.csv")
    assert len(log["sha256"][0]) == 64

    # load 1 wrote R4, R5, which load 3 changed: undo 3 first
    with pytest.raises(CxlabError, match=r"load\(s\) 3 changed rows that load 1 wrote"):
        warehouse.unload(1, db=db)
    text = warehouse.unload(3, db=db)
    assert "3 rows removed, 2 earlier versions restored" in text
    ltr = dict(table(db, "SELECT response_id, ltr FROM responses"))
    assert (ltr["R4"], ltr["R5"], "R20" in ltr, len(ltr)) == (4, 5, False, 8)
    assert "3 rows removed" in warehouse.unload(2, db=db)
    assert sorted(ltr for (ltr,) in table(db, "SELECT response_id FROM responses")) == [
        "R1",
        "R2",
        "R3",
        "R4",
        "R5",
    ]
    with pytest.raises(CxlabError, match="already unloaded"):
        warehouse.unload(3, db=db)
    with pytest.raises(CxlabError, match="there is no load 42; the loads are: 1, 2, 3, 4, 5"):
        warehouse.unload(42, db=db)
    # nothing is lost: removed rows are kept with the load that removed them
    kept = table(db, "SELECT count(*) FROM cxlab_meta.replaced_responses")
    assert kept == [(6,)]  # R4, R5, R20 as load 3 wrote them; R6-R8


def test_cli_loads_and_unload(tmp_path: Path) -> None:
    write(responses(3), tmp_path / "a.csv")
    run = lambda *a: subprocess.run(  # noqa: E731
        [str(CXLAB), *a], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert run("ingest", "responses", "a.csv").returncode == 0
    res = run("loads")
    assert res.returncode == 0 and "ingest  responses" in res.stdout and "+3" in res.stdout
    res = run("unload", "1")
    assert res.returncode == 0, res.stderr
    assert "unloaded load 1 (responses): 3 rows removed" in res.stdout
    res = run("unload", "7")
    assert res.returncode == 2 and "there is no load 7" in res.stderr
    assert "Traceback" not in res.stderr


# --------------------------------------------------------------------------- #
# The demo never replaces what it did not build
# --------------------------------------------------------------------------- #


def test_demo_refuses_a_warehouse_it_did_not_build(tmp_path: Path) -> None:
    mine = tmp_path / "data" / "cxlab.duckdb"
    warehouse.ingest("responses", write(responses(250), tmp_path / "a.csv"), db=mine)
    before = warehouse.data_fingerprint(mine)
    with pytest.raises(CxlabError) as err:
        demo.build(mine, n_responses=2000, seed=3)
    msg = str(err.value)
    assert "cxlab demo did not create (1 load recorded)" in msg and "--force" in msg
    assert warehouse.data_fingerprint(mine) == before
    # the demo's own warehouse can be rebuilt freely ...
    own = demo.build(tmp_path / "demo" / "cxlab.duckdb", n_responses=2000, seed=3)
    assert demo.replaceable(own) is None
    demo.build(own, n_responses=2000, seed=4)
    # ... until an analyst loads into it
    warehouse.ingest(
        "outcomes",
        write(
            pd.DataFrame(
                {
                    "unit": ["X"],
                    "quarter": ["2026Q1"],
                    "new_customers": [1],
                    "revenue": [1.0],
                    "profit": [1.0],
                    "market_share": [0.1],
                }
            ),
            tmp_path / "o.csv",
        ),
        db=own,
    )
    assert "loads were added" in (demo.replaceable(own) or "") or "load(s)" in (
        demo.replaceable(own) or ""
    )
    with pytest.raises(CxlabError, match="will not replace it"):
        demo.build(own, n_responses=2000, seed=3)
    # --force replaces, after a backup that holds the analyst's rows
    demo.build(mine, n_responses=2000, seed=3, force=True)
    backups = sorted(mine.parent.glob("cxlab.backup-*.duckdb"))
    assert len(backups) == 1 and warehouse.data_fingerprint(backups[0]) == before
    assert table(backups[0], "SELECT count(*) FROM responses") == [(250,)]
    assert table(mine, "SELECT count(*) FROM responses") == [(2000,)]


def test_demo_cli_refuses_with_one_message(tmp_path: Path) -> None:
    (tmp_path / "not-a-warehouse.duckdb").write_text("my notes, not a database\n")
    res = subprocess.run(
        [str(CXLAB), "demo", "--db", "not-a-warehouse.duckdb", "--responses", "2000"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "not a DuckDB warehouse" in res.stderr and "--force" in res.stderr
    assert (tmp_path / "not-a-warehouse.duckdb").read_text() == "my notes, not a database\n"


# --------------------------------------------------------------------------- #
# Failures leave the warehouse as it was
# --------------------------------------------------------------------------- #


def test_corrupt_newer_and_old_warehouses(tmp_path: Path) -> None:
    src = write(responses(3), tmp_path / "a.csv")
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    with pytest.raises(CxlabError, match="not a DuckDB warehouse .*cxlab did not change it"):
        warehouse.ingest("responses", src, db=junk)
    assert junk.read_bytes().startswith(b"SQLite format 3")
    with pytest.raises(CxlabError, match="not a DuckDB warehouse"):
        warehouse.connect(junk)

    newer = tmp_path / "newer.duckdb"
    warehouse.ingest("responses", src, db=newer)
    with duckdb.connect(str(newer)) as con:
        con.execute("UPDATE cxlab_meta.info SET value = '99' WHERE key = 'schema_version'")
    before = warehouse.data_fingerprint(newer)
    for call in (
        lambda: warehouse.ingest("responses", src, db=newer),
        lambda: warehouse.connect(newer),
        lambda: warehouse.unload(1, db=newer),
    ):
        with pytest.raises(CxlabError, match=r"newer cxlab \(layout version 99; this cxlab"):
            call()
    assert warehouse.data_fingerprint(newer) == before


def test_a_version_1_warehouse_is_migrated_in_one_transaction(tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:  # the layout cxlab 0.1 wrote
        for t in TABLES.values():
            cols = ", ".join(f'"{c.name}" {c.type}' for c in t.columns)
            con.execute(f'CREATE TABLE "{t.name}" ({cols})')
        con.execute("ALTER TABLE responses ALTER COLUMN stage SET NOT NULL")
        con.execute(
            "INSERT INTO responses (response_id, customer_id, unit, survey_date, quarter, "
            "channel, touchpoint, stage, ltr) VALUES ('OLD1', 'C1', 'North', '2025-01-02', "
            "'2025Q1', 'web', 'checkout', 'interaction', 8)"
        )
    bad = responses(2, 10)
    bad.loc[1, "ltr"] = 99
    before = warehouse.data_fingerprint(old)
    with pytest.raises(ValidationError):
        warehouse.ingest("responses", write(bad, tmp_path / "bad.csv"), db=old)
    assert warehouse.data_fingerprint(old) == before  # a failed load migrates nothing
    assert warehouse.info(old) == {"schema_version": "1"}
    warehouse.ingest("responses", write(responses(2, 10), tmp_path / "ok.csv"), db=old)
    assert warehouse.info(old)["schema_version"] == "2"
    got = table(old, "SELECT response_id, stage, load_id FROM responses ORDER BY 1")
    assert got == [("OLD1", "interaction", 0), ("R10", None, 1), ("R11", None, 1)]
    assert warehouse.loads(old)["kind"].tolist() == ["migrate", "ingest"]


def _big_csv(path: Path, n: int, prefix: str = "R") -> Path:
    import numpy as np

    rng = np.random.default_rng(1)
    pd.DataFrame(
        {
            "response_id": [f"{prefix}{i}" for i in range(n)],
            "unit": rng.choice(["North", "South", "East"], n),
            "survey_date": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 600, n), "D"),
            "ltr": rng.integers(0, 11, n),
            "verbatim": [f"comment {x:032x}" for x in rng.integers(0, 2**62, n)],  # no compression
        }
    ).to_csv(path, index=False)
    return path


def test_a_killed_ingest_leaves_the_warehouse_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    warehouse.ingest("responses", write(responses(5), tmp_path / "a.csv"), db=db)
    before = warehouse.data_fingerprint(db)
    big = _big_csv(tmp_path / "big.csv", 600_000)
    proc = subprocess.Popen(
        [str(CXLAB), "ingest", "responses", str(big), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not leftovers(tmp_path) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(0.3)  # well inside the load
    assert proc.poll() is None, "the ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert leftovers(tmp_path), "the killed run left no staging folder: was it killed mid-load?"
    assert warehouse.data_fingerprint(db) == before or table(
        db, "SELECT count(*) FROM responses"
    ) == [(5,)]
    assert table(db, "SELECT count(*) FROM responses") == [(5,)]
    left = leftovers(tmp_path)
    rep = warehouse.ingest("responses", write(responses(2, 6), tmp_path / "b.csv"), db=db)
    assert rep.rows_added == 2
    assert leftovers(tmp_path) == []  # the next run cleaned up, and said so
    assert f"removed what an interrupted run left behind: {', '.join(left)}" in rep.summary()


@pytest.mark.skipif(not shutil.which("unshare"), reason="util-linux unshare missing")
def test_permission_denied_is_one_message(tmp_path: Path) -> None:
    """Run as a non-root user (a user namespace) on a folder and a file it may not write."""
    src = write(responses(3), tmp_path / "a.csv")
    locked = tmp_path / "locked"
    locked.mkdir()
    warehouse.ingest("responses", src, db=tmp_path / "ro.duckdb")
    before = warehouse.data_fingerprint(tmp_path / "ro.duckdb")
    os.chmod(locked, 0o555)
    os.chmod(tmp_path / "ro.duckdb", 0o444)
    user = ["unshare", "-U", "--map-user=1000", "--map-group=1000"]
    try:
        for db in (locked / "w.duckdb", tmp_path / "ro.duckdb"):
            res = subprocess.run(
                [*user, str(CXLAB), "ingest", "responses", str(src), "--db", str(db)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert res.returncode == 2, res.stdout + res.stderr
            assert "Traceback" not in res.stderr
            assert "permission denied" in res.stderr.lower(), res.stderr
        assert list(locked.iterdir()) == []
        assert warehouse.data_fingerprint(tmp_path / "ro.duckdb") == before
    finally:
        os.chmod(locked, 0o755)


@pytest.mark.skipif(not shutil.which("unshare"), reason="util-linux unshare missing")
def test_disk_full_is_one_message_and_changes_nothing(tmp_path: Path) -> None:
    small = _big_csv(tmp_path / "small.csv", 50)
    big = _big_csv(tmp_path / "big.csv", 300_000, prefix="B")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    count = (
        f"import duckdb; c = duckdb.connect('{mnt}/w.duckdb', read_only=True); "
        "print('rows', c.execute('SELECT count(*) FROM responses').fetchone()[0], "
        "c.execute('SELECT count(*) FROM cxlab_meta.loads').fetchone()[0])"
    )
    script = f"""
set -u
mount -t tmpfs -o size=3m tmpfs {mnt} || exit 77
{CXLAB} ingest responses {small} --db {mnt}/w.duckdb > /dev/null || exit 3
{CXLAB} ingest responses {big} --db {mnt}/w.duckdb
echo "exit=$?"
{sys.executable} -c "{count}"
ls -A {mnt}
"""
    res = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if res.returncode == 77 and not os.environ.get("CI"):
        pytest.skip("cannot mount a tmpfs here")
    out = res.stdout.splitlines()
    assert "exit=2" in out, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert "disk is full" in res.stderr and "left as it was" in res.stderr
    assert "rows 50 1" in out  # the first load's rows, and only its load record
    assert out[-1] == "w.duckdb"  # no staging folder or WAL left on the full disk
