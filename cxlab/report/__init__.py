"""Building blocks of the quarterly report: views, comparisons, tables and plain words.

The notebook ``notebooks/quarterly_report.ipynb`` stays thin: it asks these
functions for numbers and sentences, and every sentence here is derived from
numbers the report also shows.

The package, one topic per module (every name below is importable from
``cxlab.report``):

``views``      where the data come from: :func:`responses_view` (the as-of join
               to the customer's profile, or a pack's shared file from
               :func:`write_summary`), :func:`snapshot`,
               :func:`latest_quarter`, :func:`resolve_weight`, :func:`headline`
``compare``    :func:`compare_periods`, :func:`period_change`,
               :func:`change_from_previous`, :func:`versus_rest` (Holm-adjusted),
               :func:`breakdown`, :func:`labelled_breakdowns`, :func:`dimensions`,
               :func:`asked`
``tables``     :func:`scorecard` (NPS, CSAT, CES side by side) and the report's
               tables: :func:`headline_table`, :func:`breakdown_table`,
               :func:`scorecard_table`, :func:`table_html`, all through
               :func:`format_table` (from :mod:`cxlab.tables`)
``text``       numbers and notes in words: :func:`fmt_nps`, :func:`fmt_p`,
               :func:`describe`, :func:`weight_note`, :func:`base_caption`,
               :func:`interval_note`, :func:`not_asked_note`, :func:`not_recorded_note`
``narrative``  the report's sentences: :func:`lead`, :func:`summarize`,
               :func:`title`, :func:`scope_label`, :func:`method_note`,
               :func:`change_sentence`, :func:`scorecard_heading`
``_common``    what the modules share: :func:`label_missing`, :data:`NOT_RECORDED`,
               counts at the effective n, base marks
"""

from __future__ import annotations

from cxlab._html import md_escape
from cxlab.periods import quarters_up_to, shift_quarter
from cxlab.report._common import NOT_RECORDED, label_missing
from cxlab.report.compare import (
    DIMENSIONS,
    asked,
    breakdown,
    change_from_previous,
    compare_periods,
    dimensions,
    labelled_breakdowns,
    period_change,
    versus_rest,
)
from cxlab.report.narrative import (
    change_sentence,
    lead,
    method_note,
    scope_label,
    scorecard_heading,
    summarize,
    title,
)
from cxlab.report.tables import (
    breakdown_table,
    headline_table,
    scorecard,
    scorecard_table,
    table_html,
)
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
from cxlab.report.views import (
    PROFILE,
    REPORT_COLUMNS,
    headline,
    latest_quarter,
    resolve_weight,
    responses_view,
    snapshot,
    write_summary,
)
from cxlab.tables import format_table

__all__ = [
    "DIMENSIONS",
    "NOT_RECORDED",
    "PROFILE",
    "REPORT_COLUMNS",
    "asked",
    "base_caption",
    "breakdown",
    "breakdown_table",
    "change_from_previous",
    "change_sentence",
    "compare_periods",
    "describe",
    "dimensions",
    "fmt_nps",
    "fmt_p",
    "format_table",
    "headline",
    "headline_table",
    "interval_note",
    "label_missing",
    "labelled_breakdowns",
    "latest_quarter",
    "lead",
    "md_escape",
    "method_note",
    "not_asked_note",
    "not_recorded_note",
    "period_change",
    "quarters_up_to",
    "resolve_weight",
    "responses_view",
    "scope_label",
    "scorecard",
    "scorecard_heading",
    "scorecard_table",
    "shift_quarter",
    "snapshot",
    "summarize",
    "table_html",
    "title",
    "versus_rest",
    "weight_note",
    "write_summary",
]
