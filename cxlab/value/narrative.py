"""What the retention and value report says about customer value.

Every function returns Markdown with names from the data escaped; only
aggregates are described (no customer is named). A fit that does not converge,
or data without repeat purchases, gives one plain sentence instead of numbers.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from cxlab._html import md_escape as e
from cxlab.errors import CxlabError
from cxlab.value.bgnbd import BGNBD, bgnbd
from cxlab.value.clv import clv
from cxlab.value.gamma_gamma import GammaGamma, gamma_gamma

__all__ = ["contractual_text", "fit_purchases", "params_table", "purchases_text"]


def _range(row: pd.Series, level: float) -> str:
    if pd.isna(row["low"]) or pd.isna(row["high"]):
        return "too few customers for an interval"
    return f"{level:.0%} interval {row['low']:,.0f} to {row['high']:,.0f}"


def contractual_text(table: pd.DataFrame, level: float = 0.95) -> str:
    """Highest and lowest CLV group, and detractors against promoters in each segment.

    ``table`` is :func:`cxlab.value.contractual_clv` by ``segment`` and
    ``ltr_category`` (or by ``ltr_category`` alone).
    """
    ok = table[table["clv"].notna()]
    if ok.empty:
        return "No group has customers with a known margin and outcome, so there is no CLV."
    years = int(ok["horizon"].iloc[0])
    rate = float(ok["discount_rate"].iloc[0])
    lines = []
    segs = list(ok["segment"].unique()) if "segment" in ok else [None]
    for seg in segs:
        part = ok if seg is None else ok[ok["segment"] == seg]
        cats = part.set_index("ltr_category")
        if {"detractor", "promoter"} <= set(cats.index):
            d, p = cats.loc["detractor"], cats.loc["promoter"]
            where = "" if seg is None else f"**{e(seg)}**: "
            lines.append(
                f"- {where}a detractor is worth {d['clv']:,.0f} ({_range(d, level)}), "
                f"a promoter {p['clv']:,.0f} ({_range(p, level)})."
            )
    head = (
        f"Expected margin per customer over the next {years} years, discounted at "
        f"{rate:.0%} a year, from this year's retention and last year's margin:"
    )
    if not lines:
        return head + " too few detractors or promoters to compare them in any segment."
    return head + "\n\n" + "\n".join(lines)


def fit_purchases(summary: pd.DataFrame, level: float = 0.95) -> tuple[BGNBD, GammaGamma] | str:
    """BG/NBD and Gamma-Gamma fits on an RFM summary, or one sentence saying why there are none.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [10.0, 12.0],
    ...                   "monetary": [float("nan")] * 2})
    >>> print(fit_purchases(s))
    No customer bought more than once, so there is no repeat-purchase model to fit.
    """
    repeat = int((summary["frequency"] > 0).sum()) if len(summary) else 0
    if repeat == 0:
        return "No customer bought more than once, so there is no repeat-purchase model to fit."
    if repeat < 10:
        return (
            f"Only {repeat} customer(s) bought more than once: too few to fit a "
            "repeat-purchase model."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bg, gg = bgnbd(summary, level=level), gamma_gamma(summary, level=level)
    except CxlabError as exc:
        return "The repeat-purchase models could not be fitted: " + e(str(exc))
    fitted = [bg.converged_, gg.converged_]
    finite = np.isfinite(pd.concat([bg.summary_, gg.summary_])["se"].to_numpy(float)).all()
    if not all(fitted) or not finite:
        return (
            "The BG/NBD and Gamma-Gamma models did not converge on these purchases (the data "
            "do not follow their buy-till-you-die pattern), so no model-based value is shown."
        )
    return bg, gg


def params_table(fit: tuple[BGNBD, GammaGamma]) -> pd.DataFrame:
    """Both fits' parameters in one table with the model named (``model, param, ...``)."""
    bg, gg = fit
    return pd.concat(
        [bg.summary_.assign(model="BG/NBD"), gg.summary_.assign(model="Gamma-Gamma")],
        ignore_index=True,
    )


def purchases_text(
    fit: tuple[BGNBD, GammaGamma] | str, *, months: int = 12, discount_rate: float = 0.01
) -> str:
    """Expected purchases, P(alive) and value per customer from the two fits, in words."""
    if isinstance(fit, str):
        return fit
    bg, gg = fit
    worth = clv(bg, gg, months=months, discount_rate=discount_rate)
    alive = float(worth["p_alive"].mean())
    buys = float(worth["expected_purchases"].mean())
    value = float(worth["clv"].mean())
    p, q, v = (float(gg.params_[k]) for k in ("p", "q", "v"))
    spend = p * v / (q - 1) if q > 1 else math.nan
    spend_text = f"an average repeat purchase worth {spend:,.0f}, " if math.isfinite(spend) else ""
    return (
        f"Over {len(worth):,} customers with a purchase, the models give an average "
        f"probability of {alive:.0%} that a customer is still buying, {buys:.1f} expected "
        f"purchases in the next {months} months, {spend_text}and a discounted value of "
        f"{value:,.0f} per customer ({discount_rate:.0%} a month)."
    )
