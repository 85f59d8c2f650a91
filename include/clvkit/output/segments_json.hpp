#pragma once
// The JSON document of `clvkit segments --format json`: per-segment statistics (with model
// aggregates and forecast intervals when present) and the score cross tables. Field order is
// fixed; only finite numbers are written.

#include <nlohmann/json.hpp>

#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/models/forecast.hpp"

namespace clvkit {

/// {"metadata": metadata, "top_segment" (with upgrade counts), "segments": [...],
/// "forecast_total" (with a forecast), "cross_tables": {"r_by_f", "f_by_m", "r_by_m"}}. `forecast`
/// is null or has one group per segment. Throws ModelError naming the figure when a number is not
/// finite.
nlohmann::ordered_json segments_json(const nlohmann::ordered_json& metadata,
                                     const SegmentSummary& summary, const ForecastResult* forecast);

}  // namespace clvkit
