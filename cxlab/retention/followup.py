"""Closing the loop: which customers to call back first, ranked by the margin at risk.

The inner loop of a Net Promoter programme (Reichheld & Markey 2011, *The
Ultimate Question 2.0*, ch. 6): someone calls back recent detractors, and passives
whose experience just got worse, before they leave. :func:`followup` lists them:

- who: customers whose **latest** survey falls between ``since`` and ``end``, who
  are still customers at ``end``, and who are detractors (LTR <= ``breaks[0]``), or
  passives whose CSAT or CES is lower than at their previous survey (the survey
  just before, whatever it scored);
- ``margin``: the margin they brought in the ``horizon`` days up to ``end``
  (from ``transactions``);
- ``excess_churn``: how much more often customers of that category churn within
  ``horizon`` days of a survey than promoters do: 1 - Kaplan-Meier survival at
  ``horizon`` per category, censoring handled (as in
  :func:`cxlab.retention.revenue_at_risk`), estimated on every identified survey,
  floored at 0;
- ``value_at_risk = margin x excess_churn``: the margin expected to be lost over
  the next ``horizon`` days because this customer answered as they did (an
  association, not a proven effect of calling them).

The selection and the sums run in the engine (one window over each customer's
surveys, one GROUP BY over the transactions); only the listed customers come back.

Customers appear in shared reports by :func:`pseudonym` only (a keyed hash,
HMAC-SHA256, Krawczyk, Bellare & Canetti 1997, RFC 2104): without the key a
pseudonym cannot be traced back by hashing candidate ids. :func:`write_followup`
writes the full list (customer ids included) as CSV and Excel for the CX team.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab._files import write_text_atomically
from cxlab.errors import CxlabError
from cxlab.retention.after_survey import survey_durations
from cxlab.retention.at_risk import churn_at
from cxlab.retention.counts import event_table

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "FOLLOWUP_COLUMNS",
    "followup",
    "followup_key",
    "pseudonym",
    "top_for_report",
    "write_followup",
]

#: The columns of :func:`followup`, in order: no contact data; ``comment`` is the
#: survey's verbatim with e-mails, phones, cards, IBANs and URLs masked
#: (:func:`cxlab.voc.mask_pii`), for the CX team's file only (never in a report).
FOLLOWUP_COLUMNS = (
    "rank",
    "customer_id",
    "pseudonym",
    "category",
    "reason",
    "survey_date",
    "unit",
    "touchpoint",
    "channel",
    "comment",
    "ltr",
    "csat",
    "csat_before",
    "ces",
    "ces_before",
    "margin",
    "excess_churn",
    "value_at_risk",
)
KEY_FILE = ".cxlab-pseudonym-key"


def pseudonym(ids: Any, key: bytes | str) -> pd.Series:
    """A stable pseudonymous id per customer id: the first 16 hex digits of
    HMAC-SHA256(key, id).

    Examples
    --------
    >>> pseudonym(["C001", "C002"], key="secret").tolist()
    ['0297db31e03d5d60', '6441af463953237a']
    """
    k = key.encode() if isinstance(key, str) else bytes(key)
    if not k:
        raise CxlabError("pseudonym: the key must not be empty.")
    values = pd.Series(ids, dtype=object)
    return values.map(
        lambda v: hmac.new(k, str(v).encode(), hashlib.sha256).hexdigest()[:16]
    ).rename("pseudonym")


def followup_key(folder: str | os.PathLike[str]) -> bytes:
    """The pseudonym key kept in ``folder`` (file ``.cxlab-pseudonym-key``), created once.

    The key sits beside the full follow-up list (which holds the real ids anyway),
    never in a report, so every report written to that folder shows the same
    pseudonym for a customer. Created with mode 0600, exclusively (two kernels
    writing at once read the same key).
    """
    path = Path(folder) / KEY_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise CxlabError(f"{path}: cannot create the pseudonym key: {exc.strerror}.") from None
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise CxlabError(f"{path}: the pseudonym key is empty or too short; delete the file.")
    return key.encode()


def _candidates(
    r: ir.Table,
    c: ir.Table,
    tx: ir.Table,
    since: pd.Timestamp,
    end: pd.Timestamp,
    lo: int,
    hi: int,
    horizon: int,
) -> pd.DataFrame:
    """The engine's part: each customer's latest survey in the window, the scores of
    the survey before, activity at ``end`` and last ``horizon`` days' margin."""
    import ibis

    stop, start = ibis.literal(end.date()), ibis.literal(since.date())
    r = r.filter(r.customer_id.notnull() & (r.survey_date <= stop))
    order = [r.survey_date, r.response_id]
    w = ibis.window(group_by=r.customer_id, order_by=order)
    r = r.mutate(
        csat_before=r.csat.lag().over(w),
        ces_before=r.ces.lag().over(w),
        _last=ibis.row_number().over(
            ibis.window(group_by=r.customer_id, order_by=[ibis.desc(o) for o in order])
        ),
    )
    r = r.filter((r._last == 0) & (r.survey_date >= start) & r.ltr.notnull())
    fell = ((r.csat < r.csat_before) | (r.ces < r.ces_before)).fill_null(False)
    category = ibis.cases((r.ltr <= lo, "detractor"), (r.ltr <= hi, "passive"), else_="promoter")
    r = r.mutate(category=category, fell=fell)
    r = r.filter((r.category == "detractor") | ((r.category == "passive") & r.fell))
    active = c.filter(c.churn_date.isnull() | (c.churn_date > stop)).select("customer_id")
    j = r.inner_join(active, "customer_id")
    t = tx.filter(
        (tx.date.cast("date") > ibis.literal((end - pd.Timedelta(days=horizon)).date()))
        & (tx.date.cast("date") <= stop)
    )
    spent = t.group_by(tid=t.customer_id).aggregate(m=t.margin.cast("float64").sum())
    j = j.left_join(spent, j.customer_id == spent.tid)
    cols = ["customer_id", "category", "survey_date", "unit", "touchpoint", "channel", "verbatim"]
    scores = ["ltr", "csat", "csat_before", "ces", "ces_before"]
    return j.select(*cols, *scores, margin=j.m.fill_null(0.0)).to_pandas()


