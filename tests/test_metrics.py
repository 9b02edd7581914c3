"""Metrics by group: counts in the engine (pandas frames and DuckDB files alike)."""

from __future__ import annotations

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxlab
from cxlab.errors import CxlabError


@pytest.fixture
def small() -> pd.DataFrame:
    # channel a: 10, 9, 9, 8, 7, 6, 0 -> 3 promoters, 2 passives, 2 detractors
    # channel b: 10, 10, 5 -> 2 promoters, 1 detractor
    return pd.DataFrame(
        {
            "ltr": [10, 9, 9, 8, 7, 6, 0, 10, 10, 5],
            "channel": list("aaaaaaabbb"),
            "csat": [5, 4, 4, 3, 2, 1, 1, 5, 5, 2],
            "ces": [7, 6, 5, 4, 3, 2, 1, 7, 7, 2],
            "w": [1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0],
        }
    )


def test_nine_and_ten_are_promoters_and_six_is_a_detractor(small):
    r = cxlab.nps(small, "ltr", by="channel").set_index("channel")
    assert r.loc["a", ["detractors", "passives", "promoters"]].tolist() == [2, 2, 3]
    assert r.loc["a", "nps"] == pytest.approx(100 * (3 - 2) / 7)
    assert r.loc["b", ["detractors", "passives", "promoters"]].tolist() == [1, 0, 2]
    assert r.loc["b", "nps"] == pytest.approx(100 / 3)
    assert r.loc["a", "flag"] == "unreliable"


def test_counts_feed_nps_counts_unchanged(small):
    r = cxlab.nps(small, "ltr", method="wald").iloc[0]
    ref = cxlab.nps_counts(3, 2, 5, method="wald")
    for c in ("nps", "se", "low", "high"):
        assert r[c] == pytest.approx(ref[c])
    assert r["n"] == 10 and r["pct_promoters"] == pytest.approx(50)


def test_custom_breaks(small):
    # 0-5 detractors, 6-8 passives, 9-10 promoters
    r = cxlab.nps(small, "ltr", breaks=(5, 8)).iloc[0]
    assert [r["detractors"], r["passives"], r["promoters"]] == [2, 3, 5]


def test_duckdb_file_and_pandas_give_the_same_numbers(small, tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("src", small)
        con.execute("CREATE TABLE responses AS SELECT * FROM src")
    con = ibis.duckdb.connect(str(path), read_only=True)
    from_db = cxlab.nps(con.table("responses"), "ltr", by="channel")
    from_pd = cxlab.nps(small, "ltr", by="channel")
    pd.testing.assert_frame_equal(from_db, from_pd, check_dtype=False)
    con.disconnect()


def test_missing_scores_are_counted_not_scored():
    df = pd.DataFrame({"ltr": [10, None, 3, None]})
    r = cxlab.nps(df, "ltr").iloc[0]
    assert (r["n"], r["n_missing"], r["nps"]) == (2, 2, 0.0)


def test_weighted_shares_and_kish_n(small):
    r = cxlab.nps(small, "ltr", weight="w").iloc[0]
    w = small["w"]
    pro = w[small.ltr >= 9].sum() / w.sum()
    det = w[small.ltr <= 6].sum() / w.sum()
    assert r["nps"] == pytest.approx(100 * (pro - det))
    assert r["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert r["n"] == 10


def test_weighted_bootstrap_runs_on_the_cell_table(small):
    big = pd.concat([small] * 40, ignore_index=True)
    r = cxlab.nps(big, "ltr", weight="w", method="bootstrap", seed=1).iloc[0]
    aw = cxlab.nps(big, "ltr", weight="w").iloc[0]
    assert r["low"] < r["nps"] < r["high"]
    assert r["high"] - r["low"] == pytest.approx(aw["high"] - aw["low"], rel=0.25)


@pytest.mark.parametrize(
    "values, fragment",
    [([1, 11], "'ltr'"), ([1, 7.5], "whole number from 0 to 10"), ([-1, 3], "1 row(s)")],
)
def test_bad_scores_are_refused_with_the_rule(values, fragment):
    with pytest.raises(CxlabError, match=None) as err:
        cxlab.nps(pd.DataFrame({"ltr": values}), "ltr")
    assert fragment in str(err.value)


def test_negative_weight_and_missing_column_are_refused(small):
    bad = small.assign(w=-small["w"])
    with pytest.raises(CxlabError, match="'w'.*>= 0"):
        cxlab.nps(bad, "ltr", weight="w")
    with pytest.raises(CxlabError, match="'nope' not found"):
        cxlab.nps(small, "nope")


def test_csat_and_ces_hand_values(small):
    c = cxlab.csat(small, by="channel").set_index("channel")
    # a: 5,4,4,3,2,1,1 -> 3 of 7 in 4-5; mean 20/7
    assert c.loc["a", "top_box"] == pytest.approx(100 * 3 / 7)
    assert c.loc["a", "mean"] == pytest.approx(20 / 7)
    assert c.loc["a", "top_box_low"] < c.loc["a", "top_box"] < c.loc["a", "top_box_high"]
    e = cxlab.ces(small).iloc[0]
    # 7,6,5,4,3,2,1,7,7,2 -> 5 of 10 at 5-7; mean 4.4
    assert e["top_box"] == pytest.approx(50.0)
    assert e["mean"] == pytest.approx(4.4)
    sd = np.std([7, 6, 5, 4, 3, 2, 1, 7, 7, 2], ddof=1)
    assert e["mean_se"] == pytest.approx(sd / np.sqrt(10))
    with pytest.raises(CxlabError, match="from 1 to 5"):
        cxlab.csat(pd.DataFrame({"csat": [0, 5]}))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60))
