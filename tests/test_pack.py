"""``cxlab pack`` for any warehouse: what it renders, what it leaves out and why."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import duckdb
import pytest

from cxlab import pack, report, warehouse
from cxlab.errors import CxlabError
from cxlab.render import render
from cxlab.warehouse import LoadSpec

EXPORTS = Path(__file__).parent / "data" / "exports"
CXLAB = Path(sys.executable).parent / "cxlab"
LTR_Q = "How likely are you to recommend Elektro to a friend or colleague?"


@pytest.fixture
def qualtrics_only(tmp_path: Path) -> Path:
    """A warehouse built from one Qualtrics export and nothing else."""
    db = tmp_path / "data" / "cxlab.duckdb"
    spec = LoadSpec.from_options(mapping=[f"{LTR_Q}=ltr", "Q2=csat", "Store=unit"])
    warehouse.ingest("responses", EXPORTS / "qualtrics_values.csv", db=db, spec=spec)
    return db


@pytest.fixture
def two_quarters(qualtrics_only: Path) -> Path:
    """The Qualtrics warehouse with a copy of its answers a quarter earlier (2026Q2)."""
    with duckdb.connect(str(qualtrics_only)) as con:
        con.execute(
            "INSERT INTO responses SELECT * REPLACE (response_id || '-q2' AS response_id, "
            "survey_date - INTERVAL 92 DAY AS survey_date, '2026Q2' AS quarter) FROM responses"
        )
    return qualtrics_only


def test_sparkline_draws_runs_and_gaps() -> None:
    svg = pack.sparkline_svg([10.0, 12.0, None, 20.0, 25.0, None, 5.0])
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 1  # 5.0 stands alone
    assert 'aria-label="NPS over the last 7 quarters, from +10 to +5"' in svg
    assert pack.sparkline_svg([None, None]) == ""
    flat = pack.sparkline_svg([30.0, 30.0])
    ys = {p.split(",")[1] for p in re.findall(r'points="([^"]+)"', flat)[0].split()}
    assert ys == {"13.0"}  # a flat series is a flat line in the middle


def test_index_escapes_every_value(tmp_path: Path) -> None:
    evil = '<img src=x onerror="alert(1)">'
    row = {
        "label": evil,
        "href": 'x.html" onmouseover="alert(2)',
        "nps": 10.0,
        "low": 1.0,
        "high": 19.0,
        "n": 40,
        "flag": evil,
        "diff": None,
        "spark": "",
    }
    page = pack.write_index(
        tmp_path,
        "2026Q3",
        [row],
        [{"title": evil, "href": "a.html", "blurb": evil}],
        [{"title": evil, "reason": evil, "fix": evil}],
        earlier=[(evil, [{"label": evil, "href": 'y.html" onclick="alert(3)'}])],
    ).read_text(encoding="utf-8")
    assert "<img" not in page and 'onmouseover="' not in page and 'onclick="' not in page
    assert page.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") == 9


def test_bad_arguments_are_refused_before_any_report(qualtrics_only: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    with pytest.raises(CxlabError, match=r"quarter '2027Q1' has no survey responses .* 2026Q3"):
        pack.pack(qualtrics_only, quarter="2027Q1", out_dir=out, progress=False)
    with pytest.raises(CxlabError, match=r"'Oslp' \(did you mean 'Oslo'\?\)"):
        pack.pack(qualtrics_only, units=["Oslp"], out_dir=out, progress=False)
    assert not out.exists()  # created only when a report or the index is written
    with pytest.raises(CxlabError, match="Use 0.95, not 95"):
        pack.pack(qualtrics_only, level=95, out_dir=out, progress=False)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CxlabError, match="is an existing file, not a folder"):
        pack.pack(qualtrics_only, out_dir=tmp_path / "afile", progress=False)
    assert not list(out.glob("*.html"))


@pytest.mark.slow
def test_pack_of_a_survey_only_warehouse(
    qualtrics_only: Path, tmp_path: Path, open_in_chromium
) -> None:
    out = tmp_path / "reports"
    res = subprocess.run(
        [str(CXLAB), "pack", "--db", str(qualtrics_only), "--out", str(out), "--units", "Oslo"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stderr == ""  # no kernel noise, no progress bar when stderr is not a terminal
    index = out / "index.html"
    assert res.stdout.strip() == f"Reports are in {index.resolve()}"
    page = unescape(index.read_text(encoding="utf-8"))
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    assert links == [
        ("quarterly-company-2026Q3.html", "Company (all units)"),
        ("quarterly-oslo-2026Q3.html", "Oslo"),
        ("voice-of-customer-2026Q3.html", "Voice of the customer"),  # needs responses only
    ]
    for href, _ in links:
        assert (out / href).is_file()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "the attribute_ratings table is empty, so this analysis cannot run" in text
    assert f"cxlab ingest attribute_ratings FILE --db {qualtrics_only}" in text
    assert "the outcomes, customers and transactions tables are empty" in text
    # the retention and value report needs customers (sign-up and churn dates) and purchases
    assert (
        "Retention and customer value : the customers and transactions tables are empty, "
        "so this analysis cannot run; load them with "
        f"cxlab ingest customers FILE --db {qualtrics_only}; "
        f"cxlab ingest transactions FILE --db {qualtrics_only}"
    ) in text
    assert "no previous quarter" in text
    dom, requests = open_in_chromium(index.resolve().as_uri(), tmp_path)
    assert "Customer experience reports, 2026Q3" in dom
    assert requests == []


@pytest.mark.slow
def test_pack_reports_are_the_reports_render_writes(
    qualtrics_only: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Warm kernels change nothing in what is written: byte for byte as render() alone
    (given the pack's shared summary, which the pack removes and this test writes again)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    out = tmp_path / "reports"
    pack.pack(qualtrics_only, units=["Bergen", "Oslo"], out_dir=out, jobs=2, progress=False)
    written = sorted(p.name for p in out.iterdir())
    stems = ["quarterly-bergen-2026Q3", "quarterly-company-2026Q3", "quarterly-oslo-2026Q3"]
    voc = ["voice-of-customer-2026Q3.html", "voice-of-customer-2026Q3.ipynb"]
    assert written == ["index.html"] + [f"{s}{x}" for s in stems for x in (".html", ".ipynb")] + voc
    summary = pack.summary_path(out, "2026Q3")
    con = warehouse.connect(qualtrics_only)
    try:
        weight = report.resolve_weight(con.table("responses"), "auto")
        report.write_summary(con, summary, quarter="2026Q3", weight=weight)
    finally:
        con.disconnect()
    for unit, stem in (("ALL", stems[1]), ("Oslo", stems[2])):
        params = {"quarter": "2026Q3", "unit": unit, "warehouse": str(qualtrics_only.resolve())}
        params["summary"] = str(summary)
        alone = render(pack.QUARTERLY, params | {"level": 0.95}, out_dir=tmp_path / unit, name=stem)
        for suffix in (".html", ".ipynb"):
            assert (out / stem).with_suffix(suffix).read_bytes() == alone.with_suffix(
                suffix
            ).read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium")
def test_pdf_copies(qualtrics_only: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    pack.pack(qualtrics_only, units=["Bergen"], out_dir=out, pdf=True, progress=False)
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert pdfs == [
        "quarterly-bergen-2026Q3.pdf",
        "quarterly-company-2026Q3.pdf",
        "voice-of-customer-2026Q3.pdf",
    ]
    assert all((out / p).read_bytes().startswith(b"%PDF") for p in pdfs)


@pytest.mark.slow
def test_a_pack_of_several_quarters(two_quarters: Path, tmp_path: Path, open_in_chromium) -> None:
    """One command, one set of warm kernels: each quarter's reports, the analyses once,
    and an index of the latest quarter that links the earlier quarter's reports."""
    out = tmp_path / "reports"
    res = subprocess.run(
        [str(CXLAB), "pack", "--db", str(two_quarters), "--out", str(out), "--units", "Oslo"]
        + ["--quarter", "2026Q3", "--quarter", "2026Q2", "--quarter", "latest"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    stems = [f"quarterly-{u}-{q}" for q in ("2026Q2", "2026Q3") for u in ("company", "oslo")]
    assert sorted(p.name for p in out.glob("*.html")) == sorted(
        ["index.html", "voice-of-customer-2026Q3.html", *(f"{s}.html" for s in stems)]
    )
    assert not list(out.glob(".cxlab-summary-*"))  # the shared files are removed
    page = unescape((out / "index.html").read_text(encoding="utf-8"))
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    assert links == [
        ("quarterly-company-2026Q3.html", "Company (all units)"),
        ("quarterly-oslo-2026Q3.html", "Oslo"),
        ("quarterly-company-2026Q2.html", "Company (all units)"),  # under "Earlier quarters"
        ("quarterly-oslo-2026Q2.html", "Oslo"),
        ("voice-of-customer-2026Q3.html", "Voice of the customer"),
    ]
    assert "<h2>Earlier quarters</h2>" in page and "<strong>2026Q2</strong>" in page
    earlier = (out / "quarterly-oslo-2026Q2.html").read_text(encoding="utf-8")
    assert "Oslo, 2026Q2" in unescape(earlier)
    dom, requests = open_in_chromium((out / "index.html").resolve().as_uri(), tmp_path)
    assert "Customer experience reports, 2026Q3" in dom and "Earlier quarters" in dom
    assert requests == []
