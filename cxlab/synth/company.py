"""Write the demo company's tables as Parquet files with their truth, and read them back."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import pandas as pd

from cxlab.errors import CxlabError
from cxlab.schema import TABLES
from cxlab.synth._arrow import PartWriter, arrow_schema
from cxlab.synth.battery import attribute_ratings
from cxlab.synth.constants import BLOCK_RESPONSES, TOUCHPOINTS
from cxlab.synth.design import Design, check_args, make_design, touchpoint_table
from cxlab.synth.simulate import simulate_block
from cxlab.synth.truth import build_truth


def generate(
    out_dir: str | Path,
    *,
    n_responses: int = 60_000,
    seed: int = 2026,
    n_units: int = 8,
    quarters: int = 12,
    last_quarter: str = "2026Q3",
    chunk_size: int = 1_000_000,
    progress: bool = False,
) -> Path:
    """Write the demo company's tables as Parquet and its planted truth as JSON.

    Parameters
    ----------
    out_dir : str or Path
        Output folder; created if needed. Earlier ``part-*.parquet`` files of
        the seven tables and ``truth.json`` in it are replaced.
    n_responses : int
        Exact number of survey responses (the other tables scale with it:
        about 0.65 customers, 1.4 interactions and 1.5 transactions per response).
    seed : int
        Non-negative seed; the same arguments give byte-identical files.
    n_units : int
        Number of business units.
    quarters : int
        Number of reported quarters, ending with ``last_quarter``.
    last_quarter : str
        Last reported quarter as ``"YYYYQn"``.
    chunk_size : int
        Maximum rows per Parquet part. Only the file split depends on it; the
        data do not (they are simulated in fixed internal blocks).
    progress : bool
        Show a tqdm progress bar (in responses).

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    CxlabError
        On a bad argument (negative seed, ``last_quarter`` not like ``2026Q3``...).

    Notes
    -----
    Generation is block-wise (about 200,000 responses and their customers per
    block), so memory stays bounded: 10 million responses take about 100 s and
    640 MB peak memory on one core. See the module docstring for the planted
    truths.

    Examples
    --------
    >>> import tempfile
    >>> out = generate(tempfile.mkdtemp(), n_responses=1_000, seed=1, n_units=3, quarters=4)
    >>> sorted(p.name for p in out.iterdir())[:3]
    ['attribute_ratings', 'customer_history', 'customers']
    >>> load_truth(out)["units"]
    ['Nordics', 'UK & Ireland', 'Benelux']
    """
    check_args(n_responses, seed, n_units, quarters, chunk_size)
    out = Path(out_dir)
    design = make_design(seed, n_units, quarters, last_quarter)
    out.mkdir(parents=True, exist_ok=True)
    writers = {name: PartWriter(out / name, name, chunk_size) for name in TABLES}

    stats = _write_blocks(design, n_responses, writers, progress)
    writers["outcomes"].add(design.outcomes)
    writers["touchpoints"].add(touchpoint_table())
    counts = {name: w.close() for name, w in writers.items()}

    truth = build_truth(design, n_responses, counts, stats)
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return out


def _write_blocks(
    design: Design, n_responses: int, writers: dict[str, PartWriter], progress: bool
) -> dict[str, np.ndarray]:
    """Simulate the blocks of responses and their customers, and stream their tables to
    ``writers``; returns the counts the truth needs (``churn``, ``cells``)."""
    from tqdm.auto import tqdm

    n_blocks = max(1, math.ceil(n_responses / BLOCK_RESPONSES))
    offsets = {"customers": 0, "responses": 0, "transactions": 0, "interactions": 0}
    stats = {  # churn within window: [category, (n, churned)]; responses by (touch point, LTR)
        "churn": np.zeros((3, 2), dtype=np.int64),
        "cells": np.zeros((len(TOUCHPOINTS), 11), dtype=np.int64),
    }
    with tqdm(total=n_responses, unit="resp", disable=not progress, desc="cxlab synth") as bar:
        for b in range(n_blocks):
            quota = (b + 1) * n_responses // n_blocks - b * n_responses // n_blocks
            tables, block_stats = simulate_block(design, b, quota, offsets)
            tables["attribute_ratings"] = attribute_ratings(design.seed, b, tables["responses"])
            for key, value in block_stats.items():
                stats[key] += value
            for name, tab in tables.items():
                writers[name].add(tab)
            bar.update(quota)
    return stats


def load_truth(out_dir: str | Path) -> dict[str, Any]:
    """Read the planted ground truth written by :func:`generate`.

    Parameters
    ----------
    out_dir : str or Path
        The folder :func:`generate` wrote.

    Returns
    -------
    dict
        The parsed ``truth.json`` (latent NPS paths, outcome model, weak touch
        points and channel, churn rates, CSAT/CES model, weights, row counts).

    Examples
    --------
    >>> import tempfile
    >>> out = generate(tempfile.mkdtemp(), n_responses=500, seed=3)
    >>> load_truth(out)["churn"]["rate_by_category"]["detractor"]
    0.3
    """
    path = Path(out_dir) / "truth.json"
    if not path.is_file():
        raise CxlabError(f"{path}: file not found; generate the demo data first (cxlab synth)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CxlabError(f"{path}: not valid JSON ({exc})") from None


def read_table(out_dir: str | Path, table: str) -> pd.DataFrame:
    """Read one generated table (all its parts) into a pandas DataFrame.

    Parameters
    ----------
    out_dir : str or Path
        The folder :func:`generate` wrote.
    table : str
        Table name from :data:`cxlab.schema.TABLES`.

    Returns
    -------
    pandas.DataFrame
        Rows in generation order, columns as in the schema; DATE columns as
        ``datetime64``, nullable INTEGER columns as float when they hold nulls.

    Examples
    --------
    >>> import tempfile
    >>> out = generate(tempfile.mkdtemp(), n_responses=500, seed=3)
    >>> list(read_table(out, "outcomes").columns)[:3]
    ['unit', 'quarter', 'new_customers']
    """
    schema = arrow_schema(table)
    parts = sorted((Path(out_dir) / table).glob("part-*.parquet"))
    if not parts:
        raise CxlabError(f"{Path(out_dir) / table}: no part-*.parquet files; run cxlab synth")
    data = pa.concat_tables([pq.read_table(p, schema=schema) for p in parts])
    return data.to_pandas(date_as_object=False)
