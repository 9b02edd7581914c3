"""Multiple-comparison adjustment of p-values."""

from __future__ import annotations

from typing import Any

import numpy as np

from cxlab.errors import CxlabError


def adjust_pvalues(p: Any, correction: str = "holm") -> np.ndarray:
    """Multiple-comparison adjusted p-values; missing p-values stay missing.

    Parameters
    ----------
    p : array-like of float
        Raw p-values; NaN (a test that could not be run) is kept as NaN and
        does not count towards the family.
    correction : str, default "holm"
        Any method of statsmodels' ``multipletests`` (``"holm"``,
        ``"bonferroni"``, ``"fdr_bh"``...), or ``"none"``.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same length as ``p``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics, 6(2), 65-70. Computed by
    ``statsmodels.stats.multitest.multipletests``.

    Examples
    --------
    >>> adjust_pvalues([0.01, float("nan"), 0.04]).round(3).tolist()
    [0.02, nan, 0.04]
    """
    from statsmodels.stats.multitest import multipletests

    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = np.isfinite(arr)
    if correction == "none" or not ok.any():
        out[ok] = arr[ok]
        return out
    try:
        out[ok] = multipletests(arr[ok], method=correction)[1]
    except ValueError as exc:
        raise CxlabError(f"unknown multiple-comparison correction {correction!r}: {exc}") from None
    return out
