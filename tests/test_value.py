"""cxlab.value on the CDNOW data against published numbers.

References (outside the code under test):

- Fader, Hardie & Lee (2005), "'Counting your customers' the easy way", *Marketing
  Science* 24(2): BG/NBD on CDNOW, 39-week calibration, weeks: r = 0.243,
  alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4. The same values
  are asserted by the ``lifetimes`` package's tests
  (CamDavidsonPilon/lifetimes, ``lifetimes/tests/test_estimation.py``,
  ``test_params_out_is_close_to_Hardie_paper``).
- Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" (note 025,
  brucehardie.com): p = 6.25, q = 3.74, gamma = 15.44 on the 946 repeat
  customers (also in ``lifetimes``' ``TestGammaGammaFitter``).
- Hardie's BG/NBD spreadsheet, as quoted by ``lifetimes``' tests: E[X(t)] at
  t = 0.1429, 1, 3, 31.8571, 32, 78 weeks = 0.0078, 0.0532, 0.1506, 1.0405,
  1.0437, 1.8576; E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226.
- ``lifetimes`` documentation, ``docs/Quickstart.md`` (CamDavidsonPilon/lifetimes):
  the BG/NBD standard errors on the 2-decimal summary (0.012557, 0.378221,
  0.185719, 0.705345), the Gamma-Gamma expected average profit of the first ten
  customers and their 12-month CLV at 1% a month (``freq="D"``, its default).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlab import value
from cxlab.errors import CxlabError

DATA = Path(__file__).parent / "data" / "cdnow"


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    raw = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "n_cds", "revenue"],
        dtype={"date": str},
    )
    return raw.assign(date=pd.to_datetime(raw["date"], format="%Y%m%d"))


@pytest.fixture(scope="module")
def summary(transactions: pd.DataFrame) -> pd.DataFrame:
    return value.rfm(transactions, end="1997-09-30", unit="weeks")


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    """Fader & Hardie's summary as shipped by lifetimes (2 decimals)."""
    return pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv").set_index("ID")


def test_rfm_reproduces_the_published_cdnow_summary(summary, published):
    s = summary.set_index("customer_id").loc[published.index]
    assert len(summary) == 2357
    assert (s["frequency"] == published["x"]).all()
    assert (s["frequency"] > 0).sum() == 946
    np.testing.assert_allclose(s["recency"], published["t_x"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(s["T"], published["T"], atol=0.005 + 1e-9)
    repeat = published["x"] > 0
    np.testing.assert_allclose(s["monetary"][repeat], published["zbar"][repeat], atol=0.005 + 1e-9)
    assert s["monetary"][~repeat].isna().all()


def test_rfm_runs_in_duckdb_and_in_days(transactions, summary, tmp_path):
    """The warehouse's transactions table (DATE column) in a DuckDB file."""
    import duckdb
    import ibis

    db = tmp_path / "tx.duckdb"
    tx = transactions.assign(transaction_id=transactions.index.astype(str))  # noqa: F841
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE transactions AS SELECT transaction_id, "
            "CAST(customer_id AS VARCHAR) AS customer_id, CAST(date AS DATE) AS date, "
            "revenue, revenue AS margin FROM tx"
        )
    t = ibis.duckdb.connect(str(db), read_only=True).table("transactions")
    in_days = value.rfm(t, end="1997-09-30", unit="days")
    in_days = in_days.assign(customer_id=in_days["customer_id"].astype(int))
    in_days = in_days.sort_values("customer_id", ignore_index=True)
    pd.testing.assert_series_equal(in_days["frequency"], summary["frequency"])
    np.testing.assert_allclose(in_days["T"], summary["T"] * 7)
    np.testing.assert_allclose(in_days["recency"], summary["recency"] * 7)
    # the first customer bought on 1997-01-01, -01-18 and -08-02 (and after the end)
    assert in_days.loc[0, "recency"] == 213 and in_days.loc[0, "T"] == 272


def test_rfm_refuses_missing_amounts_and_bad_arguments():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
            "revenue": [1.0, None, 2.0],
        }
    )
    with pytest.raises(CxlabError, match=r"'revenue' is empty in 1 transaction.*\ba\b"):
        value.rfm(tx, end="2025-02-01")
    with pytest.raises(CxlabError, match="unit must be one of days, weeks"):
        value.rfm(tx, end="2025-02-01", unit="months")
    with pytest.raises(CxlabError, match="end must be a date"):
        value.rfm(tx, end="soon")
    with pytest.raises(CxlabError, match="'amount' not found"):
        value.rfm(tx, end="2025-02-01", value="amount")


