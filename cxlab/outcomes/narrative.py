"""The outcomes report's sentences: the opening lead and each outcome's conclusion."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cxlab._html import md_escape
from cxlab.outcomes._common import (
    CX_METRICS,
    EFFECTS,
    OUTCOMES,
)


def _excludes_zero(row: pd.Series) -> bool:
    return bool(np.isfinite(row.get("coef", np.nan)) and (row["low"] > 0 or row["high"] < 0))


def lead(
    fits: Mapping[str, pd.DataFrame], n_units: int, n_quarters: int, *, level: float = 0.95
) -> str:
    """The outcomes report's opening: at most three plain sentences (Markdown).

    Which outcomes NPS moves and when (the verdicts of :func:`lag_effect`: unit
    and quarter fixed effects, Holm-adjusted over the lags tried, so an
    interval excluding zero is the verdict), which it does not, and how far
    a panel of this size can be trusted.

    Parameters
    ----------
    fits : mapping
        Outcome column -> the one-row result of :func:`lag_effect`.
    n_units, n_quarters : int
        Size of the panel.
    level : float
        Confidence level of the intervals (for the wording only).

    Examples
    --------
    >>> import pandas as pd
    >>> fits = {
    ...     "new_customers": pd.DataFrame({"lag": [2], "coef": [23.2], "low": [12.0], "high": [33.6]}),
    ...     "margin": pd.DataFrame({"lag": [3], "coef": [-0.01], "low": [-0.06], "high": [0.03]}),
    ... }
    >>> print(lead(fits, 8, 12))
    Where a unit's NPS rises: new customers up 2 quarters later (fixed effects for unit and quarter, 95% intervals Holm-adjusted over the lags tried). The data do not show NPS moving profit margin \\%. These are associations within 8 units over 12 quarters, not proof that raising NPS will move them.
    """
    moved, flat = [], []
    for outcome, fit in fits.items():
        label = md_escape(OUTCOMES.get(outcome, outcome))
        label = label[:1].lower() + label[1:]
        row = fit.iloc[0] if len(fit) else None
        if row is not None and (row["low"] > 0 or row["high"] < 0):
            verb = "up" if row["coef"] > 0 else "down"
            k = int(row["lag"])
            moved.append(f"{label} {verb} {k} quarter{'s' if k != 1 else ''} later")
        else:
            flat.append(label)

    def joined(items: list[str]) -> str:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    sentences = []
    if moved:
        sentences.append(
            f"Where a unit's NPS rises: {joined(moved)} (fixed effects for unit and quarter, "
            f"{level:.0%} intervals Holm-adjusted over the lags tried)."
        )
    if flat:
        sentences.append(f"The data do not show NPS moving {joined(flat)}.")
    sentences.append(
        f"These are associations within {n_units} units over {n_quarters} quarters, not proof "
        "that raising NPS will move them."
    )
    return " ".join(sentences)


def conclusion(
    outcome: str,
    lags: pd.DataFrame,
    fit: pd.DataFrame,
    race: pd.DataFrame,
    *,
    level: float = 0.95,
    fit_unit: pd.DataFrame | None = None,
    trend: pd.DataFrame | None = None,
    lag_reason: str | None = None,
) -> str:
    """Plain-language verdict on one outcome, with its uncertainty (Markdown).

    The effect is read from ``fit``, the two-way model by default (unit and quarter
    effects); pass :func:`lag_effect`'s row when the lag was chosen from the data, so
    that the verdict's interval is adjusted for the lags tried (the text names the
    adjustment). When the unit-effects-only model (``fit_unit``) has an interval that
    excludes zero but the two-way model does not, the text says the apparent effect
    is a trend shared by all units and does not call it an effect. The first sentence
    reads the correlogram (``lags``) and states that NPS leads or lags the outcome only
    when the correlogram is the two-way one (unit and quarter effects removed, the
    :func:`lag_correlations` default) and its peak survives the Holm correction over the
    lags shown; otherwise it says the data do not show a lead or lag (and, for a
    unit-effects-only or pooled correlogram, that a shared trend can produce the peak).
    The sentence that
    uses the model's lag says why that lag: the strongest NPS correlation, or
    ``lag_reason`` (default: the lag :func:`choose_lag` picks for all CX metrics
    together) when it differs from it. ``trend``'s message (:func:`trend_check`) is
    quoted. Forecast rankings use the race's Holm-adjusted p-values; when the race's
    models include the common trend (``horse_race(trend=True)``, the default) the text
    says so.

    Parameters
    ----------
    outcome : str
    lags : pandas.DataFrame
        :func:`lag_correlations` of NPS and the outcome (two-way by default; its
        ``scope`` and ``effects`` columns say what was removed).
    fit : pandas.DataFrame
        One row of :func:`lag_effect` (or :func:`fe_regression`, :func:`effects`): NPS
        at the chosen lag. The effect is called real when its interval excludes zero.
    race : pandas.DataFrame
        :func:`horse_race` for the outcome.
    level : float
    fit_unit : pandas.DataFrame, optional
        The same model with unit effects only (``effects="unit"``).
    trend : pandas.DataFrame, optional
        :func:`trend_check` of NPS and the outcome.
    lag_reason : str, optional
        Why the model's lag was chosen, when it is not the strongest NPS correlation.

    Examples
    --------
    >>> lags = pd.DataFrame({"lag": [1, 2], "r": [0.1, 0.5], "low": [-0.1, 0.3],
    ...                      "high": [0.3, 0.7], "p_adj": [0.4, 0.001], "best": [False, True],
    ...                      "scope": "within", "effects": "unit + quarter effects"})
    >>> fit = pd.DataFrame({"lag": [2], "coef": [3.0], "low": [1.0], "high": [5.0], "n": [80],
    ...                     "n_units": [8], "caution": [""], "effects": ["unit + quarter effects"],
    ...                     "inference": ["wild cluster bootstrap (WCR)"]})
    >>> race = pd.DataFrame({"metric": ["nps"], "rmse": [1.0], "rmse_vs_none": [80.0],
    ...                      "n_quarters": [6]})
    >>> print(conclusion("revenue", lags, fit, race))  # doctest: +NORMALIZE_WHITESPACE
    **Revenue.** The strongest correlation once unit and quarter averages are removed is at
    lag +2 (r = 0.50, 95% interval 0.30 to 0.70): NPS leads revenue by 2 quarters. With NPS 2 quarters earlier (the lag of
    that strongest correlation), in the fixed-effects model with unit + quarter effects a
    unit whose NPS is one point above its own average has +3 revenue (95% interval +1 to +5,
    wild cluster bootstrap (WCR); 8 units, 80 unit-quarters); the interval excludes zero.
    """
    lead, k = _lag_sentence(outcome, lags, level)
    f = fit.iloc[0]
    parts = [lead, *_effect_sentences(outcome, f, fit_unit, k, level, lag_reason)]
    message = _trend_message(trend)
    if message:
        parts.append(f"Trend check: {message}")
    if f["caution"] and np.isfinite(f.get("coef", np.nan)):
        parts.append(f"Caution: {md_escape(f['caution'])}.")
    parts += _race_sentences(race, level)
    return " ".join(parts)


def _lag_sentence(outcome: str, lags: pd.DataFrame, level: float) -> tuple[str, int]:
    """The conclusion's first sentence (what the correlogram shows) and its peak lag."""
    olab = OUTCOMES.get(outcome, outcome).lower()
    best = lags.loc[lags["best"]].iloc[0]
    k = int(best["lag"])
    when = (
        f"NPS leads {olab} by {k} quarter{'s' if abs(k) != 1 else ''}"
        if k > 0
        else (
            f"NPS lags {olab} by {-k} quarter{'s' if k != -1 else ''}"
            if k < 0
            else f"NPS moves with {olab} in the same quarter"
        )
    )
    # the lead is stated only when the fixed-effects test of that lag (cluster bootstrap,
    # Holm over the lags shown) supports it; the correlation's own p assumes independence
    p_lead = best["p_fe_adj"] if "p_fe_adj" in best.index else best["p_adj"]
    sig_lag = bool(np.isfinite(p_lead) and p_lead < 1 - level)
    twoway = best.get("scope", "within") == "within" and best.get("effects") == EFFECTS["twoway"]
    peak = (
        f"is at lag {k:+d} (r = {best['r']:.2f}, {level:.0%} interval {best['low']:.2f} to "
        f"{best['high']:.2f})"
    )
    head = f"**{OUTCOMES.get(outcome, outcome)}.**"
    if not twoway:  # unit means only, or pooled: a trend all units share can make the peak
        removed = (
            "with unit averages removed (quarter averages kept)"
            if best.get("scope", "within") == "within"
            else "over all unit-quarters pooled"
        )
        lead = (
            f"{head} The strongest correlation {removed} {peak}; a trend all units share can "
            "produce such a peak, so it is not read as NPS leading or lagging the outcome."
        )
    elif sig_lag:
        lead = (
            f"{head} The strongest correlation once unit and quarter averages are removed "
            f"{peak}: {when}."
        )
    else:
        lead = (
            f"{head} The strongest correlation once unit and quarter averages are removed "
            f"{peak}, but the fixed-effects test of each lag, corrected for the {len(lags)} "
            f"lags tried, does not confirm it: the data do not show NPS leading or lagging "
            f"{olab}."
        )
    return lead, k


