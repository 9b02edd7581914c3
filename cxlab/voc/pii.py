"""Personal data out of verbatims: e-mails, phones, cards, IBANs and URLs become placeholders.

Masking happens before any verbatim is shown, quoted, exported or fed to a model
(:mod:`cxlab.voc.sentiment`, :mod:`cxlab.voc.discover`, :mod:`cxlab.voc.quotes`
all mask first). Each kind of personal data becomes a typed placeholder, so the
reader still sees that the customer left a phone number:

==========  ============================================================  ==========
kind        found by                                                      becomes
==========  ============================================================  ==========
URL         ``http(s)://``, ``www.`` or a host on a common top-level      ``[url]``
            domain (``shop.example.co.uk/returns``)
e-mail      ``local@domain.tld`` (``+`` tags, dots, subdomains)           ``[email]``
IBAN        country code, check digits, 11-30 characters, the ISO 13616   ``[iban]``
            mod-97 check (python-stdnum ``stdnum.iban``)
card        13-19 digits, spaces or dashes allowed, Luhn check            ``[card]``
            (python-stdnum ``stdnum.luhn``)
phone       phonenumbers' ``PhoneNumberMatcher`` in :data:`PHONE_REGIONS`  ``[phone]``
==========  ============================================================  ==========

The order matters and is the order above: a URL may hold an e-mail
(``?email=a@b.com``), so URLs with a scheme go first and the whole URL becomes
``[url]``; a bare host (``example.com``) is looked for only after e-mails, so the
domain of an e-mail is never cut out of it; IBANs hold digit runs that could pass
for cards or phones, so they go before both; cards go before phones so a
16-digit number is not read as two phone numbers.

Phone numbers (Google's libphonenumber metadata, through the ``phonenumbers``
package). A national number (``020 7946 0958``, ``06 12 34 56 78``) has no
country, so ``PhoneNumberMatcher`` tries it in each of :data:`PHONE_REGIONS` (the
countries common in retail exports) and it is masked when it is a real number
of one of them (leniency ``VALID``: a valid number, with the national prefix
where the region needs one). A number written with a leading ``+`` or in a
phone's shape (``(555) 123-4567``, ``555-123-4567``, a trunk ``0`` followed by
groups: ``07700 900123``) is masked when it is merely *possible* (leniency
``POSSIBLE``), so the fictional 555 and Ofcom drama ranges that test data uses
are masked too (such a shape is also parsed on its own, because the matcher
misses ``020 7946 0958 3 times``). A run of digit groups longer than 15 digits
(the E.164 maximum: a mistyped card, a tracking number) is never a phone, nor is
any part of it. Digit runs without a phone's shape that no region accepts stay:
order numbers (``#123456789``), references (``2024-0012345``), prices, dates,
times, postcodes, quantities. A bare 7-digit local number (``555-1234``) is not
masked: without an area code it cannot be told from a product or order code.
Text with no run of seven digits skips the phone search (it is the slow part).

Why a small module rather than ``scrubadub``. scrubadub 2.0.1 (the latest
release) runs offline for these detectors but pins ``textblob==0.15.3`` and pulls
``dateparser`` and ``faker``; its phone detector tries one region only, its card
detector misses numbers written with spaces or dashes (a TODO in its source) and
it has no IBAN detector. It wraps the same two libraries used here
(``phonenumbers``, ``python-stdnum``); this module adds the formats and the
order above, tested on ``tests/data/pii_corpus.csv``.

No engine (SQL) form: the Luhn and mod-97 checks and the phone metadata cannot be
written as ``regexp_replace``, and an engine form that masked only e-mails and
URLs would not equal this one.

Speed (``benchmarks/voc_text_bench.py``, one core of a shared machine): about
30,000 verbatims a second without a run of seven digits, about 500 a second
with one (the phone search parses each candidate once per region), 2,000-3,000 a
second on a mix where a quarter hold order numbers, prices or phones. Fewer
``regions`` is proportionally faster. Mask what is shown, scored or modelled
(:func:`mask_pii_series` masks each distinct text once); the stored sentiment
is computed once (:func:`cxlab.voc.store_sentiment`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import phonenumbers
from stdnum import iban as _stdnum_iban
from stdnum import luhn as _stdnum_luhn

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PHONE_REGIONS", "PLACEHOLDERS", "mask_pii", "mask_pii_series"]

#: Regions a national phone number (no ``+``) is tried in, in this order.
PHONE_REGIONS: tuple[str, ...] = ("GB", "US", "DE", "FR", "NL", "IE", "BE", "ES", "IT", "AU")
#: The placeholder of each kind of personal data.
PLACEHOLDERS: dict[str, str] = {
    "url": "[url]",
    "email": "[email]",
    "iban": "[iban]",
    "card": "[card]",
    "phone": "[phone]",
}

_SCHEME_URL = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"']+")
_EMAIL = re.compile(
    r"(?i)(?<![\w.+-])[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\b"
)
_TLDS = (
    "com|org|net|info|biz|io|co|shop|store|online|app|eu|uk|de|fr|nl|be|ie|es|it|"
    "at|ch|se|dk|no|fi|pl|pt|us|ca|au"
)
_BARE_URL = re.compile(
    rf"(?i)(?<![\w@.\[-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?![\w-])"
    r"(?:/[^\s<>\"']*)?"
)
# trailing punctuation that ends a sentence rather than a URL
_URL_TAIL = ".,;:!?)]}'\""
_IBAN = re.compile(r"(?i)\b[a-z]{2}\d{2}(?:[ ]?[a-z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\w+])\d(?:[ -]?\d){12,18}(?!\w)")
# seven or more digits, perhaps separated: the least any phone of PHONE_REGIONS has
_DIGIT_RUN = re.compile(r"\d(?:[ ().-]{0,2}\d){6,}")
_ANY_DIGIT = re.compile(r"\d")
_VALID = phonenumbers.Leniency.VALID
_POSSIBLE = phonenumbers.Leniency.POSSIBLE
_PHONE_SHAPES = (
    re.compile(r"\(\d{3}\) ?\d{3}[-. ]\d{4}"),  # (555) 123-4567
    re.compile(r"\d{3}[-.]\d{3}[-.]\d{4}"),  # 555-123-4567
    re.compile(r"0\d{2,4}(?:[ -]\d{2,4}){1,4}"),  # 07700 900123, 020 7946 0958
)


def _mask_urls(text: str, pattern: re.Pattern[str]) -> str:
    def repl(m: re.Match[str]) -> str:
        url = m.group(0)
        kept = url.rstrip(_URL_TAIL)
        return PLACEHOLDERS["url"] + url[len(kept) :]

    return pattern.sub(repl, text)


def _mask_ibans(text: str) -> str:
    """IBAN candidates, shortened from the right until one passes mod-97."""

    def repl(m: re.Match[str]) -> str:
        cand = m.group(0)
        for end in range(len(cand), 14, -1):
            head = cand[:end]
            if head[-1] != " " and _stdnum_iban.is_valid(head):
                return PLACEHOLDERS["iban"] + cand[end:]
        return cand

    return _IBAN.sub(repl, text)


def _mask_cards(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        seps = set(re.findall(r"[ -]", m.group(0)))
        if len(seps) <= 1 and 13 <= len(digits) <= 19 and _stdnum_luhn.is_valid(digits):
            return PLACEHOLDERS["card"]
        return m.group(0)

    return _CARD.sub(repl, text)


def _shaped(raw: str, number: phonenumbers.PhoneNumber) -> bool:
    """A possible number written with ``+`` or in a phone's shape (fictional ranges too)."""
    if not phonenumbers.is_possible_number(number):
        return False
    return raw.startswith("+") or any(p.fullmatch(raw) for p in _PHONE_SHAPES)


