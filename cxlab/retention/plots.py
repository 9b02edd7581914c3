"""Retention charts: the cohort heat map and Kaplan-Meier curves.

Axes-level, in seaborn's manner: each takes ``ax=`` (keyword only; default the
current Axes), passes ``**kwargs`` to its main artist, takes its colours from
:mod:`cxlab.plots.style` and returns the Axes. Text from data is drawn literally
(:func:`cxlab.plots.literal_plot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cxlab.plots import literal_plot
from cxlab.plots.style import CMAP_SEQUENTIAL, MIX_COLORS, SMALL, UNIT_PALETTE
from cxlab.retention.counts import as_by
from cxlab.stats import BASE_MARKS

__all__ = ["plot_cohort_retention", "plot_survival"]

#: LTR categories keep the colours they have in every other cxlab chart.
LTR_COLORS = dict(zip(("detractor", "passive", "promoter"), MIX_COLORS, strict=True))


@literal_plot
def plot_cohort_retention(
    table: pd.DataFrame,
    *,
    value: str = "retention_rate",
    annot: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Heat map of a cohort retention table: sign-up quarter x quarters since sign-up.

    Each cell is written with its value and the base mark of its flag (``*``
    indicative, ``**`` unreliable); cells not yet observed stay blank.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`cxlab.retention.cohort_retention` (one group: filter by the group
        columns first).
    value : str
        The percent column to show.
    annot : bool
        Write each value in its cell.
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow` (e.g. ``cmap``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from cxlab.retention import cohort_retention
    >>> c = pd.DataFrame({"signup_date": pd.to_datetime(["2025-01-10"] * 4).date,
    ...     "churn_date": pd.to_datetime([None, "2025-05-01", "2025-08-01", None]).date})
    >>> ax = plot_cohort_retention(cohort_retention(c, end="2025Q3"), ax=Figure().subplots())
    >>> [t.get_text() for t in ax.texts], ax.get_xlabel().replace("\\n", " ")
    (['100', '75', '50'], 'quarters since sign-up; every cell ** (unreliable base)')
    """
    ax = plt.gca() if ax is None else ax
    m = table.pivot_table(index="cohort", columns="quarters_since", values=value, aggfunc="first")
    flags = table.pivot_table(
        index="cohort", columns="quarters_since", values="flag", aggfunc="first"
    ).reindex_like(m)
    kws = {"cmap": CMAP_SEQUENTIAL, "vmin": 0, "vmax": 100, "aspect": "auto", **kwargs}
    grid = m.to_numpy(float)
    im = ax.imshow(np.ma.masked_invalid(grid), **kws)
    xlabel = "quarters since sign-up"
    if annot:
        xlabel += _annotate(ax, grid, flags, kws["vmin"], kws["vmax"])
    ax.set_xticks(range(m.shape[1]), [str(c) for c in m.columns])
    ax.set_yticks(range(m.shape[0]), [str(c) for c in m.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("sign-up quarter (cohort)")
    label = value.replace("_", " ") + " (%)"
    ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label=label)
    return ax


def _annotate(ax: Axes, grid: np.ndarray, flags: pd.DataFrame, vmin: float, vmax: float) -> str:
    """Write each cell's value, in a font that fits the cell (none when even 6 pt would
    not). A base mark shared by every cell is said once (returned, for the axis
    label) instead of in each cell, so tiny data do not crowd the map."""
    cells = list(zip(*np.nonzero(~np.isnan(grid)), strict=True))
    marks = [BASE_MARKS.get(str(flags.iat[i, j]), "") for i, j in cells]
    common = marks[0] if marks and len(set(marks)) == 1 else ""
    labels = [
        f"{grid[i, j]:.0f}{mk[len(common) :]}" for (i, j), mk in zip(cells, marks, strict=True)
    ]
    root = ax.get_figure(root=True)  # inches of the whole figure, also inside a subfigure
    fig_width = root.get_figwidth() if root is not None else 5.5
    width = ax.get_position().width * fig_width * 72 / max(grid.shape[1], 1)  # points
    longest = max((len(t) for t in labels), default=1)
    size = min(float(SMALL), 0.8 * width / (0.62 * longest))  # ~0.62 em per digit
    if size < 6:
        return " (cells too narrow to label)" if cells else ""
    for (i, j), text in zip(cells, labels, strict=True):
        dark = (grid[i, j] - vmin) / (vmax - vmin) > 0.6
        ax.text(
            j, i, text, ha="center", va="center", fontsize=size, color="white" if dark else "black"
        )
    if common:
        name = {mark: flag for flag, mark in BASE_MARKS.items()}[common]
        return f"; every cell {common} ({name} base)"
    return ""


@literal_plot
def plot_survival(
    curves: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    band: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Kaplan-Meier step curves (one per group) with their pointwise bands.

    Parameters
    ----------
    curves : pandas.DataFrame
        :func:`cxlab.retention.survival` (or ``ChurnAfterSurvey.survival_`` with
        ``by="category"``).
    by : str or list of str, optional
        Its group columns.
    band : bool
        Shade the interval between ``low`` and ``high``.
    ax : matplotlib Axes, optional
        Axes to draw on (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.step` (the curves).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from cxlab.retention import survival
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "g": list("aabb")})
    >>> ax = plot_survival(survival(d, "t", "e", by="g"), "g", ax=Figure().subplots())
    >>> [line.get_label() for line in ax.get_lines()]
    ['a', 'b']
    """
    ax = plt.gca() if ax is None else ax
    groups = as_by(by)
    parts = curves.groupby(groups, sort=False) if groups else [("all", curves)]
    colors = plt.get_cmap(UNIT_PALETTE).colors  # type: ignore[attr-defined]
    for i, (key, c) in enumerate(parts):
        name = " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)
        t = np.concatenate([[0.0], c["time"].to_numpy(float)])
        s = np.concatenate([[1.0], c["survival"].to_numpy(float)])
        color = LTR_COLORS.get(name, colors[i % len(colors)])
        ax.step(t, s, where="post", label=name, **{"color": color, **kwargs})
        if band:
            lo = np.concatenate([[1.0], c["low"].to_numpy(float)])
            hi = np.concatenate([[1.0], c["high"].to_numpy(float)])
            ax.fill_between(t, lo, hi, step="post", color=color, alpha=0.15, linewidth=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time")
    ax.set_ylabel("share still active")
    if groups:
        ax.legend(frameon=False)
    return ax
