// The PostgreSQL source against the CSV path: the customer base computed by the database
// (pushdown) and the one from its rows streamed through the CSV ingest are the CSV ingest's own
// on the same rows, field for field and row for row, under every policy. Each test case starts
// its own server (postgres_server.hpp).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/summary/database_ingest.hpp"
#include "clvkit/summary/ingest.hpp"
#include "database_checks.hpp"
#include "postgres_server.hpp"

namespace clvkit::test {
namespace {

// kBadRows written to `dir` (its path is returned) and loaded into table "bad" as text columns.
std::string load_bad_rows(const PostgresServer& server, const TempDir& dir) {
  const std::string csv_path = dir.file("bad.csv");
  write_text(csv_path, kBadRows);
  server.load_csv("bad", "customer_id text, date text, amount text", csv_path);
  return csv_path;
}

TEST_CASE("PostgreSQL pushdown and streamed rows give CDNOW's CSV customer base exactly",
          "[db][consistency]") {
  PostgresServer server;
  // Typed columns (date, numeric) and other types (bigint ids, timestamps, double amounts)
  // print as the CSV has them.
  server.load_csv("tx", "customer_id text, date date, amount numeric(12,2)", kCdnow);
  server.load_csv("tx_typed", "customer_id bigint, date timestamp, amount double precision",
                  kCdnow);
  require_same_as_csv(server.url(), "tx", kCdnow);
  require_same_as_csv(server.url(), "public.tx_typed", kCdnow);
}

TEST_CASE(
    "PostgreSQL rows that are bad, returns or zero are counted and summed as the CSV path does",
    "[db][consistency][inputcheck]") {
  PostgresServer server;
  TempDir dir;
  const std::string csv_path = load_bad_rows(server, dir);
  require_same_as_csv(server.url(), "bad", csv_path);

  require_bad_rows_summary(server.url(), "bad");
}

TEST_CASE("PostgreSQL bad rows and fail policies stop the read as the CSV path does",
          "[db][inputcheck]") {
  PostgresServer server;
  TempDir dir;
  const std::string csv_path = load_bad_rows(server, dir);
  DatabaseSource source{server.url(), "bad", "", "", true};
  // Pushdown counts the rows by reason; the streamed rows name the first one, as the CSV does.
  const auto require_stop = [&](const IngestOptions& options, const std::string& message) {
    REQUIRE_THROWS_MATCHES(ingest_database(source, options), InputError,
                           Catch::Message(server.url() + message));
  };
  const IngestOptions fail;
  require_stop(fail,
               ": rows 3 with a NULL or empty customer id in column 'customer_id', 6 with a NULL "
               "or unparsable date in column 'date', 4 with a NULL, unparsable or out of range "
               "(|amount| >= 1e12) amount in column 'amount' (--on-bad-row skip counts and skips "
               "them; --no-pushdown names the first)");
  source.pushdown = false;
  require_stop(fail, ":11:1: empty customer id in column 'customer_id'");
  source.pushdown = true;
  IngestOptions returns;
  returns.on_bad_row = BadRowPolicy::skip;
  returns.returns = ReturnsPolicy::fail;
  require_stop(returns, ": 7 rows with a negative amount (returns=fail)");
  IngestOptions zero;
  zero.on_bad_row = BadRowPolicy::skip;
  zero.zero_amounts = ZeroAmountPolicy::fail;
  require_stop(zero, ": 2 rows with a zero amount (zero-amounts=fail)");
}

TEST_CASE("PostgreSQL --query rows, a password given apart, and the SQL's own checks",
          "[db][inputcheck]") {
  PostgresServer server;
  server.load_csv("tx", "customer_id text, date date, amount numeric(12,2)", kCdnow);
  server.sql("GRANT SELECT ON tx TO analyst;");
  IngestOptions options;
  const CustomerBase csv = ingest_transactions_file(kCdnow, options);
  DatabaseSource source;
  source.url = server.url("analyst");
  source.password = kPassword;  // what --password-file gives
  source.query =
      "SELECT customer_id AS customer_id, date, amount FROM tx WHERE amount IS NOT NULL;";
  require_same_base(ingest_database(source, options), csv);
  source.table = "tx";
  REQUIRE_THROWS_AS(ingest_database(source, options), UsageError);  // both table and query
  source.table.clear();
  source.query.clear();
  REQUIRE_THROWS_AS(ingest_database(source, options), UsageError);  // neither
  source.table = "tx";
  options.date_format = "%Y%m%d";
  REQUIRE_THROWS_WITH(ingest_database(source, options),
                      Catch::Contains("--date-format %Y%m%d is applied by clvkit"));
  source.pushdown = false;  // the streamed rows go through DateParser: no date matches
  options.on_bad_row = BadRowPolicy::skip;
  REQUIRE_THROWS_WITH(ingest_database(source, options),
                      Catch::Contains("no customer has a purchase day"));
}

}  // namespace
}  // namespace clvkit::test
