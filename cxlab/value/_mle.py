"""What the BG/NBD and Gamma-Gamma fits share: the summary's checks, the maximum
likelihood on log parameters, the observed information and the parameter table.

The likelihoods are hand-written (see :mod:`cxlab.value.bgnbd`); the optimiser
(:func:`scipy.optimize.minimize`) and the numerical Hessian
(:func:`statsmodels.tools.numdiff.approx_hess3`) come from the stack.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cxlab._checks import check_level
from cxlab.errors import CxlabError

__all__ = [
    "LogFit",
    "LogModel",
    "collapse_rows",
    "fit_log_params",
    "param_table",
    "refuse_rows",
    "summary_columns",
]


@dataclass(frozen=True)
class LogFit:
    """A maximum-likelihood fit on log parameters (the covariance is on the log scale)."""

    names: tuple[str, ...]
    log_params: np.ndarray
    cov_log: np.ndarray
    log_likelihood: float
    converged: bool
    message: str


def summary_columns(
    data: Any, columns: dict[str, str | None], where: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The named columns of ``data`` as floats (pandas or Ibis), and the weights.

    ``columns`` maps a role (``frequency``, ...) to a column name; the role
    ``weight`` (when named) must be finite and >= 0, every other column finite.
    Returns the frame with the roles as column names (index kept) and the weights.
    """
    from cxlab._checks import as_table

    names = {role: col for role, col in columns.items() if col is not None}
    if isinstance(data, pd.DataFrame):
        missing = [c for c in names.values() if c not in data.columns]
        if missing:
            raise CxlabError(
                f"{where}: column(s) {', '.join(map(repr, missing))} not found in the "
                f"summary; available: {', '.join(map(str, data.columns))}."
            )
        frame = data[list(names.values())]
    else:
        frame = as_table(data).select(*names.values()).to_pandas()
    out = pd.DataFrame(index=frame.index)
    for role, col in names.items():
        values = pd.to_numeric(frame[col], errors="coerce").astype(float)
        bad = ~np.isfinite(values.to_numpy())
        if bad.any():
            raise CxlabError(
                f"{where}: column {col!r} must hold finite numbers; {int(bad.sum())} row(s) "
                f"do not (e.g. rows {', '.join(map(str, frame.index[bad][:3]))})."
            )
        out[role] = values
    if "weight" in out:
        weight = out.pop("weight").to_numpy()
        if (weight < 0).any():
            rows = frame.index[weight < 0][:3]
            raise CxlabError(
                f"{where}: weight column {names['weight']!r} must be >= 0 "
                f"(e.g. rows {', '.join(map(str, rows))})."
            )
    else:
        weight = np.ones(len(out))
    if not len(out) or weight.sum() <= 0:
        raise CxlabError(f"{where}: the summary has no customers (no rows or zero weight).")
    return out, weight


def collapse_rows(weight: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """The distinct rows of ``columns`` (sorted) and the summed ``weight`` of each.

    Every fit runs on this form, so one row per customer and distinct rows with
    their counts give the same likelihood, term for term, and so the same
    estimates; the likelihood also costs one evaluation per distinct row.
    Returns the columns' distinct values, then the weights.
    """
    stacked = np.column_stack(columns)
    rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=weight, minlength=len(rows))
    return (*(rows[:, k] for k in range(rows.shape[1])), summed)


def refuse_rows(mask: np.ndarray, index: pd.Index, where: str, rule: str) -> None:
    """One message naming how many rows break ``rule`` and the first few of them."""
    if mask.any():
        rows = ", ".join(map(str, index[mask][:3]))
        raise CxlabError(
            f"{where}: {int(mask.sum())} row(s) break the rule {rule} (e.g. rows {rows})."
        )


