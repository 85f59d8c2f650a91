#pragma once
// Options shared by the subcommands that read a transaction log or use a model, registered once
// here so every subcommand spells and documents them the same way.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "clvkit/analysis.hpp"
#include "clvkit/analysis/migration.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/summary/ingest.hpp"
#include "clvkit/summary/summary_table.hpp"
#include "progress.hpp"

namespace clvkit::cli {

struct InputOptions {
  std::string path;
  std::string customer_col = "customer_id";
  std::string date_col = "date";
  std::string amount_col = "amount";
  std::string delimiter;
  std::string date_format;
  std::string returns = "net";
  std::string zero_amounts = "keep";
  std::string on_bad_row = "fail";
  std::string as_of;
  std::string period;         ///< empty: days
  std::string table;          ///< --table: the rows of a database URL
  std::string query;          ///< --query: ... or a SELECT giving them
  std::string password_file;  ///< --password-file
  bool no_pushdown = false;   ///< --no-pushdown: stream the rows instead of their summary
  /// Not an option: called after each batch of rows read (see IngestOptions::progress).
  std::function<void(std::int64_t)> progress;
  /// Not an option: called when a second pass over the log starts (IngestOptions::second_pass).
  std::function<void(std::int64_t)> second_pass;
  /// Not an option here: ingest threads, set by commands that have --threads.
  int threads = 1;

  /// Validates the strings and builds the library's options; throws UsageError.
  IngestOptions to_ingest_options() const;
  /// The database LOG names (a postgresql:// URL, with --table or --query, the password of
  /// --password-file and --no-pushdown), or nothing when LOG is a file. Throws UsageError for
  /// the database options with a file, IoError for an unreadable password file.
  std::optional<DatabaseSource> database() const;
};

/// Registers LOG and the column, format and policy options on `command`.
void add_input_options(CLI::App& command, InputOptions& options);

/// Registers -q/--quiet: no progress line on stderr (shown only when stderr is a terminal).
/// A check for --seed options (CLI::Option::check): a seed is 0 .. 2^64 - 1 written in decimal.
/// CLI11 reads "-1" as 2^64 - 1 and a number past 2^64 as 2^64 - 1 without a word; this refuses
/// both (an empty string means the text is a seed).
std::string check_seed_text(const std::string& text);

void add_quiet_flag(CLI::App& command, bool& quiet);
/// Registers --timings: the wall time of each stage on stderr as one JSON line.
void add_timings_flag(CLI::App& command, bool& timings);

/// Points `input`'s progress hooks at `line`: rows read, and a second pass announced.
void report_reading(InputOptions& input, ProgressLine& line);

/// A ForecastOptions::progress that shows "forecasting: 35% of 1.0M customers x 1000 draws" on
/// `line`.
std::function<void(std::int64_t)> forecast_progress(ProgressLine& line, std::size_t customers,
                                                    int draws);

/// The model's time unit from --time-unit and --period: the given unit, else the period's,
/// else a week. Throws UsageError for an unknown unit, or one that differs from the period's
/// (under --period the model counts periods, its opportunities).
TimeUnit model_time_unit(const std::string& time_unit, const std::string& period);

struct ValueCliOptions {
  std::string model = std::string(purchase_model_families().front().key);
  std::string time_unit;  ///< empty: week, or the period
  std::string horizon = "12m";
  double margin = 1.0;
  double discount_rate = 0.10;
  std::optional<double> monthly_discount_rate;  ///< unset: the annual rate applies
  bool allow_unconverged = false;               ///< --allow-unconverged (commands that fit)

  /// model_time_unit(time_unit, period).
  TimeUnit unit(const std::string& period) const;
  ValueOptions to_value_options() const;
};

/// --upgrade and --upgrade-cap (run, predict, update, segments, report): each customer's next
/// purchase.
struct UpgradeCliOptions {
  bool upgrade = false;
  int max_purchases = NextPurchaseOptions{}.max_purchases;
  /// Unset without --upgrade; else the options (--upgrade-cap without --upgrade is refused by
  /// CLI11's `needs`).
  std::optional<NextPurchaseOptions> to_options() const;
};

/// What --upgrade adds to the records of run and predict.
inline constexpr const char* kUpgradeRecordsHelp =
    "Add each customer's next purchase to the records: next_purchase_segment and its scores (one "
    "more purchase the day after the as-of day, of the expected spend, against the current score "
    "edges held), purchases_to_upgrade and upgrade_segment (fewest purchases to a better segment "
    "of the scheme's value_order) and, with a model, upgrade_value";

/// --upgrade (described by `description`: what it adds to the command's output) and
/// --upgrade-cap.
void add_upgrade_options(CLI::App& command, UpgradeCliOptions& options,
                         const std::string& description = kUpgradeRecordsHelp);

/// A summary table in place of a log (`fit` and `predict`): --summary and its column options.
struct SummaryCliOptions {
  bool summary = false;
  std::string id_col;
  std::string frequency_col;
  std::string recency_col;
  std::string T_col;
  std::string monetary_col;
  std::string count_col;

