#include "clvkit/analysis/segment_summary.hpp"

namespace clvkit {

SegmentSummary summarize_segments(const std::vector<CustomerSummary>& customers,
                                  const std::vector<RfmScore>& scores,
                                  const std::vector<int>& segment, const SegmentScheme& scheme,
                                  const std::vector<CustomerPrediction>& predictions,
                                  const std::vector<NextPurchase>* upgrade) {
  SegmentSummary out;
  const int bins = scheme.bins();
  out.bins = bins;
  out.has_predictions = !predictions.empty();
  out.has_upgrade = upgrade != nullptr;
  if (upgrade != nullptr) out.top_segment = scheme.top_segment();
  const std::size_t cells = static_cast<std::size_t>(bins * bins);
  out.r_by_f.assign(cells, 0);
  out.f_by_m.assign(cells, 0);
  out.r_by_m.assign(cells, 0);
  for (const Segment& s : scheme.segments()) {
    SegmentStats stats;
    stats.name = s.name;
    stats.description = s.description;
    out.segments.push_back(stats);
  }

  double total_revenue = 0.0;
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const CustomerSummary& c = customers[i];
    const RfmScore score = scores[i];
    SegmentStats& stats = out.segments[static_cast<std::size_t>(segment[i])];
    ++stats.customers;
    stats.mean_days_since_last += c.days_since_last;
    stats.mean_purchase_days += static_cast<double>(c.purchase_days);
    stats.mean_total_spend += c.total_spend;
    stats.mean_r_score += score.r;
    stats.mean_f_score += score.f;
    stats.mean_m_score += score.m;
    stats.revenue += c.total_spend;
    total_revenue += c.total_spend;
    if (out.has_predictions) {
      const CustomerPrediction& p = predictions[i];
      stats.expected_purchases += p.expected_purchases;
      stats.mean_p_alive += p.p_alive;
      stats.clv += p.clv;
      stats.value_at_risk += p.value_at_risk;
    }
    if (upgrade != nullptr) {
      const NextPurchase& next = (*upgrade)[i];
      if (next.purchases_to_upgrade == 1) {
        ++stats.one_purchase_to_better;
        stats.upgrade_value_one_purchase += next.upgrade_value;
      }
      if (segment[i] != out.top_segment && next.segment == out.top_segment) {
        ++stats.one_purchase_to_top;
      }
      stats.upgrade_value += next.upgrade_value;
    }
    ++out.r_by_f[static_cast<std::size_t>((score.r - 1) * bins + score.f - 1)];
    ++out.f_by_m[static_cast<std::size_t>((score.f - 1) * bins + score.m - 1)];
    ++out.r_by_m[static_cast<std::size_t>((score.r - 1) * bins + score.m - 1)];
  }

  const double n = static_cast<double>(customers.size());
  for (SegmentStats& stats : out.segments) {
    if (stats.customers == 0) continue;
    const double k = static_cast<double>(stats.customers);
    stats.share = stats.customers / n;
    stats.mean_days_since_last /= k;
    stats.mean_purchase_days /= k;
    stats.mean_total_spend /= k;
    stats.mean_r_score /= k;
    stats.mean_f_score /= k;
    stats.mean_m_score /= k;
    stats.mean_p_alive /= k;
    stats.revenue_share = total_revenue != 0.0 ? stats.revenue / total_revenue : 0.0;
  }
  return out;
}

}  // namespace clvkit
