"""The voice-of-customer report's tables and quotes, formatted for a reader.

:func:`breakdown_table` keeps, of :func:`cxlab.voc.theme_breakdown`'s many
(group x theme) rows, the few themes each group's customers mention most, so a
report shows what people at each touch point write about instead of a long table
of tiny bases. :func:`labelled_quotes` puts the codeframe's labels on
:func:`cxlab.voc.quotes`' rows. Formatting is :func:`cxlab.tables.format_table`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cxlab import tables
from cxlab.errors import CxlabError

__all__ = ["breakdown_table", "discovery_table", "labelled_quotes", "top_themes"]


def top_themes(data: pd.DataFrame, *, by: str = "touchpoint", top: int = 2) -> pd.DataFrame:
    """The ``top`` most-mentioned themes of each group, from :func:`theme_breakdown`.

    Themes nobody in the group mentions are dropped; ties go to the theme id's
    alphabetical order, so the choice is reproducible.

    Examples
    --------
    >>> b = pd.DataFrame({"touchpoint": ["Web", "Web", "Web", "Store"],
    ...                   "theme": ["a", "b", "c", "a"], "n_mentioners": [5, 9, 0, 2]})
    >>> top_themes(b, top=2)[["touchpoint", "theme"]].values.tolist()
    [['Store', 'a'], ['Web', 'b'], ['Web', 'a']]
    """
    missing = [c for c in (by, "theme", "n_mentioners") if c not in data.columns]
    if missing:
        raise CxlabError(
            f"column(s) {', '.join(map(repr, missing))} not found in the theme breakdown."
        )
    if top < 1:
        raise CxlabError(f"top must be at least 1, got {top}.")
    rows = data[data["n_mentioners"] > 0]
    rows = rows.sort_values(
        [by, "n_mentioners", "theme"], ascending=[True, False, True], kind="stable"
    )
    return rows.groupby(by, sort=False).head(top).reset_index(drop=True)


def breakdown_table(
    data: pd.DataFrame, *, by: str = "touchpoint", top: int = 2, header: str | None = None
) -> tables.FormattedTable:
    """What each group's customers write about most, with the NPS gap of mentioners.

    One row per group and theme (:func:`top_themes`): mentioners, their share (%) of
    the group's respondents and the NPS of mentioners minus the others', both
    with intervals; the base flag of the mentioners marks the row.

    Examples
    --------
    >>> b = pd.DataFrame({"touchpoint": ["Web"], "theme": ["late"], "label": ["Late"],
    ...     "n_mentioners": [40], "share": [0.2], "share_low": [0.15], "share_high": [0.26],
    ...     "diff": [-31.0], "diff_low": [-45.0], "diff_high": [-17.0], "flag": ["indicative"]})
    >>> print(breakdown_table(b).frame.to_string(index=False))
    Touch point Theme Mentioners % of respondents (interval)     NPS gap (interval)
          Web *  Late         40         20.0 (15.0 to 26.0) -31.0 (-45.0 to -17.0)
    """
    rows = top_themes(data, by=by, top=top)
    for c in ("share", "share_low", "share_high"):  # shares read as % in a report
        rows[c] = 100 * rows[c]
    columns: Mapping[tables.Column, str] = {
        by: header or by.replace("touchpoint", "touch point").capitalize(),
        "label": "Theme",
        "n_mentioners": "Mentioners",
        ("share", "share_low", "share_high"): "% of respondents (interval)",
        ("diff", "diff_low", "diff_high"): "NPS gap (interval)",
    }
    return tables.format_table(
        rows,
        columns,
        kinds={"label": "text", "n_mentioners": "count", "share": "pct", "diff": "pct"},
        missing={"diff": "everyone in the group mentions the theme, or nobody else answered"},
    )


def labelled_quotes(data: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """:func:`cxlab.voc.quotes`' rows with each theme id replaced by its label.

    Examples
    --------
    >>> q = pd.DataFrame({"theme": ["late"], "side": ["low"], "response_id": [1],
    ...                   "quote": ["Late again."], "ltr": [2]})
    >>> labelled_quotes(q, {"late": "Late delivery"})["theme"].tolist()
    ['Late delivery']
    """
    out = data.copy()
    out["theme"] = [labels.get(t, t) for t in out["theme"]]
    return out


def discovery_table(fit: Any) -> tables.FormattedTable:
    """The themes :func:`cxlab.voc.discover` found, one row each, for a report.

    Top terms, the verbatims the theme describes best (and their share of those
    analysed) and the first masked example quote, escaped by
    :func:`cxlab.tables.format_table` like every table of a report.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlab.voc import discover
    >>> texts = ["parcel arrived late, courier lost it", "courier late again, parcel damaged",
    ...          "staff friendly and helpful", "helpful staff, friendly store"] * 5
    >>> fit = discover(pd.DataFrame({"response_id": range(20), "verbatim": texts}), n_themes=2)
    >>> discovery_table(fit).frame.columns.tolist()
    ['#', 'Top terms', 'Verbatims', '% of those analysed', 'Example (masked)']
    """
    summary = fit.summary()
    first = fit.examples_[fit.examples_["rank"] == 1].set_index("theme")["quote"]
    rows = summary.assign(
        pct=100 * summary["share"],
        example=[first.get(t) for t in summary["theme"]],
    )
    return tables.format_table(
        rows,
        {
            "theme": "#",
            "terms": "Top terms",
            "n": "Verbatims",
            "pct": "% of those analysed",
            "example": "Example (masked)",
        },
        kinds={"theme": "count", "terms": "text", "n": "count", "pct": "pct", "example": "text"},
        blank={"example": "no verbatim loads mostly on this group"},
    )
