"""Journey charts: the case-study journey, transition heat map, effects, funnel.

Axes-level, in seaborn's manner: each takes ``ax=`` (keyword only; default the
current Axes), passes ``**kwargs`` to its main artist, takes its colours from
:mod:`cxlab.plots` and returns the Axes. Text from data is drawn literally
(:func:`cxlab.plots.literal_plot`).
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cxlab.journey._common import CONVERSION, DROP_OFF, START
from cxlab.journey.cases import CaseStudyResult
from cxlab.plots import ACCENT, MIX_COLORS, draw_intervals, literal_plot

__all__ = ["plot_dropoff", "plot_journey", "plot_removal_effects", "plot_transitions"]

#: Background of each journey stage in :func:`plot_journey` (pale, behind the points).
STAGE_COLORS = {"attraction": "#E8F1FA", "interaction": "#FDF3E1", "cultivation": "#E9F5EE"}
_WEAK = MIX_COLORS[0]  # the detractors' colour marks what fails
_OK = ACCENT


@literal_plot
def plot_journey(result: CaseStudyResult, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Journey chart: touch points in order, their scores, stage bands, weak ones highlighted.

    Takes a :func:`case_study` result. Intervals are drawn where the scores come
    from the warehouse; the aggregate (if any) is a dashed line, the
    ``weak_below`` threshold a dotted one. ``kwargs`` go to the scatter of the
    touch points that are not weak (``Axes.scatter``).

    Examples
    --------
    >>> from cxlab.journey import case_study
    >>> ax = plot_journey(case_study("electronics_product_launch"))
    """
    if not isinstance(result, CaseStudyResult):
        raise TypeError(
            f"plot_journey takes the result of case_study(), not {type(result).__name__}."
        )
    t = result.touchpoints_
    ax = plt.gca() if ax is None else ax
    x = t["order"].to_numpy(float)
    y = t["score"].to_numpy(float)
    lo_s, hi_s = result.scale_
    for st, g in t.groupby("stage", sort=False):
        ax.axvspan(
            g["order"].min() - 0.5,
            g["order"].max() + 0.5,
            color=STAGE_COLORS.get(st, "#F2F2F2"),
            zorder=0,
            lw=0,
        )
        ax.text(
            (g["order"].min() + g["order"].max()) / 2,
            hi_s,
            st,
            ha="center",
            va="bottom",
            fontsize="small",
            color="0.35",
        )
    ax.plot(x, y, color="0.6", lw=1.2, zorder=1)
    weak = t["weak"].to_numpy(bool)
    if t["score_low"].notna().any():
        # the interval itself, low to high: at a tiny base it need not contain the score
        lo, hi = t["score_low"].to_numpy(float), t["score_high"].to_numpy(float)
        draw_intervals(ax, x, lo, hi, vertical=True, color="0.45", linewidth=1.2)
    ax.scatter(
        x[~weak], y[~weak], **{"s": 70, "color": _OK, "zorder": 3, "label": "touch point", **kwargs}
    )
    ax.scatter(x[weak], y[weak], s=90, color=_WEAK, marker="v", zorder=3, label="weak touch point")
    for xi, yi in zip(x, y, strict=True):
        ax.annotate(f"{yi:.3g}", (xi, yi), textcoords="offset points", xytext=(8, 4), fontsize=8)
    wb = result.weak_below_
    ax.axhline(wb, color=_WEAK, ls=":", lw=1, label=f"weak below {wb:g}")
    agg = result.aggregate_.get("score")
    if agg is not None:
        lab = result.aggregate_["label"]
        ax.axhline(agg, color="0.2", ls="--", lw=1, label=f"{lab}: {agg:.3g}")
    labels = [
        name + ("" if i else "\n(unintentional)")
        for name, i in zip(t["touchpoint"], t["intentional"], strict=True)
    ]
    ax.set_xticks(x, [textwrap.fill(s, 18) for s in labels], fontsize=8)
    pad = 0.08 * (hi_s - lo_s)
    ax.set_ylim(lo_s - pad, hi_s + 1.6 * pad)
    ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
    ax.set_ylabel("relationship score")
    # under the touch-point names, never over the touch points
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=2, fontsize="small", frameon=False
    )
    return ax


