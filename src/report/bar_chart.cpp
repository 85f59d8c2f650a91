#include <algorithm>
#include <cmath>
#include <numbers>

#include "chart_frame.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"
#include "report_language.hpp"

namespace clvkit::report {

using namespace detail;

namespace {

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
  return text + ": " + label_number(data.series[s].values[i], data.value_decimals);
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

// The plot area of a bar chart and how its two axes lie on it: categories along x and values
// up y (vertical), or categories down y and values along x (horizontal). The layout is worked
// out per orientation; the bars, their values and the labels are then drawn once, in category
// and value coordinates, and mapped onto x and y here.
struct BarFrame {
  Orientation orientation = Orientation::vertical;
  int height = 0;
  double top = 0, bottom = 0, left = 0, right = 0;
  double band = 0;             // px per category along the category axis
  double label_cap = 0;        // longest category label shown, px
  bool rotate_labels = false;  // vertical only: labels wider than their band

  bool vertical() const { return orientation == Orientation::vertical; }
  // Where the first category's band begins: the plot's left edge, or its top.
  double category_start() const { return vertical() ? left : top; }
  // Values upwards from the bottom, or rightwards from the left edge.
  LinearScale value_scale(const AxisTicks& axis) const {
    return vertical() ? LinearScale(axis.lo, axis.hi, bottom, top)
                      : LinearScale(axis.lo, axis.hi, left, right);
  }
};

// Categories along x: the value axis's tick labels set the left margin, each category gets an
// equal share of the width, and labels too wide for it are rotated, which deepens the bottom.
BarFrame vertical_frame(const BarChartData& data, const AxisTicks& axis, double legend_h) {
  BarFrame f;
  f.orientation = Orientation::vertical;
  const double width = data.width;
  const std::size_t n = data.categories.size();
  f.top = title_h + legend_h + (data.show_values ? 14 : 6);
  const std::vector<std::string> ticks = tick_labels(axis.values, axis.decimals);
  f.left = pad + axis_title_w + 8 + max_label_width(ticks, text_font) + 6;
  f.right = width - 16;
  f.band = (f.right - f.left) / n;
  const double label_w = max_label_width(data.categories, text_font);
  // Labels wider than their band are rotated by 40 degrees and capped in length.
  f.rotate_labels = label_w > f.band - 6;
  const double angle = 40 * std::numbers::pi / 180;
  f.label_cap = f.rotate_labels ? std::min(160.0, width * 0.25) : f.band - 4;
  const double label_h =
      f.rotate_labels ? std::min(label_w, f.label_cap) * std::sin(angle) + text_font + 6 : 18;
  const double bottom_margin = 6 + label_h + 22 + 8;
  f.height = data.height != 0 ? data.height : default_height;
  f.height = std::max(f.height, static_cast<int>(std::ceil(f.top + bottom_margin + 120)));
  f.bottom = f.height - bottom_margin;
  return f;
}

// The widest printed value, or 0 when values are not printed.
double widest_value_label(const BarChartData& data) {
  double value_w = 0;
  if (!data.show_values) return value_w;
  for (const BarSeries& s : data.series) {
    for (double v : s.values) {
      value_w = std::max(value_w, text_width(label_number(v, data.value_decimals), text_font));
    }
  }
  return value_w;
}

// Categories down y: the category labels set the left margin, printed values and the last tick
// label the right one, and the height follows from the number of categories unless it is set.
BarFrame horizontal_frame(const BarChartData& data, const AxisTicks& axis, double legend_h) {
  BarFrame f;
  f.orientation = Orientation::horizontal;
  const double width = data.width;
  const std::size_t n = data.categories.size();
  const std::size_t series_n = data.series.size();
  f.top = title_h + legend_h + 6;
  f.label_cap = width * 0.3;
  const double label_w = std::min(max_label_width(data.categories, text_font), f.label_cap);
  f.left = pad + axis_title_w + 8 + label_w + 8;
  const double value_w = widest_value_label(data);
  const double last_tick_w = text_width(label_number(axis.hi, axis.decimals), text_font);
  f.right = width - std::max({16.0, last_tick_w / 2 + 8, value_w + 10});
  const double bottom_margin = 6 + 16 + 22 + 8;
  const RowBands bands =
      fit_rows(chart_ref("bar chart", data.title), data.height, f.top, bottom_margin, n,
               std::max(24.0, series_n * 14.0 + 10), 4, "categories");
  f.band = bands.band;
  f.height = bands.height;
  f.bottom = f.top + n * f.band;
  return f;
}

// Grid lines and tick labels of the value axis: on the left (vertical) or along the bottom.
SvgElement value_axis_ticks(const BarFrame& f, const AxisTicks& axis, const LinearScale& value) {
  if (f.vertical()) return left_value_axis(axis.values, axis.decimals, value, f.left, f.right);
  return bottom_value_axis(axis.values, tick_labels(axis.values, axis.decimals), value, f.top,
                           f.bottom);
}

// The line the value axis is drawn along: the plot's left edge, or its bottom.
SvgElement value_axis_line(const BarFrame& f) {
  return f.vertical() ? axis_line(f.left, f.top, f.left, f.bottom)
                      : axis_line(f.left, f.bottom, f.right, f.bottom);
}

// The bar of series s in category i: across the category axis from `start`, `thickness` px
// thick; along the value axis from `zero` to `end`.
SvgElement bar_mark(const BarChartData& data, const BarFrame& f, std::size_t s, std::size_t i,
                    double start, double thickness, double zero, double end) {
  const double low = std::min(end, zero);
  const double length = std::abs(end - zero);
  return f.vertical() ? bar_rect(data, s, i, start, low, thickness, length)
                      : bar_rect(data, s, i, low, start, length, thickness);
}

// The value `v` printed just beyond the end of its bar: above or below it (vertical), right or
// left of it (horizontal), whichever way the bar grows.
SvgElement bar_value_label(const BarChartData& data, const BarFrame& f, double v, double start,
                           double thickness, double end) {
  const std::string label = label_number(v, data.value_decimals);
  const double mid = start + thickness / 2;
  SvgElement t =
      f.vertical() ? text_at(mid, v >= 0 ? end - 4 : end + 14, label, "middle",
                             data.series.size() > 2 ? 10 : text_font)
                   : text_at(v >= 0 ? end + 4 : end - 4, mid + 4, label, v >= 0 ? "start" : "end");
  t.set("class", "value-label");
  return t;
}

// Bars (class="bar") of every series side by side within each category's band, then their
// values when asked.
void add_bars(SvgElement& svg, const BarChartData& data, const BarFrame& f,
              const LinearScale& value) {
  const std::size_t n = data.categories.size();
  const std::size_t series_n = data.series.size();
  SvgElement bars = group("bars");
  SvgElement values = group("value-labels");
  const double zero = value(0.0);
  const double group_w = f.band * 0.8;
  const double bar_w = group_w / series_n;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t s = 0; s < series_n; ++s) {
      const double v = data.series[s].values[i];
      const double start = f.category_start() + i * f.band + f.band * 0.1 + s * bar_w;
      const double end = value(v);
      const double thickness = series_n > 1 ? bar_w - 1 : bar_w;
      bars.add(bar_mark(data, f, s, i, start, thickness, zero, end));
      if (data.show_values) values.add(bar_value_label(data, f, v, start, thickness, end));
    }
  }
  svg.add(bars);
  if (data.show_values) svg.add(values);
}

