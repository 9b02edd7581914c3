"""The demo company's planted parameters: units, channels, touch points, effects, rates."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    pass


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
CHANNEL_WEIGHT = (1.5, 1.2, 1.0, 0.8, 0.6)
SEGMENTS = ("Consumer", "Small business", "Enterprise")
SEGMENT_SAMPLE_SHARE = (0.55, 0.25, 0.20)
SEGMENT_POPULATION_SHARE = (0.80, 0.15, 0.05)
SEGMENT_NPS_SHIFT = (0.0, -5.0, 15.0)
REGIONS = ("Metro", "Suburban", "Rural")
REGION_SHARE = (0.5, 0.3, 0.2)

# name, stage, channels, intentional, owner, operational KPI, response weight
TOUCHPOINTS: tuple[tuple[str, str, tuple[str, ...], bool, str, str, float], ...] = (
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
PURCHASE_TOUCHPOINT = "Purchase"
WEAK_TOUCHPOINTS = {"Product questions and pre-orders": -35.0, "Stock availability": -40.0}
WEAK_CHANNELS = {"phone": -15.0}

LAG = 2
BETA_NEW = 30.0  # new customers per quarter per latent NPS point
NEW_NOISE_SD = 150.0
BASE_NEW_MEAN = 2500.0
BETA_SHARE = 0.0004  # market share change per quarter per latent NPS point
ALPHA_SHARE = -0.01  # share drifts down when the unit's NPS is below 25
SHARE_NOISE_SD = 0.0015
QUARTERLY_BASE_CHURN = 0.05
GROSS_MARGIN_RATE = 0.24
OPEX_RATE = 0.16
REVENUE_NOISE_SD = 0.02

CHURN_RATE = (0.30, 0.15, 0.08)  # detractor, passive, promoter: churn within CHURN_WINDOW
CHURN_WINDOW = 182
# Proportional hazards after a survey: hazard h0 * HR[category] per day for CHURN_WINDOW days
# (none after), h0 and HR chosen so that 1 - exp(-h0 * HR * CHURN_WINDOW) = CHURN_RATE.
CHURN_BASELINE_HAZARD = -math.log1p(-CHURN_RATE[2]) / CHURN_WINDOW  # promoters, per day
CHURN_HAZARD_RATIO = tuple(math.log1p(-p) / math.log1p(-CHURN_RATE[2]) for p in CHURN_RATE)
BACKGROUND_CHURN = 0.15  # non-respondents, over the whole period
RESPONDENT_SHARE = 0.75
MIN_SURVEY_GAP = CHURN_WINDOW + 1
MAX_SURVEYS = 6
PRE_PERIOD_SHARE = 0.6
EARLY_ENTRY = 0.5  # share of pre-period customers surveyed within the first 300 days
CHANGE_PROBS = (0.87, 0.10, 0.03)  # 0, 1, 2 profile changes
CHANGE_ATTR_PROBS = (0.3, 0.4, 0.3)  # segment, region, preferred channel

# LTR within category: detractor (normal), detractor at a weak touch point, passive, promoter
SCORE_PROBS = np.array(
    [
        [0.03, 0.02, 0.04, 0.07, 0.12, 0.27, 0.45, 0, 0, 0, 0],
        [0.15, 0.15, 0.15, 0.15, 0.12, 0.13, 0.15, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0.45, 0.55, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5],
    ]
)
CSAT = (0.9, 0.4, 0.7)  # intercept, slope on LTR, noise sd
CES = (1.5, 0.5, 1.0)
CES_CHANNEL_SHIFT = {"phone": -0.5}
CSAT_MISSING = 0.10
CES_MISSING = {"interaction": 0.20, "other": 0.75}
COMMENT_RATE = (0.55, 0.35, 0.45)

# outcomes table: mean revenue per purchase and purchases per year by segment, for the
# revenue of the unit-quarter outcomes model (design.py)
TXN_MEAN = (220.0, 900.0, 3500.0)
REPEAT_RATE = (0.5, 1.2, 2.5)
# transactions table (purchases.py): BG/NBD purchase process, time in weeks (rate alpha of
# the Gamma purchase rate, Beta(a, b) dropout), and Gamma-Gamma spend per transaction
BG_NBD = {"r": 0.9, "alpha": 20.0, "a": 0.8, "b": 3.2}
GAMMA_GAMMA = {"p": 3.0, "q": 6.0, "v": 1000.0}
MIN_REVENUE = 5.0  # floor of a transaction's revenue (binds on about 7 in a million)
MARGIN_RATE = (0.24, 0.06)  # mean, sd (clipped to 0.02-0.50)

JOURNEY_PROBS = (0.45, 0.45, 0.10)  # 0, 1, 2 journeys per customer
CONVERT = (0.60, 0.30)  # without / with a weak touch point on the way
SWITCH_PROB = 0.25
CULTIVATION_PROB = 0.35

BLOCK_RESPONSES = 200_000
