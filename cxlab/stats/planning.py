"""Margins of error and sample sizes for planning an NPS survey."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cxlab._checks import check_level
from cxlab.errors import CxlabError
from cxlab.stats._common import as_float, check_counts, z_value

# ---------------------------------------------------------- margin of error / planning


def _planning_variance(
    shares: Sequence[float] | None,
    promoters: float | None,
    detractors: float | None,
    where: str,
) -> float:
    if shares is not None:
        if promoters is not None or detractors is not None:
            raise CxlabError(f"{where}: give either shares=(D, P) or promoters/detractors.")
        try:
            detractors, promoters = shares
        except (TypeError, ValueError):
            raise CxlabError(
                f"{where}: shares must be a pair (detractor share, promoter share)."
            ) from None
    if promoters is None and detractors is None:
        return 1.0  # worst case: half promoters, half detractors
    if promoters is None or detractors is None:
        raise CxlabError(f"{where}: give both the promoter and the detractor share.")
    pp, dd = float(promoters), float(detractors)
    if not (0 <= pp <= 1 and 0 <= dd <= 1 and pp + dd <= 1):
        raise CxlabError(
            f"{where}: shares are proportions in [0, 1] with promoters + detractors <= 1 "
            f"(got promoters={promoters!r}, detractors={detractors!r})."
        )
    return pp + dd - (pp - dd) ** 2


def nps_moe(
    n: Any,
    *,
    shares: Sequence[float] | None = None,
    promoters: float | None = None,
    detractors: float | None = None,
    level: float = 0.95,
    method: str = "adjusted-wald",
) -> float | np.ndarray:
    """Margin of error (half-width of the interval, NPS points) for a sample of size n.

    ``MOE = 100 z sqrt(V / (n + 3))`` for ``adjusted-wald`` (``n`` for ``wald``) with
    ``V = P + D - (P - D)^2`` from the anticipated shares. With no shares the worst case
    ``V = 1`` is used (half promoters, half detractors, no passives: the largest
    variance a -1/0/+1 score can have), so the MOE is an upper bound.

    Parameters
    ----------
    n : int or array-like
        Sample size(s).
    shares : (float, float), optional
        Anticipated (detractor share, promoter share) as proportions in [0, 1].
    promoters, detractors : float, optional
        The same shares given by name (alternative to ``shares``).
    level : float
        Confidence level.
    method : {"adjusted-wald", "wald"}

    Returns
    -------
    float or numpy.ndarray
        Margin of error in NPS points (NaN where n + 3 <= 0 or n == 0 for Wald).

    References
    ----------
    Sauro & Lewis (2016); MeasuringU, "How to compute a confidence interval for NPS".

    Examples
    --------
    >>> round(nps_moe(382), 2)
    9.99
    >>> round(nps_moe(100, shares=(0.2, 0.5), method="wald"), 2)
    15.31
    """
    where = "nps_moe"
    level = check_level(level, where)
    if method not in ("adjusted-wald", "wald"):
        raise CxlabError(f"{where}: method must be 'adjusted-wald' or 'wald', got {method!r}.")
    v = _planning_variance(shares, promoters, detractors, where)
    nn = as_float(n, "n", where)
    check_counts(nn, "n", where)
    denom = nn + 3.0 if method == "adjusted-wald" else nn
    with np.errstate(divide="ignore", invalid="ignore"):
        moe = np.where(
            denom > 0, 100.0 * z_value(level) * np.sqrt(v / np.where(denom > 0, denom, 1)), np.nan
        )
    return float(moe) if moe.ndim == 0 else moe


def nps_sample_size(
    moe: Any,
    *,
    promoters: float | None = None,
    detractors: float | None = None,
    shares: Sequence[float] | None = None,
    level: float = 0.95,
    method: str = "adjusted-wald",
) -> int | np.ndarray:
    """Sample size needed for a given NPS margin of error (in NPS points).

    ``n = ceil(z^2 V / MOE^2 - 3)`` for ``adjusted-wald`` (no ``-3`` for ``wald``),
    at least 1, with ``V = P + D - (P - D)^2`` from the anticipated shares, or the worst
    case ``V = 1`` when no shares are given (conservative: enough for any true shares).

    Parameters
    ----------
    moe : float or array-like
        Target half-width in NPS points (> 0), e.g. 5 for +-5 points.
    promoters, detractors : float, optional
        Anticipated shares as proportions in [0, 1].
    shares : (float, float), optional
        Alternative: (detractor share, promoter share).
    level : float
        Confidence level.
    method : {"adjusted-wald", "wald"}

    Returns
    -------
    int or numpy.ndarray of int

    References
    ----------
    Sauro & Lewis (2016); MeasuringU NPS sample-size tables.

    Examples
    --------
    >>> nps_sample_size(10)
    382
    >>> nps_sample_size(5, promoters=0.5, detractors=0.2)
    935
    """
    where = "nps_sample_size"
    level = check_level(level, where)
    if method not in ("adjusted-wald", "wald"):
        raise CxlabError(f"{where}: method must be 'adjusted-wald' or 'wald', got {method!r}.")
    v = _planning_variance(shares, promoters, detractors, where)
    m = as_float(moe, "moe", where)
    if (~np.isfinite(m)).any() or (m <= 0).any():
        raise CxlabError(f"{where}: moe must be a positive number of NPS points, got {moe!r}.")
    n = z_value(level) ** 2 * v / (m / 100.0) ** 2 - (3.0 if method == "adjusted-wald" else 0.0)
    # Guard against 381.0000000001-style float noise before rounding up.
    out = np.maximum(np.ceil(n - 1e-9), 1).astype(np.int64)
    return int(out) if out.ndim == 0 else out
