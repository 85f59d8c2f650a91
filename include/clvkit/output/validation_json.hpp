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

}  // namespace clvkit
