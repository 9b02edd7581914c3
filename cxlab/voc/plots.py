"""The voice-of-customer charts: themes ranked by NPS impact, and a theme's share by quarter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cxlab import stats
from cxlab.plots.core import plot_intervals, plot_trend
from cxlab.plots.text import literal_plot

__all__ = ["plot_theme_impact", "plot_theme_trend"]


@literal_plot
def plot_theme_impact(
    data: pd.DataFrame,
    *,
    top: int | None = 15,
    bands: tuple[float, float] = stats.BASE_BANDS,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Ranked interval chart of :func:`cxlab.voc.theme_impact`: largest |impact| on top.

    One row per theme, labelled with its label and the mentioners' base (marked
    like every cxlab chart when the base is low); the dot is the NPS impact,
    the line its interval. Built on :func:`cxlab.plots.plot_intervals`; labels
    from the data are drawn as literal text (``$x$`` is not mathtext).

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`cxlab.voc.theme_impact`.
    top : int, optional
        Show the ``top`` themes by |impact| (``None``: all).
    bands : (float, float)
        The bands the flags were computed with, for the legend.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` (the estimates' markers).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> res = pd.DataFrame({"label": ["Late", "Price"], "impact": [-5.0, 2.0],
    ...     "low": [-7.0, 1.0], "high": [-3.0, 3.0], "n_mentioners": [400, 300],
    ...     "n_eff_mentioners": [400.0, 300.0], "flag": "reportable"})
    >>> ax = plot_theme_impact(res, ax=Figure().subplots())
    >>> [t.get_text() for t in ax.get_yticklabels()]  # largest |impact| on top
    ['Price  (n=300)', 'Late  (n=400)']
    """
    frame = data.copy()
    frame["_abs"] = np.abs(frame["impact"].to_numpy(float))
    frame = frame.sort_values("_abs", ascending=False, kind="stable")
    if top is not None:
        frame = frame.head(int(top))
    frame = frame.iloc[::-1]
    shown = pd.DataFrame(
        {
            "label": frame["label"].astype(str).to_numpy(),
            "impact": frame["impact"].to_numpy(float),
            "low": frame["low"].to_numpy(float),
            "high": frame["high"].to_numpy(float),
            "n": frame["n_mentioners"].to_numpy(),
            "n_eff": frame.get("n_eff_mentioners", frame["n_mentioners"]).to_numpy(),
            "flag": frame.get("flag", pd.Series("reportable", index=frame.index)).to_numpy(),
        }
    )
    return plot_intervals(
        shown,
        "label",
        estimate="impact",
        sort=False,
        xlabel="NPS impact (points): overall NPS minus NPS if mentioners scored like the others",
        bands=bands,
        ax=ax,
        **kwargs,
    )


@literal_plot
def plot_theme_trend(
    data: pd.DataFrame,
    theme: str,
    *,
    period: str = "quarter",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """One theme's share of respondents by period, from :func:`cxlab.voc.theme_trend`.

    The share (%) of each period's respondents who mention ``theme``, its Wilson
    interval as a band (:func:`cxlab.plots.plot_trend`), titled with the theme's
    label as literal text. Periods where nobody answered are left out.

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`cxlab.voc.theme_trend` (columns ``theme``, ``label``,
        ``period``, ``share``, ``share_low``, ``share_high``, ``n``).
    theme : str
        The theme id.
    period : str
        The period column.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` (the line of the share).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> tr = pd.DataFrame({"quarter": ["2026Q2", "2026Q1"], "theme": "late",
    ...     "label": "Late delivery", "n": [200, 180], "share": [0.12, 0.10],
    ...     "share_low": [0.08, 0.06], "share_high": [0.17, 0.15]})
    >>> ax = plot_theme_trend(tr, "late", ax=Figure().subplots())
    >>> ax.lines[0].get_ydata().tolist(), ax.get_title()
    ([10.0, 12.0], 'Late delivery')
    """
    rows = data[(data["theme"] == theme) & (data["n"] > 0)].sort_values(period)
    frame = pd.DataFrame(
        {
            period: rows[period].astype(str).to_numpy(),
            "pct": 100 * rows["share"].to_numpy(float),
            "low": 100 * rows["share_low"].to_numpy(float),
            "high": 100 * rows["share_high"].to_numpy(float),
        }
    )
    ax = plot_trend(
        frame, period, estimate="pct", low="low", high="high", ylabel="% mentioning", ax=ax,
        **kwargs,
    )  # fmt: skip
    label = rows["label"].iloc[0] if len(rows) and "label" in rows else theme
    ax.set_title(str(label), parse_math=False)  # the title Text predates literal_text()
    return ax