def test_bgnbd_on_cdnow_matches_fader_hardie_lee_2005(summary):
    m = value.bgnbd(summary)
    assert m.converged_
    np.testing.assert_array_equal(m.params_.round(3).to_numpy(), [0.243, 4.414, 0.793, 2.426])
    assert round(m.log_likelihood_, 1) == -9582.4
    assert m.n_ == 2357
    table = m.summary_.set_index("param")
    assert (table["low"] < table["estimate"]).all() and (table["estimate"] < table["high"]).all()


def test_bgnbd_standard_errors_and_expectations_match_lifetimes_and_hardie(published):
    m = value.bgnbd(published, frequency="x", recency="t_x")
    np.testing.assert_allclose(
        m.se_.to_numpy(), [0.012557, 0.378221, 0.185719, 0.705345], rtol=2e-4
    )
    times = np.array([0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0])
    np.testing.assert_allclose(
        m.expected_purchases(times), [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576], atol=6e-4
    )
    one = pd.DataFrame({"x": [2], "t_x": [30.43], "T": [38.86]})
    assert m.conditional_expected_purchases(39.0, one).iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_bgnbd_on_counts_of_distinct_rows_equals_the_customer_level_fit(summary):
    rows = summary.groupby(["frequency", "recency", "T"], as_index=False).size()
    assert len(rows) < len(summary)
    full = value.bgnbd(summary)
    grouped = value.bgnbd(rows, weight="size")
    np.testing.assert_allclose(grouped.params_, full.params_, rtol=1e-4)
    assert grouped.log_likelihood_ == pytest.approx(full.log_likelihood_, abs=1e-6)
    assert grouped.n_ == 2357 and grouped.n_rows_ == len(rows)


def test_gamma_gamma_on_cdnow_matches_fader_hardie_2013(summary):
    m = value.gamma_gamma(summary)
    np.testing.assert_array_equal(m.params_.round(2).to_numpy(), [6.25, 3.74, 15.44])
    assert (m.n_, m.n_excluded_) == (946, 1411)


def test_expected_spend_and_clv_match_the_lifetimes_quickstart(published):
    bg = value.bgnbd(published, frequency="x", recency="t_x")
    gg = value.gamma_gamma(published, frequency="x", monetary="zbar")
    spend = gg.expected_spend(published).loc[[1, 2, 3, 6, 9]]
    np.testing.assert_allclose(
        spend, [24.658619, 18.911489, 35.170981, 71.462843, 27.282408], rtol=2e-6
    )
    got = value.clv(bg, gg, published, months=12, discount_rate=0.01, unit="days")
    quickstart = [140.096211, 18.943467, 38.180574, 38.180574, 38.180574, 1003.868107,
                  28.109683, 38.180574, 167.418216, 38.180574]  # fmt: skip
    np.testing.assert_allclose(got["clv"].loc[1:10], quickstart, rtol=1e-6)
    same = value.clv(bg, gg, months=12, discount_rate=0.01, unit="days")
    np.testing.assert_allclose(same["clv"], got["clv"])


def test_probability_alive_is_one_without_repeat_purchases_and_falls_with_silence(summary):
    m = value.bgnbd(summary)
    d = pd.DataFrame({"frequency": [0, 3, 3], "recency": [0.0, 30.0, 5.0], "T": [38.0] * 3})
    p = m.probability_alive(d).to_numpy()
    assert p[0] == 1.0 and 0 < p[2] < p[1] < 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"frequency": [-1, 0]}, r"1 row\(s\) break the rule 'frequency' is a whole number"),
        ({"recency": [40.0, 0.0]}, r"0 <= 'recency' <= 'T' \(e.g. rows 0\)"),
        ({"recency": [1.0, 2.0]}, r"'recency' is 0 when 'frequency' is 0 \(e.g. rows 1\)"),
        ({"T": [np.inf, 3.0]}, r"column 'T' must hold finite numbers"),
    ],
)
def test_bgnbd_refuses_impossible_summaries(change, message):
    s = pd.DataFrame({"frequency": [1, 0], "recency": [1.0, 0.0], "T": [10.0, 5.0]})
    with pytest.raises(CxlabError, match=message):
        value.bgnbd(s.assign(**change))


