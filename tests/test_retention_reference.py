"""cxlab.retention against R's `survival` package on real data (no R needed to run).

The reference values are written by `tests/reference/make_reference_survival.R`
(survfit, quantile.survfit, survdiff, coxph, cox.zph) on the IBM Watson telco churn
data (`modeldata::wa_churn`, tests/data/telco/) and R's own `lung` and `veteran`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlab import retention

REF = Path(__file__).parent / "reference"
TELCO = Path(__file__).parent / "data" / "telco" / "wa_churn.csv"


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    return pd.read_csv(TELCO)


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(REF / "lung.csv")


@pytest.fixture(scope="module")
def veteran() -> pd.DataFrame:
    return pd.read_csv(REF / "veteran.csv")


def _case(name: str, telco: pd.DataFrame, lung: pd.DataFrame) -> dict:
    return {
        "telco_contract": dict(data=telco, duration="tenure", event="churn", by="contract"),
        "lung_weighted": dict(data=lung, duration="time", event="status", weight="w"),
        "lung_sex_90": dict(data=lung, duration="time", event="status", by="sex", level=0.90),
    }[name]


def _close(ours: pd.Series, ref: pd.Series, rtol: float = 1e-10) -> None:
    np.testing.assert_allclose(ours.to_numpy(float), ref.to_numpy(float), rtol=rtol, atol=1e-12)


KM_CASES = [
    (case, ct)
    for case in ("telco_contract", "lung_weighted", "lung_sex_90")
    for ct in retention.CONF_TYPES
]


@pytest.mark.parametrize(("case", "conf_type"), KM_CASES)
def test_kaplan_meier_equals_survfit(case, conf_type, telco, lung):
    ref = _csv(REF / "r_km.csv")
    ref = ref[(ref["case"] == case) & (ref["conf_type"] == conf_type)].reset_index(drop=True)
    got = retention.survival(**_case(case, telco, lung), conf_type=conf_type)
    assert len(got) == len(ref)
    for ours, theirs in [
        ("at_risk", "at_risk"),
        ("events", "events"),
        ("censored", "censored"),
        ("survival", "survival"),
        ("se", "std_err"),
        ("low", "low"),
        ("high", "high"),
    ]:
        _close(got[ours], ref[theirs])


@pytest.mark.parametrize(("case", "conf_type"), KM_CASES)
def test_median_survival_equals_quantile_survfit(case, conf_type, telco, lung):
    ref = _csv(REF / "r_median.csv")
    ref = ref[(ref["case"] == case) & (ref["conf_type"] == conf_type)].reset_index(drop=True)
    got = retention.median_survival(**_case(case, telco, lung), conf_type=conf_type)
    for col in ("median", "low", "high"):
        _close(got[col], ref[col])
    # the reference really exercises the "never reaches 0.5" branch
    assert case != "telco_contract" or got["median"].isna().sum() == 2


@pytest.mark.parametrize(
    ("case", "by"),
    [("telco_contract", "contract"), ("telco_internet", "internet_service"), ("lung_sex", "sex")],
)
def test_logrank_equals_survdiff(case, by, telco, lung):
    ref = _csv(REF / "r_logrank.csv")
    ref = ref[ref["case"] == case].reset_index(drop=True)
    data, t, e = (lung, "time", "status") if case == "lung_sex" else (telco, "tenure", "churn")
    got = retention.logrank(data, t, e, by)
    assert got[by].astype(str).tolist() == ref["group"].astype(str).tolist()
    for col in ("n", "observed", "expected"):
        _close(got[col], ref[col])
    _close(got["chi2"], ref["chisq"], rtol=1e-12)
    assert (got["df"] == ref["df"]).all()
    _close(got["p"], ref["p"], rtol=1e-8)


def test_logrank_equals_statsmodels_survdiff(telco):
    from statsmodels.duration.survfunc import survdiff

    chi2, p = survdiff(telco["tenure"], telco["churn"], telco["internet_service"])
    got = retention.logrank(telco, "tenure", "churn", "internet_service")
    assert got["chi2"].iloc[0] == pytest.approx(chi2, rel=1e-10)
    assert got["p"].iloc[0] == pytest.approx(p, rel=1e-6)


COX_CASES = {
    "telco": (TELCO, "tenure", "churn", ["contract", "senior_citizen", "monthly_charges"], None),
    "veteran_strata": (REF / "veteran.csv", "time", "status", ["karno", "age", "trt"], "celltype"),
    "lung": (REF / "lung.csv", "time", "status", ["age", "sex"], None),
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("case", sorted(COX_CASES))
def test_cox_and_its_ph_test_equal_coxph_and_cox_zph(case, ties):
    path, t, e, covariates, strata = COX_CASES[case]
    m = retention.CoxPH(ties=ties).fit(pd.read_csv(path), t, e, covariates, strata=strata)
    ref = _csv(REF / "r_cox.csv")
    ref = ref[(ref["case"] == case) & (ref["ties"] == ties)].reset_index(drop=True)
    assert len(m.summary_) == len(ref)
    # PHReg and coxph stop their Newton iterations at different points: 1e-7 is far
    # below any reported digit and far above the disagreement (<= 6e-9 here)
    for col in ("coef", "se", "hr", "low", "high", "z"):
        _close(m.summary_[col], ref[col], rtol=1e-7)
    _close(m.summary_["p"], ref["p"], rtol=1e-5)
    assert m.loglik_ == pytest.approx(ref["loglik"].iloc[0], rel=1e-12)
    zph = _csv(REF / "r_zph.csv")
    zph = zph[(zph["case"] == case) & (zph["ties"] == ties)].reset_index(drop=True)
    assert m.ph_test_["term"].tolist() == zph["term"].tolist()
    _close(m.ph_test_["chi2"], zph["chisq"], rtol=1e-7)
    assert (m.ph_test_["df"] == zph["df"]).all()
    _close(m.ph_test_["p"], zph["p"], rtol=1e-6)


def test_ph_text_names_the_covariates_that_fail_on_the_telco_data(telco):
    m = retention.CoxPH().fit(telco, "tenure", "churn", ["contract", "senior_citizen"])
    text = m.ph_text()
    assert text.startswith("The proportional-hazards assumption fails for contract")
    assert "senior_citizen" not in text  # cox.zph: p = 0.85 on the full model
    ok = retention.CoxPH().fit(pd.read_csv(REF / "lung.csv"), "time", "status", ["age", "sex"])
    assert "holds for every covariate" in ok.ph_text()


def test_kaplan_meier_equals_statsmodels_survfuncright(telco):
    from statsmodels.duration.survfunc import SurvfuncRight

    d = telco[telco["contract"] == "Month-to-month"]
    sf = SurvfuncRight(d["tenure"].to_numpy(float), d["churn"].to_numpy(float))
    ours = retention.survival(d, "tenure", "churn")
    ours = ours[ours["events"] > 0].reset_index(drop=True)  # statsmodels keeps event times
    np.testing.assert_allclose(ours["time"], sf.surv_times)
    np.testing.assert_allclose(ours["survival"], sf.surv_prob, rtol=1e-12)
    np.testing.assert_allclose(ours["se"], sf.surv_prob_se, rtol=1e-10)
    np.testing.assert_allclose(ours["at_risk"], sf.n_risk)
