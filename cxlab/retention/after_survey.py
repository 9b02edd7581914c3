"""Time to churn after a survey, by what the customer said: say vs do, censoring handled.

Every scored response from an identified customer starts a clock at its survey
date; the clock stops at the customer's churn date (an event) or at the end of
observation (censored: the customer was still active). Kaplan-Meier curves per
score category and a log-rank test then use every response, including the recent
ones whose follow-up is not complete.

How this differs from ``cxlab.outcomes.say_do``: ``say_do`` counts churn within a
fixed window (182 days) and keeps only the surveys whose whole window lies before
the end of the data, so recent surveys (often a third of them or more) are dropped
and the rate describes older survey waves only. Here a recent survey counts for as
long as it was observed, the whole curve (not one window) is estimated, and the
categories are compared with a test that uses the censored follow-up too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlab._checks import as_table, check_columns, check_level
from cxlab.errors import CxlabError
from cxlab.retention.counts import as_by, event_table
from cxlab.retention.kaplan_meier import CONF_TYPES, curves_from_counts, medians_from_curves
from cxlab.retention.logrank import logrank_from_counts
from cxlab.schema import SCALES

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from matplotlib.axes import Axes

__all__ = ["SCORE_CATEGORIES", "ChurnAfterSurvey", "churn_after_survey", "survey_durations"]

#: Default category cuts per score: ``(lo, hi)`` puts ``score <= lo`` in the first,
#: ``lo < score <= hi`` in the second, the rest in the third category.
SCORE_CATEGORIES: dict[str, tuple[tuple[int, int], tuple[str, str, str]]] = {
    "ltr": ((6, 8), ("detractor", "passive", "promoter")),
    "csat": ((2, 3), ("dissatisfied (1-2)", "neutral (3)", "satisfied (4-5)")),
    "ces": ((3, 4), ("difficult (1-3)", "neutral (4)", "easy (5-7)")),
}


def survey_durations(
    responses: pd.DataFrame | ir.Table,
    customers: pd.DataFrame | ir.Table,
    *,
    score: str = "ltr",
    breaks: tuple[int, int] | None = None,
    end: str | pd.Timestamp | None = None,
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """One row per scored, identified response: ``category, days, churned`` (in the engine).

    ``days`` runs from the survey to the churn date (``churned`` = 1) or to ``end``
    (``churned`` = 0). Responses after ``end``, without ``customer_id`` or whose
    customer had churned by the survey date are left out.

    Parameters
    ----------
    responses, customers : pandas.DataFrame or ibis Table
        The warehouse's ``responses`` and ``customers`` tables (or frames like them).
    score : {"ltr", "csat", "ces"} or str
        The score column of ``responses``.
    breaks : (int, int), optional
        Category cuts (see :data:`SCORE_CATEGORIES`); required for other columns.
    end : date-like, optional
        End of observation; default the latest survey or churn date in the data.
    by : str or list of str, optional
        Columns of ``responses`` to keep (e.g. ``unit``, ``touchpoint``).

    Returns
    -------
    ibis Table
        The ``by`` columns, ``customer_id, survey_date, category, days, churned``.
    """
    import ibis

    cuts, names = _categories(score, breaks)
    groups = as_by(by)
    r, c = as_table(responses), as_table(customers)
    check_columns(r, ["customer_id", "survey_date", score, *groups], "responses")
    check_columns(c, ["customer_id", "churn_date"], "customers")
    if end is None:
        last = [
            r.aggregate(m=r["survey_date"].max()).to_pandas()["m"].iloc[0],
            c.aggregate(m=c["churn_date"].max()).to_pandas()["m"].iloc[0],
        ]
        got = [pd.Timestamp(v) for v in last if v is not None and not pd.isna(v)]
        if not got:
            raise CxlabError("churn_after_survey: no survey dates in responses.")
        end_ts = max(got)
    else:
        end_ts = pd.Timestamp(end)
    stop = ibis.literal(end_ts.date())
    scale = SCALES.get(("responses", score))
    if scale is not None:
        v = r[score]
        bad = r.aggregate(k=(v.notnull() & ((v < scale[0]) | (v > scale[1]))).sum()).to_pandas()
        k = int(bad["k"].fillna(0).iloc[0])
        if k:
            raise CxlabError(
                f"churn_after_survey: column {score!r} of responses lies outside "
                f"{scale[0]}-{scale[1]} in {k} row(s)."
            )
    r = r.filter(r[score].notnull() & r["customer_id"].notnull() & (r["survey_date"] <= stop))
    j = r.select(*groups, "customer_id", "survey_date", s=r[score]).inner_join(
        c.select("customer_id", "churn_date"), "customer_id"
    )
    j = j.filter(j.churn_date.isnull() | (j.churn_date > j.survey_date))
    seen = j.churn_date.notnull() & (j.churn_date <= stop)
    lo, hi = cuts
    category = ibis.cases((j.s <= lo, names[0]), (j.s <= hi, names[1]), else_=names[2])
    days = ibis.cases(
        (seen, j.churn_date.delta(j.survey_date, unit="day")),
        else_=stop.delta(j.survey_date, unit="day"),
    )
    return j.select(
        *groups,
        "customer_id",
        "survey_date",
        category=category,
        days=days.cast("float64"),
        churned=seen.cast("int64"),
    )


def _categories(
    score: str, breaks: tuple[int, int] | None
) -> tuple[tuple[int, int], tuple[str, str, str]]:
    if breaks is None:
        if score not in SCORE_CATEGORIES:
            raise CxlabError(
                f"churn_after_survey: give breaks=(lo, hi) for score column {score!r} "
                f"(defaults exist for {sorted(SCORE_CATEGORIES)})."
            )
        return SCORE_CATEGORIES[score]
    lo, hi = (int(b) for b in breaks)
    if not lo < hi:
        raise CxlabError(f"churn_after_survey: breaks must be increasing, got {breaks!r}.")
    if score == "ltr":  # detractors, passives, promoters whatever the cuts
        return (lo, hi), SCORE_CATEGORIES["ltr"][1]
    if score in SCORE_CATEGORIES and (lo, hi) == SCORE_CATEGORIES[score][0]:
        return SCORE_CATEGORIES[score]
    return (lo, hi), (f"<= {lo}", f"{lo + 1}-{hi}", f"> {hi}")


@dataclass(frozen=True)
class ChurnAfterSurvey:
    """Kaplan-Meier by score category after a survey, with the log-rank test.

    Attributes
    ----------
    survival_ : pandas.DataFrame
        ``category, time, at_risk, events, censored, survival, se, low, high``
        (``time`` in days since the survey).
    median_ : pandas.DataFrame
        ``category, n, events, median, low, high``.
    logrank_ : pandas.DataFrame
        ``category, n, observed, expected, chi2, df, p``.
    score, end : str, pandas.Timestamp
    """

    survival_: pd.DataFrame
    median_: pd.DataFrame
    logrank_: pd.DataFrame
    score: str
    end: pd.Timestamp | None

    def plot(self, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The curves per category (:func:`cxlab.retention.plot_survival`); returns the Axes."""
        from cxlab.retention.plots import plot_survival

        ax = plot_survival(self.survival_, "category", ax=ax, **kwargs)
        ax.set_xlabel("days since the survey")
        return ax

    def at(self, days: float) -> pd.DataFrame:
        """Share still active ``days`` after the survey, per category (with interval).

        NaN for a category whose follow-up ends before ``days`` (while some of it
        is still active): the curve says nothing beyond its last time.
        """
        rows = []
        for cat, c in self.survival_.groupby("category", sort=False):
            before = c[c["time"] <= days]
            last: dict[str, Any] = (
                before.iloc[-1].to_dict()
                if len(before)
                else {"survival": 1.0, "low": 1.0, "high": 1.0}
            )
            if days > c["time"].max() and c["survival"].iloc[-1] > 0:
                last = {"survival": np.nan, "low": np.nan, "high": np.nan}
            rows.append(
                {"category": cat, "days": days} | {k: last[k] for k in ("survival", "low", "high")}
            )
        return pd.DataFrame(rows)