def _run_digits(text: str, start: int, end: int) -> int:
    """Digits in the run of digit groups (single separators between) around ``[start, end)``."""
    while start > 0 and (
        text[start - 1].isdigit()
        or (start > 1 and text[start - 1] in " .-" and text[start - 2].isdigit())
    ):
        start -= 1
    while end < len(text) and (
        text[end].isdigit()
        or (end + 1 < len(text) and text[end] in " .-" and text[end + 1].isdigit())
    ):
        end += 1
    return sum(ch.isdigit() for ch in text[start:end])


def _phone_spans(text: str, regions: Iterable[str]) -> list[tuple[int, int]]:
    found = _matches(text, regions)
    # a phone has at most 15 digits (ITU-T E.164): a longer run of digit groups (a
    # Luhn-invalid card number, a tracking number) is not a phone, nor is part of it
    spans = {(a, b) for a, b in found if _run_digits(text, a, b) <= 15}
    return _merge(spans)


def _matches(text: str, regions: Iterable[str]) -> set[tuple[int, int]]:
    """Spans phonenumbers' matcher accepts as phones in any of ``regions``."""
    spans: set[tuple[int, int]] = set()
    shaped = "+" in text or any(p.search(text) for p in _PHONE_SHAPES)
    for region in regions:
        # VALID: a real number of the region, its national prefix where the region needs one
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=_VALID):
            spans.add((m.start, m.end))
        if shaped:
            for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=_POSSIBLE):
                if _shaped(m.raw_string, m.number):
                    spans.add((m.start, m.end))
    if shaped:  # the matcher can miss a shaped number followed by a short digit group
        spans |= _shaped_spans(text, regions)
    return spans


