"""Groups of n = 0, 1, 2 never break a chart, a summary or a report."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.collections import LineCollection, PathCollection

import cxlab
from cxlab import plots, report, stats

ROOT = Path(__file__).resolve().parents[1]
QUARTERLY = ROOT / "notebooks" / "quarterly_report.ipynb"


def _groups(spec: dict[str, list[int | None]]) -> pd.DataFrame:
    rows = [(g, s) for g, scores in spec.items() for s in scores]
    return pd.DataFrame(rows, columns=["g", "ltr"]).astype({"ltr": "Int64"})


def _points(ax) -> np.ndarray:
    """(x, y) of every marker drawn by scatter."""
    offsets = [np.asarray(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]
    offsets = [o for o in offsets if len(o)]
    return np.vstack(offsets) if offsets else np.empty((0, 2))


def _segments(ax) -> list[tuple[float, float, float]]:
    """(y, x_from, x_to) of the interval lines."""
    out = []
    for c in ax.collections:
        if not isinstance(c, LineCollection):
            continue
        for seg in c.get_segments():
            (x0, y0), (x1, _) = seg
            out.append((y0, x0, x1))
    return sorted(out)


def test_single_promoter_interval_is_drawn_where_it_is_with_the_estimate_marked():
    # NPS 100 with adjusted-Wald interval -48.5 to 98.5: errorbar would raise
    df = _groups({"one": [10], "two": [3, 9], "many": [10, 9, 3, 7] * 30})
    res = cxlab.nps(df, "ltr", by="g")
    fig, ax = plt.subplots()
    plots.plot_intervals(res, "g", reference=25.0, ax=ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    order = res.sort_values("nps")
    assert labels == [
        f"{g}  (n={n})" + stats.BASE_MARKS[f]
        for g, n, f in zip(order["g"], order["n"], order["flag"])
    ]
    assert labels == ["two  (n=2)**", "many  (n=120)", "one  (n=1)**"]
    row = order.reset_index(drop=True)
    segments = _segments(ax)
    assert len(segments) == 3
    for y, x0, x1 in segments:
        assert (x0, x1) == pytest.approx((row.loc[int(y), "low"], row.loc[int(y), "high"]))
    one = row.index[row["g"] == "one"][0]
    assert segments[one][1:] == pytest.approx((-48.4986, 98.4986), abs=1e-3)
    pts = _points(ax)
    assert len(pts) == 3 and [100.0, one] in pts.tolist()  # estimate outside its interval
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [stats.base_legend()["reportable"], stats.base_legend()["unreliable"]]
    plt.close(fig)


def test_indicative_and_unreliable_groups_get_distinct_markers():
    df = _groups({"r": [9, 3] * 60, "i": [9, 3] * 20, "u": [9, 3] * 5})
    res = cxlab.nps(df, "ltr", by="g")
    assert set(res["flag"]) == {"reportable", "indicative", "unreliable"}
    fig, ax = plt.subplots()
    plots.plot_intervals(res, "g", ax=ax)
    marks = {}
    for coll in ax.collections:
        if coll.get_label() in stats.base_legend().values():
            marks[coll.get_label()] = (coll.get_paths()[0], tuple(coll.get_facecolor()[0]))
    assert len(marks) == 3
    legend = stats.base_legend()
    rep, ind, unr = (marks[legend[f]] for f in ("reportable", "indicative", "unreliable"))
    assert rep[1] != ind[1]  # filled vs hollow
    assert len(ind[0].vertices) != len(unr[0].vertices)  # circle vs cross
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == [
        "i  (n=40)*",
        "r  (n=120)",
        "u  (n=10)**",
    ]
    plt.close(fig)


def test_empty_group_is_labelled_and_explained_not_drawn():
    df = _groups({"none": [None], "one": [10], "b": [9, 3, 10] * 20})
    res = report.versus_rest(cxlab.nps(df, "ltr", by="g"))
    assert res.set_index("g").loc["none", "n"] == 0
    fig, ax = plt.subplots()
    plots.plot_intervals(res, "g", ax=ax)
    fig.canvas.draw()
    assert any(t.get_text().startswith("none  (n=0)") for t in ax.get_yticklabels())
    assert len(_points(ax)) == 2 and len(_segments(ax)) == 2
    note = report.interval_note(res, "g")
    assert "No responses for none" in note and "one (n = 1; NPS +100.0" in unescape(
        note.replace("\\", "")
    )
    plt.close(fig)


names = st.sampled_from(["a", "b", "$x$", "$\\frac{1}{$", "<b>x</b>", "tp [x](y)", "n"])
scores = st.one_of(st.none(), st.integers(0, 10))
frames = st.lists(st.tuples(names, scores), max_size=12).map(
    lambda rows: pd.DataFrame(rows, columns=["g", "ltr"]).astype({"ltr": "Int64"})
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames)
def test_plots_and_summary_never_raise_on_tiny_groups(df):
    head = cxlab.nps(df, "ltr").iloc[0]
    res = report.versus_rest(cxlab.nps(df, "ltr", by="g"))
    fig, axes = plt.subplots(1, 3)
    try:
        plots.plot_intervals(res, "g", reference=head["nps"], ax=axes[0])
        plots.plot_mix(res, "g", ax=axes[1])
        plots.plot_trend(res, "g", ax=axes[2])
        fig.canvas.draw()
        finite = res["nps"].notna().to_numpy()
        assert len(_points(axes[0])) == finite.sum()
        assert len(axes[0].get_yticklabels()) == len(res)
        assert len(_segments(axes[0])) == finite.sum()
    finally:
        plt.close(fig)
    text = report.summarize(scope="All", headline=head, change=None, breakdowns={"G": res})
    assert text.startswith("- **All**: NPS ")
    for _, row in res[res["verdict"] != ""].iterrows():
        line = next(ln for ln in text.splitlines() if "clearly" in ln)
        if row["flag"] != "reportable":
            assert f"{row['flag']} base" in line
    report.interval_note(res, "g")


@pytest.fixture(scope="module")
def tiny_warehouse(tmp_path_factory) -> tuple[Path, str]:
    """300 synthetic responses, plus touch points of n = 1 and n = 0 and a channel of n = 2."""
    from cxlab import synth, warehouse

    base = tmp_path_factory.mktemp("tiny")
    synth.generate(base / "data", n_responses=300, seed=5)
    db = base / "tiny.duckdb"
    warehouse.build_from_dir(base / "data", db)
    with duckdb.connect(str(db)) as con:
        last = con.execute("SELECT max(quarter) FROM responses").fetchone()[0]
        template = "SELECT * REPLACE (? AS response_id, ? AS touchpoint, ? AS channel, ? AS ltr)"
        rows = [("t-one", "Kiosk", "web", 10), ("t-none", "Survey card", "web", None)]
        rows += [("t-two-1", "Purchase", "fax", 3), ("t-two-2", "Purchase", "fax", 9)]
        for rid, tp, ch, ltr in rows:
            con.execute(
                f"INSERT INTO responses {template} FROM responses WHERE quarter = ? "
                "ORDER BY response_id LIMIT 1",
                [rid, tp, ch, ltr, last],
            )
        sizes = con.execute(
            "SELECT min(n) FROM (SELECT count(ltr) AS n FROM responses WHERE quarter = ? "
            "GROUP BY touchpoint)",
            [last],
        ).fetchone()
    assert sizes[0] == 0
    return db, last


@pytest.mark.slow
def test_quarterly_report_renders_on_a_tiny_warehouse(tiny_warehouse, tmp_path):
    from cxlab import render

    db, last = tiny_warehouse
    html = render.render(QUARTERLY, {"warehouse": str(db)}, out_dir=tmp_path, name="tiny")
    text = unescape(re.sub(r"<[^>]+>", "", html.read_text(encoding="utf-8")))
    assert f"All units, {last}" in text
    assert "Kiosk  (n=1)" not in text  # chart labels are in the figures, not the text
    assert "Kiosk" in text and "Survey card" in text and "fax" in text
    assert "for Kiosk (n = 1; NPS +100.0, interval -48.5 to +98.5)" in text
    assert "No responses for Survey card" in text
    assert "with an unreliable base (n < 30), marked **" in text
    assert "Base sizes: * marks an indicative base" in text


@pytest.mark.slow
def test_retention_report_renders_on_a_tiny_warehouse_and_a_two_customer_unit(
    tiny_warehouse, tmp_path
):
    from cxlab import render

    db, last = tiny_warehouse
    shutil.copy(db, tmp_path / "two.duckdb")
    with duckdb.connect(str(tmp_path / "two.duckdb")) as con:
        # a unit of two customers, each with one survey: no model can be fitted
        for table in ("responses", "customers", "transactions"):
            con.execute(
                f"UPDATE {table} SET unit = 'Tiny' WHERE customer_id IN "
                "(SELECT customer_id FROM responses WHERE customer_id IS NOT NULL "
                "ORDER BY response_id LIMIT 2)"
            )
        # a unit with surveys but no customer at all (n = 0)
        con.execute(
            "UPDATE responses SET unit = 'Ghost', customer_id = NULL WHERE response_id IN "
            "(SELECT response_id FROM responses WHERE unit <> 'Tiny' ORDER BY 1 DESC LIMIT 2)"
        )
    nb = ROOT / "notebooks" / "retention_value.ipynb"
    html = render.render(nb, {"warehouse": str(db)}, out_dir=tmp_path, name="tiny")
    text = unescape(re.sub(r"<[^>]+>", "", html.read_text(encoding="utf-8")))
    assert f"Retention and customer value: all units, to {last}" in text
    assert "Still active 365 days after the survey" in text
    params = {"warehouse": str(tmp_path / "two.duckdb"), "units": "Tiny"}
    html = render.render(nb, params, out_dir=tmp_path, name="two")
    text = unescape(re.sub(r"<[^>]+>", "", html.read_text(encoding="utf-8")))
    assert "Retention and customer value: Tiny" in text
    assert "Too few customers with a survey" in text
    assert "too few to fit a repeat-purchase model" in text or "No customer bought" in text
    params = {"warehouse": str(tmp_path / "two.duckdb"), "units": "Ghost"}
    html = render.render(nb, params, out_dir=tmp_path, name="ghost")
    text = unescape(re.sub(r"<[^>]+>", "", html.read_text(encoding="utf-8")))
    assert "No customer of the units chosen is in the customers table" in text


def _every_notebook() -> list:
    from cxlab.pack import ANALYSES

    return [QUARTERLY.name, *(a.notebook for a in ANALYSES)]


# a few bootstrap replicates: the point is that the notebook runs, not the intervals
_FEW = {"drivers.ipynb": {"bootstrap": 20}}


@pytest.mark.slow
@pytest.mark.parametrize("notebook", _every_notebook())
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    n_responses=st.integers(40, 400),
    n_units=st.integers(1, 3),
    quarters=st.integers(2, 4),
    seed=st.integers(1, 50),
)
def test_every_notebook_of_the_pack_renders_or_says_why_on_a_tiny_random_warehouse(
    notebook, n_responses, n_units, quarters, seed, tmp_path_factory
):
    """Every notebook :func:`cxlab.pack.pack` renders (the quarterly report and each of
    ``ANALYSES``, retention_value included), on a tiny random synthetic company: a
    section that cannot be estimated at that size says why on the page
    (:class:`cxlab.errors.TooLittleData`), and no notebook stops without a report."""
    from cxlab import render, synth, warehouse

    base = tmp_path_factory.mktemp("random")
    synth.generate(
        base / "data", n_responses=n_responses, seed=seed, n_units=n_units, quarters=quarters
    )
    db = base / "w.duckdb"
    warehouse.build_from_dir(base / "data", db)
    params = {"warehouse": str(db), **_FEW.get(notebook, {})}
    html = render.render(ROOT / "notebooks" / notebook, params, out_dir=base, name="r")
    page = html.read_text(encoding="utf-8")
    assert "<main" in page and "Traceback" not in page


@pytest.mark.slow
@pytest.mark.parametrize(
    "notebook", ["drivers.ipynb", "journey_case_study.ipynb", "nps_outcomes.ipynb"]
)
def test_an_analysis_too_big_for_its_data_renders_a_page_that_says_why(notebook, tmp_path):
    """One unit, two quarters, 40 answers: too little for driver weights, touch point
    comparisons or lagged outcome links. Each report renders its title and why the
    rest is left out (escaped), the provenance, and nothing of the error's traceback;
    before TooLittleData these renders failed with a RenderError."""
    from cxlab import render, synth, warehouse

    synth.generate(tmp_path / "data", n_responses=40, seed=1, n_units=1, quarters=2)
    db = tmp_path / "w.duckdb"
    warehouse.build_from_dir(tmp_path / "data", db)
    params = {"warehouse": str(db), **_FEW.get(notebook, {})}
    html = render.render(ROOT / "notebooks" / notebook, params, out_dir=tmp_path, name="r")
    page = html.read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    assert "Not enough data for this analysis" in text
    assert "Traceback" not in page and "TooLittleData" not in page
    assert "Provenance" in text
    assert re.search(r"<h1[^>]*>", page)  # a heading, from the notebook or its title metadata


def test_a_report_stopped_by_too_little_data_keeps_what_it_showed(tmp_path):
    """:func:`cxlab.render.export.stop_early` on a notebook as papermill leaves it: the
    cells before the one that raised keep their outputs, the banner and the error go,
    later cells are dropped, and the message is escaped Markdown."""
    import nbformat

    from cxlab.render.export import stop_early

    v4 = nbformat.v4
    banner = v4.new_markdown_cell("An Exception was encountered")
    banner.metadata["tags"] = ["papermill-error-cell-tag"]
    shown = v4.new_code_cell("display(Markdown('# Drivers'))")
    shown.outputs = [v4.new_output("display_data", {"text/markdown": "# Drivers: Oslo"})]

    def failing_cell():
        cell = v4.new_code_cell("fit = kda.fit(...)")
        cell.outputs = [v4.new_output("error", ename="TooLittleData", evalue="x", traceback=[])]
        return cell

    failing = failing_cell()
    later = v4.new_markdown_cell("## Importance")
    nb = v4.new_notebook(cells=[banner, shown, failing, later])
    out = stop_early(nb, "unit <img src=x onerror=alert(1)>: 3 row(s)", tmp_path / "d.ipynb")
    assert [c.source for c in out.cells[:2]] == [shown.source, failing.source]
    assert out.cells[1].outputs == []
    assert len(out.cells) == 3 and "## Importance" not in out.cells[-1].source
    assert "Not enough data" in out.cells[-1].source and "<img" not in out.cells[-1].source
    assert "\n\nUnit &lt;img" in out.cells[-1].source  # a sentence: capital first letter
    bare = v4.new_notebook(cells=[failing_cell()], metadata={"title": "Key drivers"})
    assert stop_early(bare, "m", tmp_path / "d.ipynb").cells[0].source == "# Key drivers"


def test_the_random_warehouse_test_covers_every_notebook_of_the_pack():
    names = [getattr(p, "values", [p])[0] for p in _every_notebook()]
    assert "retention_value.ipynb" in names and len(set(names)) == len(names)
    assert all((ROOT / "notebooks" / n).is_file() for n in names)
