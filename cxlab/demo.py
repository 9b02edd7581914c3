"""``cxlab demo``: demo data -> warehouse -> report pack -> index page.

What ``make demo`` runs. It generates the demo company (:mod:`cxlab.synth`),
builds its own DuckDB warehouse atomically (:func:`cxlab.warehouse.build_from_dir`;
``data/demo/cxlab.duckdb``, never a warehouse it did not build, see :func:`replaceable`),
and renders its report pack with :func:`cxlab.pack.pack` (the company report and
one per business unit for the latest quarter, the company-wide analyses, and
``reports/index.html``).
"""

from __future__ import annotations

from pathlib import Path

from cxlab import warehouse
from cxlab.errors import CxlabError
from cxlab.pack import ANALYSES, slug

__all__ = ["ANALYSES", "CREATED_BY", "DEMO_DB", "build", "replaceable", "run", "slug"]

DEMO_DB = Path("data/demo/cxlab.duckdb")
CREATED_BY = "cxlab demo"


def replaceable(db: Path) -> str | None:
    """``None`` if the demo may (re)build ``db``, else why not.

    The demo replaces only a warehouse it built itself (marked ``created_by =
    'cxlab demo'`` in ``cxlab_meta.info``) into which nothing was loaded since.
    """
    db = Path(db)
    if not db.exists():
        return None
    try:
        meta = warehouse.info(db)
        log = warehouse.loads(db)
    except CxlabError as exc:
        return str(exc)
    if meta.get("created_by") != CREATED_BY:
        n = len(log)
        return f"{db} is a warehouse that cxlab demo did not create" + (
            f" ({n} load{'s' if n != 1 else ''} recorded)" if n else ""
        )
    built = int(meta.get("built_through_load", "0"))
    later = log[log["load_id"] > built]
    if len(later):
        return (
            f"{db} was built by cxlab demo, but {len(later)} load(s) were added to it since "
            f"(load ids {', '.join(map(str, later['load_id']))})"
        )
    return None


def build(
    db: Path = DEMO_DB,
    *,
    n_responses: int = 60_000,
    seed: int = 2026,
    data_dir: Path | None = None,
    force: bool = False,
) -> Path:
    """Generate the demo company and build its warehouse; return the warehouse path.

    Parameters
    ----------
    db : Path
        Warehouse file to build (default ``data/demo/cxlab.duckdb``, never the
        ingest default). An existing file is replaced only if the demo built it
        and nothing was loaded into it since (:func:`replaceable`); otherwise
        only with ``force``, and then a backup is kept next to it.
    n_responses, seed : int
        Size and seed of the demo data.
    data_dir : Path, optional
        Where the generated Parquet files go (default: ``<db folder>/source``).
    force : bool
        Replace a warehouse the demo did not build (after a backup).

    Raises
    ------
    CxlabError
        If ``db`` holds data the demo did not create and ``force`` is false.
    """
    from cxlab import synth

    db = Path(db).resolve()
    reason = replaceable(db)
    if reason and not force:
        raise CxlabError(
            f"{reason}; cxlab demo will not replace it. The demo builds its own warehouse "
            f"({DEMO_DB}) unless you pass --db: choose another path, or add --force to "
            "replace this one (a backup copy is kept next to it)."
        )
    data_dir = Path(data_dir) if data_dir else db.parent / "source"
    print(f"Generating demo data ({n_responses:,} responses, seed {seed}) in {data_dir} ...")
    synth.generate(data_dir, n_responses=n_responses, seed=seed, progress=True)
    if reason and db.exists():
        print(f"Kept a backup of the replaced warehouse: {warehouse.backup(db)}")
    print(f"Building the warehouse {db} ...")
    warehouse.build_from_dir(data_dir, db, created_by=CREATED_BY, replace=True)
    return db


def run(
    *,
    db: Path = DEMO_DB,
    out_dir: Path = Path("reports"),
    n_responses: int = 60_000,
    seed: int = 2026,
    data_dir: Path | None = None,
    units: list[str] | None = None,
    workers: int = 2,
    force: bool = False,
) -> Path:
    """Build the demo warehouse (:func:`build`) and render its pack; return ``index.html``.

    ``units`` renders only these units (default: every unit); ``workers`` is the
    number of reports rendered at once, each in its own process and kernel. The
    pack is :func:`cxlab.pack.pack`, as ``cxlab pack`` makes it for any warehouse.
    """
    from cxlab.pack import pack

    db = build(db, n_responses=n_responses, seed=seed, data_dir=data_dir, force=force)
    return pack(db, units=units, out_dir=out_dir, jobs=workers)
