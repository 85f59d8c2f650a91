#pragma once
// Calendar dates as day numbers, parsing and formatting.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/day.hpp"

namespace clvkit {

/// Days since 1970-01-01 of a proleptic Gregorian date; month 1..12, day 1..31 (not validated).
/// Negative before 1970. Examples: 1970-01-01 = 0, 1997-09-30 = 10134, 2000-03-01 = 11017.
Day days_from_civil(int year, unsigned month, unsigned day) noexcept;

/// True for a real calendar date: month 1..12, day 1..the month's length (Feb 29 in leap years).
constexpr bool is_valid_date(int year, unsigned month, unsigned day) noexcept {
  if (month < 1 || month > 12 || day < 1) return false;
  if (day <= 28) return true;  // most days: no month length needed
  if (month == 2) return day == 29 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  // 31 days in January, March, May, July, August, October, December: the low bit of the month
  // up to July, flipped from August on.
  return day <= 30u + ((month ^ (month >> 3)) & 1u);
}

namespace detail {

// days_from_civil for years 0..9999, in unsigned arithmetic (no era to find, every division by
// a constant): the same day number, as the tests check for every day.
constexpr Day iso_day_number(unsigned year, unsigned month, unsigned day_of_month) noexcept {
  const unsigned shifted_year = year - (month <= 2 ? 1u : 0u) + 400u;
  const unsigned month_from_march = month <= 2 ? month + 9 : month - 3;
  const unsigned day_of_year = (153 * month_from_march + 2) / 5 + day_of_month - 1;
  return static_cast<Day>(shifted_year * 365 + shifted_year / 4 - shifted_year / 100 +
                          shifted_year / 400 + day_of_year) -
         (719468 + 146097);
}

// The day number of the first of every month of 1900..2155 (12 KiB, computed at compile time):
// a date of those years costs one lookup instead of the arithmetic, once a row.
inline constexpr unsigned kMonthStartsFirstYear = 1900;
inline constexpr unsigned kMonthStartsYears = 256;
inline constexpr auto kMonthStarts = [] {
  std::array<std::array<Day, 12>, kMonthStartsYears> starts{};
  for (unsigned y = 0; y < kMonthStartsYears; ++y) {
    for (unsigned m = 0; m < 12; ++m) {
      starts[y][m] = iso_day_number(kMonthStartsFirstYear + y, m + 1, 1);
    }
  }
  return starts;
}();

}  // namespace detail

/// The day of the 10 characters "YYYY-MM-DD" at `text` (all 10 must be readable), or false when
/// they are not that form or not a real date. The form of nearly every log's dates, once a row:
/// the digits are checked and converted 8 bytes at a time, without branching per character.
inline bool parse_iso_day(const char* text, Day& day) noexcept {
  if constexpr (std::endian::native != std::endian::little) {
    // The byte positions below assume little-endian loads; elsewhere, character by character.
    for (const int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
      if (static_cast<unsigned char>(text[i] - '0') > 9) return false;
    }
    if (text[4] != '-' || text[7] != '-') return false;
    const auto digit = [text](int i) { return static_cast<unsigned>(text[i] - '0'); };
    const int year = static_cast<int>(digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3));
    const unsigned month = digit(5) * 10 + digit(6), day_of_month = digit(8) * 10 + digit(9);
    if (!is_valid_date(year, month, day_of_month)) return false;
    day = days_from_civil(year, month, day_of_month);
    return true;
  }
  std::uint64_t head;  // "YYYY-MM-", text[i] in byte i
  std::uint16_t tail;  // "DD"
  std::memcpy(&head, text, 8);
  std::memcpy(&tail, text + 8, 2);
  constexpr std::uint64_t kDigitBytes = 0x00FFFF00FFFFFFFFull;  // bytes 4 and 7 are the '-'
  constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
  const std::uint64_t digits = (head ^ 0x3030303030303030ull) & kDigitBytes;  // '0'..'9' -> 0..9
  const auto tail_digits = static_cast<std::uint32_t>(tail ^ 0x3030u);
  // A byte above 9 gets its high bit from + 0x76, one from 0x80 up has it already; a carry out of
  // a bad byte can only add rejections, never hide the bad byte.
  if ((((digits + 0x7676767676767676ull) | digits) & kHighBits & kDigitBytes) != 0 ||
      (((tail_digits + 0x7676u) | tail_digits) & 0x8080u) != 0 ||
      (head & ~kDigitBytes) != 0x2D00002D00000000ull) {
    return false;
  }
  const auto byte = [digits](int i) { return static_cast<unsigned>((digits >> (8 * i)) & 0xFF); };
  const int year = static_cast<int>(byte(0) * 1000 + byte(1) * 100 + byte(2) * 10 + byte(3));
  const unsigned month = byte(5) * 10 + byte(6);
  const unsigned day_of_month = (tail_digits & 0xFF) * 10 + (tail_digits >> 8);
  if (!is_valid_date(year, month, day_of_month)) return false;
  const unsigned years_since_table = static_cast<unsigned>(year) - detail::kMonthStartsFirstYear;
  if (years_since_table < detail::kMonthStartsYears) [[likely]] {
    day = detail::kMonthStarts[years_since_table][month - 1] + static_cast<Day>(day_of_month) - 1;
  } else {
    day = detail::iso_day_number(static_cast<unsigned>(year), month, day_of_month);
  }
  return true;
}

/// A calendar period into which days are grouped (`--period`, for models of discrete
/// opportunities): ISO weeks (Monday to Sunday), calendar months, quarters (January, April, July,
/// October) and years.
enum class Period { week, month, quarter, year };

/// "week", "month", "quarter" or "year".
const char* period_key(Period period) noexcept;
/// Parses a period_key; nullopt for anything else.
std::optional<Period> parse_period(std::string_view text) noexcept;
/// The first day of the period that contains `day`.
Day period_start(Day day, Period period) noexcept;
/// The last day of the period that contains `day`.
Day period_end(Day day, Period period) noexcept;
/// The last day of the last period that has ended by the end of `day`: `day` itself when it
/// ends its period, otherwise the day before its period's first day.
Day last_complete_period_end(Day day, Period period) noexcept;

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
