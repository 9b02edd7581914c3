"""Interval kernels for the NPS on counts: Wald, adjusted Wald, Tango score, bootstrap, Bayes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize

from cxlab.errors import CxlabError
from cxlab.stats._common import BLOCK

#: Interval methods accepted by :func:`nps_counts`.
NPS_METHODS: tuple[str, ...] = ("wald", "adjusted-wald", "score", "bootstrap", "bayes")

#: Named symmetric Dirichlet priors of ``method="bayes"`` (concentration per category).
NPS_PRIORS: dict[str, float] = {"uniform": 1.0, "jeffreys": 0.5}

#: Pseudo-counts of the adjusted-Wald NPS interval (detractors, passives, promoters).
ADJUSTED_WALD_PSEUDO: tuple[float, float, float] = (0.75, 1.5, 0.75)

INTERVALS = ("equal-tailed", "hpd")


# ----------------------------------------------------------------- interval kernels


def wald_core(
    d: np.ndarray, p: np.ndarray, n: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre, SE, low, high (proportion scale -1..1) of the Wald interval for counts."""
    sp, sd = p / n, d / n
    centre = sp - sd
    v = np.clip(sp + sd - centre**2, 0.0, None)
    se = np.sqrt(v / n)
    return centre, se, np.clip(centre - z * se, -1, 1), np.clip(centre + z * se, -1, 1)


def adjusted_counts(
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


def score_bounds(d: float, p: float, n: float, z: float) -> tuple[float, float]:
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


def draw_interval(
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
                _, lo, hi = draw_interval(col[:, None], level, interval)
                low[j], high[j] = lo[0], hi[0]
        return se, low, high
    s = np.sort(draws, axis=0)
    m = s.shape[0]
    k = max(int(math.ceil(level * m)), 1)
    widths = s[k - 1 :] - s[: m - k + 1]
    j = np.argmin(widths, axis=0)
    cols = np.arange(s.shape[1])
    return se, s[j, cols], s[j + k - 1, cols]


def bootstrap_multinomial(
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
    step = max(1, BLOCK // (3 * n_boot))
    for i in range(0, len(pos), step):
        sl = slice(i, i + step)
        mi = m[sl]
        draws = rng.multinomial(mi, probs[sl], size=(n_boot, len(mi)))
        nps = (draws[..., 2] - draws[..., 0]) / mi
        for o, v in zip(out, draw_interval(nps, level, interval), strict=True):
            o[pos[sl]] = v
    return out[0], out[1], out[2]


def bayes_dirichlet(
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
    step = max(1, BLOCK // (3 * n_draws))
    for i in range(0, len(d), step):
        sl = slice(i, i + step)
        g = rng.standard_gamma(alpha[sl], size=(n_draws, alpha[sl].shape[0], 3))
        nps = (g[..., 2] - g[..., 0]) / g.sum(axis=-1)
        for o, v in zip(out, draw_interval(nps, level, interval), strict=True):
            o[sl] = v
    return out[0], out[1], out[2]


def check_prior(prior: Any, method: str, where: str) -> float:
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
