"""cxlab.voc theme impact: counts from the engine, checked against nps_diff and brute force."""

from __future__ import annotations

from pathlib import Path

import duckdb
import ibis
import matplotlib
import numpy as np
import pandas as pd
import pytest

from cxlab import stats, voc
from cxlab.errors import CxlabError

matplotlib.use("Agg")

HERE = Path(__file__).parent / "data" / "codeframes"


def survey(seed: int, n: int = 1200) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Responses with two planted themes: 'late' lowers LTR, 'staff' raises it."""
    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.2
    staff = rng.random(n) < 0.1
    ltr = np.clip(np.round(rng.normal(7.5, 2, n) - 3 * late + 1.5 * staff), 0, 10).astype(int)
    df = pd.DataFrame(
        {
            "response_id": np.arange(n),
            "ltr": ltr,
            "touchpoint": rng.choice(["store", "web", "phone"], n),
            "survey_date": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 360, n), unit="D"),
            "weight": rng.uniform(0.5, 2.0, n),
        }
    )
    ids = df["response_id"]
    coded = pd.concat(
        [
            pd.DataFrame({"response_id": ids[late], "theme": "late"}),
            pd.DataFrame({"response_id": ids[staff], "theme": "staff"}),
            pd.DataFrame({"response_id": ids[:3], "theme": "rare"}),
        ]
    )
    return df, coded


def cats(x: pd.Series) -> tuple[int, int, int]:
    return int((x <= 6).sum()), int(((x > 6) & (x <= 8)).sum()), int((x > 8).sum())


def test_diff_equals_nps_diff_on_hand_counts() -> None:
    df, coded = survey(1)
    res = voc.theme_impact(df, coded).set_index("theme")
    for theme in ("late", "staff", "rare"):
        ment = df["response_id"].isin(coded.loc[coded["theme"] == theme, "response_id"])
        a = stats.nps_counts(*cats(df.loc[ment, "ltr"]))
        b = stats.nps_counts(*cats(df.loc[~ment, "ltr"]))
        ref = stats.nps_diff(a, b)
        row = res.loc[theme]
        assert row["n"] == len(df) and row["n_mentioners"] == ment.sum()
        assert row["nps_mentioners"] == pytest.approx(a["nps"])
        assert row["nps_others"] == pytest.approx(b["nps"])
        for got, want in (("diff", "diff"), ("diff_low", "low"), ("diff_high", "high"), ("p", "p")):
            assert row[got] == pytest.approx(ref[want], rel=1e-12, abs=1e-12), got
        est, lo, hi = stats.proportion_ci(ment.sum(), len(df))
        assert (row["share"], row["share_low"], row["share_high"]) == pytest.approx(
            (est / 100, lo / 100, hi / 100)
        )
        d, p, r = cats(df["ltr"])
        md, mp, mr = cats(df.loc[ment, "ltr"])
        assert row["share_detractors"] == pytest.approx(md / d)
        assert row["share_promoters"] == pytest.approx(mr / r)
    assert res.loc["late", "impact"] < 0 < res.loc["staff", "impact"]
    assert res.loc["rare", "flag"] == "unreliable" and res.loc["late", "flag"] == "reportable"


def test_impact_equals_brute_force_counterfactual() -> None:
    df = pd.DataFrame({"response_id": range(10), "ltr": [0, 2, 5, 7, 9, 10, 10, 8, 9, 6]})
    coded = pd.DataFrame({"response_id": [0, 1, 4, 9], "theme": "x"})
    row = voc.theme_impact(df, coded).iloc[0]
    ment = df["response_id"].isin(coded["response_id"])
    x = np.select([df["ltr"] <= 6, df["ltr"] >= 9], [-1.0, 1.0], 0.0)
    # mentioners take the others' category mix: each counts as the others' mean score
    counterfactual = np.where(ment, x[~ment].mean(), x)
    brute = 100 * (x.mean() - counterfactual.mean())
    assert row["impact"] == pytest.approx(brute)
    assert row["impact"] == pytest.approx(row["share"] * row["diff"])


def test_impact_interval_matches_seeded_multinomial_bootstrap() -> None:
    df, coded = survey(2)
    row = voc.theme_impact(df, coded).set_index("theme").loc["late"]
    ment = df["response_id"].isin(coded.loc[coded["theme"] == "late", "response_id"])
    cells = np.array([*cats(df.loc[ment, "ltr"]), *cats(df.loc[~ment, "ltr"])], dtype=float)
    rng = np.random.default_rng(1)
    draws = rng.multinomial(len(df), cells / cells.sum(), size=4000)
    imp = voc.impact_interval(draws[:, :3], draws[:, 3:], np.full(len(draws), len(df)))[0]
    assert row["se"] == pytest.approx(imp.std(ddof=1), rel=0.08)
    lo, hi = np.percentile(imp, [2.5, 97.5])
    assert row["low"] == pytest.approx(lo, abs=0.4) and row["high"] == pytest.approx(hi, abs=0.4)


def test_weights_of_one_equal_unweighted_and_kish_n_is_used() -> None:
    df, coded = survey(3)
    plain = voc.theme_impact(df, coded)
    ones = voc.theme_impact(df.assign(w=1.0), coded, weight="w")
    num = plain.select_dtypes("number").columns
    pd.testing.assert_frame_equal(plain[num], ones[num], check_dtype=False)
    weighted = voc.theme_impact(df, coded, weight="weight").set_index("theme")
    ment = df["response_id"].isin(coded.loc[coded["theme"] == "late", "response_id"])
    w = df["weight"]
    assert weighted.loc["late", "share"] == pytest.approx(w[ment].sum() / w.sum())
    assert weighted.loc["late", "n_eff_mentioners"] == pytest.approx(
        w[ment].sum() ** 2 / (w[ment] ** 2).sum()
    )
    ref = pd.DataFrame(
        stats.nps_counts(
            *[[v] for v in _wcats(df[ment])],
            n_eff=[w[ment].sum() ** 2 / (w[ment] ** 2).sum()],
            n_rows=[ment.sum()],
        )
    )
    assert weighted.loc["late", "nps_mentioners"] == pytest.approx(ref["nps"].iloc[0])


def _wcats(frame: pd.DataFrame) -> tuple[float, float, float]:
    x, w = frame["ltr"], frame["weight"]
    return w[x <= 6].sum(), w[(x > 6) & (x <= 8)].sum(), w[x > 8].sum()


def test_breakdown_rows_equal_impact_on_each_group_and_holm_over_rows() -> None:
    df, coded = survey(4)
    br = voc.theme_breakdown(df, coded, by="touchpoint")
    assert br["touchpoint"].tolist()[:3] == ["phone"] * 3
    for tp in ("phone", "store", "web"):
        sub = voc.theme_impact(df[df["touchpoint"] == tp], coded).set_index("theme")
        part = br[br["touchpoint"] == tp].set_index("theme")
        common = part.index.intersection(sub.index)
        assert (part.drop(index=common)["n_mentioners"] == 0).all()
        assert {"late", "staff"} <= set(common)
        for col in ("n", "n_mentioners", "share", "diff", "p", "impact", "low", "high"):
            np.testing.assert_allclose(part.loc[common, col], sub.loc[common, col], err_msg=col)
    np.testing.assert_allclose(br["p_adj"], stats.adjust_pvalues(br["p"]))


def test_trend_derives_quarter_from_survey_date() -> None:
    df, coded = survey(5)
    tr = voc.theme_trend(df, coded)
    assert sorted(tr["quarter"].unique()) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    q = df["survey_date"].dt.to_period("Q").astype(str).str.replace("Q", "Q")
    assert tr.groupby("quarter")["n"].first().to_dict() == q.value_counts().to_dict()


def test_engine_table_equals_pandas_and_codeframe_keeps_unmentioned(tmp_path: Path) -> None:
    df, coded = survey(6, n=300)
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as raw:
        raw.execute("CREATE TABLE responses AS SELECT * FROM df")
        raw.execute("CREATE TABLE coded AS SELECT * FROM coded")
    con = ibis.duckdb.connect(path)
    got = voc.theme_impact(con.table("responses"), con.table("coded"))
    pd.testing.assert_frame_equal(got, voc.theme_impact(df, coded))
    con.disconnect()
    cf = voc.codeframe(HERE / "small.yaml")
    small = pd.DataFrame({"response_id": [0, 1], "theme": ["price", "price"]})
    res = voc.theme_impact(df, small, codeframe=cf).set_index("theme")
    assert set(res.index) == set(cf.ids)
    assert res.loc["cafe", "flag"] == "empty" and res.loc["cafe", "n_mentioners"] == 0
    assert res.loc["dollar", "label"] == "$x$ dollars"


def test_bad_input_is_one_clear_error() -> None:
    df, coded = survey(7, n=50)
    with pytest.raises(CxlabError, match="whole number from 0 to 10"):
        voc.theme_impact(df.assign(ltr=df["ltr"] + 20), coded)
    with pytest.raises(CxlabError, match="survey weights must be present"):
        voc.theme_impact(df.assign(weight=-1.0), coded, weight="weight")
    with pytest.raises(CxlabError, match="'theme' not found in coded"):
        voc.theme_impact(df, coded.rename(columns={"theme": "t"}))
    with pytest.raises(CxlabError, match="level"):
        voc.theme_impact(df, coded, level=95)


def test_plot_theme_impact_draws_each_theme_with_literal_labels() -> None:
    from matplotlib.figure import Figure

    df, coded = survey(8)
    coded = coded.replace({"theme": {"staff": "$x$ staff"}})
    res = voc.theme_impact(df, coded)
    res["label"] = res["theme"]
    ax = voc.plot_theme_impact(res, ax=Figure().subplots())
    from matplotlib.collections import PathCollection

    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    points = np.vstack([c.get_offsets() for c in dots])
    assert len(points) == 3  # one dot per theme
    np.testing.assert_allclose(sorted(points[:, 0]), sorted(res["impact"]))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 3 and labels[0].startswith("rare")  # smallest |impact| at the bottom
    assert any(lab.startswith("$x$ staff") for lab in labels)
    assert all(not t.get_parse_math() for t in ax.get_yticklabels())
    top1 = voc.plot_theme_impact(res, top=1, ax=Figure().subplots())
    assert len(top1.get_yticklabels()) == 1


def test_narrative_names_top_themes_escaped_with_caveat() -> None:
    df, coded = survey(9)
    res = voc.theme_impact(df, coded)
    res.loc[res["theme"] == "late", "label"] = "Late <script>alert(1)</script>"
    text = voc.impact_lead(res, top=2)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert text.startswith("The 2 themes that move NPS most are **Late")
    row = res.iloc[0]
    assert f"{row['low']:+.1f} to {row['high']:+.1f}" in text
    assert "not the same as being moved by it" in voc.impact_caveat()
    nothing = res.assign(n_mentioners=0)
    assert voc.impact_lead(nothing).startswith("No response mentions")


def test_notebook_runs_on_the_demo_warehouse(demo_warehouse, monkeypatch) -> None:
    """The notebook's cells, run here on the demo warehouse with the fixture codeframe."""
    import matplotlib.pyplot as plt
    import nbformat
    from IPython import display as ipd

    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "notebooks" / "voice_of_customer.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    shown_md: list[str] = []
    figures: list[object] = []
    monkeypatch.setattr(
        ipd, "display", lambda obj, *a, **k: shown_md.append(getattr(obj, "data", obj))
    )
    monkeypatch.setattr(plt, "show", lambda *a, **k: figures.extend(plt.get_fignums()))
    db, _ = demo_warehouse
    for codeframe, ok in ((str(HERE / "small.yaml"), True), ("no_such_codeframe", False)):
        shown_md.clear()
        figures.clear()
        ns: dict[str, object] = {}
        exec(cells[0] + f"\nwarehouse = {str(db)!r}\ncodeframe = {codeframe!r}", ns)
        for src in cells[1:]:
            exec(src, ns)
        text = "\n".join(str(x) for x in shown_md)
        assert text.startswith("# Voice of the customer, ")
        assert ("mentioning" in text.lower()) is ok
        assert len(set(figures)) == (2 if ok else 0)  # impact chart, top themes by quarter
        if not ok:
            assert "The codeframe could not be read" in text
        plt.close("all")


