"""Survey weights honoured by the journey and outcomes functions (issue 8, item 3).

Every weighted estimate is checked against a value computed by hand in pandas or SQL,
and ``weight=None`` against the unweighted figures.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

import cxlab
from cxlab import journey, outcomes, render, warehouse
from cxlab.report import fmt_nps

ROOT = Path(__file__).resolve().parents[1]
JOURNEY = ROOT / "notebooks" / "journey_case_study.ipynb"


def _wnps(ltr, w) -> float:
    ltr, w = np.asarray(ltr, float), np.asarray(w, float)
    return 100 * (w[ltr >= 9].sum() - w[ltr <= 6].sum()) / w.sum()


def _sql_nps(db: Path, where: str = "TRUE", weighted: bool = True) -> tuple[float, int]:
    """NPS counted by hand in SQL on the warehouse (through cxlab's own connection
    settings, so it can share the file with open connections); (nps, responses)."""
    w = "weight" if weighted else "1"
    sql = (
        f"SELECT sum({w}) FILTER (WHERE ltr >= 9), sum({w}) FILTER (WHERE ltr <= 6), "
        f"sum({w}) FILTER (WHERE ltr IS NOT NULL), count(ltr) FROM responses WHERE {where}"
    )
    pro, det, tot, n = warehouse.connect(db).raw_sql(sql).fetchone()
    return 100 * (pro - det) / tot, n


# ----------------------------------------------------------------------------- build_panel
def _panel_data(seed: int = 3):
    rng = np.random.default_rng(seed)
    rows = []
    for unit in ("a", "b"):
        for q in ("2025Q1", "2025Q2"):
            for _ in range(60):
                rows.append((unit, q, rng.integers(0, 11), rng.integers(1, 6), rng.integers(1, 8)))
    r = pd.DataFrame(rows, columns=["unit", "quarter", "ltr", "csat", "ces"])
    r["weight"] = rng.uniform(0.2, 3.0, len(r))
    r.loc[::7, "csat"] = None  # a missing answer drops out of that metric only
    o = pd.DataFrame(
        {
            "unit": ["a", "a", "b", "b"],
            "quarter": ["2025Q1", "2025Q2"] * 2,
            "new_customers": [10, 12, 5, 6],
            "revenue": [100.0, 110.0, 50.0, 55.0],
            "profit": [10.0, 12.0, 5.0, 4.0],
            "market_share": [0.2, 0.21, 0.1, 0.1],
        }
    )
    return r, o


def test_build_panel_weighted_cells_match_pandas():
    r, o = _panel_data()
    p = outcomes.build_panel(r, o, min_responses=1, weight="weight").data_.set_index(
        ["unit", "quarter"]
    )
    for (u, q), g in r.groupby(["unit", "quarter"]):
        row, w = p.loc[(u, q)], g["weight"].to_numpy()
        assert row["n"] == len(g)
        assert row["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
        assert row["nps"] == pytest.approx(_wnps(g["ltr"], w))
        pro = w[g["ltr"] >= 9].sum() / w.sum()
        det = w[g["ltr"] <= 6].sum() / w.sum()
        assert row["nps_var"] == pytest.approx(1e4 * (pro + det - (pro - det) ** 2) / row["n_eff"])
        c = g.dropna(subset=["csat"])
        wc = c["weight"].to_numpy()
        assert row["csat_n"] == len(c)
        assert row["csat_mean"] == pytest.approx(np.average(c["csat"], weights=wc))
        assert row["csat_top2"] == pytest.approx(100 * wc[c["csat"] >= 4].sum() / wc.sum())
        keff = wc.sum() ** 2 / (wc**2).sum()
        top = wc[c["csat"] >= 4].sum() / wc.sum()
        assert row["csat_top2_var"] == pytest.approx(1e4 * top * (1 - top) / keff)
        assert row["ces_easy"] == pytest.approx(
            100 * g.loc[g["ces"] >= 5, "weight"].sum() / g["weight"].sum()
        )


def test_build_panel_unweighted_is_unchanged():
    r, o = _panel_data()
    p = outcomes.build_panel(r, o, min_responses=1).data_.set_index(["unit", "quarter"])
    same = outcomes.build_panel(r.drop(columns="weight"), o, min_responses=1).data_
    pd.testing.assert_frame_equal(p.reset_index()[same.columns], same)
    weighted = outcomes.build_panel(r, o, min_responses=1, weight="weight").data_
    assert not np.allclose(weighted["nps"], p["nps"].to_numpy())  # the weights matter here
    for (u, q), g in r.groupby(["unit", "quarter"]):
        row = p.loc[(u, q)]
        assert row["n_eff"] == row["n"] == len(g)
        assert row["nps"] == pytest.approx(_wnps(g["ltr"], np.ones(len(g))))
        assert row["promoters"] == (g["ltr"] >= 9).sum()
        assert p["promoters"].dtype == np.int64
        c = g["csat"].dropna()
        assert row["csat_mean_var"] == pytest.approx(c.var(ddof=1) / len(c))


def test_build_panel_refuses_bad_weights():
    r, o = _panel_data()
    r.loc[3, "weight"] = -1.0
    with pytest.raises(Exception, match="survey weights"):
        outcomes.build_panel(r, o, min_responses=1, weight="weight")


# ----------------------------------------------------------------------------- channels
def _channels():
    df = pd.DataFrame(
        {
            "touchpoint": ["T"] * 100 + ["U"] * 60,
            "channel": (["web"] * 50 + ["phone"] * 50) + (["web"] * 30 + ["phone"] * 30),
            "ltr": ([10] * 40 + [3] * 10 + [10] * 20 + [3] * 30)
            + ([9] * 20 + [5] * 10 + [9] * 10 + [2] * 20),
        }
    )
    rng = np.random.default_rng(5)
    df["weight"] = np.where(df["ltr"] >= 9, 2.0, 0.5) * rng.uniform(0.8, 1.2, len(df))
    return df


def test_channel_consistency_weighted():
    df = _channels()
    plain = journey.channel_consistency(df)
    assert plain.set_index("touchpoint").loc["T", "spread"] == pytest.approx(80.0)  # docstring
    res = journey.channel_consistency(df, weight="weight").set_index("touchpoint")
    t = df[df.touchpoint == "T"]
    by = {ch: _wnps(g["ltr"], g["weight"]) for ch, g in t.groupby("channel")}
    assert res.loc["T", "nps"] == pytest.approx(_wnps(t["ltr"], t["weight"]))
    assert res.loc["T", "spread"] == pytest.approx(max(by.values()) - min(by.values()))
    assert res.loc["T", "n"] == 100  # responses, not weights
    # chi-square on effective counts: each channel's weighted mix scaled to its Kish n
    tab = []
    for _, g in t.groupby("channel"):
        w = g["weight"].to_numpy()
        mix = [w[g["ltr"] <= 6].sum(), w[(g["ltr"] > 6) & (g["ltr"] <= 8)].sum()]
        mix.append(w[g["ltr"] >= 9].sum())
        mix = np.array(mix)
        tab.append(mix / w.sum() * (w.sum() ** 2 / (w**2).sum()))
    tab = np.array(tab)
    tab = tab[:, tab.sum(axis=0) > 0]
    assert res.loc["T", "chi2"] == pytest.approx(chi2_contingency(tab)[0])
    # a constant weight changes nothing
    const = journey.channel_consistency(df.assign(weight=2.0), weight="weight")
    pd.testing.assert_series_equal(const["p"], plain["p"], check_exact=False)


def test_channel_gaps_weighted():
    df = _channels()
    t = df[df.touchpoint == "T"]
    res = journey.channel_gaps(t, weight="weight").set_index("channel")
    web, phone = (
        _wnps(t.loc[t.channel == c, "ltr"], t.loc[t.channel == c, "weight"])
        for c in ("web", "phone")
    )
    assert res.loc["phone", "gap"] == pytest.approx(phone - web)
    assert res.loc["phone", "n"] == 50
    plain = journey.channel_gaps(df).set_index("channel")
    assert journey.channel_gaps(t)["gap"].tolist() == [-80.0, 80.0]  # the docstring's figures
    const = journey.channel_gaps(df.assign(weight=3.0), weight="weight").set_index("channel")
    for c in ("gap", "gap_low", "gap_high", "p"):
        assert const[c].to_numpy() == pytest.approx(plain[c].to_numpy())
    both = journey.channel_gaps(df, weight="weight").set_index("channel")
    assert both.loc["phone", "gap"] != pytest.approx(plain.loc["phone", "gap"])


def test_channel_switching_weights_the_nps_not_the_journeys():
    ev = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "b"],
            "timestamp": pd.to_datetime(
                ["2025-01-01", "2025-01-02", "2025-01-01", "2025-01-02", "2025-01-03"]
            ),
            "touchpoint": ["Ad", "Store visit", "Ad", "Store visit", "Purchase"],
            "stage": ["attraction", "interaction", "attraction", "interaction", "interaction"],
            "channel": ["web", "store", "web", "web", "web"],
        }
    )
    resp = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "survey_date": pd.to_datetime(["2025-01-10"] * 4).date,
            "ltr": [10, 2, 9, 0],
            "weight": [3.0, 1.0, 1.0, 2.0],
        }
    )
    plain = journey.channel_switching(ev, resp).set_index("switched")
    res = journey.channel_switching(ev, resp, weight="weight").set_index("switched")
    assert plain.loc[True, "nps"] == pytest.approx(0.0)
    assert res.loc[True, "nps"] == pytest.approx(_wnps([10, 2], [3, 1]))  # +50
    assert res.loc[False, "nps"] == pytest.approx(_wnps([9, 0], [1, 2]))
    assert res["nps_n"].tolist() == [2, 2]  # surveys, not weights
    assert res["journeys"].tolist() == plain["journeys"].tolist() == [1, 1]
    assert res["converted"].tolist() == plain["converted"].tolist()


# ----------------------------------------------------------------------------- warehouse
def test_inventory_and_case_study_weighted(demo_warehouse):
    db, _ = demo_warehouse
    con = warehouse.connect(db)
    inv = journey.inventory(con, weight="weight").set_index("touchpoint")
    plain = journey.inventory(con).set_index("touchpoint")
    tp = plain.index[plain["n"] > 0][0]
    where = f"touchpoint = '{tp}'"
    assert inv.loc[tp, "nps"] == pytest.approx(_sql_nps(db, where)[0])
    assert plain.loc[tp, "nps"] == pytest.approx(_sql_nps(db, where, weighted=False)[0])
    assert inv.loc[tp, "n"] == plain.loc[tp, "n"] == _sql_nps(db, where)[1]
    assert inv.loc[tp, "n_eff"] < inv.loc[tp, "n"] and plain.loc[tp, "n_eff"] == plain.loc[tp, "n"]
    assert (inv["interactions"] == plain["interactions"]).all()  # events stay unweighted
    pd.testing.assert_series_equal(inv["journeys"], plain["journeys"])

    weighted = journey.case_study("demo_retailer_journey", con, weight="weight")
    case = weighted.touchpoints_.set_index("touchpoint")
    base = journey.case_study("demo_retailer_journey", con).touchpoints_.set_index("touchpoint")
    where = "touchpoint = 'Store visit'"
    assert case.loc["Store visit", "score"] == pytest.approx(_sql_nps(db, where)[0])
    assert base.loc["Store visit", "score"] == pytest.approx(_sql_nps(db, where, weighted=False)[0])
    assert weighted.aggregate_["score"] == pytest.approx(_sql_nps(db)[0])
    pd.testing.assert_series_equal(case["kpi_value"], base["kpi_value"])  # journeys: unweighted


# ----------------------------------------------------------------------------- report
@pytest.mark.slow
def test_journey_report_states_its_weights(demo_warehouse, tmp_path):
    db, _ = demo_warehouse
    params = {"warehouse": str(db), "case": "demo_retailer_journey"}
    texts = {}
    for name, extra in (("default", {}), ("none", {"weight": "none"})):
        html = render.render(JOURNEY, {**params, **extra}, out_dir=tmp_path, name=name)
        texts[name] = re.sub(r"\s+", " ", unescape(Path(html).read_text(encoding="utf-8")))
    weighted, plain = texts["default"], texts["none"]
    assert "Estimates are weighted by the responses' survey weights (column weight)" in weighted
    assert "never weighted" in weighted and "Effective n" in weighted
    assert "Estimates are unweighted: every response counts once." in plain
    assert "Estimates are weighted" not in plain and "Effective n" not in plain
    nps_w, _ = _sql_nps(db, "touchpoint = 'Store visit'")
    nps_u, _ = _sql_nps(db, "touchpoint = 'Store visit'", weighted=False)
    assert fmt_nps(nps_w) != fmt_nps(nps_u)
    assert f"{nps_w:.3g}" in weighted or f"{nps_w:.2f}" in weighted
    assert f"{nps_u:.3g}" in plain or f"{nps_u:.2f}" in plain


def test_weighted_counts_are_the_same_bytes_whatever_the_engine_threads(tmp_path):
    """Weights are summed as fixed-point integers in the engine, so thread order cannot
    change a digit: 200k random weights give the same CSV with 1 thread as with 4
    (float sums used to differ in the last digits between runs)."""
    rng = np.random.default_rng(1)
    n = 200_000
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        frame = pd.DataFrame(
            {
                "ltr": rng.integers(0, 11, n),
                "csat": rng.integers(1, 6, n),
                "g": rng.choice(["a", "b", "c"], n),
                "weight": rng.lognormal(0.0, 1.0, n),
            }
        )
        con.register("frame", frame)
        con.execute("CREATE TABLE r AS SELECT * FROM frame")
    outputs = set()
    for threads in (1, 4, 4, 4):
        con = ibis.duckdb.connect(str(db), read_only=True)
        con.raw_sql(f"SET threads = {threads}")
        t = con.table("r")
        nps = cxlab.nps(t, "ltr", by="g", weight="weight").to_csv(float_format="%.17g")
        csat = cxlab.csat(t, "csat", by="g", weight="weight").to_csv(float_format="%.17g")
        outputs.add(nps + csat)
        con.disconnect()
    assert len(outputs) == 1
