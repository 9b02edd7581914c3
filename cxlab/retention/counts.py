"""Event and censoring counts per group and time, computed in the engine.

Every survival statistic in :mod:`cxlab.retention` that needs no covariate
(Kaplan-Meier, median survival, the log-rank test) depends on the data only
through the number of events and censorings at each distinct time in each group.
:func:`event_table` computes that table with one ``GROUP BY`` in the engine (DuckDB
through Ibis, or an in-memory table for a pandas frame), so ten million customers
become a few thousand rows before any statistics run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["as_by", "event_table"]


def as_by(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of column names (``None`` -> no groups)."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _check_rows(t: ir.Table, duration: str, event: str, weight: str | None, where: str) -> None:
    """Refuse, in one message per rule, rows no survival analysis can use."""
    d, e = t[duration], t[event]
    if not d.type().is_numeric():
        raise CxlabError(
            f"{where}: column {duration!r} (duration) must be numeric (e.g. days or "
            f"months), not {d.type()}."
        )
    if not (e.type().is_numeric() or e.type().is_boolean()):
        raise CxlabError(
            f"{where}: column {event!r} (event) must be 0/1 or true/false, not {e.type()}."
        )
    ev = e.cast("float64")
    checks: dict[str, Any] = {
        "null_duration": d.isnull().sum(),
        "null_event": e.isnull().sum(),
        "negative": (d < 0).sum(),
        "not_finite": (d.cast("float64").isinf() | d.cast("float64").isnan()).sum(),
        "bad_event": (ev.notnull() & ~ev.isin([0.0, 1.0])).sum(),
    }
    if weight is not None:
        w = t[weight].cast("float64")
        checks["bad_weight"] = (w.isnull() | (w < 0) | w.isinf() | w.isnan()).sum()
    got = t.aggregate(**checks).to_pandas().iloc[0].fillna(0).astype(int)
    rules = {
        "null_duration": f"column {duration!r} (duration) is missing in {{}} row(s)",
        "null_event": f"column {event!r} (event) is missing in {{}} row(s)",
        "negative": f"column {duration!r} (duration) is negative in {{}} row(s)",
        "not_finite": f"column {duration!r} (duration) is infinite or NaN in {{}} row(s)",
        "bad_event": f"column {event!r} (event) is not 0/1 in {{}} row(s)",
        "bad_weight": f"column {weight!r} (weight) is missing, negative or infinite in {{}} row(s)",
    }
    wrong = [rules[k].format(int(got[k])) for k in rules if k in got and got[k] > 0]
    if wrong:
        raise CxlabError(f"{where}: {'; '.join(wrong)}. Fix or filter those rows first.")


def event_table(
    data: pd.DataFrame | ir.Table,
    duration: str,
    event: str,
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    where: str = "event_table",
) -> pd.DataFrame:
    """Events and censorings per group and distinct time, counted in the engine.

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        One row per subject (customer).
    duration : str
        Time from the origin to the event or to censoring (>= 0).
    event : str
        1 (or true) when the event (churn) was observed, 0 when censored.
    by : str or list of str, optional
        Group columns.
    weight : str, optional
        Case weights (>= 0); counts become sums of weights.

    Returns
    -------
    pandas.DataFrame
        The group columns, ``time, events, censored, rows, at_risk`` sorted by group
        and time; ``at_risk`` is the (weighted) number still under observation just
        before ``time`` within the group.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 2, 3], "e": [1, 1, 0, 0]})
    >>> event_table(d, "t", "e")[["time", "at_risk", "events", "censored"]].to_numpy().tolist()
    [[1.0, 4.0, 1.0, 0.0], [2.0, 3.0, 1.0, 1.0], [3.0, 1.0, 0.0, 1.0]]
    """
    import ibis

    groups = as_by(by)
    t = as_table(data)
    check_columns(t, [duration, event, weight, *groups], "data")
    _check_rows(t, duration, event, weight, where)
    w = t[weight].cast("float64") if weight is not None else ibis.literal(1.0)
    ev = t[event].cast("float64") == 1.0
    s = t.select(*groups, time=t[duration].cast("float64"), ev=ev, w=w)
    g = (
        s.group_by([*groups, "time"])
        .aggregate(
            events=s.w.sum(where=s.ev),
            censored=s.w.sum(where=~s.ev),
            rows=s.w.count(),
        )
        .to_pandas()
    )
    if g.empty:
        raise CxlabError(f"{where}: no rows in data.")
    g[["events", "censored"]] = g[["events", "censored"]].astype(float).fillna(0.0)
    g["rows"] = g["rows"].astype(np.int64)
    g = g.sort_values([*groups, "time"], kind="stable").reset_index(drop=True)
    left = g["events"] + g["censored"]
    if groups:
        key = [g[c] for c in groups]
        g["at_risk"] = left[::-1].groupby([k[::-1] for k in key], dropna=False).cumsum()[::-1]
    else:
        g["at_risk"] = left[::-1].cumsum()[::-1]
    return g[[*groups, "time", "events", "censored", "rows", "at_risk"]]
