// `clvkit sql score`: the scores table the engine (PostgreSQL, ClickHouse) computes itself must
// hold, customer by customer, what `clvkit predict` writes for the same rows with the same model
// file: ids, days, counts, scores, segment exactly; spends, P(alive), expected purchases and
// values to 1e-9 relative. Across schemes (quantile, thresholds, average spend), models (BG/NBD
// and MBG/NBD with P(alive) in SQL, Pareto/NBD with it from the terms table), value options and
// ingest options; then what a failed or refused run leaves behind (nothing).

#include <catch2/catch.hpp>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "clickhouse_server.hpp"
#include "clvkit/io/database_rows.hpp"
#include "clvkit/io/sql_dialect.hpp"
#include "clvkit/rfm/segments.hpp"
#include "database_checks.hpp"
#include "postgres_server.hpp"
#include "sharded_servers.hpp"

namespace clvkit::test {
namespace {

// The scores table's columns, in predict's CSV order (predict's churn_priority is not there).
const std::vector<std::string> kColumns = {"customer_id",
                                           "first_purchase",
                                           "last_purchase",
                                           "purchase_days",
                                           "frequency",
                                           "recency",
                                           "T",
                                           "days_since_last",
                                           "total_spend",
                                           "monetary",
                                           "avg_spend",
                                           "r_score",
                                           "f_score",
                                           "m_score",
                                           "rfm_cell",
                                           "segment",
                                           "p_alive",
                                           "expected_purchases",
                                           "expected_avg_spend",
                                           "clv",
                                           "clv_if_alive",
                                           "value_at_risk"};
const std::vector<std::string> kExact = {
    "customer_id", "first_purchase",  "last_purchase", "purchase_days", "frequency", "recency",
    "T",           "days_since_last", "r_score",       "f_score",       "m_score",   "rfm_cell",
    "segment"};

bool is_exact(const std::string& column) {
  return std::find(kExact.begin(), kExact.end(), column) != kExact.end();
}

// Every row of `table` against predict's records `expected` (by customer id); with `skip`, the
// columns it names are left out.
void require_scores_equal(const std::string& url, const std::string& table,
                          const RecordsById& expected, const std::vector<std::string>& skip = {}) {
  const SqlDialect sql = sql_dialect(url);
  std::string list;
  for (const std::string& column : kColumns) list += (list.empty() ? "" : ", ") + sql.quote(column);
  const auto rows = query_database({url, ""}, "SELECT " + list + " FROM " + sql.table(table));
  std::vector<std::optional<std::string_view>> values;
  std::size_t count = 0;
  while (rows->next(values)) {
    ++count;
    REQUIRE(values.size() == kColumns.size());
    REQUIRE(values[0]);
    const std::string id(*values[0]);
    CAPTURE(id);
    const auto found = expected.find(id);
    REQUIRE(found != expected.end());
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
      CAPTURE(kColumns[i]);
      REQUIRE(values[i]);
      if (std::find(skip.begin(), skip.end(), kColumns[i]) != skip.end()) continue;
      const std::string got(*values[i]);
      const std::string& want = found->second.at(kColumns[i]);
      CAPTURE(got, want);
      if (is_exact(kColumns[i])) {
        REQUIRE(got == want);
        continue;
      }
      const double g = std::stod(got);
      const double w = std::stod(want);
      REQUIRE(std::isfinite(g));
      const double error = std::abs(g - w) / std::max(std::abs(w), 1e-300);
      if (std::abs(w) < 1e-12) {
        REQUIRE(std::abs(g) < 1e-12);
      } else {
        REQUIRE(error <= 1e-9);
      }
    }
  }
  REQUIRE(count == expected.size());
}

struct Case {
  std::string model;    // the model file's --model
  std::string options;  // options of both predict and sql score
};

const std::vector<Case> kCases = {
    {"bgnbd", ""},
    {"bgnbd", " --segments rfm11-thresholds --horizon 39w --margin 0.3"},
    {"bgnbd", " --segments rfm8 --monetary average --monthly-discount-rate 0.01"},
    {"bgnbd", " --as-of 1998-03-31 --returns drop --horizon lifetime"},
    {"mbgnbd", " --bins 5 --horizon 6m"},
    {"pnbd", " --segments rfm11-thresholds"},
};

// Fits each case's model on CDNOW, then runs predict on the CSV and sql score on `url`'s table
// `tx` (CDNOW loaded), and compares.
void require_sql_score_equals_predict(const std::string& url, const std::vector<Case>& cases) {
  TempDir dir;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    CAPTURE(url, c.model, c.options);
    const std::string model = dir.file(c.model + ".json");
    REQUIRE(run_cli("fit " + kCdnow + " --model " + c.model + " -q -o " + model, dir).exit_code ==
            0);
    const std::string csv = dir.file("predict.csv");
    const CliResult predicted = run_cli(
        "predict " + kCdnow + " --model " + model + c.options + " --format csv -o " + csv, dir);
    CAPTURE(predicted.err);
    REQUIRE(predicted.exit_code == 0);
    const std::string table = "scores_" + std::to_string(k);
    const CliResult scored = run_cli(
        "sql score " + url + " --table tx --model " + model + c.options + " --into " + table, dir);
    CAPTURE(scored.out, scored.err);
    REQUIRE(scored.exit_code == 0);
    REQUIRE(scored.out.find("scored 2357 customers") != std::string::npos);
    require_scores_equal(url, table, read_csv_by_id(read_text(csv)));
  }
}

