"""Axes-level plots of the outcomes analyses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats as sps

from cxlab._checks import renamed_keywords
from cxlab.errors import CxlabError
from cxlab.outcomes._common import (
    CATEGORIES,
    CX_METRICS,
    EFFECTS,
    OUTCOMES,
    PanelLike,
    absorb,
    check_usable,
    metric_pairs,
)
from cxlab.outcomes.regression import (
    fe_regression,
)
from cxlab.plots import legend_below, literal_plot
from cxlab.plots.style import (
    ACCENT,
    ACCENT_LIGHT,
    BASE_MARKERS,
    CMAP_DIVERGING,
    CMAP_SEQUENTIAL,
    FIT_LINE,
    INTERVAL_GREY,
    UNIT_PALETTE,
    ZERO_LINE,
)


@literal_plot
@renamed_keywords(panel="data")
def plot_scatter(
    data: PanelLike,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lag: int = 2,
    within: bool = True,
    effects: str = "twoway",
    eiv: bool = False,
    level: float = 0.95,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Metric (t - lag) against outcome (t), one colour per unit, OLS fit with its band.

    With ``within=True`` both axes have the fixed effects of :func:`fe_regression`
    removed (``effects="twoway"``: unit and quarter effects, the default, as in the
    regression; ``"unit"``: the unit means), so the fitted slope is exactly the
    uncorrected fixed-effects slope (Frisch-Waugh-Lovell) and the band its
    (non-robust) confidence band for the mean. The reported effect with ``eiv=True``
    is that slope divided by the reliability of the metric; ``eiv=True`` here draws
    that corrected slope as a dashed line and names the reliability in the legend,
    so plot and table agree.

    Units take the colours of :data:`cxlab.plots.style.UNIT_PALETTE` in turn; the
    lines are :data:`~cxlab.plots.style.FIT_LINE` and the band
    :data:`~cxlab.plots.style.INTERVAL_GREY`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Draw here (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` for every unit's points
        (e.g. ``s=40``, ``alpha=1``, ``color=`` for one colour).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> p = pd.DataFrame({"unit": np.repeat(["a", "b", "c"], 8), "qi": np.tile(range(8100, 8108), 3)})
    >>> p["quarter"] = [f"{q // 4}Q{q % 4 + 1}" for q in p["qi"]]
    >>> p["nps"], p["new_customers"] = rng.normal(0, 5, 24), rng.normal(0, 1, 24)
    >>> ax = plot_scatter(p, lag=0)
    >>> ax.get_legend_handles_labels()[1][-2].startswith("fit (slope")
    True
    >>> plt.close("all")
    """
    panel = data
    if effects not in EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    ax = ax or plt.gca()
    pairs = metric_pairs(panel, metric, outcome, lag)
    check_usable(pairs, metric, outcome, within=within)
    if within:
        units = pd.factorize(pairs["unit"])[0]
        absorbed, _m, _q, rank_fe = absorb(
            units, pairs["qi"].to_numpy(), pairs[["x", "y"]].to_numpy(float), effects
        )
        d = pairs.assign(x=absorbed[:, 0], y=absorbed[:, 1])
    else:
        d, rank_fe = pairs, 1
    colors = plt.get_cmap(UNIT_PALETTE)
    for i, (u, g) in enumerate(d.groupby("unit", sort=True)):
        kws = {"s": 22, "color": colors(i % colors.N), "alpha": 0.85, **kwargs}
        ax.scatter(g["x"], g["y"], label=str(u), **kws)
    grid, b = _fit_with_band(ax, d, within, rank_fe, level)
    if eiv and within:
        fit = fe_regression(
            panel, metric, outcome, lag=lag, eiv=True, effects=effects, cov="nonrobust"
        ).iloc[0]
        lam = float(fit["reliability"])
        ax.plot(
            grid,
            grid * b / lam,
            color=FIT_LINE,
            linestyle="--",
            linewidth=1.2,
            label=f"corrected for sampling error: slope {b / lam:.3g} (= {b:.3g} / reliability "
            f"{lam:.3f})",
        )
    _scatter_labels(ax, metric, outcome, lag, within, effects)
    return ax


def _fit_with_band(
    ax: Axes, d: pd.DataFrame, within: bool, rank_fe: int, level: float
) -> tuple[np.ndarray, float]:
    """The OLS line through the (demeaned) points and its confidence band for the mean;
    returns the x grid and the slope."""
    x, y = d["x"].to_numpy(float), d["y"].to_numpy(float)
    n = len(x)
    xm, ym = (0.0, 0.0) if within else (x.mean(), y.mean())
    sxx = float(((x - xm) ** 2).sum())
    b = float(((x - xm) * (y - ym)).sum()) / sxx
    a = ym - b * xm
    dof = max(n - rank_fe - 1, 1)
    s2 = float(((y - a - b * x) ** 2).sum()) / dof
    grid = np.linspace(x.min(), x.max(), 100)
    se = np.sqrt(s2 * ((0.0 if within else 1.0 / n) + (grid - xm) ** 2 / sxx))
    tcrit = float(sps.t.ppf(0.5 + level / 2, dof))
    ax.plot(grid, a + b * grid, color=FIT_LINE, linewidth=1.5, label=f"fit (slope {b:.3g})")
    ax.fill_between(
        grid,
        a + b * grid - tcrit * se,
        a + b * grid + tcrit * se,
        color=INTERVAL_GREY,
        alpha=0.25,
        linewidth=0,
        label=f"{level:.0%} band",
    )
    return grid, b


