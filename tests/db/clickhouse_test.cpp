// The ClickHouse source (HTTP interface) against the CSV path, as the PostgreSQL tests hold the
// PostgreSQL source to it: the same customer bases with and without pushdown under every option
// set, the hand-made bad rows, the CLI's records byte for byte on CDNOW and on a simulated
// 1M-row log, credentials never shown, and failures that exit 4 with no output. Each test case
// starts its own server (clickhouse_server.hpp).

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "clickhouse_server.hpp"
#include "clvkit/error.hpp"
#include "clvkit/summary/database_ingest.hpp"
#include "database_checks.hpp"

namespace clvkit::test {
namespace {

const char* kTypedColumns = "customer_id String, date Date, amount Decimal(12, 2)";

TEST_CASE("ClickHouse pushdown and streamed rows give the CSV path's customer bases exactly",
          "[db][clickhouse][consistency]") {
  ClickHouseServer server;
  TempDir dir;
  server.load_csv("tx", kTypedColumns, kCdnow);
  server.load_csv("tx_typed", "customer_id UInt64, date Date, amount Float64", kCdnow);
  server.sql(
      "CREATE TABLE tx_time ENGINE = Log AS SELECT customer_id, toDateTime(date) AS date, "
      "amount FROM tx_typed");
  require_same_as_csv(server.url(), "tx", kCdnow);
  require_same_as_csv(server.url(), "default.tx_typed", kCdnow);
  require_same_as_csv(server.url(), "tx_time", kCdnow);
  // The bad rows as nullable text, as they are (summarised by hand), and with NULLs added
  // apart (CSV loads empty fields as ''), their CSV form (an empty field) appended to the log
  // the CSV path reads.
  const char* text_columns =
      "customer_id Nullable(String), date Nullable(String), amount Nullable(String)";
  const std::string bad = dir.file("bad.csv");
  write_text(bad, kBadRows);
  server.load_csv("hand", text_columns, bad);
  require_bad_rows_summary(server.url(), "hand");
  server.load_csv("bad", text_columns, bad);
  server.sql(
      "INSERT INTO bad VALUES (NULL, '1997-01-01', '3.00'), ('9', NULL, '1.00'), "
      "('9', '1997-01-01', NULL)");
  write_text(bad, std::string(kBadRows) + ",1997-01-01,3.00\n9,,1.00\n9,1997-01-01,\n");
  require_same_as_csv(server.url(), "bad", bad);
}

TEST_CASE(
    "clvkit run on ClickHouse writes the CSV run's records byte for byte on 1M rows and CDNOW",
    "[db][clickhouse][cli][consistency]") {
  ClickHouseServer server;
  TempDir dir;
  const std::string log = simulated_million_rows(dir);
  server.load_csv("sim", "customer_id UInt64, date Date, amount Decimal(12, 2)", log);
  server.load_csv("tx", kTypedColumns, kCdnow);
  require_same_records(dir, log, server.url(), "sim", " --no-model");
  require_same_records(dir, kCdnow, server.url(), "tx", "");
}

TEST_CASE("ClickHouse credentials are never shown and failures exit 4 with no output",
          "[db][clickhouse][cli][credentials][errors]") {
  ClickHouseServer server;
  server.load_csv("tx", kTypedColumns, kCdnow);
  TempDir dir;
  const std::string out = dir.file("records.csv");
  const std::string rest = " --no-model --format csv -q -o " + out;
  const std::string args = " --table tx" + rest;
  const std::string host = "127.0.0.1:" + std::to_string(server.http_port());
  const std::string plain = "clickhouse://analyst@" + host + "/default";
  const auto require_secret_kept = [&](const CliResult& result) {
    for (const std::string& text :
         {result.out, result.err, read_text(out), read_text(out + ".meta.json")}) {
      REQUIRE(text.find("s3cret") == std::string::npos);
    }
  };
  const CliResult in_url =
      run_cli("run 'clickhouse://analyst:Sup3r%20s3cret%26pw@" + host + "/default'" + args, dir);
  CAPTURE(in_url.err);
  REQUIRE(in_url.exit_code == 0);
  REQUIRE_THAT(read_text(out + ".meta.json"), Catch::Contains("\"source\": \"" + plain + "\""));
  require_secret_kept(in_url);
  write_text(dir.file("password"), std::string(kPassword) + "\n");
  std::filesystem::remove(out);
  const CliResult in_file =
      run_cli("run " + plain + args + " --password-file " + dir.file("password"), dir);
  REQUIRE(in_file.exit_code == 0);
  require_secret_kept(in_file);
  std::filesystem::remove(out);
  std::filesystem::remove(out + ".meta.json");

  const auto require_io_error = [&](const std::string& arguments, const std::string& message) {
    const CliResult result = run_cli(arguments, dir);
    CAPTURE(arguments, result.err);
    REQUIRE(result.exit_code == 4);
    REQUIRE_THAT(result.err,
                 Catch::StartsWith("clvkit: error: clickhouse://") && Catch::Contains(message));
    require_secret_kept(result);
    REQUIRE(!std::filesystem::exists(out));
  };
  require_io_error("run 'clickhouse://analyst:s3cretWrong@" + host + "/default'" + args,
                   plain + ": Code: 193, e.displayText() = DB::Exception: Wrong password");
  const std::string url = server.url();
  require_io_error(
      "run clickhouse://127.0.0.1:" + std::to_string(free_loopback_port()) + "/default" + args,
      "Couldn't connect to server");
  require_io_error("run " + url + rest + " --table nope", "Table default.nope doesn't exist");
  require_io_error("run " + url + args + " --amount-col price", "price");
  require_io_error("run " + url + args + " --amount-col price --no-pushdown", "price");
  require_io_error("run " + url +
                       " --query 'SELECT customer_id, date, throwIf(amount > 0) AS amount FROM "
                       "tx'" +
                       rest,
                   "throwIf");
}

TEST_CASE("ClickHouse dying under a running command: exit 4 and no output",
          "[db][clickhouse][cli][errors]") {
  ClickHouseServer server;
  TempDir dir;
  const std::string out = dir.file("records.csv");
  // Two billion rows: the server is still at work when it is killed, 2 s in.
  const std::string slow =
      " --query 'SELECT toString(number % 1000) AS customer_id, toDate('\\''1997-01-01'\\'') + "
      "number % 365 AS date, toDecimal64(number % 7, 2) AS amount FROM system.numbers LIMIT "
      "2000000000' --no-model -q -o " +
      out;
  const std::string mode = GENERATE(std::string(""), std::string(" --no-pushdown"));
  CAPTURE(mode);
  std::thread killer([&server] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    server.kill();
  });
  const auto start = std::chrono::steady_clock::now();
  const CliResult died = run_cli("run " + server.url() + slow + mode, dir);
  killer.join();
  CAPTURE(died.err);
  REQUIRE(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
  REQUIRE(died.exit_code == 4);
  REQUIRE_THAT(died.err, Catch::StartsWith("clvkit: error: " + server.url() +
                                           ": lost the connection to the server"));
  REQUIRE(!std::filesystem::exists(out));
}

}  // namespace
}  // namespace clvkit::test
