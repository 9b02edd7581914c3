"""Base-size bands and flags, and the Kish effective sample size."""

from __future__ import annotations

from typing import Any

import numpy as np

from cxlab.errors import CxlabError
from cxlab.stats._common import as_float, check_counts

#: Base-size bands (unreliable below the first, indicative below the second): the one
#: rule behind every ``flag`` column, summary caution, table flag and chart marker.
BASE_BANDS: tuple[int, int] = (30, 100)

#: How a base flag is marked beside a group's name in charts and text.
BASE_MARKS: dict[str, str] = {"reportable": "", "indicative": "*", "unreliable": "**"}


# ------------------------------------------------------------ base size and weights


def base_flag(n: Any, bands: tuple[float, float] = BASE_BANDS) -> str | np.ndarray:
    """Label a base size: "unreliable", "indicative" or "reportable".

    ``n < bands[0]`` is unreliable, ``n < bands[1]`` indicative, otherwise reportable.
    There is no authority for these cut-offs; 30 and 100 are common practice in survey
    reporting, so the bands are configurable. Use the effective n for weighted data.

    Parameters
    ----------
    n : float or array-like
        Base size(s), >= 0.
    bands : (float, float)
        Increasing cut-offs.

    Returns
    -------
    str or numpy.ndarray of str

    Examples
    --------
    >>> base_flag(29), base_flag(30), base_flag(100)
    ('unreliable', 'indicative', 'reportable')
    >>> base_flag([10, 50, 500], bands=(20, 200)).tolist()
    ['unreliable', 'indicative', 'reportable']
    """
    where = "base_flag"
    try:
        lo, hi = (float(b) for b in bands)
    except (TypeError, ValueError):
        raise CxlabError(f"{where}: bands must be two numbers, got {bands!r}.") from None
    if not lo <= hi:
        raise CxlabError(f"{where}: bands must be increasing, got {bands!r}.")
    nn = as_float(n, "n", where)
    check_counts(nn, "n", where)
    out = np.where(nn < lo, "unreliable", np.where(nn < hi, "indicative", "reportable"))
    return str(out) if out.ndim == 0 else out


def base_legend(bands: tuple[float, float] = BASE_BANDS) -> dict[str, str]:
    """What each base flag means, with its mark (see :data:`BASE_MARKS`), for legends.

    Examples
    --------
    >>> base_legend()["unreliable"]
    'unreliable base (n < 30) **'
    >>> base_legend()["indicative"]
    'indicative base (n 30-99) *'
    """
    lo, hi = (float(b) for b in bands)
    mid = f"{lo:g}-{hi - 1:g}" if lo.is_integer() and hi.is_integer() else f"{lo:g} to <{hi:g}"
    return {
        "reportable": f"reportable base (n >= {hi:g})",
        "indicative": f"indicative base (n {mid}) {BASE_MARKS['indicative']}",
        "unreliable": f"unreliable base (n < {lo:g}) {BASE_MARKS['unreliable']}",
    }


def kish_n(sum_w: Any, sum_w2: Any) -> float | np.ndarray:
    """Kish (1965) effective sample size ``(sum w)^2 / sum(w^2)``.

    Parameters
    ----------
    sum_w, sum_w2 : float or array-like
        ``SUM(w)`` and ``SUM(w * w)`` per group (weights >= 0). ``sum_w2 == 0`` (no
        rows or all weights zero) gives 0.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> kish_n(4.0, 4.0)  # four rows of weight 1
    4.0
    >>> round(kish_n(1 + 1 + 2, 1 + 1 + 4), 4)
    2.6667
    """
    where = "kish_n"
    sw = as_float(sum_w, "sum_w", where)
    sw2 = as_float(sum_w2, "sum_w2", where)
    check_counts(sw, "sum_w", where)
    check_counts(sw2, "sum_w2", where)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        safe = np.where(sw2 > 0, sw2, 1.0)
        out = np.where(sw2 > 0, sw * sw / safe, 0.0)
        # (sum w)^2 overflows before sum w^2 does for huge weights: same ratio, rearranged
        out = np.where(np.isfinite(out), out, (sw / np.sqrt(safe)) ** 2)
    return float(out) if out.ndim == 0 else out
