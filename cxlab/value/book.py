"""The customer book of a contractual year: who was a customer, what they brought, who stayed.

:func:`contract_book` builds, in the engine, the input of
:func:`cxlab.value.contractual_clv` from the warehouse's ``customers``,
``responses`` and ``transactions``: one row per customer active at the start of
the last full year of data, with the margin of the year before, whether they were
still a customer a year later, and the LTR category of their latest answer before
that start (no look-ahead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["contract_book"]


def contract_book(
    customers: pd.DataFrame | ir.Table,
    responses: pd.DataFrame | ir.Table,
    transactions: pd.DataFrame | ir.Table,
    *,
    end: str | pd.Timestamp,
    days: int = 365,
) -> pd.DataFrame:
    """One row per customer active ``days`` before ``end``: margin, retained, LTR category.

    Parameters
    ----------
    customers, responses, transactions : pandas.DataFrame or ibis Table
        The warehouse tables (``customers`` with ``customer_id, signup_date,
        churn_date`` and optionally ``segment``; ``transactions`` with
        ``customer_id, date, margin``; ``responses`` with ``customer_id,
        survey_date, ltr``).
    end : date-like
        End of observation; the year runs from ``end - days`` to ``end``.
    days : int
        Length of the period.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``segment`` (when present), ``margin`` (sum over the
        ``days`` before the start, 0 without purchases), ``retained`` (1/0) and
        ``ltr_category`` (detractor, passive, promoter or "no answer").

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "segment": ["X", "X"],
    ...     "signup_date": pd.to_datetime(["2024-01-01", "2024-02-01"]).date,
    ...     "churn_date": pd.to_datetime(["2025-09-01", None]).date})
    >>> r = pd.DataFrame({"customer_id": ["a"], "survey_date": pd.to_datetime(["2024-06-01"]).date,
    ...                   "ltr": [3]})
    >>> t = pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2024-12-01"] * 2),
    ...                   "margin": [10.0, 20.0]})
    >>> contract_book(c, r, t, end="2025-12-31")[["customer_id", "margin", "retained",
    ...                                           "ltr_category"]]
      customer_id  margin  retained ltr_category
    0           a    10.0         0    detractor
    1           b    20.0         1    no answer
    """
    import ibis

    from cxlab.retention.rates import with_ltr_category

    if int(days) < 1:
        raise CxlabError(f"contract_book: days must be >= 1, got {days!r}.")
    c, tx = as_table(customers), as_table(transactions)
    check_columns(c, ["customer_id", "signup_date", "churn_date"], "customers")
    check_columns(tx, ["customer_id", "date", "margin"], "transactions")
    stop = pd.Timestamp(end)
    start = stop - pd.Timedelta(days=int(days))
    s, b = ibis.literal(start.date()), ibis.literal((start - pd.Timedelta(days=int(days))).date())
    active = c.filter((c.signup_date < s) & (c.churn_date.isnull() | (c.churn_date >= s)))
    active = with_ltr_category(active, responses, before=start)
    keep = ["customer_id", *(["segment"] if "segment" in c.columns else [])]
    base = active.select(
        *keep,
        retained=(
            active.churn_date.isnull() | (active.churn_date > ibis.literal(stop.date()))
        ).cast("int64"),
        ltr_category=active.category,
    )
    t = tx.filter((tx.date.cast("date") >= b) & (tx.date.cast("date") < s))
    spent = t.group_by(tid=t.customer_id).aggregate(m=t.margin.cast("float64").sum())
    j = base.left_join(spent, base.customer_id == spent.tid)
    out = j.select(
        *keep, margin=j.m.fill_null(0.0), retained=j.retained, ltr_category=j.ltr_category
    )
    return out.order_by("customer_id").to_pandas()
