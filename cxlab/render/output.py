"""Writing reports: temporary files beside the target, moved into place when complete.

A failing render never replaces an earlier good report.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from cxlab.errors import RenderError

if TYPE_CHECKING:
    from cxlab.render.execute import Prepared

__all__ = ["atomic_write", "notebook_bytes", "write_report"]


def _umask() -> int:
    """The process umask, read when a file is written (importing changes nothing)."""
    with contextlib.suppress(OSError, ValueError):  # Linux >= 4.7 shows it without changing it
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it
    os.umask(mask)
    return mask


def atomic_write(target: Path, data: bytes) -> Path:
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


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def write_report(job: Prepared, ipynb: bytes, body: bytes) -> None:
    """Both files to temporary files, then into place; a stale failure notebook goes."""
    html_path, ipynb_path = job.html_path, job.ipynb_path
    tmp_files: list[Path] = []
    try:
        job.out.mkdir(parents=True, exist_ok=True)
        tmp_files.append(atomic_write(ipynb_path, ipynb))
        tmp_files.append(atomic_write(html_path, body))
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
