"""The drawn design of one demo company (units, quarters, latent NPS) and its outcomes table."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    pass

from cxlab.errors import CxlabError
from cxlab.periods import quarter_from_index, quarter_index
from cxlab.schema import STAGES
from cxlab.synth._arrow import arrow_schema
from cxlab.synth.constants import (
    ALPHA_SHARE,
    BASE_NEW_MEAN,
    BETA_NEW,
    BETA_SHARE,
    CHANNEL_WEIGHT,
    CHANNELS,
    GROSS_MARGIN_RATE,
    LAG,
    NEW_NOISE_SD,
    OPEX_RATE,
    QUARTERLY_BASE_CHURN,
    REPEAT_RATE,
    REVENUE_NOISE_SD,
    SEGMENT_NPS_SHIFT,
    SEGMENT_POPULATION_SHARE,
    SEGMENT_SAMPLE_SHARE,
    SHARE_NOISE_SD,
    TOUCHPOINTS,
    TXN_MEAN,
    UNIT_NAMES,
    WEAK_CHANNELS,
    WEAK_TOUCHPOINTS,
)
from cxlab.synth.verbatims import Catalog, catalog

# --------------------------------------------------------------------------- design


@dataclass(frozen=True)
class Design:
    seed: int
    units: tuple[str, ...]
    quarters: tuple[str, ...]
    lead_quarters: tuple[str, ...]  # LAG quarters before the first reported one
    q_start: np.ndarray  # first day (days since 1970) of each reported quarter, plus end + 1
    first_qabs: int  # quarters since 1970Q1 of the first reported quarter
    unit_share: np.ndarray
    latent: np.ndarray  # (units, LAG + quarters)
    signup_cum: np.ndarray  # (units, quarters) cumulative signup probabilities
    outcomes: pa.Table
    outcome_truth: dict[str, Any]
    # (touch point, channel) rows of the inventory
    row_tp: np.ndarray
    row_ch: np.ndarray
    row_stage: np.ndarray
    row_shift: np.ndarray
    base_cum: np.ndarray
    chan_cum: np.ndarray  # (channels, rows)
    channel_share: np.ndarray
    centre: float  # expected shift over the response mix
    comments: Catalog  # verbatim fragments and theme-mention model

    @property
    def start(self) -> int:
        return int(self.q_start[0])

    @property
    def end(self) -> int:  # inclusive last day
        return int(self.q_start[-1]) - 1


def check_args(n_responses: int, seed: int, n_units: int, quarters: int, chunk: int) -> None:
    for name, value, low in [
        ("n_responses", n_responses, 1),
        ("seed", seed, 0),
        ("n_units", n_units, 1),
        ("quarters", quarters, 1),
        ("chunk_size", chunk, 1),
    ]:
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
            raise CxlabError(f"synth: {name} must be an integer >= {low}, got {value!r}")


def _quarter_start_day(k: int) -> int:
    months = (k // 4 - 1970) * 12 + (k % 4) * 3
    return int(np.datetime64(months, "M").astype("datetime64[D]").astype(np.int64))


def make_design(seed: int, n_units: int, quarters: int, last_quarter: str) -> Design:
    last = quarter_index(last_quarter, "synth: last_quarter")
    first = last - quarters + 1
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    units = tuple(
        UNIT_NAMES[i] if i < len(UNIT_NAMES) else f"Unit {i + 1:02d}" for i in range(n_units)
    )
    q_labels = tuple(quarter_from_index(k) for k in range(first, last + 1))
    lead = tuple(quarter_from_index(k) for k in range(first - LAG, first))
    q_start = np.array([_quarter_start_day(k) for k in range(first, last + 2)], dtype=np.int64)

    size = np.linspace(0.6, 1.5, n_units) if n_units > 1 else np.ones(1)
    size = rng.permutation(size)
    unit_share = size / size.sum()

    # latent NPS: unit level + linear trend + AR(1), clipped to [-10, 60]
    n_t = quarters + LAG
    levels = np.linspace(5.0, 45.0, n_units) if n_units > 1 else np.array([25.0])
    levels = rng.permutation(levels) + rng.normal(0.0, 2.0, n_units)
    trend = rng.uniform(-1.2, 1.2, n_units)
    phi, sd = 0.6, 6.0
    ar = np.empty((n_units, n_t))
    ar[:, 0] = rng.normal(0.0, sd / math.sqrt(1 - phi**2), n_units)
    for t in range(1, n_t):
        ar[:, t] = phi * ar[:, t - 1] + rng.normal(0.0, sd, n_units)
    tc = np.arange(n_t) - (n_t - 1) / 2
    latent = np.round(np.clip(levels[:, None] + trend[:, None] * tc + ar, -10.0, 60.0), 2)

    outcomes, outcome_truth, new = _outcomes(rng, units, q_labels, latent, size)
    signup_cum = np.cumsum(new, axis=1)
    signup_cum = signup_cum / signup_cum[:, -1:]
    signup_cum[:, -1] = np.inf  # a uniform draw always falls in a quarter

    row_tp_a, row_ch_a, row_p, row_stage, row_shift = _touchpoint_rows()
    channel_share = np.array([row_p[row_ch_a == c].sum() for c in range(len(CHANNELS))])
    chan_cum = np.zeros((len(CHANNELS), len(row_p)))
    for c in range(len(CHANNELS)):
        chan_cum[c] = np.cumsum(np.where(row_ch_a == c, row_p, 0.0))
    centre = float(row_p @ row_shift + np.dot(SEGMENT_SAMPLE_SHARE, SEGMENT_NPS_SHIFT))

    return Design(
        seed=seed,
        units=units,
        quarters=q_labels,
        lead_quarters=lead,
        q_start=q_start,
        first_qabs=first - 1970 * 4,
        unit_share=unit_share,
        latent=latent,
        signup_cum=signup_cum,
        outcomes=outcomes,
        outcome_truth=outcome_truth,
        row_tp=row_tp_a,
        row_ch=row_ch_a,
        row_stage=row_stage,
        row_shift=row_shift,
        base_cum=np.cumsum(row_p),
        chan_cum=chan_cum,
        channel_share=channel_share,
        centre=centre,
        comments=catalog(),
    )


def _touchpoint_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (touch point, channel) rows of the inventory: touch point, channel, response mix,
    stage and NPS shift of each."""
    tp_names = [t[0] for t in TOUCHPOINTS]
    row_tp, row_ch, row_w = [], [], []
    for i, tp in enumerate(TOUCHPOINTS):
        chans, weight = tp[2], tp[6]
        for ch in chans:
            row_tp.append(i)
            row_ch.append(CHANNELS.index(ch))
            row_w.append(weight * CHANNEL_WEIGHT[CHANNELS.index(ch)])
    row_p = np.array(row_w) / np.sum(row_w)
    row_stage = np.array([STAGES.index(TOUCHPOINTS[i][1]) for i in row_tp])
    row_shift = np.array(
        [
            WEAK_TOUCHPOINTS.get(tp_names[t], 0.0) + WEAK_CHANNELS.get(CHANNELS[c], 0.0)
            for t, c in zip(row_tp, row_ch, strict=True)
        ]
    )
    return np.array(row_tp), np.array(row_ch), row_p, row_stage, row_shift


