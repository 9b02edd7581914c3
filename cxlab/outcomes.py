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

Lags are computed by quarter-label arithmetic within a unit: the value "two
quarters before 2026Q1" is the unit's 2025Q3 row or nothing. A missing quarter
is never bridged by shifting rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats as sps

from cxlab import stats as cxstats
from cxlab._checks import as_table, check_columns, check_level
from cxlab._html import md_escape
from cxlab.errors import CxlabError
from cxlab.periods import quarter_from_index, quarter_indices
from cxlab.plots import literal_plot

__all__ = [
    "CX_METRICS",
    "OUTCOMES",
    "PanelWarning",
    "build_panel",
    "choose_lag",
    "conclusion",
    "lead",
    "effects",
    "correlations",
    "fe_regression",
    "granger",
    "horse_race",
    "lag_correlations",
    "lag_effect",
    "lagged",
    "migration",
    "panel_gaps",
    "plot_coefficients",
    "plot_correlogram",
    "plot_migration",
    "plot_scatter",
    "say_do",
    "say_do_logit",
    "trend_check",
]

#: CX metrics of the panel and their labels.
CX_METRICS: dict[str, str] = {
    "nps": "NPS",
    "csat_top2": "CSAT % 4-5",
    "csat_mean": "CSAT mean",
    "ces_mean": "CES mean",
    "ces_easy": "CES % easy",
}
#: Business outcomes of the panel and their labels.
OUTCOMES: dict[str, str] = {
    "new_customers": "New customers",
    "revenue": "Revenue",
    "revenue_growth": "Revenue growth %",
    "profit": "Profit",
    "margin": "Profit margin %",
    "market_share": "Market share %",
    "market_share_change": "Market share change (points)",
}
CATEGORIES = ("detractor", "passive", "promoter")
_MIN_UNITS = 5  # fewer units: between-unit claims are anecdotes
_MIN_PERIODS = 8  # fewer quarters per unit: within-unit claims are fragile
_MIN_PAIRS = 20


class PanelWarning(UserWarning):
    """The data allow the computation, but not a strong claim (few units, gaps...)."""


# ----------------------------------------------------------------------------- helpers


def _check_panel(panel: pd.DataFrame, columns: Sequence[str]) -> None:
    if not isinstance(panel, pd.DataFrame):
        raise CxlabError(
            f"panel must be the DataFrame from build_panel(), not {type(panel).__name__}."
        )
    need = ["unit", "quarter", "qi", *columns]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise CxlabError(
            f"panel has no column(s) {', '.join(map(repr, missing))}; build it with "
            f"cxlab.outcomes.build_panel(). Metrics: {', '.join(CX_METRICS)}; outcomes: "
            f"{', '.join(OUTCOMES)}."
        )


def _as_list(x: str | Sequence[str] | None, default: Iterable[str]) -> list[str]:
    if x is None:
        return list(default)
    return [x] if isinstance(x, str) else list(x)


def lagged(panel: pd.DataFrame, column: str, k: int) -> pd.Series:
    """Value of ``column`` at quarter t - k of the same unit, aligned to the panel's rows.

    Uses quarter-label arithmetic: the result is NaN when the unit has no row (or
    a missing value) ``k`` quarters earlier, so a gap is never bridged. Negative
    ``k`` gives a lead.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": ["a"] * 3, "quarter": ["2025Q1", "2025Q2", "2025Q4"],
    ...                   "qi": [8100, 8101, 8103], "x": [1.0, 2.0, 4.0]})
    >>> lagged(p, "x", 1).tolist()
    [nan, 1.0, nan]
    """
    _check_panel(panel, [column])
    codes, _ = pd.factorize(panel["unit"])
    qi = panel["qi"].to_numpy(np.int64)
    span = int(qi.max() - qi.min()) + abs(int(k)) + 1 if len(qi) else 1
    key = codes.astype(np.int64) * (2 * span + 1) + (qi - qi.min())  # unique per (unit, quarter)
    values = pd.Series(panel[column].to_numpy(float), index=key)
    values = values[~values.index.duplicated()]
    out = values.reindex(key - k).to_numpy()
    return pd.Series(out, index=panel.index, name=f"{column}_lag{k}")


def _pairs(panel: pd.DataFrame, metric: str, outcome: str, lag: int) -> pd.DataFrame:
    """Rows with the metric at t - lag and the outcome at t, both present."""
    x = lagged(panel, metric, lag)
    out = pd.DataFrame(
        {"unit": panel["unit"].to_numpy(), "qi": panel["qi"].to_numpy(), "x": x.to_numpy()}
    )
    out["y"] = panel[outcome].to_numpy(float)
    var = f"{metric}_var"
    out["x_var"] = lagged(panel, var, lag).to_numpy() if var in panel else 0.0
    return out.dropna(subset=["x", "y"]).reset_index(drop=True)


def _demean(df: pd.DataFrame, cols: Sequence[str], effects: str = "unit") -> pd.DataFrame:
    """The within transformation of ``cols``: each unit's mean subtracted
    (``effects="unit"``), or unit and quarter effects partialled out (``"twoway"``, the
    within transformation of the two-way model, exact on unbalanced panels; see
    :func:`_absorb`). ``attrs["rank"]`` is the number of fixed effects removed."""
    out = df.copy()
    codes, _ = pd.factorize(df["unit"])
    if effects == "twoway":
        values = df[list(cols)].to_numpy(float)
        resid, _mdiag, _basis, rank = _absorb(codes, df["qi"].to_numpy(), values, "twoway")
        out[list(cols)] = resid
        out.attrs["rank"] = rank
        return out
    counts = np.bincount(codes).astype(float)
    for c in cols:
        v = df[c].to_numpy(float)
        out[c] = v - (np.bincount(codes, weights=v) / counts)[codes]
    out.attrs["rank"] = len(counts)
    return out


# ----------------------------------------------------------------------------- panel


def build_panel(
    responses: pd.DataFrame | ir.Table,
    outcomes: pd.DataFrame | ir.Table,
    *,
    units: str | Sequence[str] | None = None,
    first: str | None = None,
    last: str | None = None,
    ltr: str = "ltr",
    csat: str = "csat",
    ces: str = "ces",
    breaks: tuple[int, int] = (6, 8),
    min_responses: int = 30,
    weight: str | None = None,
) -> pd.DataFrame:
    """The unit x quarter panel of CX metrics and business outcomes.

    One Ibis aggregation per source runs in the engine: responses ``GROUP BY
    unit, quarter`` (the three NPS counts, CSAT and CES counts, sums and sums of
    squares) and the outcomes table; the small results are joined here. The
    panel has a row for every unit and every quarter from ``first`` to ``last``,
    so missing quarters are explicit rows (``complete`` is False) and never
    shifted across when lagging. Missing quarters and cells with fewer than
    ``min_responses`` responses are reported with a :class:`PanelWarning` and by
    :func:`panel_gaps`; thin cells' metrics are set to NaN.

    Parameters
    ----------
    responses : pandas.DataFrame or ibis Table
        Survey responses with ``unit``, ``quarter`` and the score columns.
    outcomes : pandas.DataFrame or ibis Table
        Business outcomes with ``unit, quarter, new_customers, revenue, profit,
        market_share`` (see :mod:`cxlab.schema`).
    units : str or list of str, optional
        Keep these units (default: every unit in either source).
    first, last : str, optional
        Quarter range ``'YYYYQn'`` (default: the range of the data).
    ltr, csat, ces : str
        Score columns (0-10, 1-5, 1-7).
    breaks : (int, int)
        Highest detractor and highest passive score.
    min_responses : int
        Cells with fewer LTR responses get NaN metrics (a noisy NPS is not a
        measurement of the unit).
    weight : str, optional
        Survey-weight column (finite, >= 0). The weighted sums are computed in
        the engine: shares and means are weighted and every sampling variance
        uses the cell's Kish effective n, ``(sum w)^2 / sum w^2`` of the rows
        scored on that metric. ``n``, ``csat_n`` and ``ces_n`` stay response
        counts; ``n_eff`` is the Kish n of the LTR answers (``n`` when
        unweighted); the category columns are weighted totals. ``None``
        (default): every response counts once.

    Returns
    -------
    pandas.DataFrame
        One row per unit and quarter: ``unit, quarter, qi`` (quarter index),
        ``n, n_eff, detractors, passives, promoters, nps, nps_var`` (sampling variance
        of NPS in points squared, ``(P + D - (P - D)^2) / n * 10^4``),
        ``csat_n, csat_top2, csat_top2_var, csat_mean, csat_mean_var, ces_n,
        ces_mean, ces_mean_var, ces_easy, ces_easy_var``, the outcomes
        ``new_customers, revenue, revenue_growth`` (% on the previous quarter),
        ``profit, margin`` (profit / revenue, %), ``market_share`` (percent: the
        table's 0-1 share x 100), ``market_share_change`` (on the previous
        quarter, percentage points), and ``complete`` (both sources present).

    Examples
    --------
    >>> r = pd.DataFrame({"unit": ["a"] * 4, "quarter": ["2025Q1"] * 2 + ["2025Q2"] * 2,
    ...                   "ltr": [10, 3, 9, 9], "csat": [5, 2, 4, 5], "ces": [7, 3, 6, 6]})
    >>> o = pd.DataFrame({"unit": ["a", "a"], "quarter": ["2025Q1", "2025Q2"],
    ...                   "new_customers": [10, 12], "revenue": [100.0, 110.0],
    ...                   "profit": [10.0, 12.0], "market_share": [0.2, 0.21]})
    >>> p = build_panel(r, o, min_responses=1)
    >>> p[["quarter", "nps", "revenue_growth", "market_share_change"]].round(3)
      quarter    nps  revenue_growth  market_share_change
    0  2025Q1    0.0             NaN                  NaN
    1  2025Q2  100.0            10.0                  1.0
    """
    r = as_table(responses)
    o = as_table(outcomes)
    check_columns(r, ["unit", "quarter", ltr, csat, ces], "responses")
    check_columns(
        o,
        ["unit", "quarter", "new_customers", "revenue", "profit", "market_share"],
        "outcomes",
    )
    lo_b, hi_b = breaks
    keep_units = None if units is None else _as_list(units, [])
    if keep_units is not None:
        r = r.filter(r.unit.isin(keep_units))
        o = o.filter(o.unit.isin(keep_units))
    if weight is not None:
        check_columns(r, [weight], "responses")
        wf = r[weight].cast("float64")
        bad = r.filter(wf.isnull() | wf.isnan() | wf.isinf() | (wf < 0))
        if int(bad.count().execute()):
            raise CxlabError(
                f"column {weight!r}: survey weights must be present, finite and >= 0 "
                "(or pass weight=None)."
            )
    s = r[ltr]
    c = r[csat].cast("float64")
    e = r[ces].cast("float64")
    w = ibis.literal(1.0) if weight is None else r[weight].cast("float64")

    def wsum(cond, x=None):
        """Sum of w (times x) over the rows where cond holds (NULL-safe)."""
        val = w if x is None else w * x
        return cond.ifelse(val, 0.0).sum()

    resp = (
        r.group_by(["unit", "quarter"])
        .aggregate(
            n=s.count(),
            _w=wsum(s.notnull()),
            _w2=wsum(s.notnull(), w),
            detractors=wsum(s.notnull() & (s <= lo_b)),
            passives=wsum(s.notnull() & (s > lo_b) & (s <= hi_b)),
            promoters=wsum(s.notnull() & (s > hi_b)),
            csat_n=c.count(),
            csat_w=wsum(c.notnull()),
            csat_w2=wsum(c.notnull(), w),
            csat_top=wsum(c.notnull() & (c >= 4)),
            csat_s=wsum(c.notnull(), c),
            csat_ss=wsum(c.notnull(), c * c),
            ces_n=e.count(),
            ces_w=wsum(e.notnull()),
            ces_w2=wsum(e.notnull(), w),
            ces_top=wsum(e.notnull() & (e >= 5)),
            ces_s=wsum(e.notnull(), e),
            ces_ss=wsum(e.notnull(), e * e),
        )
        .to_pandas()
    )
    outc = o.select(
        "unit", "quarter", "new_customers", "revenue", "profit", "market_share"
    ).to_pandas()
    if outc.duplicated(["unit", "quarter"]).any():
        dup = outc[outc.duplicated(["unit", "quarter"], keep=False)].head(3)
        raise CxlabError(
            "outcomes: more than one row for the same unit and quarter, e.g. "
            + "; ".join(f"{a} {b}" for a, b in zip(dup.unit, dup.quarter, strict=True))
        )
    if resp.empty and outc.empty:
        raise CxlabError("no data: the responses and outcomes are empty for this selection.")
    for frame in (resp, outc):
        frame["qi"] = (
            quarter_indices(frame["quarter"]) if len(frame) else np.array([], dtype=np.int64)
        )

    all_q = np.concatenate([resp["qi"].to_numpy(), outc["qi"].to_numpy()])
    q0 = quarter_indices([first])[0] if first else int(all_q.min())
    q1 = quarter_indices([last])[0] if last else int(all_q.max())
    if q1 < q0:
        raise CxlabError(f"period: first quarter {first} is after last quarter {last}.")
    unit_list = sorted(set(resp["unit"]) | set(outc["unit"]))
    if keep_units is not None:
        unknown = sorted(set(keep_units) - set(unit_list))
        if unknown:
            raise CxlabError(
                f"unit(s) {', '.join(unknown)} not found in the responses or outcomes."
            )
    grid = pd.DataFrame(
        [(u, q) for u in unit_list for q in range(q0, q1 + 1)], columns=["unit", "qi"]
    )
    grid["quarter"] = [quarter_from_index(q) for q in grid["qi"]]
    # revenue growth and share change need the previous quarter: keep one extra quarter
    prev = outc[["unit", "qi", "revenue", "market_share"]].copy()
    prev["qi"] += 1
    prev = prev.rename(columns={"revenue": "_rev_prev", "market_share": "_share_prev"})
    resp = resp.drop(columns="quarter")
    outc = outc.drop(columns="quarter").merge(prev, on=["unit", "qi"], how="left")
    p = grid.merge(resp, on=["unit", "qi"], how="left").merge(outc, on=["unit", "qi"], how="left")

    n = p["n"].fillna(0).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tot = p["_w"].to_numpy(float)
        n_eff = cxstats.kish_n(np.nan_to_num(tot), p["_w2"].fillna(0).to_numpy(float))
        det = p["detractors"].to_numpy(float) / tot
        pro = p["promoters"].to_numpy(float) / tot
        p["nps"] = 100.0 * (pro - det)
        p["nps_var"] = 1e4 * (pro + det - (pro - det) ** 2) / n_eff
        for name in ("csat", "ces"):
            wk = p[f"{name}_w"].to_numpy(float)
            k_eff = cxstats.kish_n(np.nan_to_num(wk), p[f"{name}_w2"].fillna(0).to_numpy(float))
            top = p[f"{name}_top"].to_numpy(float) / wk
            mean = p[f"{name}_s"].to_numpy(float) / wk
            # sample variance; weighted: the weighted variance with the Kish correction
            var = (p[f"{name}_ss"].to_numpy(float) / wk - mean**2) * k_eff / (k_eff - 1)
            top_col = "csat_top2" if name == "csat" else "ces_easy"
            p[top_col] = 100.0 * top
            p[f"{top_col}_var"] = 1e4 * top * (1 - top) / k_eff
            p[f"{name}_mean"] = mean
            p[f"{name}_mean_var"] = np.clip(var, 0, None) / k_eff
        p["revenue_growth"] = 100.0 * (p["revenue"] / p["_rev_prev"] - 1.0)
        p["margin"] = 100.0 * p["profit"] / p["revenue"]
        p["market_share"] = 100.0 * p["market_share"]  # percent, easier to read
        p["market_share_change"] = p["market_share"] - 100.0 * p["_share_prev"]
    thin = n < min_responses
    metric_cols = [c for c in p.columns if c.startswith(("nps", "csat_", "ces_"))]
    metric_cols = [c for c in metric_cols if not c.endswith(("_n", "_top", "_s", "_ss"))]
    p.loc[thin, metric_cols] = np.nan
    p["n"] = n.astype(np.int64)
    p["n_eff"] = n if weight is None else np.nan_to_num(n_eff)
    p["complete"] = ~thin & p["revenue"].notna()

    gaps: list[dict[str, Any]] = []
    has_r = n > 0
    for u, g in p.groupby("unit", sort=True):
        miss_r = g.loc[n[g.index] == 0, "quarter"].tolist()
        thin_r = g.loc[thin[g.index] & has_r[g.index], "quarter"].tolist()
        miss_o = g.loc[g["revenue"].isna(), "quarter"].tolist()
        for what, qs in (
            ("no survey responses", miss_r),
            (f"fewer than {min_responses} responses", thin_r),
            ("no outcomes row", miss_o),
        ):
            gaps.extend({"unit": u, "quarter": q, "problem": what} for q in qs)
    gaps_df = pd.DataFrame(gaps, columns=["unit", "quarter", "problem"])
    if len(gaps_df):
        summary = "; ".join(
            f"{u}: {', '.join(g['quarter'] + ' (' + g['problem'] + ')')}"
            for u, g in list(gaps_df.groupby("unit", sort=True))[:5]
        )
        warnings.warn(
            f"the panel has {len(gaps_df)} missing or thin unit-quarter(s), left as gaps (lags "
            f"never bridge them): {summary}" + (" ..." if gaps_df["unit"].nunique() > 5 else ""),
            PanelWarning,
            stacklevel=2,
        )
    cols = [
        "unit",
        "quarter",
        "qi",
        "n",
        "n_eff",
        "detractors",
        "passives",
        "promoters",
        "nps",
        "nps_var",
        "csat_n",
        "csat_top2",
        "csat_top2_var",
        "csat_mean",
        "csat_mean_var",
        "ces_n",
        "ces_mean",
        "ces_mean_var",
        "ces_easy",
        "ces_easy_var",
        "new_customers",
        "revenue",
        "revenue_growth",
        "profit",
        "margin",
        "market_share",
        "market_share_change",
        "complete",
    ]
    out = p[cols].sort_values(["unit", "qi"], kind="stable").reset_index(drop=True)
    for col in ("csat_n", "ces_n", *(() if weight else ("detractors", "passives", "promoters"))):
        out[col] = out[col].fillna(0).astype(np.int64)
    if weight:
        out[["detractors", "passives", "promoters"]] = out[
            ["detractors", "passives", "promoters"]
        ].fillna(0.0)
    out["new_customers"] = out["new_customers"].astype(float)
    out.attrs["gaps"] = gaps_df.to_dict("records")  # plain records: pandas compares attrs
    return out


