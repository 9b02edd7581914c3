"""Render a parameterized notebook to one self-contained, reproducible HTML report.

The pipeline is papermill (execute) -> clean-up and provenance -> nbconvert (export):

1. The notebook's ``parameters``-tagged cell is read with
   :func:`papermill.inspect_notebook`; given values are converted to the type of
   each default and unknown names are refused *before* any kernel starts
   (papermill itself only warns).
2. :func:`papermill.execute_notebook` runs it in a fresh kernel whose working
   directory is **the notebook's own folder** (so a notebook's relative paths,
   such as ``warehouse = "../data/cxlab.duckdb"``, mean the same thing whoever
   renders it). A string value that names an existing file relative to the
   caller's working directory is passed as an absolute path, so
   ``cxlab render notebooks/x.ipynb -p warehouse=data/cxlab.duckdb`` from the
   repository root works too.
3. Timing metadata are stripped, cell ids renumbered, pandas Styler ids made
   deterministic and a "Provenance" section appended; nbconvert's ``lab``
   template, with every CDN script removed (``cxlab/templates/cxlab_report``),
   exports one HTML file with code hidden and figures inline.
4. The executed ``.ipynb`` and the ``.html`` are written to temporary files in
   the output folder and moved into place with :func:`os.replace` only when both
   are complete: a failing render never replaces an earlier good report.

With ``SOURCE_DATE_EPOCH`` set (https://reproducible-builds.org/specs/source-date-epoch/),
rendering the same notebook with the same parameters twice gives byte-identical
HTML (see DOMAIN.md section 7).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import datetime as _dt
import difflib
import hashlib
import html
import importlib.metadata
import numbers
import os
import platform
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat

from cxlab.errors import RenderError

__all__ = [
    "TEMPLATE_DIR",
    "check_params",
    "find_remote_resources",
    "git_state",
    "notebook_parameters",
    "parse_params",
    "render",
]

TEMPLATE_DIR = Path(__file__).parent / "templates"
"""Folder holding the ``cxlab_report`` nbconvert template."""

_TEMPLATE_NAME = "cxlab_report"

#: Cells with one of these tags are dropped from the HTML (input and outputs).
REMOVE_CELL_TAGS = frozenset({"injected-parameters", "remove", "remove-cell", "remove_cell"})
#: Cells with one of these tags keep their markdown/input rules but lose their outputs.
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})

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

_TYPE_NAMES = {"int": int, "float": float, "bool": bool, "str": str}
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HASH_BLOCK = 1 << 20


# --------------------------------------------------------------------------- parameters
def parse_params(items: Iterable[str]) -> dict[str, str]:
    """Parse ``name=value`` strings (from ``cxlab render -p``) into a dict.

    Only the first ``=`` splits, so values may contain ``=``; an empty value is
    the empty string. Values stay strings: :func:`render` converts them to the
    type the notebook declares.

    Parameters
    ----------
    items : iterable of str
        Strings such as ``"quarter=2026Q3"``.

    Returns
    -------
    dict of str to str
        Names to raw values, in the order given.

    Raises
    ------
    RenderError
        If an item has no ``=``, its name is not a Python identifier, or a name
        is given twice.

    Examples
    --------
    >>> parse_params(["quarter=2026Q3", "level=0.9", "filter=a=b"])
    {'quarter': '2026Q3', 'level': '0.9', 'filter': 'a=b'}
    """
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise RenderError(f"Parameter {item!r} is malformed: write it as name=value.")
        if not _NAME_RE.match(name):
            raise RenderError(
                f"Parameter {item!r} is malformed: {name!r} is not a valid parameter name "
                "(letters, digits and _, not starting with a digit)."
            )
        if name in out:
            raise RenderError(f"Parameter {name!r} is given twice ({out[name]!r} and {value!r}).")
        out[name] = value
    return out


def notebook_parameters(notebook: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Read the declared parameters of a notebook without starting a kernel.

    Parameters
    ----------
    notebook : path-like
        A notebook with a cell tagged ``parameters``.

    Returns
    -------
    dict
        ``{name: {"default": <source text>, "type": <python type or None>,
        "help": <comment>}}`` in declaration order. ``type`` is the annotation
        if it names int/float/bool/str, else the type of the literal default;
        ``None`` means "no usable type" (a ``None`` default or an expression),
        in which case values are passed as given.

    Raises
    ------
    RenderError
        If the file is missing, is not a notebook, or has no ``parameters`` cell.

    Examples
    --------
    >>> params = notebook_parameters("tests/notebooks/params_demo.ipynb")  # doctest: +SKIP
    >>> params["level"]["type"]  # doctest: +SKIP
    <class 'float'>
    """
    import papermill

    path = Path(notebook)
    nb = _read_notebook(path)
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise RenderError(
            f"Notebook {path} has no cell tagged 'parameters'. Tag the cell that assigns "
            "the defaults (View > Cell Toolbar > Tags, or cell metadata "
            '{"tags": ["parameters"]}) so values can be injected.'
        )
    try:
        raw = papermill.inspect_notebook(str(path))
    except Exception as exc:  # papermill raises assorted errors on odd cells
        raise RenderError(f"Could not read the parameters cell of {path}: {exc}") from exc
    out: dict[str, dict[str, Any]] = {}
    for name, info in raw.items():
        declared = _TYPE_NAMES.get(str(info.get("inferred_type_name", "")).strip())
        if declared is None:
            try:
                default = ast.literal_eval(str(info.get("default", "")))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                default = None
            declared = None if default is None else type(default)
        out[name] = {"default": info.get("default"), "type": declared, "help": info.get("help")}
    return out


