"""Retention and churn: survival curves, rates and hazards, every customer counted.

Customers still active are *censored*, not loyal: they count for as long as they
were observed. Counts (events and censorings per group and time; customers per
sign-up and churn quarter) are computed in the engine through Ibis, and the
statistics run on that small table, so the same call works on a pandas frame or a
warehouse of millions of customers. Every survival number is checked against R's
``survival`` package (``tests/reference/make_reference_survival.R``).

The package, one topic per module (every name below is importable from
``cxlab.retention``):

``counts``        :func:`event_table`: events and censorings per group and time
``kaplan_meier``  :func:`survival` (Kaplan-Meier, Greenwood, R's "log", "log-log"
                  and "plain" intervals, weights), :func:`median_survival`,
                  :func:`km_curve`, :func:`curves_from_counts`,
                  :func:`medians_from_curves`
``logrank``       :func:`logrank`, :func:`logrank_from_counts`
``cox``           :class:`CoxPH` (statsmodels ``PHReg``; ``summary_``, ``ph_test_``,
                  :meth:`CoxPH.ph_text`), :func:`cox`, :func:`design_matrix`
``zph``           the Schoenfeld-residual test of proportional hazards (``cox.zph``)
``after_survey``  :func:`churn_after_survey` (a :class:`ChurnAfterSurvey`),
                  :func:`survey_durations`: time to churn after a survey by LTR
                  category or CSAT / CES band
``rates``         :func:`churn_rates` (by quarter), :func:`cohort_retention`,
                  :func:`cohort_counts`, :func:`with_ltr_category`,
                  :func:`customer_tenure` (time since sign-up, for curves and Cox)
``at_risk``       :func:`revenue_at_risk`: margin at risk from detractors' excess churn
``followup``      :func:`followup`: recent detractors and worsening passives ranked
                  by margin at risk, :func:`pseudonym` (keyed hash),
                  :func:`write_followup` (CSV and Excel), :func:`followup_key`
``plots``         :func:`plot_cohort_retention` (heat map), :func:`plot_survival`
``narrative``     the retention and value report's sentences (``retention.narrative``)

Examples
--------
>>> import pandas as pd
>>> from cxlab import retention
>>> d = pd.DataFrame({"months": [1, 2, 2, 3, 4], "churned": [1, 1, 0, 1, 0]})
>>> retention.median_survival(d, "months", "churned")["median"].tolist()
[3.0]
"""

from __future__ import annotations

from cxlab.retention.after_survey import (
    SCORE_CATEGORIES,
    ChurnAfterSurvey,
    churn_after_survey,
    survey_durations,
)
from cxlab.retention.at_risk import revenue_at_risk
from cxlab.retention.counts import event_table
from cxlab.retention.cox import CoxPH, cox, design_matrix
from cxlab.retention.followup import (
    FOLLOWUP_COLUMNS,
    followup,
    followup_key,
    pseudonym,
    top_for_report,
    write_followup,
)
from cxlab.retention.kaplan_meier import (
    CONF_TYPES,
    curves_from_counts,
    km_curve,
    median_survival,
    medians_from_curves,
    survival,
)
from cxlab.retention.logrank import logrank, logrank_from_counts
from cxlab.retention.plots import plot_cohort_retention, plot_survival
from cxlab.retention.rates import (
    churn_rates,
    cohort_counts,
    cohort_retention,
    customer_tenure,
    with_ltr_category,
)

__all__ = [
    "CONF_TYPES",
    "SCORE_CATEGORIES",
    "ChurnAfterSurvey",
    "churn_after_survey",
    "curves_from_counts",
    "medians_from_curves",
    "survey_durations",
    "CoxPH",
    "cox",
    "design_matrix",
    "event_table",
    "km_curve",
    "logrank",
    "logrank_from_counts",
    "median_survival",
    "survival",
    "churn_rates",
    "cohort_counts",
    "cohort_retention",
    "customer_tenure",
    "with_ltr_category",
    "plot_cohort_retention",
    "plot_survival",
    "revenue_at_risk",
    "FOLLOWUP_COLUMNS",
    "followup",
    "followup_key",
    "pseudonym",
    "top_for_report",
    "write_followup",
]
