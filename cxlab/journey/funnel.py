"""The stage funnel: journeys reaching each step, and the time between steps.

Steps run attraction -> interaction -> conversion -> cultivation, from the
per-journey summary (:func:`cxlab.journey.journey_summary`), counted in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats
from cxlab.errors import CxlabError
from cxlab.journey._common import JourneyColumns, journey_columns
from cxlab.journey.events import journey_summary

__all__ = ["stage_dropoff", "time_between_stages"]


def stage_dropoff(
    interactions: pd.DataFrame | ir.Table,
    *,
    level: float = 0.95,
    columns: JourneyColumns | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Journeys reaching each step of attraction -> interaction -> conversion -> cultivation.

    ``interaction`` counts interaction-stage events other than the conversion
    touch point. ``continued`` is the share of journeys that reached the previous
    step and also reached this one (Wilson interval); ``drop_off = 100 -
    continued``.

    Returns
    -------
    pandas.DataFrame
        ``step, journeys, share_of_all, continued, continued_low,
        continued_high, drop_off, level`` (shares in percent).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03",
    ...                                  "2025-01-01", "2025-01-02"]),
    ...     "touchpoint": ["Ad", "Store visit", "Purchase", "Ad", "Store visit"],
    ...     "stage": ["attraction", "interaction", "interaction", "attraction", "interaction"],
    ...     "channel": "web"})
    >>> stage_dropoff(ev)[["step", "journeys", "drop_off"]].values.tolist()[:3]
    [['attraction', 2, nan], ['interaction', 2, 0.0], ['conversion', 1, 50.0]]
    """
    jc = journey_columns(columns, options, "stage_dropoff")
    s = journey_summary(interactions, columns=jc)
    steps = ["attraction", "interaction", "conversion", "cultivation"]
    reached = {st: s[f"t_{st}"].notnull() for st in steps}
    aggs: dict[str, Any] = {"n_all": s.count()}
    for i, st in enumerate(steps):
        aggs[f"r_{st}"] = reached[st].sum()
        if i:
            aggs[f"b_{st}"] = (reached[steps[i - 1]] & reached[st]).sum()
    g = s.aggregate(**aggs).to_pandas().iloc[0].fillna(0)
    n_all = float(g["n_all"])
    if n_all == 0:
        raise CxlabError("interactions: no journeys.")
    rows = []
    for i, st in enumerate(steps):
        r = int(g[f"r_{st}"])
        if i:
            prev = float(g[f"r_{steps[i - 1]}"])
            est, lo, hi = stats.proportion_ci(float(g[f"b_{st}"]), prev, level=level)
        else:
            est = lo = hi = np.nan
        rows.append(
            {
                "step": st,
                "journeys": r,
                "share_of_all": 100 * r / n_all,
                "continued": est,
                "continued_low": lo,
                "continued_high": hi,
                "drop_off": 100 - est,
                "level": level,
            }
        )
    return pd.DataFrame(rows)


def time_between_stages(
    interactions: pd.DataFrame | ir.Table,
    *,
    quantiles: Sequence[float] = (0.25, 0.5, 0.75, 0.9),
    columns: JourneyColumns | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Days from the first event of one step to the first of the next, per journey.

    Steps as in :func:`stage_dropoff`. Quantiles (``quantile_cont``) and means are
    computed in the engine over the journeys that reached both steps.

    Returns
    -------
    pandas.DataFrame
        ``from_step, to_step, journeys, mean_days``, then ``q25, q50, ...``.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-04"]),
    ...     "touchpoint": ["Ad", "Store visit", "Purchase"],
    ...     "stage": ["attraction", "interaction", "interaction"], "channel": "web"})
    >>> time_between_stages(ev)[["from_step", "to_step", "q50"]].values.tolist()[:2]
    [['attraction', 'interaction', 2.0], ['interaction', 'conversion', 1.0]]
    """
    jc = journey_columns(columns, options, "time_between_stages")
    s = journey_summary(interactions, columns=jc)
    steps = ["attraction", "interaction", "conversion", "cultivation"]
    rows = []
    for a, b in zip(steps[:-1], steps[1:], strict=True):
        d = (s[f"t_{b}"].epoch_seconds() - s[f"t_{a}"].epoch_seconds()) / 86400.0
        both = s[f"t_{a}"].notnull() & s[f"t_{b}"].notnull()
        aggs = {"journeys": both.sum(), "mean_days": d.mean(where=both)}
        for q in quantiles:
            aggs[f"q{round(100 * q):02d}"] = d.quantile(q, where=both)
        g = s.aggregate(**aggs).to_pandas().iloc[0]
        rows.append({"from_step": a, "to_step": b, **g.to_dict()})
    out = pd.DataFrame(rows)
    out["journeys"] = out["journeys"].fillna(0).astype("int64")
    return out