def _scatter_labels(
    ax: Axes, metric: str, outcome: str, lag: int, within: bool, effects: str
) -> None:
    """Axis labels that say what was removed, and the legend under the axes."""
    mlab, olab = CX_METRICS.get(metric, metric), OUTCOMES.get(outcome, outcome)
    if within:
        suffix = (
            ", unit and quarter effects removed"
            if effects == "twoway"
            else ", deviation from unit mean"
        )
    else:
        suffix = ""
    lag_txt = f" (t-{lag})" if lag > 0 else (f" (t+{-lag})" if lag < 0 else " (t)")
    # the adjustment on a line of its own: a long label would run past the axes
    note = f"\n({suffix[2:]})" if suffix else ""
    ax.set_xlabel(f"{mlab}{lag_txt}{note}")
    ax.set_ylabel(f"{olab} (t){note}")
    # under the axes, never over the points (constrained layout makes room for it);
    # the labels above take two lines when they name what was removed
    legend_below(ax, tick_lines=1)


@literal_plot
def plot_correlogram(result: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Bars of r by lag with their intervals; the best lag highlighted.

    Bars are :data:`cxlab.plots.style.ACCENT_LIGHT`, the best lag's
    :data:`~cxlab.plots.style.ACCENT`; the y axis runs from -1 to 1.

    Parameters
    ----------
    result : pandas.DataFrame
        From :func:`lag_correlations`.
    ax : matplotlib.axes.Axes, optional
        Draw here (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.bar` (e.g. ``width=0.8``, ``color=``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> lc = pd.DataFrame({"lag": [-1, 0, 1], "r": [0.1, 0.5, -0.2], "low": [-0.2, 0.2, -0.5],
    ...                    "high": [0.4, 0.7, 0.1], "best": [False, True, False]})
    >>> ax = plot_correlogram(lc)
    >>> [round(float(b.get_height()), 2) for b in ax.patches], tuple(map(float, ax.get_ylim()))
    ([0.1, 0.5, -0.2], (-1.0, 1.0))
    >>> plt.close("all")
    """
    ax = ax or plt.gca()
    lags = result["lag"].to_numpy()
    r = result["r"].to_numpy(float)
    colors = [ACCENT if b else ACCENT_LIGHT for b in result["best"]]
    ax.bar(lags, r, **{"color": colors, "width": 0.6, **kwargs})
    err = np.vstack([r - result["low"].to_numpy(float), result["high"].to_numpy(float) - r])
    ax.errorbar(lags, r, yerr=err, fmt="none", ecolor=FIT_LINE, capsize=3, linewidth=1)
    ax.axhline(0, color=ZERO_LINE, linewidth=0.8)
    ax.set_xticks(lags)
    ax.set_xlabel("k: metric at t vs outcome at t + k  (k > 0: metric leads)")
    ax.set_ylabel("correlation r")
    ax.set_ylim(-1, 1)
    return ax


@literal_plot
def plot_coefficients(
    result: pd.DataFrame,
    *,
    label: str | Sequence[str] = ("outcome", "lag"),
    standardized: bool = False,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Dot-and-whisker plot of regression coefficients with their intervals.

    Filled :data:`cxlab.plots.style.ACCENT` dots: the interval excludes zero; hollow:
    it includes zero. The first row of ``result`` is drawn at the top.

    Parameters
    ----------
    result : pandas.DataFrame
        Rows of :func:`fe_regression` (concatenate several fits); standardise the
        coefficients first when outcomes have different units.
    label : str or list of str
        Columns that name each row.
    standardized : bool
        Plot ``coef_std`` (outcome SDs per SD of the metric, within units) so that
        outcomes in different units share one axis.
    ax : matplotlib.axes.Axes, optional
        Draw here (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` for the dots (e.g. ``s=50``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> fits = pd.DataFrame({"outcome": ["a", "b"], "lag": [1, 2], "coef": [2.0, 0.5],
    ...                      "low": [1.0, -0.5], "high": [3.0, 1.5]})
    >>> ax = plot_coefficients(fits)
    >>> {t.get_text(): int(t.get_position()[1]) for t in ax.get_yticklabels()}  # top: row 1
    {'a | 1': 1, 'b | 2': 0}
    >>> plt.close("all")
    """
    ax = ax or plt.gca()
    cols = [label] if isinstance(label, str) else list(label)
    names = result[cols].astype(str).agg(" | ".join, axis=1).to_numpy()
    y = np.arange(len(result))[::-1]
    sfx = "_std" if standardized else ""
    est = result[f"coef{sfx}"].to_numpy(float)
    lo, hi = result[f"low{sfx}"].to_numpy(float), result[f"high{sfx}"].to_numpy(float)
    err = np.vstack([est - lo, hi - est])
    sig = (lo > 0) | (hi < 0)
    ax.errorbar(est, y, xerr=err, fmt="none", ecolor=ACCENT, capsize=3)
    # filled and hollow accent dots, as the base-flag markers draw them
    filled, hollow = BASE_MARKERS["reportable"], BASE_MARKERS["indicative"]
    ax.scatter(est[sig], y[sig], zorder=3, label="interval excludes 0", **{**filled, **kwargs})
    ax.scatter(est[~sig], y[~sig], zorder=3, label="interval includes 0", **{**hollow, **kwargs})
    ax.axvline(0, color=ZERO_LINE, linewidth=0.8)
    ax.set_yticks(y, names)
    if standardized:
        ax.set_xlabel("effect of +1 SD of the metric, in SDs of the outcome (within units)")
    legend_below(ax)  # beside the axes it would take the data's width
    return ax


@literal_plot
def plot_migration(
    result: pd.DataFrame, *, value: str = "share", ax: Axes | None = None, **kwargs: Any
) -> Axes:
    """Heat map of the 3 x 3 migration table (rows: first survey, columns: next).

    ``value="share"`` colours by the row share (%) with
    :data:`cxlab.plots.style.CMAP_SEQUENTIAL` and annotates share and n;
    ``"revenue_change"`` colours by the mean revenue change of each cell with
    :data:`~cxlab.plots.style.CMAP_DIVERGING`, centred on zero.

    Parameters
    ----------
    result : pandas.DataFrame
        From :func:`migration`.
    value : {"share", "revenue_change"}
    ax : matplotlib.axes.Axes, optional
        Draw here (default: the current Axes).
    **kwargs
        Passed to :func:`seaborn.heatmap` (e.g. ``cbar=False``, ``cmap=``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> mig = pd.DataFrame([(a, b, 10, 100 / 3) for a in CATEGORIES for b in CATEGORIES],
    ...                    columns=["from", "to", "n", "share"])
    >>> ax = plot_migration(mig)
    >>> ax.texts[0].get_text()
    '33%\\nn=10'
    >>> plt.close("all")
    """
    import seaborn as sns

    ax = ax or plt.gca()
    if value not in result:
        raise CxlabError(f"plot_migration: no column {value!r} in the migration table.")
    mat = result.pivot(index="from", columns="to", values=value).loc[CATEGORIES, CATEGORIES]
    n = result.pivot(index="from", columns="to", values="n").loc[CATEGORIES, CATEGORIES]
    if value == "share":
        annot = mat.round(0).astype("Int64").astype(str) + "%\nn=" + n.astype(str)
        cmap, center = CMAP_SEQUENTIAL, None
    else:
        annot = mat.round(0).astype("Int64").astype(str) + "\nn=" + n.astype(str)
        cmap, center = CMAP_DIVERGING, 0.0
    kws = {"cmap": cmap, "center": center, "cbar": True, "linewidths": 0.5, **kwargs}
    sns.heatmap(mat.astype(float), annot=annot.to_numpy(), fmt="", ax=ax, **kws)
    ax.set_xlabel("category at the next survey")
    ax.set_ylabel("category at the first survey")
    return ax


@literal_plot
def plot_churn_by_score(result: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Churn rate after the survey for each LTR score, with its interval.

    Parameters
    ----------
    result : pandas.DataFrame
        ``say_do(..., by="score")``: ``ltr, churn_rate, churn_low, churn_high`` and
        ``window_days`` (named in the y label).
    ax : matplotlib.axes.Axes, optional
        Draw here (default: the current Axes).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.errorbar` (default: accent dots, capped
        bars).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> s = pd.DataFrame({"ltr": [0, 5, 10], "churn_rate": [30.0, 20.0, 8.0],
    ...                   "churn_low": [25.0, 15.0, 6.0], "churn_high": [35.0, 25.0, 10.0],
    ...                   "window_days": 182})
    >>> fig, ax = plt.subplots()
    >>> ax = plot_churn_by_score(s, ax=ax)
    >>> ax.get_lines()[0].get_ydata().tolist(), ax.get_ylabel()
    ([30.0, 20.0, 8.0], 'churned within 182 days (%)')
    >>> plt.close("all")
    """
    ax = ax or plt.gca()
    rate = result["churn_rate"]
    err = [rate - result["churn_low"], result["churn_high"] - rate]
    ax.errorbar(
        result["ltr"], rate, yerr=err, **{"fmt": "o", "color": ACCENT, "capsize": 3, **kwargs}
    )
    ax.set_xticks(range(11))
    ax.set_xlabel("Likelihood to recommend (0-10)")
    if "window_days" in result and len(result):
        ax.set_ylabel(f"churned within {int(result['window_days'].iloc[0])} days (%)")
    else:
        ax.set_ylabel("churned (%)")
    return ax
