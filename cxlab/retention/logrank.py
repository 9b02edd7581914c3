"""The log-rank test between groups, from the engine's event table.

Why hand-written: statsmodels' ``survdiff`` computes the same test but needs one row
per subject. The statistic depends on the data only through the events and numbers
at risk per group at each distinct time, which :func:`~cxlab.retention.counts.event_table`
counts in the engine, so the test runs on that small table. The tests check it
against R's ``survival::survdiff`` (``tests/reference/r_logrank.csv``) and against
statsmodels' ``survdiff``.

References
----------
Mantel, N. (1966). Evaluation of survival data and two new rank order statistics
    arising in its consideration. *Cancer Chemotherapy Reports*, 50, 163-170.
Peto, R. & Peto, J. (1972). Asymptotically efficient rank invariant test procedures.
    *JRSS A*, 135, 185-207.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from cxlab.errors import CxlabError
from cxlab.retention.counts import as_by, event_table

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["logrank", "logrank_from_counts"]


def logrank_from_counts(table: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Log-rank test on an :func:`~cxlab.retention.counts.event_table` with groups.

    Parameters
    ----------
    table : pandas.DataFrame
        ``event_table(..., by=by)``.
    by : str or list of str
        Its group columns.

    Returns
    -------
    pandas.DataFrame
        One row per group: the group columns, ``n, observed, expected, chi2, df, p``
        (the test statistic repeated on every row, as R's ``survdiff`` prints it).
    """
    groups = as_by(by)
    key = table[groups].astype(str).agg(" / ".join, axis=1) if groups else None
    if key is None or key.nunique() < 2:
        raise CxlabError("logrank: needs at least two groups with data in the by column(s).")
    t = table.assign(_g=key.to_numpy())
    ev = t.pivot_table(index="time", columns="_g", values="events", aggfunc="sum", fill_value=0.0)
    out = t.pivot_table(
        index="time", columns="_g", values=["events", "censored"], aggfunc="sum", fill_value=0.0
    )
    order = list(pd.unique(key))  # groups in the table's order (sorted by event_table)
    ev, out = ev[order], out.reindex(columns=order, level=1)
    leaving = out["events"] + out["censored"]
    n_g = leaving[::-1].cumsum()[::-1].to_numpy(float)  # at risk per time x group
    d_g = ev.to_numpy(float)
    n, d = n_g.sum(axis=1), d_g.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n[:, None] > 0, n_g / n[:, None], 0.0)
        f = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    expected = (share * d[:, None]).sum(axis=0)
    observed = d_g.sum(axis=0)
    v = np.einsum("t,tg,th->gh", f, share, -share) + np.diag((f[:, None] * share).sum(axis=0))
    oe = (observed - expected)[:-1]
    df = int(np.linalg.matrix_rank(v[:-1, :-1])) if len(oe) else 0
    chi2 = float(oe @ np.linalg.pinv(v[:-1, :-1]) @ oe) if df > 0 else float("nan")
    p = float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan")
    first = t.drop_duplicates("_g").set_index("_g").loc[list(ev.columns), groups]
    res = first.reset_index(drop=True)
    res["n"] = n_g[0]
    res["observed"], res["expected"] = observed, expected
    res["chi2"], res["df"], res["p"] = chi2, df, p
    return res


def logrank(
    data: pd.DataFrame | ir.Table,
    duration: str,
    event: str,
    by: str | Sequence[str],
) -> pd.DataFrame:
    """Log-rank test that the survival curves of the groups in ``by`` are equal.

    Every customer counts, censored ones until their last observed time. The
    events and censorings per group and time are counted in the engine.

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        One row per customer.
    duration, event : str
        As :func:`cxlab.retention.survival`.
    by : str or list of str
        The groups to compare (at least two).

    Returns
    -------
    pandas.DataFrame
        One row per group: the group columns, ``n, observed, expected, chi2, df, p``
        (``chi2, df, p`` are the overall test, as R's ``survdiff``).

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 1, 0],
    ...                   "g": ["a", "a", "a", "b", "b", "b"]})
    >>> logrank(d, "t", "e", "g")[["g", "observed", "expected"]].round(3)
       g  observed  expected
    0  a       3.0      1.15
    1  b       1.0      2.85
    """
    table = event_table(data, duration, event, by=by, where="logrank")
    return logrank_from_counts(table, by)
