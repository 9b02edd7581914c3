"""Say vs do: stated LTR against later churn, purchases and revenue; NPS migration."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlab import stats as cxstats
from cxlab._checks import as_table, check_columns, check_level, renamed_keywords
from cxlab.errors import CxlabError
from cxlab.outcomes._common import (
    CATEGORIES,
)


def _category_expr(s: ir.Column, breaks: tuple[int, int]) -> ir.Column:
    lo, hi = breaks
    return ibis.cases((s <= lo, "detractor"), (s <= hi, "passive"), else_="promoter")


def _period_end(t: ir.Table, col: str) -> pd.Timestamp:
    v = t.aggregate(m=t[col].max()).to_pandas()["m"].iloc[0]
    if v is None or pd.isna(v):
        raise CxlabError(f"no data: column {col!r} is empty.")
    return (pd.Timestamp(v).to_period("Q").end_time).normalize()


@renamed_keywords(responses="data", ltr="score")
def say_do(
    data: pd.DataFrame | ir.Table,
    customers: pd.DataFrame | ir.Table,
    transactions: pd.DataFrame | ir.Table | None = None,
    *,
    window_days: int = 182,
    by: str = "category",
    score: str = "ltr",
    breaks: tuple[int, int] = (6, 8),
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """What customers did after they said it: churn, purchases and revenue by LTR.

    Each response is followed for ``window_days`` days. Churn: the customer's
    ``churn_date`` falls in ``(survey_date, survey_date + window]``. Only
    surveys whose window ends by ``end`` (default: the last day of the quarter
    of the latest survey) are counted, so censored windows do not pass for
    loyalty; the recent surveys are left out instead.
    :func:`cxlab.retention.churn_after_survey` keeps them for as long as they
    were observed (Kaplan-Meier, log-rank) and is the better test of churn;
    this function adds purchases and revenue, which need whole windows. With ``transactions``: ``bought`` = at least one purchase in the
    window after; ``revenue_change`` = revenue in the window after minus the
    window before the survey (only surveys with both windows inside
    ``start``..``end``; default start: the first day of the quarter of the
    earliest survey).

    Everything is counted in the engine per LTR score (one join and one
    aggregation); rates use Wilson intervals (statsmodels), revenue change a t
    interval from sums and sums of squares.

    Parameters
    ----------
    data : pandas.DataFrame or ibis Table
        Survey responses with ``customer_id``, ``survey_date`` and the LTR column
        (formerly ``responses=``, still accepted).
    score : str
        The LTR column, 0-10 (formerly ``ltr=``, still accepted).
    by : {"category", "score"}
        Rows per NPS category or per LTR score 0-10 (the input of
        :func:`say_do_logit`).

    Returns
    -------
    pandas.DataFrame
        ``category`` (or ``ltr``), ``n_surveys, n, churned, churn_rate,
        churn_low, churn_high`` (percent), and with transactions ``n_rev,
        bought, buy_rate, buy_low, buy_high, revenue_change, rc_low, rc_high``.
    """
    if by not in ("category", "score"):
        raise CxlabError(f"say_do: by must be 'category' or 'score', not {by!r}.")
    level = check_level(level, "say_do")
    if window_days < 1:
        raise CxlabError(f"say_do: window_days must be >= 1, got {window_days}.")
    r = as_table(data)
    c = as_table(customers)
    check_columns(r, ["customer_id", "survey_date", score], "responses")
    check_columns(c, ["customer_id", "churn_date"], "customers")
    end_ts = pd.Timestamp(end) if end is not None else _period_end(r, "survey_date")
    if start is not None:
        start_ts = pd.Timestamp(start)
    else:
        v = r.aggregate(m=r["survey_date"].min()).to_pandas()["m"].iloc[0]
        start_ts = pd.Timestamp(v).to_period("Q").start_time
    g = _per_score(r, c, transactions, score, window_days, start_ts, end_ts)
    if g.empty:
        raise CxlabError("say_do: no responses with an LTR score.")
    bad = g[(g["score"] < 0) | (g["score"] > 10)]
    if len(bad):
        raise CxlabError(
            f"say_do: column {score!r} has scores outside 0-10: {bad['score'].tolist()}"
        )
    g = g.fillna(0)
    lo, hi = breaks
    g["category"] = np.where(
        g["score"] <= lo, "detractor", np.where(g["score"] <= hi, "passive", "promoter")
    )
    key = "score" if by == "score" else "category"
    num = [col for col in g.columns if col not in ("score", "category")]
    s = g.groupby(key, sort=False)[num].sum().reset_index()
    if by == "category":
        s["category"] = pd.Categorical(s["category"], CATEGORIES, ordered=True)
        s = s.sort_values("category").reset_index(drop=True)
        s["category"] = s["category"].astype(str)
    else:
        s = s.rename(columns={"score": "ltr"})
    if int(s["n"].sum()) == 0:
        raise CxlabError(
            f"say_do: no survey has its {window_days}-day window inside the data (ending {end_ts:%Y-%m-%d}); "
            "use a shorter window or later data."
        )
    s = _rates(s, transactions is not None, level)
    s["flag"] = cxstats.base_flag(s["n"].to_numpy(float))
    s["window_days"] = window_days
    return s


def _per_score(
    r: ir.Table,
    c: ir.Table,
    transactions: pd.DataFrame | ir.Table | None,
    ltr: str,
    window_days: int,
    start_ts: pd.Timestamp,
    end_ts: pd.Timestamp,
) -> pd.DataFrame:
    """The per-score counts (and revenue sums) of :func:`say_do`, in one engine query."""
    w = ibis.interval(days=window_days)
    r = r.filter(r[ltr].notnull()).select(
        "customer_id", "survey_date", score=r[ltr].cast("int64"), rid=ibis.row_number()
    )
    j = r.left_join(c.select("customer_id", "churn_date"), "customer_id")
    obs_churn = (j.survey_date + w) <= ibis.literal(end_ts.date())
    churn_hit = (
        j.churn_date.notnull()
        & (j.churn_date > j.survey_date)
        & (j.churn_date <= j.survey_date + w)
    )
    per = j.select(
        "rid", "customer_id", "survey_date", "score", obs=obs_churn, hit=churn_hit.fill_null(False)
    )
    aggs: dict[str, Any] = {
        "n_surveys": per.rid.count(),
        "n": per.obs.sum(),
        "churned": (per.obs & per.hit).sum(),
    }
    if transactions is not None:
        per, aggs = _with_revenue(per, transactions, w, start_ts)
    g = per.group_by("score").aggregate(**aggs).to_pandas().sort_values("score")
    return g


def _with_revenue(
    per: ir.Table, transactions: pd.DataFrame | ir.Table, w: Any, start_ts: pd.Timestamp
) -> tuple[ir.Table, dict[str, Any]]:
    """Each survey's purchases and revenue in the windows before and after it."""
    t = as_table(transactions)
    check_columns(t, ["customer_id", "date", "revenue"], "transactions")
    t = t.select("customer_id", tdate=t["date"], rev=t["revenue"].cast("float64"))
    jt = per.left_join(
        t,
        [
            per.customer_id == t.customer_id,
            t.tdate > per.survey_date - w,
            t.tdate <= per.survey_date + w,
        ],
    )
    after = (jt.tdate > jt.survey_date).fill_null(False)
    before = (jt.tdate <= jt.survey_date).fill_null(False)
    per = jt.group_by(["rid", "score", "obs", "hit", "survey_date"]).aggregate(
        n_after=after.sum(),
        rev_after=jt.rev.sum(where=after),
        rev_before=jt.rev.sum(where=before),
    )
    obs_rev = per.obs & ((per.survey_date - w) >= ibis.literal(start_ts.date()))
    rc = per.rev_after.fill_null(0.0) - per.rev_before.fill_null(0.0)
    aggs = {
        "n_surveys": per.rid.count(),
        "n": per.obs.sum(),
        "churned": (per.obs & per.hit).sum(),
        "n_rev": obs_rev.sum(),
        "bought": (obs_rev & (per.n_after > 0)).sum(),
        "rc_s": rc.sum(where=obs_rev),
        "rc_ss": (rc * rc).sum(where=obs_rev),
    }
    return per, aggs


