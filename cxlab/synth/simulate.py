"""One block of customers: signups, profiles, surveys, LTR and churn; then their tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cxlab.synth._arrow import draw_categorical, pick_index
from cxlab.synth.constants import (
    BACKGROUND_CHURN,
    CHANGE_ATTR_PROBS,
    CHANGE_PROBS,
    CHANNELS,
    CHURN_BASELINE_HAZARD,
    CHURN_HAZARD_RATIO,
    CHURN_RATE,
    CHURN_WINDOW,
    EARLY_ENTRY,
    LAG,
    MAX_SURVEYS,
    MIN_SURVEY_GAP,
    PRE_PERIOD_SHARE,
    REGION_SHARE,
    RESPONDENT_SHARE,
    SCORE_PROBS,
    SEGMENT_NPS_SHIFT,
    SEGMENT_SAMPLE_SHARE,
    TOUCHPOINTS,
    WEAK_TOUCHPOINTS,
)
from cxlab.synth.design import Design, quarter_of
from cxlab.synth.emit import emit_tables

# --------------------------------------------------------------------------- one block


def simulate_block(
    design: Design, b: int, quota: int, offsets: dict[str, int]
) -> tuple[dict[str, pa.Table], dict[str, np.ndarray]]:
    """Simulate customers until exactly ``quota`` responses, then their other tables."""
    attempt, factor = 0, 1.0
    while True:
        rng = np.random.default_rng(np.random.SeedSequence([design.seed, 1, b, attempt]))
        m = int(quota * factor) + 200
        sim = simulate_customers(design, rng, m, quota)
        if sim is not None:
            break
        attempt, factor = attempt + 1, factor * 2
    tables, stats = emit_tables(design, b, rng, sim, offsets)
    return tables, stats


def simulate_customers(
    design: Design, rng: np.random.Generator, m: int, quota: int
) -> dict[str, Any] | None:
    """``m`` candidate customers, cut after ``quota`` responses (None: too few responses).

    The steps draw from ``rng`` in a fixed order; each is a function below.
    """
    unit, signup = _signups(design, rng, m)
    prof, cdates = _profiles(design, rng, m, signup)
    cust, j, day = _survey_dates(design, rng, m, signup)
    resp = _ltr(design, rng, unit, prof, cdates, cust, day)
    trig, churn_lag = _churn_draws(rng, resp["cat"])
    cut = _quota_cut(cust, j, trig, m, quota)
    if cut is None:
        return None
    keep, last, first_trig = cut
    mk = last + 1
    churn = _churn_days(design, rng, signup[:mk], cust, j, day, keep, trig, churn_lag, first_trig)
    resp_ix = np.nonzero(keep)[0]
    return {
        "m": mk,
        "unit": unit[:mk],
        "signup": signup[:mk],
        "prof": prof[:, :mk, :],
        "cdates": cdates[:mk],
        "churn": churn,
        "resp": {"cust": cust[resp_ix], "day": day[resp_ix]}
        | {k: v[resp_ix] for k, v in resp.items()},
    }


def _signups(design: Design, rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit and signup day: before the period, or in a quarter drawn in proportion to new
    customers."""
    start = design.start
    unit = draw_categorical(rng, design.unit_share, m)
    pre = rng.random(m) < PRE_PERIOD_SHARE
    signup = start - rng.integers(1, 5 * 365 + 1, m)
    q = (rng.random(m)[:, None] >= design.signup_cum[unit]).sum(axis=1)
    q_len = design.q_start[q + 1] - design.q_start[q]
    in_period = design.q_start[q] + (rng.random(m) * q_len).astype(np.int64)
    return unit, np.where(pre, signup, in_period)


