"""From executed notebook to HTML: deterministic clean-up, figure alt text, title, nbconvert.

Timing metadata are stripped, cell ids renumbered, pandas Styler ids made
deterministic; nbconvert's ``lab`` template, with every CDN script removed
(``cxlab/templates/cxlab_report``), exports one HTML file with code hidden and
figures inline.
"""

from __future__ import annotations

import functools
import html
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nbformat

__all__ = [
    "REMOVE_CELL_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "TEMPLATE_DIR",
    "describe_figures",
    "export_html",
    "make_deterministic",
    "report_title",
    "stop_early",
]

TEMPLATE_DIR = Path(__file__).parent.parent / "templates"
"""Folder holding the ``cxlab_report`` nbconvert template."""

_TEMPLATE_NAME = "cxlab_report"

#: Cells with one of these tags are dropped from the HTML (input and outputs).
REMOVE_CELL_TAGS = frozenset({"injected-parameters", "remove", "remove-cell", "remove_cell"})
#: Cells with one of these tags keep their markdown/input rules but lose their outputs.
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})


# --------------------------------------------------------------------------- notebook clean-up
_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?![0-9a-f])")
_TIMING_KEYS = ("start_time", "end_time", "duration")
# Default object reprs carry a memory address ("<Styler at 0x7f...>"): noise that
# differs on every run.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{4,16}>")


def make_deterministic(nb: nbformat.NotebookNode, input_path: str) -> None:
    """Strip timing metadata; renumber cell ids and Styler uuids; elide addresses (in place)."""
    if nb.nbformat == 4 and nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
    pm = nb.metadata.get("papermill")
    if isinstance(pm, dict):
        for key in (*_TIMING_KEYS, "output_path", "exception"):
            pm.pop(key, None)
        pm["input_path"] = input_path
    styler_ids: dict[str, str] = {}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        meta.pop("ExecuteTime", None)
        if isinstance(meta.get("papermill"), dict):
            for key in (*_TIMING_KEYS, "exception"):
                meta["papermill"].pop(key, None)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = _ADDRESS.sub(" at 0x...>", "".join(output.get("text", "")))
            data = output.get("data", {})
            if data.get("text/plain"):
                data["text/plain"] = _ADDRESS.sub(" at 0x...>", "".join(data["text/plain"]))
            text = data.get("text/html")
            if not text:
                continue
            joined = "".join(text) if isinstance(text, list) else text

            def renumber(match: re.Match[str]) -> str:
                uid = match.group(1)
                styler_ids.setdefault(uid, f"s{len(styler_ids):04d}")
                return f"T_{styler_ids[uid]}"

            # pandas Styler draws a random 5-hex uuid per table (pandas.io.formats.style).
            if 'id="T_' in joined:
                data["text/html"] = _STYLER_ID.sub(renumber, joined)


_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>&'\"$,:;=?@^~/%])")


def _headings(nb: nbformat.NotebookNode) -> Iterable[tuple[int, str, Any]]:
    """(level, text, None) for each Markdown heading, and (0, "", output) for each PNG
    figure, in document order (headings from Markdown cells and Markdown outputs)."""
    for cell in nb.cells:
        sources = []
        if cell.cell_type == "markdown":
            sources.append("".join(cell.source))
        for output in cell.get("outputs", []):
            md = output.get("data", {}).get("text/markdown")
            if md:
                sources.append("".join(md))
            if "image/png" in output.get("data", {}):
                for text in sources:
                    yield from _heading_lines(text)
                sources = []
                yield 0, "", output
        for text in sources:
            yield from _heading_lines(text)


def _heading_lines(text: str) -> Iterable[tuple[int, str, Any]]:
    for line in text.splitlines():
        m = re.match(r"^(#{1,3})\s+(.+?)\s*#*\s*$", line)
        if m:
            plain = _MD_ESCAPED.sub(r"\1", m.group(2)).replace("**", "")
            yield len(m.group(1)), html.unescape(plain), None


def describe_figures(nb: nbformat.NotebookNode) -> None:
    """Give every figure alt text naming its section (screen readers, nbconvert's warning)."""
    section, count = "the report", 0
    for level, text, output in _headings(nb):
        if output is None:
            if level >= 2 or section == "the report":
                section, count = text, 0
            continue
        count += 1
        meta = output.setdefault("metadata", {}).setdefault("image/png", {})
        meta.setdefault("alt", f"Chart {count} of the section '{section}'")


def report_title(nb: nbformat.NotebookNode, notebook: Path, given: Mapping[str, object]) -> str:
    """The page title: the report's first level-1 heading, which names the report, unit
    and quarter (e.g. "Customer experience report: Nordics, 2026Q3"), else the
    notebook's ``title`` metadata, else a name made from the notebook and parameters."""
    for level, text, _ in _headings(nb):
        if level == 1 and text.strip():
            return text.strip()
    title = nb.metadata.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    base = notebook.stem.replace("_", " ").strip().capitalize() or "Report"
    if not given:
        return base
    shown = ", ".join(
        f"{k}={Path(v).name if isinstance(v, str) and os.sep in v else v}" for k, v in given.items()
    )
    return f"{base} ({shown})"


#: papermill's tag on the cells it adds to a failed notebook (the banner and the anchor)
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


def stop_early(nb: nbformat.NotebookNode, message: str, notebook: Path) -> nbformat.NotebookNode:
    """The report of a notebook stopped by :class:`cxlab.errors.TooLittleData`.

    ``nb`` is papermill's failed notebook: the cells up to the one that raised are
    kept with their outputs (the error itself and papermill's banner removed), the
    cells after it dropped, and a Markdown cell says, escaped, why the rest cannot
    be estimated. A page that had not shown its heading yet gets one from the
    notebook's ``title`` metadata (else its file name).
    """
    from cxlab._html import md_escape

    cells = [c for c in nb.cells if _PAPERMILL_ERROR_TAG not in c.metadata.get("tags", [])]
    stop = next(
        i
        for i, c in enumerate(cells)
        if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    )
    kept = cells[: stop + 1]
    kept[stop].outputs = [o for o in kept[stop].outputs if o.get("output_type") != "error"]
    head = []
    if not any(level == 1 for level, _, _ in _headings(nbformat.v4.new_notebook(cells=kept))):
        title = nb.metadata.get("title") or notebook.stem.replace("_", " ").capitalize()
        head = [nbformat.v4.new_markdown_cell(f"# {md_escape(title)}")]
    note = nbformat.v4.new_markdown_cell(
        "## Not enough data for this analysis\n\n"
        f"{md_escape(message[:1].upper() + message[1:])}\n\n"
        "The sections that need more data are left out of this report; it shows "
        "them once the warehouse holds enough (more quarters, units or customers)."
    )
    nb.cells = head + kept + [note]
    return nb


def export_html(nb: nbformat.NotebookNode) -> str:
    """The report's HTML: nbconvert's ``HTMLExporter`` with the ``cxlab_report`` template.

    One exporter serves every report of a process (:func:`_exporter`): building it
    compiles the Jinja templates again, which cost more than the export itself.
    """
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": "report"}})
    return body


@functools.cache
def _exporter() -> Any:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.embed_images = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    config.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    return HTMLExporter(
        config=config,
        template_name=_TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
    )
