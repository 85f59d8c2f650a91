#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "clvkit/io/date.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {

std::string call_list_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  // The customers with the largest value at risk.
  const std::vector<std::size_t> top =
      largest_first(data.customers.size(), static_cast<std::size_t>(data.top_customers),
                    [&data](std::size_t i) { return data.predictions[i].value_at_risk; });
  std::string out = section_start(
      "call-list", tr("nav.call_list"),
      trf("call_list.lead", {{"customers", count(static_cast<std::int64_t>(top.size()))},
                             {"horizon", esc(ctx.horizon)}}));
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < top.size(); ++k) {
    const std::size_t i = top[k];
    const CustomerSummary& c = data.customers[i];
    const CustomerPrediction& p = data.predictions[i];
    const std::string& segment =
        data.scheme->segments()[static_cast<std::size_t>(data.segment[i])].name;
    rows.push_back({std::to_string(k + 1), esc(c.id), esc(ctx.segment(segment)), num(p.p_alive, 3),
                    num(p.clv_if_alive, 2), num(p.value_at_risk, 2), esc(date(c.last_purchase)),
                    count(c.days_since_last), count(c.frequency), num(c.total_spend, 2)});
  }
  const std::string currency = esc(ctx.currency);
  out += table("",
               {{"#", "num"},
                {tr("common.customer"), "id"},
                {tr("common.segment"), ""},
                {"P(alive)", "num"},
                {trf("call_list.clv_if_alive", {{"currency", currency}}), "num"},
                {trf("common.value_at_risk_in", {{"currency", currency}}), "num"},
                {tr("call_list.last_purchase"), ""},
                {tr("call_list.days_since"), "num"},
                {tr("common.repeat_purchases"), "num"},
                {trf("call_list.spend_to_date", {{"currency", currency}}), "num"}},
               rows);
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
