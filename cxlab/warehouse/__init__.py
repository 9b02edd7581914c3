"""The warehouse, a DuckDB file or a server by URL: open it, load into it, undo loads.

- :mod:`~cxlab.warehouse.store`: open (:func:`connect`), create, version and
  back up a warehouse file;
- :mod:`~cxlab.warehouse.spec`: how to read one export (:class:`LoadSpec`,
  saved and reused as a YAML mapping file);
- :mod:`~cxlab.warehouse.sniff`: an export's format, encoding, delimiter and
  header rows;
- :mod:`~cxlab.warehouse.readers`: survey-platform exports as they come
  (Qualtrics, SurveyMonkey, CSV, Excel, SPSS, Parquet);
- :mod:`~cxlab.warehouse.validate`: the table rules, checked in DuckDB;
- :mod:`~cxlab.warehouse.loading`: :func:`ingest` and :func:`build_from_dir`;
  :mod:`~cxlab.warehouse.writes`: keys, conflicts and updates inside its
  transaction; :mod:`~cxlab.warehouse.ingest_report`: :class:`IngestReport`;
- :mod:`~cxlab.warehouse.unloading`: :func:`loads` and :func:`unload`;
- :mod:`~cxlab.warehouse.backends`: PostgreSQL, Spark and other servers by URL
  (:func:`copy_warehouse`, :func:`fingerprint`); :mod:`~cxlab.warehouse.postgres`:
  PostgreSQL's COPY.
"""

from cxlab.warehouse.backends import copy_warehouse, fingerprint, fingerprint_text
from cxlab.warehouse.ingest_report import IngestReport
from cxlab.warehouse.loading import build_from_dir, ingest
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
from cxlab.warehouse.unloading import loads, unload

__all__ = [
    "DEFAULT_DB",
    "FORMATS",
    "IngestReport",
    "LoadSpec",
    "backup",
    "build_from_dir",
    "connect",
    "copy_warehouse",
    "create",
    "data_fingerprint",
    "fingerprint",
    "fingerprint_text",
    "info",
    "ingest",
    "loads",
    "parse_mapping",
    "table",
    "unload",
]