def _effect_sentences(
    outcome: str,
    f: pd.Series,
    fit_unit: pd.DataFrame | None,
    k: int,
    level: float,
    lag_reason: str | None,
) -> list[str]:
    """The effect at the model's lag, and the unit-effects-only model when only it
    excludes zero."""
    olab = OUTCOMES.get(outcome, outcome).lower()
    if outcome in ("market_share", "market_share_change"):
        unit = "percentage points of market share"
    elif outcome in ("revenue_growth", "margin"):
        unit = f"percentage points of {olab}"
    else:
        unit = olab
    parts: list[str] = []
    fl = int(f["lag"])
    if fl == k:
        why = "the lag of that strongest correlation"
    else:
        why = (
            lag_reason or "the lag at which all CX metrics together correlate most with the outcome"
        ) + f"; NPS alone peaks at lag {k:+d}"
    model = f.get("effects", "unit effects only")
    how = f.get("inference", "")
    adj = f.get("interval", "unadjusted")
    adj = "" if not isinstance(adj, str) or adj == "unadjusted" else f", {adj}"
    sig = _excludes_zero(f)
    sig_unit = fit_unit is not None and _excludes_zero(fit_unit.iloc[0])
    if not np.isfinite(f.get("coef", np.nan)):
        parts.append(
            f"With NPS {fl} quarter{'s' if fl != 1 else ''} earlier ({why}), the fixed-effects "
            f"model could not be estimated: {md_escape(f['caution'])}"
        )
    else:
        parts.append(
            f"With NPS {fl} quarter{'s' if fl != 1 else ''} earlier ({why}), in the "
            f"fixed-effects model with {model} a unit whose NPS is one point above its own "
            f"average has {f['coef']:+.3g} {unit} ({level:.0%} interval {f['low']:+.3g} to "
            f"{f['high']:+.3g}{adj}{', ' + how.split(';')[0] if how else ''}; "
            f"{int(f['n_units'])} units, {int(f['n'])} unit-quarters)"
            + (
                "; the interval excludes zero."
                if sig
                else "; the interval includes zero, so the data do not show an effect."
            )
        )
        if sig_unit and not sig and fit_unit is not None:
            u = fit_unit.iloc[0]
            parts.append(
                f"With unit effects only the slope is {u['coef']:+.3g} ({u['low']:+.3g} to "
                f"{u['high']:+.3g}), which excludes zero, but it disappears once quarter effects "
                "remove what all units share each quarter: it is a common trend, not evidence "
                f"that NPS moves {olab}."
            )
    return parts


