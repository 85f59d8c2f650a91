"""The API of Python's `lifetimes` (0.11) on clvkit's models, for code that switches.

    from clvkit.lifetimes_compat import BetaGeoFitter, GammaGammaFitter
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    bgf.conditional_expected_number_of_purchases_up_to_time(39, f, r, T)
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    ggf.customer_lifetime_value(bgf, f, r, T, m, time=12, discount_rate=0.01, freq="W")

Fitters: BetaGeoFitter (BG/NBD), ModifiedBetaGeoFitter (MBG/NBD), ParetoNBDFitter,
BetaGeoBetaBinomFitter (BG/BB), GammaGammaFitter; and summary_data_from_transaction_data.
Methods return pandas Series indexed like their input Series (numpy arrays for arrays), as
lifetimes does. The fits are clvkit's (L-BFGS on log-parameters, converged by the gradient);
their maxima agree with lifetimes' to the optimisers' tolerance.

Not supported (UsageError when given): penalizer_coef other than 0, initial_params, the
fitters' plotting and `generate_new_data`, `save_model`/`load_model` (use clvkit.fit and
Model.save), GammaGammaFitter's q_constraint=False is ignored (clvkit always needs q > 1),
customer_lifetime_value's freq other than 'D', 'W', 'H', 'M', and
summary_data_from_transaction_data's freq other than 'D' and include_first_transaction.
"""
import json

import numpy as np
import pandas as pd

from . import _core, summarize
from ._core import UsageError

__all__ = ["BetaGeoFitter", "ModifiedBetaGeoFitter", "ParetoNBDFitter", "BetaGeoBetaBinomFitter",
           "GammaGammaFitter", "summary_data_from_transaction_data"]

# lifetimes' convergence is scipy's BFGS with tol 1e-7 on a mean scaled likelihood; clvkit's
# gradient test, relative to |LL|, is tightened here so that its estimates sit at the maximum
# to ~1e-7 (lifetimes' reference estimates do too), not only within the default's 1e-7 * |LL|.
_TOLERANCE = 1e-10

# Days (or the freq's own units) per "month" in lifetimes' customer_lifetime_value.
_MONTH = {"W": 4.345, "D": 30.0, "H": 30.0 * 24.0, "M": 1.0}


def _array(values):
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1))


def _like(template, values):
    """lifetimes returns Series indexed like the input when given a Series."""
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index)
    return values


def _refuse(what, kwargs, allowed):
    unsupported = sorted(set(kwargs) - set(allowed))
    if unsupported:
        raise UsageError(f"{what}: unsupported arguments {unsupported} (see "
                         f"clvkit.lifetimes_compat)")
    if kwargs.get("initial_params") is not None:
        raise UsageError(f"{what}: initial_params is not supported: clvkit chooses its starts")


class _Fitter:
    _key = ""
    _names = ()

    def __init__(self, penalizer_coef=0.0):
        if penalizer_coef:
            raise UsageError(f"{type(self).__name__}: penalizer_coef is not supported by clvkit")
        self.penalizer_coef = 0.0
        self.params_ = None
        self.fit_summary = None
        self.data = None

    def _set_fit(self, result):
        values, summary = result
        self.fit_summary = json.loads(summary)
        self.params_ = pd.Series(dict(zip(self._names, values)), dtype=float)
        self._log_likelihood = self.fit_summary["log_likelihood"]

    def _params(self):
        if self.params_ is None:
            raise UsageError(f"{type(self).__name__}: call fit first")
        return [float(self.params_[name]) for name in self._names]

    @property
    def summary(self):
        """coef, se(coef) and the 95% bounds, as lifetimes' summary (bounds from clvkit's
        log-scale intervals; NaN where the fit refused standard errors)."""
        rows = {}
        for clvkit_name, name in zip(self.fit_summary["parameters"], self._names):
            estimate = self.fit_summary["parameters"][clvkit_name]
            lower, upper = estimate.get("ci95", [np.nan, np.nan])
            rows[name] = [estimate["value"], estimate.get("standard_error", np.nan), lower, upper]
        return pd.DataFrame.from_dict(rows, orient="index", columns=[
            "coef", "se(coef)", "lower 95% bound", "upper 95% bound"])

    @property
    def log_likelihood_(self):
        return self._log_likelihood


