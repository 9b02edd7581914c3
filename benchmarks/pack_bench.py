"""A 100-report pack: ``cxlab pack --jobs 2`` vs the naive loop vs the kernel floor (issue #8.6).

    .venv/bin/python benchmarks/pack_bench.py [--responses 150000] [--sample 10]
        [--big 1000000] [--skip-big] [--skip-naive] [--skip-profile] [--skip-pack] [--quarters 4]

``--skip-naive --skip-profile --skip-big`` runs the pack step alone (its CPU
seconds / 2 are the least wall time on two quiet cores); ``--quarters 1`` packs
one quarter (25 reports). ``--big 10000000`` builds the 10M-response warehouse
once (kept in ``benchmarks/_work``; about 4 minutes on a quiet machine:
``cxlab.synth`` writes every table, the warehouse loads three).

Side by side, in one run, on a synthetic warehouse with 24 units and 12 quarters
(survey responses, customers and their history only, so the pack holds the
quarterly reports and the one analysis that needs responses only, the voice of
the customer):

(a) ``cxlab pack --jobs 2`` for the last four quarters in one command
    (``--quarter`` repeated): 4 x (company + 24 units) = 100 quarterly reports
    plus the voice-of-customer report once (warm kernels started once, reset
    between reports);
(b) the naive loop: ``papermill`` CLI then ``jupyter nbconvert --to html`` per
    report, one report at a time; measured on ``--sample`` of the 100 reports
    (every 100/sample-th, in pack order) and scaled to 100, then halved for two
    cores (as if two such loops ran side by side without slowing each other);
(c) the floor: the same two commands on an empty notebook with the same
    kernel, measured ``--sample`` times, scaled to 100 and halved.

Then the company's quarterly report alone on a ``--big`` warehouse with
``render()`` (fresh kernel), a warm kernel, and the empty notebook with
``render()``. And a profile of one quarterly report on a warm kernel: the
seconds of each cell (papermill's own cell timings) and of the steps after
execution. Prints Markdown to paste into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
BIN = Path(sys.executable).parent
QUARTERLY = ROOT / "notebooks" / "quarterly_report.ipynb"
KEEP = ("responses", "customers", "customer_history")  # no analysis can run


def build(responses: int, seed: int = 7) -> Path:
    """A warehouse of survey responses, customers and history (24 units, 12 quarters)."""
    from cxlab import synth, warehouse

    db = WORK / f"pack-{responses}.duckdb"
    if db.exists():
        return db
    data = WORK / f"pack-data-{responses}"
    synth.generate(data, n_responses=responses, seed=seed, n_units=24, quarters=12)
    only = WORK / f"pack-only-{responses}"
    only.mkdir(exist_ok=True)
    for name in KEEP:
        if not (only / name).exists():
            (only / name).symlink_to((data / name).resolve())
    warehouse.build_from_dir(only, db)
    return db


def quarters_and_units(db: Path) -> tuple[list[str], list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        qs = [
            r[0]
            for r in con.execute("SELECT DISTINCT quarter FROM responses ORDER BY 1").fetchall()
        ]
        units = [
            r[0] for r in con.execute("SELECT DISTINCT unit FROM responses ORDER BY 1").fetchall()
        ]
    finally:
        con.close()
    return qs[-4:], units


def cpu() -> float:
    """CPU seconds (user + system) of every finished child process and its waited-for children.

    On a loaded machine wall time measures the other jobs too; CPU time is the
    work done (the kernels are the commands' children, so they are counted).
    """
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run(cmd: list[str], **kw: object) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if res.returncode:
        sys.exit(f"{cmd[:3]} failed:\n{res.stderr[-3000:]}")
    return time.perf_counter() - t0


def naive(nb: Path, params: dict[str, object], out: Path) -> float:
    """papermill CLI then jupyter nbconvert, as a script would do it."""
    out.mkdir(parents=True, exist_ok=True)
    executed = out / "executed.ipynb"
    cmd = [str(BIN / "papermill"), str(nb), str(executed), "-k", "python3", "--no-progress-bar"]
    for k, v in params.items():
        cmd += ["-p", k, str(v)]
    seconds = run(cmd, cwd=nb.parent)
    seconds += run(
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
        cwd=out,
    )
    return seconds


def empty_notebook() -> Path:
    path = WORK / "empty.ipynb"
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


PROFILE = """
import json, sys, time
from pathlib import Path
from cxlab import pool, render
nb, out, params = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
with pool.WarmKernel() as kernel:
    t0 = time.perf_counter(); kernel.start(nb.parent); warm = time.perf_counter() - t0
    kernel.render(nb, params, out_dir=out, name="first")  # untimed: first report
    t0 = time.perf_counter(); kernel.render(nb, params, out_dir=out, name="timed")
    total = time.perf_counter() - t0
    # the same steps one by one, for the split (benchmark only: uses the running kernel)
    t0 = time.perf_counter(); job = render.prepare(nb, params, out_dir=out, name="split")
    t1 = time.perf_counter(); kernel._ready(job.nb_path.resolve().parent)
    t2 = time.perf_counter(); ex = render.execute(job, km=kernel._km)
    t3 = time.perf_counter(); cells = [(c.source.splitlines()[0][:60] if c.source else "",
        c.metadata.get("papermill", {}).get("duration") or 0.0) for c in ex.cells]
    render.finish(job, ex); t4 = time.perf_counter()
print(json.dumps({"start_and_warm": warm, "warm_report": total, "prepare": t1 - t0,
    "reset": t2 - t1, "execute": t3 - t2, "finish": t4 - t3, "cells": cells}))
"""

RENDER = """
import json, sys, time
from pathlib import Path
from cxlab import pool, render
nb, out, params, warm = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
if warm == "warm":
    with pool.WarmKernel() as kernel:
        kernel.start(nb.parent)
        t0 = time.perf_counter(); kernel.render(nb, params, out_dir=out, name="w")
        print(json.dumps({"seconds": time.perf_counter() - t0}))
else:
    t0 = time.perf_counter(); render.render(nb, params, out_dir=out, name="r")
    print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def child(code: str, *args: str) -> dict:
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if res.returncode:
        sys.exit(f"benchmark step failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def naive_and_floor(
    reports: list[tuple[str, str]], db: Path, sample_size: int
) -> list[tuple[str, float, float, str]]:
    """(b) the naive loop on a sample of the reports, scaled to 100; (c) the empty-notebook floor."""
    step = max(1, len(reports) // sample_size)
    sample = reports[::step][:sample_size]
    c0 = cpu()
    naive_s = [
        naive(QUARTERLY, {"quarter": q, "unit": u, "warehouse": str(db)}, WORK / "naive" / str(i))
        for i, (q, u) in enumerate(sample)
    ]
    per, cper = sum(naive_s) / len(naive_s), (cpu() - c0) / len(naive_s)
    note = f"{len(naive_s)} sampled: {per:.2f} s ({cper:.2f} CPU s) each, x 100"
    rows = [("(b) naive loop, one at a time", per * 100, cper * 100, note)]
    rows.append(("(b) naive loop / 2 cores", per * 50, cper * 50, "as if two ran at once"))
    empty = empty_notebook()
    c0 = cpu()
    floor_s = [naive(empty, {"x": 2}, WORK / "floor" / str(i)) for i in range(sample_size)]
    fper, fcpu = sum(floor_s) / len(floor_s), (cpu() - c0) / len(floor_s)
    note = f"{fper:.2f} s ({fcpu:.2f} CPU s) each"
    rows.append(("(c) floor: empty notebook x 100 / 2 cores", fper * 50, fcpu * 50, note))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--responses", type=int, default=150_000)
    ap.add_argument("--sample", type=int, default=10)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--skip-naive", action="store_true", help="no naive loop, no floor")
    ap.add_argument("--skip-profile", action="store_true")
    ap.add_argument(
        "--skip-pack", action="store_true", help="no pack step (e.g. the big step alone)"
    )
    ap.add_argument("--quarters", type=int, default=4, help="pack the last N quarters")
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    print(f"uptime at start: {uptime()}", flush=True)
    db = build(args.responses)
    quarters, units = quarters_and_units(db)
    quarters = quarters[len(quarters) - args.quarters :]
    reports = [(q, u) for q in quarters for u in ["ALL", *units]]
    print(f"{len(reports)} reports: {quarters} x (company + {len(units)} units)", flush=True)
    rows: list[tuple[str, float, float, str]] = []  # what, wall s, CPU s, note

    pack_s, c0 = 0.0, cpu()
    if not args.skip_pack:
        shutil.rmtree(WORK / "pack-out", ignore_errors=True)
        pack_s = run(
            [str(BIN / "cxlab"), "pack", "--db", str(db), "--jobs", "2"]
            + [a for q in quarters for a in ("--quarter", q)]
            + ["--out", str(WORK / "pack-out")]
        )
        print(f"  pack of {len(quarters)} quarters: {pack_s:.1f} s", flush=True)
    pack_cpu = cpu() - c0
    rows.append(
        (
            f"(a){' (skipped)' if args.skip_pack else ''} `cxlab pack --jobs 2`, {len(quarters)} quarters in one command",
            pack_s,
            pack_cpu,
            f"{len(reports)} quarterly reports + the voice-of-customer report; "
            f"CPU s / 2 = {pack_cpu / 2:.1f}",
        )
    )
    if not args.skip_naive:
        rows += naive_and_floor(reports, db, args.sample)
    print(f"uptime after the pack runs: {uptime()}", flush=True)

    params = {"quarter": quarters[-1], "unit": "ALL", "warehouse": str(db)}
    prof = None
    if not args.skip_profile:
        prof = child(PROFILE, str(QUARTERLY), str(WORK / "profile"), json.dumps(params))

    big_rows: list[tuple[str, float, float]] = []
    if not args.skip_big:
        big = build(args.big)
        bparams = {"quarter": "latest", "unit": "ALL", "warehouse": str(big)}
        out = str(WORK / "big")
        for label, nb, p, how in (
            ("empty notebook, render() (floor)", empty_notebook(), {"x": 2}, "fresh"),
            ("company report, render() (fresh kernel)", QUARTERLY, bparams, "fresh"),
            ("company report, warm kernel", QUARTERLY, bparams, "warm"),
        ):
            c0 = cpu()
            secs = child(RENDER, str(nb), out, json.dumps(p), how)["seconds"]
            big_rows.append((label, secs, cpu() - c0))

    print(f"\nuptime at the end: {uptime()}")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"\n{args.responses:,} responses, {len(reports)} reports\n")
    print("| what | wall s | CPU s | note |\n| --- | ---: | ---: | --- |")
    for name, s, c, note in rows:
        print(f"| {name} | {s:.1f} | {c:.1f} | {note} |")
    if big_rows:
        print(f"\nCompany report, {args.big:,} responses\n")
        print("| what | wall s | CPU s (whole child) |\n| --- | ---: | ---: |")
        for name, s, c in big_rows:
            print(f"| {name} | {s:.2f} | {c:.2f} |")
    if prof is None:
        return
    print("\nOne quarterly report on a warm kernel (company, last quarter)\n")
    print("| step | seconds |\n| --- | ---: |")
    for key in ("start_and_warm", "warm_report", "prepare", "reset", "execute", "finish"):
        print(f"| {key} | {prof[key]:.2f} |")
    print("\n| cell | seconds |\n| --- | ---: |")
    for first, secs in prof["cells"]:
        print(f"| `{first}` | {secs:.2f} |")


if __name__ == "__main__":
    main()
