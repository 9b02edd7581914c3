"""Text in cxlab charts: drawn literally, wrapped to fit a narrow figure, legends below.

- :func:`literal_text` / :func:`literal_plot`: text from data is never parsed
  as mathtext or TeX (a segment called ``$...$`` is shown as written).
- :func:`wrap_label`: a category name and its base, wrapped when long.
- :func:`legend_below`: a legend under the Axes, clear of its tick labels.

Every chart function of cxlab is decorated with :func:`literal_plot`, which also
wraps its long x label and row names and lets the title wrap at the figure's
edge: a report figure is :data:`cxlab.plots.style.WIDTH` inches wide, so a long
name would otherwise squeeze the data or be cut off.
"""

from __future__ import annotations

import contextlib
import functools
import textwrap
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator

from cxlab.plots.style import AXIS_LABEL_CHARS, LABEL_CHARS, SMALL

__all__ = ["legend_below", "literal_plot", "literal_text", "wrap_label"]


@contextlib.contextmanager
def literal_text() -> Iterator[None]:
    """Context in which new matplotlib text is never parsed as mathtext or TeX.

    A :class:`matplotlib.text.Text` takes ``parse_math`` from rcParams when it is
    created, so labels, titles and legends created inside keep showing ``$``
    literally when the figure is drawn later. Tick labels that existed before
    (an Axes makes its first tick when it is created) are not covered: use
    :func:`literal_plot` for whole plotting functions.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with literal_text():
    ...     t = plt.figure().text(0, 0, "$\\alpha$")
    >>> t.get_parse_math()
    False
    """
    with mpl.rc_context({"text.parse_math": False, "text.usetex": False}):
        yield


def _literal_ticks(ax: Any) -> None:
    """Turn mathtext off on every existing tick label of ``ax``."""
    axes = ax.ravel() if isinstance(ax, np.ndarray) else [ax]
    for a in axes:
        if not isinstance(a, Axes):
            continue
        for axis in (a.xaxis, a.yaxis):
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                for label in (tick.label1, tick.label2):
                    label.set_parse_math(False)
                    label.set_usetex(False)


def _wrap_titles(ax: Any) -> None:
    """Wrap the long x label and long row names of ``ax``; let its title wrap when set."""
    axes = ax.ravel() if isinstance(ax, np.ndarray) else [ax]
    for a in axes:
        if isinstance(a, Axes):
            a.title.set_wrap(True)
            xlabel = a.get_xlabel()
            if "\n" not in xlabel and len(xlabel) > AXIS_LABEL_CHARS:
                a.set_xlabel(textwrap.fill(xlabel, AXIS_LABEL_CHARS))
            if isinstance(a.yaxis.get_major_locator(), FixedLocator):  # names, not numbers
                names = [t.get_text() for t in a.get_yticklabels()]
                if any(len(n) > LABEL_CHARS and "\n" not in n for n in names):
                    a.set_yticks(a.get_yticks(), [n if "\n" in n else wrap_label(n) for n in names])


def _points(size: Any) -> float:
    """A font size of rcParams (``10`` or ``"small"``) in points."""
    from matplotlib.font_manager import FontProperties

    return float(FontProperties(size=size).get_size_in_points())


def legend_below(ax: Axes, *, tick_lines: float = 1, **kwargs: Any) -> Any:
    """Put the legend of ``ax`` under it, right-aligned, below its tick labels and x label.

    On a narrow report figure a legend beside the Axes takes the data's width;
    below, constrained layout (:data:`cxlab.plots.style.STYLE`) makes room for
    it. The gap is computed from the rcParams' tick and label sizes, for tick
    labels of ``tick_lines`` lines and the x label's own lines. Entries longer
    than :data:`~cxlab.plots.style.LABEL_CHARS` are wrapped in a legend of
    several columns (:data:`~cxlab.plots.style.AXIS_LABEL_CHARS` in one). Called on an Axes
    that has a legend already, it replaces it (same entries). ``kwargs`` go to
    :meth:`matplotlib.axes.Axes.legend` (default: 2 columns, no frame,
    :data:`~cxlab.plots.style.SMALL` text).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> _ = ax.plot([0, 1], label="every estimate, its interval shaded")
    >>> leg = legend_below(ax)  # anchored at the bottom of the Axes, hanging below it
    >>> bool(leg.get_bbox_to_anchor().y0 == ax.bbox.y0), [t.get_text() for t in leg.get_texts()]
    (True, ['every estimate, its\\ninterval shaded'])
    """
    rc = mpl.rcParams
    size = float(kwargs.pop("fontsize", SMALL))
    if "handles" in kwargs:
        handles, labels = kwargs.pop("handles"), kwargs.pop("labels")
    else:
        handles, labels = ax.get_legend_handles_labels()
    style: dict[str, Any] = {"ncols": 2, "frameon": False} | kwargs
    chars = AXIS_LABEL_CHARS if style["ncols"] == 1 else LABEL_CHARS
    labels = [textwrap.fill(str(label), chars) for label in labels]
    xlabel_lines = ax.get_xlabel().count("\n") + 1 if ax.get_xlabel() else 0
    gap = (
        float(rc["xtick.major.size"])
        + float(rc["xtick.major.pad"])
        + 1.25 * tick_lines * _points(rc["xtick.labelsize"])
        + (float(rc["axes.labelpad"]) + 1.25 * xlabel_lines * _points(rc["axes.labelsize"]))
        + 4
    )
    # right-aligned with the Axes: their right edge is near the figure's, and the
    # tick labels on the left leave room for a legend wider than the data
    return ax.legend(
        handles,
        labels,
        loc="upper right",
        bbox_to_anchor=(1.0, 0.0),
        borderaxespad=gap / size,
        fontsize=size,
        **style,
    )


_F = TypeVar("_F", bound=Callable[..., Any])


def literal_plot(func: _F) -> _F:
    """Decorate a plotting function that returns its Axes: all its text is literal.

    The function runs inside :func:`literal_text`, and the tick labels of the
    Axes it returns are made literal too (the first tick of an Axes predates
    the call). Used by every chart function of cxlab: names from data are drawn
    as written, never parsed as mathtext (``$...$``) or TeX.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with literal_text():
            ax = func(*args, **kwargs)
            _literal_ticks(ax)
        _wrap_titles(ax)
        return ax

    return wrapper  # type: ignore[return-value]


def wrap_label(name: str, base: str = "", mark: str = "", width: int = LABEL_CHARS) -> str:
    """A category label that fits a narrow chart: ``name  base`` + ``mark`` on one line
    when at most ``width`` characters, else ``name`` wrapped at ``width`` with the
    base on a line of its own (text from data stays as written, only wrapped).

    Examples
    --------
    >>> wrap_label("Web", "(n=20)", "**")
    'Web  (n=20)**'
    >>> print(wrap_label("Installation appointment booking", "(n=1,204, effective n=980)"))
    Installation appointment
    booking
    (n=1,204, effective n=980)
    """
    one = f"{name}  {base}" if base else name
    if len(one) <= width:
        return one + mark
    lines = textwrap.wrap(name, width) or [name]
    return "\n".join([*lines, base] if base else lines) + mark
