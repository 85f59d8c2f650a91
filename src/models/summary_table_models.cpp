#include "clvkit/models/summary_table_models.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>

#include "clvkit/error.hpp"

namespace clvkit {
namespace {

std::string line_of(const SummaryTable& table, std::size_t row) {
  return table.source + ":" + std::to_string(table.lines[row]);
}

}  // namespace

std::vector<FrequencyRecencyPattern> summary_table_patterns(const SummaryTable& table) {
  const std::size_t n = table.x.size();
  for (std::size_t i = 0; i < n; ++i) {
    try {
      check_purchase_history("row", i, table.x[i], table.t_x[i], table.T[i]);
    } catch (const ModelError& e) {
      throw ModelError(line_of(table, i) + ": " + e.what());
    }
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto key = [&table](std::size_t i) {
    return std::array<double, 3>{table.x[i], table.t_x[i], table.T[i]};
  };
  std::stable_sort(order.begin(), order.end(),
                   [&key](std::size_t a, std::size_t b) { return key(a) < key(b); });
  std::vector<FrequencyRecencyPattern> patterns;
  for (const std::size_t i : order) {
    if (!patterns.empty() && patterns.back().x == table.x[i] && patterns.back().t_x == table.t_x[i] &&
        patterns.back().T == table.T[i]) {
      patterns.back().count += table.count[i];
    } else {
      patterns.push_back({table.x[i], table.t_x[i], table.T[i], table.count[i]});
    }
  }
  return patterns;
}

std::vector<SpendObservation> summary_table_spend_observations(const SummaryTable& table,
                                                               std::int64_t* excluded) {
  if (!table.has_monetary()) {
    throw ModelError(table.source + ": no monetary column, so no spend model can be fitted");
  }
  std::vector<SpendObservation> data;
  std::int64_t left_out = 0;
  for (std::size_t i = 0; i < table.x.size(); ++i) {
    if (table.x[i] == 0.0) continue;
    const double count = table.count[i];
    if (count != std::floor(count) || count > 1e9) {
      throw ModelError(line_of(table, i) + ": count " + std::to_string(count) +
                       " is not a whole number, which a spend fit needs (each counted customer is "
                       "one spend observation)");
    }
    if (!(table.monetary[i] > 0.0)) {
      left_out += static_cast<std::int64_t>(count);
      continue;
    }
    data.insert(data.end(), static_cast<std::size_t>(count), {table.x[i], table.monetary[i]});
  }
  if (excluded != nullptr) *excluded = left_out;
  return data;
}

FittedModels fit_summary_table_models(const SummaryTable& table, TimeUnit unit,
                                      const FitOptions& options, const ModelChoice& choice) {
  const PurchaseModelFamily& purchase = purchase_model_family(choice.purchase);
  FittedModels models;
  models.time_unit = unit;
  models.purchase = purchase.fit(summary_table_patterns(table), options);
  if (table.has_monetary()) {
    models.spend =
        spend_model_family(choice.spend).fit(summary_table_spend_observations(table), options);
  }
  return models;
}

std::vector<CustomerPrediction> predict_summary_table(const SummaryTable& table, TimeUnit unit,
                                                      const PurchaseModel& purchase,
                                                      const SpendModel* spend,
                                                      const ValueOptions& options, int threads) {
  const std::size_t n = table.x.size();
  if (spend != nullptr) {
    std::vector<ModelInput> inputs(n);
    for (std::size_t i = 0; i < n; ++i) {
      inputs[i] = {table.x[i], table.t_x[i], table.T[i],
                   table.has_monetary() ? table.monetary[i] : 0.0};
    }
    try {
      return predict_value(inputs, unit_days(unit), purchase, *spend, options, threads);
    } catch (const ModelError& e) {
      // "customer N" is the N-th row used.
      throw ModelError(table.source + ": " + e.what());
    }
  }
  // Purchase quantities only, as predict_value computes them: P(alive) of all rows at once
  // (PurchaseModel::p_alive_of), times E[X | alive] over the horizon or, with
  // options.lifetime, DERT.
  const double days = unit_days(unit);
  const double delta = options.lifetime ? continuous_discount_rate(options, days) : 0.0;
  const double horizon = options.horizon_days / days;
  if (!options.lifetime && !(horizon > 0.0 && std::isfinite(horizon))) {
    throw UsageError("horizon must be positive and finite");
  }
  std::vector<PurchaseHistory> histories(n);
  for (std::size_t i = 0; i < n; ++i) histories[i] = {table.x[i], table.t_x[i], table.T[i]};
  const std::vector<double> alive = purchase.p_alive_of(histories, threads);
  std::vector<CustomerPrediction> predictions(n);
  for (std::size_t i = 0; i < n; ++i) {
    const PurchaseHistory& h = histories[i];
    const double if_alive =
        options.lifetime ? purchase.discounted_expected_purchases_if_alive(h.x, h.T, delta)
                         : purchase.expected_purchases_if_alive(h.x, h.T, horizon);
    predictions[i].p_alive = alive[i];
    predictions[i].expected_purchases = alive[i] * if_alive;
    if (!std::isfinite(predictions[i].p_alive) || !std::isfinite(predictions[i].expected_purchases)) {
      throw ModelError(line_of(table, i) + ": non-finite prediction");
    }
  }
  return predictions;
}

}  // namespace clvkit
