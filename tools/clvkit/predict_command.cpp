// clvkit predict: score a log with a saved model file, without refitting. The records are the
// ones `clvkit run` writes when it fits the same model.

#include <memory>

#include "clvkit/analysis.hpp"
#include "clvkit/error.hpp"
#include "clvkit/output/customer_records.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/models/summary_table_models.hpp"
#include "clvkit/output/model_file.hpp"
#include "clvkit/output/summary_table_output.hpp"
#include "commands.hpp"
#include "common_options.hpp"

namespace clvkit::cli {
namespace {

struct PredictOptions {
  InputOptions input;
  SummaryCliOptions summary;
  SegmentationOptions segments;
  UpgradeCliOptions upgrade;
  ValueCliOptions value;
  std::string model;
  std::string format = "json";
  std::string out = "-";
  int threads = 0;  ///< 0 = one per hardware thread
};

// A summary table's rows scored with the saved models: the model's own quantities, no segments.
void predict_summary_table(const PredictOptions& options, RecordFormat format,
                           const SavedModel& model) {
  require_log_file(options.input, "--summary");
  const ValueOptions value = options.value.to_value_options();
  const SummaryTable table = read_summary_table(
      options.input.path, options.summary.to_summary_table_options(options.input));
  const std::vector<CustomerPrediction> predictions =
      predict_summary_table(table, model.time_unit, *model.purchase, model.spend.get(), value,
                            resolve_threads(options.threads));
  nlohmann::ordered_json metadata = tool_metadata("predict");
  metadata["input"] = summary_table_metadata(table);
  metadata["models"] = saved_model_metadata(options.model, model);
  metadata["value"] = value_metadata(value);
  write_summary_table_predictions(options.out, format, table, predictions,
                                  model.spend != nullptr, metadata);
}

void run_predict(const PredictOptions& options) {
  const RecordFormat format = parse_record_format(options.format);
  const SavedModel model = read_model_file(options.model);
  if (options.summary.summary) return predict_summary_table(options, format, model);
  if (!options.input.period.empty() &&
      model_time_unit("", options.input.period) != model.time_unit) {
    throw UsageError("--period " + options.input.period + " differs from the model's time unit (" +
                     time_unit_key(model.time_unit) +
                     "): a log read by periods is scored by a model fitted in those periods");
  }
  if (!model.spend) {
    throw UsageError(options.model +
                     ": holds no spend model (it was fitted on a summary table without a monetary "
                     "column), and scoring a log needs one; fit on the log, or give --summary");
  }
  AnalysisOptions analysis =
      analysis_options(options.input, options.segments, options.value, options.threads);
  analysis.next_purchase = options.upgrade.to_options();
  analysis.given_models = saved_models(model);
  const CustomerAnalysis result = analyze_input(options.input, analysis);
  nlohmann::ordered_json metadata = analysis_metadata(result, "predict");
  metadata["models"] = saved_model_metadata(options.model, model);
  write_customer_records(options.out, format, result, metadata, result.threads);
}

}  // namespace

void setup_predict(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* command = app.add_subcommand(
      "predict", "Score customers with a saved model file (from clvkit fit) without refitting");
  add_input_options(*command, options->input);
  add_summary_table_options(*command, options->summary);
  command->add_option("--model", options->model, "Model file written by clvkit fit")
      ->required()
      ->group("Model");
  add_segment_options(*command, options->segments);
  add_upgrade_options(*command, options->upgrade);
  add_value_options(*command, options->value, /*with_time_unit=*/false);
  command->add_option("--format", options->format, "Output format: json, ndjson or csv")
      ->capture_default_str()
      ->group("Output");
  command->add_option("-o,--output", options->out, "Output file ('-' = stdout)")
      ->capture_default_str()
      ->group("Output");
  add_threads_option(*command, options->threads,
                     "reading the log, the predictions and formatting the output", "Output");
  command->callback([options] { run_predict(*options); });
}

}  // namespace clvkit::cli
