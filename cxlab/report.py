"""Building blocks of the quarterly report: periods, comparisons and plain words.

The notebook ``notebooks/quarterly_report.ipynb`` stays thin: it asks these
functions for numbers and sentences, and every sentence here is derived from
numbers the report also shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats, tables
from cxlab._html import md_escape
from cxlab.errors import CxlabError
from cxlab.metrics import as_table, nps
from cxlab.periods import quarters_up_to, shift_quarter  # re-exported: report.shift_quarter
from cxlab.tables import format_table

__all__ = [
    "breakdown",
    "compare_periods",
    "period_change",
    "describe",
    "fmt_nps",
    "format_table",
    "base_caption",
    "interval_note",
    "lead",
    "not_asked_note",
    "asked",
    "latest_quarter",
    "md_escape",
    "quarters_up_to",
    "responses_view",
    "scorecard",
    "shift_quarter",
    "snapshot",
    "summarize",
    "table_html",
    "versus_rest",
]


def _effective(row: pd.Series) -> pd.Series:
    """Counts rescaled to the Kish effective n (identity for unweighted rows)."""
    total = float(row["detractors"] + row["passives"] + row["promoters"])
    scale = float(row.get("n_eff", total)) / total if total > 0 else 0.0
    out = row.astype(object)
    for c in ("detractors", "passives", "promoters"):
        out[c] = float(row[c]) * scale
    out["n"] = float(row.get("n_eff", total))
    return out


def compare_periods(
    data: pd.DataFrame | ir.Table,
    score: str,
    *,
    period: str,
    current: str,
    previous: str,
    weight: str | None = None,
    method: str = "adjusted-wald",
    level: float = 0.95,
) -> pd.Series:
    """NPS of two periods and the test of their difference.

    The two periods are independent samples; the difference, its interval and
    the two-sided z test come from :func:`cxlab.stats.nps_diff`. One query
    (:func:`cxlab.nps` by ``period``) then :func:`period_change`.

    Returns
    -------
    pandas.Series
        ``current, previous, nps, nps_previous, n, n_previous, diff, se, low,
        high, z, p, significant``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ltr": [10] * 60 + [3] * 40 + [10] * 40 + [3] * 60,
    ...                    "q": ["B"] * 100 + ["A"] * 100})
    >>> r = compare_periods(df, "ltr", period="q", current="B", previous="A")
    >>> float(r["diff"]), bool(r["significant"])
    (40.0, True)
    """
    t = as_table(data)
    t = t.filter(t[period].isin([current, previous]))
    res = nps(t, score, by=period, weight=weight, method=method, level=level)
    return period_change(res, period=period, current=current, previous=previous, score=score)


def period_change(
    result: pd.DataFrame,
    *,
    period: str,
    current: str,
    previous: str,
    score: str = "ltr",
) -> pd.Series:
    """The change between two periods of an NPS result by ``period``, as :func:`compare_periods`.

    For a caller that already holds :func:`cxlab.nps` by ``period`` (the
    report's promoter mix of this and last quarter, the pack's 12-quarter
    trend): the same test without asking the engine again. The level is the
    result's; other periods in ``result`` are ignored.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10] * 60 + [3] * 40 + [10] * 40 + [3] * 60,
    ...                    "q": ["B"] * 100 + ["A"] * 100})
    >>> r = period_change(cxlab.nps(df, "ltr", by="q"), period="q", current="B", previous="A")
    >>> float(r["diff"]), bool(r["significant"])
    (40.0, True)
    """
    rows = {r[period]: r for _, r in result.iterrows() if r[period] in (current, previous)}
    for q in (current, previous):
        if q not in rows or rows[q]["n"] == 0:
            raise CxlabError(f"no {score!r} responses with {period} = {q!r}.")
    level = float(rows[current]["level"])
    a, b = _effective(rows[current]), _effective(rows[previous])
    d = stats.nps_diff(a, b, level=level)
    out = pd.Series(
        {
            "current": current,
            "previous": previous,
            "nps": rows[current]["nps"],
            "nps_previous": rows[previous]["nps"],
            "n": rows[current]["n"],
            "n_previous": rows[previous]["n"],
        }
    )
    out = pd.concat([out, d[["diff", "se", "low", "high", "z", "p"]]])
    out["significant"] = bool(out["p"] < 1 - level)
    return out


def versus_rest(result: pd.DataFrame, *, level: float | None = None) -> pd.DataFrame:
    """Test each group's NPS against all other groups combined, Holm-adjusted.

    A group is compared with the rest of the sample (not with the total, which
    contains it), so the two samples are independent and
    :func:`cxlab.stats.nps_diff` applies; p-values are adjusted for the number of
    groups with Holm's method (statsmodels ``multipletests``).

    Parameters
    ----------
    result : pandas.DataFrame
        Output of :func:`cxlab.nps` with a ``by`` breakdown.
    level : float, optional
        Defaults to the result's ``level``.

    Returns
    -------
    pandas.DataFrame
        ``result`` plus ``nps_rest, diff_rest, p_rest, p_adj, verdict`` where
        verdict is ``"below"``, ``"above"`` or ``""``.
    """
    if result.empty:
        return result.assign(nps_rest=[], diff_rest=[], p_rest=[], p_adj=[], verdict=[])
    level = float(result["level"].iloc[0]) if level is None else level
    eff = result.apply(_effective, axis=1)
    totals = eff[["detractors", "passives", "promoters", "n"]].sum()
    rest_nps, diffs, ps = [], [], []
    for _, row in eff.iterrows():
        rest = pd.Series(
            {c: totals[c] - row[c] for c in ("detractors", "passives", "promoters", "n")}
            | {"method": row["method"]},
            dtype=object,
        )
        if rest["n"] <= 0 or row["n"] <= 0:
            rest_nps.append(np.nan)
            diffs.append(np.nan)
            ps.append(np.nan)
            continue
        rest_nps.append(
            100 * (rest["promoters"] - rest["detractors"]) / rest["n"] if rest["n"] else np.nan
        )
        d = stats.nps_diff(row, rest, level=level)
        diffs.append(d["diff"])
        ps.append(d["p"])
    out = result.copy()
    out["nps_rest"] = rest_nps
    out["diff_rest"] = diffs
    out["p_rest"] = ps
    p_adj = stats.adjust_pvalues(ps, "holm")
    out["p_adj"] = p_adj
    sig = p_adj < 1 - level
    out["verdict"] = np.where(sig & (out["diff_rest"] < 0), "below", "")
    out["verdict"] = np.where(sig & (out["diff_rest"] > 0), "above", out["verdict"])
    return out


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


def resolve_weight(data: pd.DataFrame | ir.Table, weight: str | None = "auto") -> str | None:
    """The weight column a report uses: ``"auto"`` picks ``weight`` when it has values.

    Parameters
    ----------
    data : DataFrame or Ibis table
        The responses.
    weight : str or None
        ``"auto"`` (the ``weight`` column if any response has a weight, else
        none), ``"none"``/``None`` (unweighted), or a column name.

    Returns
    -------
    str or None
        The column to pass as ``weight=`` to :func:`cxlab.nps` and friends.

    Examples
    --------
    >>> df = pd.DataFrame({"ltr": [9, 3], "weight": [None, None]})
    >>> resolve_weight(df) is None, resolve_weight(df.assign(weight=[1.0, 2.0]))
    (True, 'weight')
    """
    if weight is None or str(weight).lower() == "none":
        return None
    t = as_table(data)
    column = "weight" if str(weight).lower() == "auto" else str(weight)
    if column not in t.columns:
        if str(weight).lower() == "auto":
            return None
        raise CxlabError(
            f"weight column {column!r} is not in the responses; columns: "
            f"{', '.join(t.columns)}. Use 'auto' or 'none'."
        )
    has_values = int(t[column].count().execute()) > 0
    if not has_values and str(weight).lower() != "auto":
        raise CxlabError(f"weight column {column!r} has no values; use 'auto' or 'none'.")
    return column if has_values else None


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


def _base_note(row: pd.Series) -> str:
    """``"; indicative base *"`` for a low-base row, else ``""`` (Markdown-escaped marks)."""
    flag = str(row.get("flag", "reportable"))
    if flag not in ("indicative", "unreliable"):
        return ""
    return f", {flag} base {md_escape(stats.BASE_MARKS[flag])}"


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
    e = md_escape
    level = float(headline["level"])
    text = (
        f"NPS for {e(scope)} is {fmt_nps(headline['nps'])} ({level:.0%} interval "
        f"{fmt_nps(headline['low'])} to {fmt_nps(headline['high'])})"
    )
    if change is None:
        text += ", with no previous period to compare."
    else:
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
        text += f", {move} from {e(change['previous'])}, {verdict} ({fmt_p(change['p'])})."
    sentences = [text]
    found = []
    for dim, table in breakdowns.items():
        if not len(table) or "verdict" not in table:
            continue
        key = _group_col(table)
        for _, r in table[table["verdict"].isin(["below", "above"])].iterrows():
            found.append((r["verdict"] == "below", abs(float(r["diff_rest"])), dim, key, r))
    gap_row = None
    if found:
        below, _, dim, key, gap_row = max(found, key=lambda f: (f[0], f[1]))
        side = "below" if below else "above"
        sentences.append(
            f"The biggest significant gap is {e(dim.lower())} {e(gap_row[key])}"
            f"{_mark(gap_row)}: NPS {fmt_nps(gap_row['nps'])}, "
            f"{abs(float(gap_row['diff_rest'])):.1f} points {side} the rest "
            f"({fmt_nps(gap_row['nps_rest'])})" + ("; start there." if below else ".")
        )
    elif breakdowns:
        sentences.append(
            "No " + ", ".join(e(d.lower()) for d in breakdowns) + " group differs significantly "
            "from the rest."
        )
    low_groups = sum(
        int(t["flag"].astype(str).isin(["indicative", "unreliable"]).sum())
        for t in breakdowns.values()
        if "flag" in t
    )
    if str(headline.get("flag", "reportable")) != "reportable":
        sentences.append(
            f"Caution: the headline rests on only {float(headline['n']):,.0f} responses "
            f"({e(headline['flag'])} base), so treat it as a rough indication."
        )
    elif gap_row is not None and str(gap_row.get("flag", "reportable")) != "reportable":
        sentences.append(
            f"Caution: that group has an {e(gap_row['flag'])} base "
            f"(n = {float(gap_row['n']):,.0f}), so confirm it next quarter before acting."
        )
    elif low_groups:
        sentences.append(
            f"Caution: {low_groups} group{'s' if low_groups != 1 else ''} in the breakdowns "
            f"below {'have small bases' if low_groups != 1 else 'has a small base'} (marked "
            "\\* or \\*\\*); read their intervals rather than their points."
        )
    return " ".join(sentences)


def _mark(row: pd.Series) -> str:
    """`` *``/`` **`` (Markdown-escaped) after a low-base group's name, as in charts."""
    mark = stats.BASE_MARKS.get(str(row.get("flag", "reportable")), "")
    return f" {md_escape(mark)}" if mark else ""


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


