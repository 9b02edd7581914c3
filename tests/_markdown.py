"""Markdown as nbconvert renders it in a report, for the text tests."""

from __future__ import annotations

import re
from html import unescape

from nbconvert.filters.markdown_mistune import markdown2html_mistune

# names a hostile data file could carry: HTML, mathtext, Markdown emphasis and links
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "$x$ and $\\alpha$",
    "**bold**",
    "[a](javascript:alert(1))",
]


def rendered(markdown: str) -> tuple[list[str], str]:
    """Tags and visible text of Markdown rendered as nbconvert renders a report.

    Fails when the HTML holds any link, source or event handler other than a
    heading's own anchor link (nbconvert adds it).
    """
    anchor = r'<a class="anchor-link" href="#[^"<>]*">[^<]*</a>'
    html = re.sub(anchor, "", markdown2html_mistune(markdown))
    assert not re.search(r"<\w+[^>]*\s(href|src|on\w+)=", html), html
    return re.findall(r"<(\w+)", html), unescape(re.sub(r"<[^>]+>", "", html))
