"""The Schoenfeld-residual test of proportional hazards (R's ``survival::cox.zph``).

Why hand-written: statsmodels' ``PHReg`` gives Schoenfeld residuals but no test of
the proportional-hazards assumption, and lifelines (which has one) pins pandas < 3.
This is the score test of ``cox.zph`` in ``survival`` >= 3.0 (Therneau & Grambsch
2000, section 6.2; Grambsch & Therneau 1994): each covariate ``x`` is joined by the
time-varying ``x * g(t)`` with ``g`` = 1 - the Kaplan-Meier estimate just before
``t`` (``transform = "km"``), centred on the events; the score of the added terms at
(beta_hat, 0) is tested with the information matrix of the enlarged model. The tests
check the statistics against ``cox.zph`` (``tests/reference/r_zph.csv``), with Efron
and Breslow ties and with strata.

References
----------
Grambsch, P. M. & Therneau, T. M. (1994). Proportional hazards tests and diagnostics
    based on weighted residuals. *Biometrika*, 81, 515-526.
Therneau, T. M. & Grambsch, P. M. (2000). *Modeling Survival Data: Extending the Cox
    Model*. Springer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cxlab.retention.kaplan_meier import km_curve

__all__ = ["km_transform", "zph_score_parts", "zph_test"]


def km_transform(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """``1 - S(t-)`` per row: the pooled Kaplan-Meier just before each row's time."""
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event.astype(float))
    left = np.bincount(inv).astype(float)
    n = left[::-1].cumsum()[::-1]
    surv, _, _, _ = km_curve(n, d)
    before = np.concatenate([[1.0], surv[:-1]])
    return 1.0 - before[inv]


def _stratum_parts(
    time: np.ndarray, event: np.ndarray, x: np.ndarray, risk: np.ndarray, g: np.ndarray, efron: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Score and information sums (plain, times g, times g^2) over one stratum's events."""
    p = x.shape[1]
    ut, inv = np.unique(time, return_inverse=True)
    nt = len(ut)

    def per_time(v: np.ndarray) -> np.ndarray:
        out = np.zeros((nt, *v.shape[1:]))
        np.add.at(out, inv, v)
        return out

    xx = np.einsum("ni,nj->nij", x, x)
    s0, s1, s2 = (
        per_time(risk[:, None] * v.reshape(len(v), -1)) for v in (np.ones((len(x), 1)), x, xx)
    )
    r0, r1, r2 = (a[::-1].cumsum(axis=0)[::-1] for a in (s0, s1, s2))  # risk-set sums
    dead = event.astype(bool)
    d0, d1, d2 = (
        per_time((risk * dead)[:, None] * v.reshape(len(v), -1))
        for v in (np.ones((len(x), 1)), x, xx)
    )
    nd = np.bincount(inv, weights=dead.astype(float), minlength=nt)
    xd = per_time(dead[:, None] * x)
    gt = np.zeros(nt)
    np.add.at(gt, inv[dead], g[dead])
    gt = np.where(nd > 0, gt / np.maximum(nd, 1), 0.0)
    u = np.zeros(p)
    ug = np.zeros(p)
    info = np.zeros((3, p, p))
    for k in np.flatnonzero(nd > 0):
        m = int(nd[k])
        fr = np.arange(m) / m if efron else np.zeros(m)
        a0 = r0[k, 0] - fr * d0[k, 0]
        a1 = r1[k][None, :] - fr[:, None] * d1[k][None, :]
        a2 = (r2[k][None, :] - fr[:, None] * d2[k][None, :]).reshape(m, p, p)
        mean = a1 / a0[:, None]
        var = (a2 / a0[:, None, None] - np.einsum("ki,kj->kij", mean, mean)).sum(axis=0)
        score = xd[k] - mean.sum(axis=0)
        u += score
        ug += gt[k] * score
        info += np.array([1.0, gt[k], gt[k] ** 2])[:, None, None] * var[None]
    return u, ug, info[0], info[1], info[2]


def zph_score_parts(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    beta: np.ndarray,
    strata: np.ndarray | None = None,
    *,
    ties: str = "efron",
) -> tuple[np.ndarray, np.ndarray]:
    """Score of the ``x * g(t)`` terms and the information matrix of the enlarged model.

    Returns
    -------
    (u, imat)
        ``u`` of length ``2p`` (the first ``p`` entries, the score of ``x``, are
        zero at the fitted ``beta``), ``imat`` of shape ``(2p, 2p)``.
    """
    time, event = np.asarray(time, float), np.asarray(event, float)
    x = np.asarray(x, float)
    x = x - x.mean(axis=0)
    risk = np.exp(x @ beta)
    ttimes = km_transform(time, event)
    g = ttimes - ttimes[event == 1].mean()
    p = x.shape[1]
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    groups = np.zeros(len(time), int) if strata is None else pd.factorize(strata)[0]
    for s in np.unique(groups):
        i = groups == s
        _, ug, i0, i1, i2 = _stratum_parts(time[i], event[i], x[i], risk[i], g[i], ties == "efron")
        u[p:] += ug
        imat += np.block([[i0, i1], [i1, i2]])
    return u, imat


def zph_test(u: np.ndarray, imat: np.ndarray, terms: dict[str, list[int]]) -> pd.DataFrame:
    """Per-term and global score tests (R's ``cox.zph(fit)$table``).

    Parameters
    ----------
    u, imat
        From :func:`zph_score_parts`.
    terms : dict
        Term name -> indices of its columns in ``x`` (a factor has several).

    Returns
    -------
    pandas.DataFrame
        ``term, chi2, df, p``; the last row is ``GLOBAL``.
    """
    p = len(u) // 2
    rows = []
    base = list(range(p))
    for name, cols in terms.items():
        kk = base + [p + j for j in cols]
        uu = np.concatenate([np.zeros(p), u[[p + j for j in cols]]])
        rows.append((name, _quadratic(imat[np.ix_(kk, kk)], uu), len(cols)))
    uu = np.concatenate([np.zeros(p), u[p:]])
    rows.append(("GLOBAL", _quadratic(imat, uu), p))
    out = pd.DataFrame(rows, columns=["term", "chi2", "df"])
    out["p"] = stats.chi2.sf(out["chi2"], out["df"])
    return out


def _quadratic(imat: np.ndarray, u: np.ndarray) -> float:
    """``u' imat^-1 u``; NaN when ``imat`` is singular (too few events to test, e.g. tiny data)."""
    try:
        return float(np.linalg.solve(imat, u) @ u)
    except np.linalg.LinAlgError:
        return float("nan")
