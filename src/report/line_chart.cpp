#include <algorithm>
#include <utility>

#include "chart_frame.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"
#include "report_language.hpp"

namespace clvkit::report {

using namespace detail;

namespace {

// Dash patterns that tell series apart without colour (first solid).
constexpr const char* dash_patterns[] = {"", "7 4", "2 3", "9 3 2 3", "4 4"};

const char* dash_for(std::size_t s) { return dash_patterns[s % std::size(dash_patterns)]; }

// Checks every series and reference line; returns the ranges of x (reference lines included)
// and y (0 included when asked). Both are empty when there is no point.
std::pair<Range, Range> checked_ranges(const LineChartData& data, const std::string& ref) {
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
  if (xr.empty()) return {xr, yr};
  for (const ReferenceLine& r : data.reference_lines) xr.add(r.x);
  if (data.y_from_zero) yr.add(0.0);
  return {xr, yr};
}

std::vector<LegendItem> series_legend(const LineChartData& data) {
  std::vector<LegendItem> items;
  if (data.series.size() < 2) return items;
  for (std::size_t s = 0; s < data.series.size(); ++s) {
    items.push_back({data.series[s].name, categorical_colour(s),
                     data.show_markers ? Mark::line_point : Mark::line, dash_for(s), ""});
  }
  return items;
}

struct PlotArea {
  double top = 0, left = 0, right = 0, bottom = 0;
};

// Dashed vertical lines (class="marker") across the plot, each labelled on the side with room.
SvgElement reference_lines(const LineChartData& data, const PlotArea& p, const LinearScale& x) {
  SvgElement markers = group("reference-lines");
  for (const ReferenceLine& r : data.reference_lines) {
    const double rx = x(r.x);
    SvgElement l = line(rx, p.top, rx, p.bottom, "#333333", 1.5);
    l.set("class", "marker").set("stroke-dasharray", "5 4");
    l.set("data-value", format_fixed(r.x, 6));
    l.add(tooltip(r.label.empty() ? label_number(r.x, data.x_decimals)
                                  : r.label + ": " + label_number(r.x, data.x_decimals)));
    markers.add(l);
    if (!r.label.empty()) {
      const bool flip = rx > (p.left + p.right) / 2;
      SvgElement t = text_at(flip ? rx - 5 : rx + 5, p.top + 12,
                             truncate_text(r.label, (p.right - p.left) / 2, text_font),
                             flip ? "end" : "start");
      t.set("class", "marker-label").set("fill", "#333333");
      markers.add(t);
    }
  }
  return markers;
}

SvgElement series_path(const LineChartData& data, std::size_t s, const LinearScale& x,
                       const LinearScale& y) {
  const LineSeries& series = data.series[s];
  std::string d;
  for (std::size_t i = 0; i < series.x.size(); ++i) {
    d += (i == 0 ? "M" : " L") + point(x(series.x[i]), y(series.y[i]));
  }
  SvgElement path("path");
  path.set("class", "line").set("d", d).set("fill", "none").set("stroke", categorical_colour(s));
  path.set("stroke-width", 2.5).set("stroke-linejoin", "round");
  if (*dash_for(s) != '\0') path.set("stroke-dasharray", dash_for(s));
  path.set("data-series", static_cast<int>(s));
  if (!series.name.empty()) path.add(tooltip(series.name));
  return path;
}

void add_series_points(SvgElement& dots, const LineChartData& data, std::size_t s,
                       const LinearScale& x, const LinearScale& y) {
  const LineSeries& series = data.series[s];
  for (std::size_t i = 0; i < series.x.size(); ++i) {
    SvgElement c("circle");
    c.set("class", "point").set("cx", x(series.x[i])).set("cy", y(series.y[i]));
    c.set("r", 3.5).set("fill", categorical_colour(s)).set("stroke", "#ffffff");
    c.set("stroke-width", 1);
    c.set("data-series", static_cast<int>(s)).set("data-value", format_fixed(series.y[i], 6));
    std::string tip = series.name.empty() ? "" : series.name + ": ";
    tip += label_number(series.x[i], data.x_decimals) + ", " +
           label_number(series.y[i], data.y_decimals);
    c.add(tooltip(tip));
    dots.add(c);
  }
}

// One path per non-empty series, then the markers (when asked, or for a single point).
void add_lines(SvgElement& svg, const LineChartData& data, const LinearScale& x,
               const LinearScale& y) {
  SvgElement lines = group("lines");
  SvgElement dots = group("points");
  for (std::size_t s = 0; s < data.series.size(); ++s) {
    const LineSeries& series = data.series[s];
    if (series.x.empty()) continue;
    lines.add(series_path(data, s, x, y));
    if (!data.show_markers && series.x.size() > 1) continue;
    add_series_points(dots, data, s, x, y);
  }
  svg.add(lines);
  svg.add(dots);
}

}  // namespace

std::string line_chart(const LineChartData& data) {
  const std::string ref = check_frame("line chart", data.title, data.width, data.height);
  const auto [xr, yr] = checked_ranges(data, ref);
  if (xr.empty()) return no_data_chart("line", data.title, data.width, data.height);

  const double width = data.width;
  const int height = data.height != 0 ? data.height : default_height;
  const std::vector<LegendItem> items = series_legend(data);
  const AxisTicks x_axis = nice_axis(xr.lo, xr.hi, 6);
  const AxisTicks y_axis = nice_axis(yr.lo, yr.hi, 5);
  const std::vector<std::string> y_ticks = tick_labels(y_axis.values, y_axis.decimals);
  PlotArea p;
  p.top = title_h + legend_rows(items, width) * legend_row_h + 10;
  p.left = pad + axis_title_w + 8 + max_label_width(y_ticks, text_font) + 6;
  p.right = width -
            std::max(16.0, text_width(label_number(x_axis.hi, x_axis.decimals), text_font) / 2 + 8);
  p.bottom = std::max(p.top + 60, height - (6.0 + 16 + 22 + 8));

  std::size_t points = 0;
  for (const LineSeries& s : data.series) points += s.x.size();
  SvgElement svg = chart_root(
      "line", data.title,
      trf("chart.line.description",
          {{"series", std::to_string(data.series.size())}, {"points", std::to_string(points)}}),
      data.width, height);
  if (!items.empty()) svg.add(legend(items, width, title_h));
  const LinearScale x(x_axis.lo, x_axis.hi, p.left, p.right);
  const LinearScale y(y_axis.lo, y_axis.hi, p.bottom, p.top);
  svg.add(left_value_axis(y_axis.values, y_axis.decimals, y, p.left, p.right));
  svg.add(bottom_value_axis(x_axis.values, tick_labels(x_axis.values, x_axis.decimals), x, p.top,
                            p.bottom));
  svg.add(axis_line(p.left, p.bottom, p.right, p.bottom));
  svg.add(reference_lines(data, p, x));
  add_lines(svg, data, x, y);
  svg.add(y_axis_title(data.y_label, p.top, p.bottom));
  svg.add(x_axis_title(data.x_label, p.left, p.right, height - 14));
  return svg.str();
}

}  // namespace clvkit::report
