"""VADER sentiment (cxlab.voc.sentiment): scores, storage in a real DuckDB warehouse,
agreement with the LTR category against scipy / scikit-learn."""

from __future__ import annotations

import sys

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score

from cxlab import warehouse
from cxlab.errors import CxlabError
from cxlab.voc import agreement_text, sentiment, sentiment_agreement, store_sentiment

# vaderSentiment's README (github.com/cjhutto/vaderSentiment), its printed examples
README = {
    "VADER is smart, handsome, and funny.": 0.8316,
    "VADER is not smart, handsome, nor funny.": -0.7424,
    "VADER is VERY SMART, handsome, and FUNNY!!!": 0.9342,
    "The book was kind of good.": 0.3832,
    "The plot was good, but the characters are uncompelling and the dialog is not great.": -0.7042,
    "At least it isn't a horrible book.": 0.431,
    "Make sure you :) or :D today!": 0.8633,
}


def test_compound_scores_match_the_vader_readme():
    df = pd.DataFrame({"response_id": range(len(README)), "verbatim": list(README)})
    got = sentiment(df)
    assert got.compound.round(4).tolist() == list(README.values())
    assert (
        got.label.tolist()
        == ["positive", "negative"] + ["positive"] * 2 + ["negative"] + ["positive"] * 2
    )
    assert np.allclose(got[["pos", "neu", "neg"]].sum(axis=1), 1, atol=0.002)


def test_labels_use_the_documented_thresholds_and_blank_text_is_none():
    df = pd.DataFrame(
        {"response_id": ["a", "b", "c", "d", "e"], "verbatim": ["ok", "", "   ", None, "meh"]}
    )
    got = sentiment(df)
    c = got.compound.to_numpy()
    want = np.where(c >= 0.05, "positive", np.where(c <= -0.05, "negative", "neutral"))
    assert got.label[0] == want[0] and got.label[4] == want[4]
    assert got.label[1:4].tolist() == ["none"] * 3 and got.compound[1:4].isna().all()


def test_text_is_masked_before_scoring():
    # "great" inside an e-mail address must not count as a positive word
    df = pd.DataFrame({"response_id": [1], "verbatim": ["write to great.happy@love.com"]})
    assert sentiment(df).compound[0] == 0


def test_tiny_and_hostile_inputs():
    empty = pd.DataFrame({"response_id": pd.Series([], dtype=str), "verbatim": []})
    assert sentiment(empty).empty
    one = sentiment(
        pd.DataFrame({"response_id": [7], "verbatim": ["<script>x</script> bad service"]})
    )
    assert len(one) == 1 and one.label[0] == "negative"
    with pytest.raises(CxlabError, match="'nope'.*not found"):
        sentiment(pd.DataFrame({"response_id": [1]}), "nope")
    with pytest.raises(CxlabError, match="repeated: 'x'"):
        sentiment(pd.DataFrame({"response_id": ["x", "x"], "verbatim": ["a", "b"]}))