def test_gamma_gamma_and_clv_refuse_bad_input(summary):
    bad = pd.DataFrame({"frequency": [1, 2], "monetary": [10.0, 0.0]})
    with pytest.raises(CxlabError, match=r"'monetary' > 0 for repeat customers \(e.g. rows 1\)"):
        value.gamma_gamma(bad)
    with pytest.raises(CxlabError, match="no customer has a repeat purchase"):
        value.gamma_gamma(pd.DataFrame({"frequency": [0], "monetary": [np.nan]}))
    with pytest.raises(CxlabError, match="'spend' not found"):
        value.gamma_gamma(summary, monetary="spend")
    bg, gg = value.bgnbd(summary), value.gamma_gamma(summary.iloc[:100])
    with pytest.raises(CxlabError, match="not fitted on the same rows"):
        value.clv(bg, gg)
    with pytest.raises(CxlabError, match="months must be a whole number"):
        value.clv(bg, gg, summary, months=0)


def test_fits_match_an_independent_r_implementation(published):
    """``tests/reference/make_reference_value.R``: the two likelihoods written from the
    papers in base R, maximised by ``optim``, standard errors from ``optimHess``."""
    ref = pd.read_csv(Path(__file__).parent / "reference" / "r_value.csv")
    fits = {
        "bgnbd": value.bgnbd(published, frequency="x", recency="t_x"),
        "gamma_gamma": value.gamma_gamma(published, frequency="x", monetary="zbar"),
    }
    for model, r in ref.groupby("model"):
        m = fits[model]
        np.testing.assert_allclose(m.params_[r["param"]], r["estimate"], rtol=1e-4)
        np.testing.assert_allclose(m.se_[r["param"]], r["se"], rtol=1e-3)
        assert m.log_likelihood_ == pytest.approx(r["loglik"].iloc[0], abs=1e-4)


def test_clv_method_equals_the_function(summary):
    bg, gg = value.bgnbd(summary), value.gamma_gamma(summary)
    pd.testing.assert_frame_equal(gg.clv(bg, months=6), value.clv(bg, gg, months=6))