def test_engine_counts_match_a_row_wise_count(scores):
    r = cxlab.nps(pd.DataFrame({"ltr": scores}), "ltr", method="wald").iloc[0]
    s = np.array(scores)
    assert r["promoters"] == (s >= 9).sum()
    assert r["detractors"] == (s <= 6).sum()
    assert r["nps"] == pytest.approx(100 * ((s >= 9).mean() - (s <= 6).mean()))
    assert -100 <= r["low"] <= r["high"] <= 100


def test_a_group_without_scores_gets_nan_not_an_error():
    df = pd.DataFrame({"csat": [5, None, 4], "g": ["a", "b", "a"]})
    out = cxlab.csat(df, by="g").set_index("g")
    assert out.loc["b", "n"] == 0 and np.isnan(out.loc["b", "top_box"])
    assert out.loc["a", "top_box"] == 100.0
    assert 1 <= out.loc["a", "mean_low"] <= out.loc["a", "mean_high"] <= 5  # clipped to scale


def test_weighted_bootstrap_finds_the_group_with_a_null_key():
    # D3: the cell table of a group whose key is NULL was matched with ``==`` and came
    # back empty (NaN). Relabelling NULL as "z" (also sorted last) must give the same row.
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {
            "ltr": rng.integers(0, 11, 120),
            "g": rng.choice(np.array(["a", "b", None], dtype=object), 120),
            "h": rng.choice(np.array(["x", None], dtype=object), 120),
            "w": rng.uniform(0.5, 2.0, 120),
        }
    )
    kw = {"weight": "w", "method": "bootstrap", "n_boot": 300, "seed": 3}
    for by in ("g", ["g", "h"]):
        got = cxlab.nps(df, "ltr", by=by, **kw)
        ref = cxlab.nps(df.fillna({"g": "z", "h": "z"}), "ltr", by=by, **kw)
        assert got[["nps", "low", "high"]].notna().all().all()
        cols = ["n", "nps", "se", "low", "high", "n_eff"]
        pd.testing.assert_frame_equal(got[cols], ref[cols])


