// clvkit migrate: segments over time. The log read once, segmented as of several days; segment
// sizes, entries and revenue per snapshot, the transition matrix between consecutive snapshots
// and the customers who moved, as a terminal table, JSON or CSV (the moves).

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>

#include "clvkit/analysis/migration.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/migration_json.hpp"
#include "clvkit/output/output_file.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "progress.hpp"
#include "text_table.hpp"

namespace clvkit::cli {
namespace {

struct MigrateOptions {
  InputOptions input;
  SegmentationOptions segments;
  ValueCliOptions value;
  std::string every;
  std::string from;
  std::string to;
  std::string edges = "each";
  std::vector<std::string> from_segments;
  std::vector<std::string> to_segments;
  std::string format = "table";
  std::string language = "en";
  std::string out = "-";
  int top = 20;
  bool no_model = false;
  bool quiet = false;
  int threads = 0;
};

// --as-of D1,D2,... or --every with --from/--to: exactly one of the two.
SnapshotSchedule schedule_of(const MigrateOptions& options) {
  SnapshotSchedule schedule;
  if (!options.input.as_of.empty() == !options.every.empty()) {
    throw UsageError("give the snapshot days with either --as-of D1,D2,... or --every "
                     "day|week|month|quarter|year");
  }
  if (!options.input.as_of.empty()) {
    if (!options.from.empty() || !options.to.empty()) {
      throw UsageError("--from and --to go with --every, not with --as-of");
    }
    std::stringstream list(options.input.as_of);
    for (std::string day; std::getline(list, day, ',');) {
      schedule.as_of.push_back(parse_iso_date_or_throw(day, "--as-of"));
    }
    snapshot_days(schedule, 0, 0);  // ascending and distinct, before the log is read
    return schedule;
  }
  return every_schedule(options.every, options.from, options.to);
}

MigrationOptions migration_options(const MigrateOptions& options, InputOptions input) {
  MigrationOptions out;
  out.schedule = schedule_of(options);
  input.as_of.clear();  // the schedule's, not ingest's
  out.analysis = analysis_options(input, options.segments, options.value, options.threads);
  out.analysis.fit_models = !options.no_model;
  out.edges = parse_snapshot_edges(options.edges);
  out.moves.from = options.from_segments;
  out.moves.to = options.to_segments;
  return out;
}

nlohmann::ordered_json migrate_metadata(const Migration& m, const MigrateOptions& options) {
  nlohmann::ordered_json metadata = analysis_metadata(*m.last, "migrate");
  nlohmann::ordered_json described;
  described["snapshots"] = m.snapshots.size();
  described["schedule"] = options.every.empty() ? "as-of" : options.every;
  described["edges"] = options.edges;
  if (m.held_edges) {
    described["held_edges"] = {{"recency_days", m.held_edges->recency_edges},
                               {"purchase_days", m.held_edges->frequency_edges},
                               {"monetary", m.held_edges->monetary_edges}};
  }
  described["from_segments"] = options.from_segments;
  described["to_segments"] = options.to_segments;
  described["note"] =
      "input, segmentation and models describe the last snapshot; each snapshot has its own "
      "row accounting and purchase fit";
  metadata["migration"] = described;
  return metadata;
}

// Segment sizes over the snapshots (at most the last 8 as columns), then entries and revenue.
// `names` are the segments as shown in `language`.
std::string sizes_text(const Migration& m, const std::vector<std::string>& names,
                       const Language& language) {
  const std::size_t shown = std::min<std::size_t>(m.snapshots.size(), 8);
  const std::size_t first = m.snapshots.size() - shown;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{language.text("table.segment")};
  for (std::size_t k = first; k < m.snapshots.size(); ++k) {
    header.push_back(language.date(m.snapshots[k].as_of));
  }
  rows.push_back(header);
  for (std::size_t s = 0; s < names.size(); ++s) {
    std::vector<std::string> row{names[s]};
    for (std::size_t k = first; k < m.snapshots.size(); ++k) {
      row.push_back(format_integer(m.snapshots[k].summary.segments[s].customers, language));
    }
    rows.push_back(row);
  }
  std::vector<std::string> customers{language.text("migrate.all_customers")},
      entries{language.text("migrate.new_in_period")},
      revenue{language.text("migrate.revenue_in_period")};
  for (std::size_t k = first; k < m.snapshots.size(); ++k) {
    const Snapshot& snapshot = m.snapshots[k];
    customers.push_back(format_integer(snapshot.customers, language));
    entries.push_back(format_integer(snapshot.total_entries(), language));
    revenue.push_back(format_fixed(snapshot.total_period_revenue(), 2, language));
  }
  rows.push_back(customers);
  rows.push_back(entries);
  rows.push_back(revenue);
  const auto snapshots = static_cast<std::int64_t>(m.snapshots.size());
  std::ostringstream out;
  out << language.format(
             std::string(m.edges == SnapshotEdges::first ? "migrate.heading_first"
                                                         : "migrate.heading_each") +
                 (shown < m.snapshots.size() ? "_last8" : ""),
             {{"scheme", m.scheme}, {"snapshots", format_integer(snapshots, language)}})
      << "\n\n"
      << render_table(rows);
  return out.str();
}

std::string matrix_text(const Transition& t, const std::vector<std::string>& names,
                        const Language& language) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{language.text("migrate.from_to")};
  for (const std::string& name : names) header.push_back(name);
  rows.push_back(header);
  for (int origin = 0; origin <= t.segments; ++origin) {
    std::vector<std::string> row{origin == 0 ? language.text("migrate.new") : names[origin - 1]};
    for (int to = 0; to < t.segments; ++to) {
      const std::int64_t n = t.count(origin, to);
      row.push_back(n == 0 ? "." : format_integer(n, language) + " (" +
                                       format_share(t.share(origin, to), 0, language) + ")");
    }
    rows.push_back(row);
  }
  std::vector<std::string> flow{language.text("migrate.net_flow")};
  for (const std::int64_t n : t.net_flow()) {
    flow.push_back((n > 0 ? "+" : "") + format_integer(n, language));
  }
  rows.push_back(flow);
  std::ostringstream out;
  out << "\n"
      << language.format("migrate.transition", {{"from", language.date(t.from_as_of)},
                                                {"to", language.date(t.to_as_of)},
                                                {"moved", format_integer(t.moved, language)}})
      << "\n\n"
      << render_table(rows);
  return out.str();
}

// The `top` listed moves of the last transition, the most valuable first (with models).
std::string moves_text(const Migration& m, const Transition& t, int top,
                       const std::vector<std::string>& names, const Language& language) {
  std::vector<const CustomerMove*> moves;
  for (const CustomerMove& move : t.moves) moves.push_back(&move);
  if (m.has_models) {
    std::stable_sort(moves.begin(), moves.end(), [](const CustomerMove* a, const CustomerMove* b) {
      return a->clv > b->clv;
    });
  }
  if (moves.size() > static_cast<std::size_t>(top)) moves.resize(static_cast<std::size_t>(top));
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (const char* key : {"table.customer", "table.from", "table.to", "table.rfm_before",
                          "table.rfm_after"}) {
    header.push_back(language.text(key));
  }
  if (m.has_models) {
    header.push_back("P(alive)");
    header.push_back(language.text("table.clv"));
    header.push_back(language.text("table.value_at_risk"));
  }
  rows.push_back(header);
  for (const CustomerMove* move : moves) {
    std::vector<std::string> row{move->id, names[static_cast<std::size_t>(move->from)],
                                 names[static_cast<std::size_t>(move->to)],
                                 rfm_cell(move->before), rfm_cell(move->after)};
    if (m.has_models) {
      row.push_back(format_fixed(move->p_alive, 3, language));
      row.push_back(format_fixed(move->clv, 2, language));
      row.push_back(format_fixed(move->value_at_risk, 2, language));
    }
    rows.push_back(row);
  }
  const auto listed = static_cast<std::int64_t>(t.moves.size());
  const auto shown = static_cast<std::int64_t>(moves.size());
  std::ostringstream out;
  out << "\n"
      << language.format(m.has_models ? "migrate.moves_valuable" : "migrate.moves",
                         {{"listed", format_integer(listed, language)},
                          {"shown", format_integer(shown, language)}})
      << "\n\n"
      << render_table(rows);
  return out.str();
}

std::string migration_text(const Migration& m, int top, const Language& language) {
  const std::vector<std::string> names =
      shown_segments(*m.last->segmented.scheme, language).names;
  std::string text = sizes_text(m, names, language);
  if (!m.transitions.empty()) {
    text += matrix_text(m.transitions.back(), names, language);
    text += moves_text(m, m.transitions.back(), top, names, language);
  }
  return text;
}

void run_migrate(const MigrateOptions& options) {
  if (options.format != "table" && options.format != "json" && options.format != "csv") {
    throw UsageError("--format: expected table, json or csv, got '" + options.format + "'");
  }
  const Language language = Language::load(options.language);
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit migrate");
  InputOptions input = options.input;
  report_reading(input, progress);
  MigrationOptions migration = migration_options(options, input);
  migration.snapshot_done = [&progress](Day as_of, std::size_t index) {
    progress.stage("snapshot " + std::to_string(index + 1) + " (" + format_day(as_of) + ")");
  };
  require_log_file(input, "migrate");
  const Migration m = analyze_migration(input.path, migration);
  std::string text;
  if (options.format == "json") {
    text = migration_json_text(migrate_metadata(m, options), m);
  } else if (options.format == "csv") {
    text = migration_moves_csv(m);
  } else {
    text = migration_text(m, options.top, language);
  }
  progress.finish();
  if (m.last->dropout) print_dropout_warning(*m.last->dropout, language);
  write_file_atomically(options.out, text);
}

}  // namespace

