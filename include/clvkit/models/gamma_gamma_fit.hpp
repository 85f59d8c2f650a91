#pragma once
// Fitting the Gamma-Gamma spend model on repeat buyers.

#include <array>
#include <vector>

#include "clvkit/models/fit.hpp"
#include "clvkit/models/gamma_gamma.hpp"
#include "clvkit/models/patterns.hpp"

namespace clvkit {

/// Total log-likelihood sum_i gamma_gamma_log_likelihood(params, x_i, m_i) and, when `gradient`
/// is non-null, its gradient with respect to (p, q, gamma). Equal (x, m) pairs are merged and
/// the sum runs in (x, m) order, so the result does not depend on the order of `data`. The
/// special functions are evaluated once per distinct x (see gamma_gamma_fit.cpp), so the cost
/// is one log1p and one division per observation. Large data is sorted and summed on up to
/// `threads` threads, with the same result for any number. `data` is not checked
/// (fit_gamma_gamma does); NaN when a parameter is not positive and finite.
double gamma_gamma_total_log_likelihood(const GammaGammaParams& params,
                                        const std::vector<SpendObservation>& data,
                                        std::array<double, 3>* gradient, int threads = 1);

struct GammaGammaFit {
  GammaGammaParams params;
  FitSummary summary;  ///< parameters named p, q, gamma
  /// Pearson correlation between x and m over the fitted customers: the model assumes spend is
  /// independent of frequency; a large |correlation| means that assumption fails on this data.
  double frequency_spend_correlation = 0.0;
  std::int64_t customers_used = 0;
};

/// Fits Gamma-Gamma on observations with x >= 1 and m > 0 (others must be filtered out by the
/// caller). Throws ModelError when it cannot succeed (no observations, q <= 1 at the optimum so
/// the mean spend does not exist, non-finite likelihood) with a message that says why.
/// Equal (x, m) pairs are merged first, so the result does not depend on the input order.
/// Starts: moment estimates for q = 3 and q = 5 (when they exist), (1, 2, mean m), (1, 1, 1).
/// A fit that does not converge is returned with summary.converged() == false. options.threads sort
/// the data and evaluate the likelihood; the fit is bit-identical for any number.
GammaGammaFit fit_gamma_gamma(const std::vector<SpendObservation>& data,
                              const FitOptions& options = {});

}  // namespace clvkit