def panel_gaps(panel: pd.DataFrame) -> pd.DataFrame:
    """The missing or thin unit-quarters that :func:`build_panel` found: ``unit, quarter,
    problem``."""
    return pd.DataFrame(panel.attrs.get("gaps", []), columns=["unit", "quarter", "problem"])


def _usable(
    pairs: pd.DataFrame,
    metric: str,
    outcome: str,
    *,
    within: bool,
    min_pairs: int = 3,
    effects: str = "unit",
) -> None:
    """Raise a clear CxlabError when the pairs cannot support any estimate."""
    n, k = len(pairs), pairs["unit"].nunique()
    where = f"{metric} vs {outcome}"
    if n < min_pairs:
        raise CxlabError(
            f"{where}: only {n} unit-quarter(s) have both values (need at least {min_pairs}); "
            "widen the period, add units, or use a shorter lag."
        )
    if within:
        if k == n:
            raise CxlabError(
                f"{where}: every unit has a single period, so there is no within-unit variation; "
                "within-unit analyses need at least two quarters per unit."
            )
        d = _demean(pairs, ["x", "y"], effects)
        sd_x, sd_y = d["x"].std(), d["y"].std()
    else:
        sd_x, sd_y = pairs["x"].std(), pairs["y"].std()
    scope = ""
    if within:
        scope = (
            " within every unit once quarter averages are removed"
            if effects == "twoway"
            else " within every unit"
        )
    for name, sd in ((metric, sd_x), (outcome, sd_y)):
        if not np.isfinite(sd) or sd <= 1e-12 * (1 + pairs[["x", "y"]].abs().max().max()):
            raise CxlabError(
                f"{where}: {name} is constant{scope} over the "
                "selected quarters; a correlation or slope would be meaningless."
            )


def _caution(n: int, n_units: int, n_periods: int, *, within: bool) -> str:
    notes = []
    if n < _MIN_PAIRS:
        notes.append(f"only {n} unit-quarters")
    if within and n_periods < _MIN_PERIODS:
        notes.append(f"at most {n_periods} quarters per unit")
    if not within and n_units < _MIN_UNITS:
        notes.append(f"only {n_units} units: mostly between-unit differences")
    return "; ".join(notes)


# ----------------------------------------------------------------------------- correlations


def _corr_one(
    pairs: pd.DataFrame, method: str, within: bool, z: float, effects: str = "unit"
) -> tuple[float, float, float, float, int]:
    """Correlation, its Fisher-z interval and p-value; returns (r, low, high, p, df).

    ``within`` with ``effects="unit"``: the repeated-measures correlation (unit means
    removed, N - k - 1 df); ``effects="twoway"``: unit and quarter effects partialled out
    of both series (the partial correlation of the two-way model: N - rank - 1 df, whose
    t test is the dummy-variable regression's t test of the slope)."""
    x, y = pairs["x"].to_numpy(float), pairs["y"].to_numpy(float)
    if method == "spearman":  # ranks of the pooled data; "within" then removes the effects
        x, y = sps.rankdata(x), sps.rankdata(y)
    n = len(x)
    if within:
        d = _demean(pairs.assign(x=x, y=y), ["x", "y"], effects)
        x, y = d["x"].to_numpy(), d["y"].to_numpy()
        df = n - int(d.attrs["rank"]) - 1  # unit effects: Bakdash & Marusich (2017)
    else:
        df = n - 2
    xc, yc = x - x.mean(), y - y.mean()
    denom = np.sqrt((xc @ xc) * (yc @ yc))
    r = float((xc @ yc) / denom) if denom > 0 else np.nan
    if df < 2 or not np.isfinite(r):
        return r, np.nan, np.nan, np.nan, df
    se_z = 1.0 / np.sqrt(df - 1)  # n - 3 for the pooled case
    if method == "spearman":
        se_z *= np.sqrt(1.06)  # Fieller, Hartley & Pearson (1957)
    lo, hi = cxstats.fisher_ci(r, se_z, z)
    low, high = float(lo), float(hi)
    t = r * np.sqrt(df / max(1e-300, 1 - r * r))
    p = float(2 * sps.t.sf(abs(t), df))
    return r, low, high, p, df


def correlations(
    panel: pd.DataFrame,
    metrics: str | Sequence[str] | None = None,
    outcomes: str | Sequence[str] | None = None,
    *,
    lag: int = 0,
    methods: Sequence[str] = ("pearson", "spearman"),
    scopes: Sequence[str] = ("pooled", "within"),
    level: float = 0.95,
    correction: str = "holm",
) -> pd.DataFrame:
    """Correlations of each CX metric (at t - lag) with each outcome (at t).

    ``pooled`` correlates all unit-quarters together (mixing between-unit and
    over-time differences, as Reichheld's cross-sectional plots did);
    ``within`` removes each unit's mean first (the repeated-measures
    correlation of Bakdash & Marusich 2017, *Frontiers in Psychology*, with
    ``N - k - 1`` degrees of freedom for k units), so it answers "when a unit's
    NPS is higher than usual, is its outcome higher than usual?".

    Intervals use Fisher's z with SE ``1/sqrt(df - 1)`` (``1/sqrt(n - 3)``
    pooled), times ``sqrt(1.06)`` for Spearman (Fieller, Hartley & Pearson
    1957, *Biometrika* 44); p-values are the t test of r. ``p_adj`` corrects
    across the whole grid (Holm 1979 by default, statsmodels ``multipletests``).
    Correlations of autocorrelated, trending series have fewer independent
    observations than rows, so the intervals are optimistic; ``caution``
    names the small-sample problems.

    Parameters
    ----------
    panel : pandas.DataFrame
        From :func:`build_panel`.
    metrics, outcomes : str or list of str, optional
        Default: every metric in :data:`CX_METRICS` and outcome in :data:`OUTCOMES`.
    lag : int
        Metric ``lag`` quarters before the outcome.
    methods : sequence of {"pearson", "spearman"}
    scopes : sequence of {"pooled", "within"}
    level : float
    correction : str
        Any ``statsmodels.stats.multitest.multipletests`` method, or ``"none"``.

    Returns
    -------
    pandas.DataFrame
        ``metric, outcome, lag, method, scope, n, n_units, n_periods, r, low,
        high, p, p_adj, significant, caution``.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": list("aaabbb"), "quarter": ["2025Q1", "2025Q2", "2025Q3"] * 2,
    ...                   "qi": [8100, 8101, 8102] * 2, "nps": [1.0, 2, 3, 5, 6, 8],
    ...                   "revenue": [2.0, 4, 6, 1, 3, 4]})
    >>> correlations(p, "nps", "revenue", methods=["pearson"], scopes=["within"])["r"].round(4)
    0    0.9068
    Name: r, dtype: float64
    """
    metrics_ = _as_list(metrics, CX_METRICS)
    outcomes_ = _as_list(outcomes, OUTCOMES)
    _check_panel(panel, [*metrics_, *outcomes_])
    level = check_level(level, "correlations")
    bad = [m for m in methods if m not in ("pearson", "spearman")]
    bad += [s for s in scopes if s not in ("pooled", "within")]
    if bad:
        raise CxlabError(
            f"unknown method/scope {bad}; methods: pearson, spearman; scopes: pooled, within."
        )
    z = float(sps.norm.ppf(0.5 + level / 2))
    rows = []
    for m in metrics_:
        for o in outcomes_:
            pairs = _pairs(panel, m, o, lag)
            for scope in scopes:
                within = scope == "within"
                _usable(pairs, m, o, within=within)
                n, k = len(pairs), pairs["unit"].nunique()
                t_max = int(pairs.groupby("unit").size().max())
                for method in methods:
                    r, low, high, p, _df = _corr_one(pairs, method, within, z)
                    rows.append(
                        {
                            "metric": m,
                            "outcome": o,
                            "lag": lag,
                            "method": method,
                            "scope": scope,
                            "n": n,
                            "n_units": k,
                            "n_periods": t_max,
                            "r": r,
                            "low": low,
                            "high": high,
                            "p": p,
                            "caution": _caution(n, k, t_max, within=within),
                        }
                    )
    out = pd.DataFrame(rows)
    out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    out["significant"] = out["p_adj"] < 1 - level
    cols = ["metric", "outcome", "lag", "method", "scope", "n", "n_units", "n_periods", "r"]
    return out[[*cols, "low", "high", "p", "p_adj", "significant", "caution"]]


def _interval_levels(p: np.ndarray, correction: str, alpha: float) -> tuple[np.ndarray, str]:
    """Per-row error rates for intervals that agree with ``stats.adjust_pvalues(p, correction)``.

    Holm: the step-down level ``alpha / (m - i + 1)`` for the i-th smallest p-value,
    frozen at the first step that is not rejected; Bonferroni: ``alpha / m``;
    anything else: ``alpha`` (unadjusted). NaN p-values get ``alpha``.
    """
    out = np.full(len(p), alpha)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if correction == "holm" and m:
        order = ok[np.argsort(p[ok], kind="stable")]
        level_i = alpha / (m - np.arange(m))
        fail = np.flatnonzero(p[order] > level_i)
        stop = fail[0] if len(fail) else m
        out[order] = np.where(np.arange(m) < stop, level_i, level_i[min(stop, m - 1)])
        return out, "Holm-adjusted"
    if correction == "bonferroni" and m:
        out[ok] = alpha / m
        return out, "Bonferroni-adjusted"
    return out, "unadjusted"


