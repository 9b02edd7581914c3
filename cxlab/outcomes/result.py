"""The panel that :func:`cxlab.outcomes.build_panel` returns, as a fitted-object result.

Its parts are attributes ending in ``_`` (lifelines style) instead of ``DataFrame.attrs``,
which pandas compares on merge and drops on many operations.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Any

import pandas as pd

__all__ = ["Panel"]

_DEPRECATED = (
    "build_panel() now returns a Panel; use panel.data_ for the table (panel.gaps_ for the "
    "gaps). Using the Panel as a DataFrame ({what}) is deprecated."
)


def _deprecated(what: str) -> None:
    warnings.warn(_DEPRECATED.format(what=what), DeprecationWarning, stacklevel=3)


class Panel:
    """The unit x quarter panel of CX metrics and business outcomes (from
    :func:`cxlab.outcomes.build_panel`).

    Every outcomes analysis takes a ``Panel`` (or its ``data_`` table, or any frame with
    the same columns). For now the panel also reads as its table (``panel["nps"]``,
    ``len(panel)``, ``panel.attrs["gaps"]``) with a :class:`DeprecationWarning`.

    Attributes
    ----------
    data_ : pandas.DataFrame
        One row per unit and quarter (the columns are listed in :func:`build_panel`).
    gaps_ : pandas.DataFrame
        The missing or thin unit-quarters: ``unit, quarter, problem``.
    units_ : list of str
        The units, sorted.
    quarters_ : list of str
        The quarters ``'YYYYQn'``, first to last.
    n_ : int
        Survey responses with an LTR score, over all cells.
    n_eff_ : float
        Their Kish effective n, summed over the cells (``n_`` when unweighted).
    weight_ : str or None
        The survey-weight column used.
    min_responses_ : int
        Cells with fewer LTR responses have NaN metrics.

    Examples
    --------
    >>> data = pd.DataFrame({"unit": ["a", "a"], "quarter": ["2025Q1", "2025Q2"],
    ...                      "qi": [8100, 8101], "n": [40, 50], "n_eff": [40.0, 50.0]})
    >>> p = Panel(data, pd.DataFrame(columns=["unit", "quarter", "problem"]))
    >>> p.units_, p.quarters_, p.n_
    (['a'], ['2025Q1', '2025Q2'], 90)
    """

    data_: pd.DataFrame
    gaps_: pd.DataFrame
    units_: list[str]
    quarters_: list[str]
    n_: int
    n_eff_: float
    weight_: str | None
    min_responses_: int

    def __init__(
        self,
        data: pd.DataFrame,
        gaps: pd.DataFrame,
        *,
        weight: str | None = None,
        min_responses: int = 30,
    ) -> None:
        self.data_ = data
        self.gaps_ = gaps.reset_index(drop=True)
        self.units_ = [str(u) for u in sorted(data["unit"].unique())]
        order = data.drop_duplicates("qi").sort_values("qi")
        self.quarters_ = [str(q) for q in order["quarter"]]
        self.n_ = int(data["n"].sum())
        self.n_eff_ = float(data["n_eff"].sum())
        self.weight_ = weight
        self.min_responses_ = int(min_responses)

    def __repr__(self) -> str:
        span = f"{self.quarters_[0]} to {self.quarters_[-1]}" if self.quarters_ else "no quarters"
        return (
            f"<Panel: {len(self.units_)} units x {len(self.quarters_)} quarters ({span}), "
            f"{len(self.gaps_)} gaps>"
        )

    def summary(self) -> pd.DataFrame:
        """One row: ``n_units, n_quarters, first, last, n, n_eff, n_gaps, weight``."""
        return pd.DataFrame(
            [
                {
                    "n_units": len(self.units_),
                    "n_quarters": len(self.quarters_),
                    "first": self.quarters_[0] if self.quarters_ else None,
                    "last": self.quarters_[-1] if self.quarters_ else None,
                    "n": self.n_,
                    "n_eff": self.n_eff_,
                    "n_gaps": len(self.gaps_),
                    "weight": self.weight_,
                }
            ]
        )

    # -- the former DataFrame return value, kept for now ---------------------------------
    @property
    def attrs(self) -> dict[str, Any]:
        """Deprecated: ``{"gaps": records}`` as the former ``DataFrame.attrs``."""
        _deprecated("attrs; use gaps_")
        return {"gaps": self.gaps_.to_dict("records")}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name.endswith("_"):
            raise AttributeError(name)
        _deprecated(f".{name}")
        return getattr(self.data_, name)

    def __getitem__(self, key: Hashable) -> Any:
        _deprecated("[...]")
        return self.data_[key]

    def __len__(self) -> int:
        _deprecated("len()")
        return len(self.data_)

    def __contains__(self, key: object) -> bool:
        _deprecated("in")
        return key in self.data_
