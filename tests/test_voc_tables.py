"""The voice-of-customer report's tables: the top themes per group, escaped, flagged."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlab import voc
from cxlab.errors import CxlabError


def _breakdown() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "touchpoint": ["Web", "Web", "Web", "<img src=x onerror=alert(1)>"],
            "theme": ["a", "b", "c", "a"],
            "label": ["A", "B <script>", "C", "A"],
            "n_mentioners": [50, 90, 0, 3],
            "share": [0.10, 0.18, 0.0, 0.3],
            "share_low": [0.08, 0.15, 0.0, 0.1],
            "share_high": [0.13, 0.21, 0.0, 0.6],
            "diff": [-20.0, 10.0, float("nan"), float("nan")],
            "diff_low": [-35.0, -2.0, float("nan"), float("nan")],
            "diff_high": [-5.0, 22.0, float("nan"), float("nan")],
            "flag": ["reportable", "reportable", "empty", "unreliable"],
        }
    )


def test_top_themes_keeps_the_most_mentioned_per_group_and_drops_silence() -> None:
    top = voc.top_themes(_breakdown(), top=1)
    assert top[["touchpoint", "theme"]].values.tolist() == [
        ["<img src=x onerror=alert(1)>", "a"],
        ["Web", "b"],
    ]
    assert len(voc.top_themes(_breakdown(), top=5)) == 3  # theme c: nobody mentions it


def test_breakdown_table_escapes_names_marks_bases_and_explains_blanks() -> None:
    table = voc.breakdown_table(_breakdown(), top=2)
    html = table._repr_html_()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    first = table.frame.iloc[0, 0]
    assert first.endswith("**")  # unreliable base of mentioners
    assert table.frame["% of respondents (interval)"].tolist()[1] == "18.0 (15.0 to 21.0)"
    assert any("everyone in the group" in n for n in table.notes)


def test_bad_breakdown_is_one_clear_message() -> None:
    with pytest.raises(CxlabError, match="'touchpoint'"):
        voc.top_themes(pd.DataFrame({"theme": ["a"], "n_mentioners": [1]}))
    with pytest.raises(CxlabError, match="top must be at least 1"):
        voc.top_themes(_breakdown(), top=0)


def test_labelled_quotes_uses_the_codeframe_labels_and_keeps_unknown_ids() -> None:
    q = pd.DataFrame({"theme": ["a", "zz"], "quote": ["x", "y"]})
    assert voc.labelled_quotes(q, {"a": "Alpha"})["theme"].tolist() == ["Alpha", "zz"]
