"""The theme-impact chart: themes ranked by NPS impact, each with its interval."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cxlab import stats
from cxlab.plots.core import plot_intervals
from cxlab.plots.text import literal_plot

__all__ = ["plot_theme_impact"]


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
