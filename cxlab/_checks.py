"""Input checks shared by every analysis module: the level, the columns, the table.

One message per rule, worded the same wherever the rule applies. Light to
import (Ibis and pandas are imported by the functions that need them).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from cxlab.errors import CxlabError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["as_table", "check_columns", "check_level"]


def check_level(level: Any, where: str) -> float:
    """``level`` as a float strictly between 0 and 1, else one message naming ``where``.

    Examples
    --------
    >>> check_level(0.9, "nps")
    0.9
    """
    try:
        lv = float(level)
    except (TypeError, ValueError):
        raise CxlabError(f"{where}: level must be a number in (0, 1), got {level!r}.") from None
    if not 0.0 < lv < 1.0:
        raise CxlabError(
            f"{where}: level must lie strictly between 0 and 1 (e.g. 0.95), got {level!r}."
        )
    return lv


def as_table(data: Any) -> ir.Table:
    """Return ``data`` as an Ibis table (pandas frames become in-memory DuckDB tables)."""
    import ibis
    import ibis.expr.types as ir
    import pandas as pd

    if isinstance(data, ir.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return ibis.memtable(data)
    raise CxlabError(
        f"data must be a pandas DataFrame or an Ibis table, not {type(data).__name__}."
    )


def check_columns(t: ir.Table, columns: Sequence[str | None], what: str = "data") -> None:
    """Refuse, in one message listing what there is, columns that ``t`` does not have."""
    missing = [c for c in columns if c is not None and c not in t.columns]
    if missing:
        raise CxlabError(
            f"column(s) {', '.join(map(repr, missing))} not found in {what}; "
            f"available: {', '.join(t.columns)}."
        )


P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def _rename_warning(where: str, old: str, new: str, stacklevel: int) -> None:
    warnings.warn(
        f"{where}{old}= is now called {new}= (the name cxlab uses everywhere); {old}= still works.",
        DeprecationWarning,
        stacklevel=stacklevel + 1,
    )


def renamed_keywords(**old_to_new: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept a keyword's former name for now, with a :class:`DeprecationWarning`.

    ``@renamed_keywords(panel="data")`` lets ``f(panel=x)`` run as ``f(data=x)``
    and warns that the keyword is now ``data=`` (one vocabulary across cxlab,
    issue #10); giving both names is a :class:`CxlabError`. Positional calls are
    unaffected and the signature shows the new names only. Written here because
    the standard library has no such decorator (``warnings.deprecated``
    deprecates whole functions).

    Examples
    --------
    >>> import warnings
    >>> @renamed_keywords(maxlag="lags")
    ... def f(*, lags=1):
    ...     return lags
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     f(maxlag=3), str(seen[0].message)
    (3, 'f: maxlag= is now called lags= (the name cxlab uses everywhere); maxlag= still works.')
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise CxlabError(
                        f"{func.__name__}: give {new}= or its former name {old}=, not both."
                    )
                _rename_warning(f"{func.__name__}: ", old, new, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def renamed(
    new: T | None, old: T | None, new_name: str, old_name: str, *, stacklevel: int = 3
) -> tuple[T | None, str]:
    """The value of a renamed keyword and the name the caller used for it.

    For a function that keeps the former name as a keyword-only parameter (where
    :func:`renamed_keywords` cannot be used): ``old`` is the value given under the
    former name (``None`` when not given); using it works and warns with a
    :class:`DeprecationWarning`. Giving both names is an error.

    Examples
    --------
    >>> renamed(5, None, "n_boot", "bootstrap")
    (5, 'n_boot')
    """
    if old is None:
        return new, new_name
    if new is not None:
        raise CxlabError(f"give {new_name}= or its former name {old_name}=, not both.")
    _rename_warning("", old_name, new_name, stacklevel=stacklevel)
    return old, old_name