def _agreement_data(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ltr = rng.integers(0, 11, n)
    noisy = ltr + rng.normal(0, 4, n)
    label = np.where(noisy <= 4, "negative", np.where(noisy <= 7, "neutral", "positive"))
    label[rng.random(n) < 0.05] = "none"
    ids = [f"r{i}" for i in range(n)]
    return (
        pd.DataFrame({"response_id": ids, "ltr": ltr}),
        pd.DataFrame({"response_id": ids, "label": label}),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agreement_matches_scipy_spearman_and_sklearn_kappa(seed):
    r, s = _agreement_data(500, seed)
    fit = sentiment_agreement(r, s)
    m = r.merge(s, on="response_id")
    m = m[m.label != "none"]
    order = m.label.map({"negative": 0, "neutral": 1, "positive": 2})
    rho = spearmanr(order, m.ltr).statistic
    cat = np.select([m.ltr <= 6, m.ltr <= 8], ["negative", "neutral"], "positive")
    kappa = cohen_kappa_score(m.label, cat)
    a = fit.agreement_.set_index("measure")
    assert a.loc["spearman_rho", "estimate"] == pytest.approx(rho, abs=1e-12)
    assert a.loc["kappa", "estimate"] == pytest.approx(kappa, abs=1e-12)
    assert fit.n_ == len(m) == a.loc["kappa", "n"]
    assert (a.low < a.estimate).all() and (a.estimate < a.high).all()
    # Bonett-Wright width on the z scale
    n = len(m)
    se_z = np.sqrt((1 + rho**2 / 2) / (n - 3))
    assert a.loc["spearman_rho", "high"] == pytest.approx(
        np.tanh(np.arctanh(rho) + 1.959964 * se_z), abs=1e-5
    )
    ct = fit.crosstab_
    assert len(ct) == 9 and ct.n.sum() == n
    assert np.allclose(ct.groupby("category").share.sum(), 1)


def test_agreement_text_states_the_limits():
    r, s = _agreement_data(300, 1)
    text = agreement_text(sentiment_agreement(r, s))
    assert "rough signal" in text and "English" in text and "Spearman rho" in text
    empty = sentiment_agreement(r.iloc[:0], s.iloc[:0])
    assert empty.n_ == 0 and "Too few" in agreement_text(empty)


def test_agreement_refuses_scores_off_the_scale():
    r, s = _agreement_data(20, 1)
    r.loc[0, "ltr"] = 11
    with pytest.raises(CxlabError, match="0-10"):
        sentiment_agreement(r, s)


def _warehouse(tmp_path, verbatims):
    db = tmp_path / "cx.duckdb"
    warehouse.create(db)
    raw = duckdb.connect(str(db))
    for i, v in enumerate(verbatims):
        raw.execute(
            "INSERT INTO responses (response_id, unit, survey_date, quarter, ltr, verbatim) "
            "VALUES (?, 'u1', DATE '2025-01-15', '2025Q1', ?, ?)",
            [f"r{i}", i % 11, v],
        )
    raw.close()
    return db


def test_store_sentiment_scores_once_then_only_new_or_changed(tmp_path):
    db = _warehouse(tmp_path, ["The book was good.", "Today SUX!", None])
    con = warehouse.connect(db, read_only=False)
    first = store_sentiment(con)
    assert first.iloc[0].tolist() == ["voc_sentiment", 3, 0, 3]
    again = store_sentiment(con)
    assert again.iloc[0].tolist() == ["voc_sentiment", 0, 0, 3]
    raw = con.con
    raw.execute("UPDATE responses SET verbatim = 'awful' WHERE response_id = 'r0'")
    raw.execute("DELETE FROM responses WHERE response_id = 'r1'")
    raw.execute(
        "INSERT INTO responses (response_id, unit, survey_date, quarter, verbatim) "
        "VALUES ('r9', 'u1', DATE '2025-01-15', '2025Q1', 'love it')"
    )
    third = store_sentiment(con)
    assert third.iloc[0].tolist() == ["voc_sentiment", 2, 2, 3]
    stored = con.table("voc_sentiment").execute().set_index("response_id")
    want = sentiment(con.table("responses")).set_index("response_id")
    assert sorted(stored.index) == ["r0", "r2", "r9"]
    pd.testing.assert_series_equal(stored.compound.sort_index(), want.compound.sort_index())
    assert stored.label.sort_index().tolist() == want.label.sort_index().tolist()
    fit = sentiment_agreement(con.table("responses"), con.table("voc_sentiment"))
    assert fit.n_ == 1  # r2 is blank, r9 has no LTR


def test_store_sentiment_never_touches_a_user_table(tmp_path):
    db = _warehouse(tmp_path, ["fine"])
    raw = duckdb.connect(str(db))
    raw.execute("CREATE TABLE voc_sentiment (note VARCHAR)")
    raw.execute("INSERT INTO voc_sentiment VALUES ('mine')")
    with pytest.raises(CxlabError, match="not created by cxlab"):
        store_sentiment(raw)
    assert raw.execute("SELECT * FROM voc_sentiment").fetchall() == [("mine",)]
    assert store_sentiment(raw, table="voc_sentiment_cx").n_stored[0] == 1


def test_store_sentiment_is_atomic_and_refuses_bad_input(tmp_path):
    db = _warehouse(tmp_path, ["fine", "bad"])
    raw = duckdb.connect(str(db))
    raw.execute("CREATE TABLE dup AS SELECT 'a' AS response_id, 'x' AS verbatim FROM range(2)")
    with pytest.raises(CxlabError, match="repeated: 'a'"):
        store_sentiment(raw, source="dup")
    with pytest.raises(CxlabError, match="not a plain"):
        store_sentiment(raw, table="x; DROP TABLE responses")
    with pytest.raises(CxlabError, match="'words'.*not found"):
        store_sentiment(raw, text="words")
    assert not raw.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'voc_sentiment'"
    ).fetchone()[0]
    raw.close()
    ro = warehouse.connect(db)  # read-only
    with pytest.raises(CxlabError, match="Nothing was changed"):
        store_sentiment(ro)
    with pytest.raises(CxlabError, match="DuckDB warehouse opened for writing"):
        store_sentiment(pd.DataFrame())


def test_store_sentiment_refuses_a_view_and_rolls_back_a_failed_run(tmp_path, monkeypatch):
    db = _warehouse(tmp_path, ["fine", "awful"])
    raw = duckdb.connect(str(db))
    raw.execute("CREATE VIEW voc_sentiment AS SELECT 1 AS x")
    with pytest.raises(CxlabError, match="not created by cxlab"):
        store_sentiment(raw)
    raw.execute("DROP VIEW voc_sentiment")
    # the function cxlab.voc.sentiment hides the module of the same name
    mod = sys.modules["cxlab.voc.sentiment"]

    def broken(texts):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(mod, "score_texts", broken)  # fail after the table was created
    with pytest.raises(RuntimeError, match="disk gone"):
        store_sentiment(raw)
    assert not raw.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'voc_sentiment'"
    ).fetchone()[0]
    monkeypatch.undo()
    assert store_sentiment(raw).n_stored[0] == 2
