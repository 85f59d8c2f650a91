#include <algorithm>
#include <string>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/error.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit {
namespace {

// Customers per task: a constant, so the work's split does not depend on the thread count;
// large enough that predict_value's per-call set-up is amortised, small enough that a block's
// model inputs (32 bytes a customer) stay in cache.
constexpr std::size_t kBlock = 1 << 14;

}  // namespace

UpgradePaths next_purchases(const CustomerAnalysis& analysis, const NextPurchaseOptions& options) {
  const SegmentedBase& segmented = analysis.segmented;
  const SegmentScheme& scheme = *segmented.scheme;
  const std::vector<CustomerSummary>& customers = segmented.base.customers;
  scheme.check_value_order("the next purchase's segment (purchases_to_upgrade)");
  UpgradePaths out;
  out.options = options;
  const bool with_model = analysis.models && !analysis.predictions.empty();
  out.spend_basis = with_model ? "expected_avg_spend" : "avg_spend";
  const std::size_t n = customers.size();
  if (n == 0) {
    out.held = segmented.spec;
    return out;
  }
  out.held = held_scoring_spec(customers, segmented.scores, segmented.spec, scheme.bins());
  // Checked here so that each block's call cannot fail on the options.
  next_purchase(customers[0], segmented.segment[0], customers[0].avg_spend, scheme, out.held,
                options);
  out.customers.resize(n);
  ValueOptions value = analysis.value;
  value.rank_churn = false;
  const double days = with_model ? unit_days(analysis.models->time_unit) : 1.0;
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  parallel_for(analysis.threads, blocks, [&](std::size_t block) {
    const std::size_t begin = block * kBlock;
    const std::size_t end = std::min(n, begin + kBlock);
    std::vector<ModelInput> after;
    if (with_model) after.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      const CustomerSummary& c = customers[i];
      const double spend = with_model ? analysis.predictions[i].expected_avg_spend : c.avg_spend;
      out.customers[i] = next_purchase(c, segmented.segment[i], spend, scheme, out.held, options);
      if (with_model) {
        // The model input of summary_after_purchases(c, 1, spend), converted as
        // predict_customer_value converts a summary.
        const std::int32_t T = c.T + 1;
        const double m = (c.monetary * static_cast<double>(c.frequency) + spend) /
                         static_cast<double>(c.frequency + 1);
        after.push_back(ModelInput{static_cast<double>(c.frequency + 1), T / days, T / days, m});
      }
    }
    if (!with_model) return;
    std::vector<CustomerPrediction> predicted;
    try {
      predicted = predict_value(after, days, *analysis.models->purchase.model,
                                *analysis.models->spend.model, value, 1);
    } catch (const ModelError& e) {
      throw ModelError("the value after one more purchase (customers from '" + customers[begin].id +
                       "'): " + e.what());
    }
    for (std::size_t i = begin; i < end; ++i) {
      out.customers[i].upgrade_value = predicted[i - begin].clv - analysis.predictions[i].clv;
    }
  });
  out.beyond_cap = std::count_if(out.customers.begin(), out.customers.end(),
                                 [](const NextPurchase& p) { return p.purchases_to_upgrade < 0; });
  return out;
}

}  // namespace clvkit
