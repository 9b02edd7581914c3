"""Warm kernels: many reports, each its own executed notebook, without a kernel start each.

Starting a kernel and importing pandas, Ibis, DuckDB, matplotlib and SciPy
costs more than a small report's own work. A :class:`WarmKernel` starts one
kernel with the environment :func:`cxlab.render.render` gives its kernels,
imports the heavy modules once (:data:`WARM_IMPORTS`), and then renders reports
one after another. Each report is still one notebook executed by papermill (its
parameters injected by papermill's own parameterize step, cells run by nbclient
on the running kernel, papermill engine ``cxlab-warm``) and goes through the
same checks before execution and the same clean-up, provenance, offline check
and atomic writes after it (:func:`cxlab.render.prepare`,
:func:`cxlab.render.execute`, :func:`cxlab.render.finish`).

Before every report the kernel is brought back to the state of a fresh kernel:
all figures closed, the IPython user namespace and execution counter reset
(``InteractiveShell.reset(new_session=True)``, what ``%reset`` does and more),
matplotlib's rcParams, the warning filters and ``sys.path`` restored to what
they were after the warm-up imports, the working directory set to the
notebook's folder, and garbage collected (the modules of the warm-up are frozen
out of the collector, :func:`gc.freeze`, so this stays cheap). A report rendered by a warm kernel is
byte-identical to the same report rendered alone with
:func:`cxlab.render.render` (``SOURCE_DATE_EPOCH`` set). A report that fails
fails with the same message and keeps the same ``.failed.ipynb``; its kernel is
shut down and the next report gets a fresh one, as it does when a kernel dies.

:func:`render_many` runs several warm kernels at once, one per worker process.
"""

from __future__ import annotations

import contextlib
import multiprocessing.util
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, cast

from cxlab.errors import CxlabError, RenderError
from cxlab.render.engine import ENGINE, register_engine
from cxlab.render.execute import execute, finish, prepare
from cxlab.render.kernel import kernel_manager

__all__ = ["ENGINE", "WARM_IMPORTS", "WarmKernel", "register_engine", "render_many"]

#: Modules a warm kernel imports before its first report.
WARM_IMPORTS = (
    "IPython.display",
    "numpy",
    "pandas",
    "duckdb",
    "ibis",
    "ibis.backends.duckdb",
    "matplotlib.pyplot",
    "seaborn",
    # what the reports use of statsmodels; statsmodels.api (0.45 CPU s more per
    # kernel) is imported by the analyses that need it, on first use
    "statsmodels.stats.multitest",
    "statsmodels.stats.proportion",
    "scipy.stats",
    "cxlab",
    "cxlab.report",
    "cxlab.plots.core",
    "cxlab.warehouse",
)

_SETUP_TIMEOUT = 120  # seconds for the warm-up imports or a reset


# --------------------------------------------------------------------------- kernel side
# These two functions run inside the kernel (the kernel imports cxlab.render.pool).
_SAVED: dict[str, Any] = {}


def _kernel_warm(modules: Sequence[str]) -> None:
    """In the kernel: import ``modules`` and remember the state a report starts from."""
    import gc
    import importlib
    import sys
    import warnings

    for module in modules:
        importlib.import_module(module)
    import matplotlib

    gc.collect()
    gc.freeze()  # what the imports made is never scanned again: collections stay cheap

    _SAVED["rc"] = matplotlib.rcParams.copy()
    _SAVED["filters"] = list(warnings.filters)
    _SAVED["path"] = list(sys.path)


