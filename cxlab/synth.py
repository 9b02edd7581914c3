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
the interaction stage), a verbatim drawn from templates that depend on the
score category and the touch point (a few contain fake PII or HTML, to exercise
masking and escaping), and a post-stratification weight per segment.
Interactions are ordered journeys (attraction -> interaction -> purchase ->
cultivation) in which some customers switch channel; transactions come from
journeys that reach the ``Purchase`` touch point plus repeat purchases.

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
   at the same spend per customer as the transactions table.
2. **An aggregate that hides failing touch points.** ``Product questions and
   pre-orders`` (staff cannot answer questions or take pre-orders) is shifted
   by -35 NPS points and ``Stock availability`` (stock-outs) by -40; the
   ``phone`` channel by -15 at any touch point; Enterprise customers +15 and
   Small business -5 against Consumer. The overall NPS stays clearly positive.
3. **Detractors churn more.** After each survey a customer churns within 182
   days with probability 0.30 (detractor), 0.15 (passive) or 0.08 (promoter);
   a churned customer neither answers, buys nor interacts afterwards. Survey
   dates of one customer are at least 183 days apart, so each response's
   six-month churn is exactly that draw (censored when the window runs past the
   last day of data). Non-respondents churn at a background rate.
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

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import pandas as pd

from cxlab.errors import CxlabError
from cxlab.periods import quarter_from_index, quarter_index
from cxlab.schema import STAGES, TABLES

__all__ = ["arrow_schema", "generate", "load_truth", "read_table"]

# --------------------------------------------------------------------------- constants

_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
}

UNIT_NAMES = (
    "Nordics",
    "UK & Ireland",
    "Benelux",
    "DACH",
    "France",
    "Iberia",
    "Italy",
    "Central Europe",
    "Baltics",
    "Poland",
    "Balkans",
    "Greece & Cyprus",
)
CHANNELS = ("store", "web", "app", "phone", "chat")
_CHANNEL_WEIGHT = (1.5, 1.2, 1.0, 0.8, 0.6)
SEGMENTS = ("Consumer", "Small business", "Enterprise")
_SEGMENT_SAMPLE_SHARE = (0.55, 0.25, 0.20)
_SEGMENT_POPULATION_SHARE = (0.80, 0.15, 0.05)
_SEGMENT_NPS_SHIFT = (0.0, -5.0, 15.0)
REGIONS = ("Metro", "Suburban", "Rural")
_REGION_SHARE = (0.5, 0.3, 0.2)

# name, stage, channels, intentional, owner, operational KPI, response weight
_TOUCHPOINTS: tuple[tuple[str, str, tuple[str, ...], bool, str, str, float], ...] = (
    ("Launch marketing", "attraction", ("web", "app"), True, "Marketing", "Campaign reach", 1.0),
    ("Media buzz", "attraction", ("web",), False, "Brand & PR", "Share of voice", 0.6),
    ("Online reviews", "attraction", ("web", "app"), False, "Brand & PR", "Average rating", 0.8),
    (
        "Product questions and pre-orders",
        "attraction",
        ("store", "phone", "chat"),
        True,
        "Store operations",
        "Pre-order conversion rate",
        1.0,
    ),
    (
        "Store visit",
        "interaction",
        ("store",),
        True,
        "Store operations",
        "Footfall conversion",
        1.0,
    ),
    (
        "Stock availability",
        "interaction",
        ("store", "web", "app"),
        False,
        "Supply chain",
        "Out-of-stock rate",
        0.8,
    ),
    ("Purchase", "interaction", ("store", "web", "app", "phone"), True, "Sales", "Conversion", 1.4),
    (
        "Delivery and pick-up",
        "interaction",
        ("store", "web", "app", "phone", "chat"),
        True,
        "Logistics",
        "On-time delivery rate",
        1.0,
    ),
    (
        "Installation and setup",
        "cultivation",
        ("store", "phone"),
        True,
        "Services",
        "First-time fix",
        0.6,
    ),
    (
        "Customer support",
        "cultivation",
        ("phone", "chat", "app", "web"),
        True,
        "Contact centre",
        "Average handle time",
        1.2,
    ),
    (
        "Returns and repairs",
        "cultivation",
        ("store", "phone", "web"),
        True,
        "After-sales",
        "Repair turnaround days",
        0.8,
    ),
    ("Loyalty programme", "cultivation", ("app", "web"), True, "CRM", "Active member rate", 0.6),
)
_PURCHASE_TOUCHPOINT = "Purchase"
WEAK_TOUCHPOINTS = {"Product questions and pre-orders": -35.0, "Stock availability": -40.0}
WEAK_CHANNELS = {"phone": -15.0}

LAG = 2
_BETA_NEW = 30.0  # new customers per quarter per latent NPS point
_NEW_NOISE_SD = 150.0
_BASE_NEW_MEAN = 2500.0
_BETA_SHARE = 0.0004  # market share change per quarter per latent NPS point
_ALPHA_SHARE = -0.01  # share drifts down when the unit's NPS is below 25
_SHARE_NOISE_SD = 0.0015
_QUARTERLY_BASE_CHURN = 0.05
_GROSS_MARGIN_RATE = 0.24
_OPEX_RATE = 0.16
_REVENUE_NOISE_SD = 0.02

_CHURN_RATE = (0.30, 0.15, 0.08)  # detractor, passive, promoter
_CHURN_WINDOW = 182
_BACKGROUND_CHURN = 0.15  # non-respondents, over the whole period
_RESPONDENT_SHARE = 0.75
_MIN_SURVEY_GAP = _CHURN_WINDOW + 1
_MAX_SURVEYS = 6
_PRE_PERIOD_SHARE = 0.6
_EARLY_ENTRY = 0.5  # share of pre-period customers surveyed within the first 300 days
_CHANGE_PROBS = (0.87, 0.10, 0.03)  # 0, 1, 2 profile changes
_CHANGE_ATTR_PROBS = (0.3, 0.4, 0.3)  # segment, region, preferred channel

# LTR within category: detractor (normal), detractor at a weak touch point, passive, promoter
_SCORE_PROBS = np.array(
    [
        [0.03, 0.02, 0.04, 0.07, 0.12, 0.27, 0.45, 0, 0, 0, 0],
        [0.15, 0.15, 0.15, 0.15, 0.12, 0.13, 0.15, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0.45, 0.55, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5],
    ]
)
_CSAT = (0.9, 0.4, 0.7)  # intercept, slope on LTR, noise sd
_CES = (1.5, 0.5, 1.0)
_CES_CHANNEL_SHIFT = {"phone": -0.5}
_CSAT_MISSING = 0.10
_CES_MISSING = {"interaction": 0.20, "other": 0.75}
_COMMENT_RATE = (0.55, 0.35, 0.45)

# transactions: mean revenue per purchase and repeat purchases per year, by segment
_TXN_MEAN = (220.0, 900.0, 3500.0)
_TXN_SIGMA = 0.8
_REPEAT_RATE = (0.5, 1.2, 2.5)
_MARGIN_RATE = (0.24, 0.06)  # mean, sd (clipped to 0.02-0.50)

_JOURNEY_PROBS = (0.45, 0.45, 0.10)  # 0, 1, 2 journeys per customer
_CONVERT = (0.60, 0.30)  # without / with a weak touch point on the way
_SWITCH_PROB = 0.25
_CULTIVATION_PROB = 0.35

_BLOCK_RESPONSES = 200_000

