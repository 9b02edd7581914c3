"""Render a parameterized notebook to one self-contained, reproducible HTML report.

The pipeline is papermill (execute) -> clean-up and provenance -> nbconvert (export):

1. The notebook's ``parameters``-tagged cell is read with
   :func:`papermill.inspect_notebook`; given values are converted to the type of
   each default and unknown names are refused *before* any kernel starts
   (papermill itself only warns). So are values that break the checks the
   notebook declares in its ``parameters`` cell's metadata (``cxlab.checks``:
   quarters and units present in the warehouse, levels in (0, 1), counts,
   case files; see :func:`check_values`), an output folder that cannot be
   written and a report name that would collide with a failure notebook.
2. :func:`papermill.execute_notebook` runs it in a fresh kernel whose working
   directory is **the notebook's own folder** (so a notebook's relative paths,
   such as ``warehouse = "../data/cxlab.duckdb"``, mean the same thing whoever
   renders it). A string value that names an existing file relative to the
   caller's working directory is passed as an absolute path, so
   ``cxlab render notebooks/x.ipynb -p warehouse=data/cxlab.duckdb`` from the
   repository root works too.
3. Timing metadata are stripped, cell ids renumbered, pandas Styler ids made
   deterministic and a "Provenance" section appended; nbconvert's ``lab``
   template, with every CDN script removed (``cxlab/templates/cxlab_report``),
   exports one HTML file with code hidden and figures inline.
4. The executed ``.ipynb`` and the ``.html`` are written to temporary files in
   the output folder and moved into place with :func:`os.replace` only when both
   are complete: a failing render never replaces an earlier good report.

With ``SOURCE_DATE_EPOCH`` set (https://reproducible-builds.org/specs/source-date-epoch/),
rendering the same notebook with the same parameters twice gives byte-identical
HTML.

One topic per module; every public name is importable from ``cxlab.render``:

- :mod:`~cxlab.render.params`: ``-p`` parsing, declared parameters, type conversion
- :mod:`~cxlab.render.checks`: declared value checks (warehouse quarters and
  units, levels, counts, cases, choices) and the output folder
- :mod:`~cxlab.render.kernel`: the kernel manager and the kernel's environment
- :mod:`~cxlab.render.execute`: :func:`prepare`, :func:`execute`, :func:`finish`
  and :func:`render`
- :mod:`~cxlab.render.export`: deterministic clean-up, title, figure alt text, nbconvert
- :mod:`~cxlab.render.provenance`: the provenance section, git state, versions, time
- :mod:`~cxlab.render.offline`: :func:`find_remote_resources`
- :mod:`~cxlab.render.output`: atomic writes of the report and failure notebooks
- :mod:`~cxlab.render.engine` and :mod:`~cxlab.render.pool`: warm kernels for packs
  (also importable as :mod:`cxlab.pool`)
"""

from __future__ import annotations

from cxlab.render.checks import CHECK_KINDS, check_out_dir, check_values, notebook_checks
from cxlab.render.execute import Prepared, execute, finish, prepare, render
from cxlab.render.export import REMOVE_CELL_TAGS, REMOVE_OUTPUT_TAGS, TEMPLATE_DIR
from cxlab.render.kernel import kernel_manager, kernel_manager_class
from cxlab.render.offline import find_remote_resources
from cxlab.render.params import check_params, notebook_parameters, parse_params
from cxlab.render.provenance import PROVENANCE_PACKAGES, git_state

__all__ = [
    "CHECK_KINDS",
    "PROVENANCE_PACKAGES",
    "REMOVE_CELL_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "TEMPLATE_DIR",
    "check_out_dir",
    "check_params",
    "check_values",
    "find_remote_resources",
    "git_state",
    "notebook_checks",
    "notebook_parameters",
    "execute",
    "finish",
    "kernel_manager",
    "kernel_manager_class",
    "parse_params",
    "prepare",
    "Prepared",
    "render",
]
