#pragma once
// Calendar dates as day numbers, parsing and formatting.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// Days since 1970-01-01 of a proleptic Gregorian date; month 1..12, day 1..31 (not validated).
/// Negative before 1970. Examples: 1970-01-01 = 0, 1997-09-30 = 10134, 2000-03-01 = 11017.
Day days_from_civil(int year, unsigned month, unsigned day) noexcept;

/// Formats a day number as "YYYY-MM-DD" (years outside 0..9999 are written with as many digits
/// as they need and a leading '-' when negative).
std::string format_day(Day day);

/// The most characters format_day_to writes (format_day of the smallest Day is 14).
inline constexpr std::size_t kMaxDayChars = 16;

/// Writes the text of format_day(day) at `out`, without a terminator, and returns the end of what
/// it wrote (at most kMaxDayChars characters): the allocation-free form for writers of many
/// records, as std::to_chars is for numbers.
char* format_day_to(char* out, Day day) noexcept;

/// A date format: empty = automatic; otherwise a strftime-style pattern.
///
/// Automatic forms (the whole text must match):
///   "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DDTHH:MM[:SS]",
///   where seconds may be followed by a fraction (".123456"), and any time by "Z" or a
///   "+HH:MM" / "-HH:MM" offset. The offset is validated and ignored: the calendar date as
///   written is the day of the transaction (no conversion to UTC).
///
/// Patterns: %Y = exactly 4 digits, %m %d %H %M %S = 1 or 2 digits, or exactly 2 when the next
/// pattern item is also a number (so "%Y%m%d" reads CDNOW's "19970101"), %% = '%', any other
/// character must appear literally. %Y, %m and %d are required, each at most once; e.g.
/// "%Y%m%d" (CDNOW) or "%m/%d/%Y %H:%M" (UCI Online Retail, "12/1/2010 8:26").
///
/// Both modes reject impossible dates and times (2023-02-30, month 13, hour 24, minute 60;
/// second 60 is accepted for leap seconds). The time of day is parsed and validated but dropped:
/// transactions are bucketed to calendar days. Parsing does not allocate, use locales or regex.
class DateParser {
 public:
  /// Compiles `format`; throws UsageError naming the format when it has an unknown directive
  /// (e.g. "%b"), a dangling '%', or lacks or repeats %Y, %m or %d.
  explicit DateParser(std::string format = {});
  /// The day of `text`, or nothing when it does not match the format or is not a real date.
  /// `text` is matched exactly: callers trim surrounding spaces themselves.
  std::optional<Day> parse(std::string_view text) const noexcept;
  const std::string& format() const noexcept { return format_; }
  /// What the parser expects, for error messages: "format %Y%m%d" or the automatic forms.
  std::string expectation() const;

 private:
  enum class Field : std::uint8_t { literal, year, month, day, hour, minute, second };
  struct Item {
    Field field = Field::literal;
    char literal = 0;             ///< the character to match when field == literal
    std::uint8_t min_digits = 0;  ///< digits accepted for a numeric field
    std::uint8_t max_digits = 0;
  };

  std::string format_;
  std::vector<Item> items_;  ///< compiled pattern; empty = automatic ISO forms
};

/// Parses an as-of style date given on the command line: exactly "YYYY-MM-DD" and a real date.
/// Throws UsageError("<what>: '<text>' is not a valid date (expected YYYY-MM-DD)").
Day parse_iso_date_or_throw(std::string_view text, std::string_view what);

}  // namespace clvkit
