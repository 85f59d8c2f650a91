#include "clvkit/report/charts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string_view>

#include "clvkit/error.hpp"
#include "clvkit/report/svg.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit::report {
namespace {

// Layout constants in px. 12-13 px text is readable on a laptop at 720 px wide; the title is
// larger. Every colour below is either from the palettes in svg.hpp or a neutral grey.
constexpr double title_font = 16;
constexpr double text_font = 12;
constexpr double axis_title_font = 13;
constexpr double pad = 12;           // outer padding
constexpr double axis_title_w = 18;  // room for a rotated y-axis title
constexpr double title_h = 40;       // band taken by the chart title
constexpr double legend_row_h = 20;
constexpr int default_height = 400;
constexpr const char* font_stack =
    "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";
constexpr const char* ink = "#222222";
constexpr const char* muted_ink = "#555555";
constexpr const char* grid_colour = "#e3e3e3";
constexpr const char* axis_colour = "#666666";
constexpr const char* missing_colour = "#d4d4d4";

// Dash patterns that tell series apart without colour (first solid).
constexpr const char* dash_patterns[] = {"", "7 4", "2 3", "9 3 2 3", "4 4"};

// "bar chart 'Revenue by segment'": prefixes every error message.
std::string chart_ref(const char* kind, const std::string& title) {
  return std::string(kind) + " '" + title + "'";
}

void check_frame(const char* kind, const std::string& title, int width, int height) {
  if (title.empty()) {
    throw UsageError(std::string(kind) +
                     ": the title is empty, but every chart needs one (its accessible name)");
  }
  if (width < 320 || width > 4096) {
    throw UsageError(chart_ref(kind, title) + ": width is " + std::to_string(width) +
                     ", but must be 320..4096");
  }
  if (height != 0 && (height < 160 || height > 8192)) {
    throw UsageError(chart_ref(kind, title) + ": height is " + std::to_string(height) +
                     ", but must be 0 (automatic) or 160..8192");
  }
}

void check_finite(double value, const std::string& chart, const std::string& what) {
  if (!std::isfinite(value)) {
    throw UsageError(chart + ": " + what + " is " + describe_number(value) +
                     ", but must be finite");
  }
}

std::string point(double x, double y) { return format_fixed(x, 2) + "," + format_fixed(y, 2); }

SvgElement text_at(double x, double y, std::string_view content, const char* anchor = "start",
                   double size = text_font) {
  SvgElement t("text");
  t.set("x", x).set("y", y);
  if (std::string_view(anchor) != "start") t.set("text-anchor", anchor);
  if (size != text_font) t.set("font-size", size);
  t.text(content);
  return t;
}

SvgElement tooltip(std::string_view content) {
  SvgElement t("title");
  t.text(content);
  return t;
}

SvgElement line(double x1, double y1, double x2, double y2, const char* stroke, double width) {
  SvgElement l("line");
  l.set("x1", x1).set("y1", y1).set("x2", x2).set("y2", y2).set("stroke", stroke);
  l.set("stroke-width", width);
  return l;
}

SvgElement group(const char* cls) {
  SvgElement g("g");
  g.set("class", cls);
  return g;
}

// The <svg> root with everything every chart has: data-chart, accessibility attributes,
// <title>, <desc>, a white background (charts stay legible in dark-mode viewers) and the
// visible title.
SvgElement chart_root(const char* kind, const std::string& title, const std::string& desc,
                      int width, int height) {
  SvgElement svg("svg");
  svg.set("data-chart", kind)
      .set("role", "img")
      .set("aria-label", title)
      .set("width", width)
      .set("height", height)
      .set("viewBox", "0 0 " + std::to_string(width) + " " + std::to_string(height))
      .set("style", "max-width:100%;height:auto")
      .set("font-family", font_stack)
      .set("font-size", text_font)
      .set("fill", ink);
  svg.add(tooltip(title));
  SvgElement d("desc");
  d.text(desc);
  svg.add(d);
  SvgElement background("rect");
  background.set("class", "background").set("width", width).set("height", height);
  background.set("fill", "#ffffff");
  svg.add(background);
  SvgElement heading =
      text_at(pad, 26, truncate_text(title, width - 2 * pad, title_font), "start", title_font);
  heading.set("class", "chart-title").set("font-weight", "600");
  svg.add(heading);
  return svg;
}

std::string no_data_chart(const char* kind, const std::string& title, int width, int height) {
  const int h = height != 0 ? height : 160;
  SvgElement svg = chart_root(kind, title, "No data to chart.", width, h);
  SvgElement note =
      text_at(width / 2.0, title_h + (h - title_h) / 2.0, "No data", "middle", axis_title_font);
  note.set("class", "no-data").set("fill", muted_ink);
  svg.add(note);
  return svg.str();
}

// ---- Legends ------------------------------------------------------------------------------

enum class Mark { swatch, line, point, line_point, interval, key };

struct LegendItem {
  std::string name;
  std::string colour;
  Mark mark = Mark::swatch;
  std::string dash;  // for Mark::line / line_point
  std::string key;   // for Mark::key: text drawn before the name, e.g. the segment number
};

constexpr double legend_sample_w = 24;

double legend_item_width(const LegendItem& item, double max_name_w) {
  const double name_w = std::min(text_width(item.name, text_font), max_name_w);
  const double sample_w =
      item.mark == Mark::key ? text_width(item.key, text_font) + 4 : legend_sample_w + 6;
  return sample_w + name_w + 16;
}

// Items left to right from x = pad, wrapping within the width. Returns the rows needed.
int legend_rows(const std::vector<LegendItem>& items, double width) {
  if (items.empty()) return 0;
  const double max_name_w = width / 2;
  int rows = 1;
  double x = pad;
  for (const LegendItem& item : items) {
    const double w = legend_item_width(item, max_name_w);
    if (x > pad && x + w > width - pad) {
      ++rows;
      x = pad;
    }
    x += w;
  }
  return rows;
}

SvgElement legend(const std::vector<LegendItem>& items, double width, double top) {
  SvgElement g = group("legend");
  const double max_name_w = width / 2;
  double x = pad;
  double y = top;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const LegendItem& item = items[i];
    const double w = legend_item_width(item, max_name_w);
    if (x > pad && x + w > width - pad) {
      x = pad;
      y += legend_row_h;
    }
    SvgElement entry = group("legend-item");
    entry.set("data-series", static_cast<int>(i));
    const double mid = y + legend_row_h / 2;
    double name_x = x + legend_sample_w + 6;
    switch (item.mark) {
      case Mark::swatch: {
        SvgElement r("rect");
        r.set("x", x + 6).set("y", mid - 6).set("width", 12).set("height", 12);
        r.set("fill", item.colour);
        entry.add(r);
        break;
      }
      case Mark::line:
      case Mark::line_point:
      case Mark::interval: {
        SvgElement l = line(x, mid, x + legend_sample_w, mid, item.colour.c_str(), 2.5);
        if (!item.dash.empty()) l.set("stroke-dasharray", item.dash);
        entry.add(l);
        if (item.mark == Mark::interval) {
          entry.add(line(x, mid - 5, x, mid + 5, item.colour.c_str(), 2));
          entry.add(line(x + legend_sample_w, mid - 5, x + legend_sample_w, mid + 5,
                         item.colour.c_str(), 2));
        }
        if (item.mark != Mark::line_point) break;
        [[fallthrough]];
      }
      case Mark::point: {
        SvgElement c("circle");
        c.set("cx", x + legend_sample_w / 2).set("cy", mid).set("r", 4).set("fill", item.colour);
        c.set("stroke", "#ffffff").set("stroke-width", 1);
        entry.add(c);
        break;
      }
      case Mark::key: {
        SvgElement k = text_at(x, mid + 4, item.key);
        k.set("font-weight", "700");
        entry.add(k);
        name_x = x + text_width(item.key, text_font) + 4;
        break;
      }
    }
    SvgElement name = text_at(name_x, mid + 4, truncate_text(item.name, max_name_w, text_font));
    entry.add(tooltip(item.name));
    entry.add(name);
    g.add(entry);
    x += w;
  }
  return g;
}

