"""What a journey report says first: at most three plain sentences (Markdown)."""

from __future__ import annotations

import pandas as pd

from cxlab._html import md_escape as e
from cxlab.journey.cases import CaseStudyResult

__all__ = ["lead"]


def _names(names: list[str]) -> str:
    quoted = [f"**{e(n)}**" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def lead(
    result: CaseStudyResult,
    effects: pd.DataFrame | None = None,
    gaps: pd.DataFrame | None = None,
) -> str:
    """The journey report's opening: weak touch points, what the aggregate hides, what to fix.

    Parameters
    ----------
    result : CaseStudyResult
        From :func:`cxlab.journey.case_study`.
    effects : DataFrame, optional
        :func:`cxlab.journey.removal_effects` (or :func:`touchpoint_effects`):
        the touch points whose ``verdict`` is ``"loses customers"`` are named.
    gaps : DataFrame, optional
        :func:`cxlab.journey.channel_gaps`: channels with ``verdict == "below"``.

    Returns
    -------
    str
        At most three sentences; every name escaped.

    Examples
    --------
    >>> from cxlab import journey
    >>> print(journey.lead(journey.case_study("electronics_product_launch")))
    2 of 5 touch points are weak: **Store and phone staff\\: questions and pre\\-orders** (3) and **Stock\\-out\\: customers turned away** (1). The aggregate (Satisfaction of buyers surveyed after launch day, 9.2) cannot show them: 3,000 customers who met a weak touch point are not in its sample.
    """
    tps = result.touchpoints_
    weak = tps[tps["weak"]]
    if weak.empty:
        first = f"None of the {len(tps)} touch points is weak."
    else:
        parts = [
            f"**{e(n)}** ({s:.3g})" for n, s in zip(weak["touchpoint"], weak["score"], strict=True)
        ]
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        first = (
            f"{len(weak)} of {len(tps)} touch points {'is' if len(weak) == 1 else 'are'} "
            f"weak: {joined}."
        )
    sentences = [first]
    label = e(str(result.aggregate_.get("label", "aggregate")))
    agg = result.aggregate_score_
    if not weak.empty and pd.notna(agg):
        if result.hidden_customers_ > 0:
            sentences.append(
                f"The aggregate ({label}, {agg:.3g}) cannot show them: "
                f"{result.hidden_customers_:,.0f} customers who met a weak touch point are not "
                "in its sample."
            )
        else:
            sentences.append(f"The aggregate ({label}, {agg:.3g}) averages them away.")
    found = []
    if effects is not None and "verdict" in effects:
        loses = effects.loc[effects["verdict"] == "loses customers", "touchpoint"].tolist()
        if loses:
            found.append(f"{_names(loses)} lose{'s' if len(loses) == 1 else ''} customers")
    if gaps is not None and "verdict" in gaps:
        below = gaps.loc[gaps["verdict"] == "below", "channel"].tolist()
        if below:
            found.append(
                f"the {_names(below)} channel{'s are' if len(below) > 1 else ' is'} below "
                "the others at the same touch points"
            )
    if found:
        sentences.append(
            "In the warehouse, " + " and ".join(found) + " (adjusted comparisons, Holm)."
        )
    return " ".join(sentences)
