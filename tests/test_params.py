"""Parameter values checked before any kernel starts (issue 8 item 4).

Each notebook declares its checks once, in the metadata of its ``parameters``
cell (``cxlab.checks``); :func:`cxlab.render.render` runs them, and checks that
``--out`` can be written, before papermill is called. No test here starts a
kernel: papermill's ``execute_notebook`` is replaced by a function that fails
the test if called (or, for the write-failure test, by a stand-in that returns
the notebook unexecuted).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cxlab import render as rd
from cxlab.errors import RenderError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
QUARTERLY = NOTEBOOKS / "quarterly_report.ipynb"
DRIVERS = NOTEBOOKS / "drivers.ipynb"
JOURNEY = NOTEBOOKS / "journey_case_study.ipynb"
OUTCOMES = NOTEBOOKS / "nps_outcomes.ipynb"
PARAMS_DEMO = Path(__file__).parent / "notebooks" / "params_demo.ipynb"


def _no_kernel(*args, **kwargs):  # pragma: no cover - called only on a regression
    raise AssertionError("papermill.execute_notebook must not be called")


@pytest.fixture
def no_kernel(monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", _no_kernel)


@pytest.fixture(scope="module")
def quarters(demo_warehouse) -> list[str]:
    import duckdb

    db, _ = demo_warehouse
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT quarter FROM responses").fetchall()
    return sorted((r[0] for r in rows), reverse=True)


def _refused(notebook: Path, params: dict, out: Path, **kw) -> str:
    with pytest.raises(RenderError) as info:
        rd.render(notebook, params, out_dir=out, **kw)
    assert not out.exists() or not list(out.iterdir())  # nothing written, no notebook
    msg = str(info.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


# --------------------------------------------------------------------------- declarations
@pytest.mark.parametrize("notebook", [QUARTERLY, DRIVERS, JOURNEY, OUTCOMES])
def test_every_notebook_declares_its_checks_next_to_its_parameters(notebook):
    checks = rd.notebook_checks(notebook)
    declared = rd.notebook_parameters(notebook)
    assert checks and set(checks) <= set(declared)
    assert checks["warehouse"] == "warehouse" and checks["level"] == "level"


def test_good_values_pass_for_every_notebook(demo_warehouse, quarters):
    db, truth = demo_warehouse
    unit = truth["units"][0]
    rd.check_values(QUARTERLY, {"quarter": quarters[0], "unit": unit, "warehouse": str(db)})
    rd.check_values(QUARTERLY, {"quarter": "latest", "unit": "ALL", "warehouse": str(db)})
    rd.check_values(DRIVERS, {"warehouse": str(db), "last_quarter": quarters[1], "bootstrap": 0})
    rd.check_values(JOURNEY, {"warehouse": str(db), "case": "demo_retailer_journey"})
    rd.check_values(
        OUTCOMES,
        {
            "warehouse": str(db),
            "units": f"{unit}, {truth['units'][1]}",
            "first_quarter": "earliest",
        },
    )


# --------------------------------------------------------------------------- quarter
@pytest.mark.parametrize(("value", "hint"), [("2026-Q3", "'2026Q3'"), ("2027Q1x", None)])
def test_malformed_quarter_refused(demo_warehouse, tmp_path, no_kernel, value, hint):
    db, _ = demo_warehouse
    msg = _refused(QUARTERLY, {"quarter": value, "warehouse": str(db)}, tmp_path / "out")
    assert f"Parameter 'quarter': value {value!r} is not a quarter" in msg
    assert "'YYYYQn'" in msg and "'latest'" in msg
    if hint:
        assert f"Did you mean {hint}?" in msg


def test_absent_quarter_lists_the_quarters_there_are(demo_warehouse, quarters, tmp_path, no_kernel):
    db, _ = demo_warehouse
    newest = quarters[0]
    absent = f"{int(newest[:4]) + 1}{newest[4:]}"
    msg = _refused(QUARTERLY, {"quarter": absent, "warehouse": str(db)}, tmp_path / "out")
    assert f"Parameter 'quarter': quarter {absent!r} has no survey responses" in msg
    assert f"Did you mean {newest!r}?" in msg
    listed = ", ".join(quarters[:12])
    assert f"Quarters there, newest first: {listed}" in msg
    if len(quarters) > 12:
        assert f"(and {len(quarters) - 12} earlier)" in msg


def test_quarter_checked_within_the_unit_and_earliest_keyword(demo_warehouse, tmp_path, no_kernel):
    db, truth = demo_warehouse
    msg = _refused(OUTCOMES, {"first_quarter": "latest", "warehouse": str(db)}, tmp_path / "out")
    assert "'first_quarter'" in msg and "'earliest'" in msg
    msg = _refused(
        DRIVERS,
        {"last_quarter": "1999Q1", "unit": truth["units"][0], "warehouse": str(db)},
        tmp_path / "out",
    )
    assert f"for unit {truth['units'][0]!r}" in msg and "'last_quarter'" in msg


# --------------------------------------------------------------------------- unit(s)
def test_unknown_unit_suggests_the_closest(demo_warehouse, tmp_path, no_kernel):
    db, truth = demo_warehouse
    assert "Nordics" in truth["units"]
    msg = _refused(QUARTERLY, {"unit": "Nordic", "warehouse": str(db)}, tmp_path / "out")
    assert "Parameter 'unit': unit 'Nordic' not in the warehouse" in msg
    assert "Did you mean 'Nordics'?" in msg
    assert "'ALL'" in msg and all(u in msg for u in truth["units"])
    msg = _refused(OUTCOMES, {"units": "Nordics,Benelx", "warehouse": str(db)}, tmp_path / "out")
    assert "'units'" in msg and "'Benelx'" in msg and "Did you mean 'Benelux'?" in msg


# --------------------------------------------------------------------------- numbers, choices
@pytest.mark.parametrize(
    ("value", "hint"), [("95", "Use 0.95, not 95."), ("0", None), ("1", None), ("-0.5", None)]
)
def test_level_must_lie_strictly_between_0_and_1(tmp_path, no_kernel, value, hint):
    # the level check needs no warehouse: it fails before the (missing) default is opened
    msg = _refused(QUARTERLY, {"level": value}, tmp_path / "out")
    assert f"Parameter 'level': value {float(value)!r}" in msg
    assert "strictly between 0 and 1" in msg
    if hint:
        assert hint in msg


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"n_quarters": "0"}, "Parameter 'n_quarters': value 0 is not allowed"),
        ({"bootstrap": "-1"}, "Parameter 'bootstrap': value -1 is not allowed"),
        ({"method": "shapely"}, "Did you mean 'shapley'?"),
    ],
)
def test_counts_and_choices(tmp_path, no_kernel, params, needle):
    msg = _refused(DRIVERS, params, tmp_path / "out")
    assert needle in msg
    if "method" in params:
        assert "correlation, relative-weights, shapley, dominance" in msg


def test_unknown_outcome_refused_before_the_kernel(tmp_path, no_kernel):
    msg = _refused(OUTCOMES, {"outcomes": "new_customers,revenu"}, tmp_path / "out")
    assert "Parameter 'outcomes': 'revenu' is not allowed" in msg
    assert "Did you mean 'revenue'?" in msg and "market_share_change" in msg


# --------------------------------------------------------------------------- files
def test_missing_case_study_lists_the_shipped_ones(demo_warehouse, tmp_path, no_kernel):
    db, _ = demo_warehouse
    msg = _refused(JOURNEY, {"case": "electronics_launch", "warehouse": str(db)}, tmp_path / "out")
    assert "Parameter 'case': case 'electronics_launch'" in msg
    assert "demo_retailer_journey, electronics_product_launch" in msg
    yaml = tmp_path / "my_case.yaml"
    yaml.write_text("name: x\n", encoding="utf-8")
    rd.check_values(JOURNEY, {"case": str(yaml), "warehouse": str(db)})  # a path is fine


def test_missing_or_broken_warehouse_refused(tmp_path, no_kernel):
    msg = _refused(QUARTERLY, {"warehouse": str(tmp_path / "nope.duckdb")}, tmp_path / "out")
    assert "Parameter 'warehouse':" in msg and "nope.duckdb" in msg
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database", encoding="utf-8")
    msg = _refused(QUARTERLY, {"warehouse": str(junk)}, tmp_path / "out")
    assert "Parameter 'warehouse':" in msg and "junk.duckdb" in msg


# --------------------------------------------------------------------------- --out and --name
def test_out_that_is_a_file_is_refused(tmp_path, no_kernel):
    target = tmp_path / "reports"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(RenderError, match="is an existing file, not a folder"):
        rd.render(PARAMS_DEMO, {}, out_dir=target)
    with pytest.raises(RenderError, match="cannot be created: .* is a file"):
        rd.render(PARAMS_DEMO, {}, out_dir=target / "sub")
    assert target.read_text(encoding="utf-8") == "keep me"


def test_out_is_checked_before_the_parameters(tmp_path, no_kernel):
    target = tmp_path / "reports"
    target.write_text("", encoding="utf-8")
    with pytest.raises(RenderError, match="existing file"):
        rd.render(QUARTERLY, {"level": "95"}, out_dir=target)


@pytest.mark.parametrize("name", ["q.failed", "Q.FAILED"])
def test_name_colliding_with_a_failure_notebook_is_refused(tmp_path, no_kernel, name):
    msg = _refused(PARAMS_DEMO, {}, tmp_path / "out", name=name)
    assert f"Report name {name!r} ends with '.failed'" in msg and "'q'" in msg.lower()


def _cli(args: list[str], cwd: Path, as_user: bool) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "cxlab.cli", "render", *args]
    if as_user:  # root ignores permission bits; a mapped plain user does not
        cmd = ["unshare", "-U", "--map-user=1000", "--map-group=1000", *cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_cli_refuses_a_read_only_out_folder_before_any_kernel(tmp_path):
    as_user = os.geteuid() == 0
    if as_user:
        if shutil.which("unshare") is None:
            pytest.skip("unshare not installed")
        probe = subprocess.run(
            ["unshare", "-U", "--map-user=1000", "--map-group=1000", "true"],
            capture_output=True,
            check=False,
        )
        if probe.returncode != 0:
            pytest.skip("user namespaces not available")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(
        stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
    )
    try:
        for out in (ro, ro / "sub"):
            res = _cli([str(PARAMS_DEMO), "--out", str(out)], tmp_path, as_user)
            assert res.returncode == 2, res.stderr
            assert res.stderr.startswith("cxlab: error: Output folder"), res.stderr
            assert "not writable" in res.stderr and "Traceback" not in res.stderr
        assert list(ro.iterdir()) == []  # no executed notebook, nothing at all
    finally:
        ro.chmod(0o755)


def test_cli_prints_one_message_for_a_bad_value(tmp_path):
    cmd = [str(QUARTERLY), "-p", "quarter=2026-Q3", "--out", str(tmp_path / "out")]
    res = _cli(cmd, tmp_path, as_user=False)
    assert res.returncode == 2
    assert res.stderr.startswith("cxlab: error: Parameter 'quarter': value '2026-Q3'")
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- write failures
def _fake_execute(input_path, output_path, **kwargs):
    """Stand-in for papermill: the notebook as it is, unexecuted (no kernel)."""
    return nbformat.read(input_path, as_version=4)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_write_failure_is_one_message_and_keeps_the_earlier_report(tmp_path, monkeypatch, code):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", _fake_execute)
    out = tmp_path / "out"
    first = rd.render(PARAMS_DEMO, {}, out_dir=out, name="q")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["q.html", "q.ipynb"]

    def full(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(rd.output.os, "fsync", full)  # the report writer's os
    with pytest.raises(RenderError) as info:
        rd.render(PARAMS_DEMO, {"n": "9"}, out_dir=out, name="q")
    msg = str(info.value)
    assert f"could not be written to {out}: {os.strerror(code)}" in msg
    assert "earlier q.html is left unchanged" in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # byte-identical, and no temporary files left behind
    assert first.read_bytes() == before["q.html"]