def _convert(name: str, value: object, declared: type | None) -> object:
    """Convert one given value to the declared type of its parameter."""

    def fail(why: str = "") -> RenderError:
        return RenderError(
            f"Parameter {name!r}: value {value!r} is not a valid {declared.__name__}"
            f" (the type of the notebook's default){why}."
        )

    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if declared is None:
        return value
    if isinstance(value, str):
        text = value.strip()
        if declared is str:
            return value
        if declared is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise fail("; use true/false, yes/no or 1/0")
        if declared is int:
            try:
                return int(text)
            except ValueError:
                raise fail() from None
        if declared is float:
            try:
                return float(text)
            except ValueError:
                raise fail() from None
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise fail("; write it as a Python literal") from None
        if not isinstance(parsed, declared):
            raise fail()
        return parsed
    # Values from Python callers (e.g. cxlab.demo): check, do not guess.
    if declared is bool:
        if isinstance(value, bool):
            return value
        raise fail()
    if declared is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        raise fail()
    if declared is float:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        raise fail()
    if isinstance(value, declared):
        return value
    raise fail()


def check_params(
    notebook: str | os.PathLike[str],
    params: Mapping[str, object],
    *,
    declared: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, object]:
    """Check parameter names against a notebook and convert values to their types.

    No kernel is started: the ``parameters`` cell is parsed by papermill.

    Parameters
    ----------
    notebook : path-like
        Notebook with a cell tagged ``parameters``.
    params : mapping
        Given values; strings are converted (see :func:`render`).
    declared : mapping, optional
        The result of :func:`notebook_parameters`, if already read.

    Returns
    -------
    dict
        Converted values, in the notebook's declaration order.

    Raises
    ------
    RenderError
        An unknown name (with the closest valid name and the full list) or a
        value that does not convert to the declared type.

    Examples
    --------
    >>> check_params("tests/notebooks/params_demo.ipynb", {"level": "0.9", "n": "7"})
    {'level': 0.9, 'n': 7}
    >>> check_params("tests/notebooks/params_demo.ipynb", {"levle": "0.9"})
    Traceback (most recent call last):
    ...
    cxlab.errors.RenderError: Notebook tests/notebooks/params_demo.ipynb has no parameter 'levle'. Did you mean 'level'? Valid parameters: quarter, level, n, flag, source.
    """
    if declared is None:
        declared = notebook_parameters(notebook)
    valid = list(declared)
    converted: dict[str, object] = {}
    for name, value in params.items():
        if name not in declared:
            close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise RenderError(
                f"Notebook {notebook} has no parameter {name!r}.{hint} "
                f"Valid parameters: {', '.join(valid) or '(none)'}."
            )
        converted[name] = _convert(name, value, declared[name]["type"])
    # Keep declaration order: it drives the default report name.
    return {k: converted[k] for k in valid if k in converted}


