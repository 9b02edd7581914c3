"""Logistic key drivers (a 0/1 score such as detractor yes/no), fitted on grouped rows.

The engine groups the complete rows by score, drivers and weight
(:func:`cxlab.key_drivers.engine.grouped_rows`); the models here are fitted on
those groups with frequency weights, which is exact. Relative weights follow
Tonidandel & LeBreton (2010); Shapley values and dominance use McFadden's
pseudo-R^2 of every subset (Azen & Traxel 2009). Bootstrap replicates redraw
each group's count as Poisson(count) (a sum of ``c`` Poisson(1) weights).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from cxlab.errors import CxlabError, TooLittleData
from cxlab.key_drivers.importance import dominance_from_r2, shapley_from_r2

__all__ = ["logistic_bootstrap", "logistic_importance", "logit_fit"]


def logit_fit(y: np.ndarray, x: np.ndarray, fw: np.ndarray) -> Any:
    """Logistic GLM of ``y`` on ``x`` (plus a constant) with frequency weights ``fw``.

    Returns the statsmodels results; a fit that does not converge or has
    infinite coefficients (perfect separation) is a :class:`CxlabError`.
    """
    import statsmodels.api as sm

    exog = sm.add_constant(x, has_constant="add") if x.shape[1] else np.ones((len(y), 1))
    model = sm.GLM(y, exog, family=sm.families.Binomial(), freq_weights=fw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(method="newton", maxiter=100, tol=1e-10)
        if not (fit.mle_retvals.get("converged", True) and np.isfinite(fit.llf)):
            raise ValueError("no convergence")
        if not np.all(np.isfinite(fit.params)):
            raise ValueError("infinite coefficients")
        return fit
    except Exception as exc:  # statsmodels raises PerfectSeparationError & co.
        raise TooLittleData(
            f"the logistic driver model could not be fitted ({type(exc).__name__}: {exc}); "
            "perfect separation or too few events?"
        ) from None


def logistic_importance(
    y: np.ndarray, x: np.ndarray, fw: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Importances, standardized coefficients and extras of a logistic driver model.

    ``y`` (0/1), ``x`` (drivers) and ``fw`` (frequency weights, count x weight)
    are the grouped rows. ``extra`` holds ``r2`` (McFadden's pseudo-R^2, or
    R_O^2 for relative weights), ``r2_mcfadden`` (except for ``correlation``)
    and, for ``dominance``, ``conditional`` and ``complete``.
    """
    keep = fw > 0  # rows a bootstrap replicate left out
    y, x, fw = y[keep], x[keep], fw[keep]
    sw = fw.sum()
    mean = fw @ x / sw
    xs = x - mean
    cov = (xs * fw[:, None]).T @ xs / sw
    sd = np.sqrt(np.diag(cov))
    z = xs / sd
    rxx = cov / np.outer(sd, sd)
    yc = y - fw @ y / sw
    rxy = (z * (fw * yc)[:, None]).sum(axis=0) / sw / math.sqrt(fw @ yc**2 / sw)
    if method == "correlation":
        beta = np.linalg.solve(rxx, rxy)
        return rxy**2, beta, {"r2": float(rxy @ beta)}
    full = logit_fit(y, z, fw)
    b_s = np.asarray(full.params)[1:]  # coefficients of the standardized drivers
    extra: dict[str, Any] = {"r2_mcfadden": float(1 - full.llf / logit_fit(y, z[:, :0], fw).llf)}
    if method == "relative-weights":
        eps, extra["r2"] = _relative_weights(full, z, b_s, rxx, yc, fw)
        return eps, b_s, extra
    p = x.shape[1]
    ll = np.zeros(1 << p)
    for mask in range(1 << p):
        idx = [j for j in range(p) if mask >> j & 1]
        ll[mask] = logit_fit(y, z[:, idx], fw).llf
    r2 = 1 - ll / ll[0]
    extra["r2"] = float(r2[-1])
    if method == "shapley":
        return shapley_from_r2(r2), b_s, extra
    general, cond, complete = dominance_from_r2(r2)
    extra |= {"conditional": cond, "complete": complete}
    return general, b_s, extra


def _relative_weights(
    full: Any, z: np.ndarray, b_s: np.ndarray, rxx: np.ndarray, yc: np.ndarray, fw: np.ndarray
) -> tuple[np.ndarray, float]:
    """Tonidandel & LeBreton (2010): relative weights of a logistic model and R_O^2.

    Logistic on ``Z = X R^{-1/2}``, coefficients standardized with
    ``R_O = corr(y, p_hat)`` and the sd of the predicted logits; the weights
    sum to ``R_O^2``.
    """
    sw = fw.sum()
    vals, vecs = np.linalg.eigh(rxx)
    lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
    b_z = lam @ b_s
    logit = z @ b_s
    sd_logit = math.sqrt(fw @ (logit - fw @ logit / sw) ** 2 / sw)
    ph = np.asarray(full.fittedvalues)
    pc = ph - fw @ ph / sw
    r_o = (fw @ (pc * yc)) / math.sqrt((fw @ pc**2) * (fw @ yc**2))
    beta_std = b_z * r_o / sd_logit
    return (lam**2) @ (beta_std**2), float(r_o**2)


def logistic_bootstrap(
    y: np.ndarray,
    x: np.ndarray,
    count: np.ndarray,
    w: np.ndarray,
    method: str,
    n_boot: int,
    seed: int,
) -> np.ndarray:
    """Importances of ``n_boot`` Poisson-bootstrap replicates of the grouped rows.

    Each replicate redraws every group's count as Poisson(count). Replicates
    that cannot be fitted (e.g. perfect separation in a small replicate) are
    left out; more than a tenth left out warns, fewer than 2 fitted is an
    error. Returns a ``(fitted replicates, p)`` array.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    boot_imp = np.full((n_boot, x.shape[1]), np.nan)
    for b in range(n_boot):
        try:
            boot_imp[b] = logistic_importance(y, x, rng.poisson(count) * w, method)[0]
        except (CxlabError, np.linalg.LinAlgError):
            pass  # e.g. perfect separation in a small replicate: left out, counted
    return kept_replicates(boot_imp, "logistic")


def kept_replicates(boot_imp: np.ndarray, model: str) -> np.ndarray:
    """The bootstrap replicates that could be fitted (rows of finite importances).

    A replicate of a small sample can be degenerate (a driver constant in it, perfect
    separation): it is left out and counted; more than a tenth left out warns, as
    the intervals then rest on the easier resamples; fewer than 2 fitted is
    :class:`cxlab.errors.TooLittleData`.
    """
    n_boot = len(boot_imp)
    kept = boot_imp[np.isfinite(boot_imp).all(axis=1)]
    failed = n_boot - len(kept)
    if failed > n_boot // 10:
        warnings.warn(
            f"{failed} of {n_boot} bootstrap replicates of the {model} model could "
            "not be fitted (a constant driver or separation in a small resample); "
            "intervals use the others and are optimistic.",
            stacklevel=4,
        )
    if len(kept) < 2:
        raise TooLittleData(
            f"bootstrap: fewer than 2 of {n_boot} {model} replicates could be fitted; "
            "too few complete rows for intervals."
        )
    return kept