// The quantile at `level` of ascending `sorted` as each engine defines it: PostgreSQL's
// percentile_disc the first value whose cumulative share reaches the level (row ceil(level *
// n)), ClickHouse's quantileExact the value at 0-based index floor(level * n).
double engine_quantile(const std::vector<double>& sorted, double level, bool clickhouse) {
  const double n = static_cast<double>(sorted.size());
  const auto row =
      clickhouse ? static_cast<std::size_t>(level * n)
                 : std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(level * n))) - 1;
  return sorted[std::min(row, sorted.size() - 1)];
}

// `sql score --edges engine`: the scores are 1 + the engine's quantiles below the value, worked
// out here from predict's values; the segment is the scheme's for them; the rest is predict's.
void require_engine_edges(const std::string& url) {
  TempDir dir;
  const std::string model = dir.file("model.json");
  REQUIRE(run_cli("fit " + kCdnow + " -q -o " + model, dir).exit_code == 0);
  const std::string csv = dir.file("predict.csv");
  REQUIRE(run_cli("predict " + kCdnow + " --model " + model + " --format csv -o " + csv, dir)
              .exit_code == 0);
  const CliResult scored = run_cli(
      "sql score " + url + " --table tx --model " + model + " --edges engine --into scores", dir);
  CAPTURE(scored.err);
  REQUIRE(scored.exit_code == 0);
  const RecordsById expected = read_csv_by_id(read_text(csv));
  require_scores_equal(url, "scores", expected,
                       {"r_score", "f_score", "m_score", "rfm_cell", "segment"});
  // Each dimension's values over all customers, and each customer's.
  const auto value = [](const std::map<std::string, std::string>& record, int dimension) {
    return dimension == 0   ? -std::stod(record.at("days_since_last"))
           : dimension == 1 ? std::stod(record.at("purchase_days"))
                            : std::stod(record.at("total_spend"));
  };
  std::vector<std::vector<double>> edges(3);
  for (int d = 0; d < 3; ++d) {
    std::vector<double> sorted;
    for (const auto& [id, record] : expected) sorted.push_back(value(record, d));
    std::sort(sorted.begin(), sorted.end());
    for (int k = 1; k < 5; ++k) {
      edges[d].push_back(engine_quantile(sorted, k / 5.0, sql_dialect(url).clickhouse));
    }
  }
  const SegmentScheme scheme = load_segment_scheme("rfm11");
  const auto rows = query_database(
      {url, ""}, "SELECT customer_id, r_score, f_score, m_score, segment FROM scores");
  std::vector<std::optional<std::string_view>> row;
  std::set<int> used;
  while (rows->next(row)) {
    const auto& record = expected.at(std::string(*row[0]));
    int score[3];
    for (int d = 0; d < 3; ++d) {
      score[d] = 1;
      for (const double edge : edges[d]) score[d] += edge < value(record, d) ? 1 : 0;
      CAPTURE(*row[0], d);
      REQUIRE(std::stoi(std::string(*row[1 + d])) == score[d]);
      used.insert(score[d]);
    }
    const RfmScore cell{static_cast<std::uint8_t>(score[0]), static_cast<std::uint8_t>(score[1]),
                        static_cast<std::uint8_t>(score[2])};
    REQUIRE(*row[4] == scheme.segments()[static_cast<std::size_t>(scheme.segment_of(cell))].name);
  }
  REQUIRE(used.size() == 5);  // not a trivial scoring
}

TEST_CASE("clvkit sql score --edges engine scores by the engine's own quantiles",
          "[db][postgres][clickhouse][sql-score]") {
  SECTION("PostgreSQL") {
    PostgresServer server;
    server.load_csv("tx", "customer_id bigint, date date, amount numeric(12, 2)", kCdnow);
    require_engine_edges(server.url());
  }
  SECTION("ClickHouse") {
    ClickHouseServer server;
    server.load_csv("tx", "customer_id String, date Date, amount Decimal(12, 2)", kCdnow);
    require_engine_edges(server.url());
  }
}

