#pragma once
// The steps every subcommand shares: read a log, score and segment its customers, attach model
// predictions, and describe all of it in the output metadata.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/output/customer_records.hpp"
#include "clvkit/rfm/segments.hpp"
#include "common_options.hpp"

namespace clvkit::cli {

/// Wall time of successive stages, printed on stderr by --timings (never in the output files,
/// which must not depend on how fast the machine is).
class StageTimer {
 public:
  StageTimer();
  /// Records the time since the previous lap (or construction) under `stage`, and the process's
  /// peak resident memory so far.
  void lap(const char* stage);
  /// {"stage_seconds": {stage: s, ...}, "total_seconds": s, "peak_rss_mb": {stage: MB, ...}}
  /// on one line; a stage's peak RSS is the peak up to its end, so the stage whose figure jumps
  /// is the one that needed the memory.
  std::string json() const;

 private:
  std::vector<std::pair<std::string, double>> stages_;
  std::vector<double> peak_rss_mb_;
  double start_ = 0.0;
  double last_ = 0.0;
};

struct SegmentOptions {
  std::string scheme = "rfm11";
  int bins = 0;          ///< 0 = the scheme's
  std::string monetary;  ///< empty = the scheme's; else total or average
};

/// Registers --segments, --bins and --monetary.
void add_segment_options(CLI::App& command, SegmentOptions& options);

/// A customer base with its RFM scores and segments.
struct SegmentedBase {
  CustomerBase base;
  IngestOptions ingest;
  std::optional<SegmentScheme> scheme;
  ScoringSpec spec;  ///< the scheme's scoring with the command line's overrides (--monetary)
  std::vector<RfmScore> scores;
  std::vector<int> segment;  ///< index into scheme->segments(), per customer
};

/// Reads the log and scores and segments its customers; laps "ingest" and "segment" on `timer`.
SegmentedBase read_and_segment(const InputOptions& input, const SegmentOptions& options,
                               StageTimer* timer = nullptr);

/// The segment scheme named by --segments, checked against --bins, with the scoring spec
/// --monetary gives: read_and_segment's first step, for commands that read the log their own
/// way (validate segments a calibration period). Throws what read_and_segment throws for them.
struct SegmentPlan {
  SegmentScheme scheme;
  ScoringSpec spec;
};
SegmentPlan plan_segments(const SegmentOptions& options);

/// Scores and segments the customers of an already-read `base` with `plan`, on ingest.threads
/// threads; `base` and `ingest` are kept in the result (pass an rvalue to avoid copying the base).
SegmentedBase segment_base(CustomerBase base, const IngestOptions& ingest, const SegmentPlan& plan);

/// Both fitted models and the predictions they give for every customer.
struct ModelRun {
  FittedModels models;
  std::vector<CustomerPrediction> predictions;
};

/// Fits BG/NBD and Gamma-Gamma on the base, predicts every customer, adds "models" and "value"
/// to `metadata`, and laps "fit" and "predict" on `timer`. Fits and predictions run on `threads`
/// threads and do not depend on their number.
ModelRun fit_and_predict(const SegmentedBase& segmented, TimeUnit unit, const ValueOptions& value,
                         nlohmann::ordered_json& metadata, StageTimer* timer = nullptr,
                         int threads = 1);

/// How per-segment forecasts are simulated (segments --forecast, report).
struct SegmentForecastOptions {
  int draws = 2000;
  std::uint64_t seed = 1;
  int threads = 1;
  bool fixed_parameters = false;               ///< leave out the fitted parameters' uncertainty
  std::function<void(std::int64_t)> progress;  ///< ForecastOptions::progress
};

/// Simulates every customer's future over the value horizon (forecast_groups) with the
/// segments as groups; each draw carries its own parameters from the fits' covariance unless
/// `fixed_parameters` (or a fit has no standard errors).
ForecastResult forecast_segments(const SegmentedBase& segmented, const FittedModels& models,
                                 const ValueOptions& value, const SegmentForecastOptions& options);

/// {"tool", "version", "command"}: the first keys of every metadata block.
nlohmann::ordered_json tool_metadata(const std::string& command);

/// {"scheme", "source", "method", "bins", "monetary", "counts": {segment: n}}.
nlohmann::ordered_json segmentation_metadata(const SegmentedBase& segmented);

/// Record i points into `segmented` and `predictions` (empty = no model), both of which must
/// outlive the source; records are made as they are written, never stored all at once.
RecordSource record_source(const SegmentedBase& segmented,
                           const std::vector<CustomerPrediction>& predictions);

/// Writes records to `out_path` in `format`; NDJSON and CSV get their metadata in a side file
/// "<out>.meta.json", or on stderr when `out_path` is "-".
void write_records_with_metadata(const std::string& out_path, RecordFormat format,
                                 std::size_t record_count, const RecordSource& records,
                                 const nlohmann::ordered_json& metadata, int threads = 1);

}  // namespace clvkit::cli
