// clvkit validate: holdout validation. Fit BG/NBD + Gamma-Gamma on the calibration period, predict
// each customer's holdout purchases and spend, and compare with what happened: totals, errors per
// customer, by calibration frequency (FHL 2005's conditional expectations) and by segment, the
// repeat-purchase tracking series and the calibration fit check. A terminal summary or JSON.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include "clvkit/analysis.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/validation.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/output/validation_json.hpp"
#include "clvkit/summary/holdout.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "progress.hpp"
#include "text_table.hpp"

namespace clvkit::cli {
namespace {

struct ValidateOptions {
  SplitCliOptions split;
  SegmentationOptions segments;
  std::string model = std::string(purchase_model_families().front().key);
  std::string tracking_step = "week";
  std::string format = "table";
  std::string out = "-";
  bool quiet = false;
};

// Four significant digits: model parameters span many orders of magnitude.
std::string format_general(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

std::string format_percent(double value) {
  if (!std::isfinite(value)) return "n/a";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%+.1f%%", value);
  return buffer;
}

// 100 (predicted - actual) / actual, or NaN (shown as n/a) when actual is 0.
double error_pct(double predicted, double actual) {
  return actual != 0.0 ? 100.0 * (predicted - actual) / actual : std::nan("");
}

std::string comparison_text(const std::vector<ComparisonRow>& rows, const char* first_column) {
  std::vector<std::vector<std::string>> table{{first_column, "customers", "actual", "predicted",
                                               "error", "MAE", "actual spend", "predicted spend"}};
  for (const ComparisonRow& row : rows) {
    table.push_back({row.label, std::to_string(row.customers),
                     format_fixed(row.actual_purchases, 4),
                     format_fixed(row.predicted_purchases, 4),
                     format_percent(error_pct(row.predicted_purchases, row.actual_purchases)),
                     format_fixed(row.purchase_errors.mae, 3), format_fixed(row.actual_revenue, 2),
                     format_fixed(row.predicted_revenue, 2)});
  }
  return render_table(table);
}

// The calibration end's step, then about five evenly spaced steps through the holdout end.
std::vector<std::size_t> tracking_rows(const ValidationResult& result) {
  const std::size_t n = result.tracking.size();
  std::vector<std::size_t> rows;
  for (std::size_t i = 1; i <= 6; ++i) rows.push_back(std::max<std::size_t>(i * n / 6, 1) - 1);
  for (std::size_t k = 0; k < n; ++k) {
    if (result.tracking[k].day >= result.calibration_end) {
      rows.push_back(k);
      break;
    }
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

// "BG/NBD r 0.2426, alpha 4.414, a 0.7929, b 2.426": a model's label and parameters.
std::string parameters_text(std::string_view label, const std::vector<std::string>& names,
                            const std::vector<double>& values) {
  std::string out(label);
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? " " : ", ") + names[i] + " " + format_general(values[i]);
  }
  return out;
}

std::string result_text(const ValidationResult& result, const CalibrationHoldout& data,
                        const SegmentedBase& segmented, const ValidateOptions& options) {
  const char* unit = time_unit_key(result.models.time_unit);
  std::ostringstream out;
  out << "Holdout validation of " << data.calibration.source << "\n"
      << "calibration " << format_day(data.cohort_first_day) << " to "
      << format_day(result.calibration_end) << ": " << result.customers << " customers; holdout "
      << format_day(result.calibration_end + 1) << " to " << format_day(result.holdout_end) << " ("
      << (result.holdout_end - result.calibration_end) << " days";
  if (result.models.time_unit != TimeUnit::day) {
    out << " = " << format_fixed(result.holdout_length, 2) << " " << unit << "s";
  }
  out << ")\n";
  if (data.holdout_customers_new > 0) {
    out << data.holdout_customers_new << " customers first seen in the holdout ("
        << data.holdout_rows_new_customers << " rows) are not part of the validation\n";
  }
  const PurchaseModel& purchase = *result.models.purchase.model;
  const SpendModel& spend = *result.models.spend.model;
  out << parameters_text(purchase.label(), purchase.parameter_names(), purchase.parameters())
      << " (per " << unit << "); "
      << parameters_text(spend.label(), spend.parameter_names(), spend.parameters()) << "\n";
  for (const FitSummary* fit : {&result.models.purchase.summary, &result.models.spend.summary}) {
    if (const std::string warning = fit->warning(); !warning.empty()) {
      out << "warning: " << warning << "\n";
    }
  }
  out << "\n";

  out << "Holdout totals\n"
      << render_table({{"", "actual", "predicted", "error"},
                       {"repeat purchases", format_fixed(result.actual_purchases, 1),
                        format_fixed(result.predicted_purchases, 1),
                        format_percent(result.purchases_error_pct)},
                       {"revenue", format_fixed(result.actual_revenue, 2),
                        format_fixed(result.predicted_revenue, 2),
                        format_percent(result.revenue_error_pct)}})
      << "\nPer customer\n"
      << render_table({{"", "MAE", "RMSE", "correlation"},
                       {"repeat purchases", format_fixed(result.purchase_errors.mae, 4),
                        format_fixed(result.purchase_errors.rmse, 4),
                        format_fixed(result.purchase_errors.correlation, 4)},
                       {"revenue", format_fixed(result.revenue_errors.mae, 2),
                        format_fixed(result.revenue_errors.rmse, 2),
                        format_fixed(result.revenue_errors.correlation, 4)}});

  out << "\nConditional expectations: mean holdout repeat purchases per customer by calibration "
         "repeat purchases x (FHL 2005)\n"
      << comparison_text(result.by_frequency, "x");
  if (!result.by_segment.empty()) {
    out << "\nBy segment (" << segmented.scheme->name()
        << ", scored on the calibration period): means per customer\n"
        << comparison_text(result.by_segment, "segment");
  }

  out << "\nCalibration fit: customers by calibration repeat purchases\n";
  std::vector<std::vector<std::string>> fit{{"x", "actual", "expected", "error"}};
  for (const FrequencyCount& count : result.calibration_fit) {
    fit.push_back({count.label, format_fixed(count.actual, 0), format_fixed(count.expected, 1),
                   format_percent(error_pct(count.expected, count.actual))});
  }
  out << render_table(fit);

  out << "\nTracking: cumulative repeat purchases of the calibration customers ("
      << options.tracking_step << " k ends on day " << format_day(data.cohort_first_day) << " + k "
      << options.tracking_step << "s - 1)\n";
  std::vector<std::vector<std::string>> tracking{
      {options.tracking_step, "last day", "actual", "predicted", "error"}};
  for (const std::size_t k : tracking_rows(result)) {
    const TrackingPoint& p = result.tracking[k];
    std::string label = std::to_string(k + 1);
    if (p.day == result.calibration_end) label += " (calibration end)";
    tracking.push_back({label, format_day(p.day), format_fixed(p.actual_cumulative, 0),
                        format_fixed(p.predicted_cumulative, 1),
                        format_percent(error_pct(p.predicted_cumulative, p.actual_cumulative))});
  }
  out << render_table(tracking);
  return out.str();
}

void run_validate(const ValidateOptions& options) {
  check_document_format(options.format);
  double step_days = 0.0;
  if (options.tracking_step == "week") {
    step_days = 7.0;
  } else if (options.tracking_step == "day") {
    step_days = 1.0;
  } else {
    throw UsageError("--tracking-step: expected week or day, got '" + options.tracking_step + "'");
  }
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit validate");
  HoldoutOptions holdout = options.split.to_holdout_options(progress);
  holdout.validation.models.purchase = purchase_model_family(options.model).key;
  holdout.validation.tracking_step_days = step_days;
  holdout.segmentation = options.segments;
  holdout.stage_done = [&](std::string_view, std::size_t customers) {
    progress.stage("fitting " + format_count(static_cast<double>(customers)) +
                   " customers on the calibration period and predicting the holdout");
  };
  const HoldoutAnalysis result = validate_input(options.split.input, holdout);
  progress.finish();  // before the summary, which may go to the terminal
  const std::string text =
      options.format == "json"
          ? validation_json(result, options.tracking_step, step_days).dump(2) + "\n"
          : result_text(result.result, result.data, result.calibration, options);
  write_file_atomically(options.out, text);
}

}  // namespace

void setup_validate(CLI::App& app) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* command = app.add_subcommand(
      "validate",
      "Holdout validation: fit on the calibration period, predict the holdout, and "
      "compare with what happened (totals, per customer, by calibration frequency and "
      "segment, tracking series, calibration fit)");
  add_split_options(*command, options->split);
  command
      ->add_option("--tracking-step", options->tracking_step,
                   "Period of the tracking series: week or day")
      ->capture_default_str()
      ->group("Validation");
  add_segment_options(*command, options->segments);
  add_model_option(*command, options->model);
  add_document_output_options(*command, options->format, options->out);
  add_quiet_flag(*command, options->quiet);
  add_threads_option(*command, options->split.threads,
                     "reading the log, the fits and the predictions", "Model");
  command->callback([options] { run_validate(*options); });
}

}  // namespace clvkit::cli
