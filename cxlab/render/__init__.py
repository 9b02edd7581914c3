"""Render a parameterized notebook to one self-contained, reproducible HTML report.

The pipeline is papermill (execute) -> clean-up and provenance -> nbconvert (export):

1. The notebook's ``parameters``-tagged cell is read with
   :func:`papermill.inspect_notebook`; given values are converted to the type of
   each default and unknown names are refused *before* any kernel starts
   (papermill itself only warns). So are values that break the checks the
   notebook declares in its ``parameters`` cell's metadata (``cxlab.checks``:
   quarters and units present in the warehouse, levels in (0, 1), counts,
   case files; see :func:`check_values`), an output folder that cannot be
   written and a report name that would collide with a failure notebook.
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
HTML.
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
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat

from cxlab.errors import CxlabError, RenderError
from cxlab.periods import QUARTER_RE, quarter_index

__all__ = [
    "CHECK_KINDS",
    "TEMPLATE_DIR",
    "check_params",
    "check_values",
    "find_remote_resources",
    "git_state",
    "notebook_checks",
    "notebook_parameters",
    "execute",
    "finish",
    "kernel_manager",
    "parse_params",
    "prepare",
    "Prepared",
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
            f"Parameter {name!r}: value {value!r} is not a valid {getattr(declared, '__name__', declared)}"
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


# --------------------------------------------------------------------------- value checks
# A notebook declares, once, which of its parameters need a value check: the
# metadata of its ``parameters`` cell holds {"cxlab": {"checks": {name: kind}}}
# (JupyterLab: property inspector > cell metadata). ``render`` runs them before
# any kernel starts, on the given values and the defaults alike. A kind is a
# name, optionally with an argument after a colon:
#
#   warehouse           the file exists and opens as a cxlab warehouse
#   quarter[:keyword]   'YYYYQn' present in the warehouse's responses (of the
#                       notebook's ``unit`` when it has one), or the keyword
#                       ('latest' unless given, e.g. quarter:earliest)
#   unit                a unit in the warehouse's responses, or 'ALL'
#   units               'ALL', or units separated by commas
#   level               a number strictly between 0 and 1
#   count[:minimum]     a whole number >= minimum (default 1)
#   case                a shipped case study (cxlab/case_studies) or a YAML file
#   choice:module.NAME  one of the names in that sequence or mapping
#   choices:module.NAME a comma-separated list of them
CHECK_KINDS = (
    "warehouse",
    "quarter",
    "unit",
    "units",
    "level",
    "count",
    "case",
    "choice",
    "choices",
)
_QUARTER_LOOSE = re.compile(r"^\s*(\d{4})\s*[-_/ ]?\s*[Qq]?\s*([1-4])\s*$")
_MAX_LISTED = 12


def notebook_checks(notebook: str | os.PathLike[str]) -> dict[str, str]:
    """The value checks a notebook declares for its parameters (no kernel).

    Parameters
    ----------
    notebook : path-like
        A notebook whose ``parameters`` cell may carry
        ``metadata["cxlab"]["checks"] = {name: kind}``.

    Returns
    -------
    dict of str to str
        Parameter name to check kind (see :data:`CHECK_KINDS`); empty when none.

    Raises
    ------
    RenderError
        If a check names an unknown kind or a parameter the notebook lacks.

    Examples
    --------
    >>> notebook_checks("notebooks/quarterly_report.ipynb")["level"]  # doctest: +SKIP
    'level'
    """
    path = Path(notebook)
    nb = _read_notebook(path)
    cell = next(
        (c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None
    )
    meta = (cell or {}).get("metadata", {}).get("cxlab", {}) if cell is not None else {}
    checks = meta.get("checks", {}) if isinstance(meta, Mapping) else {}
    if not isinstance(checks, Mapping):
        raise RenderError(f"Notebook {path}: metadata cxlab.checks must map names to kinds.")
    out: dict[str, str] = {}
    for name, kind in checks.items():
        base = str(kind).partition(":")[0]
        if base not in CHECK_KINDS:
            raise RenderError(
                f"Notebook {path}: check {kind!r} of parameter {name!r} is not a known kind "
                f"({', '.join(CHECK_KINDS)})."
            )
        out[str(name)] = str(kind)
    return out


def _listing(values: list[str], newest_first: bool = False) -> str:
    shown = values[:_MAX_LISTED]
    more = len(values) - len(shown)
    text = ", ".join(shown)
    if more:
        text += f" (and {more} {'earlier' if newest_first else 'more'})"
    return text


class _Warehouse:
    """What the checks need from the warehouse, read once and closed at once."""

    def __init__(self, path: Path) -> None:
        from cxlab import warehouse

        self.path = path
        self.con = warehouse.connect(path)  # CxlabError with a clear message
        self._units: list[str] | None = None
        self._quarters: dict[str, list[str]] = {}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.disconnect()

    def _distinct(self, column: str, unit: str | None = None) -> list[str]:
        try:
            r = self.con.table("responses")
            if unit is not None:
                r = r.filter(r.unit == unit)
            values = r.select(column).distinct().to_pandas()[column].dropna()
        except Exception as exc:
            raise RenderError(
                f"Parameter 'warehouse': {self.path} has no readable responses table "
                f"({type(exc).__name__}: {exc}). Load survey responses with `cxlab ingest "
                "responses FILE`."
            ) from None
        return sorted(str(v) for v in values)

    def units(self) -> list[str]:
        if self._units is None:
            self._units = self._distinct("unit")
        return self._units

    def quarters(self, unit: str | None) -> list[str]:
        key = unit or ""
        if key not in self._quarters:
            found = [q for q in self._distinct("quarter", unit) if QUARTER_RE.match(q)]
            self._quarters[key] = sorted(found, key=quarter_index, reverse=True)
        return self._quarters[key]


def _check_quarter(
    name: str, value: object, keyword: str, wh: _Warehouse | None, unit: str | None
) -> None:
    text = str(value).strip()
    if text == keyword:
        return
    rule = f"write 'YYYYQn' (e.g. '2026Q3') or {keyword!r}"
    if not QUARTER_RE.match(text):
        m = _QUARTER_LOOSE.match(text)
        hint = f" Did you mean '{m.group(1)}Q{m.group(2)}'?" if m else ""
        raise RenderError(f"Parameter {name!r}: value {value!r} is not a quarter: {rule}.{hint}")
    if wh is None:
        return
    quarters = wh.quarters(unit)
    if text in quarters:
        return
    where = f"for unit {unit!r} " if unit else ""
    if not quarters:
        raise RenderError(
            f"Parameter {name!r}: quarter {text!r} has no survey responses {where}in the "
            f"warehouse {wh.path}, which has no quarters {where}at all."
        )
    closest = min(quarters, key=lambda q: (abs(quarter_index(q) - quarter_index(text)), q))
    raise RenderError(
        f"Parameter {name!r}: quarter {text!r} has no survey responses {where}in the "
        f"warehouse {wh.path}. Did you mean {closest!r}? Quarters there, newest first: "
        f"{_listing(quarters, newest_first=True)}; or {keyword!r}."
    )


def _check_unit(name: str, value: object, wh: _Warehouse | None, many: bool = False) -> None:
    text = str(value).strip()
    if text == "ALL" or wh is None:
        return
    wanted = [u.strip() for u in text.split(",") if u.strip()] if many else [str(value)]
    if not wanted:
        raise RenderError(
            f"Parameter {name!r}: value {value!r} names no unit; write 'ALL' or units "
            f"separated by commas ({_listing(wh.units())})."
        )
    units = wh.units()
    for unit in wanted:
        if unit in units:
            continue
        close = difflib.get_close_matches(unit, units, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise RenderError(
            f"Parameter {name!r}: unit {unit!r} not in the warehouse {wh.path}.{hint} "
            f"Units there: {_listing(units)}; or 'ALL' for every unit."
        )


def _check_level(name: str, value: object) -> None:
    try:
        level = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RenderError(
            f"Parameter {name!r}: value {value!r} is not a number; write a level strictly "
            "between 0 and 1, e.g. 0.95."
        ) from None
    if 0 < level < 1:
        return
    hint = ""
    if 1 < level < 100:
        hint = f" Use {level / 100:g}, not {level:g}."
    raise RenderError(
        f"Parameter {name!r}: value {value!r} is not a level strictly between 0 and 1 "
        f"(e.g. 0.95 for 95% intervals).{hint}"
    )


def _check_count(name: str, value: object, minimum: int) -> None:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and int(value) >= minimum:  # type: ignore[call-overload]
        return
    raise RenderError(
        f"Parameter {name!r}: value {value!r} is not allowed: use a whole number "
        f"{'of at least ' + str(minimum) if minimum != 1 else 'of at least 1'}."
    )


def _case_dir() -> Path:
    return Path(__file__).parent / "case_studies"


def _check_case(name: str, value: object, nb_dir: Path) -> None:
    text = str(value)
    p = Path(text)
    candidates = [p] if p.is_absolute() else [nb_dir / p, p]
    if any(c.is_file() for c in candidates):
        return
    stem = p.stem if p.suffix in (".yaml", ".yml") else text
    if p.parent == Path(".") and (_case_dir() / f"{stem}.yaml").is_file():
        return
    shipped = sorted(c.stem for c in _case_dir().glob("*.yaml"))
    close = difflib.get_close_matches(stem, shipped, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise RenderError(
        f"Parameter {name!r}: case {text!r} is neither a YAML file (relative to the caller "
        f"or to {nb_dir}) nor a shipped case study.{hint} Shipped cases: {', '.join(shipped)}."
    )


def _choices(name: str, dotted: str) -> list[str]:
    import importlib

    module, _, attr = dotted.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError):
        raise RenderError(
            f"Check of parameter {name!r}: {dotted!r} names no importable sequence."
        ) from None
    return [str(x) for x in found]


def _check_choice(name: str, value: object, dotted: str, many: bool) -> None:
    allowed = _choices(name, dotted)
    text = str(value)
    wanted = [x.strip() for x in text.split(",") if x.strip()] if many else [text]
    if many and not wanted:
        raise RenderError(
            f"Parameter {name!r}: value {value!r} names nothing; choose one or more of "
            f"{', '.join(allowed)} (separated by commas)."
        )
    for item in wanted:
        if item in allowed:
            continue
        close = difflib.get_close_matches(item, allowed, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        what = "one or more of" if many else "one of"
        raise RenderError(
            f"Parameter {name!r}: {item!r} is not allowed.{hint} Choose {what}: "
            f"{', '.join(allowed)}."
        )


def _effective_values(
    declared: Mapping[str, Mapping[str, Any]], given: Mapping[str, object]
) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, info in declared.items():
        if key in given:
            values[key] = given[key]
            continue
        try:
            values[key] = ast.literal_eval(str(info["default"]))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            values[key] = None  # an expression: nothing to check before the kernel
    return values


def check_values(
    notebook: str | os.PathLike[str],
    params: Mapping[str, object],
    *,
    declared: Mapping[str, Mapping[str, Any]] | None = None,
    checks: Mapping[str, str] | None = None,
) -> None:
    """Run the notebook's declared value checks (:func:`notebook_checks`), no kernel.

    The values checked are ``params`` (already converted, see
    :func:`check_params`) over the notebook's defaults. Cheap checks run first;
    the warehouse is opened (read-only) only when a check needs it, then closed.

    Parameters
    ----------
    notebook : path-like
        The notebook; relative paths in values are relative to its folder.
    params : mapping
        Converted given values.
    declared, checks : mapping, optional
        :func:`notebook_parameters` and :func:`notebook_checks`, if already read.

    Raises
    ------
    RenderError
        The first value that breaks its check: one paragraph naming the
        parameter, the value, the rule and what is allowed.
    """
    nb_path = Path(notebook)
    if declared is None:
        declared = notebook_parameters(nb_path)
    if checks is None:
        checks = notebook_checks(nb_path)
    for name in checks:
        if name not in declared:
            raise RenderError(
                f"Notebook {nb_path}: metadata cxlab.checks names {name!r}, which is not a "
                f"parameter ({', '.join(declared)})."
            )
    values = _effective_values(declared, params)
    kinds = {name: str(kind).partition(":") for name, kind in checks.items()}
    deferred: list[str] = []
    for name, (kind, _, arg) in kinds.items():
        value = values[name]
        if value is None:
            continue
        if kind == "level":
            _check_level(name, value)
        elif kind == "count":
            _check_count(name, value, int(arg) if arg else 1)
        elif kind == "case":
            _check_case(name, value, nb_path.resolve().parent)
        elif kind in ("choice", "choices"):
            _check_choice(name, value, arg, many=kind == "choices")
        elif kind == "quarter":
            _check_quarter(name, value, arg or "latest", None, None)  # syntax only, for now
            deferred.append(name)
        elif kind in ("unit", "units"):
            deferred.append(name)
    if not deferred:
        return
    store = [n for n, (k, _, _) in kinds.items() if k == "warehouse" and values[n] is not None]
    if not store:
        return
    wh_name = store[0]
    wh_path = Path(str(values[wh_name]))
    if not wh_path.is_absolute():
        # the kernel runs in the notebook's folder
        wh_path = Path(os.path.normpath(nb_path.resolve().parent / wh_path))
    try:
        wh = _Warehouse(wh_path)
    except CxlabError as exc:
        raise RenderError(f"Parameter {wh_name!r}: {exc}") from None
    try:
        unit = None
        for name in deferred:
            if kinds[name][0] in ("unit", "units"):
                _check_unit(name, values[name], wh, many=kinds[name][0] == "units")
                if kinds[name][0] == "unit" and str(values[name]) != "ALL":
                    unit = str(values[name])
        for name in deferred:
            if kinds[name][0] == "quarter":
                _check_quarter(name, values[name], kinds[name][2] or "latest", wh, unit)
    finally:
        wh.close()


def check_out_dir(out: Path) -> None:
    """Refuse an output folder that is a file or cannot be written (nothing created)."""
    probe = out
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        if probe == out:
            raise RenderError(
                f"Output folder {out} is an existing file, not a folder: give --out a folder "
                "(it is created if missing)."
            )
        raise RenderError(
            f"Output folder {out} cannot be created: {probe} is a file, not a folder."
        )
    if probe != out:
        if not os.access(probe, os.W_OK | os.X_OK):
            raise RenderError(
                f"Output folder {out} cannot be created: {probe} is not writable. Choose "
                "another --out, or make that folder writable."
            )
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=out, prefix=".cxlab-write-test-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise RenderError(
            f"Output folder {out} is not writable ({exc.strerror or exc}). Choose another "
            "--out, or make the folder writable."
        ) from None


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
    """A parameter value for the provenance table; a file path shows its file name only,
    so a report emailed out does not reveal the analyst's folders (the SHA-256 below
    identifies the file)."""
    if isinstance(value, str) and ("/" in value or os.sep in value):
        with contextlib.suppress(OSError, ValueError):
            if Path(value).expanduser().exists():
                return repr(Path(value).name)
    return repr(value)


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


def _describe_figures(nb: nbformat.NotebookNode) -> None:
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
        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
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


def kernel_manager(cwd: Path, tmp: Path, kernel_name: str = "python3") -> Any:
    """A kernel manager (not started) for ``kernel_name`` with the environment of
    :func:`render`'s kernels, working in ``cwd``; ``tmp`` holds its matplotlibrc and
    must outlive the kernel. Used by :class:`cxlab.pool.WarmKernel`."""
    return _kernel_manager_class(cwd, _kernel_env(tmp))(kernel_name=kernel_name)


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
        Output folder, created when the report (or a failure notebook) is written.
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
        type, a value breaking the notebook's declared checks, an output folder
        that is a file or not writable, a name ending in ``.failed`` or no
        ``parameters`` cell -- all before any kernel starts; a report that
        could not be written (disk full...; an earlier report is kept); a cell
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
    job = prepare(notebook, params, out_dir=out_dir, name=name)
    with tempfile.TemporaryDirectory(prefix="cxlab-render-") as tmpdir:
        km_class = _kernel_manager_class(job.nb_path.resolve().parent, _kernel_env(Path(tmpdir)))
        executed = execute(job, kernel_name=kernel_name, timeout=timeout, km_class=km_class)
    return finish(job, executed, kernel_name=kernel_name)


@dataclass(frozen=True)
class Prepared:
    """A report that passed every check made before a kernel starts (see :func:`prepare`)."""

    nb_path: Path
    out: Path
    declared: Mapping[str, Mapping[str, Any]]
    given: Mapping[str, object]
    stem: str

    @property
    def html_path(self) -> Path:
        return self.out / f"{self.stem}.html"

    @property
    def ipynb_path(self) -> Path:
        return self.out / f"{self.stem}.ipynb"

    @property
    def failed_path(self) -> Path:
        return self.out / f"{self.stem}.failed.ipynb"


def prepare(
    notebook: str | os.PathLike[str],
    params: Mapping[str, object] | None = None,
    *,
    out_dir: str | os.PathLike[str] = "reports",
    name: str | None = None,
) -> Prepared:
    """Run every check :func:`render` makes before a kernel starts; create the output folder.

    The first of :func:`render`'s three steps (:func:`prepare`, :func:`execute`,
    :func:`finish`), shared with :class:`cxlab.pool.WarmKernel`. Arguments and
    errors as :func:`render`'s.
    """
    nb_path = Path(notebook)
    out = Path(out_dir)
    check_out_dir(out)  # first: nothing else is worth checking if nothing can be written
    declared = notebook_parameters(nb_path)
    given = check_params(nb_path, dict(params or {}), declared=declared)
    given = _absolutize_files(given)
    stem = name if name is not None else _default_name(nb_path, given)
    if not _STEM_RE.match(stem) or stem.endswith((".html", ".ipynb")):
        raise RenderError(
            f"Report name {stem!r} is not a plain file stem: use letters, digits, '.', '_' "
            "and '-', without a folder or extension."
        )
    if stem.lower().endswith(".failed"):
        raise RenderError(
            f"Report name {stem!r} ends with '.failed': {stem}.ipynb would be the failure "
            f"notebook of report {stem[: -len('.failed')]!r}. Choose a name that does not end "
            "with '.failed'."
        )
    check_values(nb_path, given, declared=declared)
    _render_time()  # validates SOURCE_DATE_EPOCH before the kernel starts
    # The output folder is created only when something is written to it (check_out_dir
    # has checked it can be), so a render that fails leaves no empty folder behind.
    return Prepared(nb_path, out, declared, given, stem)


def execute(
    job: Prepared,
    *,
    kernel_name: str = "python3",
    timeout: int | None = 600,
    km_class: type | None = None,
    km: Any = None,
) -> nbformat.NotebookNode:
    """Execute a prepared notebook with papermill; the second step of :func:`render`.

    With ``km_class`` (see :func:`_kernel_manager_class`) papermill starts a fresh
    kernel; with ``km``, an already running kernel manager, the notebook runs on
    that kernel (papermill's engine ``cxlab-warm``, :mod:`cxlab.pool`). A cell
    that raises keeps ``<name>.failed.ipynb`` and raises the :class:`RenderError`
    :func:`render` documents.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb_path = job.nb_path
    engine: dict[str, Any] = {"kernel_manager_class": km_class}
    if km is not None:
        engine = {"engine_name": _warm_engine(), "km": km}
    with tempfile.TemporaryDirectory(prefix="cxlab-execute-") as tmpdir:
        executed_path = Path(tmpdir) / f"{job.stem}.ipynb"
        try:
            executed = papermill.execute_notebook(
                str(nb_path),
                str(executed_path),
                parameters=dict(job.given),
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,
                execution_timeout=timeout,
                **engine,
            )
        except PapermillExecutionError as exc:
            failed = None
            if executed_path.is_file():
                failed = nbformat.read(executed_path, as_version=4)
            raise _keep_failure(job, exc, failed) from None
        except RenderError:
            raise
        except Exception as exc:  # no such kernel, dead kernel, timeout...
            raise RenderError(
                f"Notebook {nb_path} could not be executed with kernel {kernel_name!r}: "
                f"{type(exc).__name__}: {exc}. No report was written."
            ) from exc
    return nbformat.from_dict(executed)


def _keep_failure(
    job: Prepared, exc: Exception, failed: nbformat.NotebookNode | None
) -> RenderError:
    """Write ``<name>.failed.ipynb`` (when papermill saved one) and describe the failure."""
    where = _describe_failure(exc, failed)
    kept = ""
    if failed is not None:
        _make_deterministic(failed, str(job.nb_path))
        try:
            job.out.mkdir(parents=True, exist_ok=True)
            path = job.failed_path
            os.replace(_atomic_write(path, _notebook_bytes(failed)), path)
            kept = f" The executed notebook with the full traceback is kept at {path}."
        except OSError as err:
            kept = f" The executed notebook could not be kept ({err.strerror or err})."
    return RenderError(
        f"Notebook {job.nb_path} failed: {where}.{kept} "
        f"No report was written; any earlier {job.html_path.name} is left unchanged."
    )


def finish(job: Prepared, executed: nbformat.NotebookNode, *, kernel_name: str = "python3") -> Path:
    """Clean up, add provenance, export, check offline and write; the last step of :func:`render`."""
    nb_path, given = job.nb_path, job.given
    # The parameters as the notebook saw them: defaults overridden by given values.
    shown: dict[str, object] = {}
    for key, info in job.declared.items():
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

    _describe_figures(executed)
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
    _write_report(job, _notebook_bytes(executed), body.encode("utf-8"))
    return job.html_path


def _write_report(job: Prepared, ipynb: bytes, body: bytes) -> None:
    """Both files to temporary files, then into place; a stale failure notebook goes."""
    html_path, ipynb_path = job.html_path, job.ipynb_path
    tmp_files: list[Path] = []
    try:
        job.out.mkdir(parents=True, exist_ok=True)
        tmp_files.append(_atomic_write(ipynb_path, ipynb))
        tmp_files.append(_atomic_write(html_path, body))
        os.replace(tmp_files[0], ipynb_path)
        os.replace(tmp_files[1], html_path)
    except OSError as exc:  # disk full, folder made read-only or removed meanwhile...
        raise RenderError(
            f"The report for {job.nb_path} could not be written to {job.out}: "
            f"{exc.strerror or exc}. No report was written; any earlier {html_path.name} "
            "is left unchanged."
        ) from None
    finally:
        for leftover in tmp_files:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    with contextlib.suppress(FileNotFoundError):
        job.failed_path.unlink()  # a stale failure no longer describes this report


def _warm_engine() -> str:
    """Register (once) and name the papermill engine that runs on a running kernel."""
    from cxlab import pool

    return pool.register_engine()


class _Raw(str):
    """A default that is an expression, shown as its source text."""

    def __repr__(self) -> str:
        return str(self)
