#pragma once
// One purchase away: the segment a customer would reach with their next purchase, and how many
// purchases take them to a better segment of the scheme's value order. The other customers'
// score edges are held fixed, so a single purchase moves only its own customer.

#include <cstdint>
#include <string_view>
#include <vector>

#include "clvkit/rfm/scoring.hpp"
#include "clvkit/rfm/segments.hpp"
#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// What the next purchase's functions call themselves when a scheme without a value order is
/// refused (SegmentScheme::check_value_order).
inline constexpr std::string_view kNextPurchaseFeature =
    "the next purchase's segment (purchases_to_upgrade)";

/// How far next_purchase looks.
struct NextPurchaseOptions {
  /// Most further purchases (one a day) tried for purchases_to_upgrade, 1..1000.
  int max_purchases = 10;
};

/// One customer's next purchase and the way to a better segment (see next_purchase).
struct NextPurchase {
  RfmScore score;   ///< the scores after one more purchase, against the held edges
  int segment = 0;  ///< index of the segment those scores give (next_purchase_segment)
  /// Fewest further purchases reaching a segment ranked higher in the value order: 0 when the
  /// customer is in the top segment already, -1 when no number up to the cap gets there.
  int purchases_to_upgrade = -1;
  int upgrade_segment = -1;    ///< index of the segment so reached; -1 when 0 or -1 above
  double upgrade_value = 0.0;  ///< model CLV after one more purchase minus today's; 0 without
};

/// The summary the customer would have after `k` >= 0 more purchases of `spend` each, one a day
/// on the days after the as-of day (as_of + 1 .. as_of + k), seen at the end of the last of them:
/// the as-of day moves by k days, as `clvkit run --as-of <as-of + k>` on the log with those
/// purchases appended sees it. So purchase_days and frequency grow by k, last_purchase is
/// as_of + k, days_since_last 0, T and recency (t_x) are T + k, total_spend grows by k * spend,
/// avg_spend is the new total over the new purchase days and monetary the mean spend of the
/// repeat days, (monetary * frequency + k * spend) / (frequency + k). first_purchase and id are
/// kept. k = 0 gives the customer unchanged.
CustomerSummary summary_after_purchases(const CustomerSummary& customer, std::int64_t k,
                                        double spend);

/// The edges next_purchase scores against: the spec itself for a threshold spec; for a quantile
/// spec, the threshold edges under which `customers` keep exactly their `scores`
/// (threshold_spec_from_scores), so a purchase does not move anyone else's scores. Without
/// customers there is nothing to hold and the spec itself is returned. Throws what
/// threshold_spec_from_scores throws (scores not one per customer).
ScoringSpec held_scoring_spec(const std::vector<CustomerSummary>& customers,
                              const std::vector<RfmScore>& scores, const ScoringSpec& spec,
                              int bins);

/// Scores one customer against threshold edges (`held.method` must be threshold), as
/// score_customers does.
RfmScore threshold_scores(const CustomerSummary& customer, const ScoringSpec& held) noexcept;

/// The next purchase of a customer now in segment `segment`: the segment and scores after one
/// more purchase of `spend` on the day after the as-of day (summary_after_purchases with k = 1,
/// scored against `held`, a threshold spec: held_scoring_spec), and the fewest purchases
/// k = 1..options.max_purchases, of `spend` each, one a day, whose segment ranks higher than
/// `segment` in the scheme's value order (purchases_to_upgrade; 0 when `segment` is the top).
/// upgrade_value is left 0 (it needs a model: next_purchases in analysis.hpp).
/// Throws UsageError when the scheme has no value order, `held` is not a threshold spec or the
/// cap is outside 1..1000.
NextPurchase next_purchase(const CustomerSummary& customer, int segment, double spend,
                           const SegmentScheme& scheme, const ScoringSpec& held,
                           const NextPurchaseOptions& options = {});

/// Every customer's next purchase with what it was computed from.
struct UpgradePaths {
  NextPurchaseOptions options;
  ScoringSpec held;  ///< the edges scored against (held_scoring_spec)
  /// What the purchase's spend is: "expected_avg_spend" (the spend model's E[M]) or "avg_spend"
  /// (the customer's mean spend per purchase day, without a model).
  const char* spend_basis = "avg_spend";
  std::vector<NextPurchase> customers;  ///< one per customer, in base order
  std::int64_t beyond_cap = 0;          ///< customers with purchases_to_upgrade -1
};

}  // namespace clvkit
