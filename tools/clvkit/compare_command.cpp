// clvkit compare: every registered purchase model fitted on the calibration period and compared
// on the holdout, side by side, with the one to use and why. A terminal table or JSON.

#include <cstdio>
#include <memory>
#include <sstream>

#include "clvkit/analysis.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/output/validation_json.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "progress.hpp"
#include "text_table.hpp"

namespace clvkit::cli {
namespace {

struct CompareOptions {
  InputOptions input;
  std::string calibration_end;
  std::string holdout_end;  // empty: the last transaction day
  std::string time_unit = "week";
  std::string format = "table";
  std::string out = "-";
  int threads = 0;  ///< 0 = one per hardware thread
  bool quiet = false;
};

std::string percent(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%+.1f%%", value);
  return buffer;
}

// The models side by side: fit, holdout totals, per-customer errors, customers likely lost.
std::string models_table(const ModelComparisonResult& comparison) {
  std::vector<std::vector<std::string>> rows{{"model", "LL", "AIC", "BIC", "holdout actual",
                                              "predicted", "error", "MAE", "RMSE", "likely lost"}};
  for (std::size_t i = 0; i < comparison.models.size(); ++i) {
    const ModelComparison& m = comparison.models[i];
    std::string name = m.label + (i == comparison.recommended ? " *" : "");
    if (!m.fitted) {
      rows.push_back({name, "not fitted: " + m.error, "", "", "", "", "", "", "", ""});
      continue;
    }
    const FitSummary& fit = m.result.models.purchase.summary;
    rows.push_back({name, format_fixed(fit.log_likelihood, 2), format_fixed(fit.aic, 2),
                    format_fixed(fit.bic, 2), format_fixed(m.result.actual_purchases, 0),
                    format_fixed(m.result.predicted_purchases, 1),
                    percent(m.result.purchases_error_pct),
                    format_fixed(m.result.purchase_errors.mae, 4),
                    format_fixed(m.result.purchase_errors.rmse, 4), std::to_string(m.likely_lost)});
  }
  return render_table(rows);
}

// Mean holdout purchases per customer by calibration repeat purchases: actual, then each model.
std::string conditional_table(const ModelComparisonResult& comparison) {
  const ModelComparison* first = nullptr;
  std::vector<std::string> header{"x", "customers", "actual"};
  for (const ModelComparison& m : comparison.models) {
    if (!m.fitted) continue;
    if (first == nullptr) first = &m;
    header.push_back(m.label);
  }
  std::vector<std::vector<std::string>> rows{header};
  for (std::size_t k = 0; k < first->result.by_frequency.size(); ++k) {
    const ComparisonRow& row = first->result.by_frequency[k];
    std::vector<std::string> line{row.label, std::to_string(row.customers),
                                  format_fixed(row.actual_purchases, 4)};
    for (const ModelComparison& m : comparison.models) {
      if (m.fitted) line.push_back(format_fixed(m.result.by_frequency[k].predicted_purchases, 4));
    }
    rows.push_back(line);
  }
  return render_table(rows);
}

std::string comparison_text(const ModelComparisonResult& comparison) {
  const ModelComparison& best = comparison.models[comparison.recommended];
  const ValidationResult& r = best.result;
  std::ostringstream out;
  out << "Model comparison on " << comparison.split.data.calibration.source << ": calibration "
      << format_day(comparison.split.data.cohort_first_day) << " to "
      << format_day(r.calibration_end) << " (" << r.customers << " customers), holdout "
      << format_day(r.calibration_end + 1) << " to " << format_day(r.holdout_end) << "\n\n"
      << models_table(comparison)
      << "\nholdout: repeat purchases (distinct purchase days); MAE and RMSE per customer; "
         "likely lost: P(alive) < 0.5 at the calibration end\n"
      << "\nConditional expectations: mean holdout repeat purchases by calibration repeat "
         "purchases x\n"
      << conditional_table(comparison) << "\nRecommended: " << best.label << " (" << best.key
      << "). " << comparison.ground << "\n";
  return out.str();
}

void run_compare(const CompareOptions& options) {
  if (options.format != "table" && options.format != "json") {
    throw UsageError("--format: expected table or json, got '" + options.format + "'");
  }
  HoldoutOptions holdout;
  holdout.validation.time_unit = parse_time_unit(options.time_unit);
  holdout.calibration_end = parse_iso_date_or_throw(options.calibration_end, "--calibration-end");
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit compare");
  InputOptions input = options.input;
  report_reading(input, progress);
  holdout.input = input.to_ingest_options();
  if (!options.holdout_end.empty()) {
    holdout.input.as_of = parse_iso_date_or_throw(options.holdout_end, "--holdout-end");
  }
  holdout.threads = resolve_threads(options.threads);
  holdout.stage_done = [&](std::string_view, std::size_t customers) {
    progress.stage("fitting every model on " + format_count(static_cast<double>(customers)) +
                   " customers");
  };
  const ModelComparisonResult comparison = compare_models(options.input.path, holdout);
  progress.finish();
  const std::string text = options.format == "json" ? comparison_json(comparison).dump(2) + "\n"
                                                    : comparison_text(comparison);
  write_file_atomically(options.out, text);
}

}  // namespace

void setup_compare(CLI::App& app) {
  auto options = std::make_shared<CompareOptions>();
  CLI::App* command = app.add_subcommand(
      "compare",
      "Fit every purchase model on the calibration period, compare them on the holdout side "
      "by side (likelihood, AIC, BIC, holdout error, per-customer errors, conditional "
      "expectations, customers likely lost) and recommend one");
  add_input_options(*command, options->input);
  command->remove_option(command->get_option("--as-of"));
  command
      ->add_option("--calibration-end", options->calibration_end,
                   "Last day of the calibration period, inclusive (YYYY-MM-DD)")
      ->required()
      ->group("Validation");
  command
      ->add_option("--holdout-end,--as-of", options->holdout_end,
                   "Last day of the holdout period, inclusive (default: the last transaction day)")
      ->group("Validation");
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
  add_threads_option(*command, options->threads, "reading the log and the fits", "Model");
  command->callback([options] { run_compare(*options); });
}

}  // namespace clvkit::cli
