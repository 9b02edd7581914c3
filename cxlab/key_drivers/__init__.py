"""Key driver analysis: which attributes move a score, from a correlation matrix.

:class:`KeyDrivers` ranks drivers (e.g. attribute ratings) by their importance
for a score (e.g. likelihood to recommend) and keeps every part of the result
(``importance_``, ``conditional_dominance_``, ``adjacent_``, ``n_``, ...);
:func:`drivers` returns its table alone. The data are read once in the engine
(one Ibis aggregation of sums of weights, sums and centred sums of
cross-products over the complete rows), and every method then works on the
small ``(p + 1) x (p + 1)`` correlation matrix, so the number of rows does not
limit it:

``correlation``
    Zero-order correlation of each driver with the score (importance =
    r squared). A quick look; ignores that drivers overlap.
``relative-weights``
    Johnson's (2000) relative weights: regress the score on the orthogonal
    approximation ``Z = X R^{-1/2}`` of the drivers and apportion each
    ``beta_z^2`` back with ``Lambda^2`` (``Lambda = R^{1/2}``). Weights sum to
    R^2 and are close to Shapley values; instant for any number of drivers.
``shapley``
    Exact Shapley value / LMG decomposition of R^2 (Lindeman, Merenda & Gold
    1980; Lipovetsky & Conklin 2001; Groemping 2006, R package ``relaimpo``):
    each driver's marginal R^2 averaged over all orders of entry, computed
    from the R^2 of all ``2^p`` subsets (each one solve on the correlation
    matrix, batched by subset size). Up to 20 drivers.
``dominance``
    General dominance (Budescu 1993; Azen & Budescu 2003): the average over
    subset sizes of the average increment in R^2. Numerically equal to the
    Shapley values; the fitted :class:`KeyDrivers` also holds conditional and
    complete dominance (``conditional_dominance_``, ``complete_dominance_``).

``sign`` is the sign of the driver's coefficient in the full regression
(Displayr's convention), or of the correlation for ``method="correlation"``.

Binary scores (``family="logistic"``, e.g. detractor yes/no) need rows, not a
correlation matrix: the engine groups the complete rows by score, drivers
(and weight) and the logistic models are fitted on the grouped rows with
frequency weights (exact; drivers on a rating scale give a manageable number of
groups; continuous drivers may not, and are refused above ``max_groups``).
Relative weights then follow Tonidandel & LeBreton (2010) and Shapley /
dominance use McFadden's pseudo-R^2 on all subsets (Azen & Traxel 2009).

Bootstrap intervals (``n_boot=B``) use the Poisson bootstrap computed in the
engine: each complete row gets, per replicate, a Poisson(1) weight drawn from a
hash of its position (rows ordered by their values) and the replicate number;
one grouped aggregation then gives ``B`` weighted covariance matrices, and the
intervals are percentiles of the ``B`` importance vectors (Hanley & MacGibbon
2006, "Creating non-parametric bootstrap samples using Poisson frequencies").
For logistic scores the same Poisson weights are drawn for the grouped rows
(a sum of ``c`` Poisson(1) weights is Poisson(c)).

The package, one topic per module (every name below is importable from
``cxlab.key_drivers``):

``engine``       the engine side: :func:`moments` (two Ibis aggregations and the
                 Poisson bootstrap), grouped rows for logistic models,
                 :func:`driver_frame`
``importance``   on the correlation matrix: :func:`subset_r2`,
                 :func:`shapley_from_r2`, :func:`dominance_from_r2`,
                 :func:`relative_weights`
``logistic``     logistic models on grouped rows and their bootstrap
``model``        :class:`KeyDrivers` and :func:`drivers`
``ranking``      :func:`adjacent_pairs`, :func:`base_text`, :func:`ranking_text`
``performance``  :func:`importance_performance`
``compare``      :func:`compare_methods`: the same drivers under several methods
``narrative``    the report's text: :func:`title`, :func:`intro`, :func:`lead` (three
                 sentences first), :func:`importance_table` and :func:`conclusion`
``plots``        :func:`plot_importance`, :func:`plot_importance_performance`

References
----------
Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
predictor variables in multiple regression. *Multivariate Behavioral Research*
35(1), 1-19.
Lipovetsky, S. & Conklin, M. (2001). Analysis of regression in game theory
approach. *Applied Stochastic Models in Business and Industry* 17(4), 319-330.
Budescu, D. V. (1993). Dominance analysis: a new approach to the problem of
relative importance of predictors in multiple regression. *Psychological
Bulletin* 114(3), 542-551.
Groemping, U. (2006). Relative importance for linear regression in R: the
package relaimpo. *Journal of Statistical Software* 17(1).
Tonidandel, S. & LeBreton, J. M. (2010). Determining the relative importance of
predictors in logistic regression: an extension of relative weight analysis.
*Organizational Research Methods* 13(4), 767-781; (2011) Relative importance
analysis: a useful supplement to regression analysis. *Journal of Business and
Psychology* 26, 1-9.
Azen, R. & Traxel, N. (2009). Using dominance analysis to determine predictor
importance in logistic regression. *Journal of Educational and Behavioral
Statistics* 34(3), 319-347.
"""

from cxlab.key_drivers._common import FAMILIES, MAX_EXACT, MAX_EXACT_LOGISTIC, METHODS
from cxlab.key_drivers.compare import DETRACTOR_COLUMN, compare_methods
from cxlab.key_drivers.engine import Moments, driver_frame, moments
from cxlab.key_drivers.importance import (
    dominance_from_r2,
    relative_weights,
    shapley_from_r2,
    subset_r2,
)
from cxlab.key_drivers.model import KeyDrivers, drivers
from cxlab.key_drivers.narrative import (
    METHOD_NAMES,
    conclusion,
    importance_table,
    intro,
    lead,
    title,
)
from cxlab.key_drivers.performance import importance_performance
from cxlab.key_drivers.plots import plot_importance, plot_importance_performance
from cxlab.key_drivers.ranking import adjacent_pairs, base_text, ranking_text

__all__ = [
    "DETRACTOR_COLUMN",
    "FAMILIES",
    "MAX_EXACT",
    "MAX_EXACT_LOGISTIC",
    "METHODS",
    "METHOD_NAMES",
    "KeyDrivers",
    "Moments",
    "adjacent_pairs",
    "base_text",
    "compare_methods",
    "conclusion",
    "dominance_from_r2",
    "driver_frame",
    "drivers",
    "importance_performance",
    "importance_table",
    "intro",
    "lead",
    "moments",
    "plot_importance",
    "plot_importance_performance",
    "ranking_text",
    "relative_weights",
    "shapley_from_r2",
    "subset_r2",
    "title",
]
