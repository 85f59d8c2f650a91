#include "clvkit/models/bgbb.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "bgbb_terms.hpp"
#include "clvkit/numerics/hyp2f1.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/util/checks.hpp"

namespace clvkit {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Histories beyond 2^52 opportunities cannot be whole numbers apart by one in a double.
constexpr double kMaxOpportunities = 4503599627370496.0;

// log_hyp2f1 takes the z -> 1 - z connection formula for DERT's 2F1(1, b; b + gamma; z) where it
// is cheaper than the series, but for large b = delta+n+1 with b (1-z) > 1 that formula's sum
// cancels: measured against mpmath, relative errors of 1e-8 at b = 1e4, b (1-z) = 5, 1e-6 at
// b (1-z) = 10, and no correct digit at b = 1e5, b (1-z) = 20, each with an error estimate far
// below the actual error. There the Maclaurin series in z is used instead: all its terms are
// positive, and it needs ~37/(1-z) < 37 b terms, the order of the likelihood's own sum over
// n - t_x opportunities. Capped at this many terms (b ~ 3e5), beyond which the connection
// formula's value is kept.
constexpr int kMaxDertSeriesTerms = 10'000'000;

// E[X | alive]'s Q is summed term by term up to this many opportunities (exact to rounding and
// monotone in n_star), and from differences of lgamma_difference_quotient beyond (where Q is no
// longer small next to the quotients, so their difference keeps ~1e-13 of it).
constexpr double kDirectSumTerms = 256.0;

bool is_whole(double v) noexcept { return v == std::floor(v); }

// log[B(alpha+x, beta+y)/B(alpha, beta)] = log[(alpha)_x (beta)_y / (alpha+beta)_{x+y}].
double log_p_part(const BgBbParams& p, double x, double y) noexcept {
  return log_rising(p.alpha, x) + log_rising(p.beta, y) - log_rising(p.alpha + p.beta, x + y);
}

// The special functions one pattern needs (bgbb_terms.hpp), computed here for one history: for
// the value only the logarithms it reads, for the gradient also the digamma differences.
template <bool kGradient>
detail::BgBbParts likelihood_parts(const BgBbParams& p, double x, double t_x, double n) noexcept {
  const double ab = p.alpha + p.beta;
  const double gd = p.gamma + p.delta;
  detail::BgBbRising at_x, at_n_minus_x, at_n, at_t_x_minus_x, at_t_x;
  at_x.log_alpha = log_rising(p.alpha, x);
  at_n_minus_x.log_beta = log_rising(p.beta, n - x);
  at_n.log_ab = log_rising(ab, n);
  at_n.log_delta_ratio = log_rising_ratio(p.delta, gd, n);
  if constexpr (kGradient) {
    at_x.psi_alpha = digamma_rise(p.alpha, x);
    at_n_minus_x.psi_beta = digamma_rise(p.beta, n - x);
    at_n.psi_ab = digamma_rise(ab, n);
    at_n.psi_delta = digamma_rise(p.delta, n);
    at_n.psi_gd = digamma_rise(gd, n);
  }
  if (t_x < n) {
    at_t_x_minus_x.log_beta = log_rising(p.beta, t_x - x);
    at_t_x.log_ab = log_rising(ab, t_x);
    at_t_x.log_delta_ratio = log_rising_ratio(p.delta, gd, t_x);
    if constexpr (kGradient) {
      at_t_x_minus_x.psi_beta = digamma_rise(p.beta, t_x - x);
      at_t_x.psi_ab = digamma_rise(ab, t_x);
      at_t_x.psi_delta = digamma_rise(p.delta, t_x);
      at_t_x.psi_gd = digamma_rise(gd, t_x);
    }
  }
  return detail::bgbb_parts<kGradient>(p, x, t_x, n,
                                       {&at_x, &at_n_minus_x, &at_n, &at_t_x_minus_x, &at_t_x});
}

// log P(alive at n+1) from the parts: log[(delta+n)/(gamma+delta+n)] - log(1 + S/A).
double log_p_alive(const BgBbParams& p, double n, const detail::BgBbParts& parts) noexcept {
  const double survive = -std::log1p(p.gamma / (p.delta + n));
  if (parts.log_S == -kInf) return survive;
  return survive - log1p_exp(parts.log_S - parts.log_A);
}

// sum_{j=0}^{m-1} (delta')_j / (gamma+delta')_j with delta' = delta+n+1 (see
// bgbb_expected_transactions_given_alive): (gamma+delta+n) Q exprel(-h Q), h = gamma - 1,
// Q = sum_j log1p(h/(delta'+j))/h.
double survival_sum(double gamma, double delta, double n, double m) noexcept {
  if (m == 0.0) return 0.0;
  const double h = gamma - 1.0;
  const double delta1 = delta + n + 1.0;
  const double top = gamma + (delta + n);  // delta' + h, without the rounding of delta' - 1
  if (std::isinf(m)) return h > 0.0 ? top / h : kInf;
  double Q = 0.0;
  if (m <= kDirectSumTerms) {
    for (double j = 0.0; j < m; j += 1.0) {
      const double u = delta1 + j;
      Q += log1p_rel(h / u) / u;
    }
  } else {
    // Q = [log (delta'+h)_m - log (delta')_m] / h as a difference of two lgamma quotients,
    // continuous through h = 0 (where each is a digamma).
    Q = lgamma_difference_quotient(delta1 + m, h, top + m) -
        lgamma_difference_quotient(delta1, h, top);
  }
  return top * Q * exprel(-h * Q);
}

bool valid_params(const BgBbParams& p) noexcept {
  return is_positive_finite(p.alpha) && is_positive_finite(p.beta) && is_positive_finite(p.gamma) &&
         is_positive_finite(p.delta);
}

}  // namespace

