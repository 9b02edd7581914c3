"""Result tables as a reader sees them: every number formatted by what it means.

cxlab's results are tidy, numeric DataFrames (pingouin style); this module turns
one into the table a report or a JupyterLab notebook shows, by one set of rules:

- **counts** (``n``, ``n_*``, ``journeys``, ``customers``, integers): whole
  numbers with thousands separators, ``3,942``;
- **percentages and NPS points** (``nps``, ``pct_*``, ``*_rate``, ``top_box``,
  a header with ``%``): one decimal, ``24.2``;
- **effects, errors, importances, correlations, means** (any other float):
  three significant digits, ``0.315``, ``12.3``;
- **p-values** (``p``, ``p_*``): ``< 0.001`` or three decimals;
- **intervals**: one cell, ``25.7 (23.2 to 28.2)``, the bounds with the
  estimate's decimals;
- never ``-0.0``; a missing value reads ``n/a`` and the table's notes say why;
- the base-size flag (:data:`cxlab.stats.BASE_BANDS`) is marked after the
  row's name with the charts' marks (``*`` indicative, ``**`` unreliable) and
  explained in a note under the table.

:func:`format_table` returns a :class:`FormattedTable`: its ``frame`` holds the
cell texts, ``notes`` the footnotes, and it displays itself as the same escaped
HTML table in JupyterLab and in a rendered report (``display(table)``). The
HTML has no pandas Styler uuid, so renders stay byte-reproducible.

Examples
--------
>>> import pandas as pd
>>> res = pd.DataFrame({"channel": ["web", "fax"], "n": [1204, 12], "nps": [25.71, -0.04],
...                     "low": [23.2, -48.5], "high": [28.2, 40.1], "p": [0.0002, 0.2468],
...                     "r": [0.31482, float("nan")], "flag": ["reportable", "unreliable"]})
>>> t = format_table(res, {"channel": "Channel", "n": "Responses",
...                        ("nps", "low", "high"): "NPS (95% interval)", "p": "p", "r": "r"},
...                  missing={"r": "too few responses for a correlation"})
>>> print(t)  # doctest: +NORMALIZE_WHITESPACE
Channel Responses  NPS (95% interval)       p     r
    web     1,204 25.7 (23.2 to 28.2) < 0.001 0.315
 fax **        12  0.0 (-48.5 to 40.1)  0.247   n/a
n/a in r: too few responses for a correlation.
** unreliable base (n < 30): read the interval rather than the point.

Source: ``cxlab/tables.py``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxlab import stats
from cxlab._html import html_escape

__all__ = [
    "KINDS",
    "NA",
    "signed",
    "FormattedTable",
    "base_note",
    "fmt_interval",
    "fmt_number",
    "format_table",
    "infer_kind",
]

#: How a column's numbers are shown (see the module docstring).
KINDS = ("count", "pct", "effect", "p", "text")
#: What a missing cell shows; the table's notes say why it is missing.
NA = "n/a"
#: Significant digits of effects, errors, importances and correlations.
SIGNIFICANT = 3

_COUNT_NAMES = frozenset(
    {
        "n",
        "customers",
        "journeys",
        "responses",
        "interactions",
        "converted",
        "rank",
        "order",
        "lag",
        "df_num",
        "df_denom",
        "channels",
        "n_forecasts",
        "n_quarters",
    }
)
_PCT_PREFIXES = ("nps", "pct", "conv_", "churn_", "buy_", "top_box", "csat_top", "ces_easy")
_PCT_SUFFIXES = ("_pct", "_rate", "_share_pct")

Column = str | tuple[str, str, str]
# "Conversion %", "% promoters": a percentage; "(95% interval)" is not
_PCT_HEADER = re.compile(r"(?<![\d.])%")


def infer_kind(name: str, values: pd.Series | None = None, header: str = "") -> str:
    """The kind (one of :data:`KINDS`) a column's name, values and header suggest.

    Examples
    --------
    >>> [infer_kind(c) for c in ("n_eff", "nps_low", "conv_rate", "p_adj", "r")]
    ['count', 'pct', 'pct', 'p', 'effect']
    >>> infer_kind("share", header="Share %"), infer_kind("x", pd.Series([1, 2]))
    ('pct', 'count')
    """
    name = str(name)
    if values is not None and (
        pd.api.types.is_bool_dtype(values)
        or not (pd.api.types.is_numeric_dtype(values) or values.isna().all())
    ):
        return "text"
    if name in _COUNT_NAMES or name.startswith("n_") or name.endswith("_n"):
        return "count"
    if name == "p" or name.startswith("p_") or name.endswith("_p"):
        return "p"
    if name.startswith(_PCT_PREFIXES) or name.endswith(_PCT_SUFFIXES) or _PCT_HEADER.search(header):
        return "pct"
    if values is not None and pd.api.types.is_integer_dtype(values):
        return "count"
    return "effect" if values is None or pd.api.types.is_numeric_dtype(values) else "text"


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return bool(np.isnan(v))
    return isinstance(v, str) and v.strip() == ""


def _decimals(kind: str, *values: float) -> int:
    """Decimals of a cell: fixed by kind, or from the largest magnitude (effects)."""
    if kind == "count":
        return 0
    if kind in ("pct",):
        return 1
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    if not finite:
        return SIGNIFICANT - 1
    return max(0, SIGNIFICANT - 1 - math.floor(math.log10(max(finite))))


def _fixed(v: float, decimals: int) -> str:
    """``v`` with ``decimals`` decimals and thousands separators, never ``-0``."""
    if decimals > 6:  # a tiny effect: significant digits in scientific form
        return f"{v:.{SIGNIFICANT}g}"
    text = f"{v:,.{decimals}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]
    return text


def signed(x: float, digits: int = 1, suffix: str = "") -> str:
    """A number with an explicit sign for sentences: ``+3.0``, ``-1.4``; ``0.0``, never ``-0.0``.

    Examples
    --------
    >>> signed(3.04), signed(-1.375, 2), signed(-0.03), signed(0.004, 2, "%")
    ('+3.0', '-1.38', '0.0', '0.00%')
    """
    text = f"{x:+.{digits}f}"
    if re.fullmatch(r"[+-]0(\.0*)?", text):
        text = text[1:]
    return text + suffix


def fmt_number(v: Any, kind: str = "effect", decimals: int | None = None) -> str:
    """One value as a table shows it (:data:`NA` when missing).

    Examples
    --------
    >>> fmt_number(3942.0, "count"), fmt_number(-0.04, "pct"), fmt_number(0.31482)
    ('3,942', '0.0', '0.315')
    >>> fmt_number(0.0004, "p"), fmt_number(0.0512, "p"), fmt_number(None, "pct")
    ('< 0.001', '0.051', 'n/a')
    """
    if _missing(v):
        return NA
    if kind == "text" or isinstance(v, str) or isinstance(v, bool | np.bool_):
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "no"
        return str(v)
    x = float(v)
    if not math.isfinite(x):
        return NA
    if kind == "p":
        return "< 0.001" if x < 0.001 else _fixed(x, 3)
    return _fixed(x, _decimals(kind, x) if decimals is None else decimals)


def fmt_interval(est: Any, low: Any, high: Any, kind: str = "pct") -> str:
    """``"25.7 (23.2 to 28.2)"``: an estimate with its interval in one cell.

    The bounds take the estimate's decimals (for effects, three significant
    digits of the largest of the three). A missing bound leaves the estimate
    alone; a missing estimate gives :data:`NA`.

    Examples
    --------
    >>> fmt_interval(25.71, 23.2, 28.24), fmt_interval(0.3148, 0.0123, 0.61, "effect")
    ('25.7 (23.2 to 28.2)', '0.315 (0.012 to 0.610)')
    >>> fmt_interval(4.0, float("nan"), None)
    '4.0'
    """
    if _missing(est) or not math.isfinite(float(est)):
        return NA
    if _missing(low) or _missing(high):
        return fmt_number(est, kind)
    vals = (float(est), float(low), float(high))
    d = _decimals(kind, *vals)
    e, lo, hi = (_fixed(v, d) for v in vals)
    return f"{e} ({lo} to {hi})"


def base_note(
    flags: Sequence[str] | pd.Series, bands: tuple[float, float] = stats.BASE_BANDS
) -> str:
    """The note under a table that marks low bases ("" when every base is reportable).

    Uses the marks and bands of :func:`cxlab.stats.base_legend`, as the charts do.

    Examples
    --------
    >>> base_note(["reportable", "indicative"])
    '* indicative base (n 30-99): read the interval rather than the point.'
    >>> base_note(["reportable"])
    ''
    """
    legend = stats.base_legend(bands)
    present = {str(f) for f in flags}
    parts = [
        f"{stats.BASE_MARKS[f]} {legend[f][: legend[f].rindex(' ')]}"
        for f in ("indicative", "unreliable")
        if f in present
    ]
    if not parts:
        return ""
    return "; ".join(parts) + ": read the interval rather than the point."


@dataclass(frozen=True)
class FormattedTable:
    """A result table ready to show: cell texts, footnotes, HTML.

    Attributes
    ----------
    frame : pandas.DataFrame
        The cell texts, one column per header.
    notes : tuple of str
        Footnotes (plain text): why cells read ``n/a``, what ``*``/``**`` mark.
    align : tuple of str
        ``"left"`` (text) or ``"right"`` (numbers) per column.
    """

    frame: pd.DataFrame
    notes: tuple[str, ...] = ()
    align: tuple[str, ...] = ()

    def to_html(self) -> str:
        """The table as escaped HTML (``class="cx-table"``) with its notes below it."""
        esc = html_escape
        align = self.align or ("left",) * self.frame.shape[1]
        style = {  # numbers never wrap ("< 0.001" on two lines reads as two values)
            "left": ' style="text-align: left"',
            "right": ' style="text-align: right; white-space: nowrap"',
        }
        head = "".join(
            f"<th{style[a]}>{esc(h)}</th>" for h, a in zip(self.frame.columns, align, strict=True)
        )
        rows = "".join(
            "<tr>"
            + "".join(f"<td{style[a]}>{esc(v)}</td>" for v, a in zip(row, align, strict=True))
            + "</tr>"
            for row in self.frame.itertuples(index=False)
        )
        notes = "".join(f'<p class="cx-table-note">{esc(n)}</p>' for n in self.notes)
        return (
            f'<table class="cx-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
            + notes
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        text = self.frame.to_string(index=False)
        return "\n".join([text, *self.notes])

    __repr__ = __str__


def _auto_columns(frame: pd.DataFrame, flag: str | None) -> dict[Column, str]:
    """Every column, with ``X, X_low, X_high`` (and ``nps``/``low``/``high``) as intervals."""
    cols = [c for c in frame.columns if c != flag]
    out: dict[Column, str] = {}
    used: set[str] = set()
    first = next((c for c in ("nps", "estimate", "mean", "coef", "r", "diff") if c in cols), None)
    for c in cols:
        if c in used:
            continue
        if f"{c}_low" in cols and f"{c}_high" in cols:
            out[(c, f"{c}_low", f"{c}_high")] = f"{c} (interval)"
            used |= {c, f"{c}_low", f"{c}_high"}
        elif c == first and "low" in cols and "high" in cols:
            out[(c, "low", "high")] = f"{c} (interval)"
            used |= {c, "low", "high"}
        else:
            out[c] = str(c)
            used.add(c)
    return out


def format_table(
    frame: pd.DataFrame,
    columns: Mapping[Column, str] | None = None,
    *,
    kinds: Mapping[str, str] | None = None,
    missing: Mapping[str, str] | None = None,
    blank: Mapping[str, str] | None = None,
    flag: str | None = "flag",
    bands: tuple[float, float] = stats.BASE_BANDS,
    notes: Sequence[str] = (),
) -> FormattedTable:
    """Format a result table by meaning, for a report or a JupyterLab notebook.

    Parameters
    ----------
    frame : pandas.DataFrame
        A tidy result (numbers stay numbers there; only the copy shown is text).
    columns : mapping, optional
        Column -> header, in display order. A key ``(estimate, low, high)``
        makes one interval cell, ``"25.7 (23.2 to 28.2)"``. Default: every
        column, ``X``/``X_low``/``X_high`` (and ``nps``/``low``/``high``) as
        intervals.
    kinds : mapping, optional
        Column -> kind (:data:`KINDS`) where the name does not say it
        (:func:`infer_kind`).
    missing : mapping, optional
        Column -> why its value can be missing; every column with an ``n/a``
        cell gets a note (a generic one when no reason is given).
    blank : mapping, optional
        Column -> the words a missing cell shows instead of ``n/a`` (no note),
        e.g. ``{"verdict": "no clear difference"}``.
    flag : str or None
        Column of base flags (:func:`cxlab.stats.base_flag`): low bases are
        marked after the first column's text (``*``/``**``, as in the charts)
        and explained in a note. ``None``: no marks.
    bands : (float, float)
        The bands the flags were computed with, for the note.
    notes : sequence of str
        More notes (plain text) to print under the table.

    Returns
    -------
    FormattedTable
        Displays as HTML in JupyterLab and in reports; ``.frame`` has the texts.

    Examples
    --------
    >>> import pandas as pd
    >>> t = format_table(pd.DataFrame({"g": ["a"], "n": [1200.0], "share": [0.31482]}))
    >>> t.frame.values.tolist()
    [['a', '1,200', '0.315']]

    Source: ``cxlab/tables.py``.
    """
    kinds = dict(kinds or {})
    missing = dict(missing or {})
    blank = dict(blank or {})
    spec = dict(columns) if columns is not None else _auto_columns(frame, flag)
    _check_spec(frame, spec, kinds)
    out: dict[str, list[str]] = {}
    align: list[str] = []
    na_in: list[tuple[str, str]] = []
    for key, header in spec.items():
        first = key[0] if isinstance(key, tuple) else key
        cells, kind = _column_cells(frame, key, header, kinds, blank)
        header = str(header)
        while header in out:  # two columns with one header (e.g. two "Low")
            header += " "
        out[header] = cells
        align.append("left" if kind == "text" else "right")
        if NA in cells:
            na_in.append((header.strip() or str(first), missing.get(first, "")))
    table = pd.DataFrame(out, index=range(len(frame)))
    note_list = _missing_notes(na_in)
    if flag is not None and flag in frame.columns and len(table.columns):
        marks = [stats.BASE_MARKS.get(str(f), "") for f in frame[flag]]
        label = table.columns[0]
        table[label] = [f"{v} {m}" if m else v for v, m in zip(table[label], marks, strict=True)]
        caption = base_note(frame[flag].astype(str), bands)
        if caption:
            note_list.append(caption)
    return FormattedTable(table, (*note_list, *notes), tuple(align))


def _check_spec(frame: pd.DataFrame, spec: Mapping[Column, str], kinds: Mapping[str, str]) -> None:
    """Step 1 of :func:`format_table`: every column exists and every kind is known."""
    for key in spec:
        for c in key if isinstance(key, tuple) else (key,):
            if c not in frame.columns:
                raise KeyError(f"format_table: column {c!r} is not in the table")
    for kind in kinds.values():
        if kind not in KINDS:
            raise ValueError(f"format_table: kind {kind!r} is not one of {', '.join(KINDS)}")


def _column_cells(
    frame: pd.DataFrame,
    key: Column,
    header: str,
    kinds: Mapping[str, str],
    blank: Mapping[str, str],
) -> tuple[list[str], str]:
    """Step 2 of :func:`format_table`: one shown column's cell texts and its kind."""
    first = key[0] if isinstance(key, tuple) else key
    kind = kinds.get(first) or infer_kind(first, frame[first], header)
    if isinstance(key, tuple):
        est, lo, hi = key
        cells = [
            fmt_interval(a, b, c, kind)
            for a, b, c in zip(frame[est], frame[lo], frame[hi], strict=True)
        ]
    else:
        cells = [fmt_number(v, kind) for v in frame[key]]
    if first in blank:
        cells = [blank[first] if c == NA else c for c in cells]
    return cells, kind


def _missing_notes(na_in: list[tuple[str, str]]) -> list[str]:
    """Step 3 of :func:`format_table`: one note per reason for ``n/a``, naming its columns."""
    reasons: dict[str, list[str]] = {}
    for h, why in na_in:
        reasons.setdefault(why or "not computable from the data of that row", []).append(h)
    return [f"{NA} in {', '.join(hs)}: {why}." for why, hs in reasons.items()]