def churn_after_survey(
    responses: pd.DataFrame | ir.Table,
    customers: pd.DataFrame | ir.Table,
    *,
    score: str = "ltr",
    breaks: tuple[int, int] | None = None,
    end: str | pd.Timestamp | None = None,
    level: float = 0.95,
    conf_type: str = "log",
) -> ChurnAfterSurvey:
    """Time to churn after a survey by LTR category (or CSAT / CES band), censoring handled.

    The durations are built and counted in the engine (:func:`survey_durations`,
    then one ``GROUP BY`` category and day); the curves, medians and the log-rank
    test run on that count table. A customer with several surveys contributes one
    clock per survey (as in ``say_do``).

    Parameters
    ----------
    responses, customers, score, breaks, end
        As :func:`survey_durations`.
    level, conf_type
        As :func:`cxlab.retention.survival`.

    Returns
    -------
    ChurnAfterSurvey
        ``survival_``, ``median_``, ``logrank_``, :meth:`ChurnAfterSurvey.at` and
        :meth:`ChurnAfterSurvey.plot`.

    Examples
    --------
    >>> resp = pd.DataFrame({"customer_id": list("abcdef"), "ltr": [2, 3, 7, 8, 9, 10],
    ...                      "survey_date": pd.to_datetime(["2025-01-01"] * 6).date})
    >>> cust = pd.DataFrame({"customer_id": list("abcdef"),
    ...     "churn_date": pd.to_datetime(["2025-02-01", "2025-03-01", None, "2025-04-01",
    ...                                   None, None]).date})
    >>> res = churn_after_survey(resp, cust, end="2025-06-30")
    >>> res.at(90)[["category", "survival"]]
        category  survival
    0  detractor       0.0
    1    passive       0.5
    2   promoter       1.0
    """
    level = check_level(level, "churn_after_survey")
    if conf_type not in CONF_TYPES:
        raise CxlabError(f"churn_after_survey: conf_type must be one of {list(CONF_TYPES)}.")
    d = survey_durations(responses, customers, score=score, breaks=breaks, end=end)
    table = event_table(d, "days", "churned", by="category", where="churn_after_survey")
    rank = {name: i for i, name in enumerate(_categories(score, breaks)[1])}
    table = (
        table.assign(_r=table["category"].map(rank))
        .sort_values(["_r", "time"])
        .drop(columns="_r")
        .reset_index(drop=True)
    )
    curves = curves_from_counts(table, "category", level=level, conf_type=conf_type)
    lr = (
        logrank_from_counts(table, "category")
        if table["category"].nunique() > 1
        else pd.DataFrame(columns=["category", "n", "observed", "expected", "chi2", "df", "p"])
    )
    med = medians_from_curves(curves, "category")
    return ChurnAfterSurvey(
        survival_=curves,
        median_=med,
        logrank_=lr,
        score=score,
        end=pd.Timestamp(end) if end is not None else None,
    )
