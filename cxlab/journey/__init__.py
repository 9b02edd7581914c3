"""Touch points, journeys and channels: what an aggregate score hides.

An overall NPS or satisfaction score can look healthy while single touch points
fail. This module measures the journey piece by piece:

- :func:`inventory` -- the touch-point inventory (``touchpoints`` table) with each
  touch point's relationship scores (NPS, CSAT, CES with intervals) and an
  operational KPI derived from the interactions (conversion of the journeys that
  pass through it);
- :func:`load_case`, :func:`case_study`, :func:`aggregate_masking`,
  :func:`plot_journey` -- declarative journey case studies (YAML files; shipped
  ones live in ``cxlab/case_studies``), with literal scores or queries against the
  warehouse;
- :func:`touchpoint_vs_overall` -- a customer's score at one touch point against
  the same customer's score everywhere else;
- :func:`journeys`, :func:`transitions`, :func:`transition_matrix`,
  :func:`stage_dropoff`, :func:`time_between_stages`, :func:`removal_effects`,
  :func:`absorption_probabilities` -- path analysis of the ``interactions`` event
  log, including Markov-chain removal effects;
- :func:`channel_consistency`, :func:`channel_gaps`, :func:`channel_switching` --
  the same touch point across channels, and journeys that switch channel.

What a journey is
-----------------
The interactions table has no journey id, so :func:`journeys` infers one per
customer from the time-ordered events (ties broken by ``interaction_id`` when
present). *After-sales* events -- ``cultivation``-stage events that follow one
of the customer's purchases (the conversion touch point, ``"Purchase"``) --
belong to the journey of the latest purchase before them, however late they
come and whatever happened in between: a support call or a return is about the
purchase it follows, never a step on the path to the customer's next purchase.
The other events are cut into journeys in time order; a new journey starts at a
customer's first event and whenever

1. an ``attraction``-stage event follows an event of a later stage (the
   journey runs attraction -> interaction -> cultivation and then back),
2. any event follows the conversion touch point (a purchase ends the path to
   purchase; only the after-sales events above join it later), or
3. more than ``gap_days`` (default 30) pass since the customer's previous
   (non-after-sales) event and the event is not a ``cultivation`` one.

A journey *converts* when it reaches the conversion touch point. The path used by
the transition matrix and the Markov chain is the journey up to its first
conversion (``(start) -> touch points -> (conversion)`` or ``-> (drop-off)``).

Everything is aggregated where the data live (window functions ``lag``/``lead``
and ``GROUP BY`` in the Ibis backend); only small summaries (transition counts,
distinct paths with their counts, per-group counts) come back for the statistics.
"""

from __future__ import annotations

import importlib.resources
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from cxlab import stats
from cxlab._checks import as_table, check_columns, check_level
from cxlab.errors import CxlabError
from cxlab.plots import draw_intervals, literal_plot
from cxlab.schema import STAGES

__all__ = [
    "CONVERSION",
    "DROP_OFF",
    "START",
    "CaseStudy",
    "absorption_probabilities",
    "aggregate_masking",
    "case_study",
    "channel_consistency",
    "channel_gaps",
    "channel_switching",
    "conversion_probability",
    "interactions_view",
    "inventory",
    "journey_summary",
    "journey_patterns",
    "journeys",
    "list_cases",
    "load_case",
    "path_counts",
    "plot_dropoff",
    "plot_journey",
    "plot_removal_effects",
    "plot_transitions",
    "removal_effects",
    "stage_dropoff",
    "time_between_stages",
    "touchpoint_effects",
    "touchpoint_verdict_text",
    "touchpoint_vs_overall",
    "transition_matrix",
    "transitions",
]

START = "(start)"
CONVERSION = "(conversion)"
DROP_OFF = "(drop-off)"
PURCHASE = "Purchase"
_STAGE_COLORS = {"attraction": "#E8F1FA", "interaction": "#FDF3E1", "cultivation": "#E9F5EE"}
_WEAK = "#D55E00"
_OK = "#0072B2"


# =========================================================================== journeys


def _order_keys(t: ir.Table, time: str, tiebreak: str | None) -> list:
    keys = [t[time]]
    if tiebreak is not None and tiebreak in t.columns:
        keys.append(t[tiebreak])
    return keys


def journeys(
    interactions: pd.DataFrame | ir.Table,
    *,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    customer: str = "customer_id",
    time: str = "timestamp",
    touchpoint: str = "touchpoint",
    stage: str = "stage",
    tiebreak: str | None = "interaction_id",
) -> ir.Table:
    """The interactions with a journey number, step and next event (lazy Ibis table).

    Journey boundaries follow the rules in the module docstring: after-sales
    (cultivation-stage) events that follow a purchase are attributed to that
    purchase's journey, so they never appear on the path to a later purchase.
    Columns added:
    ``journey`` (1, 2, ... per customer), ``step`` (1, 2, ... within the journey),
    ``next_touchpoint`` and ``next_time`` (null on a journey's last event),
    ``pre_conversion`` (true up to and including the journey's first conversion
    event) and ``is_conversion``.

    Parameters
    ----------
    interactions : pandas.DataFrame or ibis Table
        One row per event: customer, timestamp, touch point, stage (and channel).
    gap_days : float
        A silence longer than this starts a new journey (except at a
        cultivation-stage event).
    conversion : str
        The touch point that counts as conversion.
    customer, time, touchpoint, stage : str
        Column names.
    tiebreak : str, optional
        Column ordering events with the same timestamp (ignored when absent).

    Returns
    -------
    ibis Table
        Evaluate with ``.to_pandas()`` or aggregate further.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "a"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-06-01"]),
    ...     "touchpoint": ["Ad", "Store visit", "Purchase", "Ad"],
    ...     "stage": ["attraction", "interaction", "interaction", "attraction"]})
    >>> journeys(ev).order_by("timestamp").to_pandas()["journey"].tolist()
    [1, 1, 1, 2]
    """
    t = as_table(interactions)
    check_columns(t, [customer, time, touchpoint, stage], "interactions")
    if gap_days <= 0:
        raise CxlabError(f"gap_days must be > 0, not {gap_days}.")
    # after-sales events: cultivation-stage events that follow one of the customer's purchases
    before = ibis.window(
        group_by=t[customer], order_by=_order_keys(t, time, tiebreak), rows=(None, -1)
    )
    bought = (t[touchpoint] == conversion).cast("int64").sum().over(before).fill_null(0) > 0
    t = t.mutate(_after=(t[stage] == "cultivation") & bought)
    main = t.filter(~t._after)
    keys = _order_keys(main, time, tiebreak)
    w = ibis.window(group_by=main[customer], order_by=keys)
    prev_ts = main[time].lag().over(w)
    prev_stage = main[stage].lag().over(w)
    prev_tp = main[touchpoint].lag().over(w)
    gap = (main[time].epoch_seconds() - prev_ts.epoch_seconds()) / 86400.0
    new = (
        prev_ts.isnull()
        | ((main[stage] == "attraction") & (prev_stage != "attraction"))
        | ((prev_tp == conversion) & (main[stage] != "cultivation"))
        | ((gap > gap_days) & (main[stage] != "cultivation"))
    )
    t1 = main.mutate(_new=new.fill_null(True).cast("int64"))
    w1 = ibis.window(
        group_by=t1[customer], order_by=_order_keys(t1, time, tiebreak), rows=(None, 0)
    )
    t1 = t1.mutate(journey=t1._new.sum().over(w1).cast("int64")).drop("_new")
    after = t.filter(t._after).mutate(journey=ibis.null("int64"))
    u = t1.union(after.select(*t1.columns))
    # an after-sales event joins the journey of the latest purchase before it
    wu = ibis.window(group_by=u[customer], order_by=_order_keys(u, time, tiebreak), rows=(None, 0))
    last_buy = (u[touchpoint] == conversion).ifelse(u.journey, ibis.null("int64")).max().over(wu)
    t2 = u.mutate(journey=u.journey.fill_null(last_buy)).drop("_after")
    w2 = ibis.window(group_by=[t2[customer], t2.journey], order_by=_order_keys(t2, time, tiebreak))
    w2c = ibis.window(
        group_by=[t2[customer], t2.journey],
        order_by=_order_keys(t2, time, tiebreak),
        rows=(None, -1),
    )
    is_conv = t2[touchpoint] == conversion
    conv_before = is_conv.cast("int64").sum().over(w2c).fill_null(0)
    return t2.mutate(
        step=ibis.row_number().over(w2) + 1,
        next_touchpoint=t2[touchpoint].lead().over(w2),
        next_time=t2[time].lead().over(w2),
        is_conversion=is_conv,
        pre_conversion=conv_before == 0,
    )


def journey_summary(
    interactions: pd.DataFrame | ir.Table,
    *,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    customer: str = "customer_id",
    time: str = "timestamp",
    touchpoint: str = "touchpoint",
    stage: str = "stage",
    channel: str = "channel",
    tiebreak: str | None = "interaction_id",
) -> ir.Table:
    """One row per journey (lazy Ibis table).

    Columns: customer, ``journey``, ``start``, ``end`` (first and last event),
    ``n_events``, ``converted``, ``n_channels`` (distinct channels *before*
    conversion: the purchase event's channel is left out because whether it exists
    depends on the outcome), ``switched`` (``n_channels > 1``), ``first_channel``,
    and the time of the first event at each stage: ``t_attraction``,
    ``t_interaction``, ``t_conversion``, ``t_cultivation``.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
    ...     "touchpoint": ["Ad", "Store visit", "Purchase"],
    ...     "stage": ["attraction", "interaction", "interaction"],
    ...     "channel": ["web", "store", "store"]})
    >>> s = journey_summary(ev).to_pandas()
    >>> [int(s.loc[0, c]) for c in ("n_events", "converted", "n_channels", "switched")]
    [3, 1, 2, 1]
    """
    t = journeys(
        interactions,
        gap_days=gap_days,
        conversion=conversion,
        customer=customer,
        time=time,
        touchpoint=touchpoint,
        stage=stage,
        tiebreak=tiebreak,
    )
    check_columns(t, [channel], "interactions")
    before = t.pre_conversion & ~t.is_conversion
    aggs: dict[str, Any] = {
        "start": t[time].min(),
        "end": t[time].max(),
        "n_events": t.count(),
        "converted": t.is_conversion.any(),
        "n_channels": t[channel].nunique(where=before),
        "first_channel": t[channel].first(order_by=_order_keys(t, time, tiebreak)),
        "t_conversion": t[time].min(where=t.is_conversion),
    }
    for s in STAGES:
        cond = t[stage] == s
        if s == "interaction":
            cond = cond & ~t.is_conversion
        aggs[f"t_{s}"] = t[time].min(where=cond)
    g = t.group_by([customer, "journey"]).aggregate(**aggs)
    return g.mutate(switched=g.n_channels > 1)


