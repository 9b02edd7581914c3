"""Escaping of untrusted text on its way into a report's Markdown or HTML.

Every name, label and verbatim in a cxlab report comes from data, parameters or
case files, none of which the reader can vet. Report text therefore inserts such
values only through :func:`md_escape` (Markdown, e.g. ``display(Markdown(...))``)
or :func:`html_escape` (HTML such as :func:`cxlab.report.table_html`), so a value
can never become markup, a link, a heading or a list, whatever it contains.
"""

from __future__ import annotations

import html
import re
import string
from typing import Any

__all__ = ["html_escape", "md_escape"]

# HTML-special characters become character references: inert in Markdown (CommonMark
# and mistune keep entities as text) and in raw HTML alike.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
# Every other ASCII punctuation character is backslash-escaped: CommonMark lets
# any of them be escaped, so no emphasis, link ([x](...)), image, code span,
# heading, list, table, math ($...$) or autolink (http://...) can start.
_BACKSLASHED = frozenset(string.punctuation) - set(_ENTITIES)
# Line breaks (and the other vertical whitespace) would start a new block: a heading,
# an indented code block, a raw HTML block... Fold all whitespace runs to one space.
_SPACE = re.compile(r"\s+")
# C0/C1 control characters (other than whitespace), and the bidirectional overrides
# that can make text read differently from what it is.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def md_escape(value: Any) -> str:
    """Text of ``value`` made literal for Markdown (and for HTML inside Markdown).

    HTML-special characters become entities, every other ASCII punctuation
    character is backslash-escaped, whitespace runs (newlines included) fold to
    one space (none at either end) and control characters are dropped. The Markdown renders as the
    original text (with whitespace folded), never as markup.

    Parameters
    ----------
    value : object
        Anything; it is converted with ``str`` first (``None`` gives ``"None"``).

    Returns
    -------
    str

    Examples
    --------
    >>> md_escape("France <img src=x onerror=alert(1)>")
    'France &lt;img src\\\\=x onerror\\\\=alert\\\\(1\\\\)&gt;'
    >>> md_escape("[x](javascript:alert(1))")
    '\\\\[x\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\)'
    >>> md_escape("# A\\n- b")
    '\\\\# A \\\\- b'
    """
    text = _INVISIBLE.sub("", _SPACE.sub(" ", str(value))).strip()
    out = []
    for ch in text:
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in _BACKSLASHED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def html_escape(value: Any) -> str:
    """Text of ``value`` escaped for HTML text and quoted attribute values.

    Examples
    --------
    >>> html_escape('<svg onload="x">')
    '&lt;svg onload=&quot;x&quot;&gt;'
    """
    return html.escape(str(value), quote=True)
