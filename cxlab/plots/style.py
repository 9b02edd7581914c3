"""The look of every cxlab chart, defined once: rcParams, palette, base-flag markers.

Notebooks call :func:`use` once instead of a ``plt.rcParams.update({...})`` block
(:func:`context` does the same for a ``with`` block); every chart function of
cxlab takes its colours from the names below, so a colour changes here and
nowhere else. The palette is colour-blind safe (Okabe-Ito, with light tints
for backgrounds).

This module imports matplotlib only when :func:`use` or :func:`context` runs, so
analysis modules can name their colours without loading matplotlib.

Examples
--------
>>> import matplotlib as mpl
>>> from cxlab.plots import style
>>> with style.context(figsize=(8, 3.6)):
...     mpl.rcParams["figure.figsize"], mpl.rcParams["text.parse_math"]
([8.0, 3.6], False)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = [
    "ACCENT",
    "ACCENT_LIGHT",
    "BASE_MARKERS",
    "CMAP_DIVERGING",
    "CMAP_SEQUENTIAL",
    "CUT_LINE",
    "FIT_LINE",
    "INTERVAL_GREY",
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
    "params",
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

#: Marker of each base flag (see :data:`cxlab.stats.BASE_MARKS`), ``**`` into
#: :meth:`matplotlib.axes.Axes.scatter`: filled dot, hollow dot, hollow cross.
BASE_MARKERS: dict[str, dict[str, Any]] = {
    "reportable": {"marker": "o", "color": ACCENT, "s": 36},
    "indicative": {"marker": "o", "facecolor": "white", "edgecolor": ACCENT, "s": 36},
    "unreliable": {"marker": "X", "facecolor": "white", "edgecolor": ACCENT, "s": 52},
}

# ----------------------------------------------------------------------------- rcParams

#: rcParams of the report notebooks (:func:`use` sets them). Text is never parsed
#: as mathtext or TeX (names come from data), SVG ids are fixed.
STYLE: dict[str, object] = {
    "figure.dpi": 110,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "cxlab",
    "text.parse_math": False,
    "text.usetex": False,
}


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

    Parameters
    ----------
    figsize : (float, float), optional
        Default figure size in inches (``figure.figsize``); matplotlib's when omitted.
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


@contextlib.contextmanager
def context(
    figsize: tuple[float, float] | None = None, rc: dict[str, object] | None = None
) -> Iterator[None]:
    """:func:`use` for a ``with`` block: the previous rcParams come back at its end."""
    import matplotlib as mpl

    values: Any = params(figsize, rc)
    with mpl.rc_context(values):
        yield