def _kernel_reset(cwd: str) -> None:
    """In the kernel: back to the state of a freshly warmed kernel, in folder ``cwd``."""
    import gc
    import sys
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    warnings.resetwarnings()  # also forgets which warnings were shown "once"
    cast(list[Any], warnings.filters).extend(_SAVED["filters"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated keys warn when set
        saved = _SAVED["rc"]
        matplotlib.rcParams.update({k: saved[k] for k in saved if k != "backend"})
    plt.close("all")
    get_ipython().reset(new_session=True)  # user namespace, Out, history, execution count
    sys.path[:] = _SAVED["path"]
    os.chdir(cwd)
    gc.collect()  # the namespace's cycles (reset collects before it drops the namespace)


# --------------------------------------------------------------------------- one warm kernel
class WarmKernel:
    """One running kernel that renders reports one after another.

    Parameters
    ----------
    kernel_name : str, default "python3"
        Jupyter kernel to run (as :func:`cxlab.render.render`).
    timeout : int or None, default 600
        Seconds allowed per cell.
    imports : sequence of str
        Modules imported once, before the first report (:data:`WARM_IMPORTS`).

    Attributes
    ----------
    kernels_started_ : int
        Kernels started so far (one, plus one after each failed report or dead kernel).
    reports_ : int
        Reports written.

    Examples
    --------
    >>> with WarmKernel() as kernel:  # doctest: +SKIP
    ...     for unit in ["Nordics", "Benelux"]:
    ...         kernel.render("notebooks/quarterly_report.ipynb", {"unit": unit})
    """

    def __init__(
        self,
        kernel_name: str = "python3",
        *,
        timeout: int | None = 600,
        imports: Sequence[str] = WARM_IMPORTS,
    ) -> None:
        self.kernel_name = kernel_name
        self.timeout = timeout
        self.imports = tuple(imports)
        self.kernels_started_ = 0
        self.reports_ = 0
        self._tmp = tempfile.TemporaryDirectory(prefix="cxlab-pool-")
        self._km: Any = None
        self._kc: Any = None  # blocking client for set-up code (warm-up, resets)
        self._akc: Any = None  # async client the notebooks run through (nbclient)

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, cwd: str | os.PathLike[str] | None = None) -> None:
        """Start and warm the kernel now (else the first report does)."""
        if self._km is None or not self._alive():
            self._start(Path(cwd or Path.cwd()).resolve())

    def render(
        self,
        notebook: str | os.PathLike[str],
        params: Mapping[str, object] | None = None,
        *,
        out_dir: str | os.PathLike[str] = "reports",
        name: str | None = None,
    ) -> Path:
        """Render one report on this kernel; as :func:`cxlab.render.render` in every other way."""
        job = prepare(notebook, params, out_dir=out_dir, name=name)
        cwd = job.nb_path.resolve().parent
        self._ready(cwd)
        try:
            executed = execute(
                job, kernel_name=self.kernel_name, timeout=self.timeout, km=self._km, kc=self._akc
            )
        except RenderError:
            self._stop()  # the next report gets a fresh kernel
            raise
        path = finish(job, executed, kernel_name=self.kernel_name)
        self.reports_ += 1
        return path

    def close(self) -> None:
        """Shut the kernel down and remove its temporary folder."""
        self._stop()
        self._tmp.cleanup()

    # ----------------------------------------------------------------------- internals
    def _alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self._km.is_alive)())
        except Exception:
            return False

    def _start(self, cwd: Path) -> None:
        from jupyter_core.utils import run_sync

        self._stop()
        km = kernel_manager(cwd, Path(self._tmp.name), self.kernel_name)
        try:
            run_sync(km.start_kernel)()
        except Exception as exc:
            raise RenderError(
                f"Kernel {self.kernel_name!r} could not be started: {type(exc).__name__}: {exc}."
            ) from exc
        self._km = km
        self.kernels_started_ += 1
        self._connect()
        self._run(f"import cxlab.render.pool as _p; _p._kernel_warm({list(self.imports)!r})")

    def _connect(self) -> None:
        """Connect the two clients every report on this kernel reuses; wait until it answers.

        A new client per report (as nbclient makes by default, and one per set-up
        step) waits for the kernel to answer on the new channels each time: tenths
        of a second of idle time per report, a fifth of a pack's wall time.
        """
        from jupyter_core.utils import run_sync

        try:
            # set-up code is silent: its shell reply is all it needs (no iopub backlog)
            self._kc = self._km.blocking_client()
            self._kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
            self._akc = self._km.client()
            self._akc.start_channels()
            run_sync(self._akc.wait_for_ready)(timeout=_SETUP_TIMEOUT)
            self._akc.allow_stdin = False
        except Exception as exc:  # dead kernel, timeout
            raise RenderError(
                f"Kernel {self.kernel_name!r} stopped answering while being prepared for "
                f"a report: {type(exc).__name__}: {exc}."
            ) from exc

    def _ready(self, cwd: Path) -> None:
        """A live kernel in the state of a fresh one, working in ``cwd``."""
        if self._km is None or not self._alive():
            self._start(cwd)
        try:
            self._run(f"import cxlab.render.pool as _p; _p._kernel_reset({str(cwd)!r})")
        except RenderError:
            self._start(cwd)  # died meanwhile: one more try on a new kernel
            self._run(f"import cxlab.render.pool as _p; _p._kernel_reset({str(cwd)!r})")

    def _run(self, code: str) -> None:
        """Run set-up code silently (no output, no history, no execution count)."""
        try:
            reply = self._reply(
                self._kc.execute(code, silent=True, store_history=False, allow_stdin=False)
            )
        except Exception as exc:  # dead kernel, timeout
            raise RenderError(
                f"Kernel {self.kernel_name!r} stopped answering while being prepared for "
                f"a report: {type(exc).__name__}: {exc}."
            ) from exc
        content = reply["content"]
        if content.get("status") != "ok":
            raise RenderError(
                f"Kernel {self.kernel_name!r} could not be prepared for a report: "
                f"{content.get('ename')}: {content.get('evalue')}."
            )

    def _reply(self, msg_id: str) -> dict[str, Any]:
        """The shell reply to ``msg_id``; checks every second that the kernel still lives."""
        import queue

        deadline = time.monotonic() + _SETUP_TIMEOUT
        while True:
            try:
                msg = cast(dict[str, Any], self._kc.get_shell_msg(timeout=1))
            except queue.Empty:
                if not self._alive():
                    raise RuntimeError("the kernel died") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no reply in {_SETUP_TIMEOUT} s") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def _stop(self) -> None:
        from jupyter_core.utils import run_sync

        km, self._km = self._km, None
        for client in (self._kc, self._akc):
            if client is not None:
                with contextlib.suppress(Exception):
                    client.stop_channels()
        self._kc = self._akc = None
        if km is not None:
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=False)


