#include <cstdint>
#include <vector>

#include "clvkit/io/date.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {

std::string about_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const ReportMetadata& m = data.metadata;
  const ScoringSpec& scoring = data.scheme->scoring();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Transaction log", esc(m.source)},
      {"Transactions used", esc(format_day(m.first_day)) + " to " + esc(format_day(m.last_day))},
      {"As of (last observed day)", esc(format_day(m.as_of))},
      {"Rows read / used", count(m.rows.rows_read) + " / " + count(m.rows.rows_used)},
      {"Rows rejected / after the as-of day",
       count(m.rows.rows_rejected()) + " / " + count(m.rows.rows_after_as_of)},
      {"Customers", count(static_cast<std::int64_t>(data.customers.size()))},
      {"Segment scheme",
       esc(data.scheme->name()) + " (" + esc(data.scheme->source()) + "), " +
           std::to_string(data.scheme->bins()) + " scores per dimension, " +
           (scoring.method == ScoringMethod::quantile ? "quantile" : "threshold") +
           " scoring, M from " +
           (scoring.monetary_basis == MonetaryBasis::total ? "total spend" : "average spend")},
      {"Model time unit", time_unit_key(data.models.time_unit)},
      {"Value horizon", esc(ctx.horizon)},
      {"Margin", num(100.0 * data.value.margin, 1) + "% of spend"},
      {"Discounting",
       data.value.period_discount_rate
           ? num(100.0 * *data.value.period_discount_rate, 2) + "% per month"
           : num(100.0 * data.value.annual_discount_rate, 2) + "% per year, applied monthly"}};
  if (data.forecast) {
    rows.push_back({"Forecast", count(data.forecast_draws) + " simulated futures, seed " +
                                    std::to_string(data.forecast_seed)});
  }
  if (data.validation) {
    rows.push_back({"Calibration end", esc(format_day(data.validation->calibration_end))});
  }
  if (!m.version.empty()) rows.push_back({"Made with", "clvkit " + esc(m.version)});
  std::string out = section_start(
      "about", "7. How this report was made",
      "One purchase occasion per customer and day; x is the number of repeat purchase days, t_x "
      "the time from the first to the last purchase and T from the first purchase to the as-of "
      "day. The report is a single file with no scripts and no network access: it can be mailed "
      "or archived as it is.");
  out += key_value_table("", rows);
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
