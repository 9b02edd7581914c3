"""Themes as drivers of NPS: share of mentioners, NPS gap and NPS impact per theme.

All counting happens in the engine: one ``GROUP BY group, score`` over the
responses (the totals) and one ``GROUP BY theme, group, score`` over the coding
joined to the responses (the mentioners), each with weight sums and sums of
squared weights when weighted. Non-mentioners are the difference. Statistics
run on those few rows per theme:

- ``share`` of respondents mentioning the theme, Wilson interval
  (:func:`cxlab.stats.proportion_ci`), and its share among detractors,
  passives and promoters;
- NPS of mentioners and of the others and their difference, interval and p
  (:func:`cxlab.stats.nps_counts`, :func:`cxlab.stats.nps_diff`);
- ``impact``: the overall NPS minus the NPS the whole sample would have if the
  mentioners had the others' category mix, which equals ``share x diff``;
  its interval by the delta method on the six-cell multinomial (mention x
  category), see :func:`impact_interval`;
- ``p_adj``: the diff's p adjusted over the table (:func:`cxlab.stats.adjust_pvalues`);
- ``flag``: the base band of the mentioners' (effective) base, as :func:`cxlab.nps` flags.

Weighted data follow :func:`cxlab.nps`: shares from weight totals, intervals
from the Kish effective n of each group (:func:`cxlab.stats.kish_n`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxlab import stats
from cxlab._checks import as_table, check_columns, check_level
from cxlab.errors import CxlabError
from cxlab.histogram import by_list, fixed_point_shift, histogram
from cxlab.schema import SCALES
from cxlab.voc.codeframe import Codeframe
from cxlab.voc.codeframe import codeframe as load_codeframe

__all__ = ["impact_interval", "theme_breakdown", "theme_impact", "theme_trend"]

_CATS = ("detractors", "passives", "promoters")


def _histograms(
    data: Any, coded: Any, score: str, weight: str | None, by: list[str], id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Totals per (group, score) and mentions per (theme, group, score), from the engine.

    Both through :func:`cxlab.histogram.histogram` (the GROUP BY behind
    :func:`cxlab.nps`, with its checks of scores and weights and its exact
    fixed-point weight sums), the mentions on the same fixed-point scale as the
    totals so that totals minus mentions are the other respondents' sums.
    """
    t = as_table(data)
    check_columns(t, [id, score, weight, *by])
    c = as_table(coded)
    check_columns(c, [id, "theme"], "coded")
    scale = SCALES[("responses", "ltr")]
    base = t.select(id, *by, score, *([weight] if weight else []))
    shift = fixed_point_shift(base, score, weight) if weight else None
    _, tot = histogram(base, score, by, weight, scale, shift=shift)
    pairs = c.select(c[id], c["theme"].cast("string").name("theme")).distinct()
    joined = base.join(pairs, id)
    _, men = histogram(joined, score, ["theme", *by], weight, scale, shift=shift)
    # the categorised sums below are scale-free ratios (shares, NPS, Kish n): ws and
    # w2 are the weight sums on the histogram's common scale
    names = {"_score": "_s", "ws": "sw", "w2": "sw2"}
    return tot.drop(columns="w").rename(columns=names), men.drop(columns="w").rename(columns=names)


def _categorised(h: pd.DataFrame, keys: list[str], breaks: tuple[int, int]) -> pd.DataFrame:
    """Counts, weight sums and squared-weight sums per key and NPS category, one row per key."""
    cat = np.select([h["_s"] <= breaks[0], h["_s"] > breaks[1]], ["d", "r"], "p")
    h = h.assign(_c=cat)
    wide = h.pivot_table(
        index=keys or None, columns="_c", values=["count", "sw", "sw2"], aggfunc="sum"
    )
    if not keys:
        wide = h.groupby("_c")[["count", "sw", "sw2"]].sum().unstack().to_frame().T
    wide.columns = [f"{v}_{c}" for v, c in wide.columns]
    for v in ("count", "sw", "sw2"):
        for c in "dpr":
            if f"{v}_{c}" not in wide:
                wide[f"{v}_{c}"] = 0.0
    return wide.fillna(0.0).astype(float).reset_index(drop=not keys)


