#pragma once
// The customer-base report: one self-contained HTML file an analyst opens in any browser. Inline
// SVG charts (charts.hpp) and tables, inline CSS, no <script>, nothing fetched from a network, and
// the same data gives the same bytes (no clock, no host name, fixed number formatting).
//
// Sections: key figures; segments (sizes and revenue shares, the R x F map with segment
// boundaries, the segment table); who is still active (P(alive) and expected purchases over a
// frequency x recency grid); model fit (the calibration fit histogram, and with a holdout the
// tracking plot, the conditional expectations and the holdout totals); value (CLV distribution,
// CLV and value at risk per segment, per-segment forecast with intervals); the retention call list
// (top customers by value at risk); with next purchases, who is one purchase from a better segment
// and whose next purchase is worth most; model parameters with standard errors and convergence; and
// how the report was made. Every chart sits in <figure data-figure="NAME"> with a caption saying
// how to read it; the names are listed by report_figure_names.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/analysis/migration.hpp"
#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/models/validation.hpp"
#include "clvkit/rfm/segments.hpp"
#include "clvkit/summary/ingest.hpp"
#include "clvkit/util/language.hpp"

namespace clvkit::report {

/// Where the data came from and how the report labels it. Every string is user text: it is
/// HTML-escaped wherever it appears.
struct ReportMetadata {
  std::string title = "Customer base report";  ///< empty: the language's "Customer base report"
  std::string source;                          ///< the log as named on the command line
  std::string version;                         ///< of the tool that made the report, e.g. "0.1.0"
  std::string currency;  ///< unit of amounts in labels, e.g. "USD"; empty: "currency units"
  Day as_of = 0;         ///< last observed day
  Day first_day = 0;     ///< first transaction day used
  Day last_day = 0;      ///< last transaction day used
  IngestStats rows;      ///< row accounting of the ingest
};

/// Everything the report shows. Per-customer data are views: the spans (and `scheme`) must stay
/// valid while render_html_report runs. customers, scores, segment and predictions are parallel
/// (customer i everywhere) and must have the same, non-zero length.
struct ReportData {
  ReportMetadata metadata;

  /// What the report is written in: headings, captions, column names, numbers, dates and the
  /// segments' names (their labels in this language, else their names; the section "How this
  /// report was made" then says which segments have no label). English by default.
  Language language = english();

  // RFM
  const SegmentScheme* scheme = nullptr;  ///< the scheme that assigned `segment`; required
  SegmentSummary summary;                 ///< summarize_segments(..., predictions)
  std::span<const CustomerSummary> customers;
  std::span<const RfmScore> scores;
  std::span<const int> segment;  ///< index into scheme->segments()

  // Models, fitted on the whole observation period
  FittedModels models;
  ValueOptions value;  ///< horizon, margin and discounting the predictions were made with
  std::span<const CustomerPrediction> predictions;

  /// Calibration fit check of `models` on `customers` (calibration_fit_check), or of the
  /// calibration-period models when `validation` is given (its calibration_fit is then used and
  /// this may be empty).
  std::vector<FrequencyCount> calibration_fit;

  /// Per-segment forecast over the value horizon (forecast_groups with group = segment index).
  std::optional<ForecastResult> forecast;
  int forecast_draws = 0;
  std::uint64_t forecast_seed = 0;

  /// Holdout validation (validate_models), when a calibration end was given.
  std::optional<ValidationResult> validation;

  /// Every registered purchase model validated on the same holdout (compare_models), when the
  /// report was made with a calibration end: with more than one model the fit section compares
  /// them (tracking chart and table) and says which compare_models recommends and why.
  std::vector<ModelComparison> model_comparison;
  std::size_t comparison_recommended = 0;  ///< index into model_comparison
  std::string comparison_ground;

  /// Whether P(alive) and value at risk are informative (check_dropout_identification); when
  /// they are not, the sections that show them say so first.
  std::optional<DropoutIdentification> dropout;

