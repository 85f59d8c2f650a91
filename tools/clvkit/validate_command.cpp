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
  std::string language = "en";
  bool quiet = false;
};

// Four significant digits: model parameters span many orders of magnitude.
std::string format_general(double value, const Language& language) {
  return format_significant(value, 4, language.numbers());
}

std::string format_percent(double value, const Language& language) {
  if (!std::isfinite(value)) return language.text("common.na");
  return signed_percent(value, language);
}

// 100 (predicted - actual) / actual, or NaN (shown as n/a) when actual is 0.
double error_pct(double predicted, double actual) {
  return actual != 0.0 ? 100.0 * (predicted - actual) / actual : std::nan("");
}

std::string comparison_text(const std::vector<ComparisonRow>& rows, const std::string& first_column,
                            const SegmentLabels* labels, const SegmentScheme* scheme,
                            const Language& language) {
  std::vector<std::vector<std::string>> table{{first_column}};
  for (const char* key : {"table.customers", "table.actual", "table.predicted", "table.error",
                          "MAE", "table.actual_spend", "table.predicted_spend"}) {
    table.front().push_back(std::string_view(key) == "MAE" ? "MAE" : language.text(key));
  }
  for (const ComparisonRow& row : rows) {
    std::string label = row.label;
    if (labels != nullptr) {
      for (std::size_t s = 0; s < scheme->segments().size(); ++s) {
        if (scheme->segments()[s].name == row.label) label = labels->names[s];
      }
    }
    table.push_back(
        {label, format_integer(row.customers, language),
         format_fixed(row.actual_purchases, 4, language),
         format_fixed(row.predicted_purchases, 4, language),
         format_percent(error_pct(row.predicted_purchases, row.actual_purchases), language),
         format_fixed(row.purchase_errors.mae, 3, language),
         format_fixed(row.actual_revenue, 2, language),
         format_fixed(row.predicted_revenue, 2, language)});
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
                            const std::vector<double>& values, const Language& language) {
  std::string out(label);
  // The list separator is not the decimal mark: "r 0,2426; alpha 4,414" where ',' is one.
  const char* separator = language.numbers().decimal == "," ? "; " : ", ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? " " : separator) + names[i] + " " + format_general(values[i], language);
  }
  return out;
}

