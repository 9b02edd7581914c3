"""Kaplan-Meier survival curves and median survival, from the engine's event table.

The curve is computed from :func:`cxlab.retention.counts.event_table` (events and
censorings per group and time, counted in the engine), so it runs the same on a
pandas frame or a warehouse of millions of customers.

Why hand-written: statsmodels' ``SurvfuncRight`` needs one row per subject (it
cannot start from a count table), offers only the log-log interval and no case
weights. The product-limit estimate, Greenwood's variance and the three interval
types of R's ``survival::survfit`` (``conf.type`` "log", its default, "log-log" and
"plain") are a few vectorised lines on the count table; the tests check every
number against ``survfit`` and ``quantile.survfit`` (``tests/reference/``).

References
----------
Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
    observations. *JASA*, 53, 457-481.
Greenwood, M. (1926). The natural duration of cancer. *Reports on Public Health and
    Medical Subjects*, 33.
Therneau, T. M. (2024). A Package for Survival Analysis in R (``survival``), functions
    ``survfit``, ``survfit_confint`` and ``quantile.survfit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from cxlab._checks import check_level
from cxlab.errors import CxlabError
from cxlab.retention.counts import as_by, event_table

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "CONF_TYPES",
    "curves_from_counts",
    "km_curve",
    "median_survival",
    "medians_from_curves",
    "survival",
]

#: Interval types of R's ``survfit(conf.type=)``; "log" is R's default.
CONF_TYPES = ("log", "log-log", "plain")

#: Tolerance of R's ``quantile.survfit`` when a curve sits exactly on 0.5.
_TOL = float(np.sqrt(np.finfo(float).eps))


def _check_conf_type(conf_type: str, where: str) -> None:
    if conf_type not in CONF_TYPES:
        raise CxlabError(
            f"{where}: conf_type must be one of {list(CONF_TYPES)}, not {conf_type!r}."
        )


def km_curve(
    at_risk: np.ndarray,
    events: np.ndarray,
    *,
    level: float = 0.95,
    conf_type: str = "log",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Product-limit estimate, its standard error and interval for one group.

    Parameters
    ----------
    at_risk, events : numpy.ndarray
        (Weighted) number at risk and of events at each distinct time, in time order.
    level : float
        Confidence level.
    conf_type : {"log", "log-log", "plain"}
        Scale on which the normal interval is built (as R's ``survfit``).

    Returns
    -------
    (survival, se, low, high)
        ``se`` is the standard error of the survival probability (Greenwood);
        bounds are NaN where the scale is undefined (survival 0, or 1 for
        "log-log"), as in R.

    Examples
    --------
    >>> s, se, lo, hi = km_curve(np.array([4.0, 3.0, 1.0]), np.array([1.0, 1.0, 0.0]))
    >>> s.round(4).tolist()
    [0.75, 0.5, 0.5]
    """
    n, d = np.asarray(at_risk, float), np.asarray(events, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1.0 - d / n, 1.0))
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
        se_log = np.sqrt(np.cumsum(term))  # Greenwood: se of log S
        z = stats.norm.ppf(1.0 - (1.0 - level) / 2.0)
        if conf_type == "plain":
            low = np.maximum(surv - z * se_log * surv, 0.0)
            high = np.minimum(surv + z * se_log * surv, 1.0)
        elif conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            low = np.exp(np.log(xx) - z * se_log)
            high = np.minimum(np.exp(np.log(xx) + z * se_log), 1.0)
        else:
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se_log / np.log(xx)
            low = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            high = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        se = np.where(surv > 0, se_log * surv, np.nan)
    return surv, se, low, high


def survival(
    data: pd.DataFrame | ir.Table,
    duration: str,
    event: str,
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    level: float = 0.95,
    conf_type: str = "log",
) -> pd.DataFrame:
    """Kaplan-Meier survival curves with Greenwood intervals, every customer counted.

    Censored customers (still active: ``event`` 0) count in the risk set up to their
    last observed time, so the curve uses everyone, unlike a rate over complete
    follow-up windows. One row per group and distinct time (event or censoring),
    as R's ``summary(survfit(...), censored = TRUE)``.

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        One row per customer.
    duration : str
        Time from the origin (sign-up, a survey) to churn or censoring, >= 0.
    event : str
        1/true when churn was observed, 0/false when censored.
    by : str or list of str, optional
        Group columns (one curve per group).
    weight : str, optional
        Case weights (>= 0), treated as counts in Greenwood's variance, as
        ``survfit(weights=)`` does for whole-number weights (for fractional
        weights R defaults to the robust infinitesimal-jackknife variance).
    level : float
        Confidence level of the pointwise interval.
    conf_type : {"log", "log-log", "plain"}
        R's ``conf.type``: "log" (R's default), "log-log" (statsmodels' and
        Stata's), "plain" (linear, clipped to 0..1).

    Returns
    -------
    pandas.DataFrame
        The group columns, ``time, at_risk, events, censored, survival, se, low,
        high`` (probabilities 0..1; ``se`` of the survival probability).

    See Also
    --------
    median_survival, logrank

    Examples
    --------
    >>> d = pd.DataFrame({"months": [1, 2, 2, 3, 4], "churned": [1, 1, 0, 1, 0]})
    >>> survival(d, "months", "churned")[["time", "at_risk", "survival"]].round(3)
       time  at_risk  survival
    0   1.0      5.0       0.8
    1   2.0      4.0       0.6
    2   3.0      2.0       0.3
    3   4.0      1.0       0.3
    """
    where = "survival"
    level = check_level(level, where)
    _check_conf_type(conf_type, where)
    g = event_table(data, duration, event, by=by, weight=weight, where=where)
    return curves_from_counts(g, by, level=level, conf_type=conf_type)


