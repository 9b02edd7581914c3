"""Fixed-effects regressions of an outcome on a lagged CX metric."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxlab import stats as cxstats
from cxlab._checks import check_level, renamed_keywords
from cxlab.errors import CxlabError, TooLittleData
from cxlab.outcomes._common import (
    CX_METRICS,
    EFFECTS,
    MIN_PERIODS,
    OUTCOMES,
    PanelLike,
    absorb,
    as_list,
    check_panel,
    lagged,
)
from cxlab.outcomes.wild import (
    eiv_correct,
    wild_draws,
    wild_inference,
)

WILD_BELOW = 20  # fewer clusters than this: the wild cluster bootstrap is the default


_COUNT_COLUMN = {
    "nps": "n",
    "csat_top2": "csat_n",
    "csat_mean": "csat_n",
    "ces_mean": "ces_n",
    "ces_easy": "ces_n",
}


#: Columns of :func:`fe_regression`, in order (also of an unestimable row elsewhere).
FE_COLUMNS = [
    "metric",
    "outcome",
    "lag",
    "coef",
    "se",
    "low",
    "high",
    "t",
    "p",
    "n",
    "n_units",
    "df",
    "cov",
    "effects",
    "inference",
    "reliability",
    "se_reliability",
    "r2_within",
    "caution",
    "coef_std",
    "low_std",
    "high_std",
]


@renamed_keywords(panel="data")
def fe_regression(
    data: PanelLike,
    metric: str = "nps",
    outcome: str = "new_customers",
    *,
    lag: int | Sequence[int] = 2,
    eiv: bool = False,
    effects: str = "twoway",
    cov: str = "auto",
    level: float = 0.95,
    weights: str = "auto",
    n_boot: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """Fixed-effects regression of an outcome on the lagged metric.

    ``y[u, t] = a_u + d_t + sum_k b_k x[u, t - k] + e[u, t]`` with ``effects="twoway"``
    (the default: unit and quarter effects), or without ``d_t`` with
    ``effects="unit"``. Quarter effects remove everything all units share in a
    quarter -- above all common trends: when NPS drifts down and margins drift up in
    every unit, a unit-effects-only model reads the two trends as a (spurious) negative
    effect; the two-way model does not. Trends that differ between units are not
    removed: :func:`trend_check` flags trending series. Estimation: the fixed effects
    are partialled out (unit means, then the unit-demeaned quarter dummies, exact on
    unbalanced panels; identical to OLS with the dummies, as ``plm(..., effect =
    "twoways")``) and OLS is run on what is left.

    Inference (``cov``):

    - ``"wild"``: restricted wild cluster bootstrap by unit (WCR; Cameron, Gelbach &
      Miller 2008, *Review of Economics and Statistics* 90(3); Roodman, MacKinnon,
      Nielsen & Webb 2019, *Stata Journal* 19(1), "Fast and wild") of the CR1 t
      statistic. The p-value is the share of bootstrap |t*| at least as large as the
      sample's |t| under the null imposed; the interval is the set of values b0 the
      same test does not reject at ``1 - level`` (test inversion, by bisection), not
      a percentile interval. Weights (``weights="auto"``): Webb's 6-point weights for
      G <= 5 clusters, Rademacher otherwise. When there are no more distinct weight
      vectors than ``n_boot`` (G <= 13 with Rademacher and the default 9999, e.g. all
      2^8 = 256 sign vectors at G = 8; G <= 5 with Webb) all of them are enumerated:
      the result is exact and deterministic. Otherwise ``n_boot`` vectors are drawn
      with ``numpy.random.default_rng(seed)``, so results are reproducible. With
      enumerated Rademacher weights the smallest possible p-value is ``2 / 2^G``
      (0.0078 at G = 8): a sign vector and its negative give the same |t*|.
    - ``"cluster"``: CR1 cluster-robust SE, ``G/(G-1) * (N-1)/(N-K)`` with K the slopes
      only (as ``plm::vcovHC(type="sss")``, Stata's ``xtreg, fe``), t(G - 1)
      reference (Cameron & Miller 2015, *Journal of Human Resources* 50(2)). With few
      clusters it over-rejects (about 90% coverage for a 95% interval at G = 8).
    - ``"HC1"``, ``"nonrobust"``: with the dummy-variable model's degrees of freedom.
    - ``"auto"`` (default): ``"wild"`` below 20 units, ``"cluster"`` otherwise.

    ``se`` and ``t`` are always the CR1 (or HC1/OLS) ones; with ``"wild"`` only
    ``p``, ``low`` and ``high`` come from the bootstrap.

    Errors in variables: a survey metric is an estimate; its sampling error biases
    the slope towards zero (attenuation). With ``eiv=True`` (one lag only) the slope
    is corrected by the method of moments with the *known* error variances (Fuller
    1987, *Measurement Error Models*, section 1.2): ``b = S_xy / (S_xx - sum_i s2_i
    M_ii)`` on the data with the fixed effects partialled out, where ``s2`` is the
    panel's ``{metric}_var`` column and ``M_ii`` the diagonal of the fixed effects'
    annihilator (``1 - 1/T_u`` with unit effects only). ``reliability`` is
    ``(S_xx - sum s2 M_ii) / S_xx``; ``se`` is the SE of the uncorrected slope divided
    by it. The reliability is itself estimated (each ``s2`` comes from a finite
    sample): ``se_reliability`` is its delta-method contribution, ``|b| sd(lambda) /
    lambda`` with ``Var(lambda) = sum_i M_ii^2 Var(s2_i) / S_xx^2`` (see
    ``s2_variance``; zero, with a note, when the panel has no response counts). The
    interval is the uncorrected one divided by the reliability and widened by this
    term in quadrature (normal or t(G - 1) quantile); the p-value of ``b = 0`` does
    not depend on the reliability.

    Parameters
    ----------
    data : Panel or pandas.DataFrame
        From :func:`build_panel` (or its ``data_`` table).
    metric, outcome : str
    lag : int or list of int
        Lag(s) of the metric, in quarters (0 = same quarter).
    eiv : bool
        Apply the errors-in-variables correction.
    effects : {"twoway", "unit"}
        Unit and quarter fixed effects (default) or unit effects only.
    cov : {"auto", "wild", "cluster", "HC1", "nonrobust"}
    level : float
    weights : {"auto", "rademacher", "webb"}
        Wild bootstrap weights.
    n_boot : int
        Wild bootstrap draws when the weight vectors are not enumerated.
    seed : int
        Seed of those draws.

    Returns
    -------
    pandas.DataFrame
        One row per lag: ``metric, outcome, lag, coef, se, low, high, t, p, n,
        n_units, df, cov, effects`` (label of the fixed effects), ``inference`` (how
        p and the interval were computed), ``reliability, se_reliability, r2_within,
        caution, coef_std, low_std, high_std``.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": list("aaaabbbb"), "quarter": ["2025Q1", "2025Q2", "2025Q3",
    ...                   "2025Q4"] * 2, "qi": [8100, 8101, 8102, 8103] * 2,
    ...                   "nps": [1.0, 2, 4, 3, 10, 12, 11, 13],
    ...                   "revenue": [5.0, 7, 11, 9, 30, 35, 32, 37]})
    >>> fe_regression(p, "nps", "revenue", lag=0, effects="unit", cov="nonrobust")["coef"].round(6).tolist()
    [2.2]
    >>> fit = fe_regression(p, "nps", "revenue", lag=0, cov="wild")
    >>> fit[["coef", "effects"]].round(4).values.tolist(), fit["inference"].iloc[0]
    ([[2.3333, 'unit + quarter effects']], 'wild cluster bootstrap (WCR), Webb 6-point weights, all 36 vectors; interval by test inversion')
    """
    lags = [lag] if isinstance(lag, int | np.integer) else list(lag)
    if not lags:
        raise CxlabError("fe_regression: give at least one lag.")
    panel = check_panel(data, [metric, outcome])
    level = check_level(level, "fe_regression")
    _check_fe_options(effects, cov, weights, n_boot, seed)
    if eiv and len(lags) != 1:
        raise CxlabError("fe_regression: the errors-in-variables correction takes one lag.")
    if eiv and f"{metric}_var" not in panel:
        raise CxlabError(f"eiv=True needs the sampling variance column '{metric}_var'.")
    df, xcols = _fe_frame(panel, metric, outcome, lags, eiv)
    where = f"fe_regression {outcome} ~ {metric} (lag {', '.join(map(str, lags))})"
    d = _fe_design(df, xcols, effects, where, outcome)
    X, y, n_units = d["X"], d["y"], d["n_units"]
    xtx_inv = np.linalg.inv(X.T @ X)
    coef = xtx_inv @ (X.T @ y)
    resid = y - X @ coef
    if cov == "auto":
        cov = "wild" if n_units < WILD_BELOW else "cluster"
    se, dof, scale = _fe_se(X, resid, xtx_inv, d["units"], n_units, cov, d["dof_resid"])
    tval = coef / se
    p, low, high, inference, crit_rel = _fe_inference(
        X, y, coef, se, d, cov, dof, scale, level, (weights, int(n_boot), int(seed))
    )
    est = {"coef": coef, "se": se, "low": low, "high": high}
    notes: list[str] = []
    reliability, se_rel = np.ones(len(xcols)), np.zeros(len(xcols))
    if eiv:
        reliability, se_rel, notes = eiv_correct(est, X, df, d["mdiag"], metric, where, crit_rel)
    if cov == "cluster" and n_units < WILD_BELOW:
        notes.append(f"{n_units} clusters: cluster-robust SE is approximate (cov='wild' is better)")
    if d["max_t"] < MIN_PERIODS:
        notes.append(f"at most {d['max_t']} quarters per unit")
    if eiv:
        notes.append(f"slope corrected for sampling error (reliability {reliability[0]:.2f})")
    r2 = 1 - float(resid @ resid) / float(y @ y)
    scale_std = np.sqrt((X**2).mean(axis=0)) / np.sqrt(np.mean(y**2))
    if eiv:
        scale_std[0] *= np.sqrt(reliability[0])  # the SD of the true metric, not the measured one
    out = pd.DataFrame(
        {
            "metric": metric,
            "outcome": outcome,
            "lag": lags,
            **est,
            "t": tval,
            "p": p,
            "n": len(df),
            "n_units": n_units,
            "df": dof,
            "cov": cov,
            "effects": EFFECTS[effects],
            "inference": inference,
            "reliability": reliability,
            "se_reliability": se_rel,
            "r2_within": r2,
            "caution": "; ".join(notes),
        }
    )
    out["coef_std"] = out["coef"] * scale_std
    out["low_std"] = out["low"] * scale_std
    out["high_std"] = out["high"] * scale_std
    return out


def _check_fe_options(effects: str, cov: str, weights: str, n_boot: int, seed: int) -> None:
    """One clear message for an unknown option of :func:`fe_regression`."""
    if effects not in EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    if cov not in ("auto", "wild", "cluster", "HC1", "nonrobust"):
        raise CxlabError(
            f"cov must be 'auto', 'wild', 'cluster', 'HC1' or 'nonrobust', not {cov!r}."
        )
    if weights not in ("auto", "rademacher", "webb"):
        raise CxlabError(f"weights must be 'auto', 'rademacher' or 'webb', not {weights!r}.")
    if not isinstance(n_boot, int | np.integer) or n_boot < 99:
        raise CxlabError(f"n_boot must be an integer of at least 99, got {n_boot!r}.")
    if not isinstance(seed, int | np.integer):
        raise CxlabError(f"seed must be an integer, got {seed!r}.")


def _fe_frame(
    panel: pd.DataFrame, metric: str, outcome: str, lags: list[int], eiv: bool
) -> tuple[pd.DataFrame, list[str]]:
    """The outcome, the lagged metric(s) and (``eiv``) the metric's sampling variance and
    counts, on the unit-quarters where all are present."""
    df = pd.DataFrame(
        {
            "unit": panel["unit"].to_numpy(),
            "qi": panel["qi"].to_numpy(),
            "y": panel[outcome].to_numpy(float),
        }
    )
    xcols = [f"x{k}" for k in lags]
    for k, col in zip(lags, xcols, strict=True):
        df[col] = lagged(panel, metric, k).to_numpy()
    if eiv:
        df["s2"] = lagged(panel, f"{metric}_var", lags[0]).to_numpy()
        extra = {"cnt": _COUNT_COLUMN.get(metric), "pro": "promoters", "det": "detractors"}
        for short, src in extra.items():
            if src is not None and src in panel and (short == "cnt" or metric == "nps"):
                df[short] = lagged(panel, src, lags[0]).to_numpy()
    df = df.dropna(subset=["y", *xcols, *(["s2"] if eiv else [])]).reset_index(drop=True)
    return df, xcols


def _fe_design(
    df: pd.DataFrame, xcols: list[str], effects: str, where: str, outcome: str
) -> dict[str, Any]:
    """The fixed effects partialled out of outcome and regressors, with a clear message
    when the slope is not identified."""
    n_units = df["unit"].nunique()
    if n_units < 2:
        raise CxlabError(
            f"{where}: {n_units} unit(s) with data; a fixed-effects panel regression needs at "
            "least two units (for one unit, use a time-series model)."
        )
    counts = df.groupby("unit").size()
    units = pd.factorize(df["unit"])[0]
    cols = df[["y", *xcols]].to_numpy(float)
    absorbed, mdiag, basis, rank_fe = absorb(units, df["qi"].to_numpy(), cols, effects)
    n, kx = len(df), len(xcols)
    dof_resid = n - rank_fe - kx
    fe_txt = "unit and quarter effects" if effects == "twoway" else "the unit effects"
    if dof_resid < 1:
        raise CxlabError(
            f"{where}: {n} usable unit-quarters in {n_units} units leave no degrees of "
            f"freedom after {fe_txt}; add quarters or reduce the lags."
        )
    y, X = absorbed[:, 0], absorbed[:, 1:]
    tiny = 1e-9 * (1 + np.abs(cols[:, 1:]).max(axis=0))
    if np.linalg.matrix_rank(X) < kx or np.any(np.sqrt((X**2).mean(axis=0)) < tiny):
        raise TooLittleData(
            f"{where}: the lagged metric does not vary within units"
            + (" beyond what all units share each quarter" if effects == "twoway" else "")
            + " (or the lags are collinear); the slope is not identified."
        )
    if np.sqrt(np.mean(y**2)) < 1e-9 * (1 + np.abs(cols[:, 0]).max()):
        raise TooLittleData(
            f"{where}: {outcome} is constant within every unit; nothing to explain."
        )
    return {
        "X": X,
        "y": y,
        "units": units,
        "n_units": n_units,
        "basis": basis,
        "mdiag": mdiag,
        "dof_resid": dof_resid,
        "max_t": int(counts.max()),
    }


def _fe_se(
    X: np.ndarray,
    resid: np.ndarray,
    xtx_inv: np.ndarray,
    units: np.ndarray,
    n_units: int,
    cov: str,
    dof_resid: int,
) -> tuple[np.ndarray, int, float]:
    """Standard errors, their degrees of freedom and the CR1 small-sample scale."""
    n, kx = X.shape
    scale = n_units / (n_units - 1) * (n - 1) / (n - kx)
    if cov in ("cluster", "wild"):
        onehot = np.zeros((n, n_units))
        onehot[np.arange(n), units] = 1.0
        scores = onehot.T @ (X * resid[:, None])
        se = np.sqrt(np.diag(xtx_inv @ (scores.T @ scores) @ xtx_inv) * scale)
        return se, n_units - 1, scale
    if cov == "nonrobust":
        return np.sqrt(np.diag(xtx_inv) * (resid @ resid) / dof_resid), dof_resid, scale
    # HC1 with the dummy-variable model's degrees of freedom
    meat = (X * resid[:, None] ** 2).T @ X
    return np.sqrt(np.diag(xtx_inv @ meat @ xtx_inv) * n / dof_resid), dof_resid, scale


def _fe_inference(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    se: np.ndarray,
    d: dict[str, Any],
    cov: str,
    dof: int,
    scale: float,
    level: float,
    boot: tuple[str, int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, float]:
    """p-values and intervals: the wild cluster bootstrap by test inversion, or the t
    reference of the SEs. Returns ``p, low, high``, how they were computed, and the
    critical value the errors-in-variables term uses."""
    if cov == "wild":
        weights, n_boot, seed = boot
        draws, how = wild_draws(d["n_units"], weights, n_boot, seed)
        res = [
            wild_inference(X, y, j, d["units"], d["basis"], draws, scale, 1 - level)
            for j in range(X.shape[1])
        ]
        p = np.array([r[0] for r in res])
        low = np.array([r[1] for r in res])
        high = np.array([r[2] for r in res])
        inference = f"wild cluster bootstrap (WCR), {how}; interval by test inversion"
        return p, low, high, inference, float(sps.norm.ppf(0.5 + level / 2))
    inference = {
        "cluster": f"CR1 cluster-robust SE, t({dof})",
        "nonrobust": f"OLS SE, t({dof})",
        "HC1": f"HC1 SE, t({dof})",
    }[cov]
    tcrit = float(sps.t.ppf(0.5 + level / 2, dof))
    p = 2 * sps.t.sf(np.abs(coef / se), dof)
    return p, coef - tcrit * se, coef + tcrit * se, inference, tcrit


@renamed_keywords(panel="data")
def effects(
    data: PanelLike,
    metrics: str | Sequence[str] | None = None,
    outcomes: str | Sequence[str] | None = None,
    *,
    lags: int | dict[str, int] = 2,
    eiv: bool = True,
    effects: str = "twoway",
    cov: str = "auto",
    level: float = 0.95,
    correction: str = "holm",
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`fe_regression` for every metric and outcome, one row each, Holm-corrected.

    A pair that cannot be estimated (too little data, a constant series, or, with
    ``eiv``, a metric whose within-unit variation is mostly sampling error) gets
    NaN estimates and the reason in ``caution`` instead of stopping the whole grid;
    when no pair can be estimated every row says why and the columns are the same.
    ``effects``, ``cov`` and ``seed`` are passed on (defaults: unit and quarter
    effects; wild cluster bootstrap below 20 units). ``low``/``high`` are each
    model's own (unadjusted) interval; ``p_adj`` is Holm-adjusted across the grid.

    Parameters
    ----------
    lags : int or dict
        One lag for all outcomes, or ``{outcome: lag}``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`fe_regression`, plus ``p_adj`` and ``estimable``.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": list("aaaabbbb"), "quarter": ["2025Q1", "2025Q2", "2025Q3",
    ...                   "2025Q4"] * 2, "qi": [8100, 8101, 8102, 8103] * 2,
    ...                   "nps": [1.0, 2, 4, 3, 10, 12, 11, 13],
    ...                   "revenue": [5.0, 7, 11, 9, 30, 35, 32, 37]})
    >>> effects(p, ["nps"], ["revenue"], lags=0, eiv=False)[["coef", "estimable"]].round(4).values.tolist()
    [[2.3333, True]]
    """
    panel = data
    metrics_ = as_list(metrics, CX_METRICS)
    outcomes_ = as_list(outcomes, OUTCOMES)
    if effects not in EFFECTS:
        raise CxlabError(f"effects must be 'twoway' or 'unit', not {effects!r}.")
    if cov not in ("auto", "wild", "cluster", "HC1", "nonrobust"):
        raise CxlabError(
            f"cov must be 'auto', 'wild', 'cluster', 'HC1' or 'nonrobust', not {cov!r}."
        )
    model = effects
    rows = []
    for o in outcomes_:
        k = lags[o] if isinstance(lags, dict) else int(lags)
        for m in metrics_:
            try:
                row = fe_regression(
                    panel, m, o, lag=k, eiv=eiv, effects=model, cov=cov, level=level, seed=seed
                )
                row["estimable"] = True
            except CxlabError as exc:
                row = pd.DataFrame(
                    [
                        {
                            "metric": m,
                            "outcome": o,
                            "lag": k,
                            "effects": EFFECTS.get(model, model),
                            "estimable": False,
                            "caution": str(exc),
                        }
                    ]
                )
            rows.append(row)
    # reindex: when no pair can be estimated the rows hold only the reasons (no 'p')
    out = pd.concat(rows, ignore_index=True).reindex(columns=[*FE_COLUMNS, "estimable"])
    out["p_adj"] = cxstats.adjust_pvalues(out["p"].to_numpy(float), correction)
    return out
