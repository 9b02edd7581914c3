"""The outcomes report's section texts, so that its notebook composes no sentence itself.

Each function returns Markdown (names from data escaped with
:func:`cxlab.report.md_escape`) or a chart title; the report's fixed prose lives in
the notebook's Markdown cells. :func:`cxlab.outcomes.lead` and
:func:`cxlab.outcomes.conclusion` (module ``narrative``) write the verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from cxlab._html import md_escape
from cxlab.outcomes._common import CX_METRICS, OUTCOMES
from cxlab.outcomes.narrative import conclusion
from cxlab.outcomes.result import Panel
from cxlab.report import weight_note

__all__ = [
    "basis",
    "conclusions",
    "correlogram_title",
    "data_text",
    "effect_labels",
    "gaps_text",
    "interval_header",
    "logit_text",
    "not_estimated_text",
    "race_heading",
    "say_do_text",
    "scatter_title",
    "title",
    "trend_text",
    "trust_text",
]


def _label(outcome: str) -> str:
    return md_escape(OUTCOMES.get(outcome, outcome))


def title(panel: Panel, units: str | Sequence[str] = "ALL") -> str:
    """The report's heading: the question, the units and the quarters.

    Examples
    --------
    >>> data = pd.DataFrame({"unit": ["a", "a"], "quarter": ["2025Q1", "2025Q2"],
    ...                      "qi": [8100, 8101], "n": [40, 50], "n_eff": [40.0, 50.0]})
    >>> title(Panel(data, pd.DataFrame()), "ALL")
    '# Does customer experience move the business? (all units\\\\, 2025Q1 to 2025Q2)'
    >>> title(Panel(data, pd.DataFrame()), ["a_1", "b"])
    '# Does customer experience move the business? (a\\\\_1\\\\, b\\\\, 2025Q1 to 2025Q2)'
    """
    names = units if isinstance(units, str) else ", ".join(units)
    scope = f"{'all units' if names == 'ALL' else names}, {panel.quarters_[0]} to "
    return (
        f"# Does customer experience move the business? ({md_escape(scope + panel.quarters_[-1])})"
    )


def basis(panel: Panel, level: float = 0.95) -> str:
    """What the estimates rest on: the interval level and the survey weights (and, when
    weighted, why say vs do stays unweighted).

    Examples
    --------
    >>> data = pd.DataFrame({"unit": ["a"], "quarter": ["2025Q1"], "qi": [8100], "n": [40],
    ...                      "n_eff": [40.0]})
    >>> basis(Panel(data, pd.DataFrame()))
    'Every interval is a 95% interval. Estimates are unweighted: every response counts once.'
    """
    text = f"Every interval is a {level:.0%} interval. " + weight_note(
        panel.weight_, pd.Series({"n": panel.n_, "n_eff": panel.n_eff_})
    )
    if panel.weight_:
        text += (
            " Say vs do and the migration table follow individual customers' behaviour "
            "after their own survey and stay unweighted: the weights make survey estimates "
            "represent the customer base, while these compare what each respondent said "
            "with what the same respondent did."
        )
    return text


def say_do_text(saydo: pd.DataFrame, window_days: int) -> str:
    """Churn of detractors against promoters after the survey (from :func:`say_do`).

    Examples
    --------
    >>> s = pd.DataFrame({"category": ["detractor", "promoter"], "churn_rate": [30.0, 8.0],
    ...                   "churn_low": [28.0, 7.5], "churn_high": [32.0, 8.5]})
    >>> say_do_text(s, 182)[:80]
    '**Say vs do.** Within 182 days of the survey, 30.0% of detractors churned (28.0 '
    """
    by = saydo.set_index("category")
    det, pro = by.loc["detractor"], by.loc["promoter"]
    return (
        f"**Say vs do.** Within {window_days} days of the survey, "
        f"{det.churn_rate:.1f}% of detractors churned ({det.churn_low:.1f} to "
        f"{det.churn_high:.1f}) against {pro.churn_rate:.1f}% of promoters "
        f"({pro.churn_low:.1f} to {pro.churn_high:.1f}); stated intent does predict behaviour "
        "here, but it is an association, not proof that raising a score would keep a customer."
    )


def trust_text(n_units: int, n_quarters: int) -> str:
    """How far the panel's size lets the verdicts be trusted.

    Examples
    --------
    >>> trust_text(8, 12)[:60]
    '**How far to trust this.** 8 units over 12 quarters; correla'
    """
    return (
        f"**How far to trust this.** {n_units} units over {n_quarters} quarters; correlations "
        "and slopes between a few units' trending series have fewer independent observations "
        "than rows. The fixed-effects models remove unit and quarter effects (trends all units "
        "share); their p-values and intervals come from a wild cluster bootstrap, which stays "
        "close to the nominal level with few units. Treat effects whose intervals nearly touch "
        "zero as unproven."
    )


def conclusions(
    panel: Panel,
    lags: Mapping[str, pd.DataFrame],
    fits: Mapping[str, pd.DataFrame],
    races: Mapping[str, pd.DataFrame],
    saydo: pd.DataFrame,
    *,
    window_days: int,
    level: float = 0.95,
    fits_unit: Mapping[str, pd.DataFrame] | None = None,
    trends: Mapping[str, pd.DataFrame] | None = None,
) -> str:
    """The report's conclusion: :func:`conclusion` for each outcome of ``fits`` (in its
    order), then say vs do and how far to trust it, one paragraph each."""
    text = [
        conclusion(
            o,
            lags[o],
            fits[o],
            races[o],
            level=level,
            fit_unit=None if fits_unit is None else fits_unit[o],
            trend=None if trends is None else trends[o],
        )
        for o in fits
    ]
    text.append(say_do_text(saydo, window_days))
    text.append(trust_text(len(panel.units_), len(panel.quarters_)))
    return "\n\n".join(text)


def data_text(panel: Panel) -> str:
    """The panel's size: unit-quarters, responses (and the Kish n when weighted).

    Examples
    --------
    >>> data = pd.DataFrame({"unit": ["a", "a"], "quarter": ["2025Q1", "2025Q2"],
    ...                      "qi": [8100, 8101], "n": [1200, 1300], "n_eff": [1200.0, 1300.0]})
    >>> data_text(Panel(data, pd.DataFrame()))[:66]
    '2 unit-quarters (1 units x 2 quarters), 2,500 survey responses (n)'
    """
    return (
        f"{len(panel.data_):,} unit-quarters ({len(panel.units_)} units x "
        f"{len(panel.quarters_)} quarters), {panel.n_:,} survey responses (n)"
        + (f", effective n {panel.n_eff_:,.0f} (Kish, summed over cells)" if panel.weight_ else "")
        + ". Survey metrics are estimates; their sampling "
        "error is taken into account in the regressions (errors-in-variables correction)."
    )


def gaps_text(panel: Panel) -> str:
    """How many unit-quarters are missing or thin (the table is ``panel.gaps_``)."""
    if len(panel.gaps_):
        return (
            f"**{len(panel.gaps_)} missing or thin unit-quarters** were left as gaps "
            "(lags never bridge them):"
        )
    return "No missing quarters: every unit has responses and outcomes in every quarter."


def effect_labels(rows: pd.DataFrame) -> pd.Series:
    """``"Metric  ->  Outcome"`` for each row of :func:`effects` (plain text, for charts)."""
    return rows["metric"].map(CX_METRICS) + "  ->  " + rows["outcome"].map(OUTCOMES)


def not_estimated_text(rows: pd.DataFrame) -> str:
    """The pairs :func:`effects` could not estimate and why ("" when none).

    Examples
    --------
    >>> rows = pd.DataFrame({"metric": ["nps", "ces_mean"], "outcome": ["margin"] * 2,
    ...                      "estimable": [True, False],
    ...                      "caution": ["", "fe_regression x: too noisy; more data"]})
    >>> print(not_estimated_text(rows).split(": ")[-1])  # Markdown, escaped
    CES mean \\-&gt; Profit margin \\% (too noisy)
    """
    skipped = rows[~rows["estimable"].astype(bool)]
    if not len(skipped):
        return ""
    reasons = skipped["caution"].str.split(": ", n=1).str[-1].str.split(";").str[0]
    return (
        f"**Not estimated ({len(skipped)})**, mostly because a metric's quarter-to-quarter "
        "movement within units is smaller than its sampling error (more responses per "
        "unit-quarter are needed): "
        + "; ".join(
            f"{md_escape(lab)} ({md_escape(why)})"
            for lab, why in zip(effect_labels(skipped), reasons, strict=True)
        )
    )


def trend_text(trends: Mapping[str, pd.DataFrame]) -> str:
    """The :func:`trend_check` messages of the outcomes whose series both trend ("" when
    none)."""
    notes = [str(t["message"].iloc[0]) for t in trends.values() if t["message"].iloc[0]]
    return "**Trend check.** " + " ".join(notes) if notes else ""


def race_heading(race: pd.DataFrame) -> str:
    """The heading of one outcome's forecast table (from :func:`horse_race`).

    Examples
    --------
    >>> race = pd.DataFrame({"outcome": ["margin"], "lag": [2], "n_forecasts": [48],
    ...                      "n_quarters": [6]})
    >>> race_heading(race)
    '**Profit margin \\\\%** (lag 2, 48 forecasts over 6 quarters)'
    """
    top = race.iloc[0]
    return (
        f"**{_label(top['outcome'])}** (lag {int(top['lag'])}, {int(top['n_forecasts'])} "
        f"forecasts over {int(top['n_quarters'])} quarters)"
    )


def logit_text(logit: pd.DataFrame, level: float = 0.95) -> str:
    """The odds ratio of churn per LTR point (from :func:`say_do_logit`).

    Examples
    --------
    >>> fit = pd.DataFrame({"term": ["intercept", "ltr"], "odds_ratio": [0.5, 0.8],
    ...                     "or_low": [0.4, 0.75], "or_high": [0.6, 0.85], "n": [1200, 1200]})
    >>> logit_text(fit).endswith("by 0.800 (95% interval 0.750 to 0.850; 1,200 surveys).")
    True
    """
    slope = logit.set_index("term").loc["ltr"]
    return (
        "Logistic model of churn on the score: each extra LTR point multiplies the odds of "
        f"churning by {slope.odds_ratio:.3f} ({level:.0%} interval {slope.or_low:.3f} to "
        f"{slope.or_high:.3f}; {int(slope.n):,} surveys)."
    )


def correlogram_title(outcome: str) -> str:
    """``"NPS vs new customers"`` (plain text, for a chart)."""
    return f"NPS vs {OUTCOMES.get(outcome, outcome).lower()}"


def scatter_title(outcome: str, lag: int) -> str:
    """``"New customers vs NPS 2 quarter(s) earlier"`` (plain text, for a chart)."""
    return f"{OUTCOMES.get(outcome, outcome)} vs NPS {lag} quarter(s) earlier"


def interval_header(label: str, level: float = 0.95) -> str:
    """A table header for an estimate with its interval.

    Examples
    --------
    >>> interval_header("Churned %", 0.9)
    'Churned % (90% interval)'
    """
    return f"{label} ({level:.0%} interval)"
