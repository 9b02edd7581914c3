"""Phrase banks of the demo company's verbatims: themed phrasings, filler, PII and hostile text.

Data only; :mod:`cxlab.synth.verbatims` composes comments from them. Each planted
theme's phrasings contain one of its keywords in the starter codeframe
``cxlab/voc/codeframes/retail_electronics.yaml`` and no keyword of another theme;
filler, PII and hostile strings contain no keyword at all
(``tests/test_voc_recovery.py`` checks both). ``{product}`` is replaced by each of
:data:`PRODUCTS`. Some phrasings carry light typos, outside the keywords.
"""

from __future__ import annotations

PRODUCTS = ("TV", "laptop", "smartphone", "soundbar", "games console", "camera", "tablet")

# theme id -> phrasings (several per theme, short to long, some with typos)
PHRASES: dict[str, tuple[str, ...]] = {
    "staff_knowledge_poor": (
        "Staff could not answer basic questions about the {product}.",
        "The guy in store was clueless about the {product}.",
        "Asked three people and they knew nothing about the specs.",
        "sales assistant didn't know anything about the {product}, had to google it myself",
        "Nobody there had any idea, they couldn't answer a simple question about storage.",
    ),
    "preorder_problem": (
        "Tried to pre-order the {product} but they could not take my order.",
        "My preorder just vanished from the system.",
        "Called twice about a pre-order and got nowhere.",
        "The pre order process is a joke, I gave up in the end.",
        "Placed a reservation for the new {product} at launch and it was lost.",
    ),
    "staff_friendly": (
        "Really friendly people in the shop.",
        "The lady who served me was so polite and patient.",
        "Helpful staff, made choosing a {product} easy.",
        "Lovely staff, nothing was too much trouble",
        "Ahmed went above and beyond to find me the right {product}.",
    ),
    "advertising_misleading": (
        "The ads promised far more than the {product} delivers.",
        "All that hype about the {product} and nothing behind it.",
        "Pretty misleading campaign if you ask me.",
        "Fell for the advert, feel a bit silly now.",
    ),
    "price_high": (
        "Way too expensive for what it is.",
        "The {product} was overpriced compared to online.",
        "Found it cheaper elsewhere the next day.",
        "bit pricey tbh",
    ),
    "price_value": (
        "Good value for money.",
        "Got a real bargain on my {product}.",
        "Great price on the {product}, could not beat it.",
        "Great value, happy with it",
    ),
    "queue_wait": (
        "Had to queue for ages to pay.",
        "The queue at the counter was out the door.",
        "Queues everywhere and only one person serving.",
        "queued 25 minutes just to ask a question",
    ),
    "out_of_stock": (
        "The {product} was out of stock, I was turned away.",
        "Out of stock again. Drove there for nothing.",
        "Shelves said one thing but it was sold out.",
        "they had no stock of the {product} for three weeks!!",
        "Told it was not in stock and no date for more.",
        "Put on backorder with no end in sight.",
    ),
    "checkout_payment": (
        "Checkout took forever and then failed.",
        "The card reader failed twice.",
        "My card was declined even though there was money on it.",
        "checkout would not accept my address, tried 4 times",
    ),
    "website_app": (
        "The website is slow and confusing.",
        "The app crashed when I tried to pay.",
        "Kept getting an error message on the last step.",
        "Your web site is really glitchy on mobile.",
    ),
    "delivery_late": (
        "Delivery was late, and nobody told me why.",
        "The {product} arrived 5 days late.",
        "Still waiting for my {product}, two weeks on.",
        "Order was delayed three times.",
        "parcel never arrived, had to chase it",
    ),
    "delivery_damaged": (
        "The box was damaged and the {product} had a dent.",
        "Arrived with a cracked screen.",
        "The {product} came dented on one corner.",
        "Courier must have dropped it, the packaging was smashed.",
    ),
    "delivery_fast": (
        "Next-day delivery, perfect.",
        "Fast delivery and well packed.",
        "The {product} arrived early, brilliant.",
        "Ordered at night and it arrived the next day!",
    ),
    "product_fault": (
        "The {product} stopped working after a week.",
        "Faulty out of the box.",
        "My {product} has a dead pixel right in the middle.",
        "Second one I got was defective too, unbelievable",
        "it won't turn on anymore",
    ),
    "installation_setup": (
        "The installer left the {product} half set up.",
        "Installation was booked and nobody came.",
        "The installers scratched my wall and left a mess.",
        "Paid for the wall mount and it is crooked.",
    ),
    "setup_help": (
        "The technician set everything up in no time.",
        "He walked me through every setting of the {product}.",
        "Very patient, showed me how to use it all.",
    ),
    "support_wait": (
        "On hold for 40 minutes, twice.",
        "Waited 50 minutes to speak to someone.",
        "Nobody picked up, tried three days in a row.",
        "the hold music is burned into my brain now",
    ),
    "support_resolved": (
        "Support sorted it in one go.",
        "They fixed it over the phone in minutes.",
        "Problem solved on the first try, thank you!",
        "The agent sorted out my {product} issue quickly.",
    ),
    "repair_warranty": (
        "The repair took six weeks, unacceptable.",
        "They refused the warranty claim on a two-month-old {product}.",
        "Sent it off for repairs and it came back the same.",
        "The service centre lost my {product} for a while.",
    ),
    "loyalty_scheme": (
        "My loyalty points never showed up.",
        "The points are hard to use.",
        "Membership benefits are not worth it anymore.",
        "Member discounts used to be better.",
    ),
}