_PRODUCTS = ("TV", "laptop", "smartphone", "headphones", "games console", "camera", "tablet")
_GENERIC = {
    0: (
        "Not impressed with the {product}, would not buy here again.",
        "Too slow and nobody seemed to care.",
        "Expected much better for the price of a {product}.",
    ),
    1: (
        "It was fine, nothing special.",
        "Okay overall, a bit slow at times.",
        "Decent, but other shops are just as good.",
    ),
    2: (
        "Great service, love my new {product}!",
        "Quick and friendly, will come back.",
        "Excellent, exactly what I needed.",
    ),
}
_BY_TOUCHPOINT = {
    "Launch marketing": (
        ("The launch ads promised more than the {product} delivers.",),
        ("Saw the campaign, it was alright.",),
        ("Loved the launch campaign for the new {product}!",),
    ),
    "Media buzz": (
        ("All that hype about the {product} and nothing behind it.",),
        ("Heard about it in the news, seemed interesting.",),
        ("Everyone is talking about the new {product}, so excited.",),
    ),
    "Online reviews": (
        ("The online reviews were bad and they were right.",),
        ("Reviews were mixed, so I was unsure.",),
        ("Great reviews online, that convinced me.",),
    ),
    "Product questions and pre-orders": (
        (
            "Staff could not answer basic questions about the {product}.",
            "Tried to pre-order the {product} but they could not take my order.",
            "Called twice about a pre-order, nobody knew anything.",
        ),
        ("Got an answer in the end, took a while.",),
        ("Staff knew the {product} inside out, pre-order was easy.",),
    ),
    "Store visit": (
        ("Store was messy and nobody helped me.",),
        ("Store visit was okay.",),
        ("Lovely store and helpful staff.",),
    ),
    "Stock availability": (
        (
            "The {product} was out of stock, I was turned away.",
            "Out of stock again. Drove there for nothing.",
            "Website said in stock, store said sold out.",
        ),
        ("Had to wait a week for stock, but got it.",),
        ("The {product} was in stock as promised.",),
    ),
    "Purchase": (
        ("Checkout took forever and the card reader failed.",),
        ("Buying the {product} was straightforward.",),
        ("Bought my {product} on launch day, smooth and fast!",),
    ),
    "Delivery and pick-up": (
        ("Delivery was late and the box was damaged.",),
        ("Delivery came on the second attempt.",),
        ("Next-day delivery, perfect.",),
    ),
    "Installation and setup": (
        ("The installer left the {product} half set up.",),
        ("Setup was fine, took a bit long.",),
        ("Technician set up everything, very professional.",),
    ),
    "Customer support": (
        ("On hold for 40 minutes and the issue is still not fixed.",),
        ("Support solved it eventually.",),
        ("Support fixed my {product} problem in minutes.",),
    ),
    "Returns and repairs": (
        ("Repair took six weeks, unacceptable.",),
        ("Return was accepted without fuss, but slow.",),
        ("Swapped my faulty {product} on the spot, thank you!",),
    ),
    "Loyalty programme": (
        ("Loyalty points never showed up.",),
        ("The points are nice but hard to use.",),
        ("Love the member discounts.",),
    ),
}
# Relationship-survey attribute battery (table attribute_ratings): name, standardized
# regression weight of LTR on the latent attribute scores (before scaling to battery_r2),
# mean rating (performance, 0-10). The first three mirror the planted weak touch points and
# channel: most important and lowest performing.
_ATTRIBUTES: tuple[tuple[str, float, float], ...] = (
    ("Stock availability", 0.36, 5.0),
    ("Pre-order availability", 0.30, 5.4),
    ("Phone service", 0.25, 5.8),
    ("Staff knowledge", 0.17, 8.0),
    ("Delivery speed", 0.11, 7.5),
    ("Support resolution", 0.09, 6.9),
    ("Price", 0.07, 6.5),
    ("Ease of website", 0.05, 8.2),
    ("Returns process", 0.04, 7.1),
    ("Product range", 0.02, 8.4),
)
_ATTR_SHARE = 0.30  # share of responses that answer the battery
_ATTR_DONT_KNOW = 0.03  # per attribute: no rating ("don't know"), completely at random
_ATTR_SD = 2.0  # rating sd on the 0-10 scale before rounding and clipping
_ATTR_CORR = 0.30  # common correlation between the latent attribute scores
_ATTR_CLUSTER_CORR = 0.55  # within the availability cluster (stock, pre-order)
_ATTR_R2 = 0.55  # R^2 of standardized LTR on the latent attribute scores
_LTR_CENTRE = (7.0, 2.6)  # LTR is standardized as (ltr - 7.0) / 2.6 before conditioning

# Rare comments that analyses must mask (fake PII) or escape (HTML) before sharing.
_SPECIAL = (
    "Nobody called back. Reach me at jane.doe@example.com please.",
    "Call me on +44 20 7946 0958 about my order.",
    "Refund my card 4111 1111 1111 1111 now!",
    "<b>Terrible</b> <script>alert('x')</script> experience & no help",
)
_SPECIAL_RATE = 0.01


# --------------------------------------------------------------------------- public API


def arrow_schema(table: str) -> pa.Schema:
    """Return the Arrow schema of a warehouse table from :data:`cxlab.schema.TABLES`.

    DuckDB types map to Arrow as VARCHAR -> string, DATE -> date32,
    TIMESTAMP -> timestamp[us], INTEGER -> int32, BIGINT -> int64,
    DOUBLE -> float64, BOOLEAN -> bool; a column's ``nullable`` flag is kept.

    Parameters
    ----------
    table : str
        Table name, e.g. ``"responses"``.

    Returns
    -------
    pyarrow.Schema

    Examples
    --------
    >>> arrow_schema("outcomes").field("new_customers").type
    DataType(int64)
    """
    if table not in TABLES:
        raise CxlabError(f"unknown table {table!r}; known tables: {', '.join(TABLES)}")
    return pa.schema(
        [pa.field(c.name, _ARROW_TYPES[c.type], nullable=c.nullable) for c in TABLES[table].columns]
    )


def generate(
    out_dir: str | Path,
    *,
    n_responses: int = 60_000,
    seed: int = 2026,
    n_units: int = 8,
    quarters: int = 12,
    last_quarter: str = "2026Q3",
    chunk_size: int = 1_000_000,
    progress: bool = False,
) -> Path:
    """Write the demo company's tables as Parquet and its planted truth as JSON.

    Parameters
    ----------
    out_dir : str or Path
        Output folder; created if needed. Earlier ``part-*.parquet`` files of
        the seven tables and ``truth.json`` in it are replaced.
    n_responses : int
        Exact number of survey responses (the other tables scale with it:
        about 0.65 customers, 1.4 interactions and 1.6 transactions per response).
    seed : int
        Non-negative seed; the same arguments give byte-identical files.
    n_units : int
        Number of business units.
    quarters : int
        Number of reported quarters, ending with ``last_quarter``.
    last_quarter : str
        Last reported quarter as ``"YYYYQn"``.
    chunk_size : int
        Maximum rows per Parquet part. Only the file split depends on it; the
        data do not (they are simulated in fixed internal blocks).
    progress : bool
        Show a tqdm progress bar (in responses).

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    CxlabError
        On a bad argument (negative seed, ``last_quarter`` not like ``2026Q3``...).

    Notes
    -----
    Generation is block-wise (about 200,000 responses and their customers per
    block), so memory stays bounded: 10 million responses take about 100 s and
    640 MB peak memory on one core. See the module docstring for the planted
    truths.

    Examples
    --------
    >>> import tempfile
    >>> out = generate(tempfile.mkdtemp(), n_responses=1_000, seed=1, n_units=3, quarters=4)
    >>> sorted(p.name for p in out.iterdir())[:3]
    ['attribute_ratings', 'customer_history', 'customers']
    >>> load_truth(out)["units"]
    ['Nordics', 'UK & Ireland', 'Benelux']
    """
    from tqdm.auto import tqdm

    _check_args(n_responses, seed, n_units, quarters, chunk_size)
    out = Path(out_dir)
    design = _design(seed, n_units, quarters, last_quarter)
    out.mkdir(parents=True, exist_ok=True)
    writers = {name: _PartWriter(out / name, name, chunk_size) for name in TABLES}

    n_blocks = max(1, math.ceil(n_responses / _BLOCK_RESPONSES))
    offsets = {"customers": 0, "responses": 0, "transactions": 0, "interactions": 0}
    stats = np.zeros((3, 2), dtype=np.int64)  # churn within window: [category, (n, churned)]
    with tqdm(total=n_responses, unit="resp", disable=not progress, desc="cxlab synth") as bar:
        for b in range(n_blocks):
            quota = (b + 1) * n_responses // n_blocks - b * n_responses // n_blocks
            tables, block_stats = _block(design, b, quota, offsets)
            tables["attribute_ratings"] = _attribute_ratings(design.seed, b, tables["responses"])
            stats += block_stats
            for name, tab in tables.items():
                writers[name].add(tab)
            bar.update(quota)
    writers["outcomes"].add(design.outcomes)
    writers["touchpoints"].add(_touchpoint_table())
    counts = {name: w.close() for name, w in writers.items()}

    truth = _truth(design, n_responses, counts, stats)
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return out


