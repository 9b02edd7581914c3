"""Voice of the customer: verbatims coded into themes, themes as drivers of NPS.

- :mod:`~cxlab.voc.codeframe`: the analyst's themes as YAML, validated;
- :mod:`~cxlab.voc.code`: coding in the engine, theme indicators;
- :mod:`~cxlab.voc.impact`: share, NPS gap and NPS impact per theme, by group and period;
- :mod:`~cxlab.voc.plots` and :mod:`~cxlab.voc.narrative`: the chart and the sentences.
"""

from cxlab.voc.code import code, coded_table, theme_indicators
from cxlab.voc.codeframe import Codeframe, codeframe, list_codeframes
from cxlab.voc.impact import impact_interval, theme_breakdown, theme_impact, theme_trend
from cxlab.voc.narrative import impact_caveat, impact_lead
from cxlab.voc.plots import plot_theme_impact

__all__ = [
    "Codeframe",
    "code",
    "coded_table",
    "codeframe",
    "impact_caveat",
    "impact_interval",
    "impact_lead",
    "list_codeframes",
    "plot_theme_impact",
    "theme_breakdown",
    "theme_impact",
    "theme_indicators",
    "theme_trend",
]
