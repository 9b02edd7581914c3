"""Self-containment: find every reference that makes an HTML page fetch or go anywhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["find_remote_resources"]

# --------------------------------------------------------------------------- self-containment
_RESOURCE_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_LOCAL_SCHEMES = re.compile(r"^\s*(?:data|blob|about|javascript|mailto):", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+['\"]([^'\"]+)", re.IGNORECASE)  # url() form: _CSS_URL
_URL_ATTRS = (
    "src",
    "href",
    "xlink:href",
    "srcset",
    "imagesrcset",
    "poster",
    "data",
    "background",
    "action",
    "formaction",
    "manifest",
    "codebase",
    "archive",
    "longdesc",
    "lowsrc",
    "dynsrc",
    "icon",
)
# Browsers drop tabs and newlines anywhere in a URL and read "\" as "/" (WHATWG URL).
_URL_NOISE = re.compile(r"[\t\n\r]")
_URL_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
# One srcset candidate ends at a comma followed by whitespace or at a comma after a
# descriptor; a data: URI keeps its own commas.
_SRCSET_SPLIT = re.compile(r",\s+|,(?=\S)(?<=\dx,)|,(?=\S)(?<=\dw,)")


def _normalize_url(url: str) -> str:
    return _URL_EDGES.sub("", _URL_NOISE.sub("", url)).replace("\\", "/")


def _is_remote(url: str) -> bool:
    url = _normalize_url(url)
    if _LOCAL_SCHEMES.match(url):
        return False
    return bool(_RESOURCE_URL.match(url)) or url.lower().startswith(("http:", "https:"))


def _css_url_ok(url: str) -> bool:
    """A CSS ``url()`` a self-contained page may keep: a data: URI or an in-page #id."""
    url = _normalize_url(url.strip("'\""))
    return url.lower().startswith("data:") or url.startswith("#")


class _ResourceScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def _css(self, text: str, where: str) -> None:
        for url in _CSS_URL.findall(text):
            if not _css_url_ok(url):
                self.found.append(f"{where}: url({url})")
        for url in _CSS_IMPORT.findall(text):
            self.found.append(f"{where}: @import {url}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        values = {k: v for k, v in attrs}
        if tag == "base":
            self.found.append(f"<base>: {values.get('href') or '(no href)'}")
        if tag == "meta" and (values.get("http-equiv") or "").strip().lower() == "refresh":
            self.found.append(f"<meta http-equiv=refresh>: {values.get('content') or ''}")
        for key, value in attrs:
            if value is None:
                continue
            if key == "style":
                self._css(value, f"<{tag} style>")
            elif key == "srcdoc":
                # an inline document: scan it like the page itself
                self.found += [f"<{tag} srcdoc> {f}" for f in find_remote_resources(value)]
            elif key == "ping" and tag in ("a", "area"):
                self.found += [f"<{tag} ping>: {u}" for u in value.split() if u]
            elif key in _URL_ATTRS and tag not in ("a", "area"):
                if key.endswith("srcset"):
                    urls = [u.split()[0] for u in _SRCSET_SPLIT.split(value) if u.split()]
                else:
                    urls = [value]
                self.found += [f"<{tag} {key}>: {u}" for u in urls if _is_remote(u)]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")


def find_remote_resources(html_text: str) -> list[str]:
    """List every reference that makes an HTML page fetch or go anywhere when opened.

    Looks at ``src``/``href``/``srcset``/... attributes of every tag except
    hyperlinks (``<a href>``, ``<area href>``; their ``ping`` counts), and flags
    ``http(s)://``, ``ws(s)://``, any ``scheme://`` and protocol-relative
    ``//host`` URLs (after the clean-up browsers do: tabs and newlines dropped,
    ``\\`` read as ``/``). Also flagged: every CSS ``url(...)`` in ``style``
    attributes and ``<style>`` blocks other than a ``data:`` URI or an in-page
    ``#id``, every ``@import``, ``<meta http-equiv="refresh">`` (navigation),
    ``<base>`` (re-targets every relative URL) and whatever an ``<iframe
    srcdoc>`` document would load. ``data:`` URIs and in-page anchors are fine.

    Parameters
    ----------
    html_text : str
        The HTML document.

    Returns
    -------
    list of str
        ``"<where>: <url>"`` for each remote reference; empty when self-contained.

    Examples
    --------
    >>> find_remote_resources('<script src="https://cdn.x/require.js"></script>')
    ['<script src>: https://cdn.x/require.js']
    >>> find_remote_resources('<a href="https://example.org">ok</a><img src="data:image/png;base64,AA">')
    []
    >>> find_remote_resources('<meta http-equiv="Refresh" content="0;url=http://example.com">')
    ['<meta http-equiv=refresh>: 0;url=http://example.com']
    """
    scanner = _ResourceScanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner.found
