"""Writing a small text file so that a reader never sees half of it."""

from __future__ import annotations

import os
from pathlib import Path

from cxlab.errors import CxlabError


def write_text_atomically(path: Path, text: str, what: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and :func:`os.replace`.

    An earlier file stays as it was if writing fails; the failure is one
    :class:`CxlabError` naming ``what`` was written (e.g. ``"the index"``).
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CxlabError(f"{path}: cannot write {what}: {exc.strerror}.") from None
    return path
