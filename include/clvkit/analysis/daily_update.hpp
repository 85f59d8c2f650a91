#pragma once
// The daily update: an analysis kept with every customer's history (`clvkit run --state`), then
// carried forward with each day's new rows alone (`clvkit update`), listing who moved between
// segments since the day before.
//
//   clvkit::StatefulAnalysis first = clvkit::analyze_keeping_state("orders.csv", options);
//   // ... save first.state (output/state_file.hpp); a day later:
//   clvkit::UpdateOptions update;
//   clvkit::DailyUpdate next = clvkit::update_analysis(first.state, "2024-06-02.csv", update);
//   next.analysis  // == analyze() over both logs as of the later day (refit, or RFM only)
//   next.transition.moves  // who changed segment

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/analysis/migration.hpp"
#include "clvkit/io/digest.hpp"
#include "clvkit/summary/customer_histories.hpp"

namespace clvkit {

/// Where a customer stood at the state's day: scores and segment (kNotPlaced for a customer
/// without a purchase day).
struct Placement {
  RfmScore score;
  std::int16_t segment = -1;
};
inline constexpr std::int16_t kNotPlaced = -1;

/// A log applied to a state: what `clvkit update` keeps to refuse the same file twice.
struct AppliedLog {
  std::string source;
  std::optional<FileDigest> digest;  ///< none for standard input or a pipe
  std::int64_t rows_read = 0;
  Day as_of = 0;  ///< the state's day after it
};

/// Everything an update needs to carry an analysis forward: how it was made (the settings an
/// update keeps), the models that predict, every customer's history and where each one stood.
struct AnalysisState {
  /// Columns, date format and row policies (its threads, as_of and callbacks are not kept).
  IngestOptions input;
  SegmentationOptions segmentation;
  /// The definition of a scheme read from a file, as it was then (an edit of the file does not
  /// change the segments of later updates); empty for a built-in scheme, which is found by name.
  std::string scheme_text;
  bool fit_models = true;
  ModelOptions model;
  std::optional<FittedModels> models;  ///< set when fit_models
  CustomerHistories histories;
  std::vector<Placement> placements;  ///< per history, in its order
  std::vector<AppliedLog> logs;       ///< the log of the analysis, then every update's
};

/// An analysis and the state that continues it.
struct StatefulAnalysis {
  CustomerAnalysis analysis;
  AnalysisState state;
};

/// analyze(path, options) that also keeps the state: the same analysis (customers, scores,
/// segments, models and predictions), read with every history kept (ingest_histories_file).
/// Throws what analyze throws, and UsageError under options.input.period.
StatefulAnalysis analyze_keeping_state(const std::string& path, const AnalysisOptions& options);

struct UpdateOptions {
  std::optional<Day> as_of;  ///< default: the later of the state's day and the new last day
  /// Refit the models on every customer (what `run` does); else the state's models predict.
  bool refit = false;
  /// Predict, and return in `analysis`, only the changed customers: those with used rows in the
  /// new log or whose segment changed. The scores and segments of every customer are computed
  /// either way (quantile edges depend on all of them), and so is the transition.
  bool changed_only = false;
  /// Set: every returned customer's next purchase (next_purchases in analysis.hpp) is computed
  /// after the predictions, into DailyUpdate::analysis.upgrade, with the edges of every customer
  /// as of the new day held (also under changed_only, so a written record's fields are those of
  /// the full records). Needs a scheme with a value order (UsageError before the log is read).
  std::optional<NextPurchaseOptions> next_purchase;
  MoveFilter moves;  ///< which moves are listed (all are counted)
  /// Apply a log whose bytes equal one applied before (refused by default: its rows would count
  /// twice). Logs without data rows are never refused.
  bool allow_reapply = false;
  int threads = 1;  ///< 0 = one per hardware thread; no result depends on it
  /// As AnalysisOptions::stage_done: "ingest", "segment", "fit" (with refit), "predict",
  /// "upgrade" (with next_purchase).
  std::function<void(std::string_view stage, std::size_t customers)> stage_done;
};

/// What an update found and did.
struct DailyUpdate {
  /// Every customer as of the new day, or with changed_only the changed ones, each with its
  /// scores, segment, (with models) predictions and (with next_purchase) next purchase; without
  /// changed_only it equals analyze() over every row as of that day when the models are
  /// refitted or absent. Its base's stats are the cumulative row accounting.
  CustomerAnalysis analysis;
  /// From the state's day to the new one, over every customer ("new" for customers without a
  /// purchase day before), with the moves that `moves` keeps.
  Transition transition;
  IngestStats new_rows;            ///< the accounting of the new log alone
  std::int64_t late_rows = 0;      ///< its used rows dated on or before the state's day
  std::int64_t new_customers = 0;  ///< customers seen for the first time
  std::int64_t customers_with_new_rows = 0;
  std::int64_t changed_customers = 0;  ///< with new rows or a changed segment
  Day previous_as_of = 0;
  bool refitted = false;
  AnalysisState state;  ///< the state as of the new day
};

/// Applies the log at `path` ("-" = standard input) to `state` with the state's settings.
/// Throws UsageError for an as-of day before the state's, a log applied already (see
/// allow_reapply) or next_purchase with a scheme without a value order, what
/// update_histories_file throws for the log, with refit what the fit throws (ModelError for a
/// fit that did not converge unless the state's model options allow it), and with
/// next_purchase what next_purchases throws.
DailyUpdate update_analysis(const AnalysisState& state, const std::string& path,
                            const UpdateOptions& options);

}  // namespace clvkit
