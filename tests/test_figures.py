"""Every report figure is readable on a phone: checked on the figure objects and in Chromium.

The code cells of each notebook run in this process on the demo warehouse, with
``plt.show`` collecting the figures instead of showing them. Each figure must be
:data:`cxlab.plots.style.WIDTH` inches wide (so a phone shrinks every figure by
the same factor), laid out by constrained layout (printed without a tight box),
have no text smaller than :data:`~cxlab.plots.style.MIN_TEXT_PX` CSS px once
shrunk into the 421 px column of a 480 px page, and draw nothing outside its
edges (without ``bbox_inches="tight"`` a legend there would be cut off).
A rendered report, opened in headless Chromium at 480 px, confirms the column
width and the shrink factor those numbers assume.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import nbformat
import pytest
from _browser import measure
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cxlab import render
from cxlab.plots import style

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PARAMS = {
    "quarterly_report": {"unit": "ALL"},
    "drivers": {"unit": "ALL", "bootstrap": 20},
    "journey_case_study": {"unit": "ALL"},
    "nps_outcomes": {},
    "retention_value": {},
}


def _figures(notebook: str, db: Path, monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Run the notebook's code cells here; return the figures its cells show."""
    nb = nbformat.read(NOTEBOOKS / f"{notebook}.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    overrides = {**PARAMS[notebook], "warehouse": str(db)}
    shown: list[Figure] = []

    def show(*_: object, **__: object) -> None:
        shown.extend(plt.figure(num) for num in plt.get_fignums())
        plt.close("all")

    plt.close("all")  # only this notebook's figures are collected
    monkeypatch.setattr(plt, "show", show)
    monkeypatch.chdir(NOTEBOOKS)  # as the kernel: case files are found from there
    ns: dict[str, object] = {}
    with mpl.rc_context():
        exec(cells[0] + "\n" + "\n".join(f"{k} = {v!r}" for k, v in overrides.items()), ns)
        for src in cells[1:]:
            exec(compile(src, f"<{notebook}>", "exec"), ns)
        for fig in shown:
            FigureCanvasAgg(fig).draw()  # the layout runs at draw time, with the style on
    return shown


@pytest.mark.slow
@pytest.mark.parametrize("notebook", list(PARAMS))
def test_every_figure_is_readable_at_480px_and_fits_its_edges(
    notebook, demo_warehouse, monkeypatch
):
    db, _ = demo_warehouse
    figures = _figures(notebook, db, monkeypatch)
    assert figures
    for i, fig in enumerate(figures, 1):
        width, height = fig.get_size_inches()
        assert width == style.WIDTH, f"figure {i} is {width} in wide"
        assert fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
        points, text = style.smallest_text(fig)
        px = style.shown_px(points, width=width)
        assert px >= style.MIN_TEXT_PX, f"figure {i}: {text!r} at {points} pt is {px:.1f} px"
        box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
        tol = 0.03
        inside = box.x0 >= -tol and box.y0 >= -tol and box.x1 <= width + tol
        assert inside and box.y1 <= height + tol, f"figure {i} draws outside its edges: {box}"


def test_the_figure_rule_can_fail():
    """Controls: a small text and a legend past the edge are both caught."""
    with style.context():
        fig = plt.figure()
        ax = fig.subplots()
        ax.plot([0, 1], label="a line")
        ax.legend(loc="upper left", bbox_to_anchor=(1.5, 1.0))
        ax.set_xlabel("tiny", fontsize=6)
        FigureCanvasAgg(fig).draw()
        assert style.shown_px(style.smallest_text(fig)[0]) < style.MIN_TEXT_PX
        assert fig.get_tightbbox(fig.canvas.get_renderer()).x1 > fig.get_size_inches()[0]
        plt.close(fig)


# ----------------------------------------------------------------------------- in Chromium
@pytest.mark.slow
def test_a_report_in_chromium_shrinks_its_figures_into_the_assumed_column(
    demo_warehouse, chromium, tmp_path
):
    db, _ = demo_warehouse
    params = {"unit": "ALL", "warehouse": str(db)}
    html = render.render(NOTEBOOKS / "quarterly_report.ipynb", params, out_dir=tmp_path, name="q")
    probe = measure(chromium, html, tmp_path, width=480)
    assert probe["viewport"] == 480 and len(probe["images"]) >= 4, probe
    for img in probe["images"]:
        # every figure printed at the style's size, no wider (no tight box)...
        assert img["natural"] == round(style.WIDTH * style.DPI), img
        # ...and shrunk into the column the style's numbers assume, or less
        assert img["shown"] >= style.PHONE_COLUMN - 1, img
        smallest = style.SMALL / 72 * style.DPI * img["shown"] / img["natural"]
        assert smallest >= style.MIN_TEXT_PX, img
