"""Key-driver speed: exact Shapley with 15 drivers on 1,000,000 rows, vs ``dominance-analysis``.

Run on demand (never part of ``make test``)::

    .venv/bin/python benchmarks/drivers_bench.py [--rows 1000000] [--drivers 15]
        [--da-python /tmp/da-venv/bin/python] [--da-rows 100000] [--da-drivers 10]

The data (``benchmarks/_work/drivers.duckdb``, table ``ratings``) are 0-10
ratings with correlated drivers and an outcome that depends on them, generated
from a fixed seed. cxlab reads them through Ibis/DuckDB: one aggregation of
sums of cross-products, then the 2^p subset regressions on the correlation
matrix. The Python package ``dominance-analysis`` 1.1.9 (which refits every
subset from the rows with scikit-learn and imports only with numpy < 2 and
IPython < 8) runs in its own virtual environment::

    python3.11 -m venv /tmp/da-venv
    /tmp/da-venv/bin/pip install dominance-analysis==1.1.9 "numpy<2" "IPython<8"

on the first ``--da-rows`` rows and ``--da-drivers`` drivers (it is far too slow
for the full problem); cxlab is timed on exactly the same rows and drivers for
the ratio, and the general dominance values ("Total Dominance") of both are
compared. Prints a Markdown table for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"


def make_data(db: Path, rows: int, p: int, seed: int = 42) -> None:
    import duckdb
    import pandas as pd

    rng = np.random.default_rng(seed)
    f = rng.normal(size=rows)
    x = 0.6 * f[:, None] + rng.normal(size=(rows, p))
    beta = np.linspace(1.0, 0.1, p)
    y = x @ beta + rng.normal(scale=2.0, size=rows)
    df = pd.DataFrame(np.clip(np.round(5 + 1.5 * x), 0, 10).astype(np.int8))
    df.columns = [f"x{i:02d}" for i in range(p)]
    df.insert(0, "y", np.clip(np.round(5 + 0.6 * y), 0, 10).astype(np.int8))
    df.insert(0, "row_id", np.arange(rows, dtype=np.int64))
    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE ratings AS SELECT * FROM df")


def time_cxlab(db: Path, p: int, rows: int | None, method: str, repeat: int = 3) -> dict:
    import ibis

    from cxlab.key_drivers import drivers

    con = ibis.duckdb.connect(str(db), read_only=True)
    t = con.table("ratings")
    if rows is not None:
        t = t.filter(t.row_id < rows)
    cols = [f"x{i:02d}" for i in range(p)]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        res = drivers(t, "y", cols, method=method)
        times.append(time.perf_counter() - start)
    return {
        "seconds": min(times),
        "importance": dict(zip(res["driver"], res["importance"].astype(float), strict=True)),
        "n": int(res["n"].iloc[0]),
    }


DA_CODE = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from dominance_analysis import Dominance
df = pd.read_parquet(sys.argv[1]) if sys.argv[1].endswith(".parquet") else pd.read_csv(sys.argv[1])
start = time.perf_counter()
dom = Dominance(data=df, target="y", objective=1, top_k=df.shape[1] - 1)
dom.incremental_rsquare()
stats = dom.dominance_stats()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "total": stats["Total Dominance"].astype(float).to_dict()}))
"""


def time_da(python: str, db: Path, rows: int, p: int) -> dict:
    import duckdb

    cols = ", ".join(f"x{i:02d}" for i in range(p))
    csv = WORK / f"da_{rows}_{p}.csv"
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(
            f"COPY (SELECT y, {cols} FROM ratings WHERE row_id < {rows}) TO '{csv}' (HEADER)"
        )
    out = subprocess.run(
        [python, "-c", textwrap.dedent(DA_CODE), str(csv)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--drivers", type=int, default=15)
    ap.add_argument("--da-python", default="/tmp/da-venv/bin/python")
    ap.add_argument("--da-rows", type=int, default=100_000)
    ap.add_argument("--da-drivers", type=int, default=10)
    ap.add_argument("--skip-da", action="store_true")
    args = ap.parse_args()

    WORK.mkdir(exist_ok=True)
    db = WORK / "drivers.duckdb"
    start = time.perf_counter()
    make_data(db, args.rows, args.drivers)
    print(
        f"data: {args.rows:,} rows x {args.drivers} drivers in {time.perf_counter() - start:.1f} s"
    )

    lines = [
        f"Machine: {platform.processor() or platform.machine()}, Python {sys.version.split()[0]}",
        "",
        "| task | rows | drivers | cxlab (s) | dominance-analysis (s) | ratio | max abs diff |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for method in ("shapley", "relative-weights"):
        r = time_cxlab(db, args.drivers, None, method)
        lines.append(f"| {method} | {r['n']:,} | {args.drivers} | {r['seconds']:.2f} | | | |")
        print(lines[-1], flush=True)

    if not args.skip_da:
        if not Path(args.da_python).exists():
            sys.exit(f"{args.da_python} not found; create the venv (see the module docstring)")
        ours = time_cxlab(db, args.da_drivers, args.da_rows, "dominance", repeat=3)
        theirs = time_da(args.da_python, db, args.da_rows, args.da_drivers)
        diff = max(abs(ours["importance"][k] - v) for k, v in theirs["total"].items())
        ratio = theirs["seconds"] / ours["seconds"]
        lines.append(
            f"| general dominance | {args.da_rows:,} | {args.da_drivers} | "
            f"{ours['seconds']:.2f} | {theirs['seconds']:.1f} | {ratio:.0f}x | {diff:.1e} |"
        )
        print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
