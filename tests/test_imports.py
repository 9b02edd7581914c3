"""``import cxlab`` and ``cxlab --help`` stay light; renders keep stderr clean.

Each check runs a fresh interpreter, since this test process has long since
imported pandas, Ibis and the rest. No wall-clock times are asserted: what is
checked is *which* modules get imported, which is what makes them slow.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import cxlab

ROOT = Path(__file__).resolve().parents[1]
NB_SRC = Path(__file__).parent / "notebooks"
HEAVY = ("ibis", "scipy", "statsmodels", "duckdb", "pandas", "matplotlib", "numpy", "sklearn")


def _python(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def _imported(importtime_stderr: str) -> set[str]:
    """Top-level packages named in ``python -X importtime`` output."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name.split(".")[0])
    return names


# --------------------------------------------------------------------------- import cxlab
def test_import_cxlab_imports_nothing_heavy():
    res = _python("-X", "importtime", "-c", "import cxlab")
    assert res.returncode == 0, res.stderr[-2000:]
    imported = _imported(res.stderr)
    assert "cxlab" in imported  # the parsing works
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_import_cxlab_leaves_sys_modules_and_warning_filters_alone():
    code = (
        "import json, sys, warnings\n"
        "before = list(warnings.filters)\n"
        "import cxlab\n"
        "print(json.dumps({'same_filters': warnings.filters == before,\n"
        "                  'modules': sorted(sys.modules)}))\n"
    )
    res = _python("-c", code)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout)
    assert out["same_filters"], "import cxlab must not install warning filters"
    loaded = {m.split(".")[0] for m in out["modules"]}
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "cxlab.metrics" not in out["modules"] and "cxlab.render" not in out["modules"]


def test_every_public_name_resolves_after_a_plain_import():
    code = (
        "import cxlab\n"
        "missing = [n for n in cxlab.__all__ if getattr(cxlab, n, None) is None]\n"
        "assert not missing, missing\n"
        "assert cxlab.plots.plot_intervals and cxlab.warehouse.connect\n"
        "assert cxlab.nps is cxlab.metrics.nps and cxlab.drivers is cxlab.key_drivers.drivers\n"
        "assert cxlab.nps_moe is cxlab.stats.nps_moe and cxlab.base_flag is cxlab.stats.base_flag\n"
        "assert issubclass(cxlab.RenderError, cxlab.CxlabError)\n"
        "from cxlab import warehouse, plots, journey, outcomes, report, synth, render, demo\n"
        "from cxlab import nps, csat, ces, drivers, nps_counts, nps_diff, nps_sample_size\n"
        "print('ok')\n"
    )
    res = _python("-c", code)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-3000:]


def test_star_import_gives_all():
    namespace: dict = {}
    exec("from cxlab import *", namespace)
    assert set(cxlab.__all__) <= set(namespace)
    assert namespace["nps"] is cxlab.metrics.nps


def test_dir_lists_names_and_submodules_and_unknown_names_fail():
    listed = set(dir(cxlab))
    assert set(cxlab.__all__) <= listed
    assert {"plots", "warehouse", "journey", "stats", "key_drivers", "render"} <= listed
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        cxlab.nope  # noqa: B018
    assert not hasattr(cxlab, "case_studies")  # a data folder, not a module


# --------------------------------------------------------------------------- cxlab --help
COMMANDS = ["ingest", "loads", "unload", "render", "synth", "pack", "demo"]


def test_the_help_checks_cover_every_command():
    from typer.main import get_command

    from cxlab.cli import app

    assert set(get_command(app).commands) == set(COMMANDS)  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", [["--help"]] + [[c, "--help"] for c in COMMANDS])
def test_cli_help_imports_nothing_heavy(argv):
    res = _python("-X", "importtime", "-m", "cxlab.cli", *argv)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Usage" in res.stdout
    imported = _imported(res.stderr)
    assert "typer" in imported
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_cli_entry_point_help_imports_nothing_heavy():
    # what the installed `cxlab` script does: import cxlab.cli, call main()
    code = (
        "import sys\n"
        "from cxlab.cli import main\n"
        "rc = main(['--help'])\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print('HEAVY', rc, heavy)\n"
    )
    res = _python("-c", code)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "HEAVY 0 []" in res.stdout, res.stdout[-2000:]


# --------------------------------------------------------------------------- render stderr
@pytest.mark.slow
def test_kernel_is_shut_down_without_sigint(tmp_path):
    """The kernel manager asks the kernel to stop; it does not interrupt it first."""
    from cxlab import render as rd

    km_class = rd.kernel_manager_class(tmp_path, {})
    sent: list[int] = []

    class Recording(km_class):
        async def _async_signal_kernel(self, signum: int) -> None:
            sent.append(signum)
            await super()._async_signal_kernel(signum)

    async def run() -> None:
        km = Recording(kernel_name="python3")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            await km.interrupt_kernel()  # an explicit interrupt still interrupts
            await kc.execute_interactive("x = 1", timeout=60)
        finally:
            kc.stop_channels()
            await km.shutdown_kernel()
        assert not await km.is_alive()

    asyncio.run(run())
    assert sent == [signal.SIGINT]  # the explicit one only, none at shutdown


@pytest.mark.slow
def test_successful_render_prints_nothing_on_stderr(tmp_path):
    for nb in NB_SRC.glob("*.ipynb"):
        shutil.copy(nb, tmp_path / nb.name)
    res = _python(
        "-m", "cxlab.cli", "render", "params_demo.ipynb", "-p", "n=3", "--out", "out", cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stderr == ""
    assert (tmp_path / "out" / "params_demo_3.html").is_file()

    # a failing cell still says what went wrong, and only that
    res = _python("-m", "cxlab.cli", "render", "failing.ipynb", "--out", "out", cwd=tmp_path)
    assert res.returncode == 2
    assert "raised ValueError: boom x=1" in res.stderr
    assert "KeyboardInterrupt" not in res.stderr and "Traceback" not in res.stderr
