"""Axes-level charts of cxlab results, in the manner of seaborn's axes-level functions.

Every chart function of cxlab keeps seaborn's axes-level contract: it takes a
tidy result (from :func:`cxlab.nps`, :func:`cxlab.csat`...), a keyword-only
``ax=None`` (then the current Axes, :func:`matplotlib.pyplot.gca`: a chart
never opens a figure of its own), ``**kwargs`` for its main artist, takes its
colours from :mod:`cxlab.plots.style`, and returns the Axes. Groups are marked
by the one base-size rule of :func:`cxlab.stats.base_flag`: a filled dot for a
reportable base, a hollow dot and ``*`` for an indicative one, a cross and
``**`` for an unreliable one, so a reader never mistakes a 12-response
estimate for a reportable one.

Text from data (group names, labels) is drawn literally: every function here
runs with matplotlib's mathtext off (:func:`literal_plot`), so a segment called
``$...$`` is shown as written instead of failing the report in the mathtext
parser. Notebooks call :func:`cxlab.plots.style.use`, which turns mathtext off
for their own titles and labels too.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cxlab import stats
from cxlab.plots.style import (
    ACCENT,
    AXIS_LABEL_CHARS,
    BASE_MARKERS,
    MIX_COLORS,
    REFERENCE_LINE,
    SMALL,
    ZERO_LINE,
)
from cxlab.plots.text import legend_below, literal_plot, literal_text, wrap_label

__all__ = [
    "draw_intervals",
    "literal_plot",
    "literal_text",
    "plot_intervals",
    "plot_mix",
    "plot_trend",
    "legend_below",
    "wrap_label",
]


def draw_intervals(
    ax: Axes,
    pos: Sequence[float] | np.ndarray,
    low: Sequence[float] | np.ndarray,
    high: Sequence[float] | np.ndarray,
    *,
    vertical: bool = False,
    color: str = ACCENT,
    linewidth: float = 1.5,
    linestyle: str = "solid",
    zorder: float = 2,
    **kwargs: Any,
) -> Axes:
    """Draw intervals as lines from ``low`` to ``high`` with end caps; return ``ax``.

    A drawing primitive on a given Axes (like an Axes method), which the chart
    functions of cxlab build on. Unlike ``errorbar`` (distances from the
    estimate), this draws the interval itself, so an interval that does not
    contain its estimate -- e.g. the adjusted-Wald interval of a single
    response, -48.5 to 98.5 around an observed NPS of 100 -- is drawn where it
    is instead of raising. Rows with a missing bound are skipped.

    Parameters
    ----------
    ax : matplotlib Axes
    pos : array-like
        Position of each interval on the other axis (y for horizontal lines).
    low, high : array-like
        Bounds; swapped where ``low > high``.
    vertical : bool
        Vertical lines at x = ``pos`` (default: horizontal at y = ``pos``).
    color, linewidth, linestyle, zorder
        Of the lines (and the colour and zorder of their caps).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.hlines` (``vlines``), the lines.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = draw_intervals(Figure().subplots(), [0, 1], [-5, 20], [5, 10])
    >>> [seg.tolist() for seg in ax.collections[0].get_segments()]  # low to high
    [[[-5.0, 0.0], [5.0, 0.0]], [[10.0, 1.0], [20.0, 1.0]]]
    """
    p, lo, hi = (np.asarray(v, dtype=float).ravel() for v in (pos, low, high))
    ok = np.isfinite(p) & np.isfinite(lo) & np.isfinite(hi)
    p, lo, hi = p[ok], np.minimum(lo[ok], hi[ok]), np.maximum(lo[ok], hi[ok])
    if not len(p):
        return ax
    style: dict[str, Any] = {
        "color": color,
        "linewidth": linewidth,
        "linestyles": linestyle,
        "zorder": zorder,
    }
    cap: dict[str, Any] = {"color": color, "linestyle": "none", "markersize": 7, "zorder": zorder}
    if vertical:
        ax.vlines(p, lo, hi, **(style | kwargs))
        ax.plot(np.r_[p, p], np.r_[lo, hi], marker="_", **cap)
    else:
        ax.hlines(p, lo, hi, **(style | kwargs))
        ax.plot(np.r_[lo, hi], np.r_[p, p], marker="|", **cap)
    return ax


def _flag_marker(flag: str, color: str) -> dict[str, Any]:
    """:data:`~cxlab.plots.style.BASE_MARKERS` of ``flag`` in ``color`` (face or edge)."""
    marker = dict(BASE_MARKERS[flag])
    for key in ("color", "edgecolor"):
        if key in marker:
            marker[key] = color
    return marker


def _label(frame: pd.DataFrame, by: str | Sequence[str]) -> pd.Series:
    cols = [by] if isinstance(by, str) else list(by)
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    return frame[cols].astype(str).agg(" / ".join, axis=1)


def _fmt_n(n: object) -> str:
    try:
        v = float(n)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"
    return "0" if not np.isfinite(v) else f"{v:,.0f}"


def _base_label(row: pd.Series) -> str:
    """``"(n=4,038)"``, or ``"(n=4,038, effective n=3,187)"`` when weights shrink it."""
    n, ne = row.get("n"), row.get("n_eff")
    if n is None and ne is None:
        return ""
    if n is None:
        return f"(effective n={_fmt_n(ne)})"
    if ne is None or _fmt_n(ne) == _fmt_n(n):
        return f"(n={_fmt_n(n)})"
    return f"(n={_fmt_n(n)}, effective n={_fmt_n(ne)})"


@literal_plot
def plot_intervals(
    result: pd.DataFrame,
    by: str | Sequence[str],
    *,
    estimate: str = "nps",
    low: str = "low",
    high: str = "high",
    reference: float | None = None,
    sort: bool = True,
    xlabel: str = "NPS",
    bands: tuple[float, float] = stats.BASE_BANDS,
    color: str = ACCENT,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Dot-and-whisker chart of an estimate with its interval, one row per group.

    Each interval is drawn from its low to its high bound and the estimate
    marked on it, also when the interval does not contain the estimate (tiny
    bases; see :func:`cxlab.report.interval_note`). The marker and the mark after
    the row label follow the ``flag`` column (:func:`cxlab.stats.base_flag`):
    filled dot reportable, hollow dot and ``*`` indicative, cross and ``**``
    unreliable; a legend beside the Axes explains them when any group has a
    low base. The row label carries the base: ``n`` and, when a weighted
    result's ``n_eff`` (Kish effective n) differs, ``effective n`` too -- never
    the effective n under the name ``n``.

    Parameters
    ----------
    result : pandas.DataFrame
        Output of :func:`cxlab.nps` (or any frame with the estimate, bounds and
        ``flag`` columns; without ``flag`` every row counts as reportable).
    by : str or list of str
        Group column(s) used as row labels.
    estimate, low, high : str
        Columns of the point estimate and interval.
    reference : float, optional
        Draw a dashed vertical line here (e.g. the overall NPS).
    sort : bool
        Order rows by the estimate, lowest at the bottom.
    xlabel : str
    bands : (float, float)
        The bands the flags were computed with, for the legend text.
    color : str
        Colour of the intervals and markers (default :data:`cxlab.plots.style.ACCENT`).
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` (the estimates' markers).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> from matplotlib.figure import Figure
    >>> df = pd.DataFrame({"ltr": [10, 9, 3, 8] * 10, "ch": list("ba") * 20})
    >>> res = cxlab.nps(df, "ltr", by="ch")
    >>> ax = cxlab.plots.plot_intervals(res, "ch", ax=Figure().subplots())
    >>> [t.get_text() for t in ax.get_yticklabels()]  # NPS 0 and 50, both under 30 responses
    ['b  (n=20)**', 'a  (n=20)**']
    """
    ax = plt.gca() if ax is None else ax
    frame = result.sort_values(estimate) if sort else result
    labels = _label(frame, by)
    y = np.arange(len(frame), dtype=float)
    est = frame[estimate].to_numpy(float)
    flags = (
        frame["flag"].astype(str).to_numpy()
        if "flag" in frame
        else np.full(len(frame), "reportable", dtype=object)
    )
    draw_intervals(ax, y, frame[low].to_numpy(float), frame[high].to_numpy(float), color=color)
    legend = stats.base_legend(bands)
    drawn = []
    for flag in BASE_MARKERS:
        sel = (flags == flag) & np.isfinite(est)  # a group without responses has no point
        if sel.any():
            style: dict[str, Any] = {"zorder": 3, "label": legend[flag]} | _flag_marker(flag, color)
            ax.scatter(est[sel], y[sel], **(style | kwargs))
            drawn.append(flag)
    ticklabels = [
        wrap_label(lab, _base_label(row), stats.BASE_MARKS.get(f, ""))
        for lab, (_, row), f in zip(labels, frame.iterrows(), flags)
    ]
    ax.set_yticks(y, ticklabels)
    if reference is not None:
        ax.axvline(reference, color=REFERENCE_LINE, linestyle="--", linewidth=1)
    ax.axvline(0, color=ZERO_LINE, linewidth=0.8, zorder=0)
    ax.set_xlabel(textwrap.fill(xlabel, AXIS_LABEL_CHARS))
    if any(f != "reportable" for f in drawn):
        # under the chart: inside it, the legend would hide rows; beside it, squeeze them
        legend_below(ax, ncols=1)
    return ax


@literal_plot
def plot_trend(
    result: pd.DataFrame,
    x: str = "quarter",
    *,
    estimate: str = "nps",
    low: str = "low",
    high: str = "high",
    ylabel: str = "NPS",
    color: str = ACCENT,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Line of the estimate over ``x`` with its interval as a shaded band.

    Parameters
    ----------
    result : pandas.DataFrame
        One row per value of ``x`` (e.g. :func:`cxlab.nps` by quarter); sorted by ``x``.
    x : str
        Column of the horizontal axis, one tick per row.
    estimate, low, high : str
        Columns of the estimate and its interval (the band).
    ylabel : str
        Label of the y axis and of the line.
    color : str
        Colour of the line and the band (default :data:`cxlab.plots.style.ACCENT`).
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` (the line of the estimate).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> from matplotlib.figure import Figure
    >>> df = pd.DataFrame({"ltr": [10, 9, 3, 8] * 10, "q": ["2025Q1", "2025Q2"] * 20})
    >>> ax = cxlab.plots.plot_trend(cxlab.nps(df, "ltr", by="q"), "q", ax=Figure().subplots())
    >>> ax.lines[0].get_ydata().tolist(), [t.get_text() for t in ax.get_xticklabels()]
    ([0.0, 50.0], ['2025Q1', '2025Q2'])
    """
    ax = plt.gca() if ax is None else ax
    frame = result.sort_values(x)
    pos = np.arange(len(frame))
    ax.fill_between(
        pos, frame[low], frame[high], color=color, alpha=0.18, linewidth=0, label="interval"
    )
    ax.plot(pos, frame[estimate], **({"color": color, "marker": "o", "label": ylabel} | kwargs))
    ax.set_xticks(pos, frame[x].astype(str), rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    ax.axhline(0, color=ZERO_LINE, linewidth=0.8, zorder=0)
    return ax


@literal_plot
def plot_mix(
    result: pd.DataFrame,
    by: str | Sequence[str],
    *,
    palette: Sequence[str] = MIX_COLORS,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """100% stacked bars of detractors, passives and promoters per group.

    Each share of 7% or more is written on its bar; the legend is beside the Axes.

    Parameters
    ----------
    result : pandas.DataFrame
        Output of :func:`cxlab.nps` (``pct_detractors``, ``pct_passives``,
        ``pct_promoters``), one bar per row, the first row at the bottom.
    by : str or list of str
        Group column(s) used as bar labels.
    palette : three colours
        Of detractors, passives and promoters (default
        :data:`cxlab.plots.style.MIX_COLORS`).
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.barh` (the bars).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> from matplotlib.figure import Figure
    >>> df = pd.DataFrame({"ltr": [10, 9, 3, 8] * 10, "ch": list("ab") * 20})
    >>> ax = cxlab.plots.plot_mix(cxlab.nps(df, "ltr", by="ch"), "ch", ax=Figure().subplots())
    >>> [round(p.get_width()) for p in ax.patches]  # detractors, passives, promoters of a, b
    [50, 0, 0, 50, 50, 50]
    """
    ax = plt.gca() if ax is None else ax
    labels = _label(result, by)
    pos = np.arange(len(result))
    left = np.zeros(len(result))
    names = ("detractors", "passives", "promoters")
    for name, color in zip(names, palette, strict=True):
        # a group without responses has no mix: an empty bar, not NaN widths
        width = np.nan_to_num(result[f"pct_{name}"].to_numpy(float))
        style: dict[str, Any] = {"left": left, "color": color, "label": name.capitalize()}
        bars = ax.barh(pos, width, **(style | kwargs))
        for rect, w in zip(bars, width):
            if w >= 7:
                ax.text(
                    rect.get_x() + w / 2,
                    rect.get_y() + rect.get_height() / 2,
                    f"{w:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=SMALL,
                    color="white" if name != "passives" else "black",
                )
        left += width
    ax.set_yticks(pos, [wrap_label(lab) for lab in labels])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of respondents")
    legend_below(ax, ncols=3)
    return ax