// ---- Axes ---------------------------------------------------------------------------------

double max_label_width(const std::vector<std::string>& labels, double font) {
  double w = 0;
  for (const std::string& label : labels) w = std::max(w, text_width(label, font));
  return w;
}

std::vector<std::string> tick_labels(const std::vector<double>& ticks, int decimals) {
  std::vector<std::string> labels;
  for (double t : ticks) labels.push_back(format_label(t, decimals));
  return labels;
}

// Rotated y-axis title centred on the plot, at the left edge of the chart.
SvgElement y_axis_title(std::string_view label, double top, double bottom) {
  const double x = pad + 10;
  const double y = (top + bottom) / 2;
  SvgElement t = text_at(x, y, truncate_text(label, bottom - top + 40, axis_title_font), "middle",
                         axis_title_font);
  t.set("class", "axis-title")
      .set("transform", "rotate(-90 " + format_fixed(x, 2) + " " + format_fixed(y, 2) + ")");
  return t;
}

SvgElement x_axis_title(std::string_view label, double left, double right, double y) {
  SvgElement t =
      text_at((left + right) / 2, y, truncate_text(label, right - left + 40, axis_title_font),
              "middle", axis_title_font);
  t.set("class", "axis-title");
  return t;
}

// Value axis on the left: grid lines across the plot, tick labels, a line at value 0 when it
// is inside the axis.
SvgElement left_value_axis(const std::vector<double>& ticks, int decimals, const LinearScale& y,
                           double left, double right) {
  SvgElement g = group("y-axis");
  for (double t : ticks) {
    const double ty = y(t);
    SvgElement grid = line(left, ty, right, ty, t == 0.0 ? axis_colour : grid_colour, 1);
    grid.set("class", t == 0.0 ? "axis" : "grid");
    g.add(grid);
    SvgElement label = text_at(left - 6, ty + 4, format_label(t, decimals), "end");
    label.set("class", "tick-label");
    g.add(label);
  }
  return g;
}

// Numeric axis along the bottom: vertical grid lines, tick marks and labels. `position` maps a
// tick value to x (a LinearScale or LogScale).
template <class Scale>
SvgElement bottom_value_axis(const std::vector<double>& ticks,
                             const std::vector<std::string>& labels, const Scale& position,
                             double top, double bottom) {
  SvgElement g = group("x-axis");
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    const double t = ticks[i];
    const double tx = position(t);
    SvgElement grid = line(tx, top, tx, bottom, t == 0.0 ? axis_colour : grid_colour, 1);
    grid.set("class", t == 0.0 ? "axis" : "grid");
    g.add(grid);
    SvgElement label = text_at(tx, bottom + 16, labels[i], "middle");
    label.set("class", "tick-label");
    g.add(label);
  }
  return g;
}

SvgElement axis_line(double x1, double y1, double x2, double y2) {
  SvgElement l = line(x1, y1, x2, y2, axis_colour, 1);
  l.set("class", "axis");
  return l;
}

// ---- Bar chart ----------------------------------------------------------------------------

void check_bar_data(const BarChartData& data, const std::string& ref) {
  for (std::size_t s = 0; s < data.series.size(); ++s) {
    const BarSeries& series = data.series[s];
    if (series.values.size() != data.categories.size()) {
      throw UsageError(ref + ": series '" + series.name + "' has " +
                       std::to_string(series.values.size()) + " values for " +
                       std::to_string(data.categories.size()) + " categories");
    }
    for (std::size_t i = 0; i < series.values.size(); ++i) {
      check_finite(series.values[i], ref,
                   "series '" + series.name + "', category '" + data.categories[i] + "' (index " +
                       std::to_string(i) + ")");
    }
  }
}

std::string bar_tooltip(const BarChartData& data, std::size_t s, std::size_t i) {
  std::string text = data.categories[i];
  if (data.series.size() > 1 || !data.series[s].name.empty()) text += ", " + data.series[s].name;
  return text + ": " + format_label(data.series[s].values[i], data.value_decimals);
}

SvgElement bar_rect(const BarChartData& data, std::size_t s, std::size_t i, double x, double y,
                    double w, double h) {
  SvgElement r("rect");
  r.set("class", "bar").set("x", x).set("y", y).set("width", std::max(w, 0.0));
  r.set("height", std::max(h, 0.0)).set("fill", categorical_colour(s));
  r.set("data-series", static_cast<int>(s));
  r.set("data-value", format_fixed(data.series[s].values[i], 6));
  r.add(tooltip(bar_tooltip(data, s, i)));
  return r;
}

std::vector<LegendItem> series_legend(const BarChartData& data) {
  std::vector<LegendItem> items;
  if (data.series.size() < 2) return items;
  for (std::size_t s = 0; s < data.series.size(); ++s) {
    items.push_back({data.series[s].name, categorical_colour(s), Mark::swatch, "", ""});
  }
  return items;
}