def path_counts(
    interactions: pd.DataFrame | ir.Table,
    *,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    customer: str = "customer_id",
    time: str = "timestamp",
    touchpoint: str = "touchpoint",
    stage: str = "stage",
    tiebreak: str | None = "interaction_id",
) -> pd.DataFrame:
    """Distinct paths to conversion (or drop-off) with the number of journeys taking each.

    The path is the journey's touch points in order up to its first conversion
    (the conversion touch point itself is not in ``path``). Aggregated in the
    engine: one ``ARRAY_AGG ... ORDER BY`` per journey, then ``GROUP BY`` path.

    Returns
    -------
    pandas.DataFrame
        ``path`` (tuple of touch points), ``converted`` (bool), ``n`` (journeys).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-01"]),
    ...     "touchpoint": ["Ad", "Purchase", "Ad"],
    ...     "stage": ["attraction", "interaction", "attraction"]})
    >>> path_counts(ev).sort_values("converted").values.tolist()
    [[('Ad',), False, 1], [('Ad',), True, 1]]
    """
    t = journeys(
        interactions,
        gap_days=gap_days,
        conversion=conversion,
        customer=customer,
        time=time,
        touchpoint=touchpoint,
        stage=stage,
        tiebreak=tiebreak,
    )
    t = t.filter(t.pre_conversion)
    keep = ~t.is_conversion
    j = t.group_by([customer, "journey"]).aggregate(
        path=t[touchpoint].collect(where=keep, order_by=_order_keys(t, time, tiebreak)),
        converted=t.is_conversion.any(),
    )
    p = j.group_by(["path", "converted"]).aggregate(n=j.count()).to_pandas()
    p["path"] = [tuple(x) if x is not None else () for x in p["path"]]
    p["n"] = p["n"].astype("int64")
    # GROUP BY returns groups in no fixed order: sort on every key (the path too), so the
    # bootstrap of removal_effects draws the same replicates from the same data every run
    p["_key"] = ["\x1f".join(map(str, x)) for x in p["path"]]
    p = p.sort_values(["n", "converted", "_key"], ascending=[False, False, True], kind="stable")
    return p.drop(columns="_key").reset_index(drop=True)


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


# ======================================================================== transitions


def transitions(
    interactions: pd.DataFrame | ir.Table,
    *,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    customer: str = "customer_id",
    time: str = "timestamp",
    touchpoint: str = "touchpoint",
    stage: str = "stage",
    tiebreak: str | None = "interaction_id",
) -> pd.DataFrame:
    """Counts of moves between touch points on the path to conversion (tidy).

    Each journey contributes ``(start) -> first touch point``, one row per
    consecutive pair of events (``lead()`` over the journey), and a final move to
    ``(conversion)`` (the conversion touch point) or ``(drop-off)``. Counted in
    the engine with ``GROUP BY from, to``.

    Returns
    -------
    pandas.DataFrame
        ``from, to, n, share`` where ``share`` is ``n`` over all moves out of
        ``from`` (the transition probability).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-01"]),
    ...     "touchpoint": ["Ad", "Purchase", "Ad"],
    ...     "stage": ["attraction", "interaction", "attraction"]})
    >>> transitions(ev)[["from", "to", "n"]].values.tolist()
    [['(start)', 'Ad', 2], ['Ad', '(conversion)', 1], ['Ad', '(drop-off)', 1]]
    """
    t = journeys(
        interactions,
        gap_days=gap_days,
        conversion=conversion,
        customer=customer,
        time=time,
        touchpoint=touchpoint,
        stage=stage,
        tiebreak=tiebreak,
    )
    first = t.filter(t.step == 1)
    first_to = first.is_conversion.ifelse(ibis.literal(CONVERSION), first[touchpoint])
    starts = first.group_by(to=first_to).aggregate(n=first.count()).to_pandas()
    starts.insert(0, "from", START)
    t = t.filter(t.pre_conversion & ~t.is_conversion)
    to = t.next_touchpoint.isnull().ifelse(
        ibis.literal(DROP_OFF),
        (t.next_touchpoint == conversion).ifelse(ibis.literal(CONVERSION), t.next_touchpoint),
    )
    moves = t.group_by(**{"from": t[touchpoint], "to": to}).aggregate(n=t.count()).to_pandas()
    g = pd.concat([starts, moves], ignore_index=True)
    if g.empty:
        raise CxlabError("interactions: no events, so no transitions to count.")
    g["n"] = g["n"].astype("int64")
    g["share"] = g["n"] / g.groupby("from")["n"].transform("sum")
    order = {START: -1, CONVERSION: 1e9, DROP_OFF: 1e9 + 1}
    g["_f"] = g["from"].map(lambda s: order.get(s, 0))
    g["_t"] = g["to"].map(lambda s: order.get(s, 0))
    g = g.sort_values(["_f", "from", "_t", "to"], kind="stable").drop(columns=["_f", "_t"])
    return g.reset_index(drop=True)


def transition_matrix(result: pd.DataFrame, *, normalize: bool = True) -> pd.DataFrame:
    """Square matrix of a :func:`transitions` result (rows: from, columns: to).

    Rows and columns run ``(start)``, the touch points, ``(conversion)``,
    ``(drop-off)``; the two absorbing states get an all-zero row.
    ``normalize=True`` gives transition probabilities (rows sum to 1).

    Examples
    --------
    >>> import pandas as pd
    >>> tr = pd.DataFrame({"from": ["(start)", "Ad", "Ad"],
    ...                    "to": ["Ad", "(conversion)", "(drop-off)"], "n": [4, 1, 3]})
    >>> transition_matrix(tr).loc["Ad", "(conversion)"]
    np.float64(0.25)
    """
    check_columns(as_table(result[["from", "to", "n"]]), ["from", "to", "n"], "transitions")
    tps = sorted((set(result["from"]) | set(result["to"])) - {START, CONVERSION, DROP_OFF})
    states = [START, *tps, CONVERSION, DROP_OFF]
    m = (
        result.pivot_table(index="from", columns="to", values="n", aggfunc="sum", fill_value=0)
        .reindex(index=states, columns=states, fill_value=0)
        .astype(float)
    )
    m.index.name, m.columns.name = "from", "to"
    if normalize:
        tot = m.sum(axis=1)
        m = m.div(tot.where(tot > 0, 1.0), axis=0)
    return m


# =================================================================== absorbing chain


