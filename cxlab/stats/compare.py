"""The difference of two independent NPS results: estimate, interval and z test."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from cxlab._checks import check_level
from cxlab.errors import CxlabError
from cxlab.stats._common import as_float, check_counts, check_n_eff, z_value
from cxlab.stats.intervals import NPS_METHODS, adjusted_counts

# ----------------------------------------------------------------- differences


def nps_diff(
    a: pd.Series | pd.DataFrame | dict[str, Any],
    b: pd.Series | pd.DataFrame | dict[str, Any],
    *,
    level: float = 0.95,
    method: str | None = None,
) -> pd.Series | pd.DataFrame:
    """Difference of two independent NPS results, its interval and a two-sided z-test.

    ``SE = sqrt(V1 / n1 + V2 / n2)`` with ``V = P + D - (P - D)^2``. For
    ``adjusted-wald`` the shares, SE and the interval's centre come from the adjusted
    counts (+0.75 / +1.5 / +0.75 in each group) while ``diff`` reports the observed
    difference; ``z = centre / SE``, so ``p < 1 - level`` exactly when the interval
    excludes 0. Every other method uses the unadjusted Wald difference. If ``n_eff``
    is present (weighted results), the effective counts ``share * n_eff`` are used.

    Parameters
    ----------
    a, b : pandas.Series, dict or pandas.DataFrame
        Results of :func:`nps_counts` (or rows of a tidy table) with ``detractors,
        passives, promoters`` and optionally ``method`` and ``n_eff``. DataFrames are
        compared row by row (aligned by position) and give a DataFrame.
    level : float
        Confidence level in (0, 1).
    method : str, optional
        Override the method; default: ``a``'s ``method`` (``adjusted-wald`` if absent).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``diff, se, low, high, z, p, method, level, flag``; ``diff, se, low, high`` on
        the -100..100 scale (bounds clipped to [-200, 200]). When either group is empty
        (no responses, or zero total weight) there is nothing to compare: every number
        is NaN and ``flag`` is ``"empty"`` (otherwise ``""``).

    References
    ----------
    Rocks (2016), The American Statistician 70(4); Sauro & Lewis (2016) (adjusted-Wald).

    Examples
    --------
    >>> from cxlab.stats import nps_counts
    >>> a = nps_counts(20, 30, 50, method="wald")
    >>> b = nps_counts(30, 30, 40, method="wald")
    >>> r = nps_diff(a, b)
    >>> round(r["diff"], 1), round(r["se"], 4), round(r["p"], 4)
    (20.0, 11.4018, 0.0794)
    """
    where = "nps_diff"
    level = check_level(level, where)
    frame = isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame)
    meth = method if method is not None else _method_of(a)
    if meth not in NPS_METHODS:
        raise CxlabError(f"{where}: unknown method {meth!r}; choose one of {list(NPS_METHODS)}.")
    d1, _, p1, n1, o1, e1 = _diff_counts(a, "a", meth, where)
    d2, _, p2, n2, o2, e2 = _diff_counts(b, "b", meth, where)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1, t1 = p1 / n1, d1 / n1
        s2, t2 = p2 / n2, d2 / n2
        v1 = np.clip(s1 + t1 - (s1 - t1) ** 2, 0, None)
        v2 = np.clip(s2 + t2 - (s2 - t2) ** 2, 0, None)
        se = np.sqrt(v1 / n1 + v2 / n2)
        centre = (s1 - t1) - (s2 - t2)
        z = z_value(level)
        zstat = centre / se
    zstat = np.where(se > 0, zstat, np.nan)
    pval = 2.0 * stats.norm.sf(np.abs(zstat))
    # An empty group has no NPS, so there is no difference to estimate: the
    # adjusted-Wald pseudo-counts alone must not produce an SE, interval and p.
    empty = np.broadcast_to(e1 | e2, se.shape)
    nan = np.where(empty, np.nan, 0.0)
    cols = {
        "diff": 100.0 * (o1 - o2),
        "se": 100.0 * se + nan,
        "low": np.clip(100.0 * (centre - z * se), -200, 200) + nan,
        "high": np.clip(100.0 * (centre + z * se), -200, 200) + nan,
        "z": zstat + nan,
        "p": pval + nan,
        "method": meth if meth == "adjusted-wald" else "wald",
        "level": level,
        "flag": np.where(empty, "empty", ""),
    }
    if frame:
        # `frame` holds, so b is the DataFrame where a is not
        idx = a.index if isinstance(a, pd.DataFrame) else cast(pd.DataFrame, b).index
        out = pd.DataFrame(cols)
        if len(idx) == len(out):
            out.index = idx
        return out
    return pd.Series(
        {k: (v.ravel()[0].item() if isinstance(v, np.ndarray) else v) for k, v in cols.items()},
        name="nps_diff",
        dtype=object,
    )


def _field(x: Any, key: str, where: str) -> np.ndarray:
    """A count field of an :func:`nps_diff` input as a flat array, checked."""
    try:
        v = x[key]
    except (KeyError, IndexError):
        raise CxlabError(f"{where}: input lacks the field '{key}'.") from None
    arr = np.atleast_1d(as_float(v, key, where)).ravel()
    check_counts(arr, key, where)
    return arr


def _method_of(x: Any) -> str:
    """The interval method an :func:`nps_diff` input was computed with (default adjusted Wald)."""
    try:
        v = x["method"]
    except (KeyError, IndexError):
        return "adjusted-wald"
    if isinstance(v, pd.Series):
        v = v.iloc[0] if len(v) else "adjusted-wald"
    return str(v)


def _diff_counts(x: Any, name: str, meth: str, where: str) -> tuple[np.ndarray, ...]:
    """One side of :func:`nps_diff`: the counts the test uses, the observed NPS, emptiness.

    Counts are rescaled to ``n_eff`` (weighted results) and adjusted
    (+0.75 / +1.5 / +0.75) for ``adjusted-wald``; the observed share difference
    is taken before either.
    """
    d, pa = _field(x, "detractors", where), _field(x, "passives", where)
    p = _field(x, "promoters", where)
    n = d + pa + p
    obs = np.full(n.shape, np.nan)
    pos = n > 0
    obs[pos] = (p[pos] - d[pos]) / n[pos]
    try:
        v = x["n_eff"]
    except (KeyError, IndexError):
        ne = n
    else:
        ne = np.atleast_1d(as_float(v, "n_eff", where)).ravel()
        check_counts(ne, f"n_eff' of '{name}", where)
        ne = np.broadcast_to(ne, n.shape)
        # weighted totals: n_eff may exceed the total, but 0 goes with 0 only
        check_n_eff(n, ne, np.full(n.shape, np.inf), False, f"{where} ({name})")
    empty = ~(n > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if not np.array_equal(ne, n):
            d, p = d / n * ne, p / n * ne
            pa, n = np.clip(ne - d - p, 0, None), ne
    if meth == "adjusted-wald":
        d, pa, p, n = adjusted_counts(d, pa, p)
    return d, pa, p, n, obs, empty
