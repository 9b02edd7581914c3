"""Verbatims of the demo company: themes drawn after LTR by a known model, then phrased.

The model (planted truth 7 of :mod:`cxlab.synth`)
-------------------------------------------------
A response comments with probability ``COMMENT_RATE[LTR category]`` (drawn from the
block's main stream, as before). The 20 planted themes fall in three groups (before
buying, buying and getting it, after the purchase); a commenting response mentions
at most one theme per group, so 0 to 3 themes, by a multinomial logit per group::

    eta_t = intercept + home_bonus_t * [touch point in home_t] + slope_t * (ltr - 7)
    P(theme t | commented, touch point, ltr) = exp(eta_t) / (1 + sum_{s in group} exp(eta_s))

Negative themes have ``slope < 0`` (likelier the lower the LTR), positive ones
``slope > 0``; each theme has home touch points where it is far likelier, and the
themes of the planted weak touch points (stock-outs at ``Stock availability``, staff
who cannot answer and lost pre-orders at ``Product questions and pre-orders``) have the
largest home bonus. Mentions are drawn after LTR, so LTR and every other planted truth
stay as they were; a theme's planted NPS effect is the NPS of its mentioners minus that
of the other responses. :func:`themes_truth` computes it exactly, as the expectation
over the mention draw given the responses' (touch point, LTR) counts (a ratio of
expected counts).

Each mention is phrased from the theme's phrase bank (:mod:`cxlab.synth.comments`),
with openers, filler, closers, blanks, and in ``PII_RATE`` / ``HOSTILE_RATE`` of the
comments an appended PII sentence / hostile string. All text choices use their own seed
stream ``SeedSequence([seed, 4, block])``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxlab.synth.comments import (
    BLANKS,
    CLOSERS,
    GENERIC,
    HOSTILE,
    HOSTILE_RATE,
    OPENERS,
    PHRASES,
    PII,
    PII_RATE,
    PII_SENTENCES,
    PRODUCTS,
)
from cxlab.synth.constants import COMMENT_RATE, TOUCHPOINTS

_PQ = "Product questions and pre-orders"
_NEG, _POS = -0.4, 0.4
# theme id: (group, slope per LTR point, home bonus, home touch points)
THEME_MODEL: dict[str, tuple[int, float, float, tuple[str, ...]]] = {
    "staff_knowledge_poor": (0, _NEG, 4.0, (_PQ, "Store visit")),
    "preorder_problem": (0, _NEG, 4.0, (_PQ,)),
    "staff_friendly": (0, _POS, 3.5, ("Store visit", _PQ)),
    "advertising_misleading": (0, _NEG, 3.5, ("Launch marketing", "Media buzz", "Online reviews")),
    "price_high": (0, _NEG, 2.0, ("Purchase", "Online reviews")),
    "price_value": (0, _POS, 3.0, ("Purchase",)),
    "queue_wait": (0, _NEG, 3.0, ("Store visit", "Purchase")),
    "out_of_stock": (1, _NEG, 4.5, ("Stock availability",)),
    "checkout_payment": (1, _NEG, 3.0, ("Purchase",)),
    "website_app": (1, _NEG, 2.5, ("Purchase", "Online reviews")),
    "delivery_late": (1, _NEG, 3.5, ("Delivery and pick-up",)),
    "delivery_damaged": (1, _NEG, 3.0, ("Delivery and pick-up",)),
    "delivery_fast": (1, _POS, 3.5, ("Delivery and pick-up",)),
    "product_fault": (2, _NEG, 3.0, ("Returns and repairs", "Customer support")),
    "installation_setup": (2, _NEG, 3.5, ("Installation and setup",)),
    "setup_help": (2, _POS, 3.5, ("Installation and setup",)),
    "support_wait": (2, _NEG, 3.5, ("Customer support",)),
    "support_resolved": (2, _POS, 3.0, ("Customer support", "Returns and repairs")),
    "repair_warranty": (2, _NEG, 3.5, ("Returns and repairs",)),
    "loyalty_scheme": (2, -0.25, 3.5, ("Loyalty programme",)),
}
INTERCEPT = -5.0
PIVOT_LTR = 7
THEMES = tuple(THEME_MODEL)
N_GROUPS = 3
OPENER_RATE, GENERIC_WITH_THEME_RATE, CLOSER_RATE, BLANK_RATE = 0.3, 0.15, 0.2, 0.06


def _category(ltr: np.ndarray) -> np.ndarray:
    return np.where(ltr >= 9, 2, np.where(ltr >= 7, 1, 0))


def mention_probability() -> np.ndarray:
    """``P(theme | commented, touch point, ltr)``: array (theme, touch point, LTR 0-10)."""
    tp_names = [t[0] for t in TOUCHPOINTS]
    ltr = np.arange(11)
    eta = np.empty((len(THEMES), len(tp_names), 11))
    for i, (_, slope, bonus, home) in enumerate(THEME_MODEL.values()):
        is_home = np.isin(tp_names, home)
        eta[i] = INTERCEPT + bonus * is_home[:, None] + slope * (ltr - PIVOT_LTR)[None, :]
    expo = np.exp(eta)
    prob = np.empty_like(expo)
    groups = np.array([m[0] for m in THEME_MODEL.values()])
    for g in range(N_GROUPS):
        sel = groups == g
        prob[sel] = expo[sel] / (1.0 + expo[sel].sum(axis=0))
    return prob


@dataclass(frozen=True)
class Catalog:
    """Every verbatim fragment once (index 0 is empty) and where each bank starts."""

    texts: pa.Array
    banks: dict[str, tuple[np.ndarray, np.ndarray]]  # bank -> (offsets, counts), by key
    group_cum: tuple[np.ndarray, ...]  # per group: cumulative P, (touch point, ltr, k + 1)
    group_themes: tuple[np.ndarray, ...]  # per group: theme indices


def _expand(phrases: tuple[str, ...]) -> list[str]:
    return [p.format(product=x) for p in phrases for x in (PRODUCTS if "{product}" in p else ("",))]


def catalog() -> Catalog:
    """The fragments of all banks and the per-group cumulative mention probabilities."""
    texts = [""]
    banks: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def add(name: str, lists: list[list[str]]) -> None:
        off, cnt = np.zeros(len(lists), np.int64), np.zeros(len(lists), np.int64)
        for k, items in enumerate(lists):
            off[k], cnt[k] = len(texts), len(items)
            texts.extend(items)
        banks[name] = (off, cnt)

    add("theme", [_expand(PHRASES[t]) for t in THEMES])
    add("opener", [_expand(x) for x in OPENERS])
    add("generic", [_expand(x) for x in GENERIC])
    add("closer", [_expand(x) for x in CLOSERS])
    add("blank", [list(BLANKS)])  # each is a whole comment
    add("pii", [[s.format(pii=p) for p in PII for s in PII_SENTENCES]])
    add("hostile", [list(HOSTILE)])
    prob = mention_probability()
    groups = np.array([m[0] for m in THEME_MODEL.values()])
    cum, members = [], []
    for g in range(N_GROUPS):
        idx = np.nonzero(groups == g)[0]
        p = np.moveaxis(prob[idx], 0, -1)  # (tp, ltr, k)
        c = np.cumsum(p, axis=-1)
        cum.append(np.concatenate([c, np.full(c.shape[:-1] + (1,), np.inf)], axis=-1))
        members.append(idx)
    return Catalog(pa.array(texts, pa.string()), banks, tuple(cum), tuple(members))


def _pick(cat: Catalog, bank: str, key: np.ndarray, u: np.ndarray, on: np.ndarray) -> pa.Array:
    """Fragments of ``bank`` (row ``key``) picked by ``u``; null where not ``on``."""
    off, cnt = cat.banks[bank]
    return cat.texts.take(pa.array(off[key] + (u * cnt[key]).astype(np.int64), mask=~on))


def draw_verbatims(
    cat: Catalog, rng: np.random.Generator, tp: np.ndarray, ltr: np.ndarray, commented: np.ndarray
) -> tuple[pa.Array, np.ndarray]:
    """Comments (null where ``commented`` is false) and the planted mentions
    (bool array: response, theme in :data:`THEMES` order); only commenting responses
    draw from ``rng``."""
    ix = np.nonzero(commented)[0]
    n, tp, ltr = len(ix), tp[ix], ltr[ix]
    c = _category(ltr)
    mention = np.zeros((n, len(THEMES)), dtype=bool)
    slots = []
    for g in range(N_GROUPS):
        members = cat.group_themes[g]
        k = (rng.random(n)[:, None] >= cat.group_cum[g][tp, ltr]).sum(axis=1)
        has = k < len(members)
        theme = members[np.minimum(k, len(members) - 1)]
        mention[np.nonzero(has)[0], theme[has]] = True
        slots.append(_pick(cat, "theme", theme, rng.random(n), has))
    themed = mention.any(axis=1)
    u = rng.random((n, 10))
    blank = ~themed & (u[:, 0] < BLANK_RATE)
    zero = np.zeros(n, np.int64)
    parts = [
        _pick(cat, "opener", c, u[:, 1], ~blank & (u[:, 2] < OPENER_RATE)),
        *slots,
        _pick(cat, "generic", c, u[:, 4], ~blank & (~themed | (u[:, 3] < GENERIC_WITH_THEME_RATE))),
        _pick(cat, "closer", c, u[:, 5], ~blank & (u[:, 6] < CLOSER_RATE)),
        _pick(cat, "blank", zero, u[:, 7], blank),
        _pick(cat, "pii", zero, rng.random(n), ~blank & (u[:, 8] < PII_RATE)),
        _pick(cat, "hostile", zero, rng.random(n), ~blank & (u[:, 9] < HOSTILE_RATE)),
    ]
    text = pc.binary_join_element_wise(*parts, " ", null_handling="skip")
    full = np.zeros((len(commented), len(THEMES)), dtype=bool)
    full[ix] = mention
    pos = np.cumsum(commented) - 1
    return text.take(pa.array(pos, mask=~commented)), full


def themes_truth(cells: np.ndarray) -> dict[str, Any]:
    """Planted theme effects given the responses' counts by (touch point, LTR 0-10)."""
    p = mention_probability() * np.asarray(COMMENT_RATE)[_category(np.arange(11))]
    c = _category(np.arange(11))
    n_cat = np.array([cells[:, c == k].sum() for k in range(3)], dtype=float)
    out: dict[str, Any] = {}
    for i, t in enumerate(THEMES):
        m = np.array([(cells * p[i])[:, c == k].sum() for k in range(3)])
        rest = n_cat - m
        nps_m = 100 * (m[2] - m[0]) / m.sum()
        nps_r = 100 * (rest[2] - rest[0]) / rest.sum()
        share = m.sum() / n_cat.sum()
        group, slope, bonus, home = THEME_MODEL[t]
        out[t] = {
            "group": group,
            "slope_per_ltr_point": slope,
            "home_bonus": bonus,
            "home_touchpoints": list(home),
            "expected_mentions": round(float(m.sum()), 6),
            "share_mentioning": round(float(share), 8),
            "nps_mentioners": round(float(nps_m), 6),
            "nps_non_mentioners": round(float(nps_r), 6),
            "nps_difference": round(float(nps_m - nps_r), 6),
            "nps_impact": round(float(share * (nps_m - nps_r)), 6),
        }
    return {
        "description": (
            "Themes planted in responses.verbatim, coded by the starter codeframe "
            "cxlab/voc/codeframes/retail_electronics.yaml. A commenting response "
            "(comment_rate by LTR category) mentions at most one theme per group: multinomial "
            "logit with eta = intercept + home_bonus * [touch point in home_touchpoints] + "
            "slope_per_ltr_point * (ltr - pivot_ltr) against 'no theme' (eta 0). Mentions are "
            "drawn after LTR. Per theme: expected mentions, NPS of mentioners and of the other "
            "responses, their difference, and nps_impact = share_mentioning * nps_difference "
            "(overall NPS minus the NPS if mentioners had the non-mentioners' categories); "
            "ratios of expected counts over the mention draw given this data set's responses "
            "by touch point and LTR (unweighted)."
        ),
        "intercept": INTERCEPT,
        "pivot_ltr": PIVOT_LTR,
        "comment_rate": dict(zip(("detractor", "passive", "promoter"), COMMENT_RATE, strict=True)),
        "pii_rate": PII_RATE,
        "hostile_rate": HOSTILE_RATE,
        "by_theme": out,
    }