std::string vertical_bar_chart(const BarChartData& data, AxisTicks axis) {
  const double width = data.width;
  const std::size_t n = data.categories.size();
  const std::size_t series_n = data.series.size();
  const std::vector<LegendItem> items = series_legend(data);
  const double top =
      title_h + legend_rows(items, width) * legend_row_h + (data.show_values ? 14 : 6);

  const std::vector<std::string> ticks = tick_labels(axis.values, axis.decimals);
  const double left = pad + axis_title_w + 8 + max_label_width(ticks, text_font) + 6;
  const double right = width - 16;
  const double band = (right - left) / n;
  const double label_w = max_label_width(data.categories, text_font);
  // Labels wider than their band are rotated by 40 degrees and capped in length.
  const bool rotate = label_w > band - 6;
  const double angle = 40 * std::numbers::pi / 180;
  const double label_cap = rotate ? std::min(160.0, width * 0.25) : band - 4;
  const double label_h =
      rotate ? std::min(label_w, label_cap) * std::sin(angle) + text_font + 6 : 18;
  const double bottom_margin = 6 + label_h + 22 + 8;
  int height = data.height != 0 ? data.height : default_height;
  height = std::max(height, static_cast<int>(std::ceil(top + bottom_margin + 120)));
  const double bottom = height - bottom_margin;

  SvgElement svg = chart_root("bar", data.title,
                              "Vertical bar chart with " + std::to_string(n) + " categories and " +
                                  std::to_string(series_n) + " series.",
                              data.width, height);
  if (!items.empty()) svg.add(legend(items, width, title_h));
  const LinearScale y(axis.lo, axis.hi, bottom, top);
  svg.add(left_value_axis(axis.values, axis.decimals, y, left, right));

  SvgElement bars = group("bars");
  SvgElement values = group("value-labels");
  const double zero = y(0.0);
  const double group_w = band * 0.8;
  const double bar_w = group_w / series_n;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t s = 0; s < series_n; ++s) {
      const double v = data.series[s].values[i];
      const double x = left + i * band + band * 0.1 + s * bar_w;
      const double vy = y(v);
      const double w = series_n > 1 ? bar_w - 1 : bar_w;
      bars.add(bar_rect(data, s, i, x, std::min(vy, zero), w, std::abs(vy - zero)));
      if (data.show_values) {
        const double ly = v >= 0 ? vy - 4 : vy + 14;
        SvgElement t = text_at(x + w / 2, ly, format_label(v, data.value_decimals), "middle",
                               series_n > 2 ? 10 : text_font);
        t.set("class", "value-label");
        values.add(t);
      }
    }
  }
  svg.add(bars);
  if (data.show_values) svg.add(values);
  svg.add(axis_line(left, top, left, bottom));

  SvgElement labels = group("category-labels");
  for (std::size_t i = 0; i < n; ++i) {
    const double cx = left + (i + 0.5) * band;
    const std::string text = truncate_text(data.categories[i], label_cap, text_font);
    SvgElement t =
        rotate ? text_at(cx, bottom + 14, text, "end") : text_at(cx, bottom + 16, text, "middle");
    if (rotate) {
      t.set("transform",
            "rotate(-40 " + format_fixed(cx, 2) + " " + format_fixed(bottom + 14, 2) + ")");
    }
    t.set("class", "tick-label");
    if (text != data.categories[i]) t.add(tooltip(data.categories[i]));
    labels.add(t);
  }
  svg.add(labels);
  svg.add(y_axis_title(data.value_label, top, bottom));
  svg.add(x_axis_title(data.category_label, left, right, height - 14));
  return svg.str();
}

std::string horizontal_bar_chart(const BarChartData& data, AxisTicks axis) {
  const double width = data.width;
  const std::size_t n = data.categories.size();
  const std::size_t series_n = data.series.size();
  const std::vector<LegendItem> items = series_legend(data);
  const double top = title_h + legend_rows(items, width) * legend_row_h + 6;

  const double label_cap = width * 0.3;
  const double label_w = std::min(max_label_width(data.categories, text_font), label_cap);
  const double left = pad + axis_title_w + 8 + label_w + 8;
  double value_w = 0;
  if (data.show_values) {
    for (const BarSeries& s : data.series) {
      for (double v : s.values) {
        value_w = std::max(value_w, text_width(format_label(v, data.value_decimals), text_font));
      }
    }
  }
  const double last_tick_w = text_width(format_label(axis.hi, axis.decimals), text_font);
  const double right = width - std::max({16.0, last_tick_w / 2 + 8, value_w + 10});
  const double bottom_margin = 6 + 16 + 22 + 8;
  double band = std::max(24.0, series_n * 14.0 + 10);
  int height = data.height;
  if (height == 0) {
    height = static_cast<int>(std::ceil(top + n * band + bottom_margin));
  } else {
    band = (height - top - bottom_margin) / n;
    if (band < 4) {
      throw UsageError(chart_ref("bar chart", data.title) + ": height " + std::to_string(height) +
                       " is too small for " + std::to_string(n) + " categories");
    }
  }
  const double bottom = top + n * band;

  SvgElement svg = chart_root("bar", data.title,
                              "Horizontal bar chart with " + std::to_string(n) +
                                  " categories and " + std::to_string(series_n) + " series.",
                              data.width, height);
  if (!items.empty()) svg.add(legend(items, width, title_h));
  const LinearScale x(axis.lo, axis.hi, left, right);
  svg.add(bottom_value_axis(axis.values, tick_labels(axis.values, axis.decimals), x, top, bottom));

  SvgElement bars = group("bars");
  SvgElement values = group("value-labels");
  const double zero = x(0.0);
  const double group_h = band * 0.8;
  const double bar_h = group_h / series_n;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t s = 0; s < series_n; ++s) {
      const double v = data.series[s].values[i];
      const double y = top + i * band + band * 0.1 + s * bar_h;
      const double vx = x(v);
      const double h = series_n > 1 ? bar_h - 1 : bar_h;
      bars.add(bar_rect(data, s, i, std::min(vx, zero), y, std::abs(vx - zero), h));
      if (data.show_values) {
        SvgElement t =
            v >= 0 ? text_at(vx + 4, y + h / 2 + 4, format_label(v, data.value_decimals))
                   : text_at(vx - 4, y + h / 2 + 4, format_label(v, data.value_decimals), "end");
        t.set("class", "value-label");
        values.add(t);
      }
    }
  }
  svg.add(bars);
  if (data.show_values) svg.add(values);
  svg.add(axis_line(left, bottom, right, bottom));

  SvgElement labels = group("category-labels");
  for (std::size_t i = 0; i < n; ++i) {
    const std::string text = truncate_text(data.categories[i], label_cap, text_font);
    SvgElement t = text_at(left - 8, top + (i + 0.5) * band + 4, text, "end");
    t.set("class", "tick-label");
    if (text != data.categories[i]) t.add(tooltip(data.categories[i]));
    labels.add(t);
  }
  svg.add(labels);
  svg.add(y_axis_title(data.category_label, top, bottom));
  svg.add(x_axis_title(data.value_label, left, right, bottom + 16 + 24));
  return svg.str();
}

// ---- Line chart ---------------------------------------------------------------------------

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

const char* dash_for(std::size_t s) { return dash_patterns[s % std::size(dash_patterns)]; }

// ---- Heatmap ------------------------------------------------------------------------------

