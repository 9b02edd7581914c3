"""cxlab.retention on the demo warehouse and on hostile or tiny input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab import retention, warehouse
from cxlab.errors import CxlabError

# ----------------------------------------------------------------- demo warehouse


@pytest.fixture(scope="module")
def demo(demo_warehouse):
    db, truth = demo_warehouse
    con = warehouse.connect(db)
    return con, truth


def test_churn_after_survey_recovers_the_planted_churn_by_ltr_category(demo):
    con, truth = demo
    res = retention.churn_after_survey(
        con.table("responses"), con.table("customers"), score="ltr", level=0.99
    )
    window = truth["churn"]["window_days"]
    at = res.at(window).set_index("category")
    assert list(at.index) == ["detractor", "passive", "promoter"]
    for cat, rate in truth["churn"]["rate_by_category"].items():
        assert at.loc[cat, "low"] <= 1 - rate <= at.loc[cat, "high"], cat
    assert res.logrank_["p"].iloc[0] < 1e-6
    from matplotlib.figure import Figure

    ax = res.plot(ax=Figure().subplots())
    assert [ln.get_label() for ln in ax.get_lines()] == ["detractor", "passive", "promoter"]
    # every identified, scored response counts, censored ones too (say_do drops those)
    assert res.median_["n"].sum() > sum(truth["churn"]["observed_surveys"].values())


def test_survey_durations_in_the_engine_equal_a_pandas_rebuild(demo):
    con, _ = demo
    r = con.table("responses").to_pandas()
    c = con.table("customers").to_pandas()
    end = max(pd.Timestamp(r["survey_date"].max()), pd.Timestamp(c["churn_date"].max()))
    j = r[r["ltr"].notna() & r["customer_id"].notna()].merge(c, on="customer_id")
    sd, cd = pd.to_datetime(j["survey_date"]), pd.to_datetime(j["churn_date"])
    j = j[cd.isna() | (cd > sd)]
    sd, cd = sd[j.index], cd[j.index]
    churned = cd.notna() & (cd <= end)
    days = np.where(churned, (cd - sd).dt.days, (end - sd).dt.days)
    frame = pd.DataFrame(
        {
            "category": pd.cut(
                j["ltr"], [-1, 6, 8, 10], labels=["detractor", "passive", "promoter"]
            ),
            "days": days.astype(float),
            "churned": churned.astype(int).to_numpy(),
        }
    )
    frame["category"] = frame["category"].astype(str)
    ours = retention.churn_after_survey(con.table("responses"), con.table("customers"))
    ref = retention.survival(frame, "days", "churned", by="category")
    ref = ref.set_index(["category", "time"]).sort_index()
    got = ours.survival_.set_index(["category", "time"]).sort_index()
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-12)


def test_engine_and_pandas_inputs_give_the_same_curve(demo):
    con, _ = demo
    c = con.table("customers")
    t = retention.customer_tenure(c)
    a = retention.survival(t, "days", "churned", by="segment")
    b = retention.survival(t.to_pandas(), "days", "churned", by="segment")
    pd.testing.assert_frame_equal(a, b)
    # the tenure is the definition, customer by customer
    frame = c.to_pandas()
    end = max(pd.to_datetime(frame["signup_date"]).max(), pd.to_datetime(frame["churn_date"]).max())
    stop = pd.to_datetime(frame["churn_date"]).fillna(end)
    days = (stop - pd.to_datetime(frame["signup_date"])).dt.days
    mine = t.to_pandas().set_index("customer_id").loc[frame["customer_id"]]
    assert (mine["days"].to_numpy() == days.to_numpy()).all()
    assert (mine["churned"].to_numpy() == frame["churn_date"].notna().to_numpy()).all()
    # and Cox runs on it from the engine: segment as a categorical covariate
    m = retention.CoxPH().fit(t, "days", "churned", ["segment"])
    assert len(m.summary_) == frame["segment"].nunique() - 1


# ------------------------------------------------------------ hostile and tiny input


def _frame(**cols):
    return pd.DataFrame(cols)


def test_missing_column_is_named():
    d = _frame(t=[1, 2], e=[1, 0])
    with pytest.raises(CxlabError, match=r"'months'.*not found in data; available: t, e"):
        retention.survival(d, "months", "e")


@pytest.mark.parametrize(
    ("t", "e", "message"),
    [
        ([1.0, -2.0, 3.0], [1, 0, 1], r"column 't' \(duration\) is negative in 1 row"),
        ([1.0, None, 3.0], [1, 0, 1], r"column 't' \(duration\) is missing in 1 row"),
        ([1.0, 2.0, 3.0], [1, 2, 1], r"column 'e' \(event\) is not 0/1 in 1 row"),
        ([1.0, np.inf, 3.0], [1, 0, 1], r"infinite or NaN in 1 row"),
    ],
)
def test_bad_rows_get_one_message_naming_column_rule_and_rows(t, e, message):
    with pytest.raises(CxlabError, match=message):
        retention.survival(_frame(t=t, e=e), "t", "e")


def test_text_columns_are_refused_with_the_rule():
    with pytest.raises(CxlabError, match="'t' \\(duration\\) must be numeric"):
        retention.survival(_frame(t=["1", "2"], e=[1, 0]), "t", "e")


def test_empty_data_is_refused():
    with pytest.raises(CxlabError, match="no rows"):
        retention.survival(
            _frame(t=pd.Series([], dtype=float), e=pd.Series([], dtype=int)), "t", "e"
        )


def test_one_customer():
    got = retention.survival(_frame(t=[5], e=[1]), "t", "e")
    assert got[["at_risk", "events", "survival"]].iloc[0].tolist() == [1.0, 1.0, 0.0]
    assert np.isnan(got["low"].iloc[0]) and np.isnan(got["se"].iloc[0])  # as R: no interval at 0
    med = retention.median_survival(_frame(t=[5], e=[1]), "t", "e")
    assert med["median"].iloc[0] == 5.0


def test_all_censored_keeps_survival_at_one_and_has_no_median():
    d = _frame(t=[1, 2, 3], e=[False, False, False])
    for conf_type in retention.CONF_TYPES:
        got = retention.survival(d, "t", "e", conf_type=conf_type)
        assert (got["survival"] == 1.0).all()
        assert (got["censored"] == 1.0).all()
    assert np.isnan(retention.median_survival(d, "t", "e")["median"].iloc[0])
    with pytest.raises(CxlabError, match="no events"):
        retention.cox(d.assign(x=[1.0, 2.0, 4.0]), "t", "e", ["x"])


def test_groups_with_one_member_and_logrank_needs_two_groups():
    d = _frame(t=[1, 2, 3, 4], e=[1, 1, 0, 1], g=["a", "a", "a", "b"])
    got = retention.survival(d, "t", "e", by="g")
    assert got.groupby("g").size().to_dict() == {"a": 3, "b": 1}
    with pytest.raises(CxlabError, match="at least two groups"):
        retention.logrank(d[d["g"] == "a"], "t", "e", "g")


def test_bad_options_are_refused():
    d = _frame(t=[1, 2], e=[1, 0], x=[1.0, 2.0])
    with pytest.raises(CxlabError, match="conf_type must be one of"):
        retention.survival(d, "t", "e", conf_type="arcsin")
    with pytest.raises(CxlabError, match="level must lie strictly between 0 and 1"):
        retention.survival(d, "t", "e", level=95)
    with pytest.raises(CxlabError, match="ties must be 'efron' or 'breslow'"):
        retention.cox(d, "t", "e", ["x"], ties="exact")
    with pytest.raises(CxlabError, match="negative or infinite"):
        retention.survival(d.assign(w=[1.0, -1.0]), "t", "e", weight="w")


def test_cox_refuses_constant_and_missing_covariates():
    d = _frame(t=[1, 2, 3, 4], e=[1, 1, 0, 1], x=[1.0, 1.0, 1.0, 1.0], y=[1.0, None, 2.0, 3.0])
    with pytest.raises(CxlabError, match="constant or collinear"):
        retention.cox(d, "t", "e", ["x"])
    with pytest.raises(CxlabError, match=r"missing in 'y' \(1 rows\)"):
        retention.cox(d, "t", "e", ["y"])


def test_churn_after_survey_refuses_unknown_score_without_breaks():
    r = _frame(customer_id=["a"], survey_date=[pd.Timestamp("2025-01-01").date()], nps_q=[3])
    c = _frame(customer_id=["a"], churn_date=[None])
    with pytest.raises(CxlabError, match="give breaks"):
        retention.churn_after_survey(r, c, score="nps_q")


# ------------------------------------------------------------------- churn rates


def _brute_churn(c: pd.DataFrame, quarter: str, by: str | None = None) -> pd.DataFrame:
    """Churn in one quarter, customer by customer (the definition, in pandas)."""
    from cxlab import periods

    q0 = pd.Period(quarter, freq="Q").start_time
    q1 = pd.Period(quarter, freq="Q").end_time.normalize()
    s, ch = pd.to_datetime(c["signup_date"]), pd.to_datetime(c["churn_date"])
    active = (s < q0) & (ch.isna() | (ch >= q0))
    lost = active & (ch <= q1)
    assert periods.quarter_labels(pd.Series([q0]))[0] == quarter
    d = pd.DataFrame({"g": c[by] if by else "all", "n": active, "lost": lost})
    return d.groupby("g")[["n", "lost"]].sum()


def test_churn_rates_equal_a_customer_by_customer_count(demo):
    con, _ = demo
    c = con.table("customers")
    got = retention.churn_rates(c, by="segment")
    frame = c.to_pandas()
    for quarter in ("2020Q1", "2023Q4", "2026Q3"):
        ref = _brute_churn(frame, quarter, "segment")
        ours = got[got["quarter"] == quarter].set_index("segment")
        assert ours["n"].to_dict() == ref["n"].to_dict()
        assert ours["lost"].to_dict() == ref["lost"].to_dict()
    # the Wilson interval of statsmodels, in percent, and the base flag
    from statsmodels.stats.proportion import proportion_confint

    row = got.iloc[-1]
    lo, hi = proportion_confint(row["lost"], row["n"], method="wilson")
    assert (row["churn_low"], row["churn_high"]) == pytest.approx((100 * lo, 100 * hi))
    assert row["retention_rate"] == pytest.approx(100 - row["churn_rate"])
    assert set(got["flag"]) <= {"reportable", "indicative", "unreliable"}
    by_cohort = retention.churn_rates(c, by="cohort", start="2024Q1", end="2024Q1")
    ref = _brute_churn(
        frame.assign(cohort=pd.to_datetime(frame["signup_date"]).dt.to_period("Q").astype(str)),
        "2024Q1",
        "cohort",
    )
    ours = by_cohort.set_index("cohort")
    assert ours["n"].to_dict() == ref["n"].to_dict()
    assert ours["lost"].to_dict() == ref["lost"].to_dict()


def test_cohort_retention_equals_a_customer_by_customer_count(demo):
    con, _ = demo
    c = con.table("customers")
    got = retention.cohort_retention(c, by="unit").set_index(["unit", "cohort", "quarters_since"])
    frame = c.to_pandas()
    cohort = pd.to_datetime(frame["signup_date"]).dt.to_period("Q")
    churn_q = pd.to_datetime(frame["churn_date"]).dt.to_period("Q")
    unit = frame["unit"].iloc[0]
    first = cohort[frame["unit"] == unit].min()
    for k in (0, 3, 8):
        mine = (frame["unit"] == unit) & (cohort == first)
        kept = mine & (churn_q.isna() | (churn_q > first + k))
        row = got.loc[(unit, str(first), k)]
        assert (row["n"], row["retained"]) == (mine.sum(), kept.sum())


def test_churn_rates_by_ltr_category_use_answers_before_the_period(demo):
    con, _ = demo
    c = retention.with_ltr_category(
        con.table("customers"), con.table("responses"), before="2025-01-01"
    )
    got = retention.churn_rates(c, by="category", start="2025Q1", end="2025Q4")
    assert set(got["category"]) == {"detractor", "passive", "promoter", "no answer"}
    mean = got.groupby("category")["churn_rate"].mean()
    assert mean["detractor"] > mean["passive"] > mean["promoter"]  # the planted order


def test_churn_rates_flag_empty_groups_and_refuse_impossible_dates():
    c = _frame(
        signup_date=pd.to_datetime(["2025-01-10", "2025-07-01"]).date,
        churn_date=pd.to_datetime([None, None]).date,
        segment=["a", "b"],
    )
    got = retention.churn_rates(c, by="segment", start="2025Q2", end="2025Q3")
    b = got[got["segment"] == "b"]
    assert b["flag"].tolist() == ["empty", "empty"] and b["churn_rate"].isna().all()
    one = got[got["segment"] == "a"]
    assert one["flag"].tolist() == ["unreliable", "unreliable"]
    bad = c.assign(churn_date=pd.to_datetime(["2024-01-01", None]).date)
    with pytest.raises(CxlabError, match="'churn_date' is before 'signup_date' in 1 row"):
        retention.churn_rates(bad)
    with pytest.raises(CxlabError, match="'signup_date'.*not found in customers"):
        retention.cohort_retention(c.drop(columns="signup_date"))
    with pytest.raises(CxlabError, match="not of the form 'YYYYQn'"):
        retention.churn_rates(c, end="2025-09")
    with pytest.raises(CxlabError, match="no customer signed up by end '2024Q4'"):
        retention.cohort_retention(c, end="2024Q4")
    with pytest.raises(CxlabError, match="no quarter between start"):
        retention.churn_rates(c, start="2025Q3", end="2025Q2")


def test_cohort_heat_map_and_survival_plot_follow_the_axes_contract():
    from matplotlib.figure import Figure

    from cxlab.plots import style

    c = _frame(
        signup_date=pd.to_datetime(["2025-01-10", "2025-02-01", "2025-04-01"]).date,
        churn_date=pd.to_datetime([None, "2025-05-01", None]).date,
    )
    ax = Figure().subplots()
    table = retention.cohort_retention(c, end="2025Q3")
    out = retention.plot_cohort_retention(table, ax=ax, cmap="Greens")
    assert out is ax and ax.images[0].get_cmap().name == "Greens"
    # every cell has an unreliable base: said once on the axis, not in each cell
    assert [t.get_text() for t in ax.texts] == ["100", "50", "50", "100", "100"]
    assert "every cell ** (unreliable base)" in ax.get_xlabel().replace("\n", " ")
    ax2 = Figure().subplots()
    d = _frame(t=[1, 2, 3], e=[1, 0, 1], g=["$x$", "$x$", "b"])
    retention.plot_survival(retention.survival(d, "t", "e", by="g"), "g", ax=ax2, linewidth=3)
    assert [ln.get_label() for ln in ax2.get_lines()] == ["$x$", "b"]
    assert ax2.get_lines()[0].get_linewidth() == 3
    assert not ax2.get_legend().get_texts()[0].get_parse_math()  # names drawn literally
    ax4 = Figure().subplots()  # LTR categories in the colours every cxlab chart gives them
    d = _frame(t=[1, 2, 3, 4], e=[1, 0, 1, 1], cat=["promoter", "detractor", "passive", "b"])
    retention.plot_survival(retention.survival(d, "t", "e", by="cat"), "cat", ax=ax4)
    colors = {ln.get_label(): ln.get_color() for ln in ax4.get_lines()}
    assert [colors[k] for k in ("detractor", "passive", "promoter")] == list(style.MIX_COLORS)
    ax3 = retention.plot_cohort_retention(table, ax=Figure().subplots(), annot=False)
    assert ax3.images[0].get_cmap().name == style.CMAP_SEQUENTIAL and not ax3.texts


# ---------------------------------------------------------------- revenue at risk


def test_revenue_at_risk_equals_a_pandas_rebuild_for_one_unit(demo):
    con, _ = demo
    r, c, t = con.table("responses"), con.table("customers"), con.table("transactions")
    got = retention.revenue_at_risk(r, c, t, by="unit", horizon=182).set_index("unit")
    unit = got.index[0]
    d = retention.survey_durations(r, c, by="unit").to_pandas()
    d = d[d["unit"] == unit].assign(side=lambda x: np.where(x["category"] == "detractor", "d", "r"))
    km = retention.survival(d, "days", "churned", by="side")
    churn = {s: 1 - k[k["time"] <= 182]["survival"].iloc[-1] for s, k in km.groupby("side")}
    row = got.loc[unit]
    assert row["churn_detractors"] == pytest.approx(100 * churn["d"], rel=1e-12)
    assert row["churn_rest"] == pytest.approx(100 * churn["r"], rel=1e-12)
    tx = t.to_pandas()[["customer_id", "date", "margin"]]
    det = d[d["side"] == "d"].reset_index(drop=True).rename_axis("rid").reset_index()
    j = det.merge(tx, on="customer_id", how="left")
    days = (pd.to_datetime(j["survey_date"]) - pd.to_datetime(j["date"])).dt.days
    j = j[(days >= 0) & (days < 182)]
    margins = j.groupby("rid")["margin"].sum().reindex(det["rid"], fill_value=0.0).to_numpy()
    assert row["margin"] == pytest.approx(np.mean(margins), rel=1e-9)
    assert row["margin_se"] == pytest.approx(np.std(margins, ddof=1) / np.sqrt(len(margins)))
    expected = len(det) * (churn["d"] - churn["r"]) * np.mean(margins)
    assert row["value_at_risk"] == pytest.approx(expected, rel=1e-9)
    assert row["value_low"] < row["value_at_risk"] < row["value_high"]


def test_revenue_at_risk_refuses_bad_input_and_marks_short_follow_up():
    r = _frame(
        customer_id=["a", "b"], unit=["x", "x"], ltr=[2, 10],
        survey_date=pd.to_datetime(["2025-01-01", "2025-01-01"]).date,
    )  # fmt: skip
    c = _frame(customer_id=["a", "b"], churn_date=pd.to_datetime(["2025-02-01", None]).date)
    t = _frame(customer_id=["a"], date=pd.to_datetime(["2024-12-01"]).date, margin=[10.0])
    with pytest.raises(CxlabError, match=r"'margin'.*not found in transactions"):
        retention.revenue_at_risk(r, c, t.drop(columns="margin"))
    with pytest.raises(CxlabError, match="horizon must be >= 1 day"):
        retention.revenue_at_risk(r, c, t, horizon=0)
    got = retention.revenue_at_risk(r, c, t, horizon=400, end="2025-06-30")
    assert got["churn_rest"].isna().all() and got["value_at_risk"].isna().all()
    assert got["flag"].tolist() == ["unreliable"]
    # every detractor gone before the horizon: their churn is known (100%)
    assert got["churn_detractors"].tolist() == [100.0]


def test_two_group_columns_and_a_missing_group_value_each_get_their_own_curve():
    d = _frame(
        t=[1, 2, 3, 4, 5, 6], e=[1, 0, 1, 1, 1, 0],
        a=["x", "x", "y", "y", None, None], b=[1, 1, 1, 2, 2, 2],
    )  # fmt: skip
    got = retention.survival(d, "t", "e", by=["a", "b"])
    assert len(got.groupby(["a", "b"], dropna=False)) == 4
    alone = retention.survival(d[d["a"].isna()], "t", "e")
    mine = got[got["a"].isna()].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine[alone.columns], alone)
    med = retention.median_survival(d, "t", "e", by=["a", "b"])
    assert med["n"].tolist() == [2.0, 1.0, 1.0, 2.0]


def test_churn_after_survey_refuses_scores_off_the_scale_and_keeps_ltr_names():
    r = _frame(
        customer_id=["a", "b"], survey_date=pd.to_datetime(["2025-01-01"] * 2).date,
        ltr=[3, 11], csat=[1, 5],
    )  # fmt: skip
    c = _frame(customer_id=["a", "b"], churn_date=pd.to_datetime(["2025-02-01", None]).date)
    with pytest.raises(CxlabError, match=r"'ltr' of responses lies outside 0-10 in 1 row"):
        retention.churn_after_survey(r, c)
    ok = retention.churn_after_survey(r.assign(ltr=[3, 10]), c, breaks=(4, 8))
    assert ok.median_["category"].tolist() == ["detractor", "promoter"]
    at = ok.at(1000).set_index("category")["survival"]  # beyond the follow-up of b
    assert at["detractor"] == 0.0 and np.isnan(at["promoter"])
    other = retention.churn_after_survey(r, c, score="csat", breaks=(1, 4))
    assert other.median_["category"].tolist() == ["<= 1", "> 4"]


def test_zph_on_a_singular_information_matrix_says_it_cannot_check() -> None:
    """Tiny data (a tiny warehouse's survey Cox model) gave a bare LinAlgError."""
    from cxlab.retention.zph import zph_test

    u = np.array([0.0, 0.0, 1.0, 2.0])
    table = zph_test(u, np.zeros((4, 4)), {"a": [0], "b": [1]})
    assert table["term"].tolist() == ["a", "b", "GLOBAL"]
    assert table["chi2"].isna().all() and table["p"].isna().all()
    model = retention.CoxPH()
    model.ph_test_ = table
    assert model.ph_text().startswith("The proportional-hazards assumption could not be checked")
