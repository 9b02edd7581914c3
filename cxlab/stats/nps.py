"""NPS with its interval from three counts per group, and bootstrap cells for weighted data."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cxlab._checks import check_level
from cxlab.errors import CxlabError
from cxlab.stats._common import (
    BLOCK,
    NPS_FIELDS,
    as_float,
    check_counts,
    check_n_boot,
    check_n_eff,
    first_index,
    pow2_scale,
    z_value,
)
from cxlab.stats.bases import kish_n
from cxlab.stats.intervals import (
    INTERVALS,
    NPS_METHODS,
    adjusted_counts,
    bayes_dirichlet,
    bootstrap_multinomial,
    check_prior,
    draw_interval,
    score_bounds,
    wald_core,
)

# ------------------------------------------------------------------------ NPS counts


def nps_counts(
    detractors: Any,
    passives: Any,
    promoters: Any,
    *,
    method: str = "adjusted-wald",
    level: float = 0.95,
    n_eff: Any = None,
    seed: int | np.random.Generator | None = None,
    n_boot: int = 10_000,
    interval: str = "equal-tailed",
    n_rows: Any = None,
    prior: str | float | None = None,
) -> pd.Series | pd.DataFrame:
    """Net Promoter Score and its confidence interval from category counts.

    Parameters
    ----------
    detractors, passives, promoters : float or array-like
        Counts (or weighted totals) of each category. Scalars give a Series; arrays
        (broadcast together) give a DataFrame with one row per group, keeping the index
        of the first pandas Series among the inputs.
    method : {"adjusted-wald", "wald", "score", "bootstrap", "bayes"}
        ``wald``: ``NPS +- z SE`` with ``V = P + D - (P - D)^2``; under-covers at small
        n and near the edges (zero width when everyone is in one category).
        ``adjusted-wald`` (default): add 0.75 detractors, 1.5 passives and 0.75
        promoters (n + 3) and take centre and SE from the adjusted counts (Sauro &
        Lewis / MeasuringU). In Rocks' R package ``NPS`` this is
        ``nps_test(x, test = "adjusted.wald")``: there ``test`` defaults to
        ``"wald"``, and only the pseudo-counts are defaults
        (``pseudo_observations = c(0.75, 1.50, 0.75)``, used with
        ``"adjusted.wald"`` alone; github.com/brendan-r/NPS, ``R/nps_tests.R``).
        ``score``: Tango (1998) score interval -- promoters and detractors are the
        discordant cells of a paired table; the test of ``P - D = delta`` uses the
        variance at the restricted MLE (closed form, a quadratic) and the bounds are
        found with :func:`scipy.optimize.brentq` (Rocks' "iterative" method).
        ``bootstrap``: percentile interval of a multinomial resample of the three
        counts (exact for unweighted data and cheap whatever n). For weighted data use
        :func:`nps_bootstrap_cells`; here weighted input resamples
        ``round(n_eff)`` respondents from the weighted shares, an approximation.
        ``bayes``: posterior ``Dirichlet(counts + a)`` under a symmetric
        ``Dirichlet(a, a, a)`` prior (``prior=``; default ``a = 1``, uniform); NPS =
        theta_pro - theta_det by Monte Carlo.

        Where each under-covers (exact coverage, summed over every possible outcome,
        ``benchmarks/nps_coverage.md``; 95% nominal, n = 10..200): ``wald`` at small n
        and badly near the edges -- it is zero-width when all answers fall in one
        category, so with 98% promoters it covers 18% at n = 10, 45% at n = 30 and
        still 87% at n = 200. ``bootstrap`` (percentile or HPD) behaves like Wald: it
        cannot leave the observed mix (18% / 45% / 91% there). ``bayes`` with the
        uniform prior pulls towards the centre and under-covers near the edges (71% at
        n = 30, 89% at n = 100 with 98% promoters); at n = 10 its edge coverage hangs
        on Monte-Carlo noise (ten promoters of ten: the 97.5% posterior quantile is
        97.04, the truth 97). ``prior="jeffreys"`` fixes this: 90% at the edge at
        n = 10 (like ``score``), at least 94% over the whole grid from n = 30.
        ``adjusted-wald`` (the default; at least 94% everywhere, conservative 97-98% at
        the edges) and ``score`` (about 95% everywhere from n = 30; 90% at the edge at
        n = 10) are the ones to use.
    level : float
        Confidence (credible) level in (0, 1).
    n_eff : float or array-like, optional
        Effective sample size for weighted totals (Kish, see :func:`kish_n`). Shares
        come from the totals, the interval uses ``shares * n_eff`` as counts. Default:
        the total ``n`` itself (unweighted counts). Checked: ``0 < n_eff <= n_rows``
        where there are responses and ``n_eff == 0`` where there are none (Kish's n of
        ``k`` positive weights lies in ``[1, k]``); anything else is a CxlabError.
    seed : int or numpy.random.Generator, optional
        Seed for ``bootstrap`` and ``bayes`` (``numpy.random.default_rng(seed)``).
    n_boot : int
        Bootstrap replicates or posterior draws.
    interval : {"equal-tailed", "hpd"}
        Interval type for Monte-Carlo methods (``bootstrap``, ``bayes``); the
        equal-tailed bootstrap interval is the percentile interval.
    prior : {"uniform", "jeffreys"} or float, optional
        Prior of ``method="bayes"``: ``Dirichlet(a, a, a)`` with ``a = 1`` (uniform,
        the default), ``a = 1/2`` (Jeffreys' invariant prior for the multinomial; Jeffreys
        1946) or a positive number. Refused with any other method.
    n_rows : float or array-like, optional
        Number of respondents behind weighted totals, only used to check ``n_eff``.
        Default: ``n``, the total of the counts -- right for counts, and for totals of
        weights that average at least 1; pass it when the weights are normalised
        (e.g. to sum to 1), or ``n_eff`` above the total is refused.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Fields ``n, n_eff, detractors, passives, promoters, nps, se, low, high, method,
        level``. ``nps`` is always the observed ``100 (P - D)``; ``se``, ``low`` and
        ``high`` are on the -100..100 scale and bounds are clipped to it. ``se`` is the
        SE of the interval's own centre: adjusted SE for ``adjusted-wald``, the Wald SE
        at the observed shares for ``score``, the SD of the replicates/draws for
        ``bootstrap``/``bayes``. An empty group (``n == 0``: no responses, or zero
        total weight) has no estimate: ``nps``, ``se`` and the bounds are NaN, never a
        number and never an error (see the module's rule for empty groups).

    Notes
    -----
    The adjusted-Wald interval is centred on the adjusted NPS, so the observed NPS can
    fall outside it: at 95% only for n = 1 (1 promoter of 1: interval [-48.5, 98.5],
    observed 100; checked exhaustively up to n = 120), but at levels below about 84%
    even at large n (all promoters: the centre sits 3/(n+3) below 100 and the
    half-width is z sqrt(4.5 (n+1)) / (n+3)^1.5). ``wald`` and ``score`` always contain
    the observed NPS. Score bounds are clipped to [-100, 100] by construction; Wald-type
    bounds are clipped explicitly.
    Rocks (2016) found the adjusted-Wald variants and the score interval to have the
    best coverage on a large database of company NPS results.

    References
    ----------
    Rocks (2016), The American Statistician 70(4); Tango (1998), Statistics in
    Medicine 17:891-908; Sauro & Lewis (2016) / MeasuringU adjusted-Wald NPS interval;
    Jeffreys, H. (1946), An invariant form for the prior probability in estimation
    problems, Proc. R. Soc. A 186:453-461 (the Dirichlet(1/2, 1/2, 1/2) prior).

    Examples
    --------
    >>> r = nps_counts(20, 30, 50, method="wald")
    >>> round(r["nps"], 1), round(r["se"], 3), round(r["low"], 2), round(r["high"], 2)
    (30.0, 7.81, 14.69, 45.31)
    >>> nps_counts([20, 5], [30, 5], [50, 10])[["nps", "low", "high"]].round(1)
        nps   low  high
    0  30.0  14.1  44.2
    1  25.0 -11.7  55.2
    """
    where = "nps_counts"
    level, n_boot, conc = _check_options(method, interval, level, n_boot, prior, where)
    index = first_index(detractors, passives, promoters, n_eff)
    d, pa, p, ne, scalar = _count_arrays(detractors, passives, promoters, n_eff, n_rows, where)
    n = d + pa + p

    ok = (n > 0) & (ne > 0)
    nps = np.full(n.shape, np.nan)
    se = np.full(n.shape, np.nan)
    low = np.full(n.shape, np.nan)
    high = np.full(n.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        nps[n > 0] = 100.0 * (p[n > 0] - d[n > 0]) / n[n > 0]
    if ok.any():
        if n_eff is None:
            ed, epa, ep, en = d[ok], pa[ok], p[ok], n[ok]
        else:
            en = ne[ok]
            ed, ep = d[ok] / n[ok] * en, p[ok] / n[ok] * en
            epa = np.clip(en - ed - ep, 0.0, None)
        s, lo, hi = _interval_core(
            method, (ed, epa, ep, en), level, seed=seed, n_boot=n_boot, interval=interval, conc=conc
        )
        se[ok], low[ok], high[ok] = 100.0 * s, 100.0 * lo, 100.0 * hi
    ne_out = ne.copy()
    cols: dict[str, Any] = {
        "n": n,
        "n_eff": ne_out,
        "detractors": d,
        "passives": pa,
        "promoters": p,
        "nps": nps,
        "se": se,
        "low": low,
        "high": high,
        "method": method,
        "level": level,
    }
    if scalar:
        return pd.Series(
            {k: (float(v[0]) if isinstance(v, np.ndarray) else v) for k, v in cols.items()},
            index=list(NPS_FIELDS),
            name="nps",
            dtype=object,
        )
    out = pd.DataFrame(cols, columns=list(NPS_FIELDS))
    if index is not None and len(index) == len(out):
        out.index = index
    return out


def _check_options(
    method: str, interval: str, level: float, n_boot: int, prior: str | float | None, where: str
) -> tuple[float, int, float]:
    """Step 1 of :func:`nps_counts`: the method, interval, level, replicates and prior checked."""
    if method not in NPS_METHODS:
        raise CxlabError(f"{where}: unknown method {method!r}; choose one of {list(NPS_METHODS)}.")
    if interval not in INTERVALS:
        raise CxlabError(
            f"{where}: unknown interval {interval!r}; choose one of {list(INTERVALS)}."
        )
    level = check_level(level, where)
    n_boot = check_n_boot(n_boot, where)
    conc = check_prior(prior, method, where)
    return level, n_boot, conc


def _count_arrays(
    detractors: Any, passives: Any, promoters: Any, n_eff: Any, n_rows: Any, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Step 2 of :func:`nps_counts`: the counts (and ``n_eff``) checked and broadcast.

    Returns detractors, passives, promoters and the effective n as flat float
    arrays (``n_eff`` defaults to the total), and whether every input was a scalar.
    """
    names = ("detractors", "passives", "promoters")
    raw = [
        as_float(x, nm, where)
        for x, nm in zip((detractors, passives, promoters), names, strict=True)
    ]
    scalar = all(a.ndim == 0 for a in raw) and (n_eff is None or np.ndim(n_eff) == 0)
    for a, nm in zip(raw, names, strict=True):
        check_counts(a, nm, where)
    extra = []
    if n_eff is not None:
        ne_raw = as_float(n_eff, "n_eff", where)
        check_counts(ne_raw, "n_eff", where)
        extra.append(ne_raw)
    if n_rows is not None:
        nr_raw = as_float(n_rows, "n_rows", where)
        check_counts(nr_raw, "n_rows", where)
        extra.append(nr_raw)
    try:
        shaped = np.broadcast_arrays(*raw, *extra)
    except ValueError:
        shapes = [np.shape(a) for a in (*raw, *extra)]
        raise CxlabError(f"{where}: inputs of different lengths {shapes}.") from None
    arrs = [np.atleast_1d(a).astype(float).ravel() for a in shaped]
    d, pa, p = arrs[:3]
    n = d + pa + p
    ne = arrs[3] if n_eff is not None else n.copy()
    if n_eff is not None:
        rows = arrs[-1] if n_rows is not None else n
        check_n_eff(n, ne, rows, n_rows is not None, where)
    return d, pa, p, ne, scalar


def _interval_core(
    method: str,
    counts: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    level: float,
    *,
    seed: int | np.random.Generator | None,
    n_boot: int,
    interval: str,
    conc: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 3 of :func:`nps_counts`: SE and bounds (on the 0-1 scale) of groups with responses.

    ``counts`` are the (effective) detractors, passives, promoters and n.
    """
    ed, epa, ep, en = counts
    z = z_value(level)
    if method == "wald":
        _, s, lo, hi = wald_core(ed, ep, en, z)
    elif method == "adjusted-wald":
        ad, _, ap, an = adjusted_counts(ed, epa, ep)
        _, s, lo, hi = wald_core(ad, ap, an, z)
    elif method == "score":
        s = wald_core(ed, ep, en, z)[1]
        lo, hi = np.empty(len(en)), np.empty(len(en))
        cache: dict[tuple[float, float, float], tuple[float, float]] = {}
        for i, key in enumerate(zip(ed.tolist(), ep.tolist(), en.tolist(), strict=True)):
            if key not in cache:
                cache[key] = score_bounds(key[0], key[1], key[2], z)
            lo[i], hi[i] = cache[key]
    else:
        rng = np.random.default_rng(seed)
        if method == "bootstrap":
            s, lo, hi = bootstrap_multinomial(ed, epa, ep, en, level, n_boot, rng, interval)
        else:
            s, lo, hi = bayes_dirichlet(ed, epa, ep, level, n_boot, rng, interval, conc)
    return s, lo, hi


def nps_bootstrap_cells(
    category: Any,
    weight: Any,
    count: Any,
    *,
    level: float = 0.95,
    n_boot: int = 10_000,
    seed: int | np.random.Generator | None = None,
    interval: str = "equal-tailed",
) -> pd.Series:
    """Weighted NPS with an exact row-level bootstrap run on a frequency table.

    The engine sends ``GROUP BY category, weight`` with ``COUNT(*)`` instead of the rows.
    Resampling ``N`` rows with replacement is the same as drawing the cell counts from
    ``Multinomial(N, count / N)``; each replicate's weighted NPS is
    ``100 * sum(M w c) / sum(M w)``. The interval is the bootstrap percentile interval
    (or the shortest, ``interval="hpd"``).

    Parameters
    ----------
    category : array-like of {-1, 0, 1}
        Detractor, passive, promoter.
    weight : array-like of float
        Survey weight of the rows in the cell (>= 0).
    count : array-like of int
        Number of rows with that (category, weight) pair.
    level, n_boot, seed, interval
        As in :func:`nps_counts`.

    Returns
    -------
    pandas.Series
        ``n`` (rows), ``n_eff`` (Kish), ``detractors, passives, promoters`` (weighted
        totals), ``nps`` (weighted, observed), ``se`` (SD of the replicates), ``low``,
        ``high``, ``method`` ("bootstrap"), ``level``; NPS fields on -100..100.

    References
    ----------
    Efron & Tibshirani (1993), *An Introduction to the Bootstrap*; Kish (1965).

    Examples
    --------
    >>> r = nps_bootstrap_cells([-1, 0, 1, 1], [1.0, 1.0, 1.0, 2.0], [20, 30, 25, 25], seed=1)
    >>> round(r["nps"], 4), round(r["n_eff"], 2), r["promoters"]
    (44.0, 89.29, 75.0)
    """
    where = "nps_bootstrap_cells"
    level = check_level(level, where)
    n_boot = check_n_boot(n_boot, where)
    if interval not in INTERVALS:
        raise CxlabError(
            f"{where}: unknown interval {interval!r}; choose one of {list(INTERVALS)}."
        )
    c = np.atleast_1d(as_float(category, "category", where)).ravel()
    w = np.atleast_1d(as_float(weight, "weight", where)).ravel()
    m = np.atleast_1d(as_float(count, "count", where)).ravel()
    if not (len(c) == len(w) == len(m)):
        raise CxlabError(
            f"{where}: category, weight and count must have the same length "
            f"(got {len(c)}, {len(w)}, {len(m)})."
        )
    badc = ~np.isin(c, (-1.0, 0.0, 1.0))
    if badc.any():
        rows = np.flatnonzero(badc)[:10].tolist()
        raise CxlabError(
            f"{where}: 'category' must be -1, 0 or 1 (detractor, passive, promoter); "
            f"other values at position(s) {rows}."
        )
    check_counts(w, "weight", where)
    check_counts(m, "count", where)
    if not np.all(m == np.round(m)):
        rows = np.flatnonzero(m != np.round(m))[:10].tolist()
        raise CxlabError(f"{where}: 'count' must be whole numbers; not at position(s) {rows}.")
    tot = {
        k: float((m * w)[c == v].sum())
        for k, v in (("detractors", -1), ("passives", 0), ("promoters", 1))
    }
    # Weights divided by a power of two near the largest (exact, so every ratio is
    # unchanged): squares of weights like 1e155 would overflow and give n_eff NaN.
    w = w / pow2_scale(w)
    mw = m * w
    sw, sw2 = float(mw.sum()), float((m * w * w).sum())
    n_rows = float(m.sum())
    res: dict[str, Any] = {
        "n": n_rows,
        "n_eff": float(kish_n(sw, sw2)),
        **tot,
        "nps": math.nan,
        "se": math.nan,
        "low": math.nan,
        "high": math.nan,
        "method": "bootstrap",
        "level": level,
    }
    if n_rows > 0 and sw > 0:
        res["nps"] = 100.0 * float((mw * c).sum()) / sw
        keep = m > 0
        ck, wk, mk = c[keep], w[keep], m[keep]
        probs = mk / mk.sum()
        rng = np.random.default_rng(seed)
        nps = np.empty(n_boot)
        step = max(1, BLOCK // len(mk))
        for i in range(0, n_boot, step):
            k = min(step, n_boot - i)
            draws = rng.multinomial(int(n_rows), probs, size=k).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                nps[i : i + k] = draws @ (wk * ck) / (draws @ wk)
        s, lo, hi = draw_interval(nps[:, None], level, interval)
        res.update(se=100.0 * float(s[0]), low=100.0 * float(lo[0]), high=100.0 * float(hi[0]))
    return pd.Series(res, index=list(NPS_FIELDS), name="nps", dtype=object)
