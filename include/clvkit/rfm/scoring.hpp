#pragma once
// RFM scores: recency, frequency and monetary value of each customer as integers 1..bins,
// either by quantiles of the customer base (with an explicit tie rule) or by fixed thresholds.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// One customer's scores, each in 1..bins; higher is better on every dimension.
struct RfmScore {
  std::uint8_t r = 1;  ///< recency: from days_since_last, more recent = higher
  std::uint8_t f = 1;  ///< frequency: from purchase_days, more days = higher
  std::uint8_t m = 1;  ///< monetary: from total_spend or avg_spend, more spend = higher
  friend bool operator==(const RfmScore&, const RfmScore&) = default;
};

/// The score digits concatenated, R then F then M: {5, 1, 5} -> "515". Scores are 1..9.
std::string rfm_cell(RfmScore score);

/// Which spend the M score is computed from.
enum class MonetaryBasis {
  total,    ///< CustomerSummary::total_spend (net spend over all purchase days)
  average,  ///< CustomerSummary::avg_spend (mean spend per purchase day)
};

enum class ScoringMethod {
  quantile,   ///< bins of (nearly) equal size over the customers scored, see quantile_scores
  threshold,  ///< fixed bin edges, see threshold_score
};

/// How scores are computed. The edges are used by the threshold method only and must then hold
/// bins - 1 finite, strictly increasing values each (see threshold_score for their meaning).
struct ScoringSpec {
  ScoringMethod method = ScoringMethod::quantile;
  MonetaryBasis monetary_basis = MonetaryBasis::total;
  std::vector<double> recency_edges;    ///< on days_since_last (days)
  std::vector<double> frequency_edges;  ///< on purchase_days (distinct days with a purchase)
  std::vector<double> monetary_edges;   ///< on the spend chosen by monetary_basis (currency)
};

/// Quantile scores 1..bins of `values`, a higher value giving a higher score.
///
/// Tie rule: customers with equal values always get equal scores, so the result depends only on
/// the multiset of values, never on their order. The values are sorted ascending and their
/// distinct values walked in order, each whole tie group going into the current bin. Bin k's
/// target size is (customers not yet in a closed bin) / (bins not yet closed), recomputed each
/// time a bin closes. Before a group is added to a non-empty bin, the bin is closed first if
/// adding the group would overshoot the target by more than leaving it out undershoots it
/// (nearest to target; an exact tie keeps the group in the current bin). After a group is
/// added, the bin closes once it holds at least its target. The last bin never closes.
///
/// Consequences: with distinct values the bin sizes differ by at most one. A heavy tie takes
/// its bin alone and the remaining customers are spread evenly over the remaining bins (a 60%
/// tie of one-time buyers is score 1; the other 40% get 2..5, 10% each). Scores are assigned
/// bottom-up: with fewer distinct values than bins, or when ties exhaust the customers early,
/// the highest scores are left unused (all-equal values all score 1).
///
/// Runs on up to `threads` threads (values below 1 mean 1); the result does not depend on it.
/// Throws UsageError when bins < 1 or a value is NaN (naming the first). Infinities sort like any
/// other value; -0.0 and +0.0 are one tie group, as they compare equal.
std::vector<int> quantile_scores(std::span<const double> values, int bins, int threads = 1);

/// A distinct value and how many customers hold it.
struct ValueCount {
  double value = 0.0;
  std::int64_t count = 0;
};

/// The bin boundaries quantile_scores draws over the multiset `counts` describes (each value
/// `count` times), from the counts alone: edge k (edges[k - 1]) is the largest value scored k or
/// less, for every bin k the rule closed (at most bins - 1; the last bin used may be closed too);
/// so a value of the multiset scores 1 + the number of edges strictly below it (threshold_score),
/// as quantile_scores scores it on the expanded values. For scoring in another system (a SQL
/// engine, clvkit sql score) that sees the values but not the tie rule. Values may come in any
/// order, each once. Throws UsageError when bins < 1, a value is NaN or repeated, or a count is not
/// positive.
std::vector<double> quantile_edges_of_counts(std::vector<ValueCount> counts, int bins);

/// Threshold score of `value` with ascending bin `edges`: 1 + the number of edges strictly
/// below the value. Each bin is closed above: with edges {1, 2, 3, 5}, value 1 -> 1, 2 -> 2,
/// 3 -> 3, 4 and 5 -> 4, anything above 5 -> 5. Values at or below the first edge score 1.
/// Does not check the edges (see check_threshold_edges); never throws.
int threshold_score(double value, std::span<const double> edges) noexcept;

/// Recency score from days since the last purchase with ascending day edges: bins minus the
/// number of edges strictly below `days_since_last`, where bins = edges.size() + 1. With edges
/// {30, 90, 180, 365}: <= 30 days -> 5, <= 90 -> 4, <= 180 -> 3, <= 365 -> 2, otherwise 1.
int threshold_recency_score(double days_since_last, std::span<const double> edges) noexcept;

/// Checks one dimension's threshold edges: exactly bins - 1 values, all finite, strictly
/// increasing. `what` names the dimension in the message. Throws UsageError, e.g.
/// "recency_days edges must be strictly increasing, but 90 follows 180".
void check_threshold_edges(std::span<const double> edges, int bins, const std::string& what);

/// Checks bins (2..9) and, for the threshold method, every dimension's edges. Throws UsageError.
void check_scoring_spec(const ScoringSpec& spec, int bins);

/// Scores every customer, in input order. Quantile scores are computed over exactly the
/// customers given: R from -days_since_last, F from purchase_days, M from the spend chosen by
/// spec.monetary_basis. Threshold scores use the spec's edges with threshold_recency_score
/// and threshold_score. Runs on up to `threads` threads (values below 1 mean 1); the result
/// does not depend on it.
///
/// Throws UsageError when check_scoring_spec fails, InputError naming the first customer whose
/// spend is not finite.
std::vector<RfmScore> score_customers(const std::vector<CustomerSummary>& customers,
                                      const ScoringSpec& spec, int bins, int threads = 1);

/// Threshold edges under which `customers` get exactly the quantile `scores` they have
/// (score_customers with `spec`'s quantile method and `bins`): a base's score boundaries held
/// fixed, so that other customers (the same base later: `clvkit migrate --edges first`) are
/// scored against them. Per dimension, edge k is the largest value scored k or less (recency: in
/// days since the last purchase, mirrored); where the highest scores are unused (fewer distinct
/// values than bins), the edges continue just above the largest value, so a later value beyond
/// anything this base held scores higher. Throws UsageError when there are no customers or the
/// counts differ.
ScoringSpec threshold_spec_from_scores(const std::vector<CustomerSummary>& customers,
                                       const std::vector<RfmScore>& scores, const ScoringSpec& spec,
                                       int bins);

}  // namespace clvkit
