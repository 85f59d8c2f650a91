#pragma once
// The JSON document of `clvkit validate --format json`: the holdout comparison (totals, errors
// per customer, by calibration frequency and by segment), the tracking series and the
// calibration fit, with their metadata. Field order is fixed; only finite numbers are written.

#include <nlohmann/json.hpp>
#include <string>

#include "clvkit/analysis.hpp"

namespace clvkit {

/// The whole document; `tracking_step` names the tracking series' step ("week" or "day", of
/// validation.tracking_step_days days). Throws ModelError naming the figure when a number is not
/// finite.
nlohmann::ordered_json validation_json(const HoldoutAnalysis& holdout,
                                       const std::string& tracking_step, double step_days);

/// tool_metadata(command) and where the split came from: calibration and holdout ends, lengths,
/// time unit, input (row accounting), customers, segmentation.
nlohmann::ordered_json holdout_metadata(const HoldoutAnalysis& split,
                                        const ValidationResult& result, const std::string& command);

/// Adds "totals", "per_customer", "by_frequency" and "by_segment" of `result` to `out`.
void add_holdout_comparison(const ValidationResult& result, nlohmann::ordered_json& out);

/// The JSON document of `clvkit compare --format json`: {"metadata", "recommended" (a model key),
/// "ground", "models": [{"model", "label", "fitted", then "error" or "fit" (fit_metadata),
/// "likely_lost" and the holdout comparison}]}.
nlohmann::ordered_json comparison_json(const ModelComparisonResult& comparison);

}  // namespace clvkit
