"""What several steps of a render share: reading a notebook, literal-default errors."""

from __future__ import annotations

from pathlib import Path

import nbformat

from cxlab.errors import RenderError

__all__ = ["LITERAL_ERRORS", "read_notebook"]

#: What :func:`ast.literal_eval` raises on a default that is not a literal.
LITERAL_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, or a :class:`RenderError` saying why it cannot be read."""
    if not path.is_file():
        raise RenderError(f"Notebook {path} does not exist.")
    if path.suffix != ".ipynb":
        raise RenderError(f"{path} is not a notebook (expected a .ipynb file).")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:
        raise RenderError(f"{path} is not a readable Jupyter notebook: {exc}") from exc