@literal_plot
def plot_transitions(
    matrix: pd.DataFrame, *, ax: Axes | None = None, annot: bool = True, **kwargs: Any
) -> Axes:
    """Heat map of a :func:`transition_matrix` (probabilities), absorbing rows dropped.

    ``kwargs`` go to ``Axes.imshow`` (e.g. ``cmap``); ``annot`` writes each
    probability of at least 0.005 in its cell.

    Examples
    --------
    >>> import pandas as pd
    >>> tr = pd.DataFrame({"from": ["(start)", "Ad", "Ad"],
    ...                    "to": ["Ad", "(conversion)", "(drop-off)"], "n": [4, 1, 3]})
    >>> from cxlab.journey import transition_matrix
    >>> ax = plot_transitions(transition_matrix(tr))
    """
    ax = plt.gca() if ax is None else ax
    m = matrix.drop(index=[s for s in (CONVERSION, DROP_OFF) if s in matrix.index])
    m = m.drop(columns=[START] if START in m.columns else [])
    kws = {"cmap": "Blues", "vmin": 0, "vmax": 1, "aspect": "auto", **kwargs}
    im = ax.imshow(m.to_numpy(float), **kws)
    if annot:
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = m.iat[i, j]
                if v >= 0.005:
                    ax.text(
                        j,
                        i,
                        f"{v:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v > 0.55 else "black",
                    )
    ax.set_xticks(range(m.shape[1]), m.columns, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(m.shape[0]), m.index, fontsize=8)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="transition probability")
    return ax


@literal_plot
def plot_removal_effects(result: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Each touch point's effect on conversion, adjusted for the other touch points met.

    Takes a :func:`removal_effects` (or :func:`touchpoint_effects`) result: one
    row per touch point, the adjusted difference in conversion (``adj_diff``,
    percentage points) with its interval, touch points that lose customers
    highlighted; a hollow grey mark shows the crude difference (``diff``) where
    the result has it. Without ``adj_diff`` (an older result) the crude
    difference is drawn with its interval. ``kwargs`` go to the scatter of the
    touch points with no significant loss (``Axes.scatter``).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"touchpoint": ["A", "B"], "diff": [-20.0, 5.0],
    ...                   "diff_low": [-30.0, -2.0], "diff_high": [-10.0, 12.0],
    ...                   "verdict": ["loses customers", ""], "journeys": [100, 80]})
    >>> ax = plot_removal_effects(r)
    """
    ax = plt.gca() if ax is None else ax
    adjusted = "adj_diff" in result
    pre = "adj_diff" if adjusted else "diff"
    est, lo, hi = pre, f"{pre}_low", f"{pre}_high"
    f = result.sort_values(est, ascending=False, na_position="first")
    y = np.arange(len(f))
    d = f[est].to_numpy(float)
    bad = (f["verdict"] == "loses customers").to_numpy()
    draw_intervals(ax, y, f[lo].to_numpy(float), f[hi].to_numpy(float), color="0.5")
    if adjusted and "diff" in f:
        ax.scatter(
            f["diff"].to_numpy(float),
            y,
            facecolors="none",
            edgecolors="0.55",
            zorder=2,
            label="crude difference",
        )
    kws = {"color": _OK, "zorder": 3, "label": "no significant loss", **kwargs}
    ax.scatter(d[~bad], y[~bad], **kws)
    ax.scatter(d[bad], y[bad], color=_WEAK, marker="v", s=60, zorder=3, label="loses customers")
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(y, [f"{t}  (n={n:,})" for t, n in zip(f["touchpoint"], f["journeys"])])
    ax.set_xlabel(
        "conversion difference, adjusted for the other touch points met (percentage points)"
        if adjusted
        else "conversion of journeys through it minus the others (percentage points)"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax


@literal_plot
def plot_dropoff(result: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Bar chart of a :func:`stage_dropoff` result: journeys reaching each step.

    ``kwargs`` go to ``Axes.bar``.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"step": ["attraction", "conversion"], "journeys": [100, 40],
    ...                   "share_of_all": [100.0, 40.0], "drop_off": [np.nan, 60.0]})
    >>> ax = plot_dropoff(r)
    """
    ax = plt.gca() if ax is None else ax
    x = np.arange(len(result))
    ax.bar(x, result["share_of_all"], **{"color": _OK, "alpha": 0.85, **kwargs})
    for xi, (_, row) in zip(x, result.iterrows(), strict=True):
        txt = f"{row['journeys']:,}"
        if pd.notna(row.get("drop_off")):
            txt += f"\n-{row['drop_off']:.0f}% from previous"
        ax.text(float(xi), row["share_of_all"] + 2, txt, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, result["step"])
    ax.set_ylim(0, 125)
    ax.set_ylabel("% of journeys reaching the step")
    return ax
