#pragma once
// Fitting BG/BB by maximum likelihood over distinct (x, t_x, n) patterns (patterns.hpp), with
// times in opportunities: a FrequencyRecencyPattern's T is the number of opportunities n.

#include <array>
#include <vector>

#include "clvkit/models/bgbb.hpp"
#include "clvkit/models/fit.hpp"
#include "clvkit/models/patterns.hpp"

namespace clvkit {

/// Total log-likelihood sum(count * LL_i) (FHS 2010 eq. 5 per pattern, bgbb_log_likelihood,
/// summed in the order of `data` by blocks of 64 patterns, compensated across blocks) and, when
/// `gradient` is non-null, its analytic gradient with respect to (alpha, beta, gamma, delta)
/// (bgbb_log_likelihood_gradient's). Each pattern's x, t_x and T are first rounded to the nearest
/// whole number (T is n); a pattern that is not then a BG/BB history (is_bgbb_history: more
/// transactions than opportunities, say) makes the total non-finite (its term is -inf), since the
/// data cannot occur under the model. The special functions of a pattern depend on its counts x,
/// n - x, n, t_x - x and t_x only, so they are computed once per distinct count (by the same calls
/// as the per-pattern functions: a single pattern's total is bgbb_log_likelihood bit for bit); per
/// pattern the sum over its n - t_x opportunities after t_x remains. Up to `threads` threads, with
/// the same result for any number; the value is the same bit for bit with and without the
/// gradient. Allocates O(data.size()) scratch. Non-finite when a parameter is outside the model's
/// domain.
double bgbb_total_log_likelihood(const BgBbParams& params,
                                 const std::vector<FrequencyRecencyPattern>& data,
                                 std::array<double, 4>* gradient, int threads = 1) noexcept;

struct BgBbFit {
  BgBbParams params;
  FitSummary summary;  ///< parameters named alpha, beta, gamma, delta
};

/// Fits BG/BB by maximum likelihood (maximize_log_likelihood, model "bgbb") on patterns in
/// opportunities, rounded to whole numbers as bgbb_total_log_likelihood does. Starts from
/// alpha = beta = gamma = delta = 1 (uniform p and theta), then from a mean p at the observed
/// transaction share, then alternatives. Throws ModelError when it cannot succeed, with a
/// message that says why: no customers, a pattern with a non-positive count, an invalid triple
/// (check_purchase_history), a pattern that is not a BG/BB history after rounding (the message
/// names the pattern and says that a customer transacts at most once per opportunity), no
/// transaction at all, or no opportunity at all. A fit that does not converge is returned with
/// summary.converged() == false and the reason in summary.message. The fit is bit-identical for
/// any options.threads.
BgBbFit fit_bgbb(const std::vector<FrequencyRecencyPattern>& data, const FitOptions& options = {});

}  // namespace clvkit
