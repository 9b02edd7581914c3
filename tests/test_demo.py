"""`cxlab demo` end to end: data -> warehouse -> pack of reports -> index page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape

import duckdb
import pytest

from cxlab.demo import ANALYSES
from cxlab.report import fmt_nps


@pytest.mark.slow
def test_demo_builds_the_warehouse_and_a_linked_pack(tmp_path, open_in_chromium):
    db, out = tmp_path / "data" / "demo" / "cxlab.duckdb", tmp_path / "reports"
    # the analyst's own rows, loaded with the README's command into the ingest default
    (tmp_path / "export.csv").write_text(
        "response_id,unit,survey_date,ltr\nMINE1,Nordics,2026-08-01,9\nMINE2,Nordics,2026-08-02,3\n"
    )
    cli = [sys.executable, "-m", "cxlab.cli"]
    res = subprocess.run([*cli, "ingest", "responses", "export.csv"], cwd=tmp_path, timeout=120)
    assert res.returncode == 0
    cmd = [*cli, "demo", "--responses", "20000", "--seed", "5", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    with duckdb.connect(str(tmp_path / "data" / "cxlab.duckdb"), read_only=True) as con:
        mine = con.execute("SELECT response_id FROM responses ORDER BY 1").fetchall()
    assert mine == [("MINE1",), ("MINE2",)]  # the demo built its own warehouse
    index = out / "index.html"
    assert f"Reports are in {index.resolve()}" in res.stdout

    with duckdb.connect(str(db), read_only=True) as con:
        last = con.execute("SELECT max(quarter) FROM responses").fetchone()[0]
        per_unit = con.execute(
            "SELECT unit, 100.0 * (sum(weight) FILTER (WHERE ltr >= 9) - "
            "sum(weight) FILTER (WHERE ltr <= 6)) / sum(weight) FILTER (WHERE ltr IS NOT NULL) "
            "FROM responses "
            "WHERE quarter = ? GROUP BY unit",
            [last],
        ).fetchall()
    page = unescape(index.read_text(encoding="utf-8"))
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    assert len(per_unit) == 8 and len(links) == 1 + len(per_unit) + len(ANALYSES)
    for href, _ in links:
        assert (out / href).is_file() and (out / href).with_suffix(".ipynb").is_file()
    for unit, nps in per_unit:
        row = page[page.index(f">{unit}</a>") :].split("</tr>")[0]
        assert f'<td class="num">{fmt_nps(nps)}</td>' in row
    for title in (a.title for a in ANALYSES):
        assert f">{title}</a>" in page
    assert ("retention-value-" + last + ".html", "Retention and customer value") in links
    dom, requests = open_in_chromium(index.resolve().as_uri(), tmp_path)
    assert "Customer experience reports, " + last in dom
    assert [u for u, _ in requests if re.match(r"(?i)https?://", u)] == []
    # no planted PII (e-mails, phones, cards, IBANs, URLs in the verbatims) in any report
    truth = json.loads((db.parent / "source" / "truth.json").read_text(encoding="utf-8"))
    assert len(truth["pii"]) >= 10
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        shown = unescape(text)
        leaked = [p for p in truth["pii"] if p in text or p in shown]
        assert leaked == [], (page.name, leaked)
    voc = out / f"voice-of-customer-{last}.html"
    assert "What customers say" in voc.read_text(encoding="utf-8")
