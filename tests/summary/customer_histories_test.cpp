// Customer histories: a log read once and carried forward with later logs (late rows included)
// gives the same base, and the same histories record by record, as reading every row at once.

#include "clvkit/summary/customer_histories.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../support/customer_bases.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace clvkit {
namespace {

using test::log_csv;
using test::LogRow;

IngestOptions options_with(int threads, std::optional<Day> as_of = std::nullopt) {
  IngestOptions options;
  options.threads = threads;
  options.as_of = as_of;
  return options;
}

HistoryIngest ingest_text(const std::string& text, const IngestOptions& options) {
  std::istringstream in(text);
  return ingest_histories(in, "log.csv", options);
}

HistoryUpdate update_text(const CustomerHistories& previous, const std::string& text,
                          const IngestOptions& options) {
  std::istringstream in(text);
  return update_histories(previous, in, "day.csv", options);
}

std::vector<CustomerHistory> decoded(const CustomerHistories& histories) {
  // The ids point into the histories' chunks, which outlive the vector in every test.
  std::vector<CustomerHistory> out;
  histories.for_each([&](const CustomerHistory& h) { out.push_back(h); });
  return out;
}

void require_same_histories(const CustomerHistories& a, const CustomerHistories& b) {
  REQUIRE(a.size() == b.size());
  REQUIRE(a.numeric_ids() == b.numeric_ids());
  REQUIRE(a.as_of == b.as_of);
  REQUIRE(a.first_day == b.first_day);
  REQUIRE(a.last_day == b.last_day);
  const std::vector<CustomerHistory> x = decoded(a), y = decoded(b);
  for (std::size_t i = 0; i < x.size(); ++i) {
    CAPTURE(i, std::string(y[i].id));
    REQUIRE(x[i] == y[i]);
  }
}

const Day kDay0 = days_from_civil(2024, 3, 1);

TEST_CASE(
    "a late purchase on the day of an early return makes it the first day, with the return "
    "in its spend",
    "[customer_histories]") {
  // a: return on day 0 before any purchase, purchases on days 3 and 5; then late rows: a
  // purchase on day 0 (now the first day: 20.00 - 5.00) and one on day 3 again (not a new day).
  const std::vector<LogRow> first = {
      {"a", kDay0, -500}, {"a", kDay0 + 3, 1000}, {"a", kDay0 + 5, 3000}, {"b", kDay0 + 1, -700}};
  const std::vector<LogRow> later = {
      {"a", kDay0, 2000}, {"a", kDay0 + 3, 100}, {"a", kDay0 + 6, 400}, {"c", kDay0 + 6, 900}};
  const HistoryIngest start = ingest_text(log_csv(first), options_with(1));
  REQUIRE(start.histories.size() == 2);  // b has returns only: a history, no summary
  REQUIRE(start.base.customers.size() == 1);
  const HistoryUpdate next = update_text(start.histories, log_csv(later), options_with(1));
  REQUIRE(next.late_rows == 2);
  REQUIRE(next.new_customers == 1);
  REQUIRE(next.histories.as_of == kDay0 + 6);
  const std::vector<CustomerHistory> h = decoded(next.histories);
  REQUIRE(h.size() == 3);
  CHECK(h[0].id == "a");
  CHECK(h[0].days == std::vector<Day>{kDay0, kDay0 + 3, kDay0 + 5, kDay0 + 6});
  CHECK(h[0].total == (2000 - 500 + 1000 + 100 + 3000 + 400) * 10'000);
  CHECK(h[0].first_day_spend == 1500 * 10'000);
  CHECK(h[0].early_returns.empty());
  CHECK(h[1].id == "b");
  CHECK(h[1].days.empty());
  CHECK(h[1].early_returns == std::vector<DayAmount>{{kDay0 + 1, -700 * 10'000}});
  REQUIRE(next.base.customers.size() == 2);
  const CustomerSummary& a = next.base.customers[0];
  CHECK(a.frequency == 3);
  CHECK(a.T == 6);
  CHECK(a.recency == 6);
  CHECK(a.monetary == Approx((1100.0 + 3000 + 400) / 100 / 3));
  CHECK(next.previous == std::vector<std::uint32_t>{0, kNoHistory});
  CHECK(next.touched == std::vector<std::uint8_t>{1, 1});
  CHECK(next.base_index == std::vector<std::uint32_t>{0, kNoHistory, 1});
  CHECK(next.base.stats.customers_without_purchase == 1);
  CHECK(next.base.stats.rows_read == 8);
}

TEST_CASE("daily updates with late rows equal one read of every row, for any thread count",
          "[customer_histories]") {
  std::mt19937_64 rng(20261207);
  const int threads = GENERATE(1, 3);
  const bool letters = GENERATE(false, true);  // a non-digit id arrives on day 3
  CAPTURE(threads, letters);
  std::vector<LogRow> all;
  const auto random_row = [&](Day day) {
    const int customer = static_cast<int>(rng() % 400);
    long long cents = static_cast<long long>(rng() % 20000) - 1500;  // returns and zeros too
    if (rng() % 17 == 0) cents = 0;
    return LogRow{std::to_string(customer * 7), day, cents};
  };
  // Thirty days of history, then seven daily files, each with its day's rows and late rows.
  for (int k = 0; k < 3000; ++k) all.push_back(random_row(kDay0 + static_cast<Day>(rng() % 30)));
  HistoryIngest first = ingest_text(log_csv(all), options_with(threads));
  CustomerHistories histories = first.histories;
  for (int day = 30; day < 37; ++day) {
    std::vector<LogRow> rows;
    for (int k = 0; k < 150; ++k) rows.push_back(random_row(kDay0 + day));
    for (int k = 0; k < 40; ++k) rows.push_back(random_row(kDay0 + static_cast<Day>(rng() % day)));
    if (letters && day == 33) rows.push_back(LogRow{"x-late", kDay0 + 2, 1234});
    all.insert(all.end(), rows.begin(), rows.end());
    const HistoryUpdate next = update_text(histories, log_csv(rows), options_with(threads));
    REQUIRE(next.late_rows >= 40);
    const HistoryIngest whole = ingest_text(log_csv(all), options_with(threads, kDay0 + day));
    test::require_same_base(next.base, whole.base);
    require_same_histories(next.histories, whole.histories);
    histories = next.histories;
  }
}

TEST_CASE("an update to a day before the state's as-of day is refused", "[customer_histories]") {
  const HistoryIngest first =
      ingest_text(log_csv({{"1", kDay0, 100}, {"1", kDay0 + 5, 100}}), options_with(1));
  CHECK_THROWS_AS(
      update_text(first.histories, log_csv({{"1", kDay0 + 1, 100}}), options_with(1, kDay0 + 4)),
      UsageError);
}

TEST_CASE("a day without sales keeps every customer and moves the as-of day",
          "[customer_histories]") {
  const HistoryIngest first =
      ingest_text(log_csv({{"1", kDay0, 100}, {"2", kDay0 + 5, 100}}), options_with(1));
  const HistoryUpdate next =
      update_text(first.histories, "customer_id,date,amount\n", options_with(1, kDay0 + 9));
  CHECK(next.base.as_of == kDay0 + 9);
  CHECK(next.base.customers[0].T == 9);
  CHECK(next.touched == std::vector<std::uint8_t>{0, 0});
  CHECK(next.late_rows == 0);
  require_same_histories(
      next.histories,
      ingest_text(log_csv({{"1", kDay0, 100}, {"2", kDay0 + 5, 100}}), options_with(1, kDay0 + 9))
          .histories);
}

}  // namespace
}  // namespace clvkit
