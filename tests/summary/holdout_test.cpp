// The calibration/holdout split of one log: the calibration side must be exactly ingest's
// summaries as of the calibration end, the holdout side ingest's day bucketing and returns
// policy applied to (calibration end, holdout end], and every row accounted for.

#include "clvkit/summary/holdout.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/customer_bases.hpp"
#include "../support/matchers.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

using Catch::Matchers::Contains;
using clvkit::CalibrationHoldout;
using clvkit::CustomerBase;
using clvkit::CustomerSummary;
using clvkit::Day;
using clvkit::IngestOptions;
using clvkit::InputError;
using clvkit::UsageError;

namespace {

using clvkit::test::What;

Day day(const char* iso) { return clvkit::parse_iso_date_or_throw(iso, "test"); }

CalibrationHoldout split_once(const std::string& text, Day calibration_end,
                              const IngestOptions& options) {
  std::istringstream in(text);
  return clvkit::ingest_calibration_holdout(in, "log.csv", options, calibration_end);
}

// Every split in this file also runs with 3 threads and 5-byte blocks (records across blocks):
// the result, or the error message, must be the same.
CalibrationHoldout split(const std::string& text, Day calibration_end,
                         const IngestOptions& options = {}) {
  IngestOptions parallel = options;
  parallel.threads = 3;
  parallel.block_bytes = 5;
  CalibrationHoldout reference;
  try {
    reference = split_once(text, calibration_end, options);
  } catch (const clvkit::Error& error) {
    REQUIRE_THROWS_WITH(split_once(text, calibration_end, parallel),
                        Catch::Matchers::Equals(error.what()));
    throw;
  }
  const CalibrationHoldout other = split_once(text, calibration_end, parallel);
  REQUIRE(other.calibration.customers.size() == reference.calibration.customers.size());
  for (std::size_t i = 0; i < reference.calibration.customers.size(); ++i) {
    REQUIRE(other.calibration.customers[i].id == reference.calibration.customers[i].id);
    REQUIRE(other.calibration.customers[i].purchase_days ==
            reference.calibration.customers[i].purchase_days);
    REQUIRE(other.calibration.customers[i].total_spend ==
            reference.calibration.customers[i].total_spend);
    REQUIRE(other.holdout[i].purchase_days == reference.holdout[i].purchase_days);
    REQUIRE(other.holdout[i].spend == reference.holdout[i].spend);
  }
  REQUIRE(other.calibration.stats.rows_read == reference.calibration.stats.rows_read);
  REQUIRE(other.calibration.stats.rows_used == reference.calibration.stats.rows_used);
  REQUIRE(other.holdout_customers_new == reference.holdout_customers_new);
  REQUIRE(other.holdout_rows_new_customers == reference.holdout_rows_new_customers);
  REQUIRE(other.daily_repeat_purchases == reference.daily_repeat_purchases);
  return reference;
}

CustomerBase ingest(const std::string& text, const IngestOptions& options) {
  std::istringstream in(text);
  return clvkit::ingest_transactions(in, "log.csv", options);
}

void check_same(const CustomerSummary& got, const CustomerSummary& want) {
  CAPTURE(want.id);
  CHECK(got.id == want.id);
  CHECK(got.first_purchase == want.first_purchase);
  CHECK(got.last_purchase == want.last_purchase);
  CHECK(got.purchase_days == want.purchase_days);
  CHECK(got.frequency == want.frequency);
  CHECK(got.recency == want.recency);
  CHECK(got.T == want.T);
  CHECK(got.days_since_last == want.days_since_last);
  CHECK(got.total_spend == want.total_spend);
  CHECK(got.monetary == want.monetary);
  CHECK(got.avg_spend == want.avg_spend);
}

// The hand-made log of the next tests; comments give each row's fate for calibration end
// 2024-01-10 and holdout end 2024-01-15.
const char* const kLog =
    "customer_id,date,amount\n"
    "a,2024-01-01,10.00\n"  // a: first purchase
    "a,2024-01-01,5.00\n"   // same day: one purchase occasion
    "a,2024-01-05,20.00\n"  // repeat purchase in calibration
    "a,2024-01-11,7.00\n"   // holdout purchase day ...
    "a,2024-01-11,3.00\n"   // ... with two rows
    "a,2024-01-12,-4.00\n"  // a return in the holdout: spend only, no purchase day
    "a,2024-01-15,0.00\n"   // zero amount on the holdout end: a purchase day under keep
    "a,2024-01-20,99.00\n"  // after the holdout end: counted, not used
    "b,2024-01-09,8.00\n"   // b: calibration customer without repeat purchases
    "c,2024-01-08,-2.00\n"  // c: a return before any purchase ...
    "c,2024-01-12,12.00\n"  // ... and a first purchase in the holdout: not validated
    "d,2024-01-13,-1.00\n"  // d: only a return, no purchase day at all
    "e,2024-01-14,6.00\n"   // e: first seen in the holdout
    "x,2024-13-01,1.00\n";  // a bad date (skipped below)

IngestOptions skip_bad_rows() {
  IngestOptions options;
  options.on_bad_row = clvkit::BadRowPolicy::skip;
  return options;
}

}  // namespace