def _spend_per_customer_quarter() -> float:
    """Expected revenue per active customer and quarter, population segment mix."""
    return float(
        sum(
            s * m * r / 4
            for s, m, r in zip(SEGMENT_POPULATION_SHARE, TXN_MEAN, REPEAT_RATE, strict=True)
        )
    )


def _outcomes(
    rng: np.random.Generator,
    units: tuple[str, ...],
    q_labels: tuple[str, ...],
    latent: np.ndarray,
    size: np.ndarray,
) -> tuple[pa.Table, dict[str, Any], np.ndarray]:
    n_units, n_q = len(units), len(q_labels)
    driver = latent[:, :n_q]  # latent[u, t - LAG] for reported quarter t
    base_new = np.round(BASE_NEW_MEAN * size / size.mean())
    new = base_new[:, None] + BETA_NEW * driver + rng.normal(0.0, NEW_NOISE_SD, (n_units, n_q))
    new = np.maximum(np.round(new), 0.0)

    d_share = ALPHA_SHARE + BETA_SHARE * driver + rng.normal(0, SHARE_NOISE_SD, (n_units, n_q))
    path = np.cumsum(d_share, axis=1)
    s0 = rng.uniform(0.15, 0.35, n_units)
    s0 = np.clip(s0, 0.03 - path.min(axis=1), 0.97 - path.max(axis=1))  # keep shares in (0, 1)
    share = s0[:, None] + path

    spend = _spend_per_customer_quarter()
    base = np.empty((n_units, n_q))
    prev = base_new / QUARTERLY_BASE_CHURN
    for t in range(n_q):
        prev = prev * (1 - QUARTERLY_BASE_CHURN) + new[:, t]
        base[:, t] = prev
    revenue = base * spend * (1 + rng.normal(0.0, REVENUE_NOISE_SD, (n_units, n_q)))
    steady = base_new / QUARTERLY_BASE_CHURN * spend
    opex = OPEX_RATE * steady
    profit = GROSS_MARGIN_RATE * revenue - opex[:, None]

    uu, qq = np.meshgrid(np.arange(n_units), np.arange(n_q), indexing="ij")
    table = pa.Table.from_arrays(
        [
            pa.array(np.array(units, dtype=object)[uu.ravel()], pa.string()),
            pa.array(np.array(q_labels, dtype=object)[qq.ravel()], pa.string()),
            pa.array(new.ravel().astype(np.int64)),
            pa.array(np.round(revenue.ravel(), 2)),
            pa.array(np.round(profit.ravel(), 2)),
            pa.array(np.round(share.ravel(), 6)),
        ],
        schema=arrow_schema("outcomes"),
    )
    truth = {
        "description": (
            "Unit NPS drives outcomes with a lag of lag_quarters quarters: "
            "new_customers[u,t] = base[u] + beta_per_nps_point * latent_nps[u,t-lag] + N(0, noise_sd); "
            "market_share[u,t] - market_share[u,t-1] = intercept + beta_per_nps_point * "
            "latent_nps[u,t-lag] + N(0, noise_sd) (share_before_first_quarter gives t-1 for the "
            "first quarter). Revenue = active customer base x spend per customer per quarter x "
            "(1 + N(0, revenue noise_sd)), where the base loses quarterly_churn and gains "
            "new_customers each quarter (starting at base[u] / quarterly_churn); profit = "
            "gross_margin_rate x revenue - opex[u]. Regress outcomes on latent_nps lagged "
            "lag_quarters with unit fixed effects to recover the betas."
        ),
        "lag_quarters": LAG,
        "new_customers": {
            "base": {u: float(b) for u, b in zip(units, base_new, strict=True)},
            "beta_per_nps_point": BETA_NEW,
            "noise_sd": NEW_NOISE_SD,
        },
        "market_share": {
            "intercept": ALPHA_SHARE,
            "beta_per_nps_point": BETA_SHARE,
            "noise_sd": SHARE_NOISE_SD,
            "share_before_first_quarter": {
                u: round(float(s), 6) for u, s in zip(units, s0, strict=True)
            },
        },
        "revenue": {
            "spend_per_customer_quarter": round(_spend_per_customer_quarter(), 4),
            "quarterly_churn": QUARTERLY_BASE_CHURN,
            "noise_sd": REVENUE_NOISE_SD,
        },
        "profit": {
            "gross_margin_rate": GROSS_MARGIN_RATE,
            "opex": {u: round(float(o), 2) for u, o in zip(units, opex, strict=True)},
        },
    }
    return table, truth, new


def touchpoint_table() -> pa.Table:
    rows = [
        (name, stage, ch, intentional, owner, kpi)
        for name, stage, chans, intentional, owner, kpi, _w in TOUCHPOINTS
        for ch in chans
    ]
    cols = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [pa.array(list(c)) for c in cols], schema=arrow_schema("touchpoints")
    )


def quarter_of(design: Design, days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months // 3 - design.first_qabs
