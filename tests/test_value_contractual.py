"""cxlab.value.contractual: contractual CLV by group, with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlab import value
from cxlab.errors import CxlabError


def test_long_horizon_equals_gupta_lehmann_closed_form():
    """Gupta & Lehmann (2003), "Customers as assets", J. Interactive Marketing 17(1):
    with an infinite horizon, CLV = m r / (1 + d - r)."""
    d = pd.DataFrame({"margin": [100.0] * 10, "retained": [1] * 8 + [0] * 2})
    res = value.contractual_clv(d, horizon=2000, discount_rate=0.1)
    assert res.loc[0, "clv"] == pytest.approx(100 * 0.8 / (1.1 - 0.8), rel=1e-12)
    # margins all equal: the interval is the Wilson interval of retention mapped through the sum
    lo, hi = res.loc[0, ["retention_low", "retention_high"]] / 100
    assert res.loc[0, "low"] == pytest.approx(100 * lo / (1.1 - lo), rel=1e-9)
    assert res.loc[0, "high"] == pytest.approx(100 * hi / (1.1 - hi), rel=1e-9)


def test_no_interval_when_the_margin_interval_reaches_zero():
    d = pd.DataFrame({"margin": [100.0, -90.0, 5.0], "retained": [1, 1, 0]})
    row = value.contractual_clv(d).iloc[0]
    assert np.isfinite(row["clv"]) and np.isnan(row["low"]) and np.isnan(row["high"])
    assert "reaches 0" in row["note"]


def test_groups_by_segment_and_ltr_category_in_the_engine():
    d = pd.DataFrame(
        {
            "segment": ["A", "A", "A", "A", "B", "B", "B", "B"],
            "ltr": [10, 9, 3, 2, 9, 10, 8, None],
            "margin": [100.0, 110.0, 90.0, 80.0, 50.0, 60.0, 55.0, 40.0],
            "retained": [True, True, False, True, True, True, True, False],
        }
    )
    t = value.ltr_category(d)
    res = value.contractual_clv(t, by=["segment", "ltr_category"], horizon=3, discount_rate=0.05)
    got = res.set_index(["segment", "ltr_category"])
    assert list(got.index) == [
        ("A", "detractor"),
        ("A", "promoter"),
        ("B", "not recorded"),
        ("B", "passive"),
        ("B", "promoter"),
    ]
    row = got.loc[("A", "detractor")]
    q = 0.5 / 1.05
    assert row["clv"] == pytest.approx(85.0 * (q + q**2 + q**3))
    assert row["n"] == 2 and row["retention"] == 50.0 and row["flag"] == "unreliable"
    lo, hi = (
        v / 100
        for v in value.contractual_clv(d, horizon=3).loc[0, ["retention_low", "retention_high"]]
    )
    assert (lo, hi) == pytest.approx(stats.binomtest(6, 8).proportion_ci(method="wilson"), rel=1e-9)


def test_intervals_cover_the_true_clv_at_about_the_nominal_rate():
    """Seeds 1..200, one group each of 300 customers with margin ~ Gamma(2, 50) (mean
    100) and retention 0.8; true CLV = 100 x sum_{t=1..5} (0.8 / 1.1)^t. If the 95%
    intervals are right the number covering it is Binomial(200, 0.95): the test
    fails outside that distribution's 0.1% and 99.9% quantiles (179 and 198), with
    probability under 0.2% when the coverage is nominal."""
    frames = []
    for seed in range(1, 201):
        rng = np.random.default_rng(seed)
        frames.append(
            pd.DataFrame(
                {
                    "seed": seed,
                    "margin": rng.gamma(2.0, 50.0, 300),
                    "retained": rng.binomial(1, 0.8, 300),
                }
            )
        )
    res = value.contractual_clv(pd.concat(frames), by="seed", horizon=5, discount_rate=0.1)
    truth = 100 * float(value.discounted_periods(0.8, 0.1, 5))
    hits = int(((res["low"] <= truth) & (truth <= res["high"])).sum())
    assert stats.binom.ppf(0.001, 200, 0.95) <= hits <= stats.binom.ppf(0.999, 200, 0.95)


def test_no_customer_retained_gives_zero_with_a_one_sided_interval():
    d = pd.DataFrame({"margin": [10.0, 12.0, 11.0], "retained": [0, 0, 0]})
    row = value.contractual_clv(d, horizon=4).iloc[0]
    assert row["clv"] == 0 and row["low"] == 0 and row["high"] > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": 0}, "horizon must be a whole number >= 1"),
        ({"discount_rate": -1.0}, "discount_rate must be a number > -1"),
        ({"level": 95}, "level must lie strictly between 0 and 1"),
        ({"by": "region"}, "'region' not found"),
    ],
)
def test_refuses_bad_arguments(kwargs, message):
    d = pd.DataFrame({"margin": [10.0, 12.0], "retained": [1, 0]})
    with pytest.raises(CxlabError, match=message):
        value.contractual_clv(d, **kwargs)


def test_refuses_retention_values_other_than_one_and_zero():
    d = pd.DataFrame({"margin": [10.0, 12.0, 3.0], "retained": [1, 2, 0]})
    with pytest.raises(CxlabError, match=r"'retained' must be 1/0 .* 1 row\(s\)"):
        value.contractual_clv(d)
