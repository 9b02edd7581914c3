"""Fits on distinct rows with counts (issue #11 point 6): the engine's ``rfm_counts`` and
weighted BG/NBD / Gamma-Gamma give the per-customer estimates on the CDNOW data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlab import value

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
