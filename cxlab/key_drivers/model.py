"""The fitted key driver analysis (:class:`KeyDrivers`) and its one-table front, :func:`drivers`.

``KeyDrivers(method=..., weight=..., n_boot=...).fit(data, score, drivers)``
reads the data once in the engine (:mod:`cxlab.key_drivers.engine`), computes
the importances on the correlation matrix (:mod:`cxlab.key_drivers.importance`)
or on the grouped rows of a 0/1 score (:mod:`cxlab.key_drivers.logistic`), and
keeps every part of the result as an attribute ending in ``_`` (the lifelines
convention). :func:`drivers` is the same analysis returning only the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab._checks import as_table, check_level, renamed
from cxlab.errors import CxlabError
from cxlab.key_drivers._common import (
    FAMILIES,
    MAX_EXACT,
    MAX_EXACT_LOGISTIC,
    METHODS,
    cov_to_corr,
)
from cxlab.key_drivers.engine import Moments, grouped_rows, moments
from cxlab.key_drivers.importance import check_matrix, linear_importance
from cxlab.key_drivers.logistic import kept_replicates, logistic_bootstrap, logistic_importance
from cxlab.key_drivers.ranking import adjacent_from_replicates

__all__ = ["KeyDrivers", "drivers"]


def _given(n_boot: Any) -> Any:
    """``None`` for the default ``n_boot=0`` (so a former ``bootstrap=`` may stand in)."""
    return None if type(n_boot) is int and n_boot == 0 else n_boot


def _check_n_boot(n_boot: Any, name: str) -> int:
    """``n_boot`` as an int; 0 or >= 2 (the message uses the keyword the caller wrote)."""
    if not isinstance(n_boot, int | np.integer) or n_boot < 0 or n_boot == 1:
        raise CxlabError(f"{name} must be 0 or an integer >= 2, got {n_boot!r}.")
    return int(n_boot)


class KeyDrivers:
    """Key driver analysis: which attributes move a score, with honest intervals.

    Parameters
    ----------
    method : {"relative-weights", "shapley", "dominance", "correlation"}
        See :mod:`cxlab.key_drivers`.
    family : {"linear", "logistic"}
        ``"logistic"`` for a 0/1 score (fitted on grouped rows).
    weight : str, optional
        Survey weight column (weighted moments; Kish effective n reported).
    n_boot : int
        Poisson-bootstrap replicates for percentile intervals (0 = none;
        200-1000 is typical).
    level : float
        Interval level.
    seed : int
        Salt of the bootstrap replicates (same seed, same intervals).
    max_groups : int
        Most distinct rows a logistic model is fitted on.

    Attributes
    ----------
    importance_ : pandas.DataFrame
        One row per driver, most important first (the table :func:`drivers`
        returns; its columns are described there).
    conditional_dominance_ : pandas.DataFrame or None
        ``method="dominance"``: the average increment of each driver (rows)
        over subsets of ``k`` other drivers (columns ``k=0 .. k=p-1``).
    complete_dominance_ : pandas.DataFrame or None
        ``method="dominance"``: True where the row driver adds more than the
        column driver to every subset of the others.
    adjacent_ : pandas.DataFrame or None
        With ``n_boot``: can each driver be told apart from the next? Columns
        ``rank, driver, next_driver, diff, low, high, separated, basis`` (the
        percentile interval of the difference in share over the same
        replicates; see :func:`~cxlab.key_drivers.adjacent_pairs`).
    n_, n_eff_, n_rows_, n_dropped_ : int, float, int, int
        Complete rows used, their Kish effective n, all rows, rows dropped for
        a missing value.
    r2_ : float
        R^2 of the full model (McFadden's pseudo-R^2, or R_O^2 for relative
        weights, with ``family="logistic"``).
    r2_mcfadden_ : float or None
        McFadden's pseudo-R^2 of a logistic model (``None`` otherwise).
    n_boot_failed_ : int
        Bootstrap replicates left out because they could not be fitted.
    score_, drivers_ : str, list of str
        The columns analysed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(size=(500, 3)), columns=["a", "b", "c"])
    >>> df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=500)
    >>> kd = KeyDrivers(method="dominance").fit(df, score="y", drivers=["a", "b", "c"])
    >>> kd.importance_["driver"].tolist(), kd.n_
    (['a', 'b', 'c'], 500)
    >>> bool(kd.complete_dominance_.loc["a", "b"])
    True
    """

    importance_: pd.DataFrame
    conditional_dominance_: pd.DataFrame | None
    complete_dominance_: pd.DataFrame | None
    adjacent_: pd.DataFrame | None
    n_: int
    n_eff_: float
    n_rows_: int
    n_dropped_: int
    r2_: float
    r2_mcfadden_: float | None
    n_boot_failed_: int
    score_: str
    drivers_: list[str]

    def __init__(
        self,
        *,
        method: str = "relative-weights",
        family: str = "linear",
        weight: str | None = None,
        n_boot: int = 0,
        level: float = 0.95,
        seed: int = 0,
        max_groups: int = 200_000,
    ) -> None:
        if method not in METHODS:
            raise CxlabError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
        if family not in FAMILIES:
            raise CxlabError(f"family must be 'linear' or 'logistic'; got {family!r}.")
        self.method, self.family, self.weight = method, family, weight
        self.n_boot = _check_n_boot(n_boot, "n_boot")
        self.level = check_level(level, "key drivers")
        self.seed, self.max_groups = seed, max_groups

    def __repr__(self) -> str:
        fitted = f", fitted on n={self.n_:,}" if hasattr(self, "importance_") else ""
        return f"<KeyDrivers method={self.method!r} family={self.family!r}{fitted}>"

    def fit(self, data: pd.DataFrame | ir.Table, score: str, drivers: Sequence[str]) -> KeyDrivers:
        """Fit the analysis on ``data`` (one row per respondent) and return ``self``.

        ``score`` is the score column (e.g. ``"ltr"``; 0/1 for
        ``family="logistic"``), ``drivers`` the driver columns (numeric).
        Raises :class:`~cxlab.errors.CxlabError` on the input :func:`drivers`
        refuses.
        """
        names = self._check_columns(score, drivers)
        # the frame itself, not its Ibis view, so errors can name pandas row labels
        m = moments(data, [score, *names], weight=self.weight)
        check_matrix(m.cov, [score, *names], m.n, lo=m.lo, hi=m.hi, mean=m.mean)
        if self.family == "linear":
            imp, beta, extra, boot_imp = self._fit_linear(data, score, names, m)
        else:
            imp, beta, extra, boot_imp = self._fit_logistic(data, score, names)
        res, bshare = _importance_table(
            names, m, imp, beta, extra, boot_imp, self.method, self.family, self.level
        )
        self.importance_, self.score_, self.drivers_ = res, score, names
        self.n_, self.n_eff_, self.n_rows_, self.n_dropped_ = m.n, m.n_eff, m.n_rows, m.n_dropped
        self.r2_, self.r2_mcfadden_ = extra["r2"], extra.get("r2_mcfadden")
        self.n_boot_failed_ = 0 if boot_imp is None else self.n_boot - len(boot_imp)
        self.adjacent_ = None
        if bshare is not None and len(names) > 1:
            self.adjacent_ = adjacent_from_replicates(res, bshare, self.level)
        self.conditional_dominance_ = self.complete_dominance_ = None
        if "conditional" in extra:
            self.conditional_dominance_ = pd.DataFrame(
                extra["conditional"], index=names, columns=[f"k={k}" for k in range(len(names))]
            )
            self.complete_dominance_ = pd.DataFrame(extra["complete"], index=names, columns=names)
        return self

    def _check_columns(self, score: str, drivers: Sequence[str]) -> list[str]:
        names = list(drivers) if not isinstance(drivers, str) else [drivers]
        if not names:
            raise CxlabError("drivers: give at least one driver column.")
        dup = sorted({d for d in names if names.count(d) > 1})
        if dup:
            raise CxlabError(f"driver(s) listed twice: {', '.join(map(repr, dup))}.")
        if score in names:
            raise CxlabError(f"the score {score!r} is also listed as a driver.")
        cap = MAX_EXACT_LOGISTIC if self.family == "logistic" else MAX_EXACT
        if self.method in ("shapley", "dominance") and len(names) > cap:
            raise CxlabError(
                f"exact {self.method} needs all 2^p subsets; {len(names)} drivers is more than "
                f"the {cap} allowed for a {self.family} score. Use method='relative-weights' "
                "(near-identical results)."
            )
        return names

    def _fit_linear(
        self, data: pd.DataFrame | ir.Table, score: str, names: list[str], m: Moments
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any], np.ndarray | None]:
        imp, beta, extra = linear_importance(m.corr, self.method)
        boot_imp = None
        if self.n_boot:
            cols = [score, *names]
            boot = moments(
                as_table(data), cols, weight=self.weight, n_boot=self.n_boot, seed=self.seed
            )
            assert boot.boot_cov is not None  # set whenever n_boot > 0
            boot_imp = np.full((len(boot.boot_cov), len(names)), np.nan)
            for b, c in enumerate(boot.boot_cov):
                try:
                    boot_imp[b] = linear_importance(cov_to_corr(c), self.method)[0]
                except (CxlabError, np.linalg.LinAlgError):
                    pass  # a small replicate with a singular (e.g. constant) driver: left out
            boot_imp = kept_replicates(boot_imp, "linear")
        return imp, beta, extra, boot_imp

    def _fit_logistic(
        self, data: pd.DataFrame | ir.Table, score: str, names: list[str]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any], np.ndarray | None]:
        g = grouped_rows(as_table(data), score, names, self.weight, self.max_groups)
        y = g["k0"].to_numpy(float)
        x = g[[f"k{i + 1}" for i in range(len(names))]].to_numpy(float)
        cnt, w = g["count"].to_numpy(float), g["w"].to_numpy(float)
        imp, beta, extra = logistic_importance(y, x, cnt * w, self.method)
        boot_imp = None
        if self.n_boot:
            boot_imp = logistic_bootstrap(y, x, cnt, w, self.method, self.n_boot, self.seed)
        return imp, beta, extra, boot_imp

    def summary(self) -> pd.DataFrame:
        """The fit in one tidy row: what was analysed, on what base, how well it fits.

        Columns ``score, drivers`` (their number), ``method, family, weight,
        n_rows, n, n_dropped, n_eff, r2, r2_mcfadden, n_boot, n_boot_failed,
        level, seed``. The per-driver results are in ``importance_``.
        """
        self._check_fitted()
        return pd.DataFrame(
            [
                {
                    "score": self.score_,
                    "drivers": len(self.drivers_),
                    "method": self.method,
                    "family": self.family,
                    "weight": self.weight,
                    "n_rows": self.n_rows_,
                    "n": self.n_,
                    "n_dropped": self.n_dropped_,
                    "n_eff": self.n_eff_,
                    "r2": self.r2_,
                    "r2_mcfadden": np.nan if self.r2_mcfadden_ is None else self.r2_mcfadden_,
                    "n_boot": self.n_boot,
                    "n_boot_failed": self.n_boot_failed_,
                    "level": self.level,
                    "seed": self.seed,
                }
            ]
        )

    def plot(self, *, ax: Any = None, percent: bool = True, **kwargs: Any) -> Any:
        """Ranked importance with its intervals (:func:`~cxlab.key_drivers.plot_importance`)."""
        from cxlab.key_drivers.plots import plot_importance

        self._check_fitted()
        return plot_importance(self.importance_, ax=ax, percent=percent, **kwargs)

    def _check_fitted(self) -> None:
        if not hasattr(self, "importance_"):
            raise CxlabError("this KeyDrivers is not fitted yet: call .fit(data, score, drivers).")


def _importance_table(
    names: list[str],
    m: Moments,
    imp: np.ndarray,
    beta: np.ndarray,
    extra: dict[str, Any],
    boot_imp: np.ndarray | None,
    method: str,
    family: str,
    level: float,
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The ranked per-driver table and the bootstrap shares in its row order (or None)."""
    p = len(names)
    rxy = m.corr[1:, 0]
    sign = np.sign(rxy if method == "correlation" else beta).astype(int)
    total = imp.sum()
    share = imp / total if total > 0 else np.full(p, np.nan)
    a = (1 - level) / 2
    low = high = share_low = share_high = np.full(p, np.nan)
    bshare = None
    if boot_imp is not None:
        low, high = np.quantile(boot_imp, [a, 1 - a], axis=0)
        bshare = boot_imp / boot_imp.sum(axis=1, keepdims=True)
        share_low, share_high = np.quantile(bshare, [a, 1 - a], axis=0)
    res = pd.DataFrame(
        {
            "driver": names,
            "importance": imp,
            "share": share,
            "sign": sign,
            "low": low,
            "high": high,
            "share_low": share_low,
            "share_high": share_high,
            "r": rxy,
            "beta": beta,
            "mean": m.mean[1:],
            "n": m.n,
            "n_eff": round(m.n_eff, 1),
            "r2": extra["r2"],
            "method": method,
            "family": family,
            "level": level,
        }
    )
    res = res.sort_values("importance", ascending=False, kind="stable")
    order = res.index.to_numpy()
    res = res.reset_index(drop=True)
    res.insert(6, "rank", np.arange(1, p + 1))
    return res, None if bshare is None else bshare[:, order]