def absorption_probabilities(matrix: pd.DataFrame | np.ndarray, absorbing: Sequence) -> np.ndarray:
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
    >>> conversion_probability(transition_matrix(tr))
    0.25
    """
    b = absorption_probabilities(matrix, [CONVERSION, DROP_OFF])
    return float(b[list(matrix.index).index(START), 0])


def _two_proportions(
    c1: float, n1: float, c0: float, n0: float, level: float
) -> tuple[float, float, float, float]:
    """Difference of two independent proportions in percentage points: (diff, low, high, p).

    Newcombe's hybrid score interval and the score test (statsmodels
    ``confint_proportions_2indep`` / ``test_proportions_2indep``; Newcombe 1998,
    Statistics in Medicine 17). NaN when a group is empty.
    """
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    if not (n1 > 0 and n0 > 0):
        return np.nan, np.nan, np.nan, np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = confint_proportions_2indep(
            c1, n1, c0, n0, method="newcomb", compare="diff", alpha=1 - level
        )
        if 0 < c1 + c0 < n1 + n0:
            p = test_proportions_2indep(c1, n1, c0, n0, method="score", compare="diff").pvalue
        else:
            p = 1.0  # all or none converted in both groups: no evidence of a difference
    return 100 * (c1 / n1 - c0 / n0), 100 * float(lo), 100 * float(hi), float(p)


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
    gap_days: float = 30,
    conversion: str = PURCHASE,
    level: float = 0.95,
    n_boot: int = 400,
    seed: int | None = 0,
    bands: tuple[int, int] = (30, 100),
    min_reach: float = 0.01,
    customer: str = "customer_id",
    time: str = "timestamp",
    touchpoint: str = "touchpoint",
    stage: str = "stage",
    tiebreak: str | None = "interaction_id",
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
    conversion : str
        Touch point that counts as conversion.
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
    level = check_level(level, "removal_effects")
    paths = path_counts(
        interactions,
        gap_days=gap_days,
        conversion=conversion,
        customer=customer,
        time=time,
        touchpoint=touchpoint,
        stage=stage,
        tiebreak=tiebreak,
    )
    if paths.empty:
        raise CxlabError("interactions: no journeys, so no removal effects.")
    states, per, w = _path_transition_counts(paths)
    tps = states[1:-2]
    if not tps:
        raise CxlabError(
            f"interactions: every journey starts with {conversion!r}; there are no other "
            "touch points to attribute conversion to."
        )
    conv, null = len(states) - 2, len(states) - 1
    tp_idx = list(range(1, 1 + len(tps)))
    counts = np.tensordot(w, per, axes=1)
    probs = _conv_probs(counts, tp_idx, conv, null)
    base = probs[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        effect = np.where(base > 0, 1.0 - probs[1:] / base, np.nan)
    lo = np.full(len(tps), np.nan)
    hi = np.full(len(tps), np.nan)
    if n_boot and base > 0:
        rng = np.random.default_rng(seed)
        total = int(w.sum())
        draws = rng.multinomial(total, w / w.sum(), size=int(n_boot))
        boot = np.full((int(n_boot), len(tps)), np.nan)
        for b in range(int(n_boot)):
            pb = _conv_probs(np.tensordot(draws[b].astype(float), per, axes=1), tp_idx, conv, null)
            if pb[0] > 0:
                boot[b] = 1.0 - pb[1:] / pb[0]
        alpha = 1.0 - level
        with np.errstate(invalid="ignore"):
            lo = np.nanquantile(boot, alpha / 2, axis=0)
            hi = np.nanquantile(boot, 1 - alpha / 2, axis=0)

    # direct comparison: journeys through the touch point vs the others
    n_total = w.sum()
    conv_total = w[paths["converted"].to_numpy()].sum()
    rows = []
    for j, tp in enumerate(tps):
        through = np.array([tp in p for p in paths["path"]])
        n1 = w[through].sum()
        c1 = w[through & paths["converted"].to_numpy()].sum()
        n0, c0 = n_total - n1, conv_total - c1
        est, clo, chi = stats.proportion_ci(c1, n1, level=level)
        diff, dlo, dhi, pv = _two_proportions(c1, n1, c0, n0, level)
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
                "p": float(pv),
                "removal_effect": effect[j],
                "removal_low": lo[j],
                "removal_high": hi[j],
                "p_conversion": base,
                "p_conversion_without": probs[1 + j],
            }
        )
    out = pd.DataFrame(rows).rename(columns={"p": "p_crude"})
    # the verdict: adjusted for the other touch points met on the same journeys
    try:
        adj = touchpoint_effects(
            interactions,
            gap_days=gap_days,
            conversion=conversion,
            level=level,
            bands=bands,
            min_reach=min_reach,
            customer=customer,
            time=time,
            touchpoint=touchpoint,
            stage=stage,
            tiebreak=tiebreak,
        )[["touchpoint", *_ADJ_COLS]]
    except CxlabError:
        adj = pd.DataFrame(columns=["touchpoint", *_ADJ_COLS])
    out = out.merge(adj, on="touchpoint", how="left")
    out["verdict"] = out["verdict"].fillna("").astype(str)
    tot = np.nansum(out["removal_effect"].clip(lower=0))
    out["attribution"] = out["removal_effect"].clip(lower=0) / tot if tot > 0 else np.nan
    out["effect_per_reach"] = out["removal_effect"] / out["reach"]
    out["flag"] = stats.base_flag(out["journeys"].to_numpy(float), bands)
    out["level"] = level
    cols = [
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
        *_ADJ_COLS[:-3],
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
    return _by_evidence(out[cols], min_reach)


_ADJ_COLS = [
    "odds_ratio",
    "or_low",
    "or_high",
    "adj_diff",
    "adj_diff_low",
    "adj_diff_high",
    "p",
    "p_adj",
    "verdict",
]


# ============================================================ adjusted touch-point effects


def journey_patterns(
    interactions: pd.DataFrame | ir.Table,
    *,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    customer: str = "customer_id",
    time: str = "timestamp",
    touchpoint: str = "touchpoint",
    stage: str = "stage",
    tiebreak: str | None = "interaction_id",
) -> pd.DataFrame:
    """Journeys grouped by the set of touch points they met on the path to purchase.

    A journey's *pattern* is one indicator per touch point: did the journey meet
    it before its first conversion? Only the path to purchase counts: the
    conversion touch point itself, events after the conversion and
    ``cultivation``-stage events (after-sales contacts; see :func:`journeys`)
    are left out. Aggregated in the engine (one ``bool_or`` per touch point per
    journey, then ``GROUP BY`` the indicators), so the result has at most one
    row per distinct pattern however many journeys there are.

    Returns
    -------
    pandas.DataFrame
        One row per pattern: one boolean column per touch point (sorted by
        name), ``journeys`` and ``converted`` (counts).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-01", "2025-01-01"]),
    ...     "touchpoint": ["Ad", "Purchase", "Ad", "Email"],
    ...     "stage": ["attraction", "interaction", "attraction", "attraction"]})
    >>> journey_patterns(ev).values.tolist()
    [[True, False, 2, 1], [False, True, 1, 0]]
    """
    j = journeys(
        interactions,
        gap_days=gap_days,
        conversion=conversion,
        customer=customer,
        time=time,
        touchpoint=touchpoint,
        stage=stage,
        tiebreak=tiebreak,
    )
    on_path = j.pre_conversion & ~j.is_conversion & (j[stage] != "cultivation")
    tps = j.filter(on_path).select(touchpoint).distinct().to_pandas()[touchpoint]
    tps = sorted(str(x) for x in tps.dropna())
    if not tps:
        raise CxlabError(
            f"interactions: no journey meets a touch point before {conversion!r}; there is "
            "nothing to compare."
        )
    # positional column names in the engine: touch-point names come from the data
    ind = {f"_k{i}": (on_path & (j[touchpoint] == tp)).any() for i, tp in enumerate(tps)}
    per = j.group_by([customer, "journey"]).aggregate(_conv=j.is_conversion.any(), **ind)
    g = (
        per.group_by(list(ind))
        .aggregate(journeys=per.count(), converted=per._conv.cast("int64").sum())
        .to_pandas()
    )
    g = g.rename(columns={f"_k{i}": tp for i, tp in enumerate(tps)})
    g[tps] = g[tps].fillna(False).astype(bool)
    g["journeys"] = g["journeys"].astype("int64")
    g["converted"] = g["converted"].fillna(0).astype("int64")
    g = g.sort_values(["journeys", *tps], ascending=False, kind="stable")
    return g.reset_index(drop=True)


def _logit_effects(pat: pd.DataFrame, tps: list[str], level: float) -> pd.DataFrame:
    """Binomial GLM of conversion on touch-point indicators, fitted on the pattern table.

    Quasi-binomial: the covariance is scaled by ``max(1, Pearson X^2 / df)``
    (McCullagh & Nelder 1989, section 4.5; Agresti 2013, section 4.7), so lack
    of fit between the patterns widens the intervals instead of making verdicts.
    Returns per touch point ``b, se, odds_ratio, or_low, or_high, adj_diff,
    adj_diff_low, adj_diff_high, p`` (NaN where the coefficient is not
    estimable: constant or aliased indicators, or separation) and ``phi`` in
    ``attrs``.
    """
    import warnings

    import statsmodels.api as sm
    from scipy.special import expit
    from scipy.stats import norm

    cols = ["b", "se", "odds_ratio", "or_low", "or_high", "adj_diff", "adj_diff_low"]
    cols += ["adj_diff_high", "p"]
    res = pd.DataFrame(np.nan, index=tps, columns=cols)
    x = pat[tps].to_numpy(float)
    n = pat["journeys"].to_numpy(float)
    c = pat["converted"].to_numpy(float)
    # estimable: not constant, and not a linear combination of the others
    full = np.column_stack([np.ones(len(x)), x])
    rank = np.linalg.matrix_rank(full)
    est = [k for k in range(len(tps)) if x[:, k].min() != x[:, k].max()]
    est = [k for k in est if np.linalg.matrix_rank(np.delete(full, 1 + k, axis=1)) < rank]
    res.attrs["phi"] = np.nan
    if not est or c.sum() in (0, n.sum()):
        return res
    xe = np.column_stack([np.ones(len(x)), x[:, est]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(np.column_stack([c, n - c]), xe, family=sm.families.Binomial()).fit()
    df = max(len(x) - xe.shape[1], 0)
    phi = max(1.0, float(fit.pearson_chi2) / df) if df > 0 else 1.0
    res.attrs["phi"] = phi
    beta = np.asarray(fit.params, float)
    cov = np.asarray(fit.cov_params(), float) * phi
    z = norm.ppf(0.5 + level / 2)
    for j, k in enumerate(est, start=1):
        b, se = beta[j], math.sqrt(max(cov[j, j], 0.0))
        if not (np.isfinite(b) and np.isfinite(se) and se > 0 and abs(b) < 15):
            continue  # separation: no finite estimate
        # average effect on the journeys through k: predicted conversion with k minus without
        on = x[:, k] > 0
        x1 = xe[on].copy()
        x0 = x1.copy()
        x0[:, j] = 0.0
        p1, p0 = expit(x1 @ beta), expit(x0 @ beta)
        w = n[on] / n[on].sum()
        ame = float(np.sum(w * (p1 - p0)))
        grad = (w * p1 * (1 - p1)) @ x1 - (w * p0 * (1 - p0)) @ x0
        ame_se = math.sqrt(max(float(grad @ cov @ grad), 0.0))
        with np.errstate(over="ignore"):
            ors = np.exp([b, b - z * se, b + z * se])
        res.loc[tps[k]] = [
            b,
            se,
            *ors.tolist(),
            100 * ame,
            100 * (ame - z * ame_se),
            100 * (ame + z * ame_se),
            float(2 * norm.sf(abs(b / se))),
        ]
    return res


def touchpoint_effects(
    interactions: pd.DataFrame | ir.Table,
    *,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    level: float = 0.95,
    bands: tuple[int, int] = (30, 100),
    min_reach: float = 0.01,
    customer: str = "customer_id",
    time: str = "timestamp",
    touchpoint: str = "touchpoint",
    stage: str = "stage",
    tiebreak: str | None = "interaction_id",
) -> pd.DataFrame:
    """Does meeting a touch point lose customers, given the other touch points met?

    A logistic regression of a journey's conversion on one indicator per touch
    point met on the path to purchase (Agresti 2013, *Categorical Data
    Analysis*, 3rd ed., ch. 5), so each touch point is compared with journeys
    that met the same other touch points. Aggregate where the data live, infer
    on summaries: the journeys are grouped by their pattern of indicators in
    the engine (:func:`journey_patterns`), and the binomial GLM (statsmodels)
    is fitted on that small table (identical to the fit on one row per
    journey). The dispersion is estimated (quasi-binomial, Pearson ``X^2 /
    df``, never below 1), so patterns the additive model does not fit widen the
    intervals rather than produce verdicts. Wald tests are Holm-adjusted over
    touch points.

    Why adjust: touch points are met together (a store visit usually follows a
    question asked in the store), so a crude comparison of the journeys
    through a touch point with the others also carries the effect of the
    failing touch points its journeys share. ``adj_diff`` is the average
    change in the predicted conversion of the journeys through the touch point
    if they had not met it (percentage points, delta-method interval);
    ``odds_ratio`` is the model's.

    What is left out: after-sales (``cultivation``-stage) contacts are
    attributed to the purchase they follow (:func:`journeys`) and are never on
    a path to purchase, so they get no row; nor does the conversion touch
    point. Touch points met on every journey, or only together with another
    one, or whose journeys all convert (or none do), are not estimable (``p``
    NaN, no verdict). The comparison is observational: it adjusts for the
    other touch points and nothing else.

    Parameters
    ----------
    interactions : pandas.DataFrame or ibis Table
        The event log (see :func:`journeys`).
    level : float
        Confidence level of the intervals; a verdict needs ``p_adj < 1 - level``.
    bands : (int, int)
        Base-size bands for ``flag`` (journeys through the touch point).
    min_reach : float
        Touch points met on a smaller share of the journeys sort with the low
        bases, at the end.

    Returns
    -------
    pandas.DataFrame
        One row per touch point on a path to purchase: ``touchpoint, journeys,
        reach, converted, conv_rate, odds_ratio, or_low, or_high, adj_diff,
        adj_diff_low, adj_diff_high, p, p_adj, verdict, flag, level``;
        ``verdict`` is ``"loses customers"``, ``"helps"`` or ``""``. Sorted by
        evidence: reportable bases first, by ``p_adj`` (smallest first);
        ``"indicative"`` and ``"unreliable"`` bases (fewer than ``bands[1]``
        journeys), touch points below ``min_reach`` and untested rows last.
        ``attrs["dispersion"]`` is the dispersion factor used.

    Examples
    --------
    Journeys through B meet A, which loses customers, more often than the
    others do: crude, B looks harmful; given the other touch points it is not.

    >>> import pandas as pd
    >>> paths = {("A", "B"): (200, 60), ("A",): (50, 15), ("B",): (50, 30), ("C",): (200, 120)}
    >>> rows = []
    >>> for path, (n, conv) in paths.items():
    ...     for i in range(n):
    ...         full = [*path, "Purchase"] if i < conv else list(path)
    ...         rows += [("".join(path) + str(i), day, tp) for day, tp in enumerate(full)]
    >>> ev = pd.DataFrame(rows, columns=["customer_id", "day", "touchpoint"])
    >>> ev = ev.assign(timestamp=pd.Timestamp("2025-01-01") + pd.to_timedelta(ev["day"], "D"),
    ...                stage="interaction")
    >>> r = touchpoint_effects(ev).set_index("touchpoint")
    >>> r["verdict"].sort_index().to_dict()
    {'A': 'loses customers', 'B': '', 'C': ''}
    >>> crude = removal_effects(ev, n_boot=0).set_index("touchpoint").loc["B"]
    >>> round(float(crude["diff"])), bool(crude["p_crude"] < 0.001)
    (-18, True)
    """

    level = check_level(level, "touchpoint_effects")
    pat = journey_patterns(
        interactions,
        gap_days=gap_days,
        conversion=conversion,
        customer=customer,
        time=time,
        touchpoint=touchpoint,
        stage=stage,
        tiebreak=tiebreak,
    )
    tps = [c for c in pat.columns if c not in ("journeys", "converted")]
    fit = _logit_effects(pat, tps, level)
    n1 = np.array([pat.loc[pat[tp], "journeys"].sum() for tp in tps], float)
    c1 = np.array([pat.loc[pat[tp], "converted"].sum() for tp in tps], float)
    out = pd.DataFrame(
        {
            "touchpoint": tps,
            "journeys": n1.astype("int64"),
            "reach": n1 / float(pat["journeys"].sum()),
            "converted": c1.astype("int64"),
            "conv_rate": 100 * c1 / np.where(n1 > 0, n1, np.nan),
        }
    )
    for col in _ADJ_COLS[:-2]:
        out[col] = fit[col].to_numpy(float)
    out["p_adj"] = stats.adjust_pvalues(out["p"].to_numpy(float), "holm")
    sig = (out["p_adj"] < 1 - level).to_numpy()
    out["verdict"] = np.where(
        sig & (out["odds_ratio"] < 1),
        "loses customers",
        np.where(sig & (out["odds_ratio"] > 1), "helps", ""),
    )
    out["flag"] = stats.base_flag(out["journeys"].to_numpy(float), bands)
    out["level"] = level
    out = _by_evidence(out, min_reach)
    out.attrs["dispersion"] = fit.attrs["phi"]
    return out


def touchpoint_verdict_text(result: pd.DataFrame) -> str:
    """The report's sentences on which touch points lose customers (Markdown).

    Takes a :func:`removal_effects` (or :func:`touchpoint_effects`) result and
    states the adjusted verdicts only: a touch point *loses customers* when the
    logistic model of :func:`touchpoint_effects` says so, with its adjusted
    difference and interval. Touch points whose crude difference is negative
    (interval below zero) but which the adjusted model clears are named as such,
    so a reader of the crude table is not misled; verdicts on fewer than 30
    journeys are withheld. Names are escaped with
    :func:`cxlab.report.md_escape`.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"touchpoint": ["A*", "B"], "journeys": [300, 250],
    ...     "conv_rate": [30.0, 36.0], "diff": [-25.0, -18.0], "diff_low": [-32.0, -26.0],
    ...     "diff_high": [-18.0, -10.0], "adj_diff": [-30.0, 0.0],
    ...     "adj_diff_low": [-40.0, -9.0], "adj_diff_high": [-20.0, 9.0],
    ...     "p_adj": [1e-6, 1.0], "verdict": ["loses customers", ""],
    ...     "flag": ["reportable", "reportable"], "level": 0.95})
    >>> print(touchpoint_verdict_text(r))  # doctest: +NORMALIZE_WHITESPACE
    Given the other touch points met on the same journey, journeys through **A\\*** convert
    30.0 points less (95% interval -40.0 to -20.0; Holm-adjusted p < 0.001): it loses
    customers.
    <BLANKLINE>
    **B** looks worse in the crude comparison (-18.0 points) only because its journeys
    also meet other touch points: given those, the difference is +0.0 points (95% interval
    -9.0 to +9.0), no evidence that it loses customers.
    <BLANKLINE>
    Logistic regression of conversion on the touch points met (quasi-binomial, Holm-adjusted
    over touch points; Agresti 2013). After-sales contacts count towards the purchase they
    follow, not the next journey. Observational: other differences between journeys are not
    adjusted for.
    """
    from cxlab._html import md_escape as e

    if result.empty:
        return "No touch point on a path to purchase."
    level = float(result["level"].iloc[0]) if "level" in result else 0.95
    ok = result["flag"] != "unreliable"
    lose = result[ok & (result["verdict"] == "loses customers")]
    parts = []

    def _p(p: float) -> str:
        return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"

    if len(lose):
        items = [
            f"**{e(r.touchpoint)}** convert {abs(r.adj_diff):.1f} points less "
            f"({level:.0%} interval {r.adj_diff_low:+.1f} to {r.adj_diff_high:+.1f}; "
            f"Holm-adjusted {_p(r.p_adj)})"
            + (" on an indicative base" if r.flag == "indicative" else "")
            for r in lose.itertuples()
        ]
        verb = "it loses customers" if len(lose) == 1 else "they lose customers"
        parts.append(
            "Given the other touch points met on the same journey, journeys through "
            + "; ".join(items)
            + f": {verb}."
        )
    else:
        parts.append(
            "No touch point loses customers once the other touch points met on the same "
            "journey are taken into account."
        )
    cleared = result[ok & (result["diff_high"] < 0) & (result["verdict"] != "loses customers")]
    cleared = cleared[cleared["adj_diff"].notna()]
    for r in cleared.itertuples():
        parts.append(
            f"**{e(r.touchpoint)}** looks worse in the crude comparison ({r.diff:+.1f} points) "
            "only because its journeys also meet other touch points: given those, the "
            f"difference is {r.adj_diff:+.1f} points ({level:.0%} interval "
            f"{r.adj_diff_low:+.1f} to {r.adj_diff_high:+.1f}), no evidence that it loses "
            "customers."
        )
    few = result[~ok]
    if len(few):
        parts.append(
            "Too few journeys (under 30) to judge: "
            + ", ".join(e(t) for t in few["touchpoint"])
            + "."
        )
    parts.append(
        "Logistic regression of conversion on the touch points met (quasi-binomial, "
        "Holm-adjusted over touch points; Agresti 2013). After-sales contacts count towards the "
        "purchase they follow, not the next journey. Observational: other differences between "
        "journeys are not adjusted for."
    )
    return "\n\n".join(parts)


_FLAG_RANK = {"reportable": 0, "": 0, "indicative": 1, "unreliable": 2}


def _by_evidence(out: pd.DataFrame, min_reach: float = 0.01) -> pd.DataFrame:
    """Reportable bases first, by adjusted p (smallest first); low bases, touch points met
    on fewer than ``min_reach`` of the journeys and untested rows last."""
    rank = out["flag"].map(_FLAG_RANK).fillna(2).to_numpy(float)
    low_reach = (out["reach"] < min_reach).to_numpy() if "reach" in out else False
    key = out.assign(
        _f=np.where(low_reach, np.maximum(rank, 1), rank),
        _na=out["p_adj"].isna(),
        _d=out["adj_diff"] if "adj_diff" in out else np.nan,
    )
    key = key.sort_values(
        ["_f", "_na", "p_adj", "_d", "touchpoint"], kind="stable", na_position="last"
    )
    return key.drop(columns=["_f", "_na", "_d"]).reset_index(drop=True)


# ======================================================================= stage funnel


def stage_dropoff(
    interactions: pd.DataFrame | ir.Table,
    *,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    level: float = 0.95,
    **columns: str,
) -> pd.DataFrame:
    """Journeys reaching each step of attraction -> interaction -> conversion -> cultivation.

    ``interaction`` counts interaction-stage events other than the conversion
    touch point. ``continued`` is the share of journeys that reached the previous
    step and also reached this one (Wilson interval); ``drop_off = 100 -
    continued``.

    Returns
    -------
    pandas.DataFrame
        ``step, journeys, share_of_all, continued, continued_low,
        continued_high, drop_off, level`` (shares in percent).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03",
    ...                                  "2025-01-01", "2025-01-02"]),
    ...     "touchpoint": ["Ad", "Store visit", "Purchase", "Ad", "Store visit"],
    ...     "stage": ["attraction", "interaction", "interaction", "attraction", "interaction"],
    ...     "channel": "web"})
    >>> stage_dropoff(ev)[["step", "journeys", "drop_off"]].values.tolist()[:3]
    [['attraction', 2, nan], ['interaction', 2, 0.0], ['conversion', 1, 50.0]]
    """
    s = journey_summary(interactions, gap_days=gap_days, conversion=conversion, **columns)
    steps = ["attraction", "interaction", "conversion", "cultivation"]
    reached = {st: s[f"t_{st}"].notnull() for st in steps}
    aggs: dict[str, Any] = {"n_all": s.count()}
    for i, st in enumerate(steps):
        aggs[f"r_{st}"] = reached[st].sum()
        if i:
            aggs[f"b_{st}"] = (reached[steps[i - 1]] & reached[st]).sum()
    g = s.aggregate(**aggs).to_pandas().iloc[0].fillna(0)
    n_all = float(g["n_all"])
    if n_all == 0:
        raise CxlabError("interactions: no journeys.")
    rows = []
    for i, st in enumerate(steps):
        r = int(g[f"r_{st}"])
        if i:
            prev = float(g[f"r_{steps[i - 1]}"])
            est, lo, hi = stats.proportion_ci(float(g[f"b_{st}"]), prev, level=level)
        else:
            est = lo = hi = np.nan
        rows.append(
            {
                "step": st,
                "journeys": r,
                "share_of_all": 100 * r / n_all,
                "continued": est,
                "continued_low": lo,
                "continued_high": hi,
                "drop_off": 100 - est,
                "level": level,
            }
        )
    return pd.DataFrame(rows)


def time_between_stages(
    interactions: pd.DataFrame | ir.Table,
    *,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    quantiles: Sequence[float] = (0.25, 0.5, 0.75, 0.9),
    **columns: str,
) -> pd.DataFrame:
    """Days from the first event of one step to the first of the next, per journey.

    Steps as in :func:`stage_dropoff`. Quantiles (``quantile_cont``) and means are
    computed in the engine over the journeys that reached both steps.

    Returns
    -------
    pandas.DataFrame
        ``from_step, to_step, journeys, mean_days``, then ``q25, q50, ...``.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a"],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-04"]),
    ...     "touchpoint": ["Ad", "Store visit", "Purchase"],
    ...     "stage": ["attraction", "interaction", "interaction"], "channel": "web"})
    >>> time_between_stages(ev)[["from_step", "to_step", "q50"]].values.tolist()[:2]
    [['attraction', 'interaction', 2.0], ['interaction', 'conversion', 1.0]]
    """
    s = journey_summary(interactions, gap_days=gap_days, conversion=conversion, **columns)
    steps = ["attraction", "interaction", "conversion", "cultivation"]
    rows = []
    for a, b in zip(steps[:-1], steps[1:], strict=True):
        d = (s[f"t_{b}"].epoch_seconds() - s[f"t_{a}"].epoch_seconds()) / 86400.0
        both = s[f"t_{a}"].notnull() & s[f"t_{b}"].notnull()
        aggs = {"journeys": both.sum(), "mean_days": d.mean(where=both)}
        for q in quantiles:
            aggs[f"q{round(100 * q):02d}"] = d.quantile(q, where=both)
        g = s.aggregate(**aggs).to_pandas().iloc[0]
        rows.append({"from_step": a, "to_step": b, **g.to_dict()})
    out = pd.DataFrame(rows)
    out["journeys"] = out["journeys"].fillna(0).astype("int64")
    return out


# ==================================================================== touch points


def interactions_view(con: Any, unit: str = "ALL") -> ir.Table:
    """The ``interactions`` table, restricted to one business unit's customers.

    Interactions carry no unit; a customer's unit is in ``customers``.
    ``unit="ALL"`` keeps everything.
    """
    it = con.table("interactions")
    if unit == "ALL":
        return it
    cu = con.table("customers")
    units = cu.select("unit").distinct().to_pandas()["unit"].tolist()
    if unit not in units:
        raise CxlabError(f"unit {unit!r} not in the warehouse; units: {', '.join(sorted(units))}.")
    keep = cu.filter(cu.unit == unit).select("customer_id")
    return it.semi_join(keep, "customer_id")


def _responses(con: Any, unit: str) -> ir.Table:
    r = con.table("responses")
    if unit == "ALL":
        return r
    units = r.select("unit").distinct().to_pandas()["unit"].tolist()
    if unit not in units:
        raise CxlabError(f"unit {unit!r} not in the warehouse; units: {', '.join(sorted(units))}.")
    return r.filter(r.unit == unit)


def inventory(
    con: Any,
    *,
    unit: str = "ALL",
    level: float = 0.95,
    gap_days: float = 30,
    conversion: str = PURCHASE,
    weight: str | None = None,
) -> pd.DataFrame:
    """The touch-point inventory with each touch point's relationship and operational scores.

    One row per touch point of the ``touchpoints`` table (channels listed),
    joined to its survey scores -- NPS (adjusted-Wald interval, tested against
    all other touch points with Holm's correction, :func:`cxlab.report.versus_rest`),
    CSAT % 4-5 and CES % 5-7 (Wilson intervals) -- and to one operational KPI
    derivable from the interactions: the conversion rate of the journeys that pass
    through the touch point (see :func:`removal_effects`). Touch points
    without responses or interactions keep NaN scores.

    Parameters
    ----------
    con : ibis backend
        From :func:`cxlab.warehouse.connect`.
    unit : str
        A business unit or ``"ALL"``.
    weight : str, optional
        Survey-weight column of the responses: NPS, CSAT and CES shares are weighted and their
        intervals rest on the Kish effective n (``n`` stays the number of
        responses). Counts of interactions and journeys are never weighted:
        survey weights weight survey responses, not events. ``None``: unweighted.

    Returns
    -------
    pandas.DataFrame
        ``touchpoint, stage, channels, intentional, owner, operational_kpi,
        n, n_eff, nps, nps_low, nps_high, nps_rest, p_adj, verdict, flag, csat_top2,
        csat_low, csat_high, ces_easy, ces_low, ces_high, journeys, conv_rate,
        conv_low, conv_high, conv_flag, interactions, weak`` in journey order (stage, then
        name). ``weak`` is true when the NPS is significantly below the other
        touch points (``verdict == "below"``); ``conv_flag`` is the base-size flag of
        the journeys through it (after-sales touch points join the purchase
        they follow, so they lie on a path to purchase only when a customer's
        contact precedes all their purchases: their conversion is usually NaN).

    Examples
    --------
    >>> from cxlab import warehouse
    >>> inv = inventory(warehouse.connect("data/cxlab.duckdb"))  # doctest: +SKIP
    """
    from cxlab.metrics import ces, csat, nps
    from cxlab.report import versus_rest

    tp = con.table("touchpoints")
    inv = (
        tp.group_by("touchpoint")
        .aggregate(
            stage=tp.stage.first(),
            channels=tp.channel.group_concat(", ", order_by=tp.channel),
            intentional=tp.intentional.any(),
            owner=tp.owner.first(),
            operational_kpi=tp.operational_kpi.first(),
        )
        .to_pandas()
    )
    if inv.empty:
        raise CxlabError("table 'touchpoints' is empty: load the touch-point inventory first.")
    r = _responses(con, unit)
    n = versus_rest(nps(r, "ltr", by="touchpoint", level=level, weight=weight), level=level)
    n = n.rename(columns={"low": "nps_low", "high": "nps_high"})
    n = n[
        ["touchpoint", "n", "n_eff", "nps", "nps_low", "nps_high", "nps_rest", "p_adj", "verdict"]
        + ["flag"]
    ]
    cs = csat(r, "csat", by="touchpoint", level=level, weight=weight)[
        ["touchpoint", "top_box", "top_box_low", "top_box_high"]
    ].rename(
        columns={"top_box": "csat_top2", "top_box_low": "csat_low", "top_box_high": "csat_high"}
    )
    ce = ces(r, "ces", by="touchpoint", level=level, weight=weight)[
        ["touchpoint", "top_box", "top_box_low", "top_box_high"]
    ].rename(columns={"top_box": "ces_easy", "top_box_low": "ces_low", "top_box_high": "ces_high"})
    it = interactions_view(con, unit)
    ev = it.group_by("touchpoint").aggregate(interactions=it.count()).to_pandas()
    out = inv.merge(n, on="touchpoint", how="left").merge(cs, on="touchpoint", how="left")
    out = out.merge(ce, on="touchpoint", how="left").merge(ev, on="touchpoint", how="left")
    try:
        re = removal_effects(it, gap_days=gap_days, conversion=conversion, level=level, n_boot=0)
        re = re[["touchpoint", "journeys", "conv_rate", "conv_low", "conv_high"]]
        out = out.merge(re, on="touchpoint", how="left")
    except CxlabError:
        for c in ("journeys", "conv_rate", "conv_low", "conv_high"):
            out[c] = np.nan
    out["conv_flag"] = np.where(
        out["journeys"].isna(), "", stats.base_flag(out["journeys"].fillna(0).to_numpy(float))
    )
    out["interactions"] = out["interactions"].fillna(0).astype("int64")
    out["n"] = out["n"].fillna(0).astype("int64")
    out["n_eff"] = out["n_eff"].fillna(0.0)
    out["weak"] = out["verdict"].eq("below")
    out["_s"] = out["stage"].map({s: i for i, s in enumerate(STAGES)})
    out = out.sort_values(["_s", "touchpoint"], kind="stable").drop(columns="_s")
    return out.reset_index(drop=True)


def touchpoint_vs_overall(
    responses: pd.DataFrame | ir.Table,
    score: str = "ltr",
    *,
    touchpoint: str = "touchpoint",
    customer: str = "customer_id",
    level: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """A customer's score at each touch point against the same customer's score elsewhere.

    For every customer who rated touch point ``k`` and answered at least one other
    survey, ``x`` is their mean score at ``k`` and ``y`` their mean score at all
    *other* touch points (excluding ``k`` avoids the part-whole correlation).
    Per touch point: the paired gap ``mean(x - y)`` with a t interval (a negative
    gap: the touch point is worse than these customers' experience overall) and
    Pearson's ``r`` between ``x`` and ``y`` with a Fisher-z interval (does the
    touch point move with the overall experience?). Sums, squares and products
    are computed in the engine.

    Returns
    -------
    pandas.DataFrame
        ``touchpoint, n, mean_here, mean_elsewhere, gap, gap_low, gap_high, p,
        r, r_low, r_high, flag, level`` sorted by ``gap`` (worst first); ``flag``
        is ``"too few"`` when ``n < min_n``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"customer_id": list("aabbcc"), "touchpoint": list("XYXYXY"),
    ...                    "ltr": [2, 8, 4, 9, 3, 10]})
    >>> touchpoint_vs_overall(df, min_n=1)[["touchpoint", "n", "gap"]].values.tolist()
    [['X', 3, -6.0], ['Y', 3, 6.0]]
    """
    from scipy import stats as sps

    t = as_table(responses)
    check_columns(t, [score, touchpoint, customer], "responses")
    t = t.filter(t[score].notnull())
    x = t[score].cast("float64")
    tot = t.group_by(customer).aggregate(s_all=x.sum(), n_all=x.count())
    per = t.group_by([customer, touchpoint]).aggregate(s_k=x.sum(), n_k=x.count())
    j = per.join(tot, customer)
    j = j.filter(j.n_all > j.n_k)
    xk = j.s_k / j.n_k
    yk = (j.s_all - j.s_k) / (j.n_all - j.n_k)
    g = (
        j.mutate(_x=xk, _y=yk)
        .group_by(touchpoint)
        .aggregate(
            n=ibis._.count(),
            sx=ibis._._x.sum(),
            sy=ibis._._y.sum(),
            sxx=(ibis._._x * ibis._._x).sum(),
            syy=(ibis._._y * ibis._._y).sum(),
            sxy=(ibis._._x * ibis._._y).sum(),
        )
        .to_pandas()
    )
    if g.empty:
        raise CxlabError(
            "responses: no customer answered at more than one touch point, so no touch point "
            "can be compared with the same customers' overall experience."
        )
    n = g["n"].to_numpy(float)
    mx, my = g["sx"] / n, g["sy"] / n
    sdd = g["sxx"] - 2 * g["sxy"] + g["syy"]
    gap, gse, glo, ghi = stats.mean_ci(g["sx"] - g["sy"], sdd.clip(lower=0), n, level=level)
    with np.errstate(invalid="ignore", divide="ignore"):
        tstat = np.where(gse > 0, gap / gse, np.nan)
        p = 2 * sps.t.sf(np.abs(tstat), np.maximum(n - 1, 1))
        cxx = g["sxx"] - n * mx**2
        cyy = g["syy"] - n * my**2
        cxy = g["sxy"] - n * mx * my
        r = (cxy / np.sqrt(cxx * cyy)).to_numpy(float)
        r = np.where(np.isfinite(r), np.clip(r, -1, 1), np.nan)
        zq = float(sps.norm.ppf(0.5 + level / 2))
        r_low, r_high = stats.fisher_ci(r, 1 / np.sqrt(np.where(n > 3, n - 3, np.nan)), zq)
    out = pd.DataFrame(
        {
            "touchpoint": g[touchpoint],
            "n": n.astype("int64"),
            "mean_here": mx,
            "mean_elsewhere": my,
            "gap": gap,
            "gap_low": glo,
            "gap_high": ghi,
            "p": p,
            "r": r,
            "r_low": r_low,
            "r_high": r_high,
        }
    )
    out["flag"] = np.where(out["n"] < min_n, "too few", "")
    out["level"] = level
    return out.sort_values(["gap", "touchpoint"], kind="stable").reset_index(drop=True)


# ========================================================================= channels


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
    gap_days: float = 30,
    conversion: str = PURCHASE,
    level: float = 0.95,
    score: str = "ltr",
    weight: str | None = None,
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

    level = check_level(level, "channel_switching")
    s = journey_summary(interactions, gap_days=gap_days, conversion=conversion)
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
            _two_proportions(c1, n1, c0, n0, level)
        )
    if responses is not None:
        r = as_table(responses)
        check_columns(r, ["customer_id", "survey_date", score, weight], "responses")
        ends = s.select(_cust=s.customer_id, switched=s.switched, _end=s.end.cast("date"))
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


# ====================================================================== case studies

KPI_COLS = ("conv_rate", "conv_low", "conv_high")
_METRIC_SCALE = {"nps": (-100.0, 100.0), "csat": (1.0, 5.0), "ces": (1.0, 7.0)}
_TP_FIELDS = {
    "name",
    "stage",
    "channel",
    "intentional",
    "operational",
    "relationship",
    "query",
    "customers",
    "in_aggregate",
    "note",
}
_CASE_FIELDS = {"name", "description", "scale", "weak_below", "aggregate", "touchpoints", "source"}


@dataclass
class CaseStudy:
    """A validated journey case study (see :func:`load_case`)."""

    name: str
    description: str
    scale: tuple[float, float]
    weak_below: float
    touchpoints: list[dict[str, Any]]
    aggregate: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    path: str = ""


def _case_dir() -> Path:
    return Path(str(importlib.resources.files("cxlab") / "case_studies"))


def list_cases() -> list[str]:
    """Names of the case studies shipped with cxlab (``cxlab/case_studies/*.yaml``).

    Examples
    --------
    >>> "electronics_product_launch" in list_cases()
    True
    """
    return sorted(p.stem for p in _case_dir().glob("*.yaml"))


def _resolve_case(case: str | Path) -> Path:
    p = Path(case)
    if p.is_file():
        return p
    shipped = _case_dir() / f"{p.stem if p.suffix in ('.yaml', '.yml') else case}.yaml"
    if shipped.is_file() and (p.parent == Path(".") or not p.parent.exists()):
        return shipped
    raise CxlabError(
        f"case study {str(case)!r}: no such file, and not a shipped case "
        f"({', '.join(list_cases())})."
    )


class _CaseErrors:
    def __init__(self, where: str) -> None:
        self.where = where
        self.items: list[str] = []

    def add(self, msg: str, tp: tuple[int, str] | None = None) -> None:
        loc = f"touch point {tp[0]} ({tp[1]!r}): " if tp else ""
        self.items.append(loc + msg)

    def raise_if_any(self) -> None:
        if self.items:
            raise CxlabError(f"{self.where}: invalid case study:\n  - " + "\n  - ".join(self.items))


def _is_number(v: Any) -> TypeGuard[float]:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _validate_case(doc: Any, where: str) -> CaseStudy:
    err = _CaseErrors(where)
    if not isinstance(doc, Mapping):
        err.add("the file must hold a mapping with 'name', 'scale' and 'touchpoints'.")
        err.raise_if_any()
    unknown = set(doc) - _CASE_FIELDS
    if unknown:
        err.add(f"unknown field(s) {sorted(unknown)}; allowed: {sorted(_CASE_FIELDS)}.")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        err.add("field 'name': required, a non-empty text.")
    desc = doc.get("description", "")
    if not isinstance(desc, str):
        err.add("field 'description': must be text.")
    scale = doc.get("scale")
    ok_scale = (
        isinstance(scale, Sequence)
        and not isinstance(scale, str)
        and len(scale) == 2
        and all(_is_number(v) for v in scale)
        and scale[0] < scale[1]
    )
    if not ok_scale:
        err.add(
            f"field 'scale': required, [low, high] with low < high (e.g. [0, 10]), not {scale!r}."
        )
        scale = (0.0, 10.0)
    lo, hi = float(scale[0]), float(scale[1])
    weak_below = doc.get("weak_below", lo + (hi - lo) / 2)
    if not _is_number(weak_below) or not lo <= weak_below <= hi:
        err.add(
            f"field 'weak_below': a number within the scale {lo:g}..{hi:g}, not {weak_below!r}."
        )
        weak_below = lo + (hi - lo) / 2
    tps = doc.get("touchpoints")
    if not isinstance(tps, list) or not tps:
        err.add("field 'touchpoints': required, a non-empty list of touch points in journey order.")
        tps = []
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for i, tp in enumerate(tps, start=1):
        if not isinstance(tp, Mapping):
            err.add(f"touch point {i}: must be a mapping with at least 'name' and 'stage'.")
            continue
        nm = tp.get("name")
        here = (i, str(nm))
        if not isinstance(nm, str) or not nm.strip():
            err.add("field 'name': required, a non-empty text.", here)
        elif nm in seen:
            err.add("field 'name': duplicate touch point name.", here)
        seen.add(str(nm))
        bad = set(tp) - _TP_FIELDS
        if bad:
            err.add(f"unknown field(s) {sorted(bad)}; allowed: {sorted(_TP_FIELDS)}.", here)
        if tp.get("stage") not in STAGES:
            err.add(f"field 'stage': one of {list(STAGES)}, not {tp.get('stage')!r}.", here)
        if "channel" in tp and not isinstance(tp["channel"], str):
            err.add("field 'channel': must be text.", here)
        if not isinstance(tp.get("intentional", True), bool):
            err.add(f"field 'intentional': true or false, not {tp.get('intentional')!r}.", here)
        if "customers" in tp and (not _is_number(tp["customers"]) or tp["customers"] < 0):
            err.add(f"field 'customers': a number >= 0, not {tp['customers']!r}.", here)
        if not isinstance(tp.get("in_aggregate", True), bool):
            err.add(f"field 'in_aggregate': true or false, not {tp.get('in_aggregate')!r}.", here)
        op = tp.get("operational")
        if op is not None:
            if not isinstance(op, Mapping):
                err.add("field 'operational': a mapping {kpi, value, target}.", here)
            else:
                if not isinstance(op.get("kpi"), str):
                    err.add("field 'operational.kpi': required, text.", here)
                val = op.get("value")
                if not (_is_number(val) or val == "conversion"):
                    err.add(
                        "field 'operational.value': a number, or 'conversion' (conversion of the "
                        f"warehouse journeys through the touch point), not {val!r}.",
                        here,
                    )
                if "target" in op and not _is_number(op["target"]):
                    err.add(f"field 'operational.target': a number, not {op['target']!r}.", here)
                if op.get("better", "higher") not in ("higher", "lower"):
                    err.add(
                        f"field 'operational.better': 'higher' or 'lower', not {op['better']!r}.",
                        here,
                    )
        rel, q = tp.get("relationship"), tp.get("query")
        if (rel is None) == (q is None):
            err.add("give exactly one of 'relationship' {score} or 'query' {metric, filter}.", here)
        if rel is not None:
            sc = rel.get("score") if isinstance(rel, Mapping) else None
            if not _is_number(sc) or not lo <= sc <= hi:
                err.add(
                    f"field 'relationship.score': a number within the scale {lo:g}..{hi:g}, "
                    f"not {sc!r}.",
                    here,
                )
        if q is not None:
            if not isinstance(q, Mapping):
                err.add("field 'query': a mapping {metric, filter}.", here)
            else:
                m = q.get("metric")
                if m not in _METRIC_SCALE:
                    err.add(f"field 'query.metric': one of {list(_METRIC_SCALE)}, not {m!r}.", here)
                elif _METRIC_SCALE[m] != (lo, hi):
                    slo, shi = _METRIC_SCALE[m]
                    err.add(
                        f"field 'query.metric': {m} runs {slo:g}..{shi:g} but the case's scale is "
                        f"{lo:g}..{hi:g}.",
                        here,
                    )
                flt = q.get("filter", {})
                if not isinstance(flt, Mapping) or set(flt) - {"touchpoint", "channel", "unit"}:
                    err.add(
                        "field 'query.filter': a mapping of touchpoint / channel / unit to a value "
                        f"or a list of values, not {flt!r}.",
                        here,
                    )
        clean.append(dict(tp))
    agg = doc.get("aggregate", {}) or {}
    if not isinstance(agg, Mapping):
        err.add("field 'aggregate': a mapping {label, score} or {label, query}.")
        agg = {}
    else:
        if "score" in agg and (not _is_number(agg["score"]) or not lo <= agg["score"] <= hi):
            err.add(
                f"field 'aggregate.score': a number within {lo:g}..{hi:g}, not {agg['score']!r}."
            )
        if "query" in agg:
            q = agg["query"]
            if not isinstance(q, Mapping) or q.get("metric") not in _METRIC_SCALE:
                err.add(f"field 'aggregate.query.metric': one of {list(_METRIC_SCALE)}.")
    err.raise_if_any()
    return CaseStudy(
        name=str(name),
        description=str(desc),
        scale=(lo, hi),
        weak_below=float(weak_below),
        touchpoints=clean,
        aggregate=dict(agg),
        source=str(doc.get("source", "")),
        path=where,
    )


def load_case(case: str | Path) -> CaseStudy:
    """Read and validate a journey case study (YAML).

    ``case`` is a path, or the name of a shipped case (:func:`list_cases`).
    Every problem is reported at once; messages name the file, the touch point
    and the field.

    The file::

        name: text
        description: text                 # optional
        scale: [0, 10]                     # the relationship scores' scale
        weak_below: 5                      # optional; default: the scale's midpoint
        aggregate:                         # optional: the headline that may mask
          label: text
          score: 8.9                       # or query: {metric, filter}
        touchpoints:                       # in journey order
          - name: text
            stage: attraction | interaction | cultivation
            channel: text                  # optional
            intentional: true | false      # default true
            customers: 4000                # optional: customers who met it
            in_aggregate: true | false     # optional: are they in the aggregate's sample?
            operational: {kpi: text, value: 0.12 | conversion, target: 0.25,
                          better: higher | lower}              # optional
            relationship: {score: 3}       # or:
            query: {metric: nps | csat | ces,
                    filter: {touchpoint: ..., channel: ..., unit: ...}}

    Examples
    --------
    >>> c = load_case("electronics_product_launch")
    >>> [tp["name"] for tp in c.touchpoints][:2]
    ['Media buzz', 'Store and phone staff: questions and pre-orders']
    """
    import yaml

    p = _resolve_case(case)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CxlabError(f"{p}: not valid YAML: {exc}") from None
    return _validate_case(doc, str(p))


def _query_score(
    con: Any, q: Mapping[str, Any], level: float, unit: str = "ALL", weight: str | None = None
) -> tuple[float, float, float, int]:
    from cxlab.metrics import ces, csat, nps

    r = _responses(con, unit) if "unit" not in (q.get("filter") or {}) else con.table("responses")
    for col, val in (q.get("filter") or {}).items():
        vals = val if isinstance(val, list) else [val]
        r = r.filter(r[col].isin(vals))
    m = q["metric"]
    if m == "nps":
        row = nps(r, "ltr", level=level, weight=weight).iloc[0]
        return float(row["nps"]), float(row["low"]), float(row["high"]), int(row["n"])
    f = csat if m == "csat" else ces
    row = f(r, m, level=level, weight=weight).iloc[0]
    return float(row["mean"]), float(row["mean_low"]), float(row["mean_high"]), int(row["n"])


def case_study(
    case: str | Path | CaseStudy,
    con: Any = None,
    *,
    level: float = 0.95,
    gap_days: float = 30,
    unit: str = "ALL",
    weight: str | None = None,
) -> pd.DataFrame:
    """Score a journey case study: one row per touch point in journey order.

    Literal scores are taken as given; ``query`` touch points are scored on the
    warehouse (``con``) with :func:`cxlab.nps` / :func:`cxlab.csat` /
    :func:`cxlab.ces` (CSAT and CES: the mean), with intervals; an operational
    ``value: conversion`` is the conversion rate of the warehouse journeys through
    the touch point (:func:`removal_effects`), with its Wilson interval. ``unit``
    restricts the warehouse queries to one business unit (a query's own ``unit``
    filter wins). ``weight`` (a survey-weight column of the responses) weights
    the queried scores (``n`` stays the number of responses); the conversion
    KPI counts journeys and is never weighted. A touch
    point is *weak* when its relationship score is below ``weak_below`` or its
    operational KPI misses the target (for a warehouse-derived KPI: the whole
    interval is on the wrong side of the target).

    Returns
    -------
    pandas.DataFrame
        ``order, touchpoint, stage, channel, intentional, kpi, kpi_value,
        kpi_low, kpi_high, kpi_target, kpi_met, score, score_low, score_high, n, customers,
        in_aggregate, weak, weak_reason``; ``attrs`` holds the case (``case``),
        the scale and ``weak_below``.

    Examples
    --------
    >>> r = case_study("electronics_product_launch")
    >>> r.loc[r["weak"], "order"].tolist()
    [2, 5]
    """
    c = case if isinstance(case, CaseStudy) else load_case(case)
    needs_con = any("query" in tp for tp in c.touchpoints) or "query" in c.aggregate
    needs_con |= any(
        (tp.get("operational") or {}).get("value") == "conversion" for tp in c.touchpoints
    )
    if needs_con and con is None:
        raise CxlabError(
            f"{c.path}: this case study queries the warehouse; pass con="
            "cxlab.warehouse.connect(...)."
        )
    conv = None
    rows = []
    for i, tp in enumerate(c.touchpoints, start=1):
        op = tp.get("operational") or {}
        val = op.get("value")
        if val == "conversion":
            if conv is None:
                conv = removal_effects(
                    interactions_view(con, unit), gap_days=gap_days, level=level, n_boot=0
                ).set_index("touchpoint")
            tpname = (tp.get("query") or {}).get("filter", {}).get("touchpoint", tp["name"])
            if tpname not in conv.index:
                raise CxlabError(
                    f"{c.path}: touch point {i} ({tp['name']!r}): field 'operational.value': "
                    f"no journeys pass through {tpname!r} in the warehouse."
                )
            val, klo, khi = (float(conv.loc[tpname, k]) / 100.0 for k in KPI_COLS)
        else:
            klo = khi = np.nan
        target = op.get("target", np.nan)
        met = np.nan
        if _is_number(val) and _is_number(target) and not np.isnan(val):
            higher = op.get("better", "higher") == "higher"
            # a warehouse-derived KPI misses only when its interval excludes the target
            v_hi = val if np.isnan(khi) else khi
            v_lo = val if np.isnan(klo) else klo
            met = bool(v_hi >= target) if higher else bool(v_lo <= target)
        n: float
        if "query" in tp:
            score, slo, shi, n = _query_score(con, tp["query"], level, unit, weight)
        else:
            score, slo, shi, n = float(tp["relationship"]["score"]), np.nan, np.nan, np.nan
        reasons = []
        if score < c.weak_below:
            reasons.append(f"score {score:.3g} below {c.weak_below:g}")
        if met is False:
            reasons.append(f"{op.get('kpi')} {val:.3g} misses target {target:.3g}")
        rows.append(
            {
                "order": i,
                "touchpoint": tp["name"],
                "stage": tp["stage"],
                "channel": tp.get("channel", ""),
                "intentional": bool(tp.get("intentional", True)),
                "kpi": op.get("kpi", ""),
                "kpi_value": float(val) if _is_number(val) else np.nan,
                "kpi_low": klo,
                "kpi_high": khi,
                "kpi_target": float(target) if _is_number(target) else np.nan,
                "kpi_met": met,
                "score": score,
                "score_low": slo,
                "score_high": shi,
                "n": n,
                "customers": float(tp.get("customers", np.nan)),
                "in_aggregate": bool(tp.get("in_aggregate", True)),
                "weak": bool(reasons),
                "weak_reason": "; ".join(reasons),
            }
        )
    out = pd.DataFrame(rows)
    agg = dict(c.aggregate)
    if "query" in agg:
        agg["score"], agg["low"], agg["high"], agg["n"] = _query_score(
            con, agg["query"], level, unit, weight
        )
    out.attrs.update(
        {
            "case": c.name,
            "description": c.description,
            "source": c.source,
            "scale": c.scale,
            "weak_below": c.weak_below,
            "aggregate": agg,
        }
    )
    return out


def aggregate_masking(result: pd.DataFrame) -> pd.DataFrame:
    """How the aggregate score masks the weak touch points of a :func:`case_study`.

    The aggregate is the case's ``aggregate.score`` (or query); without one, the
    mean of the touch-point scores weighted by ``customers`` over the touch
    points ``in_aggregate``. For every weak touch point: its score, the gap to
    the aggregate, the customers who met it, and whether they are in the
    aggregate's sample at all (``in_aggregate: false``: survivorship -- e.g.
    customers turned away by a stock-out never became buyers, so a survey of
    buyers cannot hear them).

    Returns
    -------
    pandas.DataFrame
        One row per weak touch point: ``touchpoint, score, aggregate, gap,
        customers, share_of_customers, in_aggregate, weak_reason``; ``attrs``
        carries ``aggregate``, ``aggregate_label``, ``hidden_customers`` (met a
        weak touch point and are not in the aggregate's sample) and
        ``all_touchpoints_mean`` (unweighted mean of every touch point's score).

    Examples
    --------
    >>> m = aggregate_masking(case_study("electronics_product_launch"))
    >>> m["touchpoint"].tolist()
    ['Store and phone staff: questions and pre-orders', 'Stock-out: customers turned away']
    """
    if result.empty:
        raise CxlabError("aggregate_masking: the case study has no touch points.")
    agg = result.attrs.get("aggregate", {}) or {}
    score = agg.get("score")
    inc = result[result["in_aggregate"]]
    if score is None:
        w = inc["customers"].fillna(1.0).to_numpy(float)
        if inc.empty or w.sum() <= 0:
            raise CxlabError(
                "aggregate_masking: no aggregate score given and no touch point in the aggregate."
            )
        score = float(np.average(inc["score"].to_numpy(float), weights=w))
    weak = result[result["weak"]].copy()
    total = result["customers"].max()
    out = pd.DataFrame(
        {
            "touchpoint": weak["touchpoint"],
            "score": weak["score"],
            "aggregate": score,
            "gap": weak["score"] - score,
            "customers": weak["customers"],
            "share_of_customers": weak["customers"] / total if total and total > 0 else np.nan,
            "in_aggregate": weak["in_aggregate"],
            "weak_reason": weak["weak_reason"],
        }
    ).reset_index(drop=True)
    out.attrs.update(
        {
            "aggregate": score,
            "aggregate_label": agg.get("label", "aggregate"),
            "aggregate_low": agg.get("low", np.nan),
            "aggregate_high": agg.get("high", np.nan),
            "hidden_customers": float(weak.loc[~weak["in_aggregate"], "customers"].fillna(0).sum()),
            "all_touchpoints_mean": float(result["score"].mean()),
        }
    )
    return out


# =========================================================================== plots


def _ax(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    return ax or plt.gca()


@literal_plot
def plot_journey(result: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Journey chart: touch points in order, their scores, stage bands, weak ones highlighted.

    Takes a :func:`case_study` result. Intervals are drawn where the scores come
    from the warehouse; the aggregate (if any) is a dashed line, the
    ``weak_below`` threshold a dotted one.

    Examples
    --------
    >>> ax = plot_journey(case_study("electronics_product_launch"))
    """
    ax = _ax(ax)
    x = result["order"].to_numpy(float)
    y = result["score"].to_numpy(float)
    lo_s, hi_s = result.attrs.get("scale", (np.nanmin(y), np.nanmax(y)))
    for st, g in result.groupby("stage", sort=False):
        ax.axvspan(
            g["order"].min() - 0.5,
            g["order"].max() + 0.5,
            color=_STAGE_COLORS.get(st, "#F2F2F2"),
            zorder=0,
            lw=0,
        )
        ax.text(
            (g["order"].min() + g["order"].max()) / 2,
            hi_s,
            st,
            ha="center",
            va="bottom",
            fontsize="small",
            color="0.35",
        )
    ax.plot(x, y, color="0.6", lw=1.2, zorder=1)
    weak = result["weak"].to_numpy(bool)
    if result["score_low"].notna().any():
        # the interval itself, low to high: at a tiny base it need not contain the score
        lo, hi = result["score_low"].to_numpy(float), result["score_high"].to_numpy(float)
        draw_intervals(ax, x, lo, hi, vertical=True, color="0.45", linewidth=1.2)
    ax.scatter(x[~weak], y[~weak], s=70, color=_OK, zorder=3, label="touch point")
    ax.scatter(x[weak], y[weak], s=90, color=_WEAK, marker="v", zorder=3, label="weak touch point")
    for xi, yi in zip(x, y, strict=True):
        ax.annotate(f"{yi:.3g}", (xi, yi), textcoords="offset points", xytext=(8, 4), fontsize=8)
    wb = result.attrs.get("weak_below")
    if wb is not None:
        ax.axhline(wb, color=_WEAK, ls=":", lw=1, label=f"weak below {wb:g}")
    agg = (result.attrs.get("aggregate") or {}).get("score")
    if agg is not None:
        lab = (result.attrs.get("aggregate") or {}).get("label", "aggregate")
        ax.axhline(agg, color="0.2", ls="--", lw=1, label=f"{lab}: {agg:.3g}")
    labels = [
        t + ("" if i else "\n(unintentional)")
        for t, i in zip(result["touchpoint"], result["intentional"], strict=True)
    ]
    import textwrap

    ax.set_xticks(x, [textwrap.fill(s, 18) for s in labels], fontsize=8)
    pad = 0.08 * (hi_s - lo_s)
    ax.set_ylim(lo_s - pad, hi_s + 1.6 * pad)
    ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
    ax.set_ylabel("relationship score")
    # under the touch-point names, never over the touch points
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=2, fontsize="small", frameon=False
    )
    return ax


@literal_plot
def plot_transitions(matrix: pd.DataFrame, ax: Axes | None = None, *, annot: bool = True) -> Axes:
    """Heat map of a :func:`transition_matrix` (probabilities), absorbing rows dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> tr = pd.DataFrame({"from": ["(start)", "Ad", "Ad"],
    ...                    "to": ["Ad", "(conversion)", "(drop-off)"], "n": [4, 1, 3]})
    >>> ax = plot_transitions(transition_matrix(tr))
    """
    ax = _ax(ax)
    m = matrix.drop(index=[s for s in (CONVERSION, DROP_OFF) if s in matrix.index])
    m = m.drop(columns=[START] if START in m.columns else [])
    im = ax.imshow(m.to_numpy(float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    if annot:
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = m.iat[i, j]
                if v >= 0.005:
                    ax.text(
                        j,
                        i,
                        f"{v:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v > 0.55 else "black",
                    )
    ax.set_xticks(range(m.shape[1]), m.columns, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(m.shape[0]), m.index, fontsize=8)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="transition probability")
    return ax


@literal_plot
def plot_removal_effects(result: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Each touch point's effect on conversion, adjusted for the other touch points met.

    Takes a :func:`removal_effects` (or :func:`touchpoint_effects`) result: one
    row per touch point, the adjusted difference in conversion (``adj_diff``,
    percentage points) with its interval, touch points that lose customers
    highlighted; a hollow grey mark shows the crude difference (``diff``) where
    the result has it. Without ``adj_diff`` (an older result) the crude
    difference is drawn with its interval.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"touchpoint": ["A", "B"], "diff": [-20.0, 5.0],
    ...                   "diff_low": [-30.0, -2.0], "diff_high": [-10.0, 12.0],
    ...                   "verdict": ["loses customers", ""], "journeys": [100, 80]})
    >>> ax = plot_removal_effects(r)
    """
    ax = _ax(ax)
    adjusted = "adj_diff" in result
    pre = "adj_diff" if adjusted else "diff"
    est, lo, hi = pre, f"{pre}_low", f"{pre}_high"
    f = result.sort_values(est, ascending=False, na_position="first")
    y = np.arange(len(f))
    d = f[est].to_numpy(float)
    bad = (f["verdict"] == "loses customers").to_numpy()
    draw_intervals(ax, y, f[lo].to_numpy(float), f[hi].to_numpy(float), color="0.5")
    if adjusted and "diff" in f:
        ax.scatter(
            f["diff"].to_numpy(float),
            y,
            facecolors="none",
            edgecolors="0.55",
            zorder=2,
            label="crude difference",
        )
    ax.scatter(d[~bad], y[~bad], color=_OK, zorder=3, label="no significant loss")
    ax.scatter(d[bad], y[bad], color=_WEAK, marker="v", s=60, zorder=3, label="loses customers")
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(y, [f"{t}  (n={n:,})" for t, n in zip(f["touchpoint"], f["journeys"])])
    ax.set_xlabel(
        "conversion difference, adjusted for the other touch points met (percentage points)"
        if adjusted
        else "conversion of journeys through it minus the others (percentage points)"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax


@literal_plot
def plot_dropoff(result: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bar chart of a :func:`stage_dropoff` result: journeys reaching each step.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"step": ["attraction", "conversion"], "journeys": [100, 40],
    ...                   "share_of_all": [100.0, 40.0], "drop_off": [np.nan, 60.0]})
    >>> ax = plot_dropoff(r)
    """
    ax = _ax(ax)
    x = np.arange(len(result))
    ax.bar(x, result["share_of_all"], color=_OK, alpha=0.85)
    for xi, (_, row) in zip(x, result.iterrows(), strict=True):
        txt = f"{row['journeys']:,}"
        if pd.notna(row.get("drop_off")):
            txt += f"\n-{row['drop_off']:.0f}% from previous"
        ax.text(float(xi), row["share_of_all"] + 2, txt, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, result["step"])
    ax.set_ylim(0, 125)
    ax.set_ylabel("% of journeys reaching the step")
    return ax
