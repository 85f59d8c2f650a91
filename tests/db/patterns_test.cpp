// `clvkit fit --patterns-from URL` and database_patterns: the engine (PostgreSQL, ClickHouse)
// sends one row per distinct (x, t_x, T) pattern and (x, repeat spend) pair, and the fit on them
// is the fit on the CSV log's summaries to the bit: the same patterns (doubles, counts, order),
// parameters, log-likelihoods and standard errors, and model files equal but for the fields
// naming the input. On CDNOW under several option sets and on a simulated log of ~300k rows.

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "clickhouse_server.hpp"
#include "clvkit/io/database_rows.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/summary/database_ingest.hpp"
#include "database_checks.hpp"
#include "postgres_server.hpp"

namespace clvkit::test {
namespace {

// database_patterns of `table` against the CSV ingest of `csv_path` under every option set: the
// patterns of the base, its accounting and the models fitted on both, exactly.
void require_same_patterns_as_csv(const std::string& url, const std::string& table,
                                  const std::string& csv_path) {
  for (const auto& [name, options] : option_sets()) {
    CAPTURE(name, url);
    const CustomerBase csv = ingest_transactions_file(csv_path, options);
    const CustomerPatterns db =
        database_patterns(DatabaseSource{url, table, "", "", true}, options);
    REQUIRE(db.source == url);
    REQUIRE(db.customers == static_cast<std::int64_t>(csv.customers.size()));
    REQUIRE(db.as_of == csv.as_of);
    REQUIRE(db.first_day == csv.first_day);
    REQUIRE(db.last_day == csv.last_day);
    require_same_stats(db.stats, csv.stats);
    // One row per pattern and spend pair, and the accounting row.
    REQUIRE(db.rows_transferred ==
            static_cast<std::int64_t>(db.patterns.size() + db.spend.size()) + 1);
    for (const TimeUnit unit : {TimeUnit::day, TimeUnit::week, TimeUnit::month}) {
      const std::vector<FrequencyRecencyPattern> expected =
          frequency_recency_patterns(csv.customers, unit, 2);
      const std::vector<FrequencyRecencyPattern> got =
          frequency_recency_patterns(db.patterns, unit);
      REQUIRE(got.size() == expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i].x == expected[i].x);
        REQUIRE(got[i].t_x == expected[i].t_x);
        REQUIRE(got[i].T == expected[i].T);
        REQUIRE(got[i].count == expected[i].count);
      }
    }
    std::int64_t csv_excluded = 0;
    std::int64_t db_excluded = 0;
    std::vector<SpendObservation> csv_spend = spend_observations(csv.customers, &csv_excluded);
    std::vector<SpendObservation> db_spend = spend_observations(db.spend, &db_excluded);
    REQUIRE(db_excluded == csv_excluded);
    const auto by_value = [](const SpendObservation& a, const SpendObservation& b) {
      return std::tie(a.x, a.m) < std::tie(b.x, b.m);
    };
    std::sort(csv_spend.begin(), csv_spend.end(), by_value);
    REQUIRE(db_spend.size() == csv_spend.size());
    for (std::size_t i = 0; i < db_spend.size(); ++i) {
      REQUIRE(db_spend[i].x == csv_spend[i].x);
      REQUIRE(db_spend[i].m == csv_spend[i].m);
    }
    if (options.period) continue;  // BG/NBD and Gamma-Gamma fits below, on days
    FitOptions fit;
    fit.threads = 2;
    const FittedModels from_csv = fit_customer_models(csv.customers, TimeUnit::week, fit);
    const FittedModels from_db = fit_customer_models(db, TimeUnit::week, fit);
    // Parameters, standard errors, log-likelihoods, everything the model file says, exactly.
    REQUIRE(models_metadata(from_db).dump() == models_metadata(from_csv).dump());
  }
}

