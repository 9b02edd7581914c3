"""Ingest speed and memory against DuckDB's own CSV load (issue #7; run on demand).

    .venv/bin/python benchmarks/ingest_bench.py [--rows 1000000] [--repeat 3]

Writes a responses CSV of ``--rows`` rows (fixed seed; the demo's columns,
text as an export has it), then, side by side in one run and each in a fresh
process (peak memory = that process's max RSS), best of ``--repeat``:

- the floor: DuckDB's ``CREATE TABLE ... AS SELECT * FROM read_csv(...)`` of
  the same file into a new database file (types sniffed, nothing checked);
- ``cxlab ingest responses FILE`` into a new warehouse: every rule checked in
  DuckDB, keys checked, the load recorded.

Target: within 1.5x of the floor, peak memory under 1 GB.
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
WORK = HERE / "_work"
PY = sys.executable

MAKE = """
import numpy as np, pandas as pd, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(7)
units = np.array(["Nordics", "UK & Ireland", "Benelux", "DACH", "Iberia", "France", "Italy", "Baltics"])
channels = np.array(["store", "web", "app", "phone", "chat"])
tps = np.array(["Checkout", "Stock availability", "Delivery", "Returns", "Customer support"])
days = pd.Timestamp("2023-10-01") + pd.to_timedelta(rng.integers(0, 1095, n), "D")
ltr = rng.integers(0, 11, n)
frame = pd.DataFrame({
    "response_id": np.char.add("R", np.arange(n).astype(str)),
    "customer_id": np.char.add("C", rng.integers(0, n // 2 + 1, n).astype(str)),
    "unit": units[rng.integers(0, len(units), n)],
    "survey_date": days.strftime("%Y-%m-%d"),
    "channel": channels[rng.integers(0, 5, n)],
    "touchpoint": tps[rng.integers(0, 5, n)],
    "stage": np.array(["attraction", "interaction", "cultivation"])[rng.integers(0, 3, n)],
    "ltr": ltr,
    "csat": np.clip(np.round(0.9 + 0.4 * ltr + rng.normal(0, 0.7, n)), 1, 5).astype(int),
    "ces": np.clip(np.round(1.5 + 0.5 * ltr + rng.normal(0, 1, n)), 1, 7).astype(int),
    "verbatim": np.where(ltr >= 9, "Great service, would recommend", "Queue was long and staff busy"),
    "weight": np.round(rng.uniform(0.5, 2.0, n), 4),
})
frame.to_csv(path, index=False, chunksize=500_000)
"""

FLOOR = """
import duckdb, os, resource, sys, time
src, db = sys.argv[1], sys.argv[2]
for p in (db, db + ".wal"):
    if os.path.exists(p): os.remove(p)
t0 = time.perf_counter()
con = duckdb.connect(db)
con.execute(f"CREATE TABLE responses AS SELECT * FROM read_csv('{src}')")
n = con.execute("SELECT count(*) FROM responses").fetchone()[0]
con.close()
secs = time.perf_counter() - t0
print(json.dumps({"seconds": secs, "rows": n,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CXLAB = """
import os, resource, sys, time
from pathlib import Path
from cxlab import warehouse
src, db = sys.argv[1], Path(sys.argv[2])
for p in (db, Path(str(db) + ".wal")):
    if p.exists(): p.unlink()
t0 = time.perf_counter()
r = warehouse.ingest("responses", src, db=db)
secs = time.perf_counter() - t0
print(json.dumps({"seconds": secs, "rows": r.rows_added,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [PY, "-c", "import json\n" + textwrap.dedent(code), *args], capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    src = WORK / f"responses-{args.rows}.csv"
    if not src.exists():
        subprocess.run([PY, "-c", textwrap.dedent(MAKE), str(args.rows), str(src)], check=True)
    runs: dict[str, list[dict]] = {"floor": [], "cxlab": []}
    for _ in range(args.repeat):  # interleaved, so both see the same machine
        runs["floor"].append(child(FLOOR, str(src), str(WORK / "floor.duckdb")))
        runs["cxlab"].append(child(CXLAB, str(src), str(WORK / "ingest.duckdb")))
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in runs.items()}
    peak = {k: max(r["peak_mb"] for r in v) for k, v in runs.items()}
    mb = src.stat().st_size / 2**20
    print(
        f"Machine: {platform.machine()}, Python {platform.python_version()}; "
        f"{args.rows:,} rows, {mb:,.0f} MB CSV; best of {args.repeat}, interleaved"
    )
    print("| step | seconds | peak MB |\n| --- | ---: | ---: |")
    print(
        f"| DuckDB `CREATE TABLE AS SELECT * FROM read_csv` (floor) | "
        f"{best['floor']['seconds']:.2f} | {peak['floor']:,.0f} |"
    )
    print(
        f"| `cxlab ingest responses` (all rules, keys, load log) | "
        f"{best['cxlab']['seconds']:.2f} | {peak['cxlab']:,.0f} |"
    )
    print(f"ratio: {best['cxlab']['seconds'] / best['floor']['seconds']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