def asked(result: pd.DataFrame) -> bool:
    """Whether a metric result has any scored response (the question was asked).

    Examples
    --------
    >>> asked(pd.DataFrame({"n": [0, 0]})), asked(pd.DataFrame({"n": [0, 4]}))
    (False, True)
    """
    return bool(len(result)) and bool((pd.to_numeric(result["n"], errors="coerce") > 0).any())


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
    legend = stats.base_legend(bands)
    lines = [f"- **{e(scope)}**: NPS {describe(headline)}."]
    if headline["flag"] != "reportable":
        lines.append(
            f"- Caution: the base is small ({e(headline['flag'])}); treat the headline as a "
            "rough indication only."
        )
    if change is not None:
        direction = "up" if change["diff"] > 0 else "down" if change["diff"] < 0 else "unchanged"
        verdict = (
            "a statistically significant change"
            if change["significant"]
            else "within what sampling noise alone could produce"
        )
        lines.append(
            f"- Versus {e(change['previous'])} ({fmt_nps(change['nps_previous'])}): "
            f"{direction} {abs(change['diff']):.1f} points "
            f"({level:.0%} interval of the change {fmt_nps(change['low'])} to "
            f"{fmt_nps(change['high'])}, {fmt_p(change['p'])}), {verdict}."
        )
    for dim, table in breakdowns.items():
        key = _group_col(table)
        below = table[table["verdict"] == "below"].sort_values("diff_rest")
        above = table[table["verdict"] == "above"].sort_values("diff_rest", ascending=False)
        if len(below):
            names = "; ".join(
                f"{e(r[key])} {describe(r)[:-1]}{_base_note(r)})" for _, r in below.iterrows()
            )
            lines.append(
                f"- {e(dim)}: clearly below the rest (Holm-adjusted, {level:.0%}): {names}. "
                "The headline hides these."
            )
        if len(above):
            names = ", ".join(
                f"{e(r[key])} ({fmt_nps(r['nps'])}; n = {r['n']:,.0f}{_base_note(r)})"
                for _, r in above.iterrows()
            )
            lines.append(f"- {e(dim)}: clearly above the rest: {names}.")
        if not len(below) and not len(above):
            lines.append(f"- {e(dim)}: no group differs clearly from the rest.")
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
    return "\n".join(lines)


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


