#include <algorithm>
#include <cmath>
#include <numbers>

#include "chart_frame.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"

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

}  // namespace clvkit::report
