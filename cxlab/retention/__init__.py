"""Retention and churn: survival curves, rates and hazards, every customer counted."""

from __future__ import annotations

from cxlab.retention.counts import event_table
from cxlab.retention.cox import CoxPH, cox, design_matrix
from cxlab.retention.kaplan_meier import CONF_TYPES, km_curve, median_survival, survival
from cxlab.retention.logrank import logrank, logrank_from_counts

__all__ = [
    "CONF_TYPES",
    "CoxPH",
    "cox",
    "design_matrix",
    "event_table",
    "km_curve",
    "logrank",
    "logrank_from_counts",
    "median_survival",
    "survival",
]
