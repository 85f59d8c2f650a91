#include "clvkit/models/pnbd.hpp"

#include <algorithm>
#include <array>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <limits>

#include "clvkit/numerics/hyp2f1.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/numerics/no_throw_policy.hpp"
#include "clvkit/util/checks.hpp"
#include "pnbd_terms.hpp"

namespace clvkit {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative step of the central differences of log F in p and q (see pnbd.hpp).
constexpr double kParameterStep = 1e-4;

// The 2F1 of the tail integral has c = a + 1, so its Maclaurin series is
//   S(a, b, z) = 2F1(a, b; a + 1; z) = sum_n a/(a+n) (b)_n z^n / n!,
// all terms positive (a, b > 0, z in [0, 1)), and its derivatives in a, b and z are series of the
// same terms times n/(a(a+n)), psi(b+n) - psi(b) = sum_{k<n} 1/(b+k) and n/z. Where it converges
// fast (z <= 3/4 and (b + 1) z <= 40: at most a few hundred terms, S below e^60) one pass gives
// the value and the whole gradient; elsewhere log_hyp2f1 and central differences take over. The
// fit's tail integrals are almost all of the first kind (times of a few weeks and more, alpha and
// beta of the same order), and this pass costs what one 2F1 costs, against seven.
constexpr int kMaxSeriesTerms = 1000;

bool series_applies(double b, double z) noexcept { return z <= 0.75 && (b + 1.0) * z <= 40.0; }

struct TailSeries {
  double S = 1.0;
  double dS_da = 0.0;
  double dS_db = 0.0;
  double dS_dz = 0.0;
};

// The value S is computed by the same operations with and without kGradient, so the likelihood
// with and without its gradient agree bit for bit.
// 1/n for the series' n <= kMaxSeriesTerms: a division per term less.
const std::array<double, kMaxSeriesTerms + 2>& reciprocals() noexcept {
  static const auto table = [] {
    std::array<double, kMaxSeriesTerms + 2> r{};
    for (std::size_t n = 1; n < r.size(); ++n) r[n] = 1.0 / static_cast<double>(n);
    return r;
  }();
  return table;
}

template <bool kGradient>
TailSeries tail_series(double a, double b, double z) noexcept {
  const std::array<double, kMaxSeriesTerms + 2>& inv = reciprocals();
  const double inv_a = 1.0 / a;
  TailSeries series;
  double g = 1.0;    // (b)_n z^n / n!
  double psi = 0.0;  // sum_{k<n} 1/(b+k)
  for (int n = 1; n <= kMaxSeriesTerms; ++n) {
    const double nn = n;
    const double g_previous = g;
    const double b_n1 = b + nn - 1.0;
    g = g_previous * b_n1 * z * inv[n];
    const double inv_a_n = 1.0 / (a + nn);
    const double w = a * inv_a_n;
    const double term = w * g;
    series.S += term;
    if constexpr (kGradient) {
      psi += 1.0 / b_n1;
      series.dS_da += term * nn * inv_a_n * inv_a;
      series.dS_db += term * psi;
      series.dS_dz += w * b_n1 * g_previous;
    }
    // Later term ratios (a+m)/(a+m+1) (b+m)/(m+1) z are below ratio = z max(1, (b+n)/(n+1)): a
    // geometric bound on the rest of the sum, term ratio / (1 - ratio).
    const double ratio = z * std::max(1.0, (b + nn) * inv[n + 1]);
    if (ratio < 1.0 && term * ratio < 1e-17 * (1.0 - ratio) * series.S) break;
  }
  return series;
}

// log F from S (the same expression on every path).
double log_tail_from(double log_S, double a, double hi) noexcept {
  return log_S - a * std::log(hi) - std::log(a);
}

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
  const double b = alpha_ge_beta ? q : p;
  if (series_applies(b, z)) return log_tail_from(std::log(tail_series<false>(a, b, z).S), a, hi);
  return log_tail_from(log_hyp2f1(a, b, a + 1.0, z, lo / hi).log_abs, a, hi);
}

