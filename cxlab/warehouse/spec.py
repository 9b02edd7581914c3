"""How to read one export: its format, renames, recodes and constants.

A :class:`LoadSpec` holds every option of ``cxlab ingest`` that describes the
*file* (not the warehouse): the format, sheet, rows to skip, encoding,
delimiter, date format, which file column feeds which warehouse column, value
recodes and constants. It can be saved to YAML (``--save-mapping``) and read
back (``--mapping``) so the next export of the same survey loads with one
option. Example file::

    format: qualtrics
    date_format: "%m/%d/%Y %I:%M:%S %p"
    columns:                  # warehouse column: file column
      ltr: "How likely are you to recommend us to a friend or colleague?"
      csat: Q2
    set:                      # constants
      unit: Nordics
    recode:                   # labelled answers to numbers
      csat: {Very satisfied: 5, Satisfied: 4, Neutral: 3, Dissatisfied: 2, Very dissatisfied: 1}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxlab._files import write_text_atomically
from cxlab.errors import CxlabError
from cxlab.schema import TABLES

__all__ = ["FORMATS", "LoadSpec", "parse_mapping"]

#: File formats ``cxlab ingest --format`` knows; ``None`` means: detect.
FORMATS = ("csv", "qualtrics", "surveymonkey", "excel", "parquet", "spss")

_KNOWN_COLUMNS = sorted({c for t in TABLES.values() for c in t.column_names})


def _check_target(item: str, target: str) -> None:
    if target not in _KNOWN_COLUMNS:
        raise CxlabError(
            f"{item!r}: {target!r} is not a warehouse column; columns are: "
            f"{', '.join(_KNOWN_COLUMNS)}."
        )


def _split(item: str, what: str, form: str) -> tuple[str, str]:
    left, sep, right = item.rpartition("=")
    left, right = left.strip(), right.strip()
    if not sep or not left or not right:
        raise CxlabError(f"{what} {item!r} is not of the form {form}.")
    return left, right


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """Parse ``"Source column=target"`` items into ``{source: target}``.

    The split is at the *last* ``=``, so a survey question may itself contain
    ``=``. Targets must be warehouse columns. (One source feeding several
    targets needs :meth:`LoadSpec.from_options`, which keys by target.)

    Examples
    --------
    >>> parse_mapping(["How likely are you to recommend us?=ltr", "ID = response_id"])
    {'How likely are you to recommend us?': 'ltr', 'ID': 'response_id'}
    """
    out: dict[str, str] = {}
    for item in items:
        source, target = _split(item, "column mapping", '"Source column=target"')
        _check_target(f"column mapping {item}", target)
        if source in out:
            raise CxlabError(f"column mapping: source column {source!r} is mapped twice.")
        if target in out.values():
            raise CxlabError(f"column mapping: target column {target!r} is given twice.")
        out[source] = target
    return out


@dataclass
class LoadSpec:
    """Everything about reading one export (see the module docstring).

    Attributes
    ----------
    format : str or None
        One of :data:`FORMATS`; ``None`` detects it from the suffix and the
        header (a Qualtrics or SurveyMonkey CSV is recognised by its header).
    sheet : str or int or None
        Excel sheet name or 0-based index (default: the first sheet whose
        header has the columns needed, else the first sheet).
    skip_rows : int
        Lines to skip above the header (a title or notes above the table).
    encoding, delimiter : str or None
        CSV encoding and delimiter (default: sniffed; a UTF-8 BOM is dropped).
    date_format : list of str
        ``strptime`` formats for dates, e.g. ``%m/%d/%Y %I:%M:%S %p``; ISO 8601
        is always accepted too.
    dayfirst : bool
        Read ``03/04/2026`` as 3 April (with ``/``, ``.`` or ``-``).
    columns : dict
        ``{warehouse column: file column}``; one file column may feed several.
    constants : dict
        ``{warehouse column: value}`` for every row (``--set unit=Nordics``).
    recode : dict
        ``{warehouse column: {label: value}}``; labels match case-insensitively.
    keep_incomplete : bool
        Keep responses the export marks as unfinished.
    """

    format: str | None = None
    sheet: str | int | None = None
    skip_rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    date_format: list[str] = field(default_factory=list)
    dayfirst: bool = False
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    recode: dict[str, dict[str, str]] = field(default_factory=dict)
    keep_incomplete: bool = False

    def __post_init__(self) -> None:
        if self.format is not None and self.format not in FORMATS:
            raise CxlabError(f"unknown format {self.format!r}; formats are: {', '.join(FORMATS)}.")
        if isinstance(self.sheet, str) and self.sheet.strip().isdigit():
            self.sheet = int(self.sheet)
        if not isinstance(self.skip_rows, int) or self.skip_rows < 0:
            raise CxlabError(f"skip_rows must be a whole number >= 0, not {self.skip_rows!r}.")
        if isinstance(self.date_format, str):
            self.date_format = [self.date_format]
        for target in [*self.columns, *self.constants, *self.recode]:
            _check_target(f"column {target}", target)
        self.constants = {k: str(v) for k, v in self.constants.items()}
        self.recode = {
            col: {str(k).strip(): str(v).strip() for k, v in labels.items()}
            for col, labels in self.recode.items()
        }
        both = sorted(set(self.columns) & set(self.constants))
        if both:
            raise CxlabError(
                f"column(s) {', '.join(both)} are given both a file column (--map) and a "
                "constant (--set); keep one."
            )

    @classmethod
    def from_options(
        cls,
        *,
        mapping: Sequence[str] = (),
        set: Sequence[str] = (),
        recode: Sequence[str] = (),
        base: LoadSpec | None = None,
        **options: Any,
    ) -> LoadSpec:
        """Build a spec from command-line strings, on top of ``base`` (a mapping file).

        ``mapping`` items are ``"File column=target"``, ``set`` items
        ``"target=value"`` and ``recode`` items ``"target:Label=value,Label=value"``.
        Options that are ``None`` (not given) keep the base's value.

        Examples
        --------
        >>> s = LoadSpec.from_options(mapping=["Q1=ltr", "Q1=csat"], set=["unit=Nordics"],
        ...                           recode=["csat:Very satisfied=5,Satisfied=4"])
        >>> s.columns, s.constants, s.recode
        ({'ltr': 'Q1', 'csat': 'Q1'}, {'unit': 'Nordics'}, {'csat': {'Very satisfied': '5', 'Satisfied': '4'}})
        """
        spec = dataclasses.replace(base) if base else cls()
        values = dataclasses.asdict(spec)
        for key, value in options.items():
            if value is not None and value != [] and value is not False:
                values[key] = value
        given: dict[str, str] = {}  # a --map overrides the mapping file, not another --map
        for item in mapping:
            source, target = _split(item, "column mapping", '"File column=target"')
            _check_target(f"column mapping {item}", target)
            if given.get(target, source) != source:
                raise CxlabError(f"column mapping: target column {target!r} is given twice.")
            given[target] = values["columns"][target] = source
            values["constants"].pop(target, None)
        for item in set:
            target, value = item.split("=", 1) if "=" in item else (item, "")
            target, value = target.strip(), value.strip()
            if not target or not value:
                raise CxlabError(f'--set {item!r} is not of the form "column=value".')
            _check_target(f"--set {item}", target)
            values["constants"][target] = value
        for item in recode:
            target, sep, pairs = item.partition(":")
            target = target.strip()
            if not sep or not pairs.strip():
                raise CxlabError(
                    f'--recode {item!r} is not of the form "column:Label=value,Label=value".'
                )
            _check_target(f"--recode {item}", target)
            labels = values["recode"].setdefault(target, {})
            for pair in pairs.split(","):
                label, value = _split(pair, f"--recode {target}:", '"Label=value"')
                labels[label] = value
        return cls(**values)

    # -- YAML ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The non-default settings, as written to a mapping file."""
        default = LoadSpec()
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                out[f.name if f.name != "constants" else "set"] = value
        return out

    def save(self, path: Path | str) -> Path:
        """Write the spec to a YAML mapping file (atomically)."""
        import yaml

        path = Path(path)
        text = (
            "# cxlab ingest mapping: reuse with `cxlab ingest TABLE FILE --mapping "
            f"{path.name}`\n" + yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        )
        return write_text_atomically(path, text, "the mapping file")

    @classmethod
    def load(cls, path: Path | str) -> LoadSpec:
        """Read a YAML mapping file written by :meth:`save` (or by hand)."""
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise CxlabError(f"{path}: cannot read the mapping file: {exc.strerror}.") from None
        except yaml.YAMLError as exc:
            raise CxlabError(f"{path}: not a valid YAML mapping file: {exc}") from None
        if not isinstance(data, Mapping):
            raise CxlabError(f"{path}: a mapping file holds 'key: value' settings.")
        data = dict(data)
        if "set" in data:
            data["constants"] = data.pop("set")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise CxlabError(
                f"{path}: unknown setting(s) {', '.join(unknown)}; settings are: "
                f"{', '.join(sorted(names - {'constants'} | {'set'}))}."
            )
        for key in ("columns", "constants", "recode"):
            if key in data and not isinstance(data[key], Mapping):
                raise CxlabError(f"{path}: {key!r} must be a mapping of column: value.")
        data["columns"] = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
        try:
            return cls(**data)
        except CxlabError as exc:
            raise CxlabError(f"{path}: {exc}") from None
