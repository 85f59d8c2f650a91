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
      {count(static_cast<std::int64_t>(n)), tr("kpi.customers")},
      {percent(repeat / n), tr("kpi.repeat")},
      {money(revenue, data, 0), tr("kpi.revenue")},
      {num(alive / n, 3), tr("kpi.p_alive")},
      {num(expected, 0), trf("kpi.expected_purchases", {{"horizon", ctx.horizon}})},
      {money(clv, data, 0), trf("kpi.clv", {{"horizon", ctx.horizon}})},
      {money(risk, data, 0), trf("kpi.value_at_risk", {{"horizon", ctx.horizon}})}};
  if (data.forecast) {
    const Interval& r = data.forecast->total.revenue;
    items.push_back(
        {num(r.low, 0) + " – " + num(r.high, 0),
         trf("kpi.forecast", {{"horizon", ctx.horizon}}) +
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
