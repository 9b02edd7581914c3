"""The restricted wild cluster bootstrap (WCR) and the errors-in-variables correction
(with the sampling variance of a cell's variance) of :func:`cxlab.outcomes.fe_regression`.

Hand-written: no maintained Python package offers the restricted wild cluster bootstrap with
test-inversion intervals on absorbed fixed effects (``wildboottest`` has no two-way absorption).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.errors import CxlabError


def wild_draws(g: int, weights: str, n_boot: int, seed: int) -> tuple[np.ndarray, str]:
    """Bootstrap weights (B x G) and a description.

    Every sign (or Webb) vector is enumerated when there are no more of them than
    ``n_boot``: the bootstrap distribution is then exact and needs no seed.
    """
    if weights == "auto":
        weights = "webb" if g <= 5 else "rademacher"
    if weights == "rademacher":
        if 2**g <= n_boot + 1:
            codes = np.arange(2**g)[:, None] >> np.arange(g)[None, :]
            return 1.0 - 2.0 * (codes & 1), f"Rademacher weights, all {2**g} sign vectors"
        rng = np.random.default_rng(seed)
        draws = rng.choice(np.array([-1.0, 1.0]), size=(n_boot, g))
        return draws, f"Rademacher weights, {n_boot} draws (seed {seed})"
    webb = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    if 6**g <= n_boot + 1:
        idx = np.indices((6,) * g).reshape(g, -1).T
        idx = idx[np.argsort(np.all(idx == 4, axis=1) * -1, kind="stable")]  # identity first
        return webb[idx], f"Webb 6-point weights, all {6**g} vectors"
    rng = np.random.default_rng(seed)
    return webb[rng.integers(0, 6, size=(n_boot, g))], (
        f"Webb 6-point weights, {n_boot} draws (seed {seed})"
    )


def wild_inference(
    xt: np.ndarray,
    yt: np.ndarray,
    j: int,
    units: np.ndarray,
    basis: np.ndarray,
    draws: np.ndarray,
    scale: float,
    alpha: float,
) -> tuple[float, float, float]:
    """Restricted wild cluster bootstrap (WCR) p-value of ``b_j = 0`` and the interval
    ``{b0: p(b0) > alpha}`` found by test inversion (bisection on each side).

    ``xt``, ``yt``: regressors and outcome with the fixed effects partialled out. With
    ``x`` = column j residualised on the other columns and ``e`` = ``yt`` residualised
    on them, the restricted residuals for ``H0: b_j = b0`` are ``e - b0 x``; a draw
    ``v`` (one weight per cluster) gives ``b* - b0 = sum_g v_g s_g / x'x`` and cluster
    scores ``A(b0) v`` with ``A = C' diag(x) M diag(e - b0 x) C`` (M: the full model's
    annihilator, C: cluster indicators). Both are linear in b0, so the bootstrap
    t statistic of every draw is a ratio of a linear and the root of a quadratic
    function of b0 (Roodman, MacKinnon, Nielsen & Webb 2019, section 3): each p(b0)
    costs O(B), which makes the inversion cheap.
    """
    others = np.delete(xt, j, axis=1)
    if others.shape[1]:
        coef_o = np.linalg.lstsq(others, np.column_stack([xt[:, j], yt]), rcond=None)[0]
        xy = np.column_stack([xt[:, j], yt]) - others @ coef_o
        x, e = xy[:, 0], xy[:, 1]
    else:
        x, e = xt[:, j], yt
    xx = float(x @ x)
    b = float(x @ e) / xx
    g = draws.shape[1]
    c = np.zeros((len(units), g))
    c[np.arange(len(units)), units] = 1.0
    xtx_inv = np.linalg.inv(xt.T @ xt)
    h1 = c.T @ (x[:, None] * xt)
    f1 = c.T @ (x[:, None] * basis)

    def a_of(u: np.ndarray) -> np.ndarray:
        a = np.diag(c.T @ (x * u))
        a -= f1 @ ((basis * u[:, None]).T @ c)
        a -= h1 @ xtx_inv @ ((xt * u[:, None]).T @ c)
        return a

    a_e, a_x = a_of(e), a_of(x)
    s_e, s_x = c.T @ (x * e), c.T @ (x * x)
    av_e, av_x = draws @ a_e.T, draws @ a_x.T
    n_e, n_x = draws @ s_e, draws @ s_x
    q0, q1, q2 = (av_e**2).sum(1), (av_e * av_x).sum(1), (av_x**2).sum(1)
    # the sample's own statistic: draw v = 1 (scores of the unrestricted residuals)
    ones = np.ones(g)
    se = float(np.sqrt(scale * np.sum((a_e @ ones - b * (a_x @ ones)) ** 2))) / xx

    def pval(b0: float) -> float:
        t = abs(b - b0) / se
        den = np.sqrt(np.clip(scale * (q0 - 2 * b0 * q1 + b0 * b0 * q2), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            ts = np.abs((n_e - b0 * n_x) / den)
        return float(np.mean(ts >= t * (1 - 1e-9)))

    def bound(sign: float) -> float:
        inside, step = b, se
        for _ in range(60):
            out = b + sign * step
            if pval(out) <= alpha:
                break
            inside, step = out, step * 2
        else:
            return sign * np.inf
        for _ in range(60):
            mid = 0.5 * (inside + out)
            if pval(mid) > alpha:
                inside = mid
            else:
                out = mid
        return 0.5 * (inside + out)

    return pval(0.0), bound(-1.0), bound(1.0)


def s2_variance(df: pd.DataFrame, metric: str) -> np.ndarray | None:
    """Sampling variance of each unit-quarter's estimated error variance ``s2``.

    ``s2 = S^2 / n`` with ``Var(S^2) ~ (mu4 - sigma^4 (n - 3) / (n - 1)) / n``: the fourth
    central moment is exact for NPS (scores -100, 0, 100 with the cell's promoter and
    detractor shares) and for the top-box percentages (Bernoulli x 100); for means it
    assumes normal kurtosis (mu4 = 3 sigma^4). None when the counts are missing.
    """
    if "cnt" not in df:
        return None
    n = df["cnt"].to_numpy(float)
    s2 = df["s2"].to_numpy(float)
    sigma2 = s2 * n
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "nps" and {"pro", "det"} <= set(df.columns):
            p, d = df["pro"].to_numpy(float) / n, df["det"].to_numpy(float) / n
            mu = 100.0 * (p - d)
            mu4 = p * (100 - mu) ** 4 + (1 - p - d) * mu**4 + d * (100 + mu) ** 4
        elif metric in ("csat_top2", "ces_easy"):
            p = np.clip(sigma2 / 1e4, 0, 0.25)  # p (1 - p)
            mu4 = 1e8 * p * (1 - 3 * p)
        else:
            mu4 = 3 * sigma2**2
        var_s = (mu4 - sigma2**2 * (n - 3) / (n - 1)) / n
        out = np.clip(var_s, 0, None) / n**2
    return np.where(np.isfinite(out), out, 0.0)


def eiv_correct(
    est: dict[str, np.ndarray],
    X: np.ndarray,
    df: pd.DataFrame,
    mdiag: np.ndarray,
    metric: str,
    where: str,
    crit_rel: float,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The errors-in-variables correction of the (single) slope, in place in ``est``;
    returns the reliability, its SE term and a note (Fuller 1987)."""
    sxx = float(X[:, 0] @ X[:, 0])
    s2 = df["s2"].to_numpy(float)
    noise = float(np.sum(s2 * mdiag))
    lam = (sxx - noise) / sxx
    if lam < 0.2:
        raise CxlabError(
            f"{where}: sampling error makes up {1 - lam:.0%} of the within-unit variance of "
            f"{metric}; the corrected slope would be unstable. More responses per "
            "unit-quarter are needed."
        )
    v_s2 = s2_variance(df, metric)
    sd_lam = float(np.sqrt(np.sum(mdiag**2 * v_s2))) / sxx if v_s2 is not None else 0.0
    coef, low, high = est["coef"], est["low"], est["high"]
    b0 = coef[0]
    reliability = np.array([lam])
    coef = coef / lam
    se_rel = np.array([abs(coef[0]) * sd_lam / lam])
    half_lo, half_hi = (b0 - low[0]) / lam, (high[0] - b0) / lam
    est["coef"] = coef
    est["se"] = est["se"] / lam
    est["low"] = np.array([coef[0] - np.hypot(half_lo, crit_rel * se_rel[0])])
    est["high"] = np.array([coef[0] + np.hypot(half_hi, crit_rel * se_rel[0])])
    notes = []
    if v_s2 is None:
        notes.append("no response counts: the reliability's own uncertainty is not included")
    return reliability, se_rel, notes
