#include "clvkit/models/gamma_gamma.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {

namespace {

bool valid(const GammaGammaParams& params) {
  return is_positive_finite(params.p) && is_positive_finite(params.q) &&
         is_positive_finite(params.gamma);
}

void check_mean_exists(const GammaGammaParams& params) {
  if (!(params.q > 1.0)) {
    throw ModelError("gamma-gamma: q = " + format_number(params.q) +
                     " <= 1, so the mean spend does not exist (E[M] = p gamma / (q - 1) "
                     "needs q > 1)");
  }
}

}  // namespace

void check_gamma_gamma_params(const GammaGammaParams& params) {
  require_positive_finite("gamma-gamma", "p", params.p);
  require_positive_finite("gamma-gamma", "q", params.q);
  require_positive_finite("gamma-gamma", "gamma", params.gamma);
}

// Fader & Hardie (2013) eq. 3. Given nu, the mean m of x Gamma(p, nu) spends is
// Gamma(p x, nu x); mixing over nu ~ Gamma(q, gamma) gives
//   LL = lgamma(px + q) - lgamma(px) - lgamma(q) + q log gamma + (px - 1) log m + px log x
//        - (px + q) log(x m + gamma).
// The gamma functions are -log B(px, q), taken from lbeta, which stays accurate when px or q is
// large (lgamma differences cancel there), and the three logarithms are regrouped as
// -q log1p(xm/gamma) - px log1p(gamma/(xm)) - log m, which has no cancellation between large
// logs when xm and gamma differ a lot.
double gamma_gamma_log_likelihood(const GammaGammaParams& params, double x, double m) noexcept {
  if (!valid(params) || !is_positive_finite(x) || !is_positive_finite(m)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double px = params.p * x;
  const double xm = x * m;
  return -lbeta(px, params.q) - params.q * std::log1p(xm / params.gamma) -
         px * std::log1p(params.gamma / xm) - std::log(m);
}

// dLL/dp     = x [psi(px + q) - psi(px) - log1p(gamma / (xm))]
// dLL/dq     = psi(px + q) - psi(q) - log1p(xm / gamma)
// dLL/dgamma = q / gamma - (px + q) / (xm + gamma)
double gamma_gamma_log_likelihood_gradient(const GammaGammaParams& params, double x, double m,
                                           std::array<double, 3>& gradient) noexcept {
  if (!valid(params) || !is_positive_finite(x) || !is_positive_finite(m)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    gradient = {nan, nan, nan};
    return nan;
  }
  const double p = params.p;
  const double q = params.q;
  const double g = params.gamma;
  const double px = p * x;
  const double xm = x * m;
  const double log1p_g_over_xm = std::log1p(g / xm);
  const double log1p_xm_over_g = std::log1p(xm / g);
  const double psi_pxq = digamma(px + q);
  gradient[0] = x * (psi_pxq - digamma(px) - log1p_g_over_xm);
  gradient[1] = psi_pxq - digamma(q) - log1p_xm_over_g;
  gradient[2] = q / g - (px + q) / (xm + g);
  return -lbeta(px, q) - q * log1p_xm_over_g - px * log1p_g_over_xm - std::log(m);
}

double gamma_gamma_population_mean(const GammaGammaParams& params) {
  check_gamma_gamma_params(params);
  check_mean_exists(params);
  return params.p * params.gamma / (params.q - 1.0);
}

// Eq. 5: E[M | x, m] = (1 - w) p gamma / (q - 1) + w m with w = px / (px + q - 1), which
// simplifies to p (gamma + x m) / (px + q - 1): one division, no cancellation.
double gamma_gamma_conditional_expected_spend(const GammaGammaParams& params, double x, double m) {
  check_gamma_gamma_params(params);
  check_mean_exists(params);
  if (!is_non_negative_finite(x)) {
    throw ModelError("gamma-gamma: x is " + format_number(x) +
                     ", but must be a non-negative, finite number of repeat purchases");
  }
  if (x == 0.0) return params.p * params.gamma / (params.q - 1.0);
  if (!is_positive_finite(m)) {
    throw ModelError("gamma-gamma: m is " + format_number(m) +
                     ", but the mean spend of a repeat buyer must be positive and finite");
  }
  return params.p * (params.gamma + x * m) / (params.p * x + params.q - 1.0);
}

}  // namespace clvkit
