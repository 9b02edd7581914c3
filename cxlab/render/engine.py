"""The papermill engine ``cxlab-warm``: papermill's nbclient engine on a running kernel."""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["ENGINE", "register_engine"]

#: Name of the papermill engine that executes a notebook on a running kernel.
ENGINE = "cxlab-warm"


def register_engine() -> str:
    """Register the papermill engine :data:`ENGINE` (once) and return its name.

    The engine is papermill's nbclient engine given a running kernel manager
    (``km=``): nbclient connects a new client to that kernel, runs the cells
    and leaves the kernel running; the client is closed afterwards. Given a
    connected, ready async client too (``kc=``), nbclient uses it and leaves it
    open: connecting a client and waiting for the kernel to answer on it costs
    a few tenths of a second of idle time per report.
    """
    from papermill.engines import NBClientEngine, logger, papermill_engines
    from papermill.exceptions import PapermillException

    with contextlib.suppress(PapermillException):
        papermill_engines.get_engine(ENGINE)
        return ENGINE

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            execution_timeout: int | None = None,
            km: Any = None,
            kc: Any = None,
            **unused: Any,  # input_path, start_timeout: the kernel is running
        ) -> Any:
            from papermill.clientwrap import PapermillNotebookClient

            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client.kc = kc  # a plain attribute (None: nbclient connects a client of its own)
            try:
                return client.execute()
            finally:
                # nbclient leaves its client open when it does not own km; a client
                # given as kc= belongs to the caller
                if kc is None and client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, WarmEngine)
    return ENGINE
