"""The retention and value report's sentences: realistic, tiny and hostile input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cxlab import retention, value
from cxlab._html import md_escape
from cxlab.retention import narrative as rn
from cxlab.value import narrative as vn
from cxlab.value.book import contract_book

HOSTILE = ["<img src=x onerror=alert(1)>", "$x$", "[a](javascript:alert(1))"]


def _inert(text: str, raw: str) -> None:
    """``raw`` appears only escaped: no tag, no math, no link survives."""
    assert raw not in text
    assert md_escape(raw) in text


def _sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", re.sub(r"\d\.\d|\(.*?\)", "", text)))


def _survey_data(n: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` customers, one survey each; detractors churn sooner (hazards 3:1.5:1)."""
    rng = np.random.default_rng(seed)
    ltr = rng.integers(0, 11, n)
    hazard = np.where(ltr <= 6, 3.0, np.where(ltr <= 8, 1.5, 1.0)) / 900
    survey = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    churn = survey + pd.to_timedelta(np.ceil(rng.exponential(1 / hazard)), unit="D")
    end = pd.Timestamp("2026-06-30")
    ids = [f"c{i:04d}" for i in range(n)]
    responses = pd.DataFrame({"customer_id": ids, "survey_date": survey.date, "ltr": ltr})
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "segment": rng.choice(["Consumer", "Enterprise"], n),
            "signup_date": (survey - pd.Timedelta(days=400)).date,
            "churn_date": pd.Series(churn).where(churn <= end).dt.date,
        }
    )
    return responses, customers


def test_title_names_units_and_escapes_them():
    assert rn.title("ALL", "2026Q3") == "# Retention and customer value: all units, to 2026Q3"
    text = rn.title(",".join(HOSTILE), "2026Q3")
    for raw in HOSTILE:
        _inert(text, raw)


def test_rates_text_on_real_rates_tiny_bases_and_no_one_active():
    c = pd.DataFrame(
        {
            "signup_date": pd.to_datetime(["2025-01-10"] * 4).date,
            "churn_date": pd.to_datetime([None, "2025-05-01", "2025-08-01", None]).date,
        }
    )
    text = rn.rates_text(retention.churn_rates(c, end="2025Q3"))
    assert text.startswith("In 2025Q3, 33.3% (95% interval ")
    assert "of the 3 customers active at its start left (an unreliable base)." in text
    assert "ranged from 25.0% to 33.3%" in text
    empty = pd.DataFrame({"quarter": ["2025Q1"], "n": [0], "churn_rate": [np.nan]})
    assert rn.rates_text(empty).startswith("No customer was active")


def test_after_text_lead_and_cox_on_realistic_data():
    responses, customers = _survey_data(600)
    after = retention.churn_after_survey(responses, customers, end="2026-06-30")
    text = rn.after_text(after, 365)
    assert text.startswith("Still active 365 days after the survey: detractors ")
    assert "passives" in text and "promoters" in text and "log-rank" in text
    model = rn.survey_cox(responses, customers, end="2026-06-30")
    assert not isinstance(model, str)
    hr = model.summary_.set_index("term").loc["detractor", ["low", "high"]]
    assert hr["low"] < 3.0 < hr["high"]  # the planted hazard ratio
    cox = rn.cox_text(model)
    assert cox.startswith("Holding segment fixed, detractors left at ")
    assert "proportional" in cox
    labels = rn.cox_table(model)["label"].tolist()
    assert labels[:2] == ["Detractors against promoters", "Passives against promoters"]
    tx = pd.DataFrame(
        {
            "customer_id": responses["customer_id"],
            "unit": "North",
            "date": pd.to_datetime(responses["survey_date"]) - pd.Timedelta(days=30),
            "margin": 100.0,
        }
    )
    risk = retention.revenue_at_risk(
        responses.assign(unit="North"), customers, tx, horizon=365, end="2026-06-30"
    )
    rates = retention.churn_rates(customers, end="2026Q2")
    lead = rn.lead(rates, after, risk, days=365)
    assert _sentences(lead) <= 3
    assert "of detractors had left, against" in lead
    assert "Detractors' excess churn puts about " in lead
    noise = risk.assign(value_low=-1e6, value_high=1e6)
    assert "cannot be told apart from zero" in rn.lead(rates, after, noise, days=365)


