#include <algorithm>
#include <cmath>

#include "chart_frame.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"
#include "clvkit/util/format.hpp"

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

}  // namespace

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
        .set("d", error_bar_path(x0, x1, cy, cap))
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