def _profiles(
    design: Design, rng: np.random.Generator, m: int, signup: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Profiles: an initial draw and up to two changes, each redrawing one attribute from
    the same marginal (so the mix at any date is the nominal one).

    Returns ``prof`` (attribute: segment, region, channel; customer; version 0-2) and the
    change dates ``cdates`` (customer, 2; a far-future sentinel when no change).
    """
    end = design.end
    prof = np.empty((3, m, 3), dtype=np.int64)
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
    return prof, cdates


def _survey_dates(
    design: Design, rng: np.random.Generator, m: int, signup: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Survey dates, at least MIN_SURVEY_GAP days apart: (customer, survey number, day)."""
    start, end = design.start, design.end
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
    return cust, j, sdates[cust, j]


def _ltr(
    design: Design,
    rng: np.random.Generator,
    unit: np.ndarray,
    prof: np.ndarray,
    cdates: np.ndarray,
    cust: np.ndarray,
    day: np.ndarray,
) -> dict[str, np.ndarray]:
    """Touch-point row, segment, quarter, LTR category (0 det, 1 pas, 2 pro) and LTR of
    each survey."""
    n = len(cust)
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
    eta = (
        design.latent[unit[cust], qi + LAG]
        + design.row_shift[row]
        + np.asarray(SEGMENT_NPS_SHIFT)[seg]
        - design.centre
    ) / 100.0
    eta = np.clip(eta, -0.95, 0.95)  # never binds: |eta| <= 0.83 with these shifts
    passive = np.minimum(0.30, 0.98 - np.abs(eta))
    p_pro = (1 - passive + eta) / 2
    uc = rng.random(n)
    cat = np.where(uc < p_pro, 2, np.where(uc < p_pro + passive, 1, 0))
    weak = np.isin(
        design.row_tp, [i for i, t in enumerate(TOUCHPOINTS) if t[0] in WEAK_TOUCHPOINTS]
    )[row]
    score_row = np.select([cat == 2, cat == 1, weak], [3, 2, 1], 0)
    score_cum = np.cumsum(SCORE_PROBS, axis=1)
    v = rng.random(n) * score_cum[score_row, -1]
    ltr = (v[:, None] >= score_cum[score_row]).sum(axis=1)
    return {"qi": qi, "row": row, "seg": seg, "cat": cat, "ltr": ltr}


def _churn_draws(rng: np.random.Generator, cat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per survey: does the customer churn within the window, and after how many days.

    Proportional hazards: the churn time T after the survey has hazard
    ``CHURN_BASELINE_HAZARD * CHURN_HAZARD_RATIO[category]`` per day for ``CHURN_WINDOW``
    days and none after, so ``P(T <= CHURN_WINDOW) = CHURN_RATE[category]``. T is drawn by
    inversion, ``T = -log(1 - u) / hazard``, and recorded on day ``ceil(T)`` after the
    survey (1..CHURN_WINDOW); ``u < CHURN_RATE[category]`` is exactly ``T <= CHURN_WINDOW``.
    """
    n = len(cat)
    u = rng.random(n)
    trig = u < np.asarray(CHURN_RATE)[cat]
    # the uniform churn day of the earlier model, no longer used: still drawn so that every
    # later draw (background churn, CSAT, CES, verbatims, journeys) stays as it was
    rng.integers(1, CHURN_WINDOW + 1, n)
    hazard = CHURN_BASELINE_HAZARD * np.asarray(CHURN_HAZARD_RATIO)[cat]
    days = np.ceil(-np.log1p(-np.where(trig, u, 0.0)) / hazard)
    churn_lag = np.clip(days, 1, CHURN_WINDOW).astype(np.int64)
    return trig, churn_lag


def _quota_cut(
    cust: np.ndarray, j: np.ndarray, trig: np.ndarray, m: int, quota: int
) -> tuple[np.ndarray, int, np.ndarray] | None:
    """Keep surveys up to each customer's churn trigger and the first ``quota`` of them.

    Returns the kept-survey mask, the last customer kept and each customer's first
    triggering survey (MAX_SURVEYS when none); None when there are fewer than ``quota``.
    """
    first_trig = np.full(m, MAX_SURVEYS, dtype=np.int64)
    np.minimum.at(first_trig, cust[trig], j[trig])
    keep = j <= first_trig[cust]  # later surveys of a churned customer do not happen
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
    return keep, last, first_trig


def _churn_days(
    design: Design,
    rng: np.random.Generator,
    signup: np.ndarray,
    cust: np.ndarray,
    j: np.ndarray,
    day: np.ndarray,
    keep: np.ndarray,
    trig: np.ndarray,
    churn_lag: np.ndarray,
    first_trig: np.ndarray,
) -> np.ndarray:
    """Churn day of each kept customer (-1: none by the last day of data): after the
    triggering survey if it was kept, else background churn for non-respondents."""
    start, end = design.start, design.end
    mk = len(signup)
    kept_j_max = np.full(mk, -1, dtype=np.int64)
    np.maximum.at(kept_j_max, cust[keep], j[keep])
    has_trig = first_trig[:mk] <= kept_j_max  # the triggering survey was kept
    churn = np.full(mk, -1, dtype=np.int64)
    trig_rows = keep & trig & (j == first_trig[cust])
    churn[cust[trig_rows]] = day[trig_rows] + churn_lag[trig_rows]
    churn = np.where(has_trig, churn, -1)
    answered = kept_j_max >= 0
    ws = np.maximum(signup, start)
    bg = (~answered) & (rng.random(mk) < BACKGROUND_CHURN)
    bg_day = ws + (rng.random(mk) * np.maximum(end - ws, 1)).astype(np.int64) + 1
    churn = np.where(bg, bg_day, churn)
    return np.where(churn > end, -1, churn)  # censored: after the last day of data
