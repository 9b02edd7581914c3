"""The quarterly report's sentences: the opening lead, the detailed summary.

Each sentence is derived from numbers the report also shows (the headline,
:func:`cxlab.report.period_change`, :func:`cxlab.report.versus_rest`), and
every name in it is escaped with :func:`cxlab._html.md_escape`.
"""

from __future__ import annotations

import pandas as pd

from cxlab import stats
from cxlab._html import md_escape
from cxlab.report._common import base_mark, group_column, low_base_note
from cxlab.report.text import base_caption, describe, fmt_nps, fmt_p, weight_note

__all__ = [
    "change_sentence",
    "lead",
    "method_note",
    "scope_label",
    "scorecard_heading",
    "summarize",
    "title",
]


def lead(
    *,
    scope: str,
    headline: pd.Series,
    change: pd.Series | None,
    breakdowns: dict[str, pd.DataFrame],
) -> str:
    """The summary's opening: at most three plain sentences a manager can act on (Markdown).

    1. The headline NPS with its interval, the change from the previous period
       and whether that change is statistically significant.
    2. The biggest significant gap: the group (of any breakdown) furthest below
       the rest of the sample, Holm-adjusted (:func:`versus_rest`); a group above
       the rest when none is below; "no group differs" when none does.
    3. The main caveat, when there is one: a low headline base, a low base
       behind the gap of sentence 2, or low-base groups in the breakdowns
       (flags by :data:`cxlab.stats.BASE_BANDS`, marked ``*``/``**``).

    The details (:func:`summarize`) follow it in the report. Every name is
    escaped with :func:`md_escape`.

    Parameters
    ----------
    scope : str
        What the numbers cover, e.g. ``"All units, 2026Q3"``.
    headline : pandas.Series
        A row of :func:`cxlab.nps` for the scope.
    change : pandas.Series, optional
        Output of :func:`compare_periods`.
    breakdowns : dict
        Dimension name -> output of :func:`versus_rest`.

    Examples
    --------
    >>> import pandas as pd
    >>> head = pd.Series({"nps": 24.2, "low": 21.4, "high": 27.0, "n": 3942, "level": 0.95,
    ...                   "flag": "reportable"})
    >>> chg = pd.Series({"previous": "2026Q2", "diff": -3.2, "p": 0.109, "significant": False})
    >>> tp = pd.DataFrame({"touchpoint": ["Stock", "Web"], "n": [333, 900], "nps": [-9.6, 30.1],
    ...                    "nps_rest": [25.5, 20.0], "diff_rest": [-35.1, 10.1],
    ...                    "verdict": ["below", ""], "flag": ["reportable"] * 2})
    >>> print(lead(scope="All units, 2026Q3", headline=head, change=chg,
    ...            breakdowns={"Touch point": tp}))  # doctest: +NORMALIZE_WHITESPACE
    NPS for All units\\, 2026Q3 is +24.2 (95% interval +21.4 to +27.0), down 3.2 points from
    2026Q2, a change within sampling noise (p = 0.109). The biggest significant gap is
    touch point Stock: NPS -9.6, 35.1 points below the rest (+25.5); start there.
    """
    sentences = [_headline_sentence(scope, headline, change)]
    gap_sentence, gap_row = _gap_sentence(breakdowns)
    if gap_sentence:
        sentences.append(gap_sentence)
    caution = _caution_sentence(headline, gap_row, breakdowns)
    if caution:
        sentences.append(caution)
    return " ".join(sentences)


def _headline_sentence(scope: str, headline: pd.Series, change: pd.Series | None) -> str:
    """Sentence 1 of :func:`lead`: the headline NPS, its interval and the change."""
    e = md_escape
    level = float(headline["level"])
    text = (
        f"NPS for {e(scope)} is {fmt_nps(headline['nps'])} ({level:.0%} interval "
        f"{fmt_nps(headline['low'])} to {fmt_nps(headline['high'])})"
    )
    if change is None:
        return text + ", with no previous period to compare."
    diff = float(change["diff"])
    move = (
        f"{'up' if diff > 0 else 'down'} {abs(diff):.1f} points"
        if round(diff, 1) != 0
        else "unchanged"
    )
    verdict = (
        "a statistically significant change"
        if change["significant"]
        else "a change within sampling noise"
    )
    return text + f", {move} from {e(change['previous'])}, {verdict} ({fmt_p(change['p'])})."


def _gap_sentence(breakdowns: dict[str, pd.DataFrame]) -> tuple[str, pd.Series | None]:
    """Sentence 2 of :func:`lead` and the group it names (``None`` when none differs).

    The group furthest below the rest wins; a group above the rest only when
    none is below.
    """
    e = md_escape
    found = []
    for dim, table in breakdowns.items():
        if not len(table) or "verdict" not in table:
            continue
        key = group_column(table)
        for _, r in table[table["verdict"].isin(["below", "above"])].iterrows():
            found.append((r["verdict"] == "below", abs(float(r["diff_rest"])), dim, key, r))
    if found:
        below, _, dim, key, gap_row = max(found, key=lambda f: (f[0], f[1]))
        side = "below" if below else "above"
        sentence = (
            f"The biggest significant gap is {e(dim.lower())} {e(gap_row[key])}"
            f"{base_mark(gap_row)}: NPS {fmt_nps(gap_row['nps'])}, "
            f"{abs(float(gap_row['diff_rest'])):.1f} points {side} the rest "
            f"({fmt_nps(gap_row['nps_rest'])})" + ("; start there." if below else ".")
        )
        return sentence, gap_row
    if breakdowns:
        return (
            "No " + ", ".join(e(d.lower()) for d in breakdowns) + " group differs significantly "
            "from the rest."
        ), None
    return "", None


