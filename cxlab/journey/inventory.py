"""The touch-point inventory (warehouse) and each touch point against the same customers.

:func:`inventory` joins the ``touchpoints`` table to each touch point's survey
scores and its operational KPI from the interactions;
:func:`touchpoint_vs_overall` pairs a customer's score at a touch point with
their score everywhere else.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats
from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError, TooLittleData
from cxlab.journey._common import JourneyColumns, journey_columns, unit_responses
from cxlab.journey.events import interactions_view
from cxlab.journey.markov import removal_effects
from cxlab.schema import STAGES

__all__ = ["inventory", "touchpoint_vs_overall"]


def inventory(
    con: Any,
    *,
    unit: str = "ALL",
    level: float = 0.95,
    weight: str | None = None,
    columns: JourneyColumns | None = None,
    **options: Any,
) -> pd.DataFrame:
    """The touch-point inventory with each touch point's relationship and operational scores.

    One row per touch point of the ``touchpoints`` table (channels listed),
    joined to its survey scores -- NPS (adjusted-Wald interval, tested against
    all other touch points with Holm's correction, :func:`cxlab.report.versus_rest`),
    CSAT % 4-5 and CES % 5-7 (Wilson intervals) -- and to one operational KPI
    derivable from the interactions: the conversion rate of the journeys that pass
    through the touch point (see :func:`removal_effects`). Touch points
    without responses or interactions keep NaN scores.

    Parameters
    ----------
    con : ibis backend
        From :func:`cxlab.warehouse.connect`.
    unit : str
        A business unit or ``"ALL"``.
    weight : str, optional
        Survey-weight column of the responses: NPS, CSAT and CES shares are weighted and their
        intervals rest on the Kish effective n (``n`` stays the number of
        responses). Counts of interactions and journeys are never weighted:
        survey weights weight survey responses, not events. ``None``: unweighted.
    columns, **options
        The journey rules for the conversion KPI (:class:`JourneyColumns`).

    Returns
    -------
    pandas.DataFrame
        ``touchpoint, stage, channels, intentional, owner, operational_kpi,
        n, n_eff, nps, nps_low, nps_high, nps_rest, p_adj, verdict, flag, csat_top2,
        csat_low, csat_high, ces_easy, ces_low, ces_high, journeys, conv_rate,
        conv_low, conv_high, conv_flag, interactions, weak`` in journey order (stage, then
        name). ``weak`` is true when the NPS is significantly below the other
        touch points (``verdict == "below"``); ``conv_flag`` is the base-size flag of
        the journeys through it (after-sales touch points join the purchase
        they follow, so they lie on a path to purchase only when a customer's
        contact precedes all their purchases: their conversion is usually NaN).

    Examples
    --------
    >>> from cxlab import warehouse
    >>> inv = inventory(warehouse.connect("data/cxlab.duckdb"))  # doctest: +SKIP
    """
    from cxlab.metrics import ces, csat, nps
    from cxlab.report import versus_rest

    jc = journey_columns(columns, options, "inventory")

    tp = con.table("touchpoints")
    inv = (
        tp.group_by("touchpoint")
        .aggregate(
            # min, not first: one value per touch point, and deterministic on every
            # backend (PostgreSQL has no first aggregate)
            stage=tp.stage.min(),
            # sorted below: an ordered aggregate is not available on every backend (Spark)
            channels=tp.channel.collect(),
            intentional=tp.intentional.any(),
            owner=tp.owner.min(),
            operational_kpi=tp.operational_kpi.min(),
        )
        .to_pandas()
    )
    if inv.empty:
        raise CxlabError("table 'touchpoints' is empty: load the touch-point inventory first.")
    inv["channels"] = [
        ", ".join(sorted(map(str, c))) if c is not None and len(c) else None
        for c in inv["channels"]
    ]
    r = unit_responses(con, unit)
    n = versus_rest(nps(r, "ltr", by="touchpoint", level=level, weight=weight), level=level)
    n = n.rename(columns={"low": "nps_low", "high": "nps_high"})
    n = n[
        ["touchpoint", "n", "n_eff", "nps", "nps_low", "nps_high", "nps_rest", "p_adj", "verdict"]
        + ["flag"]
    ]
    cs = csat(r, "csat", by="touchpoint", level=level, weight=weight)[
        ["touchpoint", "top_box", "top_box_low", "top_box_high"]
    ].rename(
        columns={"top_box": "csat_top2", "top_box_low": "csat_low", "top_box_high": "csat_high"}
    )
    ce = ces(r, "ces", by="touchpoint", level=level, weight=weight)[
        ["touchpoint", "top_box", "top_box_low", "top_box_high"]
    ].rename(columns={"top_box": "ces_easy", "top_box_low": "ces_low", "top_box_high": "ces_high"})
    it = interactions_view(con, unit)
    ev = it.group_by("touchpoint").aggregate(interactions=it.count()).to_pandas()
    out = inv.merge(n, on="touchpoint", how="left").merge(cs, on="touchpoint", how="left")
    out = out.merge(ce, on="touchpoint", how="left").merge(ev, on="touchpoint", how="left")
    try:
        re = removal_effects(it, columns=jc, level=level, n_boot=0)
        re = re[["touchpoint", "journeys", "conv_rate", "conv_low", "conv_high"]]
        out = out.merge(re, on="touchpoint", how="left")
    except CxlabError:
        for c in ("journeys", "conv_rate", "conv_low", "conv_high"):
            out[c] = np.nan
    out["conv_flag"] = np.where(
        out["journeys"].isna(), "", stats.base_flag(out["journeys"].fillna(0).to_numpy(float))
    )
    out["interactions"] = out["interactions"].fillna(0).astype("int64")
    out["n"] = out["n"].fillna(0).astype("int64")
    out["n_eff"] = out["n_eff"].fillna(0.0)
    out["weak"] = out["verdict"].eq("below")
    out["_s"] = out["stage"].map({s: i for i, s in enumerate(STAGES)})
    out = out.sort_values(["_s", "touchpoint"], kind="stable").drop(columns="_s")
    return out.reset_index(drop=True)


def touchpoint_vs_overall(
    responses: pd.DataFrame | ir.Table,
    score: str = "ltr",
    *,
    touchpoint: str = "touchpoint",
    customer: str = "customer_id",
    level: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """A customer's score at each touch point against the same customer's score elsewhere.

    For every customer who rated touch point ``k`` and answered at least one other
    survey, ``x`` is their mean score at ``k`` and ``y`` their mean score at all
    *other* touch points (excluding ``k`` avoids the part-whole correlation).
    Per touch point: the paired gap ``mean(x - y)`` with a t interval (a negative
    gap: the touch point is worse than these customers' experience overall) and
    Pearson's ``r`` between ``x`` and ``y`` with a Fisher-z interval (does the
    touch point move with the overall experience?). Sums, squares and products
    are computed in the engine.

    Returns
    -------
    pandas.DataFrame
        ``touchpoint, n, mean_here, mean_elsewhere, gap, gap_low, gap_high, p,
        r, r_low, r_high, flag, level`` sorted by ``gap`` (worst first); ``flag``
        is ``"too few"`` when ``n < min_n``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"customer_id": list("aabbcc"), "touchpoint": list("XYXYXY"),
    ...                    "ltr": [2, 8, 4, 9, 3, 10]})
    >>> touchpoint_vs_overall(df, min_n=1)[["touchpoint", "n", "gap"]].values.tolist()
    [['X', 3, -6.0], ['Y', 3, 6.0]]
    """
    from scipy import stats as sps

    t = as_table(responses)
    check_columns(t, [score, touchpoint, customer], "responses")
    t = t.filter(t[score].notnull())
    x = t[score].cast("float64")
    tot = t.group_by(customer).aggregate(s_all=x.sum(), n_all=x.count())
    per = t.group_by([customer, touchpoint]).aggregate(s_k=x.sum(), n_k=x.count())
    j = per.join(tot, customer)
    j = j.filter(j.n_all > j.n_k)
    # The per-customer means are summed as decimals: a sum of floats depends on the
    # order DuckDB's threads add them in, and a gap that sits on a rounding boundary
    # (-1.375) then prints differently from run to run. Decimal sums are exact.
    exact = dt.Decimal(18, 9)
    xk = (j.s_k / j.n_k).cast(exact)
    yk = ((j.s_all - j.s_k) / (j.n_all - j.n_k)).cast(exact)
    sums = {
        "sx": ibis._._x.sum(),
        "sy": ibis._._y.sum(),
        "sxx": (ibis._._x * ibis._._x).sum(),
        "syy": (ibis._._y * ibis._._y).sum(),
        "sxy": (ibis._._x * ibis._._y).sum(),
    }
    g = (
        j.mutate(_x=xk, _y=yk)
        .group_by(touchpoint)
        .aggregate(n=ibis._.count(), **sums)
        .mutate(**{k: ibis._[k].cast("float64") for k in sums})
        .to_pandas()
    )
    if g.empty:
        raise TooLittleData(
            "responses: no customer answered at more than one touch point, so no touch point "
            "can be compared with the same customers' overall experience."
        )
    n = g["n"].to_numpy(float)
    mx, my = g["sx"] / n, g["sy"] / n
    sdd = g["sxx"] - 2 * g["sxy"] + g["syy"]
    gap, gse, glo, ghi = stats.mean_ci(g["sx"] - g["sy"], sdd.clip(lower=0), n, level=level)
    with np.errstate(invalid="ignore", divide="ignore"):
        tstat = np.where(gse > 0, gap / gse, np.nan)
        p = 2 * sps.t.sf(np.abs(tstat), np.maximum(n - 1, 1))
        cxx = g["sxx"] - n * mx**2
        cyy = g["syy"] - n * my**2
        cxy = g["sxy"] - n * mx * my
        r = (cxy / np.sqrt(cxx * cyy)).to_numpy(float)
        r = np.where(np.isfinite(r), np.clip(r, -1, 1), np.nan)
        zq = float(sps.norm.ppf(0.5 + level / 2))
        r_low, r_high = stats.fisher_ci(r, 1 / np.sqrt(np.where(n > 3, n - 3, np.nan)), zq)
    out = pd.DataFrame(
        {
            "touchpoint": g[touchpoint],
            "n": n.astype("int64"),
            "mean_here": mx,
            "mean_elsewhere": my,
            "gap": gap,
            "gap_low": glo,
            "gap_high": ghi,
            "p": p,
            "r": r,
            "r_low": r_low,
            "r_high": r_high,
        }
    )
    out["flag"] = np.where(out["n"] < min_n, "too few", "")
    out["level"] = level
    return out.sort_values(["gap", "touchpoint"], kind="stable").reset_index(drop=True)
