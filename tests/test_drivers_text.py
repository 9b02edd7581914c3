"""The drivers report's text and tables: realistic, hostile and tiny input."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from _markdown import HOSTILE, rendered

from cxlab import report
from cxlab.errors import CxlabError
from cxlab.key_drivers import (
    DETRACTOR_COLUMN,
    KeyDrivers,
    compare_methods,
    importance_table,
    intro,
    title,
)


def _battery(names: list[str], n: int = 400, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.integers(0, 11, size=(n, len(names))).astype(float), columns=names)
    noise = rng.normal(0, 2, n)
    df["ltr"] = (0.7 * df[names[0]] + 0.3 * df[names[-1]] + noise).round().clip(0, 10)
    return df


def test_title_names_the_scope_and_escapes_the_unit():
    tags, text = rendered(title("ALL", ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]))
    assert tags == ["h1"] and text.strip() == (
        "What drives likelihood to recommend: All units, 2025Q4-2026Q3"
    )
    for unit in HOSTILE:
        tags, text = rendered(title(unit, ["2026Q3"]))
        assert tags == ["h1"], unit
        assert f"recommend: {unit}, 2026Q3-2026Q3" in text


def test_intro_gives_base_dropped_answers_method_weights_and_intervals():
    df = _battery(["Price", "Staff", "Web"])
    df.loc[:6, "Staff"] = np.nan  # seven "don't know" answers
    df["w"] = np.where(np.arange(len(df)) % 2, 2.0, 0.5)
    fit = KeyDrivers(method="relative-weights", weight="w", n_boot=40, level=0.9)
    text = intro(fit.fit(df, "ltr", ["Price", "Staff", "Web"]))
    n_eff = df["w"].iloc[7:].sum() ** 2 / (df["w"].iloc[7:] ** 2).sum()
    assert f"n = 393 responses (effective n = {n_eff:,.0f} with weights)" in text
    assert "7 answers with a 'don't know' were left out" in text
    assert "(Johnson's relative weights)" in text
    assert f"explain R² = {fit.r2_:.0%} of it" in text
    assert "survey weights (column w)" in text
    assert text.endswith("Intervals are 90% bootstrap intervals (40 replicates).")
    tags, _ = rendered(text)
    assert tags == ["p"]


@pytest.mark.parametrize("name", HOSTILE)
def test_intro_escapes_a_hostile_weight_column(name):
    df = _battery(["a", "b"])
    df[name] = 1.0 + (np.arange(len(df)) % 3)
    tags, text = rendered(intro(KeyDrivers(weight=name).fit(df, "ltr", ["a", "b"])))
    assert tags == ["p"]
    assert f"(column {name})" in text
    assert "No intervals (bootstrap = 0)." in text


def test_importance_table_headers_follow_the_intervals_and_signs():
    df = _battery(["Price", "Staff", "Web"])
    df["Web"] = 10 - df["Web"]  # reverse-scaled: rated higher, recommended less
    plain = importance_table(KeyDrivers().fit(df, "ltr", ["Price", "Staff", "Web"])).frame
    assert list(plain.columns) == [
        "rank",
        "attribute",
        "importance %",
        "direction",
        "correlation with LTR",
        "mean rating (0-10)",
    ]
    assert plain.loc[plain["attribute"] == "Web", "direction"].item() == "-"
    boot = KeyDrivers(n_boot=30, level=0.9).fit(df, "ltr", ["Price", "Staff", "Web"])
    table = importance_table(boot).frame
    assert "importance % (90% interval)" in table.columns
    assert table["rank"].tolist() == ["1", "2", "3"]
    assert all(" to " in cell for cell in table["importance % (90% interval)"])


def test_importance_table_escapes_hostile_names():
    df = _battery(HOSTILE)
    html = importance_table(KeyDrivers().fit(df, "ltr", HOSTILE)).to_html()
    assert "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def _orthogonal(n_rep: int = 50) -> pd.DataFrame:
    """Two drivers exactly uncorrelated (a balanced 2 x 2 design), LTR made of both."""
    a = np.tile([2.0, 2.0, 8.0, 8.0], n_rep)
    b = np.tile([3.0, 9.0, 3.0, 9.0], n_rep)
    noise = np.tile([0.0, 1.0, -1.0, 0.0, 1.0, 0.0, 0.0, -1.0], n_rep // 2)
    return pd.DataFrame({"a": a, "b": b, "ltr": np.round(0.6 * a + 0.2 * b + noise)})


def test_compare_methods_agree_on_uncorrelated_drivers():
    df = _orthogonal()
    assert abs(np.corrcoef(df["a"], df["b"])[0, 1]) < 1e-12
    r2 = np.corrcoef(df[["a", "b", "ltr"]].to_numpy().T)[2, :2] ** 2
    # (LTR is a function of a and b here: detractors are perfectly separated, no logistic)
    out = compare_methods(df, "ltr", ["a", "b"], detractors=None)
    assert list(out.columns) == ["driver", "correlation", "relative-weights", "shapley"]
    assert out["driver"].tolist() == ["a", "b"]
    for method in ("correlation", "relative-weights", "shapley"):
        assert out[method].to_numpy() == pytest.approx(100 * r2 / r2.sum())


def test_compare_methods_reuses_the_fit_and_follows_its_ranking():
    names = ["Price", "Staff", "Web", "Range"]
    df = _battery(names, n=600)
    fit = KeyDrivers(method="shapley", n_boot=30).fit(df, "ltr", names)
    out = compare_methods(ibis.memtable(df), "ltr", names, fit=fit, methods=["shapley"])
    assert out["driver"].tolist() == fit.importance_["driver"].tolist()
    assert out["shapley"].to_numpy() == pytest.approx(100 * fit.importance_["share"].to_numpy())
    # the pandas frame and an Ibis table give the same numbers
    plain = compare_methods(df, "ltr", names, detractors=None)
    assert DETRACTOR_COLUMN not in plain
    assert plain.set_index("driver")["shapley"].loc[out["driver"]].to_numpy() == pytest.approx(
        out["shapley"].to_numpy()
    )


def test_compare_methods_keeps_hostile_names_and_the_table_escapes_them():
    df = _battery(HOSTILE)
    out = compare_methods(df, "ltr", HOSTILE)
    assert list(out.columns) == [
        "driver",
        "correlation",
        "relative-weights",
        "shapley",
        DETRACTOR_COLUMN,
    ]
    assert sorted(out["driver"]) == sorted(HOSTILE)
    assert out[DETRACTOR_COLUMN].sum() == pytest.approx(100)
    html = report.format_table(out, {"driver": "attribute", "shapley": "Shapley"}).to_html()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_compare_methods_one_driver_and_bad_input():
    df = _battery(["Price"])
    out = compare_methods(df, "ltr", ["Price"])
    assert out.drop(columns="driver").to_numpy() == pytest.approx(100)
    with pytest.raises(CxlabError, match="methods must be among"):
        compare_methods(df, "ltr", ["Price"], methods=["lasso"])
    with pytest.raises(CxlabError, match="'Staff' not found"):
        compare_methods(df, "ltr", ["Price", "Staff"])
    other = KeyDrivers().fit(_battery(["Staff", "Web"]), "ltr", ["Staff", "Web"])
    with pytest.raises(CxlabError, match="fitted on other drivers"):
        compare_methods(df, "ltr", ["Price"], fit=other)
