"""Text from data stays text: Markdown/HTML escaping, the summary, mathtext in charts."""

from __future__ import annotations

import re

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbconvert.filters.markdown_mistune import markdown2html_mistune

import cxlab
from cxlab import plots, report
from cxlab._html import _INVISIBLE, html_escape, md_escape

PAYLOADS = [
    "France <img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>">',
    "[x](javascript:alert(1))",
    "![x](http://example.com/x.png)",
    '<meta http-equiv="refresh" content="0;url=http://example.com">',
    "$\\alpha$ and $x$",
    "http://example.com and www.example.com",
    "a\n# heading\n    code\n- item\n1. item\n<div>",
    "**bold** _em_ `code` ~~s~~ | a | b |",
    "&lt;img src=x&gt; &#60;b&#62;",
    "\\<b>x\\</b>",
]


def _md(text: str) -> str:
    """Markdown to HTML as nbconvert does it for ``display(Markdown(...))``."""
    return markdown2html_mistune(text)


def _visible(html_text: str) -> str:
    """The text a reader sees: tags dropped, entities decoded."""
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html_text)).strip()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_escape_renders_as_the_literal_text(payload):
    html = _md(f"Group **{md_escape(payload)}** is below.")
    # only the markup we wrote: one paragraph, one <strong>
    assert re.findall(r"<(\w+)", html) == ["p", "strong"], html
    assert not re.search(r"<\w+[^>]*\s(href|src|on\w+)=", html), html
    folded = re.sub(r"\s+", " ", payload)
    assert _visible(html) == f"Group {folded} is below."


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_md_escape_never_produces_markup(text):
    expected = _INVISIBLE.sub("", re.sub(r"\s+", " ", text)).strip()
    if not expected:
        return
    html = _md(f"*{md_escape(text)}*")
    assert re.findall(r"<(\w+)", html) == ["p", "em"], html
    assert _visible(html) == expected


def test_html_escape_quotes_attributes():
    assert html_escape("<a title='x'>\"&") == "&lt;a title=&#x27;x&#x27;&gt;&quot;&amp;"


def _frame(spec: dict[str, tuple[int, int, int]], col: str = "g") -> pd.DataFrame:
    parts = [
        pd.DataFrame({col: g, "ltr": [3] * d + [7] * p + [10] * r}) for g, (d, p, r) in spec.items()
    ]
    return pd.concat(parts, ignore_index=True)


def test_summary_escapes_every_name_and_flags_low_base_groups():
    bad_scope = "North <img src=x onerror=alert(1)>, 2026Q3"
    weak = "[x](javascript:alert(1)) <svg onload=alert(1)>"
    small = "$\\alpha$ <iframe srcdoc=x>"
    df = _frame(
        {
            "a": (200, 300, 500),
            "b": (200, 300, 500),
            weak: (20, 4, 4),  # n = 28, far below: unreliable
            small: (0, 10, 50),  # n = 60, above: indicative
        }
    )
    head = cxlab.nps(df, "ltr").iloc[0]
    table = report.versus_rest(cxlab.nps(df, "ltr", by="g"))
    assert set(table.loc[table.g.isin([weak, small]), "verdict"]) == {"below", "above"}
    text = report.summarize(
        scope=bad_scope, headline=head, change=None, breakdowns={"Touch <b>": table}
    )
    html = _md(text)
    assert set(re.findall(r"<(\w+)", html)) <= {"ul", "li", "strong", "p"}, html
    seen = _visible(html)
    assert bad_scope in seen and weak in seen and small in seen and "Touch <b>" in seen
    below = next(ln for ln in seen.splitlines() if "clearly below" in ln)
    above = next(ln for ln in seen.splitlines() if "clearly above" in ln)
    assert f"{weak} " in below and "n = 28, unreliable base **)" in below
    assert f"{small} (" in above and "n = 60, indicative base *)" in above
    # both low-base bands are counted, by the same rule as the chart markers
    assert "1 with an indicative base (n 30-99), marked *" in seen
    assert "1 with an unreliable base (n < 30), marked **" in seen


def test_summary_of_reportable_groups_carries_no_flag():
    df = _frame({"a": (40, 60, 100), "weak": (120, 50, 30)})
    table = report.versus_rest(cxlab.nps(df, "ltr", by="g"))
    text = report.summarize(
        scope="All", headline=cxlab.nps(df, "ltr").iloc[0], change=None, breakdowns={"G": table}
    )
    assert "base" not in _visible(_md(text)).split("CSAT")[0].replace("Low-base", "")


def test_interval_note_explains_an_interval_that_misses_its_estimate():
    df = _frame({"one <b>": (0, 0, 1), "many": (30, 30, 40)})
    res = cxlab.nps(df, "ltr", by="g")
    note = report.interval_note(res)
    seen = _visible(_md(note))
    assert "one <b> (n = 1; NPS +100.0, interval -48.5 to +98.5)" in seen
    assert "3 pseudo-responses" in seen and "many" not in seen
    assert report.interval_note(cxlab.nps(_frame({"a": (3, 3, 4)}), "ltr", by="g")) == ""
    one = res["g"] == "one <b>"
    empty = res.assign(n=res["n"].where(~one, 0), nps=res["nps"].where(~one))
    assert "No responses for one <b>" in _visible(_md(report.interval_note(empty)))


def test_base_caption_states_the_bands_and_marks():
    seen = _visible(_md(report.base_caption()))
    assert seen == (
        "Base sizes: * marks an indicative base (n 30-99; hollow dot in the charts), "
        "** an unreliable one (n < 30; cross); read their intervals rather than their points."
    )
    assert "(n 20-199;" in _visible(_md(report.base_caption((20, 200))))


# ------------------------------------------------------------------ mathtext in charts
def _draw(fig) -> None:
    fig.canvas.draw()  # mathtext is parsed at draw time


@pytest.mark.parametrize("parse_math", [True, False])
def test_dollar_names_are_drawn_literally_whatever_the_rcparams(parse_math):
    name = "Seg $\\frac{1}{$ x"  # invalid mathtext: the parser would raise
    df = _frame({name: (5, 5, 5), "b": (10, 10, 30)})
    res = cxlab.nps(df, "ltr", by="g")
    with matplotlib.rc_context({"text.parse_math": parse_math}):
        fig, axes = plt.subplots(1, 3)
        plots.plot_intervals(res, "g", ax=axes[0])
        plots.plot_mix(res, "g", ax=axes[1])
        plots.plot_trend(res.assign(q=["$1$", "$2$"]), "q", ax=axes[2])
        _draw(fig)
    labels = [t.get_text() for t in axes[0].get_yticklabels()]
    assert any(lab.startswith(name) for lab in labels)
    assert all(not t.get_parse_math() for t in axes[0].get_yticklabels())
    assert [t.get_text() for t in axes[2].get_xticklabels()] == ["$1$", "$2$"]
    plt.close(fig)


def test_style_turns_mathtext_off_for_notebook_text():
    with matplotlib.rc_context(plots.STYLE):
        fig, ax = plt.subplots()
        ax.set_title("Unit $\\frac{1}{$")
        _draw(fig)
        assert not ax.title.get_parse_math()
    plt.close(fig)
