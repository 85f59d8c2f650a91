#pragma once
// Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves",
// JMR 42(4); Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"). Pure functions.
// x is the number of repeat purchases, m the mean spend of those x purchases (m > 0, x >= 1).

#include <array>

namespace clvkit {

/// Per-transaction spend z ~ Gamma(p, nu), nu ~ Gamma(q, gamma).
struct GammaGammaParams {
  double p = 0.0;
  double q = 0.0;
  double gamma = 0.0;
};

/// Throws ModelError naming the parameter when one is not positive and finite.
void check_gamma_gamma_params(const GammaGammaParams& params);

/// Log-likelihood of (x, m) for a repeat buyer (Fader & Hardie 2013 eq. 3), log space:
/// lgamma(px+q) - lgamma(px) - lgamma(q) + q log gamma + (px-1) log m + px log x
/// - (px+q) log(xm+gamma), the density of the mean of x Gamma(p, nu) spends mixed over
/// nu ~ Gamma(q, gamma). m in money units per purchase. Returns NaN (never throws) when a
/// parameter is not positive and finite or x or m is not positive and finite.
double gamma_gamma_log_likelihood(const GammaGammaParams& params, double x, double m) noexcept;

/// Log-likelihood and its analytic gradient with respect to (p, q, gamma) (digamma terms).
/// Same domain as gamma_gamma_log_likelihood; NaN value and gradient outside it.
double gamma_gamma_log_likelihood_gradient(const GammaGammaParams& params, double x, double m,
                                           std::array<double, 3>& gradient) noexcept;

/// Population mean spend E[M] = p gamma / (q - 1); requires q > 1 (ModelError otherwise).
double gamma_gamma_population_mean(const GammaGammaParams& params);

/// E[M | x, m]: conditional expected average spend (eq. 5); the population mean when x = 0.
/// E[M | x, m] = (1 - w) p gamma / (q - 1) + w m, w = px / (px + q - 1).
/// Requires q > 1; throws ModelError naming the parameter, or x < 0, or m <= 0 when x > 0.
double gamma_gamma_conditional_expected_spend(const GammaGammaParams& params, double x, double m);

}  // namespace clvkit
