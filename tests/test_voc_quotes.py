"""Quotes (cxlab.voc.quotes): representative, masked, at most n per theme and side, escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from cxlab.errors import CxlabError
from cxlab.voc import mask_pii, quotes, quotes_html, quotes_markdown, trim_text

HOSTILE = [
    "<script>alert(1)</script> parcel late",
    "<img src=x onerror=alert(1)> parcel late",
    "$x$ parcel late $$y$$",
    "[link](javascript:alert(1)) parcel late",
]


def _data(seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(40):
        late = rng.choice(["parcel late", "courier late with my parcel", "late parcel again"])
        rows.append((f"d{i}", f"{late} call 020 7946 0958" if i % 5 == 0 else late, i % 7))
    for i in range(30):
        rows.append((f"p{i}", "parcel arrived early, great courier", 9 + i % 2))
    rows += [("odd", "I like turtles and the weather", 3), ("mid", "parcel late", 8)]
    rows += [(f"h{i}", t, 1) for i, t in enumerate(HOSTILE)]
    df = pd.DataFrame(rows, columns=["response_id", "verbatim", "ltr"])
    coded = pd.DataFrame({"response_id": df.response_id, "theme": "delivery"})
    staff = pd.DataFrame({"response_id": ["p1", "p2", "d3"], "theme": "staff"})
    return df, pd.concat([coded, staff], ignore_index=True)


def test_at_most_n_per_theme_and_side_from_the_right_scorers():
    df, coded = _data()
    q = quotes(df, coded, n=3)
    assert list(q.columns) == ["theme", "side", "response_id", "quote", "ltr"]
    assert q.groupby(["theme", "side"]).size().max() <= 3
    assert set(q.side) == {"low", "high"}
    assert q[q.side == "low"].ltr.between(0, 6).all()
    assert q[q.side == "high"].ltr.between(9, 10).all()
    assert "mid" not in set(q.response_id)  # passives are not quoted
    assert q.response_id.isin(coded.response_id).all()
    # d3 low; p1 and p2 high say the same words: quoted once
    staff = q[q.theme == "staff"].response_id.tolist()
    assert len(staff) == 2 and staff[0] == "d3" and staff[1] in {"p1", "p2"}


def test_quotes_are_masked_trimmed_and_never_raw():
    df, coded = _data()
    q = quotes(df, coded, n=50, max_chars=25)
    raw = df.set_index("response_id").verbatim
    for row in q.itertuples():
        assert row.quote == trim_text(mask_pii(raw[row.response_id]), 25)
        assert len(row.quote) <= 25
        assert "7946" not in row.quote
    long = q[q.quote.str.endswith("\u2026")]
    assert len(long)
    for r, t in zip(long.response_id, long.quote):  # cut at a word boundary
        full = " ".join(mask_pii(raw[r]).split())
        kept = t[:-1]
        assert full.startswith(kept)
        if " " in full[:24]:  # a first word longer than the limit must be cut inside
            assert full[len(kept)] in " ,;:.-"


def test_typical_quotes_are_chosen_not_the_odd_one():
    df, coded = _data()
    q = quotes(df, coded, n=3)
    low = q[(q.theme == "delivery") & (q.side == "low")]
    assert "odd" not in set(low.response_id)
    assert low.quote.str.contains("parcel").all()
    assert low.quote.nunique() == len(low)  # no quote twice


def test_deterministic_and_independent_of_row_order():
    df, coded = _data()
    a = quotes(df, coded, seed=3)
    pd.testing.assert_frame_equal(a, quotes(df, coded, seed=3))
    shuffled = df.sample(frac=1, random_state=7)
    pd.testing.assert_frame_equal(a, quotes(shuffled, coded.sample(frac=1, random_state=2), seed=3))


def test_tiny_and_hostile_inputs():
    df, coded = _data()
    empty = quotes(df, coded.iloc[:0])
    assert empty.empty and list(empty.columns) == ["theme", "side", "response_id", "quote", "ltr"]
    blank = pd.DataFrame({"response_id": ["a", "b"], "verbatim": [None, " "], "ltr": [1, 10]})
    assert quotes(blank, pd.DataFrame({"response_id": ["a", "b"], "theme": "x"})).empty
    one = quotes(df.iloc[:1], coded.iloc[:1])
    assert len(one) == 1
    with pytest.raises(CxlabError, match="n must be"):
        quotes(df, coded, n=0)
    with pytest.raises(CxlabError, match="coded must be"):
        quotes(df, pd.DataFrame({"response_id": ["d1"]}))
    with pytest.raises(CxlabError, match="'score'.*not found"):
        quotes(df, coded, score="score")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_html_and_markdown_show_hostile_quotes_as_text():
    df, coded = _data()
    h = coded[coded.response_id.str.startswith("h")].assign(theme="<b>bold</b> theme")
    q = quotes(df, h, n=10)
    assert len(q) == len(HOSTILE)
    parser = _Tags()
    parser.feed(quotes_html(q))
    assert {t for t, _ in parser.tags} == {"table", "thead", "tbody", "tr", "th", "td"}
    assert all(attrs in ([], [("class", "cxlab-quotes")]) for _, attrs in parser.tags)
    html = markdown2html_mistune(quotes_markdown(q))
    assert set(re.findall(r"<(\w+)", html)) <= {"ul", "li", "strong", "p"}, html
    assert not re.search(r"<\w+[^>]*\s(href|src|on\w+)=", html)
    assert "$x$" in html.replace("\\", "")  # shown as text; no math delimiters left live
    assert "\\$x\\$" in quotes_markdown(q)


def test_candidates_are_capped_in_the_engine_and_still_deterministic():
    df, coded = _data()
    a = quotes(df, coded, n=2, max_candidates=4, seed=1)
    pd.testing.assert_frame_equal(
        a, quotes(df.sample(frac=1, random_state=3), coded, n=2, max_candidates=4, seed=1)
    )
    assert a.groupby(["theme", "side"]).size().max() <= 2
    assert a[a.side == "low"].ltr.between(0, 6).all()
    with pytest.raises(CxlabError, match="max_candidates"):
        quotes(df, coded, n=3, max_candidates=2)


def test_ids_of_another_type_are_refused_in_words():
    df = pd.DataFrame({"response_id": [1, 2], "verbatim": ["a box", "a lid"], "ltr": [1, 10]})
    with pytest.raises(CxlabError, match="int64 in data but string in coded"):
        quotes(df, pd.DataFrame({"response_id": ["1", "2"], "theme": "x"}))
