#pragma once
// Calendar dates as day numbers, parsing and formatting.

#include <optional>
#include <string>
#include <string_view>

#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// Days since 1970-01-01 of a proleptic Gregorian date; month 1..12, day 1..31 (not validated).
Day days_from_civil(int year, unsigned month, unsigned day) noexcept;

/// Formats a day number as "YYYY-MM-DD".
std::string format_day(Day day);

/// A date format: empty = automatic ("YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]",
/// "YYYY-MM-DDTHH:MM:SS[...]"); otherwise a strftime-style pattern with %Y %m %d %H %M %S %%,
/// e.g. "%Y%m%d" (CDNOW) or "%m/%d/%Y %H:%M" (UCI Online Retail). The time of day is parsed
/// and validated but dropped: transactions are bucketed to calendar days.
class DateParser {
 public:
  explicit DateParser(std::string format = {});
  /// The day of `text`, or nothing when it does not match the format or is not a real date.
  std::optional<Day> parse(std::string_view text) const noexcept;
  const std::string& format() const noexcept { return format_; }

 private:
  std::string format_;
};

/// Parses an as-of style date given on the command line ("YYYY-MM-DD"); throws UsageError.
Day parse_iso_date_or_throw(std::string_view text, std::string_view what);

}  // namespace clvkit