def _caution_sentence(
    headline: pd.Series, gap_row: pd.Series | None, breakdowns: dict[str, pd.DataFrame]
) -> str:
    """Sentence 3 of :func:`lead`: the main low-base caveat, or ``""``."""
    e = md_escape
    low_groups = sum(
        int(t["flag"].astype(str).isin(["indicative", "unreliable"]).sum())
        for t in breakdowns.values()
        if "flag" in t
    )
    if str(headline.get("flag", "reportable")) != "reportable":
        return (
            f"Caution: the headline rests on only {float(headline['n']):,.0f} responses "
            f"({e(headline['flag'])} base), so treat it as a rough indication."
        )
    if gap_row is not None and str(gap_row.get("flag", "reportable")) != "reportable":
        return (
            f"Caution: that group has an {e(gap_row['flag'])} base "
            f"(n = {float(gap_row['n']):,.0f}), so confirm it next quarter before acting."
        )
    if low_groups:
        return (
            f"Caution: {low_groups} group{'s' if low_groups != 1 else ''} in the breakdowns "
            f"below {'have small bases' if low_groups != 1 else 'has a small base'} (marked "
            "\\* or \\*\\*); read their intervals rather than their points."
        )
    return ""


def summarize(
    *,
    scope: str,
    headline: pd.Series,
    change: pd.Series | None,
    breakdowns: dict[str, pd.DataFrame],
    csat_row: pd.Series | None = None,
    ces_row: pd.Series | None = None,
    bands: tuple[float, float] = stats.BASE_BANDS,
) -> str:
    """A short plain-language summary (Markdown) generated from the report's numbers.

    Every name in it (scope, dimension, group, quarter) is escaped with
    :func:`md_escape`, so it is shown as text whatever it contains. A group
    named as clearly above or below the rest carries its base flag
    (:func:`cxlab.stats.base_flag`, marked as in the charts: ``*`` indicative,
    ``**`` unreliable), and low-base groups of each breakdown are counted by
    the same rule.

    Parameters
    ----------
    scope : str
        What the numbers cover, e.g. ``"All units, 2026Q3"``.
    headline : pandas.Series
        A row of :func:`cxlab.nps` for the scope.
    change : pandas.Series, optional
        Output of :func:`compare_periods`.
    breakdowns : dict
        Dimension name -> output of :func:`versus_rest`.
    csat_row, ces_row : pandas.Series, optional
        Rows of :func:`cxlab.csat` and :func:`cxlab.ces` for the scope.
    bands : (float, float)
        The bands the ``flag`` columns were computed with (for the wording).
    """
    e = md_escape
    level = float(headline["level"])
    lines = [f"- **{e(scope)}**: NPS {describe(headline)}."]
    if headline["flag"] != "reportable":
        lines.append(
            f"- Caution: the base is small ({e(headline['flag'])}); treat the headline as a "
            "rough indication only."
        )
    if change is not None:
        lines.append(_change_line(change, level))
    for dim, table in breakdowns.items():
        lines += _breakdown_lines(dim, table, level, bands)
    lines += _csat_ces_lines(csat_row, ces_row)
    return "\n".join(lines)


def _change_line(change: pd.Series, level: float) -> str:
    """The summary's line on the change from the previous period."""
    direction = "up" if change["diff"] > 0 else "down" if change["diff"] < 0 else "unchanged"
    verdict = (
        "a statistically significant change"
        if change["significant"]
        else "within what sampling noise alone could produce"
    )
    return (
        f"- Versus {md_escape(change['previous'])} ({fmt_nps(change['nps_previous'])}): "
        f"{direction} {abs(change['diff']):.1f} points "
        f"({level:.0%} interval of the change {fmt_nps(change['low'])} to "
        f"{fmt_nps(change['high'])}, {fmt_p(change['p'])}), {verdict}."
    )