def _absolutize_files(params: Mapping[str, object]) -> dict[str, object]:
    """Existing files named relative to the caller's cwd become absolute paths."""
    out = dict(params)
    for key, value in params.items():
        if isinstance(value, str) and value and not os.path.isabs(value):
            with contextlib.suppress(OSError, ValueError):
                if Path(value).is_file():
                    out[key] = str(Path(value).resolve())
    return out


# --------------------------------------------------------------------------- helpers
def _read_notebook(path: Path) -> nbformat.NotebookNode:
    if not path.is_file():
        raise RenderError(f"Notebook {path} does not exist.")
    if path.suffix != ".ipynb":
        raise RenderError(f"{path} is not a notebook (expected a .ipynb file).")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:
        raise RenderError(f"{path} is not a readable Jupyter notebook: {exc}") from exc


def _slug(value: object) -> str:
    if isinstance(value, str) and value and Path(value).suffix and os.sep in value:
        value = Path(value).stem  # a file path: its stem is the telling part
    text = re.sub(r"[^A-Za-z0-9.+-]+", "-", str(value)).strip("-.")
    return text or "x"


def _default_name(notebook: Path, params: Mapping[str, object]) -> str:
    name = "_".join([notebook.stem, *(_slug(v) for v in params.values())])
    if len(name) > 120:
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        name = f"{name[:108]}-{digest}"
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _render_time() -> str:
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


