"""Quotes that are safe to share: short, typical, masked, a few per theme and side.

A report quotes customers to make a theme concrete. The quotes chosen here are
*representative*: among the verbatims that mention a theme, those closest to the
theme's TF-IDF centroid (cosine similarity), short ones (no trimming needed)
first, ties broken by a seeded shuffle then the response id, so the same data
give the same quotes. They come from low scorers (LTR 0-6) and high scorers
(9-10) separately, never more than ``n`` per theme and side, masked
(:func:`cxlab.voc.mask_pii`) and trimmed at a word boundary. The raw verbatim is
never returned. :func:`quotes_markdown` and :func:`quotes_html` escape every
quote and theme name (:mod:`cxlab._html`), so a verbatim holding markup or a
script shows as text.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab._html import html_escape, md_escape
from cxlab.errors import CxlabError
from cxlab.voc.pii import PLACEHOLDERS, mask_pii_series

__all__ = ["SIDES", "drop_placeholders", "quotes", "quotes_html", "quotes_markdown", "trim_text"]

#: The LTR ranges quoted: detractors ("low") and promoters ("high").
SIDES: dict[str, tuple[int, int]] = {"low": (0, 6), "high": (9, 10)}
ELLIPSIS = "\u2026"
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))
_TOKENS = r"(?u)\b[^\W\d_][^\W\d_]+\b"
COLUMNS = ["theme", "side", "response_id", "quote", "ltr"]


def trim_text(text: str, max_chars: int = 200) -> str:
    """``text`` with whitespace folded, cut at a word boundary to ``max_chars`` with an ellipsis.

    Examples
    --------
    >>> trim_text("The delivery was late and the parcel was damaged", 30)
    'The delivery was late and the…'
    >>> trim_text("short", 30)
    'short'
    """
    text = " ".join(str(text).split())
    if len(text) <= max_chars:
        return text
    cut = text[: max(max_chars - 1, 1)]
    space = cut.rfind(" ")
    if text[len(cut)] != " " and space > 0:  # do not end inside a word
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def drop_placeholders(text: str) -> str:
    """``text`` without the PII placeholders (for counting words)."""
    return _PLACEHOLDER.sub(" ", text)


def _similarity(texts: pd.Series, groups: pd.Series) -> np.ndarray:
    """Cosine similarity of each text's TF-IDF vector to its group's centroid."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

    vec = TfidfVectorizer(stop_words="english", token_pattern=_TOKENS, dtype=np.float64)
    try:
        x = vec.fit_transform(texts.map(drop_placeholders).tolist())
    except ValueError:  # no word at all (stop words, numbers, placeholders)
        return np.zeros(len(texts))
    sim = np.zeros(len(texts))
    codes = groups.to_numpy()
    for g in pd.unique(codes):
        rows = np.flatnonzero(codes == g)
        centroid = np.asarray(x[rows].mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        if norm > 0:
            sim[rows] = (x[rows] @ centroid) / norm  # rows are unit length (TF-IDF l2)
    return sim


def _candidates(
    t: Any, pairs: pd.DataFrame, text: str, score: str, id: str, limit: int, seed: int
) -> pd.DataFrame:
    """Up to ``limit`` mentioners per theme and side, chosen in the engine by a seeded hash."""
    import ibis

    lo, hi = SIDES["low"][1], SIDES["high"][0]
    r = t.filter(t[score].notnull() & ((t[score] <= lo) | (t[score] >= hi)) & t[text].notnull())
    coded = ibis.memtable(pairs)
    if not coded[id].type().castable(r[id].type()):
        raise CxlabError(
            f"quotes: column {id!r} is {r[id].type()} in data but {coded[id].type()} in "
            "coded; give both the same response ids."
        )
    j = r.select(id, text, score).inner_join(coded.cast({id: r[id].type()}), id)
    j = j.mutate(
        side=ibis.ifelse(j[score] <= lo, "low", "high"),
        _key=(j[id].cast("string") + f"|{seed}").hash(),
    )
    j = j.mutate(_rn=ibis.row_number().over(group_by=["theme", "side"], order_by=[j._key, j[id]]))
    return j.filter(j._rn < limit).drop("_key", "_rn").execute()


def quotes(
    data: Any,
    coded: pd.DataFrame,
    *,
    text: str = "verbatim",
    score: str = "ltr",
    id: str = "response_id",
    n: int = 3,
    max_chars: int = 200,
    seed: int = 0,
    max_candidates: int = 2000,
) -> pd.DataFrame:
    """Representative masked quotes per theme, from low (LTR 0-6) and high (9-10) scorers.

    Parameters
    ----------
    data : DataFrame or Ibis table
        Responses with ``id``, ``text`` and ``score``.
    coded : DataFrame
        ``response_id, theme``: one row per response and theme it mentions (what
        ``cxlab.voc.code`` returns).
    text, score, id : str
        Column names.
    n : int
        At most this many quotes per theme and side.
    max_chars : int
        Longer quotes are cut at a word boundary with an ellipsis.
    seed : int
        Breaks ties between equally typical quotes of equal length, and picks
        the candidates when there are more than ``max_candidates``.
    max_candidates : int
        Per theme and side, at most this many mentioners are read (a seeded
        pseudo-random choice made in the engine: a hash of id and seed), so a
        theme with a million mentioners costs no more than one with 2,000.

    Returns
    -------
    DataFrame
        ``theme, side, response_id, quote, ltr``; themes in order of name,
        ``low`` before ``high``, most typical first.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"response_id": [1, 2, 3, 4],
    ...     "verbatim": ["Late parcel, call 020 7946 0958", "Parcel late again", "Fast parcel",
    ...                  "ok"], "ltr": [2, 5, 10, 8]})
    >>> coded = pd.DataFrame({"response_id": [1, 2, 3, 4], "theme": ["delivery"] * 4})
    >>> quotes(df, coded, n=2)
          theme  side  response_id                      quote  ltr
    0  delivery   low            2          Parcel late again    5
    1  delivery   low            1  Late parcel, call [phone]    2
    2  delivery  high            3                Fast parcel   10
    """
    if not isinstance(n, int | np.integer) or n < 1:
        raise CxlabError(f"quotes: n must be a whole number >= 1, not {n!r}.")
    if not isinstance(max_candidates, int | np.integer) or max_candidates < n:
        raise CxlabError(f"quotes: max_candidates must be a whole number >= n ({n}).")
    if not isinstance(coded, pd.DataFrame) or {id, "theme"} - set(coded.columns):
        raise CxlabError(f"quotes: coded must be a DataFrame with columns {id!r} and 'theme'.")
    t = as_table(data)
    check_columns(t, [id, text, score])
    pairs = coded[[id, "theme"]].dropna().drop_duplicates()
    if pairs.empty:
        return pd.DataFrame(columns=COLUMNS)
    m = _candidates(t, pairs, text, score, id, max_candidates, seed)
    m["masked"] = mask_pii_series(m[text].astype(object))
    m = m[m["masked"].map(lambda s: isinstance(s, str) and s.strip() != "")]
    if m.empty:
        return pd.DataFrame(columns=COLUMNS)
    m = m.sort_values(["theme", id], kind="stable").reset_index(drop=True)
    m["sim"] = _similarity(m["masked"], m["theme"])
    m["long"] = m["masked"].str.len() > max_chars
    m["length"] = m["masked"].str.len()
    m["tie"] = np.random.default_rng(seed).permutation(len(m))
    m["sim"] = m["sim"].round(12)  # equal up to rounding counts as a tie
    m = m.sort_values(
        ["theme", "side", "long", "sim", "length", "tie"],
        ascending=[True, True, True, False, True, True],
        kind="stable",
    )
    m = m.drop_duplicates(["theme", "side", "masked"])
    m = m.groupby(["theme", "side"], sort=False).head(n)
    m["quote"] = m["masked"].map(lambda s: trim_text(s, max_chars))
    m["side"] = pd.Categorical(m["side"], categories=list(SIDES))
    out = m.sort_values(["theme", "side"], kind="stable")[["theme", "side", id, "quote", score]]
    out["side"] = out["side"].astype(str)
    return out.rename(columns={id: "response_id", score: "ltr"}).reset_index(drop=True)


def quotes_markdown(frame: pd.DataFrame) -> str:
    """The quotes as a Markdown list, every theme name and quote escaped.

    Examples
    --------
    >>> f = pd.DataFrame({"theme": ["x"], "side": ["low"], "response_id": [1],
    ...                   "quote": ["<img src=x onerror=alert(1)>"], "ltr": [3]})
    >>> print(quotes_markdown(f))
    - **x**, LTR 0-6: &quot;&lt;img src\\=x onerror\\=alert\\(1\\)&gt;&quot; (LTR 3)
    """
    lines = []
    for row in frame.itertuples(index=False):
        lo, hi = SIDES[str(row.side)]
        lines.append(
            f"- **{md_escape(row.theme)}**, LTR {lo}-{hi}: "
            f"{md_escape(chr(34) + str(row.quote) + chr(34))} (LTR {int(row.ltr)})"
        )
    return "\n".join(lines)


def quotes_html(frame: pd.DataFrame) -> str:
    """The quotes as an HTML table, every cell escaped (``cxlab._html.html_escape``).

    Examples
    --------
    >>> f = pd.DataFrame({"theme": ["x"], "side": ["low"], "response_id": [1],
    ...                   "quote": ["<script>alert(1)</script>"], "ltr": [3]})
    >>> "<script>" in quotes_html(f)
    False
    """
    head = "".join(f"<th>{h}</th>" for h in ("Theme", "Scorers", "Quote", "LTR"))
    body = []
    for row in frame.itertuples(index=False):
        lo, hi = SIDES[str(row.side)]
        cells = (row.theme, f"LTR {lo}-{hi}", row.quote, int(row.ltr))
        body.append("<tr>" + "".join(f"<td>{html_escape(c)}</td>" for c in cells) + "</tr>")
    return (
        '<table class="cxlab-quotes"><thead><tr>'
        + head
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )
