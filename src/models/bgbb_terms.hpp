#pragma once
// Internal to src/models: how the BG/BB log-likelihood of one pattern is put together (bgbb.hpp,
// bgbb_log_likelihood), shared by the per-customer functions (bgbb.cpp) and the total over
// patterns (bgbb_fit.cpp). The special functions of a pattern depend on five whole counts only,
// x, n - x, n, t_x - x and t_x; the total computes them once per distinct count and looks them
// up, the per-customer functions compute the ones they need. Both then run the same arithmetic
// here, so a pattern's value and gradient are the same bit for bit either way.

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

#include "clvkit/models/bgbb.hpp"
#include "clvkit/numerics/log_space.hpp"

namespace clvkit::detail {

// The special functions at one whole count k: log (alpha)_k, log (beta)_k, log (alpha+beta)_k,
// log[(delta)_k / (gamma+delta)_k], and (gradient only) psi(v+k) - psi(v) for v = alpha, beta,
// alpha+beta, delta, gamma+delta.
struct BgBbRising {
  double log_alpha = 0.0;
  double log_beta = 0.0;
  double log_ab = 0.0;
  double log_delta_ratio = 0.0;
  double psi_alpha = 0.0;
  double psi_beta = 0.0;
  double psi_ab = 0.0;
  double psi_delta = 0.0;
  double psi_gd = 0.0;
};

template <bool kGradient>
BgBbRising bgbb_rising(const BgBbParams& p, double k) noexcept {
  const double ab = p.alpha + p.beta;
  const double gd = p.gamma + p.delta;
  BgBbRising r;
  r.log_alpha = log_rising(p.alpha, k);
  r.log_beta = log_rising(p.beta, k);
  r.log_ab = log_rising(ab, k);
  r.log_delta_ratio = log_rising_ratio(p.delta, gd, k);
  if constexpr (kGradient) {
    r.psi_alpha = digamma_rise(p.alpha, k);
    r.psi_beta = digamma_rise(p.beta, k);
    r.psi_ab = digamma_rise(ab, k);
    r.psi_delta = digamma_rise(p.delta, k);
    r.psi_gd = digamma_rise(gd, k);
  }
  return r;
}

// The counts' special functions one pattern reads: at x (alpha's), n - x (beta's), n (alpha+beta's
// and delta's), t_x - x (beta's) and t_x (alpha+beta's and delta's); the last two only when
// t_x < n.
struct BgBbPatternRising {
  const BgBbRising* x;
  const BgBbRising* n_minus_x;
  const BgBbRising* n;
  const BgBbRising* t_x_minus_x;
  const BgBbRising* t_x;
};

// The likelihood's two parts in logs: A (alive through opportunity n) and S (the sum over the
// opportunities of dropout after t_x; -inf when t_x = n), with the gradients of log A and log S
// when kGradient. The value is computed by the same operations with and without the gradient.
struct BgBbParts {
  double log_A = 0.0;
  double log_S = -std::numeric_limits<double>::infinity();
  std::array<double, 4> d_A{};
  std::array<double, 4> d_S{};
};

// The sum stops once the terms left (each at most the current one: the terms decrease) cannot add
// 1e-17 of it, below the rounding of the sum itself.
inline constexpr double kBgBbSumTolerance = 1e-17;

template <bool kGradient>
BgBbParts bgbb_parts(const BgBbParams& p, double x, double t_x, double n,
                     const BgBbPatternRising& at) noexcept {
  const auto& [alpha, beta, gamma, delta] = p;
  const double ab = alpha + beta;
  const double gd = gamma + delta;
  BgBbParts parts;
  // log A = log[(alpha)_x (beta)_{n-x} / (alpha+beta)_n] + log[(delta)_n / (gamma+delta)_n].
  parts.log_A = at.x->log_alpha + at.n_minus_x->log_beta - at.n->log_ab + at.n->log_delta_ratio;
  if constexpr (kGradient) {
    parts.d_A = {at.x->psi_alpha - at.n->psi_ab, at.n_minus_x->psi_beta - at.n->psi_ab,
                 -at.n->psi_gd, at.n->psi_delta - at.n->psi_gd};
  }
  if (t_x == n) return parts;

  // The first term of the sum (i = 0), inactive from opportunity t_x + 1:
  // log[(alpha)_x (beta)_{t_x-x} / (alpha+beta)_{t_x}] + log[gamma/(gamma+delta+t_x)] +
  // log[(delta)_{t_x} / (gamma+delta)_{t_x}].
  const double gd_t = gd + t_x;
  const double log_first = at.x->log_alpha + at.t_x_minus_x->log_beta - at.t_x->log_ab +
                           std::log(gamma / gd_t) + at.t_x->log_delta_ratio;
  std::array<double, 4> d_first{};
  if constexpr (kGradient) {
    d_first = {at.x->psi_alpha - at.t_x->psi_ab, at.t_x_minus_x->psi_beta - at.t_x->psi_ab,
               1.0 / gamma - 1.0 / gd_t - at.t_x->psi_gd,
               -1.0 / gd_t + at.t_x->psi_delta - at.t_x->psi_gd};
  }
  // Terms i = 1 .. n - t_x - 1 relative to the first: term_i = term_{i-1} r_{i-1} with
  // r_k = (beta+t_x-x+k)/(alpha+beta+t_x+k) (delta+t_x+k)/(gamma+delta+t_x+k+1) < 1. For the
  // gradient, d log term_i = d log term_0 + c_i with c_i the running sums of d log r_k, and the
  // weighted sums of c_i are accumulated alongside.
  const double count = n - t_x;
  double sum = 1.0;
  double term = 1.0;
  std::array<double, 4> running{};
  std::array<double, 4> weighted{};
  const double b0 = beta + t_x - x;
  const double ab0 = ab + t_x;
  const double d0 = delta + t_x;
  const double gd1 = gd_t + 1.0;
  for (double k = 0.0; k + 1.0 < count; k += 1.0) {
    const double b_k = b0 + k;
    const double ab_k = ab0 + k;
    const double d_k = d0 + k;
    const double gd_k = gd1 + k;
    term *= (b_k * d_k) / (ab_k * gd_k);
    sum += term;
    if constexpr (kGradient) {
      const double inv_ab = 1.0 / ab_k;
      const double inv_gd = 1.0 / gd_k;
      running[0] -= inv_ab;
      running[1] += 1.0 / b_k - inv_ab;
      running[2] -= inv_gd;
      running[3] += 1.0 / d_k - inv_gd;
      for (std::size_t j = 0; j < 4; ++j) weighted[j] += term * running[j];
    }
    // The terms left, count - k - 2 of them, are each at most `term`.
    if (term * (count - k - 2.0) < kBgBbSumTolerance * sum) break;
  }
  parts.log_S = log_first + std::log(sum);
  if constexpr (kGradient) {
    for (std::size_t j = 0; j < 4; ++j) parts.d_S[j] = d_first[j] + weighted[j] / sum;
  }
  return parts;
}

// log L = log(A + S), and its gradient: the parts' gradients weighted by their shares of L.
inline double bgbb_combine(const BgBbParts& parts, std::array<double, 4>* gradient) noexcept {
  const double ll = log_sum_exp(parts.log_A, parts.log_S);
  if (gradient != nullptr) {
    const double w_A = std::exp(parts.log_A - ll);
    const double w_S =
        parts.log_S == -std::numeric_limits<double>::infinity() ? 0.0 : std::exp(parts.log_S - ll);
    for (std::size_t j = 0; j < 4; ++j) (*gradient)[j] = w_A * parts.d_A[j] + w_S * parts.d_S[j];
  }
  return ll;
}

}  // namespace clvkit::detail