void check_bgbb_params(const BgBbParams& params) {
  require_positive_finite("bgbb", "alpha", params.alpha);
  require_positive_finite("bgbb", "beta", params.beta);
  require_positive_finite("bgbb", "gamma", params.gamma);
  require_positive_finite("bgbb", "delta", params.delta);
}

bool is_bgbb_history(double x, double t_x, double n) noexcept {
  if (!(n >= 0.0 && n < kMaxOpportunities) || !is_whole(n)) return false;
  if (!(x >= 0.0 && x <= n) || !is_whole(x)) return false;
  if (!(t_x >= 0.0 && t_x <= n) || !is_whole(t_x)) return false;
  return x == 0.0 ? t_x == 0.0 : x <= t_x;
}

BgBbHistory bgbb_history(double x, double t_x, double T) noexcept {
  BgBbHistory h;
  h.n = std::max(std::round(T), 0.0);
  h.x = std::min(std::max(std::round(x), 0.0), h.n);
  h.t_x = h.x == 0.0 ? 0.0 : std::min(std::max(std::round(t_x), h.x), h.n);
  // std::max and std::min return their first argument when it is NaN; the rounding of a NaN
  // T, x or t_x must not turn into a valid history.
  if (std::isnan(T) || std::isnan(x) || std::isnan(t_x)) h = {kNaN, kNaN, kNaN};
  return h;
}

double bgbb_log_likelihood(const BgBbParams& params, double x, double t_x, double n) noexcept {
  if (!is_bgbb_history(x, t_x, n)) return -kInf;
  return detail::bgbb_combine(likelihood_parts<false>(params, x, t_x, n), nullptr);
}

double bgbb_log_likelihood_gradient(const BgBbParams& params, double x, double t_x, double n,
                                    std::array<double, 4>& gradient) noexcept {
  gradient = {};
  if (!is_bgbb_history(x, t_x, n)) return -kInf;
  return detail::bgbb_combine(likelihood_parts<true>(params, x, t_x, n), &gradient);
}

double bgbb_p_alive(const BgBbParams& params, double x, double t_x, double n) noexcept {
  if (!is_bgbb_history(x, t_x, n)) return kNaN;
  return std::exp(log_p_alive(params, n, likelihood_parts<false>(params, x, t_x, n)));
}

