"""Can the ranking be told apart, and on what base: adjacent pairs and report sentences."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cxlab.key_drivers.model import KeyDrivers

__all__ = ["adjacent_from_replicates", "adjacent_pairs", "base_text", "ranking_text"]


def adjacent_from_replicates(res: pd.DataFrame, bshare: np.ndarray, level: float) -> pd.DataFrame:
    """Percentile interval of share(rank k) - share(rank k + 1) over the same replicates.

    ``res`` is the ranked importance table, ``bshare`` the ``(B, p)`` bootstrap
    shares with columns in the order of ``res``.
    """
    a = (1 - level) / 2
    rows = []
    for k in range(len(res) - 1):
        d = bshare[:, k] - bshare[:, k + 1]
        lo, hi = np.quantile(d, [a, 1 - a])
        rows.append(
            {
                "rank": k + 1,
                "driver": res["driver"].iloc[k],
                "next_driver": res["driver"].iloc[k + 1],
                "diff": float(res["share"].iloc[k] - res["share"].iloc[k + 1]),
                "low": float(lo),
                "high": float(hi),
                "separated": bool(lo > 0 or hi < 0),
                "basis": "difference",
            }
        )
    return pd.DataFrame(rows)


def adjacent_pairs(result: KeyDrivers | pd.DataFrame) -> pd.DataFrame:
    """Can each driver be told apart from the next one in the ranking?

    Every adjacent pair of a fitted :class:`~cxlab.key_drivers.KeyDrivers`
    (rank 1 vs 2, 2 vs 3, ...): its ``adjacent_``, where each pair is judged on
    the percentile interval of the *difference* of the two shares over the same
    bootstrap replicates (a paired comparison: two overlapping intervals can
    still differ); the pair is told apart when that interval excludes 0.
    Given a table (a :func:`~cxlab.key_drivers.drivers` result, which keeps no
    replicates) the fallback is the cruder overlap of the two share intervals.
    The ranking was chosen after looking, so adjacent gaps are biased upward
    (a pair told apart is a pair worth a second look, not proof).

    Returns
    -------
    pandas.DataFrame
        ``rank, driver, next_driver, diff, low, high, separated, basis``
        (``basis`` is ``"difference"`` or ``"overlap"``; shares as fractions).
        Empty without intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"driver": ["a", "b", "c"], "share": [0.5, 0.3, 0.2],
    ...                     "share_low": [0.42, 0.25, 0.12], "share_high": [0.58, 0.36, 0.27]})
    >>> adjacent_pairs(res)[["rank", "separated"]].values.tolist()
    [[1, True], [2, False]]
    """
    if not isinstance(result, pd.DataFrame):
        if result.adjacent_ is not None:
            return result.adjacent_.copy()
        result = result.importance_
    cols = ["rank", "driver", "next_driver", "diff", "low", "high", "separated", "basis"]
    if "share_low" not in result or result["share_low"].isna().any() or len(result) < 2:
        return pd.DataFrame(columns=cols)
    r = result.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)
    rows = []
    for k in range(len(r) - 1):
        a, b = r.iloc[k], r.iloc[k + 1]
        rows.append(
            {
                "rank": k + 1,
                "driver": a["driver"],
                "next_driver": b["driver"],
                "diff": float(a["share"] - b["share"]),
                "low": np.nan,
                "high": np.nan,
                "separated": bool(a["share_low"] > b["share_high"]),
                "basis": "overlap",
            }
        )
    return pd.DataFrame(rows, columns=cols)


def base_text(result: KeyDrivers | pd.DataFrame) -> str:
    """The base of a key driver analysis, with the effective n when weights were used.

    ``n`` is the number of complete responses; ``n_eff`` Kish's effective
    sample size of their weights (Kish 1965, *Survey Sampling*), shown only
    when it differs from ``n``. ``result`` is a fitted
    :class:`~cxlab.key_drivers.KeyDrivers` or a table with ``n`` (and
    ``n_eff``) columns such as its ``importance_``.

    Examples
    --------
    >>> import pandas as pd
    >>> base_text(pd.DataFrame({"n": [4038], "n_eff": [3187.4]}))
    'n = 4,038 responses (effective n = 3,187 with weights)'
    >>> base_text(pd.DataFrame({"n": [250], "n_eff": [250.0]}))
    'n = 250 responses'
    """
    if not isinstance(result, pd.DataFrame):
        result = result.importance_
    n = int(result["n"].iloc[0])
    text = f"n = {n:,} responses"
    if "n_eff" in result:
        ne = float(result["n_eff"].iloc[0])
        if np.isfinite(ne) and round(ne) != n:
            text += f" (effective n = {ne:,.0f} with weights)"
    return text


def ranking_text(result: KeyDrivers | pd.DataFrame) -> str:
    """Which drivers the data can tell apart: one clause per adjacent pair (Markdown).

    Built from :func:`adjacent_pairs` (pass the fitted
    :class:`~cxlab.key_drivers.KeyDrivers` for the paired bootstrap comparison;
    a table gives the overlap of intervals); every pair of the ranking is covered
    (``1 vs 2``, ``2 vs 3``, ...). Names are escaped with
    :func:`cxlab.report.md_escape`.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"driver": ["a", "b", "c"], "share": [0.5, 0.3, 0.2],
    ...                     "share_low": [0.42, 0.25, 0.12], "share_high": [0.58, 0.36, 0.27]})
    >>> print(ranking_text(res))
    Can the ranking be told apart? 1 vs 2 (a, b): intervals do not overlap, told apart; 2 vs 3 (b, c): intervals overlap, cannot be told apart.
    """
    from cxlab._html import md_escape as e

    adj = adjacent_pairs(result)
    if adj.empty:
        return (
            "No intervals were computed (bootstrap = 0): the ranking cannot be checked, so "
            "treat small gaps in it as noise."
        )
    frame = result if isinstance(result, pd.DataFrame) else result.importance_
    level = float(frame["level"].iloc[0]) if "level" in frame else 0.95
    parts = []
    for r in adj.itertuples():
        head = f"{r.rank} vs {r.rank + 1} ({e(r.driver)}, {e(r.next_driver)}): "
        if r.basis == "difference":
            gap = (
                f"difference {100 * r.diff:+.1f} points ({level:.0%} interval "
                f"{100 * r.low:+.1f} to {100 * r.high:+.1f})"
            )
            verdict = "told apart" if r.separated else "cannot be told apart"
            parts.append(head + f"{gap}, {verdict}")
        else:
            parts.append(
                head
                + (
                    "intervals do not overlap, told apart"
                    if r.separated
                    else "intervals overlap, cannot be told apart"
                )
            )
    text = "Can the ranking be told apart? " + "; ".join(parts) + "."
    if adj["basis"].iloc[0] == "difference":
        text += (
            " (Bootstrap interval of the difference in share of explained variation between "
            "neighbours; the ranking was chosen after looking, so read a close call as a tie.)"
        )
    return text
