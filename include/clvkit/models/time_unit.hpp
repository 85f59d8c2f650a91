#pragma once
// Time units of model parameters and horizons. A month is 365.25/12 days throughout clvkit.

#include <string>
#include <string_view>

namespace clvkit {

enum class TimeUnit { day, week, month };

inline constexpr double kDaysPerMonth = 365.25 / 12.0;

/// Length of one unit in days (1, 7, 365.25/12).
double unit_days(TimeUnit unit) noexcept;
/// "day", "week" or "month".
const char* time_unit_key(TimeUnit unit) noexcept;
/// Parses "day", "week" or "month"; throws UsageError naming `what` otherwise.
TimeUnit parse_time_unit(std::string_view text, std::string_view what = "--time-unit");

/// A horizon such as "12m", "52w" or "90d" (also "1.5m"), converted to days. Throws UsageError
/// naming `what` for anything else, or for a horizon that is not positive and finite.
double parse_horizon_days(std::string_view text, std::string_view what = "--horizon");

}  // namespace clvkit
