"""A deterministic demo company with planted ground truth.

:func:`generate` writes a multi-unit electronics retailer's warehouse tables
(every table of :data:`cxlab.schema.TABLES`) as Parquet files, plus
``truth.json``: the parameters that generated the data, so that analyses can be
checked against what is known to be true. The same arguments always produce
byte-identical files (NumPy ``Generator`` seeded from ``seed``; no wall clock).

Layout::

    out_dir/
        customers/part-00000.parquet ...     at most ``chunk_size`` rows per part
        customer_history/part-00000.parquet ...
        responses/part-00000.parquet ...
        transactions/part-00000.parquet ...
        interactions/part-00000.parquet ...
        attribute_ratings/part-00000.parquet ...
        outcomes/part-00000.parquet
        touchpoints/part-00000.parquet
        truth.json

The company
-----------
``n_units`` regional business units (Nordics, UK & Ireland, Benelux, ...) over
``quarters`` quarters ending ``last_quarter``. Customers have a segment
(Consumer, Small business, Enterprise), a region type (Metro, Suburban, Rural),
a preferred channel (store, web, app, phone, chat), a signup date and, for
churned customers, a churn date. About one customer in ten changes segment,
region or preferred channel during the period (``customer_history``, a type-2 slowly
changing dimension: ``valid_to`` is the *inclusive* last day, i.e. the day
before the next row's ``valid_from``; exactly one open row per customer). The
touch-point inventory has 12 touch points over the three stages (attraction,
interaction, cultivation) and 32 (touch point, channel) rows. Survey responses
carry LTR (0-10), CSAT (1-5, 10 % missing), CES 2.0 ease (1-7; mostly asked at
the interaction stage), a verbatim composed from phrase banks with 0-3 planted
themes (item 7; 2 % carry fake PII and 2 % hostile markup or characters, to
exercise masking and escaping), and a post-stratification weight per segment.
Interactions are ordered journeys (attraction -> interaction -> purchase ->
cultivation) in which some customers switch channel; transactions follow a
buy-till-you-die purchase process (item 6).

Planted truths (all numbers are in ``truth.json``)
--------------------------------------------------
1. **Unit NPS drives outcomes two quarters later.** Each unit has a latent NPS
   path (unit level + linear trend + AR(1) noise, clipped to [-10, 60]) over the
   reported quarters and ``lag`` = 2 quarters before them. Each response's LTR
   category is drawn with ``P(promoter) - P(detractor) = eta``, where ``eta`` is
   the latent NPS plus the touch-point, channel and segment shifts of item 2,
   centred so that their expectation over the response mix is zero: the
   *expected unweighted NPS of every unit-quarter equals the latent path*.
   Outcomes: ``new_customers[u, t] = base_u + beta_new * latent[u, t - 2] + e``
   and ``market_share[u, t] - market_share[u, t - 1] = alpha + beta_share *
   latent[u, t - 2] + e`` with normal noise of known sd. Revenue and profit
   follow from the active customer base (new customers in, 5 % out a quarter)
   at a fixed spend per customer and quarter (``truth["nps_to_outcomes"]["revenue"]``;
   the transactions table has its own purchase model, item 6).
2. **An aggregate that hides failing touch points.** ``Product questions and
   pre-orders`` (staff cannot answer questions or take pre-orders) is shifted
   by -35 NPS points and ``Stock availability`` (stock-outs) by -40; the
   ``phone`` channel by -15 at any touch point; Enterprise customers +15 and
   Small business -5 against Consumer. The overall NPS stays clearly positive.
3. **Detractors churn more.** After each survey a customer churns with a
   proportional hazard: ``h0 * HR[category]`` per day for 182 days (none after),
   with hazard ratios 4.28 (detractor) and 1.95 (passive) against promoters, so
   that the customer churns within 182 days with probability 0.30 (detractor),
   0.15 (passive) or 0.08 (promoter); the churn date is the survey date plus the
   drawn time rounded up to whole days. A churned customer neither answers, buys
   nor interacts afterwards. Survey dates of one customer are at least 183 days
   apart, so each response's six-month churn is exactly that draw (censored when
   the window runs past the last day of data). Non-respondents churn at a
   background rate.
4. **CSAT and CES move with LTR.** ``csat = clip(round(0.9 + 0.4 ltr + e), 1, 5)``
   with ``e ~ N(0, 0.7)``; ``ces = clip(round(1.5 + 0.5 ltr + s_phone + e), 1,
   7)`` with ``e ~ N(0, 1)`` and ``s_phone = -0.5``. Journeys that meet a weak
   touch point convert to a purchase with probability 0.30 instead of 0.60.

5. **Key drivers of LTR.** A relationship-survey battery (``attribute_ratings``,
   long format) is answered by 30 % of responses: ten attributes rated 0-10
   (3 % "don't know", no row). Given the response's LTR the latent attribute
   scores are drawn from the conditional of a joint normal in which
   standardized LTR = x'b + e with correlated attributes (common correlation
   0.30, 0.55 between stock and pre-order availability) and R^2 = 0.55.
   ``Stock availability``, ``Pre-order availability`` and ``Phone service``
   (mirroring the weak touch points and the phone channel) have the largest
   weights *and* the lowest mean ratings: the "key weaknesses" of an
   importance-performance chart. ``truth["drivers"]`` holds the weights, the
   exact population Shapley shares and the expected ranking. The battery is
   drawn from its own seed stream (``SeedSequence([seed, 2, block])``), so
   every other table is the same as without it.
6. **Purchases follow BG/NBD and Gamma-Gamma.** Each customer buys on the signup
   day, then repeat purchases arrive at a Gamma(r, alpha)-distributed weekly
   rate until the customer drops out, with a Beta(a, b)-distributed probability
   after each repeat purchase (Fader, Hardie & Lee 2005); revenue per
   transaction is Gamma(p, nu) with nu ~ Gamma(q, v) per customer (Fader &
   Hardie 2013). The table holds the purchases inside the period and before
   churn; customers who signed up inside the period and did not churn are a
   sample from the two models (``truth["purchases"]``). Drawn from its own seed
   stream (``SeedSequence([seed, 3, block])``).

7. **Themes in the verbatims move with LTR.** A commenting response mentions at
   most one theme per group (before buying, buying and getting it, after the
   purchase) by a multinomial logit in LTR and touch point, drawn after LTR
   (:mod:`cxlab.synth.verbatims`): negative themes are likelier the lower the
   LTR and at their home touch points, the weak touch points' themes
   (``out_of_stock``, ``staff_knowledge_poor``, ``preorder_problem``) most of
   all. ``truth["themes"]`` holds each theme's expected NPS of mentioners minus
   non-mentioners and NPS impact given the data's responses by touch point and
   LTR; the starter codeframe ``cxlab/voc/codeframes/retail_electronics.yaml``
   codes every phrasing to its theme. ``truth["pii"]`` lists the fake personal
   data (e-mails, phone numbers, Luhn-valid cards, IBANs, URLs) planted in 2 %
   of comments. Texts are drawn from their own seed stream
   (``SeedSequence([seed, 4, block])``).

Scale and memory
----------------
Customers and their responses are simulated in internal blocks of about
200,000 responses, each with its own seed (``SeedSequence([seed, 1, block])``),
so the data do not depend on ``chunk_size``: it only decides how rows are cut
into Parquet parts, which are streamed (one row group per block). At most one
block is in memory. Measured on one core: 10 million responses (6.6 M
customers, 16 M transactions, 14 M interactions, 490 MB of Parquet) in 98 s
with a peak resident memory of 640 MB; 2 million in about 25 s.

Examples
--------
>>> import tempfile
>>> from cxlab import synth
>>> out = synth.generate(tempfile.mkdtemp(), n_responses=2_000, seed=7)
>>> truth = synth.load_truth(out)
>>> truth["nps_to_outcomes"]["lag_quarters"]
2
>>> responses = synth.read_table(out, "responses")
>>> len(responses)
2000
"""

from __future__ import annotations

from cxlab.synth._arrow import arrow_schema
from cxlab.synth.company import generate, load_truth, read_table
from cxlab.synth.constants import UNIT_NAMES

__all__ = ["UNIT_NAMES", "arrow_schema", "generate", "load_truth", "read_table"]
