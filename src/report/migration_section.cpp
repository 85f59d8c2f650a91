#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "clvkit/io/date.hpp"
#include "clvkit/report/charts.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {
namespace {

// Customers per segment at every snapshot, one line per segment that ever had customers.
std::string sizes_over_time_figure(const Context& ctx, const Migration& m) {
  LineChartData chart;
  chart.title = tr("migration.sizes.title");
  chart.x_label = trf("migration.sizes.x_label", {{"date", date(m.snapshots.front().as_of)}});
  chart.y_label = tr("common.customers");
  chart.show_markers = true;
  chart.y_decimals = 0;
  chart.width = wide_chart;
  for (std::size_t s = 0; s < m.segment_names.size(); ++s) {
    LineSeries series{ctx.segment(m.segment_names[s]), {}, {}};
    bool any = false;
    for (const Snapshot& snapshot : m.snapshots) {
      series.x.push_back(static_cast<double>(snapshot.as_of - m.snapshots.front().as_of));
      const std::int64_t customers = snapshot.summary.segments[s].customers;
      series.y.push_back(static_cast<double>(customers));
      any = any || customers > 0;
    }
    if (any) chart.series.push_back(std::move(series));
  }
  return figure("segment-sizes-over-time", Layout::wide, line_chart(chart),
                trf(m.edges == SnapshotEdges::first ? "migration.sizes.caption_first"
                                                    : "migration.sizes.caption_each",
                    {{"snapshots", count(static_cast<std::int64_t>(m.snapshots.size()))},
                     {"first", esc(date(m.snapshots.front().as_of))},
                     {"last", esc(date(m.snapshots.back().as_of))}}));
}

std::vector<std::string> shown_names(const Context& ctx, const Migration& m) {
  std::vector<std::string> names;
  for (const std::string& name : m.segment_names) names.push_back(ctx.segment(name));
  return names;
}

std::vector<std::string> origin_names(const Context& ctx, const Migration& m) {
  std::vector<std::string> names{tr("migration.new_customers")};
  const std::vector<std::string> shown = shown_names(ctx, m);
  names.insert(names.end(), shown.begin(), shown.end());
  return names;
}

std::string flows_figure(const Context& ctx, const Migration& m, const Transition& t) {
  FlowDiagramData chart;
  chart.title = tr("migration.flows.title");
  chart.left_label = date(t.from_as_of);
  chart.right_label = date(t.to_as_of);
  chart.left_nodes = origin_names(ctx, m);
  chart.right_nodes = shown_names(ctx, m);
  chart.unit = tr("migration.flows.unit");
  chart.width = half_chart;
  for (int origin = 0; origin <= t.segments; ++origin) {
    std::vector<double> row;
    for (int to = 0; to < t.segments; ++to) row.push_back(static_cast<double>(t.count(origin, to)));
    chart.flows.push_back(row);
  }
  return figure("segment-flows", Layout::half, flow_diagram(chart),
                trf("migration.flows.caption", {{"from", esc(date(t.from_as_of))},
                                                {"to", esc(date(t.to_as_of))},
                                                {"moved", count(t.moved)}}));
}

std::string matrix_figure(const Context& ctx, const Migration& m, const Transition& t) {
  HeatmapData chart;
  chart.title = tr("migration.matrix.title");
  chart.row_label = trf("migration.matrix.segment_on", {{"date", date(t.from_as_of)}});
  chart.column_label = trf("migration.matrix.segment_on", {{"date", date(t.to_as_of)}});
  chart.value_label = tr("migration.matrix.value_label");
  chart.row_labels = origin_names(ctx, m);
  chart.column_labels = shown_names(ctx, m);
  chart.colour_min = 0.0;
  chart.colour_max = 100.0;
  chart.width = half_chart;
  for (int origin = 0; origin <= t.segments; ++origin) {
    std::int64_t total = 0;
    for (int to = 0; to < t.segments; ++to) total += t.count(origin, to);
    std::vector<double> row;
    for (int to = 0; to < t.segments; ++to) {
      row.push_back(total == 0 ? std::numeric_limits<double>::quiet_NaN()
                               : 100.0 * t.share(origin, to));
    }
    chart.values.push_back(row);
  }
  return figure("transition-matrix", Layout::half, heatmap(chart),
                trf("migration.matrix.caption",
                    {{"from", esc(date(t.from_as_of))}, {"to", esc(date(t.to_as_of))}}));
}

// Mean CLV per customer of each segment at the later snapshot: what "a segment worth less" means.
std::vector<double> clv_per_customer(const Snapshot& snapshot) {
  std::vector<double> out;
  for (const SegmentStats& s : snapshot.summary.segments) {
    out.push_back(s.customers == 0 ? 0.0 : s.clv / static_cast<double>(s.customers));
  }
  return out;
}

std::string moved_down_table(const Context& ctx, const Migration& m, const Transition& t) {
  const std::vector<double> worth = clv_per_customer(m.snapshots.back());
  std::vector<const CustomerMove*> down;
  for (const CustomerMove& move : t.moves) {
    if (worth[static_cast<std::size_t>(move.to)] < worth[static_cast<std::size_t>(move.from)]) {
      down.push_back(&move);
    }
  }
  std::stable_sort(down.begin(), down.end(), [](const CustomerMove* a, const CustomerMove* b) {
    return a->clv > b->clv;
  });
  const std::size_t shown =
      std::min(down.size(), static_cast<std::size_t>(ctx.data.top_customers));
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < shown; ++k) {
    const CustomerMove& move = *down[k];
    rows.push_back({std::to_string(k + 1), esc(move.id),
                    esc(ctx.segment(m.segment_names[static_cast<std::size_t>(move.from)])),
                    esc(ctx.segment(m.segment_names[static_cast<std::size_t>(move.to)])),
                    esc(rfm_cell(move.before)), esc(rfm_cell(move.after)), num(move.p_alive, 3),
                    num(move.clv, 2), num(move.value_at_risk, 2)});
  }
  std::string out = "<p>" +
                    trf("migration.down.text",
                        {{"moved", count(static_cast<std::int64_t>(down.size()))},
                         {"date", esc(date(t.to_as_of))},
                         {"shown", count(static_cast<std::int64_t>(shown))}}) +
                    "</p>\n";
  out += table("", {{"#", "num"},
                    {tr("common.customer"), "id"},
                    {tr("migration.down.from"), ""},
                    {tr("migration.down.to"), ""},
                    {tr("migration.down.rfm_before"), ""},
                    {tr("migration.down.rfm_after"), ""},
                    {"P(alive)", "num"},
                    {trf("migration.down.clv", {{"currency", esc(ctx.currency)}}), "num"},
                    {trf("common.value_at_risk_in", {{"currency", esc(ctx.currency)}}), "num"}},
               rows);
  return out;
}

}  // namespace

std::string migration_section(const Context& ctx) {
  const Migration& m = *ctx.data.migration;
  const Transition& last = m.transitions.back();
  std::string out = section_start(
      "migration", tr("nav.migration"),
      trf("migration.lead", {{"snapshots", count(static_cast<std::int64_t>(m.snapshots.size()))},
                             {"first", esc(date(m.snapshots.front().as_of))},
                             {"last", esc(date(m.snapshots.back().as_of))},
                             {"moved", count(last.moved)},
                             {"entries", count(m.snapshots.back().total_entries())}}));
  out += sizes_over_time_figure(ctx, m);
  out += "<div class=\"grid\">\n";
  out += flows_figure(ctx, m, last);
  out += matrix_figure(ctx, m, last);
  out += "</div>\n";
  out += moved_down_table(ctx, m, last);
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
