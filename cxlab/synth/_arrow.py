"""Arrow schemas and columns, and chunked Parquet writing, shared by the simulation steps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    pass

from cxlab.errors import CxlabError
from cxlab.schema import TABLES

_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
}


def arrow_schema(table: str) -> pa.Schema:
    """Return the Arrow schema of a warehouse table from :data:`cxlab.schema.TABLES`.

    DuckDB types map to Arrow as VARCHAR -> string, DATE -> date32,
    TIMESTAMP -> timestamp[us], INTEGER -> int32, BIGINT -> int64,
    DOUBLE -> float64, BOOLEAN -> bool; a column's ``nullable`` flag is kept.

    Parameters
    ----------
    table : str
        Table name, e.g. ``"responses"``.

    Returns
    -------
    pyarrow.Schema

    Examples
    --------
    >>> arrow_schema("outcomes").field("new_customers").type
    DataType(int64)
    """
    if table not in TABLES:
        raise CxlabError(f"unknown table {table!r}; known tables: {', '.join(TABLES)}")
    return pa.schema(
        [pa.field(c.name, _ARROW_TYPES[c.type], nullable=c.nullable) for c in TABLES[table].columns]
    )


# --------------------------------------------------------------------------- helpers


def id_array(prefix: str, start: int, n: int, width: int) -> pa.Array:
    nums = pc.cast(pa.array(np.arange(start + 1, start + n + 1, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(nums, width, "0"), "")


def label_array(values: tuple[str, ...], idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(idx.astype(np.int32)))


def date_array(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.int32(), mask=null).cast(pa.date32())


def pick_index(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw from unnormalised cumulative weights; never a zero-weight index."""
    return np.searchsorted(cum, u * cum[-1], side="right")


def draw_categorical(
    rng: np.random.Generator, probs: Sequence[float] | np.ndarray, n: int
) -> np.ndarray:
    return pick_index(rng.random(n), np.cumsum(probs))


class PartWriter:
    """Stream Arrow tables into Parquet parts of at most ``chunk`` rows each.

    Only the table being written is in memory; each ``add`` becomes one or more
    row groups of the current part.
    """

    def __init__(self, folder: Path, table: str, chunk: int) -> None:
        self.folder, self.table, self.chunk = folder, table, chunk
        self.schema = arrow_schema(table)
        self.writer: pq.ParquetWriter | None = None
        self.in_part = 0
        self.parts = 0
        self.rows = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("part-*.parquet"):
            old.unlink()

    def add(self, table: pa.Table) -> None:
        for field in self.schema:
            if not field.nullable and table.column(field.name).null_count:
                raise AssertionError(f"synth bug: nulls in {self.table}.{field.name}")
        table = table.cast(self.schema)
        start = 0
        while start < table.num_rows:
            if self.writer is None:
                path = self.folder / f"part-{self.parts:05d}.parquet"
                self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
                self.parts += 1
            take = min(self.chunk - self.in_part, table.num_rows - start)
            self.writer.write_table(table.slice(start, take))
            start += take
            self.in_part += take
            self.rows += take
            if self.in_part == self.chunk:
                self._close_part()

    def _close_part(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer, self.in_part = None, 0

    def close(self) -> int:
        if self.parts == 0:  # an empty table still gets a part with its schema
            pq.write_table(self.schema.empty_table(), self.folder / "part-00000.parquet")
            self.parts = 1
        self._close_part()
        return self.rows
