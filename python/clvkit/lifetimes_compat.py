"""The API of Python's `lifetimes` on clvkit's models, for code that switches.

    from clvkit.lifetimes_compat import BetaGeoFitter, GammaGammaFitter
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    bgf.conditional_expected_number_of_purchases_up_to_time(39, f, r, T)

Supported: BetaGeoFitter (fit, params_, summary, conditional_expected_number_of_purchases_up_to_time,
conditional_probability_alive, predict) and GammaGammaFitter (fit, params_, summary,
conditional_expected_average_profit). Not supported (yet): penalizer_coef, initial_params,
weights, the plotting functions, customer_lifetime_value and the other fitters.
"""
import json

import numpy as np
import pandas as pd

from . import _core
from ._core import UsageError


def _array(values):
    return np.asarray(values, dtype=np.float64)


def _like(template, values):
    """lifetimes returns Series indexed like the input when given Series."""
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index)
    return values


class BetaGeoFitter:
    """BG/NBD (Fader, Hardie and Lee 2005), fitted by clvkit."""

    def __init__(self, penalizer_coef=0.0):
        if penalizer_coef:
            raise UsageError("BetaGeoFitter: penalizer_coef is not supported by clvkit")
        self.params_ = None
        self.summary = None

    def fit(self, frequency, recency, T, **kwargs):
        unsupported = set(kwargs) - {"verbose", "tol", "iterative_fitting", "index"}
        if unsupported:
            raise UsageError(f"BetaGeoFitter.fit: unsupported arguments {sorted(unsupported)}")
        fit = _core.fit_bgnbd(_array(frequency).tolist(), _array(recency).tolist(),
                              _array(T).tolist())
        self.params_ = pd.Series({k: fit[k] for k in ("r", "alpha", "a", "b")})
        self.summary = json.loads(fit["summary"])
        return self

    def _params(self):
        if self.params_ is None:
            raise UsageError("BetaGeoFitter: call fit first")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T):
        values = _core.bgnbd_conditional_expected_purchases(*self._params(), _array(t),
                                                            _array(frequency), _array(recency),
                                                            _array(T))
        return _like(frequency, values)

    predict = conditional_expected_number_of_purchases_up_to_time

    def conditional_probability_alive(self, frequency, recency, T):
        values = _core.bgnbd_p_alive(*self._params(), _array(frequency), _array(recency),
                                     _array(T))
        return _like(frequency, values)


class GammaGammaFitter:
    """Gamma-Gamma spend (Fader, Hardie and Lee 2005), fitted by clvkit on repeat buyers."""

    def __init__(self, penalizer_coef=0.0):
        if penalizer_coef:
            raise UsageError("GammaGammaFitter: penalizer_coef is not supported by clvkit")
        self.params_ = None
        self.summary = None

    def fit(self, frequency, monetary_value, **kwargs):
        unsupported = set(kwargs) - {"verbose", "tol", "q_constraint", "index"}
        if unsupported:
            raise UsageError(f"GammaGammaFitter.fit: unsupported arguments {sorted(unsupported)}")
        fit = _core.fit_gamma_gamma(_array(frequency).tolist(), _array(monetary_value).tolist())
        self.params_ = pd.Series({k: fit[k] for k in ("p", "q", "v")})
        self.summary = json.loads(fit["summary"])
        return self

    def conditional_expected_average_profit(self, frequency=None, monetary_value=None):
        if self.params_ is None:
            raise UsageError("GammaGammaFitter: call fit first")
        p = self.params_
        values = _core.gamma_gamma_expected_spend(p["p"], p["q"], p["v"], _array(frequency),
                                                  _array(monetary_value))
        return _like(frequency, values)
