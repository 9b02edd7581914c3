"""Journeys through the stages (the ``interactions`` table) of one block's customers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cxlab.schema import STAGES
from cxlab.synth._arrow import (
    arrow_schema,
    draw_categorical,
    id_array,
    label_array,
    pick_index,
)
from cxlab.synth.constants import (
    CHANNELS,
    CONVERT,
    CULTIVATION_PROB,
    JOURNEY_PROBS,
    PURCHASE_TOUCHPOINT,
    SWITCH_PROB,
    TOUCHPOINTS,
    WEAK_TOUCHPOINTS,
)
from cxlab.synth.design import Design

SLOTS = 6  # event slots of a journey: attraction x2, interaction x2, purchase, cultivation
PURCHASE_SLOT = 4
_SLOT_STAGE = np.array([0, 0, 1, 1, 1, 2])
_GAP_MEAN_SECONDS = np.array([0.0, 1.5, 1.5, 1.5, 1.5, 12.0]) * 86400  # by slot


def profile_at(sim: dict[str, Any], cust: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(attribute, n) profile of customers ``cust`` on ``day``."""
    cd = sim["cdates"]
    k = (day >= cd[cust, 0]).astype(np.int64) + (day >= cd[cust, 1])
    return sim["prof"][:, cust, k]


def interactions_table(
    design: Design,
    rng: np.random.Generator,
    sim: dict[str, Any],
    cust_ids: pa.Array,
    stop: np.ndarray,
    offset: int,
) -> pa.Table:
    """0-2 journeys per active customer: their events before churn, by customer and time."""
    ws = np.maximum(sim["signup"], design.start)
    active_days = np.maximum(stop - ws, 0)
    n_j = np.where(active_days > 0, draw_categorical(rng, JOURNEY_PROBS, sim["m"]), 0)
    jc = np.repeat(np.arange(sim["m"]), n_j)
    j_start = ws[jc] * 86400 + (rng.random(len(jc)) * active_days[jc] * 86400).astype(np.int64)
    chan = _journey_channels(rng, sim, jc, j_start // 86400)
    rows = _journey_rows(design, rng, chan)
    active = _journey_events(design, rng, rows)
    gaps = rng.exponential(1.0, (len(jc), SLOTS)) * _GAP_MEAN_SECONDS[None, :]
    ts = j_start[:, None] + np.cumsum((gaps * active).astype(np.int64), axis=1)
    active &= ts < stop[jc][:, None] * 86400
    ec, es = np.nonzero(active)
    e_cust, e_ts = jc[ec], ts[ec, es]
    order = np.lexsort((es, e_ts, e_cust))
    e_cust, e_ts, e_row = e_cust[order], e_ts[order], rows[ec, es][order]
    return pa.Table.from_arrays(
        [
            id_array("I", offset, len(e_cust), 9),
            cust_ids.take(pa.array(e_cust)),
            pa.array((e_ts * 1_000_000).astype("datetime64[us]")),
            label_array(tuple(t[0] for t in TOUCHPOINTS), design.row_tp[e_row]),
            label_array(CHANNELS, design.row_ch[e_row]),
            label_array(STAGES, design.row_stage[e_row]),
        ],
        schema=arrow_schema("interactions"),
    )


def _journey_channels(
    rng: np.random.Generator, sim: dict[str, Any], jc: np.ndarray, j_day: np.ndarray
) -> np.ndarray:
    """(journeys, slots) channel: the preferred one, switched at a random slot in some
    journeys; purchases happen in a channel that sells (else on the web)."""
    nj = len(jc)
    pref0 = profile_at(sim, jc, j_day)[2]
    switch = rng.random(nj) < SWITCH_PROB
    sw_slot = rng.integers(1, SLOTS, nj)
    other = (pref0 + rng.integers(1, len(CHANNELS), nj)) % len(CHANNELS)
    chan = np.where(
        switch[:, None] & (np.arange(SLOTS)[None, :] >= sw_slot[:, None]),
        other[:, None],
        pref0[:, None],
    )
    purchase_tp = [t[0] for t in TOUCHPOINTS].index(PURCHASE_TOUCHPOINT)
    purchase_chans = [CHANNELS.index(c) for c in TOUCHPOINTS[purchase_tp][2]]
    buy = chan[:, PURCHASE_SLOT]
    chan[:, PURCHASE_SLOT] = np.where(np.isin(buy, purchase_chans), buy, CHANNELS.index("web"))
    return chan


def _journey_rows(design: Design, rng: np.random.Generator, chan: np.ndarray) -> np.ndarray:
    """(journeys, slots) touch-point row of each slot: one of the slot's stage in the slot's
    channel, by touch-point weight (the purchase slot always the purchase touch point)."""
    purchase_tp = [t[0] for t in TOUCHPOINTS].index(PURCHASE_TOUCHPOINT)
    rows = np.empty(chan.shape, dtype=np.int64)
    u = rng.random(chan.shape)
    tp_w = np.array([t[6] for t in TOUCHPOINTS])
    is_purchase_slot = np.arange(SLOTS) == PURCHASE_SLOT
    for s in range(3):
        for c in range(len(CHANNELS)):
            for is_purchase in (False, True):
                cand = (design.row_stage == s) & (design.row_ch == c)
                cand &= (design.row_tp == purchase_tp) == is_purchase
                slot_sel = (_SLOT_STAGE == s) & (is_purchase_slot == is_purchase)
                sel = (chan == c) & slot_sel[None, :]
                if not sel.any():
                    continue
                w = np.where(cand, tp_w[design.row_tp], 0.0)
                if w.sum() <= 0:
                    raise AssertionError(f"synth bug: no touch point for stage {s}, channel {c}")
                rows[sel] = pick_index(u[sel], np.cumsum(w))
    return rows


def _journey_events(design: Design, rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
    """(journeys, slots) which events happen: the optional second attraction and interaction,
    the purchase (less likely after a weak touch point) and cultivation after a purchase."""
    nj = len(rows)
    weak_tp = [i for i, t in enumerate(TOUCHPOINTS) if t[0] in WEAK_TOUCHPOINTS]
    active = np.ones((nj, SLOTS), dtype=bool)
    active[:, 1] = rng.random(nj) < 0.4
    active[:, 3] = rng.random(nj) < 0.45
    met_weak = (np.isin(design.row_tp[rows], weak_tp) & active)[:, :PURCHASE_SLOT].any(axis=1)
    convert = rng.random(nj) < np.where(met_weak, CONVERT[1], CONVERT[0])
    active[:, PURCHASE_SLOT] = convert
    active[:, 5] = convert & (rng.random(nj) < CULTIVATION_PROB)
    return active
