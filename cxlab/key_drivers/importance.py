"""Importance on a correlation matrix: subset R^2, Shapley / LMG, dominance, relative weights.

Every function here works on the ``(p + 1) x (p + 1)`` correlation matrix of
the score and ``p`` drivers (from :func:`cxlab.key_drivers.engine.moments`), or
on the fit of every subset of drivers, never on rows.

Sources: Johnson (2000) for relative weights; Lindeman, Merenda & Gold (1980)
and Lipovetsky & Conklin (2001) for the Shapley / LMG decomposition; Budescu
(1993) and Azen & Budescu (2003) for dominance (full references in
:mod:`cxlab.key_drivers`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from cxlab.errors import CxlabError, TooLittleData
from cxlab.key_drivers._common import cov_to_corr

__all__ = [
    "check_matrix",
    "dominance_from_r2",
    "linear_importance",
    "relative_weights",
    "shapley_from_r2",
    "subset_r2",
]


#: A column whose standard deviation is below this fraction of its own magnitude
#: (largest absolute value) varies only at the level of rounding error: constant.
_CONST_REL = 1e-13


def check_matrix(
    cov: np.ndarray,
    names: Sequence[str],
    n: int,
    *,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    mean: np.ndarray | None = None,
) -> None:
    """Refuse what the importances cannot be computed from, judged scale-free.

    Every column is judged on its own scale, never against the others (a spend
    driver in currency units must not make a 0-10 rating look constant): it is
    constant when its smallest and largest values agree, or when its standard
    deviation is below ``_CONST_REL`` times its own magnitude (``max |x|``, else
    the root mean square ``sqrt(mean^2 + var)``), i.e. it varies by rounding
    error only. Collinearity is judged on the correlation matrix of the drivers
    (standardised, so unit-free). Rescaling a column by any positive factor
    changes neither verdict.
    """
    p = len(names) - 1
    if n < p + 2:
        raise TooLittleData(
            f"too few complete rows: {n} row(s) for {p} driver(s); a regression needs at least "
            f"{p + 2} (and many more for stable importances)."
        )
    var = np.clip(np.diag(cov), 0.0, None)
    sd = np.sqrt(var)
    if lo is not None and hi is not None:
        mag = np.maximum(np.abs(lo), np.abs(hi))
        flat = lo == hi
    else:
        centre = np.zeros(len(var)) if mean is None else np.asarray(mean, float)
        mag = np.sqrt(centre**2 + var)
        flat = var == 0
    const = [names[i] for i in range(len(names)) if flat[i] or sd[i] <= _CONST_REL * mag[i]]
    if const:
        raise CxlabError(
            f"column(s) {', '.join(map(repr, const))} are constant over the {n} complete rows "
            "(no variation beyond rounding error); a constant score or driver has no "
            "importance to measure. Drop it."
        )
    if not np.isfinite(cov).all():
        big = [names[i] for i in range(len(names)) if not np.isfinite(cov[i]).all()]
        raise CxlabError(
            f"column(s) {', '.join(map(repr, big))} are too large for a covariance in double "
            "precision (squares overflow); rescale them (importances do not depend on units)."
        )
    rxx = cov_to_corr(cov)[1:, 1:]
    vals, vecs = np.linalg.eigh(rxx)
    if vals[0] < 1e-9:
        v = vecs[:, 0]
        involved = [names[1 + i] for i in np.argsort(-np.abs(v)) if abs(v[i]) > 0.1]
        raise CxlabError(
            "the drivers are perfectly collinear (singular correlation matrix; smallest "
            f"eigenvalue {vals[0]:.2g}): {', '.join(map(repr, involved))} are linear "
            "combinations of each other. Drop or combine one of them."
        )


def subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R^2 of every subset of drivers, indexed by bit mask, from correlations.

    ``R^2_S = r_yS' R_SS^{-1} r_yS``; the ``2^p`` solves are batched by subset size.

    Examples
    --------
    >>> import numpy as np
    >>> r2 = subset_r2(np.eye(2), np.array([0.3, 0.4]))
    >>> [round(float(v), 2) for v in r2]
    [0.0, 0.09, 0.16, 0.25]
    """
    p = len(rxy)
    r2 = np.zeros(1 << p)
    for k in range(1, p + 1):
        comb = np.array(list(combinations(range(p), k)), dtype=np.int64)
        a = rxx[comb[:, :, None], comb[:, None, :]]
        b = rxy[comb]
        sol = np.linalg.solve(a, b[:, :, None])[:, :, 0]
        r2[(1 << comb).sum(axis=1)] = (b * sol).sum(axis=1)
    return r2