def _excess(
    responses: Any, customers: Any, end: pd.Timestamp, breaks: tuple[int, int], horizon: int
) -> dict[str, float]:
    """Churn within ``horizon`` days of a survey, detractors and passives minus promoters."""
    d = survey_durations(responses, customers, score="ltr", breaks=breaks, end=end)
    table = event_table(d.mutate(side=d.category), "days", "churned", by="side", where="followup")
    churn = churn_at(table, [], float(horizon)).set_index("side")["churn"]
    base = float(churn.get("promoter", np.nan))
    return {k: max(float(churn.get(k, np.nan)) - base, 0.0) for k in ("detractor", "passive")}


def followup(
    responses: pd.DataFrame | ir.Table,
    customers: pd.DataFrame | ir.Table,
    transactions: pd.DataFrame | ir.Table,
    *,
    since: str | pd.Timestamp,
    key: bytes | str | None = None,
    end: str | pd.Timestamp | None = None,
    breaks: tuple[int, int] = (6, 8),
    horizon: int = 365,
    n: int | None = None,
) -> pd.DataFrame:
    """Recent detractors and worsening passives, ranked by the margin at risk.

    Parameters
    ----------
    responses, customers, transactions : pandas.DataFrame or ibis Table
        The warehouse tables (``responses`` with ``response_id, customer_id,
        survey_date, ltr, csat, ces, unit, touchpoint, channel``; ``customers``
        with ``customer_id, churn_date``; ``transactions`` with ``customer_id,
        date, margin``).
    since : date-like
        First survey day of the window (e.g. the start of the report's quarter).
    key : bytes or str, optional
        Secret key of the pseudonyms (see :func:`followup_key`); default a random
        key, so the pseudonyms hold for this call only.
    end : date-like, optional
        End of observation (default: the latest survey date).
    breaks : (int, int)
        LTR cuts: ``ltr <= breaks[0]`` detractor, ``<= breaks[1]`` passive.
    horizon : int
        Days of margin summed before ``end``, and of churn compared after a survey.
    n : int, optional
        Keep the first ``n`` rows (default: all).

    Returns
    -------
    pandas.DataFrame
        :data:`FOLLOWUP_COLUMNS`, one row per customer, highest ``value_at_risk``
        first (then latest survey, then customer id); ``excess_churn`` in
        percentage points; ``reason`` says why the customer is listed.

    Examples
    --------
    >>> r = pd.DataFrame({"response_id": ["1", "2", "3", "4", "5"],
    ...     "customer_id": ["a", "b", "b", "c", "d"], "unit": "U", "touchpoint": "Billing",
    ...     "channel": "web", "survey_date": pd.to_datetime(
    ...         ["2025-06-01", "2025-01-10", "2025-06-02", "2025-06-03", "2025-01-05"]).date,
    ...     "ltr": [2, 8, 7, 10, 3], "csat": [1, 5, 3, 5, 1], "ces": [2, 6, 6, 7, 1]})
    >>> c = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "churn_date": pd.to_datetime(
    ...     [None, None, None, "2025-03-01"]).date})
    >>> t = pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2025-09-01"] * 2),
    ...                   "margin": [100.0, 50.0]})
    >>> f = followup(r, c, t, since="2025-04-01", end="2025-09-30", horizon=60, key="k")
    >>> f[["customer_id", "category", "reason", "margin", "excess_churn", "value_at_risk"]]
      customer_id   category            reason  margin  excess_churn  value_at_risk
    0           a  detractor           LTR 0-6   100.0          50.0           50.0
    1           b    passive  CSAT fell 5 to 3    50.0           0.0            0.0
    """
    if int(horizon) < 1:
        raise CxlabError(f"followup: horizon must be >= 1 day, got {horizon!r}.")
    if n is not None and int(n) < 1:
        raise CxlabError(f"followup: n must be a whole number >= 1, got {n!r}.")
    r, c, tx = as_table(responses), as_table(customers), as_table(transactions)
    check_columns(
        r, ["response_id", "customer_id", "survey_date", "ltr", "csat", "ces"], "responses"
    )
    check_columns(c, ["customer_id", "churn_date"], "customers")
    check_columns(tx, ["customer_id", "date", "margin"], "transactions")
    import ibis

    for col in ("unit", "touchpoint", "channel", "verbatim"):
        if col not in r.columns:
            r = r.mutate(**{col: ibis.null("string")})
    if end is None:
        end = r.aggregate(m=r.survey_date.max()).to_pandas()["m"].iloc[0]
    stop, start = pd.Timestamp(end), pd.Timestamp(since)
    out = _candidates(r, c, tx, start, stop, breaks[0], breaks[1], int(horizon))
    excess = _excess(r, c, stop, breaks, int(horizon)) if len(out) else {}
    for col in ("ltr", "csat", "csat_before", "ces", "ces_before"):
        out[col] = out[col].astype("Int64")
    out["survey_date"] = pd.to_datetime(out["survey_date"]).dt.date
    from cxlab.voc.pii import mask_pii_series  # phonenumbers only when a list is made

    out["comment"] = mask_pii_series(out.pop("verbatim").astype("object"))
    out["excess_churn"] = 100 * out["category"].map(excess).astype(float)
    out["value_at_risk"] = out["margin"] * out["excess_churn"] / 100
    out["reason"] = [_reason(row, breaks) for row in out.itertuples()]
    key = secrets.token_bytes(32) if key is None else key
    out["pseudonym"] = pseudonym(out["customer_id"], key).to_numpy()
    out = out.sort_values(
        ["value_at_risk", "survey_date", "customer_id"],
        ascending=[False, False, True],
        na_position="last",
        ignore_index=True,
    )
    out["rank"] = np.arange(1, len(out) + 1)
    out = out[list(FOLLOWUP_COLUMNS)]
    return out if n is None else out.head(int(n))


