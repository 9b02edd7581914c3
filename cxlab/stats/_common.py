"""Checks and small helpers shared by the statistics modules (not public API)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from cxlab.errors import CxlabError

NPS_FIELDS = (
    "n",
    "n_eff",
    "detractors",
    "passives",
    "promoters",
    "nps",
    "se",
    "low",
    "high",
    "method",
    "level",
)

# Size of one Monte-Carlo block (number of float64 values) to bound memory use.
BLOCK = 2_000_000


# --------------------------------------------------------------------------- checks


def z_value(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2.0))


def as_float(x: Any, name: str, where: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise CxlabError(f"{where}: '{name}' must be numeric, got {x!r}.") from None
    return arr


def check_counts(arr: np.ndarray, name: str, where: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.ravel())[:10].tolist()
        raise CxlabError(
            f"{where}: '{name}' must be a finite count; missing or infinite at position(s) {rows}."
        )
    neg = arr < 0
    if neg.any():
        rows = np.flatnonzero(neg.ravel())[:10].tolist()
        vals = arr.ravel()[rows].tolist()
        raise CxlabError(
            f"{where}: '{name}' must be >= 0 (a count or weighted total); "
            f"negative value(s) {vals} at position(s) {rows}."
        )


def _positions(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(np.ravel(mask))[:10].tolist()


def check_n_eff(
    n: np.ndarray, ne: np.ndarray, rows: np.ndarray, rows_given: bool, where: str
) -> None:
    """Effective sample sizes a Kish computation can produce, else a CxlabError.

    ``(sum w)^2 / sum w^2`` is 0 for a group with no weight, and otherwise lies
    between 1 and the number of rows with a positive weight (Cauchy-Schwarz). A
    relative tolerance of 1e-9 absorbs the rounding of the engine's sums.
    """
    zero = (n > 0) & (ne <= 0)
    if zero.any():
        raise CxlabError(
            f"{where}: 'n_eff' must be > 0 where there are responses (the Kish effective n "
            f"of a group with any positive weight is at least 1); it is 0 at position(s) "
            f"{_positions(zero)}."
        )
    ghost = (n <= 0) & (ne > 0)
    if ghost.any():
        raise CxlabError(
            f"{where}: 'n_eff' must be 0 where there are no responses (all three counts 0); "
            f"got {ne[ghost][:10].tolist()} at position(s) {_positions(ghost)}."
        )
    over = ne > rows * (1.0 + 1e-9) + 1e-9
    if over.any():
        what = "'n_rows'" if rows_given else "n, the total of the counts"
        hint = (
            ""
            if rows_given
            else " If the counts are weighted totals (weights averaging below 1), pass "
            "n_rows= (the number of respondents)."
        )
        raise CxlabError(
            f"{where}: 'n_eff' cannot exceed {what} (an effective sample size is at most "
            f"the number of respondents); n_eff {ne[over][:10].tolist()} > "
            f"{rows[over][:10].tolist()} at position(s) {_positions(over)}.{hint}"
        )


def pow2_scale(w: np.ndarray) -> float:
    """Power of two near ``max(w)`` (1.0 when there is no positive weight)."""
    top = float(w.max()) if w.size else 0.0
    return 2.0 ** (math.frexp(top)[1] - 1) if top > 0 else 1.0


def first_index(*xs: Any) -> pd.Index | None:
    for x in xs:
        if isinstance(x, pd.Series | pd.Index):
            return x.index if isinstance(x, pd.Series) else None
    return None


def check_n_boot(n_boot: int, where: str) -> int:
    try:
        ok = not isinstance(n_boot, bool) and float(n_boot).is_integer() and int(n_boot) >= 10
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise CxlabError(f"{where}: n_boot must be an integer >= 10, got {n_boot!r}.")
    return int(n_boot)
