"""The project's set-up files agree with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[\[<>=!~ ]", req, maxsplit=1)[0].strip().lower()


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_lists_the_runtime_dependencies_of_pyproject():
    runtime = {_name(r): r for r in _pyproject()["project"]["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d): d for d in env["dependencies"] if isinstance(d, str)}
    conda.pop("python"), conda.pop("pip")
    assert set(conda) == set(runtime)
    for name, spec in conda.items():  # same lower bounds
        assert spec.split(name, 1)[1] == re.sub(r"^[^<>=!~]*", "", runtime[name]), name


def test_lock_pins_every_dependency_exactly():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"unpinned line in requirements.lock: {line!r}"
            lock[name.lower().replace("_", "-")] = version
    project = _pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    missing = [_name(r) for r in wanted if _name(r).replace("_", "-") not in lock]
    assert not missing, f"not pinned in requirements.lock: {missing}"


def test_notebooks_are_committed_without_outputs():
    """The report notebooks and the test suite's fixture notebooks alike."""
    import nbformat

    paths = [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "tests" / "notebooks").glob("*.ipynb")]
    assert len(paths) > 4
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name


def test_notebooks_declare_the_project_kernel_that_make_env_installs():
    import nbformat

    makefile = (ROOT / "Makefile").read_text()
    assert "ipykernel install --sys-prefix --name cxlab" in makefile
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        spec = nbformat.read(path, as_version=4).metadata["kernelspec"]
        assert (spec["name"], spec["display_name"]) == ("cxlab", "Python (cxlab)"), path.name


def test_shipped_text_cites_nothing_outside_the_repository():
    """Reports and their case files speak of the repository alone (no internal briefs)."""
    for path in [
        *(ROOT / "cxlab").rglob("*.py"),
        *(ROOT / "cxlab").rglob("*.yaml"),
        *(ROOT / "notebooks").glob("*.ipynb"),
    ]:
        text = path.read_text(encoding="utf-8")
        assert "DOMAIN.md" not in text and "../shared" not in text, path
