#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "clvkit/report/charts.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {
namespace {

// Bins of the CLV histogram, and the smallest CLV it shows as a share of the largest.
constexpr int clv_bins = 30;
constexpr double clv_floor_ratio = 1e-4;

// CLVs on a log axis; customers who are almost surely gone have CLVs like 1e-20, which would
// stretch the axis over twenty decades, so it starts at 1/10,000 of the largest CLV and the rest
// are counted in a note.
std::string clv_distribution_figure(const Context& ctx) {
  const ReportData& data = ctx.data;
  double largest = 0.0;
  for (const CustomerPrediction& p : data.predictions) largest = std::max(largest, p.clv);
  const double clv_floor = largest * clv_floor_ratio;
  std::vector<double> clv;
  std::int64_t below = 0;
  for (const CustomerPrediction& p : data.predictions) {
    if (p.clv >= clv_floor && p.clv > 0) {
      clv.push_back(p.clv);
    } else {
      ++below;
    }
  }
  const Bins bins = bin_values(clv, clv_bins, BinScale::log);
  HistogramData h;
  h.title = "CLV distribution, next " + ctx.horizon;
  h.x_label = "CLV (" + ctx.currency + ", log scale)";
  h.y_label = "Customers";
  h.edges = bins.edges;
  h.counts = bins.counts;
  h.log_x = true;
  h.width = half_chart;
  if (largest <= 0) {
    h.note = "Every customer has a CLV of 0.";
  } else if (below > 0) {
    const int decimals = std::clamp(2 - static_cast<int>(std::floor(std::log10(clv_floor))), 2, 9);
    h.note = count(below) + " customers with a CLV below " + num(clv_floor, decimals) +
             " (1/10,000 of the largest) are not shown.";
  }
  return figure("clv-distribution", Layout::half, histogram(h),
                "How many customers have a CLV in each range, on a logarithmic axis so that the "
                "many small and the few large values are both visible: each bar covers the same "
                "ratio of values. Most of the value usually sits in the long right tail.");
}

// CLV and value at risk summed over each segment.
std::string segment_value_figure(const Context& ctx) {
  BarChartData value;
  value.title = "CLV and value at risk by segment, next " + ctx.horizon;
  value.category_label = "Segment";
  value.value_label = "Sum over the segment's customers (" + ctx.currency + ")";
  value.orientation = Orientation::horizontal;
  value.show_values = true;
  value.width = half_chart;
  BarSeries clv_series{"CLV", {}};
  BarSeries risk_series{"Value at risk", {}};
  for (const SegmentStats& s : ctx.data.summary.segments) {
    value.categories.push_back(s.name);
    clv_series.values.push_back(s.clv);
    risk_series.values.push_back(s.value_at_risk);
  }
  value.series = {clv_series, risk_series};
  return figure("segment-value", Layout::half, bar_chart(value),
                "Expected CLV (blue) and value at risk (orange) summed over each segment. A long "
                "orange bar marks a segment whose value depends on winning customers back: the "
                "retention call list below names its most valuable members.");
}

// Revenue and purchases per segment over the horizon: mean and 90% interval of the simulated
// futures. A small segment's interval need not contain its mean (forecast.hpp); the bar is then
// extended to the mean and the row starred (`extended` set), so the chart never hides the
// estimate. Segments without customers are left out.
std::pair<IntervalChartData, IntervalChartData> forecast_charts(const Context& ctx,
                                                                bool& extended) {
  const ForecastResult& f = *ctx.data.forecast;
  const SegmentSummary& summary = ctx.data.summary;
  IntervalChartData revenue;
  revenue.title = "Forecast revenue by segment, next " + ctx.horizon;
  revenue.category_label = "Segment";
  revenue.value_label = "Revenue (" + ctx.currency + ")";
  revenue.estimate_name = "Mean of simulated futures";
  revenue.interval_name = "90% prediction interval";
  revenue.value_decimals = 0;
  revenue.width = half_chart;
  IntervalChartData purchases = revenue;
  purchases.title = "Forecast purchases by segment, next " + ctx.horizon;
  purchases.value_label = "Purchases";
  extended = false;
  const auto row = [&](const std::string& label, const Interval& i) {
    if (i.mean >= i.low && i.mean <= i.high) return IntervalRow{label, i.mean, i.low, i.high};
    extended = true;
    return IntervalRow{label + " *", i.mean, std::min(i.low, i.mean), std::max(i.high, i.mean)};
  };
  for (std::size_t s = 0; s < summary.segments.size(); ++s) {
    const GroupForecast& g = f.groups[s];
    if (g.customers == 0) continue;
    revenue.rows.push_back(row(summary.segments[s].name, g.revenue));
    purchases.rows.push_back(row(summary.segments[s].name, g.purchases));
  }
  return {revenue, purchases};
}

std::string forecast_figures(const Context& ctx) {
  const ReportData& data = ctx.data;
  bool extended = false;
  const auto [revenue, purchases] = forecast_charts(ctx, extended);
  const std::string star =
      extended ? " * The simulated interval of this segment does not contain its mean (a small "
                 "segment with rare purchases: most futures have none); the bar is extended "
                 "to the mean."
               : "";
  const std::string how = "Simulated from " + count(data.forecast_draws) +
                          " draws of every customer's future (seed " +
                          std::to_string(data.forecast_seed) + ")";
  std::string out =
      figure("forecast-revenue", Layout::half, interval_chart(revenue),
             "Revenue each segment is expected to bring in the next " + esc(ctx.horizon) +
                 " (margin applied, not discounted): the dot is the mean, the bar the range "
                 "that 90% of the simulated futures fall in, which includes both the "
                 "uncertainty about each customer and chance. " +
                 esc(how) + "; segments without customers are left out." + esc(star));
  out += figure("forecast-purchases", Layout::half, interval_chart(purchases),
                "Purchases each segment is expected to make in the next " + esc(ctx.horizon) +
                    ", read like the revenue chart. Segments' intervals do not add up to the "
                    "total's, which is computed from the simulated totals." +
                    esc(star));
  return out;
}

// Interval as "low – high".
std::string interval_text(const Interval& i, int decimals) {
  return num(i.low, decimals) + " – " + num(i.high, decimals);
}

// The forecast per segment with customers, and for all customers.
std::string forecast_table(const Context& ctx) {
  const ForecastResult& f = *ctx.data.forecast;
  const SegmentSummary& summary = ctx.data.summary;
  std::vector<std::vector<std::string>> rows;
  const auto row = [](std::string label, const GroupForecast& g) {
    return std::vector<std::string>{std::move(label),
                                    count(g.customers),
                                    num(g.purchases.mean, 1),
                                    interval_text(g.purchases, 1),
                                    num(g.revenue.mean, 0),
                                    interval_text(g.revenue, 0),
                                    num(g.expected_revenue_analytic, 0)};
  };
  for (std::size_t s = 0; s < summary.segments.size(); ++s) {
    if (f.groups[s].customers == 0) continue;
    rows.push_back(row(esc(summary.segments[s].name), f.groups[s]));
  }
  rows.push_back(row("<b>All customers</b>", f.total));
  return table(
      "Per-segment forecast, next " + esc(ctx.horizon),
      named_number_columns(
          "Segment", {"Customers", "Purchases (mean)", "Purchases, 90% interval", "Revenue (mean)",
                      "Revenue, 90% interval", "Revenue (analytic mean)"}),
      rows, "named");
}

}  // namespace

std::string value_section(const Context& ctx) {
  std::string out = section_start(
      "value", "4. Customer value",
      "CLV is the discounted margin on the purchases expected in the next " + esc(ctx.horizon) +
          " (" + esc(ctx.data.models.purchase.model->label()) + " purchases × " +
          esc(ctx.data.models.spend.model->label()) +
          " spend per purchase); value at risk is the part of "
          "it a customer would be worth if they were surely still active but that the model "
          "expects to be lost because they probably are not: (1 − P(alive)) × CLV if alive.");
  out += dropout_note(ctx.data);
  out += "<div class=\"grid\">\n";
  out += clv_distribution_figure(ctx);
  out += segment_value_figure(ctx);
  if (ctx.data.forecast) out += forecast_figures(ctx);
  out += "</div>\n";
  if (ctx.data.forecast) out += forecast_table(ctx);
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
