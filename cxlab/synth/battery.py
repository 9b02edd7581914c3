"""The attribute battery: ratings that drive LTR with known importances (the key-drivers truth)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    pass

from cxlab.synth._arrow import arrow_schema, label_array

# regression weight of LTR on the latent attribute scores (before scaling to battery_r2),
# mean rating (performance, 0-10). The first three mirror the planted weak touch points and
# channel: most important and lowest performing.
_ATTRIBUTES: tuple[tuple[str, float, float], ...] = (
    ("Stock availability", 0.36, 5.0),
    ("Pre-order availability", 0.30, 5.4),
    ("Phone service", 0.25, 5.8),
    ("Staff knowledge", 0.17, 8.0),
    ("Delivery speed", 0.11, 7.5),
    ("Support resolution", 0.09, 6.9),
    ("Price", 0.07, 6.5),
    ("Ease of website", 0.05, 8.2),
    ("Returns process", 0.04, 7.1),
    ("Product range", 0.02, 8.4),
)
_ATTR_SHARE = 0.30  # share of responses that answer the battery
_ATTR_DONT_KNOW = 0.03  # per attribute: no rating ("don't know"), completely at random
_ATTR_SD = 2.0  # rating sd on the 0-10 scale before rounding and clipping
_ATTR_CORR = 0.30  # common correlation between the latent attribute scores
_ATTR_CLUSTER_CORR = 0.55  # within the availability cluster (stock, pre-order)
_ATTR_R2 = 0.55  # R^2 of standardized LTR on the latent attribute scores
_LTR_CENTRE = (7.0, 2.6)  # LTR is standardized as (ltr - 7.0) / 2.6 before conditioning


# --------------------------------------------------------------------------- attribute battery


def _attribute_model() -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrix of the latent attribute scores and the regression weights of
    standardized LTR on them, scaled so that ``b' R b = _ATTR_R2``."""
    p = len(_ATTRIBUTES)
    corr = np.full((p, p), _ATTR_CORR)
    corr[:2, :2] = _ATTR_CLUSTER_CORR
    np.fill_diagonal(corr, 1.0)
    b = np.array([a[1] for a in _ATTRIBUTES])
    b = b * math.sqrt(_ATTR_R2 / float(b @ corr @ b))
    return corr, b


def attribute_ratings(seed: int, b: int, responses: pa.Table) -> pa.Table:
    """The battery of one block, drawn given the block's LTR from its own seed stream
    (``SeedSequence([seed, 2, block])``), so the other tables are untouched.

    With y = standardized LTR and x the latent attribute scores, x | y ~ N(R b y, R - R b b' R):
    exactly the conditional of a joint normal in which y = x'b + e, Var(x) = R,
    Var(y) = 1. Ratings are ``clip(round(mean + sd * x), 0, 10)``.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2, b]))
    corr, beta = _attribute_model()
    p = len(_ATTRIBUTES)
    ltr = responses.column("ltr").to_numpy(zero_copy_only=False).astype(float)
    n = len(ltr)
    asked = rng.random(n) < _ATTR_SHARE
    y = (ltr - _LTR_CENTRE[0]) / _LTR_CENTRE[1]
    rb = corr @ beta
    chol = np.linalg.cholesky(corr - np.outer(rb, rb))
    z = rng.standard_normal((n, p)) @ chol.T
    x = y[:, None] * rb[None, :] + z
    mean = np.array([a[2] for a in _ATTRIBUTES])
    rating = np.clip(np.round(mean[None, :] + _ATTR_SD * x), 0, 10).astype(np.int32)
    known = asked[:, None] & (rng.random((n, p)) >= _ATTR_DONT_KNOW)
    ri, ai = np.nonzero(known)
    return pa.Table.from_arrays(
        [
            responses.column("response_id").take(pa.array(ri)),
            label_array(tuple(a[0] for a in _ATTRIBUTES), ai),
            pa.array(rating[ri, ai]),
        ],
        schema=arrow_schema("attribute_ratings"),
    )


def _population_shapley(corr: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """LMG / Shapley R^2 shares of the latent model, by brute force over all subsets
    (independent of :mod:`cxlab.key_drivers`)."""
    p = len(beta)
    r_y = corr @ beta
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        idx = [j for j in range(p) if mask >> j & 1]
        r2[mask] = r_y[idx] @ np.linalg.solve(corr[np.ix_(idx, idx)], r_y[idx])
    phi = np.zeros(p)
    for mask in range(1 << p):
        k = bin(mask).count("1")
        for j in range(p):
            if not mask >> j & 1:
                w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
                phi[j] += w * (r2[mask | 1 << j] - r2[mask])
    return phi


def drivers_truth() -> dict[str, Any]:
    corr, beta = _attribute_model()
    phi = _population_shapley(corr, beta)
    names = [a[0] for a in _ATTRIBUTES]
    order = np.argsort(-phi, kind="stable")
    return {
        "description": (
            "Table attribute_ratings: a share of responses (answer_share) rate the attributes "
            "0-10; each rating is missing ('don't know', no row) with dont_know_rate. Given the "
            "response's LTR, y = (ltr - ltr_standardization[0]) / ltr_standardization[1], the "
            "latent scores are x | y ~ N(R b y, R - R b b' R) (the conditional of a joint "
            "normal with y = x'b + e, Var(x) = R = latent_correlation, R^2 = latent_r2), and "
            "rating = clip(round(mean_rating + rating_sd * x), 0, 10). population_shapley_share "
            "is the exact LMG/Shapley share of R^2 in that latent model; expected_ranking "
            "orders the attributes by it (rounding, clipping and the discrete LTR perturb the "
            "values a little, not the top of the ranking). key_weaknesses: the three most "
            "important attributes, also the three lowest-rated."
        ),
        "attributes": names,
        "regression_weight": {n: round(float(v), 6) for n, v in zip(names, beta, strict=True)},
        "mean_rating": {a[0]: a[2] for a in _ATTRIBUTES},
        "rating_sd": _ATTR_SD,
        "latent_correlation": [[float(v) for v in row] for row in corr],
        "latent_r2": _ATTR_R2,
        "ltr_standardization": list(_LTR_CENTRE),
        "answer_share": _ATTR_SHARE,
        "dont_know_rate": _ATTR_DONT_KNOW,
        "population_shapley_share": {
            n: round(float(v / phi.sum()), 6) for n, v in zip(names, phi, strict=True)
        },
        "expected_ranking": [names[i] for i in order],
        "key_weaknesses": [names[i] for i in order[:3]],
    }
