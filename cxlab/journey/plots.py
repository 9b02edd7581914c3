"""Journey charts: the case-study journey, transition heat map, effects, funnel.

Axes-level, in seaborn's manner: each takes ``ax=`` (keyword only; default the
current Axes), passes ``**kwargs`` to its main artist, takes its colours and
its smallest text size from :mod:`cxlab.plots.style` and returns the Axes. Text
from data is drawn literally (:func:`cxlab.plots.literal_plot`) and long names
are wrapped (:func:`cxlab.plots.wrap_label`), so the charts stay readable in a
narrow report figure.
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from cxlab.journey._common import CONVERSION, DROP_OFF, START
from cxlab.journey.cases import CaseStudyResult
from cxlab.plots import draw_intervals, legend_below, literal_plot, wrap_label
from cxlab.plots.style import (
    ACCENT,
    AGGREGATE_LINE,
    AXIS_LABEL_CHARS,
    CMAP_SEQUENTIAL,
    INTERVAL_GREY,
    PATH_LINE,
    REFERENCE_LINE,
    SECONDARY_TEXT,
    SMALL,
    STAGE_COLORS,
    STAGE_OTHER,
    WEAK,
)

__all__ = ["plot_dropoff", "plot_journey", "plot_removal_effects", "plot_transitions"]


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
            color=STAGE_COLORS.get(st, STAGE_OTHER),
            zorder=0,
            lw=0,
        )
        ax.text(  # at the top of the Axes, above the points and their values
            (g["order"].min() + g["order"].max()) / 2,
            0.98,
            st,
            ha="center",
            va="top",
            fontsize=SMALL,
            color=SECONDARY_TEXT,
            transform=ax.get_xaxis_transform(),
        )
    ax.plot(x, y, color=PATH_LINE, lw=1.2, zorder=1)
    weak = t["weak"].to_numpy(bool)
    if t["score_low"].notna().any():
        # the interval itself, low to high: at a tiny base it need not contain the score
        lo, hi = t["score_low"].to_numpy(float), t["score_high"].to_numpy(float)
        draw_intervals(ax, x, lo, hi, vertical=True, color=INTERVAL_GREY, linewidth=1.2)
    ax.scatter(
        x[~weak],
        y[~weak],
        **{"s": 70, "color": ACCENT, "zorder": 3, "label": "touch point", **kwargs},
    )
    ax.scatter(x[weak], y[weak], s=90, color=WEAK, marker="v", zorder=3, label="weak touch point")
    for xi, yi in zip(x, y, strict=True):
        ax.annotate(
            f"{yi:.3g}", (xi, yi), textcoords="offset points", xytext=(6, 4), fontsize=SMALL
        )
    wb = result.weak_below_
    ax.axhline(wb, color=WEAK, ls=":", lw=1, label=f"weak below {wb:g}")
    agg = result.aggregate_.get("score")
    if agg is not None:
        lab = result.aggregate_["label"]
        ax.axhline(agg, color=AGGREGATE_LINE, ls="--", lw=1, label=f"{lab}: {agg:.3g}")
    # one column per touch point: names wrapped narrow, standing when there are many
    labels = [
        textwrap.fill(name, 15) + ("" if i else "\n(unintentional)")
        for name, i in zip(t["touchpoint"], t["intentional"], strict=True)
    ]
    vertical = len(labels) > 3
    ax.set_xticks(x, labels, fontsize=SMALL, rotation=90 if vertical else 0)
    pad = 0.08 * (hi_s - lo_s)
    ax.set_ylim(lo_s - pad, hi_s + 3 * pad)  # room for the stage names above the points
    ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
    ax.set_ylabel("relationship score")
    # under the touch-point names, never over the touch points; the names' height
    # in lines of text: a standing name is as tall as its longest line is long
    longest = max(len(line) for s in labels for line in s.split("\n"))
    lines = 0.38 * longest if vertical else max(s.count("\n") + 1 for s in labels)
    legend_below(ax, tick_lines=lines)
    return ax


@literal_plot
def plot_transitions(
    matrix: pd.DataFrame, *, ax: Axes | None = None, annot: bool = True, **kwargs: Any
) -> Axes:
    """Heat map of a :func:`transition_matrix` (probabilities), absorbing rows dropped.

    ``kwargs`` go to ``Axes.imshow`` (e.g. ``cmap``); ``annot`` writes each
    probability of at least 0.005 in its cell, as a whole percentage (two
    digits fit the narrow cells of a report figure), as the colour bar reads.

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
    kws = {"cmap": CMAP_SEQUENTIAL, "vmin": 0, "vmax": 1, "aspect": "auto", **kwargs}
    im = ax.imshow(m.to_numpy(float), **kws)
    if annot:
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = m.iat[i, j]
                if v >= 0.005:
                    ax.text(
                        j,
                        i,
                        f"{100 * v:.0f}",
                        ha="center",
                        va="center",
                        fontsize=SMALL,
                        color="white" if v > 0.55 else "black",
                    )
    names = [wrap_label(str(c)) for c in m.columns]
    ax.set_xticks(range(m.shape[1]), names, rotation=90, fontsize=SMALL)
    ax.set_yticks(range(m.shape[0]), [wrap_label(str(r)) for r in m.index], fontsize=SMALL)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    bar = ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="transition probability")
    bar.ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
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
    draw_intervals(ax, y, f[lo].to_numpy(float), f[hi].to_numpy(float), color=INTERVAL_GREY)
    if adjusted and "diff" in f:
        ax.scatter(
            f["diff"].to_numpy(float),
            y,
            facecolors="none",
            edgecolors=INTERVAL_GREY,
            zorder=2,
            label="crude difference",
        )
    kws = {"color": ACCENT, "zorder": 3, "label": "no significant loss", **kwargs}
    ax.scatter(d[~bad], y[~bad], **kws)
    ax.scatter(d[bad], y[bad], color=WEAK, marker="v", s=60, zorder=3, label="loses customers")
    ax.axvline(0, color=REFERENCE_LINE, lw=0.8)
    ax.set_yticks(y, [wrap_label(t, f"(n={n:,})") for t, n in zip(f["touchpoint"], f["journeys"])])
    xlabel = (
        "conversion difference, adjusted for the other touch points met (percentage points)"
        if adjusted
        else "conversion of journeys through it minus the others (percentage points)"
    )
    ax.set_xlabel(textwrap.fill(xlabel, AXIS_LABEL_CHARS))
    legend_below(ax, ncols=1)
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
    ax.bar(x, result["share_of_all"], **{"color": ACCENT, "alpha": 0.85, **kwargs})
    for xi, (_, row) in zip(x, result.iterrows(), strict=True):
        txt = f"{row['journeys']:,}"
        if pd.notna(row.get("drop_off")):
            txt += f"\n-{row['drop_off']:.0f}%\nfrom previous"
        ax.text(float(xi), row["share_of_all"] + 2, txt, ha="center", va="bottom", fontsize=SMALL)
    ax.set_xticks(x, [wrap_label(str(s)) for s in result["step"]])
    ax.set_ylim(0, 125)
    ax.set_ylabel("% of journeys reaching the step")
    return ax
