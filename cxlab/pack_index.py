"""The index page of a report pack: unit rows, sparklines and ``index.html``.

:func:`index_rows` asks the warehouse for each unit's headline, change and
12-quarter trend; :func:`sparkline_svg` draws a trend as inline SVG;
:func:`write_index` writes the page. Every value on the page is HTML-escaped and
the page loads nothing. :mod:`cxlab.pack` renders the reports and calls these;
they stay importable from there.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from cxlab._files import write_text_atomically

__all__ = ["index_rows", "sparkline_svg", "write_index"]


def sparkline_svg(values: list[float | None], *, width: int = 120, height: int = 26) -> str:
    """An inline SVG line of NPS values (``None`` = no responses: a gap).

    Examples
    --------
    >>> svg = sparkline_svg([10.0, None, 20.0, 15.0])  # a lone point, a gap, a line
    >>> svg.count("<circle"), svg.count("<polyline")
    (1, 1)
    """
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    span = max(hi - lo, 10.0)  # a flat line for a flat series, not noise blown up
    mid = (lo + hi) / 2
    step = (width - 4) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return round(height / 2 - (v - mid) / span * (height - 6), 1)

    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append(f"{round(2 + i * step, 1)},{y(v)}")
    lines = "".join(
        f'<polyline points="{" ".join(r)}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>'
        for r in runs
        if len(r) > 1
    )
    dots = "".join(
        f'<circle cx="{r[0].split(",")[0]}" cy="{r[0].split(",")[1]}" r="1.8" fill="#1f5fa8"/>'
        for r in runs
        if len(r) == 1
    )
    last = known[-1]
    label = f"NPS over the last {len(values)} quarters, from {known[0]:+.0f} to {last:+.0f}"
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">{lines}{dots}</svg>'
    )


def _fmt(x: float) -> str:
    from cxlab.report import fmt_nps

    return fmt_nps(x)


def write_index(
    out_dir: Path,
    quarter: str,
    rows: list[dict[str, Any]],
    analyses: list[dict[str, Any]] | None = None,
    skipped: list[dict[str, Any]] | None = None,
    *,
    level: float = 0.95,
    earlier: list[tuple[str, list[dict[str, str]]]] | None = None,
) -> Path:
    """Write ``index.html`` atomically and return its path.

    ``rows`` hold ``label, href, nps, low, high, n, flag`` and optionally
    ``diff, diff_low, diff_high, significant, previous, spark`` (the change from
    the previous quarter and an inline SVG); ``analyses`` hold ``title, href,
    blurb``; ``skipped`` hold ``title, reason, fix``; ``earlier`` pairs an earlier
    quarter of the pack with its reports' ``label, href``. Every value is escaped.
    """
    items = []
    for r in rows:
        flag = r["flag"]
        base = "" if flag == "reportable" else f"<em>{escape(str(flag))}</em>"
        if r.get("diff") is None:
            change = '<span class="muted">no previous quarter</span>'
        else:
            sig = "significant" if r["significant"] else "not significant"
            change = (
                f'{escape(_fmt(r["diff"]))} <span class="muted">({escape(_fmt(r["diff_low"]))}'
                f" to {escape(_fmt(r['diff_high']))}; {sig})</span>"
            )
        items.append(
            f'<tr><td><a href="{escape(r["href"])}">{escape(r["label"])}</a></td>'
            f'<td class="num">{escape(_fmt(r["nps"]))}</td>'
            f'<td class="num">{escape(_fmt(r["low"]))} to {escape(_fmt(r["high"]))}</td>'
            f'<td class="num">{int(r["n"]):,}</td>'
            f'<td class="num change">{change}</td>'
            f"<td>{r.get('spark', '')}</td><td>{base}</td></tr>"
        )
    extra = "".join(
        f'<li><a href="{escape(a["href"])}">{escape(a["title"])}</a>: {escape(a["blurb"])}</li>'
        for a in analyses or []
    )
    analyses_html = f"<h2>Analyses</h2>\n<ul>{extra}</ul>" if extra else ""
    if skipped:
        notes = "".join(
            f"<li><strong>{escape(s['title'])}</strong>: {escape(s['reason'])}"
            + (f" <code>{escape(s['fix'])}</code>" if s.get("fix") else "")
            + "</li>"
            for s in skipped
        )
        analyses_html += f"\n<h2>Not in this pack</h2>\n<ul>{notes}</ul>"
    if earlier:
        lines = "".join(
            f"<li><strong>{escape(q)}</strong>: "
            + " &middot; ".join(
                f'<a href="{escape(r["href"])}">{escape(r["label"])}</a>' for r in reports
            )
            + "</li>"
            for q, reports in earlier
        )
        analyses_html = f"<h2>Earlier quarters</h2>\n<ul>{lines}</ul>\n" + analyses_html
    pct = f"{level:.0%}"
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Customer experience reports, {escape(quarter)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222;
       padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td:first-child {{ white-space: nowrap; }}
th, td {{ padding: .4rem .6rem; border-bottom: 1px solid #ddd; text-align: left;
          vertical-align: middle; }}
th.num, td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.muted {{ color: #666; font-size: .9em; }}
.change .muted {{ display: block; }}
code {{ background: #f3f3f3; padding: 0 .25rem; }}
@media (max-width: 40rem) {{ td:nth-child(6), th:nth-child(6) {{ display: none; }} }}
.scroll {{ overflow-x: auto; }}
</style></head>
<body>
<h1>Customer experience reports, {escape(quarter)}</h1>
<p>Headline NPS with its {pct} interval (adjusted Wald; weighted by the survey
weights when the responses have them, as in the reports), the change from the
previous quarter with its {pct} interval, and the last twelve quarters. Open a report for the
touch points, channels and segments behind the number, and CSAT and CES.</p>
<div class="scroll"><table><thead><tr><th>Report</th><th class="num">NPS</th><th class="num">{pct} interval</th>
<th class="num">Responses</th><th class="num">Change from last quarter</th>
<th>12 quarters</th><th>Base</th></tr></thead><tbody>
{chr(10).join(items)}
</tbody></table></div>
{analyses_html}
</body></html>
"""
    return write_text_atomically(Path(out_dir) / "index.html", html, "the index")


