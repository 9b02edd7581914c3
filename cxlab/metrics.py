"""CX metrics by group: counts in the engine, inference on the summary.

Every function here takes ``data`` (a pandas DataFrame or an Ibis table, e.g.
``cxlab.warehouse.connect(db).table("responses")``) and column names, runs one
Ibis aggregation where the data live (``GROUP BY`` the ``by`` columns and the
score: at most eleven counts per group, plus weight sums when weighted) and
derives everything from that small histogram with :mod:`cxlab.stats`: the
three NPS counts, top-box shares, means and variances, and the input checks
(a score outside the scale or not a whole number appears as a key of the
histogram). A pandas DataFrame goes through the same path via an in-memory
DuckDB table, so an analyst's frame and a 10-million-row warehouse give the
same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats
from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError
from cxlab.histogram import by_list, histogram
from cxlab.schema import SCALES
from cxlab.stats.intervals import check_prior

DEFAULT_BANDS = stats.BASE_BANDS


def _per_group(
    groups: pd.DataFrame, hist: pd.DataFrame, by: list[str], values: pd.DataFrame
) -> pd.DataFrame:
    """Sum ``values`` (a frame aligned with ``hist``) per group, in ``groups`` order."""
    if not by:
        return pd.DataFrame([values.sum()]).reset_index(drop=True)
    summed = values.groupby([hist[c] for c in by], dropna=False).sum()
    return groups[by].join(summed, on=by)[list(values.columns)].fillna(0.0).reset_index(drop=True)


def nps(
    data: pd.DataFrame | ir.Table,
    score: str,
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    method: str = "adjusted-wald",
    level: float = 0.95,
    breaks: tuple[int, int] = (6, 8),
    bands: tuple[int, int] = DEFAULT_BANDS,
    n_boot: int = 10_000,
    seed: int | None = 0,
    prior: str | float | None = None,
) -> pd.DataFrame:
    """Net Promoter Score with an interval and a base-size flag, one row per group.

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        One row per response.
    score : str
        Likelihood-to-recommend column, whole numbers 0-10. Missing values are
        left out and counted in ``n_missing``.
    by : str or list of str, optional
        Group columns (e.g. ``["unit", "quarter"]``).
    weight : str, optional
        Survey-weight column (finite, >= 0). Shares are weighted and intervals
        use the Kish effective sample size (computed stably for any weight
        magnitude); ``bootstrap`` then resamples rows with their
        weights (on the table of distinct category-weight pairs, computed in the
        engine).
    method : {"adjusted-wald", "wald", "score", "bootstrap", "bayes"}
        Interval method, see :func:`cxlab.stats.nps_counts`.
    level : float
        Confidence level.
    breaks : (int, int)
        Highest detractor score and highest passive score: the default (6, 8)
        makes 0-6 detractors, 7-8 passives, 9-10 promoters.
    bands : (int, int)
        Base-size bands for ``flag`` (see :func:`cxlab.stats.base_flag`).
    n_boot, seed : int
        Replicates and seed for the bootstrap and Bayesian methods.
    prior : {"uniform", "jeffreys"} or float, optional
        Dirichlet prior of ``method="bayes"`` (see
        :func:`cxlab.stats.nps_counts`; ``"jeffreys"`` covers better near 0% or
        100% promoters).

    Returns
    -------
    pandas.DataFrame
        Group columns, then ``n, n_missing, detractors, passives, promoters,
        pct_detractors, pct_passives, pct_promoters, nps, se, low, high, method,
        level, n_eff, flag``. ``nps`` is the observed NPS on -100..100; counts are
        weighted totals when ``weight`` is given (``n`` stays the number of
        respondents). ``flag`` is the base-size band of ``n_eff``
        (:func:`cxlab.stats.base_flag`), or ``"empty"`` for a group with no
        scored response or zero total weight, whose estimate and interval
        are NaN (the rule in :mod:`cxlab.stats`).

    Notes
    -----
    Formulas and interval methods: Rocks (2016), "Interval Estimation for the
    Net Promoter Score", *The American Statistician* 70(4); see
    :mod:`cxlab.stats`.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10, 9, 9, 8, 7, 6, 3, 10], "ch": list("aabbaabb")})
    >>> cxlab.nps(df, "ltr", by="ch")[["ch", "n", "nps"]]
      ch  n   nps
    0  a  4  25.0
    1  b  4  25.0
    """
    t = as_table(data)
    by_ = by_list(by)
    check_columns(t, [score, weight, *by_])
    lo_break, hi_break = breaks
    if not 0 <= lo_break < hi_break < 10:
        raise CxlabError(
            f"breaks must satisfy 0 <= detractor max < passive max < 10, not {breaks}."
        )

    check_prior(prior, method, "nps")  # before any work in the engine

    groups, hist = histogram(t, score, by_, weight, SCALES[("responses", "ltr")])
    x = hist["_score"]
    cat = np.select([x <= lo_break, x > hi_break], [-1, 1], 0)
    value, scaled = hist["w"], hist["ws"]
    sums = _per_group(
        groups,
        hist,
        by_,
        pd.DataFrame(
            {
                "detractors": value.where(cat == -1, 0.0),
                "passives": value.where(cat == 0, 0.0),
                "promoters": value.where(cat == 1, 0.0),
                "_d": scaled.where(cat == -1, 0.0),
                "_p": scaled.where(cat == 0, 0.0),
                "_r": scaled.where(cat == 1, 0.0),
                "sum_w2": hist["w2"],
            }
        ),
    )
    summary = pd.concat([groups.reset_index(drop=True), sums], axis=1)

    cells = None
    if weight is not None and method == "bootstrap":
        cells = _bootstrap_cells(t, score, by_, weight, breaks)

    # (rescaled) weighted totals: equal to the totals unless the weights are extreme
    d, p, r = (summary[c].to_numpy(float) for c in ("_d", "_p", "_r"))
    total = d + p + r
    n_eff = None
    if weight is not None:
        n_eff = stats.kish_n(total, summary["sum_w2"].to_numpy(float))
    if cells is None:
        est = stats.nps_counts(
            d,
            p,
            r,
            method=method,
            level=level,
            n_eff=n_eff,
            n_boot=n_boot,
            seed=seed,
            n_rows=None if n_eff is None else summary["n"].to_numpy(float),
            prior=prior,
        )
        est = pd.DataFrame(est).reset_index(drop=True)
    else:
        est = _weighted_bootstrap(summary, cells, by_, level, n_boot, seed)

    return _nps_frame(
        summary,
        by_,
        weighted=weight is not None,
        est=est,
        n_eff=n_eff,
        method=method,
        level=level,
        bands=bands,
    )


def _bootstrap_cells(
    t: ir.Table, score: str, by_: list[str], weight: str, breaks: tuple[int, int]
) -> pd.DataFrame:
    """Distinct (groups, score, weight) cells with their counts, for the weighted bootstrap."""
    lo_break, hi_break = breaks
    scored = t.filter(t[score].notnull())
    keys = [
        *by_,
        scored[score].cast("float64").name("_score"),
        scored[weight].cast("float64").name("w"),
    ]
    cells = scored.group_by(keys).aggregate(count=scored.count()).to_pandas()
    cells["category"] = np.select(
        [cells["_score"] <= lo_break, cells["_score"] > hi_break], [-1, 1], 0
    )
    # The engine returns groups in no particular order (DuckDB's is thread-dependent)
    # and the resample depends on the order of the cells: fix it, so a seed fixes
    # the interval.
    return cells.sort_values(["_score", "w"], kind="stable").reset_index(drop=True)


def _weighted_bootstrap(
    summary: pd.DataFrame,
    cells: pd.DataFrame,
    by_: list[str],
    level: float,
    n_boot: int,
    seed: int | None,
) -> pd.DataFrame:
    """The weighted bootstrap interval of each group, from its cells."""
    rows = []
    for i, g in summary.iterrows():
        # Null-safe match: a group whose key is NULL (NaN/None/NaT) must find its
        # cells too, and ``NULL == NULL`` is not true in pandas either.
        keep = np.ones(len(cells), dtype=bool)
        for col in by_:
            key = g[col]
            if pd.isna(key):
                keep &= cells[col].isna().to_numpy()
            else:
                keep &= (cells[col] == key).fillna(False).to_numpy(dtype=bool)
        sel = cells[keep]
        rows.append(
            stats.nps_bootstrap_cells(
                sel["category"].to_numpy(),
                sel["w"].to_numpy(),
                sel["count"].to_numpy(),
                level=level,
                n_boot=n_boot,
                seed=None if seed is None else seed + int(i),
            )
        )
    return pd.DataFrame(rows).reset_index(drop=True)


def _nps_frame(
    summary: pd.DataFrame,
    by_: list[str],
    *,
    weighted: bool,
    est: pd.DataFrame,
    n_eff: np.ndarray | float | None,
    method: str,
    level: float,
    bands: tuple[int, int],
) -> pd.DataFrame:
    """The tidy result of :func:`nps`: groups, counts, shares, estimate, interval, flag."""
    d, p, r = (summary[c].to_numpy(float) for c in ("_d", "_p", "_r"))
    total = d + p + r
    out = summary[by_].copy() if by_ else pd.DataFrame(index=range(len(summary)))
    out["n"] = summary["n"].astype("int64")
    out["n_missing"] = summary["n_missing"].astype("int64")
    for c in ("detractors", "passives", "promoters"):
        out[c] = summary[c] if weighted else summary[c].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        for c, v in (("detractors", d), ("passives", p), ("promoters", r)):
            out[f"pct_{c}"] = 100 * v / total
    for c in ("nps", "se", "low", "high"):
        out[c] = est[c].astype(float).to_numpy()
    out["method"] = method
    out["level"] = level
    out["n_eff"] = out["n"].astype(float) if n_eff is None else n_eff
    out["flag"] = _flag(out["n_eff"].to_numpy(), bands)
    return out


def _flag(n_eff: np.ndarray, bands: tuple[int, int]) -> np.ndarray:
    """Base-size flag; ``"empty"`` for a group with no estimate (n_eff == 0)."""
    return np.where(n_eff > 0, stats.base_flag(n_eff, bands), "empty")


def _scale_metric(
    data: pd.DataFrame | ir.Table,
    score: str,
    *,
    by: str | Sequence[str] | None,
    weight: str | None,
    level: float,
    scale: tuple[int, int],
    top: int,
    bands: tuple[int, int],
) -> pd.DataFrame:
    t = as_table(data)
    by_ = by_list(by)
    check_columns(t, [score, weight, *by_])
    groups, hist = histogram(t, score, by_, weight, scale)
    x, w = hist["_score"], hist["ws"]  # ratios only: the rescaled weights will do
    sums = _per_group(
        groups,
        hist,
        by_,
        pd.DataFrame(
            {
                "sw": w,
                "sw2": hist["w2"],
                "top": w.where(x >= top, 0.0),
                "sx": w * x,
                "sxx": w * x * x,
            }
        ),
    )
    g = pd.concat([groups.reset_index(drop=True), sums], axis=1)
    sw, sw2 = g["sw"].astype(float).to_numpy(), g["sw2"].astype(float).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.asarray(stats.kish_n(sw, sw2), dtype=float)
        share = g["top"].to_numpy(float) / sw
        mean = g["sx"].to_numpy(float) / sw
        var = g["sxx"].to_numpy(float) / sw - mean**2
    # Re-express the weighted summary as an unweighted one of size n_eff, the
    # usual design-effect approximation (Kish 1965). Groups with no valid score
    # keep NaN estimates.
    ok = n_eff > 0
    est, plo, phi, m, se, mlo, mhi = (np.full(len(g), np.nan) for _ in range(7))
    if ok.any():
        est[ok], plo[ok], phi[ok] = stats.proportion_ci(
            share[ok] * n_eff[ok], n_eff[ok], level=level
        )
        m[ok], se[ok], mlo[ok], mhi[ok] = stats.mean_ci(
            mean[ok] * n_eff[ok], (var[ok] + mean[ok] ** 2) * n_eff[ok], n_eff[ok], level=level
        )
        # a t interval at a tiny base can leave the scale; the mean cannot
        mlo, mhi = np.clip(mlo, *scale), np.clip(mhi, *scale)
    out = g[by_].copy() if by_ else pd.DataFrame(index=range(len(g)))
    out["n"] = g["n"].astype("int64")
    out["n_missing"] = g["n_missing"].astype("int64")
    out["top_box"] = est
    out["top_box_low"] = plo
    out["top_box_high"] = phi
    out["mean"] = m
    out["mean_se"] = se
    out["mean_low"] = mlo
    out["mean_high"] = mhi
    out["level"] = level
    out["n_eff"] = n_eff
    out["flag"] = _flag(n_eff, bands)
    return out


def csat(
    data: pd.DataFrame | ir.Table,
    score: str = "csat",
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    level: float = 0.95,
    bands: tuple[int, int] = DEFAULT_BANDS,
) -> pd.DataFrame:
    """Customer satisfaction (1-5): top-2-box share (% 4-5) and mean, with intervals.

    The share's interval is Wilson's score interval and the mean's a t interval
    (:func:`cxlab.stats.proportion_ci`, :func:`cxlab.stats.mean_ci`); weighted data
    use the Kish effective sample size.

    Returns
    -------
    pandas.DataFrame
        Group columns, then ``n, n_missing, top_box, top_box_low, top_box_high``
        (percent), ``mean, mean_se, mean_low, mean_high, level, n_eff, flag``.
        As in :func:`nps`, a group with no scored response or zero total
        weight has NaN estimates and ``flag == "empty"``.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> cxlab.csat(pd.DataFrame({"csat": [5, 4, 3, 5]}))[["n", "top_box", "mean"]]
       n  top_box  mean
    0  4     75.0  4.25
    """
    return _scale_metric(
        data,
        score,
        by=by,
        weight=weight,
        level=level,
        scale=SCALES[("responses", "csat")],
        top=4,
        bands=bands,
    )


def ces(
    data: pd.DataFrame | ir.Table,
    score: str = "ces",
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    level: float = 0.95,
    bands: tuple[int, int] = DEFAULT_BANDS,
) -> pd.DataFrame:
    """Customer Effort Score 2.0 (1-7 agreement that it was easy): mean and % 5-7.

    Same columns as :func:`csat`; ``top_box`` is the share agreeing (5, 6 or 7).

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> cxlab.ces(pd.DataFrame({"ces": [7, 5, 4, 2]}))[["n", "top_box", "mean"]]
       n  top_box  mean
    0  4     50.0   4.5
    """
    return _scale_metric(
        data,
        score,
        by=by,
        weight=weight,
        level=level,
        scale=SCALES[("responses", "ces")],
        top=5,
        bands=bands,
    )