def load_truth(out_dir: str | Path) -> dict[str, Any]:
    """Read the planted ground truth written by :func:`generate`.

    Parameters
    ----------
    out_dir : str or Path
        The folder :func:`generate` wrote.

    Returns
    -------
    dict
        The parsed ``truth.json`` (latent NPS paths, outcome model, weak touch
        points and channel, churn rates, CSAT/CES model, weights, row counts).

    Examples
    --------
    >>> import tempfile
    >>> out = generate(tempfile.mkdtemp(), n_responses=500, seed=3)
    >>> load_truth(out)["churn"]["rate_by_category"]["detractor"]
    0.3
    """
    path = Path(out_dir) / "truth.json"
    if not path.is_file():
        raise CxlabError(f"{path}: file not found; generate the demo data first (cxlab synth)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CxlabError(f"{path}: not valid JSON ({exc})") from None


def read_table(out_dir: str | Path, table: str) -> pd.DataFrame:
    """Read one generated table (all its parts) into a pandas DataFrame.

    Parameters
    ----------
    out_dir : str or Path
        The folder :func:`generate` wrote.
    table : str
        Table name from :data:`cxlab.schema.TABLES`.

    Returns
    -------
    pandas.DataFrame
        Rows in generation order, columns as in the schema; DATE columns as
        ``datetime64``, nullable INTEGER columns as float when they hold nulls.

    Examples
    --------
    >>> import tempfile
    >>> out = generate(tempfile.mkdtemp(), n_responses=500, seed=3)
    >>> list(read_table(out, "outcomes").columns)[:3]
    ['unit', 'quarter', 'new_customers']
    """
    schema = arrow_schema(table)
    parts = sorted((Path(out_dir) / table).glob("part-*.parquet"))
    if not parts:
        raise CxlabError(f"{Path(out_dir) / table}: no part-*.parquet files; run cxlab synth")
    data = pa.concat_tables([pq.read_table(p, schema=schema) for p in parts])
    return data.to_pandas(date_as_object=False)


# --------------------------------------------------------------------------- design


@dataclass(frozen=True)
class _Design:
    seed: int
    units: tuple[str, ...]
    quarters: tuple[str, ...]
    lead_quarters: tuple[str, ...]  # LAG quarters before the first reported one
    q_start: np.ndarray  # first day (days since 1970) of each reported quarter, plus end + 1
    first_qabs: int  # quarters since 1970Q1 of the first reported quarter
    unit_share: np.ndarray
    latent: np.ndarray  # (units, LAG + quarters)
    signup_cum: np.ndarray  # (units, quarters) cumulative signup probabilities
    outcomes: pa.Table
    outcome_truth: dict[str, Any]
    # (touch point, channel) rows of the inventory
    row_tp: np.ndarray
    row_ch: np.ndarray
    row_stage: np.ndarray
    row_shift: np.ndarray
    base_cum: np.ndarray
    chan_cum: np.ndarray  # (channels, rows)
    channel_share: np.ndarray
    centre: float  # expected shift over the response mix
    comment_offset: np.ndarray  # (touch points, 3)
    comment_count: np.ndarray
    comments: pa.Array

    @property
    def start(self) -> int:
        return int(self.q_start[0])

    @property
    def end(self) -> int:  # inclusive last day
        return int(self.q_start[-1]) - 1


def _check_args(n_responses: int, seed: int, n_units: int, quarters: int, chunk: int) -> None:
    for name, value, low in [
        ("n_responses", n_responses, 1),
        ("seed", seed, 0),
        ("n_units", n_units, 1),
        ("quarters", quarters, 1),
        ("chunk_size", chunk, 1),
    ]:
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
            raise CxlabError(f"synth: {name} must be an integer >= {low}, got {value!r}")


def _quarter_start_day(k: int) -> int:
    months = (k // 4 - 1970) * 12 + (k % 4) * 3
    return int(np.datetime64(months, "M").astype("datetime64[D]").astype(np.int64))


def _design(seed: int, n_units: int, quarters: int, last_quarter: str) -> _Design:
    last = quarter_index(last_quarter, "synth: last_quarter")
    first = last - quarters + 1
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    units = tuple(
        UNIT_NAMES[i] if i < len(UNIT_NAMES) else f"Unit {i + 1:02d}" for i in range(n_units)
    )
    q_labels = tuple(quarter_from_index(k) for k in range(first, last + 1))
    lead = tuple(quarter_from_index(k) for k in range(first - LAG, first))
    q_start = np.array([_quarter_start_day(k) for k in range(first, last + 2)], dtype=np.int64)

    size = np.linspace(0.6, 1.5, n_units) if n_units > 1 else np.ones(1)
    size = rng.permutation(size)
    unit_share = size / size.sum()

    # latent NPS: unit level + linear trend + AR(1), clipped to [-10, 60]
    n_t = quarters + LAG
    levels = np.linspace(5.0, 45.0, n_units) if n_units > 1 else np.array([25.0])
    levels = rng.permutation(levels) + rng.normal(0.0, 2.0, n_units)
    trend = rng.uniform(-1.2, 1.2, n_units)
    phi, sd = 0.6, 6.0
    ar = np.empty((n_units, n_t))
    ar[:, 0] = rng.normal(0.0, sd / math.sqrt(1 - phi**2), n_units)
    for t in range(1, n_t):
        ar[:, t] = phi * ar[:, t - 1] + rng.normal(0.0, sd, n_units)
    tc = np.arange(n_t) - (n_t - 1) / 2
    latent = np.round(np.clip(levels[:, None] + trend[:, None] * tc + ar, -10.0, 60.0), 2)

    outcomes, outcome_truth, new = _outcomes(rng, units, q_labels, latent, size)
    signup_cum = np.cumsum(new, axis=1)
    signup_cum = signup_cum / signup_cum[:, -1:]
    signup_cum[:, -1] = np.inf  # a uniform draw always falls in a quarter

    # touch-point rows, their response mix and the shift centring
    tp_names = [t[0] for t in _TOUCHPOINTS]
    row_tp, row_ch, row_w = [], [], []
    for i, tp in enumerate(_TOUCHPOINTS):
        chans, weight = tp[2], tp[6]
        for ch in chans:
            row_tp.append(i)
            row_ch.append(CHANNELS.index(ch))
            row_w.append(weight * _CHANNEL_WEIGHT[CHANNELS.index(ch)])
    row_tp_a, row_ch_a = np.array(row_tp), np.array(row_ch)
    row_p = np.array(row_w) / np.sum(row_w)
    row_stage = np.array([STAGES.index(_TOUCHPOINTS[i][1]) for i in row_tp])
    row_shift = np.array(
        [
            WEAK_TOUCHPOINTS.get(tp_names[t], 0.0) + WEAK_CHANNELS.get(CHANNELS[c], 0.0)
            for t, c in zip(row_tp, row_ch, strict=True)
        ]
    )
    channel_share = np.array([row_p[row_ch_a == c].sum() for c in range(len(CHANNELS))])
    chan_cum = np.zeros((len(CHANNELS), len(row_p)))
    for c in range(len(CHANNELS)):
        chan_cum[c] = np.cumsum(np.where(row_ch_a == c, row_p, 0.0))
    centre = float(row_p @ row_shift + np.dot(_SEGMENT_SAMPLE_SHARE, _SEGMENT_NPS_SHIFT))

    comments, offset, count = _comment_catalog()
    return _Design(
        seed=seed,
        units=units,
        quarters=q_labels,
        lead_quarters=lead,
        q_start=q_start,
        first_qabs=first - 1970 * 4,
        unit_share=unit_share,
        latent=latent,
        signup_cum=signup_cum,
        outcomes=outcomes,
        outcome_truth=outcome_truth,
        row_tp=row_tp_a,
        row_ch=row_ch_a,
        row_stage=row_stage,
        row_shift=row_shift,
        base_cum=np.cumsum(row_p),
        chan_cum=chan_cum,
        channel_share=channel_share,
        centre=centre,
        comment_offset=offset,
        comment_count=count,
        comments=comments,
    )


def _spend_per_customer_quarter() -> float:
    """Expected revenue per active customer and quarter, population segment mix."""
    return float(
        sum(
            s * m * r / 4
            for s, m, r in zip(_SEGMENT_POPULATION_SHARE, _TXN_MEAN, _REPEAT_RATE, strict=True)
        )
    )


def _outcomes(rng, units, q_labels, latent, size):
    n_units, n_q = len(units), len(q_labels)
    driver = latent[:, :n_q]  # latent[u, t - LAG] for reported quarter t
    base_new = np.round(_BASE_NEW_MEAN * size / size.mean())
    new = base_new[:, None] + _BETA_NEW * driver + rng.normal(0.0, _NEW_NOISE_SD, (n_units, n_q))
    new = np.maximum(np.round(new), 0.0)

    d_share = _ALPHA_SHARE + _BETA_SHARE * driver + rng.normal(0, _SHARE_NOISE_SD, (n_units, n_q))
    path = np.cumsum(d_share, axis=1)
    s0 = rng.uniform(0.15, 0.35, n_units)
    s0 = np.clip(s0, 0.03 - path.min(axis=1), 0.97 - path.max(axis=1))  # keep shares in (0, 1)
    share = s0[:, None] + path

    spend = _spend_per_customer_quarter()
    base = np.empty((n_units, n_q))
    prev = base_new / _QUARTERLY_BASE_CHURN
    for t in range(n_q):
        prev = prev * (1 - _QUARTERLY_BASE_CHURN) + new[:, t]
        base[:, t] = prev
    revenue = base * spend * (1 + rng.normal(0.0, _REVENUE_NOISE_SD, (n_units, n_q)))
    steady = base_new / _QUARTERLY_BASE_CHURN * spend
    opex = _OPEX_RATE * steady
    profit = _GROSS_MARGIN_RATE * revenue - opex[:, None]

    uu, qq = np.meshgrid(np.arange(n_units), np.arange(n_q), indexing="ij")
    table = pa.Table.from_arrays(
        [
            pa.array(np.array(units, dtype=object)[uu.ravel()], pa.string()),
            pa.array(np.array(q_labels, dtype=object)[qq.ravel()], pa.string()),
            pa.array(new.ravel().astype(np.int64)),
            pa.array(np.round(revenue.ravel(), 2)),
            pa.array(np.round(profit.ravel(), 2)),
            pa.array(np.round(share.ravel(), 6)),
        ],
        schema=arrow_schema("outcomes"),
    )
    truth = {
        "description": (
            "Unit NPS drives outcomes with a lag of lag_quarters quarters: "
            "new_customers[u,t] = base[u] + beta_per_nps_point * latent_nps[u,t-lag] + N(0, noise_sd); "
            "market_share[u,t] - market_share[u,t-1] = intercept + beta_per_nps_point * "
            "latent_nps[u,t-lag] + N(0, noise_sd) (share_before_first_quarter gives t-1 for the "
            "first quarter). Revenue = active customer base x spend per customer per quarter x "
            "(1 + N(0, revenue noise_sd)), where the base loses quarterly_churn and gains "
            "new_customers each quarter (starting at base[u] / quarterly_churn); profit = "
            "gross_margin_rate x revenue - opex[u]. Regress outcomes on latent_nps lagged "
            "lag_quarters with unit fixed effects to recover the betas."
        ),
        "lag_quarters": LAG,
        "new_customers": {
            "base": {u: float(b) for u, b in zip(units, base_new, strict=True)},
            "beta_per_nps_point": _BETA_NEW,
            "noise_sd": _NEW_NOISE_SD,
        },
        "market_share": {
            "intercept": _ALPHA_SHARE,
            "beta_per_nps_point": _BETA_SHARE,
            "noise_sd": _SHARE_NOISE_SD,
            "share_before_first_quarter": {
                u: round(float(s), 6) for u, s in zip(units, s0, strict=True)
            },
        },
        "revenue": {
            "spend_per_customer_quarter": round(_spend_per_customer_quarter(), 4),
            "quarterly_churn": _QUARTERLY_BASE_CHURN,
            "noise_sd": _REVENUE_NOISE_SD,
        },
        "profit": {
            "gross_margin_rate": _GROSS_MARGIN_RATE,
            "opex": {u: round(float(o), 2) for u, o in zip(units, opex, strict=True)},
        },
    }
    return table, truth, new


def _comment_catalog() -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """All verbatim strings, and per (touch point, category) the slice to draw from."""
    texts: list[str] = []
    offset = np.zeros((len(_TOUCHPOINTS), 3), dtype=np.int64)
    count = np.zeros_like(offset)
    for i, tp in enumerate(_TOUCHPOINTS):
        for cat in range(3):
            templates = _BY_TOUCHPOINT[tp[0]][cat] + _GENERIC[cat]
            expanded = [
                t.format(product=p) if "{product}" in t else t
                for t in templates
                for p in (_PRODUCTS if "{product}" in t else ("",))
            ]
            offset[i, cat] = len(texts)
            count[i, cat] = len(expanded)
            texts.extend(expanded)
    texts.extend(_SPECIAL)
    return pa.array(texts, pa.string()), offset, count


def _touchpoint_table() -> pa.Table:
    rows = [
        (name, stage, ch, intentional, owner, kpi)
        for name, stage, chans, intentional, owner, kpi, _w in _TOUCHPOINTS
        for ch in chans
    ]
    cols = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [pa.array(list(c)) for c in cols], schema=arrow_schema("touchpoints")
    )


# --------------------------------------------------------------------------- helpers


def _ids(prefix: str, start: int, n: int, width: int) -> pa.Array:
    nums = pc.cast(pa.array(np.arange(start + 1, start + n + 1, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(nums, width, "0"), "")


def _labels(values: tuple[str, ...], idx: np.ndarray) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(idx.astype(np.int32)))


def _dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.int32(), mask=null).cast(pa.date32())


def _pick(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw from unnormalised cumulative weights; never a zero-weight index."""
    return np.searchsorted(cum, u * cum[-1], side="right")


def _categorical(rng: np.random.Generator, probs, n: int) -> np.ndarray:
    return _pick(rng.random(n), np.cumsum(probs))


def _quarter_of(design: _Design, days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months // 3 - design.first_qabs


class _PartWriter:
    """Stream Arrow tables into Parquet parts of at most ``chunk`` rows each.

    Only the table being written is in memory; each ``add`` becomes one or more
    row groups of the current part.
    """

    def __init__(self, folder: Path, table: str, chunk: int) -> None:
        self.folder, self.table, self.chunk = folder, table, chunk
        self.schema = arrow_schema(table)
        self.writer: pq.ParquetWriter | None = None
        self.in_part = 0
        self.parts = 0
        self.rows = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("part-*.parquet"):
            old.unlink()

    def add(self, table: pa.Table) -> None:
        for field in self.schema:
            if not field.nullable and table.column(field.name).null_count:
                raise AssertionError(f"synth bug: nulls in {self.table}.{field.name}")
        table = table.cast(self.schema)
        start = 0
        while start < table.num_rows:
            if self.writer is None:
                path = self.folder / f"part-{self.parts:05d}.parquet"
                self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
                self.parts += 1
            take = min(self.chunk - self.in_part, table.num_rows - start)
            self.writer.write_table(table.slice(start, take))
            start += take
            self.in_part += take
            self.rows += take
            if self.in_part == self.chunk:
                self._close_part()

    def _close_part(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer, self.in_part = None, 0

    def close(self) -> int:
        if self.parts == 0:  # an empty table still gets a part with its schema
            pq.write_table(self.schema.empty_table(), self.folder / "part-00000.parquet")
            self.parts = 1
        self._close_part()
        return self.rows


# --------------------------------------------------------------------------- one block


def _block(
    design: _Design, b: int, quota: int, offsets: dict[str, int]
) -> tuple[dict[str, pa.Table], np.ndarray]:
    """Simulate customers until exactly ``quota`` responses, then their other tables."""
    attempt, factor = 0, 1.0
    while True:
        rng = np.random.default_rng(np.random.SeedSequence([design.seed, 1, b, attempt]))
        m = int(quota * factor) + 200
        sim = _simulate_customers(design, rng, m, quota)
        if sim is not None:
            break
        attempt, factor = attempt + 1, factor * 2
    tables, stats = _emit(design, rng, sim, offsets)
    return tables, stats


def _simulate_customers(design: _Design, rng: np.random.Generator, m: int, quota: int):
    start, end = design.start, design.end
    unit = _categorical(rng, design.unit_share, m)

    # signup: before the period, or in a quarter drawn in proportion to new customers
    pre = rng.random(m) < _PRE_PERIOD_SHARE
    signup = start - rng.integers(1, 5 * 365 + 1, m)
    q = (rng.random(m)[:, None] >= design.signup_cum[unit]).sum(axis=1)
    q_len = design.q_start[q + 1] - design.q_start[q]
    in_period = design.q_start[q] + (rng.random(m) * q_len).astype(np.int64)
    signup = np.where(pre, signup, in_period)

    # profiles: initial draw and up to two changes, each redrawing one attribute from the
    # same marginal (so the mix at any date is the nominal one)
    prof = np.empty((3, m, 3), dtype=np.int64)  # attribute (segment, region, channel), customer, k
    prof[0, :, 0] = _categorical(rng, _SEGMENT_SAMPLE_SHARE, m)
    prof[1, :, 0] = _categorical(rng, _REGION_SHARE, m)
    prof[2, :, 0] = _categorical(rng, design.channel_share, m)
    n_change = _categorical(rng, _CHANGE_PROBS, m)
    room = end - signup
    n_change = np.where(room >= 3, n_change, 0)
    cdates = (
        signup[:, None]
        + 1
        + (rng.random((m, 2)) * np.maximum(room - 1, 1)[:, None]).astype(np.int64)
    )
    cdates.sort(axis=1)
    cdates[:, 1] = np.maximum(cdates[:, 1], cdates[:, 0] + 1)
    sentinel = np.iinfo(np.int64).max // 4
    cdates = np.where(np.arange(2)[None, :] < n_change[:, None], cdates, sentinel)
    cdates = np.where(cdates > end, sentinel, cdates)
    shares = (_SEGMENT_SAMPLE_SHARE, _REGION_SHARE, design.channel_share)
    for k in (1, 2):
        prof[:, :, k] = prof[:, :, k - 1]
        attr = _categorical(rng, _CHANGE_ATTR_PROBS, m)
        for a in range(3):
            new_val = _categorical(rng, shares[a], m)
            prof[a, :, k] = np.where(attr == a, new_val, prof[a, :, k])

    # survey dates, at least 183 days apart
    respondent = rng.random(m) < _RESPONDENT_SHARE
    k_cap = np.where(respondent, 1 + np.minimum(rng.poisson(2.0, m), _MAX_SURVEYS - 1), 0)
    gaps = _MIN_SURVEY_GAP + rng.integers(0, 121, (m, _MAX_SURVEYS))
    # pre-period customers enter the survey programme at any time, new ones soon after signup
    span = end - start + 1
    early = rng.random(m) < _EARLY_ENTRY
    entry = np.where(early, rng.random(m) * 304, rng.random(m) * span * 0.85).astype(np.int64)
    first = np.where(signup < start, start + entry, signup + rng.integers(7, 121, m))
    gaps[:, 0] = 0
    sdates = first[:, None] + np.cumsum(gaps, axis=1)
    valid = (np.arange(_MAX_SURVEYS)[None, :] < k_cap[:, None]) & (sdates <= end)
    cust, j = np.nonzero(valid)
    day = sdates[cust, j]
    n = len(cust)

    # LTR
    pidx = (day >= cdates[cust, 0]).astype(np.int64) + (day >= cdates[cust, 1])
    seg = prof[0, cust, pidx]
    pref = prof[2, cust, pidx]
    row = _pick(rng.random(n), design.base_cum)
    own = rng.random(n) < 0.5
    u = rng.random(n)
    for c in range(len(CHANNELS)):
        sel = own & (pref == c)
        row[sel] = _pick(u[sel], design.chan_cum[c])
    qi = _quarter_of(design, day)
    u_of = unit[cust]
    eta = (
        design.latent[u_of, qi + LAG]
        + design.row_shift[row]
        + np.asarray(_SEGMENT_NPS_SHIFT)[seg]
        - design.centre
    ) / 100.0
    eta = np.clip(eta, -0.95, 0.95)  # never binds: |eta| <= 0.83 with these shifts
    passive = np.minimum(0.30, 0.98 - np.abs(eta))
    p_pro = (1 - passive + eta) / 2
    uc = rng.random(n)
    cat = np.where(uc < p_pro, 2, np.where(uc < p_pro + passive, 1, 0))  # 0 det, 1 pas, 2 pro
    weak = np.isin(
        design.row_tp, [i for i, t in enumerate(_TOUCHPOINTS) if t[0] in WEAK_TOUCHPOINTS]
    )[row]
    score_row = np.select([cat == 2, cat == 1, weak], [3, 2, 1], 0)
    score_cum = np.cumsum(_SCORE_PROBS, axis=1)
    v = rng.random(n) * score_cum[score_row, -1]
    ltr = (v[:, None] >= score_cum[score_row]).sum(axis=1)

    # churn after a survey; later surveys of a churned customer do not happen
    trig = rng.random(n) < np.asarray(_CHURN_RATE)[cat]
    churn_lag = rng.integers(1, _CHURN_WINDOW + 1, n)
    first_trig = np.full(m, _MAX_SURVEYS, dtype=np.int64)
    np.minimum.at(first_trig, cust[trig], j[trig])
    keep = j <= first_trig[cust]
    counts = np.bincount(cust[keep], minlength=m)
    cum = np.cumsum(counts)
    if cum[-1] < quota:
        return None
    last = int(np.searchsorted(cum, quota))  # last customer kept
    allowed = counts[: last + 1].copy()
    allowed[last] -= cum[last] - quota
    keep &= cust <= last
    rank = np.cumsum(keep) - 1  # rank of response in the block among kept ones
    before = np.concatenate([[0], np.cumsum(allowed)])[np.minimum(cust, last)]
    keep &= (rank - before) < allowed[np.minimum(cust, last)]

    mk = last + 1
    kept_j_max = np.full(mk, -1, dtype=np.int64)
    np.maximum.at(kept_j_max, cust[keep], j[keep])
    has_trig = first_trig[:mk] <= kept_j_max  # the triggering survey was kept
    churn = np.full(mk, -1, dtype=np.int64)
    trig_rows = keep & trig & (j == first_trig[cust])
    churn[cust[trig_rows]] = day[trig_rows] + churn_lag[trig_rows]
    churn = np.where(has_trig, churn, -1)
    # background churn for customers who never answered
    answered = kept_j_max >= 0
    ws = np.maximum(signup[:mk], start)
    bg = (~answered) & (rng.random(mk) < _BACKGROUND_CHURN)
    bg_day = ws + (rng.random(mk) * np.maximum(end - ws, 1)).astype(np.int64) + 1
    churn = np.where(bg, bg_day, churn)
    churn = np.where(churn > end, -1, churn)  # censored: after the last day of data

    resp_ix = np.nonzero(keep)[0]
    return {
        "m": mk,
        "unit": unit[:mk],
        "signup": signup[:mk],
        "prof": prof[:, :mk, :],
        "cdates": cdates[:mk],
        "churn": churn,
        "resp": {
            "cust": cust[resp_ix],
            "day": day[resp_ix],
            "qi": qi[resp_ix],
            "row": row[resp_ix],
            "seg": seg[resp_ix],
            "cat": cat[resp_ix],
            "ltr": ltr[resp_ix],
        },
    }


def _profile_at(sim: dict, cust: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(attribute, n) profile of customers ``cust`` on ``day``."""
    cd = sim["cdates"]
    k = (day >= cd[cust, 0]).astype(np.int64) + (day >= cd[cust, 1])
    return sim["prof"][:, cust, k]


def _emit(design: _Design, rng: np.random.Generator, sim: dict, offsets: dict[str, int]):
    end, start = design.end, design.start
    m = sim["m"]
    cust_ids = _ids("C", offsets["customers"], m, 7)
    churn = sim["churn"]
    churned = churn >= 0
    stop = np.where(churned, churn, end + 1)  # first day without activity
    tables: dict[str, pa.Table] = {}

    # --- customer_history and customers
    cd = sim["cdates"]
    prof = sim["prof"]
    eff = (cd < stop[:, None]) & (cd <= end)  # changes that happened before churn
    changed = np.ones((m, 3), dtype=bool)
    changed[:, 1:] = eff & np.any(prof[:, :, 1:] != prof[:, :, :-1], axis=0)
    from_ = np.column_stack([sim["signup"], cd])
    nxt = np.full((m, 3), -1, dtype=np.int64)
    nxt[:, 1] = np.where(changed[:, 2], cd[:, 1], -1)
    nxt[:, 0] = np.where(changed[:, 1], cd[:, 0], nxt[:, 1])
    hc, hk = np.nonzero(changed)
    valid_to = nxt[hc, hk]
    tables["customer_history"] = pa.Table.from_arrays(
        [
            cust_ids.take(pa.array(hc)),
            _dates(from_[hc, hk]),
            _dates(valid_to - 1, null=valid_to < 0),
            _labels(SEGMENTS, prof[0, hc, hk]),
            _labels(REGIONS, prof[1, hc, hk]),
            _labels(CHANNELS, prof[2, hc, hk]),
        ],
        schema=arrow_schema("customer_history"),
    )
    cur = eff.sum(axis=1)
    ar = np.arange(m)
    tables["customers"] = pa.Table.from_arrays(
        [
            cust_ids,
            _labels(design.units, sim["unit"]),
            _labels(SEGMENTS, prof[0, ar, cur]),
            _labels(REGIONS, prof[1, ar, cur]),
            _labels(CHANNELS, prof[2, ar, cur]),
            _dates(sim["signup"]),
            _dates(np.where(churned, churn, 0), null=~churned),
        ],
        schema=arrow_schema("customers"),
    )

    # --- responses
    r = sim["resp"]
    n = len(r["cust"])
    ltr = r["ltr"]
    stage = design.row_stage[r["row"]]
    ch = design.row_ch[r["row"]]
    e_csat = rng.normal(0.0, _CSAT[2], n)
    csat = np.clip(np.round(_CSAT[0] + _CSAT[1] * ltr + e_csat), 1, 5)
    ces_shift = np.array([_CES_CHANNEL_SHIFT.get(c, 0.0) for c in CHANNELS])[ch]
    ces = np.clip(np.round(_CES[0] + _CES[1] * ltr + ces_shift + rng.normal(0.0, _CES[2], n)), 1, 7)
    csat_na = rng.random(n) < _CSAT_MISSING
    ces_rate = np.where(
        stage == STAGES.index("interaction"), _CES_MISSING["interaction"], _CES_MISSING["other"]
    )
    ces_na = rng.random(n) < ces_rate
    cat = r["cat"]
    comment = rng.random(n) < np.asarray(_COMMENT_RATE)[cat]
    special = rng.random(n) < _SPECIAL_RATE
    tp = design.row_tp[r["row"]]
    pick = (rng.random(n) * design.comment_count[tp, cat]).astype(np.int64)
    text_ix = design.comment_offset[tp, cat] + pick
    n_special = len(_SPECIAL)
    special_ix = len(design.comments) - n_special + rng.integers(0, n_special, n)
    text_ix = np.where(special, special_ix, text_ix)
    verbatim = design.comments.take(pa.array(text_ix, mask=~comment))
    weight = (np.asarray(_SEGMENT_POPULATION_SHARE) / np.asarray(_SEGMENT_SAMPLE_SHARE))[r["seg"]]
    tables["responses"] = pa.Table.from_arrays(
        [
            _ids("R", offsets["responses"], n, 9),
            cust_ids.take(pa.array(r["cust"])),
            _labels(design.units, sim["unit"][r["cust"]]),
            _dates(r["day"]),
            _labels(design.quarters, r["qi"]),
            _labels(CHANNELS, ch),
            _labels(tuple(t[0] for t in _TOUCHPOINTS), tp),
            _labels(STAGES, stage),
            pa.array(ltr.astype(np.int32)),
            pa.array(csat.astype(np.int32), mask=csat_na),
            pa.array(ces.astype(np.int32), mask=ces_na),
            verbatim,
            pa.array(np.round(weight, 6)),
        ],
        schema=arrow_schema("responses"),
    )

    # six-month churn per LTR category, on surveys whose window ends inside the data
    stats = np.zeros((3, 2), dtype=np.int64)
    observable = r["day"] + _CHURN_WINDOW <= end
    c_day = churn[r["cust"]]
    hit = (c_day > r["day"]) & (c_day <= r["day"] + _CHURN_WINDOW)
    for k in range(3):
        sel = observable & (cat == k)
        stats[k] = sel.sum(), (sel & hit).sum()

    # --- interactions: journeys through the stages
    ws = np.maximum(sim["signup"], start)
    active_days = np.maximum(stop - ws, 0)
    n_j = np.where(active_days > 0, _categorical(rng, _JOURNEY_PROBS, m), 0)
    jc = np.repeat(np.arange(m), n_j)
    nj = len(jc)
    j_start = ws[jc] * 86400 + (rng.random(nj) * active_days[jc] * 86400).astype(np.int64)
    slots = 6  # attraction x2, interaction x2, purchase, cultivation
    j_day = j_start // 86400
    pref0 = _profile_at(sim, jc, j_day)[2]
    switch = rng.random(nj) < _SWITCH_PROB
    sw_slot = rng.integers(1, slots, nj)
    other = (pref0 + rng.integers(1, len(CHANNELS), nj)) % len(CHANNELS)
    chan = np.where(
        switch[:, None] & (np.arange(slots)[None, :] >= sw_slot[:, None]),
        other[:, None],
        pref0[:, None],
    )
    purchase_tp = [t[0] for t in _TOUCHPOINTS].index(_PURCHASE_TOUCHPOINT)
    purchase_chans = [CHANNELS.index(c) for c in _TOUCHPOINTS[purchase_tp][2]]
    chan[:, 4] = np.where(np.isin(chan[:, 4], purchase_chans), chan[:, 4], CHANNELS.index("web"))
    slot_stage = np.array([0, 0, 1, 1, 1, 2])
    rows = np.empty((nj, slots), dtype=np.int64)
    u = rng.random((nj, slots))
    tp_w = np.array([t[6] for t in _TOUCHPOINTS])
    for s in range(3):
        for c in range(len(CHANNELS)):
            for is_purchase in (False, True):
                cand = (design.row_stage == s) & (design.row_ch == c)
                cand &= (design.row_tp == purchase_tp) == is_purchase
                slot_sel = (slot_stage == s) & ((np.arange(slots) == 4) == is_purchase)
                sel = (chan == c) & slot_sel[None, :]
                if not sel.any():
                    continue
                w = np.where(cand, tp_w[design.row_tp], 0.0)
                if w.sum() <= 0:
                    raise AssertionError(f"synth bug: no touch point for stage {s}, channel {c}")
                rows[sel] = _pick(u[sel], np.cumsum(w))
    weak_tp = [i for i, t in enumerate(_TOUCHPOINTS) if t[0] in WEAK_TOUCHPOINTS]
    active = np.ones((nj, slots), dtype=bool)
    active[:, 1] = rng.random(nj) < 0.4
    active[:, 3] = rng.random(nj) < 0.45
    met_weak = (np.isin(design.row_tp[rows], weak_tp) & active)[:, :4].any(axis=1)
    convert = rng.random(nj) < np.where(met_weak, _CONVERT[1], _CONVERT[0])
    active[:, 4] = convert
    active[:, 5] = convert & (rng.random(nj) < _CULTIVATION_PROB)
    gap_mean = np.array([0.0, 1.5, 1.5, 1.5, 1.5, 12.0]) * 86400
    gaps = rng.exponential(1.0, (nj, slots)) * gap_mean[None, :]
    ts = j_start[:, None] + np.cumsum((gaps * active).astype(np.int64), axis=1)
    active &= ts < stop[jc][:, None] * 86400
    ec, es = np.nonzero(active)
    e_cust = jc[ec]
    e_ts = ts[ec, es]
    order = np.lexsort((es, e_ts, e_cust))
    e_cust, e_ts, e_row = e_cust[order], e_ts[order], rows[ec, es][order]
    e_slot = es[order]
    n_e = len(e_cust)
    tables["interactions"] = pa.Table.from_arrays(
        [
            _ids("I", offsets["interactions"], n_e, 9),
            cust_ids.take(pa.array(e_cust)),
            pa.array((e_ts * 1_000_000).astype("datetime64[us]")),
            _labels(tuple(t[0] for t in _TOUCHPOINTS), design.row_tp[e_row]),
            _labels(CHANNELS, design.row_ch[e_row]),
            _labels(STAGES, design.row_stage[e_row]),
        ],
        schema=arrow_schema("interactions"),
    )

    # --- transactions: purchases from journeys plus repeat purchases
    buy = e_slot == 4
    p_cust, p_day = e_cust[buy], e_ts[buy] // 86400
    seg_now = prof[0, np.arange(m), eff.sum(axis=1)]
    lam = np.asarray(_REPEAT_RATE)[seg_now] * active_days / 365.0
    n_rep = rng.poisson(lam)
    rc = np.repeat(np.arange(m), n_rep)
    r_day = ws[rc] + (rng.random(len(rc)) * active_days[rc]).astype(np.int64)
    t_cust = np.concatenate([p_cust, rc])
    t_day = np.concatenate([p_day, r_day])
    order = np.lexsort((t_day, t_cust))
    t_cust, t_day = t_cust[order], t_day[order]
    n_t = len(t_cust)
    t_seg = _profile_at(sim, t_cust, t_day)[0]
    mean = np.asarray(_TXN_MEAN)[t_seg]
    revenue = np.round(
        rng.lognormal(np.log(mean) - _TXN_SIGMA**2 / 2, _TXN_SIGMA, n_t).clip(5.0, None), 2
    )
    rate = np.clip(rng.normal(_MARGIN_RATE[0], _MARGIN_RATE[1], n_t), 0.02, 0.50)
    tables["transactions"] = pa.Table.from_arrays(
        [
            _ids("T", offsets["transactions"], n_t, 9),
            cust_ids.take(pa.array(t_cust)),
            _labels(design.units, sim["unit"][t_cust]),
            _dates(t_day),
            pa.array(revenue),
            pa.array(np.round(revenue * rate, 2)),
        ],
        schema=arrow_schema("transactions"),
    )

    offsets["customers"] += m
    offsets["responses"] += n
    offsets["interactions"] += n_e
    offsets["transactions"] += n_t
    return tables, stats


# --------------------------------------------------------------------------- attribute battery


def _attribute_model() -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrix of the latent attribute scores and the regression weights of
    standardized LTR on them, scaled so that ``b' R b = _ATTR_R2``."""
    p = len(_ATTRIBUTES)
    corr = np.full((p, p), _ATTR_CORR)
    corr[:2, :2] = _ATTR_CLUSTER_CORR
    np.fill_diagonal(corr, 1.0)
    b = np.array([a[1] for a in _ATTRIBUTES])
    b = b * math.sqrt(_ATTR_R2 / float(b @ corr @ b))
    return corr, b


def _attribute_ratings(seed: int, b: int, responses: pa.Table) -> pa.Table:
    """The battery of one block, drawn given the block's LTR from its own seed stream
    (``SeedSequence([seed, 2, block])``), so the other tables are untouched.

    With y = standardized LTR and x the latent attribute scores, x | y ~ N(R b y, R - R b b' R):
    exactly the conditional of a joint normal in which y = x'b + e, Var(x) = R,
    Var(y) = 1. Ratings are ``clip(round(mean + sd * x), 0, 10)``.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2, b]))
    corr, beta = _attribute_model()
    p = len(_ATTRIBUTES)
    ltr = responses.column("ltr").to_numpy(zero_copy_only=False).astype(float)
    n = len(ltr)
    asked = rng.random(n) < _ATTR_SHARE
    y = (ltr - _LTR_CENTRE[0]) / _LTR_CENTRE[1]
    rb = corr @ beta
    chol = np.linalg.cholesky(corr - np.outer(rb, rb))
    z = rng.standard_normal((n, p)) @ chol.T
    x = y[:, None] * rb[None, :] + z
    mean = np.array([a[2] for a in _ATTRIBUTES])
    rating = np.clip(np.round(mean[None, :] + _ATTR_SD * x), 0, 10).astype(np.int32)
    known = asked[:, None] & (rng.random((n, p)) >= _ATTR_DONT_KNOW)
    ri, ai = np.nonzero(known)
    return pa.Table.from_arrays(
        [
            responses.column("response_id").take(pa.array(ri)),
            _labels(tuple(a[0] for a in _ATTRIBUTES), ai),
            pa.array(rating[ri, ai]),
        ],
        schema=arrow_schema("attribute_ratings"),
    )


def _population_shapley(corr: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """LMG / Shapley R^2 shares of the latent model, by brute force over all subsets
    (independent of :mod:`cxlab.key_drivers`)."""
    p = len(beta)
    r_y = corr @ beta
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):
        idx = [j for j in range(p) if mask >> j & 1]
        r2[mask] = r_y[idx] @ np.linalg.solve(corr[np.ix_(idx, idx)], r_y[idx])
    phi = np.zeros(p)
    for mask in range(1 << p):
        k = bin(mask).count("1")
        for j in range(p):
            if not mask >> j & 1:
                w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
                phi[j] += w * (r2[mask | 1 << j] - r2[mask])
    return phi


def _drivers_truth() -> dict[str, Any]:
    corr, beta = _attribute_model()
    phi = _population_shapley(corr, beta)
    names = [a[0] for a in _ATTRIBUTES]
    order = np.argsort(-phi, kind="stable")
    return {
        "description": (
            "Table attribute_ratings: a share of responses (answer_share) rate the attributes "
            "0-10; each rating is missing ('don't know', no row) with dont_know_rate. Given the "
            "response's LTR, y = (ltr - ltr_standardization[0]) / ltr_standardization[1], the "
            "latent scores are x | y ~ N(R b y, R - R b b' R) (the conditional of a joint "
            "normal with y = x'b + e, Var(x) = R = latent_correlation, R^2 = latent_r2), and "
            "rating = clip(round(mean_rating + rating_sd * x), 0, 10). population_shapley_share "
            "is the exact LMG/Shapley share of R^2 in that latent model; expected_ranking "
            "orders the attributes by it (rounding, clipping and the discrete LTR perturb the "
            "values a little, not the top of the ranking). key_weaknesses: the three most "
            "important attributes, also the three lowest-rated."
        ),
        "attributes": names,
        "regression_weight": {n: round(float(v), 6) for n, v in zip(names, beta, strict=True)},
        "mean_rating": {a[0]: a[2] for a in _ATTRIBUTES},
        "rating_sd": _ATTR_SD,
        "latent_correlation": [[float(v) for v in row] for row in corr],
        "latent_r2": _ATTR_R2,
        "ltr_standardization": list(_LTR_CENTRE),
        "answer_share": _ATTR_SHARE,
        "dont_know_rate": _ATTR_DONT_KNOW,
        "population_shapley_share": {
            n: round(float(v / phi.sum()), 6) for n, v in zip(names, phi, strict=True)
        },
        "expected_ranking": [names[i] for i in order],
        "key_weaknesses": [names[i] for i in order[:3]],
    }


# --------------------------------------------------------------------------- truth


def _truth(design: _Design, n_responses: int, counts: dict[str, int], stats) -> dict[str, Any]:
    seg_w = np.asarray(_SEGMENT_POPULATION_SHARE) / np.asarray(_SEGMENT_SAMPLE_SHARE)
    pop_shift = float(np.dot(_SEGMENT_POPULATION_SHARE, _SEGMENT_NPS_SHIFT))
    sample_shift = float(np.dot(_SEGMENT_SAMPLE_SHARE, _SEGMENT_NPS_SHIFT))
    cats = ("detractor", "passive", "promoter")
    return {
        "description": (
            "Ground truth planted by cxlab.synth.generate. latent_nps[unit] lists the latent "
            "NPS for quarters_with_lead (lag_quarters quarters before the first reported "
            "quarter, then the reported quarters); the expected unweighted NPS of each "
            "unit-quarter of responses equals it. See each section's description."
        ),
        "generator": "cxlab.synth.generate",
        "seed": design.seed,
        "n_responses": n_responses,
        "units": list(design.units),
        "quarters": list(design.quarters),
        "quarters_with_lead": list(design.lead_quarters + design.quarters),
        "period": {
            "first_day": str(np.datetime64(design.start, "D")),
            "last_day": str(np.datetime64(design.end, "D")),
        },
        "latent_nps": {u: [float(x) for x in design.latent[i]] for i, u in enumerate(design.units)},
        "nps_to_outcomes": design.outcome_truth,
        "ltr_model": {
            "description": (
                "Per response, eta = (latent_nps[unit, quarter] + touchpoint_shift + "
                "channel_shift + segment_shift - centre) / 100; P(promoter) - P(detractor) = "
                "eta, P(passive) = min(0.30, 0.98 - |eta|). Within a category the score is "
                "drawn from score_probs (detractors at a weak touch point from the 'severe' "
                "row). centre is the expected shift over the response mix, so the shifts "
                "average to zero per unit-quarter."
            ),
            "centre": round(design.centre, 6),
            "score_probs": {
                name: [float(p) for p in _SCORE_PROBS[i]]
                for i, name in enumerate(["detractor", "detractor_severe", "passive", "promoter"])
            },
        },
        "weak_touchpoints": {
            "description": (
                "NPS-point shifts of responses at these touch points (any channel), against "
                "the other touch points; the aggregate NPS stays positive and masks them."
            ),
            "shift_nps_points": dict(WEAK_TOUCHPOINTS),
        },
        "weak_channels": {
            "description": "NPS-point shift of responses in these channels, at any touch point.",
            "shift_nps_points": dict(WEAK_CHANNELS),
        },
        "segment_shift_nps_points": dict(zip(SEGMENTS, _SEGMENT_NPS_SHIFT, strict=True)),
        "weights": {
            "description": (
                "weight = population_share / sample_share of the respondent's segment at the "
                "survey date. The expected population-weighted NPS differs from the unweighted "
                "one by weighted_minus_unweighted_nps points."
            ),
            "sample_share": dict(zip(SEGMENTS, _SEGMENT_SAMPLE_SHARE, strict=True)),
            "population_share": dict(zip(SEGMENTS, _SEGMENT_POPULATION_SHARE, strict=True)),
            "weight_by_segment": {s: round(float(w), 6) for s, w in zip(SEGMENTS, seg_w)},
            "weighted_minus_unweighted_nps": round(pop_shift - sample_shift, 6),
        },
        "churn": {
            "description": (
                "After each survey the customer churns within window_days days (uniform "
                "1..window_days) with probability rate_by_category[LTR category]; a churned "
                "customer stops answering, buying and interacting. churn_date is null when the "
                "drawn day falls after the last day of data. Non-respondents churn with "
                "probability background_rate_non_respondents over the period. observed_* count "
                "the surveys whose window ends inside the data."
            ),
            "window_days": _CHURN_WINDOW,
            "rate_by_category": dict(zip(cats, _CHURN_RATE, strict=True)),
            "background_rate_non_respondents": _BACKGROUND_CHURN,
            "observed_surveys": {c: int(stats[i, 0]) for i, c in enumerate(cats)},
            "observed_churned": {c: int(stats[i, 1]) for i, c in enumerate(cats)},
        },
        "csat_ces_model": {
            "description": (
                "csat = clip(round(intercept + slope * ltr + N(0, noise_sd)), 1, 5), missing "
                "completely at random with csat_missing; ces (CES 2.0 ease, higher = easier) = "
                "clip(round(intercept + slope * ltr + channel_shift + N(0, noise_sd)), 1, 7), "
                "missing with ces_missing by stage. Touch-point scores therefore track the "
                "overall LTR, and weak touch points score low on all three."
            ),
            "csat": dict(zip(("intercept", "slope", "noise_sd"), _CSAT, strict=True)),
            "ces": dict(zip(("intercept", "slope", "noise_sd"), _CES, strict=True)),
            "ces_channel_shift": dict(_CES_CHANNEL_SHIFT),
            "csat_missing": _CSAT_MISSING,
            "ces_missing": dict(_CES_MISSING),
        },
        "journeys": {
            "description": (
                "Each customer has 0-2 journeys: 1-2 attraction, 1-2 interaction events, then a "
                "'Purchase' event (conversion) and maybe one cultivation event. A journey "
                "switches channel at a random event with switch_probability. It converts with "
                "conversion_probability, lower when it met a weak touch point. Each purchase is "
                "also a transaction; customers buy again at repeat_purchases_per_year."
            ),
            "purchase_touchpoint": _PURCHASE_TOUCHPOINT,
            "conversion_probability": {"no_weak_touchpoint": _CONVERT[0], "weak": _CONVERT[1]},
            "switch_probability": _SWITCH_PROB,
            "repeat_purchases_per_year": dict(zip(SEGMENTS, _REPEAT_RATE, strict=True)),
            "mean_revenue_per_purchase": dict(zip(SEGMENTS, _TXN_MEAN, strict=True)),
        },
        "customer_history": {
            "description": (
                "Type-2 history: valid_to is the inclusive last day (the day before the next "
                "row's valid_from); valid_to is null on exactly one (the current) row per "
                "customer."
            ),
        },
        "drivers": _drivers_truth(),
        "verbatim_special": list(_SPECIAL),
        "row_counts": dict(sorted(counts.items())),
    }
