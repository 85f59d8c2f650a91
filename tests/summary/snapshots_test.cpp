// ingest_snapshots: one pass, and every snapshot equal to ingest with that as-of day.

#include "clvkit/summary/snapshots.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../support/customer_bases.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

using clvkit::CustomerBase;
using clvkit::Day;
using clvkit::IngestOptions;

namespace {

Day day(const char* iso) { return clvkit::parse_iso_date_or_throw(iso, "test"); }

using Row = clvkit::test::LogRow;
using clvkit::test::log_csv;

CustomerBase ingest_as_of(const std::string& text, IngestOptions options, Day as_of) {
  options.as_of = as_of;
  std::istringstream in(text);
  return clvkit::ingest_transactions(in, "log.csv", options);
}

std::vector<CustomerBase> snapshots(const std::string& text, const IngestOptions& options,
                                    const clvkit::SnapshotSchedule& schedule) {
  std::vector<CustomerBase> out;
  std::istringstream in(text);
  clvkit::ingest_snapshots(in, "log.csv", options, schedule,
                           [&](CustomerBase& base) { out.push_back(std::move(base)); });
  return out;
}

std::vector<CustomerBase> snapshots(const std::string& text, const IngestOptions& options,
                                    const std::vector<Day>& as_of) {
  clvkit::SnapshotSchedule schedule;
  schedule.as_of = as_of;
  return snapshots(text, options, schedule);
}

void check_same_base(const CustomerBase& got, const CustomerBase& want) {
  clvkit::test::require_same_base(got, want);
  CHECK(got.stats.reconciles());
}

}  // namespace

