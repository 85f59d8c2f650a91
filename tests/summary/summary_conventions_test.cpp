// The conventions of CustomerSummary (customer_summary.hpp), checked on logs small enough to
// compute by hand. Every expected number is written out with its arithmetic.

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "clvkit/io/date.hpp"
#include "clvkit/summary/ingest.hpp"

using clvkit::CustomerBase;
using clvkit::CustomerSummary;
using clvkit::Day;
using clvkit::IngestOptions;

namespace {

CustomerBase ingest(const std::string& text, const IngestOptions& options = {}) {
  std::istringstream in(text);
  return clvkit::ingest_transactions(in, "log.csv", options);
}

const CustomerSummary& customer(const CustomerBase& base, const std::string& id) {
  for (const auto& c : base.customers) {
    if (c.id == id) return c;
  }
  FAIL("no customer " << id);
  throw;
}

Day day(int y, unsigned m, unsigned d) { return clvkit::days_from_civil(y, m, d); }

}  // namespace

TEST_CASE("summary of a hand-computed log follows the BG/NBD and Gamma-Gamma conventions",
          "[summary]") {
  IngestOptions options;
  options.as_of = day(2024, 1, 31);
  // Rows deliberately out of order: the result must not depend on it.
  const auto base = ingest(
      "customer_id,date,amount\n"
      "A,2024-01-10,30\n"
      "A,2024-01-01,10\n"
      "A,2024-01-03,20\n"
      "B,2024-01-31 18:00,12.5\n"
      "A,2024-01-03,-4\n"
      "A,2024-01-01 17:30,5\n",
      options);
  REQUIRE(base.customers.size() == 2);
  REQUIRE(base.stats.reconciles());

  // A buys on 2024-01-01 (10 + 5), 2024-01-03 (20, and returns 4 that day), 2024-01-10 (30).
  const auto& a = customer(base, "A");
  CHECK(a.first_purchase == day(2024, 1, 1));
  CHECK(a.last_purchase == day(2024, 1, 10));
  CHECK(a.purchase_days == 3);       // 01-01, 01-03, 01-10; the return is no occasion
  CHECK(a.frequency == 2);           // 3 - 1 repeat purchase days
  CHECK(a.recency == 9);             // 01-10 - 01-01
  CHECK(a.T == 30);                  // 01-31 - 01-01
  CHECK(a.days_since_last == 21);    // 01-31 - 01-10
  CHECK(a.total_spend == 61.0);      // 10 + 5 + 20 - 4 + 30
  CHECK(a.monetary == 23.0);         // (61 - 15 on the first day) / 2 = 46 / 2
  CHECK(a.avg_spend == 61.0 / 3.0);  // 61 over 3 purchase days

  // B is first seen on the as-of day itself: T = 0, and no repeat purchase.
  const auto& b = customer(base, "B");
  CHECK(b.first_purchase == day(2024, 1, 31));
  CHECK(b.T == 0);
  CHECK(b.recency == 0);
  CHECK(b.days_since_last == 0);
  CHECK(b.frequency == 0);
  CHECK(b.monetary == 0.0);  // no repeat purchase day to average
  CHECK(b.avg_spend == 12.5);
  CHECK(base.stats.returns_netted == 1);
}

TEST_CASE("several rows on one day are one purchase occasion, whatever their time", "[summary]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "A,2024-02-01 09:00,1\n"
      "A,2024-02-01T23:59:59,2\n"
      "A,2024-02-01,3\n");
  const auto& a = customer(base, "A");
  CHECK(a.purchase_days == 1);
  CHECK(a.frequency == 0);
  CHECK(a.total_spend == 6.0);  // 1 + 2 + 3
  CHECK(a.avg_spend == 6.0);
}

TEST_CASE("a return on the first purchase day lowers that day's spend, not the repeat spend",
          "[summary][returns]") {
  // The return on 03-05 arrives before any purchase of that day is known, and one on 03-02
  // (before the first purchase) joins no day at all.
  const auto base = ingest(
      "customer_id,date,amount\n"
      "D,2024-03-05,-1\n"
      "D,2024-03-09,4\n"
      "D,2024-03-02,-0.5\n"
      "D,2024-03-05,10\n");
  const auto& d = customer(base, "D");
  CHECK(d.first_purchase == day(2024, 3, 5));
  CHECK(d.purchase_days == 2);               // 03-05 and 03-09
  CHECK(d.total_spend == 12.5);              // -1 + 4 - 0.5 + 10
  CHECK(d.monetary == 3.5);                  // (12.5 - (10 - 1) on 03-05) / 1
  CHECK(d.avg_spend == 6.25);                // 12.5 / 2
  CHECK(base.first_day == day(2024, 3, 2));  // the return day is a used day
}

TEST_CASE("a zero-amount row is a purchase occasion under keep, as in the CDNOW papers",
          "[summary][returns]") {
  IngestOptions options;
  options.as_of = day(2024, 1, 31);
  const auto base = ingest(
      "customer_id,date,amount\n"
      "C,2024-01-20,8\n"
      "C,2024-01-05,0\n"
      "C,2024-01-05,-2\n",
      options);
  const auto& c = customer(base, "C");
  CHECK(c.purchase_days == 2);  // 01-05 (zero) and 01-20
  CHECK(c.first_purchase == day(2024, 1, 5));
  CHECK(c.total_spend == 6.0);  // 8 + 0 - 2
  CHECK(c.monetary == 8.0);     // (6 - (0 - 2) on 01-05) / 1
  CHECK(c.avg_spend == 3.0);    // 6 / 2
  CHECK(c.T == 26);             // 01-31 - 01-05
}

TEST_CASE("without as_of the as-of day is the last used day and T is measured to it",
          "[summary][asof]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "A,2024-01-01,1\n"
      "B,2024-01-11,1\n");
  CHECK(base.as_of == day(2024, 1, 11));
  CHECK(base.first_day == day(2024, 1, 1));
  CHECK(base.last_day == day(2024, 1, 11));
  CHECK(customer(base, "A").T == 10);
  CHECK(customer(base, "A").days_since_last == 10);
  CHECK(customer(base, "B").T == 0);
}

TEST_CASE("a customer buying on many days in reverse order keeps every distinct day",
          "[summary][property]") {
  // 100 distinct days written newest first, each twice: the out-of-order insertion path.
  std::string log = "customer_id,date,amount\n";
  const Day start = day(2020, 1, 1);
  for (int i = 99; i >= 0; --i) {
    for (int copy = 0; copy < 2; ++copy) {
      log += "R," + clvkit::format_day(start + 3 * i) + ",1.25\n";
    }
  }
  const auto base = ingest(log);
  const auto& r = customer(base, "R");
  CHECK(r.purchase_days == 100);
  CHECK(r.first_purchase == start);
  CHECK(r.last_purchase == start + 297);  // 3 * 99
  CHECK(r.recency == 297);
  CHECK(r.total_spend == 250.0);      // 200 rows * 1.25
  CHECK(r.monetary == 247.5 / 99.0);  // (250 - 2.5 on the first day) / 99
}
