"""What more than one module of :mod:`cxlab.key_drivers` needs: names, limits, checks.

Package-internal (the leading underscore is on the module): the names here are
public to the package's modules and not part of the user API, except
``METHODS`` and ``FAMILIES``, which :mod:`cxlab.key_drivers` re-exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import ibis
import ibis.expr.types as ir
import numpy as np

from cxlab.errors import CxlabError

METHODS = ("correlation", "relative-weights", "shapley", "dominance")
FAMILIES = ("linear", "logistic")
MAX_EXACT = 20  # drivers for exact Shapley / dominance (linear)
MAX_EXACT_LOGISTIC = 12  # each subset is a logistic fit

_T = TypeVar("_T")


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    """Correlation matrix of a covariance matrix."""
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def numeric(t: ir.Table, col: str) -> ir.FloatingValue:
    """Column ``col`` of ``t`` as float64; a clear error when missing or not numeric."""
    if col not in t.columns:
        raise CxlabError(
            f"column {col!r} not found in data; available: {', '.join(map(str, t.columns))}."
        )
    typ = t[col].type()
    if not (typ.is_numeric() or typ.is_boolean()):
        raise CxlabError(f"column {col!r} must be numeric (or true/false), not {typ}.")
    return t[col].cast("float64")


def complete_rows(t: ir.Table, columns: Sequence[str], weight: str | None) -> ir.BooleanValue:
    """True for the rows with a value (not NULL, not NaN) in every column and the weight."""
    cond = ibis.literal(True)
    for c in [*columns, *([weight] if weight else [])]:
        x = t[c].cast("float64")
        cond = cond & x.notnull() & ~x.isnan()
    return cond
