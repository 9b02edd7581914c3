"""The DuckDB warehouse: open it, load exports into it, correct and undo loads.

- :mod:`~cxlab.warehouse.store`: open (:func:`connect`), create, version and
  back up a warehouse file;
- :mod:`~cxlab.warehouse.spec`: how to read one export (:class:`LoadSpec`,
  saved and reused as a YAML mapping file);
- :mod:`~cxlab.warehouse.readers`: survey-platform exports as they come
  (Qualtrics, SurveyMonkey, CSV, Excel, SPSS, Parquet);
- :mod:`~cxlab.warehouse.validate`: the table rules, checked in DuckDB;
- :mod:`~cxlab.warehouse.loading`: :func:`ingest`, :func:`unload`, :func:`loads`
  and :func:`build_from_dir`.
"""

from cxlab.warehouse.loading import IngestReport, build_from_dir, ingest, loads, unload
from cxlab.warehouse.spec import FORMATS, LoadSpec, parse_mapping
from cxlab.warehouse.store import (
    DEFAULT_DB,
    backup,
    connect,
    create,
    data_fingerprint,
    info,
    table,
)

__all__ = [
    "DEFAULT_DB",
    "FORMATS",
    "IngestReport",
    "LoadSpec",
    "backup",
    "build_from_dir",
    "connect",
    "create",
    "data_fingerprint",
    "info",
    "ingest",
    "loads",
    "parse_mapping",
    "table",
    "unload",
]