def lag_correlations(
    panel: pd.DataFrame,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lags: Sequence[int] = range(-4, 5),
    method: str = "pearson",
    within: bool = True,
    effects: str = "twoway",
    level: float = 0.95,
    correction: str = "holm",
    model_test: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Cross-correlogram: metric at t against outcome at t + k for each k in ``lags``.

    A peak at positive k means the metric *leads* the outcome by k quarters; at
    negative k it *lags* it (the outcome moves first); at 0 they move together.
    Pairs never span a missing quarter. With trending or autocorrelated series
    neighbouring lags share much of their signal, so read the shape, not one
    bar. See :func:`correlations` for the interval and p-value.

    ``within`` removes what the fixed-effects models remove: by default
    (``effects="twoway"``) unit *and* quarter effects, partialled out of both series
    at each lag (the two-way within transformation, exact on unbalanced panels; the
    correlation's t test is then the t test of the slope in :func:`fe_regression`
    with ``effects="twoway"``, ``cov="nonrobust"``), so a trend that all units share
    (NPS drifting down while the outcome drifts up) is not read as a lead or a lag.
    ``effects="unit"`` removes unit means only (the repeated-measures correlation of
    :func:`correlations`), which such a trend fools; ``effects`` labels the rows.

    ``p`` and the Fisher-z interval treat the unit-quarters as independent; serially
    correlated series within a unit make them optimistic (with AR(1) noise and
    unit-specific drifts a no-link panel's best of nine lags passes Holm far more often
    than 5%). ``model_test`` (default) adds ``p_fe``: the p-value of the slope at that lag
    in :func:`fe_regression` with the same effects (``cov="auto"``: the wild cluster
    bootstrap by unit below 20 units), and ``p_fe_adj``, Holm-adjusted (``correction``)
    over the lags. When the enumerated Rademacher floor ``2 / 2^G`` cannot pass Holm's
    first step, every lag uses Webb's six-point weights (``seed``), as in
    :func:`lag_effect`. :func:`conclusion` states a lead or lag only when ``p_fe_adj``
    of the peak is below ``1 - level``.

    Returns
    -------
    pandas.DataFrame
        ``lag, n, r, low, high, p, p_adj, best`` (``best`` marks the lag with the
        largest ``|r|``), plus ``metric, outcome, method, scope, effects``
        (``"unit + quarter effects"``, ``"unit effects only"`` or ``"none"`` pooled),
        and ``p_fe, p_fe_adj`` (NaN pooled, without ``model_test``, or where the model
        cannot be estimated).

    Examples
    --------
    >>> p = pd.DataFrame({"unit": ["a"] * 6, "quarter": [f"2025Q{i}" for i in range(1, 5)]
    ...                   + ["2026Q1", "2026Q2"], "qi": range(8100, 8106),
    ...                   "nps": [1.0, 3, 2, 5, 4, 6], "revenue": [0.0, 0, 1, 3, 2, 5]})
    >>> lag_correlations(p, "nps", "revenue", lags=[0, 1], within=False)[["lag", "n"]]
       lag  n
    0    0  6
    1    1  5
    """
    _check_panel(panel, [metric, outcome])
    level = check_level(level, "lag_correlations")
    if effects not in _EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    z = float(sps.norm.ppf(0.5 + level / 2))
    rows = []
    for k in lags:
        pairs = _pairs(panel, metric, outcome, int(k))
        try:
            _usable(pairs, metric, outcome, within=within, min_pairs=4, effects=effects)
        except CxlabError as exc:
            raise CxlabError(f"lag {k}: {exc}") from None
        r, low, high, p, _df = _corr_one(pairs, method, within, z, effects)
        rows.append({"lag": int(k), "n": len(pairs), "r": r, "low": low, "high": high, "p": p})
    out = pd.DataFrame(rows)
    out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    out["best"] = False
    out.loc[out["r"].abs().idxmax(), "best"] = True
    out["metric"], out["outcome"] = metric, outcome
    out["method"], out["scope"] = method, "within" if within else "pooled"
    out["effects"] = _EFFECTS[effects] if within else "none"
    out["p_fe"], out["p_fe_adj"] = np.nan, np.nan
    if within and model_test:
        out["p_fe"] = _model_pvalues(
            panel, metric, outcome, list(out["lag"]), effects, level, seed, correction
        )
        out["p_fe_adj"] = cxstats.adjust_pvalues(out["p_fe"].to_numpy(float), correction)
    return out


def _model_pvalues(
    panel: pd.DataFrame,
    metric: str,
    outcome: str,
    lags: list[int],
    effects: str,
    level: float,
    seed: int,
    correction: str,
) -> np.ndarray:
    """p-values of the slope of :func:`fe_regression` (no EIV: it does not change the
    test of b = 0) at each lag; Webb weights when Rademacher's floor is too coarse for
    the Holm steps over these lags (see :func:`lag_effect`)."""

    def fit(weights: str) -> tuple[np.ndarray, bool]:
        p = np.full(len(lags), np.nan)
        coarse = False
        for i, k in enumerate(lags):
            try:
                f = fe_regression(
                    panel,
                    metric,
                    outcome,
                    lag=k,
                    effects=effects,
                    level=level,
                    weights=weights,
                    seed=seed,
                )
            except CxlabError:
                continue
            p[i] = float(f["p"].iloc[0])
            g = int(f["n_units"].iloc[0])
            coarse |= "Rademacher weights, all" in str(f["inference"].iloc[0]) and 2.0 / 2**g > (
                1 - level
            ) / max(1, len(lags))
        return p, coarse

    p, coarse = fit("auto")
    if coarse and correction != "none" and len(lags) > 1:
        p, _ = fit("webb")
    return p


# ----------------------------------------------------------------------------- regression


_WILD_BELOW = 20  # fewer clusters than this: the wild cluster bootstrap is the default
_EFFECTS = {"twoway": "unit + quarter effects", "unit": "unit effects only"}
_COUNT_COLUMN = {
    "nps": "n",
    "csat_top2": "csat_n",
    "csat_mean": "csat_n",
    "ces_mean": "ces_n",
    "ces_easy": "ces_n",
}


#: Columns of :func:`fe_regression`, in order (also of an unestimable row elsewhere).
_FE_COLUMNS = [
    "metric",
    "outcome",
    "lag",
    "coef",
    "se",
    "low",
    "high",
    "t",
    "p",
    "n",
    "n_units",
    "df",
    "cov",
    "effects",
    "inference",
    "reliability",
    "se_reliability",
    "r2_within",
    "caution",
    "coef_std",
    "low_std",
    "high_std",
]
_LAG_EFFECT_COLUMNS = [
    *_FE_COLUMNS,
    "low_unadj",
    "high_unadj",
    "p_adj",
    "lags_tried",
    "interval",
    "estimable",
]


def _absorb(
    units: np.ndarray, quarters: np.ndarray, cols: np.ndarray, effects: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Partial the fixed effects out of the columns of ``cols`` (n x k).

    Unit effects by the within transformation; quarter effects (``effects="twoway"``)
    by projecting out the unit-demeaned quarter dummies (Frisch-Waugh-Lovell), which
    is exact on unbalanced panels. Returns the residualised columns, the diagonal of
    the fixed effects' annihilator M (for the errors-in-variables noise term), an
    orthonormal basis Q of the demeaned quarter dummies (n x 0 for unit effects only;
    the projection onto all fixed effects is unit means + Q Q') and the rank of the
    fixed-effects design.
    """
    g = int(units.max()) + 1
    onehot = np.zeros((len(units), g))
    onehot[np.arange(len(units)), units] = 1.0
    counts = onehot.sum(axis=0)

    def demean(a: np.ndarray) -> np.ndarray:
        return a - (onehot.T @ a / counts[:, None])[units]

    out = demean(cols)
    mdiag = 1.0 - 1.0 / counts[units]
    basis = np.zeros((len(units), 0))
    rank = g
    if effects == "twoway":
        q_codes = pd.factorize(quarters, sort=True)[0]
        dummies = (q_codes[:, None] == np.arange(1, q_codes.max() + 1)[None, :]).astype(float)
        if dummies.shape[1]:
            u, s, _ = np.linalg.svd(demean(dummies), full_matrices=False)
            r = int((s > 1e-10 * max(1.0, s.max())).sum())
            basis = u[:, :r]
            out = out - basis @ (basis.T @ out)
            mdiag = mdiag - (basis**2).sum(axis=1)
            rank += r
    return out, mdiag, basis, rank


def _wild_draws(g: int, weights: str, n_boot: int, seed: int) -> tuple[np.ndarray, str]:
    """Bootstrap weights (B x G) and a description.

    Every sign (or Webb) vector is enumerated when there are no more of them than
    ``n_boot``: the bootstrap distribution is then exact and needs no seed.
    """
    if weights == "auto":
        weights = "webb" if g <= 5 else "rademacher"
    if weights == "rademacher":
        if 2**g <= n_boot + 1:
            codes = np.arange(2**g)[:, None] >> np.arange(g)[None, :]
            return 1.0 - 2.0 * (codes & 1), f"Rademacher weights, all {2**g} sign vectors"
        rng = np.random.default_rng(seed)
        draws = rng.choice(np.array([-1.0, 1.0]), size=(n_boot, g))
        return draws, f"Rademacher weights, {n_boot} draws (seed {seed})"
    webb = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    if 6**g <= n_boot + 1:
        idx = np.indices((6,) * g).reshape(g, -1).T
        idx = idx[np.argsort(np.all(idx == 4, axis=1) * -1, kind="stable")]  # identity first
        return webb[idx], f"Webb 6-point weights, all {6**g} vectors"
    rng = np.random.default_rng(seed)
    return webb[rng.integers(0, 6, size=(n_boot, g))], (
        f"Webb 6-point weights, {n_boot} draws (seed {seed})"
    )


def _wild_inference(
    xt: np.ndarray,
    yt: np.ndarray,
    j: int,
    units: np.ndarray,
    basis: np.ndarray,
    draws: np.ndarray,
    scale: float,
    alpha: float,
) -> tuple[float, float, float]:
    """Restricted wild cluster bootstrap (WCR) p-value of ``b_j = 0`` and the interval
    ``{b0: p(b0) > alpha}`` found by test inversion (bisection on each side).

    ``xt``, ``yt``: regressors and outcome with the fixed effects partialled out. With
    ``x`` = column j residualised on the other columns and ``e`` = ``yt`` residualised
    on them, the restricted residuals for ``H0: b_j = b0`` are ``e - b0 x``; a draw
    ``v`` (one weight per cluster) gives ``b* - b0 = sum_g v_g s_g / x'x`` and cluster
    scores ``A(b0) v`` with ``A = C' diag(x) M diag(e - b0 x) C`` (M: the full model's
    annihilator, C: cluster indicators). Both are linear in b0, so the bootstrap
    t statistic of every draw is a ratio of a linear and the root of a quadratic
    function of b0 (Roodman, MacKinnon, Nielsen & Webb 2019, section 3): each p(b0)
    costs O(B), which makes the inversion cheap.
    """
    others = np.delete(xt, j, axis=1)
    if others.shape[1]:
        coef_o = np.linalg.lstsq(others, np.column_stack([xt[:, j], yt]), rcond=None)[0]
        xy = np.column_stack([xt[:, j], yt]) - others @ coef_o
        x, e = xy[:, 0], xy[:, 1]
    else:
        x, e = xt[:, j], yt
    xx = float(x @ x)
    b = float(x @ e) / xx
    g = draws.shape[1]
    c = np.zeros((len(units), g))
    c[np.arange(len(units)), units] = 1.0
    xtx_inv = np.linalg.inv(xt.T @ xt)
    h1 = c.T @ (x[:, None] * xt)
    f1 = c.T @ (x[:, None] * basis)

    def a_of(u: np.ndarray) -> np.ndarray:
        a = np.diag(c.T @ (x * u))
        a -= f1 @ ((basis * u[:, None]).T @ c)
        a -= h1 @ xtx_inv @ ((xt * u[:, None]).T @ c)
        return a

    a_e, a_x = a_of(e), a_of(x)
    s_e, s_x = c.T @ (x * e), c.T @ (x * x)
    av_e, av_x = draws @ a_e.T, draws @ a_x.T
    n_e, n_x = draws @ s_e, draws @ s_x
    q0, q1, q2 = (av_e**2).sum(1), (av_e * av_x).sum(1), (av_x**2).sum(1)
    # the sample's own statistic: draw v = 1 (scores of the unrestricted residuals)
    ones = np.ones(g)
    se = float(np.sqrt(scale * np.sum((a_e @ ones - b * (a_x @ ones)) ** 2))) / xx

    def pval(b0: float) -> float:
        t = abs(b - b0) / se
        den = np.sqrt(np.clip(scale * (q0 - 2 * b0 * q1 + b0 * b0 * q2), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            ts = np.abs((n_e - b0 * n_x) / den)
        return float(np.mean(ts >= t * (1 - 1e-9)))

    def bound(sign: float) -> float:
        inside, step = b, se
        for _ in range(60):
            out = b + sign * step
            if pval(out) <= alpha:
                break
            inside, step = out, step * 2
        else:
            return sign * np.inf
        for _ in range(60):
            mid = 0.5 * (inside + out)
            if pval(mid) > alpha:
                inside = mid
            else:
                out = mid
        return 0.5 * (inside + out)

    return pval(0.0), bound(-1.0), bound(1.0)


def _s2_variance(df: pd.DataFrame, metric: str) -> np.ndarray | None:
    """Sampling variance of each unit-quarter's estimated error variance ``s2``.

    ``s2 = S^2 / n`` with ``Var(S^2) ~ (mu4 - sigma^4 (n - 3) / (n - 1)) / n``: the fourth
    central moment is exact for NPS (scores -100, 0, 100 with the cell's promoter and
    detractor shares) and for the top-box percentages (Bernoulli x 100); for means it
    assumes normal kurtosis (mu4 = 3 sigma^4). None when the counts are missing.
    """
    if "cnt" not in df:
        return None
    n = df["cnt"].to_numpy(float)
    s2 = df["s2"].to_numpy(float)
    sigma2 = s2 * n
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "nps" and {"pro", "det"} <= set(df.columns):
            p, d = df["pro"].to_numpy(float) / n, df["det"].to_numpy(float) / n
            mu = 100.0 * (p - d)
            mu4 = p * (100 - mu) ** 4 + (1 - p - d) * mu**4 + d * (100 + mu) ** 4
        elif metric in ("csat_top2", "ces_easy"):
            p = np.clip(sigma2 / 1e4, 0, 0.25)  # p (1 - p)
            mu4 = 1e8 * p * (1 - 3 * p)
        else:
            mu4 = 3 * sigma2**2
        var_s = (mu4 - sigma2**2 * (n - 3) / (n - 1)) / n
        out = np.clip(var_s, 0, None) / n**2
    return np.where(np.isfinite(out), out, 0.0)


def fe_regression(
    panel: pd.DataFrame,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lag: int | Sequence[int] = 2,
    eiv: bool = False,
    effects: str = "twoway",
    cov: str = "auto",
    level: float = 0.95,
    weights: str = "auto",
    n_boot: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """Fixed-effects regression of an outcome on the lagged metric.

    ``y[u, t] = a_u + d_t + sum_k b_k x[u, t - k] + e[u, t]`` with ``effects="twoway"``
    (the default: unit and quarter effects), or without ``d_t`` with
    ``effects="unit"``. Quarter effects remove everything all units share in a
    quarter -- above all common trends: when NPS drifts down and margins drift up in
    every unit, a unit-effects-only model reads the two trends as a (spurious) negative
    effect; the two-way model does not. Trends that differ between units are not
    removed: :func:`trend_check` flags trending series. Estimation: the fixed effects
    are partialled out (unit means, then the unit-demeaned quarter dummies, exact on
    unbalanced panels; identical to OLS with the dummies, as ``plm(..., effect =
    "twoways")``) and OLS is run on what is left.

    Inference (``cov``):

    - ``"wild"``: restricted wild cluster bootstrap by unit (WCR; Cameron, Gelbach &
      Miller 2008, *Review of Economics and Statistics* 90(3); Roodman, MacKinnon,
      Nielsen & Webb 2019, *Stata Journal* 19(1), "Fast and wild") of the CR1 t
      statistic. The p-value is the share of bootstrap |t*| at least as large as the
      sample's |t| under the null imposed; the interval is the set of values b0 the
      same test does not reject at ``1 - level`` (test inversion, by bisection), not
      a percentile interval. Weights (``weights="auto"``): Webb's 6-point weights for
      G <= 5 clusters, Rademacher otherwise. When there are no more distinct weight
      vectors than ``n_boot`` (G <= 13 with Rademacher and the default 9999, e.g. all
      2^8 = 256 sign vectors at G = 8; G <= 5 with Webb) all of them are enumerated:
      the result is exact and deterministic. Otherwise ``n_boot`` vectors are drawn
      with ``numpy.random.default_rng(seed)``, so results are reproducible. With
      enumerated Rademacher weights the smallest possible p-value is ``2 / 2^G``
      (0.0078 at G = 8): a sign vector and its negative give the same |t*|.
    - ``"cluster"``: CR1 cluster-robust SE, ``G/(G-1) * (N-1)/(N-K)`` with K the slopes
      only (as ``plm::vcovHC(type="sss")``, Stata's ``xtreg, fe``), t(G - 1)
      reference (Cameron & Miller 2015, *Journal of Human Resources* 50(2)). With few
      clusters it over-rejects (about 90% coverage for a 95% interval at G = 8).
    - ``"HC1"``, ``"nonrobust"``: with the dummy-variable model's degrees of freedom.
    - ``"auto"`` (default): ``"wild"`` below 20 units, ``"cluster"`` otherwise.

    ``se`` and ``t`` are always the CR1 (or HC1/OLS) ones; with ``"wild"`` only
    ``p``, ``low`` and ``high`` come from the bootstrap.

    Errors in variables: a survey metric is an estimate; its sampling error biases
    the slope towards zero (attenuation). With ``eiv=True`` (one lag only) the slope
    is corrected by the method of moments with the *known* error variances (Fuller
    1987, *Measurement Error Models*, section 1.2): ``b = S_xy / (S_xx - sum_i s2_i
    M_ii)`` on the data with the fixed effects partialled out, where ``s2`` is the
    panel's ``{metric}_var`` column and ``M_ii`` the diagonal of the fixed effects'
    annihilator (``1 - 1/T_u`` with unit effects only). ``reliability`` is
    ``(S_xx - sum s2 M_ii) / S_xx``; ``se`` is the SE of the uncorrected slope divided
    by it. The reliability is itself estimated (each ``s2`` comes from a finite
    sample): ``se_reliability`` is its delta-method contribution, ``|b| sd(lambda) /
    lambda`` with ``Var(lambda) = sum_i M_ii^2 Var(s2_i) / S_xx^2`` (see
    ``_s2_variance``; zero, with a note, when the panel has no response counts). The
    interval is the uncorrected one divided by the reliability and widened by this
    term in quadrature (normal or t(G - 1) quantile); the p-value of ``b = 0`` does
    not depend on the reliability.

    Parameters
    ----------
    panel : pandas.DataFrame
        From :func:`build_panel`.
    metric, outcome : str
    lag : int or list of int
        Lag(s) of the metric, in quarters (0 = same quarter).
    eiv : bool
        Apply the errors-in-variables correction.
    effects : {"twoway", "unit"}
        Unit and quarter fixed effects (default) or unit effects only.
    cov : {"auto", "wild", "cluster", "HC1", "nonrobust"}
    level : float
    weights : {"auto", "rademacher", "webb"}
        Wild bootstrap weights.
    n_boot : int
        Wild bootstrap draws when the weight vectors are not enumerated.
    seed : int
        Seed of those draws.

    Returns
    -------
    pandas.DataFrame
        One row per lag: ``metric, outcome, lag, coef, se, low, high, t, p, n,
        n_units, df, cov, effects`` (label of the fixed effects), ``inference`` (how
        p and the interval were computed), ``reliability, se_reliability, r2_within,
        caution, coef_std, low_std, high_std``.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": list("aaaabbbb"), "quarter": ["2025Q1", "2025Q2", "2025Q3",
    ...                   "2025Q4"] * 2, "qi": [8100, 8101, 8102, 8103] * 2,
    ...                   "nps": [1.0, 2, 4, 3, 10, 12, 11, 13],
    ...                   "revenue": [5.0, 7, 11, 9, 30, 35, 32, 37]})
    >>> fe_regression(p, "nps", "revenue", lag=0, effects="unit", cov="nonrobust")["coef"].round(6).tolist()
    [2.2]
    >>> fit = fe_regression(p, "nps", "revenue", lag=0, cov="wild")
    >>> fit[["coef", "effects"]].round(4).values.tolist(), fit["inference"].iloc[0]
    ([[2.3333, 'unit + quarter effects']], 'wild cluster bootstrap (WCR), Webb 6-point weights, all 36 vectors; interval by test inversion')
    """
    lags = [lag] if isinstance(lag, int | np.integer) else list(lag)
    if not lags:
        raise CxlabError("fe_regression: give at least one lag.")
    _check_panel(panel, [metric, outcome])
    level = check_level(level, "fe_regression")
    if effects not in _EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    if cov not in ("auto", "wild", "cluster", "HC1", "nonrobust"):
        raise CxlabError(
            f"cov must be 'auto', 'wild', 'cluster', 'HC1' or 'nonrobust', not {cov!r}."
        )
    if weights not in ("auto", "rademacher", "webb"):
        raise CxlabError(f"weights must be 'auto', 'rademacher' or 'webb', not {weights!r}.")
    if not isinstance(n_boot, int | np.integer) or n_boot < 99:
        raise CxlabError(f"n_boot must be an integer of at least 99, got {n_boot!r}.")
    if not isinstance(seed, int | np.integer):
        raise CxlabError(f"seed must be an integer, got {seed!r}.")
    if eiv and len(lags) != 1:
        raise CxlabError("fe_regression: the errors-in-variables correction takes one lag.")
    if eiv and f"{metric}_var" not in panel:
        raise CxlabError(f"eiv=True needs the sampling variance column '{metric}_var'.")
    df = pd.DataFrame(
        {
            "unit": panel["unit"].to_numpy(),
            "qi": panel["qi"].to_numpy(),
            "y": panel[outcome].to_numpy(float),
        }
    )
    xcols = [f"x{k}" for k in lags]
    for k, col in zip(lags, xcols, strict=True):
        df[col] = lagged(panel, metric, k).to_numpy()
    if eiv:
        df["s2"] = lagged(panel, f"{metric}_var", lags[0]).to_numpy()
        extra = {"cnt": _COUNT_COLUMN.get(metric), "pro": "promoters", "det": "detractors"}
        for short, src in extra.items():
            if src is not None and src in panel and (short == "cnt" or metric == "nps"):
                df[short] = lagged(panel, src, lags[0]).to_numpy()
    df = df.dropna(subset=["y", *xcols, *(["s2"] if eiv else [])]).reset_index(drop=True)
    n_units = df["unit"].nunique()
    where = f"fe_regression {outcome} ~ {metric} (lag {', '.join(map(str, lags))})"
    if n_units < 2:
        raise CxlabError(
            f"{where}: {n_units} unit(s) with data; a fixed-effects panel regression needs at "
            "least two units (for one unit, use a time-series model)."
        )
    counts = df.groupby("unit").size()
    units = pd.factorize(df["unit"])[0]
    cols = df[["y", *xcols]].to_numpy(float)
    absorbed, mdiag, basis, rank_fe = _absorb(units, df["qi"].to_numpy(), cols, effects)
    n, kx = len(df), len(xcols)
    dof_resid = n - rank_fe - kx
    fe_txt = "unit and quarter effects" if effects == "twoway" else "the unit effects"
    if dof_resid < 1:
        raise CxlabError(
            f"{where}: {n} usable unit-quarters in {n_units} units leave no degrees of "
            f"freedom after {fe_txt}; add quarters or reduce the lags."
        )
    y, X = absorbed[:, 0], absorbed[:, 1:]
    tiny = 1e-9 * (1 + np.abs(cols[:, 1:]).max(axis=0))
    if np.linalg.matrix_rank(X) < kx or np.any(np.sqrt((X**2).mean(axis=0)) < tiny):
        raise CxlabError(
            f"{where}: the lagged metric does not vary within units"
            + (" beyond what all units share each quarter" if effects == "twoway" else "")
            + " (or the lags are collinear); the slope is not identified."
        )
    if np.sqrt(np.mean(y**2)) < 1e-9 * (1 + np.abs(cols[:, 0]).max()):
        raise CxlabError(f"{where}: {outcome} is constant within every unit; nothing to explain.")
    xtx_inv = np.linalg.inv(X.T @ X)
    coef = xtx_inv @ (X.T @ y)
    resid = y - X @ coef
    if cov == "auto":
        cov = "wild" if n_units < _WILD_BELOW else "cluster"
    scale = n_units / (n_units - 1) * (n - 1) / (n - kx)
    if cov in ("cluster", "wild"):
        onehot = np.zeros((n, n_units))
        onehot[np.arange(n), units] = 1.0
        scores = onehot.T @ (X * resid[:, None])
        se = np.sqrt(np.diag(xtx_inv @ (scores.T @ scores) @ xtx_inv) * scale)
        dof = n_units - 1
    elif cov == "nonrobust":
        se = np.sqrt(np.diag(xtx_inv) * (resid @ resid) / dof_resid)
        dof = dof_resid
    else:  # HC1 with the dummy-variable model's degrees of freedom
        meat = (X * resid[:, None] ** 2).T @ X
        se = np.sqrt(np.diag(xtx_inv @ meat @ xtx_inv) * n / dof_resid)
        dof = dof_resid
    tcrit = float(sps.t.ppf(0.5 + level / 2, dof))
    tval = coef / se
    alpha = 1 - level
    if cov == "wild":
        draws, how = _wild_draws(n_units, weights, int(n_boot), int(seed))
        inference = f"wild cluster bootstrap (WCR), {how}; interval by test inversion"
        res = [_wild_inference(X, y, j, units, basis, draws, scale, alpha) for j in range(kx)]
        p = np.array([r[0] for r in res])
        low = np.array([r[1] for r in res])
        high = np.array([r[2] for r in res])
        crit_rel = float(sps.norm.ppf(0.5 + level / 2))
    else:
        inference = {
            "cluster": f"CR1 cluster-robust SE, t({dof})",
            "nonrobust": f"OLS SE, t({dof})",
            "HC1": f"HC1 SE, t({dof})",
        }[cov]
        p = 2 * sps.t.sf(np.abs(tval), dof)
        low, high = coef - tcrit * se, coef + tcrit * se
        crit_rel = tcrit
    reliability = np.ones(kx)
    se_rel = np.zeros(kx)
    notes = []
    if eiv:
        sxx = float(X[:, 0] @ X[:, 0])
        s2 = df["s2"].to_numpy(float)
        noise = float(np.sum(s2 * mdiag))
        lam = (sxx - noise) / sxx
        if lam < 0.2:
            raise CxlabError(
                f"{where}: sampling error makes up {1 - lam:.0%} of the within-unit variance of "
                f"{metric}; the corrected slope would be unstable. More responses per "
                "unit-quarter are needed."
            )
        v_s2 = _s2_variance(df, metric)
        sd_lam = float(np.sqrt(np.sum(mdiag**2 * v_s2))) / sxx if v_s2 is not None else 0.0
        b0 = coef[0]
        reliability[0] = lam
        coef = coef / lam
        se = se / lam
        se_rel[0] = abs(coef[0]) * sd_lam / lam
        half_lo, half_hi = (b0 - low[0]) / lam, (high[0] - b0) / lam
        low = np.array([coef[0] - np.hypot(half_lo, crit_rel * se_rel[0])])
        high = np.array([coef[0] + np.hypot(half_hi, crit_rel * se_rel[0])])
        if v_s2 is None:
            notes.append("no response counts: the reliability's own uncertainty is not included")
    if cov == "cluster" and n_units < _WILD_BELOW:
        notes.append(f"{n_units} clusters: cluster-robust SE is approximate (cov='wild' is better)")
    if counts.max() < _MIN_PERIODS:
        notes.append(f"at most {int(counts.max())} quarters per unit")
    if eiv:
        notes.append(f"slope corrected for sampling error (reliability {reliability[0]:.2f})")
    r2 = 1 - float(resid @ resid) / float(y @ y)
    scale_std = np.sqrt((X**2).mean(axis=0)) / np.sqrt(np.mean(y**2))
    if eiv:
        scale_std[0] *= np.sqrt(reliability[0])  # the SD of the true metric, not the measured one
    out = pd.DataFrame(
        {
            "metric": metric,
            "outcome": outcome,
            "lag": lags,
            "coef": coef,
            "se": se,
            "low": low,
            "high": high,
            "t": tval,
            "p": p,
            "n": n,
            "n_units": n_units,
            "df": dof,
            "cov": cov,
            "effects": _EFFECTS[effects],
            "inference": inference,
            "reliability": reliability,
            "se_reliability": se_rel,
            "r2_within": r2,
            "caution": "; ".join(notes),
        }
    )
    out["coef_std"] = out["coef"] * scale_std
    out["low_std"] = out["low"] * scale_std
    out["high_std"] = out["high"] * scale_std
    return out


def trend_check(
    panel: pd.DataFrame,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lag: int = 0,
    threshold: float = 0.3,
    level: float = 0.95,
) -> pd.DataFrame:
    """Do the metric and the outcome trend within units? (A warning, not a model.)

    For the metric (at t - lag) and the outcome (at t), on the rows where both are
    present: the within-unit correlation with the quarter index (each unit's means
    removed; repeated-measures correlation, N - k - 1 df, Fisher-z interval as in
    :func:`correlations`). A series *trends* when ``|r| >= threshold`` and its p-value
    is below ``1 - level``. When both trend, a slope with unit effects only mixes the
    two trends with any effect (opposite trends give a negative slope, common ones a
    positive slope, with no causal link at all): the message says so, and a
    :class:`PanelWarning` is raised. Quarter effects (``fe_regression(effects=
    "twoway")``, the default) remove trends shared by all units; ``r_unit_specific`` is
    the within-unit correlation with the quarter index that is left after removing
    each quarter's mean across units (trends that differ between units, which quarter
    effects cannot remove).

    Returns
    -------
    pandas.DataFrame
        One row each for the metric and the outcome: ``variable, role, lag, n, r, low,
        high, p, trending, r_unit_specific``; ``attrs["message"]`` is the warning text
        ("" when at most one series trends).

    Examples
    --------
    >>> p = pd.DataFrame({"unit": list("aaaabbbb"), "quarter": ["2025Q1", "2025Q2", "2025Q3",
    ...                   "2025Q4"] * 2, "qi": [8100, 8101, 8102, 8103] * 2,
    ...                   "nps": [9.0, 7, 6, 3, 20, 19, 16, 15],
    ...                   "margin": [1.0, 2, 4, 5, 3, 4, 5, 7]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     tc = trend_check(p, "nps", "margin", lag=0)
    >>> tc[["variable", "trending"]].values.tolist()
    [['nps', True], ['margin', True]]
    """
    _check_panel(panel, [metric, outcome])
    level = check_level(level, "trend_check")
    pairs = _pairs(panel, metric, outcome, lag)
    _usable(pairs, metric, outcome, within=True)
    z = float(sps.norm.ppf(0.5 + level / 2))
    q = pairs["qi"].astype(float)
    rows = []
    for role, name, col in (("metric", metric, "x"), ("outcome", outcome, "y")):
        sub = pd.DataFrame({"unit": pairs["unit"], "x": q, "y": pairs[col]})
        r, low, high, p, _df = _corr_one(sub, "pearson", True, z)
        # remove each quarter's cross-unit mean, then correlate within units again
        resid = pairs[col] - pairs.groupby("qi")[col].transform("mean")
        sub2 = pd.DataFrame({"unit": pairs["unit"], "x": q, "y": resid})
        r2, *_ = _corr_one(sub2, "pearson", True, z)
        rows.append(
            {
                "variable": name,
                "role": role,
                "lag": lag if role == "metric" else 0,
                "n": len(pairs),
                "r": r,
                "low": low,
                "high": high,
                "p": p,
                "trending": bool(abs(r) >= threshold and p < 1 - level),
                "r_unit_specific": r2,
            }
        )
    out = pd.DataFrame(rows)
    message = ""
    if out["trending"].all():
        mlab = CX_METRICS.get(metric, metric)
        olab = OUTCOMES.get(outcome, outcome)
        rm, ro = out["r"].tolist()
        kind = "opposite" if rm * ro < 0 else "same-direction"
        message = (
            f"{mlab} and {olab.lower()} both trend within units (correlation with the quarter "
            f"index {rm:+.2f} and {ro:+.2f}): with unit effects only, these {kind} trends "
            f"would show up as a {'negative' if rm * ro < 0 else 'positive'} 'effect' even "
            "with no causal link. The reported model also removes quarter effects (trends all "
            "units share)"
        )
        rs = out["r_unit_specific"].abs()
        if (rs >= threshold).all():
            message += (
                "; trends that differ between units remain in both series "
                f"(r {out['r_unit_specific'].iloc[0]:+.2f} and "
                f"{out['r_unit_specific'].iloc[1]:+.2f} after quarter effects), so even that "
                "model's slope may reflect trends"
            )
        message += "."
        warnings.warn(message, PanelWarning, stacklevel=2)
    out.attrs["message"] = message
    return out


def effects(
    panel: pd.DataFrame,
    metrics: str | Sequence[str] | None = None,
    outcomes: str | Sequence[str] | None = None,
    *,
    lags: int | dict[str, int] = 2,
    eiv: bool = True,
    effects: str = "twoway",
    cov: str = "auto",
    level: float = 0.95,
    correction: str = "holm",
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`fe_regression` for every metric and outcome, one row each, Holm-corrected.

    A pair that cannot be estimated (too little data, a constant series, or, with
    ``eiv``, a metric whose within-unit variation is mostly sampling error) gets
    NaN estimates and the reason in ``caution`` instead of stopping the whole grid;
    when no pair can be estimated every row says why and the columns are the same.
    ``effects``, ``cov`` and ``seed`` are passed on (defaults: unit and quarter
    effects; wild cluster bootstrap below 20 units). ``low``/``high`` are each
    model's own (unadjusted) interval; ``p_adj`` is Holm-adjusted across the grid.

    Parameters
    ----------
    lags : int or dict
        One lag for all outcomes, or ``{outcome: lag}``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`fe_regression`, plus ``p_adj`` and ``estimable``.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": list("aaaabbbb"), "quarter": ["2025Q1", "2025Q2", "2025Q3",
    ...                   "2025Q4"] * 2, "qi": [8100, 8101, 8102, 8103] * 2,
    ...                   "nps": [1.0, 2, 4, 3, 10, 12, 11, 13],
    ...                   "revenue": [5.0, 7, 11, 9, 30, 35, 32, 37]})
    >>> effects(p, ["nps"], ["revenue"], lags=0, eiv=False)[["coef", "estimable"]].round(4).values.tolist()
    [[2.3333, True]]
    """
    metrics_ = _as_list(metrics, CX_METRICS)
    outcomes_ = _as_list(outcomes, OUTCOMES)
    if effects not in _EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    if cov not in ("auto", "wild", "cluster", "HC1", "nonrobust"):
        raise CxlabError(
            f"cov must be 'auto', 'wild', 'cluster', 'HC1' or 'nonrobust', not {cov!r}."
        )
    model = effects
    rows = []
    for o in outcomes_:
        k = lags[o] if isinstance(lags, dict) else int(lags)
        for m in metrics_:
            try:
                row = fe_regression(
                    panel, m, o, lag=k, eiv=eiv, effects=model, cov=cov, level=level, seed=seed
                )
                row["estimable"] = True
            except CxlabError as exc:
                row = pd.DataFrame(
                    [
                        {
                            "metric": m,
                            "outcome": o,
                            "lag": k,
                            "effects": _EFFECTS.get(model, model),
                            "estimable": False,
                            "caution": str(exc),
                        }
                    ]
                )
            rows.append(row)
    # reindex: when no pair can be estimated the rows hold only the reasons (no 'p')
    out = pd.concat(rows, ignore_index=True).reindex(columns=[*_FE_COLUMNS, "estimable"])
    out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    return out


def lag_effect(
    panel: pd.DataFrame,
    outcome: str,
    lag: int,
    *,
    lags_tried: Sequence[int] | None = None,
    metric: str = "nps",
    eiv: bool = True,
    effects: str = "twoway",
    cov: str = "auto",
    level: float = 0.95,
    correction: str = "holm",
    weights: str = "auto",
    n_boot: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """The effect the report's verdict reads: the metric at ``lag``, adjusted for the
    lags that were tried to choose it.

    When the lag is picked from the data (:func:`choose_lag` tries 1..max_lag), the
    verdict is the best of several looks, and one lag's 5% test would call a
    no-effect panel "significant" more often than 5%. Here the model is fitted at
    every lag in ``lags_tried`` (one lag per model, as :func:`fe_regression`), the
    p-values of ``b = 0`` are Holm-adjusted across those lags, and the row for
    ``lag`` is returned with ``p_adj`` and an interval at the Holm step-down level of
    that row (as in :func:`horse_race`): it excludes zero only when ``p_adj`` is below
    ``1 - level`` (the errors-in-variables term can only widen it). Holm controls the
    chance of *any* false "effect" among the lags tried at ``1 - level``, whatever
    rule picked ``lag`` (Holm 1979, *Scandinavian Journal of Statistics* 6). Lags
    that cannot be estimated leave the family. With a lag fixed in advance pass
    ``lags_tried=[lag]`` (the default): nothing to adjust.

    With enumerated Rademacher weights the wild bootstrap's smallest p-value is
    ``2 / 2^G``; Holm's first step needs ``(1 - level) / m`` for m lags, which 2/256
    meets at G = 8 and four lags (0.0078 <= 0.0125) but 2/64 and 2/128 do not (G = 6,
    7). When the floor is above that step (and ``weights="auto"``), every lag is
    refitted with Webb's six-point weights (Webb 2014, Queen's Economics Department
    Working Paper 1315), whose 6^G vectors resolve far smaller p-values (``n_boot``
    drawn with ``seed``), so a strong effect can still be called real.

    Returns
    -------
    pandas.DataFrame
        One row: the columns of :func:`fe_regression` (``low, high`` adjusted),
        ``low_unadj, high_unadj`` (the row's own interval), ``p_adj``, ``lags_tried``
        (e.g. ``"1-4"``), ``interval`` ("Holm-adjusted over 4 lags tried" or
        "unadjusted") and ``estimable``; an unestimable lag gives NaN estimates and
        the reason in ``caution``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> p = pd.DataFrame({"unit": np.repeat(list("abcdefghij"), 12),
    ...                   "qi": np.tile(np.arange(8100, 8112), 10)})
    >>> p["quarter"] = [f"{q // 4}Q{q % 4 + 1}" for q in p["qi"]]
    >>> p["nps"] = rng.normal(30, 8, len(p))
    >>> p["new_customers"] = 25 * lagged(p, "nps", 2) + rng.normal(0, 50, len(p))
    >>> fit = lag_effect(p, "new_customers", 2, lags_tried=range(1, 5), eiv=False)
    >>> fit[["lag", "lags_tried", "interval"]].values.tolist()
    [[2, '1-4', 'Holm-adjusted over 4 lags tried']]
    >>> bool(fit["p_adj"].iloc[0] < 0.05 and fit["low"].iloc[0] > 0)
    True
    """
    level = check_level(level, "lag_effect")
    tried = sorted({int(k) for k in (lags_tried if lags_tried is not None else [lag])})
    if int(lag) not in tried:
        raise CxlabError(f"lag_effect: lag {lag} is not among the lags tried {tried}.")
    kw: dict[str, Any] = {
        "eiv": eiv,
        "effects": effects,
        "cov": cov,
        "weights": weights,
        "n_boot": n_boot,
        "seed": seed,
    }

    def fit_all() -> tuple[dict[int, pd.DataFrame], str]:
        fits: dict[int, pd.DataFrame] = {}
        reason = ""
        for k in tried:
            try:
                fits[k] = fe_regression(panel, metric, outcome, lag=k, level=level, **kw)
            except CxlabError as exc:
                if k == int(lag):
                    reason = str(exc)
        return fits, reason

    fits, reason = fit_all()
    m_fit = len(fits)
    coarse = [
        f.iloc[0]
        for f in fits.values()
        if "Rademacher weights, all" in str(f["inference"].iloc[0])
        and 2.0 / 2 ** int(f["n_units"].iloc[0]) > (1 - level) / m_fit
    ]
    if weights == "auto" and m_fit > 1 and coarse:
        kw["weights"] = "webb"
        fits, reason = fit_all()
    span = f"{tried[0]}-{tried[-1]}" if tried == list(range(tried[0], tried[-1] + 1)) else ""
    span = span if len(tried) > 1 else str(tried[0])
    span = span or ", ".join(map(str, tried))
    if int(lag) not in fits:
        return pd.DataFrame(
            [
                {
                    "metric": metric,
                    "outcome": outcome,
                    "lag": int(lag),
                    "effects": _EFFECTS.get(effects, effects),
                    "caution": reason,
                    "lags_tried": span,
                    "estimable": False,
                }
            ]
        ).reindex(columns=_LAG_EFFECT_COLUMNS)
    ks = list(fits)
    p = np.array([float(fits[k]["p"].iloc[0]) for k in ks])
    p_adj = cxstats.adjust_pvalues(p, correction)
    a_row, how = _interval_levels(p, correction, 1 - level)
    i = ks.index(int(lag))
    row = fits[int(lag)].copy()
    row["low_unadj"], row["high_unadj"] = row["low"], row["high"]
    m = int(np.isfinite(p).sum())
    if m > 1 and how != "unadjusted":
        adjusted = fe_regression(panel, metric, outcome, lag=int(lag), level=1 - a_row[i], **kw)
        for col in ("low", "high", "low_std", "high_std"):
            row[col] = adjusted[col].to_numpy()
        row["interval"] = f"{how} over {m} lags tried"
    else:
        row["interval"] = "unadjusted"
    row["p_adj"] = p_adj[i]
    row["lags_tried"] = span
    row["estimable"] = True
    return row.reindex(columns=_LAG_EFFECT_COLUMNS)


def choose_lag(
    panel: pd.DataFrame,
    outcome: str,
    metrics: str | Sequence[str] | None = None,
    *,
    max_lag: int = 4,
    effects: str = "twoway",
) -> int:
    """The leading lag (1..max_lag) at which the CX metrics, on average, correlate most
    with the outcome within units (mean of |r| over the metrics, so no metric is favoured),
    with unit and quarter effects removed as the models remove them (``effects="twoway"``,
    the default; ``"unit"``: unit means only, see :func:`lag_correlations`).

    Choosing a lag on the same data that then tests it overstates the evidence: read
    the effect at the chosen lag with :func:`lag_effect`, which adjusts for the lags
    tried, or fix the lag in advance when the question allows.
    """
    metrics_ = _as_list(metrics, CX_METRICS)
    if max_lag < 1:
        raise CxlabError(f"choose_lag: max_lag must be >= 1, got {max_lag}.")
    score = np.zeros(max_lag)
    for m in metrics_:
        lc = lag_correlations(
            panel,
            m,
            outcome,
            lags=range(1, max_lag + 1),
            effects=effects,
            correction="none",
            model_test=False,
        )
        score += lc["r"].abs().fillna(0).to_numpy()
    return int(np.argmax(score) + 1)


def _excludes_zero(row: pd.Series) -> bool:
    return bool(np.isfinite(row.get("coef", np.nan)) and (row["low"] > 0 or row["high"] < 0))


def lead(
    fits: Mapping[str, pd.DataFrame], n_units: int, n_quarters: int, *, level: float = 0.95
) -> str:
    """The outcomes report's opening: at most three plain sentences (Markdown).

    Which outcomes NPS moves and when (the verdicts of :func:`lag_effect`: unit
    and quarter fixed effects, Holm-adjusted over the lags tried, so an
    interval excluding zero is the verdict), which it does not, and how far
    a panel of this size can be trusted.

    Parameters
    ----------
    fits : mapping
        Outcome column -> the one-row result of :func:`lag_effect`.
    n_units, n_quarters : int
        Size of the panel.
    level : float
        Confidence level of the intervals (for the wording only).

    Examples
    --------
    >>> import pandas as pd
    >>> fits = {
    ...     "new_customers": pd.DataFrame({"lag": [2], "coef": [23.2], "low": [12.0], "high": [33.6]}),
    ...     "margin": pd.DataFrame({"lag": [3], "coef": [-0.01], "low": [-0.06], "high": [0.03]}),
    ... }
    >>> print(lead(fits, 8, 12))
    Where a unit's NPS rises: new customers up 2 quarters later (fixed effects for unit and quarter, 95% intervals Holm-adjusted over the lags tried). The data do not show NPS moving profit margin \\%. These are associations within 8 units over 12 quarters, not proof that raising NPS will move them.
    """
    moved, flat = [], []
    for outcome, fit in fits.items():
        label = md_escape(OUTCOMES.get(outcome, outcome))
        label = label[:1].lower() + label[1:]
        row = fit.iloc[0] if len(fit) else None
        if row is not None and (row["low"] > 0 or row["high"] < 0):
            verb = "up" if row["coef"] > 0 else "down"
            k = int(row["lag"])
            moved.append(f"{label} {verb} {k} quarter{'s' if k != 1 else ''} later")
        else:
            flat.append(label)

    def joined(items: list[str]) -> str:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    sentences = []
    if moved:
        sentences.append(
            f"Where a unit's NPS rises: {joined(moved)} (fixed effects for unit and quarter, "
            f"{level:.0%} intervals Holm-adjusted over the lags tried)."
        )
    if flat:
        sentences.append(f"The data do not show NPS moving {joined(flat)}.")
    sentences.append(
        f"These are associations within {n_units} units over {n_quarters} quarters, not proof "
        "that raising NPS will move them."
    )
    return " ".join(sentences)


def conclusion(
    outcome: str,
    lags: pd.DataFrame,
    fit: pd.DataFrame,
    race: pd.DataFrame,
    *,
    level: float = 0.95,
    fit_unit: pd.DataFrame | None = None,
    trend: pd.DataFrame | None = None,
    lag_reason: str | None = None,
) -> str:
    """Plain-language verdict on one outcome, with its uncertainty (Markdown).

    The effect is read from ``fit``, the two-way model by default (unit and quarter
    effects); pass :func:`lag_effect`'s row when the lag was chosen from the data, so
    that the verdict's interval is adjusted for the lags tried (the text names the
    adjustment). When the unit-effects-only model (``fit_unit``) has an interval that
    excludes zero but the two-way model does not, the text says the apparent effect
    is a trend shared by all units and does not call it an effect. The first sentence
    reads the correlogram (``lags``) and states that NPS leads or lags the outcome only
    when the correlogram is the two-way one (unit and quarter effects removed, the
    :func:`lag_correlations` default) and its peak survives the Holm correction over the
    lags shown; otherwise it says the data do not show a lead or lag (and, for a
    unit-effects-only or pooled correlogram, that a shared trend can produce the peak).
    The sentence that
    uses the model's lag says why that lag: the strongest NPS correlation, or
    ``lag_reason`` (default: the lag :func:`choose_lag` picks for all CX metrics
    together) when it differs from it. ``trend``'s message (:func:`trend_check`) is
    quoted. Forecast rankings use the race's Holm-adjusted p-values; when the race's
    models include the common trend (``horse_race(trend=True)``, the default) the text
    says so.

    Parameters
    ----------
    outcome : str
    lags : pandas.DataFrame
        :func:`lag_correlations` of NPS and the outcome (two-way by default; its
        ``scope`` and ``effects`` columns say what was removed).
    fit : pandas.DataFrame
        One row of :func:`lag_effect` (or :func:`fe_regression`, :func:`effects`): NPS
        at the chosen lag. The effect is called real when its interval excludes zero.
    race : pandas.DataFrame
        :func:`horse_race` for the outcome.
    level : float
    fit_unit : pandas.DataFrame, optional
        The same model with unit effects only (``effects="unit"``).
    trend : pandas.DataFrame, optional
        :func:`trend_check` of NPS and the outcome.
    lag_reason : str, optional
        Why the model's lag was chosen, when it is not the strongest NPS correlation.

    Examples
    --------
    >>> lags = pd.DataFrame({"lag": [1, 2], "r": [0.1, 0.5], "low": [-0.1, 0.3],
    ...                      "high": [0.3, 0.7], "p_adj": [0.4, 0.001], "best": [False, True],
    ...                      "scope": "within", "effects": "unit + quarter effects"})
    >>> fit = pd.DataFrame({"lag": [2], "coef": [3.0], "low": [1.0], "high": [5.0], "n": [80],
    ...                     "n_units": [8], "caution": [""], "effects": ["unit + quarter effects"],
    ...                     "inference": ["wild cluster bootstrap (WCR)"]})
    >>> race = pd.DataFrame({"metric": ["nps"], "rmse": [1.0], "rmse_vs_none": [80.0],
    ...                      "n_quarters": [6]})
    >>> print(conclusion("revenue", lags, fit, race))  # doctest: +NORMALIZE_WHITESPACE
    **Revenue.** The strongest correlation once unit and quarter averages are removed is at
    lag +2 (r = 0.50, 95% interval 0.30 to 0.70): NPS leads revenue by 2 quarters. With NPS 2 quarters earlier (the lag of
    that strongest correlation), in the fixed-effects model with unit + quarter effects a
    unit whose NPS is one point above its own average has +3 revenue (95% interval +1 to +5,
    wild cluster bootstrap (WCR); 8 units, 80 unit-quarters); the interval excludes zero.
    """
    olab = OUTCOMES.get(outcome, outcome).lower()
    best = lags.loc[lags["best"]].iloc[0]
    k = int(best["lag"])
    when = (
        f"NPS leads {olab} by {k} quarter{'s' if abs(k) != 1 else ''}"
        if k > 0
        else (
            f"NPS lags {olab} by {-k} quarter{'s' if k != -1 else ''}"
            if k < 0
            else f"NPS moves with {olab} in the same quarter"
        )
    )
    # the lead is stated only when the fixed-effects test of that lag (cluster bootstrap,
    # Holm over the lags shown) supports it; the correlation's own p assumes independence
    p_lead = best["p_fe_adj"] if "p_fe_adj" in best.index else best["p_adj"]
    sig_lag = bool(np.isfinite(p_lead) and p_lead < 1 - level)
    twoway = best.get("scope", "within") == "within" and best.get("effects") == _EFFECTS["twoway"]
    f = fit.iloc[0]
    if outcome in ("market_share", "market_share_change"):
        unit = "percentage points of market share"
    elif outcome in ("revenue_growth", "margin"):
        unit = f"percentage points of {olab}"
    else:
        unit = olab
    peak = (
        f"is at lag {k:+d} (r = {best['r']:.2f}, {level:.0%} interval {best['low']:.2f} to "
        f"{best['high']:.2f})"
    )
    head = f"**{OUTCOMES.get(outcome, outcome)}.**"
    if not twoway:  # unit means only, or pooled: a trend all units share can make the peak
        removed = (
            "with unit averages removed (quarter averages kept)"
            if best.get("scope", "within") == "within"
            else "over all unit-quarters pooled"
        )
        lead = (
            f"{head} The strongest correlation {removed} {peak}; a trend all units share can "
            "produce such a peak, so it is not read as NPS leading or lagging the outcome."
        )
    elif sig_lag:
        lead = (
            f"{head} The strongest correlation once unit and quarter averages are removed "
            f"{peak}: {when}."
        )
    else:
        lead = (
            f"{head} The strongest correlation once unit and quarter averages are removed "
            f"{peak}, but the fixed-effects test of each lag, corrected for the {len(lags)} "
            f"lags tried, does not confirm it: the data do not show NPS leading or lagging "
            f"{olab}."
        )
    parts = [lead]
    fl = int(f["lag"])
    if fl == k:
        why = "the lag of that strongest correlation"
    else:
        why = (
            lag_reason or "the lag at which all CX metrics together correlate most with the outcome"
        ) + f"; NPS alone peaks at lag {k:+d}"
    model = f.get("effects", "unit effects only")
    how = f.get("inference", "")
    adj = f.get("interval", "unadjusted")
    adj = "" if not isinstance(adj, str) or adj == "unadjusted" else f", {adj}"
    sig = _excludes_zero(f)
    sig_unit = fit_unit is not None and _excludes_zero(fit_unit.iloc[0])
    if not np.isfinite(f.get("coef", np.nan)):
        parts.append(
            f"With NPS {fl} quarter{'s' if fl != 1 else ''} earlier ({why}), the fixed-effects "
            f"model could not be estimated: {md_escape(f['caution'])}"
        )
    else:
        parts.append(
            f"With NPS {fl} quarter{'s' if fl != 1 else ''} earlier ({why}), in the "
            f"fixed-effects model with {model} a unit whose NPS is one point above its own "
            f"average has {f['coef']:+.3g} {unit} ({level:.0%} interval {f['low']:+.3g} to "
            f"{f['high']:+.3g}{adj}{', ' + how.split(';')[0] if how else ''}; "
            f"{int(f['n_units'])} units, {int(f['n'])} unit-quarters)"
            + (
                "; the interval excludes zero."
                if sig
                else "; the interval includes zero, so the data do not show an effect."
            )
        )
        if sig_unit and not sig and fit_unit is not None:
            u = fit_unit.iloc[0]
            parts.append(
                f"With unit effects only the slope is {u['coef']:+.3g} ({u['low']:+.3g} to "
                f"{u['high']:+.3g}), which excludes zero, but it disappears once quarter effects "
                "remove what all units share each quarter: it is a common trend, not evidence "
                f"that NPS moves {olab}."
            )
    if trend is not None and trend.attrs.get("message"):
        parts.append(f"Trend check: {trend.attrs['message']}")
    if f["caution"] and np.isfinite(f.get("coef", np.nan)):
        parts.append(f"Caution: {md_escape(f['caution'])}.")
    top = race.iloc[0]
    with_trend = "trend" in str(top.get("model", ""))
    name = (
        f"no CX metric (unit averages{' and the common trend' if with_trend else ''})"
        if top["metric"] == "none"
        else CX_METRICS.get(top["metric"], top["metric"])
    )
    trend_note = (
        "; every forecast includes the linear trend all units share, so a metric that merely "
        "trends gets no credit for it"
        if with_trend
        else ""
    )
    runner = race.iloc[1] if len(race) > 1 else None
    if runner is not None:
        clear = bool(runner["p_adj"] < 1 - level)
        rname = (
            "no CX metric"
            if runner["metric"] == "none"
            else CX_METRICS.get(runner["metric"], runner["metric"])
        )
        parts.append(
            f"Out of sample, {name} forecast best (RMSE {top['rmse']:.3g}, "
            f"{top['rmse_vs_none']:.0f}% of the error without any CX metric, over "
            f"{int(top['n_quarters'])} quarters{trend_note}); "
            + (
                f"it beat the runner-up ({rname}) by more than chance would explain "
                "(Holm-adjusted across the metrics)."
                if clear
                else f"the runner-up ({rname}, RMSE {runner['rmse']:.3g}) is not significantly "
                "worse after the Holm adjustment across the metrics, so the ranking is not "
                "settled."
            )
        )
    return " ".join(parts)


def granger(
    panel: pd.DataFrame,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    maxlag: int = 2,
    level: float = 0.95,
    correction: str = "holm",
    effects: str = "twoway",
) -> pd.DataFrame:
    """Granger-causality tests: do past values of the metric help predict the outcome?

    For each unit, OLS of ``y_t`` on a constant, ``y_{t-1..p}`` and
    ``x_{t-1..p}``; the F test of all ``x`` lags = 0 (Granger 1969,
    *Econometrica* 37; the test of statsmodels ``grangercausalitytests``, here
    on rows built by quarter arithmetic so gaps are never bridged). Pooled: the
    same regression with fixed effects and a cluster-robust Wald test
    (Holtz-Eakin, Newey & Rosen 1988, *Econometrica* 56, with homogeneous
    coefficients). As in :func:`fe_regression`, ``effects="twoway"`` (the default)
    removes unit and quarter effects, so a trend that all units share is not read as
    the metric helping to predict the outcome; ``effects="unit"`` keeps unit effects
    only (``plm(model = "within")``). A single unit's series cannot separate a quarter
    effect from its own dynamics, so the per-unit tests have none: with trending
    series read them with :func:`trend_check`. Fixed effects with a lagged outcome
    carry Nickell (1981) bias of order 1/T, so read the pooled test as indicative.
    "Granger cause" means "precedes and helps predict", not "causes".

    Returns
    -------
    pandas.DataFrame
        ``scope`` ("unit" or "pooled"), ``unit, n, df_num, df_den, F, p, p_adj,
        significant, caution`` (the pooled row's names its fixed effects); per-unit
        p-values are corrected across units.
    """
    import statsmodels.api as sm

    _check_panel(panel, [metric, outcome])
    level = check_level(level, "granger")
    if maxlag < 1:
        raise CxlabError(f"granger: maxlag must be >= 1, got {maxlag}.")
    if effects not in _EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    df = pd.DataFrame(
        {
            "unit": panel["unit"].to_numpy(),
            "qi": panel["qi"].to_numpy(),
            "y": panel[outcome].to_numpy(float),
        }
    )
    names = []
    for k in range(1, maxlag + 1):
        df[f"y{k}"] = lagged(panel, outcome, k).to_numpy()
        df[f"x{k}"] = lagged(panel, metric, k).to_numpy()
        names += [f"y{k}", f"x{k}"]
    df = df.dropna().reset_index(drop=True)
    xnames = [f"x{k}" for k in range(1, maxlag + 1)]
    rows = []
    n_params = 1 + 2 * maxlag
    for u, g in df.groupby("unit", sort=True):
        row = {"scope": "unit", "unit": u, "n": len(g), "df_num": maxlag}
        dfd = len(g) - n_params
        if dfd < 2:
            rows.append(
                row | {"df_den": dfd, "F": np.nan, "p": np.nan, "caution": "too few quarters"}
            )
            continue
        X = sm.add_constant(g[names].to_numpy(float), has_constant="add")
        if np.linalg.matrix_rank(X) < X.shape[1]:
            rows.append(
                row | {"df_den": dfd, "F": np.nan, "p": np.nan, "caution": "constant or collinear"}
            )
            continue
        res = sm.OLS(g["y"].to_numpy(float), X).fit()
        R = np.zeros((maxlag, X.shape[1]))
        for i, nm in enumerate(xnames):
            R[i, 1 + names.index(nm)] = 1
        ft = res.f_test(R)
        caution = "few quarters: low power" if len(g) < 12 else ""
        rows.append(
            row
            | {
                "df_den": dfd,
                "F": float(np.squeeze(ft.fvalue)),
                "p": float(ft.pvalue),
                "caution": caution,
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    n_units = df["unit"].nunique()
    if n_units > maxlag and len(df) - n_units > len(names) + 1:
        # the cluster-robust covariance has rank <= G - 1: the joint test needs G > maxlag
        codes = pd.factorize(df["unit"])[0]
        cols = df[["y", *names]].to_numpy(float)
        absorbed, _m, _q, rank_fe = _absorb(codes, df["qi"].to_numpy(), cols, effects)
        X = absorbed[:, 1:]
        if np.linalg.matrix_rank(X) == X.shape[1] and len(df) - rank_fe > X.shape[1]:
            res = sm.OLS(absorbed[:, 0], X).fit(
                cov_type="cluster",
                cov_kwds={"groups": pd.factorize(df["unit"])[0]},
                use_t=True,
            )
            R = np.zeros((maxlag, X.shape[1]))
            for i, nm in enumerate(xnames):
                R[i, names.index(nm)] = 1
            ft = res.f_test(R)
            notes = [_EFFECTS[effects], "Nickell bias with short panels"]
            if n_units < 20:
                notes.append(f"{n_units} clusters: cluster-robust test is approximate")
            pooled = {
                "scope": "pooled",
                "unit": "ALL",
                "n": len(df),
                "df_num": maxlag,
                "df_den": n_units - 1,
                "F": float(np.squeeze(ft.fvalue)),
                "p": float(ft.pvalue),
                "caution": "; ".join(notes),
            }
            pooled["p_adj"] = pooled["p"]
            out = pd.concat([out, pd.DataFrame([pooled])], ignore_index=True)
    if out.empty:
        raise CxlabError(
            f"granger {metric} -> {outcome}: no unit has enough consecutive quarters for "
            f"{maxlag} lag(s)."
        )
    out["significant"] = out["p_adj"] < 1 - level
    out.insert(0, "outcome", outcome)
    out.insert(0, "metric", metric)
    return out


# ----------------------------------------------------------------------------- horse race


def horse_race(
    panel: pd.DataFrame,
    outcome: str = "new_customers",
    metrics: str | Sequence[str] | None = None,
    *,
    lag: int = 2,
    min_train: int = 4,
    level: float = 0.95,
    correction: str = "holm",
    trend: bool = True,
) -> pd.DataFrame:
    """Which CX metric forecasts the outcome best, out of sample?

    Rolling origin by quarter: for each quarter t with at least ``min_train``
    earlier quarters of usable data, fit ``y = a_u + g q + b x_{t-lag}`` (unit fixed
    effects and, with ``trend=True``, the default, a linear trend in the quarter
    index q common to all units) on the quarters before t and forecast every unit's
    outcome at t. All metrics, and a benchmark without any CX metric (``"none"``:
    ``y = a_u + g q``, each unit's training mean when ``trend=False``), are scored
    on the same unit-quarters.

    Why a common trend and not the quarter effects of :func:`fe_regression`: a
    quarter's effect cannot be estimated before that quarter has happened, so quarter
    dummies cannot forecast; their forecastable part is the trend that all units
    share. Without it, a metric that merely trends (NPS drifting down while the
    outcome drifts up) beats the unit-mean benchmark by standing in for time, and
    the race would credit the metric with what the calendar predicts. With it, a
    metric must forecast better than the shared trend does. Trends that differ
    between units are left in (four training quarters cannot estimate a slope per
    unit reliably); :func:`trend_check` flags them. ``trend=False`` is the
    unit-effects-only race. The comparison with
    the best metric is a Diebold & Mariano (1995, *JBES* 13) test on the
    per-quarter mean loss differences with the small-sample correction of
    Harvey, Leybourne & Newbold (1997, *IJF* 13), which for one-step forecasts
    is a one-sample t test with T - 1 degrees of freedom; p-values are
    Holm-corrected across the metrics.

    One inference per row: ``low, high`` (and ``low_pct, high_pct``) are adjusted
    the same way as ``p_adj``. With Holm, the row at step i of the step-down
    (p-values in increasing order, m tests) gets the t interval at level
    ``1 - alpha / (m - i + 1)``; rows from the first step that is not rejected on
    get that step's level, so an interval excludes zero exactly when ``p_adj <
    alpha`` (the step-down intervals of Strassburger & Bretz 2008, *Statistics in
    Medicine* 27, without their extension to the rejected rows). Bonferroni uses
    ``1 - alpha / m`` for every row; ``"none"`` and the false-discovery-rate methods
    leave the intervals unadjusted (``interval`` says which). ``low_unadj,
    high_unadj`` are the unadjusted intervals.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, best first: ``outcome, metric, lag, n_forecasts,
        n_quarters, rmse, rmse_vs_none`` (RMSE as % of the no-CX benchmark's),
        ``mse_diff`` (MSE minus the best's), ``low, high`` (its interval),
        ``mse_diff_pct, low_pct, high_pct`` (the same in % of the best's MSE), ``p,
        p_adj`` (vs the best), ``p_vs_none`` (one-sided: beats the no-CX benchmark),
        ``low_unadj, high_unadj``, ``interval`` (how the intervals are adjusted),
        ``model`` ("unit effects + common linear trend" or "unit effects"), ``rank,
        best, caution``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = pd.DataFrame({"unit": np.repeat(["a", "b"], 10), "qi": np.tile(range(8100, 8110), 2)})
    >>> p["quarter"] = [f"{q // 4}Q{q % 4 + 1}" for q in p["qi"]]
    >>> p["nps"] = rng.normal(0, 5, 20)
    >>> p["new_customers"] = 2 * lagged(p, "nps", 1).fillna(0) + rng.normal(0, 1, 20)
    >>> horse_race(p, "new_customers", ["nps"], lag=1)[["metric", "interval"]].values.tolist()
    [['nps', 'Holm-adjusted'], ['none', 'Holm-adjusted']]
    """
    metrics_ = _as_list(metrics, CX_METRICS)
    _check_panel(panel, [outcome, *metrics_])
    level = check_level(level, "horse_race")
    base = pd.DataFrame(
        {
            "unit": panel["unit"].to_numpy(),
            "qi": panel["qi"].to_numpy(),
            "y": panel[outcome].to_numpy(float),
        }
    )
    for m in metrics_:
        base[m] = lagged(panel, m, lag).to_numpy()
    base = base.dropna().reset_index(drop=True)  # common sample for a fair race
    quarters = np.sort(base["qi"].unique())
    if len(quarters) <= min_train:
        raise CxlabError(
            f"horse_race: {len(quarters)} quarter(s) with the outcome and every metric at lag "
            f"{lag}; at least {min_train + 1} are needed (min_train = {min_train})."
        )
    if base["unit"].nunique() < 2:
        warnings.warn(
            "horse_race: a single unit; forecasts rest on one series.", PanelWarning, stacklevel=2
        )
    losses: dict[str, list[float]] = {m: [] for m in ["none", *metrics_]}
    keys: list[tuple[Any, int]] = []
    base["q"] = base["qi"].astype(float)
    for t in quarters[min_train:]:
        train, test = base[base["qi"] < t], base[base["qi"] == t]
        test = test[test["unit"].isin(train["unit"])]
        if test.empty:
            continue
        means = train.groupby("unit").mean(numeric_only=True)
        keys += list(zip(test["unit"], test["qi"], strict=True))
        at = test["unit"]

        def within(col: str, train: pd.DataFrame = train, means: pd.DataFrame = means):
            """The training column minus its unit's training mean."""
            return (train[col] - train["unit"].map(means[col])).to_numpy(float)

        def dev(col: str, test: pd.DataFrame = test, means: pd.DataFrame = means):
            """The test rows' value minus their unit's training mean."""
            return test[col].to_numpy(float) - means.loc[test["unit"], col].to_numpy()

        y_bar = means.loc[at, "y"].to_numpy()
        yd = within("y")
        for m in ["none", *metrics_]:
            cols = (["q"] if trend else []) + ([] if m == "none" else [m])
            pred = y_bar.copy()
            if cols:
                xd = np.column_stack([within(c) for c in cols])
                coef = np.linalg.lstsq(xd, yd, rcond=None)[0]
                pred += np.column_stack([dev(c) for c in cols]) @ coef
            losses[m] += list((test["y"].to_numpy() - pred) ** 2)
    q_of = np.array([k[1] for k in keys])
    cands = ["none", *metrics_]
    per_q = pd.DataFrame({m: losses[m] for m in cands}).groupby(q_of).mean()
    mse = per_q.mean()
    order = mse.sort_values().index.tolist()
    best = order[0]
    t_n = len(per_q)
    rows = []
    for m in cands:
        d = (per_q[m] - per_q[best]).to_numpy()
        d0 = (per_q[m] - per_q["none"]).to_numpy()
        mean_d = float(d.mean())
        se_d = float(d.std(ddof=1) / np.sqrt(t_n)) if t_n > 1 else np.nan
        tcrit = float(sps.t.ppf(0.5 + level / 2, t_n - 1)) if t_n > 1 else np.nan
        p = float(2 * sps.t.sf(abs(mean_d / se_d), t_n - 1)) if se_d > 0 else np.nan
        se0 = float(d0.std(ddof=1) / np.sqrt(t_n)) if t_n > 1 else np.nan
        p0 = float(sps.t.cdf(d0.mean() / se0, t_n - 1)) if se0 > 0 else np.nan
        rows.append(
            {
                "outcome": outcome,
                "metric": m,
                "lag": lag,
                "n_forecasts": len(keys),
                "n_quarters": t_n,
                "rmse": float(np.sqrt(mse[m])),
                "rmse_vs_none": 100.0 * float(np.sqrt(mse[m] / mse["none"])),
                "mse_diff": mean_d,
                "se_d": se_d,
                "low_unadj": mean_d - tcrit * se_d if m != best else np.nan,
                "high_unadj": mean_d + tcrit * se_d if m != best else np.nan,
                "p": p if m != best else np.nan,
                "p_vs_none": p0 if m != "none" else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    a_row, how = _interval_levels(out["p"].to_numpy(float), correction, 1 - level)
    with np.errstate(invalid="ignore"):
        tq = sps.t.ppf(1 - a_row / 2, t_n - 1) if t_n > 1 else np.full(len(out), np.nan)
    out["low"] = out["mse_diff"] - tq * out["se_d"]
    out["high"] = out["mse_diff"] + tq * out["se_d"]
    out.loc[out["metric"] == best, ["low", "high"]] = np.nan
    out["interval"] = how
    out = out.drop(columns="se_d")
    for col in ("mse_diff", "low", "high"):  # in percent of the best metric's MSE
        out[f"{col}_pct"] = 100.0 * out[col] / float(mse[best])
    out["model"] = "unit effects + common linear trend" if trend else "unit effects"
    out["rank"] = out["metric"].map({m: i + 1 for i, m in enumerate(order)})
    out["best"] = out["metric"] == best
    out["caution"] = f"only {t_n} forecast quarters" if t_n < 8 else ""
    out = out.sort_values("rank").reset_index(drop=True)
    return out


# ----------------------------------------------------------------------------- say vs do


def _category_expr(s: ir.Column, breaks: tuple[int, int]) -> ir.Column:
    lo, hi = breaks
    return ibis.cases((s <= lo, "detractor"), (s <= hi, "passive"), else_="promoter")


def _period_end(t: ir.Table, col: str) -> pd.Timestamp:
    v = t.aggregate(m=t[col].max()).to_pandas()["m"].iloc[0]
    if v is None or pd.isna(v):
        raise CxlabError(f"no data: column {col!r} is empty.")
    return (pd.Timestamp(v).to_period("Q").end_time).normalize()


def say_do(
    responses: pd.DataFrame | ir.Table,
    customers: pd.DataFrame | ir.Table,
    transactions: pd.DataFrame | ir.Table | None = None,
    *,
    window_days: int = 182,
    by: str = "category",
    ltr: str = "ltr",
    breaks: tuple[int, int] = (6, 8),
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """What customers did after they said it: churn, purchases and revenue by LTR.

    Each response is followed for ``window_days`` days. Churn: the customer's
    ``churn_date`` falls in ``(survey_date, survey_date + window]``. Only
    surveys whose window ends by ``end`` (default: the last day of the quarter
    of the latest survey) are counted, so censored windows do not pass for
    loyalty. With ``transactions``: ``bought`` = at least one purchase in the
    window after; ``revenue_change`` = revenue in the window after minus the
    window before the survey (only surveys with both windows inside
    ``start``..``end``; default start: the first day of the quarter of the
    earliest survey).

    Everything is counted in the engine per LTR score (one join and one
    aggregation); rates use Wilson intervals (statsmodels), revenue change a t
    interval from sums and sums of squares.

    Parameters
    ----------
    by : {"category", "score"}
        Rows per NPS category or per LTR score 0-10 (the input of
        :func:`say_do_logit`).

    Returns
    -------
    pandas.DataFrame
        ``category`` (or ``ltr``), ``n_surveys, n, churned, churn_rate,
        churn_low, churn_high`` (percent), and with transactions ``n_rev,
        bought, buy_rate, buy_low, buy_high, revenue_change, rc_low, rc_high``.
    """
    if by not in ("category", "score"):
        raise CxlabError(f"say_do: by must be 'category' or 'score', not {by!r}.")
    level = check_level(level, "say_do")
    if window_days < 1:
        raise CxlabError(f"say_do: window_days must be >= 1, got {window_days}.")
    r = as_table(responses)
    c = as_table(customers)
    check_columns(r, ["customer_id", "survey_date", ltr], "responses")
    check_columns(c, ["customer_id", "churn_date"], "customers")
    end_ts = pd.Timestamp(end) if end is not None else _period_end(r, "survey_date")
    if start is not None:
        start_ts = pd.Timestamp(start)
    else:
        v = r.aggregate(m=r["survey_date"].min()).to_pandas()["m"].iloc[0]
        start_ts = pd.Timestamp(v).to_period("Q").start_time
    w = ibis.interval(days=window_days)
    r = r.filter(r[ltr].notnull()).select(
        "customer_id", "survey_date", score=r[ltr].cast("int64"), rid=ibis.row_number()
    )
    j = r.left_join(c.select("customer_id", "churn_date"), "customer_id")
    obs_churn = (j.survey_date + w) <= ibis.literal(end_ts.date())
    churn_hit = (
        j.churn_date.notnull()
        & (j.churn_date > j.survey_date)
        & (j.churn_date <= j.survey_date + w)
    )
    per = j.select(
        "rid", "customer_id", "survey_date", "score", obs=obs_churn, hit=churn_hit.fill_null(False)
    )
    aggs: dict[str, Any] = {
        "n_surveys": per.rid.count(),
        "n": per.obs.sum(),
        "churned": (per.obs & per.hit).sum(),
    }
    if transactions is not None:
        t = as_table(transactions)
        check_columns(t, ["customer_id", "date", "revenue"], "transactions")
        t = t.select("customer_id", tdate=t["date"], rev=t["revenue"].cast("float64"))
        jt = per.left_join(
            t,
            [
                per.customer_id == t.customer_id,
                t.tdate > per.survey_date - w,
                t.tdate <= per.survey_date + w,
            ],
        )
        after = (jt.tdate > jt.survey_date).fill_null(False)
        before = (jt.tdate <= jt.survey_date).fill_null(False)
        per = jt.group_by(["rid", "score", "obs", "hit", "survey_date"]).aggregate(
            n_after=after.sum(),
            rev_after=jt.rev.sum(where=after),
            rev_before=jt.rev.sum(where=before),
        )
        obs_rev = per.obs & ((per.survey_date - w) >= ibis.literal(start_ts.date()))
        rc = per.rev_after.fill_null(0.0) - per.rev_before.fill_null(0.0)
        aggs = {
            "n_surveys": per.rid.count(),
            "n": per.obs.sum(),
            "churned": (per.obs & per.hit).sum(),
            "n_rev": obs_rev.sum(),
            "bought": (obs_rev & (per.n_after > 0)).sum(),
            "rc_s": rc.sum(where=obs_rev),
            "rc_ss": (rc * rc).sum(where=obs_rev),
        }
    g = per.group_by("score").aggregate(**aggs).to_pandas().sort_values("score")
    if g.empty:
        raise CxlabError("say_do: no responses with an LTR score.")
    bad = g[(g["score"] < 0) | (g["score"] > 10)]
    if len(bad):
        raise CxlabError(f"say_do: column {ltr!r} has scores outside 0-10: {bad['score'].tolist()}")
    g = g.fillna(0)
    lo, hi = breaks
    g["category"] = np.where(
        g["score"] <= lo, "detractor", np.where(g["score"] <= hi, "passive", "promoter")
    )
    key = "score" if by == "score" else "category"
    num = [col for col in g.columns if col not in ("score", "category")]
    s = g.groupby(key, sort=False)[num].sum().reset_index()
    if by == "category":
        s["category"] = pd.Categorical(s["category"], CATEGORIES, ordered=True)
        s = s.sort_values("category").reset_index(drop=True)
        s["category"] = s["category"].astype(str)
    else:
        s = s.rename(columns={"score": "ltr"})
    if int(s["n"].sum()) == 0:
        raise CxlabError(
            f"say_do: no survey has its {window_days}-day window inside the data (ending {end_ts:%Y-%m-%d}); "
            "use a shorter window or later data."
        )
    s["churn_rate"], s["churn_low"], s["churn_high"] = cxstats.proportion_ci(
        s["churned"].to_numpy(float), s["n"].to_numpy(float), level=level
    )
    if transactions is not None:
        s["buy_rate"], s["buy_low"], s["buy_high"] = cxstats.proportion_ci(
            s["bought"].to_numpy(float), s["n_rev"].to_numpy(float), level=level
        )
        m, _se, lo_, hi_ = cxstats.mean_ci(
            s["rc_s"].to_numpy(float),
            s["rc_ss"].to_numpy(float),
            s["n_rev"].to_numpy(float),
            level=level,
        )
        s["revenue_change"], s["rc_low"], s["rc_high"] = m, lo_, hi_
        s = s.drop(columns=["rc_s", "rc_ss"])
    for col in ("n_surveys", "n", "churned", "n_rev", "bought"):
        if col in s:
            s[col] = s[col].astype(np.int64)
    s["flag"] = cxstats.base_flag(s["n"].to_numpy(float))
    s["window_days"] = window_days
    return s


def say_do_logit(by_score: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Logistic model of churn on the LTR score, fit on the per-score counts.

    statsmodels ``GLM(Binomial)`` with ``[churned, n - churned]`` per score: with
    the score as the only regressor this is exactly the individual-level logistic
    regression (the likelihood depends on the data only through these counts), so
    it scales to any number of responses.

    Parameters
    ----------
    by_score : pandas.DataFrame
        ``say_do(..., by="score")``.

    Returns
    -------
    pandas.DataFrame
        ``term`` ("intercept", "ltr"), ``coef, se, low, high, p, odds_ratio,
        or_low, or_high, n``.

    Examples
    --------
    >>> s = pd.DataFrame({"ltr": [0, 5, 10], "n": [100, 100, 100], "churned": [40, 20, 10]})
    >>> say_do_logit(s)["odds_ratio"].round(3).tolist()
    [0.655, 0.833]
    """
    import statsmodels.api as sm

    level = check_level(level, "say_do_logit")
    need = [c for c in ("ltr", "n", "churned") if c not in by_score]
    if need:
        raise CxlabError(f"say_do_logit: needs columns {need}; use say_do(..., by='score').")
    d = by_score[by_score["n"] > 0]
    if d["ltr"].nunique() < 2:
        raise CxlabError("say_do_logit: fewer than two distinct LTR scores with observed surveys.")
    k, n = d["churned"].to_numpy(float), d["n"].to_numpy(float)
    if k.sum() == 0 or k.sum() == n.sum():
        raise CxlabError(
            "say_do_logit: every observed survey has the same outcome (no churn or all churned); "
            "the model is not identified."
        )
    X = sm.add_constant(d["ltr"].to_numpy(float))
    res = sm.GLM(np.column_stack([k, n - k]), X, family=sm.families.Binomial()).fit()
    ci = np.asarray(res.conf_int(alpha=1 - level))
    out = pd.DataFrame(
        {
            "term": ["intercept", "ltr"],
            "coef": np.asarray(res.params),
            "se": np.asarray(res.bse),
            "low": ci[:, 0],
            "high": ci[:, 1],
            "p": np.asarray(res.pvalues),
        }
    )
    out["odds_ratio"], out["or_low"], out["or_high"] = (
        np.exp(out["coef"]),
        np.exp(out["low"]),
        np.exp(out["high"]),
    )
    out["n"] = int(n.sum())
    return out


def migration(
    responses: pd.DataFrame | ir.Table,
    transactions: pd.DataFrame | ir.Table | None = None,
    *,
    ltr: str = "ltr",
    breaks: tuple[int, int] = (6, 8),
    window_days: int = 182,
    end: str | pd.Timestamp | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """NPS migration: category at one survey against the customer's next survey.

    Consecutive survey pairs per customer are formed in the engine (a window
    ``LEAD`` over each customer's surveys by date). With ``transactions``,
    each pair's revenue change is the revenue in the ``window_days`` after the
    second survey minus that after the first (pairs whose second window ends by
    ``end`` only).

    Returns
    -------
    pandas.DataFrame
        Nine rows (``from``, ``to`` in detractor/passive/promoter): ``n``,
        ``share`` (of the ``from`` row, %), and with transactions ``n_rev,
        revenue_change, rc_low, rc_high``.
    """
    level = check_level(level, "migration")
    r = as_table(responses)
    check_columns(r, ["customer_id", "survey_date", ltr], "responses")
    end_ts = pd.Timestamp(end) if end is not None else _period_end(r, "survey_date")
    r = r.filter(r[ltr].notnull())
    win = ibis.window(group_by=r.customer_id, order_by=[r.survey_date, r[ltr]])
    pairs = r.select(
        "customer_id",
        d1=r.survey_date,
        d2=r.survey_date.lead().over(win),
        c1=_category_expr(r[ltr], breaks),
        c2=_category_expr(r[ltr].lead().over(win), breaks),
    )
    pairs = pairs.filter(pairs.d2.notnull())
    if transactions is None:
        g = pairs.group_by(["c1", "c2"]).aggregate(n=pairs.count()).to_pandas()
    else:
        t = as_table(transactions)
        check_columns(t, ["customer_id", "date", "revenue"], "transactions")
        w = ibis.interval(days=window_days)
        pairs = pairs.mutate(pid=ibis.row_number())
        t = t.select(cid=t.customer_id, tdate=t["date"], rev=t["revenue"].cast("float64"))
        jt = pairs.left_join(
            t,
            [pairs.customer_id == t.cid, t.tdate > pairs.d1, t.tdate <= pairs.d2 + w],
        )
        in1 = (jt.tdate <= jt.d1 + w).fill_null(False)
        in2 = (jt.tdate > jt.d2).fill_null(False)
        per = jt.group_by(["pid", "c1", "c2", "d2"]).aggregate(
            r1=jt.rev.sum(where=in1), r2=jt.rev.sum(where=in2)
        )
        ok = (per.d2 + w) <= ibis.literal(end_ts.date())
        rc = per.r2.fill_null(0.0) - per.r1.fill_null(0.0)
        g = (
            per.group_by(["c1", "c2"])
            .aggregate(
                n=per.count(), n_rev=ok.sum(), s=rc.sum(where=ok), ss=(rc * rc).sum(where=ok)
            )
            .to_pandas()
        )
    if g.empty:
        raise CxlabError("migration: no customer answered two surveys.")
    full = pd.MultiIndex.from_product([CATEGORIES, CATEGORIES], names=["c1", "c2"])
    g = g.set_index(["c1", "c2"]).reindex(full).fillna(0).reset_index()
    g = g.rename(columns={"c1": "from", "c2": "to"})
    g["n"] = g["n"].astype(np.int64)
    tot = g.groupby("from")["n"].transform("sum").to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        g["share"] = 100.0 * g["n"] / tot
    if transactions is not None:
        m, _se, lo, hi = cxstats.mean_ci(
            g["s"].to_numpy(float),
            g["ss"].to_numpy(float),
            g["n_rev"].to_numpy(float),
            level=level,
        )
        g["revenue_change"], g["rc_low"], g["rc_high"] = m, lo, hi
        g["n_rev"] = g["n_rev"].astype(np.int64)
        g = g.drop(columns=["s", "ss"])
    return g


# ----------------------------------------------------------------------------- plots


@literal_plot
def plot_scatter(
    panel: pd.DataFrame,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lag: int = 2,
    within: bool = True,
    effects: str = "twoway",
    eiv: bool = False,
    level: float = 0.95,
    ax: Axes | None = None,
) -> Axes:
    """Metric (t - lag) against outcome (t), one colour per unit, OLS fit with its band.

    With ``within=True`` both axes have the fixed effects of :func:`fe_regression`
    removed (``effects="twoway"``: unit and quarter effects, the default, as in the
    regression; ``"unit"``: the unit means), so the fitted slope is exactly the
    uncorrected fixed-effects slope (Frisch-Waugh-Lovell) and the band its
    (non-robust) confidence band for the mean. The reported effect with ``eiv=True``
    is that slope divided by the reliability of the metric; ``eiv=True`` here draws
    that corrected slope as a dashed line and names the reliability in the legend,
    so plot and table agree.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> p = pd.DataFrame({"unit": np.repeat(["a", "b", "c"], 8), "qi": np.tile(range(8100, 8108), 3)})
    >>> p["quarter"] = [f"{q // 4}Q{q % 4 + 1}" for q in p["qi"]]
    >>> p["nps"], p["new_customers"] = rng.normal(0, 5, 24), rng.normal(0, 1, 24)
    >>> ax = plot_scatter(p, lag=0)
    >>> ax.get_legend_handles_labels()[1][-2].startswith("fit (slope")
    True
    >>> plt.close("all")
    """
    if effects not in _EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    ax = ax or plt.gca()
    pairs = _pairs(panel, metric, outcome, lag)
    _usable(pairs, metric, outcome, within=within)
    if within:
        units = pd.factorize(pairs["unit"])[0]
        absorbed, _m, _q, rank_fe = _absorb(
            units, pairs["qi"].to_numpy(), pairs[["x", "y"]].to_numpy(float), effects
        )
        d = pairs.assign(x=absorbed[:, 0], y=absorbed[:, 1])
    else:
        d, rank_fe = pairs, 1
    colors = plt.get_cmap("tab10")
    for i, (u, g) in enumerate(d.groupby("unit", sort=True)):
        ax.scatter(g["x"], g["y"], s=22, color=colors(i % 10), alpha=0.85, label=str(u))
    x, y = d["x"].to_numpy(float), d["y"].to_numpy(float)
    n = len(x)
    xm, ym = (0.0, 0.0) if within else (x.mean(), y.mean())
    sxx = float(((x - xm) ** 2).sum())
    b = float(((x - xm) * (y - ym)).sum()) / sxx
    a = ym - b * xm
    dof = max(n - rank_fe - 1, 1)
    s2 = float(((y - a - b * x) ** 2).sum()) / dof
    grid = np.linspace(x.min(), x.max(), 100)
    se = np.sqrt(s2 * ((0.0 if within else 1.0 / n) + (grid - xm) ** 2 / sxx))
    tcrit = float(sps.t.ppf(0.5 + level / 2, dof))
    ax.plot(grid, a + b * grid, color="black", linewidth=1.5, label=f"fit (slope {b:.3g})")
    ax.fill_between(
        grid,
        a + b * grid - tcrit * se,
        a + b * grid + tcrit * se,
        color="0.5",
        alpha=0.25,
        linewidth=0,
        label=f"{level:.0%} band",
    )
    if eiv and within:
        fit = fe_regression(
            panel, metric, outcome, lag=lag, eiv=True, effects=effects, cov="nonrobust"
        ).iloc[0]
        lam = float(fit["reliability"])
        ax.plot(
            grid,
            grid * b / lam,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"corrected for sampling error: slope {b / lam:.3g} (= {b:.3g} / reliability "
            f"{lam:.3f})",
        )
    mlab, olab = CX_METRICS.get(metric, metric), OUTCOMES.get(outcome, outcome)
    if within:
        suffix = (
            ", unit and quarter effects removed"
            if effects == "twoway"
            else ", deviation from unit mean"
        )
    else:
        suffix = ""
    lag_txt = f" (t-{lag})" if lag > 0 else (f" (t+{-lag})" if lag < 0 else " (t)")
    # the adjustment on a line of its own: a long label would run past the axes
    note = f"\n({suffix[2:]})" if suffix else ""
    ax.set_xlabel(f"{mlab}{lag_txt}{note}")
    ax.set_ylabel(f"{olab} (t){note}")
    # under the axes, never over the points (tight_layout makes room for it)
    ax.legend(
        fontsize="x-small", frameon=False, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.32)
    )
    return ax


@literal_plot
def plot_correlogram(result: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars of r by lag with their intervals; the best lag highlighted.

    Parameters
    ----------
    result : pandas.DataFrame
        From :func:`lag_correlations`.
    """
    from cxlab.plots import ACCENT

    ax = ax or plt.gca()
    lags = result["lag"].to_numpy()
    r = result["r"].to_numpy(float)
    colors = [ACCENT if b else "#9ecae1" for b in result["best"]]
    ax.bar(lags, r, color=colors, width=0.6)
    err = np.vstack([r - result["low"].to_numpy(float), result["high"].to_numpy(float) - r])
    ax.errorbar(lags, r, yerr=err, fmt="none", ecolor="0.25", capsize=3, linewidth=1)
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_xticks(lags)
    ax.set_xlabel("k: metric at t vs outcome at t + k  (k > 0: metric leads)")
    ax.set_ylabel("correlation r")
    ax.set_ylim(-1, 1)
    return ax


@literal_plot
def plot_coefficients(
    result: pd.DataFrame,
    *,
    label: str | Sequence[str] = ("outcome", "lag"),
    standardized: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Dot-and-whisker plot of regression coefficients with their intervals.

    Parameters
    ----------
    result : pandas.DataFrame
        Rows of :func:`fe_regression` (concatenate several fits); standardise the
        coefficients first when outcomes have different units.
    label : str or list of str
        Columns that name each row.
    standardized : bool
        Plot ``coef_std`` (outcome SDs per SD of the metric, within units) so that
        outcomes in different units share one axis.
    """
    from cxlab.plots import ACCENT

    ax = ax or plt.gca()
    cols = [label] if isinstance(label, str) else list(label)
    names = result[cols].astype(str).agg(" | ".join, axis=1).to_numpy()
    y = np.arange(len(result))[::-1]
    sfx = "_std" if standardized else ""
    est = result[f"coef{sfx}"].to_numpy(float)
    lo, hi = result[f"low{sfx}"].to_numpy(float), result[f"high{sfx}"].to_numpy(float)
    err = np.vstack([est - lo, hi - est])
    sig = (lo > 0) | (hi < 0)
    ax.errorbar(est, y, xerr=err, fmt="none", ecolor=ACCENT, capsize=3)
    ax.scatter(est[sig], y[sig], color=ACCENT, zorder=3, label="interval excludes 0")
    ax.scatter(
        est[~sig],
        y[~sig],
        facecolor="white",
        edgecolor=ACCENT,
        zorder=3,
        label="interval includes 0",
    )
    ax.axvline(0, color="0.5", linewidth=0.8)
    ax.set_yticks(y, names)
    if standardized:
        ax.set_xlabel("effect of +1 SD of the metric, in SDs of the outcome (within units)")
    ax.legend(fontsize="x-small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


@literal_plot
def plot_migration(result: pd.DataFrame, *, value: str = "share", ax: Axes | None = None) -> Axes:
    """Heat map of the 3 x 3 migration table (rows: first survey, columns: next).

    ``value="share"`` colours by the row share (%) and annotates share and n;
    ``"revenue_change"`` colours by the mean revenue change of each cell.
    """
    import seaborn as sns

    ax = ax or plt.gca()
    if value not in result:
        raise CxlabError(f"plot_migration: no column {value!r} in the migration table.")
    mat = result.pivot(index="from", columns="to", values=value).loc[CATEGORIES, CATEGORIES]
    n = result.pivot(index="from", columns="to", values="n").loc[CATEGORIES, CATEGORIES]
    if value == "share":
        annot = mat.round(0).astype("Int64").astype(str) + "%\nn=" + n.astype(str)
        cmap, center = "Blues", None
    else:
        annot = mat.round(0).astype("Int64").astype(str) + "\nn=" + n.astype(str)
        cmap, center = "RdBu", 0.0
    sns.heatmap(
        mat.astype(float),
        annot=annot.to_numpy(),
        fmt="",
        cmap=cmap,
        center=center,
        cbar=True,
        linewidths=0.5,
        ax=ax,
    )
    ax.set_xlabel("category at the next survey")
    ax.set_ylabel("category at the first survey")
    return ax
