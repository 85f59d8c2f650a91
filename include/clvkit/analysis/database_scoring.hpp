#pragma once
// Scoring inside the database (clvkit sql score): every customer's summary, RFM scores, segment,
// P(alive), expected purchases, expected spend and CLV computed by the engine (PostgreSQL,
// ClickHouse) from its own rows and written to a table, with the scores of `clvkit predict` on
// the same rows (to ~1e-12 relative; tested at 1e-9). Only what SQL cannot compute travels:
// the engine sends its distinct patterns (database_patterns), clvkit sends back a small table of
// per-(x, T) terms (the hypergeometric expectations and their discounted sums), and one
// generated statement does the rest.

#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/summary/database_ingest.hpp"

namespace clvkit {

/// Where the scores go and how.
struct DatabaseScoringOptions {
  /// The table to create, "name" or "schema.name" ("database.name" in ClickHouse).
  std::string into;
  /// Replace a table of that name (else the engine's "already exists" error: IoError).
  bool replace = false;
  /// Threads for clvkit's share (the terms); the engine's work is the engine's.
  int threads = 1;
  /// Read the patterns and plan the statements, but run none of them (score_in_database).
  bool dry_run = false;
  /// A quantile scheme's edges from the engine's own quantile function (PostgreSQL's
  /// percentile_disc, ClickHouse's quantilesExact) at 1/bins, ..., (bins-1)/bins, a customer
  /// scoring 1 + the edges below their value: nothing per customer value travels, but ties and
  /// bin boundaries follow the engine's definition, not quantile_scores' tie rule (scores can
  /// differ from predict's). false: clvkit's edges (the default).
  bool engine_quantiles = false;
};

/// The scoring plan: the statements, and what clvkit computed for them.
struct DatabaseScoring {
  /// What runs (or ran), in order, each without its ';': the terms table created and filled,
  /// the scores table created from one SELECT, the terms table dropped (ClickHouse; PostgreSQL's
  /// is temporary, dropped at commit).
  std::vector<std::string> statements;
  /// What the engine sent first: row accounting, as-of, patterns and totals.
  CustomerPatterns patterns;
  /// The score edges the statement applies (threshold scheme: its own; quantile scheme: drawn
  /// from the totals and patterns with quantile_scores' tie rule, quantile_edges_of_counts).
  ScoringSpec edges;
  /// Rows of the terms table: one per distinct (x, T), or per (x, t_x, T) when the purchase
  /// model has no AliveOdds (P(alive) then comes from the table too).
  std::size_t terms = 0;
  bool terms_per_pattern = false;
  /// The scores used the engine's quantiles (a quantile scheme with engine_quantiles).
  bool engine_quantiles = false;
};

/// What plan_database_scoring needs of database_patterns: no spend pairs (the models are
/// fitted); the totals for a quantile scheme scored with clvkit's edges.
PatternParts scoring_pattern_parts(const SegmentPlan& segments,
                                   const DatabaseScoringOptions& scoring);

/// The plan for scoring `patterns` (database_patterns of `source` under `options`, with
/// scoring_pattern_parts) with `segments` and `models` into `scoring.into`: a pure function (no
/// database). The statements compute what predict_customer_value and score_customers compute for
/// the customer base of the same rows, apart from churn_priority (a rank: ORDER BY value_at_risk
/// DESC). Throws UsageError when the spend model has no spend_weight (its E[M | x, m] is not a
/// credibility-weighted mean SQL can evaluate), or for invalid value options; ModelError as
/// value_if_alive.
DatabaseScoring plan_database_scoring(const DatabaseSource& source, const IngestOptions& options,
                                      const SegmentPlan& segments, const FittedModels& models,
                                      const ValueOptions& value,
                                      const DatabaseScoringOptions& scoring,
                                      CustomerPatterns patterns);

/// Scores the customers of `source` inside its database: database_patterns (with totals),
/// plan_database_scoring, then (unless scoring.dry_run) the statements on one connection
/// (execute_database). PostgreSQL
/// runs them in one transaction: the table appears whole or not at all. ClickHouse, which has
/// none, builds the table under a temporary name and renames it at the end; on failure the
/// temporary tables are dropped. Throws what database_patterns, plan_database_scoring and
/// execute_database throw.
DatabaseScoring score_in_database(const DatabaseSource& source, const IngestOptions& options,
                                  const SegmentPlan& segments, const FittedModels& models,
                                  const ValueOptions& value, const DatabaseScoringOptions& scoring);

}  // namespace clvkit
