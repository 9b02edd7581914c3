"""Report building blocks: quarters, period comparison, groups vs the rest, summary text."""

from __future__ import annotations

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest
import scipy.stats

import cxlab
from cxlab import report
from cxlab.errors import CxlabError


def test_quarter_arithmetic():
    assert report.shift_quarter("2026Q1", -1) == "2025Q4"
    assert report.shift_quarter("2025Q4", 5) == "2027Q1"
    assert report.quarters_up_to("2026Q3", 12)[0] == "2023Q4"
    assert len(set(report.quarters_up_to("2026Q3", 12))) == 12
    with pytest.raises(CxlabError, match="YYYYQn"):
        report.shift_quarter("2026-Q1", 1)


def _frame(spec: dict[str, tuple[int, int, int]], col: str = "g") -> pd.DataFrame:
    """Rows with scores 3 (detractor), 7 (passive), 10 (promoter) per group."""
    parts = []
    for g, (d, p, r) in spec.items():
        parts.append(pd.DataFrame({col: g, "ltr": [3] * d + [7] * p + [10] * r}))
    return pd.concat(parts, ignore_index=True)


def test_compare_periods_matches_nps_diff_by_hand():
    df = _frame({"2026Q2": (30, 30, 40), "2026Q3": (20, 30, 50)}, col="quarter")
    r = report.compare_periods(df, "ltr", period="quarter", current="2026Q3", previous="2026Q2")
    assert r["diff"] == pytest.approx(20.0)
    # adjusted counts: (20.75, 31.5, 50.75)/103 and (30.75, 31.5, 40.75)/103
    p1, d1 = 50.75 / 103, 20.75 / 103
    p0, d0 = 40.75 / 103, 30.75 / 103
    se = np.sqrt((p1 + d1 - (p1 - d1) ** 2) / 103 + (p0 + d0 - (p0 - d0) ** 2) / 103)
    assert r["se"] == pytest.approx(100 * se, rel=1e-9)
    # z on the adjusted difference (30 - 10)/103; two-sided normal p = 0.0832
    assert r["z"] == pytest.approx(100 * 20 / 103 / r["se"], rel=1e-9)
    assert r["p"] == pytest.approx(2 * scipy.stats.norm.sf(r["z"]), rel=1e-9)
    assert not r["significant"] and r["low"] < 0 < r["high"]
    r90 = report.compare_periods(
        df, "ltr", period="quarter", current="2026Q3", previous="2026Q2", level=0.90
    )
    assert r90["significant"] and 0 < r90["low"]
    with pytest.raises(CxlabError, match="2026Q1"):
        report.compare_periods(df, "ltr", period="quarter", current="2026Q3", previous="2026Q1")


def test_period_change_on_a_result_is_compare_periods_exactly():
    """The report and the pack test the change on counts they hold; it must be the same test."""
    rng = np.random.default_rng(3)
    df = _frame({"2026Q1": (5, 9, 30), "2026Q2": (30, 31, 40), "2026Q3": (21, 30, 52)}, "quarter")
    df["weight"] = rng.uniform(0.2, 3.0, len(df))
    for weight, level in ((None, 0.95), ("weight", 0.9)):
        kw = {"period": "quarter", "current": "2026Q3", "previous": "2026Q2"}
        direct = report.compare_periods(df, "ltr", weight=weight, level=level, **kw)
        trend = cxlab.nps(df, "ltr", by="quarter", weight=weight, level=level)  # 3 quarters
        held = report.period_change(trend, **kw)
        pd.testing.assert_series_equal(held, direct, check_exact=True)
        assert held["previous"] == "2026Q2" and held["n_previous"] == 101
    with pytest.raises(CxlabError, match="2025Q4"):
        report.period_change(trend, period="quarter", current="2026Q3", previous="2025Q4")


def test_versus_rest_finds_the_planted_weak_group_and_only_it():
    df = _frame({"a": (40, 60, 100), "b": (40, 60, 100), "c": (40, 60, 100), "weak": (120, 50, 30)})
    out = report.versus_rest(cxlab.nps(df, "ltr", by="g")).set_index("g")
    assert out.loc["weak", "verdict"] == "below"
    assert (out.drop("weak")["verdict"] != "below").all()
    # the rest of "weak" is a+b+c: 120 det, 180 pas, 300 pro of 600 -> NPS 30
    assert out.loc["weak", "nps_rest"] == pytest.approx(30.0)
    assert (out["p_adj"] >= out["p_rest"]).all()