PnbdLogTail pnbd_log_tail_gradient(const ParetoNbdParams& params, double x, double y) noexcept {
  const double p = params.r + x;
  const double q = params.s + 1.0;
  const double alpha = params.alpha;
  const double beta = params.beta;
  PnbdLogTail tail;
  const double a = p + q - 1.0;
  const bool alpha_ge_beta = alpha >= beta;
  const double hi = (alpha_ge_beta ? alpha : beta) + y;
  const double lo = (alpha_ge_beta ? beta : alpha) + y;
  const double z = (hi - lo) / hi;
  const double b = alpha_ge_beta ? q : p;
  if (a > 0.0 && series_applies(b, z)) {
    const TailSeries series = tail_series<true>(a, b, z);
    tail.value = log_tail_from(std::log(series.S), a, hi);
    const double d_a = series.dS_da / series.S - std::log(hi) - 1.0 / a;
    const double d_b = series.dS_db / series.S;
    const double d_z = series.dS_dz / series.S;
    // a = r + s + x; b = s + 1 (alpha >= beta) or r + x; z = 1 - lo/hi.
    tail.gradient[0] = d_a + (alpha_ge_beta ? 0.0 : d_b);
    tail.gradient[2] = d_a + (alpha_ge_beta ? d_b : 0.0);
    const double d_hi = d_z * lo / (hi * hi) - a / hi;
    const double d_lo = -d_z / hi;
    tail.gradient[1] = alpha_ge_beta ? d_hi : d_lo;
    tail.gradient[3] = alpha_ge_beta ? d_lo : d_hi;
    return tail;
  }
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
  const detail::PnbdDied died =
      detail::pnbd_died(std::log(s), pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, t_x),
                        pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, T));
  return log_common + detail::pnbd_total(alive, died.died).total;
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
    return log_common +
           detail::pnbd_combine(s, std::log(s), alive, d_alive, nullptr, nullptr, gradient);
  const PnbdLogTail at_t_x = pnbd_log_tail_gradient(params, x, t_x);
  const PnbdLogTail at_T = pnbd_log_tail_gradient(params, x, T);
  return log_common +
         detail::pnbd_combine(s, std::log(s), alive, d_alive, &at_t_x, &at_T, gradient);
}

double pnbd_p_alive(const ParetoNbdParams& params, double x, double t_x, double T) noexcept {
  const auto& [r, alpha, s, beta] = params;
  if (t_x == T) return 1.0;
  return pnbd_p_alive_from_tails(params, x, t_x, T,
                                 pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, t_x),
                                 pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, T));
}

double pnbd_p_alive_from_tails(const ParetoNbdParams& params, double x, double t_x, double T,
                               double log_tail_t_x, double log_tail_T) noexcept {
  const auto& [r, alpha, s, beta] = params;
  if (t_x == T) return 1.0;
  return pnbd_p_alive_from_parts(std::log(s),
                                 -(r + x) * std::log(alpha + T) - s * std::log(beta + T),
                                 log_tail_t_x, log_tail_T);
}

