#include <algorithm>
#include <cstdint>
#include <vector>

#include "clvkit/report/charts.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {
namespace {

// Segment shown for each (R, F) cell of the map: the one most of its customers are in (ties:
// the lower index); for a cell without customers, the one most of its M scores map to.
std::vector<std::vector<int>> rf_segments(const ReportData& data) {
  const int bins = data.summary.bins;
  const std::size_t segments = data.scheme->segments().size();
  std::vector<std::int64_t> tally(static_cast<std::size_t>(bins * bins) * segments, 0);
  for (std::size_t i = 0; i < data.customers.size(); ++i) {
    const RfmScore s = data.scores[i];
    const std::size_t cell = static_cast<std::size_t>((s.r - 1) * bins + (s.f - 1));
    ++tally[cell * segments + static_cast<std::size_t>(data.segment[i])];
  }
  std::vector<std::vector<int>> out;
  for (int r = bins; r >= 1; --r) {
    std::vector<int> row;
    for (int f = 1; f <= bins; ++f) {
      const std::size_t cell = static_cast<std::size_t>((r - 1) * bins + (f - 1));
      std::vector<std::int64_t> votes(
          tally.begin() + static_cast<std::ptrdiff_t>(cell * segments),
          tally.begin() + static_cast<std::ptrdiff_t>((cell + 1) * segments));
      if (std::all_of(votes.begin(), votes.end(), [](std::int64_t v) { return v == 0; })) {
        for (int m = 1; m <= bins; ++m) {
          const RfmScore score{static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(f),
                               static_cast<std::uint8_t>(m)};
          ++votes[static_cast<std::size_t>(data.scheme->segment_of(score))];
        }
      }
      // max_element returns the first of equal maxima: ties go to the lower index.
      row.push_back(static_cast<int>(std::max_element(votes.begin(), votes.end()) - votes.begin()));
    }
    out.push_back(row);
  }
  return out;
}

// Each segment's share of the customers and of the revenue to date.
std::string segment_sizes_figure(const Context& ctx) {
  const SegmentSummary& summary = ctx.data.summary;
  BarChartData sizes;
  sizes.title = tr("segments.sizes.title");
  sizes.category_label = tr("common.segment");
  sizes.value_label = tr("segments.sizes.value_label");
  sizes.orientation = Orientation::horizontal;
  sizes.show_values = true;
  sizes.value_decimals = 1;
  sizes.width = half_chart;
  BarSeries customers{tr("common.customers"), {}};
  BarSeries revenue{tr("segments.sizes.revenue"), {}};
  for (const SegmentStats& s : summary.segments) {
    sizes.categories.push_back(ctx.segment(s.name));
    customers.values.push_back(100.0 * s.share);
    revenue.values.push_back(100.0 * s.revenue_share);
  }
  sizes.series = {customers, revenue};
  return figure("segment-sizes", Layout::half, bar_chart(sizes), tr("segments.sizes.caption"));
}

// The segments of the R x F map: a legend lists only the segments some cell shows, so the map's
// segment indices are renumbered over those.
void add_map_segments(HeatmapData& rf, const Context& ctx) {
  const ReportData& data = ctx.data;
  const SegmentSummary& summary = data.summary;
  const std::vector<std::vector<int>> cell_segment = rf_segments(data);
  std::vector<int> compact(summary.segments.size(), -1);
  for (const auto& row : cell_segment) {
    for (int s : row) compact[static_cast<std::size_t>(s)] = 0;
  }
  for (std::size_t s = 0; s < compact.size(); ++s) {
    if (compact[s] == 0) {
      compact[s] = static_cast<int>(rf.segment_names.size());
      rf.segment_names.push_back(ctx.segment(summary.segments[s].name));
    }
  }
  for (const auto& row : cell_segment) {
    std::vector<int> mapped;
    for (int s : row) mapped.push_back(compact[static_cast<std::size_t>(s)]);
    rf.segments.push_back(mapped);
  }
}

// Customers per (R, F) cell: rows R = bins (top) .. 1, columns F = 1 .. bins.
void add_map_counts(HeatmapData& rf, const SegmentSummary& summary) {
  for (int r = summary.bins; r >= 1; --r) {
    rf.row_labels.push_back(trf("segments.map.row", {{"score", std::to_string(r)}}));
    std::vector<double> row;
    for (int f = 1; f <= summary.bins; ++f) {
      row.push_back(static_cast<double>(
          summary.r_by_f[static_cast<std::size_t>((r - 1) * summary.bins + f - 1)]));
    }
    rf.values.push_back(row);
  }
  for (int f = 1; f <= summary.bins; ++f) {
    rf.column_labels.push_back(trf("segments.map.column", {{"score", std::to_string(f)}}));
  }
}

// The R x F map: customers per cell, with the segment boundaries drawn.
std::string rf_map_figure(const Context& ctx) {
  const SegmentSummary& summary = ctx.data.summary;
  HeatmapData rf;
  rf.title = tr("segments.map.title");
  rf.row_label = trf("segments.map.row_label", {{"bins", std::to_string(summary.bins)}});
  rf.column_label = trf("segments.map.column_label", {{"bins", std::to_string(summary.bins)}});
  rf.value_label = tr("common.customers");
  rf.width = half_chart;
  add_map_counts(rf, summary);
  add_map_segments(rf, ctx);
  return figure("rf-heatmap", Layout::half, heatmap(rf), tr("segments.map.caption"));
}

// One row per segment: sizes, revenue, means per customer and sums of the predictions.
std::string segment_table(const Context& ctx) {
  const SegmentSummary& summary = ctx.data.summary;
  std::vector<std::vector<std::string>> rows;
  for (const SegmentStats& s : summary.segments) {
    rows.push_back({"<b>" + esc(ctx.segment(s.name)) + "</b><span class=\"desc\">" +
                        esc(ctx.segment_description(s.name)) + "</span>",
                    count(s.customers), percent(s.share), num(s.revenue, 0),
                    percent(s.revenue_share), num(s.mean_days_since_last, 0),
                    num(s.mean_purchase_days, 2), num(s.mean_p_alive, 3),
                    num(s.expected_purchases, 1), num(s.clv, 0), num(s.value_at_risk, 0)});
  }
  const std::string currency = esc(ctx.currency);
  const std::string horizon = esc(ctx.horizon);
  return table(tr("segments.table.caption"),
               named_number_columns(
                   tr("common.segment"),
                   {tr("common.customers"), tr("segments.table.share"),
                    trf("common.revenue_in", {{"currency", currency}}),
                    tr("segments.table.revenue_share"), tr("segments.table.days_since_last"),
                    tr("segments.table.purchase_days"), tr("segments.table.p_alive"),
                    trf("segments.table.expected_purchases", {{"horizon", horizon}}),
                    trf("segments.table.clv", {{"horizon", horizon}, {"currency", currency}}),
                    trf("common.value_at_risk_in", {{"currency", currency}})}),
               rows, "named");
}

}  // namespace

std::string segments_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const SegmentSummary& summary = data.summary;
  std::string out = section_start("segments", tr("nav.segments"),
                                  trf("segments.lead", {{"bins", std::to_string(summary.bins)},
                                                        {"scheme", esc(data.scheme->name())}}));
  out += "<div class=\"grid\">\n";
  out += segment_sizes_figure(ctx);
  out += rf_map_figure(ctx);
  out += "</div>\n";
  out += segment_table(ctx);
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
