// clvkit sql score: score every customer inside the database (PostgreSQL, ClickHouse) with a
// saved model file, into a table (analysis/database_scoring.hpp does the work).

#include <cstdio>
#include <memory>

#include "clvkit/analysis/database_scoring.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/database_url.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/output/model_file.hpp"
#include "clvkit/output/output_file.hpp"
#include "commands.hpp"
#include "common_options.hpp"

namespace clvkit::cli {
namespace {

struct SqlScoreOptions {
  InputOptions input;
  SegmentationOptions segments;
  ValueCliOptions value;
  std::string model;
  std::string into;
  std::string dialect;  ///< empty: the URL's
  std::string script;   ///< empty: none written
  std::string edges = "clvkit";
  bool replace = false;
  bool dry_run = false;
  int threads = 0;
};

// The statements as a script: each ended by ';' and a blank line.
std::string script_text(const DatabaseScoring& plan) {
  std::string out;
  for (const std::string& statement : plan.statements) out += statement + ";\n\n";
  return out;
}

void run_sql_score(const SqlScoreOptions& options) {
  const std::optional<DatabaseSource> source = options.input.database();
  if (!source) {
    throw UsageError(
        "sql score runs inside a database: give its URL (postgresql://... or "
        "clickhouse://...), not '" +
        options.input.path + "'");
  }
  if (!source->pushdown) {
    throw UsageError(
        "--no-pushdown streams the rows to clvkit: sql score computes everything in "
        "the database");
  }
  if (!options.dialect.empty()) {
    const DatabaseKind kind = *database_kind(source->url);
    const char* url_dialect = kind == DatabaseKind::clickhouse ? "clickhouse" : "postgresql";
    if (options.dialect != "postgresql" && options.dialect != "clickhouse") {
      throw UsageError("--dialect must be postgresql or clickhouse, not '" + options.dialect + "'");
    }
    if (options.dialect != url_dialect) {
      throw UsageError("--dialect " + options.dialect + " differs from the URL's engine (" +
                       url_dialect + ")");
    }
  }
  const SavedModel saved = read_model_file(options.model);
  if (!options.input.period.empty() &&
      model_time_unit("", options.input.period) != saved.time_unit) {
    throw UsageError("--period " + options.input.period + " differs from the model's time unit (" +
                     time_unit_key(saved.time_unit) + ")");
  }
  if (!saved.spend) {
    throw UsageError(options.model + ": holds no spend model, and scoring needs one");
  }
  const SegmentPlan segments = plan_segments(options.segments);
  const IngestOptions ingest = options.input.to_ingest_options();
  const ValueOptions value = options.value.to_value_options();
  DatabaseScoringOptions scoring;
  scoring.into = options.into;
  scoring.replace = options.replace;
  scoring.threads = resolve_threads(options.threads);
  if (options.edges != "clvkit" && options.edges != "engine") {
    throw UsageError("--edges must be clvkit or engine, not '" + options.edges + "'");
  }
  scoring.engine_quantiles = options.edges == "engine";
  const FittedModels models = saved_models(saved);
  scoring.dry_run = options.dry_run;
  const DatabaseScoring plan = score_in_database(*source, ingest, segments, models, value, scoring);
  if (!options.script.empty()) write_file_atomically(options.script, script_text(plan));
  const CustomerPatterns& facts = plan.patterns;
  std::printf(
      "%s %lld customers as of %s into %s (%s); %zu terms per %s; rows read %lld, "
      "used %lld, rejected %lld; %lld bytes received\n",
      options.dry_run ? "planned scoring" : "scored", static_cast<long long>(facts.customers),
      format_day(facts.as_of).c_str(), options.into.c_str(),
      redact_database_url(source->url).c_str(), plan.terms,
      plan.terms_per_pattern ? "(x, t_x, T)" : "(x, T)",
      static_cast<long long>(facts.stats.rows_read), static_cast<long long>(facts.stats.rows_used),
      static_cast<long long>(facts.stats.rows_rejected()),
      static_cast<long long>(facts.bytes_transferred));
}

}  // namespace

void setup_sql(CLI::App& app) {
  CLI::App* sql = app.add_subcommand(
      "sql", "Work inside a database: `sql score` scores every customer in the engine itself");
  sql->require_subcommand(1);
  auto options = std::make_shared<SqlScoreOptions>();
  CLI::App* command = sql->add_subcommand(
      "score",
      "Score every customer inside the database (PostgreSQL or ClickHouse) with a saved model "
      "file: summary, RFM scores, segment, P(alive), expected purchases and CLV written to a "
      "table by one generated statement, equal to `clvkit predict` on the same rows");
  add_input_options(*command, options->input);
  command->add_option("--model", options->model, "Model file written by clvkit fit")
      ->required()
      ->group("Model");
  add_segment_options(*command, options->segments);
  add_value_options(*command, options->value, /*with_time_unit=*/false);
  command->add_option("--into", options->into, "The table to create with the scores")
      ->required()
      ->group("Output");
  command
      ->add_option("--edges", options->edges,
                   "A quantile scheme's score edges: clvkit (its tie rule, from the counts the "
                   "engine sends; scores equal predict's) or engine (the engine's own quantile "
                   "function: nothing per value travels, ties and boundaries as the engine draws "
                   "them)")
      ->capture_default_str()
      ->group("Segments");
  command->add_flag("--replace", options->replace, "Replace the --into table if it exists")
      ->group("Output");
  command
      ->add_option("--dialect", options->dialect,
                   "postgresql or clickhouse: checked against the URL's engine")
      ->group("Output");
  command
      ->add_option("--script", options->script,
                   "Also write the statements (the terms table, the scoring) to this file")
      ->group("Output");
  command
      ->add_flag("--dry-run", options->dry_run,
                 "Read the patterns and plan the statements (see --script), but change nothing")
      ->group("Output");
  add_threads_option(*command, options->threads, "computing the terms", "Output");
  command->callback([options] { run_sql_score(*options); });
}

}  // namespace clvkit::cli