def impact_interval(
    mentioners: np.ndarray, others: np.ndarray, n_eff: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """NPS impact of a theme with its delta-method interval, from the six cells.

    ``impact = NPS - NPS_o = share x (NPS_m - NPS_o)``: the overall NPS minus the
    NPS the sample would have if the mentioners were distributed over the
    categories like the others. With ``pi`` the six shares of the whole sample
    (mentioners: ``md, mp, mr``; others: ``od, op, or``), ``pi_o = od + op + or`` and
    ``B = (or - od) / pi_o`` (the others' NPS), its gradient is ``(-1, 0, 1,
    -1 + (1 + B) / pi_o, B / pi_o, 1 - (1 - B) / pi_o)`` and the multinomial variance
    ``(sum pi g^2 - (sum pi g)^2) / n`` (the delta method for a function of
    multinomial proportions: Agresti 2013, *Categorical Data Analysis*, 3rd ed.,
    section 16.1.6). Written here because no package computes this contrast.

    Parameters
    ----------
    mentioners, others : array (k, 3)
        Detractor, passive and promoter totals (counts or weight sums) per theme.
    n_eff : array (k,)
        The whole sample's (effective) size: the count, or Kish's n when weighted.
    level : float

    Returns
    -------
    (impact, se, low, high) on the -100..100 scale; NaN where everyone or no one
    has an answer among the others.

    Examples
    --------
    >>> imp, se, lo, hi = impact_interval(np.array([[30., 10, 10]]), np.array([[20., 30, 100]]),
    ...                                   np.array([200.]))
    >>> round(float(imp[0]), 2)  # share 0.25 x (NPS -40 minus NPS 53.33)
    -23.33
    """
    m, o = np.atleast_2d(mentioners).astype(float), np.atleast_2d(others).astype(float)
    total = m.sum(axis=1) + o.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pm, po = m / total[:, None], o / total[:, None]
        pio = po.sum(axis=1)
        b = (po[:, 2] - po[:, 0]) / pio
        nps = pm[:, 2] + po[:, 2] - pm[:, 0] - po[:, 0]
        g = np.column_stack(
            [
                -np.ones_like(b),
                np.zeros_like(b),
                np.ones_like(b),
                -1 + (1 + b) / pio,
                b / pio,
                1 - (1 - b) / pio,
            ]
        )
        pi = np.hstack([pm, po])
        mean = (pi * g).sum(axis=1)
        var = np.clip((pi * g * g).sum(axis=1) - mean**2, 0.0, None) / n_eff
        se = np.sqrt(var)
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + check_level(level, "impact_interval") / 2))
    impact = 100.0 * (nps - b)
    return impact, 100.0 * se, impact - 100.0 * z * se, impact + 100.0 * z * se


