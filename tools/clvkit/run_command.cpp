// clvkit run: the main job. Transaction log in; one record per customer out, with the summary,
// RFM scores and segment, and (unless --no-model) BG/NBD + Gamma-Gamma predictions.

#include <cstdio>
#include <memory>

#include "clvkit/output/metadata.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "pipeline.hpp"
#include "progress.hpp"

namespace clvkit::cli {
namespace {

struct RunOptions {
  InputOptions input;
  SegmentOptions segments;
  ValueCliOptions value;
  std::string format = "json";
  std::string out = "-";
  bool no_model = false;
  bool timings = false;
  int threads = 0;  ///< 0 = one per hardware thread
  bool quiet = false;
};

void run_run(const RunOptions& options) {
  const RecordFormat format = parse_record_format(options.format);
  const ValueOptions value = options.value.to_value_options();
  const TimeUnit unit = options.value.unit();

  StageTimer timer;
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit run");
  InputOptions input = options.input;
  report_reading(input, progress);
  const int threads = resolve_threads(options.threads);
  input.threads = threads;
  const SegmentedBase segmented = read_and_segment(input, options.segments, &timer);
  nlohmann::ordered_json metadata = tool_metadata("run");
  metadata["input"] = ingest_metadata(segmented.base, segmented.ingest);
  metadata["segmentation"] = segmentation_metadata(segmented);

  ModelRun model;
  if (!options.no_model) {
    progress.stage("fitting and predicting " +
                   format_count(static_cast<double>(segmented.base.customers.size())) +
                   " customers");
    model = fit_and_predict(segmented, unit, value, metadata, &timer, threads);
  }
  progress.stage("writing " + options.out);
  write_records_with_metadata(options.out, format, segmented.base.customers.size(),
                              record_source(segmented, model.predictions), metadata, threads);
  timer.lap("write");
  progress.finish();
  if (options.timings) std::fprintf(stderr, "%s\n", timer.json().c_str());
}

}  // namespace

void setup_run(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run",
      "Summarise a transaction log: one record per customer with RFM scores, segment, "
      "P(alive), expected purchases and CLV");
  add_input_options(*command, options->input);
  add_segment_options(*command, options->segments);
  command
      ->add_flag("--no-model", options->no_model,
                 "RFM only: skip the BG/NBD and Gamma-Gamma fits and predictions")
      ->group("Model");
  add_value_options(*command, options->value, /*with_time_unit=*/true);
  command->add_option("--format", options->format, "Output format: json, ndjson or csv")
      ->capture_default_str()
      ->group("Output");
  command
      ->add_option("-o,--output", options->out,
                   "Output file, written atomically ('-' = stdout); NDJSON and CSV put their "
                   "metadata in OUT.meta.json")
      ->capture_default_str()
      ->group("Output");
  add_threads_option(*command, options->threads,
                     "reading the log, the fits, the predictions and formatting the output",
                     "Output");
  command
      ->add_flag("--timings", options->timings,
                 "Print the wall time of each stage on stderr as one JSON line")
      ->group("Output");
  add_quiet_flag(*command, options->quiet);
  command->callback([options] { run_run(*options); });
}

}  // namespace clvkit::cli
