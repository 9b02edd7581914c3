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
from cxlab.report._common import label_missing

__all__ = ["scorecard", "table_html"]


def scorecard(
    data: pd.DataFrame | ir.Table,
    by: str | Sequence[str],
    *,
    level: float = 0.95,
    ltr: str = "ltr",
    csat: str = "csat",
    ces: str = "ces",
    weight: str | None = None,
) -> pd.DataFrame:
    """NPS, CSAT top-2-box and CES % easy side by side, one row per group (``weight``: a column).

    Returns
    -------
    pandas.DataFrame
        Group columns, ``n, nps, nps_low, nps_high, csat_top2, csat_low,
        csat_high, csat_mean, ces_easy, ces_low, ces_high, ces_mean, flag``.
    """

    keys = [by] if isinstance(by, str) else list(by)
    out = metrics.nps(data, ltr, by=keys, level=level, weight=weight)[
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


def table_html(
    frame: pd.DataFrame,
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
    """
    del digits
    return tables.format_table(frame, columns, **kwargs).to_html()
