"""Charts of cxlab results, axes-level in the seaborn way, and the one report style.

- :mod:`cxlab.plots.style`: rcParams (:data:`STYLE`), the palette and the
  base-flag markers, defined once; :func:`style.use <cxlab.plots.style.use>` is
  the one call a notebook makes instead of a ``plt.rcParams.update`` block.
  It does not import matplotlib, so any module can name its colours.
- :mod:`cxlab.plots.core`: :func:`plot_intervals`, :func:`plot_trend`,
  :func:`plot_mix` and the :func:`draw_intervals` primitive.
- :mod:`cxlab.plots.text`: :func:`literal_plot` / :func:`literal_text`, which
  keep text from data from being parsed as mathtext, :func:`wrap_label` and
  :func:`legend_below`, which keep charts readable in a narrow report figure.

Every chart takes a keyword-only ``ax=None`` (then the current Axes), passes
``**kwargs`` to its main artist and returns the Axes. The names below are
imported on first use (``from cxlab import plots`` does not load matplotlib).

Examples
--------
>>> from cxlab import plots
>>> plots.STYLE["text.parse_math"], plots.ACCENT == plots.style.ACCENT
(False, True)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cxlab.plots import style
from cxlab.plots.style import (
    ACCENT,
    BASE_MARKERS,
    MIX_COLORS,
    STYLE,
)

if TYPE_CHECKING:  # static analysers see the eager imports
    from cxlab.plots import core as core
    from cxlab.plots.core import (
        draw_intervals,
        legend_below,
        literal_plot,
        literal_text,
        plot_intervals,
        plot_mix,
        plot_trend,
        wrap_label,
    )

#: Names of :mod:`cxlab.plots.core`, imported with matplotlib on first use.
_CORE = frozenset(
    {
        "draw_intervals",
        "legend_below",
        "literal_plot",
        "literal_text",
        "plot_intervals",
        "plot_mix",
        "plot_trend",
        "wrap_label",
    }
)


def __getattr__(name: str) -> Any:
    """Import :mod:`cxlab.plots.core` (and matplotlib) the first time a chart is used."""
    if name == "core" or name in _CORE:
        core = importlib.import_module("cxlab.plots.core")
        return core if name == "core" else getattr(core, name)
    raise AttributeError(f"module 'cxlab.plots' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"core", "style"})


__all__ = [
    "ACCENT",
    "BASE_MARKERS",
    "MIX_COLORS",
    "STYLE",
    "draw_intervals",
    "legend_below",
    "literal_plot",
    "literal_text",
    "plot_intervals",
    "plot_mix",
    "plot_trend",
    "style",
    "wrap_label",
]