// 4-connected regions of equal segment index, numbered in reading order; returns, per region,
// its first cell (row, column), where the region's tag is drawn.
std::vector<std::pair<std::size_t, std::size_t>> region_anchors(
    const std::vector<std::vector<int>>& segments) {
  const std::size_t rows = segments.size();
  const std::size_t cols = rows ? segments[0].size() : 0;
  std::vector<std::vector<bool>> seen(rows, std::vector<bool>(cols, false));
  std::vector<std::pair<std::size_t, std::size_t>> anchors;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      if (seen[r][c]) continue;
      anchors.emplace_back(r, c);
      std::vector<std::pair<std::size_t, std::size_t>> stack = {{r, c}};
      seen[r][c] = true;
      while (!stack.empty()) {
        const auto [cr, cc] = stack.back();
        stack.pop_back();
        const auto visit = [&](std::size_t nr, std::size_t nc) {
          if (!seen[nr][nc] && segments[nr][nc] == segments[cr][cc]) {
            seen[nr][nc] = true;
            stack.emplace_back(nr, nc);
          }
        };
        if (cr > 0) visit(cr - 1, cc);
        if (cr + 1 < rows) visit(cr + 1, cc);
        if (cc > 0) visit(cr, cc - 1);
        if (cc + 1 < cols) visit(cr, cc + 1);
      }
    }
  }
  return anchors;
}

void check_heatmap_data(const HeatmapData& data, const std::string& ref) {
  const std::size_t rows = data.row_labels.size();
  const std::size_t cols = data.column_labels.size();
  if (data.values.size() != rows) {
    throw UsageError(ref + ": values has " + std::to_string(data.values.size()) + " rows for " +
                     std::to_string(rows) + " row labels");
  }
  for (std::size_t r = 0; r < rows; ++r) {
    if (data.values[r].size() != cols) {
      throw UsageError(ref + ": values row " + std::to_string(r) + " ('" + data.row_labels[r] +
                       "') has " + std::to_string(data.values[r].size()) + " values for " +
                       std::to_string(cols) + " column labels");
    }
    for (std::size_t c = 0; c < cols; ++c) {
      if (std::isinf(data.values[r][c])) {
        throw UsageError(ref + ": value at row '" + data.row_labels[r] + "', column '" +
                         data.column_labels[c] + "' is " + describe_number(data.values[r][c]) +
                         ", but must be finite (or NaN for no value)");
      }
    }
  }
  if (data.colour_min) check_finite(*data.colour_min, ref, "colour_min");
  if (data.colour_max) check_finite(*data.colour_max, ref, "colour_max");
  if (data.colour_min && data.colour_max && *data.colour_min > *data.colour_max) {
    throw UsageError(ref + ": colour_min " + describe_number(*data.colour_min) +
                     " is greater than colour_max " + describe_number(*data.colour_max));
  }
  if (data.segments.empty()) return;
  if (data.segments.size() != rows) {
    throw UsageError(ref + ": segments has " + std::to_string(data.segments.size()) + " rows for " +
                     std::to_string(rows) + " row labels");
  }
  for (std::size_t r = 0; r < rows; ++r) {
    if (data.segments[r].size() != cols) {
      throw UsageError(ref + ": segments row " + std::to_string(r) + " has " +
                       std::to_string(data.segments[r].size()) + " entries for " +
                       std::to_string(cols) + " column labels");
    }
    for (std::size_t c = 0; c < cols; ++c) {
      const int s = data.segments[r][c];
      if (s < 0 || static_cast<std::size_t>(s) >= data.segment_names.size()) {
        throw UsageError(ref + ": segment index " + std::to_string(s) + " at row '" +
                         data.row_labels[r] + "', column '" + data.column_labels[c] +
                         "' is outside 0.." +
                         std::to_string(static_cast<long long>(data.segment_names.size()) - 1) +
                         " (segment_names)");
      }
    }
  }
}

// Every k-th label, k chosen so the labels shown do not overlap along `extent` px per item.
std::size_t label_stride(double needed, double extent) {
  if (extent <= 0) return 1;
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(needed / extent)));
}

// ---- Histogram ----------------------------------------------------------------------------

// Decimals that show a number of about this magnitude with three significant digits.
int significant_decimals(double magnitude) {
  if (!(magnitude > 0)) return 2;
  return std::clamp(2 - static_cast<int>(std::floor(std::log10(magnitude))), 0, 6);
}

}  // namespace

std::string bar_chart(const BarChartData& data) {
  check_frame("bar chart", data.title, data.width, data.height);
  const std::string ref = chart_ref("bar chart", data.title);
  check_bar_data(data, ref);
  if (data.categories.empty() || data.series.empty()) {
    return no_data_chart("bar", data.title, data.width, data.height);
  }
  Range range;
  range.add(0.0);
  for (const BarSeries& s : data.series) {
    for (double v : s.values) range.add(v);
  }
  const AxisTicks axis = nice_axis(range.lo, range.hi, 5);
  return data.orientation == Orientation::vertical ? vertical_bar_chart(data, axis)
                                                   : horizontal_bar_chart(data, axis);
}

