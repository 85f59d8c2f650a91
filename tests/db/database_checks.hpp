#pragma once
// What the database tests check on every engine: the CSV path's customer base from a table's
// rows, with and without pushdown, under a set of option sets; and a log of hand-made rows, good
// and bad, whose summary is known by hand.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "../cli/cli_runner.hpp"
#include "../support/customer_bases.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/summary/database_ingest.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit::test {

/// `text` with every `from` replaced by `to`.
inline std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

inline const std::string kCdnow = std::string(CLVKIT_TEST_SOURCE_DIR) + "/data/cdnow.csv";

// A log of hand-made rows, good and bad, as a CSV file that PostgreSQL loads into a table of
// text columns (an empty unquoted field loads as NULL, a quoted one as ''; the CSV ingest reads
// both as an empty field).
inline const char* kBadRows =
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

// The option sets every comparison runs under.
inline std::vector<std::pair<std::string, IngestOptions>> option_sets() {
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
inline void require_same_as_csv(const std::string& url, const std::string& table,
                                const std::string& csv_path) {
  for (const auto& [name, options] : option_sets()) {
    CAPTURE(name, table);
    const CustomerBase csv = ingest_transactions_file(csv_path, options);
    for (const bool pushdown : {true, false}) {
      CAPTURE(pushdown);
      DatabaseSource source;
      source.url = url;
      source.table = table;
      source.pushdown = pushdown;
      CustomerBase db = ingest_database(source, options);
      REQUIRE(db.source == url);
      require_same_base(db, csv);
    }
  }
}

/// A simulated log of 1,002,861 rows (320,000 customers) written into `dir`; its path.
inline std::string simulated_million_rows(const TempDir& dir) {
  const std::string log = dir.file("sim.csv");
  REQUIRE(run_cli("simulate --customers 320000 --seed 7 --quiet -o " + log, dir).exit_code == 0);
  return log;
}

/// `clvkit run` with `options` on the CSV `log` and on `url --table table` (the same rows), with
/// and without pushdown: the records must be the CSV run's bytes, the metadata too but for the
/// source (the URL in place of the log's path).
inline void require_same_records(const TempDir& dir, const std::string& log, const std::string& url,
                                 const std::string& table, const std::string& options) {
  const std::string csv = dir.file("csv-records.csv");
  const std::string common = options + " --format csv --threads 2 -q -o ";
  REQUIRE(run_cli("run " + log + common + csv, dir).exit_code == 0);
  for (const std::string mode : {"", " --no-pushdown"}) {
    CAPTURE(url, table, mode);
    const std::string out = dir.file("db-records.csv");
    const CliResult result = run_cli("run " + url + " --table " + table + mode + common + out, dir);
    CAPTURE(result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(read_text(out) == read_text(csv));
    REQUIRE(read_text(out + ".meta.json") == replace_all(read_text(csv + ".meta.json"), log, url));
  }
}

// The summary of kBadRows (loaded as `table` of `url`) as worked out by hand, with pushdown.
inline void require_bad_rows_summary(const std::string& url, const std::string& table) {
  // Customer 1 under the defaults: purchase days 01-01, 01-05, 01-09, 02-01, 03-01; net spend
  // 10 - 2.5 - 1 + 0 + 5 + 5 + 12.345679 + 0.5 - 0.5 = 28.845679, of which 7.5 on the first
  // purchase day; rows: NULL, empty and blank ids, six bad dates, four bad amounts.
  IngestOptions skip;
  skip.on_bad_row = BadRowPolicy::skip;
  const CustomerBase base = ingest_database(DatabaseSource{url, table, "", "", true}, skip);
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

// `clvkit fit --patterns-from URL --table TABLE` with `options` against `clvkit fit LOG`: the model
// files are equal but for calibration.source and calibration.fitted_on_patterns, and predict
// (with `predict_options`) scores the log alike with both. Returns fitted_on_patterns.
inline nlohmann::json require_same_model_file(const TempDir& dir, const std::string& log,
                                              const std::string& url, const std::string& table,
                                              const std::string& options,
                                              const std::string& predict_options) {
  const std::string csv = dir.file("csv-model.json");
  const std::string db = dir.file("db-model.json");
  CAPTURE(url, options);
  REQUIRE(run_cli("fit " + log + options + " -q -o " + csv, dir).exit_code == 0);
  const CliResult result =
      run_cli("fit --patterns-from " + url + " --table " + table + options + " -q -o " + db, dir);
  CAPTURE(result.err);
  REQUIRE(result.exit_code == 0);
  nlohmann::json expected = nlohmann::json::parse(read_text(csv));
  nlohmann::json got = nlohmann::json::parse(read_text(db));
  REQUIRE(got["calibration"]["source"] == url);
  REQUIRE(expected["calibration"]["source"] == log);
  const nlohmann::json fetched = got["calibration"]["fitted_on_patterns"];
  got["calibration"].erase("source");
  got["calibration"].erase("fitted_on_patterns");
  expected["calibration"].erase("source");
  REQUIRE(got.dump(2) == expected.dump(2));
  // predict reads it, and scores as with the CSV's model.
  const std::string csv_scores = dir.file("csv-scores.csv");
  const std::string db_scores = dir.file("db-scores.csv");
  REQUIRE(run_cli("predict " + log + predict_options + " --model " + csv + " --format csv -o " +
                      csv_scores,
                  dir)
              .exit_code == 0);
  REQUIRE(run_cli("predict " + log + predict_options + " --model " + db + " --format csv -o " +
                      db_scores,
                  dir)
              .exit_code == 0);
  REQUIRE(read_text(db_scores) == read_text(csv_scores));
  return fetched;
}

}  // namespace clvkit::test
