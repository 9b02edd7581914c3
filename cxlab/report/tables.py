"""The report's tables: metrics side by side and result tables formatted by meaning.

Formatting is :func:`cxlab.tables.format_table` (numbers by what they mean,
names escaped); this module chooses the columns and headers the report shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from cxlab import metrics, tables
from cxlab._checks import renamed_keywords
from cxlab.report._common import label_missing

__all__ = ["breakdown_table", "headline_table", "scorecard", "scorecard_table", "table_html"]


@renamed_keywords(ltr="score")
def scorecard(
    data: pd.DataFrame | ir.Table,
    by: str | Sequence[str],
    *,
    level: float = 0.95,
    score: str = "ltr",
    csat: str = "csat",
    ces: str = "ces",
    weight: str | None = None,
) -> pd.DataFrame:
    """NPS, CSAT top-2-box and CES % easy side by side, one row per group (``weight``: a column).

    ``score`` is the LTR column of the NPS (formerly ``ltr=``, still accepted
    with a :class:`DeprecationWarning`); ``csat`` and ``ces`` name the other two.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``n, nps, nps_low, nps_high, csat_top2, csat_low,
        csat_high, csat_mean, ces_easy, ces_low, ces_high, ces_mean, flag``.
    """

    keys = [by] if isinstance(by, str) else list(by)
    out = metrics.nps(data, score, by=keys, level=level, weight=weight)[
        [*keys, "n", "nps", "low", "high", "flag"]
    ]
    out = out.rename(columns={"low": "nps_low", "high": "nps_high"})
    for name, func, col, share in (
        ("csat", metrics.csat, csat, "top2"),
        ("ces", metrics.ces, ces, "easy"),
    ):
        part = func(data, col, by=keys, level=level, weight=weight)[
            [*keys, "top_box", "top_box_low", "top_box_high", "mean"]
        ]
        part.columns = [*keys, f"{name}_{share}", f"{name}_low", f"{name}_high", f"{name}_mean"]
        out = out.merge(part, on=keys, how="left")
    for key in keys:
        out = label_missing(out, key) if len(out) else out
        if out is None:
            return pd.DataFrame(columns=[*keys, "n", "nps", "flag"])
    return out[[c for c in out.columns if c != "flag"] + ["flag"]]


@renamed_keywords(frame="data")
def table_html(
    data: pd.DataFrame,
    columns: Mapping[tables.Column, str],
    *,
    digits: int | None = None,
    **kwargs: Any,
) -> str:
    """A plain, escaped HTML table of selected columns, numbers formatted by meaning.

    ``columns`` maps column name (or ``(estimate, low, high)`` for one interval
    cell) -> header; see :func:`cxlab.tables.format_table`, which this wraps
    (keyword arguments go to it). ``digits`` is ignored: decimals follow what a
    number is (counts, percentages, effects, p-values), not the table.
    ``data`` was called ``frame`` (still accepted, with a :class:`DeprecationWarning`).
    """
    del digits
    return tables.format_table(data, columns, **kwargs).to_html()


def headline_table(
    headline: pd.Series,
    pair: pd.DataFrame,
    *,
    quarter: str,
    previous: str,
    level: float | None = None,
) -> tables.FormattedTable:
    """The headline table: this quarter's NPS and, when it had responses, the previous one's.

    Parameters
    ----------
    headline : pandas.Series
        A row of :func:`cxlab.nps` for the scope this quarter.
    pair : pandas.DataFrame
        :func:`cxlab.nps` by ``quarter`` for this quarter and the previous one;
        the previous quarter is shown when it has a scored response.
    quarter, previous : str
        This quarter's and the previous quarter's labels.
    level : float, optional
        For the header; default the headline's level.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10, 9, 3, 7, 10, 2] * 20,
    ...                    "quarter": ["2026Q3"] * 60 + ["2026Q2"] * 60})
    >>> pair = cxlab.nps(df, "ltr", by="quarter")
    >>> head = pair[pair["quarter"] == "2026Q3"].iloc[0]
    >>> print(headline_table(head, pair, quarter="2026Q3", previous="2026Q2"))
                     Quarter  NPS (95% interval) Responses
        This quarter  2026Q3 16.7 (-6.1 to 37.9)        60
    Previous quarter  2026Q2 16.7 (-6.1 to 37.9)        60
    >>> print(headline_table(head, pair, quarter="2026Q3", previous="2026Q1"))
                 Quarter  NPS (95% interval) Responses
    This quarter  2026Q3 16.7 (-6.1 to 37.9)        60
    """
    level = float(headline["level"]) if level is None else level
    rows = [("This quarter", quarter, *headline[["nps", "low", "high", "n"]])]
    before = pair[(pair["quarter"] == previous) & (pair["n"] > 0)]
    if len(before):
        rows.append(("Previous quarter", previous, *before.iloc[0][["nps", "low", "high", "n"]]))
    head = pd.DataFrame(rows, columns=["period", "quarter", "nps", "low", "high", "n"])
    return tables.format_table(
        head,
        {
            "period": "",
            "quarter": "Quarter",
            ("nps", "low", "high"): f"NPS ({level:.0%} interval)",
            "n": "Responses",
        },
    )


def breakdown_table(
    data: pd.DataFrame, by: str, *, label: str, level: float | None = None
) -> tables.FormattedTable:
    """One breakdown of the report as a table, lowest NPS first.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`cxlab.report.versus_rest` (one breakdown).
    by : str
        Its group column.
    label : str
        The header of the group column, e.g. ``"Touch point"``.
    level : float, optional
        For the header; default the result's level.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10, 3] * 40 + [10] * 5, "ch": ["Web"] * 80 + ["<b>"] * 5})
    >>> res = cxlab.report.versus_rest(cxlab.nps(df, "ltr", by="ch"))
    >>> "&lt;b&gt;" in breakdown_table(res, "ch", label="Channel").to_html()
    True
    """
    if level is None:
        level = float(data["level"].iloc[0]) if len(data) else 0.95
    return tables.format_table(
        data.sort_values("nps"),
        {
            by: label,
            "n": "Responses",
            ("nps", "low", "high"): f"NPS ({level:.0%} interval)",
            "pct_promoters": "% promoters",
            "pct_detractors": "% detractors",
            "p_adj": "p vs rest (Holm)",
            "verdict": "Verdict",
        },
        blank={"verdict": "no clear difference"},
        missing={
            c: "no scored response" for c in ("nps", "pct_promoters", "pct_detractors", "p_adj")
        },
    )


def scorecard_table(data: pd.DataFrame, by: str, *, label: str) -> tables.FormattedTable:
    """A :func:`scorecard` as a table (NPS, CSAT and CES side by side), lowest NPS first.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ltr": [10, 3, 9], "csat": [5, 2, None], "ces": [float("nan")] * 3,
    ...                    "tp": ["Store", "Store", "Web"]})
    >>> print(scorecard_table(scorecard(df, "tp"), "tp", label="Touch point"))
    Touch point Responses   NPS CSAT % 4-5 CSAT mean CES % easy CES mean
       Store **         2   0.0       50.0      3.50        n/a      n/a
         Web **         1 100.0        n/a       n/a        n/a      n/a
    n/a in CSAT % 4-5, CSAT mean: no CSAT answer in that group.
    n/a in CES % easy, CES mean: no CES answer in that group.
    ** unreliable base (n < 30): read the interval rather than the point.
    """
    return tables.format_table(
        data.sort_values("nps"),
        {
            by: label,
            "n": "Responses",
            "nps": "NPS",
            "csat_top2": "CSAT % 4-5",
            "csat_mean": "CSAT mean",
            "ces_easy": "CES % easy",
            "ces_mean": "CES mean",
        },
        missing={
            "nps": "no scored response",
            "csat_top2": "no CSAT answer in that group",
            "csat_mean": "no CSAT answer in that group",
            "ces_easy": "no CES answer in that group",
            "ces_mean": "no CES answer in that group",
        },
    )
