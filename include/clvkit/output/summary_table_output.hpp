#pragma once
// Output for data given as a summary table (summary_table.hpp): what the metadata says of the
// table, and the per-row predictions of `clvkit predict --summary` (README, "Summary tables").

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/output/customer_records.hpp"
#include "clvkit/summary/summary_table.hpp"

namespace clvkit {

/// {"source", "kind": "summary_table", "columns": {role: header name}, "rows_read", "rows_used",
/// "rows_rejected": {reason: count}, "customers": sum of the counts}.
nlohmann::ordered_json summary_table_metadata(const SummaryTable& table);

/// Writes one record per row of `table` to `path` ("-" = stdout) in `format`, atomically:
/// customer_id (or, without an id column, the row's line in the table), frequency, recency, T,
/// monetary_value (with a monetary column), count (with a count column), p_alive,
/// expected_purchases and, when `with_value`, expected_avg_spend, clv, value_at_risk and
/// churn_priority. JSON wraps them as {"metadata": ..., "customers": [...]}; NDJSON and CSV get
/// `metadata` in "<path>.meta.json" (on stderr for "-"), as write_customer_records does. Throws
/// ModelError naming the row when a number is not finite.
void write_summary_table_predictions(const std::string& path, RecordFormat format,
                                     const SummaryTable& table,
                                     const std::vector<CustomerPrediction>& predictions,
                                     bool with_value, const nlohmann::ordered_json& metadata);

}  // namespace clvkit
