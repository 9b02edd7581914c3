"""Engine side of key driver analysis: one read of the data, in the database.

:func:`moments` computes the weighted means and covariance matrix of the score
and the drivers over the complete rows with two Ibis aggregations (and, for
bootstrap intervals, one grouped aggregation giving every Poisson-bootstrap
replicate's covariance matrix); :func:`grouped_rows` gives the distinct rows
a logistic model is fitted on; :func:`driver_frame` pivots a long attribute
battery to one row per response. Everything after this module works on those
small summaries, so the number of rows does not limit the analysis.

Source: Hanley, J. A. & MacGibbon, B. (2006). Creating non-parametric bootstrap
samples using Poisson frequencies. *Computer Methods and Programs in
Biomedicine* 83(1), 57-62.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab._checks import as_table, check_columns, renamed
from cxlab.errors import CxlabError
from cxlab.key_drivers._common import complete_rows, cov_to_corr, numeric
from cxlab.stats import kish_n

__all__ = ["Moments", "driver_frame", "grouped_rows", "moments"]

_POISSON_CDF = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(10)])
_HASH_MOD = 1 << 30


@dataclass(frozen=True)
class Moments:
    """Weighted moments of the complete rows, computed in the engine.

    ``cov`` is the weighted covariance ``sum w (x - m)(x - m)' / sum w`` of
    ``columns`` (the score first); ``n`` the complete rows, ``n_rows`` all rows,
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
        """Kish effective sample size ``(sum w)^2 / sum w^2`` (:func:`cxlab.stats.kish_n`)."""
        return float(kish_n(self.sum_w, self.sum_w2))

    @property
    def corr(self) -> np.ndarray:
        return cov_to_corr(self.cov)


