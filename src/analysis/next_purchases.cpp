#include <algorithm>
#include <string>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/error.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit {
namespace {

// Customers per task of the scoring pass: a constant, so the work's split does not depend on the
// thread count.
constexpr std::size_t kBlock = 1 << 14;
// Customers per predict_value_of call for upgrade_value: each call tabulates E[X | alive] once per
// distinct (x, T) of its customers, so calls of many customers share that work (a 10M-customer
// base has ~10k pairs, a 16k block of it ~3k), while the transient predictions stay below
// glibc's largest mmap threshold (32 MB), so that each chunk reuses the last one's pages instead
// of faulting in fresh zeroed ones.
constexpr std::size_t kValueChunk = 1 << 19;

// upgrade_value of every customer: the CLV of the history with the next purchase added (the
// model input of summary_after_purchases(c, 1, E[M]), converted as predict_customer_value
// converts a summary) minus today's.
void add_upgrade_values(const CustomerAnalysis& analysis, std::vector<NextPurchase>& paths) {
  const std::vector<CustomerSummary>& customers = analysis.customers();
  const std::vector<CustomerPrediction>& today = analysis.predictions;
  const double days = unit_days(analysis.models->time_unit);
  ValueOptions value = analysis.value;
  value.rank_churn = false;
  for (std::size_t begin = 0; begin < customers.size(); begin += kValueChunk) {
    const std::size_t count = std::min(kValueChunk, customers.size() - begin);
    const auto after = [&, begin](std::size_t j) {
      const CustomerSummary& c = customers[begin + j];
      const double T = (c.T + 1) / days;
      const double m =
          (c.monetary * static_cast<double>(c.frequency) + today[begin + j].expected_avg_spend) /
          static_cast<double>(c.frequency + 1);
      return ModelInput{static_cast<double>(c.frequency + 1), T, T, m};
    };
    std::vector<CustomerPrediction> predicted;
    try {
      predicted = predict_value_of(count, after, days, *analysis.models->purchase.model,
                                   *analysis.models->spend.model, value, analysis.threads,
                                   /*bought_at_end=*/true);
    } catch (const CustomerModelError& e) {
      throw ModelError("the value after one more purchase of customer '" +
                       customers[begin + e.index].id + "': " + e.what());
    }
    for (std::size_t j = 0; j < count; ++j) {
      paths[begin + j].upgrade_value = predicted[j].clv - today[begin + j].clv;
    }
  }
}

}  // namespace

UpgradePaths next_purchases(const CustomerAnalysis& analysis, const NextPurchaseOptions& options) {
  const SegmentedBase& segmented = analysis.segmented;
  segmented.scheme->check_value_order(kNextPurchaseFeature);
  return next_purchases(analysis,
                        held_scoring_spec(segmented.base.customers, segmented.scores,
                                          segmented.spec, segmented.scheme->bins()),
                        options);
}

UpgradePaths next_purchases(const CustomerAnalysis& analysis, const ScoringSpec& held,
                            const NextPurchaseOptions& options) {
  const SegmentedBase& segmented = analysis.segmented;
  const SegmentScheme& scheme = *segmented.scheme;
  const std::vector<CustomerSummary>& customers = segmented.base.customers;
  scheme.check_value_order(kNextPurchaseFeature);
  UpgradePaths out;
  out.options = options;
  out.held = held;
  const bool with_model = analysis.models && !analysis.predictions.empty();
  out.spend_basis = with_model ? "expected_avg_spend" : "avg_spend";
  const std::size_t n = customers.size();
  if (n == 0) return out;
  // Checked here so that each block's call cannot fail on the options.
  next_purchase(customers[0], segmented.segment[0], customers[0].avg_spend, scheme, out.held,
                options);
  out.customers.resize(n);
  parallel_for(analysis.threads, (n + kBlock - 1) / kBlock, [&](std::size_t block) {
    for (std::size_t i = block * kBlock; i < std::min(n, (block + 1) * kBlock); ++i) {
      const double spend =
          with_model ? analysis.predictions[i].expected_avg_spend : customers[i].avg_spend;
      out.customers[i] =
          next_purchase(customers[i], segmented.segment[i], spend, scheme, out.held, options);
    }
  });
  if (with_model) add_upgrade_values(analysis, out.customers);
  out.beyond_cap = std::count_if(out.customers.begin(), out.customers.end(),
                                 [](const NextPurchase& p) { return p.purchases_to_upgrade < 0; });
  return out;
}

}  // namespace clvkit
