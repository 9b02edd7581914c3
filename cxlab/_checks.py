"""Input checks shared by every analysis module: the level, the columns, the table.

One message per rule, worded the same wherever the rule applies. Light to
import (Ibis and pandas are imported by the functions that need them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cxlab.errors import CxlabError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["as_table", "check_columns", "check_level"]


def check_level(level: Any, where: str) -> float:
    """``level`` as a float strictly between 0 and 1, else one message naming ``where``.

    Examples
    --------
    >>> check_level(0.9, "nps")
    0.9
    """
    try:
        lv = float(level)
    except (TypeError, ValueError):
        raise CxlabError(f"{where}: level must be a number in (0, 1), got {level!r}.") from None
    if not 0.0 < lv < 1.0:
        raise CxlabError(
            f"{where}: level must lie strictly between 0 and 1 (e.g. 0.95), got {level!r}."
        )
    return lv


def as_table(data: Any) -> ir.Table:
    """Return ``data`` as an Ibis table (pandas frames become in-memory DuckDB tables)."""
    import ibis
    import ibis.expr.types as ir
    import pandas as pd

    if isinstance(data, ir.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return ibis.memtable(data)
    raise CxlabError(
        f"data must be a pandas DataFrame or an Ibis table, not {type(data).__name__}."
    )


def check_columns(t: ir.Table, columns: Sequence[str | None], what: str = "data") -> None:
    """Refuse, in one message listing what there is, columns that ``t`` does not have."""
    missing = [c for c in columns if c is not None and c not in t.columns]
    if missing:
        raise CxlabError(
            f"column(s) {', '.join(map(repr, missing))} not found in {what}; "
            f"available: {', '.join(t.columns)}."
        )
