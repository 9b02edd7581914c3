"""Report tables: numbers formatted by what they mean, blanks explained, base marks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxlab
from cxlab import stats, tables
from cxlab.tables import fmt_interval, fmt_number, format_table


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (3942.0, "count", "3,942"),
        (1234567, "count", "1,234,567"),
        (24.249, "pct", "24.2"),
        (-0.04, "pct", "0.0"),  # never "-0.0"
        (-0.0004, "effect", "-0.000400"),
        (-0.00000004, "effect", "-4e-08"),
        (0.31482, "effect", "0.315"),
        (12.345, "effect", "12.3"),
        (-1.0004, "effect", "-1.00"),
        (1234.5, "effect", "1,234"),  # 3 significant digits never drop whole digits
        (0.0, "effect", "0.00"),
        (0.0004, "p", "< 0.001"),
        (0.001, "p", "0.001"),
        (0.0505, "p", "0.051"),
        (np.nan, "pct", "n/a"),
        (None, "text", "n/a"),
        ("", "text", "n/a"),
        (True, "text", "yes"),
    ],
)
def test_numbers_by_meaning(value, kind, expected):
    assert fmt_number(value, kind) == expected


def test_intervals_share_the_estimates_decimals():
    assert fmt_interval(25.71, 23.2, 28.24) == "25.7 (23.2 to 28.2)"
    assert fmt_interval(-0.01, -0.04, 0.02) == "0.0 (0.0 to 0.0)"
    assert fmt_interval(0.3148, 0.0123, 0.61, "effect") == "0.315 (0.012 to 0.610)"
    assert fmt_interval(0.0123, -0.5, 0.5, "effect") == "0.012 (-0.500 to 0.500)"
    assert fmt_interval(np.nan, 1.0, 2.0) == "n/a"
    assert fmt_interval(4.0, np.nan, np.nan) == "4.0"


def test_kinds_follow_names_values_and_headers():
    assert tables.infer_kind("n_eff") == "count"
    assert tables.infer_kind("nps_n") == "count"  # surveys behind an NPS: a count
    assert tables.infer_kind("nps_low") == "pct"
    assert tables.infer_kind("p_vs_none") == "p"
    assert tables.infer_kind("importance", header="importance %") == "pct"
    assert tables.infer_kind("coef") == "effect"
    assert tables.infer_kind("removal", header="Removal effect (95% interval)") == "effect"
    assert tables.infer_kind("x", header="% promoters") == "pct"
    assert tables.infer_kind("verdict", pd.Series(["below", ""])) == "text"
    assert tables.infer_kind("rank", pd.Series([1, 2])) == "count"
    assert tables.infer_kind("in_aggregate", pd.Series([True])) == "text"


def test_a_result_table_with_intervals_blanks_and_base_marks():
    df = pd.DataFrame(
        {"ltr": [10] * 70 + [3] * 30 + [9] * 40 + [10] * 5, "ch": ["web"] * 100 + ["kiosk"] * 45}
    )
    df.loc[df.index[-1], "ch"] = "fax"
    res = cxlab.nps(df, "ltr", by="ch").assign(r=[0.31482, np.nan, 0.5])
    t = format_table(
        res,
        {"ch": "Channel", "n": "n", ("nps", "low", "high"): "NPS", "r": "r"},
        missing={"r": "fewer than 3 pairs"},
    )
    cells = t.frame.set_index("Channel")
    assert list(cells.index) == ["fax **", "kiosk *", "web"]
    row = res.set_index("ch").loc["web"]
    assert cells.loc["web", "NPS"] == f"{row.nps:.1f} ({row.low:.1f} to {row.high:.1f})"
    assert cells.loc["web", "n"] == "100"
    assert "n/a in r: fewer than 3 pairs." in t.notes
    legend = stats.base_legend()
    note = next(n for n in t.notes if n.startswith("*"))
    assert legend["indicative"][:-2] in note and legend["unreliable"][:-3] in note
    html = t._repr_html_()
    assert html == tables.FormattedTable(t.frame, t.notes, t.align).to_html()
    assert "fax **" in html and "<td></td>" not in html and "n/a" in html


def test_blank_words_replace_na_and_need_no_note():
    t = format_table(
        pd.DataFrame({"g": ["a", "b"], "verdict": ["below", ""]}),
        {"g": "G", "verdict": "Verdict"},
        blank={"verdict": "no clear difference"},
    )
    assert t.frame["Verdict"].tolist() == ["below", "no clear difference"] and t.notes == ()


def test_html_escapes_names_and_headers():
    t = format_table(pd.DataFrame({"<b>x</b>": ["<script>"], "n": [3]}))
    html = t.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;x" in html


def test_default_columns_pair_estimates_with_their_intervals():
    res = cxlab.nps(pd.DataFrame({"ltr": [10, 9, 3, 8] * 10}), "ltr")
    t = format_table(res)
    assert "nps (interval)" in t.frame.columns and "low" not in t.frame.columns
    assert t.frame["n"].iloc[0] == "40 *"  # no group column: the base carries the mark


def test_unknown_columns_and_kinds_are_refused():
    with pytest.raises(KeyError, match="'nope'"):
        format_table(pd.DataFrame({"a": [1]}), {"nope": "N"})
    with pytest.raises(ValueError, match="kind 'money'"):
        format_table(pd.DataFrame({"a": [1]}), {"a": "A"}, kinds={"a": "money"})
