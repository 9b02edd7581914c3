"""Voice of the customer: what the verbatims say, masked before anything shows them.

- :mod:`~cxlab.voc.pii`: :func:`mask_pii`, :func:`mask_pii_series`;
- :mod:`~cxlab.voc.codeframe`: the analyst's themes as YAML, validated;
- :mod:`~cxlab.voc.code`: coding in the engine, theme indicators;
- :mod:`~cxlab.voc.impact`: share, NPS gap and NPS impact per theme, by group and period;
- :mod:`~cxlab.voc.sentiment`: VADER sentiment, stored once, and its agreement
  with the LTR category;
- :mod:`~cxlab.voc.discover`: themes nobody wrote down yet (TF-IDF + NMF);
- :mod:`~cxlab.voc.drivers`: the most-mentioned themes as key drivers beside the ratings;
- :mod:`~cxlab.voc.quotes`: short, typical, masked quotes per theme;
- :mod:`~cxlab.voc.plots`, :mod:`~cxlab.voc.tables` and :mod:`~cxlab.voc.narrative`: the
  chart, the tables and the sentences.
"""

from cxlab.voc.code import code, coded_table, theme_indicators
from cxlab.voc.codeframe import Codeframe, codeframe, list_codeframes
from cxlab.voc.discover import ThemeDiscovery, discover
from cxlab.voc.drivers import THEME_PREFIX, themes_as_drivers, themes_drivers_table
from cxlab.voc.impact import impact_interval, theme_breakdown, theme_impact, theme_trend
from cxlab.voc.narrative import impact_caveat, impact_lead
from cxlab.voc.pii import PHONE_REGIONS, PLACEHOLDERS, mask_pii, mask_pii_series
from cxlab.voc.plots import plot_theme_impact, plot_theme_trend
from cxlab.voc.quotes import quotes, quotes_html, quotes_markdown, trim_text
from cxlab.voc.sentiment import (
    SentimentAgreement,
    agreement_text,
    sentiment,
    sentiment_agreement,
    store_sentiment,
)
from cxlab.voc.tables import breakdown_table, discovery_table, labelled_quotes, top_themes

__all__ = [
    "Codeframe",
    "PHONE_REGIONS",
    "PLACEHOLDERS",
    "SentimentAgreement",
    "THEME_PREFIX",
    "ThemeDiscovery",
    "agreement_text",
    "breakdown_table",
    "code",
    "coded_table",
    "codeframe",
    "discover",
    "discovery_table",
    "impact_caveat",
    "impact_interval",
    "impact_lead",
    "labelled_quotes",
    "list_codeframes",
    "mask_pii",
    "mask_pii_series",
    "plot_theme_impact",
    "plot_theme_trend",
    "quotes",
    "quotes_html",
    "quotes_markdown",
    "sentiment",
    "sentiment_agreement",
    "store_sentiment",
    "theme_breakdown",
    "theme_impact",
    "theme_indicators",
    "theme_trend",
    "themes_as_drivers",
    "themes_drivers_table",
    "top_themes",
    "trim_text",
]
