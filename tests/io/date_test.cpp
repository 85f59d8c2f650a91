#include "clvkit/io/date.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "../support/matchers.hpp"
#include "clvkit/error.hpp"

using clvkit::DateParser;
using clvkit::Day;
using clvkit::days_from_civil;
using clvkit::format_day;

using clvkit::test::What;

TEST_CASE("days_from_civil gives the known day numbers", "[date]") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(1970, 1, 2) == 1);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(days_from_civil(2000, 2, 29) == 11016);
  CHECK(days_from_civil(1997, 9, 30) == 10134);  // end of the CDNOW calibration period
  CHECK(days_from_civil(1997, 1, 1) == 9862);    // start of CDNOW
  CHECK(days_from_civil(2024, 1, 1) == 19723);
  CHECK(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28) == 1);  // 1900 not leap
  CHECK(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28) == 2);  // 2000 leap
  CHECK(days_from_civil(1600, 1, 1) == -135140);
  CHECK(days_from_civil(0, 3, 1) == -719468);  // the origin of the era arithmetic
}

TEST_CASE("format_day writes YYYY-MM-DD and inverts days_from_civil", "[date][property]") {
  CHECK(format_day(0) == "1970-01-01");
  CHECK(format_day(11017) == "2000-03-01");
  CHECK(format_day(10134) == "1997-09-30");
  CHECK(format_day(-1) == "1969-12-31");
  // Every day from 1600-01-01 to 2400-12-31 (both leap-rule exceptions, negative day numbers)
  // survives format -> parse -> format, and consecutive days are consecutive numbers.
  const DateParser iso;
  const Day from = days_from_civil(1600, 1, 1);
  const Day to = days_from_civil(2400, 12, 31);
  std::int64_t mismatches = 0;
  for (Day day = from; day <= to; ++day) {
    const std::string text = format_day(day);
    const auto parsed = iso.parse(text);
    if (!parsed || *parsed != day) {
      CAPTURE(day, text);
      ++mismatches;
    }
  }
  CHECK(mismatches == 0);
  // 1600..1999 and 2000..2399 are two full 400-year eras of 146097 days; 2400 is a leap year.
  CHECK(to - from + 1 == 2 * 146097 + 366);
}

namespace {

// printf's text of a date: the definition format_day keeps for every year ("-001-03-01",
// "12000-01-01").
std::string printf_date(long long year, unsigned month, unsigned day) {
  char text[40];
  const int length = std::snprintf(text, sizeof text, "%04lld-%02u-%02u", year, month, day);
  return std::string(text, static_cast<std::size_t>(length));
}

std::string written_day(Day day) {
  char text[clvkit::kMaxDayChars];
  return std::string(text, clvkit::format_day_to(text, day));
}

}  // namespace

TEST_CASE("format_day_to writes printf's date for every day of years -2000 to 12000",
          "[date][property]") {
  // The reference walks the calendar by (year, month, day) and numbers the days by counting, so
  // it shares none of the day -> date arithmetic under test. Years 0..9999 take the digit-pair
  // path; the others printf's, with a sign or a fifth digit.
  constexpr unsigned kMonthDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  Day day = days_from_civil(-2000, 1, 1);
  std::int64_t days = 0;
  std::int64_t mismatches = 0;
  std::string first_mismatch;
  for (int year = -2000; year <= 12000; ++year) {
    const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    for (unsigned month = 1; month <= 12; ++month) {
      const unsigned length = kMonthDays[month - 1] + (month == 2 && leap ? 1u : 0u);
      for (unsigned d = 1; d <= length; ++d, ++day, ++days) {
        const std::string expected = printf_date(year, month, d);
        const std::string written = written_day(day);
        if (written != expected || format_day(day) != expected) {
          if (mismatches++ == 0) first_mismatch = std::to_string(day) + ": " + written;
        }
      }
    }
  }
  CAPTURE(first_mismatch);
  CHECK(mismatches == 0);
  // 35 eras of 400 years (146097 days each) and the leap year 12000.
  CHECK(days == 35 * 146097 + 366);
  CHECK(day == days_from_civil(12001, 1, 1));
}

