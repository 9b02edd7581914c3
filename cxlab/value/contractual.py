"""Contractual customer lifetime value by group: margin x retention^t / (1 + d)^t.

In a contractual setting (subscriptions, contracts) a customer's leaving is
observed, so a group's retention rate and mean margin per period give its
customers' expected discounted value over a horizon of ``H`` periods
(Gupta & Lehmann 2003, "Customers as assets", *Journal of Interactive
Marketing* 17(1); with ``H`` -> infinity the sum is their ``m r / (1 + d - r)``):

    CLV = m * sum_{t=1..H} r^t / (1 + d)^t

Counts, margin sums and variances are computed in the engine (one GROUP BY);
the statistics run on that summary. The interval combines the Wilson interval
of the retention rate (mapped through the increasing sum above) and the t
interval of the mean margin by the MOVER method on the log scale (Zou & Donner
2008, "Construction of confidence limits about effect measures: a general
approach", *Statistics in Medicine* 27(10)); it needs a mean margin whose
interval lies above 0 (otherwise NaN, with a note).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxlab import stats
from cxlab._checks import as_table, check_columns, check_level
from cxlab.errors import CxlabError

__all__ = ["contractual_clv", "discounted_periods", "ltr_category"]


def ltr_category(
    data: Any, ltr: str = "ltr", *, breaks: tuple[int, int] = (6, 8), name: str = "ltr_category"
) -> Any:
    """``data`` (as an Ibis table) with a column ``name``: detractor, passive, promoter.

    Detractors score ``0..breaks[0]``, passives up to ``breaks[1]``, promoters
    above (the NPS convention, 0-6 / 7-8 / 9-10); a missing score is "not recorded".
    Computed in the engine.

    Examples
    --------
    >>> import pandas as pd
    >>> ltr_category(pd.DataFrame({"ltr": [0, 6, 7, 9, None]})).to_pandas()["ltr_category"].tolist()
    ['detractor', 'detractor', 'passive', 'promoter', 'not recorded']
    """
    import ibis

    lo, hi = breaks
    if not 0 <= lo < hi < 10:
        raise CxlabError(
            f"breaks must satisfy 0 <= detractor max < passive max < 10, not {breaks}."
        )
    t = as_table(data)
    check_columns(t, [ltr], "data")
    score = t[ltr]
    category = ibis.cases(
        (score.isnull(), "not recorded"),
        (score <= lo, "detractor"),
        (score <= hi, "passive"),
        else_="promoter",
    )
    return t.mutate(**{name: category})


def discounted_periods(retention: Any, discount_rate: float, horizon: int) -> np.ndarray:
    """``sum_{t=1..horizon} (retention / (1 + discount_rate))^t``, elementwise.

    Examples
    --------
    >>> float(discounted_periods(0.8, 0.1, 2))  # 0.8/1.1 + (0.8/1.1)^2
    1.256198...
    """
    q = np.asarray(retention, dtype=float) / (1.0 + discount_rate)
    t = np.arange(1, horizon + 1)
    return np.asarray((q[..., None] ** t).sum(axis=-1))


def _groups(t: Any, by: list[str], margin: str, retained: str) -> pd.DataFrame:
    keep = t.filter(t[retained].notnull() & t[margin].notnull())
    flag = keep[retained].cast("float64")
    agg = (keep.group_by(by) if by else keep).aggregate(
        n=keep.count(),
        retained=flag.sum(),
        bad=(~flag.isin([0.0, 1.0])).cast("int64").sum(),
        margin_mean=keep[margin].cast("float64").mean(),
        margin_sd=keep[margin].cast("float64").std(how="sample"),
    )
    return agg.to_pandas()


def contractual_clv(
    data: Any,
    *,
    margin: str = "margin",
    retained: str = "retained",
    by: str | Sequence[str] | None = None,
    discount_rate: float = 0.1,
    horizon: int = 5,
    level: float = 0.95,
    bands: tuple[float, float] = stats.BASE_BANDS,
) -> pd.DataFrame:
    """Expected discounted margin per customer over ``horizon`` periods, by group.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        One row per customer at the start of a period: the margin they brought
        in a period and whether they were still a customer at its end.
    margin : str
        Column of margin per period (currency).
    retained : str
        Column of 1/0 (or true/false): still a customer one period later.
    by : str or list of str, optional
        Group columns, e.g. ``["segment", "ltr_category"]``
        (:func:`cxlab.value.ltr_category` adds the latter).
    discount_rate : float
        Discount rate per period (0.1 = 10% a year for yearly periods).
    horizon : int
        Number of future periods summed.
    level : float
        Confidence level.
    bands : (float, float)
        Base-size bands for the ``flag`` column.

    Returns
    -------
    pandas.DataFrame
        The group columns, ``n, retained, retention, retention_low,
        retention_high, margin, margin_low, margin_high, clv, low, high, level,
        horizon, discount_rate, flag, note`` (retention in percent).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"segment": ["A"] * 4 + ["B"] * 4,
    ...                   "margin": [100.0, 120, 80, 100, 50, 60, 40, 50],
    ...                   "retained": [1, 1, 1, 0, 1, 0, 0, 1]})
    >>> contractual_clv(d, by="segment", horizon=3)[["segment", "n", "retention", "clv"]].round(2)
      segment  n  retention     clv
    0       A  4       75.0  146.37
    1       B  4       50.0   37.75
    """
    lv = check_level(level, "contractual_clv")
    if not (isinstance(horizon, int | np.integer) and horizon >= 1):
        raise CxlabError(f"contractual_clv: horizon must be a whole number >= 1, got {horizon!r}.")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise CxlabError(
            f"contractual_clv: discount_rate must be a number > -1, got {discount_rate!r}."
        )
    groups = [by] if isinstance(by, str) else list(by or [])
    t = as_table(data)
    check_columns(t, [margin, retained, *groups], "data")
    g = _groups(t, groups, margin, retained)
    if int(g["bad"].sum()):
        raise CxlabError(
            f"contractual_clv: column {retained!r} must be 1/0 (or true/false); "
            f"{int(g['bad'].sum())} row(s) hold other values."
        )
    if g.empty:
        raise CxlabError("contractual_clv: no row has both a margin and a retention value.")
    return _clv_table(g, groups, lv, discount_rate, horizon, bands)


def _clv_table(
    g: pd.DataFrame,
    groups: list[str],
    lv: float,
    discount_rate: float,
    horizon: int,
    bands: tuple[float, float],
) -> pd.DataFrame:
    n = g["n"].to_numpy(float)
    k = g["retained"].to_numpy(float)
    est, r_lo, r_hi = (np.asarray(v, float) / 100 for v in stats.proportion_ci(k, n, level=lv))
    m = g["margin_mean"].to_numpy(float)
    tq = sps.t.ppf(0.5 + lv / 2, np.maximum(n - 1, 1))
    half = tq * g["margin_sd"].to_numpy(float) / np.sqrt(n)
    m_lo, m_hi = m - half, m + half
    f, f_lo, f_hi = (discounted_periods(v, discount_rate, horizon) for v in (est, r_lo, r_hi))
    clv = m * f
    ok = (m_lo > 0) & (n > 1)
    with np.errstate(all="ignore"):
        lm, lf = np.log(m), np.log(f)
        low = np.exp(lm + lf - np.sqrt((lm - np.log(m_lo)) ** 2 + (lf - np.log(f_lo)) ** 2))
        high = np.exp(lm + lf + np.sqrt((np.log(m_hi) - lm) ** 2 + (np.log(f_hi) - lf) ** 2))
    none_kept = ok & (k == 0)  # retention 0: the CLV is 0; bound it by the upper limits
    low = np.where(none_kept, 0.0, np.where(ok, low, np.nan))
    high = np.where(none_kept, m_hi * f_hi, np.where(ok, high, np.nan))
    note = np.where(ok, "", "no interval: the mean margin's interval reaches 0 (or n < 2)")
    out = g[groups].copy()
    out = out.assign(
        n=g["n"].astype("int64"),
        retained=k.astype("int64"),
        retention=100 * est,
        retention_low=100 * r_lo,
        retention_high=100 * r_hi,
        margin=m,
        margin_low=m_lo,
        margin_high=m_hi,
        clv=clv,
        low=low,
        high=high,
        level=lv,
        horizon=horizon,
        discount_rate=discount_rate,
        flag=stats.base_flag(n, bands),
        note=note,
    )
    return out.sort_values(groups, ignore_index=True) if groups else out
