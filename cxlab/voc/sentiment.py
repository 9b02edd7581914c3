"""Sentiment of each verbatim with VADER, stored once, and how far it agrees with LTR.

VADER (Hutto & Gilbert 2014, the ``vaderSentiment`` package, which ships its
lexicon: nothing is downloaded) scores a text from a human-rated English lexicon
plus rules for negation, intensifiers, capitals and punctuation. Its
``compound`` score lies in [-1, 1]; the package's documented thresholds make
``compound >= 0.05`` positive, ``<= -0.05`` negative and neutral between.

Lexicon sentiment is a rough signal, for English text only: it misses sarcasm,
domain words ("the screen died", "cheap") and any other language, so it is read
beside the score a customer gave, never instead of it. :func:`sentiment_agreement`
says how far the two agree. Text is masked (:func:`cxlab.voc.mask_pii`) before
it is scored.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxlab._checks import as_table, check_columns, check_level
from cxlab.errors import CxlabError
from cxlab.stats import fisher_ci
from cxlab.voc.pii import mask_pii_series

__all__ = [
    "LABELS",
    "SentimentAgreement",
    "agreement_text",
    "sentiment",
    "sentiment_agreement",
    "store_sentiment",
]

#: Sentiment labels in order; ``"none"`` marks a blank verbatim.
LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
#: VADER's documented compound-score threshold (the package README).
THRESHOLD = 0.05
SCORES = ("compound", "pos", "neu", "neg")
#: The comment cxlab puts on the sentiment table it creates (its marker).
MARKER = "cxlab:voc_sentiment:v1"
CATEGORIES = ("detractor", "passive", "promoter")


@functools.lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

    return SentimentIntensityAnalyzer()


def _label(compound: np.ndarray) -> np.ndarray:
    return np.select(
        [np.isnan(compound), compound >= THRESHOLD, compound <= -THRESHOLD],
        ["none", "positive", "negative"],
        "neutral",
    )


def score_texts(texts: pd.Series) -> pd.DataFrame:
    """VADER scores and label of each text of ``texts`` (already masked), same index.

    Blank or missing text gives NaN scores and the label ``"none"``.
    """
    sia = _analyzer()
    blank = texts.isna() | (texts.astype("string").str.strip().fillna("") == "")
    distinct = texts[~blank].unique()
    table = {t: sia.polarity_scores(t) for t in distinct}
    out = pd.DataFrame(index=texts.index, columns=list(SCORES), dtype=float)
    if len(distinct):
        got = pd.DataFrame.from_records(
            [table[t] for t in texts[~blank]], index=texts.index[~blank]
        )
        out.loc[~blank, list(SCORES)] = got[list(SCORES)].to_numpy(dtype=float)
    out["label"] = _label(out["compound"].to_numpy(dtype=float))
    return out


def sentiment(data: Any, text: str = "verbatim", *, id: str = "response_id") -> pd.DataFrame:
    """VADER sentiment of each response's masked verbatim.

    Parameters
    ----------
    data : pandas DataFrame or Ibis table
        One row per response.
    text : str
        The verbatim column.
    id : str
        The response key; each value once.

    Returns
    -------
    DataFrame
        ``id, compound, pos, neu, neg, label`` in the input's order; ``label`` is
        ``negative`` (compound <= -0.05), ``neutral``, ``positive`` (>= 0.05) or
        ``none`` for a blank verbatim (scores NaN). A rough signal, English only.

    References
    ----------
    Hutto, C. J. & Gilbert, E. (2014). VADER: A parsimonious rule-based model for
    sentiment analysis of social media text. ICWSM-14. Package ``vaderSentiment``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"response_id": ["a", "b", "c"],
    ...                    "verbatim": ["The book was good.", "Today SUX!", None]})
    >>> sentiment(df)
      response_id  compound    pos    neu    neg     label
    0           a    0.4404  0.492  0.508  0.000  positive
    1           b   -0.5461  0.000  0.221  0.779  negative
    2           c       NaN    NaN    NaN    NaN      none
    """
    t = as_table(data)
    check_columns(t, [id, text])
    df = t.select(id, text).execute()
    dup = df[id][df[id].duplicated(keep=False) & df[id].notna()]
    if len(dup):
        rows = ", ".join(map(repr, dup.unique()[:5].tolist()))
        raise CxlabError(
            f"sentiment: column {id!r} must name each response once; repeated: {rows} "
            f"({dup.nunique()} value(s))."
        )
    scores = score_texts(mask_pii_series(df[text]))
    return pd.concat([df[[id]], scores], axis=1).reset_index(drop=True)


@dataclass(frozen=True)
class SentimentAgreement:
    """How far lexicon sentiment agrees with the LTR category (see :func:`sentiment_agreement`).

    Attributes
    ----------
    crosstab_ : DataFrame
        ``label, category, n, share`` (share of the category's responses).
    agreement_ : DataFrame
        ``measure, estimate, se, low, high, level, n``: Spearman's rho of the
        label (negative < neutral < positive) with LTR 0-10, and Cohen's kappa of
        label against category (negative-detractor, neutral-passive,
        positive-promoter).
    n_ : int
        Responses with both a label and a score.
    """

    crosstab_: pd.DataFrame
    agreement_: pd.DataFrame
    n_: int

    def summary(self) -> pd.DataFrame:
        """The agreement table (one row per measure)."""
        return self.agreement_.copy()


def _spearman_from_counts(counts: pd.DataFrame) -> float:
    """Spearman's rho (midranks for ties) from a label x LTR table of counts."""
    table = counts.to_numpy(dtype=float)
    n = table.sum()

    def midranks(margin: np.ndarray) -> np.ndarray:
        return np.cumsum(margin) - (margin - 1) / 2

    ra, rb = midranks(table.sum(axis=1)), midranks(table.sum(axis=0))
    ma, mb = (ra * table.sum(axis=1)).sum() / n, (rb * table.sum(axis=0)).sum() / n
    cov = ((ra - ma)[:, None] * (rb - mb)[None, :] * table).sum()
    va = ((ra - ma) ** 2 * table.sum(axis=1)).sum()
    vb = ((rb - mb) ** 2 * table.sum(axis=0)).sum()
    return float(cov / np.sqrt(va * vb)) if va > 0 and vb > 0 else float("nan")


def _kappa(square: np.ndarray) -> tuple[float, float]:
    """Cohen's kappa and its large-sample SE (Cohen 1960) from a square table."""
    n = square.sum()
    p = square / n
    po = np.trace(p)
    pe = float((p.sum(axis=0) * p.sum(axis=1)).sum())
    if pe >= 1:
        return float("nan"), float("nan")
    kappa = (po - pe) / (1 - pe)
    return float(kappa), float(np.sqrt(po * (1 - po) / (n * (1 - pe) ** 2)))


def sentiment_agreement(
    data: Any,
    sentiment: Any,
    *,
    score: str = "ltr",
    id: str = "response_id",
    level: float = 0.95,
    breaks: tuple[int, int] = (6, 8),
) -> SentimentAgreement:
    """Crosstab of sentiment label by LTR category, and how far the two agree.

    The counts come from one GROUP BY in the engine (``data`` joined to
    ``sentiment`` on ``id``); both measures are computed from that table.
    Spearman's rho (label order against LTR 0-10, ties at midranks) gets a Fisher
    z interval with the Bonett & Wright (2000) standard error
    ``sqrt((1 + rho^2 / 2) / (n - 3))``; Cohen's kappa gets Cohen's (1960)
    large-sample standard error. Lexicon sentiment is a rough signal, English
    only: a modest rho is what to expect.

    Parameters
    ----------
    data : DataFrame or Ibis table
        Responses with ``id`` and ``score`` (LTR 0-10).
    sentiment : DataFrame or Ibis table
        :func:`sentiment`'s result, or the table :func:`store_sentiment` wrote.
    score, id : str
        Column names.
    level : float
        Confidence level of both intervals.
    breaks : (int, int)
        Highest detractor and passive scores (0-6, 7-8, 9-10 by default).

    Returns
    -------
    SentimentAgreement

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"response_id": list("abcdef"), "ltr": [0, 3, 7, 8, 9, 10]})
    >>> s = pd.DataFrame({"response_id": list("abcdef"),
    ...     "label": ["negative", "negative", "neutral", "positive", "positive", "positive"]})
    >>> fit = sentiment_agreement(r, s)
    >>> fit.agreement_[["measure", "estimate", "n"]].round(3)
            measure  estimate  n
    0  spearman_rho     0.926  6
    1         kappa     0.750  6
    """
    from scipy.stats import norm

    lv = check_level(level, "sentiment_agreement")
    r, s = as_table(data), as_table(sentiment)
    check_columns(r, [id, score], "data")
    check_columns(s, [id, "label"], "sentiment")
    j = r.select(id, score).inner_join(s.select(id, "label"), id)
    j = j.filter(j[score].notnull() & j.label.isin(list(LABELS)))
    counts = j.group_by(["label", score]).agg(n=j.count()).execute()
    low_b, mid_b = breaks
    bad = counts[(counts[score] < 0) | (counts[score] > 10)]
    if len(bad):
        raise CxlabError(
            f"sentiment_agreement: column {score!r} must lie in 0-10; found "
            f"{sorted(bad[score].unique().tolist())[:5]}."
        )
    counts["category"] = np.select(
        [counts[score] <= low_b, counts[score] <= mid_b], ["detractor", "passive"], "promoter"
    )
    by_score = counts.pivot_table(index="label", columns=score, values="n", aggfunc="sum")
    by_score = by_score.reindex(list(LABELS)).fillna(0)
    cross = counts.groupby(["label", "category"], as_index=False)["n"].sum()
    full = pd.MultiIndex.from_product([LABELS, CATEGORIES], names=["label", "category"])
    cross = cross.set_index(["label", "category"]).reindex(full, fill_value=0).reset_index()
    cat_n = cross.groupby("category")["n"].transform("sum")
    cross["share"] = np.where(cat_n > 0, cross["n"] / cat_n.where(cat_n > 0, 1), np.nan)
    cross["n"] = cross["n"].astype(int)
    n = int(cross["n"].sum())
    z = float(norm.ppf(0.5 + lv / 2))
    rows = []
    rho = _spearman_from_counts(by_score) if n > 3 else float("nan")
    se_z = np.sqrt((1 + rho**2 / 2) / (n - 3)) if n > 3 else float("nan")
    lo, hi = fisher_ci(rho, se_z, z)
    rows.append(("spearman_rho", rho, float(se_z), float(lo), float(hi)))
    square = cross.pivot(index="label", columns="category", values="n").to_numpy(dtype=float)
    kappa, se = _kappa(square) if n > 0 else (float("nan"), float("nan"))
    rows.append(("kappa", kappa, se, kappa - z * se, kappa + z * se))
    agreement = pd.DataFrame(rows, columns=["measure", "estimate", "se", "low", "high"])
    agreement["level"], agreement["n"] = lv, n
    return SentimentAgreement(crosstab_=cross, agreement_=agreement, n_=n)


def agreement_text(fit: SentimentAgreement) -> str:
    """One sentence for a report: the agreement, and what lexicon sentiment is worth.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"measure": ["spearman_rho", "kappa"], "estimate": [0.41, 0.2],
    ...     "se": [0.02, 0.02], "low": [0.37, 0.16], "high": [0.45, 0.24],
    ...     "level": [0.95, 0.95], "n": [1200, 1200]})
    >>> agreement_text(SentimentAgreement(pd.DataFrame(), a, 1200))  # doctest: +NORMALIZE_WHITESPACE
    'Verbatim sentiment (VADER lexicon) and the likelihood-to-recommend score agree
    moderately: Spearman rho 0.41 (95% interval 0.37 to 0.45, 1,200 responses). Lexicon
    sentiment is a rough signal, valid for English text only; read it beside the score,
    not instead of it.'
    """
    row = fit.agreement_.set_index("measure").loc["spearman_rho"]
    tail = (
        "Lexicon sentiment is a rough signal, valid for English text only; "
        "read it beside the score, not instead of it."
    )
    if not np.isfinite(row["estimate"]):
        return f"Too few scored verbatims ({fit.n_:,}) to say how sentiment and the score agree. {tail}"
    rho = float(row["estimate"])
    strength = "strongly" if abs(rho) >= 0.5 else "moderately" if abs(rho) >= 0.3 else "weakly"
    return (
        f"Verbatim sentiment (VADER lexicon) and the likelihood-to-recommend score agree "
        f"{strength}: Spearman rho {rho:.2f} ({row['level']:.0%} interval {row['low']:.2f} "
        f"to {row['high']:.2f}, {int(row['n']):,} responses). {tail}"
    )


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _raw_connection(con: Any) -> Any:
    """The DuckDB connection behind ``con`` (an Ibis DuckDB backend or a DuckDB connection)."""
    import duckdb

    if isinstance(con, duckdb.DuckDBPyConnection):
        return con
    raw = getattr(con, "con", None)
    if isinstance(raw, duckdb.DuckDBPyConnection):
        return raw
    raise CxlabError(
        "store_sentiment: con must be a DuckDB warehouse opened for writing "
        "(cxlab.warehouse.connect(db, read_only=False)), not "
        f"{type(con).__name__}."
    )


def _check_target(raw: Any, table: str, source: str, id: str, text: str) -> bool:
    """Refuse a table cxlab did not create; True when cxlab's table already exists."""
    have = raw.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ? "
        "UNION ALL SELECT comment FROM duckdb_views() WHERE schema_name = 'main' "
        "AND view_name = ?",
        [table, table],
    ).fetchall()
    if have and have[0][0] != MARKER:
        raise CxlabError(
            f"store_sentiment: table {table!r} exists and was not created by cxlab (it lacks "
            f"cxlab's marker comment {MARKER!r}); cxlab never alters a user's table. Choose "
            "another table= name. Nothing was changed."
        )
    cols = {r[0] for r in raw.execute(f"DESCRIBE {_q(source)}").fetchall()}
    missing = [c for c in (id, text) if c not in cols]
    if missing:
        raise CxlabError(
            f"store_sentiment: column(s) {missing} not found in table {source!r}; "
            f"available: {sorted(cols)}."
        )
    dup = raw.execute(
        f"SELECT {_q(id)} FROM {_q(source)} GROUP BY 1 HAVING count(*) > 1 LIMIT 5"
    ).fetchall()
    if dup:
        raise CxlabError(
            f"store_sentiment: column {id!r} of {source!r} must name each response once; "
            f"repeated: {', '.join(repr(r[0]) for r in dup)}."
        )
    return bool(have)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def store_sentiment(
    con: Any,
    *,
    table: str = "voc_sentiment",
    source: str = "responses",
    text: str = "verbatim",
    id: str = "response_id",
) -> pd.DataFrame:
    """Score every response's verbatim once and keep the scores in a warehouse table.

    The first run creates ``table`` (marked as cxlab's by a table comment) and
    scores every row of ``source``; later runs score only responses not yet
    scored or whose verbatim changed (an MD5 of the text is kept), and drop the
    scores of responses no longer in ``source``. All in one transaction: on any
    error the table is as it was. A table of that name that cxlab did not create
    is never altered (a :class:`CxlabError` instead).

    Parameters
    ----------
    con : Ibis DuckDB backend or DuckDB connection
        The warehouse, opened for writing
        (``cxlab.warehouse.connect(db, read_only=False)``).
    table : str
        The table to write.
    source, text, id : str
        The responses table, its verbatim column and its key.

    Returns
    -------
    DataFrame
        One row: ``table, n_scored, n_removed, n_stored``.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE responses AS SELECT * FROM (VALUES "
    ...     "('r1', 'The book was good.'), ('r2', NULL)) t(response_id, verbatim)")
    >>> store_sentiment(con)
               table  n_scored  n_removed  n_stored
    0  voc_sentiment         2          0         2
    >>> store_sentiment(con).n_scored[0]  # nothing new
    np.int64(0)
    """
    import duckdb

    raw = _raw_connection(con)
    for name in (table, source, id, text):
        if not _IDENT.fullmatch(name):
            raise CxlabError(f"store_sentiment: {name!r} is not a plain table or column name.")
    try:
        raw.execute("BEGIN TRANSACTION")
        try:  # the check and the write in one transaction: nothing can slip in between
            _check_target(raw, table, source, id, text)
            out = _store(raw, table, source, text, id)
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CxlabError(
            f"store_sentiment: writing table {table!r} failed: {first}. Nothing was changed "
            "(open the warehouse with read_only=False to write)."
        ) from None
    return out