std::string result_text(const ValidationResult& result, const CalibrationHoldout& data,
                        const SegmentedBase& segmented, const ValidateOptions& options,
                        const Language& language) {
  const auto& tr = [&language](std::string_view key) -> const std::string& {
    return language.text(key);
  };
  const char* unit = time_unit_key(result.models.time_unit);
  const std::string step_key = std::string("unit.singular.") + options.tracking_step;
  const std::string step_units = tr(std::string("unit.plural.") + options.tracking_step);
  std::string holdout_length = language.format(
      "validate.holdout_days",
      {{"days", format_integer(result.holdout_end - result.calibration_end, language)}});
  if (result.models.time_unit != TimeUnit::day) {
    holdout_length +=
        " = " + language.format(std::string("length.") + unit + "." +
                                    language.plural_form(result.holdout_length, 2),
                                {{"n", format_fixed(result.holdout_length, 2, language)}});
  }
  std::ostringstream out;
  out << language.format("validate.heading", {{"source", data.calibration.source}}) << "\n"
      << language.format("validate.periods",
                         {{"first", language.date(data.cohort_first_day)},
                          {"calibration_end", language.date(result.calibration_end)},
                          {"customers", format_integer(result.customers, language)},
                          {"holdout_first", language.date(result.calibration_end + 1)},
                          {"holdout_end", language.date(result.holdout_end)},
                          {"length", holdout_length}})
      << "\n";
  if (data.holdout_customers_new > 0) {
    out << language.format("validate.new_customers",
                           {{"customers", format_integer(data.holdout_customers_new, language)},
                            {"rows", format_integer(data.holdout_rows_new_customers, language)}})
        << "\n";
  }
  const PurchaseModel& purchase = *result.models.purchase.model;
  const SpendModel& spend = *result.models.spend.model;
  out << language.format("validate.parameters",
                         {{"purchase", parameters_text(purchase.label(), purchase.parameter_names(),
                                                       purchase.parameters(), language)},
                          {"unit", tr(std::string("unit.singular.") + unit)},
                          {"spend", parameters_text(spend.label(), spend.parameter_names(),
                                                    spend.parameters(), language)}})
      << "\n";
  for (const FitSummary* fit : {&result.models.purchase.summary, &result.models.spend.summary}) {
    if (const std::string warning = fit->warning(); !warning.empty()) {
      out << "warning: " << warning << "\n";
    }
  }
  out << "\n";

  const std::string& repeat = tr("table.repeat_purchases");
  const std::string& revenue = tr("table.revenue");
  out << tr("validate.totals") << "\n"
      << render_table({{"", tr("table.actual"), tr("table.predicted"), tr("table.error")},
                       {repeat, format_fixed(result.actual_purchases, 1, language),
                        format_fixed(result.predicted_purchases, 1, language),
                        format_percent(result.purchases_error_pct, language)},
                       {revenue, format_fixed(result.actual_revenue, 2, language),
                        format_fixed(result.predicted_revenue, 2, language),
                        format_percent(result.revenue_error_pct, language)}})
      << "\n"
      << tr("validate.per_customer") << "\n"
      << render_table({{"", "MAE", "RMSE", tr("table.correlation")},
                       {repeat, format_fixed(result.purchase_errors.mae, 4, language),
                        format_fixed(result.purchase_errors.rmse, 4, language),
                        format_fixed(result.purchase_errors.correlation, 4, language)},
                       {revenue, format_fixed(result.revenue_errors.mae, 2, language),
                        format_fixed(result.revenue_errors.rmse, 2, language),
                        format_fixed(result.revenue_errors.correlation, 4, language)}});

  out << "\n"
      << tr("validate.conditional") << "\n"
      << comparison_text(result.by_frequency, "x", nullptr, nullptr, language);
  if (!result.by_segment.empty()) {
    const SegmentLabels labels = shown_segments(*segmented.scheme, language);
    out << "\n"
        << language.format("validate.by_segment", {{"scheme", segmented.scheme->name()}}) << "\n"
        << comparison_text(result.by_segment, tr("table.segment"), &labels, &*segmented.scheme,
                           language);
  }

  out << "\n" << tr("validate.calibration_fit") << "\n";
  std::vector<std::vector<std::string>> fit{
      {"x", tr("table.actual"), tr("table.expected"), tr("table.error")}};
  for (const FrequencyCount& count : result.calibration_fit) {
    fit.push_back({count.label, format_fixed(count.actual, 0, language),
                   format_fixed(count.expected, 1, language),
                   format_percent(error_pct(count.expected, count.actual), language)});
  }
  out << render_table(fit);

  out << "\n"
      << language.format("validate.tracking", {{"step", tr(step_key)},
                                               {"first", language.date(data.cohort_first_day)},
                                               {"steps", step_units}})
      << "\n";
  std::vector<std::vector<std::string>> tracking{{tr(step_key), tr("table.last_day"),
                                                  tr("table.actual"), tr("table.predicted"),
                                                  tr("table.error")}};
  for (const std::size_t k : tracking_rows(result)) {
    const TrackingPoint& p = result.tracking[k];
    std::string label = std::to_string(k + 1);
    if (p.day == result.calibration_end) label += " " + tr("validate.calibration_end");
    tracking.push_back(
        {label, language.date(p.day), format_fixed(p.actual_cumulative, 0, language),
         format_fixed(p.predicted_cumulative, 1, language),
         format_percent(error_pct(p.predicted_cumulative, p.actual_cumulative), language)});
  }
  out << render_table(tracking);
  return out.str();
}

void run_validate(const ValidateOptions& options) {
  check_document_format(options.format);
  Language::load(options.language);  // an unknown language fails before the work
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
          : result_text(result.result, result.data, result.calibration, options,
                        Language::load(options.language));
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
  add_language_option(*command, options->language);
  add_quiet_flag(*command, options->quiet);
  add_threads_option(*command, options->split.threads,
                     "reading the log, the fits and the predictions", "Model");
  command->callback([options] { run_validate(*options); });
}

}  // namespace clvkit::cli
