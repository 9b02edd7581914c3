"""The demo's planted verbatim themes are coded back and their NPS effects recovered.

``_code`` applies the starter codeframe with the package's engine coding,
``cxlab.voc.code`` (keywords escaped and matched as whole words, patterns as given,
case-insensitive): responses in, one row per (response_id, theme) out.

(a) Coding: on 20,000 verbatims drawn by the synth (its own record of planted mentions),
recall and precision of the codeframe are both at least 0.99 overall and 0.98 per
theme; every phrasing of a planted theme triggers that theme and no other, and filler,
PII and hostile strings trigger none (the banks are written for the codeframe, so
these hold exactly; the thresholds leave room for a coder with slightly different
word-boundary rules).

(b) Effects: for seeds 1..20 (fixed rule), a 10,000-response company; for each planted
theme, ``nps_diff`` of coded mentioners vs the other responses must cover the planted
``truth["themes"]["by_theme"][t]["nps_difference"]`` at 95 %. With 20 seeds a theme may
miss at most 5 times (P(Bin(20, 0.95) <= 14) = 3e-4, so a false alarm over 20 themes has
probability < 0.7 %), and all 400 intervals at most 40 times (P(Bin(400, 0.95) <= 359)
< 2e-5). The truth is conditional on the responses' LTR and touch points, so the
intervals are if anything conservative for it. The mean over seeds of each theme's
estimated NPS impact (share mentioning x difference) lies within 0.15 points of the
planted ``nps_impact``, and stock-outs have the largest negative impact.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

import cxlab
from cxlab import synth, voc
from cxlab.synth import comments, verbatims

CODEFRAME = Path(cxlab.__file__).parent / "voc" / "codeframes" / "retail_electronics.yaml"
SEEDS = range(1, 21)
N = 10_000


def _code(responses: pd.DataFrame, codeframe_path: str | Path) -> pd.DataFrame:
    """One row per (response_id, theme): the package's engine coding, :func:`cxlab.voc.code`."""
    return voc.code(responses, voc.codeframe(codeframe_path))


def _frame(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"response_id": range(len(texts)), "verbatim": texts})


def test_each_phrase_triggers_its_theme_and_filler_none():
    cat = verbatims.catalog()
    texts = cat.texts.to_pylist()
    owner = {}
    off, cnt = cat.banks["theme"]
    for i, t in enumerate(verbatims.THEMES):
        owner.update({j: t for j in range(off[i], off[i] + cnt[i])})
    coded = _code(_frame(texts), CODEFRAME)
    got = coded.groupby("response_id")["theme"].agg(set)
    for j, text in enumerate(texts):
        expected = {owner[j]} if j in owner else set()
        assert got.get(j, set()) == expected, (text, got.get(j))
    pii_texts = [s.format(pii=p) for p in comments.PII for s in comments.PII_SENTENCES]
    assert set(pii_texts) <= set(texts) and set(comments.HOSTILE) <= set(texts)


def test_coding_recovers_the_planted_mentions():
    cat = verbatims.catalog()
    rng = np.random.default_rng(12)
    n = 20_000
    tp = rng.integers(0, len(synth.constants.TOUCHPOINTS), n)
    ltr = rng.integers(0, 11, n)
    text, planted = verbatims.draw_verbatims(cat, rng, tp, ltr, np.ones(n, dtype=bool))
    coded = _code(_frame(text.to_pylist()), CODEFRAME)
    hit = np.zeros_like(planted)
    col = {t: i for i, t in enumerate(verbatims.THEMES)}
    in_planted = coded["theme"].isin(col)
    hit[coded.loc[in_planted, "response_id"], coded.loc[in_planted, "theme"].map(col)] = True
    extra = (~in_planted).sum()  # codeframe themes that are not planted
    assert planted.sum() > 5_000 and planted.sum(axis=1).max() <= 3
    tp_ = (hit & planted).sum(axis=0)
    recall, precision = tp_ / planted.sum(axis=0), tp_ / hit.sum(axis=0)
    assert tp_.sum() / planted.sum() >= 0.99
    assert tp_.sum() / (hit.sum() + extra) >= 0.99
    assert recall.min() >= 0.98 and precision.min() >= 0.98, (recall, precision)


