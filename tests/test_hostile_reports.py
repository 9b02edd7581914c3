"""Every report notebook, rendered on a warehouse and case file full of markup, stays inert.

The demo warehouse is copied and its names (unit, segment, channel, touch point,
attribute, owner, KPI, verbatim) rewritten with SQL UPDATEs into script, frame,
refresh and Markdown-link payloads, plus a touch point with one response, a
channel with two and a touch point whose only response has no score (n = 0).
Each report is opened in headless Chromium: nothing may run (the payloads
would rename the document or add an element), no payload element may exist
in the DOM, and the page may make no request at all.
"""

from __future__ import annotations

import json
import re
import shutil
from html import escape
from pathlib import Path

import duckdb
import pytest

from cxlab import render

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _payload(where: str) -> str:
    """Markup that, if it ever ran, would rename the page and make a request."""
    return f"document.title='pwned-{where}';fetch('http://example.com/{where}')"


UNIT = f'France <img src=x onerror="{_payload("unit")}">'
SEGMENT = f'Small <svg onload="{_payload("segment")}"></svg> $\\frac{{1}}{{$ $\\alpha$'
CHANNEL = f"chat <img src=x onerror={_payload('channel').replace(' ', '')}>"
WEAK_TP = (
    "Stock [x](javascript:alert(1)) "
    f'<iframe srcdoc="<script>parent.{_payload("touchpoint")}</script>"></iframe>'
)
WEAK_TP2 = 'Pre-orders <meta http-equiv="refresh" content="0;url=http://example.com/tp">'
ATTRS = {
    "Staff knowledge": 'Staff <meta http-equiv="refresh" content="0;url=http://example.com/attr">',
    "Stock availability": f'Stock <img src=x onerror="{_payload("attr")}"> $\\alpha$',
    "Pre-order availability": "Pre-order [x](javascript:alert(1)) <b id=pwned-attr>b</b>",
}
OWNER = f'Marketing <svg onload="{_payload("owner")}">'
KPI = '<base href="http://example.com/"> Campaign reach'
VERBATIM = f'<img src=x onerror="{_payload("verbatim")}"> great'
ONE = f'Kiosk <img src=x onerror="{_payload("one")}">'  # touch point with n = 1
NONE = "Survey <b id=pwned-none>x</b>"  # touch point whose one response has no score
TWO = f'Fax <svg onload="{_payload("two")}">'  # channel with n = 2


def _case_yaml() -> str:
    """A case file whose every text field carries markup (JSON strings are YAML scalars)."""
    q = json.dumps
    description = (
        f'<img src=x onerror="{_payload("description")}"> A journey '
        '<meta http-equiv="refresh" content="0;url=http://example.com/case"> '
        "with $\\alpha$ and [a link](http://example.com/).\n\n# Heading"
    )
    return f"""
name: {q(f"Case <script>{_payload('case')}</script> [x](javascript:alert(1))")}
description: {q(description)}
source: hostile test
scale: [-100, 100]
weak_below: 0
aggregate:
  label: {q(f'Company <svg onload="{_payload("aggregate")}"> NPS')}
  query: {{metric: nps, filter: {{}}}}
touchpoints:
  - name: {q(WEAK_TP)}
    stage: interaction
    intentional: true
    operational: {{kpi: {q(KPI)}, value: conversion, target: 0.36}}
    query: {{metric: nps, filter: {{touchpoint: {q(WEAK_TP)}}}}}
  - name: {q(ONE)}
    stage: interaction
    intentional: false
    query: {{metric: nps, filter: {{touchpoint: {q(ONE)}}}}}
  - name: Purchase
    stage: interaction
    intentional: true
    query: {{metric: nps, filter: {{touchpoint: Purchase}}}}
"""


