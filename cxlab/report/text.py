"""Numbers and notes in words: signed NPS, p-values, weights, base sizes, footnotes.

Every phrase is Markdown; names from the data go through
:func:`cxlab._html.md_escape` (as ``cxlab.report.md_escape``), so a group
called ``<script>`` or ``*bold*`` is shown as text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxlab import stats
from cxlab._checks import renamed_keywords
from cxlab._html import md_escape

__all__ = [
    "base_caption",
    "describe",
    "fmt_nps",
    "fmt_p",
    "interval_note",
    "not_asked_note",
    "not_recorded_note",
    "weight_note",
]


def fmt_nps(x: float) -> str:
    """NPS with an explicit sign, e.g. ``+34.2``, ``-5.0``; ``0.0``, never ``-0.0``.

    Examples
    --------
    >>> fmt_nps(34.24), fmt_nps(-0.04), fmt_nps(float("nan"))
    ('+34.2', '0.0', 'n/a')
    """
    if pd.isna(x):
        return "n/a"
    return "0.0" if round(float(x), 1) == 0 else f"{x:+.1f}"


def fmt_p(p: float) -> str:
    """A p-value as a reader sees it: ``p = 0.012``, ``p < 0.001`` (``p n/a`` when missing).

    Examples
    --------
    >>> fmt_p(0.01234), fmt_p(3e-9), fmt_p(float("nan"))
    ('p = 0.012', 'p < 0.001', 'p n/a')
    """
    if pd.isna(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def describe(row: pd.Series, level: float | None = None) -> str:
    """One phrase for an NPS row: ``+34.2 (95% interval +31.0 to +37.1; n = 2,012)``.

    A weighted row also gives its Kish effective n: ``n = 2,012, effective n = 1,850``.
    """
    level = float(row.get("level", 0.95)) if level is None else level
    n_eff = row.get("n_eff")
    eff = (
        f", effective n = {n_eff:,.0f}"
        if n_eff is not None and not pd.isna(n_eff) and abs(float(n_eff) - float(row["n"])) >= 0.5
        else ""
    )
    return (
        f"{fmt_nps(row['nps'])} ({level:.0%} interval {fmt_nps(row['low'])} to "
        f"{fmt_nps(row['high'])}; n = {row['n']:,.0f}{eff})"
    )


def weight_note(weight: str | None, row: pd.Series | None = None) -> str:
    """One sentence saying which weights the estimates use (Markdown, escaped).

    Examples
    --------
    >>> weight_note(None)
    'Estimates are unweighted: every response counts once.'
    >>> weight_note("weight", pd.Series({"n": 4038, "n_eff": 3187.2}))
    "Estimates are weighted by the responses' survey weights (column weight); n counts responses, effective n (Kish) is what the weighted intervals rest on: 3,187 of 4,038 here."
    """
    if weight is None:
        return "Estimates are unweighted: every response counts once."
    text = (
        f"Estimates are weighted by the responses' survey weights (column {md_escape(weight)}); "
        "n counts responses, effective n (Kish) is what the weighted intervals rest on"
    )
    if row is not None and not pd.isna(row.get("n_eff")):
        text += f": {row['n_eff']:,.0f} of {row['n']:,.0f} here"
    return text + "."


def not_asked_note(labels: Sequence[str]) -> str:
    """One sentence naming the metrics a survey did not ask ("" if none).

    Examples
    --------
    >>> not_asked_note(["CES"])
    'CES was not asked in these quarters, so the trend has no CES panel.'
    >>> not_asked_note([])
    ''
    """
    if not labels:
        return ""
    names = list(labels)
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb, panel = ("was", "panel") if len(names) == 1 else ("were", "panels")
    joined = md_escape(joined)
    return f"{joined} {verb} not asked in these quarters, so the trend has no {joined} {panel}."


def not_recorded_note(labels: Sequence[str]) -> str:
    """One sentence naming the breakdowns the data cannot support ("" if none).

    Examples
    --------
    >>> not_recorded_note(["Channel", "Touch point"])
    'Channel and touch point were not recorded in this data, so the report has no breakdown by them.'
    >>> not_recorded_note([])
    ''
    """
    if not labels:
        return ""
    names = [labels[0]] + [x.lower() for x in labels[1:]]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb, them = ("was", "it") if len(names) == 1 else ("were", "them")
    return f"{joined} {verb} not recorded in this data, so the report has no breakdown by {them}."


def base_caption(bands: tuple[float, float] = stats.BASE_BANDS) -> str:
    """One Markdown sentence explaining the base-size marks of charts and text.

    Examples
    --------
    The Markdown renders as: "Base sizes: * marks an indicative base (n 30-99;
    hollow dot in the charts), ** an unreliable one (n < 30; cross); read their
    intervals rather than their points."

    >>> base_caption().startswith("Base sizes: \\\\* marks an indicative base")
    True
    """
    legend = stats.base_legend(bands)

    def words(flag: str) -> str:
        text = legend[flag][: legend[flag].rindex(" ")]
        return md_escape(text[text.index("(") :])

    return (
        f"Base sizes: {md_escape(stats.BASE_MARKS['indicative'])} marks an indicative base "
        f"{words('indicative')[:-2]}; hollow dot in the charts), "
        f"{md_escape(stats.BASE_MARKS['unreliable'])} an unreliable one "
        f"{words('unreliable')[:-2]}; cross); read their intervals rather than their points."
    )


@renamed_keywords(table="data")
def interval_note(
    data: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    estimate: str = "nps",
    low: str = "low",
    high: str = "high",
) -> str:
    """A footnote (Markdown) for groups whose interval does not contain the estimate.

    At a tiny base the adjusted-Wald NPS interval is centred on the counts plus
    three pseudo-responses (0.75 detractor, 1.5 passive, 0.75 promoter), not on
    the observed NPS: one promoter gives NPS +100 with the interval -48.5 to
    +98.5. Charts draw such an interval where it is and mark the estimate on
    its own; this sentence tells the reader why. Groups without responses are
    named too. Empty string when there is nothing to explain.

    Parameters
    ----------
    data : pandas.DataFrame
        A result of :func:`cxlab.nps` (or any frame with the estimate, bounds and
        ``n``); formerly ``table=``.
    by : str or list of str, optional
        Group column(s) naming the rows; default the columns before ``n``.
    estimate, low, high : str
        Columns of the estimate and its interval.

    Examples
    --------
    >>> import cxlab, pandas as pd
    >>> df = pd.DataFrame({"ltr": [10] + [9, 3] * 50, "ch": ["Kiosk"] + ["Web"] * 100})
    >>> print(interval_note(cxlab.nps(df, "ltr", by="ch")))  # doctest: +NORMALIZE_WHITESPACE
    Note: for Kiosk (n = 1; NPS +100.0, interval -48.5 to +98.5) the interval does not
    contain the observed NPS. At a base this small the interval is not centred on the
    observed value (the adjusted-Wald interval adds 3 pseudo-responses), so it says more
    than the point estimate: a handful of answers cannot pin the NPS down.
    """
    if data.empty:
        return ""
    names = _group_names(data, by)
    est = pd.to_numeric(data[estimate], errors="coerce")
    lo = pd.to_numeric(data[low], errors="coerce")
    hi = pd.to_numeric(data[high], errors="coerce")
    n = pd.to_numeric(data["n"], errors="coerce") if "n" in data else pd.Series(np.nan, data.index)
    outside = est.notna() & lo.notna() & hi.notna() & ((est < lo) | (est > hi))
    empty = n.fillna(0) <= 0
    parts = []
    if outside.any():
        groups = "; ".join(
            f"{md_escape(names[i])} (n = {n[i]:,.0f}; NPS {fmt_nps(est[i])}, interval "
            f"{fmt_nps(lo[i])} to {fmt_nps(hi[i])})"
            if estimate == "nps"
            else f"{md_escape(names[i])} (n = {n[i]:,.0f}; {est[i]:.1f}, interval "
            f"{lo[i]:.1f} to {hi[i]:.1f})"
            for i in data.index[outside]
        )
        methods = set(data["method"].astype(str)) if "method" in data else set()
        why = (
            "the adjusted-Wald interval adds 3 pseudo-responses"
            if methods <= {"adjusted-wald"} and methods
            else "small-sample intervals are not centred on the observed share"
        )
        what = "NPS" if estimate == "nps" else "value"
        parts.append(
            f"Note: for {groups} the interval does not contain the observed {what}. At a base "
            f"this small the interval is not centred on the observed value ({why}), so it says "
            "more than the point estimate: a handful of answers cannot pin the "
            f"{what} down."
        )
    if empty.any():
        parts.append(
            "No responses for "
            + ", ".join(md_escape(names[i]) for i in data.index[empty])
            + ": no estimate is shown for them."
        )
    return " ".join(parts)


def _group_names(table: pd.DataFrame, by: str | Sequence[str] | None) -> pd.Series:
    """Each row's group as text (``"Web / Nordics"``); default group columns: those before ``n``."""
    cols = [by] if isinstance(by, str) else list(by) if by is not None else None
    if cols is None:
        cols = list(table.columns[: table.columns.get_loc("n")]) if "n" in table else []
    return (
        table[cols].astype(str).agg(" / ".join, axis=1)
        if cols
        else pd.Series([str(i) for i in table.index], index=table.index)
    )
