"""Retention and churn: survival curves, rates and hazards, every customer counted."""

from __future__ import annotations

from cxlab.retention.after_survey import (
    SCORE_CATEGORIES,
    ChurnAfterSurvey,
    churn_after_survey,
    survey_durations,
)
from cxlab.retention.counts import event_table
from cxlab.retention.cox import CoxPH, cox, design_matrix
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
from cxlab.retention.rates import churn_rates, cohort_counts, cohort_retention, with_ltr_category

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
    "with_ltr_category",
    "plot_cohort_retention",
    "plot_survival",
]
