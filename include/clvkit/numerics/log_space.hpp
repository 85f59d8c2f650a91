#pragma once
// Log-space arithmetic and the gamma-family helpers the models are built on. Everything here is
// noexcept and allocation-free; infinities propagate the way the formulas say (log 0 = -inf).
//
// Why these exist: a probability such as B(a, b+x)/B(a, b) * (alpha/(alpha+T))^(r+x) under- or
// overflows long before its logarithm does, and 1 - exp(tiny) or log(1 + tiny) lose every digit
// unless written with expm1/log1p. Boost 1.74 has no log-sum-exp, and std::lgamma is not
// thread-safe (it writes signgam), so the gamma functions go through Boost with a policy that
// reports domain errors as NaN / poles as inf instead of throwing.

#include <cmath>
#include <limits>
#include <span>

namespace clvkit {

/// log(exp(u) + exp(v)), shifted by the maximum so neither exp overflows. -inf + -inf = -inf.
inline double log_sum_exp(double u, double v) noexcept {
  const double hi = u > v ? u : v;
  const double lo = u > v ? v : u;
  if (hi == -std::numeric_limits<double>::infinity()) return hi;
  if (hi == std::numeric_limits<double>::infinity()) return hi;
  return hi + std::log1p(std::exp(lo - hi));
}

/// log(sum_i exp(values[i])), max-shifted; -inf for an empty span.
double log_sum_exp(std::span<const double> values) noexcept;

/// log(1 + exp(u)) without overflow for large u and without losing exp(u) for very negative u
/// (Maechler 2012, "Accurately computing log(1 - exp(-|a|))").
inline double log1p_exp(double u) noexcept {
  if (u > 37.0) return u + std::exp(-u);  // exp(-u) < 1e-16 * u: the log1p adds nothing else
  if (u > -37.0) return std::log1p(std::exp(u));
  return std::exp(u);  // log1p(e) = e to double precision
}

/// log(1 - exp(u)) for u <= 0 (Maechler 2012): expm1 near 0, log1p far from it. NaN for u > 0.
inline double log1m_exp(double u) noexcept {
  if (u > 0.0) return std::numeric_limits<double>::quiet_NaN();
  if (u > -0.6931471805599453) return std::log(-std::expm1(u));
  return std::log1p(-std::exp(u));
}

/// log(exp(u) - exp(v)) for u >= v; -inf when u == v, NaN when u < v.
inline double log_diff_exp(double u, double v) noexcept {
  if (v == -std::numeric_limits<double>::infinity()) return u;
  if (u < v) return std::numeric_limits<double>::quiet_NaN();
  return u + log1m_exp(v - u);
}

/// expm1(v)/v, equal to 1 at v = 0 and accurate for every v (expm1 is).
inline double exprel(double v) noexcept { return v == 0.0 ? 1.0 : std::expm1(v) / v; }

/// log1p(t)/t, equal to 1 at t = 0 and accurate for every t > -1.
inline double log1p_rel(double t) noexcept { return t == 0.0 ? 1.0 : std::log1p(t) / t; }

/// log Gamma(x) via Boost (thread-safe, no float promotion); NaN outside the domain, +inf at poles.
/// For x < 0 it is log|Gamma(x)|; `sign` (when non-null) receives the sign of Gamma(x).
double log_gamma(double x, int* sign = nullptr) noexcept;

/// Digamma psi(x) via Boost with the non-throwing policy.
double digamma(double x) noexcept;

/// log B(a, b) for a, b > 0. Accurate when one or both arguments are large, where
/// lgamma(a) + lgamma(b) - lgamma(a + b) cancels: for max(a, b) >= 10 the Stirling parts are
/// combined analytically (log1p of the ratio) and only the small Stirling corrections are
/// differenced (the approach of Stan's lbeta). NaN for a or b <= 0 or NaN.
double lbeta(double a, double b) noexcept;

/// [log Gamma(x + h) - log Gamma(x)] / h for x > 0 and x + h > 0; psi(x) at h = 0.
/// Accurate (relative to the result's own size, not to log Gamma(x)) for any h: it shifts x to
/// >= 10 with a product of (1 + h/(x+j)) factors and differences the Stirling series analytically,
/// so it stays continuous through h = 0 and does not cancel for large x. NaN outside the domain.
double lgamma_difference_quotient(double x, double h) noexcept;

/// The same quotient with the upper argument y = x + h also supplied by the caller (consistent with
/// x + h to rounding). Use it when y is known more accurately than fl(x + h), typically when it is
/// tiny compared with x (Gamma is steep there): the shift uses y directly.
double lgamma_difference_quotient(double x, double h, double y) noexcept;

/// log Gamma(x + h) - log Gamma(x) for x > 0, x + h > 0, computed as h * quotient above.
inline double lgamma_difference(double x, double h) noexcept {
  return h == 0.0 ? 0.0 : h * lgamma_difference_quotient(x, h);
}

/// log[(v)_x] = log Gamma(v + x) - log Gamma(v) for v > 0, x >= 0: the rising factorial, with
/// integer x <= 16 (the usual repeat-purchase counts) multiplied out and other x through the
/// accurate gamma difference.
double log_rising(double v, double x) noexcept;

/// log[(u)_x / (v)_x] for u, v > 0, x >= 0, without cancellation between the two.
double log_rising_ratio(double u, double v, double x) noexcept;

/// psi(v + x) - psi(v) for v > 0, x >= 0 (a sum of 1/(v + j) for integer x <= 16).
double digamma_rise(double v, double x) noexcept;

}  // namespace clvkit
