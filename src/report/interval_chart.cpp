#include <algorithm>
#include <cmath>

#include "chart_frame.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"
#include "clvkit/util/format.hpp"
#include "report_language.hpp"

namespace clvkit::report {

using namespace detail;

namespace {

// A horizontal line from x0 to x1 at y, with a vertical cap reaching `cap` above and below y at
// each end.
std::string error_bar_path(double x0, double x1, double y, double cap) {
  std::string d = "M";
  d.append(point(x0, y)).append(" L").append(point(x1, y));
  d.append(" M").append(point(x0, y - cap)).append(" L").append(point(x0, y + cap));
  d.append(" M").append(point(x1, y - cap)).append(" L").append(point(x1, y + cap));
  return d;
}

// Checks every row and returns the range the value axis must cover.
Range checked_range(const IntervalChartData& data, const std::string& ref) {
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
  if (data.from_zero) range.add(0.0);
  return range;
}

// Rows of 28 px (or as many px as the height allows) down from under the legend, their labels
// on the left, the value axis along the bottom.
struct IntervalLayout {
  double top = 0, left = 0, right = 0, bottom = 0;
  double band = 0;
  double label_cap = 0;
  int height = 0;
};

IntervalLayout interval_layout(const IntervalChartData& data, const std::string& ref,
                               const AxisTicks& axis, double legend_h) {
  IntervalLayout l;
  const double width = data.width;
  const std::size_t n = data.rows.size();
  l.top = title_h + legend_h + 6;
  std::vector<std::string> labels;
  for (const IntervalRow& row : data.rows) labels.push_back(row.label);
  l.label_cap = width * 0.3;
  l.left = pad + axis_title_w + 8 + std::min(max_label_width(labels, text_font), l.label_cap) + 8;
  l.right =
      width - std::max(20.0, text_width(label_number(axis.hi, axis.decimals), text_font) / 2 + 8);
  const double bottom_margin = 6 + 16 + 22 + 8;
  const RowBands bands = fit_rows(ref, data.height, l.top, bottom_margin, n, 28, 4, "rows");
  l.band = bands.band;
  l.height = bands.height;
  l.bottom = l.top + n * l.band;
  return l;
}

std::string interval_colour() { return categorical_colour(0); }
std::string point_colour() { return categorical_colour(3); }

// Row i: its error bar (class="interval") and its point (class="point"), both with a tooltip.
void add_interval_marks(SvgElement& marks, const IntervalChartData& data, const IntervalLayout& l,
                        const LinearScale& x, std::size_t i) {
  const IntervalRow& row = data.rows[i];
  const double cy = l.top + (i + 0.5) * l.band;
  const double cap = std::min(5.0, l.band / 4);
  const std::string tip =
      row.label + ": " + label_number(row.estimate, data.value_decimals) + " (" +
      trf("chart.interval.tooltip_range", {{"interval", data.interval_name},
                                           {"low", label_number(row.low, data.value_decimals)},
                                           {"high", label_number(row.high, data.value_decimals)}}) +
      ")";
  SvgElement bar("path");
  bar.set("class", "interval")
      .set("d", error_bar_path(x(row.low), x(row.high), cy, cap))
      .set("fill", "none")
      .set("stroke", interval_colour())
      .set("stroke-width", 2);
  bar.set("data-low", format_fixed(row.low, 6)).set("data-high", format_fixed(row.high, 6));
  bar.add(tooltip(tip));
  marks.add(bar);
  SvgElement dot("circle");
  dot.set("class", "point").set("cx", x(row.estimate)).set("cy", cy).set("r", 4.5);
  dot.set("fill", point_colour()).set("stroke", "#ffffff").set("stroke-width", 1);
  dot.set("data-value", format_fixed(row.estimate, 6));
  dot.add(tooltip(tip));
  marks.add(dot);
}

SvgElement row_labels(const IntervalChartData& data, const IntervalLayout& l) {
  SvgElement labels = group("category-labels");
  for (std::size_t i = 0; i < data.rows.size(); ++i) {
    const IntervalRow& row = data.rows[i];
    const std::string text = truncate_text(row.label, l.label_cap, text_font);
    SvgElement t = text_at(l.left - 8, l.top + (i + 0.5) * l.band + 4, text, "end");
    t.set("class", "tick-label");
    if (text != row.label) t.add(tooltip(row.label));
    labels.add(t);
  }
  return labels;
}

}  // namespace

std::string interval_chart(const IntervalChartData& data) {
  const std::string ref = check_frame("interval chart", data.title, data.width, data.height);
  const Range range = checked_range(data, ref);
  if (data.rows.empty()) {
    return no_data_chart("interval", data.title, data.width, data.height);
  }
  const std::vector<LegendItem> items = {
      {data.estimate_name, point_colour(), Mark::point, "", ""},
      {data.interval_name, interval_colour(), Mark::interval, "", ""}};
  const AxisTicks axis = nice_axis(range.lo, range.hi, 5);
  const IntervalLayout l =
      interval_layout(data, ref, axis, legend_rows(items, data.width) * legend_row_h);
  SvgElement svg = chart_root(
      "interval", data.title,
      trf("chart.interval.description",
          {{"rows", std::to_string(data.rows.size())}, {"interval", data.interval_name}}),
      data.width, l.height);
  svg.add(legend(items, data.width, title_h));
  const LinearScale x(axis.lo, axis.hi, l.left, l.right);
  svg.add(
      bottom_value_axis(axis.values, tick_labels(axis.values, axis.decimals), x, l.top, l.bottom));
  svg.add(axis_line(l.left, l.bottom, l.right, l.bottom));
  SvgElement marks = group("intervals");
  for (std::size_t i = 0; i < data.rows.size(); ++i) add_interval_marks(marks, data, l, x, i);
  svg.add(marks);
  svg.add(row_labels(data, l));
  svg.add(y_axis_title(data.category_label, l.top, l.bottom));
  svg.add(x_axis_title(data.value_label, l.left, l.right, l.bottom + 16 + 24));
  return svg.str();
}

}  // namespace clvkit::report
