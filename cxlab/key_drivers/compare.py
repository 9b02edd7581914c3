"""The same drivers under several methods, side by side (do the methods agree?)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError
from cxlab.key_drivers._common import METHODS
from cxlab.key_drivers.model import drivers as driver_table

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from cxlab.key_drivers.model import KeyDrivers

__all__ = ["DETRACTOR_COLUMN", "compare_methods"]

#: Column of :func:`compare_methods` holding the logistic shares for detractor yes/no.
DETRACTOR_COLUMN = "detractor (logistic)"
# the 0/1 score the logistic model is fitted on (not a name a battery uses)
_FLAG = "__cxlab_detractor__"


def compare_methods(
    data: pd.DataFrame | ir.Table,
    score: str,
    drivers: Sequence[str],
    *,
    weight: str | None = None,
    methods: Sequence[str] = ("correlation", "relative-weights", "shapley"),
    detractors: float | None = 6,
    fit: KeyDrivers | None = None,
) -> pd.DataFrame:
    """Each driver's share of explained variation (%) under several methods, one row per driver.

    Relative weights and Shapley values should agree closely; squared
    correlations overstate drivers that overlap. The optional last column asks
    a different question: which drivers separate detractors (``score <=
    detractors``, LTR 0-6) from the rest, by logistic relative weights
    (Tonidandel & LeBreton 2010).

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        One row per respondent, as for :func:`~cxlab.key_drivers.drivers`.
    score : str
        Score column (e.g. ``"ltr"``).
    drivers : sequence of str
        Driver columns.
    weight : str, optional
        Survey weight column, used by every method.
    methods : sequence of str
        Linear methods, one column each (names of
        :data:`~cxlab.key_drivers.METHODS`), in this order.
    detractors : float or None
        Highest score of a detractor for the logistic column; ``None`` leaves
        the column out.
    fit : KeyDrivers, optional
        A linear fit on the same data: its shares are reused for its method
        (not refitted) and its ranking orders the rows.

    Returns
    -------
    pandas.DataFrame
        ``driver``, then one column per method and ``"detractor (logistic)"``
        (:data:`DETRACTOR_COLUMN`): shares of explained variation in %
        (each column sums to 100). Rows in the order of ``fit``'s ranking, else
        by the last method's share, largest first.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame(rng.integers(0, 11, size=(600, 3)).astype(float),
    ...                   columns=["Price", "Staff", "Web"])
    >>> df["ltr"] = (0.6 * df.Price + 0.3 * df.Staff + rng.normal(0, 2, 600)).round().clip(0, 10)
    >>> compare_methods(df, "ltr", ["Price", "Staff", "Web"]).round(1)
      driver  correlation  relative-weights  shapley  detractor (logistic)
    0  Price         80.7              80.4     80.4                  79.1
    1  Staff         19.2              19.5     19.5                  20.3
    2    Web          0.1               0.1      0.1                   0.6

    References
    ----------
    Johnson (2000); Lipovetsky & Conklin (2001); Tonidandel & LeBreton (2010):
    see :mod:`cxlab.key_drivers`.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise CxlabError(
            f"methods must be among {', '.join(METHODS)}; got {', '.join(map(repr, unknown))}."
            if unknown
            else "methods must name at least one method."
        )
    if fit is not None and sorted(fit.drivers_) != sorted(drivers):
        raise CxlabError(
            "compare_methods: fit was fitted on other drivers "
            f"({', '.join(map(repr, fit.drivers_))}); pass the same drivers."
        )
    table = as_table(data)
    check_columns(table, [score, *drivers, weight])
    columns: dict[str, pd.Series] = {}
    for m in methods:
        res = (
            fit.importance_
            if fit is not None and fit.method == m and fit.family == "linear"
            else driver_table(table, score, drivers, method=m, weight=weight)
        )
        columns[m] = res.set_index("driver")["share"] * 100
    if detractors is not None:
        flagged = table.mutate(**{_FLAG: (table[score] <= detractors).cast("int64")})
        logit = driver_table(flagged, _FLAG, drivers, family="logistic", weight=weight)
        columns[DETRACTOR_COLUMN] = logit.set_index("driver")["share"] * 100
    out = pd.DataFrame(columns)
    if fit is not None:
        order = list(fit.importance_["driver"])
    else:
        order = list(out[methods[-1]].sort_values(ascending=False, kind="stable").index)
    return out.loc[order].reset_index(names="driver")