def drivers(
    data: pd.DataFrame | ir.Table,
    score: str | None = None,
    drivers: Sequence[str] | None = None,
    *,
    method: str = "relative-weights",
    weight: str | None = None,
    n_boot: int = 0,
    level: float = 0.95,
    family: str = "linear",
    seed: int = 0,
    max_groups: int = 200_000,
    outcome: str | None = None,
    bootstrap: int | None = None,
) -> pd.DataFrame:
    """Rank drivers of a score by importance (key driver analysis): one tidy table.

    The table of :class:`KeyDrivers`; fit that class for the rest of the
    result (conditional and complete dominance, which drivers can be told
    apart, rows dropped, a chart).

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        One row per respondent, wide (one column per driver); see
        :func:`~cxlab.key_drivers.driver_frame` for a long attribute battery.
    score : str
        Score column (e.g. ``"ltr"``; 0/1 for ``family="logistic"``).
    drivers : sequence of str
        Driver columns (numeric).
    method, weight, n_boot, level, family, seed, max_groups
        As in :class:`KeyDrivers` (``method="relative-weights"``, no weight,
        no bootstrap, ``level=0.95``, ``family="linear"`` by default).
    outcome, bootstrap : optional
        Former names of ``score`` and ``n_boot`` (still accepted).

    Returns
    -------
    pandas.DataFrame
        One row per driver, most important first: ``driver, importance,
        share, sign, low, high`` (interval of ``importance``), ``rank,
        share_low, share_high, r`` (correlation with the score), ``beta``
        (standardized full-model coefficient), ``mean`` (the driver's
        weighted mean over the complete rows: its performance), ``n``,
        ``n_eff``, ``r2``, ``method``, ``family``, ``level``. ``share`` sums
        to 1. No ``attrs``.

    Raises
    ------
    CxlabError
        Unknown method/family, missing or non-numeric columns, negative
        weights, too few complete rows, a constant column, perfectly
        collinear drivers, more than 20 drivers for an exact method (12 for
        logistic), a non-binary score for ``family="logistic"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(size=(500, 3)), columns=["a", "b", "c"])
    >>> df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=500)
    >>> res = drivers(df, "y", ["a", "b", "c"], method="shapley")
    >>> res["driver"].tolist(), round(float(res["share"].sum()), 6)
    (['a', 'b', 'c'], 1.0)
    """
    score = renamed(score, outcome, "score", "outcome")[0]
    n_boot_given, boot_name = renamed(_given(n_boot), bootstrap, "n_boot", "bootstrap")
    if score is None:
        raise CxlabError("drivers: give the score column (score=, e.g. 'ltr').")
    model = KeyDrivers(
        method=method,
        family=family,
        weight=weight,
        n_boot=_check_n_boot(n_boot_given or 0, boot_name),
        level=level,
        seed=seed,
        max_groups=max_groups,
    )
    return model.fit(data, score, drivers if drivers is not None else []).importance_
