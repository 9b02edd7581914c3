"""The README's examples run as written: Python against a real demo warehouse, and
the shell commands of "Loading your own data" on a real Qualtrics export."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CXLAB = Path(sys.executable).parent / "cxlab"


def test_readme_python_examples_run(demo_warehouse, tmp_path, monkeypatch):
    """The README's Python examples run as written, from a folder of their own (what
    they write, e.g. reports/followup.csv, goes there, not into the checkout)."""
    db, _ = demo_warehouse
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    code = "\n".join(blocks).replace('"data/demo/cxlab.duckdb"', repr(str(db)))
    code = code.replace('"tests/data/', f'"{ROOT}/tests/data/')
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert (tmp_path / "reports" / "followup.csv").is_file()
    assert namespace["b"]["nps"] < namespace["a"]["nps"]
    # the CLV example's comments: Fader, Hardie & Lee (2005) on CDNOW
    assert namespace["bg"].params_.round(3).tolist() == [0.243, 4.414, 0.793, 2.426]


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"### {title}")
    return text[start : text.index("\n### ", start + 1)]


@pytest.mark.slow
def test_readme_walks_a_qualtrics_export_to_a_rendered_report(tmp_path: Path) -> None:
    """'Loading your own data': its commands, run as written, give its printed summary,
    and the quarterly report renders on that warehouse alone (no customers table)."""
    section = _section("Loading your own data")
    command = re.findall(r"```bash\n(.*?)```", section, re.S)[0]
    printed = re.findall(r"```text\n(.*?)```", section, re.S)[0].splitlines()
    command = command.replace(".venv/bin/cxlab", str(CXLAB)).replace(
        "tests/data/exports/", f"{ROOT}/tests/data/exports/"
    )
    res = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert res.returncode == 0, res.stderr
    got = res.stdout.replace(f"{ROOT}/", "").splitlines()
    assert got[0] == printed[0]
    assert [line for line in got[1:] if "ignored columns" not in line] == [
        line for line in printed[1:] if "ignored columns" not in line
    ]
    render = re.search(r"`(\.venv/bin/cxlab render notebooks/quarterly_report.*?)`", section, re.S)
    assert render is not None
    args = render.group(1).replace(".venv/bin/cxlab", str(CXLAB))
    args = args.replace("notebooks/", f"{ROOT}/notebooks/").split()
    res = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    page = html.unescape((tmp_path / res.stdout.strip()).read_text(encoding="utf-8"))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "All units, 2026Q3 : NPS 0.0" in text and "n = 10" in text
    # breakdowns the export cannot support are named, not shown as one misleading group
    assert (
        "Channel, segment and touch point were not recorded in this data, so the report has "
        "no breakdown by them." in text
    )
    assert "unknown" not in text.lower().replace("unknown git", "")


def test_readme_layout_table_lists_every_module_and_its_submodules():
    """The module table matches the code: each module and package of cxlab/ has a row,
    and every submodule a package holds is named in its row (and no row names a
    module that does not exist)."""
    text = README.read_text(encoding="utf-8")
    layout = text[text.index("\n## Layout") :]
    layout = layout[: layout.index("\n## ", 1)]  # the layout section only
    rows = dict(re.findall(r"^\| `([\w/]+)` \| (.*) \|$", layout, re.M))
    pkg = ROOT / "cxlab"
    wanted = {p.stem for p in pkg.glob("*.py") if p.stem != "__init__"}
    wanted |= {f"{p.name}/" for p in pkg.iterdir() if (p / "__init__.py").is_file()}
    listed = {
        name
        for name in rows
        if name not in {"cxlab/", "notebooks/", "reports/", "data/", "tests/", "benchmarks/"}
    }
    assert listed == wanted
    for name in (n for n in wanted if n.endswith("/")):
        subs = {p.stem for p in (pkg / name).glob("*.py") if p.stem != "__init__"}
        missing = [s for s in subs if f"`{s}`" not in rows[name]]
        assert not missing, f"README row {name} does not name {missing}"