TEST_CASE("holdout ingest: purchase days, spend and new customers on a hand-made log",
          "[holdout][consistency]") {
  IngestOptions options = skip_bad_rows();
  options.as_of = day("2024-01-15");
  const CalibrationHoldout data = split(kLog, day("2024-01-10"), options);

  CHECK(data.calibration_end == day("2024-01-10"));
  CHECK(data.holdout_end == day("2024-01-15"));
  CHECK(data.calibration.as_of == day("2024-01-10"));
  CHECK(data.calibration.first_day == day("2024-01-01"));
  CHECK(data.calibration.last_day == day("2024-01-15"));
  REQUIRE(data.calibration.customers.size() == 2);
  const CustomerSummary& a = data.calibration.customers[0];
  const CustomerSummary& b = data.calibration.customers[1];
  CHECK(a.id == "a");
  CHECK(a.purchase_days == 2);
  CHECK(a.frequency == 1);
  CHECK(a.T == 9);
  CHECK(a.total_spend == 35.0);
  CHECK(a.monetary == 20.0);
  CHECK(b.id == "b");
  CHECK(b.T == 1);

  REQUIRE(data.holdout.size() == 2);
  CHECK(data.holdout[0].purchase_days == 2);  // 01-11 and 01-15; the return is not one
  CHECK(data.holdout[0].spend == Approx(6.0).margin(1e-12));  // 7 + 3 - 4 + 0
  CHECK(data.holdout[1].purchase_days == 0);
  CHECK(data.holdout[1].spend == 0.0);

  CHECK(data.holdout_customers_new == 2);       // c and e
  CHECK(data.holdout_rows_new_customers == 3);  // c's return and purchase, e's purchase
  CHECK(data.calibration.stats.customers_without_purchase == 1);  // d

  const auto& stats = data.calibration.stats;
  CHECK(stats.rows_read == 14);
  CHECK(stats.rows_used == 12);
  CHECK(stats.rows_after_as_of == 1);
  CHECK(stats.rows_rejected() == 1);
  CHECK(stats.returns_netted == 3);
  CHECK(stats.zero_amount_rows == 1);
  CHECK(stats.reconciles());

  // Repeat purchases of a and b by day from the cohort's first day, 2024-01-01.
  CHECK(data.cohort_first_day == day("2024-01-01"));
  std::vector<std::int64_t> expected(15, 0);
  expected[4] = 1;   // 01-05
  expected[10] = 1;  // 01-11
  expected[14] = 1;  // 01-15
  CHECK(data.daily_repeat_purchases == expected);
}

TEST_CASE("holdout ingest ends at the last transaction day when no holdout end is given",
          "[holdout][consistency]") {
  const CalibrationHoldout data = split(kLog, day("2024-01-10"), skip_bad_rows());
  CHECK(data.holdout_end == day("2024-01-20"));
  CHECK(data.calibration.stats.rows_after_as_of == 0);
  CHECK(data.calibration.stats.rows_used == 13);
  REQUIRE(data.holdout.size() == 2);
  CHECK(data.holdout[0].purchase_days == 3);
  CHECK(data.holdout[0].spend == Approx(105.0).margin(1e-12));
  CHECK(data.daily_repeat_purchases.size() == 20u);
  CHECK(data.daily_repeat_purchases.back() == 1);
}

TEST_CASE("holdout ingest rejects an empty holdout and a calibration before every purchase",
          "[holdout][inputcheck]") {
  // No holdout end given: the last transaction day, found by reading.
  CHECK_THROWS_MATCHES(split(kLog, day("2024-01-20"), skip_bad_rows()), UsageError,
                       What(Contains("calibration end 2024-01-20 is not before the holdout end "
                                     "2024-01-20")));
  CHECK_THROWS_MATCHES(split(kLog, day("2024-02-01"), skip_bad_rows()), UsageError,
                       What(Contains("the last transaction day")));
  // A given holdout end is checked before reading: this stream is not even a log.
  IngestOptions options;
  options.as_of = day("2024-01-10");
  CHECK_THROWS_MATCHES(split("", day("2024-01-10"), options), UsageError,
                       What(Contains("is not before the holdout end 2024-01-10")));
  CHECK_THROWS_MATCHES(split(kLog, day("2023-12-31"), skip_bad_rows()), UsageError,
                       What(Contains("before every customer's first purchase")));
}