double bgbb_expected_transactions_given_alive(const BgBbParams& params, double x, double n,
                                              double n_star) noexcept {
  if (!(n_star >= 0.0)) return kNaN;
  const double m = std::floor(n_star);
  return (params.alpha + x) / (params.alpha + params.beta + n) *
         survival_sum(params.gamma, params.delta, n, m);
}

double bgbb_conditional_expected_transactions(const BgBbParams& params, double x, double t_x,
                                              double n, double n_star) noexcept {
  if (!(n_star >= 0.0) || !is_bgbb_history(x, t_x, n)) return kNaN;
  if (std::floor(n_star) == 0.0) return 0.0;
  return bgbb_p_alive(params, x, t_x, n) *
         bgbb_expected_transactions_given_alive(params, x, n, n_star);
}

double bgbb_expected_transactions_new_customer(const BgBbParams& params, double n) noexcept {
  return bgbb_conditional_expected_transactions(params, 0.0, 0.0, 0.0, n);
}

double bgbb_probability_of_transactions(const BgBbParams& params, double n, int x) noexcept {
  if (!(n >= 0.0)) return kNaN;
  const double m = std::floor(n);
  const double xx = x;
  if (x < 0 || xx > m) return 0.0;
  if (std::isinf(m)) return kNaN;
  const auto& [alpha, beta, gamma, delta] = params;
  const double ab = alpha + beta;
  const double gd = gamma + delta;
  // log C(k, x) = log[(k-x+1)_x / x!].
  const double log_x_factorial = log_gamma(xx + 1.0);
  // Alive through opportunity m with x transactions.
  const double log_alive = log_rising(m - xx + 1.0, xx) - log_x_factorial +
                           log_p_part(params, xx, m - xx) + log_rising_ratio(delta, gd, m);
  if (xx == m) return std::exp(log_alive);
  // Inactive from opportunity i + 1 (i = x .. m-1) after x transactions in 1 .. i: the first term
  // (i = x) in closed form, the others by their ratios.
  double log_term =
      log_p_part(params, xx, 0.0) + std::log(gamma / (gd + xx)) + log_rising_ratio(delta, gd, xx);
  double total = log_sum_exp(log_alive, log_term);
  for (double i = xx; i + 1.0 < m; i += 1.0) {
    log_term += std::log((i + 1.0) / (i + 1.0 - xx) * (beta + i - xx) / (ab + i) * (delta + i) /
                         (gd + i + 1.0));
    total = log_sum_exp(total, log_term);
  }
  return std::exp(total);
}

double bgbb_log_dert(const BgBbParams& params, double x, double t_x, double n, double d) noexcept {
  if (!valid_params(params) || !is_bgbb_history(x, t_x, n) || !(d >= 0.0 && d < kInf)) {
    return kNaN;
  }
  const auto& [alpha, beta, gamma, delta] = params;
  const double log_alive = log_p_alive(params, n, likelihood_parts<false>(params, x, t_x, n));
  const double log_p = std::log((alpha + x) / (alpha + beta + n));
  if (d == 0.0) {
    if (!(gamma > 1.0)) return kInf;
    return log_alive + log_p + std::log((gamma + delta + n) / (gamma - 1.0));
  }
  const double b = delta + n + 1.0;
  const double z = 1.0 / (1.0 + d);
  const double s = d / (1.0 + d);  // 1 - z, exactly
  LogHyp2f1Result f = log_hyp2f1(1.0, b, gamma + b, z, s);
  if (f.method == Hyp2f1Method::connection && b * s > 1.0) {
    const LogHyp2f1Result series =
        log_hyp2f1_by(Hyp2f1Method::series, 1.0, b, gamma + b, z, s, kMaxDertSeriesTerms);
    if (series.method != Hyp2f1Method::invalid) f = series;
  }
  return log_alive + log_p - std::log1p(d) + f.log_abs;
}

double bgbb_dert(const BgBbParams& params, double x, double t_x, double n, double d) noexcept {
  return std::exp(bgbb_log_dert(params, x, t_x, n, d));
}

}  // namespace clvkit
