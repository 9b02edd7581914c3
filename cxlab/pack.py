"""``cxlab pack``: the report pack of any warehouse, with an index page.

:func:`pack` renders, for one quarter (or several), the company's and each unit's quarterly
report and every analysis (:data:`ANALYSES`) whose tables hold data, a few at a
time on warm kernels (:mod:`cxlab.pool`: started and warmed once, reset between
reports, each report its own executed notebook); it then writes ``index.html``: per unit the NPS
with its interval, the change from the previous quarter and whether it is
significant, a 12-quarter sparkline and the base flag; links to the analyses;
and, for every analysis it could not run, the reason and the command that would
fix it. ``cxlab demo`` is :func:`cxlab.demo.build` followed by :func:`pack`.
The index page itself (rows, sparklines, HTML) is :mod:`cxlab.pack_index`;
:func:`sparkline_svg` and :func:`write_index` are importable from here too.

Every value on the index is HTML-escaped; the page loads nothing (the
sparklines are inline SVG).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxlab.errors import CxlabError
from cxlab.pack_index import index_rows, sparkline_svg, write_index

__all__ = [
    "ANALYSES",
    "Analysis",
    "pack",
    "slug",
    "sparkline_svg",
    "summary_path",
    "write_index",
]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
QUARTERLY = NOTEBOOKS / "quarterly_report.ipynb"


@dataclass(frozen=True)
class Analysis:
    """A company-wide analysis of the pack and the tables it needs."""

    notebook: str
    stem: str
    title: str
    blurb: str
    needs: tuple[str, ...]


ANALYSES = (
    Analysis(
        "nps_outcomes.ipynb",
        "nps-outcomes",
        "Does NPS move the business?",
        "CX metrics against new customers, revenue, margin and market share: lagged "
        "correlations, fixed-effects panel regression, Granger tests, a horse race of "
        "metrics, and what customers did after they answered.",
        ("outcomes", "customers", "transactions"),
    ),
    Analysis(
        "drivers.ipynb",
        "drivers",
        "What drives the experience",
        "Key driver analysis of the relationship battery (relative weights, Shapley) "
        "with bootstrap intervals, and the importance-performance chart.",
        ("attribute_ratings",),
    ),
    Analysis(
        "journey_case_study.ipynb",
        "journey-product-launch",
        "Journey case study: a product launch",
        "Touch points scored on their operational and relationship goals, how the "
        "aggregate masks the weak ones, path analysis and channel consistency.",
        ("interactions", "touchpoints", "customers"),
    ),
    Analysis(
        "retention_value.ipynb",
        "retention-value",
        "Retention and customer value",
        "Churn and retention by quarter and cohort, time to churn after a survey by LTR "
        "category, the margin at risk from detractors, and customer lifetime value.",
        ("customers", "transactions"),
    ),
    Analysis(
        "voice_of_customer.ipynb",
        "voice-of-customer",
        "Voice of the customer",
        "The verbatims coded with the analyst's codeframe: how many respondents mention "
        "each theme, the NPS of those who do against the others', and each theme's NPS "
        "impact with its interval, by touch point.",
        ("responses",),
    ),
)


def slug(text: str) -> str:
    """File-name-safe form of a unit name: ``'UK & Ireland'`` -> ``'uk-ireland'``.

    Examples
    --------
    >>> slug("UK & Ireland")
    'uk-ireland'
    """
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in out.split("-") if part) or "unit"


def _table_counts(con: Any) -> dict[str, int]:
    from cxlab.schema import TABLES

    out = {}
    for name in TABLES:
        try:
            out[name] = int(con.table(name).count().execute())
        except Exception:  # a table the warehouse does not have
            out[name] = 0
    return out


def pack(
    db: Path | str,
    *,
    quarter: str | Sequence[str] = "latest",
    units: list[str] | None = None,
    out_dir: Path | str = "reports",
    jobs: int = 2,
    level: float = 0.95,
    pdf: bool = False,
    progress: bool = True,
) -> Path:
    """Render the report pack of warehouse ``db`` and write ``index.html``; return its path.

    Parameters
    ----------
    db : path
        The warehouse.
    quarter : str or sequence of str
        ``'YYYYQn'`` or ``"latest"`` (the warehouse's most recent quarter); several
        quarters make one pack of them all, rendered on the same warm kernels: the
        quarterly reports of each, the analyses once, and an index for the latest
        quarter that links the earlier quarters' reports.
    units : list of str, optional
        Units to report on (default: every unit with responses that quarter).
    out_dir : path
        Where the reports and the index go (checked writable first; created only
        once a report or the index is written).
    jobs : int
        Reports rendered at once: that many warm kernels
        (:func:`cxlab.pool.render_many`), each started and warmed once and
        reset between reports.
    level : float
        Confidence level of every interval and test.
    pdf : bool
        Also print each report to PDF with headless Chromium.
    progress : bool
        Show a progress bar that advances as reports finish (when stderr is a terminal).

    Raises
    ------
    CxlabError
        Unknown quarter or unit, a level outside (0, 1), no responses, an
        unwritable ``out_dir`` (the checks of :func:`cxlab.render.check_values`
        and :func:`cxlab.render.check_out_dir`, before any kernel starts), or a
        report that failed to render (the others are still written).

    Examples
    --------
    >>> pack("data/demo/cxlab.duckdb", quarter=["2026Q2", "2026Q3"])  # doctest: +SKIP
    PosixPath('reports/index.html')
    """
    from cxlab import render

    given = str(db)  # as the analyst typed it, for the fix commands in the index
    db = Path(db).resolve()
    out_dir = Path(out_dir)
    render.check_out_dir(out_dir)  # the checks every report gets, before any kernel
    asked = [quarter] if isinstance(quarter, str) else list(quarter)
    if not asked:
        raise CxlabError("no quarter given: name one ('YYYYQn') or 'latest'.")
    for q in asked:
        params = {"quarter": q, "unit": "ALL", "warehouse": str(db), "level": float(level)}
        render.check_values(QUARTERLY, params)
    counts, scopes, unit_rows = _scope(db, asked, units, level)
    latest = scopes[-1][0]
    jobs_list = [job for q, chosen in scopes for job in _quarterly_jobs(db, q, chosen, level)]
    analysis_jobs, skipped = _analysis_jobs(db, given, latest, counts, level)
    jobs_list += analysis_jobs
    for job in jobs_list:  # the retention report writes its full follow-up list beside itself
        if job["name"].startswith("retention-value-"):
            job["params"]["followup_out"] = str((out_dir / f"{job['name']}-followup.csv").resolve())
    summaries = [_share_summary(db, q, jobs_list, out_dir) for q, _ in scopes]  # one join each
    try:
        paths, failed = _render_all(jobs_list, out_dir, jobs, progress)
    finally:
        for summary in summaries:
            summary.unlink(missing_ok=True)
    if pdf:
        for path in paths.values():
            print_pdf(path)
    rows, analyses, earlier = _index_entries(jobs_list, paths, unit_rows, latest)
    for job, why in failed:
        title = job["analysis"].title if "analysis" in job else f"Quarterly report, {job['unit']}"
        skipped.append({"title": title, "reason": f"failed to render: {why}", "fix": ""})
    try:  # created by the first report written, or here if none was
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CxlabError(f"{out_dir}: cannot create the output folder: {exc.strerror}.") from None
    index = write_index(out_dir, latest, rows, analyses, skipped, level=level, earlier=earlier)
    if failed:
        names = ", ".join(j["name"] for j, _ in failed)
        raise CxlabError(
            f"{len(failed)} report(s) failed ({names}); the others and {index} were written. "
            + failed[0][1]
        )
    return index


def _check_units(units: list[str], present: list[str], quarter: str) -> None:
    """One message for units with no responses in ``quarter``, with "did you mean"."""
    import difflib

    unknown = [u for u in units if u not in present]
    if not unknown:
        return
    hints = [
        f"{u!r} (did you mean {m[0]!r}?)"
        if (m := difflib.get_close_matches(u, present, 1))
        else repr(u)
        for u in unknown
    ]
    raise CxlabError(
        f"unit(s) {', '.join(hints)} have no responses in {quarter}; units there: "
        f"{', '.join(present)}."
    )


def _scope(
    db: Path, asked: list[str], units: list[str] | None, level: float
) -> tuple[dict[str, int], list[tuple[str, list[str]]], list[dict[str, Any]]]:
    """The tables' row counts; each quarter asked (oldest first, "latest" resolved) with
    the units reported on; and the index rows of the latest of them."""
    from cxlab import report, warehouse

    con = warehouse.connect(db)
    try:
        counts = _table_counts(con)
        if not counts["responses"]:
            raise CxlabError(
                f"{db}: the responses table is empty, so there is nothing to report. Load a "
                "survey export first: cxlab ingest responses FILE --db " + str(db)
            )
        responses = con.table("responses")
        last = report.latest_quarter(responses) if "latest" in asked else ""
        quarters = sorted({last if q == "latest" else q for q in asked})
        present = (
            responses.filter(responses.quarter.isin(quarters))
            .select("quarter", "unit")
            .distinct()
            .to_pandas()
        )
        scopes: list[tuple[str, list[str]]] = []
        for q in quarters:
            here = sorted(present.loc[present["quarter"] == q, "unit"].dropna())
            if units:
                _check_units(units, here, q)
            scopes.append((q, list(units) if units else here))
        rows = index_rows(con, quarters[-1], scopes[-1][1], level)
        return counts, scopes, rows
    finally:
        con.disconnect()


def _quarterly_jobs(
    db: Path, quarter: str, chosen: list[str], level: float
) -> list[dict[str, Any]]:
    """The quarterly reports of one quarter: the company's and each unit's."""
    jobs_list = []
    for unit in ["ALL", *chosen]:
        name = f"quarterly-{'company' if unit == 'ALL' else slug(unit)}-{quarter}"
        params = {"quarter": quarter, "unit": unit, "warehouse": str(db), "level": level}
        jobs_list.append({"notebook": QUARTERLY, "params": params, "name": name, "unit": unit})
    return jobs_list


def _analysis_jobs(
    db: Path, given: str, quarter: str, counts: dict[str, int], level: float
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The analyses to render (named for the pack's latest quarter) and those skipped, and why."""
    jobs_list: list[dict[str, Any]] = []
    skipped = []
    for a in ANALYSES:
        empty = [t for t in a.needs if not counts.get(t)]
        if empty:
            names = empty[0] if len(empty) == 1 else ", ".join(empty[:-1]) + " and " + empty[-1]
            skipped.append(
                {
                    "title": a.title,
                    "reason": f"the {names} table{'s are' if len(empty) > 1 else ' is'} empty, "
                    "so this analysis cannot run; load "
                    + ("it" if len(empty) == 1 else "them")
                    + " with",
                    "fix": "; ".join(f"cxlab ingest {t} FILE --db {given}" for t in empty),
                }
            )
            continue
        jobs_list.append(
            {
                "notebook": NOTEBOOKS / a.notebook,
                "params": {"warehouse": str(db), "level": level},
                "name": f"{a.stem}-{quarter}",
                "analysis": a,
            }
        )
    return jobs_list, skipped


def summary_path(out_dir: Path | str, quarter: str) -> Path:
    """Where :func:`pack` keeps the quarterly reports' shared file while they render.

    In the output folder, under a fixed name, so a pack's reports (whose
    parameters name it) are the same bytes on every run; removed at the end.
    """
    return Path(out_dir) / f".cxlab-summary-{quarter}.parquet"


def _share_summary(db: Path, quarter: str, jobs_list: list[dict[str, Any]], out_dir: Path) -> Path:
    """Write the quarterly reports' shared file (:func:`cxlab.report.write_summary`) and
    pass it to each of them as ``summary``: one as-of join per pack, not one per report."""
    from cxlab import report, warehouse

    path = summary_path(out_dir, quarter)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CxlabError(f"{out_dir}: cannot create the output folder: {exc.strerror}.") from None
    con = warehouse.connect(db)
    try:
        weight = report.resolve_weight(con.table("responses"), "auto")
        report.write_summary(con, path, quarter=quarter, weight=weight)
    finally:
        con.disconnect()
    for job in jobs_list:
        if job["notebook"] == QUARTERLY and job["params"]["quarter"] == quarter:
            job["params"]["summary"] = str(path)
    return path


def _render_all(
    jobs_list: list[dict[str, Any]], out_dir: Path, jobs: int, progress: bool
) -> tuple[dict[int, Path], list[tuple[dict[str, Any], str]]]:
    """Render every job on ``jobs`` warm kernels: the paths written, and the failures."""
    from tqdm.auto import tqdm

    from cxlab import pool

    paths: dict[int, Path] = {}
    failed: list[tuple[dict[str, Any], str]] = []
    order = sorted(range(len(jobs_list)), key=lambda i: "unit" in jobs_list[i])  # slow ones first
    requests = [jobs_list[i] | {"out_dir": out_dir} for i in order]
    bar = tqdm(
        total=len(requests), desc="reports", unit="report", disable=None if progress else True
    )  # None: no bar when stderr is not a terminal (logs, pipes)
    for k, result in pool.render_many(requests, workers=jobs):
        if isinstance(result, CxlabError):
            failed.append((jobs_list[order[k]], str(result)))
        else:
            paths[order[k]] = result
        bar.update(1)
    bar.close()
    return paths, failed


def _index_entries(
    jobs_list: list[dict[str, Any]],
    paths: dict[int, Path],
    unit_rows: list[dict[str, Any]],
    latest: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, list[dict[str, str]]]]]:
    """The index's unit rows (latest quarter), analysis entries, and the earlier
    quarters' reports (newest first), for the reports that were written."""
    rows, analyses = [], []
    earlier: dict[str, list[dict[str, str]]] = {}
    by_unit = {r["unit"]: r for r in unit_rows}
    for i, job in enumerate(jobs_list):
        if i not in paths:
            continue
        if "analysis" in job:
            a = job["analysis"]
            analyses.append({"title": a.title, "href": paths[i].name, "blurb": a.blurb})
        elif (q := job["params"]["quarter"]) != latest:
            label = "Company (all units)" if job["unit"] == "ALL" else job["unit"]
            earlier.setdefault(q, []).append({"label": label, "href": paths[i].name})
        elif (key := None if job["unit"] == "ALL" else job["unit"]) in by_unit:
            rows.append(by_unit[key] | {"href": paths[i].name})
    return rows, analyses, sorted(earlier.items(), reverse=True)


def print_pdf(html: Path) -> Path:
    """Print a report to PDF beside it with headless Chromium (print CSS applies)."""
    import shutil
    import subprocess
    import tempfile

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise CxlabError("--pdf needs Chromium (Debian: apt-get install chromium).")
    out = html.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            html.resolve().as_uri(),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if res.returncode != 0 or not out.exists():
        raise CxlabError(f"{html}: printing to PDF failed: {res.stderr.strip()[-500:]}")
    return out