@pytest.fixture(scope="module")
def hostile(demo_warehouse, tmp_path_factory) -> dict:
    """A copy of the demo warehouse with hostile names and tiny groups; a hostile case."""
    src, truth = demo_warehouse
    base = tmp_path_factory.mktemp("hostile")
    db = base / "hostile.duckdb"
    shutil.copy(src, db)
    last = truth["quarters"][-1]
    with duckdb.connect(str(db)) as con:
        for table in ("responses", "customers", "transactions", "outcomes"):
            con.execute(f"UPDATE {table} SET unit = ? WHERE unit = 'France'", [UNIT])
        for table in ("customers", "customer_history"):
            con.execute(
                f"UPDATE {table} SET segment = ? WHERE segment = 'Small business'", [SEGMENT]
            )
        for table in ("responses", "interactions", "touchpoints"):
            con.execute(f"UPDATE {table} SET channel = ? WHERE channel = 'chat'", [CHANNEL])
            for old, new in (
                ("Stock availability", WEAK_TP),
                ("Product questions and pre-orders", WEAK_TP2),
            ):
                con.execute(f"UPDATE {table} SET touchpoint = ? WHERE touchpoint = ?", [new, old])
        for old, new in ATTRS.items():
            con.execute(
                "UPDATE attribute_ratings SET attribute = ? WHERE attribute = ?", [new, old]
            )
        con.execute("UPDATE touchpoints SET owner = ? WHERE owner = 'Marketing'", [OWNER])
        con.execute("UPDATE touchpoints SET operational_kpi = ?", [KPI])
        con.execute("UPDATE responses SET verbatim = ? WHERE verbatim IS NOT NULL", [VERBATIM])
        # tiny groups in the latest quarter: n = 1, n = 0 (no score), a channel of n = 2
        template = "SELECT * REPLACE (? AS response_id, ? AS touchpoint, ? AS channel, ? AS ltr)"
        rows = [("h-one", ONE, "web", 10), ("h-none", NONE, "web", None)]
        rows += [("h-two-1", "Purchase", TWO, 3), ("h-two-2", "Purchase", TWO, 9)]
        for rid, tp, ch, ltr in rows:
            con.execute(
                f"INSERT INTO responses {template} FROM responses WHERE quarter = ? "
                "ORDER BY response_id LIMIT 1",
                [rid, tp, ch, ltr, last],
            )
        assert con.execute("SELECT count(*) FROM responses WHERE unit = ?", [UNIT]).fetchone()[0]
    case = base / "hostile_case.yaml"
    case.write_text(_case_yaml(), encoding="utf-8")
    return {"db": db, "case": case, "out": base / "reports", "last": last}


RENDERS = {
    "quarterly": ("quarterly_report", {"unit": "ALL"}),
    "quarterly-unit": ("quarterly_report", {"unit": UNIT}),
    "drivers": ("drivers", {"unit": "ALL", "bootstrap": 0}),
    "journey": ("journey_case_study", {"unit": "ALL"}),
    "outcomes": ("nps_outcomes", {}),
    "retention": ("retention_value", {}),
}

_INJECTED = re.compile(
    r"<(?:img[^>]*\ssrc=\"?x\b|svg\b|iframe\b|script\b|base\b|meta[^>]*http-equiv)"
    r"|<[a-z][^>]*\son[a-z]+\s*=|href=\"\s*javascript:|id=\"pwned",
    re.IGNORECASE,
)


@pytest.mark.slow
@pytest.mark.parametrize("which", list(RENDERS))
def test_hostile_names_stay_text_in_every_report(which, hostile, open_in_chromium, tmp_path):
    notebook, params = RENDERS[which]
    params = {**params, "warehouse": str(hostile["db"])}
    if notebook == "journey_case_study":
        params["case"] = str(hostile["case"])
    html = render.render(
        NOTEBOOKS / f"{notebook}.ipynb", params, out_dir=hostile["out"], name=which
    )
    text = html.read_text(encoding="utf-8")
    assert render.find_remote_resources(text) == []

    dom, requests = open_in_chromium(html.resolve().as_uri(), tmp_path)
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    # the payloads would set the whole title to 'pwned-...'; the title may *show* a
    # hostile name (the report's heading, as text), but no script may replace it
    assert title and not re.fullmatch(r"\s*pwned-[a-z]+\s*", title.group(1)), title
    body = dom[dom.index("<body") :]
    hit = _INJECTED.search(body)
    assert hit is None, body[max(0, hit.start() - 300) : hit.end() + 300]
    assert requests == [], requests
    # the names are shown, as text
    seen = {
        "quarterly": [UNIT, WEAK_TP, CHANNEL, SEGMENT, ONE, TWO, NONE],
        "quarterly-unit": [UNIT, WEAK_TP],
        "drivers": list(ATTRS.values()),
        "journey": [WEAK_TP, ONE, "Case <script>", OWNER, KPI],
        "outcomes": [],  # unit names reach only tables of gaps (none here) and charts
        "retention": [UNIT, SEGMENT],  # margin at risk by unit, CLV by segment
    }[which]
    for name in seen:
        assert escape(name, quote=False) in dom, name
    if which == "quarterly":
        # the summary headlines the planted weak touch point: by its name, as text
        below = next(li for li in dom.split("<li>") if "Touch point: clearly below" in li)
        assert escape(WEAK_TP, quote=False) in below, below


@pytest.mark.slow
def test_chromium_would_catch_these_payloads_unescaped(open_in_chromium, tmp_path):
    """Control: the same payloads as raw HTML do run and do request, so the checks can fail."""
    page = tmp_path / "raw.html"
    page.write_text(f"<html><head><title>t</title></head><body><p>{UNIT}</p></body></html>")
    dom, requests = open_in_chromium(page.as_uri(), tmp_path)
    assert "<title>pwned-unit</title>" in dom
    assert any(u == "http://example.com/unit" for u, _ in requests), requests
    assert _INJECTED.search(dom[dom.index("<body") :])