def interval_note(
    table: pd.DataFrame,
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
    table : pandas.DataFrame
        A result of :func:`cxlab.nps` (or any frame with the estimate, bounds and
        ``n``).
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
    if table.empty:
        return ""
    cols = [by] if isinstance(by, str) else list(by) if by is not None else None
    if cols is None:
        cols = list(table.columns[: table.columns.get_loc("n")]) if "n" in table else []
    names = (
        table[cols].astype(str).agg(" / ".join, axis=1)
        if cols
        else pd.Series([str(i) for i in table.index], index=table.index)
    )
    est = pd.to_numeric(table[estimate], errors="coerce")
    lo = pd.to_numeric(table[low], errors="coerce")
    hi = pd.to_numeric(table[high], errors="coerce")
    n = (
        pd.to_numeric(table["n"], errors="coerce")
        if "n" in table
        else pd.Series(np.nan, table.index)
    )
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
            for i in table.index[outside]
        )
        methods = set(table["method"].astype(str)) if "method" in table else set()
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
            + ", ".join(md_escape(names[i]) for i in table.index[empty])
            + ": no estimate is shown for them."
        )
    return " ".join(parts)


def _group_col(table: pd.DataFrame) -> str:
    """The group column of a one-dimension breakdown (results put group columns first)."""
    cols = list(table.columns[: table.columns.get_loc("n")])
    if len(cols) != 1:
        raise CxlabError(f"expected one group column, found {cols}.")
    return cols[0]


