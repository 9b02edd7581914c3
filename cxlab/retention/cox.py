"""Cox proportional-hazards models with a proportional-hazards check in words.

The fit is statsmodels' ``PHReg`` (Efron or Breslow ties, strata); the check is the
Schoenfeld-residual score test of R's ``cox.zph`` (:mod:`cxlab.retention.zph`). A Cox
model needs each customer's covariates, so the engine returns only the columns the
model uses (never the whole table).

References
----------
Cox, D. R. (1972). Regression models and life-tables. *JRSS B*, 34, 187-220.
Efron, B. (1977). The efficiency of Cox's likelihood function for censored data.
    *JASA*, 72, 557-565.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from cxlab._checks import as_table, check_columns, check_level
from cxlab.errors import CxlabError
from cxlab.retention.counts import event_table
from cxlab.retention.zph import zph_score_parts, zph_test

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["CoxPH", "cox", "design_matrix"]


def design_matrix(
    frame: pd.DataFrame, covariates: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, list[int]]]:
    """Numeric covariates as they are; text, categories and booleans as 0/1 dummies.

    The first level (sorted, as R's ``factor``) is the reference. Returns the matrix
    and, per covariate (term), the indices of its columns.

    Examples
    --------
    >>> f = pd.DataFrame({"plan": ["b", "a", "c"], "age": [30, 40, 50]})
    >>> x, terms = design_matrix(f, ["plan", "age"])
    >>> list(x.columns), terms
    (['plan[b]', 'plan[c]', 'age'], {'plan': [0, 1], 'age': [2]})
    """
    cols: dict[str, pd.Series] = {}
    terms: dict[str, list[int]] = {}
    for c in covariates:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            terms[c] = [len(cols)]
            cols[c] = s.astype(float)
            continue
        levels = sorted(s.dropna().astype(str).unique())
        terms[c] = []
        for lv in levels[1:]:
            terms[c].append(len(cols))
            cols[f"{c}[{lv}]"] = (s.astype(str) == lv).astype(float)
    return pd.DataFrame(cols, index=frame.index), terms


class CoxPH:
    """Cox proportional-hazards model (statsmodels ``PHReg``) with ``cox.zph``'s check.

    Parameters
    ----------
    ties : {"efron", "breslow"}
        Handling of tied event times; "efron" is R's default (statsmodels' is
        "breslow").
    level : float
        Confidence level of the hazard-ratio intervals.
    alpha : float
        Significance level at which :meth:`ph_text` calls the assumption failed.

    Notes
    -----
    No case weights: ``PHReg`` has none, and the ``cox.zph`` test above is
    checked for unweighted fits only.

    Attributes
    ----------
    summary_ : pandas.DataFrame
        ``term, coef, se, hr, low, high, z, p`` (``hr = exp(coef)``, its interval).
    ph_test_ : pandas.DataFrame
        ``term, chi2, df, p`` per covariate and ``GLOBAL`` (R's ``cox.zph``).
    loglik_, n_, events_ : float, int, int

    Examples
    --------
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 2, 6], "e": [1, 0, 1, 1, 1, 0, 1, 1],
    ...                   "x": [0.1, -0.3, 1.2, -1.0, 0.4, -0.2, 0.8, 0.0]})
    >>> m = CoxPH().fit(d, "t", "e", ["x"])
    >>> list(m.summary_.columns)
    ['term', 'coef', 'se', 'hr', 'low', 'high', 'z', 'p']
    """

    def __init__(self, *, ties: str = "efron", level: float = 0.95, alpha: float = 0.05) -> None:
        if ties not in ("efron", "breslow"):
            raise CxlabError(f"cox: ties must be 'efron' or 'breslow', not {ties!r}.")
        self.ties = ties
        self.level = check_level(level, "cox")
        self.alpha = check_level(alpha, "cox (alpha)")

    def fit(
        self,
        data: pd.DataFrame | ir.Table,
        duration: str,
        event: str,
        covariates: Sequence[str],
        *,
        strata: str | None = None,
    ) -> CoxPH:
        """Fit the model on ``data`` (one row per customer); returns ``self``."""
        from statsmodels.duration.hazard_regression import PHReg

        covariates = [covariates] if isinstance(covariates, str) else list(covariates)
        if not covariates:
            raise CxlabError("cox: give at least one covariate.")
        t = as_table(data)
        check_columns(t, [duration, event, strata, *covariates], "data")
        event_table(t, duration, event, where="cox")  # the duration and event rules
        frame = t.select(duration, event, *covariates, *([strata] if strata else [])).to_pandas()
        missing = frame[covariates + ([strata] if strata else [])].isna().sum()
        if missing.any():
            bad = ", ".join(f"{c!r} ({n} rows)" for c, n in missing.items() if n)
            raise CxlabError(f"cox: covariates are missing in {bad}; fill or filter those rows.")
        x, terms = design_matrix(frame, covariates)
        if (
            x.shape[1] == 0
            or np.linalg.matrix_rank(x.to_numpy() - x.to_numpy().mean(0)) < x.shape[1]
        ):
            raise CxlabError(
                "cox: the covariates are constant or collinear (a category with one level, or a "
                f"column that repeats another): {list(x.columns)}."
            )
        time = frame[duration].to_numpy(float)
        status = frame[event].astype(float).to_numpy()
        if status.sum() == 0:
            raise CxlabError("cox: no events (every customer censored); nothing to model.")
        st = frame[strata].astype(str).to_numpy() if strata else None
        model = PHReg(time, x.to_numpy(), status=status, strata=st, ties=self.ties)
        res = model.fit()
        beta, se = np.asarray(res.params), np.asarray(res.bse)
        z = stats.norm.ppf(1.0 - (1.0 - self.level) / 2.0)
        self.summary_ = pd.DataFrame(
            {
                "term": list(x.columns),
                "coef": beta,
                "se": se,
                "hr": np.exp(beta),
                "low": np.exp(beta - z * se),
                "high": np.exp(beta + z * se),
                "z": beta / se,
                "p": 2.0 * stats.norm.sf(np.abs(beta / se)),
            }
        )
        self.loglik_ = float(res.llf)
        self.n_, self.events_ = len(frame), int(status.sum())
        u, imat = zph_score_parts(time, status, x.to_numpy(), beta, st, ties=self.ties)
        self.ph_test_ = zph_test(u, imat, terms)
        return self

    def ph_text(self) -> str:
        """The proportional-hazards check in words (the terms that fail, or none).

        Plain text that contains column names and category levels from the data:
        escape it (``md_escape`` / ``html_escape`` of :mod:`cxlab`'s HTML helpers)
        before putting it in Markdown or HTML.
        """
        t = self.ph_test_
        if t["p"].isna().any():
            return (
                "The proportional-hazards assumption could not be checked: too few events "
                "for the Schoenfeld residual test, so read each hazard ratio as an average "
                "over the follow-up."
            )
        bad = t[(t["term"] != "GLOBAL") & (t["p"] < self.alpha)]
        if bad.empty:
            return (
                "The proportional-hazards assumption holds for every covariate (Schoenfeld "
                f"residual test, p >= {self.alpha:g} for each): one hazard ratio per covariate "
                "describes the whole follow-up."
            )
        parts = [
            f"{r.term} (chi2 = {r.chi2:.1f}, df = {r.df}, p {_p(r.p)})" for r in bad.itertuples()
        ]
        one = len(parts) == 1
        what = (
            "the hazard ratio of this covariate changes over the follow-up, so its single "
            "hazard ratio is"
            if one
            else "the hazard ratios of these covariates change over the follow-up, so each "
            "single hazard ratio is"
        )
        return (
            f"The proportional-hazards assumption fails for {'; '.join(parts)} (Schoenfeld "
            f"residual test): {what} an average over time; compare survival curves by period, "
            "or stratify on the covariate (strata=)."
        )


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def cox(
    data: pd.DataFrame | ir.Table,
    duration: str,
    event: str,
    covariates: Sequence[str],
    *,
    ties: str = "efron",
    strata: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Hazard ratios of a Cox model, one row per model term.

    ``CoxPH(ties=, level=).fit(...).summary_``; use :class:`CoxPH` for the
    proportional-hazards check (``ph_test_``, :meth:`CoxPH.ph_text`).

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        One row per customer.
    duration, event : str
        As :func:`cxlab.retention.survival`.
    covariates : list of str
        Numeric columns as they are; text columns as dummies (first level the
        reference).
    ties : {"efron", "breslow"}
        Tied event times ("efron" is R's ``coxph`` default).
    strata : str, optional
        A column whose groups each get their own baseline hazard.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``term, coef, se, hr, low, high, z, p``.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 2, 6], "e": [1, 0, 1, 1, 1, 0, 1, 1],
    ...                   "x": [0.1, -0.3, 1.2, -1.0, 0.4, -0.2, 0.8, 0.0]})
    >>> cox(d, "t", "e", ["x"])["term"].tolist()
    ['x']
    """
    m = CoxPH(ties=ties, level=level).fit(data, duration, event, covariates, strata=strata)
    return m.summary_
