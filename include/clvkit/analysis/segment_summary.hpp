#pragma once
// Per-segment aggregates and score cross tables: what `clvkit segments` reports.

#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/rfm/segments.hpp"

namespace clvkit {

struct SegmentStats {
  std::string name;
  std::string description;
  std::int64_t customers = 0;
  double share = 0.0;                 ///< of customers
  double mean_days_since_last = 0.0;  ///< the R value
  double mean_purchase_days = 0.0;    ///< the F value
  double mean_total_spend = 0.0;      ///< the M value (total basis)
  double mean_r_score = 0.0;
  double mean_f_score = 0.0;
  double mean_m_score = 0.0;
  double revenue = 0.0;        ///< sum of total_spend
  double revenue_share = 0.0;  ///< of all customers' revenue (0 when that is 0)
  // Model aggregates, filled when predictions are given.
  double expected_purchases = 0.0;  ///< sum over the horizon
  double mean_p_alive = 0.0;
  double clv = 0.0;            ///< sum
  double value_at_risk = 0.0;  ///< sum
};

struct SegmentSummary {
  int bins = 0;
  bool has_predictions = false;
  std::vector<SegmentStats> segments;  ///< in the scheme's order, empty segments included
  /// Customer counts per score pair, row-major: cross[(first - 1) * bins + (second - 1)].
  std::vector<std::int64_t> r_by_f;
  std::vector<std::int64_t> f_by_m;
  std::vector<std::int64_t> r_by_m;
};

/// Aggregates customers by segment. `segment[i]` indexes scheme.segments(); `predictions` is
/// empty or has one entry per customer.
SegmentSummary summarize_segments(const std::vector<CustomerSummary>& customers,
                                  const std::vector<RfmScore>& scores,
                                  const std::vector<int>& segment, const SegmentScheme& scheme,
                                  const std::vector<CustomerPrediction>& predictions);

}  // namespace clvkit
