"""Transactions of one block's customers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cxlab.synth._arrow import arrow_schema, date_array, id_array, label_array
from cxlab.synth.constants import MARGIN_RATE, REPEAT_RATE, TXN_MEAN, TXN_SIGMA
from cxlab.synth.design import Design
from cxlab.synth.journeys import PURCHASE_SLOT, profile_at


def transactions_table(
    design: Design,
    rng: np.random.Generator,
    sim: dict[str, Any],
    cust_ids: pa.Array,
    stop: np.ndarray,
    events: dict[str, np.ndarray],
    offset: int,
) -> pa.Table:
    """Purchases from journeys plus repeat purchases."""
    m = sim["m"]
    ws = np.maximum(sim["signup"], design.start)
    active_days = np.maximum(stop - ws, 0)
    buy = events["slot"] == PURCHASE_SLOT
    p_cust, p_day = events["cust"][buy], events["ts"][buy] // 86400
    eff = (sim["cdates"] < stop[:, None]) & (sim["cdates"] <= design.end)
    seg_now = sim["prof"][0, np.arange(m), eff.sum(axis=1)]
    lam = np.asarray(REPEAT_RATE)[seg_now] * active_days / 365.0
    n_rep = rng.poisson(lam)
    rc = np.repeat(np.arange(m), n_rep)
    r_day = ws[rc] + (rng.random(len(rc)) * active_days[rc]).astype(np.int64)
    t_cust = np.concatenate([p_cust, rc])
    t_day = np.concatenate([p_day, r_day])
    order = np.lexsort((t_day, t_cust))
    t_cust, t_day = t_cust[order], t_day[order]
    n_t = len(t_cust)
    t_seg = profile_at(sim, t_cust, t_day)[0]
    mean = np.asarray(TXN_MEAN)[t_seg]
    revenue = np.round(
        rng.lognormal(np.log(mean) - TXN_SIGMA**2 / 2, TXN_SIGMA, n_t).clip(5.0, None), 2
    )
    rate = np.clip(rng.normal(MARGIN_RATE[0], MARGIN_RATE[1], n_t), 0.02, 0.50)
    return pa.Table.from_arrays(
        [
            id_array("T", offset, n_t, 9),
            cust_ids.take(pa.array(t_cust)),
            label_array(design.units, sim["unit"][t_cust]),
            date_array(t_day),
            pa.array(revenue),
            pa.array(np.round(revenue * rate, 2)),
        ],
        schema=arrow_schema("transactions"),
    )
