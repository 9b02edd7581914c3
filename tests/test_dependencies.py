"""Behaviour cxlab relies on in the libraries it pins (requirements.lock)."""

from __future__ import annotations

import gc

import ibis


def test_ibis_drops_the_temporary_table_of_a_released_cache() -> None:
    """Report snapshots are ``Table.cache()``: when released, Ibis must drop the
    temporary table. sqlglot 30.18 to 30.30 compile that DROP without the table's
    name, so the tables stayed (and each printed a ParserException) in every warm
    kernel; requirements.lock pins a sqlglot that works."""
    con = ibis.duckdb.connect()
    t = con.create_table("t", ibis.memtable({"a": [1, 2, 3]}))
    before = set(con.list_tables())
    cached = t.cache()
    assert cached.count().execute() == 3
    (name,) = set(con.list_tables()) - before
    del cached
    gc.collect()
    assert name not in set(con.list_tables())
