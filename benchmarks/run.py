"""Speed and memory benchmarks (run on demand: ``make bench``; never part of ``make test``).

Each measurement runs in its own Python process so its peak memory (max RSS) is
its own. Results are printed as a Markdown table to paste into
``benchmarks/RESULTS.md`` together with the machine and date.

    .venv/bin/python benchmarks/run.py [--responses 10000000] [--only nps,bootstrap]

Targets (issue #2):
- NPS with intervals by unit x quarter within 1.5x of a bare DuckDB
  ``COUNT ... GROUP BY`` over the same warehouse (the floor); a plain pandas
  row-wise approach for comparison;
- bootstrap with 10,000 replicates at n = 1,000,000 well under a second;
- ingesting and summarising 10 million responses under 2 GB peak memory;
- report render time vs rendering an empty notebook with the same kernel.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
PY = sys.executable


def child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object last."""
    prelude = textwrap.dedent(
        """
        import json, resource, sys, time
        def report(**kw):
            kw["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(json.dumps(kw))
        def warm_best(fn, repeat=5):
            # one untimed run warms DuckDB's buffers, then the best of `repeat`
            out = fn()
            best = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                out = fn()
                best = min(best, time.perf_counter() - t0)
            return best, out
        """
    )
    out = subprocess.run(
        [PY, "-c", prelude + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode:
        sys.exit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_of(code: str, repeat: int, *args: str) -> dict:
    runs = [child(code, *args) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_mb"] = max(r["peak_mb"] for r in runs)
    return best


GENERATE = """
from pathlib import Path
from cxlab import synth
t0 = time.perf_counter()
synth.generate(Path(sys.argv[1]), n_responses=int(sys.argv[2]), seed=7)
report(seconds=time.perf_counter() - t0)
"""

INGEST = """
from pathlib import Path
from cxlab import warehouse
t0 = time.perf_counter()
counts = warehouse.build_from_dir(Path(sys.argv[1]), Path(sys.argv[2]))
report(seconds=time.perf_counter() - t0, rows=counts["responses"])
"""

CXLAB_NPS = """
import cxlab, ibis
con = ibis.duckdb.connect(sys.argv[1], read_only=True)
secs, r = warm_best(lambda: cxlab.nps(con.table("responses"), "ltr", by=["unit", "quarter"]))
report(seconds=secs, groups=len(r), n=int(r["n"].sum()))
"""

FLOOR = """
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
sql = (
    "SELECT unit, quarter, count(*) FILTER (WHERE ltr <= 6) AS d, "
    "count(*) FILTER (WHERE ltr BETWEEN 7 AND 8) AS p, count(*) FILTER (WHERE ltr >= 9) AS r "
    "FROM responses GROUP BY unit, quarter"
)
secs, r = warm_best(lambda: con.execute(sql).df())
report(seconds=secs, groups=len(r), n=int(r[["d", "p", "r"]].sum().sum()))
"""

FLOOR_BY_SCORE = """
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
sql = "SELECT unit, quarter, ltr, count(*) AS n FROM responses GROUP BY ALL"
secs, r = warm_best(lambda: con.execute(sql).df())
report(seconds=secs, groups=len(r), n=int(r["n"].sum()))
"""

PANDAS_ROWWISE = """
import duckdb, numpy as np
con = duckdb.connect(sys.argv[1], read_only=True)
df = con.execute("SELECT unit, quarter, ltr FROM responses").df()
t0 = time.perf_counter()
df["cat"] = df["ltr"].apply(lambda s: None if s != s else (-1 if s <= 6 else (1 if s >= 9 else 0)))
def summary(g):
    n = g["cat"].notna().sum()
    p, d = (g["cat"] == 1).mean(), (g["cat"] == -1).mean()
    se = np.sqrt((p + d - (p - d) ** 2) / n)
    return {"n": n, "nps": 100 * (p - d), "low": 100 * (p - d - 1.96 * se), "high": 100 * (p - d + 1.96 * se)}
r = df.groupby(["unit", "quarter"]).apply(summary)
report(seconds=time.perf_counter() - t0, groups=len(r))
"""

BOOTSTRAP = """
import cxlab
t0 = time.perf_counter()
r = cxlab.nps_counts(200_000, 300_000, 500_000, method="bootstrap", n_boot=10_000, seed=1)
report(seconds=time.perf_counter() - t0, low=float(r["low"]), high=float(r["high"]))
"""

RENDER = """
from pathlib import Path
from cxlab import render
nb, out, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
params = json.loads(sys.argv[4])
t0 = time.perf_counter()
render.render(nb, params, out_dir=out, name=name)
report(seconds=time.perf_counter() - t0)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--responses", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="generate,ingest,nps,bootstrap,render")
    args = ap.parse_args()
    only = set(args.only.split(","))
    WORK.mkdir(exist_ok=True)
    data = WORK / f"demo-{args.responses}"
    db = WORK / f"bench-{args.responses}.duckdb"
    rows: list[tuple[str, dict]] = []

    def record(name: str, result: dict) -> None:
        rows.append((name, result))
        print(f"{name:<48} {result['seconds']:8.3f} s  {result['peak_mb']:8.0f} MB", flush=True)

    if "generate" in only or not data.exists():
        record(
            f"generate {args.responses:,} responses",
            child(GENERATE, str(data), str(args.responses)),
        )
    if "ingest" in only or not db.exists():
        db.unlink(missing_ok=True)
        record("ingest + validate all tables (build_from_dir)", child(INGEST, str(data), str(db)))
    if "nps" in only:
        floor = best_of(FLOOR, 1, str(db))
        record("floor: bare DuckDB three COUNT FILTER ... GROUP BY unit, quarter", floor)
        by_score = best_of(FLOOR_BY_SCORE, 1, str(db))
        record("floor: bare DuckDB COUNT(*) GROUP BY unit, quarter, ltr", by_score)
        floor = min(floor, by_score, key=lambda r: r["seconds"])
        ours = best_of(CXLAB_NPS, 1, str(db))
        ours["ratio_to_floor"] = ours["seconds"] / floor["seconds"]
        record("cxlab.nps by unit x quarter (adjusted-wald)", ours)
        print(f"  ratio to floor: {ours['ratio_to_floor']:.2f}x (target <= 1.5x)")
        record("pandas row-wise (apply + groupby.apply)", child(PANDAS_ROWWISE, str(db)))
    if "bootstrap" in only:
        record("bootstrap 10,000 replicates, n = 1,000,000", best_of(BOOTSTRAP, args.repeat))
    if "render" in only:
        import nbformat

        empty = WORK / "empty.ipynb"
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
        )
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, empty)
        out = WORK / "reports"
        record(
            "render: empty notebook (floor)",
            child(RENDER, str(empty), str(out), "empty", json.dumps({"x": 1})),
        )
        params = {"quarter": "latest", "unit": "ALL", "warehouse": str(db), "level": 0.95}
        record(
            "render: quarterly report, company",
            child(
                RENDER,
                str(ROOT / "notebooks/quarterly_report.ipynb"),
                str(out),
                "q",
                json.dumps(params),
            ),
        )

    print()
    print(
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}"
    )
    print("| benchmark | seconds | peak MB |\n| --- | ---: | ---: |")
    for name, r in rows:
        print(f"| {name} | {r['seconds']:.3f} | {r['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
