"""The shipped starter codeframe is well formed, checked with yaml and re alone.

Rules (the format cxlab.voc's loader reads): theme ids in lowercase snake_case; every
theme has a label and keywords or patterns; keywords are non-empty strings; every
pattern compiles (and avoids look-arounds and backreferences, which RE2 lacks); a
parent is another theme id or a group name shared by at least two themes; no keyword
belongs to two themes; sentiment hints are negative, positive or mixed.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

import cxlab

PATH = Path(cxlab.__file__).parent / "voc" / "codeframes" / "retail_electronics.yaml"
THEME_ID = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
NOT_RE2 = re.compile(r"\(\?[=!<]|\\[1-9]")  # look-arounds, backreferences


@pytest.fixture(scope="module")
def frame() -> dict:
    return yaml.safe_load(PATH.read_text(encoding="utf-8"))


def test_header(frame):
    assert frame["name"] == "retail_electronics" == PATH.stem
    assert frame["language"] == "en"
    assert isinstance(frame["description"], str) and frame["description"].strip()
    assert 30 <= len(frame["themes"]) <= 40


def test_themes_are_well_formed(frame):
    themes = frame["themes"]
    groups = Counter(t["parent"] for t in themes.values() if t.get("parent") not in themes)
    for tid, t in themes.items():
        assert THEME_ID.fullmatch(tid), tid
        assert set(t) <= {"label", "parent", "sentiment", "keywords", "patterns"}, tid
        assert isinstance(t["label"], str) and t["label"].strip(), tid
        assert t.get("sentiment", "mixed") in {"negative", "positive", "mixed"}, tid
        keywords, patterns = t.get("keywords", []), t.get("patterns", [])
        assert keywords or patterns, tid
        assert all(isinstance(k, str) and k.strip() == k and k for k in keywords), tid
        for p in patterns:
            re.compile(p, re.IGNORECASE)
            assert not NOT_RE2.search(p), (tid, p)
        if "parent" in t:
            parent = t["parent"]
            assert parent != tid and (parent in themes or groups[parent] >= 2), (tid, parent)


def test_no_keyword_in_two_themes(frame):
    owner: dict[str, str] = {}
    for tid, t in frame["themes"].items():
        for k in t.get("keywords", []):
            assert owner.setdefault(k.lower(), tid) == tid, (k, owner[k.lower()], tid)


def test_the_readme_codeframe_example_loads_and_codes(tmp_path) -> None:
    """The YAML the README shows for one's own codeframe is a valid codeframe."""
    import pandas as pd

    from cxlab import voc

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(name: my_codeframe.*?)```", readme, re.S)
    assert block is not None
    path = tmp_path / "my_codeframe.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    df = pd.DataFrame({"response_id": [1, 2, 3], "verbatim": ["delayed by 3 days", "ok", "late"]})
    coded = voc.code(df, codeframe=voc.codeframe(path))
    assert coded["response_id"].tolist() == [1, 3]
