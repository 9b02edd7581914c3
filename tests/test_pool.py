"""Warm kernels (cxlab.pool): same bytes as render(), same failures, nothing leaks between reports.

Real kernels, real papermill and nbconvert. The notebooks of ``tests/notebooks``
are copied outside any git checkout (as in test_render.py) so their provenance
does not depend on the working tree.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import nbformat
import pytest

from cxlab import pool
from cxlab import render as rd
from cxlab.errors import RenderError
from cxlab.pack import QUARTERLY

NB_SRC = Path(__file__).parent / "notebooks"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z

# Report 1 changes every piece of kernel state a notebook commonly changes; report 2
# fails (RenderError) if any of it is still there when it starts.
LEAK = """
import os, sys, warnings
import matplotlib.pyplot as plt
secret = 42
plt.rcParams["lines.linewidth"] = 9.0
plt.figure()
warnings.simplefilter("error")
sys.path.append("/nowhere")
os.chdir("/")
print(os.getpid())
"""
CHECK = """
import os, sys, warnings
import matplotlib.pyplot as plt
problems = []
if "secret" in globals():
    problems.append("a variable of the previous report")
if plt.rcParams["lines.linewidth"] == 9.0:
    problems.append("rcParams")
if plt.get_fignums():
    problems.append("open figures")
if any(f[0] == "error" and f[2] is Warning for f in warnings.filters):
    problems.append("warning filters")
if "/nowhere" in sys.path:
    problems.append("sys.path")
if os.getcwd() != here:
    problems.append(f"working folder {os.getcwd()}")
