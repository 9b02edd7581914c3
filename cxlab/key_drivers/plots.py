"""Key driver charts, axes-level in the seaborn way.

Each takes the table it draws, keyword-only ``ax=None`` (then the current
Axes, ``plt.gca()``: a chart never opens a figure of its own) and ``**kwargs``
for its main artist (the scatter of the drivers), and returns the Axes. Driver
names come from data: they are drawn as written, never as mathtext.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlab.plots.style import ACCENT, CUT_LINE, INTERVAL_GREY, QUADRANT_COLORS, SMALL

if TYPE_CHECKING:
    from cxlab.key_drivers.model import KeyDrivers

__all__ = ["QUADRANT_COLORS", "plot_importance", "plot_importance_performance"]


def plot_importance(
    data: KeyDrivers | pd.DataFrame, *, ax: Any = None, percent: bool = True, **kwargs: Any
) -> Any:
    """Ranked importance: each driver's share with its interval, the most important on top.

    Parameters
    ----------
    data : KeyDrivers or pandas.DataFrame
        A fitted :class:`~cxlab.key_drivers.KeyDrivers` or its table
        (``driver``, ``share`` and, with intervals, ``share_low``/``share_high``).
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    percent : bool
        Shares in % (else as fractions).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` (the driver markers).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> res = pd.DataFrame({"driver": ["a", "b"], "share": [0.7, 0.3]})
    >>> ax = plot_importance(res, ax=Figure().subplots())
    >>> [(t.get_text(), float(t.get_position()[1])) for t in ax.get_yticklabels()]  # a on top
    [('a', 1.0), ('b', 0.0)]
    """
    from cxlab.plots import literal_plot

    table = data if isinstance(data, pd.DataFrame) else data.importance_
    return literal_plot(_plot_importance)(table, ax=ax, percent=percent, **kwargs)


def _plot_importance(table: pd.DataFrame, *, ax: Any, percent: bool, **kwargs: Any) -> Any:
    import matplotlib.pyplot as plt

    from cxlab.plots import draw_intervals

    ax = ax if ax is not None else plt.gca()
    t = table.sort_values("share", ascending=False, kind="stable")
    k = 100.0 if percent else 1.0
    pos = np.arange(len(t))[::-1].astype(float)  # the first row at the top
    if "share_low" in t and "share_high" in t:
        lo, hi = t["share_low"].to_numpy(float) * k, t["share_high"].to_numpy(float) * k
        draw_intervals(ax, pos, lo, hi, color=INTERVAL_GREY, linewidth=1.2)
    style: dict[str, Any] = {"s": 40, "zorder": 3}
    if "c" not in kwargs and "color" not in kwargs:
        style["color"] = ACCENT
    ax.scatter(t["share"].to_numpy(float) * k, pos, **(style | kwargs))
    ax.set_yticks(pos, [str(d) for d in t["driver"]])
    ax.set_xlim(left=0.0)
    ax.set_xlabel("Share of explained variation (%)" if percent else "Share of explained variation")
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_importance_performance(
    data: pd.DataFrame,
    *,
    ax: Any = None,
    title: str | None = None,
    percent: bool = True,
    **kwargs: Any,
) -> Any:
    """Importance-performance chart: x = performance, y = importance, quadrant lines.

    Parameters
    ----------
    data : pandas.DataFrame
        From :func:`~cxlab.key_drivers.importance_performance`.
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    title : str, optional
    percent : bool
        Show importance as a percentage share.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` (the driver markers;
        their colour says the quadrant unless ``c`` or ``color`` is given).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlab.key_drivers import importance_performance
    >>> res = pd.DataFrame({"driver": ["a", "b"], "share": [0.7, 0.3], "mean": [5.0, 8.0]})
    >>> from matplotlib.figure import Figure
    >>> ax = plot_importance_performance(importance_performance(res), ax=Figure().subplots())
    >>> len(ax.collections[0].get_offsets())
    2
    """
    from cxlab.plots import literal_plot

    # driver names come from data: drawn as written, never as mathtext
    return literal_plot(_plot_importance_performance)(
        data, ax=ax, title=title, percent=percent, **kwargs
    )


def _plot_importance_performance(
    table: pd.DataFrame, *, ax: Any, title: str | None, percent: bool, **kwargs: Any
) -> Any:
    import matplotlib.pyplot as plt

    from cxlab.plots import draw_intervals
    from cxlab.plots.labels import label_points

    ax = ax if ax is not None else plt.gca()
    k = 100.0 if percent else 1.0
    x = table["performance"].to_numpy(float)
    y = table["importance"].to_numpy(float) * k
    if "low" in table and table["low"].notna().all():
        lo, hi = table["low"].to_numpy(float) * k, table["high"].to_numpy(float) * k
        draw_intervals(ax, x, lo, hi, vertical=True, color=INTERVAL_GREY, linewidth=1)
    style: dict[str, Any] = {"s": 60, "zorder": 3}
    if "c" not in kwargs and "color" not in kwargs:
        style["c"] = [QUADRANT_COLORS[q] for q in table["quadrant"]]
    ax.scatter(x, y, **(style | kwargs))
    ic = table["importance_cut"].iloc[0] * k if "importance_cut" in table else y.mean()
    pc = table["performance_cut"].iloc[0] if "performance_cut" in table else x.mean()
    ax.axhline(ic, color=CUT_LINE, lw=1, ls="--")
    ax.axvline(pc, color=CUT_LINE, lw=1, ls="--")
    xr = max(x.max() - x.min(), 1e-9)
    yr = max(y.max() - y.min(), 1e-9)
    ax.set_xlim(x.min() - 0.15 * xr, x.max() + 0.35 * xr)
    ax.set_ylim(max(0.0, y.min() - 0.15 * yr), y.max() + 0.2 * yr)
    corners = _quadrant_labels(ax)
    # names placed when drawn, most important first, clear of each other and the corners
    order = np.argsort(-y, kind="stable")
    label_points(
        ax,
        x[order],
        y[order],
        table["driver"].to_numpy()[order],
        marker_size=float(np.max((style | kwargs)["s"])),
        avoid=corners,
    )
    ax.set_xlabel("Performance (mean rating)")
    ax.set_ylabel("Importance (% of explained variance)" if percent else "Importance (share)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax


def _quadrant_labels(ax: Any) -> list[Any]:
    """Name the four quadrants in the corners of the Axes, in their colours."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    labels = [
        (x0, y1, "KEY WEAKNESSES\nfix first", "left", "top", "key weakness"),
        (x1, y1, "KEY STRENGTHS\nprotect", "right", "top", "key strength"),
        (x0, y0, "secondary weaknesses", "left", "bottom", "secondary weakness"),
        (x1, y0, "secondary strengths", "right", "bottom", "secondary strength"),
    ]
    return [
        ax.text(
            lx + (0.01 if ha == "left" else -0.01) * (x1 - x0),
            ly + (-0.02 if va == "top" else 0.02) * (y1 - y0),
            text,
            ha=ha,
            va=va,
            fontsize=SMALL,
            color=QUADRANT_COLORS[q],
            fontweight="bold",
        )
        for lx, ly, text, ha, va, q in labels
    ]