std::string line_chart(const LineChartData& data) {
  check_frame("line chart", data.title, data.width, data.height);
  const std::string ref = chart_ref("line chart", data.title);
  Range xr, yr;
  for (const LineSeries& s : data.series) {
    if (s.x.size() != s.y.size()) {
      throw UsageError(ref + ": series '" + s.name + "' has " + std::to_string(s.x.size()) +
                       " x values but " + std::to_string(s.y.size()) + " y values");
    }
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      check_finite(s.x[i], ref, "series '" + s.name + "', x[" + std::to_string(i) + "]");
      check_finite(s.y[i], ref, "series '" + s.name + "', y[" + std::to_string(i) + "]");
      xr.add(s.x[i]);
      yr.add(s.y[i]);
    }
  }
  for (const ReferenceLine& r : data.reference_lines) {
    check_finite(r.x, ref, "reference line '" + r.label + "'");
  }
  if (xr.empty()) return no_data_chart("line", data.title, data.width, data.height);
  for (const ReferenceLine& r : data.reference_lines) xr.add(r.x);
  if (data.y_from_zero) yr.add(0.0);

  const double width = data.width;
  const int height = data.height != 0 ? data.height : default_height;
  std::vector<LegendItem> items;
  if (data.series.size() > 1) {
    for (std::size_t s = 0; s < data.series.size(); ++s) {
      items.push_back({data.series[s].name, categorical_colour(s),
                       data.show_markers ? Mark::line_point : Mark::line, dash_for(s), ""});
    }
  }
  const double top = title_h + legend_rows(items, width) * legend_row_h + 10;
  const AxisTicks x_axis = nice_axis(xr.lo, xr.hi, 6);
  const AxisTicks y_axis = nice_axis(yr.lo, yr.hi, 5);
  const std::vector<std::string> y_ticks = tick_labels(y_axis.values, y_axis.decimals);
  const double left = pad + axis_title_w + 8 + max_label_width(y_ticks, text_font) + 6;
  const double right =
      width -
      std::max(16.0, text_width(format_label(x_axis.hi, x_axis.decimals), text_font) / 2 + 8);
  const double bottom = std::max(top + 60, height - (6.0 + 16 + 22 + 8));

  std::size_t points = 0;
  for (const LineSeries& s : data.series) points += s.x.size();
  SvgElement svg = chart_root("line", data.title,
                              "Line chart with " + std::to_string(data.series.size()) +
                                  " series and " + std::to_string(points) + " points.",
                              data.width, height);
  if (!items.empty()) svg.add(legend(items, width, title_h));
  const LinearScale x(x_axis.lo, x_axis.hi, left, right);
  const LinearScale y(y_axis.lo, y_axis.hi, bottom, top);
  svg.add(left_value_axis(y_axis.values, y_axis.decimals, y, left, right));
  svg.add(bottom_value_axis(x_axis.values, tick_labels(x_axis.values, x_axis.decimals), x, top,
                            bottom));
  svg.add(axis_line(left, bottom, right, bottom));

  SvgElement markers = group("reference-lines");
  for (const ReferenceLine& r : data.reference_lines) {
    const double rx = x(r.x);
    SvgElement l = line(rx, top, rx, bottom, "#333333", 1.5);
    l.set("class", "marker").set("stroke-dasharray", "5 4");
    l.set("data-value", format_fixed(r.x, 6));
    l.add(tooltip(r.label.empty() ? format_label(r.x, data.x_decimals)
                                  : r.label + ": " + format_label(r.x, data.x_decimals)));
    markers.add(l);
    if (!r.label.empty()) {
      const bool flip = rx > (left + right) / 2;
      SvgElement t =
          text_at(flip ? rx - 5 : rx + 5, top + 12,
                  truncate_text(r.label, (right - left) / 2, text_font), flip ? "end" : "start");
      t.set("class", "marker-label").set("fill", "#333333");
      markers.add(t);
    }
  }
  svg.add(markers);

  SvgElement lines = group("lines");
  SvgElement dots = group("points");
  for (std::size_t s = 0; s < data.series.size(); ++s) {
    const LineSeries& series = data.series[s];
    if (series.x.empty()) continue;
    const std::string colour = categorical_colour(s);
    std::string d;
    for (std::size_t i = 0; i < series.x.size(); ++i) {
      d += (i == 0 ? "M" : " L") + point(x(series.x[i]), y(series.y[i]));
    }
    SvgElement path("path");
    path.set("class", "line").set("d", d).set("fill", "none").set("stroke", colour);
    path.set("stroke-width", 2.5).set("stroke-linejoin", "round");
    if (*dash_for(s) != '\0') path.set("stroke-dasharray", dash_for(s));
    path.set("data-series", static_cast<int>(s));
    if (!series.name.empty()) path.add(tooltip(series.name));
    lines.add(path);
    if (!data.show_markers && series.x.size() > 1) continue;
    for (std::size_t i = 0; i < series.x.size(); ++i) {
      SvgElement c("circle");
      c.set("class", "point").set("cx", x(series.x[i])).set("cy", y(series.y[i]));
      c.set("r", 3.5).set("fill", colour).set("stroke", "#ffffff").set("stroke-width", 1);
      c.set("data-series", static_cast<int>(s)).set("data-value", format_fixed(series.y[i], 6));
      std::string tip = series.name.empty() ? "" : series.name + ": ";
      tip += format_label(series.x[i], data.x_decimals) + ", " +
             format_label(series.y[i], data.y_decimals);
      c.add(tooltip(tip));
      dots.add(c);
    }
  }
  svg.add(lines);
  svg.add(dots);
  svg.add(y_axis_title(data.y_label, top, bottom));
  svg.add(x_axis_title(data.x_label, left, right, height - 14));
  return svg.str();
}

