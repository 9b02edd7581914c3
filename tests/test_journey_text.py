"""The journey report's text: case study and warehouse findings, realistic, hostile, tiny."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from _markdown import HOSTILE, rendered

from cxlab import journey


def _case(tmp_path, touchpoints, *, name="A launch", description="What happened.", label="CSAT"):
    spec = {
        "name": name,
        "description": description,
        "scale": [0, 10],
        "weak_below": 5,
        "aggregate": {"label": label, "score": 8.5},
        "touchpoints": [
            {
                "name": tp,
                "stage": "attraction",
                "customers": 1000 * (i + 1),
                "in_aggregate": score >= 5,
                "relationship": {"score": score},
            }
            for i, (tp, score) in enumerate(touchpoints)
        ],
    }
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return journey.case_study(journey.load_case(path))


def test_case_texts_escape_every_name_from_the_case_file(tmp_path):
    result = _case(
        tmp_path,
        [(HOSTILE[0], 2), (HOSTILE[1], 9), (HOSTILE[2], 1), (HOSTILE[3], 8)],
        name=HOSTILE[3],
        description=HOSTILE[0],
        label=HOSTILE[2],
    )
    tags, text = rendered(journey.title(result))
    assert tags == ["h1"] and f"Journey case study: {HOSTILE[3]}" in text
    tags, text = rendered(journey.intro(result, unit=HOSTILE[1], weight=HOSTILE[0]))
    assert tags == ["p", "p"]
    assert text.startswith(HOSTILE[0]) and f"the warehouse ({HOSTILE[1]})" in text
    assert f"(column {HOSTILE[0]})" in text and "never weighted" in text
    tags, text = rendered(journey.weak_text(result))
    assert set(tags) == {"p", "strong"}
    assert "2 of 4 touch points are weak" in text
    assert f"{HOSTILE[0]} (2), {HOSTILE[2]} (1)." in text
    tags, text = rendered(journey.masking_text(result))
    assert set(tags) == {"p", "strong", "ul", "li"}
    assert f"The aggregate ({HOSTILE[2]}) is 8.5" in text
    assert f"{HOSTILE[0]} scores 2, 6.5 points below it; 1,000 customers met it, and none" in text
    assert "4,000 customers who met a weak touch point are missing" in text


def test_case_texts_without_weak_touch_points_and_with_one(tmp_path):
    calm = _case(tmp_path, [("Web", 8), ("Store", 9)])
    assert journey.weak_text(calm) == "No touch point is weak by the case's rules."
    text = journey.masking_text(calm)
    assert text == (
        "The aggregate (CSAT) is **8.5**, while the unweighted mean of all touch points is 8.5."
    )
    one = _case(tmp_path, [("Stock-out", 1)])
    assert journey.weak_text(one).startswith("1 of 1 touch points is weak")
    assert "\n- **Stock\\-out** scores 1, 7.5 points below it; 1,000 customers met it" in (
        journey.masking_text(one)
    )


def _responses(channels: list[str], touchpoints: list[str], seed: int = 7) -> pd.DataFrame:
    """Survey responses: every channel at every touch point; the first channel scores lower."""
    rng = np.random.default_rng(seed)
    rows = []
    for c, ch in enumerate(channels):
        for tp in touchpoints:
            centre = 6.0 if c == 0 else 8.5
            for k in range(400):
                ltr = int(np.clip(np.round(rng.normal(centre, 1.5)), 0, 10))
                rows.append({"channel": ch, "touchpoint": tp, "ltr": ltr, "customer_id": k})
    return pd.DataFrame(rows)


def test_channel_texts_name_the_channel_below_escaped():
    responses = _responses([HOSTILE[0], HOSTILE[3], "web"], [HOSTILE[1], "Store"])
    gaps = journey.channel_gaps(responses, "ltr", level=0.9)
    tags, text = rendered(journey.channel_gaps_text(gaps))
    assert set(tags) == {"p", "strong"}
    assert text.startswith(f"Below the other channels at the same touch points: {HOSTILE[0]} (")
    assert "90% interval" in text and HOSTILE[3] not in text
    consistency = journey.channel_consistency(responses, "ltr")
    assert journey.consistency_text(consistency).startswith(
        "2 of 2 multi-channel touch points differ across channels beyond chance"
    )


def test_channel_texts_with_no_channel_below_and_one_channel():
    same = _responses(["web"], ["Store", "Web"])
    gaps = pd.DataFrame(
        {"channel": ["web"], "gap": [0.0], "gap_low": [-2.0], "gap_high": [2.0]}
        | {"verdict": ["no difference"], "level": [0.95]}
    )
    assert journey.channel_gaps_text(gaps) == (
        "No channel is significantly below the others at the same touch points. "
        "Tests are Holm-adjusted over channels."
    )
    consistency = journey.channel_consistency(same, "ltr")
    assert journey.consistency_text(consistency) == (
        "No touch point is served by more than one channel: there is nothing to compare."
    )


def test_vs_overall_text_names_lower_touch_points_and_skips_missing_correlations():
    vs = pd.DataFrame(
        {
            "touchpoint": [HOSTILE[0], "Web"],
            "gap": [-1.5, 0.2],
            "gap_low": [-2.0, -0.1],
            "gap_high": [-1.0, 0.5],
            "r": [0.05, 0.4],
            "level": 0.95,
        }
    )
    tags, text = rendered(journey.vs_overall_text(vs))
    assert f"score {HOSTILE[0]} 1.50 points lower (95% interval -2.00 to -1.00)" in text
    assert "Correlations range from +0.05 to +0.40" in text and set(tags) == {"p", "strong"}
    none = journey.vs_overall_text(vs.iloc[1:].assign(r=np.nan))
    assert none == "No touch point is scored clearly below the same customers' other experiences."


def test_inventory_text_names_weak_touch_points_with_conversion():
    inv = pd.DataFrame(
        {
            "touchpoint": [HOSTILE[2], "Web", HOSTILE[0]],
            "nps": [-20.04, 30.0, -5.0],
            "nps_low": [-25.0, 25.0, -9.0],
            "nps_high": [-15.0, 35.0, -1.0],
            "conv_rate": [12.4, 60.0, np.nan],
            "weak": [True, False, True],
        }
    )
    tags, text = rendered(journey.inventory_text(inv, level=0.8))
    assert text.strip() == (
        f"Touch points significantly below the others: {HOSTILE[2]} (NPS -20.0, 80% interval "
        "-25.0 to -15.0; 12% of the journeys through it convert), "
        f"{HOSTILE[0]} (NPS -5.0, 80% interval -9.0 to -1.0; no conversion rate)"
    )
    assert set(tags) == {"p", "strong"}
    calm = journey.inventory_text(inv.assign(weak=False))
    assert calm == "Touch points significantly below the others: none."


def _events(path_counts: dict[tuple[str, ...], int]) -> pd.DataFrame:
    """An event log: ``n`` customers for each path of (touch point, stage) steps."""
    rows, cid = [], 0
    for path, n in path_counts.items():
        for _ in range(n):
            cid += 1
            for k, step in enumerate(path):
                tp, stage = step.split(":")
                rows.append(
                    {
                        "customer_id": f"c{cid}",
                        "timestamp": pd.Timestamp("2026-01-01") + pd.Timedelta(hours=k),
                        "touchpoint": tp,
                        "stage": stage,
                        "channel": "web",
                    }
                )
    return pd.DataFrame(rows)


def test_paths_and_dropoff_texts_on_an_event_log():
    events = _events(
        {
            ("Ad:attraction", "Web:interaction", "Purchase:interaction"): 30,
            ("Ad:attraction", "Web:interaction"): 60,
            ("Ad:attraction",): 10,
        }
    )
    moves = journey.transitions(events)
    matrix = journey.transition_matrix(moves)
    text = journey.paths_text(moves, matrix)
    assert text.endswith("between 2 touch points; 30.0% of journeys reach a purchase.")
    funnel = journey.stage_dropoff(events)
    text = journey.dropoff_text(funnel)
    # 90 journeys reached the interaction stage, 60 of them did not buy
    assert text.startswith("Of the journeys that reached the interaction stage, 66.7% did not")
    nobody = journey.stage_dropoff(_events({("Ad:attraction",): 5}))
    assert "%" not in journey.dropoff_text(nobody)


def test_state_order_puts_start_inventory_order_then_exits():
    moves = pd.DataFrame(
        {
            "from": ["(start)", "(start)", "Web", "Store", "Ad"],
            "to": ["Web", "Ad", "(conversion)", "(drop-off)", "Store"],
            "n": [3, 1, 3, 1, 1],
        }
    )
    matrix = journey.transition_matrix(moves)
    order = journey.state_order(matrix, ["Store", "Gone", "Ad"])
    assert order == ["(start)", "Store", "Ad", "Web", "(conversion)", "(drop-off)"]
    assert sorted(order) == sorted(matrix.index)  # every state once: matrix.loc[order, order]


def _switching(p_conv: float, p_nps: float, switched: int = 300) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "switched": [False, True],
            "journeys": [2000, switched],
            "conv_diff": [np.nan, -4.0],
            "conv_diff_low": [np.nan, -7.5],
            "conv_diff_high": [np.nan, -0.5],
            "p_conv": [np.nan, p_conv],
            "nps_diff": [np.nan, -3.0],
            "nps_diff_low": [np.nan, -9.0],
            "nps_diff_high": [np.nan, 3.0],
            "p_nps": [np.nan, p_nps],
            "level": 0.95,
        }
    )


@pytest.mark.parametrize(
    ("p_conv", "p_nps", "ending"),
    [
        (0.02, 0.4, "Switchers may differ from other customers"),
        (0.3, 0.4, "Neither difference is significant"),
    ],
)
def test_switching_text_reads_the_tests_at_the_report_level(p_conv, p_nps, ending):
    text = journey.switching_text(_switching(p_conv, p_nps))
    assert text.startswith(
        "Journeys that switched channel (300 of 2,300) converted -4.0 points against "
        "single-channel journeys (95% interval -7.5 to -0.5, p = "
    )
    assert ending in text
    assert journey.switching_text(_switching(0.3, 0.4, switched=0)) == (
        "No journey switched channel, so there is nothing to compare."
    )


def _inventory() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "touchpoint": [HOSTILE[0], "Web", "Returns"],
            "stage": ["attraction", "interaction", "cultivation"],
            "channels": ["store, phone", "web", None],
            "intentional": [True, True, False],
            "owner": [HOSTILE[3], "E-commerce", None],
            "n": [540, 1210, 0],
            "n_eff": [410.2, 1003.9, np.nan],
            "nps": [-12.0, 31.0, np.nan],
            "nps_low": [-18.0, 28.0, np.nan],
            "nps_high": [-6.0, 34.0, np.nan],
            "conv_rate": [22.0, 61.0, 40.0],
            "conv_flag": ["reportable", "reportable", "unreliable"],
            "journeys": [380.0, 2100.0, 12.0],
            "weak": [True, False, False],
            "level": 0.95,
        }
    )


def test_inventory_table_hides_small_conversion_bases_and_escapes_names():
    table = journey.inventory_table(_inventory(), weighted=True)
    frame = table.frame
    assert "Effective n" in frame.columns
    assert frame["Conversion %"].tolist()[:2] == ["22.0", "61.0"]
    assert frame["Conversion %"].iloc[2] == "n/a"  # 12 journeys: not shown
    assert any("fewer than 30 journeys" in note for note in table.notes)
    html = table.to_html()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Effective n" not in journey.inventory_table(_inventory()).frame.columns
