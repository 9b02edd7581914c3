"""What the retention and value report says: title, lead and each section's sentences.

Every function returns Markdown with every name from the data escaped
(:func:`cxlab._html.md_escape`), so ``notebooks/retention_value.ipynb`` only calls
them. Groups of 0, 1 or 2 customers, a category nobody answered in and a model that
cannot be fitted give a plain sentence, never an error. Only aggregates are
described: no customer is named.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from cxlab._html import md_escape as e
from cxlab.errors import CxlabError
from cxlab.retention.after_survey import ChurnAfterSurvey, survey_durations
from cxlab.retention.cox import CoxPH

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "after_text",
    "at_risk_text",
    "cox_table",
    "cox_text",
    "data_problem",
    "followup_text",
    "lead",
    "period_end",
    "period_start",
    "rates_text",
    "recent_cohorts",
    "survey_cox",
    "title",
]

_PLURAL = {"detractor": "detractors", "passive": "passives", "promoter": "promoters"}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def period_end(quarter: str) -> pd.Timestamp:
    """The last day of a quarter ('YYYYQn'): the end of observation of the report.

    Examples
    --------
    >>> period_end("2026Q3")
    Timestamp('2026-09-30 00:00:00')
    """
    from cxlab import periods

    year, q = periods.parse_quarter(quarter)
    return pd.Timestamp(year=year, month=3 * q, day=1) + pd.offsets.MonthEnd(0)


def period_start(quarter: str) -> pd.Timestamp:
    """The first day of a quarter ('YYYYQn').

    Examples
    --------
    >>> period_start("2026Q3")
    Timestamp('2026-07-01 00:00:00')
    """
    return (period_end(quarter) - pd.offsets.QuarterBegin(1, startingMonth=1)).normalize()


def followup_text(calls: pd.DataFrame, quarter: str, out: str, shown: int, days: int) -> str:
    """Who is on the follow-up list, the margin at risk, and the file holding the full list.

    ``out`` is the list's path as given (only its file name is printed), ``""`` when
    no list was written (the report then shows no ids at all).

    Examples
    --------
    >>> print(followup_text(pd.DataFrame({"category": [], "value_at_risk": []}), "2026Q3", "", 10, 365))
    No detractor, and no passive whose CSAT or CES fell, answered a survey in 2026Q3 and is still a customer: nobody to call back.
    """
    if calls.empty:
        return (
            f"No detractor, and no passive whose CSAT or CES fell, answered a survey in "
            f"{e(quarter)} and is still a customer: nobody to call back."
        )
    k = calls["category"].value_counts()
    total = float(calls["value_at_risk"].sum(min_count=1))
    risk = (
        f"together about {total:,.0f} of margin at risk over the next {days} days"
        if not math.isnan(total)
        else f"their margin at risk is unknown (no follow-up of {days} days to compare churn)"
    )
    text = (
        f"{len(calls):,} customers to call back: {int(k.get('detractor', 0)):,} detractors "
        f"surveyed in {e(quarter)} and {int(k.get('passive', 0)):,} passives whose CSAT or CES "
        f"fell since their previous survey, all still customers; {risk}. "
        f"The {min(shown, len(calls))} with the most at risk are below"
    )
    if not out:
        return text + (
            ", without ids: the full list was not written (the report was run without "
            "`followup_out`)."
        )
    text += ", by pseudonymous id only."
    name = Path(out).name
    both = f"{name} and {Path(name).with_suffix('.xlsx').name}"
    return (
        text + f" The full list, with customer ids, is in the files {e(both)} beside this "
        "report (for the CX team only: do not share them with the report)."
    )


def data_problem(customers: pd.DataFrame | ir.Table) -> str:
    """Why the report has nothing to show (no customer in the units chosen), or ``""``.

    Examples
    --------
    >>> data_problem(pd.DataFrame({"customer_id": ["a"], "churn_date": [pd.Timestamp("2025-01-01")]}))
    ''
    >>> data_problem(pd.DataFrame({"customer_id": ["a"], "churn_date": [pd.NaT]}))[:48]
    'No customer of the units chosen has a churn date'
    >>> data_problem(pd.DataFrame({"customer_id": []}))
    'No customer of the units chosen is in the customers table, so there is no churn to report.'
    """
    from cxlab._checks import as_table

    t = as_table(customers)
    if int(t.count().to_pandas()) == 0:
        return (
            "No customer of the units chosen is in the customers table, so there is no churn "
            "to report."
        )
    if "churn_date" not in t.columns or int(t.churn_date.count().to_pandas()) == 0:
        return (
            "No customer of the units chosen has a churn date (every one is still a customer, "
            "or churn is not recorded in the customers table), so there is no churn to analyse: "
            "no churn rates, survival curves, margin at risk or customer value are shown. Load "
            "the churn dates with `cxlab ingest customers FILE --update`."
        )
    return ""


def title(units: str, quarter: str) -> str:
    """The report's heading (Markdown): units and the last quarter observed, escaped.

    Examples
    --------
    >>> title("ALL", "2026Q3")
    '# Retention and customer value: all units, to 2026Q3'
    >>> title("France,Italy", "2026Q3")
    '# Retention and customer value: France, Italy, to 2026Q3'
    """
    names = "all units" if units == "ALL" else ", ".join(e(u.strip()) for u in units.split(","))
    return f"# Retention and customer value: {names}, to {e(quarter)}"


def recent_cohorts(table: pd.DataFrame, cohorts: int = 8, quarters: int = 8) -> pd.DataFrame:
    """The last ``cohorts`` sign-up quarters and their first ``quarters`` quarters (for a heat map).

    Examples
    --------
    >>> t = pd.DataFrame({"cohort": ["2025Q1"] * 3 + ["2025Q2"] * 2,
    ...                   "quarters_since": [0, 1, 2, 0, 1]})
    >>> recent_cohorts(t, cohorts=1, quarters=1)["cohort"].tolist()
    ['2025Q2']
    """
    keep = sorted(table["cohort"].unique())[-cohorts:] if len(table) else []
    out = table[table["cohort"].isin(keep) & (table["quarters_since"] < quarters)]
    return out.reset_index(drop=True)


def _interval(est: float, low: float, high: float, level: float) -> str:
    return f"{est:.1f}% ({level:.0%} interval {low:.1f}% to {high:.1f}%)"


def rates_text(rates: pd.DataFrame, level: float = 0.95, *, latest: bool = True) -> str:
    """The latest quarter's churn rate and the range over the last four quarters.

    ``rates`` is :func:`cxlab.retention.churn_rates` without groups. With
    ``latest=False`` (the churn section, below a summary that already gave the
    latest rate) the range and the quarter before the latest instead.

    Examples
    --------
    >>> r = pd.DataFrame({"quarter": ["2026Q2"], "n": [200], "lost": [10],
    ...     "churn_rate": [5.0], "churn_low": [2.7], "churn_high": [9.0], "flag": ["reportable"]})
    >>> print(rates_text(r))
    In 2026Q2, 5.0% (95% interval 2.7% to 9.0%) of the 200 customers active at its start left.
    """
    shown = rates[rates["n"] > 0]
    if shown.empty:
        return "No customer was active at the start of any quarter, so there is no churn rate."
    last = shown.iloc[-1]
    flag = str(last["flag"])
    base = "" if flag == "reportable" else f" (an {flag} base)"
    text = (
        f"In {e(last['quarter'])}, "
        f"{_interval(last['churn_rate'], last['churn_low'], last['churn_high'], level)} "
        f"of the {int(last['n']):,} customers active at its start left{base}."
    )
    if not latest:
        return _earlier_text(shown, level)
    recent = shown.tail(4)
    if len(recent) > 1:
        text += (
            f" Over the last {len(recent)} quarters the rate ranged from "
            f"{recent['churn_rate'].min():.1f}% to {recent['churn_rate'].max():.1f}%."
        )
    return text


def _earlier_text(shown: pd.DataFrame, level: float) -> str:
    """The churn section's sentences: the range over four quarters and the quarter before."""
    if len(shown) < 2:
        return "No earlier quarter had customers active at its start, so there is no trend yet."
    recent, prev = shown.tail(4), shown.iloc[-2]
    return (
        f"Over the last {len(recent)} quarters the rate ranged from "
        f"{recent['churn_rate'].min():.1f}% to {recent['churn_rate'].max():.1f}%; in "
        f"{e(prev['quarter'])}, the quarter before the latest, it was "
        f"{_interval(prev['churn_rate'], prev['churn_low'], prev['churn_high'], level)}."
    )


