// clvkit report: one self-contained HTML file for analysts. Segments, the R×F map, P(alive) and
// expected purchases over frequency × recency, the calibration fit, CLV, the per-segment forecast
// with intervals, the retention call list and the model parameters; with --calibration-end also
// the holdout validation (tracking plot, conditional expectations, holdout totals).

#include <memory>
#include <optional>

#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/models/validation.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/report/html_report.hpp"
#include "clvkit/summary/holdout.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "pipeline.hpp"
#include "progress.hpp"

namespace clvkit::cli {
namespace {

struct ReportOptions {
  InputOptions input;
  SegmentOptions segments;
  ValueCliOptions value;
  std::string calibration_end;
  std::string title = "Customer base report";
  std::string currency;
  int draws = 1000;
  std::uint64_t seed = 1;
  int threads = 0;  ///< 0 = one per hardware thread
  int top = 25;
  std::string out;
  bool quiet = false;
};

// Calibration-fit buckets 0..6 and "7+", as in FHL 2005 and `clvkit validate`.
constexpr int kFitBuckets = 7;

// Refits on the calibration period and compares with the holdout, which ends where the report's
// observation period ends (--as-of, else the last transaction day). Calibration customers are
// scored and segmented on their calibration-period histories.
ValidationResult validate(const ReportOptions& options, const IngestOptions& ingest,
                          TimeUnit unit) {
  const Day calibration_end = parse_iso_date_or_throw(options.calibration_end, "--calibration-end");
  const SegmentPlan plan = plan_segments(options.segments);
  const CalibrationHoldout data =
      ingest_calibration_holdout(options.input.path, ingest, calibration_end);
  IngestOptions holdout_ingest = ingest;
  holdout_ingest.as_of = data.holdout_end;
  const SegmentedBase segmented = segment_base(data.calibration, holdout_ingest, plan);
  std::vector<std::string> names;
  for (const Segment& segment : segmented.scheme->segments()) names.push_back(segment.name);
  ValidationOptions validation;
  validation.time_unit = unit;
  validation.max_frequency_bucket = kFitBuckets;
  return validate_models(data, segmented.segment, names, validation);
}

void run_report(const ReportOptions& options) {
  const ValueOptions value = options.value.to_value_options();
  const TimeUnit unit = options.value.unit();
  if (!options.calibration_end.empty() && options.input.path == "-") {
    throw UsageError("--calibration-end reads the log twice, so LOG cannot be '-' (stdin)");
  }

  const int threads = resolve_threads(options.threads);
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit report");
  InputOptions input = options.input;
  input.threads = threads;
  report_reading(input, progress);
  const SegmentedBase segmented = read_and_segment(input, options.segments);
  nlohmann::ordered_json metadata;
  progress.stage("fitting and predicting " +
                 format_count(static_cast<double>(segmented.base.customers.size())) + " customers");
  const ModelRun model = fit_and_predict(segmented, unit, value, metadata, nullptr, threads);
  const auto& customers = segmented.base.customers;

  report::ReportData data;
  data.metadata.title = options.title;
  data.metadata.source = segmented.base.source;
  data.metadata.version = CLVKIT_VERSION;
  data.metadata.currency = options.currency;
  data.metadata.as_of = segmented.base.as_of;
  data.metadata.first_day = segmented.base.first_day;
  data.metadata.last_day = segmented.base.last_day;
  data.metadata.rows = segmented.base.stats;
  data.scheme = &*segmented.scheme;
  data.summary = summarize_segments(customers, segmented.scores, segmented.segment,
                                    *segmented.scheme, model.predictions);
  data.customers = customers;
  data.scores = segmented.scores;
  data.segment = segmented.segment;
  data.models = model.models;
  data.value = value;
  data.predictions = model.predictions;
  data.forecast = forecast_segments(segmented, model.models, value,
                                    {options.draws, options.seed, threads, false,
                                     forecast_progress(progress, customers.size(), options.draws)});
  data.forecast_draws = options.draws;
  data.forecast_seed = options.seed;
  data.top_customers = options.top;
  if (!options.calibration_end.empty()) {
    progress.stage("validating on the holdout after " + options.calibration_end);
    data.validation = validate(options, segmented.ingest, unit);
  } else {
    data.calibration_fit =
        calibration_fit_check(customers, *model.models.purchase.model, unit, kFitBuckets);
  }
  progress.stage("writing " + options.out);
  write_file_atomically(options.out, report::render_html_report(data));
  progress.finish();
}

}  // namespace

void setup_report(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report",
      "One self-contained HTML report (inline SVG, no scripts, no network): segments, "
      "R×F map, P(alive), calibration fit, CLV, per-segment forecast, retention call "
      "list and model parameters; with --calibration-end also the holdout validation");
  add_input_options(*command, options->input);
  add_segment_options(*command, options->segments);
  add_value_options(*command, options->value, /*with_time_unit=*/true);
  command
      ->add_option("--calibration-end", options->calibration_end,
                   "Also validate: refit on the data up to this day (YYYY-MM-DD) and compare "
                   "with the rest (tracking plot, conditional expectations, holdout totals)")
      ->group("Validation");
  command
      ->add_option("--forecast-draws", options->draws,
                   "Simulated futures for the per-segment forecast intervals")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000))
      ->group("Forecast");
  command->add_option("--seed", options->seed, "Random seed of the forecast")
      ->capture_default_str()
      ->group("Forecast");
  add_threads_option(*command, options->threads,
                     "reading the log, the fits, the predictions and the forecast", "Forecast");
  command
      ->add_option("--top", options->top,
                   "Customers on the retention call list (largest value at risk first)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000))
      ->group("Output");
  command->add_option("--title", options->title, "Report title")
      ->capture_default_str()
      ->group("Output");
  command
      ->add_option("--currency", options->currency,
                   "Currency of the amounts, for labels, e.g. USD (default: 'currency units')")
      ->group("Output");
  command->add_option("-o,--output", options->out, "HTML file to write, atomically ('-' = stdout)")
      ->required()
      ->group("Output");
  add_quiet_flag(*command, options->quiet);
  command->callback([options] { run_report(*options); });
}

}  // namespace clvkit::cli