def breakdown(
    data: pd.DataFrame | ir.Table,
    score: str,
    dims: Sequence[str],
    **kwargs: Any,
) -> dict[str, pd.DataFrame]:
    """NPS by each of ``dims`` separately, each tested against the rest of the sample.

    Responses whose group is missing form a group labelled ``"not recorded"``
    (:data:`NOT_RECORDED`); a dimension recorded for no response at all is left
    out of the result (say so with :func:`not_recorded_note`), rather than shown
    as one misleading group.
    """
    out = {}
    for d in dims:
        table = label_missing(nps(data, score, by=d, **kwargs), d)
        if table is not None:
            out[d] = versus_rest(table)
    return out


#: Label of the group of responses whose channel, touch point, segment... is missing.
NOT_RECORDED = "not recorded"


def label_missing(table: pd.DataFrame, column: str) -> pd.DataFrame | None:
    """Label missing values of ``column`` as :data:`NOT_RECORDED`; ``None`` if all are missing.

    Examples
    --------
    >>> t = pd.DataFrame({"channel": ["web", None], "n": [3, 2]})
    >>> label_missing(t, "channel")["channel"].tolist()
    ['web', 'not recorded']
    >>> label_missing(t.assign(channel=None), "channel") is None
    True
    """
    missing = table[column].isna()
    if len(table) == 0 or missing.all():
        return None
    if missing.any():
        table = table.copy()
        table[column] = table[column].astype(object).where(~missing, NOT_RECORDED)
    return table


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


