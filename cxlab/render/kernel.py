"""The kernels reports run on: fixed environment, started in the notebook's folder.

The kernel gets ``PYTHONHASHSEED``, ``TZ=UTC``, ``LC_ALL=C.UTF-8``, a
matplotlibrc fixing ``svg.hashsalt`` and the inline figure backend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["kernel_env", "kernel_manager", "kernel_manager_class"]


def kernel_env(tmp: Path) -> dict[str, str]:
    """Environment overrides for the kernel: fixed hash seed, time zone, locale, SVG ids."""
    rc = tmp / "matplotlibrc"
    # svg.hashsalt fixes the SVG element ids; SOURCE_DATE_EPOCH (inherited) fixes
    # the SVG/PDF date (matplotlib.backends.backend_svg). PNG carries no date.
    rc.write_text("svg.hashsalt: cxlab\n", encoding="utf-8")
    env = {
        "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"),
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "MATPLOTLIBRC": str(rc),
        # figures must reach the notebook inline, whatever MPLBACKEND the caller
        # has (MPLBACKEND=Agg, common on servers and in CI, would drop them all)
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    return env


def _has_curve() -> bool:
    try:
        import zmq

        return bool(zmq.has("curve"))
    except Exception:  # pragma: no cover - pyzmq is a jupyter_client dependency
        return False


def kernel_manager_class(cwd: Path, env: Mapping[str, str]) -> type:
    """A kernel manager that starts the kernel in ``cwd`` with ``env`` added.

    papermill's own ``cwd=`` changes the *calling process's* directory while the
    notebook runs; passing the directory to the kernel launch instead keeps
    concurrent renders (threads) independent.
    """
    from jupyter_client.manager import AsyncKernelManager

    class _CxlabKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            merged = dict(kw.pop("env", None) or os.environ)
            merged.update(env)
            kw["env"] = merged
            kw["cwd"] = str(cwd)
            if kw.get("transport_encryption") is None and _has_curve():
                # Encrypt kernel traffic when both sides can (ipykernel otherwise
                # warns on stderr that it runs over plain TCP).
                kw["transport_encryption"] = "auto"
            return await super()._async_pre_start_kernel(**kw)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts (SIGINT) the kernel before asking it to shut
            # down; when the signal lands while ipykernel handles a message it logs
            # "KeyboardInterrupt caught in kernel" on our stderr after a good run.
            # nbclient shuts the kernel down only once it is done with it, and a
            # kernel that ignores the shutdown request is still terminated, then
            # killed (shutdown_wait_time). Interrupts asked for explicitly go
            # through ``interrupt_kernel``, which this does not change.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return _CxlabKernelManager


def kernel_manager(cwd: Path, tmp: Path, kernel_name: str = "python3") -> Any:
    """A kernel manager (not started) for ``kernel_name`` with the environment of
    :func:`cxlab.render.render`'s kernels, working in ``cwd``; ``tmp`` holds its matplotlibrc and
    must outlive the kernel. Used by :class:`cxlab.render.pool.WarmKernel`."""
    return kernel_manager_class(cwd, kernel_env(tmp))(kernel_name=kernel_name)
