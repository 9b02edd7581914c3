"""The unit x quarter panel of CX metrics and business outcomes, aggregated in the engine."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats as cxstats
from cxlab._checks import as_table, check_columns, renamed_keywords
from cxlab.errors import CxlabError
from cxlab.outcomes._common import (
    PanelWarning,
    as_list,
)
from cxlab.outcomes.result import Panel
from cxlab.periods import quarter_from_index, quarter_indices

#: The outcomes table's columns the panel reads.
_OUTCOME_SOURCE = ("new_customers", "revenue", "profit", "market_share")
#: The panel's columns, in order.
PANEL_COLUMNS = [
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


@renamed_keywords(responses="data")
def build_panel(
    data: pd.DataFrame | ir.Table,
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
) -> Panel:
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
    data : pandas.DataFrame or ibis Table
        Survey responses with ``unit``, ``quarter`` and the score columns (formerly
        ``responses=``, still accepted).
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
    Panel
        ``data_``: one row per unit and quarter; ``gaps_``: the missing or thin
        unit-quarters; ``units_``, ``quarters_``, ``n_``, ``n_eff_``, ``weight_``
        (see :class:`Panel`). The columns of ``data_``: ``unit, quarter, qi`` (quarter index),
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
    >>> p.data_[["quarter", "nps", "revenue_growth", "market_share_change"]].round(3)
      quarter    nps  revenue_growth  market_share_change
    0  2025Q1    0.0             NaN                  NaN
    1  2025Q2  100.0            10.0                  1.0
    >>> p
    <Panel: 1 units x 2 quarters (2025Q1 to 2025Q2), 0 gaps>
    """
    r, o, keep_units = _select(data, outcomes, units, (ltr, csat, ces), weight)
    resp = _engine_counts(r, ltr, csat, ces, breaks, weight)
    outc = _outcome_rows(o)
    if resp.empty and outc.empty:
        raise CxlabError("no data: the responses and outcomes are empty for this selection.")
    p = _quarter_grid(resp, outc, first, last, keep_units)
    n, thin = _derive_metrics(p, weight, min_responses)
    gaps_df = _find_gaps(p, n, thin, min_responses)
    table = _tidy(p, weight)
    return Panel(table, gaps_df, weight=weight, min_responses=min_responses)


def _select(
    responses: pd.DataFrame | ir.Table,
    outcomes: pd.DataFrame | ir.Table,
    units: str | Sequence[str] | None,
    scores: tuple[str, str, str],
    weight: str | None,
) -> tuple[ir.Table, ir.Table, list[str] | None]:
    """Both sources as Ibis tables, their columns checked, filtered to ``units``."""
    r = as_table(responses)
    o = as_table(outcomes)
    check_columns(r, ["unit", "quarter", *scores], "responses")
    check_columns(o, ["unit", "quarter", *_OUTCOME_SOURCE], "outcomes")
    keep_units = None if units is None else as_list(units, [])
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
    return r, o, keep_units


def _engine_counts(
    r: ir.Table, ltr: str, csat: str, ces: str, breaks: tuple[int, int], weight: str | None
) -> pd.DataFrame:
    """One ``GROUP BY unit, quarter`` in the engine: NPS counts, CSAT and CES sums."""
    lo_b, hi_b = breaks
    s = r[ltr]
    c = r[csat].cast("float64")
    e = r[ces].cast("float64")
    w = ibis.literal(1.0) if weight is None else r[weight].cast("float64")

    def wsum(cond: Any, x: Any = None) -> Any:
        """Sum of w (times x) over the rows where cond holds (NULL-safe)."""
        val = w if x is None else w * x
        return cond.ifelse(val, 0.0).sum()

    return (
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


def _outcome_rows(o: ir.Table) -> pd.DataFrame:
    """The outcomes table's rows, one per unit and quarter (a duplicate is refused)."""
    outc = o.select("unit", "quarter", *_OUTCOME_SOURCE).to_pandas()
    if outc.duplicated(["unit", "quarter"]).any():
        dup = outc[outc.duplicated(["unit", "quarter"], keep=False)].head(3)
        raise CxlabError(
            "outcomes: more than one row for the same unit and quarter, e.g. "
            + "; ".join(f"{a} {b}" for a, b in zip(dup.unit, dup.quarter, strict=True))
        )
    return outc


def _quarter_grid(
    resp: pd.DataFrame,
    outc: pd.DataFrame,
    first: str | None,
    last: str | None,
    keep_units: list[str] | None,
) -> pd.DataFrame:
    """Every unit x every quarter from ``first`` to ``last``, both sources joined (with
    the previous quarter's revenue and share for the changes)."""
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
    return grid.merge(resp, on=["unit", "qi"], how="left").merge(
        outc, on=["unit", "qi"], how="left"
    )


def _derive_metrics(
    p: pd.DataFrame, weight: str | None, min_responses: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shares, means, sampling variances (Kish n) and outcome changes, in place; thin
    cells' metrics set to NaN. Returns the LTR counts and the thin-cell mask."""
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
    return n, thin


def _find_gaps(
    p: pd.DataFrame, n: np.ndarray, thin: np.ndarray, min_responses: int
) -> pd.DataFrame:
    """The missing or thin unit-quarters, reported once with a :class:`PanelWarning`."""
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
            stacklevel=4,  # the caller of build_panel (past renamed_keywords)
        )
    return gaps_df


def _tidy(p: pd.DataFrame, weight: str | None) -> pd.DataFrame:
    """The panel's columns in order, sorted by unit and quarter, with their dtypes."""
    out = p[PANEL_COLUMNS].sort_values(["unit", "qi"], kind="stable").reset_index(drop=True)
    for col in ("csat_n", "ces_n", *(() if weight else ("detractors", "passives", "promoters"))):
        out[col] = out[col].fillna(0).astype(np.int64)
    if weight:
        out[["detractors", "passives", "promoters"]] = out[
            ["detractors", "passives", "promoters"]
        ].fillna(0.0)
    out["new_customers"] = out["new_customers"].astype(float)
    return out


def panel_gaps(panel: Panel | pd.DataFrame) -> pd.DataFrame:
    """The missing or thin unit-quarters that :func:`build_panel` found: ``unit, quarter,
    problem`` (``panel.gaps_``; a table with the former ``attrs["gaps"]`` works too)."""
    if isinstance(panel, Panel):
        return panel.gaps_.copy()
    return pd.DataFrame(panel.attrs.get("gaps", []), columns=["unit", "quarter", "problem"])
