"""One block of customers: their surveys, transactions, journeys and profile changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    pass

from cxlab.schema import STAGES
from cxlab.synth._arrow import (
    arrow_schema,
    date_array,
    draw_categorical,
    id_array,
    label_array,
    pick_index,
)
from cxlab.synth.comments import SPECIAL, SPECIAL_RATE
from cxlab.synth.constants import (
    BACKGROUND_CHURN,
    CES,
    CES_CHANNEL_SHIFT,
    CES_MISSING,
    CHANGE_ATTR_PROBS,
    CHANGE_PROBS,
    CHANNELS,
    CHURN_RATE,
    CHURN_WINDOW,
    COMMENT_RATE,
    CONVERT,
    CSAT,
    CSAT_MISSING,
    CULTIVATION_PROB,
    EARLY_ENTRY,
    JOURNEY_PROBS,
    LAG,
    MARGIN_RATE,
    MAX_SURVEYS,
    MIN_SURVEY_GAP,
    PRE_PERIOD_SHARE,
    PURCHASE_TOUCHPOINT,
    REGION_SHARE,
    REGIONS,
    REPEAT_RATE,
    RESPONDENT_SHARE,
    SCORE_PROBS,
    SEGMENT_NPS_SHIFT,
    SEGMENT_POPULATION_SHARE,
    SEGMENT_SAMPLE_SHARE,
    SEGMENTS,
    SWITCH_PROB,
    TOUCHPOINTS,
    TXN_MEAN,
    TXN_SIGMA,
    WEAK_TOUCHPOINTS,
)
from cxlab.synth.design import Design, quarter_of

# --------------------------------------------------------------------------- one block


def simulate_block(
    design: Design, b: int, quota: int, offsets: dict[str, int]
) -> tuple[dict[str, pa.Table], np.ndarray]:
    """Simulate customers until exactly ``quota`` responses, then their other tables."""
    attempt, factor = 0, 1.0
    while True:
        rng = np.random.default_rng(np.random.SeedSequence([design.seed, 1, b, attempt]))
        m = int(quota * factor) + 200
        sim = _simulate_customers(design, rng, m, quota)
        if sim is not None:
            break
        attempt, factor = attempt + 1, factor * 2
    tables, stats = _emit(design, rng, sim, offsets)
    return tables, stats


def _simulate_customers(
    design: Design, rng: np.random.Generator, m: int, quota: int
) -> dict[str, Any] | None:
    start, end = design.start, design.end
    unit = draw_categorical(rng, design.unit_share, m)

    # signup: before the period, or in a quarter drawn in proportion to new customers
    pre = rng.random(m) < PRE_PERIOD_SHARE
    signup = start - rng.integers(1, 5 * 365 + 1, m)
    q = (rng.random(m)[:, None] >= design.signup_cum[unit]).sum(axis=1)
    q_len = design.q_start[q + 1] - design.q_start[q]
    in_period = design.q_start[q] + (rng.random(m) * q_len).astype(np.int64)
    signup = np.where(pre, signup, in_period)

    # profiles: initial draw and up to two changes, each redrawing one attribute from the
    # same marginal (so the mix at any date is the nominal one)
    prof = np.empty((3, m, 3), dtype=np.int64)  # attribute (segment, region, channel), customer, k
    prof[0, :, 0] = draw_categorical(rng, SEGMENT_SAMPLE_SHARE, m)
    prof[1, :, 0] = draw_categorical(rng, REGION_SHARE, m)
    prof[2, :, 0] = draw_categorical(rng, design.channel_share, m)
    n_change = draw_categorical(rng, CHANGE_PROBS, m)
    room = end - signup
    n_change = np.where(room >= 3, n_change, 0)
    cdates = (
        signup[:, None]
        + 1
        + (rng.random((m, 2)) * np.maximum(room - 1, 1)[:, None]).astype(np.int64)
    )
    cdates.sort(axis=1)
    cdates[:, 1] = np.maximum(cdates[:, 1], cdates[:, 0] + 1)
    sentinel = np.iinfo(np.int64).max // 4
    cdates = np.where(np.arange(2)[None, :] < n_change[:, None], cdates, sentinel)
    cdates = np.where(cdates > end, sentinel, cdates)
    shares = (SEGMENT_SAMPLE_SHARE, REGION_SHARE, design.channel_share)
    for k in (1, 2):
        prof[:, :, k] = prof[:, :, k - 1]
        attr = draw_categorical(rng, CHANGE_ATTR_PROBS, m)
        for a in range(3):
            new_val = draw_categorical(rng, shares[a], m)
            prof[a, :, k] = np.where(attr == a, new_val, prof[a, :, k])

    # survey dates, at least 183 days apart
    respondent = rng.random(m) < RESPONDENT_SHARE
    k_cap = np.where(respondent, 1 + np.minimum(rng.poisson(2.0, m), MAX_SURVEYS - 1), 0)
    gaps = MIN_SURVEY_GAP + rng.integers(0, 121, (m, MAX_SURVEYS))
    # pre-period customers enter the survey programme at any time, new ones soon after signup
    span = end - start + 1
    early = rng.random(m) < EARLY_ENTRY
    entry = np.where(early, rng.random(m) * 304, rng.random(m) * span * 0.85).astype(np.int64)
    first = np.where(signup < start, start + entry, signup + rng.integers(7, 121, m))
    gaps[:, 0] = 0
    sdates = first[:, None] + np.cumsum(gaps, axis=1)
    valid = (np.arange(MAX_SURVEYS)[None, :] < k_cap[:, None]) & (sdates <= end)
    cust, j = np.nonzero(valid)
    day = sdates[cust, j]
    n = len(cust)

    # LTR
    pidx = (day >= cdates[cust, 0]).astype(np.int64) + (day >= cdates[cust, 1])
    seg = prof[0, cust, pidx]
    pref = prof[2, cust, pidx]
    row = pick_index(rng.random(n), design.base_cum)
    own = rng.random(n) < 0.5
    u = rng.random(n)
    for c in range(len(CHANNELS)):
        sel = own & (pref == c)
        row[sel] = pick_index(u[sel], design.chan_cum[c])
    qi = quarter_of(design, day)
    u_of = unit[cust]
    eta = (
        design.latent[u_of, qi + LAG]
        + design.row_shift[row]
        + np.asarray(SEGMENT_NPS_SHIFT)[seg]
        - design.centre
    ) / 100.0
    eta = np.clip(eta, -0.95, 0.95)  # never binds: |eta| <= 0.83 with these shifts
    passive = np.minimum(0.30, 0.98 - np.abs(eta))
    p_pro = (1 - passive + eta) / 2
    uc = rng.random(n)
    cat = np.where(uc < p_pro, 2, np.where(uc < p_pro + passive, 1, 0))  # 0 det, 1 pas, 2 pro
    weak = np.isin(
        design.row_tp, [i for i, t in enumerate(TOUCHPOINTS) if t[0] in WEAK_TOUCHPOINTS]
    )[row]
    score_row = np.select([cat == 2, cat == 1, weak], [3, 2, 1], 0)
    score_cum = np.cumsum(SCORE_PROBS, axis=1)
    v = rng.random(n) * score_cum[score_row, -1]
    ltr = (v[:, None] >= score_cum[score_row]).sum(axis=1)

    # churn after a survey; later surveys of a churned customer do not happen
    trig = rng.random(n) < np.asarray(CHURN_RATE)[cat]
    churn_lag = rng.integers(1, CHURN_WINDOW + 1, n)
    first_trig = np.full(m, MAX_SURVEYS, dtype=np.int64)
    np.minimum.at(first_trig, cust[trig], j[trig])
    keep = j <= first_trig[cust]
    counts = np.bincount(cust[keep], minlength=m)
    cum = np.cumsum(counts)
    if cum[-1] < quota:
        return None
    last = int(np.searchsorted(cum, quota))  # last customer kept
    allowed = counts[: last + 1].copy()
    allowed[last] -= cum[last] - quota
    keep &= cust <= last
    rank = np.cumsum(keep) - 1  # rank of response in the block among kept ones
    before = np.concatenate([[0], np.cumsum(allowed)])[np.minimum(cust, last)]
    keep &= (rank - before) < allowed[np.minimum(cust, last)]

    mk = last + 1
    kept_j_max = np.full(mk, -1, dtype=np.int64)
    np.maximum.at(kept_j_max, cust[keep], j[keep])
    has_trig = first_trig[:mk] <= kept_j_max  # the triggering survey was kept
    churn = np.full(mk, -1, dtype=np.int64)
    trig_rows = keep & trig & (j == first_trig[cust])
    churn[cust[trig_rows]] = day[trig_rows] + churn_lag[trig_rows]
    churn = np.where(has_trig, churn, -1)
    # background churn for customers who never answered
    answered = kept_j_max >= 0
    ws = np.maximum(signup[:mk], start)
    bg = (~answered) & (rng.random(mk) < BACKGROUND_CHURN)
    bg_day = ws + (rng.random(mk) * np.maximum(end - ws, 1)).astype(np.int64) + 1
    churn = np.where(bg, bg_day, churn)
    churn = np.where(churn > end, -1, churn)  # censored: after the last day of data

    resp_ix = np.nonzero(keep)[0]
    return {
        "m": mk,
        "unit": unit[:mk],
        "signup": signup[:mk],
        "prof": prof[:, :mk, :],
        "cdates": cdates[:mk],
        "churn": churn,
        "resp": {
            "cust": cust[resp_ix],
            "day": day[resp_ix],
            "qi": qi[resp_ix],
            "row": row[resp_ix],
            "seg": seg[resp_ix],
            "cat": cat[resp_ix],
            "ltr": ltr[resp_ix],
        },
    }


def _profile_at(sim: dict[str, Any], cust: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(attribute, n) profile of customers ``cust`` on ``day``."""
    cd = sim["cdates"]
    k = (day >= cd[cust, 0]).astype(np.int64) + (day >= cd[cust, 1])
    return sim["prof"][:, cust, k]