def _share(row: Any, level: float) -> str:
    if math.isnan(row.survival):
        return "not followed that long"
    if math.isnan(row.low) or math.isnan(row.high):
        return f"{_pct(row.survival)} (no interval: every one of them left)"
    return f"{_pct(row.survival)} ({level:.0%} interval {_pct(row.low)} to {_pct(row.high)})"


def after_text(after: ChurnAfterSurvey, days: int, level: float = 0.95) -> str:
    """Share still active ``days`` after the survey per LTR category, medians and log-rank."""
    at = after.at(days)
    parts = [
        f"{e(_PLURAL.get(r.category, r.category))} {_share(r, level)}" for r in at.itertuples()
    ]
    if not parts:
        return "No scored survey could be linked to a customer, so there is nothing to follow."
    text = f"Still active {days} days after the survey: " + "; ".join(parts) + "."
    med = after.median_
    known = med[med["median"].notna()]
    if known.empty:
        text += (
            " More than half of every category was still active at the end of the follow-up, "
            "so no median time to churn can be given."
        )
    else:
        text += (
            " Median days to churn: "
            + "; ".join(
                f"{e(_PLURAL.get(r.category, r.category))} {r.median:,.0f}"
                for r in known.itertuples()
            )
            + " (the other categories: more than half still active)." * (len(known) < len(med))
        )
    lr = after.logrank_
    if len(lr) and not math.isnan(float(lr["p"].iloc[0])):
        verdict = "differ" if lr["p"].iloc[0] < 1 - level else "do not clearly differ"
        text += (
            f" The curves {verdict} (log-rank chi2 = {lr['chi2'].iloc[0]:.1f}, "
            f"df = {int(lr['df'].iloc[0])}, {_p(float(lr['p'].iloc[0]))})."
        )
    else:
        text += " Fewer than two categories have surveys, so there is no log-rank test."
    return text


