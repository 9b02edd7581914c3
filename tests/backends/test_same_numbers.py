"""The same analyses on PostgreSQL and Spark give DuckDB's numbers (to 1e-9).

Each server holds a copy of one small synthetic warehouse
(:func:`cxlab.warehouse.copy_warehouse`); every analysis runs in the server
through Ibis and its result is compared with the same call on the DuckDB file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxlab
from cxlab import journey, key_drivers, outcomes, report
from cxlab.errors import CxlabError

pytestmark = pytest.mark.backends

TOL = 1e-9


def same(
    a: pd.DataFrame, b: pd.DataFrame, *, sort: list[str] | None = None, tol: float = TOL
) -> None:
    """Equal frames: numbers to 1e-9 (relative and absolute), everything else exactly."""
    if sort:
        a = a.sort_values(sort).reset_index(drop=True)
        b = b.sort_values(sort).reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) and len(a) > 0
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            np.testing.assert_allclose(
                x.to_numpy(float), y.to_numpy(float), rtol=tol, atol=tol, err_msg=c
            )
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), c


@pytest.mark.parametrize("metric", ["nps", "csat", "ces"])
@pytest.mark.parametrize("by", [None, "quarter", ["unit", "quarter"]])
def test_scores_match(duck, other, metric, by):
    fn = getattr(cxlab, metric)
    score = {"nps": "ltr"}.get(metric, metric)
    a = fn(duck.table("responses"), score, by=by)
    b = fn(other.table("responses"), score, by=by)
    keys = [by] if isinstance(by, str) else by
    same(a, b, sort=keys)


def test_weighted_nps_matches(duck, other):
    a = cxlab.nps(duck.table("responses"), "ltr", by="unit", weight="weight")
    b = cxlab.nps(other.table("responses"), "ltr", by="unit", weight="weight")
    same(a, b, sort=["unit"])


def test_drivers_match(duck, other):
    def run(con):
        r = report.responses_view(con)
        wide = key_drivers.driver_frame(con.table("attribute_ratings"), r)
        attrs = sorted(
            con.table("attribute_ratings").select("attribute").distinct().to_pandas()["attribute"]
        )
        return key_drivers.drivers(wide, "ltr", attrs, method="relative-weights")

    same(run(duck), run(other), sort=["driver"])


def test_panel_matches(duck, other):
    a = outcomes.build_panel(duck.table("responses"), duck.table("outcomes"))
    b = outcomes.build_panel(other.table("responses"), other.table("outcomes"))
    same(a.data_, b.data_, sort=["unit", "quarter"])


def test_journey_transitions_match(duck, other):
    a = journey.transitions(journey.interactions_view(duck, "ALL"))
    b = journey.transitions(journey.interactions_view(other, "ALL"))
    same(a, b, sort=list(a.columns[:2]))


def quarterly_numbers(con) -> dict[str, pd.DataFrame]:
    """The quarterly notebook's numbers (its setup cell's calls, through cxlab.report)."""
    responses = report.responses_view(con, profile=False)
    w = report.resolve_weight(responses, "auto")
    quarter = report.latest_quarter(responses)
    previous = report.shift_quarter(quarter, -1)
    profiled = report.responses_view(con)
    current = report.snapshot(con, profiled.filter(profiled.quarter == quarter), "current")
    headline = report.headline(current, "ltr", scope="all", weight=w)
    pair = cxlab.nps(
        responses.filter(responses.quarter.isin([previous, quarter])), "ltr", by="quarter", weight=w
    )
    change = report.change_from_previous(pair, current=quarter, previous=previous)
    dims = report.dimensions("ALL")
    breakdowns, _ = report.labelled_breakdowns(current, "ltr", dims, weight=w)
    out = {
        "headline": headline.to_frame().T,
        "pair": pair,
        "change": pd.Series(change).to_frame().T,
        "csat": cxlab.csat(current, "csat", weight=w),
        "ces": cxlab.ces(current, "ces", weight=w),
    }
    for label, table in breakdowns.items():
        out[f"by {label}"] = table.sort_values(dims[label]).reset_index(drop=True)
    for label in ("Channel", "Touch point"):
        if label in breakdowns:
            card = report.scorecard(current, dims[label], weight=w)
            out[f"scorecard {label}"] = card.sort_values(dims[label]).reset_index(drop=True)
    return out


def test_quarterly_report_numbers_match(duck, other):
    a, b = quarterly_numbers(duck), quarterly_numbers(other)
    assert a.keys() == b.keys() and len(a) >= 7
    for key in a:
        frame_a = a[key].infer_objects()
        frame_b = b[key].infer_objects()
        same(frame_a.reset_index(drop=True), frame_b.reset_index(drop=True))


JOURNEY = {
    "stage_dropoff": lambda c: journey.stage_dropoff(journey.interactions_view(c, "ALL")),
    "time_between_stages": lambda c: journey.time_between_stages(
        journey.interactions_view(c, "ALL")
    ),
    "removal_effects": lambda c: journey.removal_effects(journey.interactions_view(c, "ALL")),
    "channel_switching": lambda c: journey.channel_switching(
        journey.interactions_view(c, "ALL"), report.responses_view(c)
    ),
    "channel_gaps": lambda c: journey.channel_gaps(report.responses_view(c), "ltr"),
    "inventory": lambda c: journey.inventory(c),
}


@pytest.mark.parametrize("analysis", sorted(JOURNEY))
def test_journey_analyses_match(duck, other, analysis):
    if other.name == "pyspark" and analysis == "removal_effects":
        # Spark cannot aggregate a journey's touch points in order: one clear message
        with pytest.raises(CxlabError, match="the pyspark backend cannot run this step"):
            JOURNEY[analysis](other)
        return
    a, b = JOURNEY[analysis](duck), JOURNEY[analysis](other)
    if other.name == "pyspark" and analysis == "inventory":
        # conversion through each touch point needs the ordered paths: left empty
        conv = ["journeys", "conv_rate", "conv_low", "conv_high", "conv_flag"]
        assert b["journeys"].isna().all() and a["journeys"].notna().any()
        a, b = a.drop(columns=conv), b.drop(columns=conv)
    tol = TOL
    if other.name == "pyspark" and analysis == "time_between_stages":
        # Spark's epoch seconds are whole seconds: days agree to within one second
        tol = 1 / 86400
    same(a.reset_index(drop=True), b.reset_index(drop=True), tol=tol)
