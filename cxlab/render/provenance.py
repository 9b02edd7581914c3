"""The "Provenance" section every report ends with: parameters, input files, versions, commit.

The render time is ``SOURCE_DATE_EPOCH`` when set
(https://reproducible-builds.org/specs/source-date-epoch/), so the same inputs
give the same bytes.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import functools
import hashlib
import html
import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nbformat

from cxlab.errors import RenderError
from cxlab.render._common import LITERAL_ERRORS

__all__ = [
    "PROVENANCE_PACKAGES",
    "git_state",
    "provenance_cell",
    "render_time",
    "shown_values",
]

#: Distributions whose versions are listed in the provenance section.
PROVENANCE_PACKAGES = (
    "cxlab",
    "pandas",
    "numpy",
    "duckdb",
    "ibis-framework",
    "statsmodels",
    "papermill",
    "nbconvert",
    "matplotlib",
)

_HASH_BLOCK = 1 << 20


def _sha256(path: Path) -> str:
    """SHA-256 of a file, read once per (path, size, modification time) in this process.

    A pack hashes the same warehouse for every report's provenance; a
    multi-gigabyte warehouse is read once per worker instead of once per
    report. A file changed in between has another size or time, so a new hash.
    """
    st = path.stat()
    return _sha256_of(str(path.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def render_time() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            when = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise RenderError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time in whole seconds."
            ) from exc
    else:
        when = _dt.datetime.now(tz=_dt.UTC).replace(microsecond=0)
    return when.isoformat().replace("+00:00", "Z")


def git_state(path: str | os.PathLike[str]) -> str:
    """Short commit hash of the git checkout holding ``path``, with a dirty flag.

    Parameters
    ----------
    path : path-like
        A file or folder (typically the notebook).

    Returns
    -------
    str
        ``"<short hash>"``, ``"<short hash> (dirty)"`` when tracked files have
        uncommitted changes or ``path`` itself is modified or untracked, or
        ``"unknown"`` outside a git checkout or without ``git``.

    Examples
    --------
    >>> git_state("/")  # doctest: +SKIP
    'unknown'
    """
    target = Path(path).resolve()
    folder = target if target.is_dir() else target.parent

    def git(*args: str) -> str | None:
        try:
            res = subprocess.run(
                ["git", "-C", str(folder), *args],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return res.stdout.strip() if res.returncode == 0 else None

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    if not dirty and target.is_file():
        dirty = bool(git("status", "--porcelain", "--", str(target)))
    return f"{head} (dirty)" if dirty else head


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _format_value(value: object) -> str:
    """A parameter value for the provenance table; a file path shows its file name only,
    so a report emailed out does not reveal the analyst's folders (the SHA-256 below
    identifies the file)."""
    if isinstance(value, str) and ("/" in value or os.sep in value):
        with contextlib.suppress(OSError, ValueError):
            if Path(value).expanduser().exists():
                return repr(Path(value).name)
    return repr(value)


def provenance_cell(
    notebook: Path,
    params: Mapping[str, object],
    given: Iterable[str],
    executed: nbformat.NotebookNode,
    kernel_name: str,
) -> nbformat.NotebookNode:
    esc = html.escape
    given = set(given)
    rows_params = "".join(
        f"<tr><td><code>{esc(k)}</code></td><td><code>{esc(_format_value(v))}</code></td>"
        f"<td>{'given' if k in given else 'default'}</td></tr>"
        for k, v in params.items()
    )
    files: list[tuple[str, Path]] = [("notebook", notebook.resolve())]
    for key, value in params.items():
        if isinstance(value, str) and value:
            with contextlib.suppress(OSError, ValueError):
                for base in (Path.cwd(), notebook.parent):
                    candidate = base / value
                    if candidate.is_file():
                        files.append((key, candidate.resolve()))
                        break
    servers = _server_rows(params)
    rows_files = "".join(
        f"<tr><td><code>{esc(k)}</code></td><td><code>{esc(p.name)}"
        f"</code></td><td><code>{_sha256(p)}</code></td><td>{p.stat().st_size:,} bytes</td></tr>"
        for k, p in files
    )
    lang = executed.metadata.get("language_info", {})
    versions = [("python", platform.python_version())]
    versions += [(dist, _version(dist)) for dist in PROVENANCE_PACKAGES]
    rows_env = "".join(
        f"<tr><td>{esc(k)}</td><td><code>{esc(v)}</code></td></tr>" for k, v in versions
    )
    rows_env += (
        f"<tr><td>kernel</td><td><code>{esc(kernel_name)} "
        f"({esc(str(lang.get('name', '?')))} {esc(str(lang.get('version', '?')))})</code></td></tr>"
        f"<tr><td>git commit</td><td><code>{esc(git_state(notebook))}</code></td></tr>"
        f"<tr><td>rendered at (UTC)</td><td><code>{esc(render_time())}</code></td></tr>"
    )
    # One HTML block without blank lines: markdown ends a raw <div> at a blank line.
    source = (
        "## Provenance\n\n"
        '<div class="cxlab-provenance">\n'
        "<h4>Parameters</h4>\n"
        "<table><tr><th>name</th><th>value</th><th>source</th></tr>"
        f"{rows_params}</table>\n"
        "<h4>Input files (SHA-256)</h4>\n"
        "<table><tr><th>parameter</th><th>file</th><th>SHA-256</th><th>size</th></tr>"
        f"{rows_files}</table>\n"
        + (
            "<h4>Warehouse on a server (no file to hash: backend, rows per table, latest "
            "load)</h4>\n<table><tr><th>parameter</th><th>warehouse</th><th>fingerprint</th>"
            f"</tr>{servers}</table>\n"
            if servers
            else ""
        )
        + "<h4>Environment</h4>\n"
        f"<table><tr><th>item</th><th>version</th></tr>{rows_env}</table>\n"
        "</div>\n"
    )
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = ["cxlab-provenance"]
    return cell


def _server_rows(params: Mapping[str, object]) -> str:
    """Table rows for parameters that name a warehouse by URL (PostgreSQL, Spark...).

    A server has no file to hash: the row gives the URL (with any password
    masked) and :func:`cxlab.warehouse.fingerprint_text` (the backend, row
    counts per table, latest load time), read now through the same connection
    rules as the notebook's (credentials from the environment).
    """
    from cxlab.warehouse.backends import is_url, mask

    rows = ""
    for key, value in params.items():
        if not is_url(value):
            continue
        shown = mask(str(value))
        try:
            from cxlab import warehouse

            con = warehouse.connect(str(value))
            try:
                text = warehouse.fingerprint_text(con)
            finally:
                with contextlib.suppress(Exception):
                    con.disconnect()
        except Exception as exc:  # the report is already made: say why, do not fail
            text = f"not available ({mask(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)})"
        rows += (
            f"<tr><td><code>{html.escape(key)}</code></td><td><code>{html.escape(shown)}"
            f"</code></td><td><code>{html.escape(text)}</code></td></tr>"
        )
    return rows


class _Raw(str):
    """A default that is an expression, shown as its source text."""

    def __repr__(self) -> str:
        return str(self)


def shown_values(
    declared: Mapping[str, Mapping[str, Any]], given: Mapping[str, object]
) -> dict[str, object]:
    """The parameters as the notebook saw them: defaults overridden by given values.

    A default that is an expression, not a literal, is shown as its source text.
    """
    shown: dict[str, object] = {}
    for key, info in declared.items():
        if key in given:
            shown[key] = given[key]
        else:
            try:
                shown[key] = ast.literal_eval(str(info["default"]))
            except LITERAL_ERRORS:
                shown[key] = _Raw(str(info["default"]))
    return shown