def _emit(
    design: Design, rng: np.random.Generator, sim: dict[str, Any], offsets: dict[str, int]
) -> tuple[dict[str, pa.Table], np.ndarray]:
    end, start = design.end, design.start
    m = sim["m"]
    cust_ids = id_array("C", offsets["customers"], m, 7)
    churn = sim["churn"]
    churned = churn >= 0
    stop = np.where(churned, churn, end + 1)  # first day without activity
    tables: dict[str, pa.Table] = {}

    # --- customer_history and customers
    cd = sim["cdates"]
    prof = sim["prof"]
    eff = (cd < stop[:, None]) & (cd <= end)  # changes that happened before churn
    changed = np.ones((m, 3), dtype=bool)
    changed[:, 1:] = eff & np.any(prof[:, :, 1:] != prof[:, :, :-1], axis=0)
    from_ = np.column_stack([sim["signup"], cd])
    nxt = np.full((m, 3), -1, dtype=np.int64)
    nxt[:, 1] = np.where(changed[:, 2], cd[:, 1], -1)
    nxt[:, 0] = np.where(changed[:, 1], cd[:, 0], nxt[:, 1])
    hc, hk = np.nonzero(changed)
    valid_to = nxt[hc, hk]
    tables["customer_history"] = pa.Table.from_arrays(
        [
            cust_ids.take(pa.array(hc)),
            date_array(from_[hc, hk]),
            date_array(valid_to - 1, null=valid_to < 0),
            label_array(SEGMENTS, prof[0, hc, hk]),
            label_array(REGIONS, prof[1, hc, hk]),
            label_array(CHANNELS, prof[2, hc, hk]),
        ],
        schema=arrow_schema("customer_history"),
    )
    cur = eff.sum(axis=1)
    ar = np.arange(m)
    tables["customers"] = pa.Table.from_arrays(
        [
            cust_ids,
            label_array(design.units, sim["unit"]),
            label_array(SEGMENTS, prof[0, ar, cur]),
            label_array(REGIONS, prof[1, ar, cur]),
            label_array(CHANNELS, prof[2, ar, cur]),
            date_array(sim["signup"]),
            date_array(np.where(churned, churn, 0), null=~churned),
        ],
        schema=arrow_schema("customers"),
    )

    # --- responses
    r = sim["resp"]
    n = len(r["cust"])
    ltr = r["ltr"]
    stage = design.row_stage[r["row"]]
    ch = design.row_ch[r["row"]]
    e_csat = rng.normal(0.0, CSAT[2], n)
    csat = np.clip(np.round(CSAT[0] + CSAT[1] * ltr + e_csat), 1, 5)
    ces_shift = np.array([CES_CHANNEL_SHIFT.get(c, 0.0) for c in CHANNELS])[ch]
    ces = np.clip(np.round(CES[0] + CES[1] * ltr + ces_shift + rng.normal(0.0, CES[2], n)), 1, 7)
    csat_na = rng.random(n) < CSAT_MISSING
    ces_rate = np.where(
        stage == STAGES.index("interaction"), CES_MISSING["interaction"], CES_MISSING["other"]
    )
    ces_na = rng.random(n) < ces_rate
    cat = r["cat"]
    comment = rng.random(n) < np.asarray(COMMENT_RATE)[cat]
    special = rng.random(n) < SPECIAL_RATE
    tp = design.row_tp[r["row"]]
    pick = (rng.random(n) * design.comment_count[tp, cat]).astype(np.int64)
    text_ix = design.comment_offset[tp, cat] + pick
    n_special = len(SPECIAL)
    special_ix = len(design.comments) - n_special + rng.integers(0, n_special, n)
    text_ix = np.where(special, special_ix, text_ix)
    verbatim = design.comments.take(pa.array(text_ix, mask=~comment))
    weight = (np.asarray(SEGMENT_POPULATION_SHARE) / np.asarray(SEGMENT_SAMPLE_SHARE))[r["seg"]]
    tables["responses"] = pa.Table.from_arrays(
        [
            id_array("R", offsets["responses"], n, 9),
            cust_ids.take(pa.array(r["cust"])),
            label_array(design.units, sim["unit"][r["cust"]]),
            date_array(r["day"]),
            label_array(design.quarters, r["qi"]),
            label_array(CHANNELS, ch),
            label_array(tuple(t[0] for t in TOUCHPOINTS), tp),
            label_array(STAGES, stage),
            pa.array(ltr.astype(np.int32)),
            pa.array(csat.astype(np.int32), mask=csat_na),
            pa.array(ces.astype(np.int32), mask=ces_na),
            verbatim,
            pa.array(np.round(weight, 6)),
        ],
        schema=arrow_schema("responses"),
    )

    # six-month churn per LTR category, on surveys whose window ends inside the data
    stats = np.zeros((3, 2), dtype=np.int64)
    observable = r["day"] + CHURN_WINDOW <= end
    c_day = churn[r["cust"]]
    hit = (c_day > r["day"]) & (c_day <= r["day"] + CHURN_WINDOW)
    for k in range(3):
        sel = observable & (cat == k)
        stats[k] = sel.sum(), (sel & hit).sum()

    # --- interactions: journeys through the stages
    ws = np.maximum(sim["signup"], start)
    active_days = np.maximum(stop - ws, 0)
    n_j = np.where(active_days > 0, draw_categorical(rng, JOURNEY_PROBS, m), 0)
    jc = np.repeat(np.arange(m), n_j)
    nj = len(jc)
    j_start = ws[jc] * 86400 + (rng.random(nj) * active_days[jc] * 86400).astype(np.int64)
    slots = 6  # attraction x2, interaction x2, purchase, cultivation
    j_day = j_start // 86400
    pref0 = _profile_at(sim, jc, j_day)[2]
    switch = rng.random(nj) < SWITCH_PROB
    sw_slot = rng.integers(1, slots, nj)
    other = (pref0 + rng.integers(1, len(CHANNELS), nj)) % len(CHANNELS)
    chan = np.where(
        switch[:, None] & (np.arange(slots)[None, :] >= sw_slot[:, None]),
        other[:, None],
        pref0[:, None],
    )
    purchase_tp = [t[0] for t in TOUCHPOINTS].index(PURCHASE_TOUCHPOINT)
    purchase_chans = [CHANNELS.index(c) for c in TOUCHPOINTS[purchase_tp][2]]
    chan[:, 4] = np.where(np.isin(chan[:, 4], purchase_chans), chan[:, 4], CHANNELS.index("web"))
    slot_stage = np.array([0, 0, 1, 1, 1, 2])
    rows = np.empty((nj, slots), dtype=np.int64)
    u = rng.random((nj, slots))
    tp_w = np.array([t[6] for t in TOUCHPOINTS])
    for s in range(3):
        for c in range(len(CHANNELS)):
            for is_purchase in (False, True):
                cand = (design.row_stage == s) & (design.row_ch == c)
                cand &= (design.row_tp == purchase_tp) == is_purchase
                slot_sel = (slot_stage == s) & ((np.arange(slots) == 4) == is_purchase)
                sel = (chan == c) & slot_sel[None, :]
                if not sel.any():
                    continue
                w = np.where(cand, tp_w[design.row_tp], 0.0)
                if w.sum() <= 0:
                    raise AssertionError(f"synth bug: no touch point for stage {s}, channel {c}")
                rows[sel] = pick_index(u[sel], np.cumsum(w))
    weak_tp = [i for i, t in enumerate(TOUCHPOINTS) if t[0] in WEAK_TOUCHPOINTS]
    active = np.ones((nj, slots), dtype=bool)
    active[:, 1] = rng.random(nj) < 0.4
    active[:, 3] = rng.random(nj) < 0.45
    met_weak = (np.isin(design.row_tp[rows], weak_tp) & active)[:, :4].any(axis=1)
    convert = rng.random(nj) < np.where(met_weak, CONVERT[1], CONVERT[0])
    active[:, 4] = convert
    active[:, 5] = convert & (rng.random(nj) < CULTIVATION_PROB)
    gap_mean = np.array([0.0, 1.5, 1.5, 1.5, 1.5, 12.0]) * 86400
    gaps = rng.exponential(1.0, (nj, slots)) * gap_mean[None, :]
    ts = j_start[:, None] + np.cumsum((gaps * active).astype(np.int64), axis=1)
    active &= ts < stop[jc][:, None] * 86400
    ec, es = np.nonzero(active)
    e_cust = jc[ec]
    e_ts = ts[ec, es]
    order = np.lexsort((es, e_ts, e_cust))
    e_cust, e_ts, e_row = e_cust[order], e_ts[order], rows[ec, es][order]
    e_slot = es[order]
    n_e = len(e_cust)
    tables["interactions"] = pa.Table.from_arrays(
        [
            id_array("I", offsets["interactions"], n_e, 9),
            cust_ids.take(pa.array(e_cust)),
            pa.array((e_ts * 1_000_000).astype("datetime64[us]")),
            label_array(tuple(t[0] for t in TOUCHPOINTS), design.row_tp[e_row]),
            label_array(CHANNELS, design.row_ch[e_row]),
            label_array(STAGES, design.row_stage[e_row]),
        ],
        schema=arrow_schema("interactions"),
    )

    # --- transactions: purchases from journeys plus repeat purchases
    buy = e_slot == 4
    p_cust, p_day = e_cust[buy], e_ts[buy] // 86400
    seg_now = prof[0, np.arange(m), eff.sum(axis=1)]
    lam = np.asarray(REPEAT_RATE)[seg_now] * active_days / 365.0
    n_rep = rng.poisson(lam)
    rc = np.repeat(np.arange(m), n_rep)
    r_day = ws[rc] + (rng.random(len(rc)) * active_days[rc]).astype(np.int64)
    t_cust = np.concatenate([p_cust, rc])
    t_day = np.concatenate([p_day, r_day])
    order = np.lexsort((t_day, t_cust))
    t_cust, t_day = t_cust[order], t_day[order]
    n_t = len(t_cust)
    t_seg = _profile_at(sim, t_cust, t_day)[0]
    mean = np.asarray(TXN_MEAN)[t_seg]
    revenue = np.round(
        rng.lognormal(np.log(mean) - TXN_SIGMA**2 / 2, TXN_SIGMA, n_t).clip(5.0, None), 2
    )
    rate = np.clip(rng.normal(MARGIN_RATE[0], MARGIN_RATE[1], n_t), 0.02, 0.50)
    tables["transactions"] = pa.Table.from_arrays(
        [
            id_array("T", offsets["transactions"], n_t, 9),
            cust_ids.take(pa.array(t_cust)),
            label_array(design.units, sim["unit"][t_cust]),
            date_array(t_day),
            pa.array(revenue),
            pa.array(np.round(revenue * rate, 2)),
        ],
        schema=arrow_schema("transactions"),
    )

    offsets["customers"] += m
    offsets["responses"] += n
    offsets["interactions"] += n_e
    offsets["transactions"] += n_t
    return tables, stats