class _PurchaseFitter(_Fitter):
    """The continuous-time purchase models: fit(frequency, recency, T) in one time unit."""

    def fit(self, frequency, recency, T, weights=None, **kwargs):
        _refuse(f"{type(self).__name__}.fit", kwargs,
                {"verbose", "tol", "iterative_fitting", "index", "initial_params"})
        weight_values = _array([] if weights is None else weights)
        self._set_fit(_core.fit_purchase(self._key, _array(frequency), _array(recency),
                                         _array(T), weight_values, _TOLERANCE))
        self.data = pd.DataFrame({"frequency": _array(frequency), "recency": _array(recency),
                                  "T": _array(T)})
        return self

    def _data(self, frequency, recency, T):
        if frequency is None:
            return self.data["frequency"], self.data["recency"], self.data["T"]
        return frequency, recency, T

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency=None,
                                                           recency=None, T=None):
        frequency, recency, T = self._data(frequency, recency, T)
        values = _core.purchase_per_customer(self._key, self._params(), _array(t),
                                             _array(frequency), _array(recency), _array(T), False)
        return _like(frequency, values)

    predict = conditional_expected_number_of_purchases_up_to_time

    def conditional_probability_alive(self, frequency=None, recency=None, T=None):
        frequency, recency, T = self._data(frequency, recency, T)
        values = _core.purchase_per_customer(self._key, self._params(), _array([0.0]),
                                             _array(frequency), _array(recency), _array(T), True)
        return _like(frequency, values)

    def expected_number_of_purchases_up_to_time(self, t):
        values = _core.purchase_new_customer(self._key, self._params(), _array(t))
        return values[0] if np.isscalar(t) else _like(t, values)


class BetaGeoFitter(_PurchaseFitter):
    """BG/NBD (Fader, Hardie and Lee 2005)."""
    _key = "bgnbd"
    _names = ("r", "alpha", "a", "b")


class ModifiedBetaGeoFitter(_PurchaseFitter):
    """MBG/NBD (Batislam, Denizel and Filiztekin 2007)."""
    _key = "mbgnbd"
    _names = ("r", "alpha", "a", "b")


class ParetoNBDFitter(_PurchaseFitter):
    """Pareto/NBD (Schmittlein, Morrison and Colombo 1987)."""
    _key = "pnbd"
    _names = ("r", "alpha", "s", "beta")


class BetaGeoBetaBinomFitter(_Fitter):
    """BG/BB (Fader, Hardie and Shang 2010) on discrete opportunities: fit(frequency, recency,
    n_periods, weights) with recency the opportunity of the last transaction."""
    _key = "bgbb"
    _names = ("alpha", "beta", "gamma", "delta")

    def fit(self, frequency, recency, n_periods, weights=None, **kwargs):
        _refuse("BetaGeoBetaBinomFitter.fit", kwargs,
                {"verbose", "tol", "index", "initial_params"})
        weight_values = _array([] if weights is None else weights)
        self._set_fit(_core.fit_purchase(self._key, _array(frequency), _array(recency),
                                         _array(n_periods), weight_values, _TOLERANCE))
        self.data = pd.DataFrame({"frequency": _array(frequency), "recency": _array(recency),
                                  "n_periods": _array(n_periods)})
        return self

    def conditional_expected_number_of_purchases_up_to_time(self, m_periods_in_future,
                                                           frequency, recency, n_periods):
        values = _core.purchase_per_customer(self._key, self._params(),
                                             _array(m_periods_in_future), _array(frequency),
                                             _array(recency), _array(n_periods), False)
        return _like(frequency, values)