def fit_log_params(
    neg_ll: Callable[[np.ndarray], float],
    start: np.ndarray,
    names: Sequence[str],
    where: str,
    grad: Callable[[np.ndarray], np.ndarray] | None = None,
    n: float = 1.0,
) -> LogFit:
    """Minimise ``neg_ll`` over log parameters; covariance from the observed information.

    BFGS from ``start``; when BFGS reports failure (typically a loss of
    precision in its numerical gradient near the optimum), Nelder-Mead from
    where it stopped. ``grad`` (the analytic gradient of ``neg_ll``), when
    given, saves most of the likelihood evaluations. The Hessian of the
    negative log-likelihood at the optimum (central differences of ``grad``, or
    of ``neg_ll`` without it) inverted gives the covariance of the log
    parameters (NaN when it is not positive definite). The optimiser sees the
    likelihood divided by ``n`` (the number of customers), so that its tolerances
    mean the same at any sample size.
    """
    from statsmodels.tools.numdiff import approx_fprime, approx_hess3

    def safe(p: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            v = float(neg_ll(p))
        return v if np.isfinite(v) else 1e300

    def mean(p: np.ndarray) -> float:
        return safe(p) / n

    jac = None if grad is None else (lambda p: grad(p) / n)
    best = optimize.minimize(mean, start, jac=jac, method="BFGS", options={"gtol": 1e-7})
    if not best.success:  # e.g. precision loss near the optimum: polish without gradients
        polish = optimize.minimize(
            mean, best.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-12}
        )
        if polish.fun <= best.fun + 1e-9:
            best = polish
    x, value = best.x, float(best.fun) * n
    if value >= 1e300:
        raise CxlabError(f"{where}: the likelihood could not be evaluated at any parameters tried.")
    with np.errstate(all="ignore"):
        if grad is None:
            hess = approx_hess3(x, safe)
        else:
            d2 = approx_fprime(x, grad, centered=True)
            hess = (d2 + d2.T) / 2
    try:
        cov = np.linalg.inv(hess)
        ok = bool(np.all(np.linalg.eigvalsh((hess + hess.T) / 2) > 0))
    except np.linalg.LinAlgError:
        cov, ok = np.full_like(hess, np.nan), False
    if not ok:
        cov = np.full_like(hess, np.nan)
        warnings.warn(
            f"{where}: the information matrix at the estimate is not positive definite "
            "(a parameter is not identified by these data, e.g. too few repeat customers); "
            "standard errors and intervals are NaN and converged_ is False.",
            RuntimeWarning,
            stacklevel=3,
        )
    return LogFit(
        names=tuple(names),
        log_params=np.asarray(x, dtype=float),
        cov_log=cov,
        log_likelihood=-float(value),
        converged=bool(best.success) and ok,
        message=str(best.message),
    )


def param_table(fit: LogFit, level: float, where: str) -> pd.DataFrame:
    """``param, estimate, se, low, high, level``: intervals by exponentiating the
    Wald interval of the log parameter (they stay positive); ``se`` on the natural
    scale by the delta method (``estimate * se(log)``)."""
    lv = check_level(level, where)
    z = float(stats.norm.ppf(0.5 + lv / 2))
    se_log = np.sqrt(np.diag(fit.cov_log))
    est = np.exp(fit.log_params)
    return pd.DataFrame(
        {
            "param": list(fit.names),
            "estimate": est,
            "se": est * se_log,
            "low": np.exp(fit.log_params - z * se_log),
            "high": np.exp(fit.log_params + z * se_log),
            "level": lv,
        }
    )


class LogModel:
    """What a model fitted by :func:`fit_log_params` holds and how it prints.

    Subclasses (:class:`cxlab.value.BGNBD`, :class:`cxlab.value.GammaGamma`) name
    their parameters in ``NAMES`` and call :meth:`store` at the end of ``fit``.
    """

    NAMES: tuple[str, ...] = ()
    params_: pd.Series
    se_: pd.Series
    summary_: pd.DataFrame
    cov_: pd.DataFrame
    log_likelihood_: float
    n_: float
    converged_: bool

    def __init__(self, *, level: float = 0.95) -> None:
        self.level = level

    def store(self, fit: LogFit, where: str) -> None:
        """Set ``summary_``, ``params_``, ``se_``, ``cov_``, ``log_likelihood_``, ``converged_``."""
        names = list(self.NAMES)
        self.summary_ = param_table(fit, self.level, where)
        self.params_ = pd.Series(np.exp(fit.log_params), index=names, name="estimate")
        self.se_ = pd.Series(self.summary_["se"].to_numpy(), index=names, name="se")
        self.cov_ = pd.DataFrame(fit.cov_log, index=names, columns=names)
        self.log_likelihood_ = fit.log_likelihood
        self.converged_ = fit.converged

    def __repr__(self) -> str:
        name = type(self).__name__
        if not hasattr(self, "params_"):
            return f"{name}(unfitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{name}({ps}; n={self.n_:.0f}, log-likelihood={self.log_likelihood_:.2f})"
