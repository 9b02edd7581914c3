"""Write ``panel.csv``: the small unit x quarter panel the R references are computed on.

Run from the repository root (``.venv/bin/python tests/reference/make_panel.py``); the
committed CSV is the source of truth for both sides, so the R script and
``tests/test_reference.py`` read the same numbers. Deterministic (numpy PCG64, seed 20240917).

8 units, 2021Q1-2024Q4, with gaps on purpose: unit c lacks 2022Q3, unit f lacks
2023Q1-2023Q2 and unit h starts in 2022Q1, so every lag must be taken by quarter
arithmetic (a gap is never bridged). Columns follow ``cxlab.outcomes.build_panel``:
``unit, quarter, qi`` and the metrics ``nps`` (with its sampling variance ``nps_var``),
``csat_mean``, ``ces_mean`` and the outcomes ``revenue`` and ``new_customers``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def make_panel(seed: int = 20240917) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = list("abcdefgh")
    q0 = 2021 * 4  # 2021Q1
    rows = []
    for u in units:
        level = rng.normal(20, 15)
        size = rng.uniform(50, 150)
        nps = level + rng.normal(0, 6)
        csat = rng.normal(4.0, 0.2)
        ces = rng.normal(5.0, 0.3)
        n_resp = int(rng.integers(1000, 4000))
        hist = [nps, nps]
        for t in range(16):
            nps = level + 0.5 * (nps - level) + rng.normal(0, 6)
            csat = 4.0 + 0.6 * (csat - 4.0) + 0.01 * (nps - level) + rng.normal(0, 0.1)
            ces = 5.0 + 0.6 * (ces - 5.0) + rng.normal(0, 0.2)
            hist.append(nps)
            share = np.clip(0.5 + nps / 200, 0.05, 0.95)
            var = float(np.clip(share * (1 - share) * 4 / n_resp, 1e-4, None)) * 100**2
            revenue = size * (1 + 0.004 * hist[-2] + 0.002 * hist[-3]) + rng.normal(0, 4) + 0.8 * t
            new = max(0.0, round(0.3 * size + 0.25 * hist[-2] + rng.normal(0, 5)))
            k = q0 + t
            rows.append(
                {
                    "unit": u,
                    "quarter": f"{k // 4}Q{k % 4 + 1}",
                    "qi": k,
                    "nps": round(nps, 6),
                    "nps_var": round(var, 6),
                    "csat_mean": round(csat, 6),
                    "ces_mean": round(ces, 6),
                    "revenue": round(revenue, 6),
                    "new_customers": new,
                }
            )
    df = pd.DataFrame(rows)
    drop = (
        ((df["unit"] == "c") & (df["quarter"] == "2022Q3"))
        | ((df["unit"] == "f") & df["quarter"].isin(["2023Q1", "2023Q2"]))
        | ((df["unit"] == "h") & (df["qi"] < 2022 * 4))
    )
    return df[~drop].reset_index(drop=True)


if __name__ == "__main__":
    make_panel().to_csv(HERE / "panel.csv", index=False)
