"""A pack's shared file of profiled responses gives every number the warehouse gives.

``cxlab pack`` writes the as-of join once (:func:`cxlab.report.write_summary`)
and hands it to each quarterly report as ``summary``; a report rendered with it
must read exactly as the same report rendered from the warehouse alone.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

import cxlab
from cxlab import report, warehouse
from cxlab.errors import CxlabError
from cxlab.pack import QUARTERLY
from cxlab.render import render


@pytest.fixture(scope="module")
def shared(demo_warehouse, tmp_path_factory) -> tuple[Path, Path, str, str]:
    """(warehouse, summary file, quarter, weight column) for the demo's latest quarter."""
    db, _ = demo_warehouse
    con = warehouse.connect(db)
    try:
        quarter = report.latest_quarter(con.table("responses"))
        weight = report.resolve_weight(con.table("responses"), "auto")
        assert weight == "weight"  # the demo is weighted: the sums of weights are compared too
        path = tmp_path_factory.mktemp("summary") / f"responses-{quarter}.parquet"
        report.write_summary(con, path, quarter=quarter, weight=weight)
    finally:
        con.disconnect()
    return db, path, quarter, weight


def _numbers(con, unit: str, quarter: str, w: str, summary: Path | None) -> list[pd.DataFrame]:
    """What the quarterly report computes, read from the warehouse or the summary."""
    columns = [*report.REPORT_COLUMNS, w]
    profiled = report.responses_view(con, unit=unit, columns=columns, summary=summary)
    current = report.snapshot(con, profiled.filter(profiled.quarter == quarter), "current")
    recent = report.responses_view(con, unit=unit, profile=False, columns=columns, summary=summary)
    recent = recent.filter(recent.quarter.isin(report.quarters_up_to(quarter, 12)))
    found, _ = report.labelled_breakdowns(current, "ltr", report.dimensions(unit), weight=w)
    return [
        cxlab.nps(current, "ltr", weight=w),
        cxlab.nps(recent, "ltr", by="quarter", weight=w),
        cxlab.csat(recent, "csat", by="quarter", weight=w),
        cxlab.ces(recent, "ces", by="quarter", weight=w),
        *found.values(),
        report.scorecard(current, "channel", weight=w),
        report.scorecard(current, "touchpoint", weight=w),
    ]


@pytest.mark.parametrize("unit", ["ALL", "Nordics"])
def test_summary_gives_the_numbers_of_the_warehouse(shared, unit: str) -> None:
    db, path, quarter, w = shared
    con = warehouse.connect(db)
    try:
        direct = _numbers(con, unit, quarter, w, None)
        via = _numbers(con, unit, quarter, w, path)
    finally:
        con.disconnect()
    assert len(direct) == len(via) >= 8
    for a, b in zip(direct, via, strict=True):
        assert len(a) > 0
        # the same rows and cells; sums of weights may differ in the last bit (DuckDB
        # adds them in another order), far below any printed digit: the rendered
        # reports are compared character by character below
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=0)


def test_summary_holds_the_trend_window_sorted_and_is_reproducible(shared, tmp_path) -> None:
    db, path, quarter, w = shared
    con = warehouse.connect(db)
    try:
        again = report.write_summary(con, tmp_path / "again.parquet", quarter=quarter, weight=w)
        table = pd.read_parquet(path)
        view = report.responses_view(con)
        window = report.quarters_up_to(quarter, 12)
        expected = int(view.filter(view.quarter.isin(window)).count().execute())
    finally:
        con.disconnect()
    # the same bytes from the same warehouse: a report's provenance hash is reproducible
    assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest()
    assert len(table) == expected and set(table["quarter"]) <= set(window)
    keys = list(zip(table["unit"], table["quarter"], table["response_id"], strict=True))
    assert keys == sorted(keys)
    assert {"segment", "region", w, *report.REPORT_COLUMNS} == set(table.columns)


def test_summary_missing_or_without_the_weight_column_is_one_clear_error(shared, tmp_path) -> None:
    db, path, _, _ = shared
    con = warehouse.connect(db)
    try:
        with pytest.raises(CxlabError, match="no such file"):
            report.responses_view(con, summary=tmp_path / "none.parquet")
        with pytest.raises(CxlabError, match=r"'w2' not in the pack summary responses-"):
            report.responses_view(con, columns=["ltr", "w2"], summary=path)
    finally:
        con.disconnect()


def _body(html: Path) -> str:
    """The report without its provenance (which names the summary file and its hash)."""
    text = html.read_text(encoding="utf-8")
    return text[: text.index('<div class="cxlab-provenance">')]


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["ALL", "Nordics"])
def test_report_with_the_summary_reads_as_from_the_warehouse(shared, unit, tmp_path) -> None:
    db, path, quarter, _ = shared
    params = {"quarter": quarter, "unit": unit, "warehouse": str(db)}
    plain = render(QUARTERLY, params, out_dir=tmp_path, name="plain")
    fast = render(QUARTERLY, params | {"summary": str(path)}, out_dir=tmp_path, name="fast")
    a, b = _body(plain), _body(fast)
    assert len(re.findall(r"<img ", a)) >= 4  # figures, tables and text all compared
    assert a == b
    assert f"<code>{path.name!r}</code>" in fast.read_text(encoding="utf-8")  # name, not path
