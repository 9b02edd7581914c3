"""Journeys from the event log: boundaries, per-journey summary, paths, moves.

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

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError
from cxlab.journey._common import (
    CONVERSION,
    DROP_OFF,
    START,
    JourneyColumns,
    journey_columns,
)
from cxlab.schema import STAGES
from cxlab.warehouse.backends import engine_step

__all__ = [
    "interactions_view",
    "journey_summary",
    "journeys",
    "path_counts",
    "transition_matrix",
    "transitions",
]


def _order_keys(t: ir.Table, time: str, tiebreak: str | None) -> list[Any]:
    keys = [t[time]]
    if tiebreak is not None and tiebreak in t.columns:
        keys.append(t[tiebreak])
    return keys


def journeys(
    interactions: pd.DataFrame | ir.Table,
    *,
    columns: JourneyColumns | None = None,
    **options: Any,
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
    columns : JourneyColumns, optional
        The event log's columns and the journey rules (``gap_days``,
        ``conversion``); default :class:`JourneyColumns`.
    **options
        Any field of :class:`JourneyColumns` (``gap_days=14``,
        ``customer="client_id"``, ...), applied over ``columns``. Every
        function built on journeys takes the same two.

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
    jc = journey_columns(columns, options, "journeys")
    customer, time, touchpoint, stage, tiebreak, gap_days, conversion = (
        jc.customer,
        jc.time,
        jc.touchpoint,
        jc.stage,
        jc.tiebreak,
        jc.gap_days,
        jc.conversion,
    )
    t = as_table(interactions)
    check_columns(t, [customer, time, touchpoint, stage], "interactions")
    # after-sales events: cultivation-stage events that follow one of the customer's purchases
    before = ibis.window(
        group_by=t[customer], order_by=_order_keys(t, time, tiebreak), rows=(None, -1)
    )
    # ifelse, not cast: PostgreSQL cannot cast boolean to bigint (a null compares as no purchase)
    bought = (t[touchpoint] == conversion).ifelse(1, 0).sum().over(before).fill_null(0) > 0
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
    t1 = main.mutate(_new=new.fill_null(True).ifelse(1, 0).cast("int64"))
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
    conv_before = is_conv.ifelse(1, 0).sum().over(w2c).fill_null(0)
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
    columns: JourneyColumns | None = None,
    **options: Any,
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
    jc = journey_columns(columns, options, "journey_summary")
    customer, time, stage, channel, tiebreak = (
        jc.customer,
        jc.time,
        jc.stage,
        jc.channel,
        jc.tiebreak,
    )
    t = journeys(
        interactions,
        columns=jc,
    )
    check_columns(t, [channel], "interactions")
    # the first recorded channel: rank the events with a channel in time order (not
    # first(order_by=...), which PostgreSQL lacks as an aggregate)
    ranked = ibis.window(
        group_by=[t[customer], t.journey, t[channel].isnull()],
        order_by=_order_keys(t, time, tiebreak),
    )
    t = t.mutate(_crank=ibis.row_number().over(ranked))
    before = t.pre_conversion & ~t.is_conversion
    aggs: dict[str, Any] = {
        "start": t[time].min(),
        "end": t[time].max(),
        "n_events": t.count(),
        "converted": t.is_conversion.any(),
        "n_channels": t[channel].nunique(where=before),
        "first_channel": t[channel].min(where=t[channel].notnull() & (t._crank == 0)),
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
    columns: JourneyColumns | None = None,
    **options: Any,
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
    jc = journey_columns(columns, options, "path_counts")
    customer, time, touchpoint, tiebreak = jc.customer, jc.time, jc.touchpoint, jc.tiebreak
    t = journeys(
        interactions,
        columns=jc,
    )
    t = t.filter(t.pre_conversion)
    keep = ~t.is_conversion
    j = t.group_by([customer, "journey"]).aggregate(
        path=t[touchpoint].collect(where=keep, order_by=_order_keys(t, time, tiebreak)),
        converted=t.is_conversion.any(),
    )
    grouped = j.group_by(["path", "converted"]).aggregate(n=j.count())
    with engine_step(grouped, "path_counts (ordered touch points per journey)"):
        p = grouped.to_pandas()
    p["path"] = [tuple(x) if x is not None else () for x in p["path"]]
    p["n"] = p["n"].astype("int64")
    # GROUP BY returns groups in no fixed order: sort on every key (the path too), so the
    # bootstrap of removal_effects draws the same replicates from the same data every run
    p["_key"] = ["\x1f".join(map(str, x)) for x in p["path"]]
    p = p.sort_values(["n", "converted", "_key"], ascending=[False, False, True], kind="stable")
    return p.drop(columns="_key").reset_index(drop=True)


def transitions(
    interactions: pd.DataFrame | ir.Table,
    *,
    columns: JourneyColumns | None = None,
    **options: Any,
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
    jc = journey_columns(columns, options, "transitions")
    touchpoint, conversion = jc.touchpoint, jc.conversion
    t = journeys(
        interactions,
        columns=jc,
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
    _check_transitions(result)
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


def _check_transitions(result: pd.DataFrame) -> None:
    """Refuse a transitions table :func:`transition_matrix` cannot read, naming the rule."""
    if not isinstance(result, pd.DataFrame):
        raise CxlabError(
            f"transitions must be a DataFrame with columns 'from', 'to', 'n', "
            f"not {type(result).__name__}."
        )
    missing = [c for c in ("from", "to", "n") if c not in result.columns]
    if missing:
        raise CxlabError(
            f"column(s) {', '.join(map(repr, missing))} not found in transitions; "
            f"available: {', '.join(map(str, result.columns))}."
        )
    for col in ("from", "to"):
        bad = ~result[col].map(lambda v: isinstance(v, str))
        if bad.any():
            rows = ", ".join(map(str, result.index[bad][:5]))
            raise CxlabError(
                f"column {col!r} of transitions: {int(bad.sum())} row(s) (rows {rows}) break "
                "the rule 'a state is a touch point name or (start), (conversion), (drop-off)'."
            )
    rules = (
        ("from", result["from"].isin([CONVERSION, DROP_OFF]), "no step leaves an absorbing state"),
        ("to", result["to"] == START, "no step goes back to (start)"),
    )
    for col, bad, rule in rules:
        if bad.any():
            raise CxlabError(
                f"column {col!r} of transitions: {int(bad.sum())} row(s) break the rule "
                f"'{rule}' (states {sorted(set(result.loc[bad, col]))})."
            )
    n = pd.to_numeric(result["n"], errors="coerce")
    bad = n.isna() | (n < 0)
    if bad.any():
        raise CxlabError(
            f"column 'n' of transitions: {int(bad.sum())} row(s) break the rule "
            "'a count is a number >= 0'."
        )


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