TEST_CASE("snapshots equal ingest as of each day on random logs, policies and thread counts",
          "[snapshots][property][consistency]") {
  std::mt19937 rng(20261207);
  const Day from = day("2023-01-01");
  std::uniform_int_distribution<int> pick_customer(0, 80);
  std::uniform_int_distribution<int> pick_kind(0, 9);
  std::uniform_int_distribution<long long> pick_cents(1, 99999);
  for (const int span : {15, 400}) {
    std::uniform_int_distribution<int> pick_day(0, span - 1);
    for (int repeat = 0; repeat < 3; ++repeat) {
      std::vector<Row> log;
      for (int i = 0; i < 1200; ++i) {
        const int kind = pick_kind(rng);
        long long cents = pick_cents(rng);
        if (kind == 0) cents = -(cents % 5000) - 1;  // a return
        if (kind == 1) cents = 0;
        // A letter id now and then: the output order is then bytewise, not numeric.
        std::string id = (repeat == 2 && kind == 2) ? "x" : "";
        id += std::to_string(pick_customer(rng));
        log.push_back(Row{std::move(id), from + pick_day(rng), cents});
      }
      const std::string text = log_csv(log);
      const std::vector<Day> as_of{from + span / 4, from + span / 2, from + span / 2 + 1,
                                   from + span - 1, from + span + 30};
      for (const auto returns : {clvkit::ReturnsPolicy::net, clvkit::ReturnsPolicy::drop}) {
        for (const auto zeros : {clvkit::ZeroAmountPolicy::keep, clvkit::ZeroAmountPolicy::drop}) {
          for (const int threads : {1, 3}) {
            CAPTURE(span, repeat, threads, static_cast<int>(returns), static_cast<int>(zeros));
            IngestOptions options;
            options.returns = returns;
            options.zero_amounts = zeros;
            options.threads = threads;
            options.block_bytes = threads == 3 ? 7 : 0;
            const std::vector<CustomerBase> got = snapshots(text, options, as_of);
            REQUIRE(got.size() == as_of.size());
            for (std::size_t k = 0; k < as_of.size(); ++k) {
              CAPTURE(clvkit::format_day(as_of[k]));
              check_same_base(got[k], ingest_as_of(text, options, as_of[k]));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("snapshots under a period cut each day at the last complete period, as ingest does",
          "[snapshots][consistency]") {
  const std::string text =
      "customer_id,date,amount\n"
      "a,2022-03-05,10\nb,2022-07-01,5\na,2023-02-01,7\nc,2023-05-05,3\nb,2024-01-02,4\n"
      "a,2024-06-30,1\n";
  IngestOptions options;
  options.period = clvkit::Period::year;
  const std::vector<Day> as_of{day("2022-12-31"), day("2023-06-30"), day("2024-12-31")};
  const std::vector<CustomerBase> got = snapshots(text, options, as_of);
  REQUIRE(got.size() == 3);
  for (std::size_t k = 0; k < as_of.size(); ++k) {
    check_same_base(got[k], ingest_as_of(text, options, as_of[k]));
  }
  CHECK(got[1].customers.size() == 2);  // mid-2023: 2023 is not complete yet
}

TEST_CASE("snapshots refuse unordered days and a snapshot before every purchase",
          "[snapshots][inputcheck]") {
  const std::string text = "customer_id,date,amount\na,2024-01-05,10\nb,2024-01-09,5\n";
  CHECK_THROWS_AS(snapshots(text, {}, {day("2024-01-09"), day("2024-01-08")}),
                  clvkit::UsageError);
  CHECK_THROWS_AS(snapshots(text, {}, std::vector<Day>{}), clvkit::UsageError);
  CHECK_THROWS_WITH(snapshots(text, {}, {day("2024-01-01"), day("2024-01-09")}),
                    Catch::Matchers::Contains("as of 2024-01-01: no customer has a purchase day"));
  const std::vector<CustomerBase> got = snapshots(text, {}, {day("2024-01-05"), day("2024-01-09")});
  REQUIRE(got.size() == 2);
  CHECK(got[0].customers.size() == 1);
  CHECK(got[0].stats.rows_after_as_of == 1);
  CHECK(got[1].customers.size() == 2);
  CHECK(got[1].customers[1].T == 0);
}

TEST_CASE("snapshots every period: one at each period end and one on the last day, each equal to "
          "ingest as of its day",
          "[snapshots][consistency]") {
  std::mt19937 rng(7);
  const Day from = day("2023-01-25");
  std::uniform_int_distribution<int> pick_customer(0, 40);
  std::uniform_int_distribution<int> pick_day(0, 120);
  std::uniform_int_distribution<long long> pick_cents(-500, 20000);
  std::vector<Row> log;
  for (int i = 0; i < 600; ++i) {
    log.push_back(Row{std::to_string(pick_customer(rng)), from + pick_day(rng), pick_cents(rng)});
  }
  const std::string text = log_csv(log);
  for (const clvkit::Period every : {clvkit::Period::week, clvkit::Period::month}) {
    for (const int threads : {1, 2}) {
      clvkit::SnapshotSchedule schedule;
      schedule.every = every;
      IngestOptions options;
      options.threads = threads;
      const std::vector<CustomerBase> got = snapshots(text, options, schedule);
      IngestOptions whole;
      std::istringstream in(text);
      const CustomerBase all = clvkit::ingest_transactions(in, "log.csv", whole);
      const std::vector<Day> days = clvkit::snapshot_days(schedule, all.first_day, all.last_day);
      REQUIRE(got.size() == days.size());
      CHECK(days.back() == all.last_day);
      for (std::size_t k = 0; k < days.size(); ++k) {
        CAPTURE(clvkit::format_day(days[k]), threads);
        if (k + 1 < days.size()) CHECK(clvkit::period_end(days[k], every) == days[k]);
        check_same_base(got[k], ingest_as_of(text, options, days[k]));
      }
    }
  }
  clvkit::SnapshotSchedule months;
  months.every = clvkit::Period::month;
  months.from = day("2023-03-10");
  months.to = day("2023-05-14");
  CHECK(clvkit::snapshot_days(months, 0, 0) ==
        std::vector<Day>{day("2023-03-31"), day("2023-04-30"), day("2023-05-14")});
  const std::vector<CustomerBase> got = snapshots(text, {}, months);
  REQUIRE(got.size() == 3);
  check_same_base(got[2], ingest_as_of(text, {}, day("2023-05-14")));
  clvkit::SnapshotSchedule days;
  days.daily = true;
  days.from = day("2023-02-01");
  days.to = day("2023-02-04");
  const std::vector<CustomerBase> daily = snapshots(text, {}, days);
  REQUIRE(daily.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) {
    check_same_base(daily[k], ingest_as_of(text, {}, day("2023-02-01") + static_cast<Day>(k)));
  }
  months.to = day("2023-03-01");
  CHECK_THROWS_AS(clvkit::snapshot_days(months, 0, 0), clvkit::UsageError);
}