def _theme_diffs(out: Path) -> pd.DataFrame:
    r = synth.read_table(out, "responses")
    truth = synth.load_truth(out)["themes"]["by_theme"]
    coded = _code(r, CODEFRAME)
    cat = pd.cut(r["ltr"], [-1, 6, 8, 10], labels=["d", "p", "q"])
    rows = []
    for t, planted in truth.items():
        m = r["response_id"].isin(coded.loc[coded["theme"] == t, "response_id"])
        a, b = (cat[sel].value_counts() for sel in (m, ~m))
        res = cxlab.nps_diff(
            cxlab.nps_counts(a["d"], a["p"], a["q"]), cxlab.nps_counts(b["d"], b["p"], b["q"])
        )
        rows.append(
            {"theme": t, "n": int(m.sum()), "truth": planted["nps_difference"]}
            | {k: float(res[k]) for k in ("diff", "low", "high")}
            | {"impact": m.mean() * float(res["diff"]), "truth_impact": planted["nps_impact"]}
        )
    return pd.DataFrame(rows)


def test_theme_effects_are_recovered_within_their_intervals(tmp_path):
    assert binom.cdf(14, 20, 0.95) < 5e-4 and binom.cdf(359, 400, 0.95) < 2e-5
    res = []
    for seed in SEEDS:
        out = synth.generate(tmp_path / str(seed), n_responses=N, seed=seed, n_units=4)
        res.append(_theme_diffs(out).assign(seed=seed))
    df = pd.concat(res, ignore_index=True)
    df["covered"] = (df["low"] <= df["truth"]) & (df["truth"] <= df["high"])
    per_theme = df.groupby("theme")["covered"].sum()
    assert len(per_theme) == len(verbatims.THEMES) and df["n"].min() >= 10
    assert per_theme.min() >= 15, per_theme.sort_values().head()
    assert df["covered"].sum() >= 360
    # the planted signs are recovered on average: negative themes lower NPS, positive raise
    mean = df.groupby("theme")[["diff", "truth"]].mean()
    assert (np.sign(mean["diff"]) == np.sign(mean["truth"])).all()
    assert (mean["diff"] - mean["truth"]).abs().max() < 8
    # impact = share mentioning x difference; its mean over seeds has sd < 0.05 points
    impact = df.groupby("theme")[["impact", "truth_impact"]].mean()
    assert (impact["impact"] - impact["truth_impact"]).abs().max() < 0.15, impact
    assert impact.loc["out_of_stock", "truth_impact"] == impact["truth_impact"].min()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return synth.generate(tmp_path_factory.mktemp("demo"), n_responses=60_000, seed=2026)


def test_truth_lists_the_planted_pii_and_hostile_strings(demo):
    truth = synth.load_truth(demo)
    text = synth.read_table(demo, "responses")["verbatim"].dropna()
    joined = "\n".join(text)
    assert truth["pii"] == list(comments.PII)
    assert all(p in joined for p in truth["pii"])
    assert all(h in joined for h in truth["verbatim_special"])
    share = text.str.contains("|".join(map(re.escape, truth["pii"]))).mean()
    assert 0.01 < share < 0.03  # PII_RATE = 2 % of comments
    assert text.str.len().max() > 5_000 and (text.str.strip() == "").any()


def test_themes_tie_to_the_weak_touchpoints(demo):
    r = synth.read_table(demo, "responses")
    coded = _code(r, CODEFRAME).merge(r[["response_id", "touchpoint"]])
    weak = synth.load_truth(demo)["weak_touchpoints"]["shift_nps_points"]
    top = coded.groupby("touchpoint")["theme"].agg(lambda s: s.value_counts().index[0])
    assert top["Stock availability"] == "out_of_stock"
    assert top["Product questions and pre-orders"] in {"preorder_problem", "staff_knowledge_poor"}
    assert set(weak) == {"Stock availability", "Product questions and pre-orders"}