# --------------------------------------------------------------------------- self-containment
_RESOURCE_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_LOCAL_SCHEMES = re.compile(r"^\s*(?:data|blob|about|javascript|mailto):", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+['\"]([^'\"]+)", re.IGNORECASE)  # url() form: _CSS_URL
_URL_ATTRS = ("src", "href", "xlink:href", "srcset", "poster", "data", "background", "action")


def _is_remote(url: str) -> bool:
    if _LOCAL_SCHEMES.match(url):
        return False
    return bool(_RESOURCE_URL.match(url)) or url.strip().lower().startswith(("http:", "https:"))


class _ResourceScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def _css(self, text: str, where: str) -> None:
        for rx in (_CSS_URL, _CSS_IMPORT):
            for url in rx.findall(text):
                if _is_remote(url):
                    self.found.append(f"{where}: {url}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for key, value in attrs:
            if value is None:
                continue
            if key == "style":
                self._css(value, f"<{tag} style>")
            elif key in _URL_ATTRS and tag not in ("a", "area"):
                urls = [u.split()[0] for u in value.split(",") if u.strip()]
                urls = urls if key == "srcset" else [value]
                self.found += [f"<{tag} {key}>: {u}" for u in urls if _is_remote(u)]

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")


def find_remote_resources(html_text: str) -> list[str]:
    """List every resource an HTML page would fetch from a network host.

    Looks at ``src``/``href``/``srcset``/... attributes of every tag except
    hyperlinks (``<a href>``, ``<area href>``), ``style`` attributes and
    ``<style>`` blocks (``url(...)``, ``@import``); flags ``http(s)://``,
    ``ws(s)://``, any ``scheme://`` and protocol-relative ``//host`` URLs.
    ``data:`` URIs and in-page anchors are fine.

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
    """
    scanner = _ResourceScanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner.found


# --------------------------------------------------------------------------- notebook clean-up
_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?![0-9a-f])")
_TIMING_KEYS = ("start_time", "end_time", "duration")
# Default object reprs carry a memory address ("<Styler at 0x7f...>"): noise that
# differs on every run.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{4,16}>")


def _make_deterministic(nb: nbformat.NotebookNode, input_path: str) -> None:
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


def _format_value(value: object) -> str:
    return repr(value)


def _provenance_cell(
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
    rows_files = "".join(
        f"<tr><td><code>{esc(k)}</code></td><td><code>{esc(p.name if k == 'notebook' else str(p))}"
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
        f"<tr><td>rendered at (UTC)</td><td><code>{esc(_render_time())}</code></td></tr>"
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
        "<h4>Environment</h4>\n"
        f"<table><tr><th>item</th><th>version</th></tr>{rows_env}</table>\n"
        "</div>\n"
    )
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = ["cxlab-provenance"]
    return cell


def _title(nb: nbformat.NotebookNode, notebook: Path, given: Mapping[str, object]) -> str:
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


def _export_html(nb: nbformat.NotebookNode) -> str:
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
    exporter = HTMLExporter(
        config=config,
        template_name=_TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": "report"}})
    return body


# --------------------------------------------------------------------------- execution
def _kernel_env(tmp: Path) -> dict[str, str]:
    """Environment overrides for the kernel: fixed hash seed, time zone, locale, SVG ids."""
    rc = tmp / "matplotlibrc"
    # svg.hashsalt fixes the SVG element ids; SOURCE_DATE_EPOCH (inherited) fixes
    # the SVG/PDF date (matplotlib.backends.backend_svg). PNG carries no date.
    rc.write_text("svg.hashsalt: cxlab\n", encoding="utf-8")
    env = {
        "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"),
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "MATPLOTLIBRC": str(rc),
        # figures must reach the notebook inline, whatever MPLBACKEND the caller
        # has (MPLBACKEND=Agg, common on servers and in CI, would drop them all)
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    return env


def _has_curve() -> bool:
    try:
        import zmq

        return bool(zmq.has("curve"))
    except Exception:  # pragma: no cover - pyzmq is a jupyter_client dependency
        return False


def _kernel_manager_class(cwd: Path, env: Mapping[str, str]) -> type:
    """A kernel manager that starts the kernel in ``cwd`` with ``env`` added.

    papermill's own ``cwd=`` changes the *calling process's* directory while the
    notebook runs; passing the directory to the kernel launch instead keeps
    concurrent renders (threads) independent.
    """
    from jupyter_client.manager import AsyncKernelManager

    class _CxlabKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw: Any) -> Any:  # type: ignore[override]
            merged = dict(kw.pop("env", None) or os.environ)
            merged.update(env)
            kw["env"] = merged
            kw["cwd"] = str(cwd)
            if kw.get("transport_encryption") is None and _has_curve():
                # Encrypt kernel traffic when both sides can (ipykernel otherwise
                # warns on stderr that it runs over plain TCP).
                kw["transport_encryption"] = "auto"
            return await super()._async_pre_start_kernel(**kw)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts (SIGINT) the kernel before asking it to shut
            # down; when the signal lands while ipykernel handles a message it logs
            # "KeyboardInterrupt caught in kernel" on our stderr after a good run.
            # nbclient shuts the kernel down only once it is done with it, and a
            # kernel that ignores the shutdown request is still terminated, then
            # killed (shutdown_wait_time). Interrupts asked for explicitly go
            # through ``interrupt_kernel``, which this does not change.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return _CxlabKernelManager


def _describe_failure(exc: Exception, failed: nbformat.NotebookNode | None) -> str:
    index = getattr(exc, "cell_index", None)
    source = getattr(exc, "source", "") or ""
    tags: list[str] = []
    shown = index
    # papermill inserts error-marker cells into the saved notebook after computing
    # cell_index; drop them to get back to the executed notebook's numbering.
    cells = [
        c
        for c in (failed.cells if failed is not None else [])
        if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])
    ]
    if isinstance(index, int) and 0 <= index < len(cells):
        source = "".join(cells[index].source) or source
        tags = list(cells[index].get("metadata", {}).get("tags", []))
        injected = [
            i
            for i, c in enumerate(cells)
            if "injected-parameters" in c.get("metadata", {}).get("tags", [])
        ]
        shown = index - sum(1 for i in injected if i < index)
    first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "(empty)")
    if len(first) > 80:
        first = first[:77] + "..."
    tag_text = f", tags: {', '.join(tags)}" if tags else ""
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return f"cell {shown} (0-based{tag_text}) starting {first!r} raised {ename}: {evalue}"


