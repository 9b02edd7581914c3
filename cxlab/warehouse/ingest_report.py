"""What one load did: :class:`IngestReport` and the summary ``cxlab ingest`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["IngestReport"]


@dataclass(frozen=True)
class IngestReport:
    """What :func:`ingest` did.

    Attributes
    ----------
    file, table, db : what was loaded where.
    load_id : the load's id in ``cxlab_meta.loads`` (``None`` when nothing changed).
    rows_read : data rows in the file.
    rows_added, rows_updated, rows_already_present : what happened to them.
    skipped : ``{reason: rows}`` for rows not loaded (blank score, incomplete).
    absent_columns : optional warehouse columns the file lacks (stored as NULL).
    ignored_columns : file columns that feed no warehouse column.
    changed_columns : ``{column: rows}`` changed by an update.
    """

    file: Path
    table: str
    db: Path | str  # a DuckDB file, or a server URL (password masked)
    rows_read: int
    rows_added: int
    rows_already_present: int
    ignored_columns: tuple[str, ...] = ()
    rows_updated: int = 0
    load_id: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    absent_columns: tuple[str, ...] = ()
    changed_columns: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """The ingest summary printed by ``cxlab ingest``.

        Examples
        --------
        >>> r = IngestReport(Path("r.csv"), "responses", Path("w.duckdb"), 10, 7, 1,
        ...                  skipped={"blank score": 2}, absent_columns=("channel",))
        >>> print(r.summary())
        r.csv -> responses in w.duckdb: 10 rows read, 7 added, 1 already present, 2 skipped
          skipped: blank score 2 (a response needs at least one of ltr, csat, ces)
          not in the file, stored as empty (shown as "not recorded"): channel
        """
        text = (
            f"{self.file} -> {self.table} in {self.db}: {self.rows_read} rows read, "
            f"{self.rows_added} added, {self.rows_already_present} already present"
        )
        if self.rows_updated:
            text += f", {self.rows_updated} updated"
        n_skipped = sum(self.skipped.values())
        if n_skipped:
            text += f", {n_skipped} skipped"
        lines = [text + (f" (load {self.load_id})" if self.load_id is not None else "")]
        lines[0] = lines[0].replace(" (load None)", "")
        if self.changed_columns:
            lines.append(
                "  changed: "
                + ", ".join(
                    f"{c} in {n} row{'s' if n != 1 else ''}"
                    for c, n in self.changed_columns.items()
                )
            )
        why = {
            "blank score": "a response needs at least one of ltr, csat, ces",
            "incomplete response": "the export marks it unfinished; keep them with "
            "--keep-incomplete",
        }
        if n_skipped:
            lines.append(
                "  skipped: "
                + "; ".join(f"{k} {v} ({why.get(k, '')})" for k, v in self.skipped.items())
            )
        if self.absent_columns:
            lines.append(
                '  not in the file, stored as empty (shown as "not recorded"): '
                + ", ".join(self.absent_columns)
            )
        if self.ignored_columns:
            shown = list(self.ignored_columns[:12])
            more = len(self.ignored_columns) - len(shown)
            lines.append(
                "  ignored columns: "
                + ", ".join(map(repr, shown))
                + (f" and {more} more" if more > 0 else "")
            )
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)