def test_empty_and_zero_weight_groups_are_nan_and_flagged_alike():
    # D4/D5, one rule for nps, csat and ces: a group with no scored response or zero
    # total weight has no estimate -- NaN, flag "empty" -- next to groups that have one.
    df = pd.DataFrame(
        {
            "ltr": [10, 9, 3, 7, 10, 2, None, 8],
            "csat": [5, 4, 1, 3, 5, 2, None, 4],
            "ces": [7, 5, 1, 4, 7, 2, None, 6],
            "g": list("aaabbbcc"),
            "w": [1.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        }
    )
    outs = {
        "nps": cxlab.nps(df, "ltr", by="g", weight="w").set_index("g"),
        "csat": cxlab.csat(df, by="g", weight="w").set_index("g"),
        "ces": cxlab.ces(df, by="g", weight="w").set_index("g"),
    }
    for name, out in outs.items():
        est = "nps" if name == "nps" else "top_box"
        assert out["flag"].tolist() == ["unreliable", "empty", "empty"], name
        assert out[est].isna().tolist() == [False, True, True], name
        assert out["n"].tolist() == [3, 3, 1]  # respondents are still counted
        assert out.loc[["b", "c"], "n_eff"].tolist() == [0.0, 0.0]
    # without weights, a group whose scores are all missing is empty the same way
    un = cxlab.csat(df.assign(csat=[5, 4, 1, None, None, None, None, None]), by="g")
    assert un["flag"].tolist() == ["unreliable", "empty", "empty"]
    assert un["top_box"].isna().tolist() == [False, True, True]


@pytest.mark.parametrize("factor", [1e155, 1e-155, 1e-170])
def test_extreme_weights_give_the_same_answer_as_ordinary_ones(factor):
    # D7: weights near 1e155 made the squared weights overflow and nps() failed with
    # "'n_eff' must be a finite count", an argument the caller never passed.
    rng = np.random.default_rng(8)
    df = pd.DataFrame(
        {
            "ltr": rng.integers(0, 11, 150),
            "csat": rng.integers(1, 6, 150),
            "g": rng.choice(list("ab"), 150),
            "w": rng.uniform(0.2, 3.0, 150),
        }
    )
    big = df.assign(w=df["w"] * factor)
    for fn, kw in (
        (cxlab.nps, {"score": "ltr"}),
        (cxlab.nps, {"score": "ltr", "method": "bootstrap", "n_boot": 200}),
        (cxlab.csat, {}),
    ):
        ref = fn(df, by="g", weight="w", **kw)
        got = fn(big, by="g", weight="w", **kw)
        for c in ("nps", "se", "low", "high", "top_box", "top_box_low", "mean", "mean_se"):
            if c in ref:
                assert got[c].to_numpy() == pytest.approx(ref[c].to_numpy(), rel=1e-9), c
        assert got["n_eff"].to_numpy() == pytest.approx(ref["n_eff"].to_numpy(), rel=1e-9)
        assert got["flag"].tolist() == ref["flag"].tolist()
    tot = cxlab.nps(big, "ltr", weight="w").iloc[0]
    assert tot["promoters"] == pytest.approx(big.loc[big.ltr >= 9, "w"].sum(), rel=1e-12)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_weights_are_refused_naming_the_column(bad, tmp_path):
    df = pd.DataFrame({"ltr": [10, 9, 3, 7], "csat": [5, 4, 1, 3], "w": [1.0, bad, 1.0, 2.0]})
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:  # a real file keeps NaN distinct from NULL
        con.register("src", df)
        con.execute("CREATE TABLE r AS SELECT * FROM src")
        if np.isnan(bad):
            con.execute("UPDATE r SET w = 'NaN'::DOUBLE WHERE ltr = 9")
    con = ibis.duckdb.connect(str(path), read_only=True)
    cases = [(con.table("r"), "infinite or NaN")]
    if not np.isnan(bad):  # pandas NaN is a missing weight, refused as such
        cases.append((df, "infinite or NaN"))
    for data, rule in cases:
        for call in (
            lambda d: cxlab.nps(d, "ltr", weight="w"),
            lambda d: cxlab.nps(d, "ltr", weight="w", method="bootstrap", n_boot=50),
            lambda d: cxlab.csat(d, weight="w"),
        ):
            with pytest.raises(CxlabError, match=r"column 'w'.*finite and >= 0") as err:
                call(data)
            assert "1 infinite or NaN" in str(err.value) and rule in str(err.value)
            assert "n_eff" not in str(err.value)
    con.disconnect()


def test_bayes_prior_is_passed_through_and_checked(small):
    r = cxlab.nps(small, "ltr", method="bayes", prior="jeffreys", n_boot=500).iloc[0]
    ref = cxlab.nps_counts(3, 2, 5, method="bayes", prior="jeffreys", n_boot=500, seed=0)
    assert [r["low"], r["high"]] == [ref["low"], ref["high"]]
    with pytest.raises(CxlabError, match="applies to method='bayes' only"):
        cxlab.nps(small, "ltr", weight="w", method="bootstrap", prior="jeffreys")


@pytest.mark.parametrize("metric", ["nps", "csat"])
def test_a_group_column_with_no_value_at_all_is_one_missing_group(metric):
    """An object column that is all None groups like the missing part of a partly missing
    one: one row whose label is missing, with the numbers of the whole data (it used to
    fail in a pandas merge of object with float keys)."""
    score = {"nps": "ltr", "csat": "csat"}[metric]
    values = [9, 10, 3, 7, 8, 9] if metric == "nps" else [5, 4, 1, 3, 5, 2]
    fn = getattr(cxlab, metric)
    data = pd.DataFrame({score: values, "g": pd.Series([None] * 6, dtype=object)})
    res = fn(data, score, by="g")
    whole = fn(data.drop(columns="g"), score)
    assert len(res) == 1 and pd.isna(res["g"].iloc[0])
    pd.testing.assert_frame_equal(res.drop(columns="g"), whole)
    partly = fn(data.assign(g=["a", None, "a", None, "b", "b"]), score, by="g")
    assert partly["g"].isna().sum() == 1 and pd.isna(partly["g"].iloc[-1])
