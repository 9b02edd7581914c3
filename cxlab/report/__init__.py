"""Building blocks of the quarterly report: views, comparisons, tables and plain words.

The notebook ``notebooks/quarterly_report.ipynb`` stays thin: it asks these
functions for numbers and sentences, and every sentence here is derived from
numbers the report also shows.

The package, one topic per module (every name below is importable from
``cxlab.report``):

``views``      where the data come from: :func:`responses_view` (the as-of join
               to the customer's profile), :func:`snapshot`,
               :func:`latest_quarter`, :func:`resolve_weight`
``compare``    :func:`compare_periods`, :func:`period_change`,
               :func:`versus_rest` (Holm-adjusted), :func:`breakdown`, :func:`asked`
``tables``     :func:`scorecard` (NPS, CSAT, CES side by side), :func:`table_html`
               and :func:`format_table` (from :mod:`cxlab.tables`)
``text``       numbers and notes in words: :func:`fmt_nps`, :func:`fmt_p`,
               :func:`describe`, :func:`weight_note`, :func:`base_caption`,
               :func:`interval_note`, :func:`not_asked_note`, :func:`not_recorded_note`
``narrative``  the report's sentences: :func:`lead`, :func:`summarize`
``_common``    what the modules share: :func:`label_missing`, :data:`NOT_RECORDED`,
               counts at the effective n, base marks
"""

from __future__ import annotations

from cxlab._html import md_escape
from cxlab.periods import quarters_up_to, shift_quarter
from cxlab.report._common import NOT_RECORDED, label_missing
from cxlab.report.compare import asked, breakdown, compare_periods, period_change, versus_rest
from cxlab.report.narrative import lead, summarize
from cxlab.report.tables import scorecard, table_html
from cxlab.report.text import (
    base_caption,
    describe,
    fmt_nps,
    fmt_p,
    interval_note,
    not_asked_note,
    not_recorded_note,
    weight_note,
)
from cxlab.report.views import latest_quarter, resolve_weight, responses_view, snapshot
from cxlab.tables import format_table

__all__ = [
    "NOT_RECORDED",
    "asked",
    "base_caption",
    "breakdown",
    "compare_periods",
    "describe",
    "fmt_nps",
    "fmt_p",
    "format_table",
    "interval_note",
    "label_missing",
    "latest_quarter",
    "lead",
    "md_escape",
    "not_asked_note",
    "not_recorded_note",
    "period_change",
    "quarters_up_to",
    "resolve_weight",
    "responses_view",
    "scorecard",
    "shift_quarter",
    "snapshot",
    "summarize",
    "table_html",
    "versus_rest",
    "weight_note",
]
