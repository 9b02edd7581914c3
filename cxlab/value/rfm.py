"""The per-customer RFM summary (frequency, recency, T, monetary), computed in the engine.

The buy-till-you-die models (:mod:`cxlab.value.bgnbd`, :mod:`cxlab.value.gamma_gamma`)
need one row per customer, not the transactions. This module computes that row
where the transactions live: one window (each customer's first purchase day) and
one GROUP BY over the ``transactions`` table (see :mod:`cxlab.schema`), so a
warehouse of millions of transactions returns a frame of one row per customer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError

__all__ = ["UNITS", "rfm", "rfm_counts"]

#: Days per unit of time accepted by ``unit=``.
UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0}


def _end_date(end: Any) -> dt.date:
    try:
        stamp = pd.Timestamp(end)
    except (TypeError, ValueError):
        raise CxlabError(f"rfm: end must be a date such as '1997-09-30', got {end!r}.") from None
    if pd.isna(stamp):
        raise CxlabError(f"rfm: end must be a date such as '1997-09-30', got {end!r}.")
    return stamp.date()


def _day_column(t: Any, customer: str, date: str, extra: list[str]) -> Any:
    check_columns(t, [customer, date, *extra], "transactions")
    day = t[date].date() if t[date].type().is_timestamp() else t[date]
    if not day.type().is_date():
        raise CxlabError(f"rfm: column {date!r} must hold dates, not {t[date].type()}.")
    return day


def _per_customer(t: Any, last_day: dt.date, customer: str, date: str, value: str) -> pd.DataFrame:
    """The engine's part: one window (first purchase day) and one GROUP BY."""
    import ibis

    day = _day_column(t, customer, date, [value])
    t = t.mutate(_day=day).filter(ibis._["_day"] <= ibis.date(last_day))
    t = t.mutate(_first=t["_day"].min().over(group_by=t[customer]))
    g = t.group_by(customer).aggregate(
        n_days=t["_day"].nunique(),
        first=t["_first"].min(),
        last=t["_day"].max(),
        total=t[value].sum(),
        first_value=t[value].sum(where=t["_day"] == t["_first"]),
        n_missing=t[value].isnull().sum(),
    )
    g = g.mutate(
        recency_days=g["last"].delta(g["first"], unit="day"),
        age_days=ibis.date(last_day).delta(g["first"], unit="day"),
    )
    return g.to_pandas()


def rfm(
    data: Any,
    *,
    end: Any,
    customer: str = "customer_id",
    date: str = "date",
    value: str = "revenue",
    unit: str = "weeks",
) -> pd.DataFrame:
    """Frequency, recency, age and mean repeat spend of each customer up to ``end``.

    The summary the BG/NBD and Gamma-Gamma models are fitted on (Fader, Hardie &
    Lee 2005, "Counting your customers the easy way", *Marketing Science* 24(2);
    the same definitions as the ``lifetimes`` package's
    ``summary_data_from_transaction_data``). Purchases are counted by day: several
    transactions on one day are one purchase whose value is their sum.

    ``frequency``
        Repeat purchases: distinct purchase days up to ``end``, minus one.
    ``recency``
        Time from the first purchase day to the last (0 without repeat purchases).
    ``T``
        Age: time from the first purchase day to ``end`` (the end of the
        calibration period; transactions after it are ignored).
    ``monetary``
        Mean value of the repeat purchases (the first day's purchase excluded, as
        in Fader & Hardie 2013); NaN for customers without repeat purchases.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Transactions, one row each (the warehouse's ``transactions`` table).
    end : date-like
        Last day of the calibration period (inclusive).
    customer, date, value : str
        Columns of the customer id, the purchase date (a timestamp counts by its
        day) and the amount (``revenue`` or ``margin``).
    unit : {"weeks", "days"}
        Unit of ``recency`` and ``T``.

    Returns
    -------
    pandas.DataFrame
        ``customer, frequency, recency, T, monetary`` (the customer column under its
        own name), one row per customer with a purchase on or before ``end``,
        sorted by customer.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-15", "2025-01-08"]),
    ...     "revenue": [10.0, 5.0, 20.0, 7.0]})
    >>> rfm(tx, end="2025-01-29", unit="weeks")
      customer_id  frequency  recency    T  monetary
    0           a          1      2.0  4.0      20.0
    1           b          0      0.0  3.0       NaN
    """
    if unit not in UNITS:
        raise CxlabError(f"rfm: unit must be one of {', '.join(UNITS)}, got {unit!r}.")
    out = _per_customer(as_table(data), _end_date(end), customer, date, value)
    missing = out.loc[out["n_missing"] > 0, customer]
    if len(missing):
        raise CxlabError(
            f"rfm: column {value!r} is empty in {int(out['n_missing'].sum())} transaction(s) "
            f"of {len(missing)} customer(s) (e.g. {', '.join(map(str, missing[:3]))}); "
            "every transaction needs an amount."
        )
    days = UNITS[unit]
    freq = out["n_days"].astype("int64") - 1
    repeat = (out["total"] - out["first_value"]).astype(float)
    res = pd.DataFrame(
        {
            customer: out[customer],
            "frequency": freq,
            "recency": out["recency_days"].astype(float) / days,
            "T": out["age_days"].astype(float) / days,
            "monetary": (repeat / freq.where(freq > 0)).astype(float),
        }
    )
    return res.sort_values(customer, ignore_index=True)