# --------------------------------------------------------------------------- several at once
_WORKER: WarmKernel | None = None


def _worker_start(kernel_name: str, timeout: int | None, cwd: str) -> None:
    global _WORKER
    _WORKER = WarmKernel(kernel_name, timeout=timeout)
    # worker processes end through multiprocessing, which runs these, not atexit
    multiprocessing.util.Finalize(_WORKER, _WORKER.close, exitpriority=10)
    with contextlib.suppress(CxlabError):
        _WORKER.start(cwd)  # warm while the other workers warm; a failure shows per report


def _worker_render(request: Mapping[str, Any]) -> Path:
    assert _WORKER is not None
    return _WORKER.render(
        request["notebook"],
        request.get("params"),
        out_dir=request.get("out_dir", "reports"),
        name=request.get("name"),
    )


def render_many(
    requests: Sequence[Mapping[str, Any]],
    *,
    workers: int = 2,
    kernel_name: str = "python3",
    timeout: int | None = 600,
) -> Iterator[tuple[int, Path | CxlabError]]:
    """Render many reports on ``workers`` warm kernels; yield results as they finish.

    Parameters
    ----------
    requests : sequence of mapping
        One per report: ``notebook`` and optionally ``params``, ``out_dir``
        and ``name``, the arguments of :func:`cxlab.render.render`.
    workers : int, default 2
        Reports rendered at once, each worker process with its own warm kernel.
    kernel_name : str, default "python3"
        Jupyter kernel to run.
    timeout : int or None, default 600
        Seconds allowed per cell.

    Yields
    ------
    (int, pathlib.Path or CxlabError)
        The request's position and its HTML report, or the error that stopped
        it (the message :func:`cxlab.render.render` would give). A failure does
        not stop the others.

    Examples
    --------
    >>> reqs = [{"notebook": "notebooks/quarterly_report.ipynb", "params": {"unit": u}}
    ...         for u in ["Nordics", "Benelux"]]
    >>> results = dict(render_many(reqs, workers=2))  # doctest: +SKIP
    """
    if not requests:
        return
    cwd = str(Path(requests[0]["notebook"]).resolve().parent)
    workers = max(1, min(workers, len(requests)))
    init = (kernel_name, timeout, cwd)
    with ProcessPoolExecutor(workers, initializer=_worker_start, initargs=init) as pool:
        futures = {pool.submit(_worker_render, dict(r)): i for i, r in enumerate(requests)}
        for fut in as_completed(futures):
            try:
                yield futures[fut], fut.result()
            except CxlabError as exc:
                yield futures[fut], exc
