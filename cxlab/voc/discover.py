"""Themes nobody wrote down yet: TF-IDF + NMF on the verbatims the codeframe did not code.

A codeframe finds what the analyst already knows to look for. What is left (the
verbatims no theme coded) may hold a theme nobody named: a new product fault, a
courier that changed. :func:`discover` factorises the TF-IDF matrix of that
remainder with non-negative matrix factorisation (NMF; Lee & Seung 1999), the
topic model scikit-learn documents for short texts: each discovered theme is a
weighted set of terms, each verbatim a weighted mix of themes. NMF is initialised
by NNDSVDa (Boutsidis & Gallopoulos 2008) and solved with the seed given, so the
same data give the same themes.

Text is masked (:func:`cxlab.voc.mask_pii`) before anything else and the
placeholders are dropped before counting words, so no address or number can
become a "term". English stop words are removed (scikit-learn's list): the
method suits English verbatims; other languages need their own stop words.

Promoting a discovered theme into the codeframe: read its top terms
(``fit.terms_``) and example quotes (``fit.examples_``); if they name one thing
(say, ``screen, flicker, dead pixels``), add a theme to the codeframe YAML with a
name the analyst chooses and those terms (or tighter regular expressions built
from them) as its keywords, then re-run the coding: the promoted theme now
counts, and the next discovery runs on a smaller remainder.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError
from cxlab.voc.pii import mask_pii_series
from cxlab.voc.quotes import drop_placeholders, trim_text

__all__ = ["ThemeDiscovery", "discover"]

# words of two or more letters: no numbers, no placeholders' brackets
_TOKENS = r"(?u)\b[^\W\d_][^\W\d_]+\b"


class ThemeDiscovery:
    """Discovered themes (TF-IDF + NMF) on the verbatims not yet coded.

    Parameters
    ----------
    n_themes : int
        Themes to find.
    seed : int
        The NMF solver's random state.
    max_features, min_df, max_df : int, int or float, float
        scikit-learn ``TfidfVectorizer`` vocabulary limits (terms in at least
        ``min_df`` verbatims and at most a ``max_df`` share of them).
    n_terms, n_examples, max_chars : int
        Top terms and example quotes kept per theme; quotes are trimmed to
        ``max_chars`` characters at a word boundary.

    Attributes
    ----------
    terms_ : DataFrame
        ``theme, rank, term, weight``: each theme's top terms.
    examples_ : DataFrame
        ``theme, rank, response_id (the id column), quote, weight``: masked
        example quotes, the verbatims that load most on the theme.
    assignments_ : DataFrame
        ``response_id, theme, weight``: each verbatim's main theme and its share
        of the verbatim's theme weights (verbatims with no vocabulary term are left out).
    n_, n_excluded_ : int
        Verbatims analysed; responses left out because ``exclude`` named them.
    """

    def __init__(
        self,
        n_themes: int = 8,
        *,
        seed: int = 0,
        max_features: int = 5000,
        min_df: int | float = 2,
        max_df: float = 0.95,
        n_terms: int = 10,
        n_examples: int = 3,
        max_chars: int = 200,
    ) -> None:
        if not isinstance(n_themes, int | np.integer) or n_themes < 1:
            raise CxlabError(f"discover: n_themes must be a whole number >= 1, not {n_themes!r}.")
        self.n_themes, self.seed = int(n_themes), seed
        self.max_features, self.min_df, self.max_df = max_features, min_df, max_df
        self.n_terms, self.n_examples, self.max_chars = n_terms, n_examples, max_chars

    def fit(
        self,
        data: Any,
        text: str = "verbatim",
        *,
        id: str = "response_id",
        exclude: Any = None,
    ) -> ThemeDiscovery:
        """Find the themes in ``data[text]``, leaving out the responses in ``exclude``."""
        docs, n_excluded = _remainder(data, text, id, exclude)
        self.id_, self.n_excluded_, self.n_ = id, n_excluded, len(docs)
        x, vocab = self._tfidf(docs["clean"])
        k = self.n_themes
        if min(x.shape) < k:
            raise CxlabError(
                f"discover: {x.shape[0]} verbatim(s) with {x.shape[1]} usable term(s) cannot "
                f"hold {k} themes; lower n_themes= or min_df=, or give more verbatims."
            )
        from sklearn.decomposition import NMF  # type: ignore[import-untyped]

        model = NMF(n_components=k, init="nndsvda", random_state=self.seed, max_iter=1000)
        w = model.fit_transform(x)
        h = model.components_
        # number themes by size (verbatims assigned), largest first, ties by index
        main = np.where(w.sum(axis=1) > 0, w.argmax(axis=1), -1)
        size = np.bincount(main[main >= 0], minlength=k)
        order = np.lexsort((np.arange(k), -size))
        w, h = w[:, order], h[order]
        self._set_results(docs, w, h, vocab)
        return self

    def _tfidf(self, texts: pd.Series) -> tuple[Any, np.ndarray]:
        from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

        vec = TfidfVectorizer(
            stop_words="english",
            token_pattern=_TOKENS,
            max_features=self.max_features,
            min_df=self.min_df,
            max_df=self.max_df,
            sublinear_tf=True,
            dtype=np.float64,
        )
        try:
            x = vec.fit_transform(texts.tolist())
        except ValueError:  # empty vocabulary, or min_df above the corpus size
            raise CxlabError(
                f"discover: no term occurs in at least min_df={self.min_df!r} of the "
                f"{len(texts)} verbatim(s) left (after masking and stop words); "
                "give more verbatims or lower min_df=."
            ) from None
        return x, vec.get_feature_names_out()

    def _set_results(self, docs: pd.DataFrame, w: np.ndarray, h: np.ndarray, vocab: Any) -> None:
        k, id = h.shape[0], self.id_
        rows = []
        for j in range(k):
            top = np.lexsort((np.arange(h.shape[1]), -h[j]))[: self.n_terms]
            rows += [(j + 1, r + 1, str(vocab[t]), float(h[j, t])) for r, t in enumerate(top)]
        terms = pd.DataFrame(rows, columns=["theme", "rank", "term", "weight"])
        self.terms_ = terms[terms.weight > 0].reset_index(drop=True)
        total = w.sum(axis=1)
        keep = total > 0
        main = w.argmax(axis=1)
        self.assignments_ = pd.DataFrame(
            {
                id: docs[id].to_numpy()[keep],
                "theme": main[keep] + 1,
                "weight": w[keep, main[keep]] / total[keep],
            }
        ).reset_index(drop=True)
        ex = []
        for j in range(k):
            idx = np.flatnonzero(keep & (main == j))
            idx = idx[np.lexsort((idx, -w[idx, j]))][: self.n_examples]
            ex += [
                (j + 1, r + 1, docs[id].iat[i], trim_text(docs["masked"].iat[i], self.max_chars))
                + (float(w[i, j]),)
                for r, i in enumerate(idx)
            ]
        self.examples_ = pd.DataFrame(ex, columns=["theme", "rank", id, "quote", "weight"])

    def summary(self) -> pd.DataFrame:
        """One row per theme: ``theme, label`` (top three terms), ``n, share, terms``."""
        n = self.assignments_.groupby("theme").size()
        rows = []
        for theme, g in self.terms_.groupby("theme", sort=True):
            count = int(n.get(theme, 0))
            rows.append(
                {
                    "theme": theme,
                    "label": ", ".join(g.term.head(3)),
                    "n": count,
                    "share": count / self.n_ if self.n_ else float("nan"),
                    "terms": ", ".join(g.term),
                }
            )
        return pd.DataFrame(rows, columns=["theme", "label", "n", "share", "terms"])


def _remainder(data: Any, text: str, id: str, exclude: Any) -> tuple[pd.DataFrame, int]:
    """The masked, non-blank verbatims whose ids are not in ``exclude``."""
    t = as_table(data)
    check_columns(t, [id, text])
    df = t.select(id, text).execute()
    ids = _exclude_ids(exclude, id)
    if ids and len(df):
        have = pd.api.types.infer_dtype(df[id], skipna=True)
        given = pd.api.types.infer_dtype(list(ids), skipna=True)
        if (have == "string") != (given == "string"):
            raise CxlabError(
                f"discover: exclude= holds {given} ids but column {id!r} is {have}; give "
                "the same response ids (nothing would be excluded)."
            )
    out = df[~df[id].isin(ids)] if ids else df
    n_excluded = len(df) - len(out)
    masked = mask_pii_series(out[text].astype(object))
    clean = masked.map(lambda s: drop_placeholders(s) if isinstance(s, str) else "")
    docs = pd.DataFrame({id: out[id].to_numpy(), "masked": masked, "clean": clean.to_numpy()})
    docs = docs[docs["clean"].str.strip() != ""].reset_index(drop=True)
    if docs.empty:
        raise CxlabError(
            f"discover: no verbatim left in column {text!r} ({len(df)} row(s), "
            f"{n_excluded} excluded, the rest blank)."
        )
    return docs, n_excluded


def _exclude_ids(exclude: Any, id: str) -> set[Any]:
    if exclude is None:
        return set()
    if isinstance(exclude, pd.DataFrame):
        if id not in exclude.columns:
            raise CxlabError(
                f"discover: exclude= is a table without column {id!r}; give the coded "
                "frame (response_id, theme) or a list of response ids."
            )
        return set(exclude[id].dropna())
    if isinstance(exclude, str) or not isinstance(exclude, Iterable):
        raise CxlabError("discover: exclude= must be a list of response ids or a coded frame.")
    return set(exclude)


def discover(
    data: Any,
    text: str = "verbatim",
    *,
    exclude: Any = None,
    n_themes: int = 8,
    seed: int = 0,
    max_features: int = 5000,
    min_df: int | float = 2,
    id: str = "response_id",
) -> ThemeDiscovery:
    """Discover themes in the verbatims not yet coded (TF-IDF + NMF).

    Parameters
    ----------
    data : DataFrame or Ibis table
        Responses with ``id`` and ``text``.
    text : str
        The verbatim column (masked before use).
    exclude : list of ids or DataFrame, optional
        Responses already coded, left out: their ids, or the coded frame
        (``response_id, theme``) that ``cxlab.voc.code`` returns.
    n_themes, seed, max_features, min_df :
        See :class:`ThemeDiscovery`.
    id : str
        The response key.

    Returns
    -------
    ThemeDiscovery
        Fitted: ``terms_``, ``examples_``, ``assignments_``, ``summary()``.

    References
    ----------
    Lee, D. D. & Seung, H. S. (1999). Learning the parts of objects by
    non-negative matrix factorization. Nature 401, 788-791. scikit-learn
    ``TfidfVectorizer`` and ``NMF`` (Pedregosa et al. 2011).

    Examples
    --------
    >>> import pandas as pd
    >>> texts = ["parcel arrived late, courier lost it", "courier late again, parcel damaged",
    ...          "staff friendly and helpful", "helpful staff, friendly store"] * 5
    >>> df = pd.DataFrame({"response_id": range(20), "verbatim": texts})
    >>> fit = discover(df, n_themes=2)
    >>> fit.summary()[["theme", "label", "n"]]
       theme                     label   n
    0      1  friendly, helpful, staff  10
    1      2     courier, late, parcel  10
    """
    fit = ThemeDiscovery(n_themes, seed=seed, max_features=max_features, min_df=min_df)
    return fit.fit(data, text, id=id, exclude=exclude)