def test_small_groups_give_sentences_not_errors():
    responses, customers = _survey_data(6)
    after = retention.churn_after_survey(responses.head(1), customers, end="2026-06-30")
    text = rn.after_text(after, 365)
    assert "no log-rank test" in text
    gone = pd.DataFrame(  # every detractor left: survival 0, no Greenwood interval
        {"customer_id": ["a", "b", "c"], "churn_date": pd.to_datetime(["2025-02-01", None, None])}
    )
    said = pd.DataFrame({"customer_id": ["a", "b", "c"], "ltr": [2, 9, 10]}).assign(
        survey_date=pd.Timestamp("2025-01-01").date()
    )
    text = rn.after_text(
        retention.churn_after_survey(
            said, gone.assign(churn_date=gone.churn_date.dt.date), end="2026-06-30"
        ),
        365,
    )
    assert "detractors 0.0% (no interval: every one of them left)" in text
    assert "nan" not in text
    assert isinstance(rn.survey_cox(responses.head(2), customers, end="2026-06-30"), str)
    empty = pd.DataFrame(
        {"unit": ["North"], "value_at_risk": [np.nan], "value_low": [np.nan]}
    ).assign(value_high=np.nan)
    assert rn.at_risk_text(empty, "unit", 365).startswith("No group has both")
    assert "Too few surveys" in rn.lead(
        retention.churn_rates(customers, end="2026Q2"), after, empty, days=365
    )


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_group_names_are_escaped(raw):
    risk = pd.DataFrame(
        {
            "unit": [raw, "b"],
            "value_at_risk": [500.0, 100.0],
            "value_low": [300.0, 0.0],
            "value_high": [700.0, 200.0],
        }
    )
    text = rn.at_risk_text(risk, "unit", 365)
    _inert(text, raw)
    assert "about 600 of margin" in text
    book = pd.DataFrame(
        {
            "segment": [raw] * 8,
            "ltr_category": ["detractor"] * 4 + ["promoter"] * 4,
            "margin": [100.0, 90, 80, 120, 100, 110, 95, 105],
            "retained": [1, 0, 0, 1, 1, 1, 1, 0],
        }
    )
    worth = value.contractual_clv(book, by=["segment", "ltr_category"])
    text = vn.contractual_text(worth)
    _inert(text, raw)
    assert "a detractor is worth" in text


def test_contractual_text_without_intervals_or_groups():
    book = pd.DataFrame(
        {
            "segment": ["A", "A"],
            "ltr_category": ["detractor", "promoter"],
            "margin": [100.0, 50.0],
            "retained": [1, 1],
        }
    )
    text = vn.contractual_text(value.contractual_clv(book, by=["segment", "ltr_category"]))
    assert "too few customers for an interval" in text
    none = value.contractual_clv(book.assign(ltr_category="passive"), by=["ltr_category"])
    assert "too few detractors or promoters" in vn.contractual_text(none)


def test_contract_book_keeps_only_customers_active_at_the_start():
    c = pd.DataFrame(
        {
            "customer_id": ["gone", "stay", "new"],
            "segment": ["X"] * 3,
            "signup_date": pd.to_datetime(["2023-01-01", "2023-01-01", "2025-06-01"]).date,
            "churn_date": pd.to_datetime(["2024-06-01", None, None]).date,
        }
    )
    r = pd.DataFrame(
        {
            "customer_id": ["stay", "stay"],
            "survey_date": pd.to_datetime(["2024-03-01", "2025-03-01"]).date,
            "ltr": [9, 2],  # the later answer comes after the start: not used
        }
    )
    t = pd.DataFrame(
        {"customer_id": ["stay"], "date": pd.to_datetime(["2024-05-01"]), "margin": [40.0]}
    )
    book = contract_book(c, r, t, end="2025-12-31")
    assert book.to_dict("records") == [
        {
            "customer_id": "stay",
            "segment": "X",
            "margin": 40.0,
            "retained": 1,
            "ltr_category": "promoter",
        }
    ]


def test_fit_purchases_says_why_there_is_no_model():
    none = pd.DataFrame({"frequency": [0, 0], "recency": [0.0] * 2, "T": [5.0, 6.0]})
    assert vn.purchases_text(vn.fit_purchases(none)).startswith("No customer bought more")
    few = none.assign(frequency=[1, 0], recency=[2.0, 0.0], monetary=[10.0, np.nan])
    assert "too few to fit" in vn.fit_purchases(few)


