"""Coding verbatims against a codeframe in the engine: one row per response and theme.

One pass over the table: every theme's combined pattern
(:meth:`cxlab.voc.codeframe.Codeframe.regex`) becomes one boolean column of a
single projection (``regexp_matches`` in DuckDB, RE2), which is then unpivoted
and filtered to the hits -- not one scan per theme. The text never leaves the
engine; only the (response, theme) pairs do, or not even those with
:func:`coded_table`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError
from cxlab.voc.codeframe import Codeframe
from cxlab.voc.codeframe import codeframe as load_codeframe

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["code", "coded_table", "theme_indicators"]


def coded_table(
    data: Any,
    codeframe: str | Path | Codeframe = "retail_electronics",
    *,
    text: str = "verbatim",
    id: str = "response_id",
) -> ir.Table:
    """The coding as an Ibis expression (``id, theme``), for joins that stay in the engine.

    Same arguments as :func:`code`; nothing runs until the expression is
    executed. The emitted SQL reads the table once: one projection with a
    ``regexp_matches`` column per theme, an ``UNNEST`` of the theme columns and
    a filter on the hits.
    """
    cf = load_codeframe(codeframe)
    t = as_table(data)
    check_columns(t, [id, text])
    if not t[text].type().is_string():
        raise CxlabError(f"column {text!r} must hold text, not {t[text].type()}.")
    ids = cf.ids
    if id in ids:
        raise CxlabError(f"codeframe {cf.name!r}: theme id {id!r} clashes with the id column.")
    s = t[text]
    present = t.filter(s.notnull() & (s.strip().length() > 0))
    cols = {tid: present[text].re_search(cf.regex(tid)) for tid in ids}
    wide = present.select(present[id], **cols)
    long = wide.pivot_longer(ids, names_to="theme", values_to="_hit")
    return long.filter(long["_hit"]).select(id, "theme")


def code(
    data: Any,
    codeframe: str | Path | Codeframe = "retail_electronics",
    *,
    text: str = "verbatim",
    id: str = "response_id",
) -> pd.DataFrame:
    """Code verbatims against a codeframe: one row per response and theme mentioned.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        The responses, with an id column and a text column.
    codeframe : str, path or Codeframe
        A shipped codeframe's name, a YAML file (:func:`cxlab.voc.codeframe`) or a
        loaded :class:`~cxlab.voc.codeframe.Codeframe`.
    text, id : str
        The text and id columns.

    Returns
    -------
    pandas.DataFrame
        ``id, theme``, sorted; a response mentioning no theme, or whose text is
        missing or blank, has no row.

    Notes
    -----
    Matching runs in the engine with RE2 semantics (DuckDB ``regexp_matches``);
    the codeframe's patterns are checked to mean the same in Python's ``re``,
    and the tests compare the engine's coding with ``re`` on a corpus with
    case, word boundaries, punctuation and non-ASCII text.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cf.yaml"
    >>> _ = p.write_text("name: demo\\nthemes:\\n  late:\\n    label: Late\\n"
    ...                  "    keywords: [late, delayed]\\n")
    >>> df = pd.DataFrame({"response_id": [1, 2, 3], "verbatim": ["Late again!", "chocolate", None]})
    >>> code(df, p)
       response_id theme
    0            1  late
    """
    out = coded_table(data, codeframe, text=text, id=id).to_pandas()
    return out.sort_values([id, "theme"], kind="stable").reset_index(drop=True)


def theme_indicators(
    data: Any,
    coded: Any,
    *,
    id: str = "response_id",
    themes: list[str] | None = None,
) -> pd.DataFrame:
    """One row per response of ``data``, one 0/1 column per theme: themes as binary drivers.

    Joinable on ``id`` with attribute ratings, so that themes enter
    :func:`cxlab.drivers` beside them. Built in the engine: one ``GROUP BY id``
    over the coding with a ``MAX(theme = ...)`` per theme, left-joined to the
    responses (a response mentioning nothing gets zeros).

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        The responses (their ``id`` column).
    coded : pandas.DataFrame or Ibis table
        ``id, theme`` pairs (:func:`code`).
    themes : list of str, optional
        The columns, in order (e.g. ``codeframe(...).ids``); default: the themes in
        ``coded``, sorted.

    Examples
    --------
    >>> df = pd.DataFrame({"response_id": [1, 2, 3]})
    >>> coded = pd.DataFrame({"response_id": [1, 1, 3], "theme": ["late", "price", "late"]})
    >>> theme_indicators(df, coded)
       response_id  late  price
    0            1     1      1
    1            2     0      0
    2            3     1      0
    """
    t, c = as_table(data), as_table(coded)
    check_columns(t, [id])
    check_columns(c, [id, "theme"], "coded")
    if themes is None:
        themes = sorted(map(str, c.select("theme").distinct().to_pandas()["theme"]))
    if id in themes:
        raise CxlabError(f"theme id {id!r} clashes with the id column.")
    flags = {th: (c["theme"] == th).cast("int8").max() for th in themes}
    wide = c.group_by(c[id]).aggregate(**flags) if themes else c.select(c[id]).distinct()
    ids = t.select(t[id]).distinct()
    j = ids.left_join(wide, id).select(
        id, *(wide[th].fill_null(0).cast("int64").name(th) for th in themes)
    )
    out = j.to_pandas()
    return out.sort_values(id, kind="stable").reset_index(drop=True)
