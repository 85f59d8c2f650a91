#include "clvkit/models/pnbd.hpp"

#include <algorithm>
#include <array>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <limits>

#include "clvkit/numerics/hyp2f1.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/util/checks.hpp"
#include "pnbd_terms.hpp"

namespace clvkit {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative step of the central differences of log F in p and q (see pnbd.hpp).
constexpr double kParameterStep = 1e-4;

}  // namespace

void check_pnbd_params(const ParetoNbdParams& params) {
  require_positive_finite("pnbd", "r", params.r);
  require_positive_finite("pnbd", "alpha", params.alpha);
  require_positive_finite("pnbd", "s", params.s);
  require_positive_finite("pnbd", "beta", params.beta);
}

double pnbd_log_tail_integral(double p, double q, double alpha, double beta, double y) noexcept {
  const double a = p + q - 1.0;
  if (!(a > 0.0) || !(alpha > 0.0) || !(beta > 0.0) || !(y >= 0.0)) return kNaN;
  // The branch keeps z = |alpha - beta| / (max(alpha, beta) + y) in [0, 1); 1 - z is the ratio of
  // the two bases, computed without the rounding of 1 - z.
  const bool alpha_ge_beta = alpha >= beta;
  const double hi = (alpha_ge_beta ? alpha : beta) + y;
  const double lo = (alpha_ge_beta ? beta : alpha) + y;
  const double z = (hi - lo) / hi;
  const LogHyp2f1Result f = log_hyp2f1(a, alpha_ge_beta ? q : p, a + 1.0, z, lo / hi);
  return f.log_abs - a * std::log(hi) - std::log(a);
}

PnbdLogTail pnbd_log_tail_gradient(const ParetoNbdParams& params, double x, double y) noexcept {
  const double p = params.r + x;
  const double q = params.s + 1.0;
  const double alpha = params.alpha;
  const double beta = params.beta;
  PnbdLogTail tail;
  tail.value = pnbd_log_tail_integral(p, q, alpha, beta, y);
  // The steps keep p - hp > 0 and p + q - 1 - hq > 0 (p + q - 1 = r + s + x, tiny only when r,
  // s and x all are).
  const double hp = std::min(kParameterStep * std::max(1.0, p), 0.5 * p);
  const double hq = std::min(kParameterStep * q, 0.5 * (p + q - 1.0));
  tail.gradient[0] = (pnbd_log_tail_integral(p + hp, q, alpha, beta, y) -
                      pnbd_log_tail_integral(p - hp, q, alpha, beta, y)) /
                     (2.0 * hp);
  tail.gradient[1] = -p * std::exp(pnbd_log_tail_integral(p + 1.0, q, alpha, beta, y) - tail.value);
  tail.gradient[2] = (pnbd_log_tail_integral(p, q + hq, alpha, beta, y) -
                      pnbd_log_tail_integral(p, q - hq, alpha, beta, y)) /
                     (2.0 * hq);
  tail.gradient[3] = -q * std::exp(pnbd_log_tail_integral(p, q + 1.0, alpha, beta, y) - tail.value);
  return tail;
}

double pnbd_log_likelihood(const ParetoNbdParams& params, double x, double t_x, double T) noexcept {
  const auto& [r, alpha, s, beta] = params;
  const double log_common = log_rising(r, x) + r * std::log(alpha) + s * std::log(beta);
  const double alive = -(r + x) * std::log(alpha + T) - s * std::log(beta + T);
  if (t_x == T) return log_common + alive;
  const double died =
      detail::pnbd_log_died(s, pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, t_x),
                            pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, T));
  return log_common + log_sum_exp(alive, died);
}

double pnbd_log_likelihood_gradient(const ParetoNbdParams& params, double x, double t_x, double T,
                                    std::array<double, 4>& gradient) noexcept {
  const auto& [r, alpha, s, beta] = params;
  const double log_alpha = std::log(alpha);
  const double log_beta = std::log(beta);
  const double log_alpha_T = std::log(alpha + T);
  const double log_beta_T = std::log(beta + T);
  const double log_common = log_rising(r, x) + r * log_alpha + s * log_beta;
  const double alive = -(r + x) * log_alpha_T - s * log_beta_T;
  // d log_common.
  gradient = {digamma_rise(r, x) + log_alpha, r / alpha, log_beta, s / beta};
  const std::array<double, 4> d_alive = {-log_alpha_T, -(r + x) / (alpha + T), -log_beta_T,
                                         -s / (beta + T)};
  if (t_x == T)
    return log_common + detail::pnbd_combine(s, alive, d_alive, nullptr, nullptr, gradient);
  const PnbdLogTail at_t_x = pnbd_log_tail_gradient(params, x, t_x);
  const PnbdLogTail at_T = pnbd_log_tail_gradient(params, x, T);
  return log_common + detail::pnbd_combine(s, alive, d_alive, &at_t_x, &at_T, gradient);
}