  /// Length of the retention call list (top customers by value at risk) and of the list of
  /// customers by upgrade value, >= 1.
  int top_customers = 25;

  /// Each customer's next purchase (next_purchases, one per customer), or empty. When given,
  /// the section "One purchase away" follows the call list: per segment, the customers one
  /// purchase from a better segment and from the top one with their upgrade value
  /// (`summary` must have them: summarize_segments with the paths), and the customers whose
  /// next purchase adds most CLV. The scheme must have a value order.
  std::span<const NextPurchase> upgrade;

  /// Segments over time (analyze_migration), when the report was made with snapshots: the
  /// section "How segments change" (sizes over time, the flows and the transition matrix
  /// between the last two snapshots, the most valuable customers who moved to a segment worth
  /// less). Must outlive render_html_report; its segments are the report's scheme's.
  const Migration* migration = nullptr;
};

/// What a report adds to an analysis, and how it is labelled.
struct ReportSettings {
  std::string title = "Customer base report";  ///< empty: the language's own title
  std::string language = "en";                 ///< a built-in language (available_languages)
  std::string currency;                        ///< see ReportMetadata::currency
  int top_customers = 25;
  int forecast_draws = 1000;  ///< per-segment forecast (forecast_segments)
  std::uint64_t forecast_seed = 1;
  std::function<void(std::int64_t)> forecast_progress;  ///< ForecastOptions::progress
};

/// Everything the report shows for an analysis with models: the segment summary, the
/// per-segment forecast (with the fits' parameter uncertainty), and the holdout validation when
/// `validation` is given (e.g. validate_holdout(...).result), else the calibration fit check of
/// the analysis's models (buckets 0..6 and 7+). The result points into `analysis`, which must
/// outlive it. Throws UsageError when the analysis has no models.
ReportData report_data(const CustomerAnalysis& analysis, const ReportSettings& settings,
                       std::optional<ValidationResult> validation = std::nullopt);

/// The same with the holdout of `comparison` (compare_models with holdout_options(analysis,
/// ...)): the validation is the line of the analysis's purchase model, and every model's line
/// is compared (ReportData::model_comparison). Throws ModelError when that model could not be
/// fitted on the calibration period, and what report_data throws.
ReportData report_data(const CustomerAnalysis& analysis, const ReportSettings& settings,
                       const ModelComparisonResult& comparison);

/// The names of the <figure data-figure="..."> elements the report holds for `data`, in page
/// order: "segment-sizes", "rf-heatmap", "p-alive-matrix", "expected-purchases-matrix",
/// "calibration-fit", then with validation "tracking-cumulative", "tracking-weekly",
/// "conditional-expectation", then "clv-distribution", "segment-value", and with a forecast
/// "forecast-revenue", "forecast-purchases"; with a migration of two snapshots or more,
/// "segment-sizes-over-time", "segment-flows" and "transition-matrix" follow "rf-heatmap". Each
/// holds exactly one <svg data-chart=...>.
std::vector<std::string> report_figure_names(const ReportData& data);

/// The report as one HTML5 document (UTF-8).
///
/// Model-based grids: P(alive | x, t_x, T) and E[X(horizon) | x, t_x, T] for x = 0..X (X from
/// the 99th percentile of the customers' frequency, 3..14) and t_x = k T / 10, k = 0..10, at T =
/// the median T of the customers (FHL 2005 eq. 10 and its P(alive)); histories that cannot occur
/// with one purchase per day (x = 0 with t_x > 0, or more repeat purchases than days up to t_x)
/// are grey. The R x F map colours each (R, F) cell by its customers and draws the segment that
/// most of them belong to (ties: the segment listed first; an empty cell: the segment most of
/// its M scores map to), since segments also depend on M.
///
/// Throws UsageError when `scheme` is null, the per-customer spans are empty or differ in length,
/// a segment index is out of range, top_customers < 1, or a number to be shown is not finite.
std::string render_html_report(const ReportData& data);

}  // namespace clvkit::report
