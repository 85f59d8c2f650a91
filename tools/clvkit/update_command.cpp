// clvkit update: the daily update. A state saved by `run --state` (or an earlier update) and a log
// of new rows in; the moves file (who changed segment since the state's day), optionally the
// records, and the state as of the new day out.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <numeric>
#include <sstream>

#include "clvkit/analysis/daily_update.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/output/customer_records.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/migration_json.hpp"
#include "clvkit/output/model_file.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/output/state_file.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "progress.hpp"
#include "stage_timer.hpp"
#include "text_table.hpp"

namespace clvkit::cli {
namespace {

struct UpdateCliOptions {
  std::string state;
  std::string log;
  std::string as_of;
  bool refit = false;
  bool changed_only = false;
  UpgradeCliOptions upgrade;
  std::string out;  ///< empty: no records
  std::string format = "json";
  std::string moves;      ///< empty: moves-<as-of>.csv beside the state file
  std::string state_out;  ///< empty: the state file itself
  std::vector<std::string> from_segments;
  std::vector<std::string> to_segments;
  bool allow_reapply = false;
  bool timings = false;
  bool quiet = false;
  std::string language = "en";
  int threads = 0;
};

std::string default_moves_path(const std::string& state, Day as_of) {
  const std::filesystem::path directory = std::filesystem::path(state).parent_path();
  return (directory / ("moves-" + format_day(as_of) + ".csv")).string();
}

nlohmann::ordered_json update_block(const DailyUpdate& update, const UpdateCliOptions& options,
                                    const std::string& state_out, const std::string& moves,
                                    const std::vector<std::string>& names) {
  nlohmann::ordered_json out;
  out["state"] = options.state;
  out["state_written"] = state_out;
  out["previous_as_of"] = format_day(update.previous_as_of);
  out["as_of"] = format_day(update.state.histories.as_of);
  out["rows"] = {{"read", update.new_rows.rows_read},
                 {"used", update.new_rows.rows_used},
                 {"late", update.late_rows},
                 {"rejected_total", update.new_rows.rows_rejected()},
                 {"after_as_of", update.new_rows.rows_after_as_of}};
  const std::vector<std::int64_t>& counts = update.transition.counts;
  out["customers"] = {{"total", std::accumulate(counts.begin(), counts.end(), std::int64_t{0})},
                      {"new", update.new_customers},
                      {"with_new_rows", update.customers_with_new_rows},
                      {"moved", update.transition.moved},
                      {"changed", update.changed_customers},
                      {"written", options.out.empty() ? 0 : update.analysis.size()}};
  out["refit"] = update.refitted;
  out["changed_only"] = options.changed_only;
  out["moves_file"] = moves;
  out["moves_listed"] = update.transition.moves.size();
  out["transition"] = transition_json(update.transition, names);
  out["transition"].erase("moves");
  return out;
}

std::string summary_text(const DailyUpdate& update, const std::vector<std::string>& names,
                         const std::string& moves, const Language& language) {
  const Transition& t = update.transition;
  std::vector<std::vector<std::string>> rows{{}};
  for (const char* key :
       {"table.segment", "table.customers", "table.came_in", "table.left", "table.net"}) {
    rows.front().push_back(language.text(key));
  }
  const std::vector<std::int64_t> net = t.net_flow();
  for (int s = 0; s < t.segments; ++s) {
    std::int64_t now = 0, came = 0, left = 0;
    for (int origin = 0; origin <= t.segments; ++origin) {
      now += t.count(origin, s);
      if (origin != s + 1) came += t.count(origin, s);
    }
    for (int to = 0; to < t.segments; ++to) {
      if (to != s) left += t.count(s + 1, to);
    }
    rows.push_back({names[static_cast<std::size_t>(s)], format_integer(now, language),
                    format_integer(came, language), format_integer(left, language),
                    format_integer(net[static_cast<std::size_t>(s)], language)});
  }
  const auto integer = [&language](std::int64_t n) { return format_integer(n, language); };
  std::ostringstream out;
  out << language.format("update.heading",
                         {{"from", language.date(update.previous_as_of)},
                          {"to", language.date(update.state.histories.as_of)},
                          {"rows", integer(update.new_rows.rows_used)},
                          {"late", integer(update.late_rows)},
                          {"new", integer(update.new_customers)},
                          {"with_rows", integer(update.customers_with_new_rows)},
                          {"moved", integer(t.moved)},
                          {"listed", integer(static_cast<std::int64_t>(t.moves.size()))},
                          {"moves", moves}})
      << "\n\n"
      << render_table(rows);
  return out.str();
}

void run_update(const UpdateCliOptions& options) {
  StageTimer timer;
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit update");
  const RecordFormat format = parse_record_format(options.format);
  UpdateOptions update_options;
  if (!options.as_of.empty())
    update_options.as_of = parse_iso_date_or_throw(options.as_of, "--as-of");
  update_options.refit = options.refit;
  update_options.changed_only = options.changed_only;
  update_options.next_purchase = options.upgrade.to_options();
  update_options.moves.from = options.from_segments;
  update_options.moves.to = options.to_segments;
  update_options.allow_reapply = options.allow_reapply;
  update_options.threads = resolve_threads(options.threads);
  update_options.stage_done = [&](std::string_view stage, std::size_t) { timer.lap(stage); };
  if (options.changed_only && options.out.empty()) {
    throw UsageError("--changed-only chooses which records -o writes: give -o");
  }
  if (options.upgrade.upgrade && options.out.empty()) {
    throw UsageError("--upgrade adds fields to the records -o writes: give -o");
  }
  progress.stage("reading " + options.state);
  const StateFile saved = read_state_file(options.state);
  timer.lap("read_state");
  progress.stage("applying " + options.log);
  const DailyUpdate update = update_analysis(saved.state, options.log, update_options);
  const SegmentScheme& scheme = *update.analysis.segmented.scheme;
  std::vector<std::string> names;
  for (const Segment& segment : scheme.segments()) names.push_back(segment.name);
  const std::string moves = options.moves.empty()
                                ? default_moves_path(options.state, update.state.histories.as_of)
                                : options.moves;
  const std::string state_out = options.state_out.empty() ? options.state : options.state_out;

  nlohmann::ordered_json model_document = saved.model_document;
  if (update.refitted && update.analysis.dropout) {
    model_document = state_model_document(update.state, *update.analysis.dropout);
  }
  // The records and the moves first, the state last: the state is what the next update starts
  // from, so it moves on only once everything else of this update has landed.
  if (!options.out.empty()) {
    progress.stage("writing " + options.out);
    nlohmann::ordered_json metadata = analysis_metadata(update.analysis, "update");
    if (update.analysis.models && !update.refitted) {
      metadata["models"] = saved_model_metadata(
          options.state, parse_model_file(saved.model_document.dump(), options.state));
      // Written customers alone do not tell whether P(alive) is informative: the state's models
      // carry the check made when they were fitted.
      if (!update.analysis.dropout) metadata["dropout"] = saved.model_document.at("dropout");
    }
    metadata["update"] = update_block(update, options, state_out, moves, names);
    write_customer_records(options.out, format, update.analysis, metadata, update.analysis.threads);
    timer.lap("write");
  }
  {
    OutputFile out(moves);
    out.write(moves_csv({&update.transition, 1}, names, update.analysis.models.has_value()));
    out.commit();
  }
  progress.stage("writing " + state_out);
  write_state_file(state_out, update.state, model_document);
  timer.lap("write_state");
  progress.finish();
  if (options.out != "-") {
    const Language language = Language::load(options.language);
    const std::vector<std::string> shown = shown_segments(scheme, language).names;
    std::fputs(summary_text(update, shown, moves, language).c_str(), stdout);
  }
  if (options.timings) std::fprintf(stderr, "%s\n", timer.json().c_str());
}

}  // namespace

void setup_update(CLI::App& app) {
  auto options = std::make_shared<UpdateCliOptions>();
  CLI::App* command = app.add_subcommand(
      "update",
      "Apply a day's new rows to a state saved by `run --state`: re-score every customer, write "
      "who changed segment (the moves file), optionally the records, and the new state");
  command->add_option("STATE", options->state, "State file written by `run --state` or `update`")
      ->required();
  command
      ->add_option("NEW_ROWS", options->log,
                   "CSV log of the new rows ('-' = stdin), with the state's columns; rows dated on "
                   "or before the state's day are late data, applied exactly")
      ->required();
  command->add_option("--as-of", options->as_of,
                      "The new day, YYYY-MM-DD (default: the later of the state's day and the "
                      "last day of the new rows); rows after it are counted, not applied");
  command->add_flag("--refit", options->refit,
                    "Refit the models on every customer (what `run` does); default: the state's "
                    "models predict");
  command
      ->add_option("-o,--output", options->out,
                   "Write the records as `run` does ('-' = stdout); default: none")
      ->group("Output");
  command->add_option("--format", options->format, "Records format: json, ndjson or csv")
      ->capture_default_str()
      ->group("Output");
  command
      ->add_flag("--changed-only", options->changed_only,
                 "Write only the customers with new rows or a changed segment (with --upgrade, "
                 "their next purchases as the full records have them: every customer's score "
                 "edges held)")
      ->group("Output");
  command
      ->add_option("--moves", options->moves,
                   "Moves file (CSV; default: moves-<as-of>.csv beside the state file)")
      ->group("Output");
  command
      ->add_option("--state-out", options->state_out,
                   "Write the new state here instead of replacing STATE")
      ->group("Output");
  add_upgrade_options(*command, options->upgrade);
  command->add_option("--from-segment", options->from_segments,
                      "List only the moves out of these segments (repeatable)");
  command->add_option("--to-segment", options->to_segments,
                      "List only the moves into these segments (repeatable)");
  command->add_flag("--allow-reapply", options->allow_reapply,
                    "Apply NEW_ROWS even if a log with the same bytes was applied before");
  add_threads_option(*command, options->threads,
                     "reading the state and the rows, scoring, the fit and the predictions",
                     "Output");
  add_timings_flag(*command, options->timings);
  add_language_option(*command, options->language);
  add_quiet_flag(*command, options->quiet);
  command->callback([options] { run_update(*options); });
}

}  // namespace clvkit::cli
