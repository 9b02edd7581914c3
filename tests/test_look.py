"""The finished look of every report: byte-identical renders, readable at 480 px, tables
formatted by meaning with every blank explained, base marks shared with the charts.

Each notebook is rendered twice on the demo warehouse with ``SOURCE_DATE_EPOCH``
set (the second render is the reproducibility check, so no render is wasted) and
the first is opened in headless Chromium with a 480 px wide window: the page
may not scroll sideways and every figure must fit the width.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from _browser import measure

from cxlab import render

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
WIDTH = 480

REPORTS = {
    "quarterly_report": {"unit": "ALL"},
    # a few bootstrap replicates: enough to show the resampling is seeded
    "drivers": {"unit": "ALL", "bootstrap": 20},
    "journey_case_study": {"unit": "ALL"},
    "nps_outcomes": {},
    "retention_value": {},
}


def _render(notebook: str, db: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    params = {**REPORTS[notebook], "warehouse": str(db)}
    return render.render(NOTEBOOKS / f"{notebook}.ipynb", params, out_dir=out, name=notebook)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", list(REPORTS))
def test_report_is_byte_identical_and_readable_at_480px(
    notebook, demo_warehouse, chromium, tmp_path, monkeypatch
):
    db, _ = demo_warehouse
    first = _render(notebook, db, tmp_path / "one", monkeypatch)
    again = _render(notebook, db, tmp_path / "two", monkeypatch)
    # every resampling is seeded and every engine result ordered: the same bytes
    a, b = first.read_text(encoding="utf-8"), again.read_text(encoding="utf-8")
    if a != b:
        diff = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
        pytest.fail(f"{notebook}: renders differ near {a[max(0, diff - 300) : diff + 100]!r}")
    assert first.with_suffix(".ipynb").read_bytes() == again.with_suffix(".ipynb").read_bytes()

    page = unescape(a)
    body = page[page.index("<main") :]
    # tables: no blank cell, every n/a explained under its table, no "-0.0"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", body[: body.index("Provenance")], re.S)
    assert cells and "" not in [c.strip() for c in cells]
    assert not re.search(r"(?<![\w.])-0\.0+(?![\d])", body[: body.index("Provenance")])
    tables = body.split('<table class="cx-table">')[1:]
    assert tables
    for t in tables:
        table, after = t.split("</table>", 1)
        notes = re.findall(r'<p class="cx-table-note">(.*?)</p>', after.split("<table", 1)[0])
        if re.search(r"<td[^>]*>n/a</td>", table):
            assert any(n.startswith("n/a in ") for n in notes), table[:300]
        if re.search(r"<td[^>]*>[^<]* \*{1,2}</td>", table):
            assert any("base (n" in n for n in notes), table[:300]
        assert not re.search(r"<td[^>]*>p = ", table)

    # at 480 px: the page does not scroll sideways and every figure fits the width
    probe = measure(chromium, first, tmp_path, width=WIDTH)
    assert probe["viewport"] == WIDTH and probe["images"], probe
    assert probe["scroll"] <= probe["viewport"], probe
    for img in probe["images"]:
        assert img["left"] >= 0 and img["right"] <= probe["viewport"] + 0.5, img


@pytest.mark.slow
def test_the_probe_sees_an_overflowing_page(chromium, tmp_path):
    """Control: a figure wider than the window is caught, so the check above can fail."""
    page = tmp_path / "wide.html"
    page.write_text(
        '<html><body><main><img alt="wide" width="900" height="10" '
        'src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>',
        encoding="utf-8",
    )
    probe = measure(chromium, page, tmp_path, width=WIDTH)
    assert probe["scroll"] > probe["viewport"]
    assert probe["images"][0]["right"] > probe["viewport"]
