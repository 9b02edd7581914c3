"""Does CX move the business? CX metrics linked to business outcomes, honestly.

Reichheld (2003, *Harvard Business Review*, "The One Number You Need to Grow")
claimed that NPS predicts growth; Keiningham et al. (2007, *Journal of
Marketing*) and Morgan & Rego (2006, *Marketing Science*) found NPS no better,
and often worse, than satisfaction measures. This module lets an analyst test
the claim on their own data, with the small-sample caution it needs:

- :func:`build_panel` -- the unit x quarter panel: NPS, CSAT top-2-box and mean,
  CES mean and % easy with their sampling variances, joined to new customers,
  revenue and its growth, profit and margin, market share and its change. One
  Ibis aggregation per source; missing quarters are detected and reported.
- :func:`correlations` -- Pearson and Spearman, pooled and within units, Fisher-z
  intervals, p-values, Holm correction across the grid, small-n warnings.
- :func:`lag_correlations` -- metric at t against outcome at t + k, k = -4..4.
- :func:`fe_regression` -- unit and quarter (two-way) fixed effects by default,
  the lagged metric, a wild cluster bootstrap below 20 units (Cameron, Gelbach &
  Miller 2008; Roodman et al. 2019) and CR1 cluster-robust SEs above, optional
  errors-in-variables correction for the sampling error of survey metrics
  (Fuller 1987); :func:`trend_check` warns when metric and outcome both trend;
  :func:`lag_effect` is the effect at a lag chosen from the data, Holm-adjusted
  over the lags tried (what the report's verdict reads).
- :func:`granger` -- Granger-causality F tests per unit and pooled.
- :func:`horse_race` -- which metric forecasts an outcome best out of sample
  (rolling origin by quarter), with a Diebold-Mariano-type comparison.
- :func:`say_do`, :func:`say_do_logit` -- stated LTR against later churn,
  purchases and revenue, per category and per score (grouped logistic model).
- :func:`migration` -- NPS category transitions between consecutive surveys,
  with the revenue change of each cell.
- Axes-level plots: :func:`plot_scatter`, :func:`plot_correlogram`,
  :func:`plot_coefficients`, :func:`plot_migration`.

One topic per module: ``panel`` (build_panel, in the engine), ``correlation``
(correlations, lag correlograms, trend checks), ``regression`` (fixed effects) with
``wild`` (the wild cluster bootstrap), ``lag_choice`` (lag_effect, choose_lag),
``forecast`` (granger, horse_race), ``behaviour`` (say vs do, migration),
``narrative`` (the verdicts: lead, conclusion), ``sections`` (the report's other
texts), ``plots``; ``_common`` holds what they share.
Every public name is importable from ``cxlab.outcomes``.

Lags are computed by quarter-label arithmetic within a unit: the value "two
quarters before 2026Q1" is the unit's 2025Q3 row or nothing. A missing quarter
is never bridged by shifting rows.
"""

from __future__ import annotations

from cxlab.outcomes import sections as sections
from cxlab.outcomes._common import CATEGORIES, CX_METRICS, OUTCOMES, PanelWarning, lagged
from cxlab.outcomes.behaviour import migration, say_do, say_do_logit
from cxlab.outcomes.correlation import correlations, lag_correlations, trend_check
from cxlab.outcomes.forecast import granger, horse_race
from cxlab.outcomes.lag_choice import choose_lag, lag_effect
from cxlab.outcomes.narrative import conclusion, lead
from cxlab.outcomes.panel import build_panel, panel_gaps
from cxlab.outcomes.plots import (
    plot_churn_by_score,
    plot_coefficients,
    plot_correlogram,
    plot_migration,
    plot_scatter,
)
from cxlab.outcomes.regression import effects, fe_regression
from cxlab.outcomes.result import Panel

__all__ = [
    "CATEGORIES",
    "CX_METRICS",
    "OUTCOMES",
    "PanelWarning",
    "lagged",
    "migration",
    "say_do",
    "say_do_logit",
    "correlations",
    "lag_correlations",
    "trend_check",
    "granger",
    "horse_race",
    "choose_lag",
    "lag_effect",
    "conclusion",
    "lead",
    "build_panel",
    "panel_gaps",
    "plot_churn_by_score",
    "plot_coefficients",
    "plot_correlogram",
    "plot_migration",
    "plot_scatter",
    "effects",
    "fe_regression",
    "Panel",
]