# filler by LTR category (detractor, passive, promoter): openers, stand-alone comments
# without a theme, and closing sentences
OPENERS = (
    (
        "Really disappointed.",
        "Where do I start.",
        "Not happy at all.",
        "Sigh.",
        "Bought a {product} here.",
    ),
    ("Mixed feelings.", "Hmm.", "Bought a {product} last month.", "So-so.", "Mostly fine."),
    ("Very happy!", "Bought a {product} for my son.", "Long-time customer.", "Wow.", "10/10."),
)
GENERIC = (
    (
        "Not impressed, would not buy here again.",
        "Terrible experience.",
        "Expected much better.",
        "nope",
        "Worst shop I have been to in years.",
        "Avoid.",
    ),
    (
        "It was fine, nothing special.",
        "Okay overall.",
        "Decent, but others are just as good.",
        "ok",
        "Average. Does the job.",
        "Nothing to add really.",
    ),
    (
        "Great experience, love my new {product}!",
        "Will come back.",
        "Excellent, exactly what I needed.",
        "Great!",
        "Would recommend to anyone.",
        "Happy customer, keep it up",
    ),
)
CLOSERS = (
    (
        "Not sure I will come back.",
        "Very frustrating.",
        "Sort yourselves out.",
        "Kind of disapointing tbh.",
    ),
    ("Might give you another chance.", "Could be better.", "We will see.", "Thanks anyway."),
    ("Thanks!", "Cheers.", "Keep it up!", "Will definately be back."),
)
BLANKS = ("", " ", "-", "n/a", ".")

# Fake personal data that reports must mask: e-mail addresses, phone numbers in several
# international formats, Luhn-valid card numbers, IBANs with valid check digits, URLs.
PII = (
    "jane.doe@example.com",
    "m.kowalski+orders@example.org",
    "+44 20 7946 0958",
    "(212) 555-0143",
    "+49 30 901820",
    "06 12 34 56 78",
    "4111 1111 1111 1111",
    "5555-5555-5555-4444",
    "378282246310005",
    "GB82 WEST 1234 5698 7654 32",
    "DE89370400440532013000",
    "https://example.com/account/7731?token=abc",
    "www.example.net/my-order",
)
PII_SENTENCES = (
    "Reach me at {pii} please.",
    "My details: {pii}.",
    "Contact: {pii}",
    "Ring me on {pii}.",
    "({pii})",
)
# Strings that reports must show as text: markup, script, mathtext, links, zero-width
# and right-to-left characters, a very long run of text.
HOSTILE = (
    "<b>Terrible</b> <script>alert('x')</script> experience & no help",
    '<img src=x onerror="alert(1)"> see above',
    "Got charged $x^2$ more than I thought, $\\frac{1}{0}$",
    "[click here](javascript:alert(1)) for my story",
    '<meta http-equiv="refresh" content="0; url=https://evil.example/">',
    "zero\u200bwidth\u200b text and \u202eright-to-left\u202c here",
    '<iframe src="https://evil.example"></iframe> | pipes | and `backticks`',
    " ".join(["aaaaaaaaaa"] * 600),
)
# Kept for truth.json ("verbatim_special"): the strings that must be escaped when shown.
SPECIAL = HOSTILE
PII_RATE = 0.02  # share of comments with one PII sentence appended
HOSTILE_RATE = 0.02  # share of comments with one hostile string appended