def _umask() -> int:
    """The process umask, read when a file is written (importing changes nothing)."""
    with contextlib.suppress(OSError, ValueError):  # Linux >= 4.7 shows it without changing it
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it
    os.umask(mask)
    return mask


def _atomic_write(target: Path, data: bytes) -> Path:
    """Write ``data`` to a hidden temporary file beside ``target``; return its path."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; reports are shared files
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def render(
    notebook: str | os.PathLike[str],
    params: Mapping[str, object] | None = None,
    *,
    out_dir: str | os.PathLike[str] = "reports",
    name: str | None = None,
    kernel_name: str = "python3",
    timeout: int | None = 600,
) -> Path:
    """Execute a parameterized notebook and export one self-contained HTML report.

    Parameters
    ----------
    notebook : path-like
        A ``.ipynb`` file with a cell tagged ``parameters``. It runs in its own
        folder (relative paths inside it are relative to the notebook).
    params : mapping, optional
        Parameter values. Strings (as from the command line) are converted to
        the type of the notebook's default (int, float, bool, str, list/dict
        literals); a ``None`` default or non-literal default keeps the string.
        Other Python values must already have the right type (an int is
        accepted for a float). A string that names an existing file relative
        to the current directory is passed as an absolute path.
    out_dir : path-like, default "reports"
        Output folder, created if needed.
    name : str, optional
        Output file stem; default is the notebook stem followed by the given
        parameter values, e.g. ``nps_2026Q3_0.9``.
    kernel_name : str, default "python3"
        Jupyter kernel to run.
    timeout : int or None, default 600
        Seconds allowed per cell (``None``: no limit).

    Returns
    -------
    pathlib.Path
        ``<out_dir>/<name>.html``; the executed notebook is ``<out_dir>/<name>.ipynb``.

    Raises
    ------
    RenderError
        Unknown parameter (with the closest valid name), a value of the wrong
        type or no ``parameters`` cell -- all before any kernel starts; a cell
        that raised (naming the cell and the error; the executed notebook is
        kept as ``<name>.failed.ipynb`` and an earlier report is left
        untouched); a missing kernel; or an HTML that would load remote files.

    Notes
    -----
    Reproducibility: the kernel runs with ``PYTHONHASHSEED=0``, ``TZ=UTC``,
    ``LC_ALL=C.UTF-8`` and a matplotlibrc fixing ``svg.hashsalt``; timing
    metadata are removed, cell ids renumbered, pandas Styler table ids
    renumbered and memory addresses in default reprs (``<... at 0x7f...>``)
    elided. With ``SOURCE_DATE_EPOCH`` set, the same inputs give
    byte-identical HTML. The notebook itself must seed its random numbers.

    Examples
    --------
    >>> html = render("notebooks/quarterly_report.ipynb",
    ...               parse_params(["quarter=2026Q3", "warehouse=data/cxlab.duckdb"]),
    ...               out_dir="reports")  # doctest: +SKIP
    >>> html.name  # doctest: +SKIP
    'quarterly_report_2026Q3_cxlab.html'
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb_path = Path(notebook)
    declared = notebook_parameters(nb_path)
    given = check_params(nb_path, dict(params or {}), declared=declared)
    given = _absolutize_files(given)
    stem = name if name is not None else _default_name(nb_path, given)
    if not _STEM_RE.match(stem) or stem.endswith((".html", ".ipynb")):
        raise RenderError(
            f"Report name {stem!r} is not a plain file stem: use letters, digits, '.', '_' "
            "and '-', without a folder or extension."
        )
    out = Path(out_dir)
    html_path = out / f"{stem}.html"
    ipynb_path = out / f"{stem}.ipynb"
    failed_path = out / f"{stem}.failed.ipynb"
    _render_time()  # validates SOURCE_DATE_EPOCH before the kernel starts

    with tempfile.TemporaryDirectory(prefix="cxlab-render-") as tmpdir:
        tmp = Path(tmpdir)
        executed_path = tmp / f"{stem}.ipynb"
        km_class = _kernel_manager_class(nb_path.resolve().parent, _kernel_env(tmp))
        try:
            executed = papermill.execute_notebook(
                str(nb_path),
                str(executed_path),
                parameters=given,
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,
                execution_timeout=timeout,
                kernel_manager_class=km_class,
            )
        except PapermillExecutionError as exc:
            failed = None
            if executed_path.is_file():
                failed = nbformat.read(executed_path, as_version=4)
            where = _describe_failure(exc, failed)
            kept = ""
            if failed is not None:
                out.mkdir(parents=True, exist_ok=True)
                _make_deterministic(failed, str(nb_path))
                os.replace(_atomic_write(failed_path, _notebook_bytes(failed)), failed_path)
                kept = f" The executed notebook with the full traceback is kept at {failed_path}."
            raise RenderError(
                f"Notebook {nb_path} failed: {where}.{kept} "
                f"No report was written; any earlier {html_path.name} is left unchanged."
            ) from None
        except RenderError:
            raise
        except Exception as exc:  # no such kernel, dead kernel, timeout...
            raise RenderError(
                f"Notebook {nb_path} could not be executed with kernel {kernel_name!r}: "
                f"{type(exc).__name__}: {exc}. No report was written."
            ) from exc

    executed = nbformat.from_dict(executed)
    # The parameters as the notebook saw them: defaults overridden by given values.
    shown: dict[str, object] = {}
    for key, info in declared.items():
        if key in given:
            shown[key] = given[key]
        else:
            try:
                shown[key] = ast.literal_eval(str(info["default"]))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                shown[key] = _Raw(str(info["default"]))
    _make_deterministic(executed, str(nb_path))
    executed.cells.append(_provenance_cell(nb_path, shown, given, executed, kernel_name))
    _make_deterministic(executed, str(nb_path))  # number the provenance cell too

    for_html = copy.deepcopy(executed)
    for_html.metadata["title"] = _title(executed, nb_path, given)
    try:
        body = _export_html(for_html)
    except Exception as exc:
        raise RenderError(f"nbconvert could not export {nb_path} to HTML: {exc}") from exc
    remote = find_remote_resources(body)
    if remote:
        raise RenderError(
            f"The report for {nb_path} would load files from the network when opened "
            f"({'; '.join(remote[:5])}). Embed these resources (e.g. display images from "
            "local files) so the report is self-contained."
        )

    out.mkdir(parents=True, exist_ok=True)
    tmp_files: list[Path] = []
    try:
        tmp_files.append(_atomic_write(ipynb_path, _notebook_bytes(executed)))
        tmp_files.append(_atomic_write(html_path, body.encode("utf-8")))
        os.replace(tmp_files[0], ipynb_path)
        os.replace(tmp_files[1], html_path)
    finally:
        for leftover in tmp_files:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    with contextlib.suppress(FileNotFoundError):
        failed_path.unlink()  # a stale failure no longer describes this report
    return html_path


class _Raw(str):
    """A default that is an expression, shown as its source text."""

    def __repr__(self) -> str:
        return str(self)