// A category's name under its band (turned by 40 degrees when too wide) or left of it.
SvgElement category_label(const BarFrame& f, std::size_t i, const std::string& text) {
  const double centre = f.category_start() + (i + 0.5) * f.band;
  if (!f.vertical()) return text_at(f.left - 8, centre + 4, text, "end");
  if (!f.rotate_labels) return text_at(centre, f.bottom + 16, text, "middle");
  SvgElement t = text_at(centre, f.bottom + 14, text, "end");
  t.set("transform",
        "rotate(-40 " + format_fixed(centre, 2) + " " + format_fixed(f.bottom + 14, 2) + ")");
  return t;
}

SvgElement category_labels(const BarChartData& data, const BarFrame& f) {
  SvgElement labels = group("category-labels");
  for (std::size_t i = 0; i < data.categories.size(); ++i) {
    const std::string text = truncate_text(data.categories[i], f.label_cap, text_font);
    SvgElement t = category_label(f, i, text);
    t.set("class", "tick-label");
    if (text != data.categories[i]) t.add(tooltip(data.categories[i]));
    labels.add(t);
  }
  return labels;
}

// The y-axis title names the values (vertical) or the categories; the x-axis title the other.
void add_axis_titles(SvgElement& svg, const BarChartData& data, const BarFrame& f) {
  const bool vertical = f.vertical();
  svg.add(y_axis_title(vertical ? data.value_label : data.category_label, f.top, f.bottom));
  svg.add(x_axis_title(vertical ? data.category_label : data.value_label, f.left, f.right,
                       vertical ? f.height - 14 : f.bottom + 16 + 24));
}

// Value axis from min(0, min) to max(0, max).
AxisTicks bar_value_axis(const BarChartData& data) {
  Range range;
  range.add(0.0);
  for (const BarSeries& s : data.series) {
    for (double v : s.values) range.add(v);
  }
  return nice_axis(range.lo, range.hi, 5);
}

}  // namespace

std::string bar_chart(const BarChartData& data) {
  const std::string ref = check_frame("bar chart", data.title, data.width, data.height);
  check_bar_data(data, ref);
  if (data.categories.empty() || data.series.empty()) {
    return no_data_chart("bar", data.title, data.width, data.height);
  }
  const AxisTicks axis = bar_value_axis(data);
  const std::vector<LegendItem> items = series_legend(data);
  const double legend_h = legend_rows(items, data.width) * legend_row_h;
  const BarFrame frame = data.orientation == Orientation::vertical
                             ? vertical_frame(data, axis, legend_h)
                             : horizontal_frame(data, axis, legend_h);
  SvgElement svg = chart_root(
      "bar", data.title,
      trf(frame.vertical() ? "chart.bar.vertical_description" : "chart.bar.horizontal_description",
          {{"categories", std::to_string(data.categories.size())},
           {"series", std::to_string(data.series.size())}}),
      data.width, frame.height);
  if (!items.empty()) svg.add(legend(items, data.width, title_h));
  const LinearScale value = frame.value_scale(axis);
  svg.add(value_axis_ticks(frame, axis, value));
  add_bars(svg, data, frame, value);
  svg.add(value_axis_line(frame));
  svg.add(category_labels(data, frame));
  add_axis_titles(svg, data, frame);
  return svg.str();
}

}  // namespace clvkit::report
