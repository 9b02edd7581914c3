"""Start-up time of ``cxlab --help`` and of two subcommands' help (issue #8, item 9).

Each command runs as the installed ``cxlab`` script would, in a fresh process:
``python -c "from cxlab.cli import main; main([...])"``, with output thrown
away. One untimed run warms the file cache, then the best of five is reported:
wall-clock time, and CPU time (user + system of the child process, which other
jobs on a busy machine disturb less), beside a bare ``python -c pass`` (the
interpreter's own start-up, the floor) and the heaviest top-level imports from
``python -X importtime``.

Run from the repository root::

    .venv/bin/python benchmarks/cli_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (["--help"], ["ingest", "--help"], ["render", "--help"], ["pack", "--help"])


def _code(argv: list[str]) -> str:
    return f"import sys\nfrom cxlab.cli import main\nsys.exit(main({argv!r}))"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run(
        [sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=60
    )
    return time.perf_counter() - start, _cpu() - cpu


def best(args: list[str], repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``repeat`` runs, after one to warm up."""
    _run(args)
    runs = [_run(args) for _ in range(repeat)]
    return min(w for w, _ in runs), min(c for _, c in runs)


def heaviest_imports(argv: list[str], top: int = 4) -> str:
    """The top-level imports that cost most (cumulative µs from -X importtime)."""
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _code(argv)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    costs: dict[str, int] = {}
    for line in res.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m:  # no indent after "| ": imported by the script itself, not by another module
            costs[m.group(2)] = int(m.group(1))
    worst = sorted(costs.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{name} {us / 1000:.0f}" for name, us in worst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    floor, floor_cpu = best(["-c", "pass"], opts.repeat)
    print(
        f"| command | wall s, best of {opts.repeat} | CPU s, best of {opts.repeat} "
        "| wall minus bare python | heaviest imports (ms) |"
    )
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| `python -c pass` | {floor:.3f} | {floor_cpu:.3f} | | |")
    for argv in COMMANDS:
        wall, cpu = best(["-c", _code(argv)], opts.repeat)
        print(
            f"| `cxlab {' '.join(argv)}` | {wall:.3f} | {cpu:.3f} | {wall - floor:.3f} "
            f"| {heaviest_imports(argv)} |"
        )


if __name__ == "__main__":
    main()
