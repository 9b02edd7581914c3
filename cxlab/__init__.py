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
"""

import warnings as _warnings

from cxlab.errors import CxlabError, RenderError, ValidationError
from cxlab.key_drivers import drivers
from cxlab.metrics import ces, csat, nps
from cxlab.stats import base_flag, nps_counts, nps_diff, nps_moe, nps_sample_size

__version__ = "0.1.0"

# ibis 12 asks pandas 3 about an option pandas deprecated, and calls a DuckDB
# method that DuckDB 1.5 deprecated; both are harmless and would otherwise clutter
# every notebook and report with warnings the analyst can do nothing about.
_warnings.filterwarnings("ignore", message="The 'future.infer_string' option is deprecated")
_warnings.filterwarnings("ignore", message=r"fetch_arrow_table\(\) is deprecated")

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
