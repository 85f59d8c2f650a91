#include "clvkit/models/time_unit.hpp"

#include <charconv>
#include <cmath>

#include "clvkit/error.hpp"
#include "clvkit/util/checks.hpp"

namespace clvkit {

double unit_days(TimeUnit unit) noexcept {
  switch (unit) {
    case TimeUnit::day:
      return 1.0;
    case TimeUnit::week:
      return 7.0;
    case TimeUnit::month:
      return kDaysPerMonth;
    case TimeUnit::quarter:
      return kDaysPerYear / 4.0;
    case TimeUnit::year:
      return kDaysPerYear;
  }
  return 1.0;
}

const char* time_unit_key(TimeUnit unit) noexcept {
  switch (unit) {
    case TimeUnit::day:
      return "day";
    case TimeUnit::week:
      return "week";
    case TimeUnit::month:
      return "month";
    case TimeUnit::quarter:
      return "quarter";
    case TimeUnit::year:
      return "year";
  }
  return "?";
}

TimeUnit parse_time_unit(std::string_view text, std::string_view what) {
  if (text == "day") return TimeUnit::day;
  if (text == "week") return TimeUnit::week;
  if (text == "month") return TimeUnit::month;
  if (text == "quarter") return TimeUnit::quarter;
  if (text == "year") return TimeUnit::year;
  throw UsageError(std::string(what) + ": unknown time unit '" + std::string(text) +
                   "' (expected day, week, month, quarter or year)");
}

TimeUnit time_unit_of(Period period) noexcept {
  switch (period) {
    case Period::week:
      return TimeUnit::week;
    case Period::month:
      return TimeUnit::month;
    case Period::quarter:
      return TimeUnit::quarter;
    case Period::year:
      return TimeUnit::year;
  }
  return TimeUnit::week;
}

double parse_horizon_days(std::string_view text, std::string_view what) {
  const auto fail = [&] {
    throw UsageError(std::string(what) + ": cannot read horizon '" + std::string(text) +
                     "' (expected a positive number followed by d, w, m, q or y, e.g. 12m, 52w, 90d, 1y)");
  };
  if (text.size() < 2) fail();
  double count = 0.0;
  const char* end = text.data() + text.size() - 1;
  const auto [ptr, ec] = std::from_chars(text.data(), end, count);
  if (ec != std::errc() || ptr != end || !is_positive_finite(count)) fail();
  switch (text.back()) {
    case 'd':
      return count;
    case 'w':
      return count * 7.0;
    case 'm':
      return count * kDaysPerMonth;
    case 'q':
      return count * kDaysPerYear / 4.0;
    case 'y':
      return count * kDaysPerYear;
    default:
      fail();
  }
  return 0.0;
}

}  // namespace clvkit
