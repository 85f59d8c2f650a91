#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "clvkit/report/charts.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {
namespace {

// Highest frequency column of the P(alive) and E[X] grids, and the number of recency steps.
constexpr int min_grid_frequency = 3;
constexpr int max_grid_frequency = 14;
constexpr int recency_steps = 10;

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

// The frequency x recency grid of the model matrices.
struct Grid {
  double T = 0.0;           // model units
  std::vector<int> x;       // columns
  std::vector<double> t_x;  // rows, top (t_x = T) first
  int t_x_decimals = 0;
};

Grid model_grid(const ReportData& data) {
  const double days = unit_days(data.models.time_unit);
  std::vector<double> T;
  std::vector<double> frequency;
  T.reserve(data.customers.size());
  frequency.reserve(data.customers.size());
  for (const CustomerSummary& c : data.customers) {
    T.push_back(c.T / days);
    frequency.push_back(static_cast<double>(c.frequency));
  }
  Grid grid;
  grid.T = median(T);
  std::sort(frequency.begin(), frequency.end());
  const double p99 = frequency[static_cast<std::size_t>(0.99 * (frequency.size() - 1))];
  const int top =
      std::clamp(static_cast<int>(std::ceil(p99)), min_grid_frequency, max_grid_frequency);
  for (int x = 0; x <= top; ++x) grid.x.push_back(x);
  const int steps = grid.T > 0 ? recency_steps : 0;
  for (int k = steps; k >= 0; --k) grid.t_x.push_back(grid.T * k / std::max(steps, 1));
  grid.t_x_decimals = grid.T >= 20 ? 0 : 1;
  return grid;
}

// A history (x repeat purchases, the last at t_x) that one-purchase-per-day data can produce:
// no repeat purchase means t_x = 0, and x repeat purchases take at least x days after the first.
bool possible_history(int x, double t_x, double days_per_unit) {
  if (x == 0) return t_x == 0.0;
  return t_x * days_per_unit >= x - 1e-9;
}

HeatmapData grid_heatmap(const Context& ctx, const Grid& grid) {
  HeatmapData h;
  h.column_label = tr("activity.column_label");
  h.row_label = trf("activity.row_label", {{"units", ctx.units}});
  h.width = wide_chart;
  for (int x : grid.x) h.column_labels.push_back(std::to_string(x));
  for (double t : grid.t_x) h.row_labels.push_back(num(t, grid.t_x_decimals));
  return h;
}

}  // namespace

std::string activity_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const PurchaseModel& model = *data.models.purchase.model;
  const Grid grid = model_grid(data);
  const std::string T_text = length_text(grid.T, 1, time_unit_key(data.models.time_unit));
  std::string out =
      section_start("activity", tr("nav.activity"),
                    trf("activity.lead", {{"model", esc(model.label())}, {"T", esc(T_text)}}));
  out += dropout_note(ctx.data);
  out += "<div class=\"grid\">\n";

  HeatmapData alive = grid_heatmap(ctx, grid);
  alive.title = trf("activity.alive.title", {{"T", T_text}});
  alive.value_label = "P(alive)";
  alive.colour_min = 0.0;
  alive.colour_max = 1.0;
  alive.value_decimals = 2;
  HeatmapData expected = grid_heatmap(ctx, grid);
  expected.title = trf("activity.expected.title", {{"horizon", ctx.horizon}, {"T", T_text}});
  expected.value_label = tr("common.purchases");
  expected.colour_min = 0.0;
  expected.value_decimals = 1;
  constexpr double missing = std::numeric_limits<double>::quiet_NaN();
  for (double t_x : grid.t_x) {
    std::vector<double> alive_row, expected_row;
    for (int x : grid.x) {
      if (!possible_history(x, t_x, ctx.days_per_unit)) {
        alive_row.push_back(missing);
        expected_row.push_back(missing);
        continue;
      }
      const PurchaseHistory history{static_cast<double>(x), t_x, grid.T};
      alive_row.push_back(model.p_alive(history));
      expected_row.push_back(model.expected_purchases(history, ctx.horizon_units));
    }
    alive.values.push_back(alive_row);
    expected.values.push_back(expected_row);
  }
  out += figure("p-alive-matrix", Layout::wide, heatmap(alive),
                trf("activity.alive.caption", {{"T", esc(T_text)}}) +
                    (model.p_alive_remark().empty() ? "" : " " + esc(p_alive_remark(model))));
  out += figure("expected-purchases-matrix", Layout::wide, heatmap(expected),
                trf("activity.expected.caption", {{"horizon", esc(ctx.horizon)}}));
  out += "</div>\n";
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