def _breakdown_lines(
    dim: str, table: pd.DataFrame, level: float, bands: tuple[float, float]
) -> list[str]:
    """The summary's lines for one breakdown: groups below, above, and low bases."""
    e = md_escape
    lines = []
    key = group_column(table)
    below = table[table["verdict"] == "below"].sort_values("diff_rest")
    above = table[table["verdict"] == "above"].sort_values("diff_rest", ascending=False)
    if len(below):
        names = "; ".join(
            f"{e(r[key])} {describe(r)[:-1]}{low_base_note(r)})" for _, r in below.iterrows()
        )
        lines.append(
            f"- {e(dim)}: clearly below the rest (Holm-adjusted, {level:.0%}): {names}. "
            "The headline hides these."
        )
    if len(above):
        names = ", ".join(
            f"{e(r[key])} ({fmt_nps(r['nps'])}; n = {r['n']:,.0f}{low_base_note(r)})"
            for _, r in above.iterrows()
        )
        lines.append(f"- {e(dim)}: clearly above the rest: {names}.")
    if not len(below) and not len(above):
        lines.append(f"- {e(dim)}: no group differs clearly from the rest.")
    legend = stats.base_legend(bands)
    flags = table["flag"].astype(str) if "flag" in table else pd.Series(dtype=str)
    low = [
        f"{int((flags == f).sum())} with an {e(legend[f][: legend[f].rindex(' ')])}, marked "
        f"{e(stats.BASE_MARKS[f])}"
        for f in ("indicative", "unreliable")
        if (flags == f).any()
    ]
    if low:
        lines.append(
            f"  (Low-base {e(dim.lower())} groups: {'; '.join(low)}. Their estimates are "
            "rough: read their intervals rather than their points.)"
        )
    return lines


def _csat_ces_lines(csat_row: pd.Series | None, ces_row: pd.Series | None) -> list[str]:
    """The summary's CSAT and CES lines (none for a metric nobody answered)."""
    lines = []
    if csat_row is not None and csat_row["n"] > 0:
        lines.append(
            f"- CSAT: {csat_row['top_box']:.1f}% satisfied (4-5 of 5; interval "
            f"{csat_row['top_box_low']:.1f}-{csat_row['top_box_high']:.1f}%), "
            f"mean {csat_row['mean']:.2f}."
        )
    if ces_row is not None and ces_row["n"] > 0:
        lines.append(
            f"- CES: {ces_row['top_box']:.1f}% found it easy (5-7 of 7; interval "
            f"{ces_row['top_box_low']:.1f}-{ces_row['top_box_high']:.1f}%), "
            f"mean {ces_row['mean']:.2f}."
        )
    return lines


def scope_label(unit: str, quarter: str) -> str:
    """What a report covers, as plain text (escape it for Markdown).

    Examples
    --------
    >>> scope_label("ALL", "2026Q3"), scope_label("Nordics", "2026Q3")
    ('All units, 2026Q3', 'Nordics, 2026Q3')
    """
    return f"{'All units' if unit == 'ALL' else unit}, {quarter}"


def title(scope: str) -> str:
    """The report's title (a Markdown heading, the scope escaped).

    Examples
    --------
    >>> title("Nordics, 2026Q3")
    '# Customer experience report: Nordics\\\\, 2026Q3'
    """
    return f"# Customer experience report: {md_escape(scope)}"


def method_note(
    *,
    level: float,
    weight: str | None,
    headline: pd.Series | None = None,
    bands: tuple[float, float] = stats.BASE_BANDS,
) -> str:
    """How to read the numbers: the interval level, the weights, the base-size marks.

    Sentences from :func:`cxlab.report.weight_note` and
    :func:`cxlab.report.base_caption` (Markdown, names escaped).

    Examples
    --------
    >>> print(method_note(level=0.9, weight=None))  # doctest: +ELLIPSIS
    Every interval is a 90% interval (NPS: adjusted Wald). Estimates are unweighted: ...
    """
    return (
        f"Every interval is a {level:.0%} interval (NPS: adjusted Wald). "
        + weight_note(weight, headline)
        + " "
        + base_caption(bands)
    )


def change_sentence(change: pd.Series | None, *, previous: str, level: float) -> str:
    """The change from the previous period in one sentence, or why there is none.

    Parameters
    ----------
    change : pandas.Series or None
        Output of :func:`cxlab.report.period_change` (``None``: no previous responses).
    previous : str
        The previous period's label.
    level : float
        The confidence level of the change's interval.

    Examples
    --------
    >>> chg = pd.Series({"diff": -3.25, "low": -7.2, "high": 0.7, "z": -1.6, "p": 0.109,
    ...                  "significant": False})
    >>> change_sentence(chg, previous="2026Q2", level=0.95)
    'Change: **-3.2 points** (95% interval -7.2 to +0.7; z = -1.60, p = 0.109): not statistically significant.'
    >>> print(change_sentence(None, previous="<i>Q2</i>", level=0.95))
    No responses in &lt;i&gt;Q2&lt;\\/i&gt;: no change can be computed.
    """
    if change is None:
        return f"No responses in {md_escape(previous)}: no change can be computed."
    return (
        f"Change: **{change['diff']:+.1f} points** ({level:.0%} interval {change['low']:+.1f} to "
        f"{change['high']:+.1f}; z = {change['z']:.2f}, {fmt_p(change['p'])}): "
        + (
            "statistically significant."
            if change["significant"]
            else "not statistically significant."
        )
    )


def scorecard_heading(label: str) -> str:
    """The bold line above a scorecard table, e.g. ``**By touch point**`` (escaped).

    Examples
    --------
    >>> scorecard_heading("Touch point")
    '**By touch point**'
    """
    return f"**By {md_escape(label.lower())}**"
