// clvkit report: one self-contained HTML file for analysts. Segments, the R×F map, P(alive) and
// expected purchases over frequency × recency, the calibration fit, CLV, the per-segment forecast
// with intervals, the retention call list and the model parameters; with --calibration-end also
// the holdout validation (tracking plot, conditional expectations, holdout totals).

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "clvkit/analysis/migration.hpp"
#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/models/validation.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/output/state_file.hpp"
#include "clvkit/report/html_report.hpp"
#include "clvkit/summary/holdout.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "progress.hpp"

namespace clvkit::cli {
namespace {

struct ReportOptions {
  InputOptions input;
  SegmentationOptions segments;
  ValueCliOptions value;
  UpgradeCliOptions upgrade;
  std::string calibration_end;
  std::string title = "Customer base report";
  std::string currency;
  int draws = 1000;
  std::uint64_t seed = 1;
  int threads = 0;  ///< 0 = one per hardware thread
  int top = 25;
  std::string out;
  bool quiet = false;
  std::string every;      ///< empty: no "How segments change" section (unless the next two)
  std::string snapshots;  ///< D1,D2,...: given snapshot days
  std::vector<std::string> states;  ///< state files whose days are the snapshots
  std::string from;
  std::string edges = "each";
  std::string language = "en";
};

// The snapshot days given by --snapshots or by the days of --states (state files of `run --state`
// and `update`: the days a daily update ran), ascending and distinct; empty for neither.
std::vector<Day> given_snapshot_days(const ReportOptions& options) {
  if (!options.snapshots.empty() && !options.states.empty()) {
    throw UsageError("give the snapshot days with --snapshots or --states, not both");
  }
  std::vector<Day> days;
  if (!options.snapshots.empty()) {
    std::stringstream list(options.snapshots);
    for (std::string day; std::getline(list, day, ',');) {
      days.push_back(parse_iso_date_or_throw(day, "--snapshots"));
    }
  }
  for (const std::string& path : options.states)
    days.push_back(read_state_file(path).state.histories.as_of);
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  return days;
}

// With --every, --snapshots or --states: the log read once into snapshots up to the report's
// as-of day (the last one is the report's own analysis); otherwise nothing.
std::optional<Migration> snapshots_of(const ReportOptions& options, const InputOptions& input,
                                      AnalysisOptions& analysis, ProgressLine& progress) {
  const std::vector<Day> days = given_snapshot_days(options);
  if (options.every.empty() && days.empty()) {
    if (!options.from.empty() || options.edges != "each") {
      throw UsageError("--from and --edges go with --every, --snapshots or --states");
    }
    return std::nullopt;
  }
  if (!options.every.empty() && !days.empty()) {
    throw UsageError(
        "--every and --snapshots/--states are two ways of giving the snapshots: "
        "give one");
  }
  require_log_file(input, options.every.empty() ? "--snapshots" : "--every");
  MigrationOptions migration;
  if (!days.empty()) {
    if (!options.from.empty()) throw UsageError("--from goes with --every");
    // The report is as of the last snapshot, or of a later --as-of (then the last snapshot).
    migration.schedule.as_of = days;
    if (!analysis.input.as_of) {
      analysis.input.as_of = days.back();
    } else if (*analysis.input.as_of < days.back()) {
      throw UsageError("--as-of " + format_day(*analysis.input.as_of) +
                       " is before the last snapshot day " + format_day(days.back()));
    } else if (*analysis.input.as_of > days.back()) {
      migration.schedule.as_of.push_back(*analysis.input.as_of);
    }
  } else {
    migration.schedule = every_schedule(options.every, options.from, "");
    migration.schedule.to = analysis.input.as_of;
  }
  migration.analysis = analysis;
  migration.edges = parse_snapshot_edges(options.edges);
  migration.snapshot_done = [&progress](Day as_of, std::size_t index) {
    progress.stage("snapshot " + std::to_string(index + 1) + " (" + format_day(as_of) + ")");
  };
  return analyze_migration(input.path, migration);
}

void run_report(const ReportOptions& options) {
  const Language language = Language::load(options.language);
  if (!options.calibration_end.empty() && options.input.path == "-") {
    throw UsageError("--calibration-end reads the log twice, so LOG cannot be '-' (stdin)");
  }
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit report");
  InputOptions input = options.input;
  report_reading(input, progress);
  AnalysisOptions analysis =
      analysis_options(input, options.segments, options.value, options.threads);
  analysis.stage_done = [&](std::string_view stage, std::size_t customers) {
    if (stage == "segment") {
      progress.stage("fitting and predicting " + format_count(static_cast<double>(customers)) +
                     " customers");
    }
  };
  std::optional<Migration> migration = snapshots_of(options, input, analysis, progress);
  // The last snapshot is the report's analysis, unless its boundaries were held (the rest of
  // the report shows the segments a run gives, so the log is then read once more).
  std::optional<CustomerAnalysis> own;
  if (!migration || migration->edges == SnapshotEdges::first) {
    analysis.next_purchase = options.upgrade.to_options();
    own = analyze_input(input, analysis);
  } else if (const auto next = options.upgrade.to_options()) {
    migration->last->upgrade = next_purchases(*migration->last, *next);
  }
  const CustomerAnalysis& result = own ? *own : *migration->last;

  std::optional<ModelComparisonResult> comparison;
  if (!options.calibration_end.empty()) {
    // Refit every purchase model on the calibration period and compare with the holdout, which
    // ends where the report's observation period ends; calibration customers are segmented on
    // their calibration-period histories. The report's own model is validated in the same run.
    progress.stage("validating on the holdout after " + options.calibration_end);
    comparison = compare_input(
        options.input,
        holdout_options(result, options.segments,
                        parse_iso_date_or_throw(options.calibration_end, "--calibration-end")));
  }
  report::ReportSettings settings;
  settings.title = options.title;
  settings.language = options.language;
  settings.currency = options.currency;
  settings.top_customers = options.top;
  settings.forecast_draws = options.draws;
  settings.forecast_seed = options.seed;
  settings.forecast_progress = forecast_progress(progress, result.size(), options.draws);
  report::ReportData data = comparison ? report::report_data(result, settings, *comparison)
                                       : report::report_data(result, settings);
  if (migration) data.migration = &*migration;
  progress.stage("writing " + options.out);
  const std::string html = report::render_html_report(data);
  write_file_atomically(options.out, html);
  progress.finish();
  shown_segments(*data.scheme, language);  // the warning on labels, once
  if (result.dropout) print_dropout_warning(*result.dropout, language);
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
  add_upgrade_options(*command, options->upgrade,
                      "Add the section \"One purchase away\": per segment, the customers one "
                      "purchase from a better segment of the scheme's value_order and from its "
                      "top segment, with the CLV those purchases add, and the --top customers "
                      "whose next purchase adds most (see run --upgrade)");
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
      ->check(check_seed_text)
      ->capture_default_str()
      ->group("Forecast");
  add_threads_option(*command, options->threads,
                     "reading the log, the fits, the predictions and the forecast", "Forecast");
  command
      ->add_option("--top", options->top,
                   "Customers on the retention call list (largest value at risk first) and, "
                   "with --upgrade, on the list by upgrade value")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000))
      ->group("Output");
  command
      ->add_option("--title", options->title, "Report title (translated by --lang when left as is)")
      ->capture_default_str()
      ->group("Output");
  command
      ->add_option("--currency", options->currency,
                   "Currency of the amounts, for labels, e.g. USD (default: 'currency units')")
      ->group("Output");
  command
      ->add_option("--every", options->every,
                   "Add 'How segments change': snapshots at the end of every day, week, month, "
                   "quarter or year up to the as-of day (the log is still read once)")
      ->group("Segments over time");
  command
      ->add_option("--snapshots", options->snapshots,
                   "Add 'How segments change' with snapshots on these days, D1,D2,... (the report "
                   "is as of the last, or of a later --as-of)")
      ->group("Segments over time");
  command
      ->add_option("--states", options->states,
                   "Add 'How segments change' with snapshots on the days of these state files "
                   "(`run --state`, `update`): a daily update's history")
      ->delimiter(',')
      ->group("Segments over time");
  command->add_option("--from", options->from, "First day of --every (default: the log's first)")
      ->group("Segments over time");
  command
      ->add_option("--edges", options->edges,
                   "Score boundaries of the snapshots: 'each' recomputed, 'first' held")
      ->capture_default_str()
      ->group("Segments over time");
  command->add_option("-o,--output", options->out, "HTML file to write, atomically ('-' = stdout)")
      ->required()
      ->group("Output");
  add_language_option(*command, options->language);
  add_quiet_flag(*command, options->quiet);
  command->callback([options] { run_report(*options); });
}

}  // namespace clvkit::cli