TEST_CASE("format_day_to agrees with format_day over the whole Day range", "[date][property]") {
  // Every 9973rd day from the smallest to the largest, plus the edges of the four-digit years
  // and of the type: the text is printf's form of a date that days_from_civil maps back to the
  // day, and fits in kMaxDayChars.
  std::vector<Day> days = {std::numeric_limits<Day>::min(),
                           std::numeric_limits<Day>::min() + 1,
                           std::numeric_limits<Day>::max(),
                           std::numeric_limits<Day>::max() - 1,
                           days_from_civil(0, 1, 1) - 1,
                           days_from_civil(0, 1, 1),
                           days_from_civil(0, 3, 1) - 1,
                           days_from_civil(9999, 12, 31),
                           days_from_civil(9999, 12, 31) + 1,
                           -1,
                           0};
  for (std::int64_t day = std::numeric_limits<Day>::min(); day <= std::numeric_limits<Day>::max();
       day += 9973) {
    days.push_back(static_cast<Day>(day));
  }
  std::int64_t mismatches = 0;
  std::string first_mismatch;
  for (const Day day : days) {
    const std::string written = written_day(day);
    long long year = 0;
    unsigned month = 0, d = 0;
    const bool parsed = std::sscanf(written.c_str(), "%lld-%u-%u", &year, &month, &d) == 3;
    if (written != format_day(day) || written.size() > clvkit::kMaxDayChars || !parsed ||
        written != printf_date(year, month, d) ||
        days_from_civil(static_cast<int>(year), month, d) != day) {
      if (mismatches++ == 0) first_mismatch = std::to_string(day) + ": " + written;
    }
  }
  CAPTURE(first_mismatch);
  CHECK(mismatches == 0);
  CHECK(format_day(std::numeric_limits<Day>::min()) == "-5877641-06-23");
  CHECK(format_day(std::numeric_limits<Day>::max()) == "5881580-07-11");
  CHECK(format_day(days_from_civil(0, 1, 1) - 1) == "-001-12-31");  // printf: width counts the sign
  CHECK(format_day(days_from_civil(9999, 12, 31) + 1) == "10000-01-01");
}

TEST_CASE("automatic date parsing accepts the ISO forms and keeps the written calendar date",
          "[date]") {
  const DateParser parser;
  const Day may6 = days_from_civil(2023, 5, 6);
  for (const char* text :
       {"2023-05-06", "2023-05-06 13:45", "2023-05-06 13:45:59", "2023-05-06T13:45:59",
        "2023-05-06T13:45", "2023-05-06T13:45:59.123456", "2023-05-06T13:45:59Z",
        "2023-05-06T13:45:59.5Z", "2023-05-06T23:30:00+05:00", "2023-05-06T00:30:00-08:00",
        "2023-05-06 13:45:59+01:00", "2023-05-06 23:59:60"}) {
    CAPTURE(text);
    const auto day = parser.parse(text);
    REQUIRE(day.has_value());
    CHECK(*day == may6);  // the offset is ignored: no conversion to UTC
  }
  CHECK(parser.parse("2024-02-29") == days_from_civil(2024, 2, 29));
  CHECK(parser.parse("2000-02-29") == days_from_civil(2000, 2, 29));
}

