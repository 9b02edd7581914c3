"""Customer lifetime value per customer from a BG/NBD and a Gamma-Gamma fit.

Discounted cash flow month by month, as the ``lifetimes`` package's
``customer_lifetime_value`` computes it (so results can be compared with it):
for each month ``i = 1..months`` the expected purchases in that month (the
BG/NBD conditional expectation at the month's end minus at its start) times the
expected spend per purchase (Gamma-Gamma), divided by ``(1 + d)^i``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.errors import CxlabError
from cxlab.value.bgnbd import BGNBD
from cxlab.value.gamma_gamma import GammaGamma

__all__ = ["PERIODS_PER_MONTH", "clv"]

#: Model time units per month (the ``lifetimes`` constants: 30 days, 4.345 weeks).
PERIODS_PER_MONTH: dict[str, float] = {"days": 30.0, "weeks": 4.345}


def clv(
    purchases: BGNBD,
    spend: GammaGamma,
    data: pd.DataFrame | None = None,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    unit: str = "weeks",
) -> pd.DataFrame:
    """Discounted expected value of each customer over the next ``months`` months.

    Parameters
    ----------
    purchases, spend : BGNBD, GammaGamma
        Fitted models (:func:`cxlab.value.bgnbd`, :func:`cxlab.value.gamma_gamma`).
    data : pandas.DataFrame, optional
        Customers to value, with the columns the two fits were given (frequency,
        recency, T, monetary). Default: the summary both were fitted on (same rows).
    months : int
        Horizon in months.
    discount_rate : float
        Discount rate per month (0.01 a month is about 12.7% a year).
    unit : {"weeks", "days"}
        The unit of recency and T in the fit (weeks: 4.345 per month, days: 30).

    Returns
    -------
    pandas.DataFrame
        ``p_alive, expected_purchases, expected_spend, clv`` per customer (index
        of ``data``); ``expected_purchases`` over the whole horizon, undiscounted.

    Examples
    --------
    >>> import pandas as pd
    >>> bg, gg = BGNBD(), GammaGamma()
    >>> bg.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    >>> bg.columns_ = {"frequency": "frequency", "recency": "recency", "T": "T"}
    >>> gg.columns_ = {"frequency": "frequency", "monetary": "monetary"}
    >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86],
    ...                   "monetary": [22.35, float("nan")]})
    >>> clv(bg, gg, s, months=12).round(2)
       p_alive  expected_purchases  expected_spend    clv
    0     0.73                1.56           24.66  36.29
    1     1.00                0.25           35.22   8.37
    """
    if unit not in PERIODS_PER_MONTH:
        raise CxlabError(f"clv: unit must be one of {', '.join(PERIODS_PER_MONTH)}, got {unit!r}.")
    if not (isinstance(months, int | np.integer) and months >= 1):
        raise CxlabError(f"clv: months must be a whole number >= 1, got {months!r}.")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise CxlabError(f"clv: discount_rate must be a number > -1, got {discount_rate!r}.")
    if data is None:
        fitted = hasattr(purchases, "data_") and hasattr(spend, "data_")
        if not fitted or not purchases.data_.index.equals(spend.data_.index):
            raise CxlabError(
                "clv: the two models were not fitted on the same rows; pass the customers as data."
            )
        index = purchases.data_.index
    else:
        index = data.index
    value = spend.expected_spend(data).to_numpy()
    alive = purchases.probability_alive(data)
    step = PERIODS_PER_MONTH[unit]
    cum = [np.zeros(len(index))] + [
        purchases.conditional_expected_purchases(i * step, data).to_numpy()
        for i in range(1, months + 1)
    ]
    per_month = np.diff(np.vstack(cum), axis=0)
    discount = (1.0 + discount_rate) ** -np.arange(1, months + 1)
    total = value * (discount @ per_month)
    return pd.DataFrame(
        {
            "p_alive": alive.to_numpy(),
            "expected_purchases": cum[-1],
            "expected_spend": value,
            "clv": total,
        },
        index=index,
    )
