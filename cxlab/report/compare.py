"""Comparisons behind the report: two periods, each group against the rest, breakdowns.

Every test is :func:`cxlab.stats.nps_diff` on two independent samples (counts
rescaled to the Kish effective n when weighted); groups against the rest are
Holm-adjusted across the groups of a breakdown (statsmodels ``multipletests``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats
from cxlab._checks import as_table, renamed_keywords
from cxlab.errors import CxlabError
from cxlab.metrics import nps
from cxlab.report._common import effective_counts, label_missing

__all__ = [
    "DIMENSIONS",
    "asked",
    "breakdown",
    "change_from_previous",
    "compare_periods",
    "dimensions",
    "labelled_breakdowns",
    "period_change",
    "versus_rest",
]


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


@renamed_keywords(result="data")
def period_change(
    data: pd.DataFrame,
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
    result's; other periods in ``data`` (formerly ``result=``) are ignored.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10] * 60 + [3] * 40 + [10] * 40 + [3] * 60,
    ...                    "q": ["B"] * 100 + ["A"] * 100})
    >>> r = period_change(cxlab.nps(df, "ltr", by="q"), period="q", current="B", previous="A")
    >>> float(r["diff"]), bool(r["significant"])
    (40.0, True)
    """
    rows = {r[period]: r for _, r in data.iterrows() if r[period] in (current, previous)}
    for q in (current, previous):
        if q not in rows or rows[q]["n"] == 0:
            raise CxlabError(f"no {score!r} responses with {period} = {q!r}.")
    level = float(rows[current]["level"])
    a, b = effective_counts(rows[current]), effective_counts(rows[previous])
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


@renamed_keywords(result="data")
def versus_rest(data: pd.DataFrame, *, level: float | None = None) -> pd.DataFrame:
    """Test each group's NPS against all other groups combined, Holm-adjusted.

    A group is compared with the rest of the sample (not with the total, which
    contains it), so the two samples are independent and
    :func:`cxlab.stats.nps_diff` applies; p-values are adjusted for the number of
    groups with Holm's method (statsmodels ``multipletests``).

    Parameters
    ----------
    data : pandas.DataFrame
        Output of :func:`cxlab.nps` with a ``by`` breakdown (formerly ``result=``).
    level : float, optional
        Defaults to the result's ``level``.

    Returns
    -------
    pandas.DataFrame
        ``data`` plus ``nps_rest, diff_rest, p_rest, p_adj, verdict`` where
        verdict is ``"below"``, ``"above"`` or ``""``.
    """
    if data.empty:
        return data.assign(nps_rest=[], diff_rest=[], p_rest=[], p_adj=[], verdict=[])
    level = float(data["level"].iloc[0]) if level is None else level
    eff = data.apply(effective_counts, axis=1)
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
    out = data.copy()
    out["nps_rest"] = rest_nps
    out["diff_rest"] = diffs
    out["p_rest"] = ps
    p_adj = stats.adjust_pvalues(ps, "holm")
    out["p_adj"] = p_adj
    sig = p_adj < 1 - level
    out["verdict"] = np.where(sig & (out["diff_rest"] < 0), "below", "")
    out["verdict"] = np.where(sig & (out["diff_rest"] > 0), "above", out["verdict"])
    return out


@renamed_keywords(result="data")
def asked(data: pd.DataFrame) -> bool:
    """Whether a metric result has any scored response (the question was asked).

    Examples
    --------
    >>> asked(pd.DataFrame({"n": [0, 0]})), asked(pd.DataFrame({"n": [0, 4]}))
    (False, True)
    """
    return bool(len(data)) and bool((pd.to_numeric(data["n"], errors="coerce") > 0).any())


@renamed_keywords(dims="by")
def breakdown(
    data: pd.DataFrame | ir.Table,
    score: str,
    by: Sequence[str],
    **kwargs: Any,
) -> dict[str, pd.DataFrame]:
    """NPS by each of the columns ``by`` separately, each tested against the rest of the sample.

    ``by`` was called ``dims`` (still accepted, with a :class:`DeprecationWarning`).

    Responses whose group is missing form a group labelled ``"not recorded"``
    (:data:`NOT_RECORDED`); a dimension recorded for no response at all is left
    out of the result (say so with :func:`not_recorded_note`), rather than shown
    as one misleading group.
    """
    out = {}
    for d in by:
        table = label_missing(nps(data, score, by=d, **kwargs), d)
        if table is not None:
            out[d] = versus_rest(table)
    return out


#: The report's breakdowns of one unit: header -> column of :func:`cxlab.report.responses_view`.
DIMENSIONS = {"Channel": "channel", "Segment": "segment", "Touch point": "touchpoint"}


def dimensions(unit: str = "ALL") -> dict[str, str]:
    """The breakdowns a report shows: :data:`DIMENSIONS`, led by the business unit for ``"ALL"``.

    Examples
    --------
    >>> list(dimensions("Nordics")), list(dimensions("ALL"))[0]
    (['Channel', 'Segment', 'Touch point'], 'Business unit')
    """
    return {"Business unit": "unit", **DIMENSIONS} if unit == "ALL" else dict(DIMENSIONS)


def labelled_breakdowns(
    data: pd.DataFrame | ir.Table, score: str, by: Mapping[str, str], **kwargs: Any
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """:func:`breakdown` keyed by header, and the headers of dimensions nobody recorded.

    Parameters
    ----------
    data : DataFrame or Ibis table
        The responses.
    score : str
        The LTR column.
    by : mapping
        Header -> group column, e.g. :func:`dimensions`; the result keeps its order.
    **kwargs
        To :func:`cxlab.nps` (``level``, ``weight``, ...).

    Returns
    -------
    (dict, list)
        Header -> :func:`versus_rest` table, and the headers left out because
        the column has no value (say so with :func:`cxlab.report.not_recorded_note`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ltr": [10, 3] * 20, "ch": ["web", "app"] * 20,
    ...                    "seg": pd.Series([None] * 40, dtype="string")})
    >>> tables, missing = labelled_breakdowns(df, "ltr", {"Channel": "ch", "Segment": "seg"})
    >>> list(tables), missing
    (['Channel'], ['Segment'])
    """
    found = breakdown(data, score, list(by.values()), **kwargs)
    missing = [label for label, col in by.items() if col not in found]
    return {label: found[col] for label, col in by.items() if col in found}, missing


def change_from_previous(
    data: pd.DataFrame, *, current: str, previous: str, period: str = "quarter"
) -> pd.Series | None:
    """:func:`period_change` when the previous period has a scored response, else ``None``.

    Examples
    --------
    >>> import pandas as pd, cxlab
    >>> df = pd.DataFrame({"ltr": [10, 3, 9, 8] * 10, "q": ["B"] * 40})
    >>> change_from_previous(cxlab.nps(df, "ltr", by="q"), current="B", previous="A", period="q")
    """
    before = data[(data[period] == previous) & (data["n"] > 0)]
    if not len(before):
        return None
    return period_change(data, period=period, current=current, previous=previous)
