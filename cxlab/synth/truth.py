"""truth.json: what generated the data, for analyses to be checked against."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    pass

from cxlab.synth.battery import drivers_truth
from cxlab.synth.comments import PII, SPECIAL
from cxlab.synth.constants import (
    BACKGROUND_CHURN,
    BG_NBD,
    CES,
    CES_CHANNEL_SHIFT,
    CES_MISSING,
    CHURN_BASELINE_HAZARD,
    CHURN_HAZARD_RATIO,
    CHURN_RATE,
    CHURN_WINDOW,
    CONVERT,
    CSAT,
    CSAT_MISSING,
    GAMMA_GAMMA,
    MARGIN_RATE,
    MIN_REVENUE,
    PURCHASE_TOUCHPOINT,
    SCORE_PROBS,
    SEGMENT_NPS_SHIFT,
    SEGMENT_POPULATION_SHARE,
    SEGMENT_SAMPLE_SHARE,
    SEGMENTS,
    SWITCH_PROB,
    WEAK_CHANNELS,
    WEAK_TOUCHPOINTS,
)
from cxlab.synth.design import Design
from cxlab.synth.verbatims import themes_truth

# --------------------------------------------------------------------------- truth


def build_truth(
    design: Design, n_responses: int, counts: dict[str, int], stats: dict[str, np.ndarray]
) -> dict[str, Any]:
    return {
        "description": (
            "Ground truth planted by cxlab.synth.generate. latent_nps[unit] lists the latent "
            "NPS for quarters_with_lead (lag_quarters quarters before the first reported "
            "quarter, then the reported quarters); the expected unweighted NPS of each "
            "unit-quarter of responses equals it. See each section's description."
        ),
        "generator": "cxlab.synth.generate",
        "seed": design.seed,
        "n_responses": n_responses,
        "units": list(design.units),
        "quarters": list(design.quarters),
        "quarters_with_lead": list(design.lead_quarters + design.quarters),
        "period": {
            "first_day": str(np.datetime64(design.start, "D")),
            "last_day": str(np.datetime64(design.end, "D")),
        },
        "latent_nps": {u: [float(x) for x in design.latent[i]] for i, u in enumerate(design.units)},
        "nps_to_outcomes": design.outcome_truth,
        "ltr_model": {
            "description": (
                "Per response, eta = (latent_nps[unit, quarter] + touchpoint_shift + "
                "channel_shift + segment_shift - centre) / 100; P(promoter) - P(detractor) = "
                "eta, P(passive) = min(0.30, 0.98 - |eta|). Within a category the score is "
                "drawn from score_probs (detractors at a weak touch point from the 'severe' "
                "row). centre is the expected shift over the response mix, so the shifts "
                "average to zero per unit-quarter."
            ),
            "centre": round(design.centre, 6),
            "score_probs": {
                name: [float(p) for p in SCORE_PROBS[i]]
                for i, name in enumerate(["detractor", "detractor_severe", "passive", "promoter"])
            },
        },
        "weak_touchpoints": {
            "description": (
                "NPS-point shifts of responses at these touch points (any channel), against "
                "the other touch points; the aggregate NPS stays positive and masks them."
            ),
            "shift_nps_points": dict(WEAK_TOUCHPOINTS),
        },
        "weak_channels": {
            "description": "NPS-point shift of responses in these channels, at any touch point.",
            "shift_nps_points": dict(WEAK_CHANNELS),
        },
        "segment_shift_nps_points": dict(zip(SEGMENTS, SEGMENT_NPS_SHIFT, strict=True)),
        "weights": _weights_truth(),
        "churn": _churn_truth(stats["churn"]),
        **_csat_ces_and_journeys_truth(),
        "purchases": _purchases_truth(),
        "customer_history": {
            "description": (
                "Type-2 history: valid_to is the inclusive last day (the day before the next "
                "row's valid_from); valid_to is null on exactly one (the current) row per "
                "customer."
            ),
        },
        "drivers": drivers_truth(),
        "themes": themes_truth(stats["cells"]),
        "verbatim_special": list(SPECIAL),
        "pii": list(PII),
        "row_counts": dict(sorted(counts.items())),
    }


def _weights_truth() -> dict[str, Any]:
    seg_w = np.asarray(SEGMENT_POPULATION_SHARE) / np.asarray(SEGMENT_SAMPLE_SHARE)
    pop_shift = float(np.dot(SEGMENT_POPULATION_SHARE, SEGMENT_NPS_SHIFT))
    sample_shift = float(np.dot(SEGMENT_SAMPLE_SHARE, SEGMENT_NPS_SHIFT))
    return {
        "description": (
            "weight = population_share / sample_share of the respondent's segment at the "
            "survey date. The expected population-weighted NPS differs from the unweighted "
            "one by weighted_minus_unweighted_nps points."
        ),
        "sample_share": dict(zip(SEGMENTS, SEGMENT_SAMPLE_SHARE, strict=True)),
        "population_share": dict(zip(SEGMENTS, SEGMENT_POPULATION_SHARE, strict=True)),
        "weight_by_segment": {s: round(float(w), 6) for s, w in zip(SEGMENTS, seg_w)},
        "weighted_minus_unweighted_nps": round(pop_shift - sample_shift, 6),
    }


def _csat_ces_and_journeys_truth() -> dict[str, Any]:
    return {
        "csat_ces_model": {
            "description": (
                "csat = clip(round(intercept + slope * ltr + N(0, noise_sd)), 1, 5), missing "
                "completely at random with csat_missing; ces (CES 2.0 ease, higher = easier) = "
                "clip(round(intercept + slope * ltr + channel_shift + N(0, noise_sd)), 1, 7), "
                "missing with ces_missing by stage. Touch-point scores therefore track the "
                "overall LTR, and weak touch points score low on all three."
            ),
            "csat": dict(zip(("intercept", "slope", "noise_sd"), CSAT, strict=True)),
            "ces": dict(zip(("intercept", "slope", "noise_sd"), CES, strict=True)),
            "ces_channel_shift": dict(CES_CHANNEL_SHIFT),
            "csat_missing": CSAT_MISSING,
            "ces_missing": dict(CES_MISSING),
        },
        "journeys": {
            "description": (
                "Each customer has 0-2 journeys: 1-2 attraction, 1-2 interaction events, then a "
                "'Purchase' event (conversion) and maybe one cultivation event. A journey "
                "switches channel at a random event with switch_probability. It converts with "
                "conversion_probability, lower when it met a weak touch point. The 'Purchase' "
                "events are interactions only: the transactions table follows the purchases "
                "section."
            ),
            "purchase_touchpoint": PURCHASE_TOUCHPOINT,
            "conversion_probability": {"no_weak_touchpoint": CONVERT[0], "weak": CONVERT[1]},
            "switch_probability": SWITCH_PROB,
        },
    }


def _purchases_truth() -> dict[str, Any]:
    p, q, v = GAMMA_GAMMA.values()
    return {
        "description": (
            "Table transactions. Each customer buys on the signup day, then follows BG/NBD "
            "(Fader, Hardie & Lee 2005): while alive, repeat purchases arrive at rate lambda "
            "per week, lambda ~ Gamma(shape r, rate alpha); after each repeat purchase the "
            "customer drops out with probability p ~ Beta(a, b). A purchase t days after "
            "signup (continuous) is dated signup + ceil(t). Revenue per transaction follows "
            "Gamma-Gamma (Fader & Hardie 2013): Gamma(shape p, rate nu), nu ~ Gamma(shape q, "
            "rate v) per customer, rounded to cents with a floor of min_revenue; margin = "
            "revenue x a rate drawn per transaction from N(margin_rate mean, sd) clipped to "
            "0.02-0.50. The table keeps the transactions from the first day of data to the "
            "day before the churn date (churn is independent of the purchase process). "
            "Customers who signed up inside the period and did not churn are therefore a "
            "BG/NBD and Gamma-Gamma sample: cxlab.value.rfm(their transactions, end=last "
            "day, unit='weeks') then bgnbd and gamma_gamma recover these parameters. Fits on "
            "all customers do not: customers who signed up before the first day of data are "
            "seen from the middle of their history, and churned ones stop buying early."
        ),
        "time_unit": "weeks",
        "bgnbd": dict(BG_NBD),
        "gamma_gamma": dict(GAMMA_GAMMA),
        "expected_revenue_per_transaction": round(p * v / (q - 1), 6),
        "min_revenue": MIN_REVENUE,
        "margin_rate": dict(zip(("mean", "sd"), MARGIN_RATE, strict=True)),
    }


def _churn_truth(stats: np.ndarray) -> dict[str, Any]:
    cats = ("detractor", "passive", "promoter")
    hr = dict(zip(cats, CHURN_HAZARD_RATIO, strict=True))
    return {
        "description": (
            "Proportional hazards after each survey: the customer's churn time T (days after "
            "the survey) has hazard baseline_hazard_per_day * hazard_ratio[LTR category] for "
            "window_days days and none after (promoters are the reference, hazard ratio 1), "
            "so P(T <= window_days) = rate_by_category[LTR category]. The churn date is the "
            "survey date + ceil(T) days. A churned customer stops answering, buying and "
            "interacting; surveys of one customer are more than window_days apart, so each "
            "survey's follow-up (to churn, window_days or the last day of data) carries its "
            "own category's hazard. churn_date is null when the day falls after the last day "
            "of data. Non-respondents churn with probability background_rate_non_respondents "
            "over the period. observed_* count the surveys whose window ends inside the data."
        ),
        "window_days": CHURN_WINDOW,
        "rate_by_category": dict(zip(cats, CHURN_RATE, strict=True)),
        "baseline_hazard_per_day": CHURN_BASELINE_HAZARD,
        "hazard_ratio": hr,
        "log_hazard_ratio": {c: math.log(v) for c, v in hr.items()},
        "background_rate_non_respondents": BACKGROUND_CHURN,
        "observed_surveys": {c: int(stats[i, 0]) for i, c in enumerate(cats)},
        "observed_churned": {c: int(stats[i, 1]) for i, c in enumerate(cats)},
    }