def survey_cox(
    responses: pd.DataFrame | ir.Table,
    customers: pd.DataFrame | ir.Table,
    *,
    end: str | pd.Timestamp | None = None,
    level: float = 0.95,
) -> CoxPH | str:
    """Cox model of days to churn after each customer's latest survey, or why it cannot run.

    Covariates: ``detractor`` and ``passive`` (0/1; promoters are the reference)
    and ``segment`` when the customers have more than one. One row per customer
    (the latest scored survey), so no customer counts twice. Returns the fitted
    :class:`~cxlab.retention.CoxPH` or a sentence (Markdown) saying why not.
    """
    import ibis

    from cxlab._checks import as_table

    d = survey_durations(responses, customers, end=end)
    rank = ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("survey_date"))
    d = d.mutate(k=rank)
    d = d.filter(d.k == 0)
    c = as_table(customers)
    if "segment" in c.columns:
        d = d.inner_join(c.select("customer_id", seg=c["segment"]), "customer_id")
    frame = d.to_pandas()
    frame["detractor"] = (frame["category"] == "detractor").astype(float)
    frame["passive"] = (frame["category"] == "passive").astype(float)
    covs = [x for x in ("detractor", "passive") if frame[x].nunique() > 1]
    if "seg" in frame and frame["seg"].nunique() > 1:
        frame = frame.rename(columns={"seg": "segment"})
        covs.append("segment")
    if not covs or frame["churned"].sum() < 2 or len(frame) < 10:
        return (
            "Too few customers with a survey (or too few of them churned) to fit a Cox model: "
            "the curves above are the result."
        )
    try:
        return CoxPH(level=level).fit(frame, "days", "churned", covs)
    except CxlabError as exc:
        return "The Cox model could not be fitted: " + e(str(exc))