  /// The library's options; the delimiter and bad-row policy are the log's (`input`).
  SummaryTableOptions to_summary_table_options(const InputOptions& input) const;
};

/// Registers --summary and the --*-column options of a summary table.
void add_summary_table_options(CLI::App& command, SummaryCliOptions& options);

/// The calibration/holdout split as `validate` and `compare` take it.
struct SplitCliOptions {
  InputOptions input;
  std::string calibration_end;
  std::string holdout_end;  ///< empty: the last transaction day
  std::string time_unit;    ///< empty: week, or the period
  int threads = 0;          ///< 0 = one per hardware thread

  /// The library's HoldoutOptions (input with `progress`'s hooks, split days, time unit,
  /// threads); throws UsageError for a bad date or unit.
  HoldoutOptions to_holdout_options(ProgressLine& progress) const;
};

/// Registers LOG and the input options (with --as-of renamed --holdout-end, its alias),
/// --calibration-end (required) and --time-unit; the caller registers --threads with its own
/// description of the work.
void add_split_options(CLI::App& command, SplitCliOptions& options);

/// Registers --format table|json and -o/--output for commands that write one document.
void add_document_output_options(CLI::App& command, std::string& format, std::string& out);

/// Throws UsageError unless `format` is "table" or "json".
void check_document_format(const std::string& format);

/// Prints "clvkit: warning: P(alive) and value at risk are not informative on this data: ..." on
/// stderr when `check` says so (whatever --quiet: it is a finding, not progress), the message in
/// `language` (the prefix "clvkit: warning:" stays as it is, for scripts that look for it).
void print_dropout_warning(const DropoutIdentification& check,
                           const Language& language = english());

/// Registers --lang: the language of what a person reads (tables, the report, warnings), a
/// built-in language (available_languages()); machine outputs (JSON, NDJSON, CSV) do not change.
void add_language_option(CLI::App& command, std::string& language);

/// The segments of `scheme` as shown in `language` (segment_labels), after printing once on
/// stderr which segments have no label in it and are shown by their names.
SegmentLabels shown_segments(const SegmentScheme& scheme, const Language& language);

/// Registers --model: the purchase model to fit, a key of the registry (the first registered,
/// BG/NBD, by default).
void add_model_option(CLI::App& command, std::string& model);

/// Registers --horizon, --margin, --discount-rate, --monthly-discount-rate (and --model and
/// --time-unit when `with_time_unit`, for the commands that fit).
void add_value_options(CLI::App& command, ValueCliOptions& options, bool with_time_unit);

/// `requested` threads, or one per hardware thread when it is 0.
int resolve_threads(int requested);

/// Registers --threads (0 = one per hardware thread, the default) in `group`; `work` says what
/// runs on them ("reading the log, the fits, ..."), and the help adds that results do not
/// depend on it.
void add_threads_option(CLI::App& command, int& threads, const std::string& work,
                        const std::string& group);

/// Reads the log or database named in `options` (ingest layer).
CustomerBase read_customer_base(const InputOptions& options, IngestOptions* used = nullptr);

/// Throws UsageError "<what> reads a log file, not a database" when LOG is a database URL: for
/// the readings not offered on databases yet (snapshots, summary tables).
void require_log_file(const InputOptions& input, const std::string& what);

/// analyze() on the log or database named in `input`.
CustomerAnalysis analyze_input(const InputOptions& input, const AnalysisOptions& options);

/// validate_holdout() on the log or database named in `input`.
HoldoutAnalysis validate_input(const InputOptions& input, const HoldoutOptions& options);

/// compare_models() on the log or database named in `input`.
ModelComparisonResult compare_input(const InputOptions& input, const HoldoutOptions& options);

/// Registers --segments, --bins and --monetary.
void add_segment_options(CLI::App& command, SegmentationOptions& options);

/// The library's options of an analysis from the command line's: the input (with its progress
/// hooks), the segmentation, the value settings and the model's time unit, on `threads`
/// (0 = one per hardware thread).
AnalysisOptions analysis_options(const InputOptions& input, const SegmentationOptions& segments,
                                 const ValueCliOptions& value, int threads);

/// The snapshots of --every day|week|month|quarter|year with --from and --to (dates, empty =
/// the log's first and last day). Throws UsageError for another period, a bad date, or --from
/// after --to.
SnapshotSchedule every_schedule(const std::string& every, const std::string& from,
                                const std::string& to);

/// --edges: "each" or "first". Throws UsageError otherwise.
SnapshotEdges parse_snapshot_edges(const std::string& text);

}  // namespace clvkit::cli
