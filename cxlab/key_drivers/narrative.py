"""What a key-driver report says: title, introduction, opening sentences, tables, conclusion.

Every function returns Markdown (or a formatted table) with every name from the
data escaped, so a notebook only calls them (see ``notebooks/drivers.ipynb``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from cxlab._html import md_escape as e
from cxlab.key_drivers.performance import importance_performance
from cxlab.key_drivers.ranking import base_text, ranking_text

if TYPE_CHECKING:
    from cxlab.key_drivers.model import KeyDrivers
    from cxlab.tables import FormattedTable

__all__ = ["METHOD_NAMES", "conclusion", "importance_table", "intro", "lead", "title"]

#: How a report names each method (:data:`~cxlab.key_drivers.METHODS`).
METHOD_NAMES = {
    "shapley": "Shapley value (LMG) decomposition of R²",
    "relative-weights": "Johnson's relative weights",
    "dominance": "general dominance",
    "correlation": "squared correlation",
}

#: Below this many complete responses, importances of a battery are called unstable.
SMALL_BASE = 300


def _share(row: pd.Series) -> str:
    text = f"{100 * row['share']:.0f}%"
    if pd.notna(row.get("share_low")) and pd.notna(row.get("share_high")):
        text += f" ({100 * row['share_low']:.0f}-{100 * row['share_high']:.0f}%)"
    return text


def _names(names: list[str]) -> str:
    quoted = [f"**{e(n)}**" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


_ASSOCIATION = (
    "Importance is association in survey answers, not proven cause: attributes rated "
    "after a bad experience tend to be rated low together."
)


def _small_base(fit: KeyDrivers) -> str | None:
    if fit.n_ >= SMALL_BASE:
        return None
    return (
        f"Caution: only {fit.n_:,} complete responses; importances of this many "
        "attributes are unstable."
    )


def lead(fit: KeyDrivers, performance: pd.DataFrame | None = None) -> str:
    """At most three plain sentences a manager can act on (Markdown).

    What matters most, which of it is rated low (the *key weaknesses* of
    :func:`~cxlab.key_drivers.importance_performance`, where improvement pays
    most), and the main caveat (a small base, or that importance is an
    association). Names are escaped.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlab.key_drivers import KeyDrivers
    >>> rng = np.random.default_rng(1)
    >>> x = rng.integers(0, 11, size=(400, 3)).astype(float)
    >>> df = pd.DataFrame(x, columns=["Price", "Staff", "Web"])
    >>> df["ltr"] = (0.6 * df.Price + 0.3 * df.Staff + rng.normal(0, 2, 400)).round()
    >>> print(lead(KeyDrivers(n_boot=0).fit(df, "ltr", ["Price", "Staff", "Web"])))
    **Price** and **Staff** matter most for likelihood to recommend: 77% and 23% of what the attributes explain (R² = 51%). **Price** is important and rated below average: improving it is where likelihood to recommend has most to gain. Importance is association in survey answers, not proven cause: attributes rated after a bad experience tend to be rated low together.
    """
    res = fit.importance_
    ip = importance_performance(fit) if performance is None else performance
    top = res.head(2 if len(res) > 1 else 1)
    shares = " and ".join(f"{100 * s:.0f}%" for s in top["share"])
    first = (
        f"{_names(top['driver'].tolist())} matter{'s' if len(top) == 1 else ''} most for "
        f"likelihood to recommend: {shares} of what the attributes explain "
        f"(R² = {fit.r2_:.0%})."
    )
    weak = ip.loc[ip["quadrant"] == "key weakness", "driver"].tolist()
    if weak:
        second = (
            f"{_names(weak)} {'is' if len(weak) == 1 else 'are'} important and rated below "
            f"average: improving {'it' if len(weak) == 1 else 'them'} is where likelihood to "
            "recommend has most to gain."
        )
    else:
        second = (
            f"{'It is' if len(top) == 1 else 'Neither is'} rated below the average of the "
            "attributes: protect "
            f"{'it' if len(top) == 1 else 'them'}."
        )
    return " ".join([first, second, _small_base(fit) or _ASSOCIATION])


def conclusion(fit: KeyDrivers, performance: pd.DataFrame | None = None) -> str:
    """The report's conclusion: top drivers with intervals, the ranking, weaknesses, caveat.

    Paragraphs of Markdown; every name escaped. See :func:`lead` for the short version.
    """
    res = fit.importance_
    ip = importance_performance(fit) if performance is None else performance
    top = res.head(3)
    lines = [
        "The attributes that matter most for likelihood to recommend are "
        + ", ".join(f"**{e(r['driver'])}** {_share(r)}" for _, r in top.iterrows())
        + f" of the explained variation (R² = {fit.r2_:.0%}; {base_text(fit)}).",
        ranking_text(fit),
    ]
    weak = ip.loc[ip["quadrant"] == "key weakness", "driver"].tolist()
    if weak:
        lines.append(
            "**Key weaknesses** (above-average importance, below-average rating): "
            + ", ".join(e(w) for w in weak)
            + ". Improving these is where LTR has most to gain."
        )
    lines += [text for text in (_small_base(fit), _ASSOCIATION) if text]
    return "\n\n".join(lines)


def title(unit: str, quarters: Sequence[str]) -> str:
    """The report's heading (Markdown): whose drivers, over which quarters.

    Parameters
    ----------
    unit : str
        A business unit, or ``"ALL"`` for the company.
    quarters : sequence of str
        The quarters pooled, oldest first (e.g. from
        :func:`cxlab.periods.quarters_up_to`).

    Examples
    --------
    >>> print(title("ALL", ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]))
    # What drives likelihood to recommend: All units\\, 2025Q4\\-2026Q3
    >>> print(title("<b>Nord</b>", ["2026Q3"]))
    # What drives likelihood to recommend: &lt;b&gt;Nord&lt;\\/b&gt;\\, 2026Q3\\-2026Q3
    """
    scope = f"{'All units' if unit == 'ALL' else unit}, {quarters[0]}-{quarters[-1]}"
    return f"# What drives likelihood to recommend: {e(scope)}"


def intro(fit: KeyDrivers) -> str:
    """The report's first paragraph (Markdown): question, base, method, fit, weights, intervals.

    Parameters
    ----------
    fit : KeyDrivers
        Fitted on LTR (its ``method``, ``weight``, ``n_boot`` and ``level`` are
        described).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlab.key_drivers import KeyDrivers
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.integers(0, 11, size=(400, 2)).astype(float), columns=["a", "b"])
    >>> df["ltr"] = (0.6 * df.a + rng.normal(0, 2, 400)).round()
    >>> print(intro(KeyDrivers(method="shapley").fit(df, "ltr", ["a", "b"])))
    Which experience attributes move customers' likelihood to recommend (LTR, 0-10)? Based on the survey responses that rated every attribute of the relationship battery: n = 400 responses; 0 answers with a 'don't know' were left out. Importance is each attribute's share of the explained variation in LTR (Shapley value (LMG) decomposition of R²); together the attributes explain R² = 44% of it. Estimates are unweighted: every response counts once. No intervals (bootstrap = 0).
    """
    from cxlab import report

    res = fit.importance_
    method = METHOD_NAMES.get(fit.method, e(fit.method))
    intervals = (
        f"Intervals are {fit.level:.0%} bootstrap intervals ({fit.n_boot} replicates)."
        if fit.n_boot
        else "No intervals (bootstrap = 0)."
    )
    return (
        "Which experience attributes move customers' likelihood to recommend (LTR, 0-10)? "
        "Based on the survey responses that rated every attribute of the relationship "
        f"battery: {base_text(res)}; {fit.n_dropped_:,} answers with a 'don't know' were left "
        "out. Importance is each attribute's share of the explained variation in LTR "
        f"({method}); together the attributes explain R² = {fit.r2_:.0%} of it. "
        + report.weight_note(fit.weight, res.iloc[0])
        + " "
        + intervals
    )


def importance_table(fit: KeyDrivers) -> FormattedTable:
    """The ranked drivers as a report table: rank, share in % with its interval, sign, r, rating.

    One base for every row (it goes in the chart's title), so no base marks.
    Importances carry 3 significant digits; names are escaped by
    :func:`cxlab.tables.format_table`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlab.key_drivers import KeyDrivers
    >>> df = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "b": [2.0, 1, 4, 3, 6, 6]})
    >>> df["ltr"] = [1.0, 3, 3, 5, 6, 8]
    >>> importance_table(KeyDrivers().fit(df, "ltr", ["a", "b"])).frame.columns.tolist()
    ['rank', 'attribute', 'importance %', 'direction', 'correlation with LTR', 'mean rating (0-10)']
    """
    from cxlab.tables import format_table

    res = fit.importance_
    frame = res.assign(
        pct=100 * res["share"],
        pct_low=100 * res["share_low"],
        pct_high=100 * res["share_high"],
        mean_rating=res["mean"],
        direction=res["sign"].map({1: "+", -1: "-"}),
    )
    label = "importance %" + (f" ({fit.level:.0%} interval)" if fit.n_boot else "")
    return format_table(
        frame,
        {
            "rank": "rank",
            "driver": "attribute",
            ("pct", "pct_low", "pct_high"): label,
            "direction": "direction",
            "r": "correlation with LTR",
            "mean_rating": "mean rating (0-10)",
        },
        kinds={"pct": "effect"},  # importances: 3 significant digits
        flag=None,  # one base for every row: in the chart's title
    )
