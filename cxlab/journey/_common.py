"""What more than one module of :mod:`cxlab.journey` needs: state names, shared tests, order.

Package-internal (the leading underscore is on the module): the names here are
public to the package's modules and not part of the user API, except
``START``, ``CONVERSION`` and ``DROP_OFF``, which :mod:`cxlab.journey` re-exports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, TypeGuard

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab.errors import CxlabError

START = "(start)"
CONVERSION = "(conversion)"
DROP_OFF = "(drop-off)"
PURCHASE = "Purchase"


@dataclass(frozen=True)
class JourneyColumns:
    """How an event log is read into journeys: its columns and the two journey rules.

    Every function that infers journeys (:func:`cxlab.journey.journeys` and
    those built on it) takes ``columns=JourneyColumns(...)``, and each field
    also as a keyword of its own (``gap_days=14``), which wins over ``columns``.

    Parameters
    ----------
    customer, time, touchpoint, stage, channel : str
        Column names of the event log (``channel`` is read only by the
        functions that need it).
    tiebreak : str, optional
        Column ordering events with the same timestamp (ignored when absent).
    gap_days : float
        A silence longer than this starts a new journey (except at a
        cultivation-stage event).
    conversion : str
        The touch point that counts as conversion.

    Examples
    --------
    >>> JourneyColumns(gap_days=14).gap_days
    14
    >>> JourneyColumns(gap_days=0)
    Traceback (most recent call last):
    ...
    cxlab.errors.CxlabError: gap_days must be > 0, not 0.
    """

    customer: str = "customer_id"
    time: str = "timestamp"
    touchpoint: str = "touchpoint"
    stage: str = "stage"
    channel: str = "channel"
    tiebreak: str | None = "interaction_id"
    gap_days: float = 30
    conversion: str = PURCHASE

    def __post_init__(self) -> None:
        if not self.gap_days > 0:
            raise CxlabError(f"gap_days must be > 0, not {self.gap_days}.")


def journey_columns(
    columns: JourneyColumns | None, options: dict[str, Any], where: str
) -> JourneyColumns:
    """``columns`` (default: :class:`JourneyColumns`) with the keywords in ``options`` applied.

    An unknown keyword is refused with the list of the known ones (``where``
    names the function).
    """
    base = JourneyColumns() if columns is None else columns
    if not isinstance(base, JourneyColumns):
        raise TypeError(f"{where}: columns must be a JourneyColumns, not {type(base).__name__}.")
    known = [f.name for f in fields(JourneyColumns)]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(
            f"{where}() got unexpected keyword argument(s) {unknown}; the journey options "
            f"are {known} (or columns=JourneyColumns(...))."
        )
    return replace(base, **options) if options else base


def two_proportions(
    c1: float, n1: float, c0: float, n0: float, level: float
) -> tuple[float, float, float, float]:
    """Difference of two independent proportions in percentage points: (diff, low, high, p).

    Newcombe's hybrid score interval and the score test (statsmodels
    ``confint_proportions_2indep`` / ``test_proportions_2indep``; Newcombe 1998,
    Statistics in Medicine 17). NaN when a group is empty.
    """
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    if not (n1 > 0 and n0 > 0):
        return np.nan, np.nan, np.nan, np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = confint_proportions_2indep(
            c1, n1, c0, n0, method="newcomb", compare="diff", alpha=1 - level
        )
        if 0 < c1 + c0 < n1 + n0:
            p = test_proportions_2indep(c1, n1, c0, n0, method="score", compare="diff").pvalue
        else:
            p = 1.0  # all or none converted in both groups: no evidence of a difference
    return 100 * (c1 / n1 - c0 / n0), 100 * float(lo), 100 * float(hi), float(p)


ADJ_COLS = [
    "odds_ratio",
    "or_low",
    "or_high",
    "adj_diff",
    "adj_diff_low",
    "adj_diff_high",
    "p",
    "p_adj",
    "verdict",
]


FLAG_RANK = {"reportable": 0, "": 0, "indicative": 1, "unreliable": 2}


def by_evidence(out: pd.DataFrame, min_reach: float = 0.01) -> pd.DataFrame:
    """Reportable bases first, by adjusted p (smallest first); low bases, touch points met
    on fewer than ``min_reach`` of the journeys and untested rows last."""
    rank = out["flag"].map(FLAG_RANK).fillna(2).to_numpy(float)
    low_reach = (out["reach"] < min_reach).to_numpy() if "reach" in out else False
    key = out.assign(
        _f=np.where(low_reach, np.maximum(rank, 1), rank),
        _na=out["p_adj"].isna(),
        _d=out["adj_diff"] if "adj_diff" in out else np.nan,
    )
    key = key.sort_values(
        ["_f", "_na", "p_adj", "_d", "touchpoint"], kind="stable", na_position="last"
    )
    return key.drop(columns=["_f", "_na", "_d"]).reset_index(drop=True)


def unit_responses(con: Any, unit: str) -> ir.Table:
    r = con.table("responses")
    if unit == "ALL":
        return r
    units = r.select("unit").distinct().to_pandas()["unit"].tolist()
    if unit not in units:
        raise CxlabError(f"unit {unit!r} not in the warehouse; units: {', '.join(sorted(units))}.")
    return r.filter(r.unit == unit)


def is_number(v: Any) -> TypeGuard[float]:
    """A finite int or float (not a bool)."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
