"""A notebook's parameters read from its JSON alone: no nbformat, papermill or kernel.

For help texts (``cxlab render --help``), which must stay quick: the cell tagged
``parameters`` is parsed with :mod:`ast`, and each top-level ``name = value  # comment``
(or ``name: type = value  # comment``) gives the name, the default's source text and
the comment. Rendering itself uses :func:`cxlab.render.notebook_parameters`
(papermill's reader, which also infers types); the two agree on the shipped
notebooks (``tests/test_cli.py``).
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import Path

from cxlab.errors import RenderError


@dataclass(frozen=True)
class Parameter:
    """One parameter: its name, the source text of its default, and its comment."""

    name: str
    default: str
    help: str


def _comments(source: str) -> dict[int, str]:
    """Line number -> the text of the comment ending that line."""
    out: dict[int, str] = {}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def read_parameters(path: Path) -> list[Parameter]:
    """The parameters declared in ``path``'s ``parameters`` cell, in order.

    Raises
    ------
    RenderError
        If the file cannot be read, is not notebook JSON, has no cell tagged
        ``parameters``, or that cell is not valid Python.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        cell = next(c for c in cells if "parameters" in (c.get("metadata") or {}).get("tags", []))
    except OSError as exc:
        raise RenderError(f"{path}: cannot read it ({exc.strerror or exc}).") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise RenderError(f"{path} is not a readable Jupyter notebook.") from None
    except StopIteration:
        raise RenderError(f"{path} has no cell tagged 'parameters'.") from None
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    try:
        tree = ast.parse(source)
        comments = _comments(source)
    except (SyntaxError, tokenize.TokenError) as exc:
        line = getattr(exc, "lineno", None) or (exc.args[1][0] if len(exc.args) > 1 else "?")
        raise RenderError(
            f"{path}: the parameters cell is not valid Python (line {line})."
        ) from None
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            default = ast.get_source_segment(source, value) or ""
            help_text = comments.get(node.end_lineno or node.lineno, "")
            out.append(Parameter(target.id, default, help_text))
    return out
