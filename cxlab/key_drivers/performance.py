"""Importance-performance analysis: a driver's share of importance against its mean rating.

Martilla, J. A. & James, J. C. (1977). Importance-performance analysis.
*Journal of Marketing* 41(1), 77-79.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from cxlab.errors import CxlabError

if TYPE_CHECKING:
    from cxlab.key_drivers.model import KeyDrivers

__all__ = ["QUADRANTS", "importance_performance"]

#: (importance at or above its cut, performance at or above its cut) -> quadrant
QUADRANTS = {
    (True, False): "key weakness",
    (True, True): "key strength",
    (False, False): "secondary weakness",
    (False, True): "secondary strength",
}


def importance_performance(
    result: KeyDrivers | pd.DataFrame,
    performance: pd.Series | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Importance-performance table with quadrants.

    Importance is the driver's ``share``; performance its mean rating
    (``result["mean"]`` unless ``performance`` maps driver -> value). Cut
    lines are the means over drivers: high importance and low performance is
    a *key weakness* (fix first), high and high a *key strength*, low
    importance a *secondary* weakness or strength (Martilla & James 1977,
    "Importance-performance analysis", *Journal of Marketing* 41(1)).

    Parameters
    ----------
    result : KeyDrivers or pandas.DataFrame
        A fitted :class:`~cxlab.key_drivers.KeyDrivers` or its table
        (:func:`~cxlab.key_drivers.drivers`): ``driver``, ``share`` and
        ``mean`` columns.
    performance : mapping or Series, optional
        Driver -> performance, instead of the mean rating.

    Returns
    -------
    pandas.DataFrame
        ``driver, importance, performance`` (plus ``low``/``high`` share
        intervals when the result has them), ``quadrant``, and the cut lines
        ``importance_cut`` and ``performance_cut`` (the same on every row).

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"driver": ["a", "b"], "share": [0.7, 0.3], "mean": [5.0, 8.0]})
    >>> importance_performance(res)["quadrant"].tolist()
    ['key weakness', 'secondary strength']
    """
    if not isinstance(result, pd.DataFrame):
        result = result.importance_
    out = pd.DataFrame({"driver": result["driver"], "importance": result["share"]})
    if performance is None:
        if "mean" not in result:
            raise CxlabError("importance_performance: give performance (driver -> mean rating).")
        out["performance"] = result["mean"].to_numpy(float)
    else:
        perf = pd.Series(performance)
        missing = sorted(set(out["driver"]) - set(perf.index))
        if missing:
            raise CxlabError(f"performance is missing driver(s): {', '.join(map(repr, missing))}.")
        out["performance"] = out["driver"].map(perf).astype(float)
    for a, b in (("low", "share_low"), ("high", "share_high")):
        if b in result:
            out[a] = result[b].to_numpy(float)
    ic, pc = float(out["importance"].mean()), float(out["performance"].mean())
    out["quadrant"] = [
        QUADRANTS[(i >= ic, v >= pc)]
        for i, v in zip(out["importance"], out["performance"], strict=True)
    ]
    return out.assign(importance_cut=ic, performance_cut=pc)
