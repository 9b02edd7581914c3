"""The README's Python examples run as written (against a real demo warehouse)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run(demo_warehouse):
    db, _ = demo_warehouse
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    code = "\n".join(blocks).replace('"data/cxlab.duckdb"', repr(str(db)))
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert namespace["b"]["nps"] < namespace["a"]["nps"]
