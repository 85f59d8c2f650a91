#include "clvkit/models/bgnbd.hpp"

// BG/NBD pure functions (Fader, Hardie & Lee 2005). Notation: r, alpha, a, b are the model
// parameters; x, t_x, T the customer's repeat purchases, last purchase time and age; t a horizon.
//
// Decisions:
// * LL (eq. 6) is L1 + log1p_exp(d) with L1 the "still alive at T" term and
//   d = log(a/(b+x-1)) + (r+x) log((alpha+T)/(alpha+t_x)) the log-ratio of the "dropped after the
//   last purchase" term to it; P(alive) = 1/(1 + e^d) = exp(-log1p_exp(d)) shares d. Nothing is
//   exponentiated before the final step, so no customer under- or overflows.
// * Gamma-function ratios with an integer x (the usual case) are rising factorials: for x <= 16 we
//   multiply them out (no lgamma call at all), beyond that we use the accurate gamma difference.
// * E[X(t) | x, t_x, T] = P(alive) * K with K = E[X(t) | alive at T], and
//     K = E_p[(1 - (1 + p u)^-(r+x)) / p],  p ~ Beta(a, b+x),  u = t/(alpha+T).
//   The textbook form K = (a+b+x-1)/(a-1) [1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] cancels
//   catastrophically for a -> 1 (and its 2F1 overflows for long horizons), so we never form it:
//   - Fast path (most customers): K = sum_{j>=1} P(N = j) W_j, N ~ NegBin(r+x, z) the purchases
//     an immortal customer would make, W_j = sum_{n=1..j} E[(1-p)^(n-1)] the expected purchases
//     counted until dropout. Every term is positive: no cancellation for any a, b, r, x, and the
//     recurrences need no special function except one pow. Used while the NB mean is moderate.
//   - Otherwise K = c * D with c = a+b+x-1 and D = hyp2f1_deficit(c - r - x, a - 1, c, z):
//     by Euler's transformation (1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(c-r-x, a-1; c;
//     z), so K = c [1 - (1-z)^(a-1) 2F1(...)] / (a-1) = c D, and hyp2f1_deficit divides the (a-1)
//     out analytically (series for small z, connection formula near z = 1).

#include <algorithm>
#include <array>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/numerics/hyp2f1.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/numerics/no_throw_policy.hpp"
#include "clvkit/util/checks.hpp"

