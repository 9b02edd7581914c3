"""cxlab.voc codeframes and coding: validation messages, engine coding equal to Python's re."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest

from cxlab import drivers, voc
from cxlab.errors import CxlabError

HERE = Path(__file__).parent / "data" / "codeframes"
SMALL = HERE / "small.yaml"

CORPUS = [
    "Delivery was LATE again!",
    "I love chocolate",  # 'late' inside a word
    "the latest model is great",  # 'late' as a prefix
    "late",  # whole text
    "(late)",
    "it was late.\n",
    "Still   waiting for my order",  # phrase with a run of spaces
    "still\nwaiting",  # phrase across a newline
    "stillwaiting",
    "It arrived 3 weeks late",
    "arrives 10 days late, box was dented box",
    "Dented  BOX, but fine",
    "unbroken seal",  # 'broken' inside a word
    "broken-screen",  # hyphen is a boundary
    "so expensive!!!",
    "Priced fairly",  # 'price' as a prefix
    "price£",
    "the £ sign",
    "c++ developer discount",
    "c+ grade",
    "Un café très aimable",
    "CAFÉ noir",  # case folding of a non-ASCII letter
    "cafés",  # plural: not the word café
    "écafé",  # preceded by a letter with an accent
    "l'été dernier",  # ÉTÉ in lower case after an apostrophe
    "Très aimable, merci",
    "très aimables",
    "Friendly and helpful staff",
    "unhelpful staff",
    "Got a REFUND",
    "refunded twice, refunds galore",
    "I want my money back",
    "my moneyback",  # pattern without boundary: 'money back' needs the space
    "costs $x$ dollars",
    "costs $x dollars",
    "naïve late customer",
    "Ünlate",  # a non-ASCII letter glued to the keyword
    "late—really",  # em dash
    "😀late😀",
    "",
    "   ",
    None,
]


@pytest.fixture(scope="module")
def small() -> voc.Codeframe:
    return voc.codeframe(SMALL)


def python_coding(cf: voc.Codeframe, texts: list[str | None]) -> set[tuple[int, str]]:
    out = set()
    for i, s in enumerate(texts):
        if s is None or not s.strip():
            continue
        for theme in cf.ids:
            if re.search(cf.regex(theme), s):
                out.add((i, theme))
    return out


def test_codeframe_loads_as_tidy_frame(small: voc.Codeframe) -> None:
    assert small.name == "small" and small.language == "en"
    assert list(small.themes.columns) == [
        "theme",
        "label",
        "parent",
        "sentiment",
        "keywords",
        "patterns",
    ]
    assert small.ids[:2] == ["delivery_delay", "damaged"]
    assert small.labels()["dollar"] == "$x$ dollars"
    assert voc.codeframe(small) is small


def test_regex_whole_words_and_case(small: voc.Codeframe) -> None:
    rx = small.regex("delivery_delay")
    hits = {s: bool(re.search(rx, s)) for s in ["LATE", "chocolate", "latest", "so late!"]}
    assert hits == {"LATE": True, "chocolate": False, "latest": False, "so late!": True}
    with pytest.raises(CxlabError, match="no theme 'nope'"):
        small.regex("nope")


def test_engine_coding_equals_python_re(small: voc.Codeframe) -> None:
    df = pd.DataFrame({"response_id": range(len(CORPUS)), "verbatim": CORPUS})
    got = voc.code(df, small)
    assert list(got.columns) == ["response_id", "theme"]
    engine = set(zip(got["response_id"], got["theme"], strict=True))
    expected = python_coding(small, CORPUS)
    assert engine == expected
    # the rules the corpus is built to check, spelled out (so the test cannot pass vacuously)
    assert (0, "delivery_delay") in engine and (1, "delivery_delay") not in engine
    assert (2, "delivery_delay") not in engine and (36, "delivery_delay") not in engine
    assert (21, "cafe") in engine and (22, "cafe") not in engine and (23, "cafe") not in engine
    assert (24, "cafe") in engine and (26, "staff_helpful") not in engine
    assert (18, "price") in engine and (19, "price") not in engine
    assert (33, "dollar") in engine and (34, "dollar") not in engine
    assert (7, "delivery_delay") in engine and (8, "delivery_delay") not in engine
    assert not {i for i, _ in engine} & {39, 40, 41}  # blank and missing text


def test_engine_coding_on_duckdb_file(tmp_path: Path, small: voc.Codeframe) -> None:
    df = pd.DataFrame({"rid": range(len(CORPUS)), "txt": CORPUS})  # noqa: F841 - read by SQL
    with duckdb.connect(str(tmp_path / "w.duckdb")) as raw:
        raw.execute("CREATE TABLE responses AS SELECT * FROM df")
    con = ibis.duckdb.connect(tmp_path / "w.duckdb")
    t = con.table("responses")
    expr = voc.coded_table(t, small, text="txt", id="rid")
    sql = str(ibis.to_sql(expr, dialect="duckdb"))
    # one pass: the table is read once, with one regexp_matches per theme
    assert sql.count('"responses"') == 1
    assert sql.upper().count("REGEXP_MATCHES") == len(small.ids)
    got = voc.code(t, small, text="txt", id="rid")
    assert set(zip(got["rid"], got["theme"], strict=True)) == python_coding(small, CORPUS)
    con.disconnect()


def test_code_refuses_bad_columns(small: voc.Codeframe) -> None:
    df = pd.DataFrame({"response_id": [1], "verbatim": [3]})
    with pytest.raises(CxlabError, match="must hold text"):
        voc.code(df, small)
    with pytest.raises(CxlabError, match="'comment' not found"):
        voc.code(df, small, text="comment")


def test_bad_codeframe_one_error_naming_file_theme_rule(tmp_path: Path) -> None:
    with pytest.raises(CxlabError) as info:
        voc.codeframe(HERE / "bad.yaml")
    msg = str(info.value)
    assert msg.startswith(f"{HERE / 'bad.yaml'}: invalid codeframe")
    expected = [
        "unknown field(s) ['colour']",
        "theme 'delivery_delay': unknown field(s) ['keyword']",
        "theme id 'NoKeywords': must be lowercase snake_case",
        "theme 'empty': give 'keywords' or 'patterns'",
        "theme 'lookahead': pattern 1 ('late(?= again)'): uses look-arounds",
        "pattern 2 ('(a)\\\\1'): uses backreferences",
        "pattern 3 ('ok['): not a valid regular expression",
        "theme 'selfish': field 'keywords': duplicate entries ['me']",
        "theme 'selfish': field 'parent': a theme cannot be its own parent",
    ]
    for part in expected:
        assert part in msg, part


@pytest.mark.parametrize(
    ("body", "part"),
    [
        ("themes:\n  a:\n    label: A\n    keywords: [x]\n", "field 'name': required"),
        ("name: n\nthemes: {}\n", "a non-empty mapping of theme id to theme"),
        ("name: n\nthemes:\n  a:\n    keywords: [x]\n", "theme 'a': field 'label': required"),
        (
            "name: n\nthemes:\n  a:\n    label: A\n    keywords: [x]\n    sentiment: angry\n",
            "theme 'a': field 'sentiment': one of",
        ),
        (
            "name: n\nthemes:\n  a:\n    label: A\n    patterns: ['x*']\n",
            "matches empty text",
        ),
        (
            "name: n\nthemes:\n  a:\n    label: A\n    patterns: ['(?>ab)c']\n",
            "atomic groups",
        ),
        (
            "name: n\nthemes:\n  a:\n    label: A\n    patterns: ['\\p{Greek}+']\n",
            "not a valid regular expression",
        ),
        (
            "name: n\nthemes:\n  a:\n    label: A\n    keywords: [x]\n"
            "  a:\n    label: B\n    keywords: [y]\n",
            "duplicate id(s) ['a']",
        ),
        ("name: n\nthemes: [\n", "not valid YAML"),
        (
            "name: n\nthemes:\n  a:\n    label: A\n    keywords: [x]\n    parent: b\n"
            "  b:\n    label: B\n    keywords: [y]\n    parent: a\n",
            "theme 'a': field 'parent': the chain of parents from 'b' loops back",
        ),
    ],
)
def test_codeframe_rules(tmp_path: Path, body: str, part: str) -> None:
    p = tmp_path / "cf.yaml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(CxlabError) as info:
        voc.codeframe(p)
    assert part in str(info.value)
    assert str(p) in str(info.value)


def test_unknown_codeframe_name() -> None:
    with pytest.raises(CxlabError, match="not a shipped codeframe"):
        voc.codeframe("no_such_codeframe")


def test_starter_codeframe_loads() -> None:
    cf = voc.codeframe("retail_electronics")
    assert len(cf.ids) >= 10
    assert all(len(k) + len(p) > 0 for k, p in zip(cf.themes["keywords"], cf.themes["patterns"]))


def test_theme_indicators_and_drivers() -> None:
    rng = np.random.default_rng(1)
    n = 600
    df = pd.DataFrame({"response_id": np.arange(n)})
    late = rng.random(n) < 0.2
    price = rng.random(n) < 0.3
    coded = pd.concat(
        [
            pd.DataFrame({"response_id": df["response_id"][late], "theme": "late"}),
            pd.DataFrame({"response_id": df["response_id"][price], "theme": "price"}),
        ]
    )
    wide = voc.theme_indicators(df, coded)
    assert list(wide.columns) == ["response_id", "late", "price"]
    assert wide["late"].tolist() == late.astype(int).tolist()
    assert wide["price"].tolist() == price.astype(int).tolist()
    ratings = pd.DataFrame(
        {"response_id": np.arange(n), "value": rng.normal(7, 1.5, n), "staff": rng.normal(8, 1, n)}
    )
    frame = ratings.merge(wide, on="response_id")
    frame["ltr"] = (
        0.5 * frame["value"] + 0.3 * frame["staff"] - 3 * frame["late"] + rng.normal(0, 1, n)
    )
    res = drivers(frame, "ltr", ["value", "staff", "late", "price"], method="shapley")
    assert set(res["driver"]) == {"value", "staff", "late", "price"}
    assert res["driver"].iloc[0] == "late"  # the planted strongest driver
    assert res.set_index("driver").loc["late", "sign"] in ("-", -1, "negative")