def responses_view(con: Any, *, unit: str = "ALL", profile: bool = True) -> ir.Table:
    """Responses joined to the customer's profile as it was on the survey date.

    The as-of join uses ``customer_history`` (valid_from <= survey_date <=
    valid_to; ``valid_to`` is the last day a row was valid, null while it still
    is), so a customer who moved segment is counted where they were when
    they answered. ``unit="ALL"`` keeps every unit.

    Parameters
    ----------
    con : ibis backend
        From :func:`cxlab.warehouse.connect`.
    unit : str
        A business unit or ``"ALL"``.
    profile : bool
        Join the profile (``segment``, ``region``). Questions that need no
        profile are faster without the join.
    """
    r = con.table("responses")
    h = con.table("customer_history")
    if unit != "ALL":
        units = r.select("unit").distinct().to_pandas()["unit"].tolist()
        if unit not in units:
            raise CxlabError(
                f"unit {unit!r} not in the warehouse; units: {', '.join(sorted(units))}."
            )
        r = r.filter(r.unit == unit)
    if not profile:
        return r
    joined = r.left_join(
        h,
        [
            r.customer_id == h.customer_id,
            h.valid_from <= r.survey_date,
            # coalesce, not "valid_to IS NULL OR ...": with the OR, DuckDB gives up
            # the hash join on customer_id (minutes instead of a second at 10M rows)
            r.survey_date <= h.valid_to.fill_null(ibis.date(9999, 12, 31)),
        ],
    )
    # no profile on the survey date (or no customer_id): missing, which breakdowns
    # show as "not recorded" (or leave out when no response has one)
    return joined.select(*[r[c] for c in r.columns], segment=h.segment, region=h.region)


def table_html(
    frame: pd.DataFrame,
    columns: Mapping[tables.Column, str],
    *,
    digits: int | None = None,
    **kwargs: Any,
) -> str:
    """A plain, escaped HTML table of selected columns, numbers formatted by meaning.

    ``columns`` maps column name (or ``(estimate, low, high)`` for one interval
    cell) -> header; see :func:`cxlab.tables.format_table`, which this wraps
    (keyword arguments go to it). ``digits`` is ignored: decimals follow what a
    number is (counts, percentages, effects, p-values), not the table.
    """
    del digits
    return tables.format_table(frame, columns, **kwargs).to_html()


def latest_quarter(data: pd.DataFrame | ir.Table, period: str = "quarter") -> str:
    """The most recent quarter label present in ``data`` (labels sort as 'YYYYQn')."""
    t = as_table(data)
    value = t.aggregate(q=t[period].max()).to_pandas()["q"].iloc[0]
    if value is None or pd.isna(value):
        raise CxlabError(f"no data: column {period!r} is empty.")
    return str(value)


def scorecard(
    data: pd.DataFrame | ir.Table,
    by: str | Sequence[str],
    *,
    level: float = 0.95,
    ltr: str = "ltr",
    csat: str = "csat",
    ces: str = "ces",
    weight: str | None = None,
) -> pd.DataFrame:
    """NPS, CSAT top-2-box and CES % easy side by side, one row per group (``weight``: a column).

    Returns
    -------
    pandas.DataFrame
        Group columns, ``n, nps, nps_low, nps_high, csat_top2, csat_low,
        csat_high, csat_mean, ces_easy, ces_low, ces_high, ces_mean, flag``.
    """
    from cxlab.metrics import ces as _ces
    from cxlab.metrics import csat as _csat

    keys = [by] if isinstance(by, str) else list(by)
    out = nps(data, ltr, by=keys, level=level, weight=weight)[
        [*keys, "n", "nps", "low", "high", "flag"]
    ]
    out = out.rename(columns={"low": "nps_low", "high": "nps_high"})
    for name, func, col, share in (("csat", _csat, csat, "top2"), ("ces", _ces, ces, "easy")):
        part = func(data, col, by=keys, level=level, weight=weight)[
            [*keys, "top_box", "top_box_low", "top_box_high", "mean"]
        ]
        part.columns = [*keys, f"{name}_{share}", f"{name}_low", f"{name}_high", f"{name}_mean"]
        out = out.merge(part, on=keys, how="left")
    for key in keys:
        out = label_missing(out, key) if len(out) else out
        if out is None:
            return pd.DataFrame(columns=[*keys, "n", "nps", "flag"])
    return out[[c for c in out.columns if c != "flag"] + ["flag"]]


def snapshot(con: Any, expr: ir.Table, name: str) -> ir.Table:
    """Materialize ``expr`` once as a temporary table of the connection.

    A report asks a filtered, joined view (e.g. this quarter of
    :func:`responses_view`) twenty-odd questions; without a snapshot every one
    redoes the join. The table lives as long as the connection and works on a
    read-only warehouse.
    """
    con.raw_sql(f'DROP TABLE IF EXISTS temp."{name}"')  # overwrite=True fails on temp tables
    return con.create_table(name, expr, temp=True)