std::string heatmap(const HeatmapData& data) {
  check_frame("heatmap", data.title, data.width, data.height);
  const std::string ref = chart_ref("heatmap", data.title);
  check_heatmap_data(data, ref);
  const std::size_t rows = data.row_labels.size();
  const std::size_t cols = data.column_labels.size();
  if (rows == 0 || cols == 0) return no_data_chart("heatmap", data.title, data.width, data.height);

  Range finite;
  bool any_missing = false;
  for (const auto& row : data.values) {
    for (double v : row) {
      if (std::isnan(v)) {
        any_missing = true;
      } else {
        finite.add(v);
      }
    }
  }
  // Colour domain: the given bounds, else the data range (an unset bound never crosses a set
  // one), else [0, 1] when there is no finite value at all.
  double cmin = data.colour_min.value_or(finite.empty() ? 0.0 : finite.lo);
  double cmax = data.colour_max.value_or(finite.empty() ? 1.0 : finite.hi);
  if (!data.colour_max) cmax = std::max(cmax, cmin);
  if (!data.colour_min) cmin = std::min(cmin, cmax);
  const auto colour_of = [&](double v) {
    return sequential_colour(cmax > cmin ? (v - cmin) / (cmax - cmin) : 0.0);
  };

  const double width = data.width;
  const bool has_segments = !data.segments.empty();
  std::vector<LegendItem> segment_items;
  for (std::size_t s = 0; has_segments && s < data.segment_names.size(); ++s) {
    segment_items.push_back({data.segment_names[s], "", Mark::key, "", std::to_string(s + 1)});
  }

  // Colour legend ticks and the width they need on the right.
  const std::vector<double> legend_ticks = nice_ticks(cmin, cmax, 5);
  const int legend_decimals =
      cmax > cmin ? step_decimals(nice_step(cmax - cmin, 5)) : data.value_decimals;
  const std::vector<std::string> legend_labels = tick_labels(legend_ticks, legend_decimals);
  const double legend_title_w = std::min(text_width(data.value_label, text_font), 150.0);
  const double legend_area = std::max({14 + 6 + max_label_width(legend_labels, text_font),
                                       legend_title_w, text_width("no data", text_font) + 30}) +
                             24;

  const double top = title_h + 18;  // room for the colour legend title
  const double row_label_cap = width * 0.25;
  const double row_label_w = std::min(max_label_width(data.row_labels, text_font), row_label_cap);
  const double left = pad + axis_title_w + 8 + row_label_w + 8;
  const double right = width - pad - legend_area;
  if (right - left < cols * 2.0) {
    throw UsageError(ref + ": width " + std::to_string(data.width) + " is too small for " +
                     std::to_string(cols) + " columns");
  }
  const double cell_w = (right - left) / cols;
  const double segment_legend_h = legend_rows(segment_items, width) * legend_row_h;
  const double bottom_margin = 6 + 16 + 22 + (segment_legend_h > 0 ? segment_legend_h + 8 : 0) + 8;
  double cell_h = std::clamp(cell_w * 0.7, 16.0, 56.0);
  int height = data.height;
  if (height == 0) {
    height = static_cast<int>(std::ceil(top + rows * cell_h + bottom_margin));
  } else {
    cell_h = (height - top - bottom_margin) / rows;
    if (cell_h < 2) {
      throw UsageError(ref + ": height " + std::to_string(height) + " is too small for " +
                       std::to_string(rows) + " rows");
    }
  }
  const double bottom = top + rows * cell_h;

  SvgElement svg = chart_root(
      "heatmap", data.title,
      "Heatmap with " + std::to_string(rows) + " rows and " + std::to_string(cols) + " columns" +
          (has_segments ? ", segment boundaries drawn as thick lines." : "."),
      data.width, height);

  // Value labels only when every one of them fits its cell, so the grid reads uniformly.
  bool show_values = data.show_values && cell_h >= 16;
  for (std::size_t r = 0; show_values && r < rows; ++r) {
    for (double v : data.values[r]) {
      if (!std::isnan(v) &&
          text_width(format_label(v, data.value_decimals), text_font) > cell_w - 6) {
        show_values = false;
      }
    }
  }

  SvgElement cells = group("cells");
  SvgElement value_labels = group("value-labels");
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const double v = data.values[r][c];
      const bool missing = std::isnan(v);
      const std::string fill = missing ? missing_colour : colour_of(v);
      const double cx = left + c * cell_w;
      const double cy = top + r * cell_h;
      SvgElement cell("rect");
      cell.set("class", "cell").set("x", cx).set("y", cy).set("width", cell_w);
      cell.set("height", cell_h).set("fill", fill).set("stroke", "#ffffff").set("stroke-width", 1);
      if (missing) {
        cell.set("data-missing", "true");
      } else {
        cell.set("data-value", format_fixed(v, 6));
      }
      std::string tip = data.row_labels[r] + ", " + data.column_labels[c] + ": " +
                        (missing ? "no data" : format_label(v, data.value_decimals));
      if (!data.value_label.empty() && !missing) tip += " (" + data.value_label + ")";
      if (has_segments) tip += ", " + data.segment_names[data.segments[r][c]];
      cell.add(tooltip(tip));
      cells.add(cell);
      if (show_values && !missing) {
        SvgElement t = text_at(cx + cell_w / 2, cy + cell_h / 2 + 4,
                               format_label(v, data.value_decimals), "middle");
        t.set("class", "cell-label").set("fill", contrasting_text_colour(fill));
        value_labels.add(t);
      }
    }
  }
  svg.add(cells);
  svg.add(value_labels);

  if (has_segments) {
    // Boundary segments between neighbours of different segments, as one path, drawn twice:
    // a wide white halo under a dark line, visible on both ends of the colour scale.
    std::string d;
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        const double x1 = left + (c + 1) * cell_w;
        const double y1 = top + (r + 1) * cell_h;
        if (c + 1 < cols && data.segments[r][c] != data.segments[r][c + 1]) {
          d += (d.empty() ? "M" : " M") + point(x1, top + r * cell_h) + " L" + point(x1, y1);
        }
        if (r + 1 < rows && data.segments[r][c] != data.segments[r + 1][c]) {
          d += (d.empty() ? "M" : " M") + point(left + c * cell_w, y1) + " L" + point(x1, y1);
        }
      }
    }
    if (!d.empty()) {
      SvgElement halo("path");
      halo.set("class", "boundary-halo").set("d", d).set("fill", "none");
      halo.set("stroke", "#ffffff").set("stroke-width", 5).set("stroke-linecap", "square");
      svg.add(halo);
      SvgElement boundary("path");
      boundary.set("class", "boundary").set("d", d).set("fill", "none");
      boundary.set("stroke", "#111111").set("stroke-width", 2.5);
      boundary.set("stroke-linecap", "square");
      svg.add(boundary);
    }
    // Tag each connected region once, in its first cell, when cells have room for it.
    if (cell_w >= 28 && cell_h >= 30) {
      SvgElement tags = group("segment-tags");
      for (const auto& [r, c] : region_anchors(data.segments)) {
        const double v = data.values[r][c];
        const std::string fill = std::isnan(v) ? missing_colour : colour_of(v);
        SvgElement t = text_at(left + c * cell_w + 5, top + r * cell_h + 13,
                               std::to_string(data.segments[r][c] + 1), "start", 11);
        t.set("class", "segment-tag").set("font-weight", "700");
        t.set("fill", contrasting_text_colour(fill));
        t.add(tooltip(data.segment_names[data.segments[r][c]]));
        tags.add(t);
      }
      svg.add(tags);
    }
  }

  // Row and column labels, thinned when there are too many to fit.
  SvgElement labels = group("tick-labels");
  const std::size_t row_stride = label_stride(16, cell_h);
  for (std::size_t r = 0; r < rows; r += row_stride) {
    const std::string text = truncate_text(data.row_labels[r], row_label_cap, text_font);
    SvgElement t = text_at(left - 8, top + (r + 0.5) * cell_h + 4, text, "end");
    t.set("class", "tick-label");
    labels.add(t);
  }
  const std::size_t col_stride =
      label_stride(std::min(max_label_width(data.column_labels, text_font), 120.0) + 8, cell_w);
  for (std::size_t c = 0; c < cols; c += col_stride) {
    const std::string text =
        truncate_text(data.column_labels[c], cell_w * col_stride - 4, text_font);
    SvgElement t = text_at(left + (c + 0.5) * cell_w, bottom + 16, text, "middle");
    t.set("class", "tick-label");
    labels.add(t);
  }
  svg.add(labels);
  svg.add(y_axis_title(data.row_label, top, bottom));
  svg.add(x_axis_title(data.column_label, left, right, bottom + 16 + 22));
  if (!segment_items.empty()) {
    svg.add(legend(segment_items, width, bottom + 16 + 22 + 8));
  }

  // Colour legend: a vertical bar of 40 steps, high values at the top, with ticks.
  SvgElement colour_legend = group("colour-legend");
  const double lx = right + 24;
  SvgElement legend_title =
      text_at(lx, top - 8, truncate_text(data.value_label, legend_area - 8, text_font));
  legend_title.set("class", "legend-title");
  colour_legend.add(legend_title);
  const int steps = 40;
  const double bar_h = bottom - top;
  for (int i = 0; i < steps; ++i) {
    const double t0 = static_cast<double>(i) / steps;
    SvgElement step("rect");
    step.set("class", "legend-step").set("x", lx).set("y", bottom - (i + 1) * bar_h / steps);
    // Overlap by half a pixel so no hairline gaps show between steps.
    step.set("width", 14).set("height", bar_h / steps + 0.5);
    step.set("fill", sequential_colour(t0 + 0.5 / steps));
    colour_legend.add(step);
  }
  const LinearScale legend_y(cmin, cmax, bottom, top);
  for (std::size_t i = 0; i < legend_ticks.size(); ++i) {
    const double ty = cmax > cmin ? legend_y(legend_ticks[i]) : bottom;
    colour_legend.add(line(lx + 14, ty, lx + 18, ty, axis_colour, 1));
    SvgElement t = text_at(lx + 21, ty + 4, legend_labels[i]);
    t.set("class", "tick-label");
    colour_legend.add(t);
  }
  if (any_missing) {
    const double my = bottom + 10;
    SvgElement swatch("rect");
    swatch.set("x", lx).set("y", my).set("width", 14).set("height", 14);
    swatch.set("fill", missing_colour);
    colour_legend.add(swatch);
    colour_legend.add(text_at(lx + 20, my + 11, "no data"));
  }
  svg.add(colour_legend);
  return svg.str();
}

