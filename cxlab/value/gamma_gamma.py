"""Gamma-Gamma: how much customers spend per purchase, shrunk towards the average.

Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" (note,
brucehardie.com/notes/025); also Fader, Hardie & Lee (2005), "RFM and CLV: using
iso-value curves for customer base analysis", *Journal of Marketing Research*
42(4). A customer's purchase values are Gamma(p, nu) with ``nu ~ Gamma(q,
gamma)`` across customers (``v`` below is the note's gamma). Fitted by maximum
likelihood on the repeat customers' number of repeat purchases ``x`` and mean
repeat spend ``zbar`` (:func:`cxlab.value.rfm`); customers without a repeat
purchase carry no information about spend and are left out of the fit.

Hand-written for the same reason as :mod:`cxlab.value.bgnbd` (``lifetimes`` is
unmaintained, ``pymc-marketing`` heavy for a three-parameter likelihood).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from cxlab._checks import as_table, check_columns
from cxlab.errors import CxlabError
from cxlab.value._mle import (
    LogModel,
    collapse_rows,
    fit_log_params,
    refuse_rows,
    summary_columns,
)

if TYPE_CHECKING:
    from cxlab.value.bgnbd import BGNBD

__all__ = [
    "GammaGamma",
    "gamma_gamma",
    "gamma_gamma_log_likelihood",
    "spend_loglik_gradient",
    "spend_loglik_terms",
]

NAMES = ("p", "q", "v")


def gamma_gamma_log_likelihood(params: Any, frequency: Any, monetary: Any) -> np.ndarray:
    """Each repeat customer's log density of their mean spend (Fader & Hardie 2013).

    ``params`` is ``(p, q, v)``; ``frequency`` > 0 and ``monetary`` > 0.

    Examples
    --------
    >>> round(float(gamma_gamma_log_likelihood((6.25, 3.74, 15.44), [2], [22.35])[0]), 4)
    -3.5513
    """
    x = np.asarray(frequency, dtype=float)
    ux, inv = np.unique(x, return_inverse=True)
    return spend_loglik_terms(params, ux, inv, np.asarray(monetary, dtype=float))


def spend_loglik_terms(params: Any, ux: np.ndarray, inv: np.ndarray, z: np.ndarray) -> np.ndarray:
    """:func:`gamma_gamma_log_likelihood` with the frequencies as distinct values
    ``ux`` and each row's index ``inv`` into them (gamma functions once per value)."""
    p, q, v = (float(u) for u in params)
    pu = p * ux
    per_x = special.gammaln(pu + q) - special.gammaln(pu) - special.gammaln(q) + pu * np.log(ux)
    px = pu[inv]
    return per_x[inv] + q * np.log(v) + (px - 1.0) * np.log(z) - (px + q) * np.log(v + ux[inv] * z)