assert not problems, problems
print(os.getpid())
"""


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("value = 1", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def nb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    for nb in NB_SRC.glob("*.ipynb"):
        shutil.copy(nb, folder / nb.name)
    _notebook(folder / "leak.ipynb", LEAK)
    _notebook(folder / "check.ipynb", f"here = {str(folder)!r}", CHECK)
    _notebook(folder / "die.ipynb", "import os\nos._exit(1)")
    return folder


def _pid(html: Path) -> int:
    nb = nbformat.read(html.with_suffix(".ipynb"), as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    return int(text.split()[-1])


@pytest.mark.slow
def test_warm_report_is_byte_identical_to_render(demo_warehouse, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    db, truth = demo_warehouse
    unit = truth["units"][0]
    params = {"quarter": "latest", "unit": unit, "warehouse": str(db)}
    alone = rd.render(QUARTERLY, params, out_dir=tmp_path / "alone", name="r")
    with pool.WarmKernel() as kernel:
        # another report first: the one compared runs on a kernel that has done work
        kernel.render(QUARTERLY, {**params, "unit": "ALL"}, out_dir=tmp_path / "x", name="r")
        warm = kernel.render(QUARTERLY, params, out_dir=tmp_path / "warm", name="r")
        assert kernel.kernels_started_ == 1 and kernel.reports_ == 2
    for suffix in (".html", ".ipynb"):
        assert warm.with_suffix(suffix).read_bytes() == alone.with_suffix(suffix).read_bytes()
    assert (tmp_path / "x" / "r.html").read_bytes() != alone.read_bytes()


@pytest.mark.slow
def test_params_notebook_byte_identical(nb_dir, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    given = {"quarter": "2026Q4<i>", "level": "0.9", "n": "7", "flag": "yes"}
    alone = rd.render(nb_dir / "params_demo.ipynb", given, out_dir=tmp_path / "a", name="d")
    with pool.WarmKernel() as kernel:
        kernel.render(nb_dir / "leak.ipynb", out_dir=tmp_path / "l")
        warm = kernel.render(nb_dir / "params_demo.ipynb", given, out_dir=tmp_path / "w", name="d")
    for suffix in (".html", ".ipynb"):
        assert warm.with_suffix(suffix).read_bytes() == alone.with_suffix(suffix).read_bytes()


@pytest.mark.slow
def test_nothing_leaks_from_one_report_to_the_next(nb_dir, tmp_path) -> None:
    with pool.WarmKernel() as kernel:
        first = kernel.render(nb_dir / "leak.ipynb", out_dir=tmp_path)
        second = kernel.render(nb_dir / "check.ipynb", out_dir=tmp_path)
        assert kernel.kernels_started_ == 1
    assert _pid(first) == _pid(second)  # the same kernel ran both
    executed = nbformat.read(second.with_suffix(".ipynb"), as_version=4)
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == [1, 2, 3]  # the execution counter starts afresh


@pytest.mark.slow
def test_failure_is_the_same_and_the_next_report_gets_a_fresh_kernel(nb_dir, tmp_path) -> None:
    out = tmp_path / "reports"
    with pytest.raises(RenderError) as alone:
        rd.render(nb_dir / "failing.ipynb", {"x": "1"}, out_dir=out, name="f")
    kept = (out / "f.failed.ipynb").read_bytes()
    (out / "f.failed.ipynb").unlink()
    with pool.WarmKernel() as kernel:
        first = kernel.render(nb_dir / "leak.ipynb", out_dir=out)
        with pytest.raises(RenderError) as warm:
            kernel.render(nb_dir / "failing.ipynb", {"x": "1"}, out_dir=out, name="f")
        assert str(warm.value) == str(alone.value)
        assert "ValueError: boom x=1" in str(warm.value)
        assert (out / "f.failed.ipynb").read_bytes() == kept
        assert not (out / "f.html").exists()
        second = kernel.render(nb_dir / "check.ipynb", out_dir=out)
        assert kernel.kernels_started_ == 2 and kernel.reports_ == 2
    assert _pid(first) != _pid(second)


@pytest.mark.slow
def test_a_dead_kernel_is_replaced(nb_dir, tmp_path) -> None:
    with pool.WarmKernel() as kernel:
        first = kernel.render(nb_dir / "leak.ipynb", out_dir=tmp_path)
        os.kill(_pid(first), signal.SIGKILL)  # dies between reports
        second = kernel.render(nb_dir / "check.ipynb", out_dir=tmp_path)
        with pytest.raises(RenderError, match="could not be executed .*DeadKernelError"):
            kernel.render(nb_dir / "die.ipynb", out_dir=tmp_path)  # dies during a report
        third = kernel.render(nb_dir / "check.ipynb", out_dir=tmp_path, name="again")
        assert kernel.kernels_started_ == 3
    assert len({_pid(first), _pid(second), _pid(third)}) == 3


@pytest.mark.slow
def test_render_many_keeps_going_after_a_failure(nb_dir, tmp_path) -> None:
    requests = [
        {"notebook": nb_dir / "leak.ipynb", "out_dir": tmp_path, "name": "a"},
        {"notebook": nb_dir / "failing.ipynb", "out_dir": tmp_path, "name": "f"},
        {"notebook": nb_dir / "check.ipynb", "out_dir": tmp_path, "name": "b"},
        {"notebook": nb_dir / "check.ipynb", "out_dir": tmp_path, "name": "c"},
    ]
    results = dict(pool.render_many(requests, workers=2))
    assert sorted(results) == [0, 1, 2, 3]
    assert isinstance(results[1], RenderError) and "boom x=1" in str(results[1])
    for i, stem in ((0, "a"), (2, "b"), (3, "c")):
        assert results[i] == tmp_path / f"{stem}.html" and (tmp_path / f"{stem}.html").is_file()
    assert (tmp_path / "f.failed.ipynb").is_file()


def test_checks_run_before_any_kernel(nb_dir, tmp_path) -> None:
    kernel = pool.WarmKernel()
    try:
        with pytest.raises(RenderError, match="has no parameter 'levle'"):
            kernel.render(nb_dir / "params_demo.ipynb", {"levle": "0.9"}, out_dir=tmp_path)
        assert kernel.kernels_started_ == 0
    finally:
        kernel.close()
