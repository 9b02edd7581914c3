"""Where one quarterly report's cell time goes, in CPU seconds (issue #8.6).

    .venv/bin/python benchmarks/report_profile.py WAREHOUSE [UNIT] [--runs 3]

Runs the code cells of ``notebooks/quarterly_report.ipynb`` in this process as
a warm kernel would (one untimed run first; ``gc.freeze()`` after it, as the
pool does), with the figures drawn to PNG as IPython's inline backend does
after ``plots.style.use()`` (``plots.style.PRINT_KWARGS``: no tight box) and
tables and Markdown turned into their HTML.
Each named step is timed in process CPU seconds (DuckDB's threads included),
outermost call only, so a loaded machine inflates it far less than wall time.
Steps overlap (``histogram`` contains the Ibis execution); "other" is the
rest: pandas post-processing in the metrics, tables, text.
"""

from __future__ import annotations

import argparse
import collections
import functools
import gc
import io
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("agg")
import ibis.backends.duckdb as bduck
import ibis.backends.sql as bsql
import ibis.formats.pandas as fpd
import matplotlib.backend_bases as mbb
import matplotlib.figure as mfig
import matplotlib.pyplot as plt
import nbformat

import cxlab
import cxlab.metrics as metrics
import cxlab.plots as plots
import cxlab.report as report
import cxlab.tables as tables

NB = Path(__file__).resolve().parents[1] / "notebooks" / "quarterly_report.ipynb"
spent: collections.Counter[str] = collections.Counter()
inside: collections.Counter[str] = collections.Counter()


def timed(owner: Any, attr: str, name: str) -> None:
    f = getattr(owner, attr)

    @functools.wraps(f)
    def g(*a: Any, **k: Any) -> Any:
        if inside[name]:
            return f(*a, **k)
        inside[name] += 1
        t0 = time.process_time()
        try:
            return f(*a, **k)
        finally:
            spent[name] += time.process_time() - t0
            inside[name] -= 1

    setattr(owner, attr, g)


def show(*_: Any, **__: Any) -> None:
    """What the inline backend does with each figure at the end of a cell."""
    for num in plt.get_fignums():
        fig = plt.figure(num)
        fig.canvas.print_figure(io.BytesIO(), format="png", **plots.style.PRINT_KWARGS)
    plt.close("all")


def display(*objs: Any, **_: Any) -> None:
    for o in objs:
        for m in ("_repr_markdown_", "_repr_html_"):
            if hasattr(o, m):
                getattr(o, m)()
                break


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse")
    ap.add_argument("unit", nargs="?", default="ALL")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    nb = nbformat.read(NB, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    cells = [c.replace("Markdown, display", "Markdown") for c in cells]
    params = f"unit = {args.unit!r}\nwarehouse = {args.warehouse!r}\n"
    plt.show = show

    def run_once() -> None:
        ns: dict[str, Any] = {"display": display}
        exec(cells[0] + "\n" + params, ns)
        for src in cells[1:]:
            exec(compile(src, "cell", "exec"), ns)
        ns["con"].disconnect()

    run_once()
    gc.collect()
    gc.freeze()
    timed(bsql.SQLBackend, "compile", "Ibis compile (to SQL)")
    timed(bduck.Backend, "execute", "Ibis execute (compile + DuckDB + to pandas)")
    timed(fpd.PandasData, "convert_table", "Arrow -> pandas")
    timed(metrics, "histogram", "histogram.histogram (the GROUP BY)")
    timed(report, "snapshot", "report.snapshot (this quarter, profile join)")
    timed(report.compare, "versus_rest", "report.versus_rest")  # breakdown calls it there
    timed(tables, "format_table", "tables.format_table")
    timed(mbb.FigureCanvasBase, "print_figure", "matplotlib PNG (layout + draw + encode)")
    timed(mfig.Figure, "tight_layout", "matplotlib tight_layout")
    timed(plt, "subplots", "matplotlib subplots")
    for name in ("plot_intervals", "plot_trend", "plot_mix"):
        timed(plots, name, "cxlab.plots (build the Axes)")
    for _ in range(args.runs):
        spent.clear()
        t0 = time.process_time()
        run_once()
        total = time.process_time() - t0
        print(f"\ncells: {total:.3f} CPU s")
        for name, secs in spent.most_common():
            print(f"  {secs:6.3f}  {secs / total:4.0%}  {name}")
    print(f"\n(cxlab {cxlab.__version__})")


if __name__ == "__main__":
    main()
