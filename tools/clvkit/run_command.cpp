// clvkit run: the main job. Transaction log in; one record per customer out, with the summary,
// RFM scores and segment, and (unless --no-model) BG/NBD + Gamma-Gamma predictions.

#include <cstdio>
#include <memory>

#include "clvkit/analysis.hpp"
#include "clvkit/analysis/daily_update.hpp"
#include "clvkit/output/customer_records.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/state_file.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "progress.hpp"
#include "stage_timer.hpp"

namespace clvkit::cli {
namespace {

struct RunOptions {
  InputOptions input;
  SegmentationOptions segments;
  UpgradeCliOptions upgrade;
  ValueCliOptions value;
  std::string format = "json";
  std::string out = "-";
  std::string state;  ///< empty: no state file
  bool no_model = false;
  bool timings = false;
  int threads = 0;  ///< 0 = one per hardware thread
  bool quiet = false;
};

void run_run(const RunOptions& options) {
  const RecordFormat format = parse_record_format(options.format);
  StageTimer timer;
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit run");
  InputOptions input = options.input;
  report_reading(input, progress);
  AnalysisOptions analysis =
      analysis_options(input, options.segments, options.value, options.threads);
  analysis.next_purchase = options.upgrade.to_options();
  analysis.fit_models = !options.no_model;
  analysis.stage_done = [&](std::string_view stage, std::size_t customers) {
    timer.lap(stage);
    if (stage == "segment" && analysis.fit_models) {
      progress.stage("fitting and predicting " + format_count(static_cast<double>(customers)) +
                     " customers");
    }
  };
  std::optional<StatefulAnalysis> stateful;
  if (!options.state.empty()) {
    require_log_file(input, "--state");
    stateful = analyze_keeping_state(input.path, analysis);
  }
  const CustomerAnalysis result =
      stateful ? std::move(stateful->analysis) : analyze_input(input, analysis);
  progress.stage("writing " + options.out);
  write_customer_records(options.out, format, result, analysis_metadata(result, "run"),
                         result.threads);
  timer.lap("write");
  if (stateful) {
    progress.stage("writing " + options.state);
    const nlohmann::ordered_json models =
        result.dropout ? state_model_document(stateful->state, *result.dropout) : nullptr;
    write_state_file(options.state, stateful->state, models);
    timer.lap("state");
  }
  progress.finish();
  if (result.dropout) print_dropout_warning(*result.dropout);
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
  add_upgrade_options(*command, options->upgrade);
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
  command
      ->add_option("--state", options->state,
                   "Also save every customer's history, scores and the models to this state file "
                   "(written atomically, after the records), for `clvkit update`")
      ->group("Output");
  add_threads_option(*command, options->threads,
                     "reading the log, the fits, the predictions and formatting the output",
                     "Output");
  add_timings_flag(*command, options->timings);
  add_quiet_flag(*command, options->quiet);
  command->callback([options] { run_run(*options); });
}

}  // namespace clvkit::cli
