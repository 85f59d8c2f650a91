// A log read at a period's grain (IngestOptions::period): purchase days become periods, only
// complete periods count, and the split of validate works in whole periods.

#include <catch2/catch.hpp>
#include <sstream>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/summary/holdout.hpp"
#include "clvkit/summary/ingest.hpp"

namespace {

using namespace clvkit;

Day d(int y, unsigned m, unsigned day) { return days_from_civil(y, m, day); }

const char* kLog =
    "customer_id,date,amount\n"
    "a,1995-03-01,10\n"
    "a,1995-11-20,5\n"   // the same year: one period
    "a,1997-02-02,10\n"
    "a,1997-08-09,10\n"
    "a,1999-12-31,10\n"
    "b,1996-07-04,20\n"
    "b,2000-01-15,20\n";  // in 2000, incomplete on 2000-06-30

CustomerBase read(const IngestOptions& options) {
  std::istringstream in(kLog);
  return ingest_transactions(in, "log.csv", options);
}

}  // namespace

TEST_CASE("under a period a customer's purchase days are the periods with a purchase",
          "[ingest][period]") {
  IngestOptions options;
  options.period = Period::year;
  options.as_of = d(2000, 6, 30);  // 2000 is not over: the data end with 1999
  const CustomerBase base = read(options);
  CHECK(base.as_of == d(1999, 1, 1));
  CHECK(base.stats.rows_after_as_of == 1);
  CHECK(base.stats.rows_used == 6);
  CHECK(base.stats.reconciles());
  REQUIRE(base.customers.size() == 2u);
  const CustomerSummary& a = base.customers[0];
  CHECK(a.first_purchase == d(1995, 1, 1));
  CHECK(a.last_purchase == d(1999, 1, 1));
  CHECK(a.purchase_days == 3);  // 1995, 1997, 1999
  CHECK(a.frequency == 2);
  CHECK(a.T == d(1999, 1, 1) - d(1995, 1, 1));
  CHECK(a.total_spend == 45.0);
  const CustomerSummary& b = base.customers[1];
  CHECK(b.frequency == 0);
  CHECK(b.T == d(1999, 1, 1) - d(1996, 1, 1));

  // As-of on the last day of a year: that year counts; without an as-of, the last year with a
  // row is taken as complete.
  options.as_of = d(2000, 12, 31);
  CHECK(read(options).as_of == d(2000, 1, 1));
  options.as_of.reset();
  const CustomerBase open = read(options);
  CHECK(open.as_of == d(2000, 1, 1));
  CHECK(open.customers[1].frequency == 1);
}

TEST_CASE("the calibration/holdout split under a period is in whole periods",
          "[ingest][period][holdout]") {
  IngestOptions options;
  options.period = Period::year;
  options.as_of = d(2000, 12, 31);
  std::istringstream in(kLog);
  // A calibration end inside 1997 moves back to the end of 1996.
  const CalibrationHoldout split = ingest_calibration_holdout(in, "log.csv", options, d(1997, 5, 1));
  CHECK(split.calibration_end == d(1996, 1, 1));
  CHECK(split.holdout_end == d(2000, 1, 1));
  REQUIRE(split.calibration.customers.size() == 2u);
  CHECK(split.calibration.customers[0].frequency == 0);  // 1995 only
  CHECK(split.holdout[0].purchase_days == 2);              // 1997 and 1999
  CHECK(split.holdout[1].purchase_days == 1);              // 2000 (b's 1996 is its first)
  std::istringstream again(kLog);
  options.as_of = d(1996, 12, 31);
  CHECK_THROWS_AS(ingest_calibration_holdout(again, "log.csv", options, d(1997, 5, 1)),
                  UsageError);
}
