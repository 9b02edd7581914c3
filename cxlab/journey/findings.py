"""What the warehouse sections of a journey report say: one function per finding (Markdown).

:func:`inventory_table` gives the inventory as the report shows it. The others take the tidy result of the analysis it describes (the inventory,
touch point against overall, paths, drop-off, channel gaps, consistency and
switching) and returns the sentences a report shows under its table or chart,
with every name from the data escaped. The interval level is the ``level``
column of the result unless ``level=`` is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxlab._html import md_escape as e
from cxlab.journey.markov import conversion_probability
from cxlab.journey.narrative import interval_text, level_of
from cxlab.tables import signed

if TYPE_CHECKING:
    from cxlab.tables import FormattedTable

__all__ = [
    "channel_gaps_text",
    "consistency_text",
    "dropoff_text",
    "inventory_text",
    "paths_text",
    "switching_text",
    "inventory_table",
    "vs_overall_text",
]

#: Below this many journeys a touch point's conversion rate is not shown.
MIN_JOURNEYS = 30


def inventory_table(
    inventory: pd.DataFrame, *, weighted: bool = False, level: float | None = None
) -> FormattedTable:
    """The touch-point inventory as a report table: who owns it, its NPS, its conversion.

    A conversion rate resting on fewer than 30 journeys (``conv_flag`` of
    ``"unreliable"``) is not shown; the note under the table says why a cell is
    empty. Names are escaped by :func:`cxlab.tables.format_table`.

    Parameters
    ----------
    inventory : pandas.DataFrame
        :func:`cxlab.journey.inventory`.
    weighted : bool
        The NPS is weighted: show the Kish effective n beside ``n``.
    level : float, optional
        Interval level (default: the table's ``level`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> inv = pd.DataFrame({"touchpoint": ["Web"], "stage": ["interaction"],
    ...     "channels": ["web"], "intentional": [True], "owner": ["E-commerce"], "n": [812],
    ...     "nps": [31.0], "nps_low": [27.9], "nps_high": [34.1], "conv_rate": [12.0],
    ...     "conv_flag": ["unreliable"], "journeys": [25], "weak": [False]})
    >>> t = inventory_table(inv)
    >>> t.frame[["Touch point", "NPS (95% interval)", "Conversion %"]].values.tolist()
    [['Web', '31.0 (27.9 to 34.1)', 'n/a']]
    """
    from cxlab.tables import format_table

    lvl = level_of(inventory, level)
    table = inventory.assign(
        journeys=inventory["journeys"].fillna(0).astype(int),
        conv_rate=inventory["conv_rate"].where(inventory["conv_flag"] != "unreliable"),
    )
    return format_table(
        table,
        {
            "touchpoint": "Touch point",
            "stage": "Stage",
            "channels": "Channels",
            "intentional": "Intentional",
            "owner": "Owner",
            "n": "Responses (n)",
            **({"n_eff": "Effective n"} if weighted else {}),
            ("nps", "nps_low", "nps_high"): f"NPS ({lvl:.0%} interval)",
            "conv_rate": "Conversion %",
            "journeys": "Journeys",
            "weak": "Weak",
        },
        missing={
            "conv_rate": "no path to purchase passes through the touch point (after-sales "
            f"contacts count towards the purchase they follow), or fewer than {MIN_JOURNEYS} "
            "journeys do",
            "nps": "no survey response at the touch point",
            "owner": "the inventory names no owner",
            "channels": "the inventory names no channel",
        },
    )


def inventory_text(inventory: pd.DataFrame, *, level: float | None = None) -> str:
    """The touch points whose NPS is significantly below the others, with their conversion.

    Parameters
    ----------
    inventory : pandas.DataFrame
        :func:`cxlab.journey.inventory` (``touchpoint, nps, nps_low, nps_high,
        conv_rate, weak``).
    level : float, optional
        Interval level (default: the table's ``level`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> inv = pd.DataFrame({"touchpoint": ["Web", "Stock-out"], "nps": [31.0, -42.5],
    ...     "nps_low": [28.0, -50.1], "nps_high": [34.0, -34.8], "conv_rate": [61.0, None],
    ...     "weak": [False, True], "level": 0.95})
    >>> print(inventory_text(inv))
    Touch points significantly below the others: **Stock\\-out** (NPS -42.5, 95% interval -50.1 to -34.8; no conversion rate)
    """
    lvl = level_of(inventory, level)
    weak = inventory[inventory["weak"].astype(bool)]
    parts = [
        f"**{e(r['touchpoint'])}** (NPS {signed(r['nps'])}, "
        f"{interval_text(r['nps_low'], r['nps_high'], lvl)}; "
        + (
            f"{r['conv_rate']:.0f}% of the journeys through it convert)"
            if pd.notna(r["conv_rate"])
            else "no conversion rate)"
        )
        for _, r in weak.iterrows()
    ]
    return "Touch points significantly below the others: " + (
        ", ".join(parts) if parts else "none."
    )


def vs_overall_text(comparison: pd.DataFrame, *, level: float | None = None) -> str:
    """Touch points the same customers score clearly lower than the rest, and the correlations.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`cxlab.journey.touchpoint_vs_overall` (``touchpoint, gap, gap_low,
        gap_high, r``).
    level : float, optional
        Interval level (default: the table's ``level`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> vs = pd.DataFrame({"touchpoint": ["Phone", "Web"], "gap": [-1.234, 0.1],
    ...     "gap_low": [-1.5, -0.2], "gap_high": [-0.9, 0.4], "r": [0.12, 0.31], "level": 0.95})
    >>> print(vs_overall_text(vs))
    The same customers score **Phone** 1.23 points lower (95% interval -1.50 to -0.90) than they score the rest of their experience: the weakness is the touch point's, not the customers'. Correlations range from +0.12 to +0.31: near zero means a customer's score at one touch point says little about the rest of their experience, so each touch point has to be measured on its own.
    """
    lvl = level_of(comparison, level)
    neg = comparison[comparison["gap_high"] < 0]
    if len(neg):
        text = (
            "The same customers score "
            + ", ".join(
                f"**{e(r['touchpoint'])}** {abs(r['gap']):.2f} points lower "
                f"({interval_text(r['gap_low'], r['gap_high'], lvl, '{:+.2f}')})"
                for _, r in neg.iterrows()
            )
            + " than they score the rest of their experience: the weakness is the touch "
            "point's, not the customers'."
        )
    else:
        text = "No touch point is scored clearly below the same customers' other experiences."
    r = comparison["r"].astype(float)
    if np.isfinite(r).any():
        text += (
            f" Correlations range from {signed(r.min(), 2)} to {signed(r.max(), 2)}: near zero means a "
            "customer's score at one touch point says little about the rest of their "
            "experience, so each touch point has to be measured on its own."
        )
    return text


def paths_text(moves: pd.DataFrame, matrix: pd.DataFrame) -> str:
    """How many kinds of moves, between how many touch points, and the share that converts.

    Parameters
    ----------
    moves : pandas.DataFrame
        :func:`cxlab.journey.transitions` (one row per kind of move).
    matrix : pandas.DataFrame
        :func:`cxlab.journey.transition_matrix` of ``moves`` (touch points plus
        the start, conversion and drop-off states).

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlab import journey
    >>> moves = pd.DataFrame({"from": ["(start)", "(start)", "Web", "Store"],
    ...     "to": ["Web", "Store", "(conversion)", "(drop-off)"], "n": [3, 1, 3, 1]})
    >>> print(paths_text(moves, journey.transition_matrix(moves)))
    4 kinds of moves between 2 touch points; 75.0% of journeys reach a purchase.
    """
    p_conv = conversion_probability(matrix)
    return (
        f"{len(moves)} kinds of moves between {len(matrix) - 3} touch points; "
        f"{100 * p_conv:.1f}% of journeys reach a purchase."
    )


def dropoff_text(funnel: pd.DataFrame, *, level: float | None = None) -> str:
    """The share of journeys that reached the interaction stage and did not buy.

    Parameters
    ----------
    funnel : pandas.DataFrame
        :func:`cxlab.journey.stage_dropoff` (its ``conversion`` step).
    level : float, optional
        Interval level (default: the table's ``level`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"step": ["interaction", "conversion"], "drop_off": [20.0, 61.25],
    ...     "continued_low": [75.0, 35.1], "continued_high": [85.0, 42.4], "level": 0.95})
    >>> print(dropoff_text(f))
    Of the journeys that reached the interaction stage, 61.2% did not buy (95% interval 57.6% to 64.9%).
    """
    lvl = level_of(funnel, level)
    steps = funnel.set_index("step")
    if "conversion" not in steps.index or pd.isna(steps.loc["conversion", "drop_off"]):
        return "No journey reached the interaction stage, so there is no drop-off to report."
    conv = steps.loc["conversion"]
    interval = interval_text(
        100 - conv["continued_high"], 100 - conv["continued_low"], lvl, "{:.1f}%"
    )
    return (
        f"Of the journeys that reached the interaction stage, {conv['drop_off']:.1f}% did not "
        f"buy ({interval})."
    )


def channel_gaps_text(gaps: pd.DataFrame, *, level: float | None = None) -> str:
    """The channels significantly below the others at the same touch points (Holm).

    Parameters
    ----------
    gaps : pandas.DataFrame
        :func:`cxlab.journey.channel_gaps` (``channel, gap, gap_low, gap_high, verdict``).
    level : float, optional
        Interval level (default: the table's ``level`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"channel": ["phone", "web"], "gap": [-8.04, 2.0],
    ...     "gap_low": [-11.0, -1.0], "gap_high": [-5.1, 5.0],
    ...     "verdict": ["below", "no difference"], "level": 0.95})
    >>> print(channel_gaps_text(g))
    Below the other channels at the same touch points: **phone** (-8.0 NPS points, 95% interval -11.0 to -5.1). Tests are Holm-adjusted over channels.
    """
    lvl = level_of(gaps, level)
    below = gaps[gaps["verdict"] == "below"]
    if len(below):
        text = (
            "Below the other channels at the same touch points: "
            + ", ".join(
                f"**{e(r['channel'])}** ({signed(r['gap'])} NPS points, "
                f"{interval_text(r['gap_low'], r['gap_high'], lvl)})"
                for _, r in below.iterrows()
            )
            + "."
        )
    else:
        text = "No channel is significantly below the others at the same touch points."
    return text + " Tests are Holm-adjusted over channels."


def consistency_text(consistency: pd.DataFrame) -> str:
    """How many multi-channel touch points differ across channels beyond chance.

    Parameters
    ----------
    consistency : pandas.DataFrame
        :func:`cxlab.journey.channel_consistency` (``channels, inconsistent``).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"channels": [3, 2, 1], "inconsistent": [True, False, False]})
    >>> print(consistency_text(c))
    1 of 2 multi-channel touch points differ across channels beyond chance (chi-square test of the promoter / passive / detractor mix, Holm-adjusted). The spread is between the best and worst channel, chosen after looking, so it overstates the true gap a little; trust the test.
    """
    multi = int((consistency["channels"] >= 2).sum())
    if multi == 0:
        return "No touch point is served by more than one channel: there is nothing to compare."
    inconsistent = int(consistency["inconsistent"].astype(bool).sum())
    return (
        f"{inconsistent} of {multi} multi-channel touch points differ across channels beyond "
        "chance (chi-square test of the promoter / passive / detractor mix, Holm-adjusted). "
        "The spread is between the best and worst channel, chosen after looking, so it "
        "overstates the true gap a little; trust the test."
    )


def switching_text(switching: pd.DataFrame, *, level: float | None = None) -> str:
    """Conversion and later NPS of journeys that switched channel, against single-channel ones.

    Parameters
    ----------
    switching : pandas.DataFrame
        :func:`cxlab.journey.channel_switching` (its ``switched`` row carries the
        differences and p-values).
    level : float, optional
        Interval level and significance threshold (default: the table's ``level``).

    Examples
    --------
    >>> import pandas as pd
    >>> sw = pd.DataFrame({"switched": [False, True], "journeys": [9000, 1200],
    ...     "conv_diff": [None, 1.5], "conv_diff_low": [None, -1.0],
    ...     "conv_diff_high": [None, 4.0], "p_conv": [None, 0.24], "nps_diff": [None, -2.0],
    ...     "nps_diff_low": [None, -6.0], "nps_diff_high": [None, 2.0], "p_nps": [None, 0.33],
    ...     "level": 0.95})
    >>> print(switching_text(sw))
    Journeys that switched channel (1,200 of 10,200) converted +1.5 points against single-channel journeys (95% interval -1.0 to +4.0, p = 0.240); the NPS of their surveys in the next 180 days differs by -2.0 points (95% interval -6.0 to +2.0, p = 0.330). Neither difference is significant: no evidence here that hand-offs between channels hurt, though the intervals leave room for a small effect.
    """
    from cxlab import report

    lvl = level_of(switching, level)
    rows = switching[switching["switched"].astype(bool)]
    if rows.empty or not rows["journeys"].iloc[0]:
        return "No journey switched channel, so there is nothing to compare."
    t = rows.iloc[0]
    conv = interval_text(t["conv_diff_low"], t["conv_diff_high"], lvl)
    nps = interval_text(t["nps_diff_low"], t["nps_diff_high"], lvl)
    significant = not (t["p_conv"] >= 1 - lvl and t["p_nps"] >= 1 - lvl)
    return (
        f"Journeys that switched channel ({int(t['journeys']):,} of "
        f"{int(switching['journeys'].sum()):,}) converted {signed(t['conv_diff'])} points against "
        f"single-channel journeys ({conv}, {report.fmt_p(t['p_conv'])}); the NPS of their "
        f"surveys in the next 180 days differs by {signed(t['nps_diff'])} points "
        f"({nps}, {report.fmt_p(t['p_nps'])}). "
        + (
            "Switchers may differ from other customers in ways this comparison does not see."
            if significant
            else "Neither difference is significant: no evidence here that hand-offs between "
            "channels hurt, though the intervals leave room for a small effect."
        )
    )
