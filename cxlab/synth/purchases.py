"""Transactions of one block's customers: BG/NBD purchases with Gamma-Gamma spend.

Every customer buys on their signup day (time 0) and then follows the BG/NBD model
(Fader, Hardie & Lee 2005, "Counting your customers the easy way", *Marketing
Science* 24(2)): while alive, repeat purchases arrive as a Poisson process with rate
``lambda ~ Gamma(r, rate alpha)`` per week, and after each repeat purchase the
customer drops out with probability ``p ~ Beta(a, b)``. Each transaction's revenue
follows the Gamma-Gamma model (Fader & Hardie 2013, "The Gamma-Gamma model of
monetary value"): ``z ~ Gamma(p, rate nu)`` with ``nu ~ Gamma(q, rate v)`` per
customer. The table holds the transactions between the first day of data and the
day before the customer's churn date (a churned customer does not buy), so for
customers who signed up inside the period and did not churn, the warehouse's
(frequency, recency, T, monetary) summary is a sample from the two models. The
draws come from their own seed stream (``SeedSequence([seed, 3, block])``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cxlab.synth._arrow import arrow_schema, date_array, id_array, label_array
from cxlab.synth.constants import BG_NBD, GAMMA_GAMMA, MARGIN_RATE, MIN_REVENUE
from cxlab.synth.design import Design


def transactions_table(
    design: Design, b: int, sim: dict[str, Any], cust_ids: pa.Array, stop: np.ndarray, offset: int
) -> pa.Table:
    """The block's transactions, sorted by customer and day."""
    rng = np.random.default_rng(np.random.SeedSequence([design.seed, 3, b]))
    t_cust, t_day = purchase_days(rng, sim["signup"], design.end)
    p, q, v = GAMMA_GAMMA.values()
    nu = rng.gamma(q, 1.0 / v, sim["m"])
    seen = (t_day >= design.start) & (t_day < stop[t_cust])
    t_cust, t_day = t_cust[seen], t_day[seen]
    revenue = np.round(rng.gamma(p, 1.0 / nu[t_cust]).clip(MIN_REVENUE, None), 2)
    rate = np.clip(rng.normal(MARGIN_RATE[0], MARGIN_RATE[1], len(t_cust)), 0.02, 0.50)
    return pa.Table.from_arrays(
        [
            id_array("T", offset, len(t_cust), 9),
            cust_ids.take(pa.array(t_cust)),
            label_array(design.units, sim["unit"][t_cust]),
            date_array(t_day),
            pa.array(revenue),
            pa.array(np.round(revenue * rate, 2)),
        ],
        schema=arrow_schema("transactions"),
    )


def purchase_days(
    rng: np.random.Generator, signup: np.ndarray, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, day) of every purchase from signup to ``end``, by customer and day.

    Given ``m`` Poisson arrivals on the ``end - signup`` days after signup, their times
    are uniform order statistics; the customer is gone after repeat purchase
    ``D ~ Geometric(p)``, so the first ``x = min(D, m)`` arrivals are purchases. Only
    those are drawn: the k-th of m uniform order statistics is ``S_k / S_(m+1)``, with
    ``S_k`` the sum of k standard exponentials and ``S_(m+1) = S_x + Gamma(m + 1 - x)``.
    An arrival ``t`` days after signup (continuous) is recorded on day
    ``signup + ceil(t)``.
    """
    r, alpha, a, b = BG_NBD.values()
    n = len(signup)
    lam = rng.gamma(r, 1.0 / alpha, n)  # per week
    drop = np.clip(rng.beta(a, b, n), 1e-12, 1.0)
    repeats = rng.geometric(drop)
    horizon = (end - signup).astype(float)  # days
    arrivals = rng.poisson(lam * horizon / 7.0)
    x = np.minimum(repeats, arrivals)
    rest = rng.gamma(arrivals - x + 1.0)
    cust = np.repeat(np.arange(n), x)
    cs = np.concatenate([[0.0], np.cumsum(rng.exponential(1.0, len(cust)))])
    first = np.cumsum(x) - x  # position of each customer's first repeat purchase
    s_k = cs[1:] - cs[first[cust]]
    s_x = cs[first + x] - cs[first]
    t = horizon[cust] * s_k / (s_x + rest)[cust]
    days = np.concatenate([signup, signup[cust] + np.ceil(t).astype(np.int64)])
    custs = np.concatenate([np.arange(n), cust])
    order = np.lexsort((days, custs))
    return custs[order], days[order]