def moments(
    data: pd.DataFrame | ir.Table,
    columns: Sequence[str],
    *,
    weight: str | None = None,
    n_boot: int = 0,
    seed: int = 0,
    bootstrap: int | None = None,
) -> Moments:
    """Weighted means and covariance of ``columns`` over the complete rows, in the engine.

    Two aggregations: sums (of weights, weighted values and squared weights,
    with each column's range and count of infinite values) and, around those
    means, weighted sums of cross-products; so the result is numerically
    stable even for columns with a large mean. Missing values (NULL or NaN)
    drop the row; an infinite value is an error (it has no place in a
    covariance), counted in the engine and reported by column. With
    ``n_boot=B`` a third, grouped aggregation gives ``B`` Poisson-bootstrap
    covariance matrices: each complete row gets, per replicate, a Poisson(1)
    weight drawn from a hash of its position (rows ordered by their values)
    and the replicate number (Hanley & MacGibbon 2006).

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
    columns : sequence of str
        Numeric (or boolean) columns.
    weight : str, optional
        Survey weight column (>= 0); rows with a missing weight are dropped.
    n_boot : int
        Number of Poisson-bootstrap replicates (0 = none).
    seed : int
        Salt of the replicate hash (same seed, same replicates).
    bootstrap : int, optional
        Former name of ``n_boot`` (still accepted).

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
    if bootstrap is not None:
        n_boot = renamed(n_boot if n_boot else None, bootstrap, "n_boot", "bootstrap")[0] or 0
    t = as_table(data)
    cols = list(columns)
    ok = complete_rows(t, cols, weight)
    row = _sums(data, t, cols, weight, ok)
    sw = float(row["sw"])
    mean = np.array([float(row[f"s{i}"]) / sw for i in range(len(cols))])
    c = t.filter(ok)
    cov = _cross_products(c, cols, mean, weight) / sw
    boot = None
    if n_boot:
        boot = _poisson_bootstrap(c, cols, mean, weight, int(n_boot), seed)
    lo = np.array([float(row[f"lo{i}"]) for i in range(len(cols))])
    hi = np.array([float(row[f"hi{i}"]) for i in range(len(cols))])
    n_rows, n = int(row["n_rows"]), int(row["n"])
    return Moments(tuple(cols), n_rows, n, sw, float(row["sw2"]), mean, cov, boot, lo, hi)


def _sums(
    data: Any, t: ir.Table, cols: list[str], weight: str | None, ok: ir.BooleanValue
) -> pd.Series:
    """First aggregation: counts, sums of weights and weighted values, ranges, infinities.

    Refuses infinite values, negative weights and an empty base; returns the
    row with ``n`` filled in and ``sw``/``sw2`` set to ``n`` when unweighted.
    """
    xs = {c: numeric(t, c) for c in cols}
    aggs: dict[str, Any] = {"n_rows": t.count(), "n": ok.sum()}
    if weight:
        w = numeric(t, weight)
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
    aggs |= {f"inf{i}": numeric(t, c).isinf().sum() for i, c in enumerate(checked)}
    row = t.aggregate(**aggs).to_pandas().iloc[0]
    _refuse_infinite(data, checked, [int(row[f"inf{i}"] or 0) for i in range(len(checked))])
    n_rows, n = int(row["n_rows"]), int(row["n"] or 0)
    row["n"] = n
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
    return row


def _cross_products(
    c: ir.Table, cols: list[str], mean: np.ndarray, weight: str | None
) -> np.ndarray:
    """Second aggregation: weighted sums of cross-products around ``mean`` (a k x k array)."""
    xc = {col: c[col].cast("float64") - float(m) for col, m in zip(cols, mean, strict=True)}
    pairs = [(i, j) for i in range(len(cols)) for j in range(i, len(cols))]
    if weight:
        wc = c[weight].cast("float64")
        prod = {f"c{i}_{j}": (wc * xc[cols[i]] * xc[cols[j]]).sum() for i, j in pairs}
    else:
        prod = {f"c{i}_{j}": (xc[cols[i]] * xc[cols[j]]).sum() for i, j in pairs}
    r2 = c.aggregate(**prod).to_pandas().iloc[0]
    out = np.zeros((len(cols), len(cols)))
    for i, j in pairs:
        out[i, j] = out[j, i] = float(r2[f"c{i}_{j}"])
    return out


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
        "infinite values (+inf or -inf) in " + "; ".join(parts) + ". Drivers, score and "
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


def grouped_rows(
    t: ir.Table, score: str, names: list[str], weight: str | None, max_groups: int
) -> pd.DataFrame:
    """The distinct complete rows of score, drivers (and weight) with their counts.

    Columns ``k0`` (the score, checked to be 0/1), ``k1..kp`` (the drivers),
    ``w`` (the weight, 1.0 when unweighted) and ``count``; one grouped
    aggregation in the engine. More than ``max_groups`` distinct rows is
    refused (continuous drivers: round them or sample).
    """
    ok = complete_rows(t, [score, *names], weight)
    c = t.filter(ok)
    keys = {f"k{i}": c[col].cast("float64") for i, col in enumerate([score, *names])}
    if weight:
        keys["w"] = c[weight].cast("float64")
    g = c.group_by(**keys).aggregate(count=c.count())
    n_groups = int(g.count().to_pandas())
    if n_groups > max_groups:
        raise CxlabError(
            f"a logistic driver model is fitted on the distinct rows of score and drivers, and "
            f"there are {n_groups} (more than max_groups={max_groups}). Round continuous "
            "drivers to a rating scale, pass a random sample, or raise max_groups."
        )
    df = g.to_pandas()
    y = df["k0"].to_numpy(float)
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise CxlabError(
            f"family='logistic' needs a 0/1 (or true/false) score; {score!r} has "
            f"{int(df.loc[bad, 'count'].sum())} row(s) with other values (e.g. {y[bad][0]:g})."
        )
    if not weight:
        df["w"] = 1.0
    return df


def driver_frame(
    ratings: ir.Table | pd.DataFrame,
    responses: ir.Table | pd.DataFrame,
    *,
    score: str | None = None,
    id: str = "response_id",
    attribute: str = "attribute",
    value: str = "rating",
    attributes: Sequence[str] | None = None,
    keep: Sequence[str] = ("weight",),
    outcome: str | None = None,
) -> ir.Table:
    """Pivot a long attribute battery to one row per response, in the engine.

    One conditional aggregation per attribute (``max(rating) filter (where
    attribute = a)``, grouped by response) joined to the responses'
    ``score`` and ``keep`` columns. Responses without any rating are not in
    the result; an attribute a response did not rate is null (dropped
    listwise by :func:`drivers`, which reports how many rows it dropped).

    Parameters
    ----------
    ratings : ibis Table or DataFrame
        Long table, e.g. ``con.table("attribute_ratings")``.
    responses : ibis Table or DataFrame
        Table with ``id``, ``score`` and ``keep`` columns (already filtered
        to the unit / quarters of interest).
    score : str
        The responses' score column (default ``"ltr"``).
    attributes : sequence of str, optional
        Attributes to pivot (default: all distinct values, sorted).
    outcome : str, optional
        Former name of ``score`` (still accepted).

    Returns
    -------
    ibis Table
        Columns ``id``, one per attribute, ``score``, ``keep``.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"response_id": ["a", "a", "b"], "attribute": ["x", "y", "x"],
    ...                      "rating": [3, 4, 5]})
    >>> resp = pd.DataFrame({"response_id": ["a", "b"], "ltr": [7, 9], "weight": [1.0, 2.0]})
    >>> driver_frame(long, resp).order_by("response_id").to_pandas()["y"].tolist()
    [4.0, nan]
    """
    score = renamed(score, outcome, "score", "outcome")[0] or "ltr"
    r, s = as_table(ratings), as_table(responses)
    check_columns(r, [id, attribute, value], "ratings")
    check_columns(s, [id, score, *keep], "responses")
    if attributes is None:
        attributes = sorted(r.select(attribute).distinct().to_pandas()[attribute].tolist())
    if not attributes:
        raise CxlabError("driver_frame: the ratings table has no attributes.")
    wide = r.group_by(id).aggregate(
        **{a: r[value].cast("float64").max(where=r[attribute] == a) for a in attributes}
    )
    return wide.inner_join(s.select(id, score, *keep), id)
