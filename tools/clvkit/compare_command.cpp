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
  std::string language = "en";
};

// The models side by side: fit, holdout totals, per-customer errors, customers likely lost.
std::string models_table(const ModelComparisonResult& comparison, const Language& language) {
  const auto fixed = [&language](double value, int decimals) {
    return format_fixed(value, decimals, language);
  };
  std::vector<std::vector<std::string>> rows{
      {language.text("table.model"), "LL", "AIC", "BIC", language.text("table.holdout_actual"),
       language.text("table.predicted"), language.text("table.error"), "MAE", "RMSE",
       language.text("table.likely_lost")}};
  for (std::size_t i = 0; i < comparison.models.size(); ++i) {
    const ModelComparison& m = comparison.models[i];
    std::string name = m.label + (i == comparison.recommended ? " *" : "");
    if (!m.fitted) {
      rows.push_back({name, language.format("compare.not_fitted", {{"error", m.error}}), "", "", "",
                      "", "", "", "", ""});
      continue;
    }
    const FitSummary& fit = m.result.models.purchase.summary;
    rows.push_back({name, fixed(fit.log_likelihood, 2), fixed(fit.aic, 2), fixed(fit.bic, 2),
                    fixed(m.result.actual_purchases, 0), fixed(m.result.predicted_purchases, 1),
                    signed_percent(m.result.purchases_error_pct, language),
                    fixed(m.result.purchase_errors.mae, 4), fixed(m.result.purchase_errors.rmse, 4),
                    format_integer(m.likely_lost, language)});
  }
  return render_table(rows);
}

// Mean holdout purchases per customer by calibration repeat purchases: actual, then each model.
std::string conditional_table(const ModelComparisonResult& comparison, const Language& language) {
  const ModelComparison* first = nullptr;
  std::vector<std::string> header{"x", language.text("table.customers"),
                                  language.text("table.actual")};
  for (const ModelComparison& m : comparison.models) {
    if (!m.fitted) continue;
    if (first == nullptr) first = &m;
    header.push_back(m.label);
  }
  std::vector<std::vector<std::string>> rows{header};
  for (std::size_t k = 0; k < first->result.by_frequency.size(); ++k) {
    const ComparisonRow& row = first->result.by_frequency[k];
    std::vector<std::string> line{row.label, format_integer(row.customers, language),
                                  format_fixed(row.actual_purchases, 4, language)};
    for (const ModelComparison& m : comparison.models) {
      if (m.fitted) {
        line.push_back(format_fixed(m.result.by_frequency[k].predicted_purchases, 4, language));
      }
    }
    rows.push_back(line);
  }
  return render_table(rows);
}

std::string comparison_text(const ModelComparisonResult& comparison, const Language& language) {
  const ModelComparison& best = comparison.models[comparison.recommended];
  const ValidationResult& r = best.result;
  std::ostringstream out;
  const std::string ground =
      language.code() == "en"
          ? comparison.ground
          : recommendation_ground(comparison.models, comparison.recommended, language);
  out << language.format("compare.heading",
                         {{"source", comparison.split.data.calibration.source},
                          {"first", language.date(comparison.split.data.cohort_first_day)},
                          {"calibration_end", language.date(r.calibration_end)},
                          {"customers", format_integer(r.customers, language)},
                          {"holdout_first", language.date(r.calibration_end + 1)},
                          {"holdout_end", language.date(r.holdout_end)}})
      << "\n\n"
      << models_table(comparison, language) << "\n"
      << language.text("compare.legend") << "\n\n"
      << language.text("compare.conditional") << "\n"
      << conditional_table(comparison, language) << "\n"
      << language.format("compare.recommended",
                         {{"model", best.label}, {"key", best.key}, {"ground", ground}})
      << "\n";
  return out.str();
}

void run_compare(const CompareOptions& options) {
  check_document_format(options.format);
  const Language language = Language::load(options.language);
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit compare");
  HoldoutOptions holdout = options.split.to_holdout_options(progress);
  holdout.stage_done = [&](std::string_view, std::size_t customers) {
    progress.stage("fitting every model on " + format_count(static_cast<double>(customers)) +
                   " customers");
  };
  const ModelComparisonResult comparison = compare_input(options.split.input, holdout);
  progress.finish();
  const std::string text = options.format == "json" ? comparison_json(comparison).dump(2) + "\n"
                                                    : comparison_text(comparison, language);
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
  add_language_option(*command, options->language);
  add_quiet_flag(*command, options->quiet);
  add_threads_option(*command, options->split.threads, "reading the log and the fits", "Model");
  command->callback([options] { run_compare(*options); });
}

}  // namespace clvkit::cli
