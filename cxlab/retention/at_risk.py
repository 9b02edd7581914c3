"""Revenue at risk: the margin expected to be lost because detractors churn more.

For each group of responses (a unit, a touch point):

- ``churn_detractors`` and ``churn_rest``: 1 - Kaplan-Meier survival ``horizon``
  days after the survey, of detractors and of everyone else (passives and
  promoters), censoring handled (:func:`cxlab.retention.survey_durations`);
- ``excess`` = ``churn_detractors - churn_rest``, with Greenwood standard errors
  (the two groups are independent samples);
- ``margin``: the mean margin a detractor brought in the ``horizon`` days before the
  survey (from ``transactions``; mean and standard error from engine sums);
- ``value_at_risk = n_detractors x excess x margin``: the margin of the customers
  who would not have left had they churned like the rest, over one more
  ``horizon``. Its interval is the normal one with the delta-method standard error
  ``n sqrt(margin^2 se(excess)^2 + excess^2 se(margin)^2)``.

The excess churn is an association, not a proven effect of the experience:
detractors may differ from the rest in other ways. The figure sizes the question
("how much margin rides on detractors?"); it does not prove what fixing the
experience would recover.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from cxlab._checks import as_table, check_columns, check_level
from cxlab.errors import CxlabError
from cxlab.retention.after_survey import survey_durations
from cxlab.retention.counts import as_by, event_table
from cxlab.retention.kaplan_meier import km_curve
from cxlab.stats import BASE_BANDS, base_flag

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["revenue_at_risk"]


def churn_at(table: pd.DataFrame, groups: list[str], horizon: float) -> pd.DataFrame:
    """1 - KM at ``horizon`` and its SE per (group, side); NaN when follow-up is shorter."""
    rows = []
    for key, part in table.groupby([*groups, "side"], sort=True, dropna=False):
        s, se, _, _ = km_curve(part["at_risk"].to_numpy(), part["events"].to_numpy())
        t = part["time"].to_numpy()
        upto = np.flatnonzero(t <= horizon)
        if t.max() < horizon and s[-1] > 0:  # nobody followed that long
            churn, err = np.nan, np.nan
        elif upto.size == 0:
            churn, err = 0.0, 0.0
        else:
            churn, err = 1.0 - s[upto[-1]], se[upto[-1]]
        n = float(part["at_risk"].iloc[0])
        rows.append((*(key if isinstance(key, tuple) else (key,)), n, churn, err))
    return pd.DataFrame(rows, columns=[*groups, "side", "n", "churn", "se"])


def _margins(
    durations: ir.Table, transactions: ir.Table, groups: list[str], horizon: int
) -> pd.DataFrame:
    """Per group: detractor surveys, sum and sum of squares of margin before the survey."""
    import ibis

    d = durations.filter(durations.category == "detractor")
    d = d.mutate(rid=ibis.row_number())
    t = transactions.select(
        tid=transactions["customer_id"],
        tdate=transactions["date"],
        m=transactions["margin"].cast("float64"),
    )
    w = ibis.interval(days=horizon)
    j = d.left_join(
        t, [d.customer_id == t.tid, t.tdate > d.survey_date - w, t.tdate <= d.survey_date]
    )
    per = j.group_by([*groups, "rid"]).aggregate(m=j.m.sum())
    per = per.mutate(m=per.m.fill_null(0.0))
    sums = {"k": per.rid.count(), "s": per.m.sum(), "ss": (per.m * per.m).sum()}
    g = per.group_by(groups).aggregate(**sums) if groups else per.aggregate(**sums)
    return g.to_pandas()


def revenue_at_risk(
    responses: pd.DataFrame | ir.Table,
    customers: pd.DataFrame | ir.Table,
    transactions: pd.DataFrame | ir.Table,
    *,
    by: str | Sequence[str] | None = "unit",
    horizon: int = 365,
    breaks: tuple[int, int] = (6, 8),
    end: str | pd.Timestamp | None = None,
    level: float = 0.95,
    bands: tuple[float, float] = BASE_BANDS,
) -> pd.DataFrame:
    """Margin at risk from detractors' excess churn, per unit or touch point, with intervals.

    Parameters
    ----------
    responses, customers, transactions : pandas.DataFrame or ibis Table
        The warehouse tables (``transactions`` needs ``customer_id, date, margin``).
    by : str or list of str, optional
        Columns of ``responses`` to group by (``unit``, ``touchpoint``); ``None``
        for one row.
    horizon : int
        Days after the survey over which churn is compared, and before it over
        which margin is summed.
    breaks : (int, int)
        LTR cuts: ``ltr <= breaks[0]`` is a detractor.
    end : date-like, optional
        End of observation (default: the latest survey or churn date).
    level : float
        Confidence level.
    bands : (float, float)
        Base-size bands; the ``flag`` is that of the smaller side.

    Returns
    -------
    pandas.DataFrame
        The group columns, ``n_detractors, n_rest, churn_detractors, churn_rest,
        excess, excess_low, excess_high`` (percent and percentage points),
        ``margin, margin_se, value_at_risk, value_low, value_high, flag``. NaN
        where the follow-up is shorter than ``horizon``.
    """
    level = check_level(level, "revenue_at_risk")
    if int(horizon) < 1:
        raise CxlabError(f"revenue_at_risk: horizon must be >= 1 day, got {horizon!r}.")
    groups = as_by(by)
    tx = as_table(transactions)
    check_columns(tx, ["customer_id", "date", "margin"], "transactions")
    d = survey_durations(responses, customers, score="ltr", breaks=breaks, end=end, by=groups)
    d = d.mutate(category=(d.category == "detractor").ifelse("detractor", "rest"))
    table = event_table(
        d.mutate(side=d.category), "days", "churned", by=[*groups, "side"], where="revenue_at_risk"
    )
    churn = churn_at(table, groups, float(horizon))
    return _assemble(churn, _margins(d, tx, groups, int(horizon)), groups, level, bands)


def _assemble(
    churn: pd.DataFrame,
    margins: pd.DataFrame,
    groups: list[str],
    level: float,
    bands: tuple[float, float],
) -> pd.DataFrame:
    """Join both sides' churn and the detractors' margin; the delta-method interval."""
    det = churn[churn["side"] == "detractor"].drop(columns="side")
    rest = churn[churn["side"] == "rest"].drop(columns="side")
    if groups:
        out = det.merge(rest, on=groups, how="outer", suffixes=("_d", "_r")).merge(
            margins, on=groups, how="left"
        )
    else:
        out = pd.concat(
            [
                det.add_suffix("_d").reset_index(drop=True),
                rest.add_suffix("_r").reset_index(drop=True),
                margins.reset_index(drop=True),
            ],
            axis=1,
        )
    z = stats.norm.ppf(1.0 - (1.0 - level) / 2.0)
    k = out["k"].astype(float)
    margin = out["s"] / k
    var = (out["ss"] - k * margin**2) / (k - 1)
    margin_se = np.sqrt(var.clip(lower=0) / k)
    excess = out["churn_d"] - out["churn_r"]
    excess_se = np.sqrt(out["se_d"] ** 2 + out["se_r"] ** 2)
    n = out["n_d"]
    value = n * excess * margin
    value_se = n * np.sqrt(margin**2 * excess_se**2 + excess**2 * margin_se**2)
    res = out[groups].copy() if groups else pd.DataFrame(index=out.index)
    res["n_detractors"], res["n_rest"] = out["n_d"].fillna(0), out["n_r"].fillna(0)
    res["churn_detractors"], res["churn_rest"] = 100 * out["churn_d"], 100 * out["churn_r"]
    res["excess"] = 100 * excess
    res["excess_low"], res["excess_high"] = (
        100 * (excess - z * excess_se),
        100 * (excess + z * excess_se),
    )
    res["margin"], res["margin_se"] = margin, margin_se
    res["value_at_risk"] = value
    res["value_low"], res["value_high"] = value - z * value_se, value + z * value_se
    smaller = np.minimum(res["n_detractors"], res["n_rest"]).to_numpy(float)
    res["flag"] = np.where(smaller > 0, base_flag(smaller, bands), "empty")
    return res.reset_index(drop=True)
