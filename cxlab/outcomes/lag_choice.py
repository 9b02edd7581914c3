"""The effect at a lag chosen from the data, Holm-adjusted over the lags tried."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxlab import stats as cxstats
from cxlab._checks import check_level, renamed_keywords
from cxlab.errors import CxlabError
from cxlab.outcomes._common import (
    CX_METRICS,
    EFFECTS,
    PanelLike,
    as_list,
    interval_levels,
)
from cxlab.outcomes.correlation import (
    lag_correlations,
)
from cxlab.outcomes.regression import (
    FE_COLUMNS,
    fe_regression,
)

_LAG_EFFECT_COLUMNS = [
    *FE_COLUMNS,
    "low_unadj",
    "high_unadj",
    "p_adj",
    "lags_tried",
    "interval",
    "estimable",
]


@renamed_keywords(panel="data")
def lag_effect(
    data: PanelLike,
    outcome: str,
    lag: int,
    *,
    lags_tried: Sequence[int] | None = None,
    metric: str = "nps",
    eiv: bool = True,
    effects: str = "twoway",
    cov: str = "auto",
    level: float = 0.95,
    correction: str = "holm",
    weights: str = "auto",
    n_boot: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """The effect the report's verdict reads: the metric at ``lag``, adjusted for the
    lags that were tried to choose it.

    When the lag is picked from the data (:func:`choose_lag` tries 1..lags), the
    verdict is the best of several looks, and one lag's 5% test would call a
    no-effect panel "significant" more often than 5%. Here the model is fitted at
    every lag in ``lags_tried`` (one lag per model, as :func:`fe_regression`), the
    p-values of ``b = 0`` are Holm-adjusted across those lags, and the row for
    ``lag`` is returned with ``p_adj`` and an interval at the Holm step-down level of
    that row (as in :func:`horse_race`): it excludes zero only when ``p_adj`` is below
    ``1 - level`` (the errors-in-variables term can only widen it). Holm controls the
    chance of *any* false "effect" among the lags tried at ``1 - level``, whatever
    rule picked ``lag`` (Holm 1979, *Scandinavian Journal of Statistics* 6). Lags
    that cannot be estimated leave the family. With a lag fixed in advance pass
    ``lags_tried=[lag]`` (the default): nothing to adjust.

    With enumerated Rademacher weights the wild bootstrap's smallest p-value is
    ``2 / 2^G``; Holm's first step needs ``(1 - level) / m`` for m lags, which 2/256
    meets at G = 8 and four lags (0.0078 <= 0.0125) but 2/64 and 2/128 do not (G = 6,
    7). When the floor is above that step (and ``weights="auto"``), every lag is
    refitted with Webb's six-point weights (Webb 2014, Queen's Economics Department
    Working Paper 1315), whose 6^G vectors resolve far smaller p-values (``n_boot``
    drawn with ``seed``), so a strong effect can still be called real.

    Returns
    -------
    pandas.DataFrame
        One row: the columns of :func:`fe_regression` (``low, high`` adjusted),
        ``low_unadj, high_unadj`` (the row's own interval), ``p_adj``, ``lags_tried``
        (e.g. ``"1-4"``), ``interval`` ("Holm-adjusted over 4 lags tried" or
        "unadjusted") and ``estimable``; an unestimable lag gives NaN estimates and
        the reason in ``caution``.

    Examples
    --------
    >>> from cxlab.outcomes import lagged
    >>> rng = np.random.default_rng(1)
    >>> p = pd.DataFrame({"unit": np.repeat(list("abcdefghij"), 12),
    ...                   "qi": np.tile(np.arange(8100, 8112), 10)})
    >>> p["quarter"] = [f"{q // 4}Q{q % 4 + 1}" for q in p["qi"]]
    >>> p["nps"] = rng.normal(30, 8, len(p))
    >>> p["new_customers"] = 25 * lagged(p, "nps", 2) + rng.normal(0, 50, len(p))
    >>> fit = lag_effect(p, "new_customers", 2, lags_tried=range(1, 5), eiv=False)
    >>> fit[["lag", "lags_tried", "interval"]].values.tolist()
    [[2, '1-4', 'Holm-adjusted over 4 lags tried']]
    >>> bool(fit["p_adj"].iloc[0] < 0.05 and fit["low"].iloc[0] > 0)
    True
    """
    panel = data
    level = check_level(level, "lag_effect")
    tried = sorted({int(k) for k in (lags_tried if lags_tried is not None else [lag])})
    if int(lag) not in tried:
        raise CxlabError(f"lag_effect: lag {lag} is not among the lags tried {tried}.")
    kw: dict[str, Any] = {
        "eiv": eiv,
        "effects": effects,
        "cov": cov,
        "weights": weights,
        "n_boot": n_boot,
        "seed": seed,
    }

    def fit_all() -> tuple[dict[int, pd.DataFrame], str]:
        fits: dict[int, pd.DataFrame] = {}
        reason = ""
        for k in tried:
            try:
                fits[k] = fe_regression(panel, metric, outcome, lag=k, level=level, **kw)
            except CxlabError as exc:
                if k == int(lag):
                    reason = str(exc)
        return fits, reason

    fits, reason = fit_all()
    if weights == "auto" and len(fits) > 1 and _too_coarse(fits, level):
        kw["weights"] = "webb"
        fits, reason = fit_all()
    span = _span(tried)
    if int(lag) not in fits:
        return pd.DataFrame(
            [
                {
                    "metric": metric,
                    "outcome": outcome,
                    "lag": int(lag),
                    "effects": EFFECTS.get(effects, effects),
                    "caution": reason,
                    "lags_tried": span,
                    "estimable": False,
                }
            ]
        ).reindex(columns=_LAG_EFFECT_COLUMNS)
    ks = list(fits)
    p = np.array([float(fits[k]["p"].iloc[0]) for k in ks])
    p_adj = cxstats.adjust_pvalues(p, correction)
    a_row, how = interval_levels(p, correction, 1 - level)
    i = ks.index(int(lag))
    row = fits[int(lag)].copy()
    row["low_unadj"], row["high_unadj"] = row["low"], row["high"]
    m = int(np.isfinite(p).sum())
    if m > 1 and how != "unadjusted":
        adjusted = fe_regression(panel, metric, outcome, lag=int(lag), level=1 - a_row[i], **kw)
        for col in ("low", "high", "low_std", "high_std"):
            row[col] = adjusted[col].to_numpy()
        row["interval"] = f"{how} over {m} lags tried"
    else:
        row["interval"] = "unadjusted"
    row["p_adj"] = p_adj[i]
    row["lags_tried"] = span
    row["estimable"] = True
    return row.reindex(columns=_LAG_EFFECT_COLUMNS)


def _too_coarse(fits: dict[int, pd.DataFrame], level: float) -> bool:
    """Whether some fit's enumerated Rademacher floor ``2 / 2^G`` cannot pass Holm's first
    step over these lags."""
    return any(
        "Rademacher weights, all" in str(f["inference"].iloc[0])
        and 2.0 / 2 ** int(f["n_units"].iloc[0]) > (1 - level) / len(fits)
        for f in fits.values()
    )


def _span(tried: list[int]) -> str:
    """The lags tried as text: ``"1-4"``, ``"2"`` or ``"1, 3"``."""
    span = f"{tried[0]}-{tried[-1]}" if tried == list(range(tried[0], tried[-1] + 1)) else ""
    span = span if len(tried) > 1 else str(tried[0])
    return span or ", ".join(map(str, tried))


@renamed_keywords(panel="data", max_lag="lags")
def choose_lag(
    data: PanelLike,
    outcome: str,
    metrics: str | Sequence[str] | None = None,
    *,
    lags: int = 4,
    effects: str = "twoway",
) -> int:
    """The leading lag (1..lags) at which the CX metrics, on average, correlate most
    with the outcome within units (mean of |r| over the metrics, so no metric is favoured),
    with unit and quarter effects removed as the models remove them (``effects="twoway"``,
    the default; ``"unit"``: unit means only, see :func:`lag_correlations`).

    Choosing a lag on the same data that then tests it overstates the evidence: read
    the effect at the chosen lag with :func:`lag_effect`, which adjusts for the lags
    tried, or fix the lag in advance when the question allows. ``lags`` was called
    ``max_lag=`` (still accepted, with a :class:`DeprecationWarning`).
    """
    panel = data
    metrics_ = as_list(metrics, CX_METRICS)
    if lags < 1:
        raise CxlabError(f"choose_lag: lags must be >= 1, got {lags}.")
    score = np.zeros(lags)
    for m in metrics_:
        lc = lag_correlations(
            panel,
            m,
            outcome,
            lags=range(1, lags + 1),
            effects=effects,
            correction="none",
            model_test=False,
        )
        score += lc["r"].abs().fillna(0).to_numpy()
    return int(np.argmax(score) + 1)
