// clvkit fit: fit BG/NBD and Gamma-Gamma on a log and save them as a model file.

#include <cstdio>
#include <memory>

#include "clvkit/io/output_file.hpp"
#include "clvkit/models/model_file.hpp"
#include "commands.hpp"
#include "common_options.hpp"

namespace clvkit::cli {
namespace {

struct FitCommandOptions {
  InputOptions input;
  std::string time_unit = "week";
  std::string out = "-";
  bool quiet = false;
  int threads = 0;  ///< 0 = one per hardware thread
};

void print_fit(const FitSummary& fit) {
  std::fprintf(stderr, "%s: %s after %d iterations, log-likelihood %.4f, AIC %.2f\n",
               fit.model.c_str(), fit.converged ? "converged" : "NOT converged", fit.iterations,
               fit.log_likelihood, fit.aic);
  for (const ParameterEstimate& p : fit.parameters) {
    if (fit.standard_errors_available) {
      std::fprintf(stderr, "  %-6s %12.6g  (SE %.4g, 95%% CI %.4g .. %.4g)\n", p.name.c_str(),
                   p.value, p.standard_error, p.ci_low, p.ci_high);
    } else {
      std::fprintf(stderr, "  %-6s %12.6g\n", p.name.c_str(), p.value);
    }
  }
  if (!fit.standard_errors_available) {
    std::fprintf(stderr, "  no standard errors: %s\n", fit.standard_errors_message.c_str());
  }
}

void run_fit(const FitCommandOptions& options) {
  const TimeUnit unit = parse_time_unit(options.time_unit);
  FitOptions fit;
  fit.threads = resolve_threads(options.threads);
  InputOptions input = options.input;
  input.threads = fit.threads;
  IngestOptions ingest;
  const CustomerBase base = read_customer_base(input, &ingest);
  const FittedModels models = fit_customer_models(base.customers, unit, fit);
  write_file_atomically(options.out, model_file_json(models, base, ingest).dump(2) + "\n");
  if (!options.quiet) {
    print_fit(models.bgnbd.summary);
    print_fit(models.gamma_gamma.summary);
    std::fprintf(stderr, "  corr(frequency, spend) over repeat buyers: %.3f\n",
                 models.gamma_gamma.frequency_spend_correlation);
  }
}

}  // namespace

void setup_fit(CLI::App& app) {
  auto options = std::make_shared<FitCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "fit", "Fit BG/NBD and Gamma-Gamma by maximum likelihood and save a model file");
  add_input_options(*command, options->input);
  command
      ->add_option("--time-unit", options->time_unit,
                   "Unit the parameters are estimated in: day, week, month")
      ->capture_default_str()
      ->group("Model");
  command->add_option("-o,--output", options->out, "Model file, written atomically ('-' = stdout)")
      ->capture_default_str()
      ->group("Output");
  add_threads_option(*command, options->threads, "reading the log and the fits", "Model");
  command->add_flag("-q,--quiet", options->quiet, "Do not print the fit summary on stderr");
  command->callback([options] { run_fit(*options); });
}

}  // namespace clvkit::cli
