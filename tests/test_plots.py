"""cxlab.plots: what each chart draws, the axes-level contract, the one style."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import cxlab
from cxlab import plots, stats
from cxlab.key_drivers import plot_importance, plot_importance_performance
from cxlab.plots import style

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ACCENT = to_rgba(style.ACCENT)


def _result() -> pd.DataFrame:
    """Four groups: 120 reportable, 40 indicative, 12 unreliable, 0 empty responses."""
    spec = {"big": [10, 9, 3, 7] * 30, "mid": [10, 3, 8, 9] * 10, "tiny": [3] * 12, "none": []}
    rows = [(g, s) for g, scores in spec.items() for s in scores] + [("none", None)]
    df = pd.DataFrame(rows, columns=["g", "ltr"]).astype({"ltr": "Int64"})
    return cxlab.nps(df, "ltr", by="g")


def _axes():
    return Figure().subplots()


def _points(ax) -> list[np.ndarray]:
    """The offsets of each scatter collection, in drawing order."""
    return [np.asarray(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]


def _segments(ax) -> list[tuple[float, float, float]]:
    """(position, from, to) of every interval line, sorted."""
    out = []
    for c in ax.collections:
        if isinstance(c, LineCollection):
            for (x0, y0), (x1, _) in c.get_segments():
                out.append((y0, x0, x1))
    return sorted(out)


def _outside(ax) -> bool:
    """Whether the legend is clear of the Axes, its tick labels and its x label (drawn)."""
    canvas = FigureCanvasAgg(ax.figure)
    canvas.draw()
    box = ax.get_legend().get_window_extent()
    axis = ax.xaxis.get_tightbbox(canvas.get_renderer())
    return not box.overlaps(ax.get_window_extent()) and not box.overlaps(axis)


# ----------------------------------------------------------------------------- plot_intervals
def test_plot_intervals_draws_each_group_its_interval_marker_and_base_label():
    res = _result()
    ax = plots.plot_intervals(res, "g", reference=12.5, ax=_axes())
    order = res.sort_values("nps")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        f"{g}  (n={n})" + stats.BASE_MARKS.get(f, "")
        for g, n, f in zip(order["g"], order["n"], order["flag"], strict=True)
    ]
    assert set(order["flag"]) == {"reportable", "indicative", "unreliable", "empty"}
    # one line per group with an estimate, from its low to its high bound, at its row
    shown = order.reset_index(drop=True).dropna(subset=["low"])
    expected = [(float(i), lo, hi) for i, lo, hi in zip(shown.index, shown["low"], shown["high"])]
    np.testing.assert_allclose(_segments(ax), sorted(expected))
    # one marker per flag, at (estimate, row); the empty group has none
    pts = _points(ax)
    assert [len(p) for p in pts] == [1, 1, 1]
    by_flag = {f: i for i, f in enumerate(order["flag"])}
    for p, flag in zip(pts, ["reportable", "indicative", "unreliable"], strict=True):
        row = order.iloc[by_flag[flag]]
        assert p.tolist() == [[pytest.approx(row["nps"]), by_flag[flag]]]
    filled, hollow, cross = (c for c in ax.collections if isinstance(c, PathCollection))
    assert tuple(filled.get_facecolor()[0]) == ACCENT
    assert tuple(hollow.get_facecolor()[0]) == to_rgba("white")
    assert tuple(hollow.get_edgecolor()[0]) == ACCENT
    assert tuple(cross.get_facecolor()[0]) == to_rgba("white")
    # the reference and the zero line
    assert sorted(line.get_xdata()[0] for line in ax.lines if len(line.get_xdata()) == 2) == [
        0,
        12.5,
    ]
    assert ax.get_xlabel() == "NPS"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    bands = stats.base_legend(stats.BASE_BANDS)
    assert legend == [bands["reportable"], bands["indicative"], bands["unreliable"]]
    assert _outside(ax)


def test_plot_intervals_legend_only_when_a_base_is_low_and_columns_by_name():
    res = pd.DataFrame({"seg": ["a", "b"], "est": [5.0, -3.0], "lo": [1.0, -9.0], "hi": [9.0, 2.0]})
    ax = plots.plot_intervals(
        res, "seg", estimate="est", low="lo", high="hi", sort=False, xlabel="%", ax=_axes()
    )
    assert ax.get_legend() is None  # no flag column: every row reportable
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]  # unsorted
    assert _segments(ax) == [(0.0, 1.0, 9.0), (1.0, -9.0, 2.0)]
    assert ax.get_xlabel() == "%"


def test_plot_intervals_kwargs_reach_the_markers_and_color_recolours():
    ax = plots.plot_intervals(_result(), "g", ax=_axes(), color="red", alpha=0.4, s=99)
    markers = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [c.get_alpha() for c in markers] == [0.4, 0.4, 0.4]
    assert all(c.get_sizes().tolist() == [99] for c in markers)
    assert tuple(markers[0].get_facecolor()[0][:3]) == to_rgba("red")[:3]
    assert tuple(markers[1].get_edgecolor()[0][:3]) == to_rgba("red")[:3]
    lines = next(c for c in ax.collections if isinstance(c, LineCollection))
    assert tuple(lines.get_color()[0]) == to_rgba("red")


# ----------------------------------------------------------------------------- plot_trend
def test_plot_trend_draws_estimates_in_order_with_their_band():
    res = pd.DataFrame(
        {
            "quarter": ["2025Q3", "2025Q1", "2025Q2"],
            "nps": [30.0, 10.0, -5.0],
            "low": [20.0, 0.0, -15.0],
            "high": [40.0, 20.0, 5.0],
        }
    )
    ax = plots.plot_trend(res, ax=_axes())
    line = ax.lines[0]
    assert line.get_ydata().tolist() == [10.0, -5.0, 30.0]  # sorted by quarter
    assert line.get_xdata().tolist() == [0, 1, 2]
    assert line.get_marker() == "o" and line.get_label() == "NPS"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025Q1", "2025Q2", "2025Q3"]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == -15.0 and band[:, 1].max() == 40.0
    assert ax.get_ylabel() == "NPS"


def test_plot_trend_kwargs_reach_the_line():
    res = pd.DataFrame({"q": ["a", "b"], "nps": [1.0, 2.0], "low": [0.0, 1.0], "high": [2, 3]})
    ax = plots.plot_trend(res, "q", ax=_axes(), linestyle="--", marker="s", label="mine")
    line = ax.lines[0]
    assert (line.get_linestyle(), line.get_marker(), line.get_label()) == ("--", "s", "mine")


# ----------------------------------------------------------------------------- plot_mix
def test_plot_mix_stacks_three_shares_to_100_with_labels_and_legend_outside():
    res = pd.DataFrame(
        {
            "g": ["x", "y"],
            "pct_detractors": [20.0, 5.0],
            "pct_passives": [30.0, 45.0],
            "pct_promoters": [50.0, 50.0],
        }
    )
    ax = plots.plot_mix(res, "g", ax=_axes())
    bars = ax.patches
    assert [(b.get_x(), b.get_width()) for b in bars] == [
        (0, 20),
        (0, 5),
        (20, 30),
        (5, 45),
        (50, 50),
        (50, 50),
    ]
    assert [tuple(b.get_facecolor()) for b in bars[::2]] == [to_rgba(c) for c in style.MIX_COLORS]
    assert [t.get_text() for t in ax.texts] == ["20%", "30%", "45%", "50%", "50%"]  # not 5%
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    assert ax.get_xlim() == (0, 100)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Detractors",
        "Passives",
        "Promoters",
    ]
    assert _outside(ax)


def test_plot_mix_kwargs_reach_the_bars_and_palette_recolours():
    res = pd.DataFrame(
        {"g": ["x"], "pct_detractors": [np.nan], "pct_passives": [40.0], "pct_promoters": [60.0]}
    )
    ax = plots.plot_mix(res, "g", ax=_axes(), palette=("k", "r", "b"), height=0.3)
    assert [b.get_height() for b in ax.patches] == pytest.approx([0.3] * 3)
    assert [b.get_width() for b in ax.patches] == [0, 40, 60]  # a missing share: empty
    assert tuple(ax.patches[2].get_facecolor()) == to_rgba("b")


# ----------------------------------------------------------------------------- draw_intervals
def test_draw_intervals_skips_missing_swaps_reversed_and_draws_vertically():
    ax = plots.draw_intervals(
        _axes(), [0, 1, 2], [5.0, np.nan, 9.0], [1.0, 3.0, 12.0], vertical=True, alpha=0.5
    )
    (lines,) = ax.collections
    assert [s.tolist() for s in lines.get_segments()] == [[[0, 1], [0, 5]], [[2, 9], [2, 12]]]
    assert lines.get_alpha() == 0.5
    caps = ax.lines[0]
    assert caps.get_marker() == "_" and caps.get_ydata().tolist() == [1, 9, 5, 12]


# ----------------------------------------------------------------------------- the contract
CHARTS = {
    "plot_intervals": lambda ax: plots.plot_intervals(_result(), "g", ax=ax),
    "plot_trend": lambda ax: plots.plot_trend(_result(), "g", ax=ax),
    "plot_mix": lambda ax: plots.plot_mix(_result(), "g", ax=ax),
    "plot_importance": lambda ax: plot_importance(
        pd.DataFrame({"driver": ["a", "b"], "share": [0.7, 0.3]}), ax=ax
    ),
    "plot_importance_performance": lambda ax: plot_importance_performance(
        pd.DataFrame(
            {
                "driver": ["a", "b"],
                "importance": [0.7, 0.3],
                "performance": [5.0, 8.0],
                "quadrant": ["key weakness", "secondary strength"],
            }
        ),
        ax=ax,
    ),
}


@pytest.mark.parametrize("name", CHARTS)
def test_without_ax_a_chart_draws_on_the_current_axes_and_opens_no_figure(name):
    fig, (_, current) = plt.subplots(1, 2)
    plt.sca(current)
    try:
        n_figures = len(plt.get_fignums())
        ax = CHARTS[name](None)
        assert ax is current
        assert ax.has_data()
        assert len(plt.get_fignums()) == n_figures
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", CHARTS)
def test_a_chart_draws_on_the_axes_it_is_given_and_returns_it(name):
    fig, (given, other) = plt.subplots(1, 2)
    try:
        assert CHARTS[name](given) is given
        assert given.has_data() and not other.has_data()
    finally:
        plt.close(fig)


def test_ax_is_keyword_only_everywhere():
    import inspect

    from cxlab import journey, key_drivers

    funcs = [plots.plot_intervals, plots.plot_trend, plots.plot_mix]
    funcs += [key_drivers.plot_importance, key_drivers.plot_importance_performance]
    funcs += [journey.plot_journey, journey.plot_transitions]
    funcs += [journey.plot_removal_effects, journey.plot_dropoff]
    for f in funcs:
        params = inspect.signature(f).parameters
        assert params["ax"].kind is inspect.Parameter.KEYWORD_ONLY, f.__name__
        assert params["ax"].default is None, f.__name__
        assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()), f.__name__


def test_data_text_is_never_parsed_as_mathtext_even_with_mathtext_on():
    name = "Seg $\\frac{1}{$ x"  # invalid mathtext: parsing it would raise at draw time
    res = _result().replace({"g": {"big": name}})
    with mpl.rc_context({"text.parse_math": True}):
        fig, axes = plt.subplots(1, 3)
        plots.plot_intervals(res, "g", ax=axes[0])
        plots.plot_mix(res, "g", ax=axes[1])
        plots.plot_trend(res, "g", ax=axes[2])
        fig.canvas.draw()
    for ax in axes:
        texts = [t.get_text() for t in [*ax.get_yticklabels(), *ax.get_xticklabels()]]
        assert any(t.startswith(name) for t in texts)
    plt.close(fig)


# ----------------------------------------------------------------------------- the style
def test_use_sets_the_report_style_and_the_figure_size():
    with mpl.rc_context():
        style.use(figsize=(8, 3.6), rc={"axes.grid": True})
        assert mpl.rcParams["figure.figsize"] == [8.0, 3.6]
        assert mpl.rcParams["axes.grid"] is True
        for key, value in style.STYLE.items():
            if key != "figure.figsize":
                assert mpl.rcParams[key] == (list(value) if isinstance(value, tuple) else value), (
                    key
                )
    with mpl.rc_context():
        style.use()
        assert mpl.rcParams["figure.figsize"] == list(style.figsize(3.4))  # no size: the style's
        assert mpl.rcParams["figure.constrained_layout.use"] is True


def test_report_text_is_readable_on_a_phone_by_the_styles_numbers():
    # a figure of the style's width shrunk into the 421 px column of a 480 px page
    assert style.shown_px(style.SMALL) >= style.MIN_TEXT_PX
    assert style.shown_px(10, width=8) < style.MIN_TEXT_PX  # the old 8-inch figures were not
    assert style.shown_px(10, width=2) == pytest.approx(10 / 72 * style.DPI)  # never enlarged
    with style.context():
        for key in ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize"):
            assert style.shown_px(_pt(mpl.rcParams[key])) >= style.MIN_TEXT_PX, key


def _pt(size) -> float:
    from matplotlib.font_manager import FontProperties

    return FontProperties(size=size).get_size_in_points()


def test_smallest_text_finds_the_smallest_visible_text_of_a_figure():
    fig = Figure()
    ax, hidden = fig.subplots(1, 2)
    ax.set_title("title", fontsize=14)
    ax.text(0, 0, "note", fontsize=6)
    ax.text(0, 0, "gone", fontsize=3, visible=False)
    hidden.set_xlabel("on a hidden Axes", fontsize=2)
    hidden.set_visible(False)
    assert style.smallest_text(fig) == (6.0, "note")
    assert style.smallest_text(Figure()) == (float("inf"), "")


def test_use_prints_inline_figures_at_their_own_size_in_ipython():
    code = (
        "from IPython.testing.globalipapp import start_ipython\n"
        "shell = start_ipython()\n"
        "from matplotlib.figure import Figure\n"
        "from cxlab.plots import style\n"
        "style.use()\n"
        "png = shell.display_formatter.formatters['image/png']\n"
        "f = png.lookup_by_type(Figure)\n"
        "print(f.keywords['bbox_inches'], f.keywords['pil_kwargs'])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[-2] == "None {'compress_level': 3}"


def test_context_restores_the_rcparams():
    before = mpl.rcParams.copy()
    with style.context(figsize=(3, 2)):
        assert mpl.rcParams["figure.figsize"] == [3.0, 2.0]
        assert mpl.rcParams["text.parse_math"] is False
    assert mpl.rcParams["figure.figsize"] == before["figure.figsize"]
    assert mpl.rcParams["text.parse_math"] == before["text.parse_math"]


def test_public_names_stay_importable_and_style_needs_no_matplotlib():
    assert plots.STYLE is style.STYLE and plots.ACCENT == style.ACCENT
    assert plots.MIX_COLORS == style.MIX_COLORS
    from cxlab.plots import draw_intervals, literal_plot, literal_text  # noqa: F401

    code = (
        "import sys, cxlab.plots.style, cxlab.key_drivers\n"
        "from cxlab import plots\n"
        "assert plots.style.ACCENT and plots.STYLE\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "plots.plot_intervals\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_take_their_style_and_colours_from_the_style_module(path):
    code = "\n".join(
        "".join(c["source"])
        for c in json.loads(path.read_text())["cells"]
        if c["cell_type"] == "code"
    )
    assert "plots.style.use(" in code
    assert "rcParams" not in code
    assert not re.findall(r"['\"]#[0-9A-Fa-f]{3,8}['\"]", code)


@pytest.mark.parametrize(
    "module", ["plots/core.py", "plots/text.py", "journey/plots.py", "retention/plots.py"]
)
def test_chart_modules_name_no_colour_or_font_size_of_their_own(module):
    """Colours, colour maps and text sizes come from cxlab.plots.style, nowhere else."""
    code = (ROOT / "cxlab" / module).read_text()
    assert not re.findall(r"['\"]#[0-9A-Fa-f]{3,8}['\"]", code)  # hex colours
    assert not re.findall(r"(?:color|colors|edgecolors|facecolors)=['\"]0\.\d+['\"]", code)  # greys
    assert not re.findall(r"cmap['\"]?\s*[:=]\s*['\"]", code)  # colour map names
    assert not re.findall(r"fontsize=(?:\d|['\"])", code)  # sizes: style.SMALL
