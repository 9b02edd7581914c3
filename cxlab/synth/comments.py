"""Verbatim comments of the demo company, including rare ones that must be masked or escaped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    pass

from cxlab.synth.constants import TOUCHPOINTS

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


# Rare comments that analyses must mask (fake PII) or escape (HTML) before sharing.
SPECIAL = (
    "Nobody called back. Reach me at jane.doe@example.com please.",
    "Call me on +44 20 7946 0958 about my order.",
    "Refund my card 4111 1111 1111 1111 now!",
    "<b>Terrible</b> <script>alert('x')</script> experience & no help",
)
SPECIAL_RATE = 0.01


def comment_catalog() -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """All verbatim strings, and per (touch point, category) the slice to draw from."""
    texts: list[str] = []
    offset = np.zeros((len(TOUCHPOINTS), 3), dtype=np.int64)
    count = np.zeros_like(offset)
    for i, tp in enumerate(TOUCHPOINTS):
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
    texts.extend(SPECIAL)
    return pa.array(texts, pa.string()), offset, count
