#include "clvkit/analysis/database_scoring.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/io/database_rows.hpp"
#include "clvkit/io/sql_dialect.hpp"
#include "clvkit/models/time_unit.hpp"

namespace clvkit {
namespace {

// Terms rows per INSERT statement.
constexpr std::size_t kRowsPerInsert = 500;

std::string integer(std::int64_t value) { return std::to_string(value); }

// ---- Score edges -----------------------------------------------------------------------------

// A score as SQL: 1 + the number of `edges` for which `value <op> edge` holds.
std::string score_sql(const SqlDialect& sql, const std::string& value, const char* op,
                      const std::vector<double>& edges) {
  std::string out = "(1";
  for (const double edge : edges) {
    out += " + CASE WHEN " + value + " " + op + " " + sql.number(edge) + " THEN 1 ELSE 0 END";
  }
  return out + ")";
}

// Quantile edges (largest value of each bin) of `counts`, each moved halfway to the next value
// above it, so that no value lies within a rounding of an edge: the comparisons in SQL then
// score every value as clvkit does even if the engine's arithmetic or literal parsing were a
// rounding off. `values` are sorted ascending and distinct (the counts' values).
std::vector<double> midpoint_edges(const std::vector<ValueCount>& counts, int bins) {
  const std::vector<double> edges = quantile_edges_of_counts(counts, bins);
  std::vector<double> values;
  values.reserve(counts.size());
  for (const ValueCount& c : counts) values.push_back(c.value);
  std::sort(values.begin(), values.end());
  std::vector<double> out;
  for (const double edge : edges) {
    const auto above = std::upper_bound(values.begin(), values.end(), edge);
    out.push_back(above == values.end() ? edge : edge + (*above - edge) / 2.0);
  }
  return out;
}

// The distinct values of `value_of(item)` over `items`, with the customers holding them.
template <class Items, class ValueOf, class CountOf>
std::vector<ValueCount> value_counts(const Items& items, const ValueOf& value_of,
                                     const CountOf& count_of) {
  std::map<double, std::int64_t> counts;
  for (const auto& item : items) counts[value_of(item) + 0.0] += count_of(item);
  std::vector<ValueCount> out;
  out.reserve(counts.size());
  for (const auto& [value, count] : counts) out.push_back({value, count});
  return out;
}

struct ScoreExpressions {
  std::string r, f, m;
  ScoringSpec edges;  // what they apply, as threshold edges (engine quantiles: unknown)
  // With the engine's quantiles: the select list computing the arrays r_edges, f_edges and
  // m_edges over the customers' measures (else empty).
  std::string edges_select;
};

// A score as SQL from an array of edges `array` (1-based, `count` of them) in the row.
std::string array_score_sql(const std::string& value, const std::string& array, int count) {
  std::string out = "(1";
  for (int k = 1; k <= count; ++k) {
    out += " + CASE WHEN " + value + " > " + array + "[" + integer(k) + "] THEN 1 ELSE 0 END";
  }
  return out + ")";
}

// The engine's own quantiles at 1/bins, ..., (bins-1)/bins of each dimension (PostgreSQL's
// percentile_disc, ClickHouse's quantilesExact), and scores 1 + the edges below the value.
ScoreExpressions engine_quantile_expressions(const SqlDialect& sql, const ScoringSpec& spec,
                                             int bins) {
  const std::string spend =
      spec.monetary_basis == MonetaryBasis::total ? "total_spend" : "avg_spend";
  std::string levels;
  for (int k = 1; k < bins; ++k) {
    levels += (k > 1 ? ", " : "") + round_trip_text(static_cast<double>(k) / bins);
  }
  const auto quantiles = [&](const std::string& value, const char* name) {
    return sql.clickhouse
               ? "quantilesExact(" + levels + ")(" + value + ") AS " + name
               : "percentile_disc(CAST(ARRAY[" + levels +
                     "] AS double precision[])) WITHIN GROUP (ORDER BY " + value + ") AS " + name;
  };
  const std::string recency = "(0 - days_since_last)";
  ScoreExpressions out;
  out.edges = spec;
  out.edges_select = quantiles(recency, "r_edges") + ", " + quantiles("purchase_days", "f_edges") +
                     ", " + quantiles(spend, "m_edges");
  out.r = array_score_sql(recency, "r_edges", bins - 1);
  out.f = array_score_sql("purchase_days", "f_edges", bins - 1);
  out.m = array_score_sql(spend, "m_edges", bins - 1);
  return out;
}

// The R, F and M scores as SQL over the columns days_since_last, purchase_days, total_spend and
// avg_spend: score_customers' for the scheme's method.
ScoreExpressions score_expressions(const SqlDialect& sql, const SegmentPlan& plan,
                                   const CustomerPatterns& patterns, bool engine_quantiles) {
  const ScoringSpec& spec = plan.spec;
  const int bins = plan.scheme.bins();
  if (engine_quantiles && spec.method == ScoringMethod::quantile) {
    return engine_quantile_expressions(sql, spec, bins);
  }
  const std::string spend =
      spec.monetary_basis == MonetaryBasis::total ? "total_spend" : "avg_spend";
  ScoreExpressions out;
  out.edges = spec;
  if (spec.method == ScoringMethod::threshold) {
    // threshold_recency_score: bins - #(edges < days) = 1 + #(edges >= days).
    out.r = score_sql(sql, "days_since_last", "<=", spec.recency_edges);
    out.f = score_sql(sql, "purchase_days", ">", spec.frequency_edges);
    out.m = score_sql(sql, spend, ">", spec.monetary_edges);
    return out;
  }
  if (patterns.totals.empty()) {
    throw UsageError(
        "scoring in the database: quantile scores need the customers' totals "
        "(database_patterns with totals)");
  }
  // Quantile scores: R from -days_since_last, F from purchase_days, M from the spend.
  const auto count = [](const auto& item) { return item.customers; };
  const std::vector<ValueCount> recency = value_counts(
      patterns.patterns,
      [](const SummaryPattern& p) { return -static_cast<double>(p.T - p.recency); }, count);
  const std::vector<ValueCount> frequency = value_counts(
      patterns.patterns,
      [](const SummaryPattern& p) { return static_cast<double>(p.frequency + 1); }, count);
  const std::vector<ValueCount> monetary = value_counts(
      patterns.totals,
      [&spec](const TotalSpend& t) {
        return spec.monetary_basis == MonetaryBasis::total ? t.total_spend() : t.avg_spend();
      },
      count);
  std::vector<double> r_edges = midpoint_edges(recency, bins);
  for (double& edge : r_edges) edge = -edge;  // -days > e  <=>  days < -e
  const std::vector<double> f_edges = midpoint_edges(frequency, bins);
  const std::vector<double> m_edges = midpoint_edges(monetary, bins);
  out.r = score_sql(sql, "days_since_last", "<", r_edges);
  out.f = score_sql(sql, "purchase_days", ">", f_edges);
  out.m = score_sql(sql, spend, ">", m_edges);
  out.edges.method = ScoringMethod::threshold;
  out.edges.recency_edges.assign(r_edges.rbegin(), r_edges.rend());
  out.edges.frequency_edges = f_edges;
  out.edges.monetary_edges = m_edges;
  return out;
}

// The scheme's segment of (r_score, f_score, m_score): its rules in order, the first match wins.
std::string segment_sql(const SqlDialect& sql, const SegmentScheme& scheme) {
  std::string out = "CASE";
  const auto range = [](const char* column, const std::optional<ScoreRange>& r) {
    return r ? std::string(column) + " BETWEEN " + integer(r->lo) + " AND " + integer(r->hi)
             : std::string();
  };
  for (const Segment& segment : scheme.segments()) {
    std::string any;
    for (const SegmentRule& rule : segment.rules) {
      std::string all;
      for (const std::string& part :
           {range("r_score", rule.r), range("f_score", rule.f), range("m_score", rule.m)}) {
        if (part.empty()) continue;
        all += (all.empty() ? "" : " AND ") + part;
      }
      any += (any.empty() ? "(" : " OR (") + (all.empty() ? std::string("1 = 1") : all) + ")";
    }
    out += " WHEN " + any + " THEN " + sql.string_literal(segment.name);
  }
  return out + " END";
}

// ---- Terms -----------------------------------------------------------------------------------

struct Terms {
  std::vector<std::string> names;  // the columns, unquoted: the `keys` first, then the values
  std::vector<std::string> types;  // their SQL types, for CREATE TABLE
  std::size_t keys = 0;            // how many leading columns the join matches on
  std::vector<std::string> rows;   // each "(v1, v2, ...)"
};

// The terms of every distinct (x, T) of `patterns` (or (x, t_x, T) without AliveOdds): E[X |
// alive], the discounted value per unit of spend, P(alive)'s form or value, the spend weight.
Terms make_terms(const SqlDialect& sql, const CustomerPatterns& patterns,
                 const FittedModels& models, const ValueOptions& value, bool per_pattern,
                 int threads) {
  const PurchaseModel& purchase = *models.purchase.model;
  const SpendModel& spend = *models.spend.model;
  const double days = unit_days(models.time_unit);
  const char* big = sql.clickhouse ? "Int64" : "bigint";
  const char* real_type = sql.clickhouse ? "Float64" : "double precision";
  Terms out;
  const auto column = [&out](const char* name, const char* type) {
    out.names.emplace_back(name);
    out.types.emplace_back(type);
  };
  column("frequency", big);
  if (per_pattern) column("recency", big);
  column("t_days", big);
  out.keys = out.names.size();
  for (const char* name : {"expected_if_alive", "value_if_alive", "spend_weight"}) {
    column(name, real_type);
  }
  if (per_pattern) {
    column("p_alive_value", real_type);
  } else {
    column("always_alive", big);
    for (const char* name : {"odds_constant", "odds_slope", "odds_shift"}) column(name, real_type);
  }

  // The distinct keys, in whole days, and their (x, T) pairs in model units.
  std::vector<std::array<std::int64_t, 3>> keys;
  for (const SummaryPattern& p : patterns.patterns) {
    keys.push_back({p.frequency, per_pattern ? p.recency : 0, p.T});
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::array<double, 2>> pairs;
  pairs.reserve(keys.size());
  for (const auto& k : keys) pairs.push_back({static_cast<double>(k[0]), k[2] / days});
  const std::vector<ValueIfAlive> values = value_if_alive(pairs, days, purchase, value, threads);
  std::vector<double> p_alive;
  if (per_pattern) {
    std::vector<PurchaseHistory> histories;
    histories.reserve(keys.size());
    for (const auto& k : keys) {
      histories.push_back({static_cast<double>(k[0]), k[1] / days, k[2] / days});
    }
    p_alive = purchase.p_alive_of(histories, threads);
  }
  out.rows.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const double x = pairs[i][0];
    const double weight = x > 0.0 ? spend.spend_weight(x).value() : 0.0;
    std::string row(1, '(');
    row += integer(keys[i][0]) + ", ";
    if (per_pattern) row += integer(keys[i][1]) + ", ";
    row += integer(keys[i][2]) + ", " + round_trip_text(values[i].expected_purchases) + ", " +
           round_trip_text(values[i].value_per_spend) + ", " + round_trip_text(weight);
    if (per_pattern) {
      row += ", " + round_trip_text(p_alive[i]);
    } else {
      const AliveOdds odds = purchase.alive_odds(x).value();
      row += std::string(", ") + (odds.always_alive ? "1" : "0") + ", " +
             round_trip_text(odds.constant) + ", " + round_trip_text(odds.slope) + ", " +
             round_trip_text(odds.shift);
    }
    out.rows.push_back(row + ")");
  }
  return out;
}

// ---- The scoring statement -------------------------------------------------------------------

struct Names {
  std::string into;   // the table created by the statement (ClickHouse: a temporary name)
  std::string terms;  // the terms table
};

// The customers' measures from the summary relation `summary` (kind, id, v1..v13), as
// summarize_customer computes them.
std::string measures_select(const SqlDialect& sql, Day as_of) {
  const std::string million = sql.number(1e6);
  const std::string day0 = integer(as_of);
  return "SELECT id AS customer_id, v1 AS first_day, v2 AS last_day, v3 AS purchase_days, "
         "v3 - 1 AS frequency, v2 - v1 AS recency, " +
         day0 + " - v1 AS t_days, " + day0 + " - v2 AS days_since_last, " + sql.real("v4") + " / " +
         million + " AS total_spend, " + "CASE WHEN v3 > 1 THEN " + sql.real("v4 - v5") + " / (" +
         million + " * " + sql.real("v3 - 1") + ") ELSE " + sql.number(0.0) + " END AS monetary, " +
         sql.real("v4") + " / (" + million + " * " + sql.real("v3") + ") AS avg_spend";
}

std::string p_alive_sql(const SqlDialect& sql, const std::string& log_odds) {
  // 1 / (1 + e^d), without overflow, and 0 where e^-d would underflow (PostgreSQL refuses an
  // exp that underflows; clvkit's value there is below 1e-307).
  return "CASE WHEN " + log_odds + " > 708 THEN " + sql.number(0.0) + " WHEN " + log_odds +
         " > 0 THEN exp(-(" + log_odds + ")) / (1 + exp(-(" + log_odds + "))) ELSE 1 / (1 + exp(" +
         log_odds + ")) END";
}

std::string scoring_select(const SqlDialect& sql, const std::string& summary_sql, Day as_of,
                           const ScoreExpressions& scores, const SegmentScheme& scheme,
                           const Terms& terms, const Names& names, bool per_pattern,
                           double unit_days, double population_spend) {
  const std::string ln = sql.clickhouse ? "log" : "ln";
  const std::string days = sql.number(unit_days);
  const std::string pop = sql.number(population_spend);
  // Stage 2: scores, expected spend and the terms of the customer's (x, T).
  const std::string spend_expr =
      "CASE WHEN frequency > 0 AND monetary > 0 THEN spend_weight * "
      "monetary + (1 - spend_weight) * " +
      pop + " ELSE " + pop + " END";
  const std::string t_x = "(" + sql.real("recency") + " / " + days + ")";
  const std::string T = "(" + sql.real("t_days") + " / " + days + ")";
  const std::string log_odds = "(odds_constant + odds_slope * " + ln + "(1 + (" + T + " - " + t_x +
                               ") / (odds_shift + " + t_x + ")))";
  const std::string alive = per_pattern ? std::string("p_alive_value")
                                        : "CASE WHEN always_alive = 1 THEN " + sql.number(1.0) +
                                              " ELSE " + p_alive_sql(sql, "log_odds") + " END";
  const auto as_date = [&sql](const std::string& day) {
    return sql.clickhouse ? "addDays(toDate('1970-01-01'), " + day + ")"
                          : "CAST(DATE '1970-01-01' + CAST(" + day + " AS integer) AS date)";
  };
  const std::string cell =
      sql.clickhouse ? "concat(toString(r_score), toString(f_score), toString(m_score))"
                     : "CAST(r_score AS text) || CAST(f_score AS text) || CAST(m_score AS text)";
  const std::string outputs =
      "customer_id, " + as_date("first_day") + " AS first_purchase, " + as_date("last_day") +
      " AS last_purchase, purchase_days, frequency, recency, t_days AS " + sql.quote("T") +
      ", days_since_last, total_spend, monetary, avg_spend, r_score, f_score, m_score, " + cell +
      " AS rfm_cell, " + segment_sql(sql, scheme) +
      " AS segment, p_alive, p_alive * expected_if_alive AS expected_purchases, "
      "expected_avg_spend, p_alive * (value_if_alive * expected_avg_spend) AS clv, "
      "value_if_alive * expected_avg_spend AS clv_if_alive, (1 - p_alive) * (value_if_alive * "
      "expected_avg_spend) AS value_at_risk";
  const std::string scored_columns = scores.r + " AS r_score, " + scores.f + " AS f_score, " +
                                     scores.m + " AS m_score, " + spend_expr +
                                     " AS expected_avg_spend";

  std::string key_list;
  std::string terms_columns;
  std::string using_list;    // PostgreSQL's join condition
  std::string terms_values;  // and the terms' values it selects
  for (std::size_t i = 0; i < terms.names.size(); ++i) {
    const std::string& name = terms.names[i];
    terms_columns += (i > 0 ? ", " : "") + name;
    if (i < terms.keys) {
      key_list += (i > 0 ? ", " : "") + name;
      using_list += (i > 0 ? " AND t." : "t.") + name + " = m." + name;
    } else {
      terms_values += ", t." + name;
    }
  }
  if (sql.clickhouse) {
    const std::string measures =
        measures_select(sql, as_of) + " FROM (" + summary_sql + ") WHERE kind = 1 AND v3 > 0";
    std::string joined = "SELECT * FROM (" + measures + ") ANY INNER JOIN (SELECT " +
                         terms_columns + " FROM " + names.terms + ") USING (" + key_list + ")";
    if (!scores.edges_select.empty()) {
      joined = "SELECT * FROM (" + joined + ") CROSS JOIN (SELECT " + scores.edges_select +
               " FROM (" + measures + "))";
    }
    const std::string scored = "SELECT *, " + scored_columns +
                               (per_pattern ? "" : ", " + log_odds + " AS log_odds") + " FROM (" +
                               joined + ")";
    const std::string alive_stage = "SELECT *, " + alive + " AS p_alive FROM (" + scored + ")";
    return "SELECT " + outputs + " FROM (" + alive_stage + ")";
  }
  std::string values_list;
  for (int i = 1; i <= 13; ++i) values_list += ", v" + integer(i);
  const bool edges = !scores.edges_select.empty();
  return "WITH clvkit_summary(kind, id" + values_list + ") AS (" + summary_sql +
         "),\nclvkit_measures AS (" + measures_select(sql, as_of) +
         " FROM clvkit_summary WHERE kind = 1 AND v3 > 0),\n" +
         (edges ? "clvkit_edges AS (SELECT " + scores.edges_select + " FROM clvkit_measures),\n"
                : std::string()) +
         "clvkit_joined AS (SELECT m.*" + terms_values +
         (edges ? ", e.r_edges, e.f_edges, e.m_edges" : "") + " FROM clvkit_measures m JOIN " +
         names.terms + " t ON " + using_list + (edges ? " CROSS JOIN clvkit_edges e" : "") +
         "),\n"
         "clvkit_scored AS (SELECT *, " +
         scored_columns + (per_pattern ? "" : ", " + log_odds + " AS log_odds") +
         " FROM clvkit_joined),\n"
         "clvkit_alive AS (SELECT *, " +
         alive +
         " AS p_alive FROM clvkit_scored)\n"
         "SELECT " +
         outputs + " FROM clvkit_alive";
}

// The temporary tables of ClickHouse: the terms and the scores before their rename, beside
// the target (in its database).
Names clickhouse_names(const SqlDialect& sql, const std::string& into) {
  return {sql.table(into + "__clvkit_new"), sql.table(into + "__clvkit_terms")};
}

}  // namespace

PatternParts scoring_pattern_parts(const SegmentPlan& segments,
                                   const DatabaseScoringOptions& scoring) {
  return {false, segments.spec.method == ScoringMethod::quantile && !scoring.engine_quantiles};
}

DatabaseScoring plan_database_scoring(const DatabaseSource& source, const IngestOptions& options,
                                      const SegmentPlan& segments, const FittedModels& models,
                                      const ValueOptions& value,
                                      const DatabaseScoringOptions& scoring,
                                      CustomerPatterns patterns) {
  if (scoring.into.empty()) throw UsageError("scoring in the database: no table to write (--into)");
  const SqlDialect sql = sql_dialect(source.url);
  const PurchaseModel& purchase = *models.purchase.model;
  const SpendModel& spend = *models.spend.model;
  if (!spend.spend_weight(1.0)) {
    throw UsageError("scoring in the database: the spend model " + std::string(spend.label()) +
                     " has no closed form SQL can evaluate");
  }
  DatabaseScoring out;
  out.terms_per_pattern = !purchase.alive_odds(1.0).has_value();
  const ScoreExpressions scores =
      score_expressions(sql, segments, patterns, scoring.engine_quantiles);
  out.engine_quantiles = !scores.edges_select.empty();
  out.edges = scores.edges;
  const Terms terms =
      make_terms(sql, patterns, models, value, out.terms_per_pattern, std::max(1, scoring.threads));
  out.terms = terms.rows.size();

  const Names names = sql.clickhouse ? clickhouse_names(sql, scoring.into)
                                     : Names{sql.table(scoring.into), "clvkit_terms"};
  std::string columns;
  for (std::size_t i = 0; i < terms.names.size(); ++i) {
    columns += (i > 0 ? ", " : "") + sql.quote(terms.names[i]) + " " + terms.types[i];
  }
  if (sql.clickhouse) {
    out.statements.push_back("DROP TABLE IF EXISTS " + names.terms);
    out.statements.push_back("DROP TABLE IF EXISTS " + names.into);
    out.statements.push_back("CREATE TABLE " + names.terms + " (" + columns + ") ENGINE = Memory");
  } else {
    out.statements.push_back("CREATE TEMPORARY TABLE " + names.terms + " (" + columns +
                             ") ON COMMIT DROP");
  }
  for (std::size_t begin = 0; begin < terms.rows.size(); begin += kRowsPerInsert) {
    std::string insert = "INSERT INTO " + names.terms + " VALUES ";
    const std::size_t end = std::min(terms.rows.size(), begin + kRowsPerInsert);
    for (std::size_t i = begin; i < end; ++i) insert += (i > begin ? ", " : "") + terms.rows[i];
    out.statements.push_back(insert);
  }
  const std::string select = scoring_select(
      sql, pushdown_summary_sql(source, options), patterns.as_of, scores, segments.scheme, terms,
      names, out.terms_per_pattern, unit_days(models.time_unit), spend.population_mean());
  const std::string target = sql.table(scoring.into);
  if (sql.clickhouse) {
    out.statements.push_back("CREATE TABLE " + names.into +
                             " ENGINE = MergeTree ORDER BY customer_id AS " + select);
    if (scoring.replace) out.statements.push_back("DROP TABLE IF EXISTS " + target);
    out.statements.push_back("RENAME TABLE " + names.into + " TO " + target);
    out.statements.push_back("DROP TABLE " + names.terms);
  } else {
    if (scoring.replace) out.statements.push_back("DROP TABLE IF EXISTS " + target);
    out.statements.push_back("CREATE TABLE " + target + " AS " + select);
  }
  out.patterns = std::move(patterns);
  return out;
}

DatabaseScoring score_in_database(const DatabaseSource& source, const IngestOptions& options,
                                  const SegmentPlan& segments, const FittedModels& models,
                                  const ValueOptions& value,
                                  const DatabaseScoringOptions& scoring) {
  CustomerPatterns patterns =
      database_patterns(source, options, scoring_pattern_parts(segments, scoring));
  DatabaseScoring plan =
      plan_database_scoring(source, options, segments, models, value, scoring, std::move(patterns));
  if (scoring.dry_run) return plan;
  const DatabaseConnection connection{source.url, source.password};
  const SqlDialect sql = sql_dialect(source.url);
  if (!sql.clickhouse) {
    execute_database(connection, plan.statements);
    return plan;
  }
  // ClickHouse: no transaction. The target is checked first (RENAME would refuse it only after
  // the work), and the temporary tables are dropped whatever happens.
  if (!scoring.replace) {
    const auto exists = query_database(connection, "EXISTS TABLE " + sql.table(scoring.into));
    std::vector<std::optional<std::string_view>> row;
    if (exists->next(row) && !row.empty() && row[0] && *row[0] == "1") {
      throw IoError(exists->source() + ": table " + scoring.into +
                    " already exists (--replace replaces it)");
    }
  }
  try {
    execute_database(connection, plan.statements);
  } catch (...) {
    const Names names = clickhouse_names(sql, scoring.into);
    try {
      execute_database(connection, {"DROP TABLE IF EXISTS " + names.into,
                                    "DROP TABLE IF EXISTS " + names.terms});
    } catch (...) {
      // The first error is the one to report.
    }
    throw;
  }
  return plan;
}

}  // namespace clvkit