Bins bin_values(std::span<const double> values, int bins, BinScale scale) {
  if (bins < 1) {
    throw UsageError("histogram bins: bin count is " + std::to_string(bins) +
                     ", but must be at least 1");
  }
  Bins result;
  Range range;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw UsageError("histogram bins: value " + std::to_string(i) + " is " +
                       describe_number(values[i]) + ", but must be finite");
    }
    if (scale == BinScale::log && values[i] <= 0) {
      ++result.skipped;
    } else {
      range.add(values[i]);
    }
  }
  if (range.empty()) return result;

  if (scale == BinScale::linear) {
    double lo = range.lo;
    double hi = range.hi;
    if (lo == hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    const double step = nice_step(hi - lo, bins);
    const auto first = static_cast<long long>(std::floor(lo / step + 1e-9));
    auto last = static_cast<long long>(std::ceil(hi / step - 1e-9));
    if (last == first) ++last;
    // Edges as k * step rounded to the step's decimals, so 0.1 * 3 is stored as 0.3.
    const int decimals = step_decimals(step);
    const double unit = std::pow(10.0, decimals);
    for (long long k = first; k <= last; ++k) {
      result.edges.push_back(std::round(static_cast<double>(k) * step * unit) / unit);
    }
    result.counts.assign(result.edges.size() - 1, 0.0);
    const auto n = static_cast<long long>(result.counts.size());
    for (double v : values) {
      const auto k = static_cast<long long>(std::floor(v / step + 1e-9)) - first;
      result.counts[static_cast<std::size_t>(std::clamp(k, 0LL, n - 1))] += 1;
    }
    return result;
  }

  double log_lo = std::log10(range.lo);
  double log_hi = std::log10(range.hi);
  if (log_lo == log_hi) {
    log_lo -= std::log10(2.0);
    log_hi += std::log10(2.0);
  }
  for (int k = 0; k <= bins; ++k) {
    result.edges.push_back(std::pow(10.0, log_lo + (log_hi - log_lo) * k / bins));
  }
  // The ends exactly at the data so the smallest and largest values are inside.
  if (range.lo < range.hi) {
    result.edges.front() = range.lo;
    result.edges.back() = range.hi;
  }
  result.counts.assign(static_cast<std::size_t>(bins), 0.0);
  for (double v : values) {
    if (v <= 0) continue;
    const double position = (std::log10(v) - log_lo) / (log_hi - log_lo) * bins;
    const auto k = static_cast<int>(std::floor(position));
    result.counts[static_cast<std::size_t>(std::clamp(k, 0, bins - 1))] += 1;
  }
  return result;
}

std::string histogram(const HistogramData& data) {
  check_frame("histogram", data.title, data.width, data.height);
  const std::string ref = chart_ref("histogram", data.title);
  if (!(data.edges.empty() && data.counts.empty()) && data.edges.size() != data.counts.size() + 1) {
    throw UsageError(ref + ": " + std::to_string(data.edges.size()) + " edges for " +
                     std::to_string(data.counts.size()) +
                     " counts, but there must be one more "
                     "edge than counts");
  }
  for (std::size_t i = 0; i < data.edges.size(); ++i) {
    check_finite(data.edges[i], ref, "edge " + std::to_string(i));
    if (i > 0 && !(data.edges[i] > data.edges[i - 1])) {
      throw UsageError(ref + ": edge " + std::to_string(i) + " (" + describe_number(data.edges[i]) +
                       ") is not greater than edge " + std::to_string(i - 1) + " (" +
                       describe_number(data.edges[i - 1]) + ")");
    }
  }
  for (std::size_t i = 0; i < data.counts.size(); ++i) {
    check_finite(data.counts[i], ref, "count " + std::to_string(i));
    if (data.counts[i] < 0) {
      throw UsageError(ref + ": count " + std::to_string(i) + " is " +
                       describe_number(data.counts[i]) + ", but must not be negative");
    }
  }
  if (data.log_x && !data.edges.empty() && !(data.edges.front() > 0)) {
    throw UsageError(ref + ": first edge is " + describe_number(data.edges.front()) +
                     ", but a log x axis needs positive edges");
  }
  if (data.counts.empty()) return no_data_chart("histogram", data.title, data.width, data.height);

  const double width = data.width;
  const int height = data.height != 0 ? data.height : default_height;
  const double lo = data.edges.front();
  const double hi = data.edges.back();
  double max_count = 0;
  for (double c : data.counts) max_count = std::max(max_count, c);
  const AxisTicks y_axis = nice_axis(0.0, max_count, 5);
  std::vector<double> x_ticks;
  std::vector<std::string> x_labels;
  if (data.log_x) {
    // Log ticks are not evenly spaced: each is printed with the decimals it needs.
    x_ticks = log_ticks(lo, hi);
    for (double t : x_ticks) x_labels.push_back(format_label(t, shortest_decimals(t)));
  } else {
    x_ticks = nice_ticks(lo, hi, 6);
    x_labels = tick_labels(x_ticks, step_decimals(nice_step(hi - lo, 6)));
  }
  const std::vector<std::string> y_ticks = tick_labels(y_axis.values, y_axis.decimals);
  const double top = title_h + 10;
  const double left = pad + axis_title_w + 8 + max_label_width(y_ticks, text_font) + 6;
  const double right = width - 24;
  const double note_h = data.note.empty() ? 0 : 20;
  const double bottom = std::max(top + 60, height - (6.0 + 16 + 22 + 8 + note_h));
  SvgElement svg = chart_root("histogram", data.title,
                              "Histogram with " + std::to_string(data.counts.size()) + " bins" +
                                  (data.log_x ? " on a log scale." : "."),
                              data.width, height);
  const LinearScale y(y_axis.lo, y_axis.hi, bottom, top);
  svg.add(left_value_axis(y_axis.values, y_axis.decimals, y, left, right));

  const auto draw = [&](const auto& x) {
    svg.add(bottom_value_axis(x_ticks, x_labels, x, top, bottom));
    SvgElement bars = group("bars");
    for (std::size_t i = 0; i < data.counts.size(); ++i) {
      const double x0 = x(data.edges[i]);
      const double x1 = x(data.edges[i + 1]);
      const double c = data.counts[i];
      // A 1 px gap between bars unless they are thinner than 3 px.
      const double w = x1 - x0 > 3 ? x1 - x0 - 1 : x1 - x0;
      SvgElement r("rect");
      r.set("class", "bar").set("x", x0).set("y", y(c)).set("width", std::max(w, 0.0));
      r.set("height", bottom - y(c)).set("fill", categorical_colour(0));
      r.set("data-value", format_fixed(c, 6));
      const int d = significant_decimals(data.edges[i + 1] - data.edges[i]);
      const bool last = i + 1 == data.counts.size();
      std::string tip = "[";
      tip += format_label(data.edges[i], d) + ", " + format_label(data.edges[i + 1], d);
      tip += (last ? "]: " : "): ") + format_label(c, c == std::floor(c) ? 0 : 2);
      r.add(tooltip(tip));
      bars.add(r);
    }
    svg.add(bars);
  };
  if (data.log_x) {
    draw(LogScale(lo, hi, left, right));
  } else {
    draw(LinearScale(lo, hi, left, right));
  }
  svg.add(axis_line(left, bottom, right, bottom));
  svg.add(axis_line(left, top, left, bottom));
  svg.add(y_axis_title(data.y_label, top, bottom));
  svg.add(x_axis_title(data.x_label, left, right, bottom + 16 + 22));
  if (!data.note.empty()) {
    SvgElement note =
        text_at(left, bottom + 16 + 22 + 20, truncate_text(data.note, right - left, text_font));
    note.set("class", "note").set("fill", muted_ink);
    svg.add(note);
  }
  return svg.str();
}

