"""One block's tables from its simulated customers: customers, history, responses, the rest."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cxlab.schema import STAGES
from cxlab.synth._arrow import arrow_schema, date_array, id_array, label_array
from cxlab.synth.constants import (
    CES,
    CES_CHANNEL_SHIFT,
    CES_MISSING,
    CHANNELS,
    CHURN_WINDOW,
    COMMENT_RATE,
    CSAT,
    CSAT_MISSING,
    REGIONS,
    SEGMENT_POPULATION_SHARE,
    SEGMENT_SAMPLE_SHARE,
    SEGMENTS,
    TOUCHPOINTS,
)
from cxlab.synth.design import Design
from cxlab.synth.journeys import interactions_table
from cxlab.synth.purchases import transactions_table
from cxlab.synth.verbatims import draw_verbatims


def emit_tables(
    design: Design,
    b: int,
    rng: np.random.Generator,
    sim: dict[str, Any],
    offsets: dict[str, int],
) -> tuple[dict[str, pa.Table], dict[str, np.ndarray]]:
    """The block's tables and counts for the truth: ``churn`` ``[category, (surveys,
    churned)]`` and ``cells`` (responses by touch point and LTR 0-10); advances ``offsets``
    (the next id number of each table) past the block's rows."""
    cust_ids = id_array("C", offsets["customers"], sim["m"], 7)
    churn = sim["churn"]
    stop = np.where(churn >= 0, churn, design.end + 1)  # first day without activity
    tables = customer_tables(design, sim, cust_ids, stop)
    text_rng = np.random.default_rng(np.random.SeedSequence([design.seed, 4, b]))
    tables["responses"] = responses_table(
        design, rng, sim, cust_ids, offsets["responses"], text_rng
    )
    r = sim["resp"]
    cells = np.zeros((len(TOUCHPOINTS), 11), dtype=np.int64)
    np.add.at(cells, (design.row_tp[r["row"]], r["ltr"]), 1)
    stats = {"churn": churn_counts(design, sim), "cells": cells}
    tables["interactions"] = interactions_table(
        design, rng, sim, cust_ids, stop, offsets["interactions"]
    )
    tables["transactions"] = transactions_table(
        design, b, sim, cust_ids, stop, offsets["transactions"]
    )
    for name in ("customers", "responses", "interactions", "transactions"):
        offsets[name] += tables[name].num_rows
    return tables, stats


def customer_tables(
    design: Design, sim: dict[str, Any], cust_ids: pa.Array, stop: np.ndarray
) -> dict[str, pa.Table]:
    """``customer_history`` (type-2 rows of the profile changes before churn) and
    ``customers`` (the current profile)."""
    m, cd, prof, churn = sim["m"], sim["cdates"], sim["prof"], sim["churn"]
    eff = (cd < stop[:, None]) & (cd <= design.end)  # changes that happened before churn
    changed = np.ones((m, 3), dtype=bool)
    changed[:, 1:] = eff & np.any(prof[:, :, 1:] != prof[:, :, :-1], axis=0)
    from_ = np.column_stack([sim["signup"], cd])
    nxt = np.full((m, 3), -1, dtype=np.int64)
    nxt[:, 1] = np.where(changed[:, 2], cd[:, 1], -1)
    nxt[:, 0] = np.where(changed[:, 1], cd[:, 0], nxt[:, 1])
    hc, hk = np.nonzero(changed)
    valid_to = nxt[hc, hk]
    history = pa.Table.from_arrays(
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
    churned = churn >= 0
    customers = pa.Table.from_arrays(
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
    return {"customer_history": history, "customers": customers}


def responses_table(
    design: Design,
    rng: np.random.Generator,
    sim: dict[str, Any],
    cust_ids: pa.Array,
    offset: int,
    text_rng: np.random.Generator,
) -> pa.Table:
    """Responses: LTR, CSAT and CES with their missing values, verbatims and weights
    (the verbatims' text from ``text_rng``)."""
    r = sim["resp"]
    n = len(r["cust"])
    ltr, cat = r["ltr"], r["cat"]
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
    tp = design.row_tp[r["row"]]
    verbatim = _verbatims(design, rng, text_rng, tp, ltr, cat)
    weight = (np.asarray(SEGMENT_POPULATION_SHARE) / np.asarray(SEGMENT_SAMPLE_SHARE))[r["seg"]]
    return pa.Table.from_arrays(
        [
            id_array("R", offset, n, 9),
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


def _verbatims(
    design: Design,
    rng: np.random.Generator,
    text_rng: np.random.Generator,
    tp: np.ndarray,
    ltr: np.ndarray,
    cat: np.ndarray,
) -> pa.Array:
    """A comment (or null) per response: whether it comments from ``rng``, its themes and
    words from ``text_rng`` (:mod:`cxlab.synth.verbatims`)."""
    n = len(tp)
    comment = rng.random(n) < np.asarray(COMMENT_RATE)[cat]
    # the template picks of the earlier comment model, no longer used: still drawn so that
    # every later draw of ``rng`` (journeys) stays as it was
    rng.random(n), rng.random(n), rng.integers(0, 4, n)
    text, _ = draw_verbatims(design.comments, text_rng, tp, ltr, comment)
    return text


def churn_counts(design: Design, sim: dict[str, Any]) -> np.ndarray:
    """Six-month churn per LTR category, on surveys whose window ends inside the data."""
    r = sim["resp"]
    stats = np.zeros((3, 2), dtype=np.int64)
    observable = r["day"] + CHURN_WINDOW <= design.end
    c_day = sim["churn"][r["cust"]]
    hit = (c_day > r["day"]) & (c_day <= r["day"] + CHURN_WINDOW)
    for k in range(3):
        sel = observable & (r["cat"] == k)
        stats[k] = sel.sum(), (sel & hit).sum()
    return stats