def _shaped_spans(text: str, regions: Iterable[str]) -> set[tuple[int, int]]:
    """Phone-shaped substrings that are possible numbers of a region, parsed directly."""
    spans: set[tuple[int, int]] = set()
    for pattern in _PHONE_SHAPES:
        for m in pattern.finditer(text):
            a, b = m.span()
            if (a > 0 and text[a - 1].isdigit()) or (b < len(text) and text[b].isdigit()):
                continue
            for region in regions:
                try:
                    number = phonenumbers.parse(m.group(0), region)
                except phonenumbers.NumberParseException:
                    continue
                if phonenumbers.is_possible_number(number):
                    spans.add((a, b))
                    break
    return spans


def _merge(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans joined, in text order."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
            continue
        out.append((start, end))
    return out


def _mask_phones(text: str, regions: Iterable[str]) -> str:
    spans = _phone_spans(text, regions)
    for start, end in reversed(spans):
        text = text[:start] + PLACEHOLDERS["phone"] + text[end:]
    return text


def mask_pii(text: Any, *, regions: Iterable[str] = PHONE_REGIONS) -> Any:
    """``text`` with e-mails, phones, cards, IBANs and URLs replaced by typed placeholders.

    Parameters
    ----------
    text : str or None
        A verbatim. ``None``, NaN and other non-strings are returned unchanged.
    regions : iterable of str
        ISO 3166 regions a phone number without ``+`` is tried in
        (:data:`PHONE_REGIONS` by default).

    Returns
    -------
    str (or the input unchanged when it is not a string)

    References
    ----------
    libphonenumber (Google), through the ``phonenumbers`` package; ISO 13616
    (IBAN) and ISO/IEC 7812 (Luhn) through ``python-stdnum``.

    Examples
    --------
    >>> mask_pii("Mail jo.smith+tv@mail.example.co.uk or call +44 20 7946 0958.")
    'Mail [email] or call [phone].'
    >>> mask_pii("Refund to GB82 WEST 1234 5698 7654 32, card 4111-1111-1111-1111")
    'Refund to [iban], card [card]'
    >>> mask_pii("Order #123456789 cost £1,299.99 on 12/03/2024 (see www.shop.com/help).")
    'Order #123456789 cost £1,299.99 on 12/03/2024 (see [url]).'
    """
    if not isinstance(text, str) or not text:
        return text
    regions = tuple(regions)
    out = _mask_urls(text, _SCHEME_URL)
    if "@" in out:
        out = _EMAIL.sub(PLACEHOLDERS["email"], out)
    if "." in out:
        out = _mask_urls(out, _BARE_URL)
    if _ANY_DIGIT.search(out):
        out = _mask_ibans(out)
        out = _mask_cards(out)
        if _DIGIT_RUN.search(out):
            out = _mask_phones(out, regions)
    return out


def mask_pii_series(series: pd.Series, *, regions: Iterable[str] = PHONE_REGIONS) -> pd.Series:
    """:func:`mask_pii` on every value of a pandas Series (same index and name).

    Each distinct text is masked once (survey verbatims repeat: "Good", "n/a");
    missing values stay missing.

    Examples
    --------
    >>> import pandas as pd
    >>> out = mask_pii_series(pd.Series(["call 020 7946 0958", None, "fine"]))
    >>> out[0], bool(out.isna()[1]), out[2]
    ('call [phone]', True, 'fine')
    """
    import pandas as pd

    if not isinstance(series, pd.Series):
        series = pd.Series(series)
    regions = tuple(regions)
    values = series.dropna().unique()
    mapping = {v: mask_pii(v, regions=regions) for v in values}
    return series.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
