#pragma once
// Fitting BG/NBD by maximum likelihood over distinct (x, t_x, T) triples.

#include <vector>

#include "clvkit/models/bgnbd.hpp"
#include "clvkit/models/fit.hpp"

namespace clvkit {

/// A distinct (x, t_x, T) pattern and how many customers share it, in the model's time unit.
struct FrequencyRecencyPattern {
  double x = 0.0;
  double t_x = 0.0;
  double T = 0.0;
  double count = 1.0;
};

/// Collapses per-customer (x, t_x, T) into distinct patterns with counts, sorted by (x, t_x, T)
/// so the summed likelihood is independent of input order.
std::vector<FrequencyRecencyPattern> compress_patterns(const std::vector<double>& x,
                                                       const std::vector<double>& t_x,
                                                       const std::vector<double>& T);

/// Total log-likelihood sum(count * LL_i) and, when `gradient` is non-null, its gradient.
double bgnbd_total_log_likelihood(const BgNbdParams& params,
                                  const std::vector<FrequencyRecencyPattern>& data,
                                  std::array<double, 4>* gradient) noexcept;

struct BgNbdFit {
  BgNbdParams params;
  FitSummary summary;  ///< parameters named r, alpha, a, b
};

/// Fits BG/NBD. Throws ModelError when it cannot succeed (no customers, no repeat buyers,
/// every T = 0) with a message that says why.
BgNbdFit fit_bgnbd(const std::vector<FrequencyRecencyPattern>& data, const FitOptions& options = {});

}  // namespace clvkit
