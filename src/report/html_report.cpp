#include "clvkit/report/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string_view>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"

namespace clvkit::report {
namespace {

// Chart widths in CSS px. The page is at most 1360 px wide with 24 px padding, so a full-width
// figure has about 1286 px inside its border and a half-width one 618 px: charts of these widths
// are drawn at 1:1 on a 1360-1440 px screen and shrink a little (max-width: 100%) on 1280 px.
constexpr int wide_chart = 1280;
constexpr int half_chart = 616;

// Highest frequency column of the P(alive) and E[X] grids, and the number of recency steps.
constexpr int min_grid_frequency = 3;
constexpr int max_grid_frequency = 14;
constexpr int recency_steps = 10;
constexpr int clv_bins = 30;
constexpr double clv_floor_ratio = 1e-4;

// Inline style sheet. System fonts only; numbers in tables use tabular figures and align right.
constexpr const char* style_sheet = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d1d1f;
  font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header,main,footer{max-width:1360px;margin:0 auto;padding:0 24px}
header{padding-top:28px}
h1{font-size:28px;margin:0 0 4px;line-height:1.2}
h2{font-size:22px;margin:40px 0 6px;padding-bottom:6px;border-bottom:2px solid #d9dce1}
h3{font-size:17px;margin:24px 0 8px}
p{margin:6px 0 12px;max-width:110ch}
.subtitle{color:#4a4f57;margin:0 0 16px}
.lead{color:#33373d}
.kpis{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin:16px 0}
.kpi{background:#fff;border:1px solid #d9dce1;border-radius:8px;padding:10px 14px}
.kpi-value{display:block;font-size:22px;white-space:nowrap;font-weight:600;
  font-variant-numeric:tabular-nums}
.kpi-label{display:block;color:#4a4f57;font-size:13px}
nav ol{display:flex;flex-wrap:wrap;gap:4px 22px;padding:0;margin:8px 0 0;list-style:none}
nav a{color:#0b5cad}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:24px;align-items:start}
figure{margin:0;background:#fff;border:1px solid #d9dce1;border-radius:8px;padding:12px}
figure.wide{grid-column:1/-1}
figure svg{display:block;max-width:100%;height:auto}
figcaption{font-size:14px;color:#33373d;margin-top:8px;line-height:1.5}
.note{background:#fff8e1;border:1px solid #f0d48a;border-radius:8px;padding:12px 16px}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #d9dce1;border-radius:8px;
  margin:12px 0}
table{border-collapse:collapse;width:100%;font-size:14px;font-variant-numeric:tabular-nums}
caption{text-align:left;padding:10px 12px 4px;font-weight:600}
th,td{padding:6px 10px;border-bottom:1px solid #e6e8eb;vertical-align:top}
th{background:#f0f2f5;text-align:left;font-weight:600}
th.num,td.num{text-align:right}
td.num{white-space:nowrap}
table.named td:first-child{min-width:15em}
tbody tr:nth-child(even){background:#fafbfc}
td.id{word-break:break-all;max-width:24ch;
  font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.desc{display:block;color:#5b616a;font-size:12.5px}
.tables{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:0 24px}
.ok{color:#1a7f37;font-weight:600}
.warn{color:#b35900;font-weight:600}
footer{color:#5b616a;font-size:13px;padding-top:24px;padding-bottom:40px}
@media (max-width:900px){.grid,.tables,.kpis{grid-template-columns:1fr}}
@media print{body{background:#fff}figure,table{break-inside:avoid}}
)css";

// ---- Text ---------------------------------------------------------------------------------

std::string esc(std::string_view text) { return escape_text(text); }

// Numbers as readers see them: fixed decimals, thousands separators.
std::string num(double value, int decimals) { return format_label(value, decimals); }
std::string count(std::int64_t value) { return format_label(static_cast<double>(value), 0); }
std::string percent(double share, int decimals = 1) { return num(100.0 * share, decimals) + "%"; }

// The currency named in labels: "USD", or "currency units" when the log does not say.
std::string currency_of(const ReportData& data) {
  return data.metadata.currency.empty() ? "currency units" : data.metadata.currency;
}

std::string money(double value, const ReportData& data, int decimals = 2) {
  const std::string unit = data.metadata.currency.empty() ? "" : " " + data.metadata.currency;
  return num(value, decimals) + unit;
}

const char* unit_plural(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::day:
      return "days";
    case TimeUnit::week:
      return "weeks";
    case TimeUnit::month:
      return "months";
  }
  return "units";
}

// "12 months", "26 weeks" or "90 days": the horizon in the unit it was most likely given in.
std::string describe_days(double days) {
  const double months = days / kDaysPerMonth;
  if (std::abs(months - std::round(months)) < 1e-9 && months >= 1) {
    return num(months, 0) + (std::round(months) == 1 ? " month" : " months");
  }
  if (std::abs(days / 7 - std::round(days / 7)) < 1e-9 && days >= 7) {
    return num(days / 7, 0) + (std::round(days / 7) == 1 ? " week" : " weeks");
  }
  return num(days, shortest_decimals(days) > 2 ? 2 : shortest_decimals(days)) + " days";
}

// ---- HTML building blocks -------------------------------------------------------------------

struct Column {
  std::string label;     // HTML
  const char* cls = "";  // "num" (right-aligned number), "id" (customer id) or ""
};

std::string cell(const char* tag, const char* cls, const std::string& html,
                 const char* scope = nullptr) {
  std::string out = std::string("<") + tag;
  if (scope != nullptr) out += std::string(" scope=\"") + scope + "\"";
  if (*cls != '\0') out += std::string(" class=\"") + cls + "\"";
  return out + ">" + html + "</" + tag + ">";
}

// A table with a header row; cells are HTML (the caller escapes user text).
std::string table(const std::string& caption, const std::vector<Column>& columns,
                  const std::vector<std::vector<std::string>>& rows, const char* cls = "") {
  std::string out = "<div class=\"table-wrap\"><table";
  if (*cls != '\0') out += std::string(" class=\"") + cls + "\"";
  out += ">";
  if (!caption.empty()) out += "<caption>" + caption + "</caption>";
  out += "<thead><tr>";
  for (const Column& c : columns) out += cell("th", c.cls, c.label, "col");
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (std::size_t j = 0; j < row.size(); ++j) {
      out += cell("td", j < columns.size() ? columns[j].cls : "", row[j]);
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

// A two-column table of named values: the name is a row header.
std::string key_value_table(const std::string& caption,
                            const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = "<div class=\"table-wrap\"><table class=\"key-value\">";
  if (!caption.empty()) out += "<caption>" + caption + "</caption>";
  out += "<tbody>\n";
  for (const auto& [key, value] : rows) {
    out += "<tr>" + cell("th", "", key, "row") + cell("td", "", value) + "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

// Half-width figures sit two to a row; wide ones take the whole row.
enum class Layout { half, wide };

std::string figure(std::string_view name, Layout layout, const std::string& svg,
                   const std::string& caption) {
  const char* cls = layout == Layout::half ? "chart" : "chart wide";
  std::string out = "<figure class=\"";
  out += cls;
  out += "\" id=\"fig-" + std::string(name) + "\" data-figure=\"" + std::string(name) + "\">\n";
  out += svg;
  out += "\n<figcaption>" + caption + "</figcaption>\n</figure>\n";
  return out;
}

std::string section_start(const char* id, const std::string& heading, const std::string& lead) {
  std::string out = std::string("<section id=\"") + id + "\">\n<h2>" + heading + "</h2>\n";
  if (!lead.empty()) out += "<p class=\"lead\">" + lead + "</p>\n";
  return out;
}

// ---- Checks -------------------------------------------------------------------------------

void check_data(const ReportData& data) {
  if (data.scheme == nullptr) throw UsageError("html report: the segment scheme is missing");
  const std::size_t n = data.customers.size();
  if (n == 0) throw UsageError("html report: there are no customers to report on");
  if (data.scores.size() != n || data.segment.size() != n || data.predictions.size() != n) {
    throw UsageError("html report: " + std::to_string(n) + " customers but " +
                     std::to_string(data.scores.size()) + " scores, " +
                     std::to_string(data.segment.size()) + " segment indices and " +
                     std::to_string(data.predictions.size()) + " predictions");
  }
  const std::size_t segments = data.scheme->segments().size();
  if (data.summary.segments.size() != segments) {
    throw UsageError("html report: the segment summary has " +
                     std::to_string(data.summary.segments.size()) + " segments, the scheme " +
                     std::to_string(segments));
  }
  const int bins = data.scheme->bins();
  if (data.summary.bins != bins ||
      data.summary.r_by_f.size() != static_cast<std::size_t>(bins * bins)) {
    throw UsageError("html report: the segment summary is for " +
                     std::to_string(data.summary.bins) + " bins, the scheme has " +
                     std::to_string(bins));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const RfmScore s = data.scores[i];
    if (s.r < 1 || s.r > bins || s.f < 1 || s.f > bins || s.m < 1 || s.m > bins) {
      throw UsageError("html report: customer '" + data.customers[i].id + "' has scores " +
                       rfm_cell(s) + ", outside 1.." + std::to_string(bins));
    }
    if (data.segment[i] < 0 || static_cast<std::size_t>(data.segment[i]) >= segments) {
      throw UsageError("html report: customer '" + data.customers[i].id + "' has segment index " +
                       std::to_string(data.segment[i]) + ", outside 0.." +
                       std::to_string(segments - 1));
    }
  }
  if (data.forecast && data.forecast->groups.size() != segments) {
    throw UsageError("html report: the forecast has " +
                     std::to_string(data.forecast->groups.size()) + " groups for " +
                     std::to_string(segments) + " segments");
  }
  if (data.top_customers < 1) {
    throw UsageError("html report: the call list length is " + std::to_string(data.top_customers) +
                     ", but must be at least 1");
  }
}

// ---- Derived quantities --------------------------------------------------------------------

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

// Customer indices by value at risk, largest first (ties: input order), at most `n`.
std::vector<std::size_t> call_list(const ReportData& data, std::size_t n) {
  std::vector<std::size_t> order(data.customers.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto by_risk = [&](std::size_t a, std::size_t b) {
    const double ra = data.predictions[a].value_at_risk;
    const double rb = data.predictions[b].value_at_risk;
    return ra != rb ? ra > rb : a < b;
  };
  n = std::min(n, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    by_risk);
  order.resize(n);
  return order;
}

// ---- Sections -----------------------------------------------------------------------------

struct Context {
  const ReportData& data;
  std::string currency;      // for axis labels
  std::string horizon;       // "12 months"
  double horizon_units = 0;  // in model units
  const char* units = "";    // "weeks"
  double days_per_unit = 1;
};

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

std::string segments_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const SegmentSummary& summary = data.summary;
  std::string out = section_start(
      "segments", "1. Segments",
      "Customers are scored 1–" + std::to_string(summary.bins) +
          " on recency (R), frequency (F) and monetary value (M) and assigned to the segments of "
          "the scheme <b>" +
          esc(data.scheme->name()) + "</b>. Revenue is net spend to date.");
  out += "<div class=\"grid\">\n";

  BarChartData sizes;
  sizes.title = "Segment sizes and revenue shares";
  sizes.category_label = "Segment";
  sizes.value_label = "Share of all customers or of all revenue (%)";
  sizes.orientation = Orientation::horizontal;
  sizes.show_values = true;
  sizes.value_decimals = 1;
  sizes.width = half_chart;
  BarSeries customers{"Customers", {}};
  BarSeries revenue{"Revenue to date", {}};
  for (const SegmentStats& s : summary.segments) {
    sizes.categories.push_back(s.name);
    customers.values.push_back(100.0 * s.share);
    revenue.values.push_back(100.0 * s.revenue_share);
  }
  sizes.series = {customers, revenue};
  out += figure("segment-sizes", Layout::half, bar_chart(sizes),
                "Each segment's share of the customers (blue) and of the revenue to date "
                "(orange). A segment whose orange bar is longer than its blue bar spends more "
                "than the average customer; segments are listed in the scheme's order, empty "
                "ones included.");

  // R x F map: rows R = bins (top) .. 1, columns F = 1 .. bins.
  HeatmapData rf;
  rf.title = "Customers by recency and frequency score";
  rf.row_label = "Recency score R (" + std::to_string(summary.bins) + " = most recent)";
  rf.column_label = "Frequency score F (" + std::to_string(summary.bins) + " = most purchase days)";
  rf.value_label = "Customers";
  rf.width = half_chart;
  const std::vector<std::vector<int>> cell_segment = rf_segments(data);
  std::vector<int> compact(summary.segments.size(), -1);
  for (const auto& row : cell_segment) {
    for (int s : row) compact[static_cast<std::size_t>(s)] = 0;
  }
  for (std::size_t s = 0; s < compact.size(); ++s) {
    if (compact[s] == 0) {
      compact[s] = static_cast<int>(rf.segment_names.size());
      rf.segment_names.push_back(summary.segments[s].name);
    }
  }
  for (int r = summary.bins; r >= 1; --r) {
    rf.row_labels.push_back("R " + std::to_string(r));
    std::vector<double> row;
    for (int f = 1; f <= summary.bins; ++f) {
      row.push_back(static_cast<double>(
          summary.r_by_f[static_cast<std::size_t>((r - 1) * summary.bins + f - 1)]));
    }
    rf.values.push_back(row);
  }
  for (int f = 1; f <= summary.bins; ++f) rf.column_labels.push_back("F " + std::to_string(f));
  for (const auto& row : cell_segment) {
    std::vector<int> mapped;
    for (int s : row) mapped.push_back(compact[static_cast<std::size_t>(s)]);
    rf.segments.push_back(mapped);
  }
  out += figure("rf-heatmap", Layout::half, heatmap(rf),
                "Number of customers in each pair of R and F scores (darker = fewer, yellow = "
                "more); recent, frequent buyers are top right. Thick lines separate segments. "
                "Segments also depend on M, so a cell is labelled with the segment that most of "
                "its customers belong to (ties: the one listed first; an empty cell: the segment "
                "most of its M scores map to); the numbers in the cells' corners refer to the "
                "list under the map.");
  out += "</div>\n";

  std::vector<std::vector<std::string>> rows;
  for (const SegmentStats& s : summary.segments) {
    rows.push_back(
        {"<b>" + esc(s.name) + "</b><span class=\"desc\">" + esc(s.description) + "</span>",
         count(s.customers), percent(s.share), num(s.revenue, 0), percent(s.revenue_share),
         num(s.mean_days_since_last, 0), num(s.mean_purchase_days, 2), num(s.mean_p_alive, 3),
         num(s.expected_purchases, 1), num(s.clv, 0), num(s.value_at_risk, 0)});
  }
  out += table("Segment table (means per customer, sums over the segment's customers)",
               {{"Segment", ""},
                {"Customers", "num"},
                {"Share", "num"},
                {"Revenue (" + esc(ctx.currency) + ")", "num"},
                {"Revenue share", "num"},
                {"Days since last purchase (mean)", "num"},
                {"Purchase days (mean)", "num"},
                {"P(alive) (mean)", "num"},
                {"Expected purchases, " + esc(ctx.horizon), "num"},
                {"CLV, " + esc(ctx.horizon) + " (" + esc(ctx.currency) + ")", "num"},
                {"Value at risk (" + esc(ctx.currency) + ")", "num"}},
               rows, "named");
  return out + "</section>\n";
}

HeatmapData grid_heatmap(const Context& ctx, const Grid& grid) {
  HeatmapData h;
  h.column_label = "x: repeat purchases (purchase days after the first)";
  h.row_label = std::string("t_x: time of the last purchase after the first (") + ctx.units + ")";
  h.width = wide_chart;
  for (int x : grid.x) h.column_labels.push_back(std::to_string(x));
  for (double t : grid.t_x) h.row_labels.push_back(num(t, grid.t_x_decimals));
  return h;
}

std::string activity_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const PurchaseModel& model = *data.models.purchase.model;
  const Grid grid = model_grid(data);
  const std::string T_text = num(grid.T, 1) + " " + ctx.units;
  std::string out = section_start(
      "activity", "2. Who is still active",
      "The BG/NBD model's view of a customer with a given history, over a grid of frequency and "
      "recency at T = " +
          esc(T_text) +
          " of observation since the first purchase (the median T of the customers). Grey cells "
          "are histories that cannot occur with at most one purchase per day (no repeat purchase "
          "but a last purchase after the first, or more repeat purchases than days).");
  out += "<div class=\"grid\">\n";

  HeatmapData alive = grid_heatmap(ctx, grid);
  alive.title = "P(alive) by frequency and recency, T = " + T_text;
  alive.value_label = "P(alive)";
  alive.colour_min = 0.0;
  alive.colour_max = 1.0;
  alive.value_decimals = 2;
  HeatmapData expected = grid_heatmap(ctx, grid);
  expected.title = "Expected purchases in the next " + ctx.horizon + ", T = " + T_text;
  expected.value_label = "Purchases";
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
      alive_row.push_back(model.p_alive({static_cast<double>(x), t_x, grid.T}));
      expected_row.push_back(
          model.expected_purchases({static_cast<double>(x), t_x, grid.T}, ctx.horizon_units));
    }
    alive.values.push_back(alive_row);
    expected.values.push_back(expected_row);
  }
  out += figure(
      "p-alive-matrix", Layout::wide, heatmap(alive),
      "Probability that a customer is still active, by the number of repeat purchases x "
      "(columns) and the time of the last one t_x (rows, the most recent at the top), for a "
      "customer first seen " +
          esc(T_text) +
          " ago. Read down a column: the longer the silence since the last purchase, the lower "
          "P(alive). Read along the bottom rows: the more often someone used to buy, the more "
          "telling a long silence is. Customers with no repeat purchase (x = 0) count as alive "
          "in BG/NBD, which lets customers drop out only after a repeat purchase.");
  out += figure("expected-purchases-matrix", Layout::wide, heatmap(expected),
                "Expected number of purchases in the next " + esc(ctx.horizon) +
                    " for the same histories: P(alive) times the purchases an active customer "
                    "with that frequency makes. Frequent buyers who bought recently (top right) "
                    "are worth the most; frequent buyers who went quiet fall off quickly.");
  out += "</div>\n";
  return out + "</section>\n";
}

std::string fit_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const std::optional<ValidationResult>& v = data.validation;
  std::string out = section_start(
      "fit", "3. How well the model fits",
      v ? "The model was refitted on the calibration period up to " +
              esc(format_day(v->calibration_end)) +
              " and its predictions for the holdout period up to " +
              esc(format_day(v->holdout_end)) + " compared with what the customers actually did."
        : std::string("The model is checked against the purchase counts it was fitted to. "
                      "Holdout charts (tracking plot, conditional expectations, holdout totals) "
                      "appear when the report is made with --calibration-end DATE."));
  out += "<div class=\"grid\">\n";

  const std::vector<FrequencyCount>& fit = v ? v->calibration_fit : data.calibration_fit;
  BarChartData histogram;
  histogram.title = "Calibration fit: customers by number of repeat purchases";
  histogram.category_label = v ? "Repeat purchases in the calibration period"
                               : "Repeat purchases in the observation period";
  histogram.value_label = "Customers";
  histogram.width = half_chart;
  BarSeries actual{"Actual", {}};
  BarSeries expected{"Expected by BG/NBD", {}};
  for (const FrequencyCount& f : fit) {
    histogram.categories.push_back(f.label);
    actual.values.push_back(f.actual);
    expected.values.push_back(f.expected);
  }
  histogram.series = {actual, expected};
  const std::string last = fit.empty() ? "" : fit.back().label;
  out += figure("calibration-fit", Layout::half, bar_chart(histogram),
                "How many customers made 0, 1, 2, … repeat purchases (blue) against the number "
                "the fitted model expects, the sum over customers of P(X(T<sub>i</sub>) = k) "
                "given each customer's own observation length T<sub>i</sub> (orange). The last "
                "bar, " +
                    esc(last) +
                    ", counts that many or more. Close bars mean the model reproduces how "
                    "purchases are spread across customers.");

  if (!v) {
    out +=
        "<div class=\"note\"><b>Holdout validation not run.</b> Make the report with "
        "<code>--calibration-end YYYY-MM-DD</code> to refit the model on the data up to that "
        "day and add the tracking plot (cumulative and weekly repeat purchases, actual against "
        "predicted), the conditional expectations by calibration frequency and the holdout "
        "totals and error measures.</div>\n";
    out += "</div>\n";
    return out + "</section>\n";
  }

  // Tracking: cumulative and per step, with the end of calibration marked.
  const std::vector<TrackingPoint>& tracking = v->tracking;
  const std::string step =
      tracking.size() >= 2 && tracking[1].day - tracking[0].day == 7
          ? std::string("week")
          : (tracking.size() >= 2 ? std::to_string(tracking[1].day - tracking[0].day) + " days"
                                  : std::string("step"));
  LineChartData cumulative;
  cumulative.title = "Tracking: cumulative repeat purchases";
  cumulative.x_label = std::string("Time since the cohort's first purchase (") + ctx.units + ")";
  cumulative.y_label = "Cumulative repeat purchases";
  cumulative.width = half_chart;
  cumulative.y_decimals = 0;
  LineChartData incremental = cumulative;
  incremental.title = "Tracking: repeat purchases per " + step;
  incremental.y_label = "Repeat purchases per " + step;
  LineSeries actual_cum{"Actual", {}, {}}, predicted_cum{"BG/NBD", {}, {}};
  LineSeries actual_inc{"Actual", {}, {}}, predicted_inc{"BG/NBD", {}, {}};
  for (const TrackingPoint& p : tracking) {
    for (LineSeries* s : {&actual_cum, &predicted_cum, &actual_inc, &predicted_inc}) {
      s->x.push_back(p.time);
    }
    actual_cum.y.push_back(p.actual_cumulative);
    predicted_cum.y.push_back(p.predicted_cumulative);
    actual_inc.y.push_back(p.actual_incremental);
    predicted_inc.y.push_back(p.predicted_incremental);
  }
  cumulative.series = {actual_cum, predicted_cum};
  incremental.series = {actual_inc, predicted_inc};
  if (!tracking.empty()) {
    const double end =
        tracking.front().time + (v->calibration_end - tracking.front().day) / ctx.days_per_unit;
    cumulative.reference_lines.push_back({end, "End of calibration"});
    incremental.reference_lines.push_back({end, "End of calibration"});
  }
  out += figure("tracking-cumulative", Layout::half, line_chart(cumulative),
                "Repeat purchases of the calibration-period customers added up over time: actual "
                "(solid) against the model fitted on the calibration period (dashed). Left of "
                "the dashed vertical line the model was fitted to these purchases; to the right "
                "it forecasts. A gap that opens after the line is forecast error.");
  out += figure("tracking-weekly", Layout::half, line_chart(incremental),
                "The same per " + esc(step) +
                    ": actual repeat purchases (solid) and the model's expectation (dashed). The "
                    "model predicts the average trend, not seasonal peaks; the last point can "
                    "cover a shorter period when the holdout does not end on a whole " +
                    esc(step) + ".");

  LineChartData conditional;
  conditional.title = "Conditional expectations of holdout purchases";
  conditional.x_label = "Repeat purchases in the calibration period";
  conditional.y_label = "Mean repeat purchases in the holdout";
  conditional.show_markers = true;
  conditional.width = half_chart;
  LineSeries actual_ce{"Actual", {}, {}}, predicted_ce{"BG/NBD", {}, {}};
  for (std::size_t k = 0; k < v->by_frequency.size(); ++k) {
    const ComparisonRow& row = v->by_frequency[k];
    if (row.customers == 0) continue;
    actual_ce.x.push_back(static_cast<double>(k));
    predicted_ce.x.push_back(static_cast<double>(k));
    actual_ce.y.push_back(row.actual_purchases);
    predicted_ce.y.push_back(row.predicted_purchases);
  }
  conditional.series = {actual_ce, predicted_ce};
  const std::string last_bucket = v->by_frequency.empty() ? "" : v->by_frequency.back().label;
  out += figure(
      "conditional-expectation", Layout::half, line_chart(conditional),
      "For the customers who made 0, 1, 2, … repeat purchases in the calibration period: the "
      "mean number they made in the " +
          esc(num(v->holdout_length, 1)) + " " + ctx.units +
          " of the holdout (solid) and the model's prediction for them (dashed). The last "
          "point is " +
          esc(last_bucket) +
          " (that many or more); groups without customers are left out. Points on top of each "
          "other mean the model ranks customers correctly.");
  out += "</div>\n";

  const auto error = [](double pct) { return std::isfinite(pct) ? num(pct, 1) + "%" : "n/a"; };
  out += "<div class=\"tables\">\n";
  out += table("Holdout totals (" + count(v->customers) + " calibration customers, holdout " +
                   esc(format_day(v->calibration_end + 1)) + " to " +
                   esc(format_day(v->holdout_end)) + ")",
               {{"", ""}, {"Actual", "num"}, {"Predicted", "num"}, {"Error", "num"}},
               {{"Repeat purchases", num(v->actual_purchases, 0), num(v->predicted_purchases, 0),
                 error(v->purchases_error_pct)},
                {"Revenue (" + esc(ctx.currency) + ")", num(v->actual_revenue, 0),
                 num(v->predicted_revenue, 0), error(v->revenue_error_pct)}});
  out += table("Per-customer errors in the holdout",
               {{"", ""}, {"MAE", "num"}, {"RMSE", "num"}, {"Correlation", "num"}},
               {{"Repeat purchases", num(v->purchase_errors.mae, 3),
                 num(v->purchase_errors.rmse, 3), num(v->purchase_errors.correlation, 3)},
                {"Revenue (" + esc(ctx.currency) + ")", num(v->revenue_errors.mae, 2),
                 num(v->revenue_errors.rmse, 2), num(v->revenue_errors.correlation, 3)}});
  out += "</div>\n";
  if (!v->by_segment.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const ComparisonRow& row : v->by_segment) {
      rows.push_back({esc(row.label), count(row.customers), num(row.actual_purchases, 2),
                      num(row.predicted_purchases, 2), num(row.actual_revenue, 2),
                      num(row.predicted_revenue, 2)});
    }
    out += table("Holdout by calibration-period segment (means per customer)",
                 {{"Segment", ""},
                  {"Customers", "num"},
                  {"Actual purchases", "num"},
                  {"Predicted purchases", "num"},
                  {"Actual revenue", "num"},
                  {"Predicted revenue", "num"}},
                 rows, "named");
  }
  return out + "</section>\n";
}

std::string value_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const SegmentSummary& summary = data.summary;
  std::string out = section_start(
      "value", "4. Customer value",
      "CLV is the discounted margin on the purchases expected in the next " + esc(ctx.horizon) +
          " (BG/NBD purchases × Gamma-Gamma spend per purchase); value at risk is the part of "
          "it a customer would be worth if they were surely still active but that the model "
          "expects to be lost because they probably are not: (1 − P(alive)) × CLV if alive.");
  out += "<div class=\"grid\">\n";

  // Customers who are almost surely gone have CLVs like 1e-20, which would stretch a log axis
  // over twenty decades; the axis starts at 1/10,000 of the largest CLV and the rest are counted.
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
  out += figure("clv-distribution", Layout::half, histogram(h),
                "How many customers have a CLV in each range, on a logarithmic axis so that the "
                "many small and the few large values are both visible: each bar covers the same "
                "ratio of values. Most of the value usually sits in the long right tail.");

  BarChartData value;
  value.title = "CLV and value at risk by segment, next " + ctx.horizon;
  value.category_label = "Segment";
  value.value_label = "Sum over the segment's customers (" + ctx.currency + ")";
  value.orientation = Orientation::horizontal;
  value.show_values = true;
  value.width = half_chart;
  BarSeries clv_series{"CLV", {}};
  BarSeries risk_series{"Value at risk", {}};
  for (const SegmentStats& s : summary.segments) {
    value.categories.push_back(s.name);
    clv_series.values.push_back(s.clv);
    risk_series.values.push_back(s.value_at_risk);
  }
  value.series = {clv_series, risk_series};
  out += figure("segment-value", Layout::half, bar_chart(value),
                "Expected CLV (blue) and value at risk (orange) summed over each segment. A long "
                "orange bar marks a segment whose value depends on winning customers back: the "
                "retention call list below names its most valuable members.");

  if (data.forecast) {
    const ForecastResult& f = *data.forecast;
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
    bool extended = false;
    // A small segment's interval need not contain its mean (forecast.hpp); the bar is then
    // extended to the mean and the row starred, so the chart never hides the estimate.
    const auto row = [&](const std::string& label, const Interval& i) {
      if (i.mean >= i.low && i.mean <= i.high) return IntervalRow{label, i.mean, i.low, i.high};
      extended = true;
      return IntervalRow{label + " *", i.mean, std::min(i.low, i.mean), std::max(i.high, i.mean)};
    };
    std::vector<std::vector<std::string>> rows;
    for (std::size_t s = 0; s < summary.segments.size(); ++s) {
      const GroupForecast& g = f.groups[s];
      if (g.customers == 0) continue;
      revenue.rows.push_back(row(summary.segments[s].name, g.revenue));
      purchases.rows.push_back(row(summary.segments[s].name, g.purchases));
      rows.push_back({esc(summary.segments[s].name), count(g.customers), num(g.purchases.mean, 1),
                      num(g.purchases.low, 1) + " – " + num(g.purchases.high, 1),
                      num(g.revenue.mean, 0),
                      num(g.revenue.low, 0) + " – " + num(g.revenue.high, 0),
                      num(g.expected_revenue_analytic, 0)});
    }
    rows.push_back({"<b>All customers</b>", count(f.total.customers),
                    num(f.total.purchases.mean, 1),
                    num(f.total.purchases.low, 1) + " – " + num(f.total.purchases.high, 1),
                    num(f.total.revenue.mean, 0),
                    num(f.total.revenue.low, 0) + " – " + num(f.total.revenue.high, 0),
                    num(f.total.expected_revenue_analytic, 0)});
    const std::string star =
        extended ? " * The simulated interval of this segment does not contain its mean (a small "
                   "segment with rare purchases: most futures have none); the bar is extended "
                   "to the mean."
                 : "";
    const std::string how = "Simulated from " + count(data.forecast_draws) +
                            " draws of every customer's future (seed " +
                            std::to_string(data.forecast_seed) + ")";
    out += figure("forecast-revenue", Layout::half, interval_chart(revenue),
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
    out += "</div>\n";
    out += table("Per-segment forecast, next " + esc(ctx.horizon),
                 {{"Segment", ""},
                  {"Customers", "num"},
                  {"Purchases (mean)", "num"},
                  {"Purchases, 90% interval", "num"},
                  {"Revenue (mean)", "num"},
                  {"Revenue, 90% interval", "num"},
                  {"Revenue (analytic mean)", "num"}},
                 rows, "named");
  } else {
    out += "</div>\n";
  }
  return out + "</section>\n";
}

std::string call_list_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const std::vector<std::size_t> top =
      call_list(data, static_cast<std::size_t>(data.top_customers));
  std::string out = section_start(
      "call-list", "5. Retention call list",
      "The " + count(static_cast<std::int64_t>(top.size())) +
          " customers with the largest value at risk: worth a lot if they are still active, "
          "but probably not. Call them first. P(alive) is the model's probability that the "
          "customer is still active; CLV if alive is what they are worth over the next " +
          esc(ctx.horizon) + " if they are.");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < top.size(); ++k) {
    const std::size_t i = top[k];
    const CustomerSummary& c = data.customers[i];
    const CustomerPrediction& p = data.predictions[i];
    const std::string& segment =
        data.scheme->segments()[static_cast<std::size_t>(data.segment[i])].name;
    rows.push_back({std::to_string(k + 1), esc(c.id), esc(segment), num(p.p_alive, 3),
                    num(p.clv_if_alive, 2), num(p.value_at_risk, 2),
                    esc(format_day(c.last_purchase)), count(c.days_since_last), count(c.frequency),
                    num(c.total_spend, 2)});
  }
  out += table("",
               {{"#", "num"},
                {"Customer", "id"},
                {"Segment", ""},
                {"P(alive)", "num"},
                {"CLV if alive (" + esc(ctx.currency) + ")", "num"},
                {"Value at risk (" + esc(ctx.currency) + ")", "num"},
                {"Last purchase", ""},
                {"Days since", "num"},
                {"Repeat purchases", "num"},
                {"Spend to date (" + esc(ctx.currency) + ")", "num"}},
               rows);
  return out + "</section>\n";
}

const char* parameter_label(const std::string& name) {
  if (name == "alpha") return "α (alpha)";
  if (name == "gamma") return "γ (gamma)";
  return nullptr;
}

std::string parameter_table(const std::string& caption, const FitSummary& fit) {
  std::vector<std::vector<std::string>> rows;
  for (const ParameterEstimate& p : fit.parameters) {
    const char* label = parameter_label(p.name);
    const bool se = fit.standard_errors_available;
    rows.push_back({label != nullptr ? label : esc(p.name), num(p.value, 4),
                    se ? num(p.standard_error, 4) : "n/a",
                    se ? num(p.ci_low, 4) + " – " + num(p.ci_high, 4) : "n/a"});
  }
  return table(
      caption,
      {{"Parameter", ""}, {"Estimate", "num"}, {"Standard error", "num"}, {"95% interval", "num"}},
      rows);
}

std::string scientific(double value) {
  if (!std::isfinite(value)) return "n/a";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2e", value);
  return buffer;
}

std::string convergence_table(const std::string& caption, const FitSummary& fit,
                              const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Converged",
       fit.converged() ? "<span class=\"ok\">yes</span>" : "<span class=\"warn\">no</span>"},
      {"Termination", esc(fit_termination_key(fit.termination))},
      {"Iterations (all starts)", count(fit.iterations)},
      {"Starts tried (best)", count(fit.starts_tried) + " (" + count(fit.best_start) + ")"},
      {"Log-likelihood", num(fit.log_likelihood, 2)},
      {"Gradient norm", scientific(fit.gradient_norm)},
      {"AIC / BIC", num(fit.aic, 1) + " / " + num(fit.bic, 1)},
      {"Customers", count(fit.n_observations)}};
  if (!fit.message.empty()) rows.push_back({"Message", esc(fit.message)});
  if (!fit.standard_errors_available) {
    rows.push_back({"Standard errors", "<span class=\"warn\">unavailable</span>: " +
                                           esc(fit.standard_errors_message)});
  }
  rows.insert(rows.end(), extra.begin(), extra.end());
  return key_value_table(caption, rows);
}

std::string models_tables(const FittedModels& models, const std::string& period) {
  std::string out = "<div class=\"tables\">\n<div>\n";
  out += parameter_table("BG/NBD, " + period + " (" + unit_plural(models.time_unit) + ")",
                         models.purchase.summary);
  out += convergence_table("BG/NBD fit", models.purchase.summary, {});
  out += "</div>\n<div>\n";
  out += parameter_table("Gamma-Gamma, " + period, models.spend.summary);
  out += convergence_table("Gamma-Gamma fit", models.spend.summary,
                           {{"Correlation of frequency and spend",
                             num(models.spend.frequency_spend_correlation, 3) +
                                 " (the model assumes none; |r| above 0.3 is a warning sign)"}});
  out += "</div>\n</div>\n";
  return out;
}

std::string parameters_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  std::string out = section_start(
      "parameters", "6. Model parameters",
      std::string("BG/NBD: purchase rate λ ~ Gamma(r, α) per ") +
          time_unit_key(data.models.time_unit) +
          " while active, dropout after each repeat purchase with probability p ~ Beta(a, b) "
          "(Fader, Hardie &amp; Lee 2005). Gamma-Gamma: spend per purchase z ~ Gamma(p, ν), ν ~ "
          "Gamma(q, γ). Maximum likelihood; standard errors from the observed information by "
          "the delta method, 95% intervals on the log scale.");
  out += models_tables(data.models, "whole period");
  if (data.validation) {
    out += "<h3>Calibration-period fit (used for the holdout comparison)</h3>\n";
    out += models_tables(data.validation->models,
                         "up to " + format_day(data.validation->calibration_end));
  }
  return out + "</section>\n";
}

std::string about_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const ReportMetadata& m = data.metadata;
  const ScoringSpec& scoring = data.scheme->scoring();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Transaction log", esc(m.source)},
      {"Transactions used", esc(format_day(m.first_day)) + " to " + esc(format_day(m.last_day))},
      {"As of (last observed day)", esc(format_day(m.as_of))},
      {"Rows read / used", count(m.rows.rows_read) + " / " + count(m.rows.rows_used)},
      {"Rows rejected / after the as-of day",
       count(m.rows.rows_rejected()) + " / " + count(m.rows.rows_after_as_of)},
      {"Customers", count(static_cast<std::int64_t>(data.customers.size()))},
      {"Segment scheme",
       esc(data.scheme->name()) + " (" + esc(data.scheme->source()) + "), " +
           std::to_string(data.scheme->bins()) + " scores per dimension, " +
           (scoring.method == ScoringMethod::quantile ? "quantile" : "threshold") +
           " scoring, M from " +
           (scoring.monetary_basis == MonetaryBasis::total ? "total spend" : "average spend")},
      {"Model time unit", time_unit_key(data.models.time_unit)},
      {"Value horizon", esc(ctx.horizon)},
      {"Margin", num(100.0 * data.value.margin, 1) + "% of spend"},
      {"Discounting",
       data.value.period_discount_rate
           ? num(100.0 * *data.value.period_discount_rate, 2) + "% per month"
           : num(100.0 * data.value.annual_discount_rate, 2) + "% per year, applied monthly"}};
  if (data.forecast) {
    rows.push_back({"Forecast", count(data.forecast_draws) + " simulated futures, seed " +
                                    std::to_string(data.forecast_seed)});
  }
  if (data.validation) {
    rows.push_back({"Calibration end", esc(format_day(data.validation->calibration_end))});
  }
  if (!m.version.empty()) rows.push_back({"Made with", "clvkit " + esc(m.version)});
  std::string out = section_start(
      "about", "7. How this report was made",
      "One purchase occasion per customer and day; x is the number of repeat purchase days, t_x "
      "the time from the first to the last purchase and T from the first purchase to the as-of "
      "day. The report is a single file with no scripts and no network access: it can be mailed "
      "or archived as it is.");
  out += key_value_table("", rows);
  return out + "</section>\n";
}

}  // namespace

std::vector<std::string> report_figure_names(const ReportData& data) {
  std::vector<std::string> names = {"segment-sizes", "rf-heatmap", "p-alive-matrix",
                                    "expected-purchases-matrix", "calibration-fit"};
  if (data.validation) {
    names.insert(names.end(),
                 {"tracking-cumulative", "tracking-weekly", "conditional-expectation"});
  }
  names.insert(names.end(), {"clv-distribution", "segment-value"});
  if (data.forecast) names.insert(names.end(), {"forecast-revenue", "forecast-purchases"});
  return names;
}

std::string render_html_report(const ReportData& data) {
  check_data(data);
  const double days_per_unit = unit_days(data.models.time_unit);
  const Context ctx{data,
                    currency_of(data),
                    describe_days(data.value.horizon_days),
                    data.value.horizon_days / days_per_unit,
                    unit_plural(data.models.time_unit),
                    days_per_unit};

  const ReportMetadata& m = data.metadata;
  const std::string title = m.title.empty() ? "Customer base report" : m.title;
  std::string out;
  out.reserve(1 << 20);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (!m.version.empty()) {
    out += "<meta name=\"generator\" content=\"clvkit " + escape_attribute(m.version) + "\">\n";
  }
  out += "<title>" + esc(title) + " – " + esc(m.source) + ", as of " + esc(format_day(m.as_of)) +
         "</title>\n";
  out += std::string("<style>") + style_sheet + "</style>\n</head>\n<body>\n<header>\n";
  out += "<h1>" + esc(title) + "</h1>\n";
  out += "<p class=\"subtitle\">" + esc(m.source) + " · " +
         count(static_cast<std::int64_t>(data.customers.size())) + " customers · transactions " +
         esc(format_day(m.first_day)) + " to " + esc(format_day(m.last_day)) + " · as of <b>" +
         esc(format_day(m.as_of)) + "</b> · horizon " + esc(ctx.horizon) + "</p>\n";
  out += key_figures(ctx);
  out +=
      "<nav aria-label=\"Contents\"><ol>"
      "<li><a href=\"#segments\">1. Segments</a></li>"
      "<li><a href=\"#activity\">2. Who is still active</a></li>"
      "<li><a href=\"#fit\">3. Model fit</a></li>"
      "<li><a href=\"#value\">4. Customer value</a></li>"
      "<li><a href=\"#call-list\">5. Retention call list</a></li>"
      "<li><a href=\"#parameters\">6. Model parameters</a></li>"
      "<li><a href=\"#about\">7. How this report was made</a></li>"
      "</ol></nav>\n</header>\n<main>\n";
  out += segments_section(ctx);
  out += activity_section(ctx);
  out += fit_section(ctx);
  out += value_section(ctx);
  out += call_list_section(ctx);
  out += parameters_section(ctx);
  out += about_section(ctx);
  out += "</main>\n<footer>Made by clvkit" + (m.version.empty() ? "" : " " + esc(m.version)) +
         ". Self-contained: no scripts, fonts or images are loaded from anywhere.</footer>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace clvkit::report