double pnbd_p_alive(const ParetoNbdParams& params, double x, double t_x, double T) noexcept {
  const auto& [r, alpha, s, beta] = params;
  if (t_x == T) return 1.0;
  const double alive = -(r + x) * std::log(alpha + T) - s * std::log(beta + T);
  const double died =
      detail::pnbd_log_died(s, pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, t_x),
                            pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, T));
  return std::exp(-log1p_exp(died - alive));
}

double pnbd_expected_purchases_given_alive(const ParetoNbdParams& params, double x, double T,
                                           double t) noexcept {
  if (!(t >= 0.0)) return kNaN;
  const auto& [r, alpha, s, beta] = params;
  const double L = std::log1p(t / (beta + T));
  // [1 - exp(-(s-1) L)] / (s-1): as L exprel(v), v = -(s-1) L, near s = 1 (no cancellation), and
  // as -expm1(v) / (s-1) once |v| > 1, which stays monotone in t where it saturates (s > 1).
  const double v = -(s - 1.0) * L;
  const double bracket = std::fabs(v) <= 1.0 ? L * exprel(v) : -std::expm1(v) / (s - 1.0);
  return (r + x) / (alpha + T) * (beta + T) * bracket;
}

double pnbd_conditional_expected_purchases(const ParetoNbdParams& params, double x, double t_x,
                                           double T, double t) noexcept {
  if (!(t >= 0.0)) return kNaN;
  if (t == 0.0) return 0.0;
  return pnbd_p_alive(params, x, t_x, T) * pnbd_expected_purchases_given_alive(params, x, T, t);
}

double pnbd_expected_purchases_new_customer(const ParetoNbdParams& params, double t) noexcept {
  return pnbd_expected_purchases_given_alive(params, 0.0, 0.0, t);
}

double pnbd_probability_of_purchases(const ParetoNbdParams& params, double t, int n) noexcept {
  if (!(t >= 0.0)) return kNaN;
  if (n < 0) return 0.0;
  if (t == 0.0) return n == 0 ? 1.0 : 0.0;
  const auto& [r, alpha, s, beta] = params;
  const double nn = n;
  const double log_coefficient = log_rising(r, nn) - log_gamma(nn + 1.0);
  // Outlives t: NB(n; r, alpha/(alpha+t)) (beta/(beta+t))^s.
  const double log_alive = log_coefficient - r * std::log1p(t / alpha) +
                           nn * std::log(t / (alpha + t)) - s * std::log1p(t / beta);
  // Dies at tau < t: s beta^s alpha Gamma(r+n)/(Gamma(r) n!) integral_0^{u_t} g(u) du with
  // log g(u) = n log u + (r+s-1) log(1-u) - (s+1) log(beta + (alpha-beta) u).
  const double u_t = t / (alpha + t);
  const auto log_g = [&](double u) {
    const double power = n == 0 ? 0.0 : nn * std::log(u);
    return power + (r + s - 1.0) * std::log1p(-u) - (s + 1.0) * std::log(beta + (alpha - beta) * u);
  };
  // The shift: the largest log g on a grid (the integrand can peak inside the interval for
  // n > 0); the quadrature then sums values <= ~1.
  double shift = log_g(u_t);
  constexpr int kGrid = 64;
  for (int i = 1; i < kGrid; ++i) shift = std::max(shift, log_g(u_t * i / kGrid));
  if (n == 0) shift = std::max(shift, log_g(0.0));
  double integral = 0.0;
  try {
    integral = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
        [&](double u) { return u > 0.0 || n == 0 ? std::exp(log_g(u) - shift) : 0.0; }, 0.0, u_t,
        15, 1e-13);
  } catch (...) {
    return kNaN;
  }
  const double log_dead = std::log(s) + s * std::log(beta) + std::log(alpha) + log_coefficient +
                          std::log(integral) + shift;
  return std::exp(log_sum_exp(log_alive, log_dead));
}

}  // namespace clvkit
