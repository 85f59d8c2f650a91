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
  SplitCliOptions split;
  std::string format = "table";
  std::string out = "-";
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
  check_document_format(options.format);
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit compare");
  HoldoutOptions holdout = options.split.to_holdout_options(progress);
  holdout.stage_done = [&](std::string_view, std::size_t customers) {
    progress.stage("fitting every model on " + format_count(static_cast<double>(customers)) +
                   " customers");
  };
  const ModelComparisonResult comparison = compare_input(options.split.input, holdout);
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
  add_split_options(*command, options->split);
  add_document_output_options(*command, options->format, options->out);
  add_quiet_flag(*command, options->quiet);
  add_threads_option(*command, options->split.threads, "reading the log and the fits", "Model");
  command->callback([options] { run_compare(*options); });
}

}  // namespace clvkit::cli
