"""``cxlab --help`` and each command's help: light, and telling (issue #8, item 9).

Which modules a help run imports is checked in a fresh interpreter (this test
process has long since imported pandas and the rest); how long it takes is
measured in benchmarks/cli_bench.py, not here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cxlab import cli, render
from cxlab._nbparams import read_parameters
from cxlab.errors import RenderError
from cxlab.pack import ANALYSES, NOTEBOOKS, QUARTERLY

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["ingest", "loads", "unload", "render", "synth", "pack", "demo"]
#: What help must not pay for: the data stack, the notebook machinery, and the
#: parts of typer's stack (rich help panels, pydantic coercion) cxlab turns off.
HEAVY = (
    "pandas",
    "ibis",
    "duckdb",
    "matplotlib",
    "scipy",
    "statsmodels",
    "papermill",
    "nbformat",
    "nbconvert",
    "jupyter_client",
    "rich",
    "pydantic",
)


def _help(*argv: str) -> str:
    res = subprocess.run(
        [sys.executable, "-m", "cxlab.cli", *argv, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stderr == ""
    return res.stdout


def _section(text: str, heading: str, item: str) -> str:
    """The lines of ``item`` under ``heading``, up to the next item at its indent."""
    body = text[text.index(heading) :]
    start = body.index(f"\n  {item}\n")
    end = re.search(r"\n  \S", body[start + 1 :])
    return body[start : start + 1 + end.start()] if end else body[start:]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_imports_nothing_heavy(command):
    argv = ["--help"] if command is None else [command, "--help"]
    code = (
        "import sys\n"
        "from cxlab.cli import main\n"
        f"rc = main({argv!r})\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print('HEAVY', rc, heavy)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Usage: cxlab" in res.stdout
    assert "HEAVY 0 []" in res.stdout, res.stdout[-2000:]
    assert res.stderr == ""


def test_render_help_lists_every_notebooks_parameters():
    text = _help("render")
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert len(notebooks) >= 4
    for nb in notebooks:
        # papermill's reader, which rendering uses, is the reference
        declared = render.notebook_parameters(nb)
        assert declared
        part = " ".join(_section(text, "Notebooks in", nb.name).split())  # unwrapped
        for name, info in declared.items():
            assert info["help"], (nb.name, name)
            default = str(info["default"]).strip('"')
            assert f" {name} {info['help']} [default: {default}]" in part, (nb.name, name, part)


def test_render_help_example_uses_real_parameters():
    text = _help("render")
    example = re.search(r"cxlab render (notebooks/\S+)(.*?)--out", text, re.DOTALL)
    assert example, text
    declared = render.notebook_parameters(ROOT / example.group(1))
    given = re.findall(r"-p (\w+)=(\S+)", example.group(2))
    assert given and all(name in declared for name, _ in given)
    method = dict(given)["method"]
    from cxlab.key_drivers import METHODS

    assert method in METHODS


def test_pack_help_names_the_notebooks_it_renders():
    text = _help("pack")
    assert QUARTERLY.name in text
    for a in ANALYSES:
        assert a.notebook in text and a.title in text
        assert (NOTEBOOKS / a.notebook).is_file()


def test_light_reader_agrees_with_papermill():
    notebooks = [*NOTEBOOKS.glob("*.ipynb"), *(ROOT / "tests" / "notebooks").glob("*.ipynb")]
    checked = 0
    for nb in notebooks:
        try:
            declared = render.notebook_parameters(nb)
        except RenderError:
            with pytest.raises(RenderError, match="no cell tagged 'parameters'"):
                read_parameters(nb)
            continue
        light = read_parameters(nb)
        assert [(p.name, p.default, p.help) for p in light] == [
            (name, str(info["default"]), str(info["help"] or "")) for name, info in declared.items()
        ], nb.name
        checked += 1
    assert checked >= 5


def _notebook(path: Path, source: str | None, raw: str | None = None) -> Path:
    cells = [{"cell_type": "code", "metadata": {}, "source": "x = 1\n"}]
    if source is not None:
        cells.append({"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": source})
    path.write_text(raw if raw is not None else json.dumps({"cells": cells}), encoding="utf-8")
    return path


def test_light_reader_refuses_bad_notebooks_with_one_message(tmp_path):
    cases = {
        "no_cell.ipynb": (None, None, "no cell tagged 'parameters'"),
        "not_json.ipynb": ("", "{not json", "is not a readable Jupyter notebook"),
        "bad_python.ipynb": ("a = 1\nb = (\n", None, r"not valid Python \(line \d+\)"),
    }
    for name, (source, raw, message) in cases.items():
        with pytest.raises(RenderError, match=message):
            read_parameters(_notebook(tmp_path / name, source, raw))
    with pytest.raises(RenderError, match="cannot read it"):
        read_parameters(tmp_path / "missing.ipynb")


def test_render_help_prints_notebook_text_inert(tmp_path, monkeypatch, capsys):
    # A notebook's comments are its author's text: control characters are shown
    # escaped, rich-style markup as typed, and a broken notebook does not break help.
    _notebook(
        tmp_path / "a_hostile.ipynb",
        'title = "\\x1b[2J"  # wipes \x1b[31mthe screen[/] [bold]x[/bold]\n',
    )
    _notebook(tmp_path / "b_broken.ipynb", None, "{")
    monkeypatch.setattr(cli, "_notebooks", lambda: tmp_path)
    assert cli.main(["render", "--help"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    out = " ".join(out.split())
    assert "wipes \\x1b[31mthe screen[/] [bold]x[/bold] [default: \\x1b[2J]" in out
    assert "b_broken.ipynb" in out and "(parameters not readable:" in out