def _reason(row: Any, breaks: tuple[int, int]) -> str:
    if row.category == "detractor":
        return f"LTR 0-{breaks[0]}"
    fell = []
    for name, now, before in (
        ("CSAT", row.csat, row.csat_before),
        ("CES", row.ces, row.ces_before),
    ):
        if pd.notna(now) and pd.notna(before) and now < before:
            fell.append(f"{name} fell {int(before)} to {int(now)}")
    return ", ".join(fell)


_RISKY = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` (OWASP CSV injection)."""
    return "'" + value if isinstance(value, str) and value.startswith(_RISKY) else value


def write_followup(frame: pd.DataFrame, path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write the list as ``path`` (CSV, UTF-8) and beside it as ``.xlsx``; both atomically.

    Text cells that a spreadsheet would evaluate (starting with ``=``, ``+``,
    ``-``, ``@``) get a leading ``'`` in the CSV; in the workbook every text cell
    is stored as text, never as a formula. Returns both paths.
    """
    from openpyxl import Workbook

    csv = Path(path)
    if csv.suffix.lower() != ".csv":
        raise CxlabError(f"write_followup: {csv.name!r} must end in .csv.")
    xlsx = csv.with_suffix(".xlsx")
    try:
        csv.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CxlabError(f"{csv.parent}: cannot create the folder: {exc.strerror}.") from None
    shown = frame.astype(object).where(frame.notna(), None)
    inert = shown.copy()
    for col in inert.columns:  # column by column: ints and empty cells stay as they are
        inert[col] = pd.Series([_inert(v) for v in inert[col]], index=inert.index, dtype=object)
    write_text_atomically(csv, inert.to_csv(index=False), "the follow-up list")
    wb = Workbook()
    ws = wb.active
    ws.title = "follow-up"
    ws.append(list(shown.columns))
    for values in shown.itertuples(index=False):
        ws.append([v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
    tmp = xlsx.with_name(xlsx.name + ".tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, xlsx)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CxlabError(f"{xlsx}: cannot write the follow-up list: {exc.strerror}.") from None
    return csv, xlsx


def top_for_report(frame: pd.DataFrame, n: int = 10, *, pseudonyms: bool = True) -> pd.DataFrame:
    """The first ``n`` rows without ``customer_id`` and ``comment`` (survey dates as
    text), for a shared report; without the ``pseudonym`` column too when ``pseudonyms`` is false (no full
    list to look them up in, and a report that stays the same from run to run)."""
    drop = {"customer_id", "comment"} | (set() if pseudonyms else {"pseudonym"})
    keep: Sequence[str] = [c for c in frame.columns if c not in drop]
    out = frame.loc[:, list(keep)].head(int(n)).reset_index(drop=True)
    return out.assign(survey_date=out["survey_date"].astype(str))
