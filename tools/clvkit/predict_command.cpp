// clvkit predict: score a log with a saved model file, without refitting. The records are the
// ones `clvkit run` writes when it fits the same model.

#include <memory>

#include "clvkit/output/metadata.hpp"
#include "clvkit/output/model_file.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "pipeline.hpp"

namespace clvkit::cli {
namespace {

struct PredictOptions {
  InputOptions input;
  SegmentOptions segments;
  ValueCliOptions value;
  std::string model;
  std::string format = "json";
  std::string out = "-";
  int threads = 0;  ///< 0 = one per hardware thread
};

void run_predict(const PredictOptions& options) {
  const RecordFormat format = parse_record_format(options.format);
  const ValueOptions value = options.value.to_value_options();
  const SavedModel model = read_model_file(options.model);
  const int threads = resolve_threads(options.threads);
  InputOptions input = options.input;
  input.threads = threads;
  const SegmentedBase segmented = read_and_segment(input, options.segments);
  const std::vector<CustomerPrediction> predictions = predict_customer_value(
      segmented.base.customers, model.time_unit, *model.purchase, *model.spend, value, threads);

  nlohmann::ordered_json metadata = tool_metadata("predict");
  metadata["input"] = ingest_metadata(segmented.base, segmented.ingest);
  metadata["segmentation"] = segmentation_metadata(segmented);
  nlohmann::ordered_json models;
  models["model_file"] = options.model;
  models["calibration"] = model.document["calibration"];
  models["time_unit"] = model.document["time_unit"];
  for (const std::string_view key : {model.purchase->key(), model.spend->key()}) {
    models[std::string(key)] = model.document[std::string(key)];
  }
  metadata["models"] = models;
  metadata["value"] = value_metadata(value);
  write_records_with_metadata(options.out, format, segmented.base.customers.size(),
                              record_source(segmented, predictions), metadata, threads);
}

}  // namespace

void setup_predict(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* command = app.add_subcommand(
      "predict", "Score customers with a saved model file (from clvkit fit) without refitting");
  add_input_options(*command, options->input);
  command->add_option("--model", options->model, "Model file written by clvkit fit")
      ->required()
      ->group("Model");
  add_segment_options(*command, options->segments);
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
