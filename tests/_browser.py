"""Measure a report as headless Chromium lays it out at a phone's width.

Shared by the figure and the look tests. Chromium will not make a window
narrower than about 500 px, so the report is shown in an iframe of the wanted
width inside an outer page; a probe injected into a copy of the report (reports
carry no script of their own) measures the page once it has loaded and posts
the numbers to the outer page, where ``--dump-dom`` prints them.
"""

from __future__ import annotations

import json
import re
import subprocess
from html import unescape
from pathlib import Path

_PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images].map(i => {
    const r = i.getBoundingClientRect();
    return {alt: i.alt, natural: i.naturalWidth, shown: r.width,
            left: r.left, right: r.right, width: r.width};
  });
  parent.postMessage(JSON.stringify({
    viewport: document.documentElement.clientWidth,
    scroll: document.documentElement.scrollWidth, images: imgs}), "*");
});
</script>"""
_FRAME = """<html><body style="margin:0">
<iframe src="{src}" width="{width}" height="900" style="border:0"></iframe>
<script>
window.addEventListener("message", e => {{
  const out = document.createElement("pre");
  out.id = "cx-probe";
  out.textContent = e.data;
  document.body.appendChild(out);
}});
</script></body></html>"""


def measure(chromium: str, html: Path, tmp: Path, *, width: int = 480) -> dict:
    """Open ``html`` at ``width`` CSS px in headless Chromium and return what it measured.

    The result holds ``viewport`` (the page's width), ``scroll`` (its scroll width)
    and ``images``: one dict per ``<img>`` with ``alt``, ``natural`` (pixel width of
    the image), ``shown``/``width`` (its laid-out width), ``left`` and ``right``.
    """
    page = tmp / "probe.html"
    text = html.read_text(encoding="utf-8")
    page.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    frame = tmp / "frame.html"
    frame.write_text(_FRAME.format(src=page.name, width=width), encoding="utf-8")
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=1000,1000",
        "--virtual-time-budget=10000",
        "--dump-dom",
        frame.as_uri(),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r'<pre id="cx-probe">(.*?)</pre>', res.stdout, re.S)
    assert m, "the probe did not run: " + res.stdout[-500:] + res.stderr[-1000:]
    return json.loads(unescape(m.group(1)))
