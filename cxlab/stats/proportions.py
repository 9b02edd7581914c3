"""Intervals for proportions, means and correlations from sums."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from cxlab._checks import check_level
from cxlab.errors import CxlabError
from cxlab.stats._common import as_float, check_counts

# --------------------------------------------------------- proportions and means


def proportion_ci(
    successes: Any,
    n: Any,
    *,
    level: float = 0.95,
    method: str = "wilson",
) -> tuple[Any, Any, Any]:
    """Share of successes (e.g. CSAT top-2-box, CES 5-7) with its interval, in percent.

    Thin vectorized wrapper around
    :func:`statsmodels.stats.proportion.proportion_confint`; groups with ``n == 0`` give
    NaN.

    Parameters
    ----------
    successes, n : int or array-like
        Number of successes and of responses per group.
    level : float
        Confidence level.
    method : str
        Any statsmodels method: ``"wilson"`` (default; Wilson 1927), ``"agresti_coull"``
        (Agresti & Coull 1998), ``"beta"`` (Clopper-Pearson), ``"jeffreys"``,
        ``"normal"``, ``"binom_test"``.

    Returns
    -------
    (estimate, low, high)
        Floats for scalar input, arrays otherwise; percent (0..100).

    Examples
    --------
    >>> est, low, high = proportion_ci(80, 100)
    >>> round(est, 1), round(low, 2), round(high, 2)
    (80.0, 71.12, 86.66)
    """
    from statsmodels.stats.proportion import proportion_confint

    where = "proportion_ci"
    level = check_level(level, where)
    allowed = ("wilson", "agresti_coull", "beta", "jeffreys", "normal", "binom_test")
    if method not in allowed:
        raise CxlabError(f"{where}: unknown method {method!r}; choose one of {list(allowed)}.")
    k = as_float(successes, "successes", where)
    nn = as_float(n, "n", where)
    check_counts(k, "successes", where)
    check_counts(nn, "n", where)
    k, nn = np.broadcast_arrays(k, nn)
    if (k > nn).any():
        rows = np.flatnonzero((k > nn).ravel())[:10].tolist()
        raise CxlabError(f"{where}: successes exceed n at position(s) {rows}.")
    scalar = k.ndim == 0
    k1, n1 = np.atleast_1d(k).astype(float), np.atleast_1d(nn).astype(float)
    est, low, high = (np.full(k1.shape, np.nan) for _ in range(3))
    pos = n1 > 0
    if pos.any():
        lo, hi = proportion_confint(k1[pos], n1[pos], alpha=1.0 - level, method=method)
        est[pos] = 100.0 * k1[pos] / n1[pos]
        low[pos], high[pos] = 100.0 * np.asarray(lo), 100.0 * np.asarray(hi)
    if scalar:
        return float(est[0]), float(low[0]), float(high[0])
    return est, low, high


def mean_ci(
    total: Any,
    total_sq: Any,
    n: Any,
    *,
    level: float = 0.95,
) -> tuple[Any, Any, Any, Any]:
    """Mean with a Student-t interval from sufficient statistics (sum, sum of squares, n).

    ``mean = S / n``, ``s^2 = (S2 - S^2 / n) / (n - 1)``, ``SE = s / sqrt(n)``,
    ``mean +- t_{n-1} SE``. Meant for bounded scales (CSAT 1-5, CES 1-7) where the
    one-pass formula is numerically safe; negative variances from rounding are set to 0.
    ``n == 0`` gives NaN everywhere; ``n == 1`` gives the mean with NaN SE and bounds.

    Parameters
    ----------
    total, total_sq, n : float or array-like
        ``SUM(x)``, ``SUM(x * x)`` and ``COUNT(x)`` per group.
    level : float
        Confidence level.

    Returns
    -------
    (mean, se, low, high)
        Floats for scalar input, arrays otherwise.

    Examples
    --------
    >>> m, se, lo, hi = mean_ci(15, 55, 5)  # the values 1, 2, 3, 4, 5
    >>> round(m, 3), round(se, 4), round(lo, 4), round(hi, 4)
    (3.0, 0.7071, 1.0368, 4.9632)
    """
    where = "mean_ci"
    level = check_level(level, where)
    s = as_float(total, "total", where)
    s2 = as_float(total_sq, "total_sq", where)
    nn = as_float(n, "n", where)
    check_counts(nn, "n", where)
    check_counts(s2, "total_sq", where)
    if (~np.isfinite(s)).any():
        raise CxlabError(f"{where}: 'total' must be finite.")
    s, s2, nn = np.broadcast_arrays(s, s2, nn)
    scalar = s.ndim == 0
    s, s2, nn = (np.atleast_1d(x).astype(float) for x in (s, s2, nn))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(nn > 0, s / nn, np.nan)
        var = np.where(nn > 1, np.clip((s2 - s * s / nn) / (nn - 1), 0, None), np.nan)
        se = np.sqrt(var / nn)
        t = stats.t.ppf(0.5 + level / 2.0, np.where(nn > 1, nn - 1, np.nan))
    low, high = mean - t * se, mean + t * se
    if scalar:
        return float(mean[0]), float(se[0]), float(low[0]), float(high[0])
    return mean, se, low, high


def fisher_ci(r: Any, se_z: Any, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a correlation through Fisher's z: ``tanh(atanh(r) -/+ z * se_z)``.

    Parameters
    ----------
    r : float or array-like
        Correlation(s); NaN stays NaN, |r| = 1 is clipped just inside.
    se_z : float or array-like
        Standard error on the z scale (``1 / sqrt(n - 3)`` for a Pearson r of n pairs).
    z : float
        Normal critical value (1.96 for 95%).

    Returns
    -------
    (low, high) : numpy arrays (0-d for scalar input)

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
    deduced from a small sample. Metron, 1, 3-32.

    Examples
    --------
    >>> lo, hi = fisher_ci(0.5, 1 / np.sqrt(97), 1.959964)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.337, 0.634)
    """
    zr = np.arctanh(np.clip(np.asarray(r, dtype=float), -0.9999999, 0.9999999))
    width = z * np.asarray(se_z, dtype=float)
    return np.tanh(zr - width), np.tanh(zr + width)
