"""Where the report's data come from: the responses view, a snapshot, the quarter, weights.

The view joins each response to the customer's profile as it was on the
survey date (an as-of join in the engine, through Ibis); the snapshot
materialises one quarter of it once for the report's twenty-odd questions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlab._checks import as_table
from cxlab.errors import CxlabError
from cxlab.metrics import nps
from cxlab.periods import quarters_up_to

__all__ = [
    "PROFILE",
    "REPORT_COLUMNS",
    "headline",
    "latest_quarter",
    "resolve_weight",
    "responses_view",
    "snapshot",
    "write_summary",
]


#: The response columns the quarterly report reads (the weight column in use is added).
REPORT_COLUMNS = ("response_id", "quarter", "unit", "channel", "touchpoint", "ltr", "csat", "ces")


def responses_view(
    con: Any,
    *,
    unit: str = "ALL",
    profile: bool = True,
    columns: Sequence[str] | None = None,
    summary: str | os.PathLike[str] | None = None,
) -> ir.Table:
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
    columns : sequence of str, optional
        The response columns to keep (default: all); the join then carries
        only these (and the profile's), which makes a snapshot cheaper.
    summary : path, optional
        A file of profiled responses written once for a whole pack by
        :func:`write_summary`: read instead of the warehouse, with no join
        (its rows are the warehouse's, so every number is the same).
        ``None`` (or ``""``): the warehouse.
    """
    if summary:
        if not Path(summary).is_file():
            raise CxlabError(f"summary {summary}: no such file (write it with write_summary).")
        r = con.read_parquet(str(summary), table_name="cxlab_pack_summary")
    else:
        r = con.table("responses")
    if unit != "ALL":
        if not summary:  # a pack's summary holds the units the pack checked
            units = r.select("unit").distinct().to_pandas()["unit"].tolist()
            if unit not in units:
                raise CxlabError(
                    f"unit {unit!r} not in the warehouse; units: {', '.join(sorted(units))}."
                )
        r = r.filter(r.unit == unit)
    keep = list(dict.fromkeys(columns)) if columns is not None else None
    if keep is not None:
        absent = [c for c in keep if c not in r.columns]
        if absent:
            where = f"the pack summary {Path(summary).name}" if summary else "the responses"
            raise CxlabError(
                f"column(s) {', '.join(map(repr, absent))} not in {where}; "
                f"columns: {', '.join(r.columns)}."
            )
    if summary:
        return r if keep is None else r.select(*keep, *(c for c in PROFILE if profile))
    if not profile:
        return r if keep is None else r.select(*keep)
    h = con.table("customer_history")
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
    return joined.select(*[r[c] for c in keep or r.columns], **{c: h[c] for c in PROFILE})


#: The profile columns the as-of join adds.
PROFILE = ("segment", "region")


def write_summary(
    con: Any, path: str | os.PathLike[str], *, quarter: str, weight: str | None
) -> Path:
    """Write, once for a pack, the profiled responses its quarterly reports read.

    The twelve quarters up to ``quarter`` (the reports' trend window) of
    :func:`responses_view` with :data:`REPORT_COLUMNS`, ``weight`` and the
    profile, as one Parquet file sorted by unit, quarter and response (the
    same bytes for the same warehouse, so a report's provenance hash is
    reproducible). Every report of the pack then reads its unit's rows
    (Parquet row groups skipped by unit) instead of joining the history
    itself; the rows are the warehouse's, so every number is the same
    (``tests/test_report_summary.py`` renders a report both ways).
    """
    window = quarters_up_to(quarter, 12)
    cols = [*REPORT_COLUMNS, *([weight] if weight else [])]
    view = responses_view(con, columns=cols)
    expr = view.filter(view.quarter.isin(window)).order_by(["unit", "quarter", "response_id"])
    path = Path(path)
    con.to_parquet(expr, path)
    return path


def snapshot(con: Any, expr: ir.Table, name: str) -> ir.Table:
    """Materialize ``expr`` once in the engine (Ibis ``.cache()``): a temporary table.

    A report asks a filtered, joined view (e.g. this quarter of
    :func:`responses_view`) twenty-odd questions; without a snapshot every one
    redoes the join. Backend-neutral: a temporary table on DuckDB and
    PostgreSQL (it works on a read-only warehouse), a cached DataFrame on
    Spark; it lives while the returned table is referenced, and running the
    cell again makes a new one. ``name`` is kept for callers; Ibis names the
    table itself.
    """
    from ibis.common.exceptions import OperationNotDefinedError

    del name  # Ibis names the cached table; the expression knows its backend
    try:
        return expr.cache()
    except (NotImplementedError, OperationNotDefinedError) as exc:
        raise CxlabError(
            f"the {getattr(con, 'name', 'warehouse')} backend cannot keep a snapshot of the "
            f"report's data ({exc})."
        ) from None


def latest_quarter(data: pd.DataFrame | ir.Table, period: str = "quarter") -> str:
    """The most recent quarter label present in ``data`` (labels sort as 'YYYYQn')."""
    t = as_table(data)
    value = t.aggregate(q=t[period].max()).to_pandas()["q"].iloc[0]
    if value is None or pd.isna(value):
        raise CxlabError(f"no data: column {period!r} is empty.")
    return str(value)


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


def headline(
    data: pd.DataFrame | ir.Table,
    score: str = "ltr",
    *,
    scope: str,
    level: float = 0.95,
    weight: str | None = None,
) -> pd.Series:
    """The report's headline: one :func:`cxlab.nps` row for the whole scope.

    Raises :class:`cxlab.CxlabError` naming the scope when it has no scored
    response (a report with no data says so rather than showing n/a).

    Examples
    --------
    >>> df = pd.DataFrame({"ltr": [10, 9, 3]})
    >>> float(headline(df, scope="Nordics, 2026Q3")["nps"])
    33.33...
    >>> headline(df.assign(ltr=None).astype({"ltr": float}), scope="Nordics, 2026Q3")
    Traceback (most recent call last):
    ...
    cxlab.errors.CxlabError: No survey responses for Nordics, 2026Q3.
    """
    row = nps(data, score, level=level, weight=weight).iloc[0]
    if row["n"] == 0:
        raise CxlabError(f"No survey responses for {scope}.")
    return row
