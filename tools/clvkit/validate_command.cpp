// clvkit validate: holdout validation. Fit BG/NBD + Gamma-Gamma on the calibration period, predict
// each customer's holdout purchases and spend, and compare with what happened: totals, errors per
// customer, by calibration frequency (FHL 2005's conditional expectations) and by segment, the
// repeat-purchase tracking series and the calibration fit check. A terminal summary or JSON.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/validation.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/summary/holdout.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "pipeline.hpp"
#include "progress.hpp"
#include "text_table.hpp"

namespace clvkit::cli {
namespace {

struct ValidateOptions {
  InputOptions input;
  SegmentOptions segments;
  std::string calibration_end;
  std::string holdout_end;  // empty: the last transaction day
  std::string time_unit = "week";
  std::string tracking_step = "week";
  std::string format = "table";
  std::string out = "-";
  int threads = 0;  ///< 0 = one per hardware thread
  bool quiet = false;
};

// Only finite numbers reach the JSON (nlohmann writes NaN as null without a word).
double finite_number(double value, const char* what) {
  if (!std::isfinite(value)) throw ModelError(std::string("non-finite ") + what + " in validation");
  return value;
}

nlohmann::ordered_json error_stats_json(const ErrorStats& errors, const char* what) {
  nlohmann::ordered_json out;
  out["mae"] = finite_number(errors.mae, what);
  out["rmse"] = finite_number(errors.rmse, what);
  out["correlation"] = finite_number(errors.correlation, what);
  return out;
}

// {actual, predicted, error_pct}; error_pct is left out when the actual total is 0.
nlohmann::ordered_json total_json(double actual, double predicted, double error_pct,
                                  const char* what) {
  nlohmann::ordered_json out;
  out["actual"] = finite_number(actual, what);
  out["predicted"] = finite_number(predicted, what);
  if (std::isfinite(error_pct)) out["error_pct"] = error_pct;
  return out;
}

nlohmann::ordered_json comparison_json(const std::vector<ComparisonRow>& rows, const char* key) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ComparisonRow& row : rows) {
    nlohmann::ordered_json item;
    item[key] = row.label;
    item["customers"] = row.customers;
    item["actual_purchases_mean"] = finite_number(row.actual_purchases, "mean purchases");
    item["predicted_purchases_mean"] = finite_number(row.predicted_purchases, "mean purchases");
    item["actual_revenue_mean"] = finite_number(row.actual_revenue, "mean revenue");
    item["predicted_revenue_mean"] = finite_number(row.predicted_revenue, "mean revenue");
    item["purchase_errors"] = error_stats_json(row.purchase_errors, "purchase errors");
    out.push_back(item);
  }
  return out;
}

