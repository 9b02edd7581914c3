"""What the voice-of-customer report says about themes: the lead and the caveat.

Every function returns Markdown with every name from the data escaped
(:func:`cxlab._html.md_escape`); numbers come from :func:`cxlab.voc.theme_impact`.
"""

from __future__ import annotations

import pandas as pd

from cxlab._html import md_escape as e
from cxlab.report.text import fmt_nps, fmt_p

__all__ = ["codeframe_problem", "discovery_text", "impact_caveat", "impact_lead", "title"]

_FLAG_NOTE = {"indicative": " (indicative base)", "unreliable": " (unreliable base)"}


def _theme_phrase(row: pd.Series) -> str:
    level = f"{100 * float(row['level']):g}%"
    share = f"{100 * float(row['share']):.1f}%"
    note = _FLAG_NOTE.get(str(row.get("flag", "")), "")
    return (
        f"**{e(row['label'])}** ({share} of respondents{note}): NPS impact "
        f"{fmt_nps(row['impact'])} points ({level} interval {fmt_nps(row['low'])} to "
        f"{fmt_nps(row['high'])}; mentioners {fmt_nps(row['nps_mentioners'])} vs others "
        f"{fmt_nps(row['nps_others'])}, adjusted {fmt_p(row['p_adj'])})"
    )


def impact_lead(data: pd.DataFrame, *, top: int = 3) -> str:
    """The opening sentences: the ``top`` themes by |NPS impact|, with intervals and flags.

    A theme whose difference is not significant after the multiple-testing
    correction (``p_adj >= 1 - level``) is reported as such; a table without
    mentions says so.

    Examples
    --------
    >>> row = {"theme": "late", "label": "Late <b>delivery", "share": 0.12,
    ...        "impact": -4.2, "low": -5.0, "high": -3.4, "nps_mentioners": -20.0,
    ...        "nps_others": 15.0, "p_adj": 0.0001, "level": 0.95, "flag": "reportable",
    ...        "n_mentioners": 500}
    >>> print(impact_lead(pd.DataFrame([row])))  # doctest: +NORMALIZE_WHITESPACE
    The theme that moves NPS most is **Late &lt;b&gt;delivery** (12.0% of
    respondents): NPS impact -4.2 points (95% interval -5.0 to -3.4; mentioners -20.0 vs
    others +15.0, adjusted p < 0.001).
    """
    rows = data[data["n_mentioners"] > 0].head(int(top))
    if rows.empty:
        return "No response mentions any theme of the codeframe, so no theme impact is reported."
    phrases = [_theme_phrase(r) for _, r in rows.iterrows()]
    if len(phrases) == 1:
        text = f"The theme that moves NPS most is {phrases[0]}."
    else:
        text = (
            f"The {len(phrases)} themes that move NPS most are "
            + "; ".join(phrases[:-1])
            + f"; and {phrases[-1]}."
        )
    weak = [e(r["label"]) for _, r in rows.iterrows() if not float(r["p_adj"]) < 1 - r["level"]]
    if weak:
        text += (
            " For " + ", ".join(weak) + " the gap between mentioners and the others is "
            "within what chance would give after the multiple-testing correction."
        )
    return text


def impact_caveat() -> str:
    """The caveat every theme-impact section carries: mentioning is not causing.

    Examples
    --------
    >>> impact_caveat().startswith("Mentioning a theme is not the same as")
    True
    """
    return (
        "Mentioning a theme is not the same as being moved by it: the impact is what "
        "the overall NPS would gain or lose if those who mention a theme scored like "
        "those who do not, an association, not a measured effect. Unhappy customers "
        "write more and about more things, and a theme can stand for a cause nobody "
        "names. Read the impact as where to look, and test a change before counting "
        "on its effect."
    )


def title(quarter: str) -> str:
    """The report's title, the quarter escaped.

    Examples
    --------
    >>> title("2026Q3")
    '# Voice of the customer, 2026Q3'
    """
    return f"# Voice of the customer, {e(quarter)}"


def codeframe_problem(error: Exception) -> str:
    """The sentence a report shows instead of the analysis when its codeframe cannot be read.

    Examples
    --------
    >>> codeframe_problem(ValueError("no <file>"))
    'The codeframe could not be read, so no theme is reported: no &lt;file&gt;'
    """
    return f"The codeframe could not be read, so no theme is reported: {e(error)}"


def discovery_text(n_uncoded: int, n_themes: int, *, problem: str = "") -> str:
    """What the discovery section says: how many verbatims no theme matched, what the
    table below holds, and how to promote a discovered theme into the codeframe.

    ``problem`` (a :class:`cxlab.errors.CxlabError`'s message, e.g. too few
    verbatims left) replaces the table's description, escaped.

    Examples
    --------
    >>> discovery_text(1234, 5).split(". ")[0]
    '1,234 verbatims mention no theme of the codeframe'
    >>> discovery_text(3, 0, problem="discover: 3 verbatim(s) <b>").endswith("&lt;b&gt;")
    True
    """
    head = (
        f"{n_uncoded:,} verbatim{'s' if n_uncoded != 1 else ''} mention"
        f"{'' if n_uncoded != 1 else 's'} no theme of the codeframe"
    )
    if problem:
        return f"{head}. No themes were looked for in them: {e(problem)}"
    return (
        f"{head}. Below, the {n_themes} groups of words that recur most in them (TF-IDF "
        "and non-negative matrix factorisation, seeded, so the same verbatims give the "
        "same groups), each with how many of these verbatims it describes best and a "
        "masked example. A group that names something the business can act on can be "
        "promoted into the codeframe: add a theme with its keywords to the codeframe's "
        "YAML file (see the README), and the next report counts it and measures its impact."
    )
