"""Key driver analysis: which attributes move the outcome, from a correlation matrix.

:func:`drivers` ranks drivers (e.g. attribute ratings) by their importance for
an outcome (e.g. likelihood to recommend). The data are read once in the engine
(one Ibis aggregation of sums of weights, sums and centred sums of
cross-products over the complete rows), and every method then works on the
small ``(p + 1) x (p + 1)`` correlation matrix, so the number of rows does not
limit it:

``correlation``
    Zero-order correlation of each driver with the outcome (importance =
    r squared). A quick look; ignores that drivers overlap.
``relative-weights``
    Johnson's (2000) relative weights: regress the outcome on the orthogonal
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
    Shapley values; the result also carries conditional and complete
    dominance in ``result.attrs``.

``sign`` is the sign of the driver's coefficient in the full regression
(Displayr's convention), or of the correlation for ``method="correlation"``.

Binary outcomes (``family="logistic"``, e.g. detractor yes/no) need rows, not a
correlation matrix: the engine groups the complete rows by outcome, drivers
(and weight) and the logistic models are fitted on the grouped rows with
frequency weights (exact; drivers on a rating scale give a manageable number of
groups; continuous drivers may not, and are refused above ``max_groups``).
Relative weights then follow Tonidandel & LeBreton (2010) and Shapley /
dominance use McFadden's pseudo-R^2 on all subsets (Azen & Traxel 2009).

Bootstrap intervals (``bootstrap=B``) use the Poisson bootstrap computed in the
engine: each complete row gets, per replicate, a Poisson(1) weight drawn from a
hash of its position (rows ordered by their values) and the replicate number;
one grouped aggregation then gives ``B`` weighted covariance matrices, and the
intervals are percentiles of the ``B`` importance vectors (Hanley & MacGibbon
2006, "Creating non-parametric bootstrap samples using Poisson frequencies").
For logistic outcomes the same Poisson weights are drawn for the grouped rows
(a sum of ``c`` Poisson(1) weights is Poisson(c)).

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

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab.errors import CxlabError
from cxlab.metrics import as_table

__all__ = [
    "adjacent_pairs",
    "base_text",
    "driver_frame",
    "drivers",
    "importance_performance",
    "moments",
    "plot_importance_performance",
    "ranking_text",
]

METHODS = ("correlation", "relative-weights", "shapley", "dominance")
FAMILIES = ("linear", "logistic")
MAX_EXACT = 20  # drivers for exact Shapley / dominance (linear)
MAX_EXACT_LOGISTIC = 12  # each subset is a logistic fit
_POISSON_CDF = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(10)])
_HASH_MOD = 1 << 30


# --------------------------------------------------------------------------- engine side


@dataclass(frozen=True)
class Moments:
    """Weighted moments of the complete rows, computed in the engine.

    ``cov`` is the weighted covariance ``sum w (x - m)(x - m)' / sum w`` of
    ``columns`` (outcome first); ``n`` the complete rows, ``n_rows`` all rows,
    ``sum_w``/``sum_w2`` the sums of weights and squared weights (``n`` when
    unweighted); ``boot_cov`` the ``(B, k, k)`` Poisson-bootstrap covariances;
    ``lo``/``hi`` each column's smallest and largest value over the complete
    rows (they tell a constant column from one on a small scale).
    """

    columns: tuple[str, ...]
    n_rows: int
    n: int
    sum_w: float
    sum_w2: float
    mean: np.ndarray
    cov: np.ndarray
    boot_cov: np.ndarray | None = None
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None

    @property
    def n_dropped(self) -> int:
        return self.n_rows - self.n

    @property
    def n_eff(self) -> float:
        """Kish effective sample size ``(sum w)^2 / sum w^2``."""
        return self.sum_w**2 / self.sum_w2 if self.sum_w2 > 0 else 0.0

    @property
    def corr(self) -> np.ndarray:
        return _cov_to_corr(self.cov)


def _cov_to_corr(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def _numeric(t: ir.Table, col: str) -> ir.FloatingValue:
    if col not in t.columns:
        raise CxlabError(
            f"column {col!r} not found in data; available: {', '.join(map(str, t.columns))}."
        )
    typ = t[col].type()
    if not (typ.is_numeric() or typ.is_boolean()):
        raise CxlabError(f"column {col!r} must be numeric (or true/false), not {typ}.")
    return t[col].cast("float64")


def _complete(t: ir.Table, columns: Sequence[str], weight: str | None) -> ir.BooleanValue:
    cond = ibis.literal(True)
    for c in [*columns, *([weight] if weight else [])]:
        x = t[c].cast("float64")
        cond = cond & x.notnull() & ~x.isnan()
    return cond


def moments(
    data: pd.DataFrame | ir.Table,
    columns: Sequence[str],
    *,
    weight: str | None = None,
    bootstrap: int = 0,
    seed: int = 0,
) -> Moments:
    """Weighted means and covariance of ``columns`` over the complete rows, in the engine.

    Two aggregations: sums (of weights, weighted values and squared weights,
    with each column's range and count of infinite values) and, around those
    means, weighted sums of cross-products; so the result is numerically
    stable even for columns with a large mean. Missing values (NULL or NaN)
    drop the row; an infinite value is an error (it has no place in a
    covariance), counted in the engine and reported by column. With
    ``bootstrap=B`` a third, grouped aggregation gives ``B`` Poisson-bootstrap
    covariance matrices (see the module docstring).

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
    columns : sequence of str
        Numeric (or boolean) columns.
    weight : str, optional
        Survey weight column (>= 0); rows with a missing weight are dropped.
    bootstrap : int
        Number of Poisson-bootstrap replicates (0 = none).
    seed : int
        Salt of the replicate hash (same seed, same replicates).

    Returns
    -------
    Moments

    Examples
    --------
    >>> import pandas as pd
    >>> m = moments(pd.DataFrame({"y": [1, 2, 3, None], "x": [1, 3, 2, 5]}), ["y", "x"])
    >>> m.n, m.n_dropped, round(float(m.corr[0, 1]), 3)
    (3, 1, 0.5)
    """
    t = as_table(data)
    cols = list(columns)
    xs = {c: _numeric(t, c) for c in cols}
    ok = _complete(t, cols, weight)
    aggs: dict[str, Any] = {"n_rows": t.count(), "n": ok.sum()}
    if weight:
        w = _numeric(t, weight)
        aggs |= {
            "sw": w.sum(where=ok),
            "sw2": (w * w).sum(where=ok),
            "neg_w": (w < 0).sum(where=ok),
        }
        aggs |= {f"s{i}": (w * xs[c]).sum(where=ok) for i, c in enumerate(cols)}
    else:
        aggs |= {f"s{i}": xs[c].sum(where=ok) for i, c in enumerate(cols)}
    aggs |= {f"lo{i}": xs[c].min(where=ok) for i, c in enumerate(cols)}
    aggs |= {f"hi{i}": xs[c].max(where=ok) for i, c in enumerate(cols)}
    checked = [*cols, *([weight] if weight else [])]
    aggs |= {f"inf{i}": _numeric(t, c).isinf().sum() for i, c in enumerate(checked)}
    row = t.aggregate(**aggs).to_pandas().iloc[0]
    _refuse_infinite(data, checked, [int(row[f"inf{i}"] or 0) for i in range(len(checked))])
    n_rows, n = int(row["n_rows"]), int(row["n"] or 0)
    if not weight:
        row["sw"] = row["sw2"] = float(n)
    if weight and int(row["neg_w"] or 0):
        raise CxlabError(
            f"weight column {weight!r}: {int(row['neg_w'])} row(s) with a negative weight; "
            "survey weights must be >= 0."
        )
    sw = float(row["sw"] or 0.0)
    if n == 0 or sw <= 0:
        raise CxlabError(
            f"no complete rows: all {n_rows} row(s) have a missing value in "
            f"{', '.join(map(repr, cols + ([weight] if weight else [])))}"
            + (" or zero total weight." if n else ".")
        )
    mean = np.array([float(row[f"s{i}"]) / sw for i in range(len(cols))])

    c = t.filter(ok)
    xc = {col: c[col].cast("float64") - float(m) for col, m in zip(cols, mean, strict=True)}
    pairs = [(i, j) for i in range(len(cols)) for j in range(i, len(cols))]
    if weight:
        wc = c[weight].cast("float64")
        prod = {f"c{i}_{j}": (wc * xc[cols[i]] * xc[cols[j]]).sum() for i, j in pairs}
    else:
        prod = {f"c{i}_{j}": (xc[cols[i]] * xc[cols[j]]).sum() for i, j in pairs}
    r2 = c.aggregate(**prod).to_pandas().iloc[0]
    cov = np.zeros((len(cols), len(cols)))
    for i, j in pairs:
        cov[i, j] = cov[j, i] = float(r2[f"c{i}_{j}"]) / sw

    boot = None
    if bootstrap:
        boot = _poisson_bootstrap(c, cols, mean, weight, int(bootstrap), seed)
    lo = np.array([float(row[f"lo{i}"]) for i in range(len(cols))])
    hi = np.array([float(row[f"hi{i}"]) for i in range(len(cols))])
    return Moments(tuple(cols), n_rows, n, sw, float(row["sw2"]), mean, cov, boot, lo, hi)


def _refuse_infinite(data: Any, columns: list[str], counts: list[int]) -> None:
    """CxlabError naming the columns with +-inf values, their counts and (pandas) rows."""
    bad = [(c, k) for c, k in zip(columns, counts, strict=True) if k]
    if not bad:
        return
    parts = []
    for c, k in bad:
        where = ""
        if isinstance(data, pd.DataFrame):
            x = pd.to_numeric(data[c], errors="coerce").to_numpy(float)
            rows = data.index[np.isinf(x)][:5].tolist()
            more = ", ..." if k > len(rows) else ""
            where = f" at index {', '.join(map(repr, rows))}{more}"
        parts.append(f"{c!r}: {k} row(s){where}")
    raise CxlabError(
        "infinite values (+inf or -inf) in " + "; ".join(parts) + ". Drivers, outcome and "
        "weight must be finite numbers (missing values are dropped row-wise, infinite ones "
        "cannot be): fix, cap or remove those rows."
    )


def _poisson_weight(u: ir.FloatingValue) -> ir.IntegerValue:
    """Poisson(1) draw by inverting its CDF at the uniform ``u``."""
    k = ibis.literal(0)
    for q in _POISSON_CDF[:9]:
        k = k + (u >= float(q)).cast("int64")
    return k


def _poisson_bootstrap(
    c: ir.Table, cols: list[str], mean: np.ndarray, weight: str | None, b: int, seed: int
) -> np.ndarray:
    # rows ordered by their values: ties are identical rows, so which of them gets which
    # weight does not matter and the replicates are deterministic on any backend
    rn = ibis.row_number().over(order_by=[c[col] for col in cols])
    c = c.mutate(_rn=rn.cast("int64"))
    reps = ibis.memtable(pd.DataFrame({"_rep": np.arange(b, dtype=np.int64)}))
    j = c.cross_join(reps)
    h = (j._rn * b + j._rep + 1 + (int(seed) % 1_000_003) * (1 << 40)).hash()
    u = ((h % _HASH_MOD) + _HASH_MOD) % _HASH_MOD / float(_HASH_MOD)
    pw = _poisson_weight(u).cast("float64")
    j = j.mutate(_w=j[weight].cast("float64") * pw if weight else pw)
    xc = {col: j[col].cast("float64") - float(m) for col, m in zip(cols, mean, strict=True)}
    k = len(cols)
    pairs = [(i, jj) for i in range(k) for jj in range(i, k)]
    aggs = {"sw": j._w.sum()}
    aggs |= {f"s{i}": (j._w * xc[cols[i]]).sum() for i in range(k)}
    aggs |= {f"c{i}_{jj}": (j._w * xc[cols[i]] * xc[cols[jj]]).sum() for i, jj in pairs}
    g = j.group_by("_rep").aggregate(**aggs).order_by("_rep").to_pandas()
    out = np.zeros((b, k, k))
    sw = g["sw"].to_numpy(float)
    s = np.column_stack([g[f"s{i}"].to_numpy(float) for i in range(k)]) / sw[:, None]
    for i, jj in pairs:
        out[:, i, jj] = out[:, jj, i] = g[f"c{i}_{jj}"].to_numpy(float) / sw - s[:, i] * s[:, jj]
    return out


# --------------------------------------------------------------------------- linear algebra


#: A column whose standard deviation is below this fraction of its own magnitude
#: (largest absolute value) varies only at the level of rounding error: constant.
_CONST_REL = 1e-13


def _check_matrix(
    cov: np.ndarray,
    names: Sequence[str],
    n: int,
    outcome: str,
    *,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    mean: np.ndarray | None = None,
) -> None:
    """Refuse what the importances cannot be computed from, judged scale-free.

    Every column is judged on its own scale, never against the others (a spend
    driver in currency units must not make a 0-10 rating look constant): it is
    constant when its smallest and largest values agree, or when its standard
    deviation is below ``_CONST_REL`` times its own magnitude (``max |x|``, else
    the root mean square ``sqrt(mean^2 + var)``), i.e. it varies by rounding
    error only. Collinearity is judged on the correlation matrix of the drivers
    (standardised, so unit-free). Rescaling a column by any positive factor
    changes neither verdict.
    """
    p = len(names) - 1
    if n < p + 2:
        raise CxlabError(
            f"too few complete rows: {n} row(s) for {p} driver(s); a regression needs at least "
            f"{p + 2} (and many more for stable importances)."
        )
    var = np.clip(np.diag(cov), 0.0, None)
    sd = np.sqrt(var)
    if lo is not None and hi is not None:
        mag = np.maximum(np.abs(lo), np.abs(hi))
        flat = lo == hi
    else:
        centre = np.zeros(len(var)) if mean is None else np.asarray(mean, float)
        mag = np.sqrt(centre**2 + var)
        flat = var == 0
    const = [names[i] for i in range(len(names)) if flat[i] or sd[i] <= _CONST_REL * mag[i]]
    if const:
        raise CxlabError(
            f"column(s) {', '.join(map(repr, const))} are constant over the {n} complete rows "
            "(no variation beyond rounding error); a constant outcome or driver has no "
            "importance to measure. Drop it."
        )
    if not np.isfinite(cov).all():
        big = [names[i] for i in range(len(names)) if not np.isfinite(cov[i]).all()]
        raise CxlabError(
            f"column(s) {', '.join(map(repr, big))} are too large for a covariance in double "
            "precision (squares overflow); rescale them (importances do not depend on units)."
        )
    rxx = _cov_to_corr(cov)[1:, 1:]
    vals, vecs = np.linalg.eigh(rxx)
    if vals[0] < 1e-9:
        v = vecs[:, 0]
        involved = [names[1 + i] for i in np.argsort(-np.abs(v)) if abs(v[i]) > 0.1]
        raise CxlabError(
            "the drivers are perfectly collinear (singular correlation matrix; smallest "
            f"eigenvalue {vals[0]:.2g}): {', '.join(map(repr, involved))} are linear "
            "combinations of each other. Drop or combine one of them."
        )


def subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R^2 of every subset of drivers, indexed by bit mask, from correlations.

    ``R^2_S = r_yS' R_SS^{-1} r_yS``; the ``2^p`` solves are batched by subset size.

    Examples
    --------
    >>> import numpy as np
    >>> r2 = subset_r2(np.eye(2), np.array([0.3, 0.4]))
    >>> [round(float(v), 2) for v in r2]
    [0.0, 0.09, 0.16, 0.25]
    """
    p = len(rxy)
    r2 = np.zeros(1 << p)
    for k in range(1, p + 1):
        comb = np.array(list(combinations(range(p), k)), dtype=np.int64)
        a = rxx[comb[:, :, None], comb[:, None, :]]
        b = rxy[comb]
        sol = np.linalg.solve(a, b[:, :, None])[:, :, 0]
        r2[(1 << comb).sum(axis=1)] = (b * sol).sum(axis=1)
    return r2


def _popcount(masks: np.ndarray) -> np.ndarray:
    return np.bitwise_count(masks.astype(np.uint64)).astype(np.int64)


def shapley_from_r2(r2: np.ndarray) -> np.ndarray:
    """Exact Shapley values (LMG) of each player from the fit of every subset.

    ``phi_j = sum_{S not containing j} |S|! (p - |S| - 1)! / p! [v(S + j) - v(S)]``.
    """
    p = int(round(math.log2(len(r2))))
    masks = np.arange(1 << p, dtype=np.int64)
    size = _popcount(masks)
    wk = np.array([math.factorial(k) * math.factorial(p - k - 1) for k in range(p)], float)
    wk /= math.factorial(p)
    phi = np.zeros(p)
    for j in range(p):
        s = masks[(masks >> j) & 1 == 0]
        phi[j] = np.sum(wk[size[s]] * (r2[s | (1 << j)] - r2[s]))
    return phi


def dominance_from_r2(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """General, conditional and complete dominance (Budescu 1993; Azen & Budescu 2003).

    Returns ``(general, conditional, complete)``: ``conditional[j, k]`` is the
    average increment of driver ``j`` over subsets of size ``k`` of the other
    drivers; ``general`` its mean over ``k``; ``complete[i, j]`` is True when
    ``i`` adds more than ``j`` to every subset of the others.
    """
    p = int(round(math.log2(len(r2))))
    masks = np.arange(1 << p, dtype=np.int64)
    size = _popcount(masks)
    cond = np.zeros((p, p))
    for j in range(p):
        s = masks[(masks >> j) & 1 == 0]
        inc = r2[s | (1 << j)] - r2[s]
        cond[j] = np.bincount(size[s], weights=inc, minlength=p) / np.bincount(size[s], minlength=p)
    complete = np.zeros((p, p), dtype=bool)
    for i in range(p):
        for j in range(p):
            if i != j:
                s = masks[((masks >> i) & 1 == 0) & ((masks >> j) & 1 == 0)]
                complete[i, j] = bool(np.all(r2[s | (1 << i)] > r2[s | (1 << j)]))
    return cond.mean(axis=1), cond, complete


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights from correlations; they sum to R^2.

    ``Lambda = R_xx^{1/2}`` (symmetric square root), ``beta = Lambda^{-1} r_xy``
    (the outcome regressed on the orthogonal ``Z``), ``eps = Lambda^2 beta^2``.

    Examples
    --------
    >>> import numpy as np
    >>> [round(float(v), 2) for v in relative_weights(np.eye(2), np.array([0.3, 0.4]))]
    [0.09, 0.16]
    """
    vals, vecs = np.linalg.eigh(rxx)
    lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def _linear_importance(corr: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, dict]:
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    beta = np.linalg.solve(rxx, rxy)
    extra: dict[str, Any] = {"r2": float(rxy @ beta)}
    if method == "correlation":
        return rxy**2, beta, extra
    if method == "relative-weights":
        return relative_weights(rxx, rxy), beta, extra
    r2 = subset_r2(rxx, rxy)
    if method == "shapley":
        return shapley_from_r2(r2), beta, extra
    general, cond, complete = dominance_from_r2(r2)
    extra |= {"conditional": cond, "complete": complete}
    return general, beta, extra


# --------------------------------------------------------------------------- logistic


def _grouped_rows(
    t: ir.Table, outcome: str, names: list[str], weight: str | None, max_groups: int
) -> pd.DataFrame:
    ok = _complete(t, [outcome, *names], weight)
    c = t.filter(ok)
    keys = {f"k{i}": c[col].cast("float64") for i, col in enumerate([outcome, *names])}
    if weight:
        keys["w"] = c[weight].cast("float64")
    g = c.group_by(**keys).aggregate(count=c.count())
    n_groups = int(g.count().to_pandas())
    if n_groups > max_groups:
        raise CxlabError(
            f"a logistic driver model is fitted on the distinct rows of outcome and drivers, and "
            f"there are {n_groups} (more than max_groups={max_groups}). Round continuous "
            "drivers to a rating scale, pass a random sample, or raise max_groups."
        )
    df = g.to_pandas()
    y = df["k0"].to_numpy(float)
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise CxlabError(
            f"family='logistic' needs a 0/1 (or true/false) outcome; {outcome!r} has "
            f"{int(df.loc[bad, 'count'].sum())} row(s) with other values (e.g. {y[bad][0]:g})."
        )
    if not weight:
        df["w"] = 1.0
    return df


def _logit_fit(y: np.ndarray, x: np.ndarray, fw: np.ndarray):
    import statsmodels.api as sm

    exog = sm.add_constant(x, has_constant="add") if x.shape[1] else np.ones((len(y), 1))
    model = sm.GLM(y, exog, family=sm.families.Binomial(), freq_weights=fw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(method="newton", maxiter=100, tol=1e-10)
        if not (fit.mle_retvals.get("converged", True) and np.isfinite(fit.llf)):
            raise ValueError("no convergence")
        if not np.all(np.isfinite(fit.params)):
            raise ValueError("infinite coefficients")
        return fit
    except Exception as exc:  # statsmodels raises PerfectSeparationError & co.
        raise CxlabError(
            f"the logistic driver model could not be fitted ({type(exc).__name__}: {exc}); "
            "perfect separation or too few events?"
        ) from None


def _logistic_importance(
    y: np.ndarray, x: np.ndarray, fw: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray, dict]:
    keep = fw > 0  # rows a bootstrap replicate left out
    y, x, fw = y[keep], x[keep], fw[keep]
    sw = fw.sum()
    mean = fw @ x / sw
    xs = x - mean
    cov = (xs * fw[:, None]).T @ xs / sw
    sd = np.sqrt(np.diag(cov))
    z = xs / sd
    rxx = cov / np.outer(sd, sd)
    yc = y - fw @ y / sw
    rxy = (z * (fw * yc)[:, None]).sum(axis=0) / sw / math.sqrt(fw @ yc**2 / sw)
    if method == "correlation":
        beta = np.linalg.solve(rxx, rxy)
        return rxy**2, beta, {"r2": float(rxy @ beta)}
    full = _logit_fit(y, z, fw)
    b_s = np.asarray(full.params)[1:]  # coefficients of the standardized drivers
    extra: dict[str, Any] = {"r2_mcfadden": float(1 - full.llf / _logit_fit(y, z[:, :0], fw).llf)}
    if method == "relative-weights":
        # Tonidandel & LeBreton (2010): logistic on Z = X R^{-1/2}, coefficients standardized
        # with R_O = corr(y, p_hat) and sd of the predicted logits; eps sums to R_O^2
        vals, vecs = np.linalg.eigh(rxx)
        lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
        b_z = lam @ b_s
        logit = z @ b_s
        sd_logit = math.sqrt(fw @ (logit - fw @ logit / sw) ** 2 / sw)
        ph = np.asarray(full.fittedvalues)
        pc = ph - fw @ ph / sw
        r_o = (fw @ (pc * yc)) / math.sqrt((fw @ pc**2) * (fw @ yc**2))
        beta_std = b_z * r_o / sd_logit
        extra["r2"] = float(r_o**2)
        return (lam**2) @ (beta_std**2), b_s, extra
    p = x.shape[1]
    ll = np.zeros(1 << p)
    for mask in range(1 << p):
        idx = [j for j in range(p) if mask >> j & 1]
        ll[mask] = _logit_fit(y, z[:, idx], fw).llf
    r2 = 1 - ll / ll[0]
    extra["r2"] = float(r2[-1])
    if method == "shapley":
        return shapley_from_r2(r2), b_s, extra
    general, cond, complete = dominance_from_r2(r2)
    extra |= {"conditional": cond, "complete": complete}
    return general, b_s, extra


# --------------------------------------------------------------------------- public API


def drivers(
    data: pd.DataFrame | ir.Table,
    outcome: str,
    drivers: Sequence[str],
    *,
    method: str = "relative-weights",
    weight: str | None = None,
    bootstrap: int = 0,
    level: float = 0.95,
    family: str = "linear",
    seed: int = 0,
    max_groups: int = 200_000,
) -> pd.DataFrame:
    """Rank drivers of an outcome by importance (key driver analysis).

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        One row per respondent, wide (one column per driver); see
        :func:`driver_frame` for a long attribute battery.
    outcome : str
        Outcome column (e.g. ``"ltr"``; 0/1 for ``family="logistic"``).
    drivers : sequence of str
        Driver columns (numeric).
    method : {"relative-weights", "shapley", "dominance", "correlation"}
        See the module docstring.
    weight : str, optional
        Survey weight column (weighted moments; Kish effective n reported).
    bootstrap : int
        Poisson-bootstrap replicates for percentile intervals (0 = none;
        200-1000 is typical).
    level : float
        Interval level.
    family : {"linear", "logistic"}
        ``"logistic"`` for a binary outcome (fitted on grouped rows).
    seed : int
        Salt of the bootstrap replicates.
    max_groups : int
        Most distinct rows a logistic model is fitted on.

    Returns
    -------
    pandas.DataFrame
        One row per driver, most important first: ``driver, importance,
        share, sign, low, high`` (interval of ``importance``), ``share_low,
        share_high, rank, r`` (correlation with the outcome), ``beta``
        (standardized full-model coefficient), ``mean`` (the driver's
        weighted mean over the complete rows: its performance), ``n``,
        ``n_eff``, ``r2``, ``method``, ``level``. ``share`` sums to 1.
        ``attrs`` hold ``n_rows``, ``n_dropped`` (rows with a missing
        value), ``r2`` and, for ``dominance``, ``conditional_dominance`` and
        ``complete_dominance`` (DataFrames); with ``bootstrap``, ``adjacent``
        (:func:`adjacent_pairs`: can each driver be told apart from the next?).

    Raises
    ------
    CxlabError
        Unknown method/family, missing or non-numeric columns, negative
        weights, too few complete rows, a constant column, perfectly
        collinear drivers, more than 20 drivers for an exact method (12 for
        logistic), a non-binary outcome for ``family="logistic"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(size=(500, 3)), columns=["a", "b", "c"])
    >>> df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=500)
    >>> res = drivers(df, "y", ["a", "b", "c"], method="shapley")
    >>> res["driver"].tolist(), round(float(res["share"].sum()), 6)
    (['a', 'b', 'c'], 1.0)
    """
    names = list(drivers) if not isinstance(drivers, str) else [drivers]
    if method not in METHODS:
        raise CxlabError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    if family not in FAMILIES:
        raise CxlabError(f"family must be 'linear' or 'logistic'; got {family!r}.")
    if not names:
        raise CxlabError("drivers: give at least one driver column.")
    dup = sorted({d for d in names if names.count(d) > 1})
    if dup:
        raise CxlabError(f"driver(s) listed twice: {', '.join(map(repr, dup))}.")
    if outcome in names:
        raise CxlabError(f"the outcome {outcome!r} is also listed as a driver.")
    if not 0 < level < 1:
        raise CxlabError(f"level must be between 0 and 1, got {level!r}.")
    if not isinstance(bootstrap, int | np.integer) or bootstrap < 0 or bootstrap == 1:
        raise CxlabError(f"bootstrap must be 0 or an integer >= 2, got {bootstrap!r}.")
    p = len(names)
    cap = MAX_EXACT_LOGISTIC if family == "logistic" else MAX_EXACT
    if method in ("shapley", "dominance") and p > cap:
        raise CxlabError(
            f"exact {method} needs all 2^p subsets; {p} drivers is more than the {cap} allowed "
            f"for a {family} outcome. Use method='relative-weights' (near-identical results)."
        )
    t = as_table(data)
    # the frame itself, not its Ibis view, so errors can name pandas row labels
    m = moments(data, [outcome, *names], weight=weight, bootstrap=0)
    _check_matrix(m.cov, [outcome, *names], m.n, outcome, lo=m.lo, hi=m.hi, mean=m.mean)

    boot_imp = None
    if family == "linear":
        imp, beta, extra = _linear_importance(m.corr, method)
        if bootstrap:
            boot = moments(t, [outcome, *names], weight=weight, bootstrap=bootstrap, seed=seed)
            assert boot.boot_cov is not None  # set whenever bootstrap > 0
            boot_imp = np.array(
                [_linear_importance(_cov_to_corr(c), method)[0] for c in boot.boot_cov]
            )
    else:
        g = _grouped_rows(t, outcome, names, weight, max_groups)
        y = g["k0"].to_numpy(float)
        x = g[[f"k{i + 1}" for i in range(p)]].to_numpy(float)
        cnt, w = g["count"].to_numpy(float), g["w"].to_numpy(float)
        imp, beta, extra = _logistic_importance(y, x, cnt * w, method)
        if bootstrap:
            rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
            boot_imp = np.full((bootstrap, p), np.nan)
            for b in range(bootstrap):
                try:
                    boot_imp[b] = _logistic_importance(y, x, rng.poisson(cnt) * w, method)[0]
                except (CxlabError, np.linalg.LinAlgError):
                    pass  # e.g. perfect separation in a small replicate: left out, counted
            boot_imp = boot_imp[np.isfinite(boot_imp).all(axis=1)]
            failed = bootstrap - len(boot_imp)
            if failed > bootstrap // 10:
                warnings.warn(
                    f"{failed} of {bootstrap} bootstrap replicates of the logistic model could "
                    "not be fitted (separation?); intervals use the others and are optimistic.",
                    stacklevel=2,
                )
            if len(boot_imp) < 2:
                raise CxlabError("bootstrap: fewer than 2 logistic replicates could be fitted.")

    rxy = m.corr[1:, 0]
    sign = np.sign(rxy if method == "correlation" else beta).astype(int)
    total = imp.sum()
    share = imp / total if total > 0 else np.full(p, np.nan)
    a = (1 - level) / 2
    low = high = share_low = share_high = np.full(p, np.nan)
    if boot_imp is not None:
        low, high = np.quantile(boot_imp, [a, 1 - a], axis=0)
        bshare = boot_imp / boot_imp.sum(axis=1, keepdims=True)
        share_low, share_high = np.quantile(bshare, [a, 1 - a], axis=0)
    res = pd.DataFrame(
        {
            "driver": names,
            "importance": imp,
            "share": share,
            "sign": sign,
            "low": low,
            "high": high,
            "share_low": share_low,
            "share_high": share_high,
            "r": rxy,
            "beta": beta,
            "mean": m.mean[1:],
            "n": m.n,
            "n_eff": round(m.n_eff, 1),
            "r2": extra["r2"],
            "method": method,
            "family": family,
            "level": level,
        }
    )
    res = res.sort_values("importance", ascending=False, kind="stable")
    order = res.index.to_numpy()
    res = res.reset_index(drop=True)
    res.insert(6, "rank", np.arange(1, p + 1))
    res.attrs |= {"n_rows": m.n_rows, "n_dropped": m.n_dropped, "r2": extra["r2"]}
    if boot_imp is not None and p > 1:
        res.attrs["adjacent"] = _adjacent_from_boot(res, bshare[:, order], level)
    if boot_imp is not None:
        res.attrs["bootstrap_failed"] = int(bootstrap - len(boot_imp))
    if "r2_mcfadden" in extra:
        res.attrs["r2_mcfadden"] = extra["r2_mcfadden"]
    if "conditional" in extra:
        res.attrs["conditional_dominance"] = pd.DataFrame(
            extra["conditional"], index=names, columns=[f"k={k}" for k in range(p)]
        )
        res.attrs["complete_dominance"] = pd.DataFrame(
            extra["complete"], index=names, columns=names
        )
    return res


def driver_frame(
    ratings: ir.Table | pd.DataFrame,
    responses: ir.Table | pd.DataFrame,
    *,
    outcome: str = "ltr",
    id: str = "response_id",
    attribute: str = "attribute",
    value: str = "rating",
    attributes: Sequence[str] | None = None,
    keep: Sequence[str] = ("weight",),
) -> ir.Table:
    """Pivot a long attribute battery to one row per response, in the engine.

    One conditional aggregation per attribute (``max(rating) filter (where
    attribute = a)``, grouped by response) joined to the responses'
    ``outcome`` and ``keep`` columns. Responses without any rating are not in
    the result; an attribute a response did not rate is null (dropped
    listwise by :func:`drivers`, which reports how many rows it dropped).

    Parameters
    ----------
    ratings : ibis Table or DataFrame
        Long table, e.g. ``con.table("attribute_ratings")``.
    responses : ibis Table or DataFrame
        Table with ``id``, ``outcome`` and ``keep`` columns (already filtered
        to the unit / quarters of interest).
    attributes : sequence of str, optional
        Attributes to pivot (default: all distinct values, sorted).

    Returns
    -------
    ibis Table
        Columns ``id``, one per attribute, ``outcome``, ``keep``.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"response_id": ["a", "a", "b"], "attribute": ["x", "y", "x"],
    ...                      "rating": [3, 4, 5]})
    >>> resp = pd.DataFrame({"response_id": ["a", "b"], "ltr": [7, 9], "weight": [1.0, 2.0]})
    >>> driver_frame(long, resp).order_by("response_id").to_pandas()["y"].tolist()
    [4.0, nan]
    """
    r, s = as_table(ratings), as_table(responses)
    for tab, cols, what in [
        (r, [id, attribute, value], "ratings"),
        (s, [id, outcome, *keep], "responses"),
    ]:
        missing = [c for c in cols if c not in tab.columns]
        if missing:
            raise CxlabError(
                f"column(s) {', '.join(map(repr, missing))} not found in {what}; "
                f"available: {', '.join(tab.columns)}."
            )
    if attributes is None:
        attributes = sorted(r.select(attribute).distinct().to_pandas()[attribute].tolist())
    if not attributes:
        raise CxlabError("driver_frame: the ratings table has no attributes.")
    wide = r.group_by(id).aggregate(
        **{a: r[value].cast("float64").max(where=r[attribute] == a) for a in attributes}
    )
    return wide.inner_join(s.select(id, outcome, *keep), id)


_QUADRANTS = {
    (True, False): "key weakness",
    (True, True): "key strength",
    (False, False): "secondary weakness",
    (False, True): "secondary strength",
}


def importance_performance(
    result: pd.DataFrame, performance: pd.Series | dict | None = None
) -> pd.DataFrame:
    """Importance-performance table with quadrants.

    Importance is the driver's ``share``; performance its mean rating
    (``result["mean"]`` unless ``performance`` maps driver -> value). Cut
    lines are the means over drivers: high importance and low performance is
    a *key weakness* (fix first), high and high a *key strength*, low
    importance a *secondary* weakness or strength (Martilla & James 1977,
    "Importance-performance analysis", *Journal of Marketing* 41(1)).

    Returns
    -------
    pandas.DataFrame
        ``driver, importance, performance, quadrant`` (plus ``low``/``high``
        share intervals when the result has them); attrs ``importance_cut``
        and ``performance_cut``.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"driver": ["a", "b"], "share": [0.7, 0.3], "mean": [5.0, 8.0]})
    >>> importance_performance(res)["quadrant"].tolist()
    ['key weakness', 'secondary strength']
    """
    out = pd.DataFrame({"driver": result["driver"], "importance": result["share"]})
    if performance is None:
        if "mean" not in result:
            raise CxlabError("importance_performance: give performance (driver -> mean rating).")
        out["performance"] = result["mean"].to_numpy(float)
    else:
        perf = pd.Series(performance)
        missing = sorted(set(out["driver"]) - set(perf.index))
        if missing:
            raise CxlabError(f"performance is missing driver(s): {', '.join(map(repr, missing))}.")
        out["performance"] = out["driver"].map(perf).astype(float)
    for a, b in (("low", "share_low"), ("high", "share_high")):
        if b in result:
            out[a] = result[b].to_numpy(float)
    ic, pc = float(out["importance"].mean()), float(out["performance"].mean())
    out["quadrant"] = [
        _QUADRANTS[(i >= ic, v >= pc)]
        for i, v in zip(out["importance"], out["performance"], strict=True)
    ]
    out.attrs |= {"importance_cut": ic, "performance_cut": pc}
    return out


def plot_importance_performance(
    table: pd.DataFrame, *, ax: Any = None, title: str | None = None, percent: bool = True
) -> Any:
    """Importance-performance chart: x = performance, y = importance, quadrant lines.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`importance_performance`.
    ax : matplotlib Axes, optional
    title : str, optional
    percent : bool
        Show importance as a percentage share.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"driver": ["a", "b"], "share": [0.7, 0.3], "mean": [5.0, 8.0]})
    >>> ax = plot_importance_performance(importance_performance(res))
    """
    from cxlab.plots import literal_plot

    # driver names come from data: drawn as written, never as mathtext
    return literal_plot(_plot_importance_performance)(table, ax=ax, title=title, percent=percent)


def _plot_importance_performance(
    table: pd.DataFrame, *, ax: Any, title: str | None, percent: bool
) -> Any:
    import matplotlib.pyplot as plt

    from cxlab.plots import draw_intervals

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    k = 100.0 if percent else 1.0
    x = table["performance"].to_numpy(float)
    y = table["importance"].to_numpy(float) * k
    colours = {
        "key weakness": "#c0392b",
        "key strength": "#1e7b4f",
        "secondary weakness": "#d98c3a",
        "secondary strength": "#5b7fa6",
    }
    c = [colours[q] for q in table["quadrant"]]
    if "low" in table and table["low"].notna().all():
        lo, hi = table["low"].to_numpy(float) * k, table["high"].to_numpy(float) * k
        draw_intervals(ax, x, lo, hi, vertical=True, color="#999999", linewidth=1)
    ax.scatter(x, y, c=c, s=60, zorder=3)
    ic, pc = (
        table.attrs.get("importance_cut", y.mean() / k) * k,
        table.attrs.get("performance_cut", x.mean()),
    )
    ax.axhline(ic, color="#777777", lw=1, ls="--")
    ax.axvline(pc, color="#777777", lw=1, ls="--")
    for xi, yi, name in zip(x, y, table["driver"], strict=True):
        ax.annotate(name, (xi, yi), xytext=(6, 4), textcoords="offset points", fontsize=9)
    xr = max(x.max() - x.min(), 1e-9)
    yr = max(y.max() - y.min(), 1e-9)
    ax.set_xlim(x.min() - 0.15 * xr, x.max() + 0.35 * xr)
    ax.set_ylim(max(0.0, y.min() - 0.15 * yr), y.max() + 0.2 * yr)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    labels = [
        (x0, y1, "KEY WEAKNESSES\nfix first", "left", "top", "key weakness"),
        (x1, y1, "KEY STRENGTHS\nprotect", "right", "top", "key strength"),
        (x0, y0, "secondary weaknesses", "left", "bottom", "secondary weakness"),
        (x1, y0, "secondary strengths", "right", "bottom", "secondary strength"),
    ]
    for lx, ly, text, ha, va, q in labels:
        ax.text(
            lx + (0.01 if ha == "left" else -0.01) * (x1 - x0),
            ly + (-0.02 if va == "top" else 0.02) * (y1 - y0),
            text,
            ha=ha,
            va=va,
            fontsize=9,
            color=colours[q],
            fontweight="bold",
        )
    ax.set_xlabel("Performance (mean rating)")
    ax.set_ylabel("Importance (% of explained variance)" if percent else "Importance (share)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax


# --------------------------------------------------------------------- report sentences


def _adjacent_from_boot(res: pd.DataFrame, bshare: np.ndarray, level: float) -> pd.DataFrame:
    """Percentile interval of share(rank k) - share(rank k + 1) over the same replicates."""
    a = (1 - level) / 2
    rows = []
    for k in range(len(res) - 1):
        d = bshare[:, k] - bshare[:, k + 1]
        lo, hi = np.quantile(d, [a, 1 - a])
        rows.append(
            {
                "rank": k + 1,
                "driver": res["driver"].iloc[k],
                "next_driver": res["driver"].iloc[k + 1],
                "diff": float(res["share"].iloc[k] - res["share"].iloc[k + 1]),
                "low": float(lo),
                "high": float(hi),
                "separated": bool(lo > 0 or hi < 0),
                "basis": "difference",
            }
        )
    return pd.DataFrame(rows)


def adjacent_pairs(result: pd.DataFrame) -> pd.DataFrame:
    """Can each driver be told apart from the next one in the ranking?

    Every adjacent pair of a :func:`drivers` result (rank 1 vs 2, 2 vs 3, ...).
    With bootstrap replicates the pair is judged on the percentile interval of
    the *difference* of the two shares over the same replicates (a paired
    comparison: two overlapping intervals can still differ); the pair is told
    apart when that interval excludes 0. Without replicates (a result built
    elsewhere) the fallback is the cruder overlap of the two share intervals.
    The ranking was chosen after looking, so adjacent gaps are biased upward
    (a pair told apart is a pair worth a second look, not proof).

    Returns
    -------
    pandas.DataFrame
        ``rank, driver, next_driver, diff, low, high, separated, basis``
        (``basis`` is ``"difference"`` or ``"overlap"``; shares as fractions).
        Empty without intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"driver": ["a", "b", "c"], "share": [0.5, 0.3, 0.2],
    ...                     "share_low": [0.42, 0.25, 0.12], "share_high": [0.58, 0.36, 0.27]})
    >>> adjacent_pairs(res)[["rank", "separated"]].values.tolist()
    [[1, True], [2, False]]
    """
    adj = result.attrs.get("adjacent")
    if isinstance(adj, pd.DataFrame):
        return adj.copy()
    cols = ["rank", "driver", "next_driver", "diff", "low", "high", "separated", "basis"]
    if "share_low" not in result or result["share_low"].isna().any() or len(result) < 2:
        return pd.DataFrame(columns=cols)
    r = result.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)
    rows = []
    for k in range(len(r) - 1):
        a, b = r.iloc[k], r.iloc[k + 1]
        rows.append(
            {
                "rank": k + 1,
                "driver": a["driver"],
                "next_driver": b["driver"],
                "diff": float(a["share"] - b["share"]),
                "low": np.nan,
                "high": np.nan,
                "separated": bool(a["share_low"] > b["share_high"]),
                "basis": "overlap",
            }
        )
    return pd.DataFrame(rows, columns=cols)


def base_text(result: pd.DataFrame) -> str:
    """The base of a :func:`drivers` result, with the effective n when weights were used.

    ``n`` is the number of complete responses; ``n_eff`` Kish's effective
    sample size of their weights (Kish 1965, *Survey Sampling*), shown only
    when it differs from ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> base_text(pd.DataFrame({"n": [4038], "n_eff": [3187.4]}))
    'n = 4,038 responses (effective n = 3,187 with weights)'
    >>> base_text(pd.DataFrame({"n": [250], "n_eff": [250.0]}))
    'n = 250 responses'
    """
    n = int(result["n"].iloc[0])
    text = f"n = {n:,} responses"
    if "n_eff" in result:
        ne = float(result["n_eff"].iloc[0])
        if np.isfinite(ne) and round(ne) != n:
            text += f" (effective n = {ne:,.0f} with weights)"
    return text


def ranking_text(result: pd.DataFrame) -> str:
    """Which drivers the data can tell apart: one clause per adjacent pair (Markdown).

    Built from :func:`adjacent_pairs`; every pair of the ranking is covered
    (``1 vs 2``, ``2 vs 3``, ...). Names are escaped with
    :func:`cxlab.report.md_escape`.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"driver": ["a", "b", "c"], "share": [0.5, 0.3, 0.2],
    ...                     "share_low": [0.42, 0.25, 0.12], "share_high": [0.58, 0.36, 0.27]})
    >>> print(ranking_text(res))
    Can the ranking be told apart? 1 vs 2 (a, b): intervals do not overlap, told apart; 2 vs 3 (b, c): intervals overlap, cannot be told apart.
    """
    from cxlab._html import md_escape as e

    adj = adjacent_pairs(result)
    if adj.empty:
        return (
            "No intervals were computed (bootstrap = 0): the ranking cannot be checked, so "
            "treat small gaps in it as noise."
        )
    level = float(result["level"].iloc[0]) if "level" in result else 0.95
    parts = []
    for r in adj.itertuples():
        head = f"{r.rank} vs {r.rank + 1} ({e(r.driver)}, {e(r.next_driver)}): "
        if r.basis == "difference":
            gap = (
                f"difference {100 * r.diff:+.1f} points ({level:.0%} interval "
                f"{100 * r.low:+.1f} to {100 * r.high:+.1f})"
            )
            verdict = "told apart" if r.separated else "cannot be told apart"
            parts.append(head + f"{gap}, {verdict}")
        else:
            parts.append(
                head
                + (
                    "intervals do not overlap, told apart"
                    if r.separated
                    else "intervals overlap, cannot be told apart"
                )
            )
    text = "Can the ranking be told apart? " + "; ".join(parts) + "."
    if adj["basis"].iloc[0] == "difference":
        text += (
            " (Bootstrap interval of the difference in share of explained variation between "
            "neighbours; the ranking was chosen after looking, so read a close call as a tie.)"
        )
    return text