def _store(raw: Any, table: str, source: str, text: str, id: str) -> pd.DataFrame:
    from importlib.metadata import version

    t, s, k, v = _q(table), _q(source), _q(id), _q(text)
    raw.execute(
        f"CREATE TABLE IF NOT EXISTS {t} ({k} VARCHAR PRIMARY KEY, compound DOUBLE, "
        "pos DOUBLE, neu DOUBLE, neg DOUBLE, label VARCHAR, text_md5 VARCHAR, method VARCHAR)"
    )
    raw.execute(f"COMMENT ON TABLE {t} IS '{MARKER}'")
    digest = f"md5(coalesce(src.{v}, ''))"
    removed = raw.execute(
        f"DELETE FROM {t} WHERE NOT EXISTS (SELECT 1 FROM {s} src WHERE "
        f"CAST(src.{k} AS VARCHAR) = {t}.{k} AND {digest} = {t}.text_md5)"
    ).fetchone()
    n_removed = int(removed[0]) if removed else 0
    todo = raw.execute(
        f"SELECT CAST(src.{k} AS VARCHAR) AS id, src.{v} AS text, {digest} AS text_md5 "
        f"FROM {s} src ANTI JOIN {t} ON CAST(src.{k} AS VARCHAR) = {t}.{k}"
    ).df()
    if len(todo):
        scores = score_texts(mask_pii_series(todo["text"].astype(object)))
        rows = pd.concat([todo[["id"]], scores[list(SCORES)], scores[["label"]]], axis=1)
        rows["text_md5"] = todo["text_md5"]
        rows["method"] = f"vaderSentiment {version('vaderSentiment')}"
        raw.register("_cxlab_voc_sentiment_rows", rows)
        try:
            raw.execute(f"INSERT INTO {t} SELECT * FROM _cxlab_voc_sentiment_rows")
        finally:
            raw.unregister("_cxlab_voc_sentiment_rows")
    n_stored = int(raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
    return pd.DataFrame(
        [{"table": table, "n_scored": len(todo), "n_removed": n_removed, "n_stored": n_stored}]
    )