TEST_CASE("holdout ingest reports bad rows and empty logs as ingest does",
          "[holdout][inputcheck]") {
  CHECK_THROWS_MATCHES(split(kLog, day("2024-01-10")), InputError,
                       What(Contains("log.csv:15:2: unparsable date '2024-13-01'")));
  CHECK_THROWS_MATCHES(split("customer_id,date,amount\n", day("2024-01-10")), InputError,
                       What(Contains("empty log")));
  CHECK_THROWS_MATCHES(split("customer_id,date,amount\nd,2024-01-13,-1.00\n", day("2024-01-10")),
                       InputError, What(Contains("no customer has a purchase day")));
  CHECK_THROWS_AS(clvkit::ingest_calibration_holdout("no/such/log.csv", {}, day("2024-01-10")),
                  clvkit::IoError);
}

namespace {

using Row = clvkit::test::LogRow;
using clvkit::test::log_csv;

// What the split should give, computed naively from the rows (zero amounts kept, returns net).
struct NaiveSplit {
  std::map<std::string, std::set<Day>> before, after;
  std::map<std::string, long long> after_cents;
  std::map<std::string, std::int64_t> rows;
};

NaiveSplit naive_split(const std::vector<Row>& log, Day calibration_end, Day holdout_end) {
  NaiveSplit out;
  for (const Row& row : log) {
    if (row.day > holdout_end) continue;
    ++out.rows[row.id];
    const bool purchase = row.cents >= 0;
    if (row.day <= calibration_end) {
      if (purchase) out.before[row.id].insert(row.day);
    } else {
      if (purchase) out.after[row.id].insert(row.day);
      out.after_cents[row.id] += row.cents;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("holdout ingest matches a naive split on random logs in any row order",
          "[holdout][property][consistency]") {
  std::mt19937 rng(20240607);
  const Day from = day("2023-01-01");
  for (const int span : {12, 200, 900}) {
    for (int repeat = 0; repeat < 4; ++repeat) {
      CAPTURE(span, repeat);
      std::uniform_int_distribution<int> pick_customer(0, 60);
      std::uniform_int_distribution<int> pick_day(0, span - 1);
      std::uniform_int_distribution<int> pick_kind(0, 9);
      std::uniform_int_distribution<long long> pick_cents(1, 99999);
      std::vector<Row> log;
      for (int i = 0; i < 1500; ++i) {
        const int kind = pick_kind(rng);
        long long cents = pick_cents(rng);
        if (kind == 0) cents = -(cents % 5000) - 1;  // a return
        if (kind == 1) cents = 0;
        std::string id = "c";  // appended, not "c" + ...: GCC 12 warns falsely (-Wrestrict)
        id += std::to_string(pick_customer(rng));
        log.push_back(Row{std::move(id), from + pick_day(rng), cents});
      }
      const Day calibration_end = from + span / 3;
      const Day holdout_end = from + span - 1 - span / 5;
      IngestOptions options;
      options.as_of = holdout_end;
      std::vector<Row> reversed(log.rbegin(), log.rend());
      const CalibrationHoldout data = split(log_csv(log), calibration_end, options);
      const CalibrationHoldout other = split(log_csv(reversed), calibration_end, options);

      // Calibration side: ingest's own summaries as of the calibration end.
      IngestOptions cut;
      cut.as_of = calibration_end;
      const CustomerBase calibration = ingest(log_csv(log), cut);
      REQUIRE(data.calibration.customers.size() == calibration.customers.size());
      for (std::size_t i = 0; i < calibration.customers.size(); ++i) {
        check_same(data.calibration.customers[i], calibration.customers[i]);
        check_same(other.calibration.customers[i], calibration.customers[i]);
      }

      // Holdout side and accounting against the naive split.
      const NaiveSplit naive = naive_split(log, calibration_end, holdout_end);
      std::int64_t new_customers = 0, new_rows = 0, without_purchase = 0;
      for (const auto& [id, rows] : naive.rows) {
        if (naive.before.count(id) != 0) continue;
        if (naive.after.count(id) != 0) {
          ++new_customers;
          new_rows += rows;
        } else {
          ++without_purchase;
        }
      }
      CHECK(data.holdout_customers_new == new_customers);
      CHECK(data.holdout_rows_new_customers == new_rows);
      CHECK(data.calibration.stats.customers_without_purchase == without_purchase);
      CHECK(data.calibration.stats.reconciles());
      std::int64_t calibration_rows = 0;
      std::vector<std::int64_t> daily(
          static_cast<std::size_t>(holdout_end - data.cohort_first_day) + 1, 0);
      for (std::size_t i = 0; i < data.calibration.customers.size(); ++i) {
        const std::string& id = data.calibration.customers[i].id;
        CAPTURE(id);
        const auto after = naive.after.find(id);
        const std::int64_t days =
            after == naive.after.end() ? 0 : static_cast<std::int64_t>(after->second.size());
        CHECK(data.holdout[i].purchase_days == days);
        CHECK(other.holdout[i].purchase_days == days);
        const auto cents = naive.after_cents.find(id);
        const double spend = cents == naive.after_cents.end() ? 0.0 : cents->second / 100.0;
        CHECK(data.holdout[i].spend == Approx(spend).margin(1e-9));
        CHECK(other.holdout[i].spend == data.holdout[i].spend);
        calibration_rows += naive.rows.at(id);
        const std::set<Day>& before = naive.before.at(id);
        for (auto d = std::next(before.begin()); d != before.end(); ++d)
          ++daily[*d - data.cohort_first_day];
        if (after != naive.after.end()) {
          for (const Day d : after->second) ++daily[d - data.cohort_first_day];
        }
      }
      CHECK(data.daily_repeat_purchases == daily);
      CHECK(other.daily_repeat_purchases == daily);
      std::int64_t no_purchase_rows = 0;
      for (const auto& [id, rows] : naive.rows) {
        if (naive.before.count(id) == 0 && naive.after.count(id) == 0) no_purchase_rows += rows;
      }
      CHECK(data.calibration.stats.rows_used == calibration_rows + new_rows + no_purchase_rows);
    }
  }
}

TEST_CASE("holdout ingest of CDNOW: 2357 customers and FHL 2005's 1882 holdout repeat purchases",
          "[holdout][paper]") {
  const std::string path = std::string(CLVKIT_TEST_SOURCE_DIR) + "/data/cdnow.csv";
  IngestOptions options;
  options.as_of = day("1998-06-30");
  const CalibrationHoldout data =
      clvkit::ingest_calibration_holdout(path, options, day("1997-09-30"));

  // The calibration side is `ingest --as-of 1997-09-30`.
  IngestOptions cut;
  cut.as_of = day("1997-09-30");
  const CustomerBase calibration = clvkit::ingest_transactions_file(path, cut);
  REQUIRE(data.calibration.customers.size() == 2357);
  REQUIRE(calibration.customers.size() == 2357);
  for (std::size_t i = 0; i < calibration.customers.size(); ++i) {
    check_same(data.calibration.customers[i], calibration.customers[i]);
  }
  CHECK(data.calibration.stats.rows_read == 6919);
  CHECK(data.calibration.stats.rows_used == 6919);
  CHECK(data.calibration.stats.reconciles());
  CHECK(data.holdout_customers_new == 0);
  CHECK(data.cohort_first_day == day("1997-01-01"));

  // Customer by customer against BTYD's x.star (= lifetimes' frequency_holdout), copied in
  // tests/data/reference/bgnbd_cdnow2357_customers.csv: distinct holdout days, not rows.
  std::ifstream in(std::string(CLVKIT_TEST_DATA_DIR) + "/reference/bgnbd_cdnow2357_customers.csv");
  REQUIRE(in.good());
  std::string line;
  REQUIRE(std::getline(in, line));
  REQUIRE(line.rfind("ID,frequency,recency,T,exp_purchases_39w,exp_purchases_52w,p_alive,"
                     "holdout_actual_repeat_39w,holdout_actual_raw_rows_39w",
                     0) == 0);
  std::size_t i = 0;
  std::int64_t total = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    REQUIRE(i < data.holdout.size());
    CAPTURE(cells[0]);
    CHECK(data.calibration.customers[i].id == cells[0]);
    CHECK(data.calibration.customers[i].frequency == std::stoll(cells[1]));
    CHECK(data.holdout[i].purchase_days == std::stoll(cells[7]));
    total += data.holdout[i].purchase_days;
    ++i;
  }
  CHECK(i == 2357u);
  CHECK(total == 1882);
  // Calibration repeat purchases and holdout ones: the tracking series' 2457 + 1882.
  CHECK(std::accumulate(data.daily_repeat_purchases.begin(), data.daily_repeat_purchases.end(),
                        std::int64_t{0}) == 2457 + 1882);

  // Holdout spend against a plain sum of the holdout rows' amounts.
  std::ifstream log(path);
  REQUIRE(std::getline(log, line));
  double holdout_amounts = 0.0;
  while (std::getline(log, line)) {
    const std::size_t comma1 = line.find(','), comma2 = line.find(',', comma1 + 1);
    if (day(line.substr(comma1 + 1, comma2 - comma1 - 1).c_str()) > day("1997-09-30")) {
      holdout_amounts += std::stod(line.substr(comma2 + 1));
    }
  }
  double holdout_spend = 0.0;
  for (const auto& h : data.holdout) holdout_spend += h.spend;
  CHECK(holdout_spend == Approx(holdout_amounts).margin(1e-6));
}
