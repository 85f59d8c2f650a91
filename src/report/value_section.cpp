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
  h.title = trf("value.distribution.title", {{"horizon", ctx.horizon}});
  h.x_label = trf("value.distribution.x_label", {{"currency", ctx.currency}});
  h.y_label = tr("common.customers");
  h.edges = bins.edges;
  h.counts = bins.counts;
  h.log_x = true;
  h.width = half_chart;
  if (largest <= 0) {
    h.note = tr("value.distribution.all_zero");
  } else if (below > 0) {
    const int decimals = std::clamp(2 - static_cast<int>(std::floor(std::log10(clv_floor))), 2, 9);
    h.note = trf("value.distribution.below",
                 {{"customers", count(below)}, {"floor", num(clv_floor, decimals)}});
  }
  return figure("clv-distribution", Layout::half, histogram(h), tr("value.distribution.caption"));
}

// CLV and value at risk summed over each segment.
std::string segment_value_figure(const Context& ctx) {
  BarChartData value;
  value.title = trf("value.segments.title", {{"horizon", ctx.horizon}});
  value.category_label = tr("common.segment");
  value.value_label = trf("value.segments.value_label", {{"currency", ctx.currency}});
  value.orientation = Orientation::horizontal;
  value.show_values = true;
  value.width = half_chart;
  BarSeries clv_series{"CLV", {}};
  BarSeries risk_series{tr("common.value_at_risk"), {}};
  for (const SegmentStats& s : ctx.data.summary.segments) {
    value.categories.push_back(ctx.segment(s.name));
    clv_series.values.push_back(s.clv);
    risk_series.values.push_back(s.value_at_risk);
  }
  value.series = {clv_series, risk_series};
  return figure("segment-value", Layout::half, bar_chart(value), tr("value.segments.caption"));
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
  revenue.title = trf("value.forecast.revenue_title", {{"horizon", ctx.horizon}});
  revenue.category_label = tr("common.segment");
  revenue.value_label = trf("common.revenue_in", {{"currency", ctx.currency}});
  revenue.estimate_name = tr("value.forecast.estimate");
  revenue.interval_name = tr("value.forecast.interval");
  revenue.value_decimals = 0;
  revenue.width = half_chart;
  IntervalChartData purchases = revenue;
  purchases.title = trf("value.forecast.purchases_title", {{"horizon", ctx.horizon}});
  purchases.value_label = tr("common.purchases");
  extended = false;
  const auto row = [&](const std::string& label, const Interval& i) {
    if (i.mean >= i.low && i.mean <= i.high) return IntervalRow{label, i.mean, i.low, i.high};
    extended = true;
    return IntervalRow{label + " *", i.mean, std::min(i.low, i.mean), std::max(i.high, i.mean)};
  };
  for (std::size_t s = 0; s < summary.segments.size(); ++s) {
    const GroupForecast& g = f.groups[s];
    if (g.customers == 0) continue;
    revenue.rows.push_back(row(ctx.segment(summary.segments[s].name), g.revenue));
    purchases.rows.push_back(row(ctx.segment(summary.segments[s].name), g.purchases));
  }
  return {revenue, purchases};
}

std::string forecast_figures(const Context& ctx) {
  const ReportData& data = ctx.data;
  bool extended = false;
  const auto [revenue, purchases] = forecast_charts(ctx, extended);
  const std::string star = extended ? " " + tr("value.forecast.star") : "";
  const std::string how = trf("value.forecast.how", {{"draws", count(data.forecast_draws)},
                                                     {"seed", std::to_string(data.forecast_seed)}});
  std::string out = figure(
      "forecast-revenue", Layout::half, interval_chart(revenue),
      trf("value.forecast.revenue_caption", {{"horizon", esc(ctx.horizon)}, {"how", esc(how)}}) +
          esc(star));
  out +=
      figure("forecast-purchases", Layout::half, interval_chart(purchases),
             trf("value.forecast.purchases_caption", {{"horizon", esc(ctx.horizon)}}) + esc(star));
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
    rows.push_back(row(esc(ctx.segment(summary.segments[s].name)), f.groups[s]));
  }
  rows.push_back(row("<b>" + tr("value.forecast.all_customers") + "</b>", f.total));
  return table(trf("value.forecast.table_caption", {{"horizon", esc(ctx.horizon)}}),
               named_number_columns(
                   tr("common.segment"),
                   {tr("common.customers"), tr("value.forecast.purchases_mean"),
                    tr("value.forecast.purchases_interval"), tr("value.forecast.revenue_mean"),
                    tr("value.forecast.revenue_interval"), tr("value.forecast.revenue_analytic")}),
               rows, "named");
}

}  // namespace

std::string value_section(const Context& ctx) {
  std::string out = section_start(
      "value", tr("nav.value"),
      trf("value.lead", {{"horizon", esc(ctx.horizon)},
                         {"purchase_model", esc(ctx.data.models.purchase.model->label())},
                         {"spend_model", esc(ctx.data.models.spend.model->label())}}));
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
