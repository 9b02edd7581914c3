"""Point labels that do not overlap, placed when the figure is drawn.

:func:`label_points` writes one text per point and lets a small artist move
each text, every time the figure is drawn (so after the layout engine has set
the Axes' size, at the dpi of the output), to the first of a fixed list of
spots around its point where it covers no other label, no marker and nothing
outside the Axes. Labels are placed in a fixed order (the caller's), so the
result is deterministic. A label moved away from its point gets a thin leader
line. Hand-written (a greedy candidate search, as in Imhof's label placement
rules) because the usual package for this, adjustText, moves labels by an
iterative repulsion whose result depends on its iteration count and is not
among cxlab's dependencies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox, IdentityTransform

from cxlab.plots.style import CUT_LINE, SMALL

__all__ = ["label_points"]

_Spot = tuple[float, float, Literal["left", "center", "right"], Literal["bottom", "top"]]
_RINGS = 6  # how far (in label heights) a label may move up or down from its point


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _outside(a: Bbox, frame: Bbox) -> float:
    return a.width * a.height - _overlap(a, frame)


class _Placer(Artist):
    """Moves its labels to free spots each time the Axes is drawn (drawn first)."""

    def __init__(
        self,
        ax: Any,
        xy: np.ndarray,
        texts: list[Text],
        lines: list[Line2D],
        marker_pt: float,
        avoid: Sequence[Text],
    ) -> None:
        super().__init__()
        self.ax, self.xy, self.texts, self.lines = ax, xy, texts, lines
        self.marker_pt, self.avoid = marker_pt, list(avoid)
        self.set_zorder(-1e9)

    def _spots(self, px: float, size: float) -> list[_Spot]:
        gap = (self.marker_pt / 2 + 2) * px
        step = 1.25 * size * px
        spots: list[_Spot] = []
        for r in range(_RINGS):
            lift = 1.5 * px + r * step
            spots += [(gap, lift, "left", "bottom"), (gap, -lift, "left", "top")]
            spots += [(-gap, lift, "right", "bottom"), (-gap, -lift, "right", "top")]
            spots += [(0.0, gap + r * step, "center", "bottom")]
            spots += [(0.0, -gap - r * step, "center", "top")]
        return spots

    def draw(self, renderer: Any) -> None:
        px = renderer.points_to_pixels(1.0)
        pts = self.ax.transData.transform(self.xy)
        half = self.marker_pt / 2 * px
        markers = [Bbox.from_extents(x - half, y - half, x + half, y + half) for x, y in pts]
        frame = self.ax.bbox
        taken = [t.get_window_extent(renderer) for t in self.avoid if t.get_visible()]
        taken += markers
        for (x, y), text, line in zip(pts, self.texts, self.lines, strict=True):
            best: tuple[float, int, Bbox] | None = None
            spots = self._spots(px, float(text.get_fontsize()))
            for i, (dx, dy, ha, va) in enumerate(spots):
                text.set_position((x + dx, y + dy))
                text.set_horizontalalignment(ha)
                text.set_verticalalignment(va)
                box = text.get_window_extent(renderer).padded(1.0)
                cost = sum(_overlap(box, b) for b in taken) + _outside(box, frame)
                if best is None or cost < best[0]:
                    best = (cost, i, box)
                if cost == 0:
                    break
            assert best is not None
            dx, dy, ha, va = spots[best[1]]
            text.set_position((x + dx, y + dy))
            text.set_horizontalalignment(ha)
            text.set_verticalalignment(va)
            taken.append(best[2])
            far = best[1] >= 6  # beyond the first ring: show which point it names
            line.set_data([x, x + dx], [y, y + dy])
            line.set_visible(far)
        self.stale = False


def label_points(
    ax: Any,
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    labels: Sequence[Any],
    *,
    marker_size: float = 36.0,
    avoid: Sequence[Text] = (),
    fontsize: float = SMALL,
    **kwargs: Any,
) -> list[Text]:
    """Label each point ``(x[i], y[i])`` with ``labels[i]``; no two labels overlap.

    Labels are placed in the order given (put the most important first: it gets
    the spot next to its point), each at the first free spot of a fixed list
    around its point (right/left, above/below, then further up or down); a label
    that finds no free spot takes the one that covers least. Placement is redone
    at every draw, after the layout is set. Texts are drawn as written (no
    mathtext).

    Parameters
    ----------
    ax : matplotlib Axes
    x, y : sequences of float
        The points, in data coordinates.
    labels : sequence
        One label per point (``str()`` of each is drawn).
    marker_size : float
        The markers' size as in :meth:`~matplotlib.axes.Axes.scatter` (points^2):
        labels keep off them.
    avoid : sequence of Text
        Other texts of the Axes that labels must not cover (e.g. quadrant names).
    fontsize : float
    **kwargs
        Passed to each :class:`~matplotlib.text.Text`.

    Returns
    -------
    list of matplotlib.text.Text

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> texts = label_points(ax, [0, 0.01], [0, 0.01], ["first", "second"])
    >>> ax.figure.draw_without_rendering()
    >>> a, b = (t.get_window_extent() for t in texts)
    >>> bool(a.overlaps(b))
    False
    """
    xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    texts, lines = [], []
    for name in labels:
        t = Text(0, 0, str(name), fontsize=fontsize, transform=IdentityTransform(), **kwargs)
        t.set_parse_math(False)
        texts.append(ax.add_artist(t))
        line = Line2D([], [], transform=IdentityTransform(), color=CUT_LINE, lw=0.6)
        lines.append(ax.add_artist(line))
    ax.add_artist(_Placer(ax, xy, texts, lines, math.sqrt(marker_size), avoid))
    return texts
