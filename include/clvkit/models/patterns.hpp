#pragma once
// What the model fits see of a customer base: the summaries compressed to distinct patterns with
// counts. Every purchase model is fitted on (x, t_x, T) patterns and every spend model on (x, m)
// observations, so the compression lives here, once, for all of them (CLVTools' weighted sum over
// distinct triples).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "clvkit/models/time_unit.hpp"
#include "clvkit/summary/customer_patterns.hpp"
#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// A distinct (x, t_x, T) pattern and how many customers share it, in the model's time unit.
struct FrequencyRecencyPattern {
  double x = 0.0;
  double t_x = 0.0;
  double T = 0.0;
  double count = 1.0;
};

/// A repeat buyer's spend summary: x >= 1 repeat purchases with mean spend m > 0.
struct SpendObservation {
  double x = 0.0;
  double m = 0.0;
};

/// Throws ModelError "<what> <i + 1> has x = ..., but ..." when (x, t_x, T) is not a valid
/// purchase history (x or T negative or not finite, t_x outside [0, T]). Cheap when valid: the
/// message is built only on failure.
void check_purchase_history(const char* what, std::size_t i, double x, double t_x, double T);

/// Collapses per-customer (x, t_x, T) into distinct patterns with counts, sorted by (x, t_x, T)
/// so the summed likelihood is independent of input order. Only exactly equal triples are
/// merged. Works on up to `threads` threads; the result does not depend on them. Throws
/// ModelError naming the customer (1-based; the first invalid one) when the vectors differ in
/// length, x or T is negative or not finite, or t_x is outside [0, T].
std::vector<FrequencyRecencyPattern> compress_patterns(const std::vector<double>& x,
                                                       const std::vector<double>& t_x,
                                                       const std::vector<double>& T,
                                                       int threads = 1);

/// Purchase-model input: distinct (x, t_x, T) patterns of the summaries in `unit` (the same
/// result as compress_patterns, on `threads` threads; the result does not depend on them).
std::vector<FrequencyRecencyPattern> frequency_recency_patterns(
    const std::vector<CustomerSummary>& customers, TimeUnit unit, int threads = 1);

/// The same from patterns in whole days (a database's, database_patterns): for the patterns of
/// a customer base, the same doubles, counts and order as frequency_recency_patterns of its
/// summaries.
std::vector<FrequencyRecencyPattern> frequency_recency_patterns(
    const std::vector<SummaryPattern>& patterns, TimeUnit unit);

/// Spend-model input: repeat buyers with a positive mean repeat spend (x = frequency,
/// m = monetary). Customers with frequency > 0 but monetary <= 0 (returns netted away) are left
/// out; `excluded` receives their number.
std::vector<SpendObservation> spend_observations(const std::vector<CustomerSummary>& customers,
                                                 std::int64_t* excluded = nullptr);

/// The same from spend pairs: each pair with a positive monetary value repeated for its
/// customers (in the pairs' order; the spend fits compress and sort their input, so they give the
/// same result as on spend_observations of the summaries), the others counted in `excluded`.
std::vector<SpendObservation> spend_observations(const std::vector<SpendPair>& pairs,
                                                 std::int64_t* excluded = nullptr);

}  // namespace clvkit