TEST_CASE("automatic date parsing rejects impossible dates and malformed text",
          "[date][inputcheck]") {
  const DateParser parser;
  for (const char* text : {"2023-02-30",
                           "2023-02-29",
                           "1900-02-29",
                           "2023-13-01",
                           "2023-00-10",
                           "2023-01-00",
                           "2023-04-31",
                           "2023-05-06 24:00",
                           "2023-05-06 25:00",
                           "2023-05-06 12:60",
                           "2023-05-06 12:00:61",
                           "2023-5-6",
                           "2023/05/06",
                           "",
                           "2023-05-06 ",
                           " 2023-05-06",
                           "2023-05-06T",
                           "2023-05-06Z",
                           "2023-05-06 13",
                           "2023-05-06 13:45:5",
                           "2023-05-06T13:45:59.",
                           "2023-05-06T13:45:59+0500",
                           "2023-05-06T13:45:59+24:00",
                           "2023-05-06x",
                           "20230506",
                           "abcd-ef-gh",
                           "2023-05-06T13:45:59ZZ"}) {
    CAPTURE(text);
    CHECK_FALSE(parser.parse(text).has_value());
  }
}

TEST_CASE("a %Y%m%d format reads CDNOW's eight-digit dates", "[date]") {
  const DateParser parser("%Y%m%d");
  CHECK(parser.parse("19970101") == days_from_civil(1997, 1, 1));
  CHECK(parser.parse("19970930") == 10134);
  CHECK(parser.parse("19980630") == days_from_civil(1998, 6, 30));
  CHECK_FALSE(parser.parse("19971301"));   // month 13
  CHECK_FALSE(parser.parse("19970230"));   // February 30
  CHECK_FALSE(parser.parse("199701011"));  // a digit too many
  CHECK_FALSE(parser.parse("1997-01-01"));
  CHECK_FALSE(parser.parse("970101"));
  CHECK(parser.expectation() == "format %Y%m%d");
}

TEST_CASE("a %m/%d/%Y %H:%M format reads UCI Online Retail timestamps", "[date]") {
  const DateParser parser("%m/%d/%Y %H:%M");
  CHECK(parser.parse("12/1/2010 8:26") == days_from_civil(2010, 12, 1));
  CHECK(parser.parse("1/12/2011 17:06") == days_from_civil(2011, 1, 12));
  CHECK(parser.parse("12/09/2011 12:50") == days_from_civil(2011, 12, 9));
  CHECK_FALSE(parser.parse("12/1/2010 24:00"));  // hour 24
  CHECK_FALSE(parser.parse("12/1/2010 8:60"));
  CHECK_FALSE(parser.parse("13/1/2010 8:26"));  // month 13
  CHECK_FALSE(parser.parse("2/30/2011 8:26"));  // February 30
  CHECK_FALSE(parser.parse("12/1/10 8:26"));    // %Y needs four digits
  CHECK_FALSE(parser.parse("12/1/2010"));       // time missing
  CHECK_FALSE(parser.parse("12/1/2010 8:26:00"));
}

TEST_CASE("format patterns match literals, %% and seconds exactly", "[date]") {
  CHECK(DateParser("%d.%m.%Y").parse("31.12.2023") == days_from_civil(2023, 12, 31));
  CHECK(DateParser("%Y%%%m%%%d").parse("2023%05%06") == days_from_civil(2023, 5, 6));
  CHECK(DateParser("%Y-%m-%dT%H:%M:%S").parse("2023-05-06T07:08:09") ==
        days_from_civil(2023, 5, 6));
  CHECK_FALSE(DateParser("%Y-%m-%dT%H:%M:%S").parse("2023-05-06T07:08:61"));
  CHECK_FALSE(DateParser("%d.%m.%Y").parse("31/12/2023"));
  // Adjacent numbers take exactly two digits: "%d%m%Y" on "1122023" is ambiguous and rejected.
  CHECK(DateParser("%d%m%Y").parse("01122023") == days_from_civil(2023, 12, 1));
  CHECK_FALSE(DateParser("%d%m%Y").parse("1122023"));
}

