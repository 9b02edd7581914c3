"""Themes as key drivers: the most-mentioned themes as 0/1 drivers beside the ratings.

:func:`themes_as_drivers` codes the rated respondents' verbatims with a codeframe
(:func:`cxlab.voc.coded_table`, in the engine), takes the ``top`` themes they
mention most, turns them into 0/1 columns (:func:`cxlab.voc.theme_indicators`)
and fits :class:`cxlab.key_drivers.KeyDrivers` on the ratings and the themes
together, so a report can say whether what people write adds to what they rate.
:func:`themes_drivers_table` is the result as a report table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from cxlab._checks import as_table
from cxlab.errors import CxlabError, TooLittleData
from cxlab.key_drivers import KeyDrivers
from cxlab.tables import FormattedTable, format_table
from cxlab.voc.code import coded_table, theme_indicators
from cxlab.voc.codeframe import Codeframe
from cxlab.voc.codeframe import codeframe as load_codeframe

__all__ = ["THEME_PREFIX", "themes_as_drivers", "themes_drivers_table"]

#: how a theme's column is named among the drivers: ``"theme: " + label``
THEME_PREFIX = "theme: "


def themes_as_drivers(
    data: Any,
    responses: Any,
    ratings: list[str],
    *,
    score: str = "ltr",
    codeframe: str | Path | Codeframe = "retail_electronics",
    top: int = 4,
    method: str = "relative-weights",
    weight: str | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
    text: str = "verbatim",
    id: str = "response_id",
) -> tuple[KeyDrivers | None, str]:
    """Key drivers of ``score`` with the ``top`` most-mentioned themes beside the ratings.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        One row per rated respondent: ``id``, ``score``, the ``ratings`` columns
        (and ``weight``), e.g. :func:`cxlab.key_drivers.driver_frame`.
    responses : pandas.DataFrame or Ibis table
        The responses with ``id`` and the verbatim ``text``.
    ratings : list of str
        The attribute columns of ``data``.
    codeframe : name, path or Codeframe
        The themes (:func:`cxlab.voc.codeframe`).
    top : int
        Themes that enter: those the rated respondents mention most (ties by id).
    method, weight, n_boot, level, seed
        As :class:`cxlab.key_drivers.KeyDrivers`; relative weights by default, as
        Shapley values grow exponentially with the number of drivers.

    Returns
    -------
    (KeyDrivers or None, str)
        The fit (theme columns named ``"theme: " + label``) and ``""``, or ``None``
        and a plain sentence saying why no theme could enter (no verbatims, no
        theme mentioned, too little data).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> n = 300
    >>> late = rng.random(n) < 0.3
    >>> wide = pd.DataFrame({"response_id": range(n), "speed": rng.integers(0, 11, n)})
    >>> wide["ltr"] = np.clip(wide["speed"] - 3 * late + rng.integers(-1, 2, n), 0, 10)
    >>> said = pd.DataFrame({"response_id": range(n),
    ...                      "verbatim": np.where(late, "parcel came late", "fine")})
    >>> fit, why = themes_as_drivers(wide, said, ["speed"], n_boot=0)
    >>> fit.importance_["driver"].tolist()
    ['speed', 'theme: Late delivery']

    Source: themes as binary drivers beside ratings, as in Text iQ's "drivers"
    view; importances by :class:`cxlab.key_drivers.KeyDrivers`.
    """
    r = as_table(responses)
    if text not in r.columns:
        return None, "The responses have no verbatim column, so no theme enters the drivers."
    cf = load_codeframe(codeframe)
    t = as_table(data)
    coded = coded_table(r, cf, text=text, id=id)
    rated = coded.semi_join(t.select(id), id)
    counts = rated.group_by("theme").aggregate(n=rated.count()).to_pandas()
    counts = counts.sort_values(["n", "theme"], ascending=[False, True], kind="stable")
    themes = list(counts["theme"].head(int(top)))
    if not themes:
        return None, (
            "No verbatim of the rated respondents mentions a theme of the codeframe, so "
            "no theme enters the drivers."
        )
    labels = cf.labels()
    names = {th: THEME_PREFIX + labels.get(th, th) for th in themes}
    flags = theme_indicators(t.select(id), rated, id=id, themes=themes).rename(columns=names)
    frame = t.to_pandas().merge(flags, on=id, how="left")
    fit = KeyDrivers(method=method, weight=weight, n_boot=n_boot, level=level, seed=seed)
    try:
        fit.fit(frame, score, [*ratings, *names.values()])
    except TooLittleData as exc:
        return None, f"The themes could not enter the drivers: {exc}"
    except CxlabError as exc:  # e.g. a theme everyone mentions (a constant column)
        return None, f"The themes could not enter the drivers: {exc}"
    return fit, ""


def themes_drivers_table(fit: KeyDrivers) -> FormattedTable:
    """:func:`themes_as_drivers`' importances as a report table: each driver, whether a
    rating or a theme, its share of the explained variation with its interval and
    its direction; names escaped by :func:`cxlab.tables.format_table`.

    Examples
    --------
    >>> import numpy as np
    >>> df = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8], "theme: Late": [0, 1, 0, 1, 0, 0, 1, 0]})
    >>> df["ltr"] = [1.0, 1, 3, 3, 6, 8, 7, 9]
    >>> t = themes_drivers_table(KeyDrivers(method="relative-weights").fit(df, "ltr", ["a", "theme: Late"]))
    >>> t.frame["kind"].tolist()
    ['rating', 'theme']
    """
    res = fit.importance_
    is_theme = res["driver"].astype(str).str.startswith(THEME_PREFIX)
    frame = pd.DataFrame(
        {
            "rank": range(1, len(res) + 1),
            "driver": [
                d[len(THEME_PREFIX) :] if th else d
                for d, th in zip(res["driver"].astype(str), is_theme, strict=True)
            ],
            "kind": ["theme" if th else "rating" for th in is_theme],
            "pct": 100 * res["share"].to_numpy(float),
            "pct_low": 100 * res["share_low"].to_numpy(float),
            "pct_high": 100 * res["share_high"].to_numpy(float),
            "direction": res["sign"].map({1: "+", -1: "-"}).to_numpy(),
        }
    )
    label = "importance %" + (f" ({fit.level:.0%} interval)" if fit.n_boot else "")
    return format_table(
        frame,
        {
            "rank": "rank",
            "driver": "driver",
            "kind": "kind",
            ("pct", "pct_low", "pct_high"): label,
            "direction": "direction",
        },
        kinds={"rank": "count", "driver": "text", "kind": "text", "pct": "pct"},
        flag=None,
    )