def _table(
    tot: pd.DataFrame,
    men: pd.DataFrame,
    by: list[str],
    themes: list[str],
    labels: dict[str, str],
    *,
    weighted: bool,
    level: float,
    correction: str,
    bands: tuple[float, float],
) -> pd.DataFrame:
    """The statistics of every (group, theme) from the categorised totals and mentions."""
    if by:
        groups = tot[by].drop_duplicates().sort_values(by, kind="stable").reset_index(drop=True)
    else:
        groups = pd.DataFrame(index=[0])
    grid = groups.merge(pd.DataFrame({"theme": pd.Series(themes, dtype="str")}), how="cross")
    t = grid.merge(tot, on=by, how="left") if by else grid.join(tot, how="cross")
    mcols = [c for c in men.columns if c not in ("theme", *by)]
    m = grid.merge(men, on=["theme", *by], how="left")[mcols].fillna(0.0)
    t = t.reset_index(drop=True)
    out = grid.copy()
    out["label"] = [labels.get(th, th) for th in out["theme"]]

    def arr(frame: pd.DataFrame, v: str) -> np.ndarray:
        return np.column_stack([frame[f"{v}_{c}"].to_numpy(float) for c in "dpr"])

    tc, tw, tw2 = arr(t, "count"), arr(t, "sw"), arr(t, "sw2")
    mc, mw, mw2 = arr(m, "count"), arr(m, "sw"), arr(m, "sw2")
    ow, ow2 = np.clip(tw - mw, 0, None), np.clip(tw2 - mw2, 0, None)
    n, n_m = tc.sum(axis=1), mc.sum(axis=1)
    kish = stats.kish_n
    ne_t = np.asarray(kish(tw.sum(1), tw2.sum(1))) if weighted else n
    ne_m = np.asarray(kish(mw.sum(1), mw2.sum(1))) if weighted else n_m
    ne_o = np.asarray(kish(ow.sum(1), ow2.sum(1))) if weighted else n - n_m
    out["n"], out["n_eff"] = n.astype("int64"), ne_t
    out["n_mentioners"], out["n_eff_mentioners"] = n_m.astype("int64"), ne_m
    with np.errstate(invalid="ignore", divide="ignore"):
        share = mw.sum(1) / tw.sum(1)
        est, lo, hi = stats.proportion_ci(
            np.nan_to_num(share * ne_t), ne_t, level=level, method="wilson"
        )
        out["share"], out["share_low"], out["share_high"] = share, lo / 100, hi / 100
        for i, cat in enumerate(_CATS):
            out[f"share_{cat}"] = mw[:, i] / tw[:, i]
    a = stats.nps_counts(*mw.T, level=level, n_eff=ne_m, n_rows=n_m)
    b = stats.nps_counts(*ow.T, level=level, n_eff=ne_o, n_rows=n - n_m)
    a, b = pd.DataFrame(a).reset_index(drop=True), pd.DataFrame(b).reset_index(drop=True)
    d = pd.DataFrame(stats.nps_diff(a, b, level=level)).reset_index(drop=True)
    out["nps_mentioners"], out["nps_others"] = a["nps"].to_numpy(), b["nps"].to_numpy()
    out["diff"], out["diff_low"], out["diff_high"] = d["diff"], d["low"], d["high"]
    out["p"] = d["p"].astype(float)
    impact, se, low, high = impact_interval(mw, ow, ne_t, level)
    empty = ~(ne_m > 0)
    out["impact"] = np.where(empty, 0.0, impact)
    out["se"], out["low"], out["high"] = se, low, high
    out["p_adj"] = stats.adjust_pvalues(out["p"].to_numpy(float), correction)
    out["level"] = level
    flag = np.where(ne_m > 0, stats.base_flag(np.nan_to_num(ne_m), bands), "empty")
    out["flag"] = flag
    return out


def _themes_and_labels(
    men: pd.DataFrame, codeframe: str | Path | Codeframe | None
) -> tuple[list[str], dict[str, str]]:
    if codeframe is None:
        return sorted(map(str, men["theme"].unique())), {}
    cf = load_codeframe(codeframe)
    return cf.ids, cf.labels()


def _impact(
    data: Any,
    coded: Any,
    by: list[str],
    *,
    score: str,
    weight: str | None,
    level: float,
    correction: str,
    bands: tuple[float, float],
    codeframe: str | Path | Codeframe | None,
    id: str,
) -> pd.DataFrame:
    level = check_level(level, "theme_impact")
    tot_h, men_h = _histograms(data, coded, score, weight, by, id)
    breaks = (6, 8)
    tot = _categorised(tot_h, by, breaks)
    men = (
        _categorised(men_h, ["theme", *by], breaks)
        if len(men_h)
        else pd.DataFrame(
            columns=["theme", *by, *(f"{v}_{c}" for v in ("count", "sw", "sw2") for c in "dpr")]
        )
    )
    themes, labels = _themes_and_labels(men, codeframe)
    return _table(
        tot, men, by, themes, labels,
        weighted=weight is not None, level=level, correction=correction, bands=bands,
    )  # fmt: skip


