"""The render itself: :func:`prepare` (checks), :func:`execute` (papermill), :func:`finish`.

:func:`render` runs the three; :class:`cxlab.render.pool.WarmKernel` runs them
with a kernel that stays up between reports.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from cxlab.errors import RenderError
from cxlab.render.checks import check_out_dir, check_values
from cxlab.render.engine import register_engine
from cxlab.render.export import (
    describe_figures,
    export_html,
    make_deterministic,
    report_title,
    stop_early,
)
from cxlab.render.kernel import kernel_env, kernel_manager_class
from cxlab.render.offline import find_remote_resources
from cxlab.render.output import atomic_write, notebook_bytes, write_report
from cxlab.render.params import absolutize_files, check_params, notebook_parameters, report_stem
from cxlab.render.provenance import provenance_cell, render_time, shown_values

__all__ = ["Prepared", "execute", "finish", "prepare", "render"]


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
        km_class = kernel_manager_class(job.nb_path.resolve().parent, kernel_env(Path(tmpdir)))
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
    :func:`finish`), shared with :class:`cxlab.render.pool.WarmKernel`. Arguments and
    errors as :func:`render`'s.
    """
    nb_path = Path(notebook)
    out = Path(out_dir)
    check_out_dir(out)  # first: nothing else is worth checking if nothing can be written
    declared = notebook_parameters(nb_path)
    given = check_params(nb_path, dict(params or {}), declared=declared)
    given = absolutize_files(given)
    stem = report_stem(nb_path, given, name)
    check_values(nb_path, given, declared=declared)
    render_time()  # validates SOURCE_DATE_EPOCH before the kernel starts
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
    kc: Any = None,
) -> nbformat.NotebookNode:
    """Execute a prepared notebook with papermill; the second step of :func:`render`.

    With ``km_class`` (see :func:`kernel_manager_class`) papermill starts a fresh
    kernel; with ``km``, an already running kernel manager, the notebook runs on
    that kernel (papermill's engine ``cxlab-warm``, :mod:`cxlab.render.engine`), through
    ``kc`` when given (a ready async client of ``km``, left open). A cell
    that raises keeps ``<name>.failed.ipynb`` and raises the :class:`RenderError`
    :func:`render` documents.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb_path = job.nb_path
    engine: dict[str, Any] = {"kernel_manager_class": km_class}
    if km is not None:
        engine = {"engine_name": register_engine(), "km": km, "kc": kc}
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
                # papermill writes the whole notebook (figures included) at every cell's
                # start and end when asked to; nothing reads those copies: a failing
                # cell still writes the notebook before raising, and the final one is
                # written once (a third of the render's own CPU went to the copies)
                request_save_on_cell_execute=False,
                execution_timeout=timeout,
                **engine,
            )
        except PapermillExecutionError as exc:
            failed = None
            if executed_path.is_file():
                failed = nbformat.read(executed_path, as_version=4)
            if exc.ename == "TooLittleData" and failed is not None:
                # too little data for the rest: a report that says so, not a failure
                return stop_early(failed, exc.evalue, nb_path)
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
        make_deterministic(failed, str(job.nb_path))
        try:
            job.out.mkdir(parents=True, exist_ok=True)
            path = job.failed_path
            os.replace(atomic_write(path, notebook_bytes(failed)), path)
            kept = f" The executed notebook with the full traceback is kept at {path}."
        except OSError as err:
            kept = f" The executed notebook could not be kept ({err.strerror or err})."
    return RenderError(
        f"Notebook {job.nb_path} failed: {where}.{kept} "
        f"No report was written; any earlier {job.html_path.name} is left unchanged."
    )


_NO_TITLE = object()


def finish(job: Prepared, executed: nbformat.NotebookNode, *, kernel_name: str = "python3") -> Path:
    """Clean up, add provenance, export, check offline and write; the last step of :func:`render`."""
    nb_path, given = job.nb_path, job.given
    shown = shown_values(job.declared, given)  # as the notebook saw them
    make_deterministic(executed, str(nb_path))
    executed.cells.append(provenance_cell(nb_path, shown, given, executed, kernel_name))
    make_deterministic(executed, str(nb_path))  # number the provenance cell too

    describe_figures(executed)
    # the page title goes in the HTML only; nbconvert exports its own deep copy
    own_title = executed.metadata.get("title", _NO_TITLE)
    executed.metadata["title"] = report_title(executed, nb_path, given)
    try:
        body = export_html(executed)
    except Exception as exc:
        raise RenderError(f"nbconvert could not export {nb_path} to HTML: {exc}") from exc
    finally:
        if own_title is _NO_TITLE:
            del executed.metadata["title"]
        else:
            executed.metadata["title"] = own_title
    remote = find_remote_resources(body)
    if remote:
        raise RenderError(
            f"The report for {nb_path} would load files from the network when opened "
            f"({'; '.join(remote[:5])}). Embed these resources (e.g. display images from "
            "local files) so the report is self-contained."
        )
    write_report(job, notebook_bytes(executed), body.encode("utf-8"))
    return job.html_path
