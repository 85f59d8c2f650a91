// The PostgreSQL source against the CSV path: the customer base computed by the database
// (pushdown) and the one from its rows streamed through the CSV ingest are the CSV ingest's own
// on the same rows, field for field and row for row, under every policy. Each test case starts
// its own server (postgres_server.hpp).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../support/customer_bases.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/summary/database_ingest.hpp"
#include "clvkit/summary/ingest.hpp"
#include "postgres_server.hpp"

namespace clvkit::test {
namespace {

const std::string kCdnow = std::string(CLVKIT_TEST_SOURCE_DIR) + "/data/cdnow.csv";

// A log of hand-made rows, good and bad, as a CSV file that PostgreSQL loads into a table of
// text columns (an empty unquoted field loads as NULL, a quoted one as ''; the CSV ingest reads
// both as an empty field).
const char* kBadRows =
    "customer_id,date,amount\n"
    "1,1997-01-01,10.00\n"
    "1,1997-01-01,-2.50\n"  // a return on the first purchase day
    "1,1996-12-31,-1.00\n"  // a return before the first purchase
    "1,1997-01-05,0\n"      // zero: a purchase occasion under keep
    "1,1997-01-09,+5\n"
    "1,1997-01-09,5.\n"
    "1,1997-02-01,12.3456789\n"  // rounded to millionths: 12.345679
    "1,1997-03-01T10:00:00Z,.5\n"
    "1,1997-03-02 23:59:60.5+05:30,-.5\n"  // a return: no purchase day
    ",1997-01-01,3.00\n"                   // NULL id
    "\"\",1997-01-01,3.00\n"               // empty id
    "\"   \",1997-01-01,3.00\n"            // blank id
    "\" 2 \",1997-01-02,4.00\n"            // id 2 once trimmed
    "2,1997-01-03,\t4.00 \n"               // amount trimmed of tabs and spaces
    "2,,1.00\n"                            // NULL date
    "2,1997-02-30,1.00\n"
    "2,1997-13-01,1.00\n"
    "2,19970101,1.00\n"
    "2,1997-01-01 24:00,1.00\n"
    "2,1997-01-01 10:00+24:00,1.00\n"
    "2,\"1997-01-11\t\",1.00\n"  // date trimmed of a tab
    "2,1997-01-04,\n"            // NULL amount
    "2,1997-01-04,abc\n"
    "2,1997-01-04,1e5\n"
    "2,1997-01-04,1000000000000\n"
    "2,1997-01-04,-999999999999.99\n"
    "2,1997-01-04,999999999999.99\n"
    "\"a,b\",1997-01-06,7.25\n"
    "\"say \"\"hi\"\"\",1997-01-07,1.10\n"
    "3,1997-01-08,-4.00\n"  // only returns: no purchase day
    "4,1998-06-01,9.99\n"
    "4,1997-06-01,-0.00\n"       // zero, written negative
    "5,1997-06-01,0.0000001\n"   // positive, 0 millionths
    "6,1997-06-02,-0.0000001\n"  // a return of 0 millionths
    "7,1969-12-31,1.00\n"        // before day 0, and a first day with negative spend
    "7,1969-12-31,-5.00\n"
    "7,1970-01-02,2.00\n";

// kBadRows written to `dir` (its path is returned) and loaded into table "bad" as text columns.
std::string load_bad_rows(const PostgresServer& server, const TempDir& dir) {
  const std::string csv_path = dir.file("bad.csv");
  write_text(csv_path, kBadRows);
  server.load_csv("bad", "customer_id text, date text, amount text", csv_path);
  return csv_path;
}

// The option sets every comparison runs under.
std::vector<std::pair<std::string, IngestOptions>> option_sets() {
  IngestOptions skip;
  skip.on_bad_row = BadRowPolicy::skip;
  IngestOptions as_of = skip;
  as_of.as_of = parse_iso_date_or_throw("1997-09-30", "as-of");
  IngestOptions drop = as_of;
  drop.returns = ReturnsPolicy::drop;
  drop.zero_amounts = ZeroAmountPolicy::drop;
  std::vector<std::pair<std::string, IngestOptions>> sets = {
      {"defaults, bad rows skipped", skip},
      {"as-of 1997-09-30", as_of},
      {"returns and zero amounts dropped", drop}};
  const auto by = [&sets](const std::string& name, IngestOptions options, Period period) {
    options.period = period;
    sets.emplace_back(name, options);
  };
  by("by week, as-of 1997-09-30", as_of, Period::week);
  by("by month", skip, Period::month);
  by("by quarter, as-of 1997-09-30", as_of, Period::quarter);
  skip.threads = 3;
  by("by year, 3 threads", skip, Period::year);
  return sets;
}

// Both database paths against the CSV ingest of `csv_path`, under every option set.
void require_same_as_csv(const PostgresServer& server, const std::string& table,
                         const std::string& csv_path) {
  for (const auto& [name, options] : option_sets()) {
    CAPTURE(name, table);
    const CustomerBase csv = ingest_transactions_file(csv_path, options);
    for (const bool pushdown : {true, false}) {
      CAPTURE(pushdown);
      DatabaseSource source;
      source.url = server.url();
      source.table = table;
      source.pushdown = pushdown;
      CustomerBase db = ingest_database(source, options);
      REQUIRE(db.source == server.url());
      require_same_base(db, csv);
    }
  }
}

TEST_CASE("PostgreSQL pushdown and streamed rows give CDNOW's CSV customer base exactly",
          "[db][consistency]") {
  PostgresServer server;
  // Typed columns (date, numeric) and other types (bigint ids, timestamps, double amounts)
  // print as the CSV has them.
  server.load_csv("tx", "customer_id text, date date, amount numeric(12,2)", kCdnow);
  server.load_csv("tx_typed", "customer_id bigint, date timestamp, amount double precision",
                  kCdnow);
  require_same_as_csv(server, "tx", kCdnow);
  require_same_as_csv(server, "public.tx_typed", kCdnow);
}

TEST_CASE(
    "PostgreSQL rows that are bad, returns or zero are counted and summed as the CSV path does",
    "[db][consistency][inputcheck]") {
  PostgresServer server;
  TempDir dir;
  const std::string csv_path = load_bad_rows(server, dir);
  require_same_as_csv(server, "bad", csv_path);

  // By hand, customer 1 under the defaults: purchase days 01-01, 01-05, 01-09, 02-01, 03-01;
  // net spend 10 - 2.5 - 1 + 0 + 5 + 5 + 12.345679 + 0.5 - 0.5 = 28.845679, of which 7.5 on the
  // first purchase day; rows: NULL, empty and blank ids, six bad dates, four bad amounts.
  IngestOptions skip;
  skip.on_bad_row = BadRowPolicy::skip;
  DatabaseSource source{server.url(), "bad", "", "", true};
  const CustomerBase base = ingest_database(source, skip);
  REQUIRE(base.customers.size() == 7);  // 1, 2, 4, 5, 7, "a,b", "say \"hi\""
  const CustomerSummary& one = base.customers[0];
  REQUIRE(one.id == "1");
  REQUIRE(one.purchase_days == 5);
  REQUIRE(one.first_purchase == days_from_civil(1997, 1, 1));
  REQUIRE(one.last_purchase == days_from_civil(1997, 3, 1));
  REQUIRE(one.total_spend == 28.845679);
  REQUIRE(one.monetary == (28845679.0 - 7500000.0) / (1e6 * 4));
  // Customer 7: spend 1 - 5 on its first purchase day, 2 on its second.
  const CustomerSummary& seven = base.customers[4];
  REQUIRE(seven.id == "7");
  REQUIRE(seven.first_purchase == -1);
  REQUIRE(seven.total_spend == -2.0);
  REQUIRE(seven.monetary == 2.0);
  REQUIRE(base.stats.rows_read == 37);
  REQUIRE(base.stats.rejected[static_cast<int>(RejectReason::empty_id)] == 3);
  REQUIRE(base.stats.rejected[static_cast<int>(RejectReason::bad_date)] == 6);
  REQUIRE(base.stats.rejected[static_cast<int>(RejectReason::bad_amount)] == 4);
  REQUIRE(base.stats.customers_without_purchase == 2);  // 3 and 6
  REQUIRE(base.stats.reconciles());
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
