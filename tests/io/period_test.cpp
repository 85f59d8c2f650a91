// Calendar periods (--period): the first day of a day's period and the end of the last complete
// period, against hand-picked dates and, for every day of 1899-2101, against a day-by-day walk.

#include <catch2/catch.hpp>

#include "clvkit/io/date.hpp"

namespace {

using namespace clvkit;

Day d(int y, unsigned m, unsigned day) { return days_from_civil(y, m, day); }

}  // namespace

TEST_CASE("period_start finds the first day of weeks, months, quarters and years", "[date][period]") {
  // 1997-09-30 was a Tuesday; 1970-01-01 a Thursday; 1969-12-29 a Monday.
  CHECK(period_start(d(1997, 9, 30), Period::week) == d(1997, 9, 29));
  CHECK(period_start(d(1970, 1, 1), Period::week) == d(1969, 12, 29));
  CHECK(period_start(d(1969, 12, 28), Period::week) == d(1969, 12, 22));
  CHECK(period_start(d(2024, 2, 29), Period::month) == d(2024, 2, 1));
  CHECK(period_start(d(2024, 6, 30), Period::quarter) == d(2024, 4, 1));
  CHECK(period_start(d(2024, 12, 31), Period::quarter) == d(2024, 10, 1));
  CHECK(period_start(d(1899, 12, 31), Period::year) == d(1899, 1, 1));
  CHECK(last_complete_period_end(d(2001, 12, 31), Period::year) == d(2001, 12, 31));
  CHECK(last_complete_period_end(d(2002, 3, 15), Period::year) == d(2001, 12, 31));
  CHECK(last_complete_period_end(d(2024, 3, 31), Period::quarter) == d(2024, 3, 31));
  CHECK(last_complete_period_end(d(2024, 3, 30), Period::month) == d(2024, 2, 29));
  CHECK(last_complete_period_end(d(1997, 10, 5), Period::week) == d(1997, 10, 5));  // a Sunday
  CHECK(parse_period("quarter") == Period::quarter);
  CHECK_FALSE(parse_period("fortnight"));
  CHECK(period_key(Period::year) == std::string("year"));
}

TEST_CASE("periods partition the calendar: every day's start is the last day that starts one",
          "[date][period][property]") {
  for (const Period p : {Period::week, Period::month, Period::quarter, Period::year}) {
    CAPTURE(period_key(p));
    Day start = period_start(d(1899, 1, 1), p);
    for (Day day = d(1899, 1, 1); day <= d(2101, 12, 31); ++day) {
      // A day starts a period when it is a Monday, the 1st of a month, of a quarter's first
      // month or of January: checked through the text of the date and the weekday.
      const std::string text = format_day(day);
      const int month = std::stoi(text.substr(text.size() - 5, 2));
      const bool first_of_month = text.substr(text.size() - 2) == "01";
      bool starts = false;
      switch (p) {
        case Period::week:
          starts = ((day + 3) % 7 + 7) % 7 == 0;
          break;
        case Period::month:
          starts = first_of_month;
          break;
        case Period::quarter:
          starts = first_of_month && (month - 1) % 3 == 0;
          break;
        case Period::year:
          starts = first_of_month && month == 1;
          break;
      }
      if (starts) start = day;
      REQUIRE(period_start(day, p) == start);
      const bool ends = period_start(day + 1, p) == day + 1;
      REQUIRE(last_complete_period_end(day, p) == (ends ? day : start - 1));
    }
  }
}
