#pragma once
// Fitting Pareto/NBD by maximum likelihood over distinct (x, t_x, T) patterns (patterns.hpp).

#include <array>
#include <vector>

#include "clvkit/models/fit.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/models/pnbd.hpp"

namespace clvkit {

/// Total log-likelihood sum(count * LL_i) (FH 2005a section 3 per pattern, pnbd_log_likelihood,
/// summed in the order of `data`, compensated across blocks of 64 patterns) and, when `gradient`
/// is non-null, its gradient with respect to (r, alpha, s, beta) (pnbd_log_likelihood_gradient's,
/// with its central differences in r and s). The 2F1 tail integrals depend on (x, t_x) and (x, T)
/// only, so they are computed once per distinct pair, not per pattern (see pnbd_fit.cpp).
/// Up to `threads` threads, with the same result for any number. Allocates O(data.size())
/// scratch. Non-finite when a parameter is outside the model's domain.
double pnbd_total_log_likelihood(const ParetoNbdParams& params,
                                 const std::vector<FrequencyRecencyPattern>& data,
                                 std::array<double, 4>* gradient, int threads = 1) noexcept;

struct ParetoNbdFit {
  ParetoNbdParams params;
  FitSummary summary;  ///< parameters named r, alpha, s, beta
};

/// Fits Pareto/NBD by maximum likelihood (maximize_log_likelihood, model "pnbd"), starting from
/// r = 1, alpha = mean T / mean x, s = 1, beta = mean T, then alternatives. Throws ModelError when
/// it cannot succeed (no customers, no repeat buyers, every T = 0, a pattern with a non-positive
/// count or an invalid triple) with a message that says why. A fit that does not converge is
/// returned with summary.converged() == false and the reason in summary.message. The fit is
/// bit-identical for any options.threads.
ParetoNbdFit fit_pnbd(const std::vector<FrequencyRecencyPattern>& data,
                      const FitOptions& options = {});

}  // namespace clvkit
