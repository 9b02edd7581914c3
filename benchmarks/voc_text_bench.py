"""Throughput of PII masking and VADER sentiment on generated verbatims (issue #12, item 8).

Generates ``--n`` verbatims (default 200,000) from word pools (the share of
distinct ones is printed: repeated verbatims are masked and scored once), about 6% with an e-mail, phone, card, IBAN or URL in them and
about 25% with a digit run (order numbers, prices) that the phone search has to
look at. Then times, in this process:

- ``mask_pii_series`` (responses/s);
- VADER alone on the masked text;
- ``sentiment`` on a DataFrame (masking included, responses/s);
- ``store_sentiment`` into a fresh DuckDB file, first run (everything scored)
  and second run (nothing new: the anti-join in the engine only).

Peak memory is the process's maximum resident set size (``ru_maxrss``). Results
go to stdout; record them in ``RESULTS.md`` by hand.

Run from the repository root::

    .venv/bin/python benchmarks/voc_text_bench.py [--n 200000] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cxlab.voc import mask_pii_series, sentiment, store_sentiment
from cxlab.voc.sentiment import score_texts

OPENERS = [
    "The",
    "My",
    "Honestly the",
    "Overall the",
    "Sadly the",
    "Really happy, the",
    "Again the",
]
SUBJECTS = ["delivery", "courier", "staff", "checkout", "app", "refund", "TV", "laptop", "store"]
VERBS = ["was", "felt", "seemed", "has been", "is always", "was not", "was never"]
ADJ = ["great", "slow", "friendly", "rude", "broken", "excellent", "confusing", "fine", "late"]
DETAILS = [
    f"{a} {b}"
    for a in ["the", "a", "another", "one more", "my second", "that"]
    for b in [
        "parcel",
        "box",
        "call",
        "email",
        "visit",
        "order",
        "screen",
        "cable",
        "remote",
        "manager",
        "cashier",
        "driver",
        "website",
        "voucher",
        "return",
        "receipt",
    ]
]
TAILS = [
    "and I will shop again",
    "so I gave up",
    "but the price was good",
    "which made me angry",
    "thanks to the team",
    "and nobody called back",
    "",
]
PII = [
    "email me at jane.doe{i}@example.com",
    "call 07700 900{j:03d}",
    "my number is +44 20 7946 {j:04d}",
    "card 4111 1111 1111 1111 charged twice",
    "refund to GB82 WEST 1234 5698 7654 32",
    "see www.shop{i}.example.com/help",
]
DIGITS = ["order #{k}", "paid £{p:,}.99", "ref 2024-{k}", "on 12/03/2024"]


def verbatims(n: int, seed: int) -> pd.Series:
    """``n`` generated verbatims (a fixed seed gives the same ones)."""
    rng = np.random.default_rng(seed)
    pick = {name: rng.integers(0, len(pool), n) for name, pool in _POOLS.items()}
    kind = rng.random(n)
    out = []
    for i in range(n):
        words = [
            OPENERS[pick["o"][i]],
            SUBJECTS[pick["s"][i]],
            VERBS[pick["v"][i]],
            ADJ[pick["a"][i]],
            "about",
            DETAILS[pick["d"][i]],
            TAILS[pick["t"][i]],
        ]
        if kind[i] < 0.06:
            words.append(PII[i % len(PII)].format(i=i, j=i % 1000 if i % 2 else i % 10000))
        elif kind[i] < 0.31:
            words.append(DIGITS[i % len(DIGITS)].format(k=10_000_000 + i, p=100 + i % 900))
        out.append(" ".join(w for w in words if w) + ".")
    return pd.Series(out, name="verbatim", dtype=object)


_POOLS = {"o": OPENERS, "s": SUBJECTS, "v": VERBS, "a": ADJ, "d": DETAILS, "t": TAILS}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, n: int, func) -> object:
    start = time.perf_counter()
    result = func()
    secs = time.perf_counter() - start
    print(f"{label:<38} {secs:8.2f} s  {n / secs:10,.0f} responses/s  peak {_peak_mb():,.0f} MB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    texts = verbatims(args.n, args.seed)
    frame = pd.DataFrame({"response_id": [f"r{i}" for i in range(args.n)], "verbatim": texts})
    print(f"{args.n:,} verbatims, {texts.nunique():,} distinct; peak {_peak_mb():,.0f} MB")
    masked = _timed("mask_pii_series", args.n, lambda: mask_pii_series(texts))
    changed = int((masked != texts).sum())  # type: ignore[operator]
    print(f"  {changed:,} verbatims masked")
    _timed("VADER alone (text already masked)", args.n, lambda: score_texts(masked))
    _timed("sentiment (masking included)", args.n, lambda: sentiment(frame))
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        con.register("frame_view", frame)
        con.execute("CREATE TABLE responses AS SELECT * FROM frame_view")
        con.unregister("frame_view")
        _timed("store_sentiment, first run", args.n, lambda: store_sentiment(con))
        _timed("store_sentiment, nothing new", args.n, lambda: store_sentiment(con))
        con.close()
    print(f"peak resident memory {_peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
