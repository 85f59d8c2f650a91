#pragma once
// Time units of model parameters and horizons. A year is 365.25 days, a quarter a quarter of it
// and a month 365.25/12 days throughout clvkit.

#include <string>
#include <string_view>

#include "clvkit/io/date.hpp"

namespace clvkit {

enum class TimeUnit { day, week, month, quarter, year };

inline constexpr double kDaysPerYear = 365.25;
inline constexpr double kDaysPerMonth = kDaysPerYear / 12.0;

/// Length of one unit in days (1, 7, 365.25/12, 365.25/4, 365.25).
double unit_days(TimeUnit unit) noexcept;
/// "day", "week", "month", "quarter" or "year".
const char* time_unit_key(TimeUnit unit) noexcept;
/// Parses "day", "week", "month", "quarter" or "year"; throws UsageError naming `what` otherwise.
TimeUnit parse_time_unit(std::string_view text, std::string_view what = "--time-unit");

/// The time unit of a calendar period (a model fitted on a log read at a period's grain counts
/// in periods): week, month, quarter or year.
TimeUnit time_unit_of(Period period) noexcept;

/// A horizon such as "12m", "52w", "90d", "4q" or "2y" (also "1.5m"), converted to days. Throws UsageError
/// naming `what` for anything else, or for a horizon that is not positive and finite.
double parse_horizon_days(std::string_view text, std::string_view what = "--horizon");

}  // namespace clvkit
