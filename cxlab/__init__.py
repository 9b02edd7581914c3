"""cxlab: customer-experience metrics with honest uncertainty.

The top-level API (other modules, notebooks and tests rely on these names):

- :func:`nps`, :func:`csat`, :func:`ces` -- metrics by group from a pandas
  DataFrame or an Ibis table (aggregated in the engine);
- :func:`drivers` -- key driver analysis (relative weights, Shapley/LMG,
  dominance) from a correlation matrix computed in the engine; the module's
  other tools are in :mod:`cxlab.key_drivers`;
- :func:`nps_counts`, :func:`nps_diff`, :func:`nps_moe`,
  :func:`nps_sample_size` -- inference on summaries;
- :mod:`cxlab.warehouse` (DuckDB via Ibis), :mod:`cxlab.synth` (demo data with
  planted truth), :mod:`cxlab.render` (papermill + nbconvert reports),
  :mod:`cxlab.plots` (axes-level charts).

``import cxlab`` is cheap and changes nothing in the interpreter: the functions
and submodules above are imported on first use (PEP 562 module ``__getattr__``,
the Scientific Python SPEC 1 pattern), so the command line and ``import cxlab``
do not pay for pandas, Ibis, SciPy and statsmodels until they are needed.
"""

from __future__ import annotations

import importlib
import pkgutil as _pkgutil
from typing import TYPE_CHECKING, Any

from cxlab.errors import CxlabError, RenderError, ValidationError

__version__ = "0.1.0"

#: Public function -> the submodule defining it (imported on first access).
_LAZY_FUNCTIONS = {
    "drivers": "key_drivers",
    "ces": "metrics",
    "csat": "metrics",
    "nps": "metrics",
    "base_flag": "stats",
    "nps_counts": "stats",
    "nps_diff": "stats",
    "nps_moe": "stats",
    "nps_sample_size": "stats",
}

#: Submodules reachable as ``cxlab.<name>`` without importing them first: every public
#: module of the package (listed from its folder, so a new module needs no entry here).
_SUBMODULES = frozenset(
    m.name for m in _pkgutil.iter_modules(__path__) if not m.name.startswith("_")
)

if TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from cxlab import cli as cli
    from cxlab import demo as demo
    from cxlab import errors as errors
    from cxlab import journey as journey
    from cxlab import key_drivers as key_drivers
    from cxlab import metrics as metrics
    from cxlab import outcomes as outcomes
    from cxlab import plots as plots
    from cxlab import render as render
    from cxlab import report as report
    from cxlab import retention as retention
    from cxlab import schema as schema
    from cxlab import stats as stats
    from cxlab import synth as synth
    from cxlab import value as value
    from cxlab import warehouse as warehouse
    from cxlab.key_drivers import drivers
    from cxlab.metrics import ces, csat, nps
    from cxlab.stats import base_flag, nps_counts, nps_diff, nps_moe, nps_sample_size


def __getattr__(name: str) -> Any:
    """Import a public function's or submodule's module the first time it is used."""
    if name in _LAZY_FUNCTIONS:
        value = getattr(importlib.import_module(f"cxlab.{_LAZY_FUNCTIONS[name]}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"cxlab.{name}")  # binds cxlab.<name> itself
    raise AttributeError(f"module 'cxlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names and submodules (so tab completion offers them unimported)."""
    return sorted(set(__all__) | _SUBMODULES)


__all__ = [
    "CxlabError",
    "RenderError",
    "ValidationError",
    "__version__",
    "base_flag",
    "ces",
    "csat",
    "drivers",
    "nps",
    "nps_counts",
    "nps_diff",
    "nps_moe",
    "nps_sample_size",
]
