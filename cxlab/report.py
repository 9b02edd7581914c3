"""Building blocks of the quarterly report: periods, comparisons and plain words.

The notebook ``notebooks/quarterly_report.ipynb`` stays thin: it asks these
functions for numbers and sentences, and every sentence here is derived from
numbers the report also shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from cxlab import stats
from cxlab.errors import CxlabError
from cxlab.metrics import as_table, nps

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def _parse_quarter(q: str) -> tuple[int, int]:
    m = _QUARTER.match(str(q))
    if not m:
        raise CxlabError(f"quarter {q!r} is not of the form 'YYYYQn', e.g. '2026Q3'.")
    return int(m.group(1)), int(m.group(2))


def shift_quarter(q: str, k: int) -> str:
    """Quarter ``k`` quarters after ``q`` (before, when ``k`` is negative).

    Examples
    --------
    >>> shift_quarter("2026Q1", -1)
    '2025Q4'
    """
    y, n = _parse_quarter(q)
    idx = y * 4 + (n - 1) + k
    return f"{idx // 4}Q{idx % 4 + 1}"


def quarters_up_to(last: str, k: int) -> list[str]:
    """The ``k`` quarters ending with ``last``, oldest first.

    Examples
    --------
    >>> quarters_up_to("2026Q2", 3)
    ['2025Q4', '2026Q1', '2026Q2']
    """
    return [shift_quarter(last, -i) for i in range(k - 1, -1, -1)]


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
    the two-sided z test come from :func:`cxlab.stats.nps_diff`.

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
    rows = {r[period]: r for _, r in res.iterrows()}
    for q in (current, previous):
        if q not in rows or rows[q]["n"] == 0:
            raise CxlabError(f"no {score!r} responses with {period} = {q!r}.")
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
    p = np.asarray(ps, float)
    ok = ~np.isnan(p)
    p_adj = np.full_like(p, np.nan)
    if ok.any():
        p_adj[ok] = multipletests(p[ok], method="holm")[1]
    out["p_adj"] = p_adj
    sig = p_adj < 1 - level
    out["verdict"] = np.where(sig & (out["diff_rest"] < 0), "below", "")
    out["verdict"] = np.where(sig & (out["diff_rest"] > 0), "above", out["verdict"])
    return out


def fmt_nps(x: float) -> str:
    """NPS with an explicit sign, e.g. ``+34.2``, ``-5.0`` (``n/a`` when missing)."""
    return "n/a" if pd.isna(x) else f"{x:+.1f}"


def describe(row: pd.Series, level: float | None = None) -> str:
    """One phrase for an NPS row: ``+34.2 (95% interval +31.0 to +37.1; n = 2,012)``."""
    level = float(row.get("level", 0.95)) if level is None else level
    return (
        f"{fmt_nps(row['nps'])} ({level:.0%} interval {fmt_nps(row['low'])} to "
        f"{fmt_nps(row['high'])}; n = {row['n']:,.0f})"
    )


def summarize(
    *,
    scope: str,
    headline: pd.Series,
    change: pd.Series | None,
    breakdowns: dict[str, pd.DataFrame],
    csat_row: pd.Series | None = None,
    ces_row: pd.Series | None = None,
) -> str:
    """A short plain-language summary (Markdown) generated from the report's numbers.

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
    """
    level = float(headline["level"])
    lines = [f"- **{scope}**: NPS {describe(headline)}."]
    if headline["flag"] != "reportable":
        lines.append(
            f"- Caution: the base is small ({headline['flag']}); treat the headline as a "
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
            f"- Versus {change['previous']} ({fmt_nps(change['nps_previous'])}): "
            f"{direction} {abs(change['diff']):.1f} points "
            f"({level:.0%} interval of the change {fmt_nps(change['low'])} to "
            f"{fmt_nps(change['high'])}, p = {change['p']:.3f}), {verdict}."
        )
    for dim, table in breakdowns.items():
        key = _group_col(table)
        below = table[table["verdict"] == "below"].sort_values("diff_rest")
        above = table[table["verdict"] == "above"].sort_values("diff_rest", ascending=False)
        if len(below):
            names = "; ".join(f"{r[key]} {describe(r)}" for _, r in below.iterrows())
            lines.append(
                f"- {dim}: clearly below the rest (Holm-adjusted, {level:.0%}): {names}. "
                "The headline hides these."
            )
        if len(above):
            names = ", ".join(f"{r[key]} ({fmt_nps(r['nps'])})" for _, r in above.iterrows())
            lines.append(f"- {dim}: clearly above the rest: {names}.")
        if not len(below) and not len(above):
            lines.append(f"- {dim}: no group differs clearly from the rest.")
        thin = table[table["flag"].isin(["unreliable", "empty"])]
        if len(thin):
            lines.append(
                f"  ({len(thin)} {dim.lower()} group(s) have fewer responses than the "
                "reliability threshold and are marked with *.)"
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
    **kwargs,
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


def responses_view(con, *, unit: str = "ALL", profile: bool = True) -> ir.Table:
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


_COUNT_NAMES = {"n", "customers", "journeys", "responses"}


def _is_count(column: str) -> bool:
    """Columns shown as whole numbers with thousands separators."""
    return column in _COUNT_NAMES or column.startswith("n_")


def table_html(frame: pd.DataFrame, columns: dict[str, str], *, digits: int = 1) -> str:
    """A plain, escaped HTML table of selected columns with readable headers.

    ``columns`` maps column name -> header. Floats get ``digits`` decimals,
    p-values (columns named ``p_*``) three, counts thousands separators; no
    Styler uuids, so renders are reproducible.
    """
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for h in columns.values())
    body = []
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            v = row[c]
            if isinstance(v, float | np.floating) and _is_count(c) and not np.isnan(v):
                s = f"{v:,.0f}"
            elif isinstance(v, int | np.integer):
                s = f"{v:,d}"
            elif isinstance(v, float | np.floating) and c.startswith("p_"):
                s = "" if np.isnan(v) else ("< 0.001" if v < 0.001 else f"{v:.3f}")
            elif isinstance(v, float | np.floating):
                s = "" if np.isnan(v) else f"{v:,.{digits}f}"
            else:
                s = str(v)
            cells.append(f"<td>{escape(s)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<table class="cx-table"><thead><tr>'
        + head
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )


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
) -> pd.DataFrame:
    """NPS, CSAT top-2-box and CES % easy side by side, one row per group.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``n, nps, nps_low, nps_high, csat_top2, csat_low,
        csat_high, csat_mean, ces_easy, ces_low, ces_high, ces_mean, flag``.
    """
    from cxlab.metrics import ces as _ces
    from cxlab.metrics import csat as _csat

    keys = [by] if isinstance(by, str) else list(by)
    out = nps(data, ltr, by=keys, level=level)[[*keys, "n", "nps", "low", "high", "flag"]]
    out = out.rename(columns={"low": "nps_low", "high": "nps_high"})
    for name, func, col, share in (("csat", _csat, csat, "top2"), ("ces", _ces, ces, "easy")):
        part = func(data, col, by=keys, level=level)[
            [*keys, "top_box", "top_box_low", "top_box_high", "mean"]
        ]
        part.columns = [*keys, f"{name}_{share}", f"{name}_low", f"{name}_high", f"{name}_mean"]
        out = out.merge(part, on=keys, how="left")
    for key in keys:
        out = label_missing(out, key) if len(out) else out
        if out is None:
            return pd.DataFrame(columns=[*keys, "n", "nps", "flag"])
    return out[[c for c in out.columns if c != "flag"] + ["flag"]]


def snapshot(con, expr: ir.Table, name: str) -> ir.Table:
    """Materialize ``expr`` once as a temporary table of the connection.

    A report asks a filtered, joined view (e.g. this quarter of
    :func:`responses_view`) twenty-odd questions; without a snapshot every one
    redoes the join. The table lives as long as the connection and works on a
    read-only warehouse.
    """
    con.raw_sql(f'DROP TABLE IF EXISTS temp."{name}"')  # overwrite=True fails on temp tables
    return con.create_table(name, expr, temp=True)