namespace clvkit {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kEps = std::numeric_limits<double>::epsilon();

using detail::NoThrowPolicy;

// The shared pieces of eq. 6: L1 = log of the alive-at-T term, d = log-ratio of the second term
// to the first (only meaningful for x > 0), ell = log((alpha+T)/(alpha+t_x)).
struct LikelihoodParts {
  double l1;
  double d;
  double ell;
};

LikelihoodParts likelihood_parts(const BgNbdParams& p, double x, double t_x, double T) noexcept {
  LikelihoodParts parts{};
  const double log_alpha_T = std::log(p.alpha + T);
  // B(a, b+x)/B(a, b) = (b)_x / (a+b)_x;  Gamma(r+x)/Gamma(r) = (r)_x.
  parts.l1 = log_rising_ratio(p.b, p.a + p.b, x) + log_rising(p.r, x) + p.r * std::log(p.alpha) -
             (p.r + x) * log_alpha_T;
  if (x > 0.0) {
    parts.ell = std::log1p((T - t_x) / (p.alpha + t_x));
    parts.d = std::log(p.a / (p.b + x - 1.0)) + (p.r + x) * parts.ell;
  }
  return parts;
}

// 1/n for n < 1024, so the hot loop below does one division per term instead of two.
constexpr int kInverseTableSize = 1024;
constexpr std::array<double, kInverseTableSize> kInverse = [] {
  std::array<double, kInverseTableSize> t{};
  for (int i = 1; i < kInverseTableSize; ++i) t[i] = 1.0 / i;
  return t;
}();

// K = E[X(t) | alive at T] by the negative-binomial mixture (all terms positive). Returns false
// when `cap` terms do not reach double precision.
bool expected_given_alive_mixture(double A, double a, double bx, double z, double s, int cap,
                                  double* out) noexcept {
  // P(N = 0) = s^A; P(N = j) = P(N = j-1) (A + j - 1) z / j. The pmf and the sum are kept
  // scaled by exp(-log_scale) so that s^A may underflow (large r + x, long horizons) and the
  // pmf may climb by hundreds of orders of magnitude to its mode without overflowing.
  const double log_pmf0 = A * std::log(s);
  double log_scale = 0.0;
  double pmf = std::exp(log_pmf0);
  if (pmf < 1e-250) {
    pmf = 1.0;
    log_scale = log_pmf0;
  }
  const double c1 = a + bx;  // w_{n+1} = w_n (b+x+n-1) / (a+b+x+n-1)
  const double Az = (A - 1.0) * z;
  double w = 1.0;  // w_1 = E[(1-p)^0]
  double W = 0.0;
  double sum = 0.0;
  double jd = 0.0;  // j - 1 as a double
  for (int j = 1; j <= cap; ++j, jd += 1.0) {
    const double inv_j = j < kInverseTableSize ? kInverse[j] : 1.0 / j;
    pmf *= (Az + z * (jd + 1.0)) * inv_j;  // (A + j - 1) z / j
    W += w;
    sum += pmf * W;
    w *= (bx + jd) / (c1 + jd);
    if ((j & 7) == 0) {
      // Remainder bound: later pmf ratios are <= rho, later w_n <= w (w decreases since a > 0),
      // so sum_{i>j} pmf_i W_i <= pmf [W rho/(1-rho) + w rho/(1-rho)^2].
      const double inv_next = j + 1 < kInverseTableSize ? kInverse[j + 1] : 1.0 / (j + 1);
      const double rho = std::max((A + j) * z * inv_next, z);
      if (rho < 1.0) {
        const double inv1 = 1.0 / (1.0 - rho);
        const double rest = pmf * rho * inv1 * (W + w * inv1);
        if (rest <= 0.5 * kEps * sum) {
          *out = log_scale == 0.0 ? sum : sum * std::exp(log_scale);
          return true;
        }
      }
      if (pmf > 1e200) {  // 8 more steps grow it by < (A + j)^8: far from overflow
        pmf *= 1e-200;
        sum *= 1e-200;
        log_scale += 460.51701859880914;  // log(1e200)
      }
    }
  }
  return false;
}

// K for A = r + x, a, b' = b + x, horizon t, and alpha_T = alpha + T (> 0).
double expected_given_alive(double r, double a, double b, double x, double alpha_T,
                            double t) noexcept {
  if (t == 0.0) return 0.0;
  const double A = r + x;
  const double bx = b + x;
  const double denom = alpha_T + t;
  const double z = t / denom;
  const double s = alpha_T / denom;
  const double nb_mean = A * (t / alpha_T);
  double value = 0.0;
  // Fast path: the mixture needs about mean + a few sd + 40/|log z| terms.
  if (nb_mean <= 40.0 && z <= 0.9) {
    if (expected_given_alive_mixture(A, a, bx, z, s, 800, &value)) return value;
  }
  const double c = (a + b - 1.0) + x;
  const double c_minus_A = (a + b - 1.0) - r;  // independent of x: no rounding from a large x
  const Hyp2f1Result d = hyp2f1_deficit(c_minus_A, a - 1.0, c, z, s);
  if (std::isfinite(d.value) && d.error < 1e-8 && c * d.value > 0.0) return c * d.value;
  // Last resort (c ~ 0 or an estimate the deficit could not certify): the positive mixture
  // with a generous cap; if even that fails keep the deficit's value when it is usable.
  if (expected_given_alive_mixture(A, a, bx, z, s, 2000000, &value)) return value;
  return std::isfinite(d.value) && c * d.value > 0.0 ? c * d.value : kNaN;
}

}  // namespace

void check_bgnbd_params(const BgNbdParams& params) {
  require_positive_finite("bgnbd", "r", params.r);
  require_positive_finite("bgnbd", "alpha", params.alpha);
  require_positive_finite("bgnbd", "a", params.a);
  require_positive_finite("bgnbd", "b", params.b);
}

double bgnbd_log_likelihood(const BgNbdParams& params, double x, double t_x, double T) noexcept {
  const LikelihoodParts parts = likelihood_parts(params, x, t_x, T);
  if (x > 0.0) return parts.l1 + log1p_exp(parts.d);
  return parts.l1;
}