def test_weighted_theme_impact_is_the_same_bytes_whatever_the_engine_threads(tmp_path) -> None:
    """Theme impact counts through cxlab.histogram (fixed-point weight sums), the
    mentioners on the totals' scale: 200k random weights give the same CSV with 1
    thread as with 4, and the others' sums (totals minus mentioners) stay exact."""
    import duckdb
    import ibis

    rng = np.random.default_rng(2)
    n = 200_000
    frame = pd.DataFrame(
        {
            "response_id": np.arange(n),
            "ltr": rng.integers(0, 11, n),
            "g": rng.choice(["a", "b"], n),
            "weight": rng.lognormal(0.0, 1.0, n),
        }
    )
    coded = pd.DataFrame({"response_id": np.arange(0, n, 3), "theme": "late"})
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("frame", frame)
        con.register("coded_frame", coded)
        con.execute("CREATE TABLE r AS SELECT * FROM frame")
        con.execute("CREATE TABLE c AS SELECT * FROM coded_frame")
    outputs = set()
    for threads in (1, 4, 4):
        con = ibis.duckdb.connect(str(db), read_only=True)
        con.raw_sql(f"SET threads = {threads}")
        res = voc.theme_breakdown(con.table("r"), con.table("c"), by="g", weight="weight")
        outputs.add(res.to_csv(float_format="%.17g"))
        con.disconnect()
    assert len(outputs) == 1
    # extreme weights: both histograms on one scale, so shares and NPS are unchanged
    huge = voc.theme_impact(frame.assign(weight=frame["weight"] * 1e155), coded, weight="weight")
    plain = voc.theme_impact(frame, coded, weight="weight")
    for col in ("share", "nps_mentioners", "nps_others", "impact", "n_eff"):
        assert np.allclose(huge[col], plain[col], rtol=1e-9), col


