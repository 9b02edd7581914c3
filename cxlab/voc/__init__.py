"""Voice of the customer: what the verbatims say, masked before anything shows them.

- :mod:`~cxlab.voc.pii`: :func:`mask_pii`, :func:`mask_pii_series`;
- :mod:`~cxlab.voc.sentiment`: VADER sentiment, stored once, and its agreement
  with the LTR category;
- :mod:`~cxlab.voc.discover`: themes nobody wrote down yet (TF-IDF + NMF);
- :mod:`~cxlab.voc.quotes`: short, typical, masked quotes per theme.
"""

from cxlab.voc.discover import ThemeDiscovery, discover
from cxlab.voc.pii import PHONE_REGIONS, PLACEHOLDERS, mask_pii, mask_pii_series
from cxlab.voc.quotes import quotes, quotes_html, quotes_markdown, trim_text
from cxlab.voc.sentiment import (
    SentimentAgreement,
    agreement_text,
    sentiment,
    sentiment_agreement,
    store_sentiment,
)

__all__ = [
    "PHONE_REGIONS",
    "PLACEHOLDERS",
    "SentimentAgreement",
    "ThemeDiscovery",
    "agreement_text",
    "discover",
    "mask_pii",
    "mask_pii_series",
    "quotes",
    "quotes_html",
    "quotes_markdown",
    "sentiment",
    "sentiment_agreement",
    "store_sentiment",
    "trim_text",
]
