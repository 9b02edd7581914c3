"""Themes as key drivers beside the ratings (issue 12.5): cxlab.voc.themes_as_drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab import voc
from cxlab.key_drivers import KeyDrivers


def rated(seed: int, n: int = 2000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ratings and verbatims where a late delivery lowers LTR beyond the speed rating."""
    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.25
    staff = rng.random(n) < 0.10
    speed = rng.integers(0, 11, n)
    ltr = np.clip(np.round(0.6 * speed + 3 - 2.5 * late + rng.normal(0, 1.5, n)), 0, 10)
    wide = pd.DataFrame({"response_id": np.arange(n), "speed": speed, "ltr": ltr})
    text = np.where(late, "the parcel came late", "all fine")
    text = np.where(staff, text + ", friendly staff", text)
    said = pd.DataFrame({"response_id": np.arange(n), "verbatim": text})
    return wide, said


def test_a_planted_theme_enters_beside_the_ratings_with_its_sign() -> None:
    """Seeds 1..5 (fixed): the late-delivery theme, which lowers LTR by 2.5 points
    whatever the speed rating, enters as a driver with a negative sign and a share of
    the explained variation whose interval excludes 0; the fit equals KeyDrivers on
    the same columns built by hand."""
    for seed in range(1, 6):
        wide, said = rated(seed)
        fit, why = voc.themes_as_drivers(wide, said, ["speed"], n_boot=100, top=2)
        assert fit is not None and why == ""
        res = fit.importance_.set_index("driver")
        late = res.loc["theme: Late delivery"]
        assert late["sign"] == -1 and late["share_low"] > 0
        assert "theme: Friendly, helpful staff" in res.index
        hand = wide.assign(
            **{
                "theme: Late delivery": said["verbatim"].str.contains("late").astype(int),
                "theme: Friendly, helpful staff": said["verbatim"]
                .str.contains("staff")
                .astype(int),
            }
        )
        direct = KeyDrivers(method="relative-weights", n_boot=0).fit(
            hand, "ltr", ["speed", "theme: Late delivery", "theme: Friendly, helpful staff"]
        )
        got = fit.importance_.set_index("driver")["share"]
        assert np.allclose(
            got.sort_index(), direct.importance_.set_index("driver")["share"].sort_index()
        )


def test_no_verbatims_no_mentions_and_hostile_labels() -> None:
    wide, said = rated(9, n=300)
    fit, why = voc.themes_as_drivers(wide, said.drop(columns="verbatim"), ["speed"], n_boot=0)
    assert fit is None and why.startswith("The responses have no verbatim column")
    fit, why = voc.themes_as_drivers(wide, said.assign(verbatim="ok"), ["speed"], n_boot=0)
    assert fit is None and "mentions a theme" in why
    fit, _ = voc.themes_as_drivers(wide, said, ["speed"], n_boot=0, top=1)
    assert fit is not None
    res = fit.importance_.copy()
    res.loc[res["driver"].str.startswith("theme: "), "driver"] = (
        "theme: <img src=x onerror=alert(1)>"
    )
    fit.importance_ = res
    html = voc.themes_drivers_table(fit)._repr_html_()
    assert "<img" not in html and "&lt;img" in html
