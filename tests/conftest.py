"""Shared fixtures: a small real demo warehouse (DuckDB file) with planted truth."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# Under CI, property tests draw the same examples every run, so a submission
# cannot fail on a new random draw that its author never saw; locally they
# keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test leaves open: a later test that collects the open
    figures (tests/test_figures.py) must see only its own."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> tuple[Path, dict]:
    """Demo data (20,000 responses, seed 11) loaded into a DuckDB file: (db, truth)."""
    from cxlab import synth, warehouse

    base = tmp_path_factory.mktemp("demo")
    synth.generate(base / "data", n_responses=20_000, seed=11)
    db = base / "cxlab.duckdb"
    warehouse.build_from_dir(base / "data", db)
    return db, synth.load_truth(base / "data")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium; skipped when absent unless running under CI."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required under CI (.ci/ensure-chromium installs it)")
        pytest.skip("chromium not installed")
    return path


def _open(chromium: str, url: str, tmp: Path) -> tuple[str, list[tuple[str, str]]]:
    """Open ``url`` in headless Chromium; return the DOM and page-initiated requests.

    Chromium's own background traffic (component updater, sign-in, network
    time) has initiator ``"not an origin"`` in the net log and is excluded;
    anything the page asks for carries the page's origin (``"null"`` for file://).
    Host resolution is disabled so nothing leaves the machine either way.
    """
    net = tmp / "net.json"
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--disable-default-apps",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp / 'profile'}",
        f"--log-net-log={net}",
        "--dump-dom",
        url,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    log = json.loads(net.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requests = []
    for event in log["events"]:
        params = event.get("params") or {}
        if event["type"] == start_job and "url" in params:
            if params.get("initiator") != "not an origin":
                requests.append((params["url"], str(params.get("initiator"))))
    return res.stdout, requests


@pytest.fixture
def open_in_chromium(chromium) -> Callable[[str, Path], tuple[str, list[tuple[str, str]]]]:
    """``open_in_chromium(url, tmp_dir) -> (dom, requests the page made)``."""
    return lambda url, tmp: _open(chromium, url, tmp)
