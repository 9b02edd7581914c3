"""The absorbing Markov chain of the paths to purchase, and removal effects.

A first-order chain ``(start) -> touch points -> (conversion) | (drop-off)``
fitted to the distinct paths of :func:`cxlab.journey.path_counts`; absorption
probabilities by the fundamental matrix; removal effects with a bootstrap over
journeys (multinomial on the path counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats
from cxlab.errors import CxlabError
from cxlab.journey._common import (
    ADJ_COLS,
    CONVERSION,
    DROP_OFF,
    START,
    JourneyColumns,
    by_evidence,
    journey_columns,
    two_proportions,
)
from cxlab.journey.events import path_counts
from cxlab.journey.touchpoints import touchpoint_effects

__all__ = [
    "absorption_probabilities",
    "conversion_probability",
    "removal_effects",
    "state_order",
]


def _path_transition_counts(paths: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
    """States, per-path transition count arrays (P x S x S) and the path weights."""
    tps = sorted({tp for p in paths["path"] for tp in p})
    states = [START, *tps, CONVERSION, DROP_OFF]
    idx = {s: i for i, s in enumerate(states)}
    k = len(states)
    per = np.zeros((len(paths), k, k))
    for r, (path, conv) in enumerate(zip(paths["path"], paths["converted"], strict=True)):
        seq = [START, *path, CONVERSION if conv else DROP_OFF]
        for a, b in zip(seq[:-1], seq[1:], strict=False):
            per[r, idx[a], idx[b]] += 1
    return states, per, paths["n"].to_numpy(float)


def absorption_probabilities(
    matrix: pd.DataFrame | np.ndarray, absorbing: Sequence[Any]
) -> np.ndarray:
    """Probability of ending in each absorbing state, from every state (absorbing chain).

    With transient-to-transient block ``Q`` and transient-to-absorbing block ``R``
    of the row-normalised matrix, ``B = (I - Q)^-1 R`` (the fundamental matrix
    ``N = (I - Q)^-1``; Kemeny & Snell 1960, *Finite Markov Chains*, ch. 3).
    ``(I - Q)`` is singular when some transient states can never reach an
    absorbing one (a closed cycle, or a state with no recorded exit): those
    states are found by graph reachability and get probability 0 of every
    absorbing state (the walk never ends); the system is solved on the others,
    where it is non-singular. Rows with no outgoing mass count as such dead ends.

    Parameters
    ----------
    matrix : pandas.DataFrame or numpy.ndarray
        Square matrix of transition counts or probabilities (rows: from).
    absorbing : sequence
        Labels (DataFrame) or positions (array) of the absorbing states; their
        rows are ignored.

    Returns
    -------
    numpy.ndarray
        ``(n_states, n_absorbing)``; absorbing states' rows are unit vectors.

    Examples
    --------
    >>> P = np.array([[0, .5, .5, 0], [0, 0, .4, .6], [0, 0, 1, 0], [0, 0, 0, 1]])
    >>> absorption_probabilities(P, [2, 3])[0].round(3).tolist()  # 0.5 + 0.5 * 0.4
    [0.7, 0.3]
    """
    if isinstance(matrix, pd.DataFrame):
        labels = list(matrix.index)
        if list(matrix.columns) != labels:
            raise CxlabError("transition matrix: rows and columns must list the same states.")
        try:
            ab = [labels.index(a) for a in absorbing]
        except ValueError:
            raise CxlabError(f"absorbing states {list(absorbing)} not all in the matrix.") from None
        m = matrix.to_numpy(float)
    else:
        m = np.asarray(matrix, float)
        ab = [int(a) for a in absorbing]
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise CxlabError(f"transition matrix must be square, not {m.shape}.")
    if not np.isfinite(m).all() or (m < 0).any():
        raise CxlabError("transition matrix: entries must be finite and >= 0.")
    k = m.shape[0]
    tr = [i for i in range(k) if i not in ab]
    tot = m.sum(axis=1, keepdims=True)
    p = np.divide(m, tot, out=np.zeros_like(m), where=tot > 0)
    out = np.zeros((k, len(ab)))
    out[ab, np.arange(len(ab))] = 1.0
    if not tr:
        return out
    q = p[np.ix_(tr, tr)]
    r = p[np.ix_(tr, ab)]
    # transient states that can reach absorption: backward search from the exits
    reach = r.sum(axis=1) > 0
    while True:
        nxt = reach | ((q > 0) & reach[None, :]).any(axis=1)
        if (nxt == reach).all():
            break
        reach = nxt
    ok = np.flatnonzero(reach)
    if ok.size:
        a = np.eye(ok.size) - q[np.ix_(ok, ok)]
        b = r[ok]
        try:
            sol = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:  # cannot happen in exact arithmetic; be safe
            sol = np.linalg.lstsq(a, b, rcond=None)[0]
        out[np.asarray(tr)[ok]] = np.clip(sol, 0.0, 1.0)
    return out


def conversion_probability(matrix: pd.DataFrame) -> float:
    """P(reach ``(conversion)`` from ``(start)``) in a :func:`transition_matrix`.

    Examples
    --------
    >>> import pandas as pd
    >>> tr = pd.DataFrame({"from": ["(start)", "Ad", "Ad"],
    ...                    "to": ["Ad", "(conversion)", "(drop-off)"], "n": [4, 1, 3]})
    >>> from cxlab.journey import transition_matrix
    >>> conversion_probability(transition_matrix(tr))
    0.25
    """
    b = absorption_probabilities(matrix, [CONVERSION, DROP_OFF])
    return float(b[list(matrix.index).index(START), 0])


def state_order(matrix: pd.DataFrame, touchpoints: Sequence[str] = ()) -> list[str]:
    """The states of a :func:`transition_matrix` in reading order, for a chart or table.

    ``(start)`` first, then the touch points in the order given (e.g. the
    inventory's, by stage), then the chain's other touch points as they come,
    and the two absorbing states ``(conversion)`` and ``(drop-off)`` last.
    Touch points given but absent from the matrix are left out, so
    ``matrix.loc[order, order]`` always works.

    Parameters
    ----------
    matrix : pandas.DataFrame
        A :func:`cxlab.journey.transition_matrix` (states as index and columns).
    touchpoints : sequence of str
        The preferred order of the touch points.

    Returns
    -------
    list of str
        Every state of ``matrix``, once.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlab.journey import transition_matrix
    >>> tr = pd.DataFrame({"from": ["(start)", "(start)", "Web", "Store", "Ad"],
    ...     "to": ["Web", "Ad", "(conversion)", "(drop-off)", "Store"], "n": [3, 1, 3, 1, 1]})
    >>> state_order(transition_matrix(tr), ["Ad", "Shop", "Store"])
    ['(start)', 'Ad', 'Store', 'Web', '(conversion)', '(drop-off)']
    """
    states = list(matrix.index)
    absorbing = (CONVERSION, DROP_OFF)
    order = [START] if START in states else []
    for t in [*touchpoints, *states]:
        if t in states and t not in order and t not in absorbing:
            order.append(t)
    return order + [s for s in absorbing if s in states]


def _removed(counts: np.ndarray, k: int, null: int) -> np.ndarray:
    """Counts with state ``k`` removed: every move into ``k`` goes to drop-off instead."""
    c = counts.copy()
    c[..., :, null] += c[..., :, k]
    c[..., :, k] = 0.0
    return c


def _conv_probs(counts: np.ndarray, tp_idx: Sequence[int], conv: int, null: int) -> np.ndarray:
    """Base conversion probability and with each touch point removed: (1 + K,)."""
    out = np.empty(1 + len(tp_idx))
    out[0] = absorption_probabilities(counts, [conv, null])[0, 0]
    for j, k in enumerate(tp_idx):
        out[1 + j] = absorption_probabilities(_removed(counts, k, null), [conv, null])[0, 0]
    return out


def removal_effects(
    interactions: pd.DataFrame | ir.Table,
    *,
    level: float = 0.95,
    n_boot: int = 400,
    seed: int | None = 0,
    bands: tuple[int, int] = (30, 100),
    min_reach: float = 0.01,
    columns: JourneyColumns | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Markov-chain removal effect of each touch point on conversion, with intervals.

    A first-order absorbing Markov chain is fitted to the paths
    (``(start) -> touch points -> (conversion) | (drop-off)``); the conversion
    probability is its absorption probability from ``(start)``
    (:func:`absorption_probabilities`). Removing touch point ``k`` sends every
    move into ``k`` to ``(drop-off)``; its removal effect is
    ``1 - P(conv without k) / P(conv)`` and ``attribution`` is the effects
    rescaled to sum to 1 (Anderl, Becker, von Wangenheim & Schumann 2016,
    "Mapping the customer journey: Lessons learned from graph-based online
    attribution modeling", *International Journal of Research in Marketing*
    33(3); the R package ``ChannelAttribution``).

    Beside the chain, each touch point's journeys are compared with the others
    in two ways. Crude (a description of traffic): conversion of journeys that
    pass through it against those that do not (``diff`` with a Newcombe
    interval, ``p_crude`` from the score test). Adjusted (the verdict):
    :func:`touchpoint_effects`, a logistic regression on the touch points met
    on the same journey, Holm-adjusted (``p``,
    ``p_adj``, ``odds_ratio``, ``adj_diff``, ``verdict``). Only the adjusted
    comparison may say that a touch point *loses* customers: touch points are
    met together, so a crude difference also carries the effect of the failing
    touch points its journeys share. The removal effect cannot say it either:
    removing a failing touch point that many journeys pass through still
    lowers the chain's conversion, so the removal effect mostly measures
    traffic. ``effect_per_reach`` (removal effect / share of journeys through
    the touch point) corrects for traffic; below 1 means journeys through it
    convert less than the average journey.

    After-sales contacts are attributed to the purchase they follow
    (:func:`journeys`), so they are not on any path to purchase and get no row
    unless a customer's cultivation event precedes all of their purchases.

    Intervals: percentile bootstrap over journeys (multinomial resampling of the
    distinct-path counts, so it costs the same whatever the number of
    journeys). Singular or degenerate chains (no conversions, cycles, touch
    points that always convert) do not fail: with no conversion at all the
    removal effects are NaN.

    Parameters
    ----------
    interactions : pandas.DataFrame or ibis Table
        The event log (see :func:`journeys` for the columns and journey rules).
    columns, **options
        The event log's columns and the journey rules (:class:`JourneyColumns`;
        see :func:`journeys`).
    level : float
        Confidence level of the intervals.
    n_boot : int
        Bootstrap replicates (0 for none).
    seed : int, optional
        Bootstrap seed.
    bands : (int, int)
        Base-size bands for ``flag`` (journeys through the touch point).
    min_reach : float
        Touch points met on a smaller share of the journeys sort last, with
        the low bases.

    Returns
    -------
    pandas.DataFrame
        One row per touch point (conversion touch point excluded), sorted by
        evidence (reportable bases by ``p_adj``, smallest first; indicative
        and unreliable bases, touch points below ``min_reach`` and untested
        touch points last): ``touchpoint,
        journeys, reach, converted, conv_rate, conv_low, conv_high,
        conv_rate_without, diff, diff_low, diff_high, p_crude, odds_ratio, or_low, or_high, adj_diff,
        adj_diff_low, adj_diff_high, p, p_adj, verdict, removal_effect,
        removal_low, removal_high, attribution, effect_per_reach,
        p_conversion, p_conversion_without, flag, level``. ``conv_*``,
        ``diff*`` and ``adj_diff*`` are percent; ``p``/``p_adj``/``verdict``
        come from :func:`touchpoint_effects` (``verdict`` is ``"loses
        customers"``, ``"helps"`` or ``""``).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c", "c"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-01",
    ...                                  "2025-01-01", "2025-01-02"]),
    ...     "touchpoint": ["Ad", "Purchase", "Ad", "Email", "Purchase"],
    ...     "stage": ["attraction", "interaction", "attraction", "attraction", "interaction"]})
    >>> r = removal_effects(ev, n_boot=0).set_index("touchpoint")
    >>> float(r.loc["Ad", "removal_effect"]), float(r.loc["Email", "removal_effect"])
    (0.5, 0.5)
    """
    jc = journey_columns(columns, options, "removal_effects")
    paths = path_counts(interactions, columns=jc)
    if paths.empty:
        raise CxlabError("interactions: no journeys, so no removal effects.")
    states, per, w = _path_transition_counts(paths)
    tps = states[1:-2]
    if not tps:
        raise CxlabError(
            f"interactions: every journey starts with {jc.conversion!r}; there are no other "
            "touch points to attribute conversion to."
        )
    probs, effect, lo, hi = _chain_effects(per, w, level, n_boot, seed)
    out = _crude_comparison(paths, w, tps, level)
    out["removal_effect"], out["removal_low"], out["removal_high"] = effect, lo, hi
    out["p_conversion"], out["p_conversion_without"] = probs[0], probs[1:]
    # the verdict: adjusted for the other touch points met on the same journeys
    try:
        adj = touchpoint_effects(
            interactions, level=level, bands=bands, min_reach=min_reach, columns=jc
        )[["touchpoint", *ADJ_COLS]]
    except CxlabError:
        adj = pd.DataFrame(columns=["touchpoint", *ADJ_COLS])
    out = out.merge(adj, on="touchpoint", how="left")
    out["verdict"] = out["verdict"].fillna("").astype(str)
    tot = np.nansum(out["removal_effect"].clip(lower=0))
    out["attribution"] = out["removal_effect"].clip(lower=0) / tot if tot > 0 else np.nan
    out["effect_per_reach"] = out["removal_effect"] / out["reach"]
    out["flag"] = stats.base_flag(out["journeys"].to_numpy(float), bands)
    out["level"] = level
    return by_evidence(out[_REMOVAL_COLS], min_reach)


def _chain_effects(
    per: np.ndarray, w: np.ndarray, level: float, n_boot: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Conversion probabilities (base, then without each touch point), removal effects and
    their percentile-bootstrap bounds (multinomial draws of the path counts)."""
    k = per.shape[1]
    conv, null = k - 2, k - 1
    tp_idx = list(range(1, k - 2))
    probs = _conv_probs(np.tensordot(w, per, axes=1), tp_idx, conv, null)
    base = probs[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        effect = np.where(base > 0, 1.0 - probs[1:] / base, np.nan)
    lo = np.full(len(tp_idx), np.nan)
    hi = np.full(len(tp_idx), np.nan)
    if n_boot and base > 0:
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(int(w.sum()), w / w.sum(), size=int(n_boot))
        boot = np.full((int(n_boot), len(tp_idx)), np.nan)
        for b in range(int(n_boot)):
            pb = _conv_probs(np.tensordot(draws[b].astype(float), per, axes=1), tp_idx, conv, null)
            if pb[0] > 0:
                boot[b] = 1.0 - pb[1:] / pb[0]
        alpha = 1.0 - level
        with np.errstate(invalid="ignore"):
            lo = np.nanquantile(boot, alpha / 2, axis=0)
            hi = np.nanquantile(boot, 1 - alpha / 2, axis=0)
    return probs, effect, lo, hi


def _crude_comparison(
    paths: pd.DataFrame, w: np.ndarray, tps: list[str], level: float
) -> pd.DataFrame:
    """Journeys through each touch point against the others: conversion and difference."""
    conv = paths["converted"].to_numpy()
    n_total = w.sum()
    conv_total = w[conv].sum()
    rows = []
    for tp in tps:
        through = np.array([tp in p for p in paths["path"]])
        n1 = w[through].sum()
        c1 = w[through & conv].sum()
        n0, c0 = n_total - n1, conv_total - c1
        est, clo, chi = stats.proportion_ci(c1, n1, level=level)
        diff, dlo, dhi, pv = two_proportions(c1, n1, c0, n0, level)
        rows.append(
            {
                "touchpoint": tp,
                "journeys": int(n1),
                "reach": n1 / n_total,
                "converted": int(c1),
                "conv_rate": est,
                "conv_low": clo,
                "conv_high": chi,
                "conv_rate_without": 100 * c0 / n0 if n0 > 0 else np.nan,
                "diff": diff,
                "diff_low": dlo,
                "diff_high": dhi,
                "p_crude": float(pv),
            }
        )
    return pd.DataFrame(rows)


_REMOVAL_COLS = [
    "touchpoint",
    "journeys",
    "reach",
    "converted",
    "conv_rate",
    "conv_low",
    "conv_high",
    "conv_rate_without",
    "diff",
    "diff_low",
    "diff_high",
    "p_crude",
    *ADJ_COLS[:-3],
    "p",
    "p_adj",
    "verdict",
    "removal_effect",
    "removal_low",
    "removal_high",
    "attribution",
    "effect_per_reach",
    "p_conversion",
    "p_conversion_without",
    "flag",
    "level",
]