def test_theme_trend_chart_and_discovery_table_show_data_as_text() -> None:
    from matplotlib.figure import Figure

    df, coded = survey(4)
    trend = voc.theme_trend(df, coded)
    trend.loc[trend["theme"] == "late", "label"] = "$x$ <b>late</b>"
    ax = voc.plot_theme_trend(trend, "late", ax=Figure().subplots())
    rows = trend[(trend["theme"] == "late") & (trend["n"] > 0)].sort_values("quarter")
    assert np.allclose(ax.lines[0].get_ydata(), 100 * rows["share"].to_numpy())
    assert ax.get_title() == "$x$ <b>late</b>" and not ax.title.get_parse_math()
    texts = ["parcel arrived late <script>alert(1)</script>", "courier late again, parcel"]
    texts += ["staff friendly and helpful", "helpful staff, friendly store"]
    fit = voc.discover(pd.DataFrame({"response_id": range(20), "verbatim": texts * 5}), n_themes=2)
    html = voc.discovery_table(fit)._repr_html_()
    assert "<script>" not in html and "parcel" in html


def test_nobody_mentions_any_theme() -> None:
    """An empty coding (a small survey whose verbatims match no theme) gives every
    theme zero mentioners, not an error from the empty mentions histogram (seen on a
    14-response Qualtrics warehouse once impact counted through cxlab.histogram)."""
    df, _ = survey(3, n=50)
    none = pd.DataFrame({"response_id": pd.Series([], dtype="int64"), "theme": []})
    for weight in (None, "weight"):
        res = voc.theme_impact(df, none, weight=weight, codeframe=HERE / "small.yaml")
        assert len(res) and (res["n_mentioners"] == 0).all()
        by = voc.theme_breakdown(df, none, by="touchpoint", weight=weight)
        assert (by["n_mentioners"] == 0).all() if len(by) else True
