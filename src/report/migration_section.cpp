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
std::string sizes_over_time_figure(const Migration& m) {
  LineChartData chart;
  chart.title = "Customers per segment at each snapshot";
  chart.x_label = "Days after the first snapshot (" + format_day(m.snapshots.front().as_of) + ")";
  chart.y_label = "Customers";
  chart.show_markers = true;
  chart.y_decimals = 0;
  chart.width = wide_chart;
  for (std::size_t s = 0; s < m.segment_names.size(); ++s) {
    LineSeries series{m.segment_names[s], {}, {}};
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
                "How many customers each segment held at each of the " +
                    count(static_cast<std::int64_t>(m.snapshots.size())) + " snapshots, from " +
                    esc(format_day(m.snapshots.front().as_of)) + " to " +
                    esc(format_day(m.snapshots.back().as_of)) +
                    (m.edges == SnapshotEdges::first
                         ? ", every snapshot scored with the first one's score boundaries (a "
                           "change is a change of behaviour)."
                         : ", the score boundaries recomputed at each snapshot (what a run as of "
                           "that day gives)."));
}

std::vector<std::string> origin_names(const Migration& m) {
  std::vector<std::string> names{"New customers"};
  names.insert(names.end(), m.segment_names.begin(), m.segment_names.end());
  return names;
}

std::string flows_figure(const Migration& m, const Transition& t) {
  FlowDiagramData chart;
  chart.title = "Where the customers went";
  chart.left_label = format_day(t.from_as_of);
  chart.right_label = format_day(t.to_as_of);
  chart.left_nodes = origin_names(m);
  chart.right_nodes = m.segment_names;
  chart.width = half_chart;
  for (int origin = 0; origin <= t.segments; ++origin) {
    std::vector<double> row;
    for (int to = 0; to < t.segments; ++to) row.push_back(static_cast<double>(t.count(origin, to)));
    chart.flows.push_back(row);
  }
  return figure("segment-flows", Layout::half, flow_diagram(chart),
                "Each band is the customers who were in the segment on the left on " +
                    esc(format_day(t.from_as_of)) + " (or had not bought yet: new customers) "
                    "and in the segment on the right on " + esc(format_day(t.to_as_of)) +
                    ", as wide as their number. " + count(t.moved) +
                    " customers changed segment.");
}

std::string matrix_figure(const Migration& m, const Transition& t) {
  HeatmapData chart;
  chart.title = "Transition matrix (% of each row)";
  chart.row_label = "Segment on " + format_day(t.from_as_of);
  chart.column_label = "Segment on " + format_day(t.to_as_of);
  chart.value_label = "Share of the row's customers (%)";
  chart.row_labels = origin_names(m);
  chart.column_labels = m.segment_names;
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
                "Row: the segment on " + esc(format_day(t.from_as_of)) +
                    "; column: the segment on " + esc(format_day(t.to_as_of)) +
                    "; a cell is the share of the row's customers who went there. The diagonal "
                    "stayed; grey rows had no customers.");
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
                    esc(m.segment_names[static_cast<std::size_t>(move.from)]),
                    esc(m.segment_names[static_cast<std::size_t>(move.to)]),
                    esc(rfm_cell(move.before)), esc(rfm_cell(move.after)), num(move.p_alive, 3),
                    num(move.clv, 2), num(move.value_at_risk, 2)});
  }
  std::string out = "<p>" + count(static_cast<std::int64_t>(down.size())) +
                    " customers moved to a segment whose customers are worth less on average "
                    "(mean CLV per customer on " +
                    esc(format_day(t.to_as_of)) + "); the " +
                    count(static_cast<std::int64_t>(shown)) +
                    " most valuable of them, largest CLV first. `clvkit migrate` lists every "
                    "move.</p>\n";
  out += table("", {{"#", "num"},
                    {"Customer", "id"},
                    {"From", ""},
                    {"To", ""},
                    {"RFM before", ""},
                    {"RFM after", ""},
                    {"P(alive)", "num"},
                    {"CLV (" + esc(ctx.currency) + ")", "num"},
                    {"Value at risk (" + esc(ctx.currency) + ")", "num"}},
               rows);
  return out;
}

}  // namespace

std::string migration_section(const Context& ctx) {
  const Migration& m = *ctx.data.migration;
  const Transition& last = m.transitions.back();
  std::string out = section_start(
      "migration", "How segments change",
      count(static_cast<std::int64_t>(m.snapshots.size())) + " snapshots from " +
          esc(format_day(m.snapshots.front().as_of)) + " to " +
          esc(format_day(m.snapshots.back().as_of)) +
          ", each segmented as a run as of that day would be. Between the last two, " +
          count(last.moved) + " customers changed segment and " +
          count(m.snapshots.back().total_entries()) + " bought for the first time.");
  out += sizes_over_time_figure(m);
  out += "<div class=\"grid\">\n";
  out += flows_figure(m, last);
  out += matrix_figure(m, last);
  out += "</div>\n";
  out += moved_down_table(ctx, m, last);
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