def test_unidentified_parameters_warn_and_give_nan_errors():
    """Without repeat purchases the dropout parameters a, b leave the likelihood flat."""
    s = pd.DataFrame({"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.linspace(5, 40, 50)})
    with pytest.warns(RuntimeWarning, match="not positive definite"):
        m = value.bgnbd(s)
    assert not m.converged_ and m.se_.isna().all()


def test_gamma_gamma_on_counts_of_distinct_rows_equals_the_customer_level_fit(published):
    rows = published.groupby(["x", "zbar"], as_index=False).size()
    assert len(rows) < len(published)
    full = value.gamma_gamma(published, frequency="x", monetary="zbar")
    grouped = value.gamma_gamma(rows, frequency="x", monetary="zbar", weight="size")
    np.testing.assert_allclose(grouped.params_, full.params_, rtol=1e-4)
    np.testing.assert_allclose(grouped.se_, full.se_, rtol=1e-3)
    assert (grouped.n_, grouped.n_excluded_) == (946, 1411)


def test_clv_bootstrap_interval_is_reproducible_and_brackets_the_estimate(summary):
    bg, gg = value.bgnbd(summary), value.gamma_gamma(summary)
    one = value.clv(bg, gg, summary.head(20), n_boot=100, seed=7)
    two = gg.clv(bg, summary.head(20), n_boot=100, seed=7)
    pd.testing.assert_frame_equal(one, two)
    point = value.clv(bg, gg, summary.head(20))
    pd.testing.assert_series_equal(one["clv"], point["clv"])
    assert (one["low"] < one["clv"]).all() and (one["clv"] < one["high"]).all()
    with pytest.raises(CxlabError, match="n_boot must be a whole number >= 0"):
        value.clv(bg, gg, n_boot=-1)


def test_conditional_expectation_stays_finite_for_very_frequent_buyers(summary):
    """Eq. 10's hypergeometric term overflows for hundreds of purchases (computed as
    written it gives NaN at x = 500, t = 520); after Euler's transformation it is finite
    and grows with x."""
    m = value.bgnbd(summary)
    d = pd.DataFrame({"frequency": [100, 500, 2000], "recency": [39.0] * 3, "T": [39.0] * 3})
    e = m.conditional_expected_purchases(520.0, d).to_numpy()
    assert np.isfinite(e).all() and (np.diff(e) > 0).all()
    # a buyer at x per 39 weeks who just bought expects about that rate, discounted by dropout
    assert e[2] > 1000


def test_customers_first_seen_on_the_last_day_add_nothing_to_the_fit(summary):
    """T = 0 (first purchase on the calibration end date, common in real extracts):
    likelihood 1, so the fit is the same with or without them."""
    newcomers = pd.DataFrame(
        {"customer_id": [-1, -2], "frequency": [0, 0], "recency": [0.0, 0.0], "T": [0.0, 0.0]}
    )
    both = value.bgnbd(pd.concat([summary, newcomers], ignore_index=True))
    np.testing.assert_allclose(both.params_, value.bgnbd(summary).params_, rtol=1e-5)
    assert both.probability_alive(newcomers).tolist() == [1.0, 1.0]


def test_conditional_expectation_stays_finite_without_dropout_heterogeneity():
    """a, b in the millions (the fit on data without heterogeneity in dropout, as the demo
    warehouse's) overflow the transformed form; the result must be finite and equal the
    limit approached with a, b in the thousands at the same mean dropout a / (a + b)."""
    from cxlab.value.bgnbd import conditional_expected_purchases

    x, t_x, age = [0, 3, 10], [0.0, 100.0, 120.0], [143.0] * 3
    t = np.array([[30.0], [365.0]])
    huge = conditional_expected_purchases((1.6, 62.5, 0.05e7, 0.95e7), t, x, t_x, age)
    large = conditional_expected_purchases((1.6, 62.5, 0.05e4, 0.95e4), t, x, t_x, age)
    assert np.isfinite(huge).all()
    np.testing.assert_allclose(huge, large, rtol=5e-3)


# --- fits on distinct rows with counts (issue #11 point 6): the engine's rfm_counts


@pytest.fixture(scope="module")
def duck(transactions, tmp_path_factory):
    """The CDNOW transactions as a warehouse-like DuckDB table (DATE column)."""
    import duckdb
    import ibis

    db = tmp_path_factory.mktemp("cdnow") / "tx.duckdb"
    tx = transactions  # noqa: F841 (read by DuckDB's replacement scan)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE transactions AS SELECT CAST(customer_id AS VARCHAR) AS customer_id, "
            "CAST(date AS DATE) AS date, revenue FROM tx"
        )
    return ibis.duckdb.connect(str(db), read_only=True).table("transactions")


def test_rfm_counts_in_the_engine_are_the_counts_of_rfm_rows(transactions, duck):
    summary = value.rfm(transactions, end="1997-09-30", unit="weeks")
    expected = (
        summary.groupby(["frequency", "recency", "T"], as_index=False)
        .size()
        .rename(columns={"size": "customers"})
    )
    for data in (transactions, duck):
        got = value.rfm_counts(data, end="1997-09-30", unit="weeks")
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["customers"].sum() == 2357 and len(got) < 2357
    days = value.rfm_counts(duck, end="1997-09-30", unit="days", count="n")
    np.testing.assert_allclose(days["T"].to_numpy(), got["T"].to_numpy() * 7)


def test_bgnbd_on_engine_counts_equals_the_per_customer_fit(transactions, duck):
    summary = value.rfm(transactions, end="1997-09-30", unit="weeks")
    full = value.bgnbd(summary)
    grouped = value.bgnbd(value.rfm_counts(duck, end="1997-09-30"), weight="customers")
    np.testing.assert_allclose(grouped.params_, full.params_, rtol=1e-8, atol=0)
    np.testing.assert_allclose(grouped.se_, full.se_, rtol=1e-8, atol=0)
    assert grouped.log_likelihood_ == pytest.approx(full.log_likelihood_, rel=1e-12)
    assert grouped.n_ == full.n_ == 2357
    # and the published estimates (Fader, Hardie & Lee 2005) still hold
    np.testing.assert_array_equal(grouped.params_.round(3).to_numpy(), [0.243, 4.414, 0.793, 2.426])


def test_gamma_gamma_on_counts_of_distinct_rows_equals_the_per_customer_fit(transactions):
    summary = value.rfm(transactions, end="1997-09-30", unit="weeks")
    rows = summary.groupby(["frequency", "monetary"], as_index=False, dropna=False).size()
    assert len(rows) < len(summary)
    full = value.gamma_gamma(summary)
    grouped = value.gamma_gamma(rows, weight="size")
    np.testing.assert_allclose(grouped.params_, full.params_, rtol=1e-8, atol=0)
    np.testing.assert_allclose(grouped.se_, full.se_, rtol=1e-8, atol=0)
    assert (grouped.n_, grouped.n_excluded_) == (full.n_, full.n_excluded_)


def test_a_row_given_twice_counts_as_a_row_with_weight_two(transactions):
    s = value.rfm(transactions, end="1997-09-30").head(600)
    twice = pd.concat([s, s], ignore_index=True)
    a, b = value.bgnbd(twice), value.bgnbd(s.assign(w=2.0), weight="w")
    assert a.converged_ and b.converged_
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-8, atol=0)
