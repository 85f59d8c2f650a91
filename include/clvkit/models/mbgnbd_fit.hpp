#pragma once
// Fitting MBG/NBD by maximum likelihood over distinct (x, t_x, T) patterns (patterns.hpp).

#include <array>
#include <vector>

#include "clvkit/models/fit.hpp"
#include "clvkit/models/mbgnbd.hpp"
#include "clvkit/models/patterns.hpp"

namespace clvkit {

/// Total log-likelihood sum(count * LL_i) (mbgnbd_log_likelihood per pattern, summed in the
/// order of `data`, compensated across blocks of 64 patterns) and, when `gradient` is non-null,
/// its gradient with respect to (r, alpha, a, b). Equals summing mbgnbd_log_likelihood_gradient
/// over the patterns up to rounding, but computes the terms that depend on x only or on one time
/// only once per distinct value, as bgnbd_total_log_likelihood does (the same evaluation), so a
/// pattern costs one exp, one log1p and one division. Large data is summed on up to `threads`
/// threads, with the same result for any number. Allocates O(data.size()) scratch (an
/// allocation failure terminates, as the function is noexcept). Non-finite when a parameter is
/// outside the model's domain.
double mbgnbd_total_log_likelihood(const MbgNbdParams& params,
                                   const std::vector<FrequencyRecencyPattern>& data,
                                   std::array<double, 4>* gradient, int threads = 1) noexcept;

struct MbgNbdFit {
  MbgNbdParams params;
  FitSummary summary;  ///< parameters named r, alpha, a, b
};

/// Fits MBG/NBD by maximum likelihood (maximize_log_likelihood, model "mbgnbd"), from BG/NBD's
/// starting values (r = 1, alpha = mean T / mean x, a = b = 1, then alternatives). Throws
/// ModelError when it cannot succeed (no customers, no repeat buyers, every T = 0, a pattern with
/// a non-positive count or an invalid triple) with a message that says why. A fit that does not
/// converge is returned with summary.converged() == false and the reason in summary.message.
/// options.threads evaluate the likelihood; the fit is bit-identical for any number.
MbgNbdFit fit_mbgnbd(const std::vector<FrequencyRecencyPattern>& data,
                     const FitOptions& options = {});

}  // namespace clvkit
