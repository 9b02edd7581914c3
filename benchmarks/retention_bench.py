"""Retention and value at scale (issue #11 item 6): each step in a fresh process.

- Kaplan-Meier by segment on 10M customers, from the engine (one GROUP BY of
  events and censorings per segment and day, then the curve on that summary);
- the RFM summary of 10M customers' transactions, from the engine: one row per
  customer (``rfm``) and its distinct (frequency, recency, T) rows with their
  counts (``rfm-counts``, what the BG/NBD fit needs);
- the BG/NBD fit on 1M customers' summary (simulated from known parameters), on
  the distinct (frequency, recency, T) rows with their counts and on one row per
  customer (``bgnbd-rows``).

Targets: the first two in a few seconds with peak memory under 2 GB, the fit
under 10 s. Peak memory is the step's own process (max RSS); times are wall
and CPU of that process, the best of ``--repeat`` runs after one untimed run.
DuckDB runs with ``memory_limit`` ``--memory-limit`` (default 1GB, what
``CXLAB_MEMORY_LIMIT=1GB`` sets for a warehouse), so the 2 GB target holds
with DuckDB's own share capped.

    .venv/bin/python benchmarks/retention_bench.py [--customers 10000000] [--fit 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / "_work"

BUILD = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
n = int(sys.argv[2])
con.execute("SELECT setseed(0.11)")
con.execute(f'''
CREATE OR REPLACE TABLE customers AS
SELECT i AS customer_id,
       ['consumer', 'small business', 'corporate', 'public', 'partner'][1 + i % 5] AS segment,
       1 + CAST(floor(random() * 1460) AS INTEGER) AS duration,
       CAST(random() < 0.35 AS INTEGER) AS churned
FROM range({n}) t(i)''')
con.execute(f'''
CREATE OR REPLACE TABLE transactions AS
SELECT c.customer_id,
       DATE '2023-01-01' + CAST(floor(random() * 1000) AS INTEGER) AS date,
       round(20 + random() * 200, 2) AS revenue
FROM (SELECT customer_id FROM customers) c, range(3) k''')
"""

STEPS = {
    "km": """
import ibis
from cxlab import retention
con = ibis.duckdb.connect(DB, read_only=True, memory_limit=LIMIT)
t = con.table("customers")
def run():
    return retention.survival(t, "duration", "churned", by="segment")
""",
    "rfm": """
import ibis, pandas as pd
from cxlab import value
con = ibis.duckdb.connect(DB, read_only=True, memory_limit=LIMIT)
t = con.table("transactions")
def run():
    return value.rfm(t, end=pd.Timestamp("2025-09-30"), unit="weeks")
""",
    "rfm-counts": """
import ibis, pandas as pd
from cxlab import value
con = ibis.duckdb.connect(DB, read_only=True, memory_limit=LIMIT)
t = con.table("transactions")
def run():  # distinct (frequency, recency, T) rows with counts: what bgnbd(weight=) fits
    return value.rfm_counts(t, end=pd.Timestamp("2025-09-30"), unit="weeks")
""",
    "bgnbd": """
import numpy as np, pandas as pd
from cxlab import value
rng = np.random.default_rng(7)
n = FIT
r, alpha, a, b = 0.9, 20.0, 0.8, 3.2
lam = rng.gamma(r, 1 / alpha, n)
p = rng.beta(a, b, n)
T = rng.uniform(26, 104, n).round()
# purchases until dropout: exponential gaps, drop after each purchase with probability p
x = np.zeros(n); tx = np.zeros(n); t = np.zeros(n); alive = np.ones(n, bool)
while alive.any():
    t[alive] += rng.exponential(1 / lam[alive])
    buy = alive & (t < T)
    x[buy] += 1; tx[buy] = t[buy]
    alive = buy & (rng.random(n) >= p)
summary = pd.DataFrame({"frequency": x, "recency": np.floor(tx), "T": T})
summary.loc[summary.frequency == 0, "recency"] = 0
grouped = summary.value_counts().rename("customers").reset_index()
def run():
    if UNGROUPED:
        return value.bgnbd(summary)  # one row per customer
    return value.bgnbd(grouped, weight="customers")  # distinct rows with their counts
""",
}
STEPS["bgnbd-rows"] = STEPS["bgnbd"].replace("UNGROUPED", "True")
STEPS["bgnbd"] = STEPS["bgnbd"].replace("UNGROUPED", "False")

TIMER = """
import resource, time, json, sys
{setup}
run()  # untimed: warm caches and imports
best = None
for _ in range(REPEAT):
    w0, c0 = time.perf_counter(), time.process_time()
    out = run()
    w, c = time.perf_counter() - w0, time.process_time() - c0
    best = (w, c) if best is None or w < best[0] else best
rows = len(out) if hasattr(out, "__len__") else int(getattr(out, "n_", 0))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"wall": best[0], "cpu": best[1], "peak_mb": peak, "rows": rows}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=10_000_000)
    ap.add_argument("--fit", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--memory-limit", default="1GB", help="DuckDB's memory_limit (CXLAB_MEMORY_LIMIT)"
    )
    ap.add_argument("--steps", nargs="*", default=list(STEPS), choices=list(STEPS))
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    db = WORK / f"retention-{args.customers}.duckdb"
    if not db.exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", BUILD, str(db), str(args.customers)], check=True)
        print(f"built {db.name} in {time.perf_counter() - t0:.1f} s", flush=True)
    print("| step | customers | wall s | CPU s | peak MB | rows out |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, setup in ((k, STEPS[k]) for k in args.steps):
        code = TIMER.format(setup=setup.replace("DB", repr(str(db))))
        code = code.replace("FIT", str(args.fit)).replace("REPEAT", str(args.repeat))
        code = code.replace("LIMIT", repr(args.memory_limit))
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if res.returncode:
            print(f"| {name} | failed: {res.stderr.strip().splitlines()[-1]} |")
            continue
        m = json.loads(res.stdout.strip().splitlines()[-1])
        n = args.fit if name.startswith("bgnbd") else args.customers
        print(
            f"| {name} | {n:,} | {m['wall']:.2f} | {m['cpu']:.2f} | {m['peak_mb']:.0f} "
            f"| {m['rows']:,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