def rfm_counts(
    data: Any,
    *,
    end: Any,
    customer: str = "customer_id",
    date: str = "date",
    unit: str = "weeks",
    count: str = "customers",
) -> pd.DataFrame:
    """The distinct ``(frequency, recency, T)`` rows of :func:`rfm` and how many customers
    share each, counted in the engine.

    Three GROUP BYs (distinct purchase days; per customer their number, first
    and last; then per distinct row: customers), so only a few thousand rows leave the engine however
    many customers there are. :func:`cxlab.value.bgnbd` fitted on them with
    ``weight=count`` gives the same estimates as on :func:`rfm`'s one row per
    customer (both fit on distinct rows, see :func:`cxlab.value._mle.collapse_rows`).
    Amounts are not read: Gamma-Gamma needs each repeat customer's mean spend,
    which takes :func:`rfm`.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        Transactions (the warehouse's ``transactions`` table).
    end, customer, date, unit : see :func:`rfm`
    count : str
        Name of the column of counts.

    Returns
    -------
    pandas.DataFrame
        ``frequency, recency, T`` and ``count``, sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"],
    ...     "date": pd.to_datetime(["2025-01-01", "2025-01-15", "2025-01-08", "2025-01-08"])})
    >>> rfm_counts(tx, end="2025-01-29", unit="weeks")
       frequency  recency    T  customers
    0          0      0.0  3.0          2
    1          1      2.0  4.0          1
    """
    import ibis

    if unit not in UNITS:
        raise CxlabError(f"rfm: unit must be one of {', '.join(UNITS)}, got {unit!r}.")
    last_day = _end_date(end)
    t = as_table(data)
    t = t.mutate(_day=_day_column(t, customer, date, [])).filter(
        ibis._["_day"] <= ibis.date(last_day)
    )
    daily = t.select(customer, "_day").distinct()  # cheaper than COUNT(DISTINCT) per customer
    per = daily.group_by(customer).aggregate(
        n_days=daily.count(), first=daily["_day"].min(), last=daily["_day"].max()
    )
    per = per.select(
        n_days=per["n_days"],
        recency_days=per["last"].delta(per["first"], unit="day"),
        age_days=ibis.date(last_day).delta(per["first"], unit="day"),
    )
    g = per.group_by(["n_days", "recency_days", "age_days"]).aggregate(n=per.count())
    out = g.to_pandas()
    days = UNITS[unit]
    res = pd.DataFrame(
        {
            "frequency": out["n_days"].astype("int64") - 1,
            "recency": out["recency_days"].astype(float) / days,
            "T": out["age_days"].astype(float) / days,
            count: out["n"].astype("int64"),
        }
    )
    return res.sort_values(["frequency", "recency", "T"], ignore_index=True)