def cox_table(model: CoxPH) -> pd.DataFrame:
    """The model's terms with readable labels (``label``) for :func:`cxlab.report.format_table`.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 2, 6], "e": [1, 0, 1, 1, 1, 0, 1, 1],
    ...                   "detractor": [1.0, 0, 1, 0, 0, 0, 1, 1]})  # mixed: a finite hazard ratio
    >>> cox_table(CoxPH().fit(d, "t", "e", ["detractor"]))["label"].tolist()
    ['Detractors against promoters']
    """
    s = model.summary_.copy()

    def label(term: str) -> str:
        if term in ("detractor", "passive"):
            return f"{_PLURAL[term].capitalize()} against promoters"
        if term.startswith("segment[") and term.endswith("]"):
            return f"Segment {term[8:-1]}"
        return term

    s["label"] = [label(t) for t in s["term"]]
    return s


def cox_text(model: CoxPH | str) -> str:
    """The Cox model's verdict on LTR category and its proportional-hazards check, in words."""
    if isinstance(model, str):
        return model
    s = model.summary_.set_index("term")
    level = model.level
    parts = []
    for term in ("detractor", "passive"):
        if term in s.index:
            r = s.loc[term]
            parts.append(
                f"{_PLURAL[term]} left at {r['hr']:.2f} times the rate of promoters "
                f"({level:.0%} interval {r['low']:.2f} to {r['high']:.2f})"
            )
    head = ("Holding segment fixed, " if any(t.startswith("segment[") for t in s.index) else "") + (
        "; ".join(parts) if parts else "the model has no LTR category to compare"
    )
    text = f"{head[0].upper()}{head[1:]} ({model.n_:,} customers, {model.events_:,} churned)."
    return text + " " + e(model.ph_text())


def _total(ok: pd.DataFrame, level: float) -> tuple[float, float]:
    """Sum of the groups' margin at risk and the half-width of its interval (independent)."""
    z = stats.norm.ppf(0.5 + level / 2)
    se = (ok["value_high"] - ok["value_low"]) / (2 * z)
    return float(ok["value_at_risk"].sum()), z * float(np.sqrt((se**2).sum()))


def at_risk_text(at_risk: pd.DataFrame, by: str, days: int, level: float = 0.95) -> str:
    """Total margin at risk from detractors' excess churn, and the largest group."""
    ok = at_risk[at_risk["value_at_risk"].notna()]
    if ok.empty:
        return (
            f"No group has both detractors and other customers followed for {days} days, "
            "so there is no margin at risk to estimate."
        )
    total, half = _total(ok, level)
    top = ok.sort_values("value_at_risk", ascending=False).iloc[0]
    return (
        f"If detractors keep churning more than the other customers, about {total:,.0f} of "
        f"margin is at risk over the next {days} days ({level:.0%} interval {total - half:,.0f} "
        f"to {total + half:,.0f}, groups taken as independent); the most is in "
        f"**{e(top[by])}** ({float(top['value_at_risk']):,.0f}). This is an association, not a "
        "proven effect of the experience."
    )


def lead(
    rates: pd.DataFrame,
    after: ChurnAfterSurvey,
    at_risk: pd.DataFrame,
    *,
    days: int,
    level: float = 0.95,
) -> str:
    """The report's opening: at most three plain sentences (Markdown)."""
    first = rates_text(rates, level).split(". Over")[0].rstrip(".") + "."
    at = after.at(days).set_index("category")
    both = {"detractor", "promoter"} <= set(at.index)
    if both and not at.loc[["detractor", "promoter"], "survival"].isna().any():
        second = (
            f"{days} days after a survey {_pct(1 - at.loc['detractor', 'survival'])} of "
            f"detractors had left, against {_pct(1 - at.loc['promoter', 'survival'])} of promoters."
        )
    else:
        second = "Too few surveys to compare detractors' and promoters' churn."
    ok = at_risk[at_risk["value_at_risk"].notna()]
    if ok.empty:
        return " ".join(
            [first, second, "There is not enough follow-up to size the margin at risk."]
        )
    total, half = _total(ok, level)
    third = (
        f"Detractors' excess churn puts about {total:,.0f} of margin at risk over the next "
        f"{days} days ({level:.0%} interval {total - half:,.0f} to {total + half:,.0f}; an "
        "association, not a proven effect)."
        if total - half > 0
        else f"The margin at risk from detractors' excess churn over the next {days} days "
        f"cannot be told apart from zero ({level:.0%} interval {total - half:,.0f} to "
        f"{total + half:,.0f})."
    )
    return " ".join([first, second, third])