class GammaGammaFitter(_Fitter):
    """Gamma-Gamma spend (Fader, Hardie and Lee 2005), fitted on repeat buyers (frequency > 0);
    parameters p, q, v (clvkit's gamma)."""
    _key = "gamma_gamma"
    _names = ("p", "q", "v")

    def fit(self, frequency, monetary_value, weights=None, **kwargs):
        _refuse("GammaGammaFitter.fit", kwargs,
                {"verbose", "tol", "q_constraint", "index", "initial_params"})
        if weights is not None:
            raise UsageError("GammaGammaFitter.fit: weights are not supported by clvkit")
        self._set_fit(_core.fit_spend(self._key, _array(frequency), _array(monetary_value),
                                      _TOLERANCE))
        self.data = pd.DataFrame({"frequency": _array(frequency),
                                  "monetary_value": _array(monetary_value)})
        return self

    def conditional_expected_average_profit(self, frequency=None, monetary_value=None):
        if frequency is None:
            frequency, monetary_value = self.data["frequency"], self.data["monetary_value"]
        values = _core.spend_expected(self._key, self._params(), _array(frequency),
                                      _array(monetary_value))
        return _like(frequency, values)

    def customer_lifetime_value(self, transaction_prediction_model, frequency, recency, T,
                                monetary_value, time=12, discount_rate=0.01, freq="D"):
        """lifetimes' CLV: sum over months k = 1..time of E[M] (E[X(k f)] - E[X((k-1) f)]) /
        (1 + discount_rate)^k, f the freq's units per month (W 4.345, D 30, H 720, M 1)."""
        if freq not in _MONTH:
            raise UsageError(f"customer_lifetime_value: freq must be one of "
                             f"{', '.join(_MONTH)}, got {freq!r}")
        model = transaction_prediction_model
        if not isinstance(model, _PurchaseFitter):
            raise UsageError("customer_lifetime_value: the transaction model must be a fitted "
                             "BetaGeoFitter, ModifiedBetaGeoFitter or ParetoNBDFitter")
        # Model time units are the freq's own, so one unit is one "day" of the value options.
        values = _core.customer_value(model._key, model._params(), self._key, self._params(),
                                      _array(frequency), _array(recency), _array(T),
                                      _array(monetary_value), 1.0, int(time), _MONTH[freq],
                                      float(discount_rate))
        return _like(frequency, values)


def summary_data_from_transaction_data(transactions, customer_id_col, datetime_col,
                                       monetary_value_col=None, datetime_format=None,
                                       observation_period_end=None, freq="D",
                                       freq_multiplier=1, include_first_transaction=False):
    """frequency, recency, T (in days / freq_multiplier) and monetary_value (mean spend of the
    repeat purchase days) per customer, indexed by customer id, computed by clvkit.summarize
    (purchase occasions are calendar days, as lifetimes' freq='D')."""
    if freq != "D":
        raise UsageError("summary_data_from_transaction_data: only freq='D' is supported "
                         "(use freq_multiplier=7 for weeks)")
    if include_first_transaction:
        raise UsageError("summary_data_from_transaction_data: include_first_transaction is not "
                         "supported")
    frame = transactions
    if datetime_format is not None:
        frame = frame.assign(**{datetime_col: pd.to_datetime(frame[datetime_col],
                                                             format=datetime_format)})
    amount = monetary_value_col
    if amount is None:
        amount = "__clvkit_amount"
        frame = frame.assign(**{amount: 1.0})
    summary = summarize(frame, customer=customer_id_col, date=datetime_col, amount=amount,
                        as_of=observation_period_end)
    out = pd.DataFrame({
        "frequency": summary["frequency"].astype(float).to_numpy(),
        "recency": summary["recency"].to_numpy() / float(freq_multiplier),
        "T": summary["T"].to_numpy() / float(freq_multiplier),
    }, index=pd.Index(summary["customer_id"], name=customer_id_col))
    if monetary_value_col is not None:
        out["monetary_value"] = summary["monetary"].to_numpy()
    return out