nlohmann::ordered_json result_json(const ValidationResult& result, const CalibrationHoldout& data,
                                   const SegmentedBase& segmented, const IngestOptions& ingest,
                                   const ValidateOptions& options, double step_days) {
  nlohmann::ordered_json metadata = tool_metadata("validate");
  metadata["calibration_end"] = format_day(result.calibration_end);
  metadata["holdout_end"] = format_day(result.holdout_end);
  metadata["holdout_days"] = result.holdout_end - result.calibration_end;
  metadata["holdout_length"] = finite_number(result.holdout_length, "holdout length");
  metadata["time_unit"] = time_unit_key(result.models.time_unit);
  metadata["input"] = ingest_metadata(data.calibration, ingest);
  nlohmann::ordered_json customers;
  customers["calibration"] = result.customers;
  customers["first_seen_in_holdout"] = data.holdout_customers_new;
  customers["first_seen_in_holdout_rows"] = data.holdout_rows_new_customers;
  customers["cohort_first_day"] = format_day(data.cohort_first_day);
  metadata["customers"] = customers;
  metadata["segmentation"] = segmentation_metadata(segmented);
  metadata["models"] = models_metadata(result.models);
  metadata["definitions"] = {
      {"actual_purchases", "distinct purchase days in the holdout (repeat purchases)"},
      {"predicted_purchases", "BG/NBD E[X(holdout_length) | x, t_x, T] per customer"},
      {"actual_revenue", "net spend in the holdout"},
      {"predicted_revenue",
       "E[X(holdout_length) | x, t_x, T] * Gamma-Gamma E[M | x, m], margin 1, undiscounted"},
      {"error_pct", "100 * (predicted - actual) / actual"},
      {"tracking",
       "step k ends with day cohort_first_day + k * step_days - 1; predicted = sum "
       "over customers acquired by then of E[X(t)], t from the start of their first "
       "purchase day to the end of the step's last day"}};

  nlohmann::ordered_json out;
  out["metadata"] = metadata;
  nlohmann::ordered_json totals;
  totals["customers"] = result.customers;
  totals["purchases"] = total_json(result.actual_purchases, result.predicted_purchases,
                                   result.purchases_error_pct, "holdout purchases");
  totals["revenue"] = total_json(result.actual_revenue, result.predicted_revenue,
                                 result.revenue_error_pct, "holdout revenue");
  out["totals"] = totals;
  out["per_customer"] = {{"purchases", error_stats_json(result.purchase_errors, "purchase errors")},
                         {"revenue", error_stats_json(result.revenue_errors, "revenue errors")}};
  out["by_frequency"] = comparison_json(result.by_frequency, "calibration_repeat_purchases");
  out["by_segment"] = comparison_json(result.by_segment, "segment");

  nlohmann::ordered_json tracking;
  tracking["step"] = options.tracking_step;
  tracking["step_days"] = static_cast<int>(step_days);
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < result.tracking.size(); ++k) {
    const TrackingPoint& p = result.tracking[k];
    nlohmann::ordered_json point;
    point["step"] = k + 1;
    point["day"] = format_day(p.day);
    point["time"] = finite_number(p.time, "tracking time");
    point["actual_cumulative"] = finite_number(p.actual_cumulative, "tracking actual");
    point["predicted_cumulative"] = finite_number(p.predicted_cumulative, "tracking prediction");
    point["actual_incremental"] = finite_number(p.actual_incremental, "tracking actual");
    point["predicted_incremental"] = finite_number(p.predicted_incremental, "tracking prediction");
    points.push_back(point);
  }
  tracking["points"] = points;
  out["tracking"] = tracking;

  nlohmann::ordered_json fit = nlohmann::ordered_json::array();
  for (const FrequencyCount& count : result.calibration_fit) {
    nlohmann::ordered_json item;
    item["calibration_repeat_purchases"] = count.label;
    item["actual"] = finite_number(count.actual, "calibration fit count");
    item["expected"] = finite_number(count.expected, "calibration fit expectation");
    fit.push_back(item);
  }
  out["calibration_fit"] = fit;
  return out;
}

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
  if (options.format != "table" && options.format != "json") {
    throw UsageError("--format: expected table or json, got '" + options.format + "'");
  }
  double step_days = 0.0;
  if (options.tracking_step == "week") {
    step_days = 7.0;
  } else if (options.tracking_step == "day") {
    step_days = 1.0;
  } else {
    throw UsageError("--tracking-step: expected week or day, got '" + options.tracking_step + "'");
  }
  ValidationOptions validation;
  validation.time_unit = parse_time_unit(options.time_unit);
  validation.tracking_step_days = step_days;
  const Day calibration_end = parse_iso_date_or_throw(options.calibration_end, "--calibration-end");
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit validate");
  InputOptions input = options.input;
  report_reading(input, progress);
  IngestOptions ingest = input.to_ingest_options();
  ingest.threads = resolve_threads(options.threads);
  validation.fit.threads = ingest.threads;
  if (!options.holdout_end.empty()) {
    ingest.as_of = parse_iso_date_or_throw(options.holdout_end, "--holdout-end");
    if (*ingest.as_of <= calibration_end) {
      throw UsageError("--calibration-end " + options.calibration_end +
                       " must be before --holdout-end " + options.holdout_end);
    }
  }
  const SegmentPlan plan = plan_segments(options.segments);

  const CalibrationHoldout data =
      ingest_calibration_holdout(options.input.path, ingest, calibration_end);
  ingest.as_of = data.holdout_end;
  // The copy keeps `data` whole for the validation; the segments need their own base.
  const SegmentedBase segmented = segment_base(data.calibration, ingest, plan);
  std::vector<std::string> names;
  for (const Segment& segment : segmented.scheme->segments()) names.push_back(segment.name);
  progress.stage("fitting " + format_count(static_cast<double>(data.calibration.customers.size())) +
                 " customers on the calibration period and predicting the holdout");
  const ValidationResult result = validate_models(data, segmented.segment, names, validation);
  progress.finish();  // before the summary, which may go to the terminal

  const std::string text =
      options.format == "json"
          ? result_json(result, data, segmented, ingest, options, step_days).dump(2) + "\n"
          : result_text(result, data, segmented, options);
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
  add_input_options(*command, options->input);
  // The holdout end is this command's as-of day (the last day observed): one option, named for
  // what it means here, with --as-of kept as an alias so the spelling of the other commands works.
  command->remove_option(command->get_option("--as-of"));
  command
      ->add_option("--calibration-end", options->calibration_end,
                   "Last day of the calibration period, inclusive (YYYY-MM-DD)")
      ->required()
      ->group("Validation");
  command
      ->add_option("--holdout-end,--as-of", options->holdout_end,
                   "Last day of the holdout period, inclusive (YYYY-MM-DD); later rows are "
                   "excluded and counted (default: the last transaction day)")
      ->group("Validation");
  command
      ->add_option("--tracking-step", options->tracking_step,
                   "Period of the tracking series: week or day")
      ->capture_default_str()
      ->group("Validation");
  add_segment_options(*command, options->segments);
  command
      ->add_option("--time-unit", options->time_unit,
                   "Unit the model parameters are estimated in: day, week, month")
      ->capture_default_str()
      ->group("Model");
  command->add_option("--format", options->format, "table (for people) or json (for machines)")
      ->capture_default_str()
      ->group("Output");
  command->add_option("-o,--output", options->out, "Output file ('-' = stdout)")
      ->capture_default_str()
      ->group("Output");
  add_quiet_flag(*command, options->quiet);
  add_threads_option(*command, options->threads, "reading the log, the fits and the predictions",
                     "Model");
  command->callback([options] { run_validate(*options); });
}

}  // namespace clvkit::cli
