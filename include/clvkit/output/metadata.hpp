#pragma once
// JSON metadata blocks shared by every output: where the rows went, and what was fitted.
// nlohmann::ordered_json keeps keys in insertion order so the bytes are reproducible.

#include <nlohmann/json.hpp>
#include <string>

#include "clvkit/analysis.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// {"tool": "clvkit", "version", "command", "schema_version"}: the first keys of every metadata
/// block.
nlohmann::ordered_json tool_metadata(const std::string& command);

/// {"scheme", "source", "method", "bins", "monetary", "counts": {segment: n}}.
nlohmann::ordered_json segmentation_metadata(const SegmentedBase& segmented);

/// {"informative", "share_p_alive_at_least_0_99", "median_observation",
/// "median_time_between_purchases", "reasons": [...]}: whether P(alive) tells anything.
nlohmann::ordered_json dropout_metadata(const DropoutIdentification& check);

/// The metadata of an analysis's records: tool_metadata(command), "input", "segmentation", and
/// with models "models", "value" and "dropout"; with the next purchases "upgrade".
nlohmann::ordered_json analysis_metadata(const CustomerAnalysis& analysis,
                                         const std::string& command);

/// {"purchase", "spend", "max_purchases", "value_order", "edges", "held_edges": {recency_days,
/// purchase_days, monetary}, "not_reachable", "not_reachable_reason"}: how the next purchase
/// fields were computed (analysis.upgrade must be set).
nlohmann::ordered_json upgrade_metadata(const CustomerAnalysis& analysis);

/// {"source", "delimiter", "columns", "as_of", "first_day", "last_day", "rows": {read, used,
/// rejected: {reason: n}, rejected_total, after_as_of, returns_netted, zero_amount_rows},
/// "customers"}. Rows reconcile: read = used + rejected_total + after_as_of.
nlohmann::ordered_json ingest_metadata(const CustomerBase& base, const IngestOptions& options);

/// A fit summary: converged, termination, message, iterations, log_likelihood, aic, bic,
/// parameters {name: {value, standard_error, ci95: [lo, hi]}}, ... Only finite numbers.
nlohmann::ordered_json fit_metadata(const FitSummary& summary);

/// {"time_unit", <purchase model key>: fit, <spend model key>: fit +
/// frequency_spend_correlation + population_mean_spend}, e.g. "bgnbd" and "gamma_gamma".
nlohmann::ordered_json models_metadata(const FittedModels& models);

/// {"horizon_days", "margin", "discount": {...}} describing how CLV was computed.
nlohmann::ordered_json value_metadata(const ValueOptions& options);

}  // namespace clvkit
