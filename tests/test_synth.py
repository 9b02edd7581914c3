"""Tests of the demo-company generator: determinism, schema, ranges and planted truths."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import statsmodels.formula.api as smf

from cxlab import synth
from cxlab.errors import CxlabError
from cxlab.periods import quarter_labels
from cxlab.schema import STAGES, TABLES

N = 20_000
SEED = 2026
BIG_TABLES = ("customers", "customer_history", "responses", "transactions", "interactions")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return synth.generate(tmp_path_factory.mktemp("synth"), n_responses=N, seed=SEED)


@pytest.fixture(scope="module")
def truth(out) -> dict:
    return synth.load_truth(out)


@pytest.fixture(scope="module")
def tables(out) -> dict[str, pd.DataFrame]:
    return {name: synth.read_table(out, name) for name in TABLES}


@pytest.fixture(scope="module")
def responses(tables) -> pd.DataFrame:
    r = tables["responses"].copy()
    r["x"] = np.select([r["ltr"] >= 9, r["ltr"] <= 6], [100, -100], 0)
    return r


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_byte_identical_files(out, tmp_path):
    again = synth.generate(tmp_path / "again", n_responses=N, seed=SEED)
    first, second = _digests(out), _digests(again)
    assert len(first) == len(TABLES) + 1  # one part per table at this size, plus truth.json
    assert first == second


def test_different_seed_gives_different_data(out, tmp_path):
    other = synth.generate(tmp_path / "other", n_responses=N, seed=SEED + 1)
    first, second = _digests(out), _digests(other)
    assert first.keys() == second.keys()
    for name in ["responses/part-00000.parquet", "customers/part-00000.parquet", "truth.json"]:
        assert first[name] != second[name]
    # the touch-point inventory is fixed, whatever the seed
    assert first["touchpoints/part-00000.parquet"] == second["touchpoints/part-00000.parquet"]


def test_chunk_size_only_splits_files(out, tmp_path):
    small = synth.generate(tmp_path / "small", n_responses=N, seed=SEED, chunk_size=3_000)
    parts = sorted((small / "responses").glob("part-*.parquet"))
    assert len(parts) == 7  # ceil(20,000 / 3,000)
    assert [pq.ParquetFile(p).metadata.num_rows for p in parts] == [3_000] * 6 + [2_000]
    for name in TABLES:
        chunked = pa.concat_tables(
            pq.read_table(p) for p in sorted((small / name).glob("part-*.parquet"))
        )
        whole = pq.read_table(out / name / "part-00000.parquet")
        assert chunked.equals(whole), name
        assert all(
            pq.ParquetFile(p).metadata.num_rows <= 3_000 for p in (small / name).glob("*.parquet")
        )
    assert synth.load_truth(small) == synth.load_truth(out)


def test_blocks_give_exact_response_count(tmp_path, monkeypatch):
    # several internal blocks (and a short last one) still give exactly n responses and
    # unique, gap-free ids
    monkeypatch.setattr(synth.company, "BLOCK_RESPONSES", 1_500)
    folder = synth.generate(tmp_path / "blocks", n_responses=4_000, seed=3, n_units=3)
    r = synth.read_table(folder, "responses")
    assert len(r) == 4_000
    assert r["response_id"].tolist() == [f"R{i:09d}" for i in range(1, 4_001)]
    c = synth.read_table(folder, "customers")
    assert c["customer_id"].is_unique
    assert set(r["customer_id"]) <= set(c["customer_id"])


# --------------------------------------------------------------------------- schema and ranges


@pytest.mark.parametrize("name", list(TABLES))
def test_every_schema_column_with_its_type(out, name):
    files = sorted((out / name).glob("part-*.parquet"))
    assert files
    schema = pq.read_schema(files[0])
    expected = synth.arrow_schema(name)
    assert schema.names == list(TABLES[name].column_names)
    for field in expected:
        assert schema.field(field.name).type == field.type, (name, field.name)


def test_ids_unique_and_well_formed(tables):
    for name, col, pattern in [
        ("customers", "customer_id", r"C\d{7}"),
        ("responses", "response_id", r"R\d{9}"),
        ("transactions", "transaction_id", r"T\d{9}"),
        ("interactions", "interaction_id", r"I\d{9}"),
    ]:
        ids = tables[name][col]
        assert ids.is_unique, name
        assert ids.str.fullmatch(pattern).all(), name
    assert len(tables["responses"]) == N
    for name in BIG_TABLES:
        assert set(tables[name]["customer_id"]) <= set(tables["customers"]["customer_id"])
    keys = tables["touchpoints"][["touchpoint", "channel"]]
    assert not keys.duplicated().any()
    assert not tables["outcomes"][["unit", "quarter"]].duplicated().any()


def test_response_ranges(responses):
    r = responses
    assert r["ltr"].notna().all()
    assert r["ltr"].between(0, 10).all()
    assert set(r["ltr"].unique()) == set(range(11))
    csat, ces = r["csat"].dropna(), r["ces"].dropna()
    assert csat.between(1, 5).all() and ces.between(1, 7).all()
    assert set(csat.unique()) == set(range(1, 6)) and set(ces.unique()) == set(range(1, 8))
    assert 0.05 < r["csat"].isna().mean() < 0.15  # 10 % planted
    assert 0.2 < r["ces"].isna().mean() < 0.8
    assert (r["weight"] > 0).all() and r["weight"].notna().all()
    assert r["stage"].isin(STAGES).all()
    assert r["verbatim"].notna().any() and r["verbatim"].isna().any()


def test_quarter_matches_survey_date(responses, truth):
    r = responses
    assert (r["quarter"] == quarter_labels(r["survey_date"])).all()
    assert set(r["quarter"]) == set(truth["quarters"])
    assert truth["quarters"][0] == "2023Q4" and truth["quarters"][-1] == "2026Q3"
    assert r["survey_date"].min() >= pd.Timestamp("2023-10-01")
    assert r["survey_date"].max() <= pd.Timestamp("2026-09-30")


def test_touchpoint_channel_pairs_are_in_the_inventory(tables):
    inventory = set(map(tuple, tables["touchpoints"][["touchpoint", "channel"]].to_numpy()))
    assert 10 <= tables["touchpoints"]["touchpoint"].nunique() <= 14
    assert set(tables["touchpoints"]["stage"]) == set(STAGES)
    assert not tables["touchpoints"]["intentional"].all()
    for name in ("responses", "interactions"):
        pairs = set(
            map(tuple, tables[name][["touchpoint", "channel"]].drop_duplicates().to_numpy())
        )
        assert pairs <= inventory, name
    stage = tables["touchpoints"].drop_duplicates("touchpoint").set_index("touchpoint")["stage"]
    for name in ("responses", "interactions"):
        t = tables[name]
        assert (t["touchpoint"].map(stage) == t["stage"]).all(), name


def test_customer_history_is_a_clean_scd2(tables):
    h = tables["customer_history"].sort_values(["customer_id", "valid_from"])
    c = tables["customers"].set_index("customer_id")
    open_rows = h[h["valid_to"].isna()]
    assert open_rows["customer_id"].is_unique
    assert set(open_rows["customer_id"]) == set(c.index)
    assert not h.duplicated(["customer_id", "valid_from"]).any()
    nxt = h.groupby("customer_id")["valid_from"].shift(-1)
    closed = h["valid_to"].notna()
    # valid_to is the day before the next row starts: no overlap, no gap
    assert closed.sum() > 0
    assert (h.loc[closed, "valid_to"] == nxt[closed] - pd.Timedelta(days=1)).all()
    assert nxt[~closed].isna().all()
    assert (h["valid_to"].isna() | (h["valid_to"] >= h["valid_from"])).all()
    # consecutive rows really differ; the first row starts at signup
    cols = ["segment", "region", "preferred_channel"]
    prev = h.groupby("customer_id")[cols].shift(1)
    has_prev = prev["segment"].notna()
    assert (h.loc[has_prev, cols] != prev.loc[has_prev, cols]).any(axis=1).all()
    first = h.groupby("customer_id")["valid_from"].min()
    assert (first == c.loc[first.index, "signup_date"]).all()
    # the open row is the customer's current profile
    cur = open_rows.set_index("customer_id")[cols]
    assert (cur == c.loc[cur.index, cols]).all().all()
    assert 0.05 < has_prev.groupby(h["customer_id"]).any().mean() < 0.25


def test_activity_stays_between_signup_and_churn(tables, truth):
    c = tables["customers"].set_index("customer_id")
    last_day = pd.Timestamp(truth["period"]["last_day"])
    churned = c["churn_date"].notna()
    assert 0.05 < churned.mean() < 0.5
    assert (c.loc[churned, "churn_date"] > c.loc[churned, "signup_date"]).all()
    assert (c.loc[churned, "churn_date"] <= last_day).all()
    for name, col in [
        ("responses", "survey_date"),
        ("transactions", "date"),
        ("interactions", "timestamp"),
    ]:
        t = tables[name]
        when = pd.to_datetime(t[col]).dt.normalize()
        signup = t["customer_id"].map(c["signup_date"])
        churn = t["customer_id"].map(c["churn_date"])
        assert (when >= signup).all(), name
        assert (churn.isna() | (when < churn)).all(), name
        assert (when <= last_day).all(), name


def test_transactions_and_journeys(tables):
    t = tables["transactions"]
    assert (t["revenue"] > 0).all() and (t["margin"] > 0).all()
    assert (t["margin"] < t["revenue"]).all()
    unit = tables["customers"].set_index("customer_id")["unit"]
    assert (t["unit"] == t["customer_id"].map(unit)).all()
    assert (tables["responses"]["unit"] == tables["responses"]["customer_id"].map(unit)).all()
    i = tables["interactions"]
    n_cust = len(tables["customers"])
    assert 1.0 * n_cust < len(i) < 4.0 * n_cust
    assert i.groupby("customer_id")["timestamp"].apply(lambda s: s.is_monotonic_increasing).all()
    assert (i["touchpoint"] == "Purchase").any()
    # some customers use more than one channel
    assert (i.groupby("customer_id")["channel"].nunique() > 1).mean() > 0.05


def test_outcomes_are_plausible(tables, truth):
    o = tables["outcomes"]
    assert len(o) == len(truth["units"]) * len(truth["quarters"]) == 96
    assert (o["new_customers"] > 0).all()
    assert o["market_share"].between(0, 1).all()
    assert (o["revenue"] > 0).all() and (o["profit"] < o["revenue"]).all()
    # revenue is on the scale of the transactions: spend per active customer and quarter
    spend = truth["nps_to_outcomes"]["revenue"]["spend_per_customer_quarter"]
    assert 50 < spend < 1_000


# --------------------------------------------------------------------------- planted truths


def test_unit_quarter_nps_tracks_latent_path(responses, truth):
    g = responses.groupby(["unit", "quarter"])["x"].agg(["mean", "size"]).reset_index()
    assert len(g) == 96 and g["size"].min() >= 50
    lead = truth["quarters_with_lead"]
    latent = [truth["latent_nps"][u][lead.index(q)] for u, q in zip(g["unit"], g["quarter"])]
    assert np.corrcoef(g["mean"], latent)[0, 1] > 0.9
    # unbiased: the mean error over cells is within sampling noise (~0.6 points here)
    assert abs(np.mean(g["mean"] - latent)) < 2.5
    values = np.concatenate([np.asarray(v) for v in truth["latent_nps"].values()])
    assert values.min() >= -10 and values.max() <= 60 and values.max() - values.min() > 40


def test_weak_touchpoints_and_phone_are_masked_by_a_good_aggregate(responses, truth):
    r = responses
    overall = r["x"].mean()
    assert overall > 10
    weak = r["touchpoint"].isin(truth["weak_touchpoints"]["shift_nps_points"])
    assert r.loc[weak, "x"].mean() < r.loc[~weak, "x"].mean() - 25
    for tp in truth["weak_touchpoints"]["shift_nps_points"]:
        assert r.loc[r["touchpoint"] == tp, "x"].mean() < overall - 20
    phone = r["channel"] == "phone"
    # at the same touch points (no weak ones), phone is worse by about 15 points
    ok = ~weak
    gap = r.loc[ok & ~phone, "x"].mean() - r.loc[ok & phone, "x"].mean()
    assert 8 < gap < 22
    # detractors at weak touch points give very low scores (the case's 1/10 and 3/10)
    det = r["ltr"] <= 6
    assert r.loc[weak & det, "ltr"].mean() < r.loc[~weak & det, "ltr"].mean() - 1


def test_detractors_churn_more(tables, truth):
    r = tables["responses"]
    churn = r["customer_id"].map(tables["customers"].set_index("customer_id")["churn_date"])
    window = pd.Timedelta(days=truth["churn"]["window_days"])
    last_day = pd.Timestamp(truth["period"]["last_day"])
    seen = r["survey_date"] + window <= last_day
    hit = churn.notna() & (churn > r["survey_date"]) & (churn <= r["survey_date"] + window)
    cat = pd.cut(r["ltr"], [-1, 6, 8, 10], labels=["detractor", "passive", "promoter"])
    rate = hit[seen].groupby(cat[seen], observed=True).mean()
    n = seen.groupby(cat, observed=True).sum()
    assert rate["detractor"] > rate["passive"] > rate["promoter"]
    for k, p in truth["churn"]["rate_by_category"].items():
        assert abs(rate[k] - p) < 4 * np.sqrt(p * (1 - p) / n[k]), k
        assert truth["churn"]["observed_surveys"][k] == n[k]
        assert truth["churn"]["observed_churned"][k] == hit[seen & (cat == k)].sum()


def test_csat_and_ces_follow_ltr(responses, truth):
    r = responses
    assert r["ltr"].corr(r["csat"]) > 0.6
    assert r["ltr"].corr(r["ces"]) > 0.6
    model = truth["csat_ces_model"]["csat"]
    # away from the clipping bounds, mean CSAT follows intercept + slope * ltr
    mid = r[r["ltr"].between(3, 7)].groupby("ltr")["csat"].mean()
    expected = model["intercept"] + model["slope"] * mid.index.to_numpy()
    assert np.abs(mid.to_numpy() - expected).max() < 0.15
    phone = r["channel"] == "phone"
    ces_gap = r.loc[~phone].groupby("ltr")["ces"].mean() - r.loc[phone].groupby("ltr")["ces"].mean()
    assert 0.2 < ces_gap.loc[4:8].mean() < 0.8  # planted -0.5 on phone


def test_weights_shift_nps_as_planted(responses, truth):
    r = responses
    w = truth["weights"]["weight_by_segment"]
    segment_weights = set(np.round(list(w.values()), 6))
    assert set(np.round(r["weight"].unique(), 6)) <= segment_weights
    diff = np.average(r["x"], weights=r["weight"]) - r["x"].mean()
    expected = truth["weights"]["weighted_minus_unweighted_nps"]
    assert expected < -1
    assert abs(diff - expected) < 1.0


def test_outcomes_recover_lagged_nps_effect(tables, truth):
    # fit on outcomes and the latent path (not survey data): unit fixed effects, lags 0-3.
    # A 95 % interval: with this fixed seed it covers the planted beta.
    o = tables["outcomes"].copy()
    lead = truth["quarters_with_lead"]
    lag = truth["nps_to_outcomes"]["lag_quarters"]
    o["t"] = o["quarter"].map({q: i for i, q in enumerate(lead)})
    o = o.sort_values(["unit", "t"])
    o["d_share"] = o.groupby("unit")["market_share"].diff()
    o = o[o["t"] >= 3].copy()  # lags up to 3 need t - 3 >= 0 in the lead-in path
    for y, spec in [
        ("new_customers", truth["nps_to_outcomes"]["new_customers"]),
        ("d_share", truth["nps_to_outcomes"]["market_share"]),
    ]:
        r2 = {}
        for k in range(4):
            o["x"] = [truth["latent_nps"][u][t - k] for u, t in zip(o["unit"], o["t"])]
            fit = smf.ols(f"{y} ~ x + C(unit)", data=o).fit()
            r2[k] = fit.rsquared
            if k == lag:
                lo, hi = fit.conf_int().loc["x"]
                assert lo <= spec["beta_per_nps_point"] <= hi, y
                assert np.sqrt(fit.scale) == pytest.approx(spec["noise_sd"], rel=0.35)
        assert max(r2, key=r2.get) == lag, (y, r2)
    base = truth["nps_to_outcomes"]["new_customers"]["base"]
    assert set(base) == set(truth["units"])


# --------------------------------------------------------------------------- truth and errors


def test_truth_round_trips(out, truth, tables):
    assert truth == json.loads((out / "truth.json").read_text())
    assert truth["seed"] == SEED and truth["n_responses"] == N
    assert truth["units"] == list(synth.UNIT_NAMES[:8])
    assert len(truth["quarters"]) == 12
    assert len(truth["quarters_with_lead"]) == 12 + truth["nps_to_outcomes"]["lag_quarters"]
    assert all(len(v) == 14 for v in truth["latent_nps"].values())
    assert truth["row_counts"] == {name: len(df) for name, df in tables.items()}
    assert truth["weak_channels"]["shift_nps_points"] == {"phone": -15.0}
    assert json.loads(json.dumps(truth)) == truth


def test_small_company_and_custom_quarters(tmp_path):
    folder = synth.generate(
        tmp_path / "tiny", n_responses=300, seed=0, n_units=2, quarters=4, last_quarter="2025Q1"
    )
    truth = synth.load_truth(folder)
    assert truth["quarters"] == ["2024Q2", "2024Q3", "2024Q4", "2025Q1"]
    assert truth["quarters_with_lead"][:2] == ["2023Q4", "2024Q1"]
    o = synth.read_table(folder, "outcomes")
    assert len(o) == 8
    r = synth.read_table(folder, "responses")
    assert len(r) == 300 and set(r["unit"]) <= set(truth["units"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_responses": 0}, "n_responses"),
        ({"seed": -1}, "seed"),
        ({"n_units": 0}, "n_units"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"last_quarter": "2026-Q3"}, "last_quarter"),
        ({"last_quarter": "2026Q5"}, "last_quarter"),
    ],
)
def test_bad_arguments_raise_cxlab_error(tmp_path, kwargs, message):
    with pytest.raises(CxlabError, match=message):
        synth.generate(tmp_path, **kwargs)
    assert not (tmp_path / "truth.json").exists()


def test_load_truth_errors(tmp_path):
    with pytest.raises(CxlabError, match="truth.json"):
        synth.load_truth(tmp_path)
    (tmp_path / "truth.json").write_text("{not json")
    with pytest.raises(CxlabError, match="not valid JSON"):
        synth.load_truth(tmp_path)
    with pytest.raises(CxlabError, match="unknown table"):
        synth.arrow_schema("nope")
    with pytest.raises(CxlabError, match="no part"):
        synth.read_table(tmp_path, "responses")


def test_regenerating_into_a_folder_replaces_old_parts(tmp_path):
    folder = tmp_path / "d"
    synth.generate(folder, n_responses=2_000, seed=1, chunk_size=500)
    assert len(list((folder / "responses").glob("*.parquet"))) == 4
    synth.generate(folder, n_responses=1_000, seed=1)
    assert len(list((folder / "responses").glob("*.parquet"))) == 1
    assert len(synth.read_table(folder, "responses")) == 1_000