std::string interval_chart(const IntervalChartData& data) {
  check_frame("interval chart", data.title, data.width, data.height);
  const std::string ref = chart_ref("interval chart", data.title);
  Range range;
  for (std::size_t i = 0; i < data.rows.size(); ++i) {
    const IntervalRow& row = data.rows[i];
    const std::string where = "row '" + row.label + "' (index " + std::to_string(i) + ")";
    check_finite(row.estimate, ref, where + " estimate");
    check_finite(row.low, ref, where + " low");
    check_finite(row.high, ref, where + " high");
    if (!(row.low <= row.estimate && row.estimate <= row.high)) {
      throw UsageError(ref + ": " + where + " has low " + describe_number(row.low) + ", estimate " +
                       describe_number(row.estimate) + ", high " + describe_number(row.high) +
                       ", but needs low <= estimate <= high");
    }
    range.add(row.low);
    range.add(row.high);
  }
  if (data.rows.empty()) {
    return no_data_chart("interval", data.title, data.width, data.height);
  }
  if (data.from_zero) range.add(0.0);

  const double width = data.width;
  const std::size_t n = data.rows.size();
  const std::string interval_colour = categorical_colour(0);
  const std::string point_colour = categorical_colour(3);
  const std::vector<LegendItem> items = {
      {data.estimate_name, point_colour, Mark::point, "", ""},
      {data.interval_name, interval_colour, Mark::interval, "", ""}};
  const double top = title_h + legend_rows(items, width) * legend_row_h + 6;
  const AxisTicks axis = nice_axis(range.lo, range.hi, 5);
  std::vector<std::string> labels;
  for (const IntervalRow& row : data.rows) labels.push_back(row.label);
  const double label_cap = width * 0.3;
  const double left =
      pad + axis_title_w + 8 + std::min(max_label_width(labels, text_font), label_cap) + 8;
  const double right =
      width - std::max(20.0, text_width(format_label(axis.hi, axis.decimals), text_font) / 2 + 8);
  const double bottom_margin = 6 + 16 + 22 + 8;
  double band = 28;
  int height = data.height;
  if (height == 0) {
    height = static_cast<int>(std::ceil(top + n * band + bottom_margin));
  } else {
    band = (height - top - bottom_margin) / n;
    if (band < 4) {
      throw UsageError(ref + ": height " + std::to_string(height) + " is too small for " +
                       std::to_string(n) + " rows");
    }
  }
  const double bottom = top + n * band;

  SvgElement svg = chart_root("interval", data.title,
                              "Interval chart with " + std::to_string(n) +
                                  " rows: point estimates with " + data.interval_name + ".",
                              data.width, height);
  svg.add(legend(items, width, title_h));
  const LinearScale x(axis.lo, axis.hi, left, right);
  svg.add(bottom_value_axis(axis.values, tick_labels(axis.values, axis.decimals), x, top, bottom));
  svg.add(axis_line(left, bottom, right, bottom));

  SvgElement marks = group("intervals");
  SvgElement row_labels = group("category-labels");
  for (std::size_t i = 0; i < n; ++i) {
    const IntervalRow& row = data.rows[i];
    const double cy = top + (i + 0.5) * band;
    const double x0 = x(row.low);
    const double x1 = x(row.high);
    const double cap = std::min(5.0, band / 4);
    const std::string tip = row.label + ": " + format_label(row.estimate, data.value_decimals) +
                            " (" + data.interval_name + " " +
                            format_label(row.low, data.value_decimals) + " to " +
                            format_label(row.high, data.value_decimals) + ")";
    SvgElement bar("path");
    bar.set("class", "interval")
        .set("d", "M" + point(x0, cy) + " L" + point(x1, cy) + " M" + point(x0, cy - cap) + " L" +
                      point(x0, cy + cap) + " M" + point(x1, cy - cap) + " L" + point(x1, cy + cap))
        .set("fill", "none")
        .set("stroke", interval_colour)
        .set("stroke-width", 2);
    bar.set("data-low", format_fixed(row.low, 6)).set("data-high", format_fixed(row.high, 6));
    bar.add(tooltip(tip));
    marks.add(bar);
    SvgElement dot("circle");
    dot.set("class", "point").set("cx", x(row.estimate)).set("cy", cy).set("r", 4.5);
    dot.set("fill", point_colour).set("stroke", "#ffffff").set("stroke-width", 1);
    dot.set("data-value", format_fixed(row.estimate, 6));
    dot.add(tooltip(tip));
    marks.add(dot);
    const std::string text = truncate_text(row.label, label_cap, text_font);
    SvgElement t = text_at(left - 8, cy + 4, text, "end");
    t.set("class", "tick-label");
    if (text != row.label) t.add(tooltip(row.label));
    row_labels.add(t);
  }
  svg.add(marks);
  svg.add(row_labels);
  svg.add(y_axis_title(data.category_label, top, bottom));
  svg.add(x_axis_title(data.value_label, left, right, bottom + 16 + 24));
  return svg.str();
}

}  // namespace clvkit::report
