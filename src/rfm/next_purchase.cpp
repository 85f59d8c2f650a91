#include "clvkit/rfm/next_purchase.hpp"

#include <string>

#include "clvkit/error.hpp"

namespace clvkit {
namespace {

// threshold_scores(summary_after_purchases(customer, k, spend), held), without copying the
// summary (its id): the same operations on the fields that are scored.
RfmScore scores_after(const CustomerSummary& c, std::int64_t k, double spend,
                      const ScoringSpec& held) noexcept {
  const std::int64_t purchase_days = c.purchase_days + k;
  const double total = c.total_spend + static_cast<double>(k) * spend;
  const double scored = held.monetary_basis == MonetaryBasis::total
                            ? total
                            : total / static_cast<double>(purchase_days);
  return RfmScore{static_cast<std::uint8_t>(threshold_recency_score(0.0, held.recency_edges)),
                  static_cast<std::uint8_t>(
                      threshold_score(static_cast<double>(purchase_days), held.frequency_edges)),
                  static_cast<std::uint8_t>(threshold_score(scored, held.monetary_edges))};
}

}  // namespace

CustomerSummary summary_after_purchases(const CustomerSummary& customer, std::int64_t k,
                                        double spend) {
  if (k <= 0) return customer;
  CustomerSummary out = customer;
  const Day as_of = customer.last_purchase + customer.days_since_last;
  const auto days = static_cast<std::int32_t>(k);
  const double added = static_cast<double>(k) * spend;
  out.last_purchase = as_of + days;
  out.purchase_days += k;
  out.frequency += k;
  out.T += days;
  out.recency = out.T;  // the last purchase is on the new as-of day
  out.days_since_last = 0;
  out.total_spend += added;
  out.avg_spend = out.total_spend / static_cast<double>(out.purchase_days);
  out.monetary = (customer.monetary * static_cast<double>(customer.frequency) + added) /
                 static_cast<double>(out.frequency);
  return out;
}

ScoringSpec held_scoring_spec(const std::vector<CustomerSummary>& customers,
                              const std::vector<RfmScore>& scores, const ScoringSpec& spec,
                              int bins) {
  if (spec.method == ScoringMethod::threshold || customers.empty()) return spec;
  return threshold_spec_from_scores(customers, scores, spec, bins);
}

RfmScore threshold_scores(const CustomerSummary& c, const ScoringSpec& held) noexcept {
  const double spend = held.monetary_basis == MonetaryBasis::total ? c.total_spend : c.avg_spend;
  return RfmScore{static_cast<std::uint8_t>(threshold_recency_score(
                      static_cast<double>(c.days_since_last), held.recency_edges)),
                  static_cast<std::uint8_t>(
                      threshold_score(static_cast<double>(c.purchase_days), held.frequency_edges)),
                  static_cast<std::uint8_t>(threshold_score(spend, held.monetary_edges))};
}

NextPurchase next_purchase(const CustomerSummary& customer, int segment, double spend,
                           const SegmentScheme& scheme, const ScoringSpec& held,
                           const NextPurchaseOptions& options) {
  scheme.check_value_order(kNextPurchaseFeature);
  if (held.method != ScoringMethod::threshold) {
    throw UsageError("next purchase: the edges must be held as thresholds (held_scoring_spec)");
  }
  if (options.max_purchases < 1 || options.max_purchases > 1000) {
    throw UsageError("next purchase: the cap is " + std::to_string(options.max_purchases) +
                     " purchases, but must be in 1..1000");
  }
  NextPurchase out;
  out.score = scores_after(customer, 1, spend, held);
  out.segment = scheme.segment_of(out.score);
  const int rank = scheme.value_rank(segment);
  if (rank == 0) {
    out.purchases_to_upgrade = 0;
    return out;
  }
  for (int k = 1; k <= options.max_purchases; ++k) {
    const int reached =
        k == 1 ? out.segment : scheme.segment_of(scores_after(customer, k, spend, held));
    if (scheme.value_rank(reached) < rank) {
      out.purchases_to_upgrade = k;
      out.upgrade_segment = reached;
      return out;
    }
  }
  return out;
}

}  // namespace clvkit
