#include <algorithm>

#include "chart_frame.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"

namespace clvkit::report {

using namespace detail;

namespace {

// Dash patterns that tell series apart without colour (first solid).
constexpr const char* dash_patterns[] = {"", "7 4", "2 3", "9 3 2 3", "4 4"};

const char* dash_for(std::size_t s) { return dash_patterns[s % std::size(dash_patterns)]; }

}  // namespace

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

}  // namespace clvkit::report
