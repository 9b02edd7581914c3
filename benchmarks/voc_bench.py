"""Voice of the customer at scale (issue #12 item 8): each step in a fresh process.

- ``code``: coding N generated verbatims (file-backed DuckDB) against a
  40-theme codeframe, :func:`cxlab.voc.code` (the (response, theme) pairs
  returned as a pandas frame);
- ``impact``: :func:`cxlab.voc.theme_impact` on the coding kept in the engine
  (:func:`cxlab.voc.coded_table`): the coding and both GROUP BYs in DuckDB.

Verbatims are 6-14 words drawn from a 240-word vocabulary in which the
codeframe's keywords are embedded (so about one in three responses mentions
at least one theme); LTR depends on a few themes. Peak memory is the step's own
process (max RSS); times are wall and CPU of that process, the best of
``--repeat`` runs after one untimed run.

    .venv/bin/python benchmarks/voc_bench.py [--n 10000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from retention_bench import TIMER  # the same timed child process (best of REPEAT)

WORK = Path(__file__).resolve().parent / "_work"
THEMES = 40

BUILD = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
n = int(sys.argv[2])
fill = [f"w{i}" for i in range(200)]
keys = [f"kw{t}x0" for t in range(40)]
vocab = fill + keys
con.execute("SELECT setseed(0.12)")
con.execute("CREATE OR REPLACE TABLE vocab AS SELECT * FROM (SELECT unnest(?) AS w)", [vocab])
con.execute(f'''
CREATE OR REPLACE TABLE responses AS
WITH base AS (
  SELECT i AS response_id, 6 + CAST(floor(random() * 9) AS INTEGER) AS k FROM range({n}) t(i)
), words AS (SELECT list(w) AS v FROM vocab)
SELECT response_id,
       CASE WHEN response_id % 50 = 0 THEN NULL ELSE
         array_to_string(list_transform(range(k),
           x -> v[1 + CAST(floor(random() * len(v)) AS INTEGER)]), ' ') END AS verbatim,
       CAST(floor(random() * 11) AS INTEGER) AS ltr,
       0.5 + random() AS weight
FROM base, words''')
"""


def codeframe_yaml() -> str:
    """A 40-theme codeframe: theme t matches its keyword kw{t}x0 (1 in 4 themes: + a pattern)."""
    lines = ["name: bench40", "language: en", "themes:"]
    for t in range(THEMES):
        lines += [
            f"  theme_{t}:",
            f"    label: Theme {t}",
            f"    keywords: [kw{t}x0, 'kw{t} late']",
        ]
        if t % 4 == 0:
            lines.append(f"    patterns: ['kw{t}x0 w1\\\\d+']")
    return "\n".join(lines) + "\n"


STEPS = {
    "code": """
import ibis
from cxlab import voc
con = ibis.duckdb.connect(DB, read_only=True)
t = con.table("responses")
cf = voc.codeframe(CF)
def run():
    return voc.code(t, cf)
""",
    "impact": """
import ibis
from cxlab import voc
con = ibis.duckdb.connect(DB, read_only=True)
t = con.table("responses")
cf = voc.codeframe(CF)
def run():
    return voc.theme_impact(t, voc.coded_table(t, cf), weight="weight", codeframe=cf)
""",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--steps", nargs="*", default=list(STEPS), choices=list(STEPS))
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    db = WORK / f"voc-{args.n}.duckdb"
    cf = WORK / "bench40.yaml"
    cf.write_text(codeframe_yaml(), encoding="utf-8")
    if not db.exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", BUILD, str(db), str(args.n)], check=True)
        print(f"built {db.name} in {time.perf_counter() - t0:.1f} s", flush=True)
    print("| step | verbatims | themes | wall s | CPU s | peak MB | rows out |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.steps:
        setup = STEPS[name].replace("DB", repr(str(db))).replace("CF", repr(str(cf)))
        code = TIMER.format(setup=setup).replace("REPEAT", str(args.repeat))
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if res.returncode:
            print(f"| {name} | failed: {res.stderr.strip().splitlines()[-1]} |")
            continue
        m = json.loads(res.stdout.strip().splitlines()[-1])
        print(
            f"| {name} | {args.n:,} | {THEMES} | {m['wall']:.2f} | {m['cpu']:.2f} "
            f"| {m['peak_mb']:.0f} | {m['rows']:,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
