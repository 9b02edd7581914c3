"""Churn and retention rates by quarter and cohort, with Wilson intervals and base flags.

Definitions (quarters are calendar quarters, :mod:`cxlab.periods`):

- a customer is *active at the start* of quarter ``q`` when they signed up before
  ``q`` began and had not churned by then (``churn_date`` null or in ``q`` or later);
- *lost in* ``q``: active at its start and ``churn_date`` within ``q``;
- churn rate = lost / active at the start; retention rate = 100 - churn rate
  (percent). Customers who sign up during ``q`` enter the base of ``q + 1``;
- cohort = sign-up quarter; a cohort's retention ``k`` quarters after sign-up is the
  share of the cohort not churned by the end of quarter ``cohort + k``.

Both tables come from one ``GROUP BY`` in the engine: customers counted per (group,
sign-up quarter, churn quarter). Every rate is a sum over that small table, so the
same call runs on a frame or a warehouse of millions of customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxlab import periods
from cxlab._checks import as_table, check_columns, check_level
from cxlab.errors import CxlabError
from cxlab.retention.counts import as_by
from cxlab.stats import BASE_BANDS, base_flag, proportion_ci

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "churn_rates",
    "cohort_counts",
    "cohort_retention",
    "customer_tenure",
    "with_ltr_category",
]


def cohort_counts(
    customers: pd.DataFrame | ir.Table,
    *,
    by: str | Sequence[str] | None = None,
    signup: str = "signup_date",
    churn: str = "churn_date",
    where: str = "cohort_counts",
) -> pd.DataFrame:
    """Customers per group, sign-up quarter and churn quarter (one ``GROUP BY``).

    ``by`` may name ``cohort`` (the sign-up quarter, derived when the table has
    no such column). Returns the group columns, ``signup_q, churn_q`` (quarter indices,
    :func:`cxlab.periods.quarter_index`; ``churn_q`` is -1 for active customers)
    and ``n``.
    """
    groups = as_by(by)
    t = as_table(customers)
    if "cohort" in groups and "cohort" not in t.columns and signup in t.columns:
        d = t[signup]
        t = t.mutate(cohort=d.year().cast("string") + "Q" + d.quarter().cast("string"))
    check_columns(t, [signup, churn, *groups], "customers")
    s, c = t[signup], t[churn]
    bad = t.aggregate(no_signup=s.isnull().sum(), before=(c.notnull() & (c < s)).sum()).to_pandas()
    bad = bad.iloc[0].fillna(0).astype(int)
    problems = []
    if bad["no_signup"]:
        problems.append(f"column {signup!r} is missing in {bad['no_signup']} row(s)")
    if bad["before"]:
        problems.append(f"column {churn!r} is before {signup!r} in {bad['before']} row(s)")
    if problems:
        raise CxlabError(f"{where}: {'; '.join(problems)}. Fix or filter those rows first.")
    sq = s.year() * 4 + s.quarter() - 1
    cq = (c.year() * 4 + c.quarter() - 1).fill_null(-1)
    g = (
        t.select(*groups, signup_q=sq.cast("int64"), churn_q=cq.cast("int64"))
        .group_by([*groups, "signup_q", "churn_q"])
        .aggregate(n=lambda x: x.count())
        .to_pandas()
    )
    if g.empty:
        raise CxlabError(f"{where}: no customers in data.")
    return g


def _quarter_range(g: pd.DataFrame, start: str | None, end: str | None) -> range:
    first = periods.quarter_index(start, "start") if start else int(g["signup_q"].min()) + 1
    last_seen = int(max(g["signup_q"].max(), g["churn_q"].max()))
    last = periods.quarter_index(end, "end") if end else last_seen
    if last < first:
        raise CxlabError(f"churn_rates: no quarter between start {start!r} and end {end!r}.")
    return range(first, last + 1)


def _rates(
    frame: pd.DataFrame, n: str, k: str, level: float, bands: tuple[float, float], name: str
) -> pd.DataFrame:
    est, low, high = proportion_ci(frame[k].to_numpy(float), frame[n].to_numpy(float), level=level)
    other = "retention" if name == "churn" else "churn"
    frame[f"{name}_rate"], frame[f"{name}_low"], frame[f"{name}_high"] = est, low, high
    frame[f"{other}_rate"] = 100.0 - est
    frame[f"{other}_low"] = np.clip(100.0 - high, 0.0, 100.0)
    frame[f"{other}_high"] = np.clip(100.0 - low, 0.0, 100.0)
    frame["flag"] = np.where(frame[n] > 0, base_flag(frame[n].to_numpy(float), bands), "empty")
    return frame


def churn_rates(
    customers: pd.DataFrame | ir.Table,
    *,
    by: str | Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    level: float = 0.95,
    bands: tuple[float, float] = BASE_BANDS,
) -> pd.DataFrame:
    """Quarterly churn and retention rates with Wilson intervals and base flags.

    Parameters
    ----------
    customers : pandas.DataFrame or ibis Table
        One row per customer with ``signup_date`` and ``churn_date`` (null while
        active), e.g. the warehouse's ``customers`` table.
    by : str or list of str, optional
        Customer columns to break down by (``segment``, ``unit``; ``cohort``, the
        sign-up quarter, derived when absent; ``category`` from
        :func:`with_ltr_category`).
    start, end : str, optional
        First and last quarter ('YYYYQn'); default from the quarter after the first
        sign-up to the last quarter with a sign-up or churn. A last quarter seen only
        in part understates its churn: pass ``end``.
    level : float
        Confidence level of the Wilson intervals (statsmodels ``proportion_confint``).
    bands : (float, float)
        Base-size bands of the ``flag`` (see :func:`cxlab.stats.base_flag`).

    Returns
    -------
    pandas.DataFrame
        The group columns, ``quarter, n`` (active at the start), ``lost, churn_rate,
        churn_low, churn_high, retention_rate, retention_low, retention_high, flag``
        (percent; ``flag`` "empty" and NaN rates for a group with no one active).

    Examples
    --------
    >>> c = pd.DataFrame({"signup_date": pd.to_datetime(["2025-01-10"] * 4).date,
    ...     "churn_date": pd.to_datetime([None, "2025-05-01", "2025-08-01", None]).date})
    >>> churn_rates(c, end="2025Q3")[["quarter", "n", "lost", "churn_rate"]].round(1)
      quarter  n  lost  churn_rate
    0  2025Q2  4     1        25.0
    1  2025Q3  3     1        33.3
    """
    level = check_level(level, "churn_rates")
    groups = as_by(by)
    g = cohort_counts(customers, by=groups, where="churn_rates")
    rows = []
    keys = g[groups].drop_duplicates() if groups else pd.DataFrame(index=[0])
    for q in _quarter_range(g, start, end):
        active = (g["signup_q"] < q) & ((g["churn_q"] == -1) | (g["churn_q"] >= q))
        part = g.assign(
            n_=g["n"].where(active, 0), lost=g["n"].where(active & (g["churn_q"] == q), 0)
        )
        if groups:
            s = part.groupby(groups, dropna=False)[["n_", "lost"]].sum().reset_index()
            s = keys.merge(s, on=groups, how="left").fillna({"n_": 0, "lost": 0})
        else:
            s = pd.DataFrame({"n_": [part["n_"].sum()], "lost": [part["lost"].sum()]})
        rows.append(s.assign(quarter=periods.quarter_from_index(q)))
    out = pd.concat(rows, ignore_index=True).rename(columns={"n_": "n"})
    out[["n", "lost"]] = out[["n", "lost"]].astype(np.int64)
    out = _rates(out, "n", "lost", level, bands, "churn")
    cols = [*groups, "quarter", "n", "lost", "churn_rate", "churn_low", "churn_high"]
    cols += ["retention_rate", "retention_low", "retention_high", "flag"]
    return out[cols].sort_values([*groups, "quarter"], kind="stable").reset_index(drop=True)


def cohort_retention(
    customers: pd.DataFrame | ir.Table,
    *,
    by: str | Sequence[str] | None = None,
    end: str | None = None,
    level: float = 0.95,
    bands: tuple[float, float] = BASE_BANDS,
) -> pd.DataFrame:
    """Cohort retention table: sign-up quarter x quarters since sign-up (long form).

    Quarter 0 is the sign-up quarter; a cell is reported only when its quarter ends
    by ``end`` (default: the last quarter with a sign-up or churn).

    Returns
    -------
    pandas.DataFrame
        The group columns, ``cohort, quarters_since, n`` (cohort size),
        ``retained, retention_rate, retention_low, retention_high, churn_rate,
        churn_low, churn_high, flag`` (percent; cumulative churn since sign-up).

    Examples
    --------
    >>> c = pd.DataFrame({"signup_date": pd.to_datetime(["2025-01-10"] * 4).date,
    ...     "churn_date": pd.to_datetime([None, "2025-05-01", "2025-08-01", None]).date})
    >>> cohort_retention(c, end="2025Q3")[["cohort", "quarters_since", "retention_rate"]]
       cohort  quarters_since  retention_rate
    0  2025Q1               0           100.0
    1  2025Q1               1            75.0
    2  2025Q1               2            50.0
    """
    level = check_level(level, "cohort_retention")
    groups = as_by(by)
    g = cohort_counts(customers, by=groups, where="cohort_retention")
    last = (
        periods.quarter_index(end, "end")
        if end
        else int(max(g["signup_q"].max(), g["churn_q"].max()))
    )
    g = g[g["signup_q"] <= last]
    if g.empty:
        raise CxlabError(f"cohort_retention: no customer signed up by end {end!r}.")
    rows = []
    for k in range(0, last - int(g["signup_q"].min()) + 1):
        kept = g["signup_q"] + k <= last
        alive = (g["churn_q"] == -1) | (g["churn_q"] > g["signup_q"] + k)
        part = g[kept].assign(retained=g["n"].where(alive, 0))
        s = part.groupby([*groups, "signup_q"], dropna=False)[["n", "retained"]].sum().reset_index()
        rows.append(s.assign(quarters_since=k))
    out = pd.concat(rows, ignore_index=True)
    out["cohort"] = [periods.quarter_from_index(q) for q in out["signup_q"]]
    out = _rates(out, "n", "retained", level, bands, "retention")
    cols = [*groups, "cohort", "quarters_since", "n", "retained", "retention_rate"]
    cols += ["retention_low", "retention_high", "churn_rate", "churn_low", "churn_high", "flag"]
    return out[cols].sort_values([*groups, "cohort", "quarters_since"]).reset_index(drop=True)


def with_ltr_category(
    customers: pd.DataFrame | ir.Table,
    responses: pd.DataFrame | ir.Table,
    *,
    score: str = "ltr",
    breaks: tuple[int, int] = (6, 8),
    before: str | pd.Timestamp | None = None,
) -> ir.Table:
    """Customers with ``category``: the NPS category of their latest LTR answer.

    Only answers before ``before`` count (pass the start of the analysed period to
    avoid looking ahead: a customer who became a detractor just before leaving
    would otherwise make detractors look worse). Customers without an answer get
    ``"no answer"``. Computed in the engine; returns an Ibis table.
    """
    import ibis

    c, r = as_table(customers), as_table(responses)
    check_columns(r, ["customer_id", "survey_date", score], "responses")
    check_columns(c, ["customer_id"], "customers")
    r = r.filter(r[score].notnull() & r["customer_id"].notnull())
    if before is not None:
        r = r.filter(r["survey_date"] < ibis.literal(pd.Timestamp(before).date()))
    rank = ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("survey_date"))
    latest = r.select("customer_id", s=r[score], k=rank)
    latest = latest.filter(latest.k == 0).select("customer_id", "s")
    j = c.left_join(latest, "customer_id")
    lo, hi = breaks
    cat = ibis.cases(
        (j.s.isnull(), "no answer"),
        (j.s <= lo, "detractor"),
        (j.s <= hi, "passive"),
        else_="promoter",
    )
    return j.mutate(category=cat).drop("s", *[x for x in j.columns if x.endswith("_right")])


def customer_tenure(
    customers: pd.DataFrame | ir.Table,
    *,
    end: str | pd.Timestamp | None = None,
    signup: str = "signup_date",
    churn: str = "churn_date",
) -> ir.Table:
    """Customers with ``days`` (sign-up to churn, or to ``end``) and ``churned`` (0/1).

    The input of :func:`cxlab.retention.survival` and :func:`cxlab.retention.cox`
    for time to churn since sign-up; computed in the engine (an Ibis table).
    Churn after ``end`` counts as still active at ``end``.

    Parameters
    ----------
    customers : pandas.DataFrame or ibis Table
        With ``signup_date`` and ``churn_date`` (null while active).
    end : date-like, optional
        End of observation; default the latest sign-up or churn date.

    Examples
    --------
    >>> c = pd.DataFrame({"signup_date": pd.to_datetime(["2025-01-01", "2025-03-01"]).date,
    ...                   "churn_date": pd.to_datetime(["2025-01-31", None]).date})
    >>> customer_tenure(c, end="2025-03-31").to_pandas()[["days", "churned"]]
       days  churned
    0  30.0        1
    1  30.0        0
    """
    import ibis

    t = as_table(customers)
    cohort_counts(t, signup=signup, churn=churn, where="customer_tenure")  # the date rules
    if end is None:
        m = t.aggregate(a=t[signup].max(), b=t[churn].max()).to_pandas().iloc[0]
        end_ts = max(pd.Timestamp(v) for v in (m["a"], m["b"]) if not pd.isna(v))
    else:
        end_ts = pd.Timestamp(end)
    stop = ibis.literal(end_ts.date())
    t = t.filter(t[signup] <= stop)
    seen = t[churn].notnull() & (t[churn] <= stop)
    last = ibis.cases((seen, t[churn]), else_=stop)
    return t.mutate(
        days=last.delta(t[signup], unit="day").cast("float64"), churned=seen.cast("int64")
    )