def test_summary_states_the_numbers_it_is_given():
    df = _frame({"a": (40, 60, 100), "weak": (120, 50, 30)})
    head = cxlab.nps(df, "ltr").iloc[0]
    table = report.versus_rest(cxlab.nps(df, "ltr", by="g"))
    text = report.summarize(
        scope="All units, 2026Q3", headline=head, change=None, breakdowns={"Channel": table}
    )
    assert report.fmt_nps(head["nps"]) in text
    assert "weak" in text and "below" in text
    assert "n = 400" in text


def test_responses_view_uses_the_profile_valid_on_the_survey_date(tmp_path):
    db = tmp_path / "w.duckdb"
    responses = pd.DataFrame(
        {
            "response_id": ["r1", "r2"],
            "customer_id": ["c1", "c1"],
            "unit": ["North", "North"],
            "survey_date": pd.to_datetime(["2025-02-28", "2025-03-01"]).date,
            "quarter": ["2025Q1", "2025Q2"],
            "ltr": [9, 3],
        }
    )
    history = pd.DataFrame(
        {
            "customer_id": ["c1", "c1"],
            "valid_from": pd.to_datetime(["2024-01-01", "2025-03-01"]).date,
            "valid_to": [pd.Timestamp("2025-02-28").date(), None],
            "segment": ["Consumer", "Business"],
            "region": ["East", "East"],
        }
    )
    with duckdb.connect(str(db)) as con:
        con.register("r", responses)
        con.register("h", history)
        con.execute("CREATE TABLE responses AS SELECT * FROM r")
        con.execute("CREATE TABLE customer_history AS SELECT * FROM h")
    con = ibis.duckdb.connect(str(db), read_only=True)
    view = report.responses_view(con).to_pandas().sort_values("response_id")
    assert view["segment"].tolist() == ["Consumer", "Business"]
    assert len(view) == 2
    with pytest.raises(CxlabError, match="units: North"):
        report.responses_view(con, unit="South")
    con.disconnect()


def test_table_html_escapes_text():
    html = report.table_html(pd.DataFrame({"g": ["<b>x</b>"], "n": [1200]}), {"g": "G", "n": "N"})
    assert "&lt;b&gt;" in html and "1,200" in html and "<b>x" not in html
    counts = report.table_html(
        pd.DataFrame({"customers": [4000.0, np.nan], "share": [1.25, 2.0]}),
        {"customers": "Customers", "share": "Share"},
    )
    # counts whole with separators, effects to 3 significant digits; a blank cell is
    # "n/a" and the note under the table says why
    td = '<td style="text-align: right; white-space: nowrap">'
    assert f"{td}4,000</td>{td}1.25</td>" in counts and f"{td}n/a</td>{td}2.00</td>" in counts
    assert "<td></td>" not in counts and '<p class="cx-table-note">n/a in Customers: ' in counts


def test_scorecard_puts_the_three_metrics_side_by_side():
    df = pd.DataFrame(
        {"ltr": [9, 3, 8, 10], "csat": [5, 1, 4, 5], "ces": [7, 2, 5, 6], "g": list("aabb")}
    )
    card = report.scorecard(df, "g").set_index("g")
    assert card.loc["a", ["nps", "csat_top2", "csat_mean", "ces_easy", "ces_mean"]].tolist() == [
        0.0,
        50.0,
        3.0,
        50.0,
        4.5,
    ]
    assert card.loc["b", "nps"] == 50.0 and card.loc["b", "flag"] == "unreliable"
    assert list(card.columns)[-1] == "flag"


def test_snapshot_materializes_a_view_on_a_read_only_warehouse(demo_warehouse):
    from cxlab import warehouse

    db, truth = demo_warehouse
    con = warehouse.connect(db)
    view = report.responses_view(con)
    last = truth["quarters"][-1]
    expr = view.filter(view.quarter == last)
    for _ in range(2):  # re-running a notebook cell replaces the snapshot
        snap = report.snapshot(con, expr, "current")
    pd.testing.assert_frame_equal(
        cxlab.nps(snap, "ltr", by="segment"), cxlab.nps(expr, "ltr", by="segment")
    )
    plain = report.responses_view(con, profile=False)
    assert "segment" not in plain.columns and plain.count().execute() == view.count().execute()
    con.disconnect()
