"""Codeframes: the analyst's themes as YAML, validated with a JSON Schema.

A codeframe maps theme ids to keywords and regular expressions. Shipped
codeframes live in ``cxlab/voc/codeframes``; :func:`codeframe` reads a path or
a shipped name and reports every problem at once in one
:class:`~cxlab.errors.CxlabError` naming the file, the theme and the rule
(the pattern of :mod:`cxlab.journey.casefiles`).

The file::

    name: retail_electronics
    language: en
    description: Starter codeframe for ...
    themes:
      delivery_delay:              # theme id: lowercase snake_case
        label: Late delivery       # shown in reports
        parent: delivery           # optional: another theme id or a group name
        sentiment: negative        # optional hint: negative | positive | mixed
        keywords: [late, delayed, "still waiting"]   # whole words / phrases, any case
        patterns: ['arriv\\w* \\d+ (days|weeks) late']  # optional regexes, any case

Every pattern must mean the same in Python's :mod:`re` and in RE2, the regex
engine of DuckDB (and of BigQuery, ClickHouse...), because the coding runs in
the engine and the tests check it against :mod:`re`: look-arounds,
backreferences, atomic groups and conditionals (which RE2 lacks, to
guarantee linear time) are refused. In RE2 ``\\w``, ``\\d``, ``\\s`` and ``\\b``
are ASCII-only; keywords need none of them (see :meth:`Codeframe.regex`).
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cxlab.errors import CxlabError

__all__ = ["CODEFRAME_SCHEMA", "Codeframe", "codeframe", "list_codeframes"]

_ID = r"^[a-z][a-z0-9_]*$"
_WORDS = {
    "type": "array",
    "items": {"type": "string", "pattern": r"\S", "description": "non-empty text"},
    "description": "a list of texts",
}
_THEME: dict[str, Any] = {
    "type": "object",
    "description": "a mapping with 'label' and 'keywords' and/or 'patterns'",
    "required": ["label"],
    "additionalProperties": False,
    "properties": {
        "label": {"type": "string", "pattern": r"\S", "description": "a non-empty text"},
        "parent": {"type": "string", "pattern": _ID, "description": "a lowercase snake_case id"},
        "sentiment": {
            "enum": ["negative", "positive", "mixed"],
            "description": "one of ['negative', 'positive', 'mixed']",
        },
        "description": {"type": "string", "description": "text"},
        "keywords": _WORDS,
        "patterns": _WORDS,
    },
}
#: JSON Schema (2020-12) of a codeframe file: the structure. Regexes, parents and
#: "keywords or patterns" are checked by :func:`_theme_rules`.
CODEFRAME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "the file must hold a mapping with 'name' and 'themes'",
    "required": ["name", "themes"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"\S", "description": "a non-empty text"},
        "language": {"type": "string", "description": "a language code such as 'en'"},
        "description": {"type": "string", "description": "text"},
        "themes": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": _ID},
            "additionalProperties": _THEME,
            "description": "a non-empty mapping of theme id to theme",
        },
    },
}

#: Characters that belong to a word next to a keyword (ASCII letters and digits,
#: ``_``, Latin-1 and Latin Extended letters, combining accents, Greek, Cyrillic),
#: spelled as literal ranges so that Python's ``re`` and RE2 read the same class.
WORD_CHARS = (
    "0-9A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0300-\u036f\u0370-\u03ff\u0400-\u04ff"
)
_SPACES = " \t\n\r\f\v\u00a0"
# RE2 lacks these (it guarantees linear time): refused with their name.
_UNSUPPORTED = (
    (re.compile(r"\(\?<?[=!]"), "look-arounds ((?=...), (?!...), (?<=...), (?<!...))"),
    (re.compile(r"\(\?>"), "atomic groups ((?>...))"),
    (re.compile(r"\(\?\("), "conditionals ((?(...)...))"),
    (re.compile(r"\(\?P="), "named backreferences ((?P=name))"),
    (re.compile(r"\\[1-9]"), "backreferences (\\1...)"),
    (re.compile(r"\\Z"), "\\Z (use $)"),
    (re.compile(r"[*+?][+]"), "possessive quantifiers (*+, ++, ?+)"),
)


@dataclass(frozen=True)
class Codeframe:
    """A validated codeframe (see :func:`codeframe`).

    Attributes
    ----------
    name, language, description, path : str
    themes : pandas.DataFrame
        One row per theme in file order: ``theme, label, parent, sentiment,
        keywords, patterns`` (the last two as tuples of text).
    """

    name: str
    language: str
    description: str
    themes: pd.DataFrame
    path: str = ""

    @property
    def ids(self) -> list[str]:
        """Theme ids in file order."""
        return [str(t) for t in self.themes["theme"]]

    def labels(self) -> dict[str, str]:
        """Theme id -> label."""
        return dict(zip(self.themes["theme"], self.themes["label"], strict=True))

    def regex(self, theme: str) -> str:
        """The theme's combined, case-insensitive pattern (valid in Python ``re`` and RE2).

        Keywords are escaped and made whole-word: a keyword matches where no word
        character (:data:`WORD_CHARS`) touches it on either side, so ``late``
        does not match "chocolate" or "latest" but matches "late!" and "(late)";
        the spaces of a phrase match any run of whitespace. The boundary is a
        character class rather than ``\\b`` because ``\\b`` is ASCII-only in RE2
        and Unicode in ``re`` ("café" would code differently). Patterns are
        added as written, case-insensitive.

        Examples
        --------
        >>> import re
        >>> cf = Codeframe("x", "en", "", pd.DataFrame({"theme": ["late"], "label": ["Late"],
        ...     "parent": [None], "sentiment": [None], "keywords": [("late",)],
        ...     "patterns": [()]}))
        >>> [bool(re.search(cf.regex("late"), s)) for s in ["So LATE!", "chocolate", "latest"]]
        [True, False, False]
        """
        row = self.themes.loc[self.themes["theme"] == theme]
        if row.empty:
            raise CxlabError(f"codeframe {self.name!r}: no theme {theme!r}; themes: {self.ids}.")
        keywords, patterns = row.iloc[0]["keywords"], row.iloc[0]["patterns"]
        parts = []
        if keywords:
            words = "|".join(_keyword(k) for k in keywords)
            parts.append(f"(?:^|[^{WORD_CHARS}])(?:{words})(?:[^{WORD_CHARS}]|$)")
        parts += [f"(?:{p})" for p in patterns]
        return "(?i)" + "|".join(parts)


def _keyword(word: str) -> str:
    """A keyword as a literal pattern: ASCII punctuation escaped, spaces as any whitespace.

    Hand-written rather than :func:`re.escape`, which escapes spaces and
    non-ASCII characters in ways RE2 does not accept.
    """
    out = []
    for chunk in str(word).split():
        out.append("".join("\\" + c if c.isascii() and not c.isalnum() else c for c in chunk))
    return f"[{_SPACES}]+".join(out)


def _dir() -> Path:
    return Path(str(importlib.resources.files("cxlab") / "voc" / "codeframes"))


def list_codeframes() -> list[str]:
    """Names of the codeframes shipped with cxlab (``cxlab/voc/codeframes/*.yaml``)."""
    d = _dir()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def _resolve(path_or_name: str | Path) -> Path:
    p = Path(path_or_name)
    if p.is_file():
        return p
    stem = p.stem if p.suffix in (".yaml", ".yml") else str(path_or_name)
    shipped = _dir() / f"{stem}.yaml"
    if shipped.is_file() and (p.parent == Path(".") or not p.parent.exists()):
        return shipped
    raise CxlabError(
        f"codeframe {str(path_or_name)!r}: no such file, and not a shipped codeframe "
        f"({', '.join(list_codeframes()) or 'none'})."
    )


def _schema_message(doc: Any, err: Any) -> str:
    """One schema error as the reader needs it: theme, field, rule, value."""
    path = list(err.absolute_path)
    loc = f"theme {path[1]!r}: " if len(path) >= 2 and path[0] == "themes" else ""
    fields = [str(x) for x in (path[2:] if loc else path)]
    if err.validator == "required":
        missing = err.message.split("'")[1]
        return f"{loc}field {'.'.join([*fields, missing])!r}: required."
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        unknown = sorted(set(err.instance) - set(allowed))
        return f"{loc}unknown field(s) {unknown}; allowed: {allowed}."
    if err.validator == "pattern" and path[:1] == ["themes"] and len(path) == 1:
        return f"theme id {err.instance!r}: must be lowercase snake_case (e.g. delivery_delay)."
    if err.validator == "propertyNames":
        return f"theme id {err.instance!r}: must be lowercase snake_case (e.g. delivery_delay)."
    rule = err.schema.get("description", err.message)
    if not fields:
        return f"{loc}{rule}."
    return f"{loc}field {'.'.join(fields)!r}: {rule}, not {err.instance!r}."


def _pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used (``None`` when it can)."""
    for probe, what in _UNSUPPORTED:
        if probe.search(pattern):
            return f"uses {what}, which DuckDB's regex engine (RE2) does not support"
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"not a valid regular expression ({exc})"
    if compiled.search(""):
        return "matches empty text, so it would code every response"
    import duckdb

    try:
        duckdb.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error as exc:
        return f"refused by DuckDB's regex engine (RE2): {str(exc).splitlines()[0]}"
    return None


def _theme_rules(themes: Mapping[str, Any]) -> list[str]:
    """What the schema cannot say: keywords or patterns, valid regexes, known parents."""
    out = []
    for tid, th in themes.items():
        if not isinstance(th, Mapping):
            continue
        here = f"theme {tid!r}: "
        kws, pats = th.get("keywords") or [], th.get("patterns") or []
        if not kws and not pats:
            out.append(here + "give 'keywords' or 'patterns' (at least one of them, non-empty).")
        for field in ("keywords", "patterns"):
            values = th.get(field)
            if isinstance(values, list):
                seen = [v.lower() for v in values if isinstance(v, str)]
                dup = sorted({v for v in seen if seen.count(v) > 1})
                if dup:
                    out.append(here + f"field {field!r}: duplicate entries {dup}.")
        for i, pat in enumerate(pats if isinstance(pats, list) else []):
            problem = _pattern_problem(pat) if isinstance(pat, str) else None
            if problem:
                out.append(here + f"pattern {i + 1} ({pat!r}): {problem}.")
        parent = th.get("parent")
        if parent == tid:
            out.append(here + "field 'parent': a theme cannot be its own parent.")
        elif _loops(themes, tid):
            out.append(here + f"field 'parent': the chain of parents from {parent!r} loops back.")
    return out


def _loops(themes: Mapping[str, Any], tid: str) -> bool:
    """Whether following ``parent`` from theme ``tid`` through other themes comes back to it."""
    seen, node = {tid}, tid
    while True:
        th = themes.get(node)
        parent = th.get("parent") if isinstance(th, Mapping) else None
        if not isinstance(parent, str) or parent not in themes:  # a group, or none: it ends
            return False
        if parent in seen:
            return parent == tid
        seen.add(parent)
        node = parent


def _validate(doc: Any, where: str) -> Codeframe:
    """The codeframe of a parsed file, or one :class:`CxlabError` listing every problem."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(CODEFRAME_SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(x) for x in e.absolute_path])
    items = [_schema_message(doc, e) for e in errors]
    themes = doc.get("themes") if isinstance(doc, Mapping) else None
    if isinstance(themes, Mapping):
        items += _theme_rules(themes)
    if items:
        raise CxlabError(f"{where}: invalid codeframe:\n  - " + "\n  - ".join(items))
    rows = [
        {
            "theme": str(tid),
            "label": str(th["label"]),
            "parent": th.get("parent"),
            "sentiment": th.get("sentiment"),
            "keywords": tuple(th.get("keywords") or ()),
            "patterns": tuple(th.get("patterns") or ()),
        }
        for tid, th in themes.items()  # type: ignore[union-attr]
    ]
    return Codeframe(
        name=str(doc["name"]),
        language=str(doc.get("language", "")),
        description=str(doc.get("description", "")),
        themes=pd.DataFrame(rows, columns=list(rows[0])),
        path=where,
    )


def codeframe(path_or_name: str | Path | Codeframe = "retail_electronics") -> Codeframe:
    """Read and validate a codeframe (YAML); a :class:`Codeframe` is returned as it is.

    ``path_or_name`` is a path or the name of a shipped codeframe
    (:func:`list_codeframes`). Every problem is reported at once in one
    :class:`~cxlab.errors.CxlabError` naming the file, the theme and the rule:
    unknown fields, a theme without keywords and patterns, an invalid regex or
    one RE2 lacks, a theme id that is not snake_case, duplicate keywords. A
    theme's ``parent`` is another theme id or the name of a group (free text
    in snake_case); a chain of parents must not loop. YAML itself refuses duplicate theme ids only with a
    warning, so the file is read with a loader that refuses them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cf.yaml"
    >>> _ = p.write_text("name: demo\\nthemes:\\n  late:\\n    label: Late\\n"
    ...                  "    keywords: [late, delayed]\\n")
    >>> cf = codeframe(p)
    >>> cf.ids, cf.themes.loc[0, "keywords"]
    (['late'], ('late', 'delayed'))
    """
    if isinstance(path_or_name, Codeframe):
        return path_or_name
    p = _resolve(path_or_name)
    try:
        doc = _load_yaml(p.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CxlabError(f"{p}: invalid codeframe:\n  - {exc}") from None
    return _validate(doc, str(p))


def _load_yaml(text: str) -> Any:
    """YAML through ``yaml.safe_load`` with duplicate mapping keys refused (a ValueError)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        dup = sorted({str(k) for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"duplicate id(s) {dup} (line {node.start_mark.line + 1}).")
        return loader.construct_mapping(node, deep=deep)

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from None