double bgnbd_log_likelihood_gradient(const BgNbdParams& params, double x, double t_x, double T,
                                     std::array<double, 4>& gradient) noexcept {
  const double r = params.r;
  const double alpha = params.alpha;
  const double a = params.a;
  const double b = params.b;
  const LikelihoodParts parts = likelihood_parts(params, x, t_x, T);
  const double alpha_T = alpha + T;
  // Gradient of L1.
  const double psi_ab = digamma_rise(a + b, x);  // psi(a+b+x) - psi(a+b)
  double g_r = digamma_rise(r, x) + std::log(alpha / alpha_T);
  double g_alpha = r / alpha - (r + x) / alpha_T;
  double g_a = -psi_ab;
  double g_b = digamma_rise(b, x) - psi_ab;
  double ll = parts.l1;
  if (x > 0.0) {
    // LL = L1 + log1p_exp(d): add sigma(d) * grad d, sigma(d) = 1 - P(alive).
    ll += log1p_exp(parts.d);
    const double sigma = std::exp(-log1p_exp(-parts.d));
    const double alpha_tx = alpha + t_x;
    g_r += sigma * parts.ell;
    g_alpha += sigma * (r + x) * (t_x - T) / (alpha_T * alpha_tx);
    g_a += sigma / a;
    g_b -= sigma / (b + x - 1.0);
  }
  gradient = {g_r, g_alpha, g_a, g_b};
  return ll;
}

double bgnbd_p_alive(const BgNbdParams& params, double x, double t_x, double T) noexcept {
  if (x == 0.0) return 1.0;
  const double d = std::log(params.a / (params.b + x - 1.0)) +
                   (params.r + x) * std::log1p((T - t_x) / (params.alpha + t_x));
  return std::exp(-log1p_exp(d));
}

double bgnbd_expected_purchases_given_alive(const BgNbdParams& params, double x, double T,
                                            double t) noexcept {
  if (!(t >= 0.0)) return kNaN;
  return expected_given_alive(params.r, params.a, params.b, x, params.alpha + T, t);
}

double bgnbd_conditional_expected_purchases(const BgNbdParams& params, double x, double t_x,
                                            double T, double t) noexcept {
  if (!(t >= 0.0)) return kNaN;
  if (t == 0.0) return 0.0;
  const double p_alive = bgnbd_p_alive(params, x, t_x, T);
  if (p_alive == 0.0) return 0.0;
  return p_alive * expected_given_alive(params.r, params.a, params.b, x, params.alpha + T, t);
}

double bgnbd_expected_purchases_new_customer(const BgNbdParams& params, double t) noexcept {
  if (!(t >= 0.0)) return kNaN;
  return expected_given_alive(params.r, params.a, params.b, 0.0, params.alpha, t);
}

double bgnbd_probability_of_purchases(const BgNbdParams& params, double t, int n) noexcept {
  if (!(t >= 0.0)) return kNaN;
  if (n < 0) return 0.0;
  const double r = params.r;
  const double alpha = params.alpha;
  const double a = params.a;
  const double b = params.b;
  if (t == 0.0) return n == 0 ? 1.0 : 0.0;
  const double log_s = -std::log1p(t / alpha);  // log(alpha / (alpha + t))
  if (n == 0) return std::exp(r * log_s);
  const double nn = n;
  const double log_z = -std::log1p(alpha / t);  // log(t / (alpha + t))
  // Eq. 8: P(X(t) = n) = B(a, b+n)/B(a,b) NB(n; r, z)
  //          + B(a+1, b+n-1)/B(a,b) [1 - sum_{j<n} NB(j; r, z)],
  // and 1 - sum_{j<n} NB(j; r, z) = P(NB >= n) = I_z(n, r) (regularized incomplete beta, itself
  // z^n (1-z)^r / (n B(n, r)) 2F1(n+r, 1; n+1; z)); Boost evaluates it without the cancellation
  // of 1 - sum. B(a+1, b+n-1)/B(a, b+n) = a/(b+n-1).
  const double log_beta_ratio = log_rising_ratio(b, a + b, nn);  // log B(a,b+n)/B(a,b)
  const double term1 =
      log_beta_ratio + log_rising(r, nn) - log_gamma(nn + 1.0) + r * log_s + nn * log_z;
  const double z = t / (alpha + t);
  const double s = alpha / (alpha + t);
  const double tail = z < 0.5 ? boost::math::ibeta(nn, r, z, NoThrowPolicy())
                              : boost::math::ibetac(r, nn, s, NoThrowPolicy());
  const double term2 = std::log(a / (b + nn - 1.0)) + log_beta_ratio + std::log(tail);
  return std::exp(log_sum_exp(term1, term2));
}

}  // namespace clvkit
