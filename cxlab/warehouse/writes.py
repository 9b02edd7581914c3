"""Writing checked rows into a table: keys, conflicts, updates (one transaction).

Called by :func:`cxlab.warehouse.ingest` inside its transaction, once the file
has been checked into the temporary table ``__typed`` (and the view
``__final``): :func:`write_rows` stores channel names in the spelling the
warehouse already uses, refuses keys duplicated within the file, compares keys
with the rows already there, and adds (or, with ``update``, replaces) rows.
"""

from __future__ import annotations

from typing import Any

from cxlab.errors import ValidationError
from cxlab.schema import TABLES, VOCABULARY_COLUMNS, Table
from cxlab.warehouse.readers import Renumber
from cxlab.warehouse.store import LOAD_ID, q
from cxlab.warehouse.validate import MAX_EXAMPLES, fmt_value

__all__ = ["write_rows"]


def _key_text(key: tuple[str, ...], values: tuple[Any, ...]) -> str:
    return ", ".join(
        f"{k}={fmt_value(str(v) if v is not None else v)}" for k, v in zip(key, values, strict=True)
    )


def _canonical_vocabulary(con: Any, t: Table) -> None:
    """Store channels in the spelling the warehouse already uses (any case matches)."""
    for col in VOCABULARY_COLUMNS:
        if col == "stage" or col not in t.column_names:
            continue
        known = " UNION ALL ".join(
            f"SELECT {q(c)} AS v FROM {q(other.name)} WHERE {q(c)} IS NOT NULL"
            for other in TABLES.values()
            for c in other.column_names
            if c in ("channel", "preferred_channel")
        )
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE __canon AS
            WITH seen AS (
                SELECT v, 0 AS pri, count(*) AS n FROM ({known}) GROUP BY v
                UNION ALL
                SELECT {q(col)}, 1, count(*) FROM __typed WHERE {q(col)} IS NOT NULL GROUP BY 1
            )
            SELECT lower(v) AS k, arg_min(v, (pri, -n, v)) AS canon FROM seen GROUP BY 1
            """
        )
        con.execute(
            f"UPDATE __typed SET {q(col)} = __canon.canon FROM __canon "
            f"WHERE lower(__typed.{q(col)}) = __canon.k AND __typed.{q(col)} <> __canon.canon"
        )


def write_rows(con: Any, t: Table, p: Any, update: bool, src: Any, shown: str) -> dict[str, Any]:
    """Check keys, then add new rows and (with ``update``) replace changed ones."""
    _canonical_vocabulary(con, t)
    _check_duplicates(con, t, shown, src)
    keys = ", ".join(q(k) for k in t.key)
    others = [c for c in t.column_names if c not in t.key]
    cols = ", ".join(q(c) for c in t.column_names)
    if update:  # columns the file lacks keep their warehouse values
        kept = [c for c in p.absent if c in others]
        if kept:
            sets = ", ".join(f"{q(c)} = w.{q(c)}" for c in kept)
            on = " AND ".join(f"__typed.{q(k)} = w.{q(k)}" for k in t.key)
            con.execute(f"UPDATE __typed SET {sets} FROM {q(t.name)} w WHERE {on}")
    differ = " OR ".join(f"(s.{q(c)} IS DISTINCT FROM w.{q(c)})" for c in others) or "false"
    join = f"FROM __final s JOIN {q(t.name)} w USING ({keys})"
    present = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {q(t.name)} LIMIT 1)").fetchone()
    n_same, n_changed, changed = 0, 0, {}
    if present[0]:  # compare with the rows already there (nothing to compare on a first load)
        n_same = con.execute(f"SELECT count(*) {join} WHERE NOT ({differ})").fetchone()[0]
        per_column = ", ".join(
            f"count(*) FILTER (WHERE s.{q(c)} IS DISTINCT FROM w.{q(c)})" for c in others
        )
        counts = con.execute(
            f"SELECT count(*), {per_column or '0'} {join} WHERE {differ}"
        ).fetchone()
        n_changed = int(counts[0])
        changed = {c: int(k) for c, k in zip(others, counts[1:], strict=False) if k}
    if n_changed and not update:
        if not src.numbered:
            raise Renumber
        _conflict_message(con, t, shown, src, join, differ, n_changed, list(changed), others)
    load_id = int(
        con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM cxlab_meta.loads").fetchone()[0]
    )
    if n_changed:
        old = ", ".join(f"w.{q(c)}" for c in [*t.column_names, LOAD_ID])
        con.execute(
            f"INSERT INTO cxlab_meta.{q('replaced_' + t.name)} SELECT {old}, {load_id} {join} "
            f"WHERE {differ}"
        )
        on = " AND ".join(f"{q(t.name)}.{q(k)} = s.{q(k)}" for k in t.key)
        con.execute(
            f"DELETE FROM {q(t.name)} USING __final s WHERE {on} AND ("
            + differ.replace("w.", f"{q(t.name)}.")
            + ")"
        )
    con.execute("SET preserve_insertion_order = false")
    anti = f"ANTI JOIN {q(t.name)} USING ({keys})" if present[0] else ""
    added = con.execute(
        f"INSERT INTO {q(t.name)} ({cols}, {LOAD_ID}) SELECT {cols}, {load_id} FROM __final " + anti
    ).fetchone()[0]
    return {
        "added": int(added) - n_changed,
        "updated": n_changed,
        "same": int(n_same),
        "changed": changed,
        "load_id": load_id,
    }


def _check_duplicates(con: Any, t: Table, shown: str, src: Any) -> None:
    keys = ", ".join(q(k) for k in t.key)
    top_keys = ", ".join(f"top.{q(k)}" for k in t.key)
    rows = con.execute(
        f"""
        WITH d AS (
            SELECT {keys}, count(*) AS n, min(__row) AS first
            FROM __typed GROUP BY {keys} HAVING count(*) > 1
        ),
        top AS (
            SELECT *, count(*) OVER () AS n_keys, sum(n) OVER () AS n_rows
            FROM d ORDER BY first LIMIT {MAX_EXAMPLES}
        )
        SELECT {top_keys}, top.n, list(s.__row ORDER BY s.__row)[1:{MAX_EXAMPLES}],
               top.n_keys, top.n_rows
        FROM top JOIN __typed s USING ({keys})
        GROUP BY ALL ORDER BY min(s.__row)
        """
    ).fetchall()
    if not rows:
        return
    if not src.numbered:
        raise Renumber
    k = len(t.key)
    n_keys, n_rows = rows[0][-2], int(rows[0][-1])
    lines = [
        f"{shown}: key ({', '.join(t.key)}) is duplicated within the file: {n_keys} key"
        f"{'s' if n_keys != 1 else ''} on {n_rows} rows; nothing was loaded into table "
        f"{t.name!r}. {src.row_note}"
    ]
    for r in rows:
        lines.append(f"  - {_key_text(t.key, r[:k])}: {src.locate(list(r[k + 1]))}")
    if n_keys > len(rows):
        lines.append(f"  - ... and {n_keys - len(rows)} more keys")
    raise ValidationError("\n".join(lines))


def _conflict_message(
    con: Any,
    t: Table,
    shown: str,
    src: Any,
    join: str,
    differ: str,
    n: int,
    cols: list[str],
    others: list[str],
) -> None:
    sel = ", ".join(["s.__row"] + [f"s.{q(k)}" for k in t.key])
    sel += "".join(f", s.{q(c)}, w.{q(c)}" for c in others)
    examples = con.execute(
        f"SELECT {sel} {join} WHERE {differ} ORDER BY s.__row LIMIT {MAX_EXAMPLES}"
    ).fetchall()
    lines = [
        f"{shown}: {n} row{'s' if n != 1 else ''} have a key already in table {t.name!r} "
        f"but different values (columns: {', '.join(cols)}); nothing was loaded. To correct "
        f"those rows, load the file with --update (the earlier values are kept). "
        f"{src.row_note}"
    ]
    k = len(t.key)
    for ex in examples:
        row, key_vals, rest = ex[0], ex[1 : 1 + k], ex[1 + k :]
        diffs = [
            f"{c}: file {fmt_value(rest[2 * i])} vs warehouse {fmt_value(rest[2 * i + 1])}"
            for i, c in enumerate(others)
            if rest[2 * i] != rest[2 * i + 1]
        ]
        lines.append(f"  - {_key_text(t.key, key_vals)} ({src.locate([row])}): {'; '.join(diffs)}")
    if n > len(examples):
        lines.append(f"  - ... and {n - len(examples)} more")
    raise ValidationError("\n".join(lines))