TEST_CASE("clvkit sql score in PostgreSQL writes what clvkit predict writes",
          "[db][postgres][sql-score]") {
  PostgresServer server;
  server.load_csv("tx", "customer_id bigint, date date, amount numeric(12, 2)", kCdnow);
  require_sql_score_equals_predict(server.url(), kCases);
}

TEST_CASE("clvkit sql score in ClickHouse writes what clvkit predict writes",
          "[db][clickhouse][sql-score]") {
  ClickHouseServer server;
  server.load_csv("tx", "customer_id String, date Date, amount Decimal(12, 2)", kCdnow);
  require_sql_score_equals_predict(server.url(), kCases);
  // Nothing of the work is left but the tables asked for.
  const auto tables = query_database({server.url(), ""}, "SHOW TABLES");
  std::vector<std::optional<std::string_view>> row;
  while (tables->next(row)) REQUIRE(row[0]->find("__clvkit") == std::string_view::npos);
}

// Over a table sharded on two servers (sharded_servers.hpp), through the coordinator: the same
// scores as on one server.
TEST_CASE("clvkit sql score over two shards writes what clvkit predict writes",
          "[db][postgres][clickhouse][sharded][sql-score]") {
  const std::vector<Case> cases = {kCases[0], kCases[5]};
  SECTION("ClickHouse, a Distributed table") {
    ShardedClickHouse cluster;
    cluster.load_csv("tx", "customer_id String, date Date, amount Decimal(12, 2)", kCdnow);
    require_sql_score_equals_predict(cluster.url(), cases);
  }
  SECTION("PostgreSQL, partitions on postgres_fdw") {
    ShardedPostgres cluster;
    cluster.load_csv("tx", "customer_id text, date date, amount numeric(12, 2)", kCdnow);
    require_sql_score_equals_predict(cluster.url(), cases);
  }
}

// A second run into the same table is refused (exit 4) unless --replace; a failing run (a
// missing column) exits 4 and leaves no table; --dry-run writes the script and changes nothing.
template <class Server>
void require_refusals_leave_nothing(const Server& server) {
  TempDir dir;
  const std::string url = server.url();
  const std::string model = dir.file("model.json");
  REQUIRE(run_cli("fit " + kCdnow + " -q -o " + model, dir).exit_code == 0);
  const std::string score = "sql score " + url + " --table tx --model " + model + " --into scores";
  REQUIRE(run_cli(score, dir).exit_code == 0);
  const CliResult again = run_cli(score, dir);
  CAPTURE(again.err);
  REQUIRE(again.exit_code == 4);
  REQUIRE(again.err.find("already exists") != std::string::npos);
  REQUIRE(run_cli(score + " --replace --segments rfm8", dir).exit_code == 0);
  const auto segment = [&url] {
    const auto rows = query_database({url, ""}, "SELECT min(segment) FROM scores");
    std::vector<std::optional<std::string_view>> row;
    REQUIRE(rows->next(row));
    return std::string(*row[0]);
  };
  const std::string rfm8_first = segment();
  const CliResult missing = run_cli(
      "sql score " + url + " --table tx --amount-col price --model " + model + " --into broken",
      dir);
  CAPTURE(missing.err);
  REQUIRE(missing.exit_code == 4);
  const std::string script = dir.file("score.sql");
  const CliResult dry = run_cli(score + " --replace --dry-run --script " + script, dir);
  CAPTURE(dry.err, dry.out);
  REQUIRE(dry.exit_code == 0);
  REQUIRE(dry.out.find("planned scoring 2357 customers") != std::string::npos);
  REQUIRE(read_text(script).find("INSERT INTO") != std::string::npos);
  REQUIRE(segment() == rfm8_first);  // the dry run replaced nothing
  const auto tables = query_database(
      {url, ""}, sql_dialect(url).clickhouse
                     ? "SELECT name FROM system.tables WHERE database = currentDatabase()"
                     : "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
  std::vector<std::string> names;
  std::vector<std::optional<std::string_view>> row;
  while (tables->next(row)) names.emplace_back(*row[0]);
  std::sort(names.begin(), names.end());
  REQUIRE(names == std::vector<std::string>{"scores", "tx"});
}

TEST_CASE("clvkit sql score refuses an existing table, and a failed run leaves nothing",
          "[db][postgres][clickhouse][sql-score][errors]") {
  SECTION("PostgreSQL") {
    PostgresServer server;
    server.load_csv("tx", "customer_id bigint, date date, amount numeric(12, 2)", kCdnow);
    require_refusals_leave_nothing(server);
  }
  SECTION("ClickHouse") {
    ClickHouseServer server;
    server.load_csv("tx", "customer_id String, date Date, amount Decimal(12, 2)", kCdnow);
    require_refusals_leave_nothing(server);
  }
}

}  // namespace
}  // namespace clvkit::test
