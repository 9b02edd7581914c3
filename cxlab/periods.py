"""Quarters: the 'YYYYQn' labels every table and report uses, and their arithmetic.

A quarter is written ``'2026Q3'``; its *index* ``year * 4 + n - 1`` makes
consecutive quarters consecutive integers, so shifting, windows and gaps are
integer arithmetic. This is the one place that parses, shifts and labels
quarters; ``report``, ``outcomes``, ``render`` and ``synth`` use it.

Examples
--------
>>> from cxlab import periods
>>> periods.shift_quarter("2026Q1", -1)
'2025Q4'
>>> periods.quarters_up_to("2026Q2", 3)
['2025Q4', '2026Q1', '2026Q2']
>>> periods.quarter_from_index(periods.quarter_index("2026Q3") + 2)
'2027Q1'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cxlab.errors import CxlabError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "QUARTER_RE",
    "is_quarter",
    "parse_quarter",
    "quarter_from_index",
    "quarter_index",
    "quarter_indices",
    "quarter_labels",
    "quarters_up_to",
    "shift_quarter",
]

#: A quarter label exactly as stored: four-digit year, 'Q', quarter 1-4.
QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


def is_quarter(q: object) -> bool:
    """True when ``q`` is a label of the form 'YYYYQn'."""
    return isinstance(q, str) and QUARTER_RE.match(q) is not None


def parse_quarter(q: object, what: str = "quarter") -> tuple[int, int]:
    """``(year, n)`` of a 'YYYYQn' label; a clear error naming ``what`` otherwise.

    Examples
    --------
    >>> parse_quarter("2026Q3")
    (2026, 3)
    """
    m = QUARTER_RE.match(str(q))
    if not m:
        raise CxlabError(f"{what} {q!r} is not of the form 'YYYYQn', e.g. '2026Q3'.")
    return int(m.group(1)), int(m.group(2))


def quarter_index(q: object, what: str = "quarter") -> int:
    """Consecutive integer of a quarter: ``year * 4 + n - 1``."""
    y, n = parse_quarter(q, what)
    return y * 4 + n - 1


def quarter_from_index(k: int) -> str:
    """The label of quarter index ``k`` (inverse of :func:`quarter_index`)."""
    k = int(k)
    return f"{k // 4}Q{k % 4 + 1}"


def shift_quarter(q: str, k: int) -> str:
    """Quarter ``k`` quarters after ``q`` (before, when ``k`` is negative).

    Examples
    --------
    >>> shift_quarter("2025Q4", 5)
    '2027Q1'
    """
    return quarter_from_index(quarter_index(q) + k)


def quarters_up_to(last: str, k: int) -> list[str]:
    """The ``k`` quarters ending with ``last``, oldest first."""
    end = quarter_index(last)
    return [quarter_from_index(i) for i in range(end - k + 1, end + 1)]


def quarter_indices(labels: Iterable[Any], what: str = "quarter") -> np.ndarray:
    """Quarter indices of many labels, as an int64 array (each label checked)."""
    import numpy as np

    return np.array([quarter_index(q, what) for q in labels], dtype=np.int64)


def quarter_labels(dates: pd.Series) -> pd.Series:
    """'YYYYQn' labels of a datetime-like Series (the ``quarter`` column of responses)."""
    import pandas as pd

    d = pd.to_datetime(dates)
    return d.dt.year.astype("string") + "Q" + d.dt.quarter.astype("string")
