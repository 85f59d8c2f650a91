// clvkit fit: fit a purchase model and Gamma-Gamma on a log (or a summary table) and save them as
// a model file.

#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "clvkit/analysis.hpp"
#include "clvkit/analysis/model_fit.hpp"
#include "clvkit/error.hpp"
#include "clvkit/models/summary_table_models.hpp"
#include "clvkit/output/model_file.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/output/summary_table_output.hpp"
#include "clvkit/summary/database_ingest.hpp"
#include "commands.hpp"
#include "common_options.hpp"

namespace clvkit::cli {
namespace {

struct FitCommandOptions {
  InputOptions input;
  SummaryCliOptions summary;
  std::string model = std::string(purchase_model_families().front().key);
  std::string patterns_from;  ///< --patterns-from URL: fit on the patterns the database computes
  std::string time_unit;      ///< empty: week, or the period
  std::string out = "-";
  bool quiet = false;
  int threads = 0;  ///< 0 = one per hardware thread
};

void run_fit(const FitCommandOptions& options) {
  const TimeUnit unit = model_time_unit(options.time_unit, options.input.period);
  ModelChoice choice;
  choice.purchase = purchase_model_family(options.model).key;  // checked before reading
  FitOptions fit;
  fit.threads = resolve_threads(options.threads);
  InputOptions input = options.input;
  input.threads = fit.threads;
  FittedModels models;
  DropoutIdentification dropout;
  if (!options.patterns_from.empty()) {
    // The database computes the patterns of its customer base; one row per pattern travels.
    if (options.summary.summary) throw UsageError("--summary reads a file, not --patterns-from");
    input.path = options.patterns_from;
    const std::optional<DatabaseSource> source = input.database();
    if (!source) {
      throw UsageError("--patterns-from takes a database URL (postgresql://... or "
                       "clickhouse://...), not '" + options.patterns_from + "'");
    }
    if (!source->pushdown) {
      throw UsageError("--no-pushdown streams the rows: --patterns-from has the database compute "
                       "the patterns (fit the streamed rows with 'clvkit fit URL --no-pushdown')");
    }
    const IngestOptions ingest = input.to_ingest_options();
    check_model_fits_log(choice.purchase, ingest);
    const CustomerPatterns patterns = database_patterns(*source, ingest);
    models = fit_customer_models(patterns, unit, fit, choice);
    dropout = check_dropout_identification(
        models.purchase, frequency_recency_patterns(patterns.patterns, unit), unit);
    write_file_atomically(options.out,
                          model_file_json(models, patterns, dropout).dump(2) + "\n");
  } else if (options.summary.summary) {
    require_log_file(input, "--summary");
    const SummaryTable table =
        read_summary_table(input.path, options.summary.to_summary_table_options(input));
    models = fit_summary_table_models(table, unit, fit, choice);
    dropout = check_dropout_identification(models.purchase, summary_table_patterns(table), unit);
    write_file_atomically(options.out,
                          model_file_json(models, summary_table_metadata(table), dropout).dump(2) +
                              "\n");
  } else {
    IngestOptions ingest = input.to_ingest_options();
    check_model_fits_log(choice.purchase, ingest);
    const CustomerBase base = read_customer_base(input, &ingest);
    ModelOptions model;
    model.choice = choice;
    model.time_unit = unit;
    model.fit = fit;
    BaseModelFit fitted = fit_base_models(base, ingest, model, fit.threads);
    models = std::move(fitted.models);
    dropout = fitted.dropout;
    write_file_atomically(options.out,
                          model_file_json(models, base, ingest, dropout).dump(2) + "\n");
  }
  if (!options.quiet) {
    std::fputs(models.purchase.summary.brief_report().c_str(), stderr);
    if (models.spend.model) {
      std::fputs(models.spend.summary.brief_report().c_str(), stderr);
      std::fprintf(stderr, "  corr(frequency, spend) over repeat buyers: %.3f\n",
                   models.spend.frequency_spend_correlation);
    } else {
      std::fputs("  no spend model: the summary table has no monetary column\n", stderr);
    }
  }
  print_dropout_warning(dropout);
}

}  // namespace

void setup_fit(CLI::App& app) {
  auto options = std::make_shared<FitCommandOptions>();
  CLI::App* command = app.add_subcommand("fit",
                                         "Fit a purchase model (--model, BG/NBD by default) and "
                                         "Gamma-Gamma by maximum likelihood and save a model file");
  add_input_options(*command, options->input);
  // LOG, or the database of --patterns-from (its rows given as for a database LOG).
  CLI::Option* log = command->get_option("LOG");
  log->required(false);
  command
      ->add_option("--patterns-from", options->patterns_from,
                   "Fit on the distinct (x, t_x, T) patterns and (x, spend) pairs with their "
                   "counts, computed by the database at this URL (with --table or --query): one "
                   "row per pattern is transferred, and the model is the same as fitting its log")
      ->excludes(log)
      ->group("Database (LOG is a postgresql:// or clickhouse:// URL)");
  add_summary_table_options(*command, options->summary);
  add_model_option(*command, options->model);
  command
      ->add_option("--time-unit", options->time_unit,
                   "Unit the parameters are estimated in: day, week, month, quarter, year "
                   "(default: week, or the --period)")
      ->group("Model");
  command->add_option("-o,--output", options->out, "Model file, written atomically ('-' = stdout)")
      ->capture_default_str()
      ->group("Output");
  add_threads_option(*command, options->threads, "reading the log and the fits", "Model");
  command->add_flag("-q,--quiet", options->quiet, "Do not print the fit summary on stderr");
  command->callback([options] {
    if (options->input.path.empty() && options->patterns_from.empty()) {
      throw CLI::RequiredError("LOG (or --patterns-from URL)");
    }
    run_fit(*options);
  });
}

}  // namespace clvkit::cli
