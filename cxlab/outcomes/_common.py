"""What the outcomes modules share: the panel's metric and outcome names, input checks,
lags by quarter arithmetic, the fixed-effects (within) transformations and Holm interval levels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias, TypeVar

import numpy as np
import pandas as pd

from cxlab._checks import renamed_keywords
from cxlab.errors import CxlabError, TooLittleData
from cxlab.outcomes.result import Panel

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


MIN_UNITS = 5  # fewer units: between-unit claims are anecdotes


MIN_PERIODS = 8  # fewer quarters per unit: within-unit claims are fragile


MIN_PAIRS = 20


class PanelWarning(UserWarning):
    """The data allow the computation, but not a strong claim (few units, gaps...)."""


EFFECTS = {"twoway": "unit + quarter effects", "unit": "unit effects only"}


_F = TypeVar("_F", bound=Callable[..., Any])


#: What every analysis takes: a :class:`Panel` or its table (any frame with its columns).
PanelLike: TypeAlias = Panel | pd.DataFrame


def check_panel(panel: PanelLike, columns: Sequence[str]) -> pd.DataFrame:
    """The panel's table (``panel.data_`` for a :class:`Panel`), its columns checked."""
    if isinstance(panel, Panel):
        panel = panel.data_
    if not isinstance(panel, pd.DataFrame):
        raise CxlabError(f"panel must be the Panel from build_panel(), not {type(panel).__name__}.")
    need = ["unit", "quarter", "qi", *columns]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise CxlabError(
            f"panel has no column(s) {', '.join(map(repr, missing))}; build it with "
            f"cxlab.outcomes.build_panel(). Metrics: {', '.join(CX_METRICS)}; outcomes: "
            f"{', '.join(OUTCOMES)}."
        )
    return panel


def as_list(x: str | Sequence[str] | None, default: Iterable[str]) -> list[str]:
    if x is None:
        return list(default)
    return [x] if isinstance(x, str) else list(x)


@renamed_keywords(panel="data")
def lagged(data: PanelLike, column: str, k: int) -> pd.Series:
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
    panel = check_panel(data, [column])
    codes, _ = pd.factorize(panel["unit"])
    qi = panel["qi"].to_numpy(np.int64)
    span = int(qi.max() - qi.min()) + abs(int(k)) + 1 if len(qi) else 1
    key = codes.astype(np.int64) * (2 * span + 1) + (qi - qi.min())  # unique per (unit, quarter)
    values = pd.Series(panel[column].to_numpy(float), index=key)
    values = values[~values.index.duplicated()]
    out = values.reindex(key - k).to_numpy()
    return pd.Series(out, index=panel.index, name=f"{column}_lag{k}")


def metric_pairs(panel: PanelLike, metric: str, outcome: str, lag: int) -> pd.DataFrame:
    """Rows with the metric at t - lag and the outcome at t, both present."""
    panel = check_panel(panel, [metric, outcome])
    x = lagged(panel, metric, lag)
    out = pd.DataFrame(
        {"unit": panel["unit"].to_numpy(), "qi": panel["qi"].to_numpy(), "x": x.to_numpy()}
    )
    out["y"] = panel[outcome].to_numpy(float)
    var = f"{metric}_var"
    out["x_var"] = lagged(panel, var, lag).to_numpy() if var in panel else 0.0
    return out.dropna(subset=["x", "y"]).reset_index(drop=True)


def demean(df: pd.DataFrame, cols: Sequence[str], effects: str = "unit") -> pd.DataFrame:
    """The within transformation of ``cols``: each unit's mean subtracted
    (``effects="unit"``), or unit and quarter effects partialled out (``"twoway"``, the
    within transformation of the two-way model, exact on unbalanced panels; see
    :func:`absorb`). ``attrs["rank"]`` is the number of fixed effects removed."""
    out = df.copy()
    codes, _ = pd.factorize(df["unit"])
    if effects == "twoway":
        values = df[list(cols)].to_numpy(float)
        resid, _mdiag, _basis, rank = absorb(codes, df["qi"].to_numpy(), values, "twoway")
        out[list(cols)] = resid
        out.attrs["rank"] = rank
        return out
    counts = np.bincount(codes).astype(float)
    for c in cols:
        v = df[c].to_numpy(float)
        out[c] = v - (np.bincount(codes, weights=v) / counts)[codes]
    out.attrs["rank"] = len(counts)
    return out


def absorb(
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


def check_usable(
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
        raise TooLittleData(
            f"{where}: only {n} unit-quarter(s) have both values (need at least {min_pairs}); "
            "widen the period, add units, or use a shorter lag."
        )
    if within:
        if k == n:
            raise TooLittleData(
                f"{where}: every unit has a single period, so there is no within-unit variation; "
                "within-unit analyses need at least two quarters per unit."
            )
        d = demean(pairs, ["x", "y"], effects)
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
            raise TooLittleData(
                f"{where}: {name} is constant{scope} over the "
                "selected quarters; a correlation or slope would be meaningless."
            )


def caution_note(n: int, n_units: int, n_periods: int, *, within: bool) -> str:
    notes = []
    if n < MIN_PAIRS:
        notes.append(f"only {n} unit-quarters")
    if within and n_periods < MIN_PERIODS:
        notes.append(f"at most {n_periods} quarters per unit")
    if not within and n_units < MIN_UNITS:
        notes.append(f"only {n_units} units: mostly between-unit differences")
    return "; ".join(notes)


def interval_levels(p: np.ndarray, correction: str, alpha: float) -> tuple[np.ndarray, str]:
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