def _trend_message(trend: pd.DataFrame | None) -> str:
    """The :func:`trend_check` message ("" when none)."""
    if trend is None:
        return ""
    if "message" in trend and len(trend):
        return str(trend["message"].iloc[0])
    return str(trend.attrs.get("message", ""))


def _race_sentences(race: pd.DataFrame, level: float) -> list[str]:
    """Which metric forecast best, and whether the ranking is settled."""
    parts: list[str] = []
    top = race.iloc[0]
    with_trend = "trend" in str(top.get("model", ""))
    name = (
        f"no CX metric (unit averages{' and the common trend' if with_trend else ''})"
        if top["metric"] == "none"
        else CX_METRICS.get(top["metric"], top["metric"])
    )
    trend_note = (
        "; every forecast includes the linear trend all units share, so a metric that merely "
        "trends gets no credit for it"
        if with_trend
        else ""
    )
    runner = race.iloc[1] if len(race) > 1 else None
    if runner is not None:
        clear = bool(runner["p_adj"] < 1 - level)
        rname = (
            "no CX metric"
            if runner["metric"] == "none"
            else CX_METRICS.get(runner["metric"], runner["metric"])
        )
        parts.append(
            f"Out of sample, {name} forecast best (RMSE {top['rmse']:.3g}, "
            f"{top['rmse_vs_none']:.0f}% of the error without any CX metric, over "
            f"{int(top['n_quarters'])} quarters{trend_note}); "
            + (
                f"it beat the runner-up ({rname}) by more than chance would explain "
                "(Holm-adjusted across the metrics)."
                if clear
                else f"the runner-up ({rname}, RMSE {runner['rmse']:.3g}) is not significantly "
                "worse after the Holm adjustment across the metrics, so the ranking is not "
                "settled."
            )
        )
    return parts
