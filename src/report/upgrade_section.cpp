#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "html_parts.hpp"

namespace clvkit::report::detail {
namespace {

const std::string& segment_name(const Context& ctx, int index) {
  return ctx.segment(ctx.data.scheme->segments()[static_cast<std::size_t>(index)].name);
}

// Per segment: its customers, how many are one purchase from a better segment and from the top
// one, and what those purchases are worth.
std::string segment_table(const Context& ctx, const std::string& top) {
  const SegmentSummary& summary = ctx.data.summary;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < summary.segments.size(); ++k) {
    const SegmentStats& s = summary.segments[k];
    rows.push_back({esc(segment_name(ctx, static_cast<int>(k))), count(s.customers),
                    count(s.one_purchase_to_better), count(s.one_purchase_to_top),
                    num(s.upgrade_value_one_purchase, 2), num(s.upgrade_value, 2)});
  }
  const std::string currency = esc(ctx.currency);
  return table(tr("upgrade.segments.caption"),
               named_number_columns(tr("common.segment"),
                                    {tr("common.customers"), tr("upgrade.one_purchase_to_better"),
                                     trf("upgrade.one_purchase_to_top", {{"segment", top}}),
                                     trf("upgrade.value_one_purchase", {{"currency", currency}}),
                                     trf("upgrade.value_all", {{"currency", currency}})}),
               rows);
}

}  // namespace

std::string upgrade_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const SegmentSummary& summary = data.summary;
  const std::string top = esc(segment_name(ctx, summary.top_segment));
  std::int64_t better = 0;
  std::int64_t to_top = 0;
  double value = 0.0;
  for (const SegmentStats& s : summary.segments) {
    better += s.one_purchase_to_better;
    to_top += s.one_purchase_to_top;
    value += s.upgrade_value_one_purchase;
  }
  std::string out = section_start("upgrade", tr("nav.upgrade"),
                                  trf("upgrade.lead", {{"as_of", esc(date(data.metadata.as_of))},
                                                       {"better", count(better)},
                                                       {"top", count(to_top)},
                                                       {"top_segment", top},
                                                       {"value", money(value, data)},
                                                       {"horizon", esc(ctx.horizon)}}));
  out += segment_table(ctx, top);
  // The customers whose next purchase adds most CLV.
  const std::vector<std::size_t> list =
      largest_first(data.upgrade.size(), static_cast<std::size_t>(data.top_customers),
                    [&data](std::size_t i) { return data.upgrade[i].upgrade_value; });
  out += "<p>" +
         trf("upgrade.list_lead", {{"customers", count(static_cast<std::int64_t>(list.size()))}}) +
         "</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < list.size(); ++k) {
    const std::size_t i = list[k];
    const NextPurchase& next = data.upgrade[i];
    const CustomerPrediction& p = data.predictions[i];
    const bool reachable = next.purchases_to_upgrade > 0;
    rows.push_back({std::to_string(k + 1), esc(data.customers[i].id),
                    esc(segment_name(ctx, data.segment[i])), esc(segment_name(ctx, next.segment)),
                    next.purchases_to_upgrade < 0 ? tr("upgrade.beyond_cap")
                                                  : count(next.purchases_to_upgrade),
                    reachable ? esc(segment_name(ctx, next.upgrade_segment)) : "–",
                    num(next.upgrade_value, 2), num(p.clv, 2), num(p.p_alive, 3)});
  }
  const std::string currency = esc(ctx.currency);
  out += table("",
               {{"#", "num"},
                {tr("common.customer"), "id"},
                {tr("common.segment"), ""},
                {tr("upgrade.next_segment"), ""},
                {tr("upgrade.purchases_to_upgrade"), "num"},
                {tr("upgrade.upgrade_segment"), ""},
                {trf("upgrade.upgrade_value", {{"currency", currency}}), "num"},
                {trf("upgrade.clv", {{"currency", currency}}), "num"},
                {"P(alive)", "num"}},
               rows);
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
