"""What the report modules share: counts at the effective n, group columns, base marks.

Public names in a private module: the report's own modules import them; users
reach :data:`NOT_RECORDED` and :func:`label_missing` as ``cxlab.report.*``.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
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
    "renamed_keywords",
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


def renamed_keywords(**old_to_new: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept a keyword's former name for now, with a :class:`DeprecationWarning`.

    ``@renamed_keywords(result="data")`` lets ``f(result=x)`` run as
    ``f(data=x)`` and warns that the keyword is now ``data=`` (the name cxlab
    uses everywhere, issue #10); giving both names is a :class:`CxlabError`.
    The decorated function's signature shows the new names only. Written here
    because the standard library has no such decorator (``warnings.deprecated``
    deprecates whole functions); the same rule as ``renamed`` in
    :mod:`cxlab.key_drivers`, which renames keyword-only parameters in place.

    Examples
    --------
    >>> import warnings
    >>> @renamed_keywords(table="data")
    ... def rows(data):
    ...     return len(data)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     rows(table=[1, 2])
    2
    >>> str(caught[0].message)
    'rows(table=...) is now rows(data=...) (the name cxlab uses everywhere); table= still works.'
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise CxlabError(
                        f"{func.__name__}: give {new}= or its former name {old}=, not both."
                    )
                warnings.warn(
                    f"{func.__name__}({old}=...) is now {func.__name__}({new}=...) (the name "
                    f"cxlab uses everywhere); {old}= still works.",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
