"""BG/NBD: how many purchases customers who may silently leave will make.

Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an
alternative to the Pareto/NBD model", *Marketing Science* 24(2), 275-284. While
alive a customer buys at a Poisson rate ``lambda ~ Gamma(r, alpha)``; after each
purchase they leave with probability ``p ~ Beta(a, b)``. Fitted by maximum
likelihood on the per-customer summary (:func:`cxlab.value.rfm`): frequency
``x``, recency ``t_x`` and age ``T``.

Hand-written on purpose: the ``lifetimes`` package that implements it is
unmaintained since 2020 and pins old versions of the stack, and
``pymc-marketing`` (its maintained successor) brings PyMC and a sampler for
what is a four-parameter likelihood. The likelihood, the expectations and
P(alive) below are the paper's (E[X(t)] its equation 9, the conditional expectation
equation 10, as the ``lifetimes`` docstrings number them; P(alive) in
the form of Fader, Hardie & Lee's note "Computing P(alive) using the BG/NBD
model"); the numbers are checked against the paper on the CDNOW data in
``tests/test_value.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from cxlab.value._mle import (
    LogModel,
    collapse_rows,
    fit_log_params,
    refuse_rows,
    summary_columns,
)

__all__ = [
    "BGNBD",
    "bgnbd",
    "bgnbd_log_likelihood",
    "conditional_expected_purchases",
    "loglik_gradient",
    "loglik_terms",
    "probability_alive",
]

NAMES = ("r", "alpha", "a", "b")


def bgnbd_log_likelihood(params: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
    """Each customer's BG/NBD log-likelihood (Fader, Hardie & Lee 2005).

    ``params`` is ``(r, alpha, a, b)``; the other arguments are arrays of the same
    length.

    Examples
    --------
    >>> round(float(bgnbd_log_likelihood((0.243, 4.414, 0.793, 2.426), [0], [0.0], [38.86])[0]), 4)
    -0.5547
    """
    x = np.asarray(frequency, dtype=float)
    ux, inv = np.unique(x, return_inverse=True)
    return loglik_terms(params, ux, inv, np.asarray(recency, float), np.asarray(T, float))


def loglik_terms(
    params: Any, ux: np.ndarray, inv: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """:func:`bgnbd_log_likelihood` with the frequencies given as their distinct
    values ``ux`` and the index ``inv`` of each row's value: the gamma functions
    are evaluated once per distinct frequency (the fit calls this hundreds of
    times; frequencies are few distinct integers)."""
    r, alpha, a, b = (float(v) for v in params)
    xm = np.maximum(ux, 1.0)  # the second term exists only for x > 0
    per_x = (
        special.gammaln(r + ux)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.gammaln(a + b)
        + special.gammaln(b + ux)
        - special.gammaln(b)
        - special.gammaln(a + b + ux)
    )
    drop = np.where(ux > 0, np.log(a) - np.log(b + xm - 1.0), -np.inf)
    x = ux[inv]
    a3 = -(r + x) * np.log(alpha + age)
    a4 = drop[inv] - (r + x) * np.log(alpha + t_x)
    return per_x[inv] + np.logaddexp(a3, a4)


def loglik_gradient(
    params: Any, ux: np.ndarray, inv: np.ndarray, t_x: np.ndarray, age: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Gradient of ``sum(w * loglik_terms(...))`` with respect to ``(r, alpha, a, b)``.

    Differentiates the log-likelihood term by term: the digamma terms per distinct frequency,
    and the two terms inside the log-sum weighted by their shares ``s3``, ``s4``.
    """
    r, alpha, a, b = (float(v) for v in params)
    psi = special.digamma
    x = ux[inv]
    la_T, la_t = np.log(alpha + age), np.log(alpha + t_x)
    drop = np.where(ux > 0, np.log(a) - np.log(b + np.maximum(ux, 1.0) - 1.0), -np.inf)
    a3 = -(r + x) * la_T
    a4 = drop[inv] - (r + x) * la_t
    s4 = special.expit(a4 - a3)  # share of the "dropped out after t_x" term
    s3 = 1.0 - s4
    wx = np.bincount(inv, weights=w, minlength=len(ux))  # weight per distinct x
    ws4 = w * s4
    d_r = wx @ (psi(r + ux) - psi(r) + np.log(alpha)) - w @ (s3 * la_T + s4 * la_t)
    d_alpha = w.sum() * r / alpha - w @ ((r + x) * (s3 / (alpha + age) + s4 / (alpha + t_x)))
    d_ab = psi(a + b) - psi(a + b + ux)
    d_a = wx @ d_ab + ws4.sum() / a
    xm = np.maximum(ux, 1.0)
    d_b = wx @ (d_ab + psi(b + ux) - psi(b)) - np.bincount(inv, weights=ws4, minlength=len(ux)) @ (
        1.0 / (b + xm - 1.0)
    )
    return np.array([d_r, d_alpha, d_a, d_b])


