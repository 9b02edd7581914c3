"""Warm kernels for report packs: :mod:`cxlab.render.pool`, importable here as before."""

from __future__ import annotations

from cxlab.render.pool import ENGINE, WARM_IMPORTS, WarmKernel, register_engine, render_many

__all__ = ["ENGINE", "WARM_IMPORTS", "WarmKernel", "register_engine", "render_many"]