def spend_loglik_gradient(
    params: Any, ux: np.ndarray, inv: np.ndarray, z: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Gradient of ``sum(w * spend_loglik_terms(...))`` with respect to ``(p, q, v)``."""
    p, q, v = (float(u) for u in params)
    psi = special.digamma
    x = ux[inv]
    log_vxz = np.log(v + x * z)
    wx = np.bincount(inv, weights=w, minlength=len(ux))
    d_p = wx @ (ux * (psi(p * ux + q) - psi(p * ux) + np.log(ux))) + w @ (x * (np.log(z) - log_vxz))
    d_q = wx @ (psi(p * ux + q) - psi(q)) + w @ (np.log(v) - log_vxz)
    d_v = w.sum() * q / v - w @ ((p * x + q) / (v + x * z))
    return np.array([d_p, d_q, d_v])


class GammaGamma(LogModel):
    """A fitted Gamma-Gamma spend model (``fit`` returns self; results end in ``_``).

    Attributes (after :meth:`fit`)
    ------------------------------
    params_, se_ : pandas.Series
        ``p, q, v`` and their standard errors (observed information).
    summary_ : pandas.DataFrame
        ``param, estimate, se, low, high, level`` (log-scale Wald intervals).
    cov_ : pandas.DataFrame
        Covariance of the log parameters (inverse observed information); the
        natural-scale covariance is ``cov_ * outer(params_, params_)``.
    log_likelihood_ : float
    n_ : float
        Repeat customers fitted (sum of weights); ``n_excluded_`` customers
        without a repeat purchase (left out).
    mean_spend_ : float
        Mean spend per purchase in the population, ``p v / (q - 1)`` (infinite
        when ``q <= 1``).
    converged_ : bool
    data_ : pandas.DataFrame
        ``frequency, monetary`` of every row given to :meth:`fit` (index kept).
    """

    NAMES = NAMES
    n_excluded_: float
    mean_spend_: float
    data_: pd.DataFrame
    columns_: dict[str, str]

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        monetary: str = "monetary",
        weight: str | None = None,
    ) -> GammaGamma:
        """Fit on the rows with ``frequency > 0`` (their ``monetary`` must be > 0)."""
        wanted = [c for c in (frequency, monetary, weight) if c is not None]
        if not isinstance(data, pd.DataFrame):
            t = as_table(data)
            check_columns(t, wanted, "the summary")
            data = t.select(*wanted).to_pandas()
        if frequency in data.columns and monetary in data.columns:
            # mean repeat spend is undefined without a repeat purchase: not used
            repeat = pd.to_numeric(data[frequency], errors="coerce") > 0
            data = data.assign(**{monetary: data[monetary].where(repeat, 0.0)})
        cols = {"frequency": frequency, "monetary": monetary, "weight": weight}
        s, w = summary_columns(data, cols, "gamma_gamma")
        x, z = s["frequency"].to_numpy(), s["monetary"].to_numpy()
        rule = f"{frequency!r} is a whole number >= 0"
        refuse_rows((x < 0) | (x != np.round(x)), s.index, "gamma_gamma", rule)
        refuse_rows(
            (x > 0) & (z <= 0), s.index, "gamma_gamma", f"{monetary!r} > 0 for repeat customers"
        )
        keep = (x > 0) & (w > 0)
        if not keep.any():
            raise CxlabError("gamma_gamma: no customer has a repeat purchase; nothing to fit.")
        xk, zk, wk = collapse_rows(w[keep], x[keep], z[keep])
        ux, inv = np.unique(xk, return_inverse=True)

        def neg_ll(log_p: np.ndarray) -> float:
            return -float(np.dot(wk, spend_loglik_terms(np.exp(log_p), ux, inv, zk)))

        def grad(log_p: np.ndarray) -> np.ndarray:  # chain rule: d/dlog(theta) = theta d/dtheta
            theta = np.exp(log_p)
            return -theta * spend_loglik_gradient(theta, ux, inv, zk, wk)

        start = np.log([1.0, 1.0, float(np.average(zk, weights=wk))])
        fit = fit_log_params(neg_ll, start, NAMES, "gamma_gamma", grad=grad, n=float(wk.sum()))
        self.store(fit, "gamma_gamma")
        self.n_ = float(wk.sum())
        self.n_excluded_ = float(w[x == 0].sum())
        p, q, v = self.params_.to_numpy()
        self.mean_spend_ = float(p * v / (q - 1.0)) if q > 1 else float("inf")
        self.data_ = s.assign(monetary=s["monetary"].where(s["frequency"] > 0))
        self.columns_ = {"frequency": frequency, "monetary": monetary}
        return self

    def expected_spend(self, data: pd.DataFrame | None = None) -> pd.Series:
        """E[M | x, zbar]: each customer's expected mean spend per purchase (eq. 5).

        A weighted average of the population mean ``p v / (q - 1)`` and the
        customer's own mean ``zbar``, with weight ``p x / (p x + q - 1)`` on the
        latter; customers without repeat purchases get the population mean.

        Examples
        --------
        >>> m = GammaGamma()
        >>> m.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
        >>> m.columns_ = {"frequency": "frequency", "monetary": "monetary"}
        >>> d = pd.DataFrame({"frequency": [2, 1, 0], "monetary": [22.35, 11.77, float("nan")]})
        >>> m.expected_spend(d).round(2).tolist()
        [24.66, 18.92, 35.22]
        """
        if data is None:
            d, names = self.data_, {"frequency": "frequency", "monetary": "monetary"}
        else:
            d, names = data, self.columns_
        p, q, v = self.params_[list(NAMES)].to_numpy()
        x = np.asarray(d[names["frequency"]], dtype=float)
        z = np.where(x > 0, np.asarray(d[names["monetary"]], dtype=float), 0.0)
        return pd.Series(p * (v + x * z) / (p * x + q - 1.0), index=d.index, name="expected_spend")

    def clv(
        self,
        purchases: BGNBD,
        data: pd.DataFrame | None = None,
        **options: Any,
    ) -> pd.DataFrame:
        """Discounted value per customer with a fitted BG/NBD: :func:`cxlab.value.clv`
        (``options``: ``months``, ``discount_rate``, ``unit``, ``n_boot``, ``level``,
        ``seed``)."""
        from cxlab.value.clv import clv

        return clv(purchases, self, data, **options)


def gamma_gamma(
    data: Any,
    *,
    frequency: str = "frequency",
    monetary: str = "monetary",
    weight: str | None = None,
    level: float = 0.95,
) -> GammaGamma:
    """Fit the Gamma-Gamma spend model (Fader & Hardie 2013) to a per-customer summary.

    Parameters
    ----------
    data : pandas.DataFrame or Ibis table
        One row per customer (see :func:`cxlab.value.rfm`); rows with
        ``frequency == 0`` are kept in ``data_`` but not fitted.
    frequency, monetary : str
        Columns: repeat purchases and the mean value of the repeat purchases.
    weight : str, optional
        Column of counts (or weights >= 0) of customers per row.
    level : float
        Confidence level of the intervals in ``summary_``.

    Returns
    -------
    GammaGamma

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"frequency": [1, 2, 3, 1, 5, 2, 0],
    ...                   "monetary": [10.0, 30.0, 25.0, 12.0, 40.0, 18.0, float("nan")]})
    >>> m = gamma_gamma(s)
    >>> m.n_, m.n_excluded_
    (6.0, 1.0)
    """
    return GammaGamma(level=level).fit(data, frequency=frequency, monetary=monetary, weight=weight)
