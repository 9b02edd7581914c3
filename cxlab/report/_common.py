"""What the report modules share: counts at the effective n, group columns, base marks.

Public names in a private module: the report's own modules import them; users
reach :data:`NOT_RECORDED` and :func:`label_missing` as ``cxlab.report.*``.
"""

from __future__ import annotations

from typing import ParamSpec, TypeVar

import pandas as pd

from cxlab import stats
from cxlab._html import md_escape
from cxlab.errors import CxlabError

__all__ = [
    "NOT_RECORDED",
    "base_mark",
    "effective_counts",
    "group_column",
    "label_missing",
    "low_base_note",
]

P = ParamSpec("P")
R = TypeVar("R")

#: Label of the group of responses whose channel, touch point, segment... is missing.
NOT_RECORDED = "not recorded"


def effective_counts(row: pd.Series) -> pd.Series:
    """Counts rescaled to the Kish effective n (identity for unweighted rows)."""
    total = float(row["detractors"] + row["passives"] + row["promoters"])
    scale = float(row.get("n_eff", total)) / total if total > 0 else 0.0
    out = row.astype(object)
    for c in ("detractors", "passives", "promoters"):
        out[c] = float(row[c]) * scale
    out["n"] = float(row.get("n_eff", total))
    return out


def group_column(table: pd.DataFrame) -> str:
    """The group column of a one-dimension breakdown (results put group columns first)."""
    cols = list(table.columns[: table.columns.get_loc("n")])
    if len(cols) != 1:
        raise CxlabError(f"expected one group column, found {cols}.")
    return cols[0]


def low_base_note(row: pd.Series) -> str:
    """``"; indicative base *"`` for a low-base row, else ``""`` (Markdown-escaped marks)."""
    flag = str(row.get("flag", "reportable"))
    if flag not in ("indicative", "unreliable"):
        return ""
    return f", {flag} base {md_escape(stats.BASE_MARKS[flag])}"


def base_mark(row: pd.Series) -> str:
    """`` *``/`` **`` (Markdown-escaped) after a low-base group's name, as in charts."""
    mark = stats.BASE_MARKS.get(str(row.get("flag", "reportable")), "")
    return f" {md_escape(mark)}" if mark else ""


def label_missing(table: pd.DataFrame, column: str) -> pd.DataFrame | None:
    """Label missing values of ``column`` as :data:`NOT_RECORDED`; ``None`` if all are missing.

    Examples
    --------
    >>> t = pd.DataFrame({"channel": ["web", None], "n": [3, 2]})
    >>> label_missing(t, "channel")["channel"].tolist()
    ['web', 'not recorded']
    >>> label_missing(t.assign(channel=None), "channel") is None
    True
    """
    missing = table[column].isna()
    if len(table) == 0 or missing.all():
        return None
    if missing.any():
        table = table.copy()
        table[column] = table[column].astype(object).where(~missing, NOT_RECORDED)
    return table