def theme_impact(
    data: Any,
    coded: Any,
    *,
    score: str = "ltr",
    weight: str | None = None,
    level: float = 0.95,
    correction: str = "holm",
    bands: tuple[float, float] = stats.BASE_BANDS,
    codeframe: str | Path | Codeframe | None = None,
    id: str = "response_id",
) -> pd.DataFrame:
    """Which themes move NPS: share, NPS gap and NPS impact per theme, ranked by |impact|.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        The responses: ``id``, ``score`` (0-10 LTR) and ``weight`` if given.
    coded : pandas.DataFrame or Ibis table
        ``id, theme`` pairs (:func:`cxlab.voc.code` or :func:`cxlab.voc.coded_table`).
    score, weight, level, correction, bands
        As everywhere in cxlab (README, "One vocabulary").
    codeframe : str, path or Codeframe, optional
        Gives the labels and keeps themes nobody mentioned (with zero counts).
        Default: the themes present in ``coded``, labelled by their ids.
    id : str
        The response id column shared by ``data`` and ``coded``.

    Returns
    -------
    pandas.DataFrame
        One row per theme, ranked by ``|impact|``: ``theme, label, n`` (scored
        respondents), ``n_eff``, ``n_mentioners, n_eff_mentioners``, ``share`` (0-1)
        with ``share_low, share_high`` (Wilson), ``share_detractors``,
        ``share_passives``, ``share_promoters`` (share of each category mentioning
        it), ``nps_mentioners, nps_others, diff, diff_low, diff_high, p``
        (:func:`cxlab.stats.nps_diff`, adjusted Wald), ``impact, se, low, high``
        (NPS points, delta method: :func:`impact_interval`), ``p_adj``, ``level``,
        ``flag`` (the mentioners' base).

    Notes
    -----
    Mentioning a theme goes with a score; it does not show that the theme
    causes it (people who are unhappy for other reasons also complain more).

    Examples
    --------
    >>> df = pd.DataFrame({"response_id": range(8), "ltr": [0, 3, 6, 9, 10, 10, 8, 9]})
    >>> coded = pd.DataFrame({"response_id": [0, 1, 2], "theme": "late"})
    >>> r = theme_impact(df, coded)
    >>> r[["theme", "n", "n_mentioners", "share", "nps_mentioners", "nps_others", "impact"]]
      theme  n  n_mentioners  share  nps_mentioners  nps_others  impact
    0  late  8             3  0.375          -100.0        80.0   -67.5
    """
    out = _impact(
        data, coded, [], score=score, weight=weight, level=level, correction=correction,
        bands=bands, codeframe=codeframe, id=id,
    )  # fmt: skip
    order = np.argsort(-np.abs(out["impact"].to_numpy(float)), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def theme_breakdown(
    data: Any,
    coded: Any,
    *,
    by: str | Sequence[str] = "touchpoint",
    score: str = "ltr",
    weight: str | None = None,
    level: float = 0.95,
    correction: str = "holm",
    bands: tuple[float, float] = stats.BASE_BANDS,
    codeframe: str | Path | Codeframe | None = None,
    id: str = "response_id",
) -> pd.DataFrame:
    """:func:`theme_impact` within each group of ``by`` (touch point, channel, unit...).

    One row per group and theme with the columns of :func:`theme_impact` (share,
    NPS gap, impact within the group, base flag); ``p_adj`` is adjusted over
    every row of the table. Groups in sorted order, themes in codeframe order.
    Counted in the same two GROUP BYs with ``by`` added.

    Examples
    --------
    >>> df = pd.DataFrame({"response_id": range(8), "ltr": [0, 3, 6, 9, 10, 10, 8, 9],
    ...                    "touchpoint": list("aabbaabb")})
    >>> coded = pd.DataFrame({"response_id": [0, 1, 2], "theme": "late"})
    >>> theme_breakdown(df, coded)[["touchpoint", "theme", "n", "n_mentioners", "share"]]
      touchpoint theme  n  n_mentioners  share
    0          a  late  4             2   0.50
    1          b  late  4             1   0.25
    """
    by_ = by_list(by)
    if not by_:
        raise CxlabError("theme_breakdown: give by= (a column or columns to group by).")
    return _impact(
        data, coded, by_, score=score, weight=weight, level=level, correction=correction,
        bands=bands, codeframe=codeframe, id=id,
    )  # fmt: skip


def theme_trend(
    data: Any,
    coded: Any,
    *,
    by: str = "quarter",
    score: str = "ltr",
    weight: str | None = None,
    level: float = 0.95,
    correction: str = "holm",
    bands: tuple[float, float] = stats.BASE_BANDS,
    codeframe: str | Path | Codeframe | None = None,
    id: str = "response_id",
) -> pd.DataFrame:
    """Share, NPS gap and impact of each theme per period (``by``, default ``"quarter"``).

    :func:`theme_breakdown` over the period column, periods in order. Where
    ``by="quarter"`` and the table has no such column, the quarter is derived
    in the engine from ``survey_date``.
    """
    t = as_table(data)
    if by == "quarter" and "quarter" not in t.columns and "survey_date" in t.columns:
        d = t["survey_date"].cast("date")
        q = d.year().cast("string") + "Q" + d.quarter().cast("string")
        t = t.mutate(quarter=q)
    return theme_breakdown(
        t, coded, by=by, score=score, weight=weight, level=level, correction=correction,
        bands=bands, codeframe=codeframe, id=id,
    )  # fmt: skip
