"""Customer lifetime value per customer from a BG/NBD and a Gamma-Gamma fit.

Discounted cash flow month by month, as the ``lifetimes`` package's
``customer_lifetime_value`` computes it (so results can be compared with it):
for each month ``i = 1..months`` the expected purchases in that month (the
BG/NBD conditional expectation at the month's end minus at its start) times the
expected spend per purchase (Gamma-Gamma), divided by ``(1 + d)^i``. The
optional interval is a parametric bootstrap of the two fits' estimates.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from cxlab._checks import check_level
from cxlab.errors import CxlabError
from cxlab.value.bgnbd import BGNBD, NAMES, conditional_expected_purchases, probability_alive
from cxlab.value.gamma_gamma import GammaGamma

__all__ = ["PERIODS_PER_MONTH", "clv"]

#: Model time units per month (the ``lifetimes`` constants: 30 days, 4.345 weeks).
PERIODS_PER_MONTH: dict[str, float] = {"days": 30.0, "weeks": 4.345}


def _check(months: int, discount_rate: float, unit: str, n_boot: int) -> None:
    if unit not in PERIODS_PER_MONTH:
        raise CxlabError(f"clv: unit must be one of {', '.join(PERIODS_PER_MONTH)}, got {unit!r}.")
    if not (isinstance(months, int | np.integer) and months >= 1):
        raise CxlabError(f"clv: months must be a whole number >= 1, got {months!r}.")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise CxlabError(f"clv: discount_rate must be a number > -1, got {discount_rate!r}.")
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 0):
        raise CxlabError(f"clv: n_boot must be a whole number >= 0, got {n_boot!r}.")


def _values(
    purchases: BGNBD,
    spend: GammaGamma,
    data: pd.DataFrame | None,
    months: int,
    discount_rate: float,
    step: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """P(alive), expected purchases over the horizon, expected spend and CLV."""
    value = spend.expected_spend(data).to_numpy()
    params = purchases.params_[list(NAMES)].to_numpy()
    x, t_x, age, _ = purchases.arrays(data)
    horizons = step * np.arange(1, months + 1)[:, None]
    cum = conditional_expected_purchases(params, horizons, x, t_x, age)  # months x customers
    per_month = np.diff(cum, axis=0, prepend=0.0)
    discount = (1.0 + discount_rate) ** -np.arange(1, months + 1)
    alive = probability_alive(params, x, t_x, age)
    return alive, cum[-1], value, value * (discount @ per_month)


def _draws(model: BGNBD | GammaGamma, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Parameter vectors drawn from the estimate's asymptotic normal law (log scale)."""
    cov = model.cov_.to_numpy()
    if not np.all(np.isfinite(cov)):
        raise CxlabError(
            f"clv: {type(model).__name__} has no standard errors (see converged_); "
            "no interval can be drawn (use n_boot=0)."
        )
    return np.exp(rng.multivariate_normal(np.log(model.params_.to_numpy()), cov, n_boot))


def _bootstrap(
    purchases: BGNBD,
    spend: GammaGamma,
    data: pd.DataFrame | None,
    horizon: tuple[int, float, float],
    n_boot: int,
    seed: int | None,
) -> np.ndarray:
    """CLV of every customer (columns) under each of ``n_boot`` parameter draws (rows)."""
    rng = np.random.default_rng(seed)
    bg_draws, gg_draws = _draws(purchases, n_boot, rng), _draws(spend, n_boot, rng)
    bg, gg = copy.copy(purchases), copy.copy(spend)
    sims = []
    for bg_i, gg_i in zip(bg_draws, gg_draws, strict=True):
        bg.params_ = pd.Series(bg_i, index=purchases.params_.index)
        gg.params_ = pd.Series(gg_i, index=spend.params_.index)
        sims.append(_values(bg, gg, data, *horizon)[3])
    return np.vstack(sims)


def clv(
    purchases: BGNBD,
    spend: GammaGamma,
    data: pd.DataFrame | None = None,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    unit: str = "weeks",
    n_boot: int = 0,
    level: float = 0.95,
    seed: int | None = None,
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
    n_boot : int
        With ``n_boot > 0``, ``low`` and ``high``: percentile interval of the CLV
        over ``n_boot`` parameter vectors drawn from the two fits' asymptotic
        normal laws on the log scale (parametric bootstrap of the estimates: the
        uncertainty of the expected value, not of what one customer will spend).
    level : float
        Confidence level of that interval.
    seed : int, optional
        Seed of those draws.

    Returns
    -------
    pandas.DataFrame
        ``p_alive, expected_purchases, expected_spend, clv`` (and ``low, high``)
        per customer (index of ``data``); ``expected_purchases`` over the whole
        horizon, undiscounted.

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
    _check(months, discount_rate, unit, n_boot)
    lv = check_level(level, "clv")
    if data is None:
        fitted = hasattr(purchases, "data_") and hasattr(spend, "data_")
        if not fitted or not purchases.data_.index.equals(spend.data_.index):
            raise CxlabError(
                "clv: the two models were not fitted on the same rows; pass the customers as data."
            )
        index = purchases.data_.index
    else:
        index = data.index
    step = PERIODS_PER_MONTH[unit]
    alive, bought, value, total = _values(purchases, spend, data, months, discount_rate, step)
    out = pd.DataFrame(
        {"p_alive": alive, "expected_purchases": bought, "expected_spend": value, "clv": total},
        index=index,
    )
    if n_boot:
        sims = _bootstrap(purchases, spend, data, (months, discount_rate, step), n_boot, seed)
        out["low"], out["high"] = np.quantile(sims, [(1 - lv) / 2, (1 + lv) / 2], axis=0)
    return out