def probability_alive(params: Any, x: Any, t_x: Any, age: Any) -> np.ndarray:
    """P(alive | x, t_x, T) (Fader, Hardie & Lee, December 2008, "Computing P(alive)
    using the BG/NBD model", brucehardie.com): 1 without repeat purchases."""
    r, alpha, a, b = (float(v) for v in params)
    x, t_x, age = (np.asarray(v, dtype=float) for v in (x, t_x, age))
    xm = np.maximum(x, 1.0)
    log_odds = (
        np.log(a) - np.log(b + xm - 1.0) + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    )
    return np.asarray(np.where(x > 0, special.expit(-log_odds), 1.0))


def conditional_expected_purchases(params: Any, t: Any, x: Any, t_x: Any, age: Any) -> np.ndarray:
    """E[Y(t) | x, t_x, T] (eq. 10); ``t`` broadcasts against the customers (e.g. a
    column of horizons gives one row per horizon).

    Examples
    --------
    >>> p = (0.243, 4.414, 0.793, 2.426)
    >>> conditional_expected_purchases(p, 39.0, [2, 400], [30.43, 39.0], [38.86, 39.0]).round(3)
    array([  1.226, 274.087])
    """
    r, alpha, a, b = (float(v) for v in params)
    t = np.asarray(t, dtype=float)
    x, age = np.asarray(x, dtype=float), np.asarray(age, dtype=float)
    z = t / (alpha + age + t)
    # eq. 10 has (1 - z)^(r + x) 2F1(r + x, b + x; a + b + x - 1; z), which overflows
    # for frequent buyers (x in the hundreds); Euler's transformation
    # 2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z) turns it into
    # (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z), whose series is tame
    # (the same trouble as Fader & Hardie's note 027, "Overcoming the BG/NBD model's
    # #NUM! error problem", 2013). With a and b in the millions (no heterogeneity in
    # dropout) that form overflows instead, and the direct one is tame: take the finite.
    c = a + b + x - 1.0
    with np.errstate(all="ignore"):
        euler = (1.0 - z) ** (a - 1.0) * special.hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
        direct = (1.0 - z) ** (r + x) * special.hyp2f1(r + x, b + x, c, z)
    head = c / (a - 1.0)
    body = 1.0 - np.where(np.isfinite(euler), euler, direct)
    return np.asarray(head * body * probability_alive(params, x, t_x, age))


