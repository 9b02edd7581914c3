"""100M responses on one machine, DuckDB file-backed and out of core (issue #13 item 4).

    .venv/bin/python benchmarks/scale_bench.py [--copies 10] [--memory-limit 3GB] [--keep]

The warehouse: ``benchmarks/pack_bench.py``'s 10M-response synthetic warehouse
(24 units, 12 quarters; built by ``pack_bench.py --big 10000000``) copied, and its
responses repeated ``--copies`` times in the engine (new response ids, the same
customers, units, quarters, scores and weights; the verbatim kept on the first copy
only, to save disk). ``drivers_wide`` is one row per response: LTR and eight
attribute ratings (LTR plus noise, rounded to 0-10), for the drivers step.

Each step runs in a fresh process with ``CXLAB_MEMORY_LIMIT`` set (DuckDB spills to
disk beyond it) and reports wall and CPU seconds and the peak memory of the process
and of its children (the report's kernel):

- ``nps``: ``cxlab.nps`` by unit x quarter over every response (one GROUP BY);
- ``report``: the company's quarterly report rendered with ``render()`` (fresh
  kernel, the latest quarter, the 12-quarter trends);
- ``drivers``: ``cxlab.drivers`` (relative weights, no bootstrap) on the 100M rows:
  the correlation matrix from the cross-products computed in the engine.

The file is deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / "_work"
ROOT = Path(__file__).resolve().parents[1]
SOURCE = WORK / "pack-10000000.duckdb"

BUILD = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
copies = int(sys.argv[2])
con.execute("SET preserve_insertion_order = false")
con.execute(f'''
INSERT INTO responses
SELECT r.* REPLACE (r.response_id || '-' || k AS response_id, NULL AS verbatim)
FROM responses r, range(1, {copies}) t(k)''')
con.execute("SELECT setseed(0.13)")
attrs = ", ".join(
    f"least(10, greatest(0, round(ltr + 2.5 * (random() - 0.5) * {i + 1}))) :: TINYINT AS a{i + 1}"
    for i in range(8)
)
con.execute(f"CREATE OR REPLACE TABLE drivers_wide AS SELECT ltr :: TINYINT AS ltr, {attrs} "
            "FROM responses WHERE ltr IS NOT NULL")
print(con.execute("SELECT count(*) FROM responses").fetchone()[0])
"""

STEPS = {
    "nps": """
import cxlab
from cxlab import warehouse
con = warehouse.connect(DB)
def run():
    return cxlab.nps(con.table("responses"), "ltr", by=["unit", "quarter"], weight="weight")
""",
    "report": """
from pathlib import Path
from cxlab import render
def run():
    params = {"warehouse": DB, "quarter": "latest", "unit": "ALL"}
    out = Path(DB).parent / "scale-report"
    return [render.render(Path(ROOT) / "notebooks" / "quarterly_report.ipynb", params,
                          out_dir=out, name="company")]
""",
    "drivers": """
import cxlab
from cxlab import warehouse
con = warehouse.connect(DB)
def run():
    t = con.table("drivers_wide")
    return cxlab.drivers(t, "ltr", [f"a{i}" for i in range(1, 9)],
                         method="relative-weights", n_boot=0)
""",
}

TIMER = """
import json, resource, time
{setup}
w0, c0 = time.perf_counter(), time.process_time()
out = run()
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, kids.ru_maxrss) / 1024
print(json.dumps({{"wall": wall, "cpu": cpu + kids.ru_utime + kids.ru_stime,
                  "peak_mb": peak, "rows": len(out)}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--memory-limit", default="3GB")
    ap.add_argument("--steps", nargs="*", default=list(STEPS), choices=list(STEPS))
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if not SOURCE.exists():
        sys.exit(f"{SOURCE} is missing: run benchmarks/pack_bench.py --big 10000000 first")
    db = WORK / f"scale-{args.copies}x.duckdb"
    if not db.exists():
        t0 = time.perf_counter()
        tmp = db.with_suffix(".building")
        shutil.copy(SOURCE, tmp)
        res = subprocess.run(
            [sys.executable, "-c", BUILD, str(tmp), str(args.copies)],
            check=True,
            capture_output=True,
            text=True,
        )
        tmp.rename(db)
        n = int(res.stdout.strip().splitlines()[-1])
        print(f"built {db.name}: {n:,} responses in {time.perf_counter() - t0:.0f} s", flush=True)
    size = db.stat().st_size / 2**30
    env = os.environ | {"CXLAB_MEMORY_LIMIT": args.memory_limit}
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores; file {size:.1f} GiB;")
    print(f"CXLAB_MEMORY_LIMIT={args.memory_limit}\n")
    print("| step | wall s | CPU s (incl. children) | peak MB | rows out |")
    print("| --- | ---: | ---: | ---: | ---: |")
    try:
        for name in args.steps:
            setup = STEPS[name].replace("DB", repr(str(db))).replace("ROOT", repr(str(ROOT)))
            code = TIMER.format(setup=setup)
            res = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env
            )
            if res.returncode:
                print(f"| {name} | failed: {res.stderr.strip().splitlines()[-1]} | | | |")
                continue
            m = json.loads(res.stdout.strip().splitlines()[-1])
            print(
                f"| {name} | {m['wall']:.1f} | {m['cpu']:.1f} | {m['peak_mb']:.0f} "
                f"| {m['rows']:,} |",
                flush=True,
            )
    finally:
        if not args.keep:
            db.unlink(missing_ok=True)
            shutil.rmtree(WORK / "scale-report", ignore_errors=True)


if __name__ == "__main__":
    main()
