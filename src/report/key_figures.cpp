#include <cstdint>
#include <vector>

#include "clvkit/report/svg.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {

std::string key_figures(const Context& ctx) {
  const ReportData& data = ctx.data;
  std::int64_t repeat = 0;
  double revenue = 0, expected = 0, clv = 0, risk = 0, alive = 0;
  for (std::size_t i = 0; i < data.customers.size(); ++i) {
    repeat += data.customers[i].frequency > 0 ? 1 : 0;
    revenue += data.customers[i].total_spend;
    expected += data.predictions[i].expected_purchases;
    clv += data.predictions[i].clv;
    risk += data.predictions[i].value_at_risk;
    alive += data.predictions[i].p_alive;
  }
  const double n = static_cast<double>(data.customers.size());
  std::vector<std::pair<std::string, std::string>> items = {
      {count(static_cast<std::int64_t>(n)), "customers"},
      {percent(repeat / n), "bought again after their first purchase day"},
      {money(revenue, data, 0), "revenue to date"},
      {num(alive / n, 3), "mean P(alive)"},
      {num(expected, 0), "expected purchases, next " + ctx.horizon},
      {money(clv, data, 0), "expected CLV, next " + ctx.horizon},
      {money(risk, data, 0), "value at risk, next " + ctx.horizon}};
  if (data.forecast) {
    const Interval& r = data.forecast->total.revenue;
    items.push_back(
        {num(r.low, 0) + " – " + num(r.high, 0),
         "revenue, next " + ctx.horizon + ", 90% prediction interval" +
             (data.metadata.currency.empty() ? "" : " (" + data.metadata.currency + ")")});
  }
  std::string out = "<div class=\"kpis\">\n";
  for (const auto& [value, label] : items) {
    out += "<div class=\"kpi\"><span class=\"kpi-value\">" + esc(value) +
           "</span><span class=\"kpi-label\">" + esc(label) + "</span></div>\n";
  }
  return out + "</div>\n";
}

}  // namespace clvkit::report::detail
