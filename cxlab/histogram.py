"""Scores counted where the data live: one GROUP BY per call, weights summed exactly.

:func:`histogram` is the one engine aggregation behind :mod:`cxlab.metrics`
(``nps``, ``csat``, ``ces``): rows per group and score value, and, when weighted,
the sums of the weights and of their squares (for Kish's effective n), summed as
fixed-point DECIMAL so a weighted count is the same in every run whatever the
engine's thread order (:func:`fixed_point_shift`). :func:`by_list` is the one
reading of a ``by`` argument.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab.errors import CxlabError

__all__ = ["FIXED_BITS", "by_list", "fixed_point_shift", "histogram", "weight_problems"]


def by_list(by: str | Sequence[str] | None) -> list[str]:
    """The grouping columns of a ``by`` argument: none, one name or several.

    Examples
    --------
    >>> by_list(None), by_list("unit"), by_list(("unit", "quarter"))
    ([], ['unit'], ['unit', 'quarter'])
    """
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def histogram(
    t: ir.Table,
    score: str,
    by: list[str],
    weight: str | None,
    scale: tuple[int, int],
    *,
    shift: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of each score value per group, from one ``GROUP BY by, score`` in the engine.

    The histogram is the whole summary every metric here needs (NPS, top-box
    shares, means and variances are exact functions of it) and checking the
    rules on it costs nothing: a value outside the scale or not a whole number
    shows up as a key. Weighted data add the sum of weights and of squared
    weights per cell.

    Weights are checked first, in one scan (:func:`fixed_point_shift`), and
    summed as fixed-point integers (DECIMAL), so a weighted count is the same
    to the last digit however many threads the engine uses; the engine's rows
    are sorted before anything is summed from them. Extreme weights (largest
    outside 2^-400..2^400, e.g. 1e155, whose squares overflow as floats) leave
    ``ws`` and ``w2`` as the sums of the weights divided by a power of two near
    the largest and of their squares, ``w`` the true totals. A power-of-two
    factor is exact, so shares and the Kish n are unchanged.

    ``shift`` (default: :func:`fixed_point_shift` of ``t``) lets several calls share
    one fixed-point scale, e.g. the histogram of a subset of ``t``'s rows (a theme's
    mentioners) given the shift of all of them, so their sums can be subtracted.

    Returns
    -------
    (groups, hist)
        ``groups``: the group columns plus ``n`` (scored rows) and ``n_missing``,
        sorted; ``hist``: the group columns plus ``_score``, ``count``, ``w``,
        ``ws`` and ``w2`` (``w`` = ``ws`` = ``count`` = ``w2`` when unweighted),
        scored rows only.
    """
    lo, hi = scale
    s = t[score]
    if not s.type().is_numeric():
        raise CxlabError(f"column {score!r} must be numeric (a {lo}-{hi} score), not {s.type()}.")

    if weight is None:
        shift = 0
    elif shift is None:
        shift = fixed_point_shift(t, score, weight)
    aggs: dict[str, Any] = {"count": t.count()}
    if weight is not None:
        # the weight in units of 2^-shift, a whole number below 2^40, as DECIMAL(38, 0):
        # sums of decimals are exact integers, so no thread order changes a digit
        w = t[weight].cast("float64") * 2.0 ** (shift // 2) * 2.0 ** (shift - shift // 2)
        wi = w.round().cast("decimal(38, 0)")
        aggs |= {"ws": wi.sum(), "w2": (wi * wi).sum()}
    raw = t.group_by([*by, s.name("_score")]).aggregate(**aggs).to_pandas()
    for c in by:
        # a group column with no value at all comes back as objects (None); pandas
        # groups such labels under a float NaN key, so hold them as floats to match
        if raw[c].dtype == object and raw[c].isna().all():
            raw[c] = raw[c].astype("float64")
    raw["_score"] = raw["_score"].astype("float64")  # cast the small result, not the rows
    # one order for the engine's rows, so the sums over them below are reproducible
    raw = raw.sort_values([*by, "_score"], kind="stable", na_position="last")
    raw = raw.reset_index(drop=True)
    missing = raw["_score"].isna()
    hist = raw[~missing].copy()
    x = hist["_score"]
    bad = (x < lo) | (x > hi) | (x != np.round(x))
    if bad.any():
        values = ", ".join(f"{v:g}" for v in sorted(set(x[bad]))[:5])
        raise CxlabError(
            f"column {score!r}: {int(hist.loc[bad, 'count'].sum())} row(s) break the rule "
            f"'whole number from {lo} to {hi}' (offending values include {values})."
        )
    if weight is not None:
        ws = hist["ws"].astype("float64").fillna(0.0).to_numpy()
        w2 = hist["w2"].astype("float64").fillna(0.0).to_numpy()
        # extreme weights (largest outside 2^-400..2^400) keep ws, w2 near the largest
        # weight's scale so that their ratios neither overflow nor underflow
        top = 40 - shift  # the largest weight is below 2^top
        k = top - 1 if not -400 < top <= 401 else 0
        hist["w"] = np.ldexp(ws, -shift)
        hist["ws"] = np.ldexp(ws, -shift - k)
        hist["w2"] = np.ldexp(w2, -2 * (shift + k))
    else:
        hist["w"] = hist["count"].astype(float)
        hist["ws"] = hist["w"]
        hist["w2"] = hist["w"]
    if by and raw.empty:  # no rows at all (e.g. nobody mentions any theme): no groups
        groups = raw[by].assign(n=pd.Series(dtype="int64"), n_missing=pd.Series(dtype="int64"))
    elif by:
        groups = raw[by].drop_duplicates().sort_values(by, kind="stable", na_position="last")
        groups = groups.reset_index(drop=True)
        counts = hist.groupby(by, dropna=False)["count"].sum().rename("n")
        gaps = raw[missing].groupby(by, dropna=False)["count"].sum().rename("n_missing")
        groups = groups.join(counts, on=by).join(gaps, on=by)
    else:
        groups = pd.DataFrame(
            {"n": [hist["count"].sum()], "n_missing": [raw.loc[missing, "count"].sum()]}
        )
    groups[["n", "n_missing"]] = groups[["n", "n_missing"]].fillna(0).astype("int64")
    return groups, hist


FIXED_BITS = 40


def fixed_point_shift(t: ir.Table, score: str, weight: str) -> int:
    """The power of two that makes every weight of a scored row a whole number below 2^40.

    Summing floating-point weights in a parallel engine adds them in an order set
    by its threads, so the last digits of a weighted count could change from run to
    run. :func:`histogram` sums ``round(w * 2^shift)`` as DECIMAL instead: integer
    sums are exact in any order. The weights are checked here, in the same scan
    (present, finite, >= 0 on every scored row). A weight is kept to within
    2^-41 of the largest weight (about 5e-13 of it), far below any survey's
    precision; smaller weights than that count as 0.
    """
    w = t[weight].cast("float64")
    scored = t[score].notnull()
    row = (
        t.aggregate(
            n=scored.sum(),
            n_w=w.count(where=scored),
            lo=w.min(where=scored),
            hi=w.max(where=scored),  # NaN if any weight is NaN (DuckDB sorts NaN last)
        )
        .to_pandas()
        .iloc[0]
    )
    n = int(0 if pd.isna(row["n"]) else row["n"])
    if n == 0:
        return 0
    lo, hi = float(row["lo"]), float(row["hi"])
    if int(row["n_w"]) < n or not (np.isfinite(hi) and lo >= 0):
        raise weight_problems(t, score, weight)
    return FIXED_BITS - math.frexp(hi)[1] if hi > 0 else 0


def weight_problems(t: ir.Table, score: str, weight: str) -> CxlabError:
    """The message for survey weights that break the rules, with a count of each kind."""
    w = t[weight].cast("float64")
    scored = t[score].notnull()
    finite = ~w.isnan() & ~w.isinf()
    counts = t.aggregate(
        neg=(w < 0).sum(where=scored),
        null=w.isnull().sum(where=scored),
        bad=(~finite).sum(where=scored),
    ).to_pandas()
    neg, null, inf = (int(counts[c].fillna(0).iloc[0]) for c in ("neg", "null", "bad"))
    return CxlabError(
        f"column {weight!r}: survey weights must be present, finite and >= 0 for "
        f"every scored row; {neg} row(s) are negative, {null} missing and {inf} "
        "infinite or NaN."
    )