def _rates(s: pd.DataFrame, revenue: bool, level: float) -> pd.DataFrame:
    """Churn (and purchase) rates with Wilson intervals, revenue change with a t interval."""
    s["churn_rate"], s["churn_low"], s["churn_high"] = cxstats.proportion_ci(
        s["churned"].to_numpy(float), s["n"].to_numpy(float), level=level
    )
    if revenue:
        s["buy_rate"], s["buy_low"], s["buy_high"] = cxstats.proportion_ci(
            s["bought"].to_numpy(float), s["n_rev"].to_numpy(float), level=level
        )
        m, _se, lo_, hi_ = cxstats.mean_ci(
            s["rc_s"].to_numpy(float),
            s["rc_ss"].to_numpy(float),
            s["n_rev"].to_numpy(float),
            level=level,
        )
        s["revenue_change"], s["rc_low"], s["rc_high"] = m, lo_, hi_
        s = s.drop(columns=["rc_s", "rc_ss"])
    for col in ("n_surveys", "n", "churned", "n_rev", "bought"):
        if col in s:
            s[col] = s[col].astype(np.int64)
    return s


def say_do_logit(by_score: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Logistic model of churn on the LTR score, fit on the per-score counts.

    statsmodels ``GLM(Binomial)`` with ``[churned, n - churned]`` per score: with
    the score as the only regressor this is exactly the individual-level logistic
    regression (the likelihood depends on the data only through these counts), so
    it scales to any number of responses.

    Parameters
    ----------
    by_score : pandas.DataFrame
        ``say_do(..., by="score")``.

    Returns
    -------
    pandas.DataFrame
        ``term`` ("intercept", "ltr"), ``coef, se, low, high, p, odds_ratio,
        or_low, or_high, n``.

    Examples
    --------
    >>> s = pd.DataFrame({"ltr": [0, 5, 10], "n": [100, 100, 100], "churned": [40, 20, 10]})
    >>> say_do_logit(s)["odds_ratio"].round(3).tolist()
    [0.655, 0.833]
    """
    import statsmodels.api as sm

    level = check_level(level, "say_do_logit")
    need = [c for c in ("ltr", "n", "churned") if c not in by_score]
    if need:
        raise CxlabError(f"say_do_logit: needs columns {need}; use say_do(..., by='score').")
    d = by_score[by_score["n"] > 0]
    if d["ltr"].nunique() < 2:
        raise CxlabError("say_do_logit: fewer than two distinct LTR scores with observed surveys.")
    k, n = d["churned"].to_numpy(float), d["n"].to_numpy(float)
    if k.sum() == 0 or k.sum() == n.sum():
        raise CxlabError(
            "say_do_logit: every observed survey has the same outcome (no churn or all churned); "
            "the model is not identified."
        )
    X = sm.add_constant(d["ltr"].to_numpy(float))
    res = sm.GLM(np.column_stack([k, n - k]), X, family=sm.families.Binomial()).fit()
    ci = np.asarray(res.conf_int(alpha=1 - level))
    out = pd.DataFrame(
        {
            "term": ["intercept", "ltr"],
            "coef": np.asarray(res.params),
            "se": np.asarray(res.bse),
            "low": ci[:, 0],
            "high": ci[:, 1],
            "p": np.asarray(res.pvalues),
        }
    )
    out["odds_ratio"], out["or_low"], out["or_high"] = (
        np.exp(out["coef"]),
        np.exp(out["low"]),
        np.exp(out["high"]),
    )
    out["n"] = int(n.sum())
    return out


@renamed_keywords(responses="data", ltr="score")
def migration(
    data: pd.DataFrame | ir.Table,
    transactions: pd.DataFrame | ir.Table | None = None,
    *,
    score: str = "ltr",
    breaks: tuple[int, int] = (6, 8),
    window_days: int = 182,
    end: str | pd.Timestamp | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """NPS migration: category at one survey against the customer's next survey.

    Consecutive survey pairs per customer are formed in the engine (a window
    ``LEAD`` over each customer's surveys by date). With ``transactions``,
    each pair's revenue change is the revenue in the ``window_days`` after the
    second survey minus that after the first (pairs whose second window ends by
    ``end`` only).

    ``data`` are the survey responses and ``score`` their LTR column (formerly
    ``responses=`` and ``ltr=``, still accepted).

    Returns
    -------
    pandas.DataFrame
        Nine rows (``from``, ``to`` in detractor/passive/promoter): ``n``,
        ``share`` (of the ``from`` row, %), and with transactions ``n_rev,
        revenue_change, rc_low, rc_high``.
    """
    level = check_level(level, "migration")
    r = as_table(data)
    check_columns(r, ["customer_id", "survey_date", score], "responses")
    end_ts = pd.Timestamp(end) if end is not None else _period_end(r, "survey_date")
    r = r.filter(r[score].notnull())
    win = ibis.window(group_by=r.customer_id, order_by=[r.survey_date, r[score]])
    pairs = r.select(
        "customer_id",
        d1=r.survey_date,
        d2=r.survey_date.lead().over(win),
        c1=_category_expr(r[score], breaks),
        c2=_category_expr(r[score].lead().over(win), breaks),
    )
    pairs = pairs.filter(pairs.d2.notnull())
    if transactions is None:
        g = pairs.group_by(["c1", "c2"]).aggregate(n=pairs.count()).to_pandas()
    else:
        t = as_table(transactions)
        check_columns(t, ["customer_id", "date", "revenue"], "transactions")
        w = ibis.interval(days=window_days)
        pairs = pairs.mutate(pid=ibis.row_number())
        t = t.select(cid=t.customer_id, tdate=t["date"], rev=t["revenue"].cast("float64"))
        jt = pairs.left_join(
            t,
            [pairs.customer_id == t.cid, t.tdate > pairs.d1, t.tdate <= pairs.d2 + w],
        )
        in1 = (jt.tdate <= jt.d1 + w).fill_null(False)
        in2 = (jt.tdate > jt.d2).fill_null(False)
        per = jt.group_by(["pid", "c1", "c2", "d2"]).aggregate(
            r1=jt.rev.sum(where=in1), r2=jt.rev.sum(where=in2)
        )
        ok = (per.d2 + w) <= ibis.literal(end_ts.date())
        rc = per.r2.fill_null(0.0) - per.r1.fill_null(0.0)
        g = (
            per.group_by(["c1", "c2"])
            .aggregate(
                n=per.count(), n_rev=ok.sum(), s=rc.sum(where=ok), ss=(rc * rc).sum(where=ok)
            )
            .to_pandas()
        )
    if g.empty:
        raise CxlabError("migration: no customer answered two surveys.")
    full = pd.MultiIndex.from_product([CATEGORIES, CATEGORIES], names=["c1", "c2"])
    g = g.set_index(["c1", "c2"]).reindex(full).fillna(0).reset_index()
    g = g.rename(columns={"c1": "from", "c2": "to"})
    g["n"] = g["n"].astype(np.int64)
    tot = g.groupby("from")["n"].transform("sum").to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        g["share"] = 100.0 * g["n"] / tot
    if transactions is not None:
        m, _se, lo, hi = cxstats.mean_ci(
            g["s"].to_numpy(float),
            g["ss"].to_numpy(float),
            g["n_rev"].to_numpy(float),
            level=level,
        )
        g["revenue_change"], g["rc_low"], g["rc_high"] = m, lo, hi
        g["n_rev"] = g["n_rev"].astype(np.int64)
        g = g.drop(columns=["s", "ss"])
    return g
