"""The quarterly report, end to end: real warehouse, real kernel, real browser."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import duckdb
import pytest

from cxlab import render
from cxlab.errors import RenderError
from cxlab.report import fmt_nps

ROOT = Path(__file__).resolve().parents[1]
QUARTERLY = ROOT / "notebooks" / "quarterly_report.ipynb"


def _sql_nps(db: Path, where: str, *, weighted: bool = True) -> tuple[float, int]:
    """NPS counted by hand in SQL, independently of cxlab (weighted by default, as the
    report is on data with survey weights); returns (nps, responses)."""
    w = "weight" if weighted else "1"
    with duckdb.connect(str(db), read_only=True) as con:
        pro, det, tot, n = con.execute(
            f"SELECT sum({w}) FILTER (WHERE ltr >= 9), sum({w}) FILTER (WHERE ltr <= 6), "
            f"sum({w}) FILTER (WHERE ltr IS NOT NULL), count(ltr) FROM responses WHERE {where}"
        ).fetchone()
    return 100 * (pro - det) / tot, n


@pytest.fixture(scope="module")
def company(demo_warehouse, tmp_path_factory):
    db, truth = demo_warehouse
    out = tmp_path_factory.mktemp("reports")
    params = {"quarter": "latest", "unit": "ALL", "warehouse": str(db), "level": 0.95}
    html = render.render(QUARTERLY, params, out_dir=out, name="company")
    return html, db, truth


@pytest.mark.slow
def test_company_report_states_the_headline_counted_independently(company):
    html, db, truth = company
    text = unescape(html.read_text(encoding="utf-8"))
    last = truth["quarters"][-1]
    nps, n = _sql_nps(db, f"quarter = '{last}'")
    assert f"All units, {last}</strong>: NPS {fmt_nps(nps)}" in text
    assert f"n = {n:,}, effective n = " in text
    assert "Estimates are weighted by the responses' survey weights" in text
    prev, _ = _sql_nps(db, f"quarter = '{truth['quarters'][-2]}'")
    assert f"Versus {truth['quarters'][-2]} ({fmt_nps(prev)})" in text
    for section in (
        "Twelve-quarter trend",
        r"<th[^>]*>Channel</th>",
        r"<th[^>]*>Touch point</th>",
        "Provenance",
    ):
        assert re.search(section, text), section
    assert "import cxlab" not in text and "injected-parameters" not in text


@pytest.mark.slow
def test_company_report_puts_the_planted_weak_touch_points_at_the_bottom(company):
    html, _, truth = company
    text = unescape(html.read_text(encoding="utf-8"))
    planted = set(truth["weak_touchpoints"]["shift_nps_points"])
    # the touch-point table is sorted by NPS, lowest first
    table = text[re.search(r"<th[^>]*>Touch point</th>", text).start() :]
    # a low base is marked after the name (" *"/" **", as in the charts)
    rows = [re.sub(r" \*{1,2}$", "", r) for r in re.findall(r"<tr><td[^>]*>([^<]+)</td>", table)]
    assert set(rows[: len(planted)]) == planted


@pytest.mark.slow
def test_report_opens_offline_and_shows_figures(company, open_in_chromium, tmp_path):
    html, _, _ = company
    dom, requests = open_in_chromium(html.resolve().as_uri(), tmp_path)
    assert [u for u, _ in requests if re.match(r"(?i)(https?|wss?)://", u)] == []
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', dom)) >= 6
    assert "Customer experience report: All units" in dom


@pytest.mark.slow
def test_unit_report_and_unknown_unit(demo_warehouse, tmp_path):
    db, truth = demo_warehouse
    unit = truth["units"][0]
    last = truth["quarters"][-1]
    params = {"quarter": last, "unit": unit, "warehouse": str(db)}
    html = render.render(QUARTERLY, params, out_dir=tmp_path, name="unit")
    text = unescape(html.read_text(encoding="utf-8"))
    nps, _ = _sql_nps(db, f"quarter = '{last}' AND unit = '{unit}'")
    assert f"{unit}, {last}</strong>: NPS {fmt_nps(nps)}" in text
    with pytest.raises(RenderError, match="unit 'Atlantis' not in the warehouse"):
        render.render(QUARTERLY, {**params, "unit": "Atlantis"}, out_dir=tmp_path, name="bad")
    assert not (tmp_path / "bad.html").exists()


def test_mistyped_parameter_is_refused_by_the_cli_before_any_kernel(tmp_path):
    cmd = [sys.executable, "-m", "cxlab.cli", "render", str(QUARTERLY), "-p", "quartr=2026Q3"]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert res.returncode == 2
    assert "quartr" in res.stderr and "quarter" in res.stderr
    assert "Traceback" not in res.stderr
    assert not list(tmp_path.glob("reports/*"))


@pytest.mark.slow
def test_unweighted_on_request(demo_warehouse, tmp_path):
    db, truth = demo_warehouse
    last = truth["quarters"][-1]
    params = {"quarter": last, "unit": "ALL", "warehouse": str(db), "weight": "none"}
    html = render.render(QUARTERLY, params, out_dir=tmp_path, name="unweighted")
    text = unescape(html.read_text(encoding="utf-8"))
    nps, n = _sql_nps(db, f"quarter = '{last}'", weighted=False)
    weighted, _ = _sql_nps(db, f"quarter = '{last}'")
    assert fmt_nps(nps) != fmt_nps(weighted)  # the test can tell the two apart
    assert f"All units, {last}</strong>: NPS {fmt_nps(nps)}" in text
    assert f"n = {n:,})" in text and "Estimates are unweighted" in text


@pytest.mark.slow
def test_title_alt_text_and_no_local_paths(company):
    html, db, truth = company
    page = html.read_text(encoding="utf-8")
    last = truth["quarters"][-1]
    assert f"<title>Customer experience report: All units, {last}</title>" in page
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) >= 6
    assert all(re.search(r"alt=\"Chart \d+ of the section '[^\"]+'\"", i) for i in images)
    assert "alt=\"Chart 1 of the section 'Twelve-quarter trend'\"" in page
    # provenance names the warehouse file and its hash, never the analyst's folders
    assert str(db.parent) not in page and db.name in page
    assert "@media print" in page
