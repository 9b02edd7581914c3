"""Value checks made before any kernel starts: the notebook's declared checks, the output folder.

Quarters and units are checked against the warehouse (opened read-only, only
when a check needs it); levels, counts, case files and choices without it.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import numbers
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError, RenderError
from cxlab.periods import QUARTER_RE, quarter_index
from cxlab.render._common import LITERAL_ERRORS, read_notebook
from cxlab.render.params import notebook_parameters
from cxlab.warehouse.backends import is_url

__all__ = ["CHECK_KINDS", "check_out_dir", "check_values", "notebook_checks"]

# --------------------------------------------------------------------------- value checks
# A notebook declares, once, which of its parameters need a value check: the
# metadata of its ``parameters`` cell holds {"cxlab": {"checks": {name: kind}}}
# (JupyterLab: property inspector > cell metadata). ``render`` runs them before
# any kernel starts, on the given values and the defaults alike. A kind is a
# name, optionally with an argument after a colon:
#
#   warehouse           the file exists and opens as a cxlab warehouse (or the URL,
#                       postgres://... pyspark://... env:NAME, connects and has one)
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
#   csvfile             '' or 'none' (write nothing), or a file name ending in .csv whose
#                       folder can be written (relative to the notebook)
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
    "csvfile",
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
    nb = read_notebook(path)
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

    def __init__(self, path: Path | str) -> None:
        from cxlab import warehouse
        from cxlab.warehouse.backends import mask

        # a URL is shown with any password masked (it never has one: see connect)
        self.path = mask(path) if isinstance(path, str) else path
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
    return Path(__file__).parent.parent / "case_studies"


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
        except LITERAL_ERRORS:
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
    :func:`cxlab.render.check_params`) over the notebook's defaults. Cheap checks run first;
    the warehouse is opened (read-only) only when a check needs it, then closed.

    Parameters
    ----------
    notebook : path-like
        The notebook; relative paths in values are relative to its folder.
    params : mapping
        Converted given values.
    declared, checks : mapping, optional
        :func:`cxlab.render.notebook_parameters` and :func:`notebook_checks`, if already read.

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
        elif kind == "csvfile" and str(value) not in ("", "none"):
            _check_csvfile(name, str(value), nb_path.resolve().parent)
        elif kind == "quarter":
            _check_quarter(name, value, arg or "latest", None, None)  # syntax only, for now
            deferred.append(name)
        elif kind in ("unit", "units"):
            deferred.append(name)
    if deferred:
        _check_in_warehouse(nb_path, kinds, values, deferred)


def _check_csvfile(name: str, value: str, nb_dir: Path) -> None:
    if not value.lower().endswith(".csv"):
        raise RenderError(
            f"Parameter {name!r} = {value!r}: give a file name ending in .csv (an Excel copy "
            "is written beside it), or 'none'."
        )
    try:
        check_out_dir((nb_dir / value).parent)  # an absolute value replaces nb_dir
    except RenderError as exc:
        raise RenderError(f"Parameter {name!r} = {value!r}: {exc}") from None


def _check_in_warehouse(
    nb_path: Path,
    kinds: Mapping[str, tuple[str, str, str]],
    values: Mapping[str, object],
    deferred: list[str],
) -> None:
    """The unit and quarter checks of :func:`check_values`, against the warehouse (if any)."""
    store = [n for n, (k, _, _) in kinds.items() if k == "warehouse" and values[n] is not None]
    if not store:
        return
    wh_name = store[0]
    wh_path: Path | str = str(values[wh_name])
    if not is_url(wh_path):
        wh_path = Path(wh_path)
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