def curves_from_counts(
    table: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    level: float = 0.95,
    conf_type: str = "log",
) -> pd.DataFrame:
    """Kaplan-Meier curves from an :func:`~cxlab.retention.counts.event_table`.

    Returns the columns of :func:`survival`.
    """
    level = check_level(level, "survival")
    _check_conf_type(conf_type, "survival")
    groups = as_by(by)
    parts = []
    for _, part in table.groupby(groups, sort=False, dropna=False) if groups else [((), table)]:
        s, se, lo, hi = km_curve(
            part["at_risk"].to_numpy(), part["events"].to_numpy(), level=level, conf_type=conf_type
        )
        parts.append(part.assign(survival=s, se=se, low=lo, high=hi))
    out = pd.concat(parts, ignore_index=True)
    cols = [*groups, "time", "at_risk", "events", "censored", "survival", "se", "low", "high"]
    return out[cols]


def _findq(times: np.ndarray, surv: np.ndarray, p: float = 0.5) -> float:
    """Time at which a survival curve first falls to ``1 - p`` (R's ``findq``).

    Where the curve sits exactly on the level over a stretch, the midpoint of the
    stretch (to the next change, or to the last time), as R does.
    """
    x = np.concatenate([[0.0], times])
    y = np.concatenate([[0.0], 1.0 - surv])
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return float("nan")
    xmax = x[-1]
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    ok = ~np.isnan(y)

    def first(shift: float) -> int | None:
        hit = np.flatnonzero(ok & (y + shift >= p))
        return int(hit[0]) if hit.size else None

    i1, i2 = first(_TOL), first(-_TOL)
    last = y[-1]
    if not np.isnan(last) and abs(p - last) < _TOL and i1 is not None:
        return float((x[i1] + xmax) / 2.0)
    if i1 is None or i2 is None:
        return float("nan")
    return float((x[i1] + x[i2]) / 2.0)


def median_survival(
    data: pd.DataFrame | ir.Table,
    duration: str,
    event: str,
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    level: float = 0.95,
    conf_type: str = "log",
) -> pd.DataFrame:
    """Median survival time per group with its interval (R's ``quantile.survfit``).

    The median is the first time the Kaplan-Meier curve reaches 0.5 (the midpoint of
    a flat stretch at exactly 0.5); its interval runs from where the lower to where
    the upper pointwise band reaches 0.5 (Brookmeyer & Crowley 1982). NaN when the
    curve (or band) never gets that low: more than half the group is still active at
    the end of follow-up.

    Parameters
    ----------
    data, duration, event, by, weight, level, conf_type
        As :func:`survival`.

    Returns
    -------
    pandas.DataFrame
        The group columns, ``n, events, median, low, high``.

    Examples
    --------
    >>> d = pd.DataFrame({"months": [1, 2, 2, 3, 4], "churned": [1, 1, 0, 1, 0]})
    >>> median_survival(d, "months", "churned")[["n", "events", "median"]]
         n  events  median
    0  5.0     3.0     3.0
    """
    curves = survival(data, duration, event, by=by, weight=weight, level=level, conf_type=conf_type)
    return medians_from_curves(curves, by)


def medians_from_curves(
    curves: pd.DataFrame, by: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """Median survival and its interval per group from :func:`survival`'s curves."""
    groups = as_by(by)
    rows = []
    for key, c in curves.groupby(groups, sort=False, dropna=False) if groups else [((), curves)]:
        t = c["time"].to_numpy()
        row = dict(zip(groups, key if isinstance(key, tuple) else (key,), strict=True))
        row |= {
            "n": float(c["at_risk"].iloc[0]),
            "events": float(c["events"].sum()),
            "median": _findq(t, c["survival"].to_numpy()),
            "low": _findq(t, c["low"].to_numpy()),
            "high": _findq(t, c["high"].to_numpy()),
        }
        rows.append(row)
    return pd.DataFrame(rows, columns=[*groups, "n", "events", "median", "low", "high"])
