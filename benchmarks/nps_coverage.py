"""Exact coverage of every NPS interval in :mod:`cxlab.stats`, by full enumeration.

Run on demand (never part of ``make test``; about ten minutes on one core with the
default 10,000 replicates, two with ``--n-boot 2000``)::

    .venv/bin/python benchmarks/nps_coverage.py [--n 10 30 50 100 200] [--n-boot 10000]

For a sample of ``n`` respondents from a population with promoter share ``P``
and detractor share ``D``, the counts (detractors, passives, promoters) are
``Multinomial(n, (D, 1 - P - D, P))``. The coverage of an interval method is

    C(P, D) = sum over all (d, a, p) with d + a + p = n of
              pmf(d, a, p) * [low(d, a, p) <= 100 (P - D) <= high(d, a, p)],

an exact sum over the ``(n + 1)(n + 2) / 2`` possible outcomes (20,301 at
n = 200), not a simulation. The intervals of every outcome are computed once per
``n`` with :func:`cxlab.stats.nps_counts` and reused for every ``(P, D)``.

``bootstrap`` and ``bayes`` are Monte-Carlo intervals: they are computed with
their seeded implementation (``seed=0``) and ``n_boot`` replicates/draws per
outcome (the package default, 10,000). The sum over outcomes is still exact; what
remains is the Monte-Carlo error of each outcome's bounds. Near the edges a few
outcomes carry most of the probability and their bounds sit close to the truth,
so that error can flip several points of coverage at once: the grid holds mirror
pairs ((P, D) and (D, P), equal coverage by symmetry), and their difference in
the table shows the size of that noise.

Writes ``benchmarks/nps_coverage.csv`` (long: n, P, D, method, coverage) and
``benchmarks/nps_coverage.md`` (the table summarised in the README).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cxlab.stats import nps_counts  # noqa: E402

#: (label, keyword arguments of nps_counts)
METHODS: tuple[tuple[str, dict], ...] = (
    ("adjusted-wald", {"method": "adjusted-wald"}),
    ("score", {"method": "score"}),
    ("wald", {"method": "wald"}),
    ("bootstrap", {"method": "bootstrap"}),
    ("bayes", {"method": "bayes"}),
    ("bayes-jeffreys", {"method": "bayes", "prior": "jeffreys"}),
    ("bootstrap hpd", {"method": "bootstrap", "interval": "hpd"}),
    ("bayes hpd", {"method": "bayes", "interval": "hpd"}),
    ("bayes-jeffreys hpd", {"method": "bayes", "prior": "jeffreys", "interval": "hpd"}),
)

#: (P, D): promoter and detractor shares, from the centre to the edges.
GRID: tuple[tuple[float, float], ...] = (
    (0.98, 0.01),
    (0.90, 0.05),
    (0.70, 0.10),
    (0.50, 0.20),
    (0.34, 0.33),
    (0.50, 0.45),
    (0.05, 0.05),
    (0.20, 0.50),
    (0.10, 0.80),
    (0.01, 0.98),
)

NS = (10, 30, 50, 100, 200)


def outcomes(n: int) -> np.ndarray:
    """Every (detractors, passives, promoters) with total ``n``, one row each."""
    d, p = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    keep = d + p <= n
    d, p = d[keep], p[keep]
    return np.column_stack([d, n - d - p, p])


def multinomial_pmf(counts: np.ndarray, probs: tuple[float, float, float]) -> np.ndarray:
    """Multinomial probabilities of ``counts`` (rows), exact for zero probabilities."""
    n = counts.sum(axis=1)
    logp = special.gammaln(n + 1) - special.gammaln(counts + 1).sum(axis=1)
    logp = logp + sum(special.xlogy(counts[:, j], probs[j]) for j in range(3))
    return np.exp(logp)


def intervals(n: int, *, level: float = 0.95, n_boot: int = 10_000, **kw) -> np.ndarray:
    """``(K, 2)`` bounds (NPS points) of ``nps_counts(**kw)`` for every outcome of size n."""
    c = outcomes(n)
    r = nps_counts(c[:, 0], c[:, 1], c[:, 2], level=level, n_boot=n_boot, seed=0, **kw)
    return r[["low", "high"]].to_numpy(float)


def exact_coverage(
    n: int,
    grid: tuple[tuple[float, float], ...] | list[tuple[float, float]],
    *,
    level: float = 0.95,
    n_boot: int = 10_000,
    bounds: np.ndarray | None = None,
    **kw,
) -> np.ndarray:
    """Exact coverage of an NPS interval at sample size ``n`` for each ``(P, D)``.

    Parameters
    ----------
    n : int
        Sample size.
    grid : sequence of (P, D)
        Promoter and detractor shares (proportions, ``P + D <= 1``).
    level : float
        Nominal level of the interval.
    n_boot : int
        Replicates / posterior draws for the Monte-Carlo methods.
    bounds : numpy.ndarray, optional
        Precomputed :func:`intervals` for this ``n`` (reused across grids).
    **kw
        Passed to :func:`cxlab.stats.nps_counts` (``method=``, ``prior=``, ...).

    Returns
    -------
    numpy.ndarray
        Coverage probability for each ``(P, D)``.

    Examples
    --------
    >>> # n = 1, all promoters: Wald's interval is [100, 100]; it covers NPS 100 only
    >>> exact_coverage(1, [(1.0, 0.0), (0.5, 0.5)], method="wald").tolist()
    [1.0, 0.0]
    """
    c = outcomes(n)
    b = intervals(n, level=level, n_boot=n_boot, **kw) if bounds is None else bounds
    tol = 1e-9  # a bound equal to the truth up to float noise covers it
    out = []
    for pp, dd in grid:
        truth = 100.0 * (pp - dd)
        pmf = multinomial_pmf(c, (dd, max(1.0 - pp - dd, 0.0), pp))
        hit = (b[:, 0] <= truth + tol) & (truth - tol <= b[:, 1])
        out.append(float(pmf[hit].sum()))
    return np.array(out)


def run(ns=NS, grid=GRID, methods=METHODS, n_boot: int = 10_000, level: float = 0.95):
    rows = []
    for n in ns:
        for label, kw in methods:
            cov = exact_coverage(n, grid, level=level, n_boot=n_boot, **kw)
            rows += [
                {"n": n, "P": pp, "D": dd, "method": label, "coverage": v}
                for (pp, dd), v in zip(grid, cov, strict=True)
            ]
            print(f"n={n:4d} {label:15s} min {cov.min():.3f} mean {cov.mean():.3f}", flush=True)
    return pd.DataFrame(rows)


def markdown(res: pd.DataFrame, n_boot: int, level: float) -> str:
    order = [m for m, _ in METHODS if m in set(res["method"])]
    pct = res.assign(coverage=100 * res["coverage"])
    lines = [
        "# Exact coverage of the NPS intervals",
        "",
        f"Nominal level {level:.0%}. Generated by `benchmarks/nps_coverage.py` "
        f"(bootstrap and Bayes: seed 0, {n_boot:,} replicates/draws per outcome). "
        "Each cell is the probability, summed exactly over every possible "
        "(detractors, passives, promoters) outcome, that the interval contains the "
        "true NPS 100 (P - D). **Bold**: below 93%. Mirror rows ((P, D) and (D, P)) "
        "have equal coverage in theory; for bootstrap and Bayes their difference is "
        "the Monte-Carlo noise of the bounds.",
        "",
        "## Summary: lowest and mean coverage over the (P, D) grid",
        "",
    ]
    summ = pct.groupby(["n", "method"])["coverage"].agg(["min", "mean"]).unstack("method")
    head = "| n | " + " | ".join(f"{m} min / mean" for m in order) + " |"
    lines += [head, "| ---: |" + " ---: |" * len(order)]
    for n in summ.index:
        cells = [f"{summ.loc[n, ('min', m)]:.1f} / {summ.loc[n, ('mean', m)]:.1f}" for m in order]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    for n, g in pct.groupby("n"):
        lines += ["", f"## n = {n}", ""]
        lines += ["| P | D | NPS | " + " | ".join(order) + " |"]
        lines += ["| ---: | ---: | ---: |" + " ---: |" * len(order)]
        wide = g.pivot_table(index=["P", "D"], columns="method", values="coverage", sort=False)
        for (pp, dd), r in wide.iterrows():
            vals = [f"**{r[m]:.1f}**" if r[m] < 93 else f"{r[m]:.1f}" for m in order]
            lines.append(
                f"| {pp:.2f} | {dd:.2f} | {100 * (pp - dd):+.0f} | " + " | ".join(vals) + " |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=list(NS))
    ap.add_argument("--n-boot", type=int, default=10_000)
    ap.add_argument("--level", type=float, default=0.95)
    ap.add_argument("--out", type=Path, default=HERE / "nps_coverage")
    a = ap.parse_args(argv)
    res = run(a.n, n_boot=a.n_boot, level=a.level)
    res.to_csv(a.out.with_suffix(".csv"), index=False, float_format="%.6f")
    a.out.with_suffix(".md").write_text(markdown(res, a.n_boot, a.level), encoding="utf-8")
    print(f"wrote {a.out.with_suffix('.csv')} and {a.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
