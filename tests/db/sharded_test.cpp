// The distributed test of issue 15: a log hash-sharded over two servers of each engine
// (sharded_servers.hpp: a ClickHouse Distributed table over two shards; PostgreSQL partitions on
// two servers joined by postgres_fdw), read through the coordinator. On CDNOW and on a simulated
// log of 304,806 rows: `clvkit run` with and without pushdown writes the CSV run's records and
// metadata byte for byte (but for the source), and `fit --patterns-from` the model file of
// `fit LOG` to the bit. And what PostgreSQL's planner does with the statements: where the
// aggregation runs (EXPLAIN VERBOSE).

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "clvkit/summary/database_ingest.hpp"
#include "database_checks.hpp"
#include "sharded_servers.hpp"

namespace clvkit::test {
namespace {

// The simulated log of the patterns tests: 96,000 customers, 304,806 rows.
std::string simulated_log(const TempDir& dir) {
  const std::string log = dir.file("sim.csv");
  REQUIRE(run_cli("simulate --customers 96000 --seed 11 --quiet -o " + log, dir).exit_code == 0);
  return log;
}

// The data rows of a CSV file (its lines but the header).
std::int64_t data_rows(const std::string& csv_path) {
  const std::string text = read_text(csv_path);
  std::int64_t lines = 0;
  for (const char c : text) lines += c == '\n';
  return lines - 1;
}

// Each shard holds some of `table`'s rows, and together all of `csv_path`'s.
template <class Cluster>
void require_split_over_shards(const Cluster& cluster, const std::string& table,
                               const std::string& csv_path) {
  std::int64_t total = 0;
  for (int i = 0; i < 2; ++i) {
    const std::int64_t rows =
        std::stoll(cluster.shard(i).query("SELECT count(*) FROM " + table + "_local"));
    CAPTURE(table, i, rows);
    REQUIRE(rows > 0);
    total += rows;
  }
  REQUIRE(total == data_rows(csv_path));
}

// The records, metadata and model files of the sharded `url` against the CSV path's.
void require_sharded_same_as_csv(const TempDir& dir, const std::string& url,
                                 const std::string& sim_log) {
  require_same_records(dir, kCdnow, url, "tx", "");
  require_same_records(dir, kCdnow, url, "tx", " --as-of 1997-09-30 --period week");
  require_same_model_file(dir, kCdnow, url, "tx", "", "");
  require_same_records(dir, sim_log, url, "sim", " --no-model");
  require_same_model_file(dir, sim_log, url, "sim", "", "");
}

TEST_CASE(
    "ClickHouse over two shards: run and fit --patterns-from give the CSV's records and model",
    "[db][clickhouse][sharded][cli][consistency]") {
  ShardedClickHouse cluster;
  TempDir dir;
  const std::string log = simulated_log(dir);
  cluster.load_csv("tx", "customer_id String, date Date, amount Decimal(12, 2)", kCdnow);
  cluster.load_csv("sim", "customer_id UInt64, date Date, amount Decimal(12, 2)", log);
  require_split_over_shards(cluster, "tx", kCdnow);
  require_split_over_shards(cluster, "sim", log);
  require_sharded_same_as_csv(dir, cluster.url(), log);
}

TEST_CASE(
    "PostgreSQL over two shards: run and fit --patterns-from give the CSV's records and model",
    "[db][postgresql][sharded][cli][consistency]") {
  ShardedPostgres cluster;
  TempDir dir;
  const std::string log = simulated_log(dir);
  cluster.load_csv("tx", "customer_id text, date date, amount numeric(12,2)", kCdnow);
  cluster.load_csv("sim", "customer_id bigint, date date, amount numeric(12,2)", log);
  require_split_over_shards(cluster, "tx", kCdnow);
  require_split_over_shards(cluster, "sim", log);
  require_sharded_same_as_csv(dir, cluster.url(), log);
}

// The number of times `part` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++n;
  }
  return n;
}

TEST_CASE("PostgreSQL over two shards: where the planner runs the GROUP BY",
          "[db][postgresql][sharded][explain]") {
  ShardedPostgres cluster;
  cluster.load_csv("tx", "customer_id text, date date, amount numeric(12,2)", kCdnow);
  // The setup works: an aggregate grouped by the partition key runs on each shard, both scanned
  // at once.
  const std::string grouped = cluster.query(
      "EXPLAIN VERBOSE SELECT customer_id, count(*), sum(amount) FROM tx GROUP BY customer_id");
  CAPTURE(grouped);
  REQUIRE(occurrences(grouped, "Async Foreign Scan") == 2);
  REQUIRE(occurrences(grouped, "Relations: Aggregate on") == 2);
  REQUIRE(occurrences(grouped, "FROM public.tx_local GROUP BY 1") == 2);
  // The pushdown statement does not: each shard sends its rows and the coordinator aggregates.
  // The statement reads every value as the text PostgreSQL prints for it (that is what makes its
  // records the CSV path's), and such expressions do not reach the shards: the GROUP BY is of
  // btrim(CAST(customer_id AS text)), not of the partition key; date-to-text is a stable
  // function (DateStyle), which postgres_fdw never ships; a regular expression on the text of a
  // non-text column has a collation postgres_fdw does not trust; and the steps are subqueries
  // with OFFSET 0, which the planner keeps apart. README, "Distributed recipe". When
  // pushdown_summary_sql learns a per-shard form, this check is to be turned around.
  for (const std::string& sql :
       {pushdown_summary_sql(DatabaseSource{cluster.url(), "tx", "", "", true}, IngestOptions{}),
        pushdown_patterns_sql(DatabaseSource{cluster.url(), "tx", "", "", true},
                              IngestOptions{})}) {
    const std::string plan = cluster.query("EXPLAIN VERBOSE " + sql);
    CAPTURE(plan);
    REQUIRE(occurrences(plan, "Async Foreign Scan") == 2);
    REQUIRE(occurrences(
                plan, "Remote SQL: SELECT customer_id, date, amount FROM public.tx_local\n") == 2);
    REQUIRE(occurrences(plan, "Relations: Aggregate on") == 0);
  }
}

}  // namespace
}  // namespace clvkit::test