def test_fit_purchases_on_a_buy_till_you_die_cohort():
    rng = np.random.default_rng(7)
    n = 800
    lam = rng.gamma(1.0, 1 / 8.0, n)  # purchases per week
    p = rng.beta(1.0, 4.0, n)
    T = np.full(n, 52.0)
    freq, rec = np.zeros(n, int), np.zeros(n)
    for i in range(n):
        t, k = 0.0, 0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            k, rec[i] = k + 1, t
            if rng.random() < p[i]:
                break
        freq[i] = k
    summary = pd.DataFrame(
        {"frequency": freq, "recency": rec, "T": T, "monetary": np.where(freq > 0, 50.0, np.nan)}
    )
    summary.loc[freq > 0, "monetary"] = rng.gamma(4.0, 12.5, int((freq > 0).sum()))
    fit = vn.fit_purchases(summary)
    assert not isinstance(fit, str)
    text = vn.purchases_text(fit, months=12)
    assert text.startswith(f"Over {n:,} customers with a purchase, the models give")
    table = vn.params_table(fit)
    assert table["model"].tolist() == ["BG/NBD"] * 4 + ["Gamma-Gamma"] * 3


def test_a_fit_that_does_not_converge_gives_one_sentence_and_no_numbers(monkeypatch):
    summary = pd.DataFrame(
        {"frequency": [1, 2] * 10, "recency": [3.0, 5.0] * 10, "T": [10.0] * 20}
    ).assign(monetary=20.0)
    real = vn.bgnbd

    def stuck(*args, **kwargs):
        fit = real(*args, **kwargs)
        fit.converged_ = False
        return fit

    monkeypatch.setattr(vn, "bgnbd", stuck)
    text = vn.purchases_text(vn.fit_purchases(summary))
    assert text.startswith("The BG/NBD and Gamma-Gamma models did not converge")
    assert not re.search(r"\d", text)


def test_churn_section_does_not_repeat_the_summary_first_sentence():
    c = pd.DataFrame(
        {
            "signup_date": pd.to_datetime(["2025-01-10"] * 6).date,
            "churn_date": pd.to_datetime(
                [None, "2025-05-01", "2025-08-01", None, "2025-04-20", None]
            ).date,
        }
    )
    rates = retention.churn_rates(c, end="2025Q3")
    first = rn.rates_text(rates).split(". Over")[0]  # the sentence the summary opens with
    section = rn.rates_text(rates, latest=False)
    assert first not in section and "2025Q3" not in section
    assert "ranged from" in section and "in 2025Q2, the quarter before the latest" in section
    one = rates[rates["n"] > 0].head(1)
    assert rn.rates_text(one, latest=False).startswith("No earlier quarter")


def test_cox_table_example_is_not_degenerate():
    import warnings

    d = pd.DataFrame(
        {
            "t": [5, 8, 3, 9, 4, 7, 2, 6],
            "e": [1, 0, 1, 1, 1, 0, 1, 1],
            "detractor": [1.0, 0, 1, 0, 0, 0, 1, 1],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # overflow in exp
        warnings.filterwarnings("error", message=".*converge.*")
        table = rn.cox_table(retention.CoxPH().fit(d, "t", "e", ["detractor"]))
    assert np.isfinite(table[["hr", "low", "high"]].to_numpy()).all()


def _cohort_table(cohorts: int, quarters: int, flag: str) -> pd.DataFrame:
    rows = [
        (f"20{20 + k // 4}Q{1 + k % 4}", q, 100.0 - 3 * q, flag)
        for k in range(cohorts)
        for q in range(quarters)
    ]
    return pd.DataFrame(rows, columns=["cohort", "quarters_since", "retention_rate", "flag"])


def test_cohort_heat_map_stays_readable_on_tiny_data():
    from matplotlib.figure import Figure

    from cxlab.plots.style import SMALL

    # every cell unreliable: the mark is said once on the axis, not in each cell
    ax = Figure(figsize=(5.5, 3)).subplots()
    retention.plot_cohort_retention(_cohort_table(2, 8, "unreliable"), ax=ax)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 16 and not any("*" in t for t in texts)
    assert "every cell ** (unreliable base)" in ax.get_xlabel().replace("\n", " ")
    assert all(t.get_fontsize() <= SMALL for t in ax.texts)
    # mixed bases keep their marks per cell
    mixed = _cohort_table(2, 3, "indicative")
    mixed.loc[0, "flag"] = "reportable"
    ax = Figure(figsize=(5.5, 3)).subplots()
    retention.plot_cohort_retention(mixed, ax=ax)
    assert [t.get_text() for t in ax.texts][:2] == ["100", "97*"]
    # cells too narrow for even a small font: no labels rather than overlapping ones
    ax = Figure(figsize=(2, 2)).subplots()
    retention.plot_cohort_retention(_cohort_table(2, 40, "reportable"), ax=ax)
    assert len(ax.texts) == 0 and "too narrow" in ax.get_xlabel().replace("\n", " ")