double pnbd_p_alive_from_parts(double log_s, double log_alive, double log_tail_t_x,
                               double log_tail_T) noexcept {
  const double died = detail::pnbd_died(log_s, log_tail_t_x, log_tail_T).died;
  return std::exp(-log1p_exp(died - log_alive));
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

double log_exp_integral_scaled(double s, double z) noexcept {
  if (!(s > 0.0 && s < kInf) || !(z > 0.0 && z < kInf)) return kNaN;
  if (z >= 1.0) {
    // E_s(z) e^z = 1/(z+s- 1 s/(z+s+2- 2 (s+1)/(z+s+4- ...))) by modified Lentz: the convergents
    // settle within 100 terms for z >= 1 and every s (checked against the integral for s from 0.1
    // to 20 and z up to 1e4); each factor is a ratio of two O(z + s + 2i) numbers, so nothing
    // overflows however large z is.
    constexpr double kTiny = 1e-300;
    constexpr int kMaxTerms = 1000;
    double b = z + s;
    double c = 1.0 / kTiny;
    double d = 1.0 / b;
    double h = d;
    for (int i = 1; i <= kMaxTerms; ++i) {
      const double an = -i * (s - 1.0 + i);
      b += 2.0;
      d = an * d + b;
      if (std::fabs(d) < kTiny) d = kTiny;
      d = 1.0 / d;
      c = b + an / c;
      if (std::fabs(c) < kTiny) c = kTiny;
      const double factor = c * d;
      h *= factor;
      if (std::fabs(factor - 1.0) < 1e-16) return std::log(h);
    }
    return kNaN;
  }
  if (s < 1.0) {
    // Gamma(1-s, z) with 1-s in (0, 1) and z < 1 is of order one to 1/(1-s): no scaling needed.
    const double upper = boost::math::tgamma(1.0 - s, z, detail::NoThrowPolicy());
    return z + (s - 1.0) * std::log(z) + std::log(upper);
  }
  // s >= 1, z < 1: 1 - s <= 0, outside Boost's incomplete gamma, and the recurrence
  // E_s = (e^-z - z E_(s-1)) / (s-1) cancels as s approaches an integer from above. In
  // w = log1p(u) the integral is integral_0^W exp((1-s) w - z expm1(w)) dw: positive, smooth,
  // at most 1 at w = 0 and decaying at least like e^-(z e^w) beyond w = log(1/z). At W =
  // log1p(60/z) the integrand is below e^-60 and so is the rest of the integral (< e^-60/(z e^W)),
  // against an integral of at least e^-(e-1) integral_0^1 e^(-(s-1) w) dw, of order 1/s.
  const double W = std::log1p(60.0 / z);
  double integral = 0.0;
  try {
    integral = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
        [&](double w) { return std::exp((1.0 - s) * w - z * std::expm1(w)); }, 0.0, W, 15, 1e-14);
  } catch (...) {
    return kNaN;
  }
  return std::log(integral);
}

double pnbd_log_dert(const ParetoNbdParams& params, double x, double t_x, double T,
                     double delta) noexcept {
  const auto& [r, alpha, s, beta] = params;
  const auto positive_finite = [](double v) { return v > 0.0 && v < kInf; };
  if (!positive_finite(r) || !positive_finite(alpha) || !positive_finite(s) ||
      !positive_finite(beta) || !(x >= 0.0 && x < kInf) || !(t_x >= 0.0) || !(t_x <= T) ||
      !(T < kInf) || !(delta >= 0.0 && delta < kInf))
    return kNaN;
  // log P(alive) as in pnbd_p_alive: log of alive / (alive + died), that is, FHL's
  // Gamma(r+x) alpha^r beta^s / (Gamma(r) (alpha+T)^(r+x) (beta+T)^s) / L.
  double log_p_alive = 0.0;
  if (t_x != T) {
    const double alive = -(r + x) * std::log(alpha + T) - s * std::log(beta + T);
    const double died =
        detail::pnbd_died(std::log(s), pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, t_x),
                          pnbd_log_tail_integral(r + x, s + 1.0, alpha, beta, T))
            .died;
    log_p_alive = -log1p_exp(died - alive);
  }
  const double log_rate = std::log(r + x) - std::log(alpha + T) + std::log(beta + T);
  // Undiscounted: integral_0^inf (1+u)^-s du = 1/(s-1) for s > 1, divergent otherwise.
  if (delta == 0.0) return s > 1.0 ? log_p_alive + log_rate - std::log(s - 1.0) : kInf;
  return log_p_alive + log_rate + log_exp_integral_scaled(s, delta * (beta + T));
}

double pnbd_dert(const ParetoNbdParams& params, double x, double t_x, double T,
                 double delta) noexcept {
  return std::exp(pnbd_log_dert(params, x, t_x, T, delta));
}

double pnbd_probability_of_purchases(const ParetoNbdParams& params, double t, int n) noexcept {
  if (!(t >= 0.0)) return kNaN;
  if (n < 0) return 0.0;
  if (t == 0.0) return n == 0 ? 1.0 : 0.0;
  // Named copies, not a structured binding: the lambda below captures them (C++20 allows
  // capturing bindings, clang 14 does not).
  const double r = params.r, alpha = params.alpha, s = params.s, beta = params.beta;
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
