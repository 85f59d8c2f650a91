#pragma once
// Per-segment aggregates and score cross tables: what `clvkit segments` reports.

#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/rfm/next_purchase.hpp"
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
  // Next-purchase aggregates (rfm/next_purchase.hpp), filled when upgrade paths are given.
  std::int64_t one_purchase_to_better = 0;  ///< customers with purchases_to_upgrade 1
  /// Customers outside the top segment whose next purchase takes them into it (the top
  /// segment's own customers are not counted: they are there already).
  std::int64_t one_purchase_to_top = 0;
  /// Sum of upgrade_value over the customers one purchase from a better segment: what nudging
  /// them is worth if every one of them buys (with a model).
  double upgrade_value_one_purchase = 0.0;
  double upgrade_value = 0.0;  ///< sum of upgrade_value over all the segment's customers
};

struct SegmentSummary {
  int bins = 0;
  bool has_predictions = false;
  /// Whether the next-purchase counts are filled; upgrade_value only with predictions too.
  bool has_upgrade = false;
  int top_segment = -1;  ///< with has_upgrade: the scheme's top segment (index into segments)
  std::vector<SegmentStats> segments;  ///< in the scheme's order, empty segments included
  /// Customer counts per score pair, row-major: cross[(first - 1) * bins + (second - 1)].
  std::vector<std::int64_t> r_by_f;
  std::vector<std::int64_t> f_by_m;
  std::vector<std::int64_t> r_by_m;
};

/// Aggregates customers by segment. `segment[i]` indexes scheme.segments(); `predictions` is
/// empty or has one entry per customer; `upgrade` is null or has one entry per customer
/// (next_purchases), and then the scheme must have a value order.
SegmentSummary summarize_segments(const std::vector<CustomerSummary>& customers,
                                  const std::vector<RfmScore>& scores,
                                  const std::vector<int>& segment, const SegmentScheme& scheme,
                                  const std::vector<CustomerPrediction>& predictions,
                                  const std::vector<NextPurchase>* upgrade = nullptr);

}  // namespace clvkit
