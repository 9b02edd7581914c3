"""Channels: the same touch point across channels, channel gaps, journeys that switch.

Customers expect the same experience in every channel and seamless hand-offs
between channels: per touch point, the spread between channels and a test of
homogeneity; per channel, the gap against the other channels at the same touch
points; and the outcomes of journeys that switch channel.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats
from cxlab._checks import as_table, check_columns, check_level
from cxlab.journey._common import JourneyColumns, journey_columns, two_proportions
from cxlab.journey.events import journey_summary

__all__ = ["channel_consistency", "channel_gaps", "channel_switching"]


def channel_consistency(
    responses: pd.DataFrame | ir.Table,
    score: str = "ltr",
    *,
    touchpoint: str = "touchpoint",
    channel: str = "channel",
    level: float = 0.95,
    min_n: int = 30,
    weight: str | None = None,
) -> pd.DataFrame:
    """Does each touch point give the same experience in every channel?

    Per touch point: NPS in each channel (adjusted-Wald), the spread between the
    best and worst channel (with the interval of that difference from
    :func:`cxlab.stats.nps_diff`; picking the extremes after looking makes the
    spread biased upwards, so read the test, not the spread, for evidence), and
    a chi-square test of homogeneity of the detractor / passive / promoter counts
    across channels (scipy ``chi2_contingency``), Holm-adjusted over touch
    points. Channels with fewer than ``min_n`` responses are left out of the
    spread and the test. With a survey ``weight`` column the NPS are weighted
    and the chi-square test runs on effective counts (each channel's weighted
    mix scaled to its Kish effective n); ``n`` stays the number of responses.

    Returns
    -------
    pandas.DataFrame
        ``touchpoint, channels, n, nps, worst_channel, worst_nps, best_channel,
        best_nps, spread, spread_low, spread_high, chi2, dof, p, p_adj,
        inconsistent, level`` sorted by ``spread`` (largest first).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"touchpoint": "T", "channel": ["web"] * 50 + ["phone"] * 50,
    ...                    "ltr": [10] * 40 + [3] * 10 + [10] * 20 + [3] * 30})
    >>> r = channel_consistency(df).iloc[0]
    >>> r["worst_channel"], float(r["spread"]), bool(r["inconsistent"])
    ('phone', 80.0, True)
    """
    from scipy.stats import chi2_contingency

    from cxlab.metrics import nps

    level = check_level(level, "channel_consistency")
    by = nps(responses, score, by=[touchpoint, channel], level=level, weight=weight)
    tot = nps(responses, score, by=touchpoint, level=level, weight=weight).set_index(touchpoint)
    rows = []
    for tp, g in by.groupby(touchpoint, sort=True):
        g = g[g["n"] >= min_n]
        row: dict[str, Any] = {
            "touchpoint": tp,
            "channels": len(g),
            "n": int(tot.loc[tp, "n"]),
            "nps": float(tot.loc[tp, "nps"]),
        }
        if len(g) >= 2:
            lo_r = g.loc[g["nps"].idxmin()]
            hi_r = g.loc[g["nps"].idxmax()]
            d = stats.nps_diff(hi_r, lo_r, level=level)
            tab = g[["detractors", "passives", "promoters"]].to_numpy(float)
            if weight is not None:  # weighted totals -> effective counts (Kish)
                tab = tab * (g["n_eff"].to_numpy(float) / tab.sum(axis=1))[:, None]
            tab = tab[:, tab.sum(axis=0) > 0]
            if tab.shape[1] >= 2:
                chi2, p, dof, _ = chi2_contingency(tab)
            else:
                chi2, p, dof = 0.0, 1.0, 0
            row |= {
                "worst_channel": lo_r[channel],
                "worst_nps": float(lo_r["nps"]),
                "best_channel": hi_r[channel],
                "best_nps": float(hi_r["nps"]),
                "spread": float(d["diff"]),
                "spread_low": float(d["low"]),
                "spread_high": float(d["high"]),
                "chi2": float(chi2),
                "dof": int(dof),
                "p": float(p),
            }
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("worst_channel", "best_channel"):
        if c not in out:
            out[c] = None
    for c in ("worst_nps", "best_nps", "spread", "spread_low", "spread_high", "chi2", "dof", "p"):
        if c not in out:
            out[c] = np.nan
    out["p_adj"] = stats.adjust_pvalues(out["p"].to_numpy(float), "holm")
    out["inconsistent"] = (out["p_adj"] < 1 - level).fillna(False).astype(bool)
    out["level"] = level
    out = out.sort_values(["spread", "touchpoint"], ascending=[False, True], na_position="last")
    return out.reset_index(drop=True)


def _pool(rows: pd.DataFrame, cat: list[str], weighted: bool) -> pd.Series:
    """Category totals of several NPS rows; weighted rows also get their pooled Kish n.

    Kish n is ``(sum w)^2 / sum w^2`` and each row's ``sum w^2`` is ``total^2 / n_eff``.
    """
    out = rows[cat].sum().astype(float)
    if weighted:
        tot = rows[cat].sum(axis=1).to_numpy(float)
        eff = rows["n_eff"].to_numpy(float)
        ok = eff > 0
        w2 = float(np.sum(tot[ok] ** 2 / eff[ok]))
        out["n_eff"] = float(tot[ok].sum()) ** 2 / w2 if w2 > 0 else 0.0
    return out


def channel_gaps(
    responses: pd.DataFrame | ir.Table,
    score: str = "ltr",
    *,
    touchpoint: str = "touchpoint",
    channel: str = "channel",
    level: float = 0.95,
    weight: str | None = None,
) -> pd.DataFrame:
    """Each channel's NPS gap against the other channels *at the same touch points*.

    A channel's raw NPS mixes its own quality with the touch points it serves
    (phone may carry most complaints). Here, for every touch point served by the
    channel and by at least one other, ``d_k = NPS(k, channel) - NPS(k, other
    channels)`` (:func:`cxlab.stats.nps_diff`); the gap is the inverse-variance
    weighted mean of the ``d_k`` (a fixed-effect meta-analysis, as in
    stratified comparisons), with its interval and z test, Holm-adjusted over
    channels. With a survey ``weight`` column every NPS is weighted and each
    ``d_k`` rests on the Kish effective n of the pooled responses (``n`` stays
    the number of responses).

    Returns
    -------
    pandas.DataFrame
        ``channel, n, nps, touchpoints, gap, gap_low, gap_high, p, p_adj,
        verdict, flag, level`` sorted by ``gap`` (worst first); ``flag`` is the
        channel's base flag (:func:`cxlab.stats.base_flag` of its effective n, as
        :func:`cxlab.nps` gives it), for the charts' and tables' marks.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"touchpoint": "T", "channel": ["web"] * 50 + ["phone"] * 50,
    ...                    "ltr": [10] * 40 + [3] * 10 + [10] * 20 + [3] * 30})
    >>> channel_gaps(df)[["channel", "gap"]].values.tolist()
    [['phone', -80.0], ['web', 80.0]]
    """
    from scipy.stats import norm

    from cxlab.metrics import nps

    level = check_level(level, "channel_gaps")
    by = nps(responses, score, by=[touchpoint, channel], level=level, weight=weight)
    overall = nps(responses, score, by=channel, level=level, weight=weight).set_index(channel)
    cat = ["detractors", "passives", "promoters"]
    rows = []
    z = norm.ppf(0.5 + level / 2)
    for ch in overall.index:
        num = den = 0.0
        k = 0
        for _tp, g in by.groupby(touchpoint, sort=True):
            here = g[g[channel] == ch]
            rest = g[g[channel] != ch]
            if here.empty or rest.empty or here["n"].sum() == 0 or rest["n"].sum() == 0:
                continue
            a = _pool(here, cat, weight is not None)
            b = _pool(rest, cat, weight is not None)
            d = stats.nps_diff(a, b, level=level)
            se = float(d["se"])
            if not se > 0:
                continue
            num += float(d["diff"]) / se**2
            den += 1.0 / se**2
            k += 1
        gap = num / den if den > 0 else np.nan
        se = math.sqrt(1.0 / den) if den > 0 else np.nan
        p = 2 * norm.sf(abs(gap / se)) if den > 0 else np.nan
        rows.append(
            {
                "channel": ch,
                "n": int(overall.loc[ch, "n"]),
                "nps": float(overall.loc[ch, "nps"]),
                "touchpoints": k,
                "gap": gap,
                "gap_low": gap - z * se,
                "gap_high": gap + z * se,
                "p": p,
                "flag": str(overall.loc[ch, "flag"]),
            }
        )
    out = pd.DataFrame(rows)
    out["p_adj"] = stats.adjust_pvalues(out["p"].to_numpy(float), "holm")
    sig = (out["p_adj"] < 1 - level).to_numpy()
    out["verdict"] = np.where(
        sig & (out["gap"] < 0), "below", np.where(sig & (out["gap"] > 0), "above", "")
    )
    out["flag"] = out.pop("flag")
    out["level"] = level
    return out.sort_values(["gap", "channel"], kind="stable").reset_index(drop=True)


def channel_switching(
    interactions: pd.DataFrame | ir.Table,
    responses: pd.DataFrame | ir.Table | None = None,
    *,
    window_days: int = 180,
    level: float = 0.95,
    score: str = "ltr",
    weight: str | None = None,
    columns: JourneyColumns | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Journeys that switch channel against those that stay in one, on outcome.

    A journey switches when its events before conversion use more than one
    channel (:func:`journey_summary`). Outcomes: conversion rate (Wilson
    interval; difference with Newcombe's interval and a z test) and, when
    ``responses`` are given, the NPS of the surveys the same customers answered
    within ``window_days`` after the journey's last event (adjusted-Wald;
    difference by :func:`cxlab.stats.nps_diff`). Observational: switchers may
    differ from stayers in other ways. ``weight`` (a survey-weight column of
    ``responses``) weights the NPS only; journeys and conversions are counts of
    events and stay unweighted. ``nps_n`` is the number of surveys.

    Returns
    -------
    pandas.DataFrame
        Two rows, ``switched`` False then True: ``switched, journeys, converted,
        conv_rate, conv_low, conv_high, nps_n, nps, nps_low, nps_high``; the
        ``switched`` row also carries ``conv_diff, conv_diff_low, conv_diff_high,
        p_conv, nps_diff, nps_diff_low, nps_diff_high, p_nps`` (switched minus
        single-channel).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-01",
    ...                                  "2025-01-02", "2025-01-03"]),
    ...     "touchpoint": ["Ad", "Store visit", "Ad", "Store visit", "Purchase"],
    ...     "stage": ["attraction", "interaction", "attraction", "interaction", "interaction"],
    ...     "channel": ["web", "store", "web", "web", "web"]})
    >>> channel_switching(ev)[["switched", "journeys", "converted"]].values.tolist()
    [[False, 1, 1], [True, 1, 0]]
    """
    from cxlab.metrics import nps

    jc = journey_columns(columns, options, "channel_switching")
    level = check_level(level, "channel_switching")
    s = journey_summary(interactions, columns=jc)
    g = (
        s.group_by("switched")
        .aggregate(journeys=s.count(), converted=s.converted.sum())
        .to_pandas()
        .set_index("switched")
        .reindex([False, True])
        .fillna(0)
    )
    out = pd.DataFrame({"switched": [False, True]})
    out["journeys"] = g["journeys"].astype("int64").to_numpy()
    out["converted"] = g["converted"].astype("int64").to_numpy()
    est, lo, hi = stats.proportion_ci(out["converted"], out["journeys"], level=level)
    out["conv_rate"], out["conv_low"], out["conv_high"] = est, lo, hi
    n0, c0 = out.loc[0, ["journeys", "converted"]].astype(float)
    n1, c1 = out.loc[1, ["journeys", "converted"]].astype(float)
    extra = dict.fromkeys(
        [
            "conv_diff",
            "conv_diff_low",
            "conv_diff_high",
            "p_conv",
            "nps_n",
            "nps",
            "nps_low",
            "nps_high",
            "nps_diff",
            "nps_diff_low",
            "nps_diff_high",
            "p_nps",
        ],
        np.nan,
    )
    for k, v in extra.items():
        out[k] = v
    if n0 > 0 and n1 > 0:
        out.loc[1, ["conv_diff", "conv_diff_low", "conv_diff_high", "p_conv"]] = list(
            two_proportions(c1, n1, c0, n0, level)
        )
    if responses is not None:
        r = as_table(responses)
        check_columns(r, ["customer_id", "survey_date", score, weight], "responses")
        ends = s.select(_cust=s[jc.customer], switched=s.switched, _end=s.end.cast("date"))
        j = r.join(ends, [r.customer_id == ends._cust, r.survey_date >= ends._end])
        j = j.filter(j.survey_date <= j._end + ibis.interval(days=window_days))
        res = nps(j, score, by="switched", level=level, weight=weight).set_index("switched")
        res = res.reindex([False, True])
        out["nps_n"] = res["n"].fillna(0).astype("int64").to_numpy()
        out["nps"] = res["nps"].to_numpy(float)
        out["nps_low"] = res["low"].to_numpy(float)
        out["nps_high"] = res["high"].to_numpy(float)
        if res["n"].fillna(0).gt(0).all():
            d = stats.nps_diff(res.loc[True], res.loc[False], level=level)
            out.loc[1, ["nps_diff", "nps_diff_low", "nps_diff_high", "p_nps"]] = [
                float(d["diff"]),
                float(d["low"]),
                float(d["high"]),
                float(d["p"]),
            ]
    out["level"] = level
    return out