def _popcount(masks: np.ndarray) -> np.ndarray:
    return np.bitwise_count(masks.astype(np.uint64)).astype(np.int64)


def shapley_from_r2(r2: np.ndarray) -> np.ndarray:
    """Exact Shapley values (LMG) of each player from the fit of every subset.

    ``phi_j = sum_{S not containing j} |S|! (p - |S| - 1)! / p! [v(S + j) - v(S)]``.
    """
    p = int(round(math.log2(len(r2))))
    masks = np.arange(1 << p, dtype=np.int64)
    size = _popcount(masks)
    wk = np.array([math.factorial(k) * math.factorial(p - k - 1) for k in range(p)], float)
    wk /= math.factorial(p)
    phi = np.zeros(p)
    for j in range(p):
        s = masks[(masks >> j) & 1 == 0]
        phi[j] = np.sum(wk[size[s]] * (r2[s | (1 << j)] - r2[s]))
    return phi


def dominance_from_r2(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """General, conditional and complete dominance (Budescu 1993; Azen & Budescu 2003).

    Returns ``(general, conditional, complete)``: ``conditional[j, k]`` is the
    average increment of driver ``j`` over subsets of size ``k`` of the other
    drivers; ``general`` its mean over ``k``; ``complete[i, j]`` is True when
    ``i`` adds more than ``j`` to every subset of the others.
    """
    p = int(round(math.log2(len(r2))))
    masks = np.arange(1 << p, dtype=np.int64)
    size = _popcount(masks)
    cond = np.zeros((p, p))
    for j in range(p):
        s = masks[(masks >> j) & 1 == 0]
        inc = r2[s | (1 << j)] - r2[s]
        cond[j] = np.bincount(size[s], weights=inc, minlength=p) / np.bincount(size[s], minlength=p)
    complete = np.zeros((p, p), dtype=bool)
    for i in range(p):
        for j in range(p):
            if i != j:
                s = masks[((masks >> i) & 1 == 0) & ((masks >> j) & 1 == 0)]
                complete[i, j] = bool(np.all(r2[s | (1 << i)] > r2[s | (1 << j)]))
    return cond.mean(axis=1), cond, complete


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights from correlations; they sum to R^2.

    ``Lambda = R_xx^{1/2}`` (symmetric square root), ``beta = Lambda^{-1} r_xy``
    (the score regressed on the orthogonal ``Z``), ``eps = Lambda^2 beta^2``.

    Examples
    --------
    >>> import numpy as np
    >>> [round(float(v), 2) for v in relative_weights(np.eye(2), np.array([0.3, 0.4]))]
    [0.09, 0.16]
    """
    vals, vecs = np.linalg.eigh(rxx)
    lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def linear_importance(
    corr: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Importances, standardized coefficients and extras from the correlation matrix.

    ``corr`` is the correlation matrix with the score first. ``extra`` holds
    ``r2`` (the full model's R^2) and, for ``method="dominance"``,
    ``conditional`` (p x p) and ``complete`` (p x p boolean).
    """
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    beta = np.linalg.solve(rxx, rxy)
    extra: dict[str, Any] = {"r2": float(rxy @ beta)}
    if method == "correlation":
        return rxy**2, beta, extra
    if method == "relative-weights":
        return relative_weights(rxx, rxy), beta, extra
    r2 = subset_r2(rxx, rxy)
    if method == "shapley":
        return shapley_from_r2(r2), beta, extra
    general, cond, complete = dominance_from_r2(r2)
    extra |= {"conditional": cond, "complete": complete}
    return general, beta, extra
