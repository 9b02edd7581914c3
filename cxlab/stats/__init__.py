"""Inference on small summaries: NPS, proportion and mean intervals from counts and sums.

Design: aggregation happens in the database engine (DuckDB through Ibis); this module
only sees the *summaries* the engine returns -- category counts, weighted totals, sums
and sums of squares, frequency tables -- and never touches respondent rows. Every
function therefore runs in microseconds per group, whatever the number of respondents,
and most accept arrays so that hundreds of groups are handled in one call.

Scales. NPS, its standard error, bounds, differences and margins of error are on the
-100..100 scale; proportions are in percent (0..100).

Per-respondent NPS score ``X`` is -1 (detractor), 0 (passive) or +1 (promoter). With
shares ``P`` (promoters) and ``D`` (detractors)::

    NPS = P - D,    Var(X) = V = P + D - (P - D)^2,    SE = sqrt(V / n)

The variance includes the covariance of the two shares (``-2 Cov(P, D) = +2PD/n``);
the formula ``P(1 - P) + D(1 - D)`` that some tools use drops it and understates the
SE.

Empty groups and impossible input (one rule, here and in :mod:`cxlab.metrics`). A group
with no responses, or whose weights are all zero (``n == 0``, Kish ``n_eff == 0``), has
no estimate: estimates, SEs, bounds, z and p are NaN -- never a number made up from
pseudo-counts, never an error, so one empty group does not stop a breakdown. The NPS,
CSAT and CES tables flag such rows ``"empty"``; :func:`nps_diff` flags a comparison
with an empty side ``"empty"``. Input no data set can produce -- negative or non-finite
counts or weights, ``n_eff`` outside ``(0, respondents]`` for a non-empty group, or
``n_eff > 0`` for an empty one -- raises :class:`~cxlab.errors.CxlabError` naming the
argument (or column), the positions and the rule. (:func:`cxlab.drivers`, which has
one result for the whole input, raises when no row carries weight.)

References
----------
Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
    Statistician*, 70(4), 365-372. doi:10.1080/00031305.2016.1158124
    (R package ``NPS`` by the same author.)
Tango, T. (1998). Equivalence test and confidence interval for the difference in
    proportions for the paired-sample design. *Statistics in Medicine*, 17, 891-908.
Sauro, J. & Lewis, J. R. (2016). *Quantifying the User Experience*, 2nd ed.; MeasuringU,
    "Confidence intervals for Net Promoter Scores" (adjusted-Wald, +3 pseudo-responses).
Kish, L. (1965). *Survey Sampling*. Wiley (effective sample size).
Wilson, E. B. (1927). Probable inference... *JASA*, 22, 209-212; Agresti, A. & Coull,
    B. A. (1998). Approximate is better than "exact"... *The American Statistician*, 52.
"""

from __future__ import annotations

from cxlab.stats.bases import BASE_BANDS, BASE_MARKS, base_flag, base_legend, kish_n
from cxlab.stats.compare import nps_diff
from cxlab.stats.intervals import ADJUSTED_WALD_PSEUDO, NPS_METHODS, NPS_PRIORS
from cxlab.stats.multitest import adjust_pvalues
from cxlab.stats.nps import nps_bootstrap_cells, nps_counts
from cxlab.stats.planning import nps_moe, nps_sample_size
from cxlab.stats.proportions import fisher_ci, mean_ci, proportion_ci

__all__ = [
    "ADJUSTED_WALD_PSEUDO",
    "BASE_BANDS",
    "BASE_MARKS",
    "NPS_METHODS",
    "NPS_PRIORS",
    "adjust_pvalues",
    "base_flag",
    "base_legend",
    "fisher_ci",
    "kish_n",
    "mean_ci",
    "nps_bootstrap_cells",
    "nps_counts",
    "nps_diff",
    "nps_moe",
    "nps_sample_size",
    "proportion_ci",
]
