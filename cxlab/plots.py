"""Axes-level charts of cxlab results, in the manner of seaborn's axes-level functions.

Each function takes a tidy result (from :func:`cxlab.nps`, :func:`cxlab.csat`...),
draws on ``ax`` (or the current Axes) and returns the Axes. Low-base groups are
drawn hollow and labelled, so a reader never mistakes a 12-response estimate for
a reportable one.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

#: Colours for detractors, passives and promoters (colour-blind safe, Okabe-Ito).
MIX_COLORS = ("#D55E00", "#BBBBBB", "#009E73")
ACCENT = "#0072B2"


def _label(frame: pd.DataFrame, by: str | Sequence[str]) -> pd.Series:
    cols = [by] if isinstance(by, str) else list(by)
    return frame[cols].astype(str).agg(" / ".join, axis=1)


def plot_intervals(
    result: pd.DataFrame,
    by: str | Sequence[str],
    *,
    estimate: str = "nps",
    low: str = "low",
    high: str = "high",
    reference: float | None = None,
    sort: bool = True,
    ax: Axes | None = None,
    xlabel: str = "NPS",
) -> Axes:
    """Dot-and-whisker chart of an estimate with its interval, one row per group.

    Parameters
    ----------
    result : pandas.DataFrame
        Output of :func:`cxlab.nps` (or any frame with the estimate, bounds and
        ``flag`` columns).
    by : str or list of str
        Group column(s) used as row labels.
    estimate, low, high : str
        Columns of the point estimate and interval.
    reference : float, optional
        Draw a dashed vertical line here (e.g. the overall NPS).
    sort : bool
        Order rows by the estimate, lowest at the bottom.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10, 9, 3, 8] * 10, "ch": list("abcd") * 10})
    >>> ax = cxlab.plots.plot_intervals(cxlab.nps(df, "ltr", by="ch"), "ch")
    """
    ax = ax or plt.gca()
    frame = result.sort_values(estimate) if sort else result
    labels = _label(frame, by)
    y = np.arange(len(frame))
    est = frame[estimate].to_numpy(float)
    err = np.vstack([est - frame[low].to_numpy(float), frame[high].to_numpy(float) - est])
    flags = frame["flag"] if "flag" in frame else pd.Series("reportable", index=frame.index)
    solid = (flags == "reportable").to_numpy()
    ax.errorbar(est, y, xerr=err, fmt="none", ecolor=ACCENT, elinewidth=1.5, capsize=3)
    ax.scatter(est[solid], y[solid], color=ACCENT, zorder=3, label="reportable base")
    if (~solid).any():
        ax.scatter(
            est[~solid],
            y[~solid],
            facecolor="white",
            edgecolor=ACCENT,
            zorder=3,
            label="low base (indicative / unreliable)",
        )
    ticklabels = [
        f"{lab}  (n={n:,.0f}{'*' if f != 'reportable' else ''})"
        for lab, n, f in zip(labels, frame.get("n_eff", frame.get("n")), flags)
    ]
    ax.set_yticks(y, ticklabels)
    if reference is not None:
        ax.axvline(reference, color="0.4", linestyle="--", linewidth=1)
    ax.axvline(0, color="0.8", linewidth=0.8, zorder=0)
    ax.set_xlabel(xlabel)
    if (~solid).any():
        ax.legend(loc="lower right", fontsize="small", frameon=False)
    return ax


def plot_trend(
    result: pd.DataFrame,
    x: str = "quarter",
    *,
    estimate: str = "nps",
    low: str = "low",
    high: str = "high",
    ax: Axes | None = None,
    ylabel: str = "NPS",
) -> Axes:
    """Line of the estimate over ``x`` with its interval as a shaded band.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10, 9, 3, 8] * 10, "q": ["2025Q1", "2025Q2"] * 20})
    >>> ax = cxlab.plots.plot_trend(cxlab.nps(df, "ltr", by="q"), "q")
    """
    ax = ax or plt.gca()
    frame = result.sort_values(x)
    pos = np.arange(len(frame))
    ax.fill_between(
        pos, frame[low], frame[high], color=ACCENT, alpha=0.18, linewidth=0, label="interval"
    )
    ax.plot(pos, frame[estimate], color=ACCENT, marker="o", label=ylabel)
    ax.set_xticks(pos, frame[x].astype(str), rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    ax.axhline(0, color="0.8", linewidth=0.8, zorder=0)
    return ax


def plot_mix(
    result: pd.DataFrame,
    by: str | Sequence[str],
    *,
    ax: Axes | None = None,
) -> Axes:
    """100% stacked bars of detractors, passives and promoters per group.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10, 9, 3, 8] * 10, "ch": list("ab") * 20})
    >>> ax = cxlab.plots.plot_mix(cxlab.nps(df, "ltr", by="ch"), "ch")
    """
    ax = ax or plt.gca()
    labels = _label(result, by)
    left = np.zeros(len(result))
    names = ("detractors", "passives", "promoters")
    for name, color in zip(names, MIX_COLORS):
        width = result[f"pct_{name}"].to_numpy(float)
        bars = ax.barh(labels, width, left=left, color=color, label=name.capitalize())
        for rect, w in zip(bars, width):
            if w >= 7:
                ax.text(
                    rect.get_x() + w / 2,
                    rect.get_y() + rect.get_height() / 2,
                    f"{w:.0f}%",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="white" if name != "passives" else "black",
                )
        left += width
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of respondents")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax
