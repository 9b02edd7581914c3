"""Inference on small summaries: NPS, proportion and mean intervals from counts and sums.

Design: aggregation happens in the database engine (DuckDB through Ibis); this module
only sees the *summaries* the engine returns -- category counts, weighted totals, sums
and sums of squares, frequency tables -- and never touches respondent rows. Every
function therefore runs in microseconds per group, whatever the number of respondents,
and most accept arrays so that hundreds of groups are handled in one call.

Scales. NPS, its standard error, bounds, differences and margins of error are on the
-100..100 scale; proportions are in percent (0..100).

Per-respondent NPS score ``X`` is -1 (detractor), 0 (passive) or +1 (promoter). With
shares ``P`` (promoters) and ``D`` (detractors)::

    NPS = P - D,    Var(X) = V = P + D - (P - D)^2,    SE = sqrt(V / n)

The variance includes the covariance of the two shares (``-2 Cov(P, D) = +2PD/n``);
the formula ``P(1 - P) + D(1 - D)`` that some tools use drops it and understates the
SE.

Empty groups and impossible input (one rule, here and in :mod:`cxlab.metrics`). A group
with no responses, or whose weights are all zero (``n == 0``, Kish ``n_eff == 0``), has
no estimate: estimates, SEs, bounds, z and p are NaN -- never a number made up from
pseudo-counts, never an error, so one empty group does not stop a breakdown. The NPS,
CSAT and CES tables flag such rows ``"empty"``; :func:`nps_diff` flags a comparison
with an empty side ``"empty"``. Input no data set can produce -- negative or non-finite
counts or weights, ``n_eff`` outside ``(0, respondents]`` for a non-empty group, or
``n_eff > 0`` for an empty one -- raises :class:`~cxlab.errors.CxlabError` naming the
argument (or column), the positions and the rule. (:func:`cxlab.drivers`, which has
one result for the whole input, raises when no row carries weight.)

References
----------
Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
    Statistician*, 70(4), 365-372. doi:10.1080/00031305.2016.1158124
    (R package ``NPS`` by the same author.)
Tango, T. (1998). Equivalence test and confidence interval for the difference in
    proportions for the paired-sample design. *Statistics in Medicine*, 17, 891-908.
Sauro, J. & Lewis, J. R. (2016). *Quantifying the User Experience*, 2nd ed.; MeasuringU,
    "Confidence intervals for Net Promoter Scores" (adjusted-Wald, +3 pseudo-responses).
Kish, L. (1965). *Survey Sampling*. Wiley (effective sample size).
Wilson, E. B. (1927). Probable inference... *JASA*, 22, 209-212; Agresti, A. & Coull,
    B. A. (1998). Approximate is better than "exact"... *The American Statistician*, 52.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from cxlab.errors import CxlabError

__all__ = [
    "BASE_BANDS",
    "BASE_MARKS",
    "NPS_METHODS",
    "base_flag",
    "base_legend",
    "kish_n",
    "mean_ci",
    "nps_bootstrap_cells",
    "nps_counts",
    "nps_diff",
    "nps_moe",
    "nps_sample_size",
    "proportion_ci",
]

#: Interval methods accepted by :func:`nps_counts`.
NPS_METHODS: tuple[str, ...] = ("wald", "adjusted-wald", "score", "bootstrap", "bayes")

#: Named symmetric Dirichlet priors of ``method="bayes"`` (concentration per category).
NPS_PRIORS: dict[str, float] = {"uniform": 1.0, "jeffreys": 0.5}

#: Base-size bands (unreliable below the first, indicative below the second): the one
#: rule behind every ``flag`` column, summary caution, table flag and chart marker.
BASE_BANDS: tuple[int, int] = (30, 100)

#: How a base flag is marked beside a group's name in charts and text.
BASE_MARKS: dict[str, str] = {"reportable": "", "indicative": "*", "unreliable": "**"}

#: Pseudo-counts of the adjusted-Wald NPS interval (detractors, passives, promoters).
ADJUSTED_WALD_PSEUDO: tuple[float, float, float] = (0.75, 1.5, 0.75)

_INTERVALS = ("equal-tailed", "hpd")
_NPS_FIELDS = (
    "n",
    "n_eff",
    "detractors",
    "passives",
    "promoters",
    "nps",
    "se",
    "low",
    "high",
    "method",
    "level",
)
# Size of one Monte-Carlo block (number of float64 values) to bound memory use.
_BLOCK = 2_000_000


# --------------------------------------------------------------------------- checks


def _check_level(level: float, where: str) -> float:
    try:
        lv = float(level)
    except (TypeError, ValueError):
        raise CxlabError(f"{where}: level must be a number in (0, 1), got {level!r}.") from None
    if not 0.0 < lv < 1.0:
        raise CxlabError(
            f"{where}: level must lie strictly between 0 and 1 (e.g. 0.95), got {level!r}."
        )
    return lv


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2.0))


def _as_float(x: Any, name: str, where: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise CxlabError(f"{where}: '{name}' must be numeric, got {x!r}.") from None
    return arr


def _check_counts(arr: np.ndarray, name: str, where: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.ravel())[:10].tolist()
        raise CxlabError(
            f"{where}: '{name}' must be a finite count; missing or infinite at position(s) {rows}."
        )
    neg = arr < 0
    if neg.any():
        rows = np.flatnonzero(neg.ravel())[:10].tolist()
        vals = arr.ravel()[rows].tolist()
        raise CxlabError(
            f"{where}: '{name}' must be >= 0 (a count or weighted total); "
            f"negative value(s) {vals} at position(s) {rows}."
        )


def _positions(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(np.ravel(mask))[:10].tolist()


def _check_n_eff(
    n: np.ndarray, ne: np.ndarray, rows: np.ndarray, rows_given: bool, where: str
) -> None:
    """Effective sample sizes a Kish computation can produce, else a CxlabError.

    ``(sum w)^2 / sum w^2`` is 0 for a group with no weight, and otherwise lies
    between 1 and the number of rows with a positive weight (Cauchy-Schwarz). A
    relative tolerance of 1e-9 absorbs the rounding of the engine's sums.
    """
    zero = (n > 0) & (ne <= 0)
    if zero.any():
        raise CxlabError(
            f"{where}: 'n_eff' must be > 0 where there are responses (the Kish effective n "
            f"of a group with any positive weight is at least 1); it is 0 at position(s) "
            f"{_positions(zero)}."
        )
    ghost = (n <= 0) & (ne > 0)
    if ghost.any():
        raise CxlabError(
            f"{where}: 'n_eff' must be 0 where there are no responses (all three counts 0); "
            f"got {ne[ghost][:10].tolist()} at position(s) {_positions(ghost)}."
        )
    over = ne > rows * (1.0 + 1e-9) + 1e-9
    if over.any():
        what = "'n_rows'" if rows_given else "n, the total of the counts"
        hint = (
            ""
            if rows_given
            else " If the counts are weighted totals (weights averaging below 1), pass "
            "n_rows= (the number of respondents)."
        )
        raise CxlabError(
            f"{where}: 'n_eff' cannot exceed {what} (an effective sample size is at most "
            f"the number of respondents); n_eff {ne[over][:10].tolist()} > "
            f"{rows[over][:10].tolist()} at position(s) {_positions(over)}.{hint}"
        )


def _pow2_scale(w: np.ndarray) -> float:
    """Power of two near ``max(w)`` (1.0 when there is no positive weight)."""
    top = float(w.max()) if w.size else 0.0
    return 2.0 ** (math.frexp(top)[1] - 1) if top > 0 else 1.0


def _check_prior(prior: Any, method: str, where: str) -> float:
    if prior is None:
        return 1.0
    if method != "bayes":
        raise CxlabError(f"{where}: prior= applies to method='bayes' only (method={method!r}).")
    if isinstance(prior, str):
        if prior not in NPS_PRIORS:
            raise CxlabError(
                f"{where}: unknown prior {prior!r}; choose one of {list(NPS_PRIORS)} or a "
                "positive number (the Dirichlet concentration per category)."
            )
        return NPS_PRIORS[prior]
    try:
        a = float(prior)
    except (TypeError, ValueError):
        a = math.nan
    if not (math.isfinite(a) and a > 0) or isinstance(prior, bool):
        raise CxlabError(
            f"{where}: prior must be 'uniform', 'jeffreys' or a positive number, got {prior!r}."
        )
    return a


def _first_index(*xs: Any) -> pd.Index | None:
    for x in xs:
        if isinstance(x, pd.Series | pd.Index):
            return x.index if isinstance(x, pd.Series) else None
    return None


def _check_n_boot(n_boot: int, where: str) -> int:
    try:
        ok = not isinstance(n_boot, bool) and float(n_boot).is_integer() and int(n_boot) >= 10
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise CxlabError(f"{where}: n_boot must be an integer >= 10, got {n_boot!r}.")
    return int(n_boot)


# ----------------------------------------------------------------- interval kernels


def _wald_core(
    d: np.ndarray, p: np.ndarray, n: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre, SE, low, high (proportion scale -1..1) of the Wald interval for counts."""
    sp, sd = p / n, d / n
    centre = sp - sd
    v = np.clip(sp + sd - centre**2, 0.0, None)
    se = np.sqrt(v / n)
    return centre, se, np.clip(centre - z * se, -1, 1), np.clip(centre + z * se, -1, 1)


