"""``cxlab demo``: demo data -> warehouse -> quarterly report pack -> index page.

What ``make demo`` runs. It generates the demo company (:mod:`cxlab.synth`),
builds its own DuckDB warehouse atomically (:func:`cxlab.warehouse.build_from_dir`;
``data/demo/cxlab.duckdb``, never a warehouse it did not build, see :func:`replaceable`),
renders the company report and one report per business unit for the latest
quarter plus the company-wide analyses (:data:`ANALYSES`), each in its own kernel
process, two at a time, and writes ``reports/index.html`` linking each report
with its headline NPS.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from html import escape
from pathlib import Path

from tqdm.auto import tqdm

from cxlab import warehouse
from cxlab.errors import CxlabError
from cxlab.metrics import nps
from cxlab.report import fmt_nps, latest_quarter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
QUARTERLY = NOTEBOOKS / "quarterly_report.ipynb"


def slug(text: str) -> str:
    """File-name-safe form of a unit name: ``'UK & Ireland'`` -> ``'uk-ireland'``."""
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in out.split("-") if part)


#: Company-wide analyses in the pack: notebook, output stem, title, blurb.
ANALYSES = (
    (
        "nps_outcomes.ipynb",
        "nps-outcomes",
        "Does NPS move the business?",
        "CX metrics against new customers, revenue, margin and market share: lagged "
        "correlations, fixed-effects panel regression, Granger tests, a horse race of "
        "metrics, and what customers did after they answered.",
    ),
    (
        "drivers.ipynb",
        "drivers",
        "What drives the experience",
        "Key driver analysis of the relationship battery (relative weights, Shapley) "
        "with bootstrap intervals, and the importance-performance chart.",
    ),
    (
        "journey_case_study.ipynb",
        "journey-product-launch",
        "Journey case study: a product launch",
        "Touch points scored on their operational and relationship goals, how the "
        "aggregate masks the weak ones, path analysis and channel consistency.",
    ),
)


def report_jobs(db: Path, quarter: str, units: list[str], level: float = 0.95) -> list[dict]:
    """The pack: the company's and each unit's quarterly report, then the analyses."""
    jobs = []
    for unit in ["ALL", *units]:
        name = f"quarterly-{'company' if unit == 'ALL' else slug(unit)}-{quarter}"
        params = {"quarter": quarter, "unit": unit, "warehouse": str(db), "level": level}
        jobs.append({"notebook": QUARTERLY, "params": params, "name": name, "unit": unit})
    for notebook, stem, title, blurb in ANALYSES:
        params = {"warehouse": str(db), "level": level}
        jobs.append(
            {
                "notebook": NOTEBOOKS / notebook,
                "params": params,
                "name": f"{stem}-{quarter}",
                "title": title,
                "blurb": blurb,
            }
        )
    return jobs


def _render_one(job: dict, out_dir: Path) -> Path:
    from cxlab import render

    return render.render(job["notebook"], job["params"], out_dir=out_dir, name=job["name"])


def write_index(
    out_dir: Path, quarter: str, rows: list[dict], analyses: list[dict] | None = None
) -> Path:
    """Write ``index.html``: one line per report with its headline NPS and interval.

    ``rows`` hold ``label, href, nps, low, high, n, flag``; ``analyses`` hold
    ``title, href, blurb``. Every value is HTML-escaped; the page loads nothing
    from the network.
    """
    items = []
    for r in rows:
        caution = "" if r["flag"] == "reportable" else f" <em>({escape(r['flag'])} base)</em>"
        items.append(
            f'<tr><td><a href="{escape(r["href"])}">{escape(r["label"])}</a></td>'
            f'<td class="num">{escape(fmt_nps(r["nps"]))}</td>'
            f'<td class="num">{escape(fmt_nps(r["low"]))} to {escape(fmt_nps(r["high"]))}</td>'
            f'<td class="num">{r["n"]:,}</td><td>{caution}</td></tr>'
        )
    extra = "".join(
        f'<li><a href="{escape(a["href"])}">{escape(a["title"])}</a>: {escape(a["blurb"])}</li>'
        for a in analyses or []
    )
    analyses_html = f"<h2>Analyses</h2>\n<ul>{extra}</ul>" if extra else ""
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>cxlab quarterly pack {escape(quarter)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ padding: .4rem .7rem; border-bottom: 1px solid #ddd; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
</style></head>
<body>
<h1>Customer experience reports, {escape(quarter)}</h1>
<p>Headline NPS with its 95% interval (adjusted Wald). Open a report for the
trend, the touch points and channels behind the number, and CSAT and CES.</p>
<table><thead><tr><th>Report</th><th>NPS</th><th>95% interval</th><th>Responses</th><th></th>
</tr></thead><tbody>
{chr(10).join(items)}
</tbody></table>
{analyses_html}
</body></html>
"""
    path = out_dir / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path


DEMO_DB = Path("data/demo/cxlab.duckdb")
CREATED_BY = "cxlab demo"


def replaceable(db: Path) -> str | None:
    """``None`` if the demo may (re)build ``db``, else why not.

    The demo replaces only a warehouse it built itself (marked ``created_by =
    'cxlab demo'`` in ``cxlab.info``) into which nothing was loaded since.
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
    """Build the demo warehouse (:func:`build`) and render the pack; return ``index.html``.

    ``units`` renders only these units (default: every unit); ``workers`` is the
    number of reports rendered at once, each in its own process and kernel.
    """
    db = build(db, n_responses=n_responses, seed=seed, data_dir=data_dir, force=force)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    con = warehouse.connect(db)
    responses = con.table("responses")
    quarter = latest_quarter(responses)
    current = responses.filter(responses.quarter == quarter)
    all_units = sorted(current.select("unit").distinct().to_pandas()["unit"])
    chosen = all_units if units is None else [u for u in all_units if u in units]
    by_unit = nps(current, "ltr", by="unit").set_index("unit")
    company = nps(current, "ltr").iloc[0]
    con.disconnect()

    jobs = report_jobs(db, quarter, chosen)
    print(f"Rendering {len(jobs)} reports for {quarter} ...")
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        # the analyses take longest: start them first
        order = sorted(range(len(jobs)), key=lambda i: "unit" in jobs[i])
        futures = {i: pool.submit(_render_one, jobs[i], out_dir) for i in order}
        for i in tqdm(order, desc="reports", unit="report"):
            futures[i].result()
        paths = [futures[i].result() for i in range(len(jobs))]

    rows, analyses = [], []
    for job, path in zip(jobs, paths, strict=True):
        if "unit" not in job:
            analyses.append({"title": job["title"], "href": Path(path).name, "blurb": job["blurb"]})
            continue
        r = company if job["unit"] == "ALL" else by_unit.loc[job["unit"]]
        rows.append(
            {
                "label": "Company (all units)" if job["unit"] == "ALL" else job["unit"],
                "href": Path(path).name,
                "nps": r["nps"],
                "low": r["low"],
                "high": r["high"],
                "n": int(r["n"]),
                "flag": r["flag"],
            }
        )
    return write_index(out_dir, quarter, rows, analyses)