def index_rows(con: Any, quarter: str, units: list[str], level: float) -> list[dict[str, Any]]:
    """The index's rows: headline, change and 12-quarter trend per unit (and the company).

    One :func:`cxlab.nps` by unit and quarter and one by quarter over the last
    twelve quarters; the change from the previous quarter is
    :func:`cxlab.report.period_change` on those counts (no query per unit).
    ``units`` in the order the index lists them; a unit with no responses in
    ``quarter`` gets no row.
    """
    import cxlab
    from cxlab import report

    responses = con.table("responses")
    w = report.resolve_weight(responses, "auto")  # as the reports do
    window = report.quarters_up_to(quarter, 12)
    recent = responses.filter(responses.quarter.isin(window))
    previous = report.shift_quarter(quarter, -1)
    by_unit = cxlab.nps(recent, "ltr", by=["unit", "quarter"], level=level, weight=w)
    company = cxlab.nps(recent, "ltr", by="quarter", level=level, weight=w).assign(unit=None)
    rows = []
    for unit in [None, *units]:
        trend = company if unit is None else by_unit[by_unit["unit"] == unit]
        trend = trend.set_index("quarter")
        if quarter not in trend.index or trend.loc[quarter, "n"] == 0:
            continue
        now = trend.loc[quarter]
        spark = [
            float(trend.loc[q, "nps"]) if q in trend.index and trend.loc[q, "n"] > 0 else None
            for q in window
        ]
        row = {
            "unit": unit,
            "label": "Company (all units)" if unit is None else unit,
            "nps": now["nps"],
            "low": now["low"],
            "high": now["high"],
            "n": int(now["n"]),
            "flag": now["flag"],
            "spark": sparkline_svg(spark),
            "diff": None,
        }
        if previous in trend.index and trend.loc[previous, "n"] > 0:
            # the test compare_periods runs, on the counts already here: no query per unit
            change = report.period_change(
                trend.reset_index(), period="quarter", current=quarter, previous=previous
            )
            row |= {
                "diff": change["diff"],
                "diff_low": change["low"],
                "diff_high": change["high"],
                "significant": bool(change["significant"]),
            }
        rows.append(row)
    return rows
