"""The quarterly report's sentences and tables, moved out of the notebook: words and escaping.

Each test renders the Markdown or HTML as the report does (nbconvert's mistune
for ``display(Markdown(...))``, the table's own ``to_html``) and reads the
visible text, so a name from the data must show as itself and add no markup.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

import cxlab
from cxlab import report
from cxlab.errors import CxlabError

HOSTILE = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1)) **bold** | a |",
    "$\\alpha$ <img src=x onerror=alert(1)>",
]


def _visible(html_text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html_text)).strip()


def _tags(html_text: str) -> set[str]:
    return set(re.findall(r"<(\w+)", html_text))


def _attributes(html_text: str) -> set[str]:
    """Names of the attributes of every tag (the escaped text holds none)."""

    class Collect(HTMLParser):
        names: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.names |= {name for name, _ in attrs}

    parser = Collect()
    parser.feed(html_text)
    return parser.names


def _frame(spec: dict[str, tuple[int, int, int]], col: str = "g") -> pd.DataFrame:
    """Rows with scores 3 (detractor), 7 (passive), 10 (promoter) per group."""
    parts = [
        pd.DataFrame({col: g, "ltr": [3] * d + [7] * p + [10] * r}) for g, (d, p, r) in spec.items()
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("name", HOSTILE)
def test_title_scope_and_headings_show_names_as_text(name):
    scope = report.scope_label(name, "2026Q3")
    assert scope == f"{name}, 2026Q3"
    title = markdown2html_mistune(report.title(scope))
    assert _tags(title) <= {"h1", "a"}  # nbconvert adds an anchor link to headings
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', title)), title
    assert _attributes(title) <= {"id", "class", "href"}, title
    folded = re.sub(r"\s+", " ", scope)
    assert _visible(title).rstrip("\u00b6") == f"Customer experience report: {folded}"
    heading = markdown2html_mistune(report.scorecard_heading(name))
    assert _tags(heading) == {"p", "strong"}
    assert _visible(heading) == f"By {name.lower()}"


def test_scope_of_the_company_and_of_a_unit():
    assert report.scope_label("ALL", "2026Q3") == "All units, 2026Q3"
    assert report.scope_label("UK & Ireland", "2025Q4") == "UK & Ireland, 2025Q4"


def test_change_sentence_words_sign_interval_and_verdict():
    df = _frame({"2026Q2": (30, 30, 40), "2026Q3": (20, 30, 50)}, col="quarter")
    pair = cxlab.nps(df, "ltr", by="quarter")
    change = report.change_from_previous(pair, current="2026Q3", previous="2026Q2")
    assert change is not None and change["diff"] == pytest.approx(20.0)
    text = _visible(
        markdown2html_mistune(report.change_sentence(change, previous="2026Q2", level=0.95))
    )
    # p = 0.083 (the two-sample z test on adjusted counts, see test_report): not significant
    assert text == (
        f"Change: +20.0 points (95% interval {change['low']:+.1f} to {change['high']:+.1f}; "
        f"z = {change['z']:.2f}, p = 0.083): not statistically significant."
    )
    assert change["low"] < 0 < change["high"]
    sig = change.copy()
    sig["significant"] = True
    assert report.change_sentence(sig, previous="2026Q2", level=0.9).endswith(
        "): statistically significant."
    )


@pytest.mark.parametrize("name", HOSTILE)
def test_no_previous_quarter_says_so_with_the_name_escaped(name):
    pair = cxlab.nps(_frame({"2026Q3": (2, 3, 5)}, col="quarter"), "ltr", by="quarter")
    assert report.change_from_previous(pair, current="2026Q3", previous=name) is None
    html = markdown2html_mistune(report.change_sentence(None, previous=name, level=0.95))
    assert _tags(html) == {"p"}
    assert _visible(html) == f"No responses in {name}: no change can be computed."


def test_previous_quarter_without_scored_responses_is_no_change():
    df = _frame({"2026Q3": (2, 3, 5)}, col="quarter")
    df = pd.concat([df, pd.DataFrame({"quarter": ["2026Q2"], "ltr": [float("nan")]})])
    pair = cxlab.nps(df, "ltr", by="quarter")
    assert (pair["quarter"] == "2026Q2").any()
    assert report.change_from_previous(pair, current="2026Q3", previous="2026Q2") is None
    table = report.headline_table(pair.iloc[-1], pair, quarter="2026Q3", previous="2026Q2")
    assert "Previous quarter" not in str(table) and "This quarter" in str(table)


def test_headline_table_shows_both_quarters_as_the_report_did():
    df = _frame({"2026Q2": (30, 30, 40), "2026Q3": (2, 3, 5)}, col="quarter")
    pair = cxlab.nps(df, "ltr", by="quarter", level=0.9)
    head = pair[pair["quarter"] == "2026Q3"].iloc[0]
    shown = report.headline_table(head, pair, quarter="2026Q3", previous="2026Q2")
    assert "NPS (90% interval)" in _visible(shown.to_html())
    rows = shown.frame.values.tolist()
    assert [r[:2] for r in rows] == [["This quarter", "2026Q3"], ["Previous quarter", "2026Q2"]]
    assert [r[3] for r in rows] == ["10", "100"]
    assert rows[0][2].startswith("30.0 (") and rows[1][2].startswith("10.0 (")


def test_headline_refuses_a_scope_without_responses():
    df = pd.DataFrame({"ltr": [float("nan")] * 3})
    with pytest.raises(CxlabError, match=r"No survey responses for Nordics <b>, 2026Q3\."):
        report.headline(df, scope="Nordics <b>, 2026Q3")
    assert report.headline(_frame({"a": (1, 0, 3)}), scope="x")["nps"] == pytest.approx(50.0)


@pytest.mark.parametrize("name", HOSTILE)
def test_breakdown_and_scorecard_tables_escape_names_and_mark_tiny_groups(name):
    df = _frame({"Web": (40, 60, 100), name: (1, 0, 1), "Kiosk": (0, 0, 1)}, col="touchpoint")
    df["csat"] = 4.0
    df["ces"] = float("nan")
    table = report.versus_rest(cxlab.nps(df, "ltr", by="touchpoint"))
    for formatted in (
        report.breakdown_table(table, "touchpoint", label="Touch <b>point</b>"),
        report.scorecard_table(
            report.scorecard(df, "touchpoint"), "touchpoint", label="Touch <b>point</b>"
        ),
    ):
        html = formatted.to_html()
        assert not _tags(html) - {"table", "thead", "tbody", "tr", "th", "td", "p", "div"}, html
        seen = _visible(html)
        assert "Touch <b>point</b>" in seen
        assert f"{name} **" in seen and "Kiosk **" in seen  # n = 2 and n = 1: unreliable
    rows = report.breakdown_table(table, "touchpoint", label="Touch point").frame
    assert list(rows.iloc[:, 0]) == [f"{name} **", "Web", "Kiosk **"]  # lowest NPS first


def test_labelled_breakdowns_keep_the_report_order_and_name_missing_dimensions():
    df = _frame({"a": (40, 60, 100), "b": (120, 50, 30)})
    df["unit"] = df["g"]
    df["channel"] = "web"
    df["segment"] = pd.Series([None] * len(df), dtype="string")
    df["touchpoint"] = "store"
    dims = report.dimensions("ALL")
    assert list(dims) == ["Business unit", "Channel", "Segment", "Touch point"]
    assert report.dimensions("Nordics") == report.DIMENSIONS
    found, missing = report.labelled_breakdowns(df, "ltr", dims)
    assert list(found) == ["Business unit", "Channel", "Touch point"] and missing == ["Segment"]
    assert found["Business unit"].set_index("unit").loc["b", "verdict"] == "below"
    text = report.method_note(level=0.95, weight=None)
    assert text.startswith("Every interval is a 95% interval (NPS: adjusted Wald). Estimates are")
    assert text.endswith(report.base_caption())


def test_former_keyword_names_still_work_with_a_deprecation_warning():
    df = _frame({"a": (40, 60, 100), "weak": (120, 50, 30)})
    df["csat"], df["ces"] = 4.0, 6.0
    res = cxlab.nps(df, "ltr", by="g")
    calls = [
        (report.versus_rest, (), {"data": res}, "result"),
        (report.asked, (), {"data": res}, "result"),
        (report.interval_note, (), {"data": res}, "table"),
        (report.breakdown, (df, "ltr"), {"by": ["g"]}, "dims"),
        (report.scorecard, (df, "g"), {"score": "ltr"}, "ltr"),
    ]
    for func, args, kwargs, old in calls:
        ((new, value),) = kwargs.items()
        message = rf"^{func.__name__}: {old}= is now called {new}= "
        with pytest.warns(DeprecationWarning, match=message):
            before = func(*args, **{old: value})
        now = func(*args, **kwargs)
        if isinstance(now, dict):
            before, now = before["g"], now["g"]
        if isinstance(now, pd.DataFrame):
            pd.testing.assert_frame_equal(before, now)
        else:
            assert before == now
        with pytest.raises(CxlabError, match=f"give {new}= or its former name {old}=, not both"):
            func(*args, **kwargs, **{old: value})
    pair = cxlab.nps(_frame({"B": (1, 2, 7), "A": (5, 2, 3)}, "q"), "ltr", by="q")
    kw = {"period": "q", "current": "B", "previous": "A"}
    change = report.period_change(pair, **kw)
    assert change["diff"] == pytest.approx(80.0)  # NPS +60 against -20
    with pytest.warns(DeprecationWarning, match="result="):
        pd.testing.assert_series_equal(report.period_change(result=pair, **kw), change)
    html = report.table_html(res, {"g": "Group", "n": "Responses"})
    with pytest.warns(DeprecationWarning, match="frame="):
        assert report.table_html(frame=res, columns={"g": "Group", "n": "Responses"}) == html