// The CLI on CDNOW (with and without --as-of) and on the simulated log; on the latter, what
// travels: the patterns compress_patterns makes of the CSV path's summaries, far fewer rows than
// customers.
template <class Server>
void require_cli_fits_on_patterns(Server& server, const std::string& log_columns) {
  TempDir dir;
  const std::string url = server.url();
  server.load_csv("tx", log_columns, kCdnow);
  require_same_model_file(dir, kCdnow, url, "tx", "", "");
  require_same_model_file(dir, kCdnow, url, "tx", " --as-of 1997-09-30", " --as-of 1997-09-30");
  require_same_model_file(dir, kCdnow, url, "tx", " --model pnbd --time-unit day", "");
  const std::string log = dir.file("sim.csv");
  REQUIRE(run_cli("simulate --customers 96000 --seed 11 --quiet -o " + log, dir).exit_code == 0);
  server.load_csv("sim", log_columns, log);
  const nlohmann::json fetched = require_same_model_file(dir, log, url, "sim", "", "");
  const CustomerBase base = ingest_transactions_file(log, IngestOptions{});
  REQUIRE(base.stats.rows_used > 250'000);
  std::vector<double> x;
  std::vector<double> t_x;
  std::vector<double> T;
  for (const CustomerSummary& c : base.customers) {
    x.push_back(static_cast<double>(c.frequency));
    t_x.push_back(c.recency / 7.0);
    T.push_back(c.T / 7.0);
  }
  const std::size_t patterns = compress_patterns(x, t_x, T).size();
  REQUIRE(fetched["patterns"] == patterns);
  REQUIRE(fetched["rows_transferred"].get<std::size_t>() ==
          patterns + fetched["spend_pairs"].get<std::size_t>() + 1);
  // On this log (96,000 customers, first purchases spread over the whole window, spend in cents)
  // most (x, t_x, T) are distinct: 45,563 patterns and 33,578 spend pairs. The share falls as
  // customers are added to the same window (the patterns are bounded, the customers are not).
  REQUIRE(fetched["rows_transferred"].get<std::size_t>() < base.customers.size());
  // What the per-customer pushdown moves for the same base, for comparison.
  const std::unique_ptr<DatabaseRows> summaries = query_database(
      {url, ""}, pushdown_summary_sql(DatabaseSource{url, "sim", "", "", true}, IngestOptions{}));
  std::vector<std::optional<std::string_view>> values;
  std::size_t summary_rows = 0;
  while (summaries->next(values)) ++summary_rows;
  REQUIRE(summary_rows == base.customers.size() + 1);
  REQUIRE(fetched["bytes_transferred"].get<std::size_t>() < summaries->bytes_received());
  WARN("per-customer pushdown: " << summary_rows << " rows, " << summaries->bytes_received()
                                 << " bytes");
  WARN("simulated log: " << base.stats.rows_used << " rows, " << base.customers.size()
                         << " customers, " << patterns << " patterns, " << fetched["spend_pairs"]
                         << " spend pairs, " << fetched["rows_transferred"]
                         << " rows transferred, " << fetched["bytes_transferred"] << " bytes");
}

TEST_CASE("PostgreSQL patterns are the CSV path's patterns, and fit the same models exactly",
          "[db][postgresql][patterns]") {
  PostgresServer server;
  server.load_csv("tx", "customer_id text, date date, amount numeric(12,2)", kCdnow);
  require_same_patterns_as_csv(server.url(), "tx", kCdnow);
}

TEST_CASE("ClickHouse patterns are the CSV path's patterns, and fit the same models exactly",
          "[db][clickhouse][patterns]") {
  ClickHouseServer server;
  server.load_csv("tx", "customer_id String, date Date, amount Decimal(12, 2)", kCdnow);
  require_same_patterns_as_csv(server.url(), "tx", kCdnow);
}

TEST_CASE("clvkit fit --patterns-from PostgreSQL writes the model file of clvkit fit LOG",
          "[db][postgresql][patterns][cli]") {
  PostgresServer server;
  require_cli_fits_on_patterns(server, "customer_id text, date date, amount numeric(12,2)");
}

TEST_CASE("clvkit fit --patterns-from ClickHouse writes the model file of clvkit fit LOG",
          "[db][clickhouse][patterns][cli]") {
  ClickHouseServer server;
  require_cli_fits_on_patterns(server, "customer_id String, date Date, amount Decimal(12, 2)");
}

}  // namespace
}  // namespace clvkit::test
