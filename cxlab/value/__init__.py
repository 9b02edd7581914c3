"""Customer lifetime value: the RFM summary in the engine, BG/NBD and Gamma-Gamma fits.

Contractual settings (leaving is observed) use ``contractual``; non-contractual
ones (customers buy when they like and leave without saying so) the others:

``rfm``          :func:`rfm`: per customer frequency, recency, age ``T`` and mean
                 repeat spend, one GROUP BY over the transactions in the engine;
                 :func:`rfm_counts`: its distinct (frequency, recency, T) rows
                 with their counts (for a fit on millions of customers)
``bgnbd``        :func:`bgnbd` / :class:`BGNBD`: purchases and P(alive) (Fader,
                 Hardie & Lee 2005)
``gamma_gamma``  :func:`gamma_gamma` / :class:`GammaGamma`: spend per purchase
                 (Fader & Hardie 2013)
``clv``          :func:`clv`: discounted value per customer from the two fits (as
                 the ``lifetimes`` package's ``customer_lifetime_value``)
``contractual``  :func:`contractual_clv`: margin x retention^t / (1 + d)^t by group
                 (segment, LTR category via :func:`ltr_category`), with intervals
``book``         :func:`contract_book`: the customers active a year before the end,
                 last year's margin, whether they stayed, their LTR category then
``narrative``    the retention and value report's sentences about value
``_mle``         what the fits share: checks, maximum likelihood on log
                 parameters, observed information, the parameter table

Example on the CDNOW data (``tests/data/cdnow/``)::

    s = value.rfm(transactions, end="1997-09-30", unit="weeks")
    bg = value.bgnbd(s)             # r, alpha, a, b with se and intervals
    gg = value.gamma_gamma(s)       # p, q, v
    value.clv(bg, gg, s, months=12, discount_rate=0.01)
"""

from __future__ import annotations

from cxlab.value.bgnbd import BGNBD, bgnbd, bgnbd_log_likelihood
from cxlab.value.book import contract_book
from cxlab.value.clv import clv
from cxlab.value.contractual import contractual_clv, discounted_periods, ltr_category
from cxlab.value.gamma_gamma import GammaGamma, gamma_gamma, gamma_gamma_log_likelihood
from cxlab.value.rfm import UNITS, rfm, rfm_counts

__all__ = [
    "BGNBD",
    "UNITS",
    "GammaGamma",
    "bgnbd",
    "bgnbd_log_likelihood",
    "clv",
    "contract_book",
    "contractual_clv",
    "discounted_periods",
    "gamma_gamma",
    "gamma_gamma_log_likelihood",
    "ltr_category",
    "rfm",
    "rfm_counts",
]
