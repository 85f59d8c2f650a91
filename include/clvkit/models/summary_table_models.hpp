#pragma once
// Models fitted on, and predictions for, a summary table (summary_table.hpp) instead of a log:
// its rows are already (x, t_x, T[, m]) in the model's time unit, possibly one row per pattern
// with a count.

#include <cstdint>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/identification.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/summary/summary_table.hpp"

namespace clvkit {

/// The table's rows as purchase-model patterns: exactly equal (x, t_x, T) merged with their
/// counts summed, sorted by (x, t_x, T) (so the fit does not depend on the row order). Throws
/// ModelError naming the line of an invalid history.
std::vector<FrequencyRecencyPattern> summary_table_patterns(const SummaryTable& table);

/// Spend-model input of a table with a monetary column: the rows with x > 0 and m > 0, each
/// repeated `count` times. Rows with x > 0 and m = 0 are left out and counted in `excluded`.
/// Throws ModelError naming the line when such a row's count is not a whole number, or when the
/// table has no monetary column.
std::vector<SpendObservation> summary_table_spend_observations(const SummaryTable& table,
                                                               std::int64_t* excluded = nullptr);

/// Fits the chosen purchase model on the table's patterns and, when the table has a monetary
/// column, the spend model on its spend observations; without one, models.spend is left empty
/// (model null) and only purchase quantities can be predicted. Throws as fit_customer_models.
FittedModels fit_summary_table_models(const SummaryTable& table, TimeUnit unit,
                                      const FitOptions& options = {},
                                      const ModelChoice& choice = {});

/// One prediction per row used, in the table's order. With a spend model: predict_value (m = the
/// row's monetary value, or unknown without a monetary column). Without one (spend null): only
/// p_alive and expected_purchases are set, the value fields stay 0. Throws as predict_value,
/// naming the line of the row.
std::vector<CustomerPrediction> predict_summary_table(const SummaryTable& table, TimeUnit unit,
                                                      const PurchaseModel& purchase,
                                                      const SpendModel* spend,
                                                      const ValueOptions& options,
                                                      int threads = 1);

}  // namespace clvkit
