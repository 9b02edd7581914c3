"""The look of every cxlab chart, defined once: rcParams, palette, base-flag markers.

Notebooks call :func:`use` once instead of a ``plt.rcParams.update({...})`` block
(:func:`context` does the same for a ``with`` block); every chart function of
cxlab takes its colours from the names below, so a colour changes here and
nowhere else. The palette is colour-blind safe (Okabe-Ito, with light tints
for backgrounds).

Sizes are chosen here too, for a report read on a phone: every figure is
:data:`WIDTH` inches wide (:func:`figsize`), no text is smaller than
:data:`SMALL` points, and figures are laid out by constrained layout at a fixed
size, printed without the inline backend's ``bbox_inches="tight"`` (a second
layout pass, and a figure whose width, hence text scale, depends on its labels).
A report's column is :data:`PHONE_COLUMN` CSS pixels wide on a 480 px screen,
where images are shrunk to fit: text of ``s`` points in a figure ``w`` inches
wide is shown ``s * PHONE_COLUMN / (72 * w)`` px tall, whatever the dpi
(:func:`shown_px`); with :data:`SMALL` = 10 and :data:`WIDTH` = 5.5 that is
10.6 px, above :data:`MIN_TEXT_PX`.

This module imports matplotlib only when :func:`use` or :func:`context` runs, so
analysis modules can name their colours without loading matplotlib.

Examples
--------
>>> import matplotlib as mpl
>>> from cxlab.plots import style
>>> with style.context(figsize=style.figsize(3.6)):
...     mpl.rcParams["figure.figsize"], mpl.rcParams["text.parse_math"]
([5.5, 3.6], False)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = [
    "ACCENT",
    "AGGREGATE_LINE",
    "DPI",
    "MIN_TEXT_PX",
    "PATH_LINE",
    "PHONE_COLUMN",
    "PRINT_KWARGS",
    "SECONDARY_TEXT",
    "SMALL",
    "WIDTH",
    "ACCENT_LIGHT",
    "AXIS_LABEL_CHARS",
    "BASE_MARKERS",
    "CMAP_DIVERGING",
    "CMAP_SEQUENTIAL",
    "CUT_LINE",
    "FIT_LINE",
    "INTERVAL_GREY",
    "LABEL_CHARS",
    "MIX_COLORS",
    "QUADRANT_COLORS",
    "REFERENCE_LINE",
    "STAGE_COLORS",
    "STAGE_OTHER",
    "STYLE",
    "UNIT_PALETTE",
    "WEAK",
    "ZERO_LINE",
    "context",
    "figsize",
    "params",
    "shown_px",
    "smallest_text",
    "use",
]

# ----------------------------------------------------------------------------- palette

#: The one accent (Okabe-Ito blue): estimates, their intervals, touch points that are fine.
ACCENT = "#0072B2"
#: A light tint of the accent, for the bars that are not the highlighted one.
ACCENT_LIGHT = "#9ecae1"
#: Something that needs attention (Okabe-Ito vermillion): weak touch points.
WEAK = "#D55E00"
#: Detractors, passives and promoters (Okabe-Ito vermillion, grey, bluish green).
MIX_COLORS = ("#D55E00", "#BBBBBB", "#009E73")
#: Background of each journey stage; :data:`STAGE_OTHER` for any other stage.
STAGE_COLORS = {"attraction": "#E8F1FA", "interaction": "#FDF3E1", "cultivation": "#E9F5EE"}
STAGE_OTHER = "#F2F2F2"
#: Marker colour of each importance-performance quadrant (and of its corner label).
QUADRANT_COLORS = {
    "key weakness": "#c0392b",
    "key strength": "#1e7b4f",
    "secondary weakness": "#d98c3a",
    "secondary strength": "#5b7fa6",
}
#: Qualitative colour map for one colour per unit (matplotlib name).
UNIT_PALETTE = "tab10"
#: Colour maps of heat maps: shares and probabilities, and signed values around 0.
CMAP_SEQUENTIAL = "Blues"
CMAP_DIVERGING = "RdBu"

#: Greys of the chart furniture: the zero line, a reference line (e.g. the
#: overall NPS), quadrant cuts, and intervals drawn behind coloured markers.
ZERO_LINE = "0.8"
REFERENCE_LINE = "0.4"
CUT_LINE = "#777777"
INTERVAL_GREY = "#999999"
#: A fitted line (and error bars drawn over coloured bars).
FIT_LINE = "black"
#: The line joining a journey's touch points, a journey's aggregate score, and
#: text that names a region rather than data (journey stage names).
PATH_LINE = "0.6"
AGGREGATE_LINE = "0.2"
SECONDARY_TEXT = "0.35"

#: Marker of each base flag (see :data:`cxlab.stats.BASE_MARKS`), ``**`` into
#: :meth:`matplotlib.axes.Axes.scatter`: filled dot, hollow dot, hollow cross.
BASE_MARKERS: dict[str, dict[str, Any]] = {
    "reportable": {"marker": "o", "color": ACCENT, "s": 36},
    "indicative": {"marker": "o", "facecolor": "white", "edgecolor": ACCENT, "s": 36},
    "unreliable": {"marker": "X", "facecolor": "white", "edgecolor": ACCENT, "s": 52},
}

# ----------------------------------------------------------------------------- sizes

#: Width of every report figure, inches (:func:`figsize`). Narrow on purpose: a
#: phone shrinks a figure to the column, so the narrower it is, the larger its text.
WIDTH = 5.5
#: Pixels per inch of the PNGs: 550 px wide figures, shown at their own size on
#: a desktop (the column is about 1,000 px there) and shrunk by 0.77 on a phone.
DPI = 100
#: Font size of titles, axis labels and ticks (points); :data:`SMALL` is the
#: smallest text any cxlab chart draws (legends, value labels, annotations).
FONT_SIZE = 12
SMALL = 10
#: Category labels longer than this (characters) are wrapped
#: (:func:`cxlab.plots.wrap_label`): a long label would squeeze the data.
LABEL_CHARS = 24
#: Axis labels and legend entries longer than this are wrapped.
AXIS_LABEL_CHARS = 36
#: Width in CSS px of a report's column on a 480 px wide screen (the report
#: template's margins), and the least height text may be shown at there.
PHONE_COLUMN = 421
MIN_TEXT_PX = 9.0
#: Keywords of IPython's inline backend for ``print_figure`` (:func:`use` sets
#: them): no ``bbox_inches="tight"`` (constrained layout already fits the figure,
#: the tight box would lay every text out again and change the figure's width),
#: and zlib level 3, faster than Pillow's default 6 and no larger on charts.
PRINT_KWARGS: dict[str, object] = {"bbox_inches": None, "pil_kwargs": {"compress_level": 3}}

# ----------------------------------------------------------------------------- rcParams

#: rcParams of the report notebooks (:func:`use` sets them). Text is never parsed
#: as mathtext or TeX (names come from data), SVG ids are fixed, figures are
#: :data:`WIDTH` inches wide at :data:`DPI` with constrained layout, text at
#: least :data:`SMALL` points.
STYLE: dict[str, object] = {
    "figure.dpi": DPI,
    "figure.figsize": (WIDTH, 3.4),
    "figure.constrained_layout.use": True,
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": SMALL + 1,
    "ytick.labelsize": SMALL + 1,
    "legend.fontsize": SMALL,
    "legend.title_fontsize": SMALL,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "cxlab",
    "text.parse_math": False,
    "text.usetex": False,
}


def figsize(height: float) -> tuple[float, float]:
    """Size of a report figure ``height`` inches tall: always :data:`WIDTH` wide.

    Examples
    --------
    >>> figsize(3.4)
    (5.5, 3.4)
    """
    return (WIDTH, float(height))


def shown_px(points: float, width: float = WIDTH, column: float = PHONE_COLUMN) -> float:
    """CSS px height of ``points``-point text in a figure ``width`` inches wide, shown in
    a ``column`` px wide column (shrunk to fit; never enlarged: then at :data:`DPI`).

    Examples
    --------
    >>> round(shown_px(SMALL), 1), round(shown_px(10, width=8), 1)  # now and before
    (10.6, 7.3)
    """
    natural = width * DPI
    return points / 72 * DPI * min(1.0, column / natural)


def smallest_text(fig: Any) -> tuple[float, str]:
    """The smallest visible, non-empty text of a matplotlib figure: (points, text).

    Tick labels, legends, titles, annotations: every :class:`matplotlib.text.Text`
    the figure would draw. ``(inf, "")`` for a figure without text.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> _ = fig.subplots().set_xlabel("score", fontsize=7)
    >>> smallest_text(fig)[0]
    7.0
    """
    from matplotlib.text import Text

    hidden = {id(t) for a in fig.axes if not a.get_visible() for t in a.findobj(Text)}
    sizes = [
        (float(t.get_fontsize()), t.get_text())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in hidden
    ]
    return min(sizes, default=(float("inf"), ""))


def params(
    figsize: tuple[float, float] | None = None, rc: dict[str, object] | None = None
) -> dict[str, object]:
    """The rcParams :func:`use` sets: :data:`STYLE`, then the figure size, then ``rc``.

    Examples
    --------
    >>> params(figsize=(8, 3.6))["figure.figsize"]
    (8, 3.6)
    >>> params(rc={"axes.grid": True})["axes.grid"], params()["text.parse_math"]
    (True, False)
    """
    out: dict[str, object] = dict(STYLE)
    if figsize is not None:
        out["figure.figsize"] = figsize
    out.update(rc or {})
    return out


def use(figsize: tuple[float, float] | None = None, rc: dict[str, object] | None = None) -> None:
    """Set the cxlab report style for the rest of the session (a notebook's first call).

    Sets :data:`STYLE` and, in IPython (a notebook's kernel), the inline backend's
    :data:`PRINT_KWARGS`: figures are printed at their own size, as constrained
    layout made them, in one layout pass.

    Parameters
    ----------
    figsize : (float, float), optional
        Default figure size in inches (``figure.figsize``; :func:`figsize`
        gives a report figure's); :data:`STYLE`'s when omitted.
    rc : dict, optional
        Further rcParams, set last (as seaborn's ``set_theme(rc=...)``).

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with mpl.rc_context():
    ...     use(figsize=(8, 3.6))
    ...     mpl.rcParams["axes.spines.top"], mpl.rcParams["figure.figsize"]
    (False, [8.0, 3.6])
    """
    import matplotlib as mpl

    values: Any = params(figsize, rc)  # rcParams' stubs name every key as a Literal
    mpl.rcParams.update(values)
    _inline_print_kwargs()


def _inline_print_kwargs() -> None:
    """In IPython, print inline figures with :data:`PRINT_KWARGS` (else do nothing).

    Sets ``InlineBackend.print_figure_kwargs`` (kept when pyplot configures the
    inline backend later) and registers the PNG formatter with it now, as
    ``%config InlineBackend.print_figure_kwargs = {...}`` would.
    """
    import sys

    if "IPython" not in sys.modules:  # not in IPython: nothing to configure
        return
    from IPython import get_ipython
    from IPython.core.pylabtools import select_figure_formats

    shell = get_ipython()
    if shell is None:
        return
    from matplotlib_inline.config import InlineBackend

    cfg = InlineBackend.instance(parent=shell)
    kwargs: Any = dict(PRINT_KWARGS)  # the trait is typed as str values
    cfg.print_figure_kwargs = kwargs
    select: Any = select_figure_formats  # untyped in IPython
    select(shell, cfg.figure_formats, **kwargs)


@contextlib.contextmanager
def context(
    figsize: tuple[float, float] | None = None, rc: dict[str, object] | None = None
) -> Iterator[None]:
    """:func:`use` for a ``with`` block: the previous rcParams come back at its end."""
    import matplotlib as mpl

    values: Any = params(figsize, rc)
    with mpl.rc_context(values):
        yield
