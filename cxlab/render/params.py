"""Parameters: ``-p name=value`` parsing, the notebook's declared parameters, type conversion.

Nothing here starts a kernel: the ``parameters``-tagged cell is read with
:func:`papermill.inspect_notebook`; given values are converted to the type of
each default and unknown names are refused (papermill itself only warns).
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import hashlib
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cxlab.errors import RenderError
from cxlab.render._common import LITERAL_ERRORS, read_notebook

__all__ = [
    "absolutize_files",
    "check_params",
    "default_name",
    "notebook_parameters",
    "parse_params",
    "report_stem",
]

_TYPE_NAMES = {"int": int, "float": float, "bool": bool, "str": str}
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def parse_params(items: Iterable[str]) -> dict[str, str]:
    """Parse ``name=value`` strings (from ``cxlab render -p``) into a dict.

    Only the first ``=`` splits, so values may contain ``=``; an empty value is
    the empty string. Values stay strings: :func:`cxlab.render.render` converts them to the
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
    nb = read_notebook(path)
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
            except LITERAL_ERRORS:
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
        except LITERAL_ERRORS:
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
        Given values; strings are converted (see :func:`cxlab.render.render`).
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


def absolutize_files(params: Mapping[str, object]) -> dict[str, object]:
    """Existing files named relative to the caller's cwd become absolute paths."""
    out = dict(params)
    for key, value in params.items():
        if isinstance(value, str) and value and not os.path.isabs(value):
            with contextlib.suppress(OSError, ValueError):
                if Path(value).is_file():
                    out[key] = str(Path(value).resolve())
    return out


def _slug(value: object) -> str:
    if isinstance(value, str) and value and Path(value).suffix and os.sep in value:
        value = Path(value).stem  # a file path: its stem is the telling part
    text = re.sub(r"[^A-Za-z0-9.+-]+", "-", str(value)).strip("-.")
    return text or "x"


def default_name(notebook: Path, params: Mapping[str, object]) -> str:
    """The notebook stem followed by the given values, e.g. ``nps_2026Q3_0.9``."""
    name = "_".join([notebook.stem, *(_slug(v) for v in params.values())])
    if len(name) > 120:
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        name = f"{name[:108]}-{digest}"
    return name


def report_stem(notebook: Path, given: Mapping[str, object], name: str | None) -> str:
    """The report's file stem: ``name``, or :func:`default_name`; refused if not a plain stem."""
    stem = name if name is not None else default_name(notebook, given)
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
    return stem
