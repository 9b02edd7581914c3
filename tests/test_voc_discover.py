"""Theme discovery (cxlab.voc.discover): planted topics recovered, deterministic, masked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab.errors import CxlabError
from cxlab.voc import ThemeDiscovery, discover

DELIVERY = ["parcel", "courier", "late", "delivery", "tracking", "arrived", "driver", "box"]
STAFF = ["staff", "friendly", "helpful", "store", "assistant", "advice", "polite", "knowledgeable"]
FILLER = ["really", "the", "was", "and", "very", "my", "i", "it", "quite", "again"]


def _corpus(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, 2, n)
    texts = []
    for k in topic:
        words = list(rng.choice([DELIVERY, STAFF][k], 4)) + list(rng.choice(FILLER, 4))
        rng.shuffle(words)
        texts.append(" ".join(words))
    return pd.DataFrame({"response_id": [f"r{i}" for i in range(n)], "verbatim": texts}), topic


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_planted_topics_are_recovered(seed):
    df, topic = _corpus(200, seed)
    fit = discover(df, n_themes=2, seed=seed)
    top = fit.terms_[fit.terms_["rank"] <= 5]
    for _, g in top.groupby("theme"):
        words = set(g.term)
        assert words <= set(DELIVERY) or words <= set(STAFF), words
    # each planted topic maps to one theme; at least 95% of verbatims assigned to it
    a = fit.assignments_.merge(
        pd.DataFrame({"response_id": df.response_id, "topic": topic}), on="response_id"
    )
    agree = pd.crosstab(a.topic, a.theme).to_numpy()
    assert max(np.trace(agree), np.trace(agree[:, ::-1])) >= 0.95 * len(df)


def test_same_seed_same_result_twice():
    df, _ = _corpus(150, 1)
    a, b = discover(df, n_themes=3, seed=5), discover(df, n_themes=3, seed=5)
    pd.testing.assert_frame_equal(a.terms_, b.terms_)
    pd.testing.assert_frame_equal(a.assignments_, b.assignments_)
    pd.testing.assert_frame_equal(a.examples_, b.examples_)
    pd.testing.assert_frame_equal(a.summary(), b.summary())


def test_exclude_leaves_coded_responses_out():
    df, topic = _corpus(200, 2)
    coded = pd.DataFrame({"response_id": df.response_id[topic == 0], "theme": "delivery"})
    fit = discover(df, exclude=coded, n_themes=2)
    assert fit.n_excluded_ == len(coded) and fit.n_ == len(df) - len(coded)
    assert not set(fit.assignments_.response_id) & set(coded.response_id)
    assert not set(fit.terms_.term) & set(DELIVERY)
    same = discover(df, exclude=list(coded.response_id), n_themes=2)
    pd.testing.assert_frame_equal(fit.terms_, same.terms_)


def test_examples_are_masked_and_placeholders_never_terms():
    df, _ = _corpus(60, 3)
    df.loc[:9, "verbatim"] += " email me jane.doe@example.com or call +44 20 7946 0958"
    fit = discover(df, n_themes=2, min_df=1)
    assert not set(fit.terms_.term) & {"email", "phone", "jane", "doe", "example", "com"}
    assert fit.examples_.quote.str.contains("@|7946", regex=True).sum() == 0
    assert fit.examples_.groupby("theme").size().max() <= 3
    s = fit.summary()
    assert list(s.columns) == ["theme", "label", "n", "share", "terms"]
    assert s.n.sum() == len(fit.assignments_) and s.share.sum() <= 1


def test_hostile_and_tiny_inputs():
    with pytest.raises(CxlabError, match="no verbatim left"):
        discover(pd.DataFrame({"response_id": [], "verbatim": []}))
    with pytest.raises(CxlabError, match="no verbatim left"):
        discover(pd.DataFrame({"response_id": [1, 2], "verbatim": [None, "  "]}))
    with pytest.raises(CxlabError, match="min_df"):
        discover(pd.DataFrame({"response_id": [1], "verbatim": ["one lonely verbatim"]}))
    with pytest.raises(CxlabError, match="cannot hold 8 themes"):
        discover(
            pd.DataFrame({"response_id": [1, 2, 3], "verbatim": ["bad box", "bad lid", "box lid"]})
        )
    with pytest.raises(CxlabError, match="n_themes"):
        ThemeDiscovery(0)
    with pytest.raises(CxlabError, match="exclude"):
        discover(pd.DataFrame({"response_id": [1], "verbatim": ["x"]}), exclude="r1")
    with pytest.raises(CxlabError, match="nothing would be excluded"):
        discover(pd.DataFrame({"response_id": [1], "verbatim": ["x"]}), exclude=["1"])
    with pytest.raises(CxlabError, match="'text'.*not found"):
        discover(pd.DataFrame({"response_id": [1]}), "text")
    one = discover(
        pd.DataFrame({"response_id": [1, 2], "verbatim": ["<script>box</script>", "box late"]}),
        n_themes=1,
        min_df=1,
    )
    # the quote is kept as text (escaped where a report shows it), never run
    assert "<script>box</script>" in one.examples_.quote.tolist()