void setup_migrate(CLI::App& app) {
  auto options = std::make_shared<MigrateOptions>();
  CLI::App* command = app.add_subcommand(
      "migrate",
      "Segments over time: the log read once and segmented as of several days; segment sizes, "
      "new customers and revenue per snapshot, the transition matrix between snapshots and the "
      "customers who moved");
  add_input_options(*command, options->input);
  command->get_option("--as-of")
      ->description("Snapshot days, comma-separated and ascending (YYYY-MM-DD,...); or --every");
  command
      ->add_option("--every", options->every,
                   "A snapshot at the end of every day, week, month, quarter or year from --from "
                   "to --to, and one on --to")
      ->group("Snapshots");
  command->add_option("--from", options->from, "First day of --every (default: the log's first)")
      ->group("Snapshots");
  command->add_option("--to", options->to, "Last snapshot day of --every (default: the log's last)")
      ->group("Snapshots");
  command
      ->add_option("--edges", options->edges,
                   "Score boundaries: 'each' recomputes the quantiles at every snapshot (as run "
                   "--as-of does); 'first' holds the first snapshot's, so a move is a change of "
                   "the customer's behaviour")
      ->capture_default_str()
      ->group("Snapshots");
  command
      ->add_option("--from-segment", options->from_segments,
                   "List only moves out of these segments (comma-separated names)")
      ->delimiter(',')
      ->group("Moves");
  command
      ->add_option("--to-segment", options->to_segments,
                   "List only moves into these segments (comma-separated names)")
      ->delimiter(',')
      ->group("Moves");
  command->add_option("--top", options->top, "Moves shown in the terminal table")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000))
      ->group("Moves");
  add_segment_options(*command, options->segments);
  command
      ->add_flag("--no-model", options->no_model,
                 "Skip the models (fitted at every snapshot otherwise, as run --as-of would)")
      ->group("Model");
  add_value_options(*command, options->value, /*with_time_unit=*/true);
  add_threads_option(*command, options->threads, "reading the log, the fits and the predictions",
                     "Performance");
  command
      ->add_option("--format", options->format,
                   "table (terminal), json (every snapshot and transition) or csv (the moves)")
      ->capture_default_str()
      ->group("Output");
  command->add_option("-o,--output", options->out, "Output file ('-' = stdout)")
      ->capture_default_str()
      ->group("Output");
  add_language_option(*command, options->language);
  add_quiet_flag(*command, options->quiet);
  command->callback([options] { run_migrate(*options); });
}

}  // namespace clvkit::cli