class BGNBD(LogModel):
    """A fitted BG/NBD model (lifelines-style: ``fit`` returns self, results end in ``_``).

    Attributes (after :meth:`fit`)
    ------------------------------
    params_ : pandas.Series
        ``r, alpha, a, b`` (``alpha`` in the summary's unit of time).
    se_ : pandas.Series
        Standard errors from the observed information (inverse Hessian of the
        negative log-likelihood).
    summary_ : pandas.DataFrame
        ``param, estimate, se, low, high, level``; intervals are Wald intervals of
        the log parameter, exponentiated.
    cov_ : pandas.DataFrame
        Covariance of the log parameters (inverse observed information); the
        natural-scale covariance is ``cov_ * outer(params_, params_)``.
    log_likelihood_ : float
    n_ : float
        Customers (sum of the weights); ``n_rows_`` rows of the summary.
    converged_ : bool
        The optimiser stopped at a point where the Hessian is positive definite.
    data_ : pandas.DataFrame
        The fitted summary (``frequency, recency, T``) with the input's index.
    columns_ : dict
        The column names given to :meth:`fit`; the prediction methods read
        ``data`` by these names.
    """

    NAMES = NAMES
    n_rows_: int
    data_: pd.DataFrame
    columns_: dict[str, str]

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        weight: str | None = None,
    ) -> BGNBD:
        """Fit by maximum likelihood on a summary (pandas or Ibis), one row per customer
        or, with ``weight``, per distinct (frequency, recency, T) with its count."""
        cols = {"frequency": frequency, "recency": recency, "T": T, "weight": weight}
        s, w = summary_columns(data, cols, "bgnbd")
        x, t_x, age = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
        refuse_rows(
            (x < 0) | (x != np.round(x)), s.index, "bgnbd", f"{frequency!r} is a whole number >= 0"
        )
        refuse_rows((t_x < 0) | (t_x > age), s.index, "bgnbd", f"0 <= {recency!r} <= {T!r}")
        refuse_rows(
            (x == 0) & (t_x != 0), s.index, "bgnbd", f"{recency!r} is 0 when {frequency!r} is 0"
        )
        # T = 0 (first purchase on the last day) is allowed: such a customer adds nothing
        refuse_rows(age < 0, s.index, "bgnbd", f"{T!r} >= 0")
        keep = w > 0
        xk, tk, ak, wk = collapse_rows(w[keep], x[keep], t_x[keep], age[keep])
        ux, inv = np.unique(xk, return_inverse=True)

        def neg_ll(log_p: np.ndarray) -> float:
            return -float(np.dot(wk, loglik_terms(np.exp(log_p), ux, inv, tk, ak)))

        def grad(log_p: np.ndarray) -> np.ndarray:  # chain rule: d/dlog(theta) = theta d/dtheta
            theta = np.exp(log_p)
            return -theta * loglik_gradient(theta, ux, inv, tk, ak, wk)

        scale = float(np.average(ak, weights=wk))
        start = np.log([1.0, scale, 1.0, 1.0])
        fit = fit_log_params(neg_ll, start, NAMES, "bgnbd", grad=grad, n=float(wk.sum()))
        self.store(fit, "bgnbd")
        self.n_, self.n_rows_ = float(w.sum()), len(s)
        self.data_ = s
        self.columns_ = {"frequency": frequency, "recency": recency, "T": T}
        return self

    def arrays(
        self, data: pd.DataFrame | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index]:
        """``frequency, recency, T`` of ``data`` (by the fitted column names) and its index."""
        if data is None:
            d, names = self.data_, {role: role for role in self.columns_}
        else:
            d, names = data, self.columns_
        return (
            np.asarray(d[names["frequency"]], dtype=float),
            np.asarray(d[names["recency"]], dtype=float),
            np.asarray(d[names["T"]], dtype=float),
            d.index,
        )

    def expected_purchases(self, t: Any) -> np.ndarray:
        """E[X(t)]: purchases a new customer makes in ``(0, t]`` (eq. 9).

        Examples
        --------
        >>> m = BGNBD()
        >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> round(float(m.expected_purchases(78.0)), 3)
        1.861
        """
        r, alpha, a, b = self.params_[list(NAMES)].to_numpy()
        t = np.asarray(t, dtype=float)
        hyp = special.hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
        return np.asarray((a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyp))

    def probability_alive(self, data: pd.DataFrame | None = None) -> pd.Series:
        """P(alive | x, t_x, T) for each customer of ``data`` (default: the fitted summary).

        ``data`` has the columns named in :meth:`fit`; the result keeps its index.
        """
        x, t_x, age, index = self.arrays(data)
        p = probability_alive(self.params_[list(NAMES)].to_numpy(), x, t_x, age)
        return pd.Series(p, index=index, name="p_alive")

    def conditional_expected_purchases(
        self, t: float, data: pd.DataFrame | None = None
    ) -> pd.Series:
        """E[Y(t) | x, t_x, T]: each customer's expected purchases in the next ``t`` (eq. 10)."""
        x, t_x, age, index = self.arrays(data)
        e = conditional_expected_purchases(self.params_[list(NAMES)].to_numpy(), t, x, t_x, age)
        return pd.Series(e, index=index, name="expected_purchases")

    def predict(self, t: float, data: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per customer: ``p_alive`` and ``expected_purchases`` in the next ``t``."""
        return pd.concat(
            [self.probability_alive(data), self.conditional_expected_purchases(t, data)],
            axis=1,
        )


def bgnbd(
    data: Any,
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    weight: str | None = None,
    level: float = 0.95,
) -> BGNBD:
    """Fit the BG/NBD model (Fader, Hardie & Lee 2005) to a per-customer summary.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        One row per customer (see :func:`cxlab.value.rfm`), or per distinct
        ``(frequency, recency, T)`` with the number of customers in ``weight``.
    frequency, recency, T : str
        Columns: repeat purchases, time of the last purchase since the first, age
        at the end of the calibration period (recency and T in one unit).
    weight : str, optional
        Column of counts (or any weights >= 0) of customers per row.
    level : float
        Confidence level of the intervals in ``summary_``.

    Returns
    -------
    BGNBD
        The fitted model: ``params_``, ``se_``, ``summary_``, ``log_likelihood_``,
        ``probability_alive()``, ``conditional_expected_purchases()``, ...

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"frequency": [0, 1, 2, 0, 4, 0, 1, 3],
    ...                   "recency": [0.0, 10.0, 30.0, 0.0, 35.0, 0.0, 2.0, 20.0],
    ...                   "T": [39.0, 39.0, 38.0, 37.0, 39.0, 36.0, 38.0, 39.0]})
    >>> m = bgnbd(s)
    >>> list(m.summary_.columns)
    ['param', 'estimate', 'se', 'low', 'high', 'level']
    >>> m.probability_alive().round(2).tolist()
    [1.0, 0.54, 0.74, 1.0, 0.76, 1.0, 0.41, 0.5]
    """
    return BGNBD(level=level).fit(data, frequency=frequency, recency=recency, T=T, weight=weight)