TEST_CASE("unsupported or incomplete date formats are usage errors naming the format",
          "[date][inputcheck]") {
  CHECK_THROWS_MATCHES(
      DateParser("%d %b %Y"), clvkit::UsageError,
      What(Catch::Matchers::Contains("'%d %b %Y'") && Catch::Matchers::Contains("'%b'")));
  CHECK_THROWS_MATCHES(DateParser("%Y-%m"), clvkit::UsageError,
                       What(Catch::Matchers::Contains("needs %d")));
  CHECK_THROWS_MATCHES(DateParser("%Y-%m-%d %"), clvkit::UsageError,
                       What(Catch::Matchers::Contains("dangling")));
  CHECK_THROWS_MATCHES(DateParser("%Y%Y%m%d"), clvkit::UsageError,
                       What(Catch::Matchers::Contains("twice")));
}

TEST_CASE("parse_iso_date_or_throw accepts only YYYY-MM-DD real dates", "[date][inputcheck]") {
  CHECK(clvkit::parse_iso_date_or_throw("2024-01-31", "--as-of") == days_from_civil(2024, 1, 31));
  CHECK_THROWS_MATCHES(clvkit::parse_iso_date_or_throw("2024-02-30", "--as-of"), clvkit::UsageError,
                       What(Catch::Matchers::Equals(
                           "--as-of: '2024-02-30' is not a valid date (expected YYYY-MM-DD)")));
  CHECK_THROWS_AS(clvkit::parse_iso_date_or_throw("2024-1-31", "--as-of"), clvkit::UsageError);
  CHECK_THROWS_AS(clvkit::parse_iso_date_or_throw("2024-01-31 10:00", "--as-of"),
                  clvkit::UsageError);
}

TEST_CASE("parse_iso_day reads every real YYYY-MM-DD and rejects every other 10 characters",
          "[date][property]") {
  // Every year 0000..9999 with months 0..13 and days 0..32: accepted exactly when the date is
  // real (leap years by the Gregorian rule), with days_from_civil's number.
  char text[11];
  std::size_t accepted = 0;
  for (int year = 0; year <= 9999; ++year) {
    for (unsigned month = 0; month <= 13; ++month) {
      for (unsigned day = 0; day <= 32; ++day) {
        std::snprintf(text, sizeof text, "%04d-%02u-%02u", year, month, day);
        clvkit::Day parsed = -1;
        const bool ok = clvkit::parse_iso_day(text, parsed);
        const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        const unsigned length = month == 2 ? (leap ? 29u : 28u)
                                : month == 4 || month == 6 || month == 9 || month == 11 ? 30u
                                                                                        : 31u;
        const bool real = month >= 1 && month <= 12 && day >= 1 && day <= length;
        if (ok != real) FAIL_CHECK(text);
        if (ok && parsed != clvkit::days_from_civil(year, month, day)) FAIL_CHECK(text);
        accepted += ok ? 1 : 0;
      }
    }
  }
  REQUIRE(accepted == 3'652'425);  // the days of 10,000 Gregorian years
  // Any one character replaced by a neighbour of '0'..'9' or '-', a letter, a space or a high
  // byte is rejected; the parser agrees.
  const DateParser automatic;
  for (int position = 0; position < 10; ++position) {
    for (const char replacement : {'/', ':', ',', '.', 'a', ' ', '+', '\x80', '\xb0', '\xff'}) {
      std::string bad = "2024-02-29";
      bad[static_cast<std::size_t>(position)] = replacement;
      if (bad[static_cast<std::size_t>(position)] == '-' && (position == 4 || position == 7)) {
        continue;
      }
      clvkit::Day parsed = 0;
      CAPTURE(bad);
      CHECK_FALSE(clvkit::parse_iso_day(bad.data(), parsed));
      CHECK_FALSE(automatic.parse(bad).has_value());
    }
    std::string dash = "2024-02-29";
    if (position != 4 && position != 7) {
      dash[static_cast<std::size_t>(position)] = '-';
      clvkit::Day parsed = 0;
      CAPTURE(dash);
      CHECK_FALSE(clvkit::parse_iso_day(dash.data(), parsed));
    }
  }
}
