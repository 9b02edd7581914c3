"""What a journey report says about its case study: title, introduction, lead, weak points.

Every function returns Markdown with every name from the data or the case file
escaped, so ``notebooks/journey_case_study.ipynb`` only calls them; the
warehouse sections' sentences are in :mod:`cxlab.journey.findings`.
"""

from __future__ import annotations

import re

import pandas as pd

from cxlab._html import md_escape as e
from cxlab.journey.cases import CaseStudyResult

__all__ = ["interval_text", "intro", "lead", "level_of", "masking_text", "title", "weak_text"]


def _names(names: list[str]) -> str:
    quoted = [f"**{e(n)}**" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def level_of(frame: pd.DataFrame, level: float | None = None) -> float:
    """The interval level to describe: ``level`` if given, else the frame's ``level`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> level_of(pd.DataFrame({"level": [0.9]})), level_of(pd.DataFrame(), 0.8)
    (0.9, 0.8)
    """
    if level is not None:
        return float(level)
    if "level" in frame and len(frame) and pd.notna(frame["level"].iloc[0]):
        return float(frame["level"].iloc[0])
    return 0.95


def interval_text(low: float, high: float, level: float, fmt: str = "{:+.1f}") -> str:
    """An interval in words: ``95% interval -3.1 to +0.4``.

    Examples
    --------
    >>> interval_text(-3.14, 0.42, 0.95)
    '95% interval -3.1 to +0.4'
    >>> interval_text(12.34, 20.0, 0.9, "{:.1f}%")
    '90% interval 12.3% to 20.0%'
    >>> interval_text(-0.03, 6.0, 0.95)  # never "-0.0"
    '95% interval 0.0 to +6.0'
    """
    return f"{level:.0%} interval {_no_sign_on_zero(fmt.format(low))} to {_no_sign_on_zero(fmt.format(high))}"


def _no_sign_on_zero(text: str) -> str:
    """``-0.0`` (a small negative rounded) and ``+0.0`` read ``0.0``."""
    return text[1:] if re.fullmatch(r"[+-]0(\.0*)?%?", text) else text


def title(result: CaseStudyResult) -> str:
    """The report's heading (Markdown): the case's name, escaped.

    Examples
    --------
    >>> from cxlab import journey
    >>> print(title(journey.case_study("electronics_product_launch")))
    # Journey case study: Electronics retailer product launch
    """
    return f"# Journey case study: {e(result.case_.name)}"


def intro(
    result: CaseStudyResult,
    overall: pd.Series | None = None,
    *,
    unit: str = "ALL",
    weight: str | None = None,
) -> str:
    """The report's first paragraphs (Markdown): the case, the plan, intervals and weights.

    Parameters
    ----------
    result : CaseStudyResult
        From :func:`cxlab.journey.case_study` (its level is the report's).
    overall : pandas.Series, optional
        The overall NPS row (:func:`cxlab.nps`): with weights, its ``n`` and
        ``n_eff`` are quoted.
    unit : str
        The business unit of the warehouse sections, or ``"ALL"``.
    weight : str, optional
        The survey weight column used, or None (unweighted).

    Examples
    --------
    >>> from cxlab import journey
    >>> text = intro(journey.case_study("electronics_product_launch"), unit="Nordics")
    >>> print(text.split("\\n\\n")[1])
    An aggregate score can hide the touch points that fail. This report scores the journey touch point by touch point, shows how the aggregate masks the weak ones, and then looks at the warehouse (Nordics): the touch-point inventory, the paths customers take, and whether every channel gives the same experience. Every interval is a 95% interval. Estimates are unweighted: every response counts once. The comparison of each touch point with the same customers' other scores pairs customers and stays unweighted.
    """
    from cxlab import report

    scope = "all units" if unit == "ALL" else unit
    events = (
        " The weights apply to the survey scores only; interaction, journey and "
        "conversion counts are events, not survey responses, and are never weighted."
        if weight
        else ""
    )
    return (
        f"{e(result.case_.description)}\n\n"
        "An aggregate score can hide the touch points that fail. This report scores the "
        "journey touch point by touch point, shows how the aggregate masks the weak ones, "
        f"and then looks at the warehouse ({e(scope)}): the touch-point inventory, the paths "
        "customers take, and whether every channel gives the same experience. Every interval "
        f"is a {result.level_:.0%} interval. "
        + report.weight_note(weight, overall)
        + events
        + " The comparison of each touch point with the same customers' other scores "
        "pairs customers and stays unweighted."
    )


def weak_text(result: CaseStudyResult) -> str:
    """Which touch points are weak, by the case's rules, with their scores (Markdown).

    A second paragraph warns, when scores come from the warehouse with
    intervals, that a touch point is flagged on its point estimate.

    Examples
    --------
    >>> from cxlab import journey
    >>> print(weak_text(journey.case_study("electronics_product_launch")))
    2 of 5 touch points are weak (relationship score below 5, or the operational KPI misses its target): **Store and phone staff\\: questions and pre\\-orders** (3), **Stock\\-out\\: customers turned away** (1).
    """
    tps = result.touchpoints_
    weak = tps[tps["weak"]]
    if weak.empty:
        text = "No touch point is weak by the case's rules."
    else:
        names = ", ".join(
            f"**{e(t)}**" + (f" ({s:.3g})" if pd.notna(s) else "")
            for t, s in zip(weak["touchpoint"], weak["score"], strict=True)
        )
        text = (
            f"{len(weak)} of {len(tps)} touch points {'is' if len(weak) == 1 else 'are'} weak "
            f"(relationship score below {result.weak_below_:g}, or the operational KPI misses "
            f"its target): {names}."
        )
    if tps["score_low"].notna().any():
        text += (
            "\n\nScores queried from the warehouse carry intervals (error bars in the chart); a "
            "touch point is flagged on its point estimate, so check that the interval is "
            "clear of the threshold before acting."
        )
    return text


def masking_text(result: CaseStudyResult, masking: pd.DataFrame | None = None) -> str:
    """How the aggregate masks the weak touch points: one line each, then who it cannot hear.

    Parameters
    ----------
    result : CaseStudyResult
        From :func:`cxlab.journey.case_study`.
    masking : pandas.DataFrame, optional
        :func:`cxlab.journey.aggregate_masking` of ``result`` (computed when not given).

    Examples
    --------
    >>> from cxlab import journey
    >>> print(masking_text(journey.case_study("electronics_product_launch")))
    The aggregate (Satisfaction of buyers surveyed after launch day) is **9.2**, while the unweighted mean of all touch points is 6.6.
    - **Store and phone staff\\: questions and pre\\-orders** scores 3, 6.2 points below it; 4,000 customers met it.
    - **Stock\\-out\\: customers turned away** scores 1, 8.2 points below it; 3,000 customers met it, and none of them is in the aggregate's sample: they never reached the point where the aggregate is measured (survivorship), so the aggregate cannot hear them.
    <BLANKLINE>
    3,000 customers who met a weak touch point are missing from the aggregate altogether. A high aggregate here is a statement about the customers who got through, not about the journey.
    """
    from cxlab.journey.cases import aggregate_masking

    masking = aggregate_masking(result) if masking is None else masking
    agg = result.aggregate_
    interval = (
        f" ({interval_text(agg['low'], agg['high'], result.level_)})"
        if pd.notna(agg.get("low"))
        else ""
    )
    text = [
        f"The aggregate ({e(agg.get('label', 'aggregate'))}) is "
        f"**{result.aggregate_score_:.3g}**{interval}, while the unweighted mean of all touch "
        f"points is {result.all_touchpoints_mean_:.3g}."
    ]
    for _, row in masking.iterrows():
        side = "below" if row["gap"] < 0 else "above"
        line = (
            f"- **{e(row['touchpoint'])}** scores {row['score']:.3g}, "
            f"{abs(row['gap']):.3g} points {side} it"
        )
        if pd.notna(row["customers"]):
            line += f"; {row['customers']:,.0f} customers met it"
        if not row["in_aggregate"]:
            line += (
                ", and none of them is in the aggregate's sample: they never reached the point "
                "where the aggregate is measured (survivorship), so the aggregate cannot hear them"
            )
        text.append(line + ".")
    if result.hidden_customers_ > 0:
        text.append(
            f"\n{result.hidden_customers_:,.0f} customers who met a weak touch point are "
            "missing from the aggregate altogether. A high aggregate here is a statement about "
            "the customers who got through, not about the journey."
        )
    return "\n".join(text)


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
