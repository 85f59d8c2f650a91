#pragma once
// Holdout validation of a purchase model with a spend model: fit on the calibration period, predict
// the holdout, compare with what happened. The tables of FHL 2005 (conditional expectations by
// calibration frequency, tracking plot, calibration fit histogram) plus error measures.

#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/summary/holdout.hpp"

namespace clvkit {

struct ValidationOptions {
  TimeUnit time_unit = TimeUnit::week;
  FitOptions fit;      ///< fit.threads also runs the predictions (the results do not depend on it)
  ModelChoice models;  ///< which purchase and spend models to fit
  int max_frequency_bucket = 7;     ///< buckets 0, 1, ..., max-1 and "max+"
  double tracking_step_days = 7.0;  ///< the tracking series' period (a week by default)
};

/// Error measures of per-customer predictions against actuals.
struct ErrorStats {
  double mae = 0.0;
  double rmse = 0.0;
  double correlation = 0.0;  ///< Pearson; 0 when either side is constant
};

/// One row of a comparison table (frequency bucket or segment).
struct ComparisonRow {
  std::string label;  ///< "0", "1", ..., "7+" or a segment name
  std::int64_t customers = 0;
  double actual_purchases = 0.0;     ///< mean per customer of holdout repeat purchases
  double predicted_purchases = 0.0;  ///< mean per customer of E[X(holdout) | x, t_x, T]
  double actual_revenue = 0.0;       ///< mean per customer
  double predicted_revenue = 0.0;    ///< mean per customer of E[X] E[M]
  ErrorStats purchase_errors;
};

/// One point of the tracking series, at the end of a step.
struct TrackingPoint {
  double time = 0.0;  ///< model units since the cohort's first purchase day
  Day day = 0;        ///< the last day included
  double actual_cumulative = 0.0;
  /// Sum over customers of E[X(t - s_i)] (new-customer formula; see repeat_purchase_tracking).
  double predicted_cumulative = 0.0;
  double actual_incremental = 0.0;
  double predicted_incremental = 0.0;
};

/// Calibration fit check: customers with k repeat purchases, actual vs the model's expectation
/// sum_i P(X(T_i) = k) (the last bucket is "k or more").
struct FrequencyCount {
  std::string label;
  double actual = 0.0;
  double expected = 0.0;
};

struct ValidationResult {
  FittedModels models;
  Day calibration_end = 0;
  Day holdout_end = 0;
  double holdout_length = 0.0;  ///< model units
  std::int64_t customers = 0;
  double actual_purchases = 0.0;
  double predicted_purchases = 0.0;
  double purchases_error_pct = 0.0;  ///< 100 (predicted - actual) / actual; NaN when actual = 0
  double actual_revenue = 0.0;
  double predicted_revenue = 0.0;
  double revenue_error_pct = 0.0;  ///< the same for revenue
  ErrorStats purchase_errors;      ///< per customer
  ErrorStats revenue_errors;       ///< per customer
  std::vector<ComparisonRow> by_frequency;
  std::vector<ComparisonRow> by_segment;
  std::vector<TrackingPoint> tracking;
  std::vector<FrequencyCount> calibration_fit;
};

/// Fits on the calibration part of `data` and compares with its holdout. `segment[i]` indexes
/// `segment_names` for calibration customer i (may both be empty: no per-segment rows).
/// Throws ModelError when the models cannot be fitted.
///
/// Per calibration customer i, with x, t_x, T from the calibration summary in model units and
/// h = (holdout_end - calibration_end) / unit days:
///  - predicted purchases: E[X(h) | x, t_x, T] (FHL 2005 eq. 10); actual: the customer's holdout
///    purchase_days;
///  - predicted revenue: E[X(h) | x, t_x, T] E[M | x, m] (Gamma-Gamma; the population mean when
///    x = 0 or m <= 0), margin 1, no discounting; actual: the holdout's net spend.
/// Totals sum over customers; the percentage errors are 100 (predicted - actual) / actual (NaN
/// when actual is 0). by_frequency buckets calibration x as 0, 1, ..., max-1, "max+" (FHL 2005,
/// section 4's conditional expectations; every bucket is listed, empty ones with zeros);
/// by_segment follows segment_names. Tracking and calibration fit: see
/// repeat_purchase_tracking and calibration_fit_check.
ValidationResult validate_models(const CalibrationHoldout& data, const std::vector<int>& segment,
                                 const std::vector<std::string>& segment_names,
                                 const ValidationOptions& options);

/// validate_models at given models instead of fitted ones (options.fit and options.time_unit
/// are not used: models.time_unit is). Throws ModelError when segment and the customers differ
/// in number or a segment index is outside segment_names, UsageError for invalid options
/// (see repeat_purchase_tracking, calibration_fit_check), ModelError when a prediction is not
/// finite.
ValidationResult validate_fitted_models(const CalibrationHoldout& data, const FittedModels& models,
                                        const std::vector<int>& segment,
                                        const std::vector<std::string>& segment_names,
                                        const ValidationOptions& options);

/// Cumulative repeat purchases of the calibration cohort, actual vs the model, at the end of every
/// step of `step_days` (a whole number of days >= 1) from data.cohort_first_day through
/// data.holdout_end (the last step is cut short at holdout_end when the span is not a whole
/// number of steps).
///
/// Convention (that of lifetimes' expected_cumulative_transactions and of FHL 2005's tracking
/// plot; it reproduces the published CDNOW weekly series): a purchase happens at the start of
/// its day and step k ends at the end of day D_k = cohort_first_day + k step_days - 1, so
///  - actual_cumulative(k) = repeat purchase days of calibration customers on days <= D_k;
///  - predicted_cumulative(k) = sum over customers with s_i <= D_k of
///    E[X(t)] at t = (D_k + 1 - s_i) / unit days (FHL 2005 eq. 7; s_i the first purchase day);
///  - time = (D_k + 1 - cohort_first_day) / unit days, day = D_k.
/// Incremental values are the differences between successive points (the first point's are its
/// cumulative values). Throws UsageError when step_days is not a whole number >= 1, ModelError
/// for invalid parameters.
std::vector<TrackingPoint> repeat_purchase_tracking(const CalibrationHoldout& data,
                                                    const PurchaseModel& model, TimeUnit unit,
                                                    double step_days);

/// Calibration fit check (FHL 2005, section 4): customers with k = 0, 1, ..., max-1 and "max+"
/// repeat purchases in calibration, actual vs expected sum_i P(X(T_i) = k) (eq. 8, T_i in
/// `unit`); the last bucket's expectation is sum_i (1 - sum_{k<max} P(X(T_i) = k)). Throws
/// UsageError when max_bucket < 1, ModelError for invalid parameters.
std::vector<FrequencyCount> calibration_fit_check(const std::vector<CustomerSummary>& customers,
                                                  const PurchaseModel& model, TimeUnit unit,
                                                  int max_bucket);

}  // namespace clvkit