def _adjusted_counts(
    d: np.ndarray, pa: np.ndarray, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ad, apa, ap = ADJUSTED_WALD_PSEUDO
    d2, pa2, p2 = d + ad, pa + apa, p + ap
    return d2, pa2, p2, d2 + pa2 + p2


def _tango_restricted_q(delta: float, b: float, c: float, n: float) -> float:
    """Restricted MLE of the detractor share under ``P - D = delta`` (Tango 1998, eq. 8).

    Promoters (``b``) and detractors (``c``) are the discordant cells of a paired table;
    the MLE solves ``2n q^2 + B q + C = 0`` with ``B = -b - c + (2n - b + c) delta`` and
    ``C = -c delta (1 - delta)``. The root is computed in the cancellation-free form.
    """
    a2 = 2.0 * n
    bq = -b - c + (2.0 * n - b + c) * delta
    cq = -c * delta * (1.0 - delta)
    s = math.sqrt(max(bq * bq - 4.0 * a2 * cq, 0.0))
    q = (s - bq) / (2.0 * a2) if bq <= 0 else (-2.0 * cq) / (bq + s)
    return min(max(q, max(0.0, -delta)), (1.0 - delta) / 2.0)


def _tango_z(delta: float, b: float, c: float, n: float) -> float:
    """Score statistic ``(b - c - n delta) / sqrt(n (2 q~ + delta (1 - delta)))``."""
    q = _tango_restricted_q(delta, b, c, n)
    var = n * (2.0 * q + delta * (1.0 - delta))
    num = b - c - n * delta
    scale = max(n, 1.0)
    if var <= 1e-14 * scale:
        # Only at delta = +-1 (or 0 with all passives); Z -> 0 when the numerator
        # vanishes too, else |Z| -> infinity. A large finite value keeps brentq happy.
        if abs(num) <= 1e-9 * scale:
            return 0.0
        return math.copysign(1e12, num)
    return num / math.sqrt(var)


def _score_bounds(d: float, p: float, n: float, z: float) -> tuple[float, float]:
    """Tango score interval for ``P - D`` (proportion scale) by root finding."""
    obs = (p - d) / n
    xtol = 1e-12
    if obs <= -1.0 + 1e-15:
        low = -1.0
    else:
        low = optimize.brentq(lambda t: _tango_z(t, p, d, n) - z, -1.0, obs, xtol=xtol, maxiter=500)
    if obs >= 1.0 - 1e-15:
        high = 1.0
    else:
        high = optimize.brentq(lambda t: _tango_z(t, p, d, n) + z, obs, 1.0, xtol=xtol, maxiter=500)
    return min(low, obs), max(high, obs)


def _draw_interval(
    draws: np.ndarray, level: float, interval: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SD, low, high along axis 0 of Monte-Carlo draws (equal-tailed or HPD)."""
    alpha = 1.0 - level
    has_nan = bool(np.isnan(draws).any())
    std, quantile = (np.nanstd, np.nanquantile) if has_nan else (np.std, np.quantile)
    se = std(draws, axis=0, ddof=1)
    if interval == "equal-tailed":
        low, high = quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
        return se, low, high
    # Highest posterior density: the shortest window holding ceil(level * m) draws
    # (Chen & Shao 1999 Monte-Carlo HPD estimate). NaN replicates (all drawn weights
    # zero) are dropped column by column.
    if has_nan:
        low, high = np.full(draws.shape[1], np.nan), np.full(draws.shape[1], np.nan)
        for j in range(draws.shape[1]):
            col = draws[:, j][~np.isnan(draws[:, j])]
            if col.size:
                _, lo, hi = _draw_interval(col[:, None], level, interval)
                low[j], high[j] = lo[0], hi[0]
        return se, low, high
    s = np.sort(draws, axis=0)
    m = s.shape[0]
    k = max(int(math.ceil(level * m)), 1)
    widths = s[k - 1 :] - s[: m - k + 1]
    j = np.argmin(widths, axis=0)
    cols = np.arange(s.shape[1])
    return se, s[j, cols], s[j + k - 1, cols]


def _bootstrap_multinomial(
    d: np.ndarray,
    pa: np.ndarray,
    p: np.ndarray,
    n: np.ndarray,
    level: float,
    n_boot: int,
    rng: np.random.Generator,
    interval: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m_all = np.rint(n).astype(np.int64)
    out = [np.full(len(n), np.nan) for _ in range(3)]
    pos = np.flatnonzero(m_all > 0)  # an effective n below 0.5 rounds to no respondent
    m = m_all[pos]
    probs = np.stack([d[pos], pa[pos], p[pos]], axis=-1) / n[pos, None]
    probs = probs / probs.sum(axis=1, keepdims=True)
    step = max(1, _BLOCK // (3 * n_boot))
    for i in range(0, len(pos), step):
        sl = slice(i, i + step)
        mi = m[sl]
        draws = rng.multinomial(mi, probs[sl], size=(n_boot, len(mi)))
        nps = (draws[..., 2] - draws[..., 0]) / mi
        for o, v in zip(out, _draw_interval(nps, level, interval), strict=True):
            o[pos[sl]] = v
    return out[0], out[1], out[2]


def _bayes_dirichlet(
    d: np.ndarray,
    pa: np.ndarray,
    p: np.ndarray,
    level: float,
    n_draws: int,
    rng: np.random.Generator,
    interval: str,
    prior: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    alpha = np.stack([d, pa, p], axis=-1) + prior  # Dirichlet(prior, prior, prior)
    out = [np.empty(len(d)) for _ in range(3)]
    step = max(1, _BLOCK // (3 * n_draws))
    for i in range(0, len(d), step):
        sl = slice(i, i + step)
        g = rng.standard_gamma(alpha[sl], size=(n_draws, alpha[sl].shape[0], 3))
        nps = (g[..., 2] - g[..., 0]) / g.sum(axis=-1)
        for o, v in zip(out, _draw_interval(nps, level, interval), strict=True):
            o[sl] = v
    return out[0], out[1], out[2]


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
    if method not in NPS_METHODS:
        raise CxlabError(f"{where}: unknown method {method!r}; choose one of {list(NPS_METHODS)}.")
    if interval not in _INTERVALS:
        raise CxlabError(
            f"{where}: unknown interval {interval!r}; choose one of {list(_INTERVALS)}."
        )
    level = _check_level(level, where)
    n_boot = _check_n_boot(n_boot, where)
    conc = _check_prior(prior, method, where)
    index = _first_index(detractors, passives, promoters, n_eff)
    raw = [
        _as_float(x, nm, where)
        for x, nm in zip(
            (detractors, passives, promoters), ("detractors", "passives", "promoters"), strict=True
        )
    ]
    scalar = all(a.ndim == 0 for a in raw) and (n_eff is None or np.ndim(n_eff) == 0)
    for a, nm in zip(raw, ("detractors", "passives", "promoters"), strict=True):
        _check_counts(a, nm, where)
    extra = []
    if n_eff is not None:
        ne_raw = _as_float(n_eff, "n_eff", where)
        _check_counts(ne_raw, "n_eff", where)
        extra.append(ne_raw)
    if n_rows is not None:
        nr_raw = _as_float(n_rows, "n_rows", where)
        _check_counts(nr_raw, "n_rows", where)
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
        _check_n_eff(n, ne, rows, n_rows is not None, where)

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
        z = _z(level)
        if method == "wald":
            _, s, lo, hi = _wald_core(ed, ep, en, z)
        elif method == "adjusted-wald":
            ad, _, ap, an = _adjusted_counts(ed, epa, ep)
            _, s, lo, hi = _wald_core(ad, ap, an, z)
        elif method == "score":
            s = _wald_core(ed, ep, en, z)[1]
            lo, hi = np.empty(len(en)), np.empty(len(en))
            cache: dict[tuple[float, float, float], tuple[float, float]] = {}
            for i, key in enumerate(zip(ed.tolist(), ep.tolist(), en.tolist(), strict=True)):
                if key not in cache:
                    cache[key] = _score_bounds(key[0], key[1], key[2], z)
                lo[i], hi[i] = cache[key]
        else:
            rng = np.random.default_rng(seed)
            if method == "bootstrap":
                s, lo, hi = _bootstrap_multinomial(ed, epa, ep, en, level, n_boot, rng, interval)
            else:
                s, lo, hi = _bayes_dirichlet(ed, epa, ep, level, n_boot, rng, interval, conc)
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
            index=list(_NPS_FIELDS),
            name="nps",
            dtype=object,
        )
    out = pd.DataFrame(cols, columns=list(_NPS_FIELDS))
    if index is not None and len(index) == len(out):
        out.index = index
    return out


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
    level = _check_level(level, where)
    n_boot = _check_n_boot(n_boot, where)
    if interval not in _INTERVALS:
        raise CxlabError(
            f"{where}: unknown interval {interval!r}; choose one of {list(_INTERVALS)}."
        )
    c = np.atleast_1d(_as_float(category, "category", where)).ravel()
    w = np.atleast_1d(_as_float(weight, "weight", where)).ravel()
    m = np.atleast_1d(_as_float(count, "count", where)).ravel()
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
    _check_counts(w, "weight", where)
    _check_counts(m, "count", where)
    if not np.all(m == np.round(m)):
        rows = np.flatnonzero(m != np.round(m))[:10].tolist()
        raise CxlabError(f"{where}: 'count' must be whole numbers; not at position(s) {rows}.")
    tot = {
        k: float((m * w)[c == v].sum())
        for k, v in (("detractors", -1), ("passives", 0), ("promoters", 1))
    }
    # Weights divided by a power of two near the largest (exact, so every ratio is
    # unchanged): squares of weights like 1e155 would overflow and give n_eff NaN.
    w = w / _pow2_scale(w)
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
        step = max(1, _BLOCK // len(mk))
        for i in range(0, n_boot, step):
            k = min(step, n_boot - i)
            draws = rng.multinomial(int(n_rows), probs, size=k).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                nps[i : i + k] = draws @ (wk * ck) / (draws @ wk)
        s, lo, hi = _draw_interval(nps[:, None], level, interval)
        res.update(se=100.0 * float(s[0]), low=100.0 * float(lo[0]), high=100.0 * float(hi[0]))
    return pd.Series(res, index=list(_NPS_FIELDS), name="nps", dtype=object)


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
    >>> a = nps_counts(20, 30, 50, method="wald")
    >>> b = nps_counts(30, 30, 40, method="wald")
    >>> r = nps_diff(a, b)
    >>> round(r["diff"], 1), round(r["se"], 4), round(r["p"], 4)
    (20.0, 11.4018, 0.0794)
    """
    where = "nps_diff"
    level = _check_level(level, where)
    frame = isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame)

    def get(x: Any, key: str) -> np.ndarray:
        try:
            v = x[key]
        except (KeyError, IndexError):
            raise CxlabError(f"{where}: input lacks the field '{key}'.") from None
        arr = np.atleast_1d(_as_float(v, key, where)).ravel()
        _check_counts(arr, key, where)
        return arr

    def method_of(x: Any) -> str:
        try:
            v = x["method"]
        except (KeyError, IndexError):
            return "adjusted-wald"
        if isinstance(v, pd.Series):
            v = v.iloc[0] if len(v) else "adjusted-wald"
        return str(v)

    meth = method if method is not None else method_of(a)
    if meth not in NPS_METHODS:
        raise CxlabError(f"{where}: unknown method {meth!r}; choose one of {list(NPS_METHODS)}.")

    def counts(x: Any, name: str) -> tuple[np.ndarray, ...]:
        d, pa, p = get(x, "detractors"), get(x, "passives"), get(x, "promoters")
        n = d + pa + p
        obs = np.full(n.shape, np.nan)
        pos = n > 0
        obs[pos] = (p[pos] - d[pos]) / n[pos]
        try:
            v = x["n_eff"]
        except (KeyError, IndexError):
            ne = n
        else:
            ne = np.atleast_1d(_as_float(v, "n_eff", where)).ravel()
            _check_counts(ne, f"n_eff' of '{name}", where)
            ne = np.broadcast_to(ne, n.shape)
            # weighted totals: n_eff may exceed the total, but 0 goes with 0 only
            _check_n_eff(n, ne, np.full(n.shape, np.inf), False, f"{where} ({name})")
        empty = ~(n > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            if not np.array_equal(ne, n):
                d, p = d / n * ne, p / n * ne
                pa, n = np.clip(ne - d - p, 0, None), ne
        if meth == "adjusted-wald":
            d, pa, p, n = _adjusted_counts(d, pa, p)
        return d, pa, p, n, obs, empty

    d1, _, p1, n1, o1, e1 = counts(a, "a")
    d2, _, p2, n2, o2, e2 = counts(b, "b")
    with np.errstate(invalid="ignore", divide="ignore"):
        s1, t1 = p1 / n1, d1 / n1
        s2, t2 = p2 / n2, d2 / n2
        v1 = np.clip(s1 + t1 - (s1 - t1) ** 2, 0, None)
        v2 = np.clip(s2 + t2 - (s2 - t2) ** 2, 0, None)
        se = np.sqrt(v1 / n1 + v2 / n2)
        centre = (s1 - t1) - (s2 - t2)
        z = _z(level)
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
    level = _check_level(level, where)
    if method not in ("adjusted-wald", "wald"):
        raise CxlabError(f"{where}: method must be 'adjusted-wald' or 'wald', got {method!r}.")
    v = _planning_variance(shares, promoters, detractors, where)
    nn = _as_float(n, "n", where)
    _check_counts(nn, "n", where)
    denom = nn + 3.0 if method == "adjusted-wald" else nn
    with np.errstate(divide="ignore", invalid="ignore"):
        moe = np.where(
            denom > 0, 100.0 * _z(level) * np.sqrt(v / np.where(denom > 0, denom, 1)), np.nan
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
    level = _check_level(level, where)
    if method not in ("adjusted-wald", "wald"):
        raise CxlabError(f"{where}: method must be 'adjusted-wald' or 'wald', got {method!r}.")
    v = _planning_variance(shares, promoters, detractors, where)
    m = _as_float(moe, "moe", where)
    if (~np.isfinite(m)).any() or (m <= 0).any():
        raise CxlabError(f"{where}: moe must be a positive number of NPS points, got {moe!r}.")
    n = _z(level) ** 2 * v / (m / 100.0) ** 2 - (3.0 if method == "adjusted-wald" else 0.0)
    # Guard against 381.0000000001-style float noise before rounding up.
    out = np.maximum(np.ceil(n - 1e-9), 1).astype(np.int64)
    return int(out) if out.ndim == 0 else out


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
    level = _check_level(level, where)
    allowed = ("wilson", "agresti_coull", "beta", "jeffreys", "normal", "binom_test")
    if method not in allowed:
        raise CxlabError(f"{where}: unknown method {method!r}; choose one of {list(allowed)}.")
    k = _as_float(successes, "successes", where)
    nn = _as_float(n, "n", where)
    _check_counts(k, "successes", where)
    _check_counts(nn, "n", where)
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
    level = _check_level(level, where)
    s = _as_float(total, "total", where)
    s2 = _as_float(total_sq, "total_sq", where)
    nn = _as_float(n, "n", where)
    _check_counts(nn, "n", where)
    _check_counts(s2, "total_sq", where)
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
    nn = _as_float(n, "n", where)
    _check_counts(nn, "n", where)
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
    sw = _as_float(sum_w, "sum_w", where)
    sw2 = _as_float(sum_w2, "sum_w2", where)
    _check_counts(sw, "sum_w", where)
    _check_counts(sw2, "sum_w2", where)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        safe = np.where(sw2 > 0, sw2, 1.0)
        out = np.where(sw2 > 0, sw * sw / safe, 0.0)
        # (sum w)^2 overflows before sum w^2 does for huge weights: same ratio, rearranged
        out = np.where(np.isfinite(out), out, (sw / np.sqrt(safe)) ** 2)
    return float(out) if out.ndim == 0 else out
