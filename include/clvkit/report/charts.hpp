#pragma once
// Charts for the self-contained HTML report. Each chart is a pure function from a plain data
// struct to one <svg> element as a string, meant to be inlined in an HTML5 page:
//
//   - deterministic: the same data gives the same bytes (fixed-decimal numbers, no ids, no
//     clocks, no hashing);
//   - self-contained: no URLs, scripts, web fonts or CSS; presentation attributes only, a
//     system sans-serif font stack, and no xmlns (HTML puts <svg> in the SVG namespace; write
//     xmlns="http://www.w3.org/2000/svg" yourself when saving a chart as a .svg file);
//   - accessible: role="img", aria-label and a <title> child with the chart title, a <desc>
//     summarising the content, a <title> tooltip on every mark, colour-blind-safe colours
//     (Okabe-Ito for series, viridis for heatmaps) and dash patterns that tell lines apart
//     without colour;
//   - testable: the root carries data-chart="bar" | "line" | "heatmap" | "histogram" |
//     "interval"; marks carry class="bar" | "line" | "point" | "cell" | "interval" |
//     "marker", plus data-value (and data-series where there are several series).
//
// Text (titles, axis labels with their units, category and series names) may hold any UTF-8,
// including & < > " '; it is escaped, and labels too long for their space are shortened with
// "…" (the full text stays in the tooltip).
//
// Non-finite numbers: every chart throws UsageError naming the chart, the series or category
// and the index of the first NaN or infinity, because a silently dropped value would misstate
// the data. The one exception is heatmap, where NaN marks a cell without a value (e.g. an
// impossible frequency/recency pair); such cells are drawn grey and the legend says "no data".
// Empty input (no categories, no series, no points, no bins, no rows) is not an error: the
// chart is a valid <svg> with its title and a "No data" note (class="no-data").
//
// Sizes are CSS px; width must be 320..4096, height 0 (automatic) or 160..8192, else
// UsageError. The title must be non-empty (it is the accessible name), else UsageError.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace clvkit::report {

/// One named series of a bar chart: values[i] belongs to categories[i].
struct BarSeries {
  std::string name;
  std::vector<double> values;
};

enum class Orientation {
  vertical,    ///< categories along x, bars grow upwards
  horizontal,  ///< categories down y (first at the top), bars grow to the right
};

struct BarChartData {
  std::string title;
  std::string category_label;  ///< axis naming the categories, e.g. "Segment"
  std::string value_label;     ///< value axis with its unit, e.g. "Revenue share (%)"
  std::vector<std::string> categories;
  std::vector<BarSeries> series;  ///< one, or several drawn side by side with a legend
  Orientation orientation = Orientation::vertical;
  bool show_values = false;  ///< print each value at the end of its bar
  int value_decimals = 0;    ///< decimals of printed values and tooltips
  int width = 720;
  int height = 0;  ///< 0: 400 when vertical, from the number of categories when horizontal
};

/// Bars per category and series, value axis from min(0, min) to max(0, max) with nice ticks.
/// Long category names on a vertical chart are rotated. Throws UsageError for a non-finite
/// value or a series whose size differs from the number of categories.
std::string bar_chart(const BarChartData& data);

/// One line: points (x[i], y[i]) joined in the given order.
struct LineSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
};

/// A vertical line across the plot at `x`, e.g. the end of the calibration period.
struct ReferenceLine {
  double x = 0.0;
  std::string label;
};

struct LineChartData {
  std::string title;
  std::string x_label;  ///< with unit, e.g. "Week since start"
  std::string y_label;  ///< with unit, e.g. "Cumulative repeat purchases"
  std::vector<LineSeries> series;
  std::vector<ReferenceLine> reference_lines;
  bool show_markers = false;  ///< a circle (class="point") at every point
  bool y_from_zero = true;    ///< include 0 in the y axis
  int x_decimals = 0;         ///< decimals of x in tooltips
  int y_decimals = 2;         ///< decimals of y in tooltips
  int width = 720;
  int height = 0;  ///< 0: 400
};

/// Lines (class="line", one <path> per non-empty series; dash pattern and colour per series),
/// markers when asked (a series with a single point always gets one), a legend when there
/// is more than one series. The x axis covers the data and the reference lines. Throws
/// UsageError for a non-finite x, y or reference x, or x and y of different sizes.
std::string line_chart(const LineChartData& data);

struct HeatmapData {
  std::string title;
  std::string column_label;  ///< x axis, e.g. "Frequency score (F)"
  std::string row_label;     ///< y axis, e.g. "Recency score (R)"
  std::string value_label;   ///< colour legend title with unit, e.g. "Customers"
  std::vector<std::string> column_labels;
  std::vector<std::string> row_labels;      ///< row 0 is drawn at the top
  std::vector<std::vector<double>> values;  ///< [row][column]; NaN: no value (grey cell)
  /// Colour domain; by default the range of the finite values (e.g. set 0 and 1 for P(alive)).
  /// Values outside are drawn in the end colour.
  std::optional<double> colour_min;
  std::optional<double> colour_max;
  bool show_values = true;  ///< print values in cells, when every label fits its cell
  int value_decimals = 0;
  /// Optional [row][column] segment index into segment_names, same shape as values. Thick
  /// lines (class="boundary") are drawn between neighbouring cells of different segments;
  /// each connected region is tagged with its segment's number, listed in a legend below.
  std::vector<std::vector<int>> segments;
  std::vector<std::string> segment_names;
  int width = 720;
  int height = 0;  ///< 0: from the number of rows
};

/// Grid of cells (class="cell", rows x columns of them, missing ones included) coloured by a
/// viridis scale, value labels in black or white, whichever contrasts more with the cell, and
/// a colour legend with ticks. Throws UsageError when the shape of values (or segments)
/// differs from the labels, for an infinite value, a non-finite colour bound, colour_min >
/// colour_max, or a segment index outside segment_names.
std::string heatmap(const HeatmapData& data);

struct HistogramData {
  std::string title;
  std::string x_label;         ///< with unit, e.g. "CLV (EUR)"
  std::string y_label;         ///< e.g. "Customers"
  std::vector<double> edges;   ///< counts.size() + 1 strictly increasing bin edges
  std::vector<double> counts;  ///< per bin, >= 0
  bool log_x = false;          ///< log-scaled x axis; edges must then be positive
  std::string note;            ///< shown under the chart when not empty (class="note")
  int width = 720;
  int height = 0;  ///< 0: 400
};

/// Adjacent bars (class="bar") from edges[i] to edges[i + 1]. Throws UsageError for non-finite
/// or non-increasing edges, a negative or non-finite count, a size mismatch, or a
/// non-positive edge with log_x.
std::string histogram(const HistogramData& data);

enum class BinScale {
  linear,  ///< equal-width bins with round edges
  log,     ///< equal width in log10(value), for skewed positive values such as CLV
};

/// Binned values, ready for HistogramData::edges and counts.
struct Bins {
  std::vector<double> edges;
  std::vector<double> counts;
  std::size_t skipped = 0;  ///< values <= 0 left out of log bins (say so in the note)
};

/// Bins `values` into about `bins` bins. Linear: the width is a 1-2-5 step near
/// range / bins and the edges are multiples of it, so the count may differ slightly from
/// `bins`. Log: exactly `bins` bins between the smallest and largest positive value; values
/// <= 0 are counted in `skipped`. Each bin holds lo <= v < hi, the last one also its upper
/// edge. Equal values get one bin around them; no values (or none positive) give empty Bins.
/// Throws UsageError for a non-finite value (naming its index) or bins < 1.
Bins bin_values(std::span<const double> values, int bins, BinScale scale = BinScale::linear);

/// One category of an interval chart: a point estimate with its interval, low <= estimate <=
/// high.
struct IntervalRow {
  std::string label;
  double estimate = 0.0;
  double low = 0.0;
  double high = 0.0;
};

struct IntervalChartData {
  std::string title;
  std::string category_label;                  ///< e.g. "Segment"
  std::string value_label;                     ///< with unit, e.g. "Purchases in the next 52 weeks"
  std::vector<IntervalRow> rows;               ///< first row at the top
  std::string estimate_name = "Estimate";      ///< legend entry for the points
  std::string interval_name = "90% interval";  ///< legend entry for the error bars
  bool from_zero = true;                       ///< include 0 in the value axis
  int value_decimals = 1;
  int width = 720;
  int height = 0;  ///< 0: from the number of rows
};

/// Horizontal error bars (class="interval") with a point (class="point") at each estimate and
/// a legend naming both. Throws UsageError for a non-finite number or low <= estimate <= high
/// not holding, naming the row.
std::string interval_chart(const IntervalChartData& data);

/// Flows from one set of groups to another, e.g. customers from their segment at one snapshot
/// to their segment at the next (an alluvial or Sankey diagram).
struct FlowDiagramData {
  std::string title;
  std::string left_label;   ///< heading over the left column, e.g. "1998-03-31"
  std::string right_label;  ///< over the right column
  std::vector<std::string> left_nodes;
  std::vector<std::string> right_nodes;
  std::vector<std::vector<double>> flows;  ///< [left][right], >= 0
  std::string unit = "customers";          ///< what a flow counts, for tooltips
  int width = 720;
  int height = 0;  ///< 0: 460
};

/// Two columns of nodes (class="node"), each as tall as what flows out of it (left) or into it
/// (right), in the given order with gaps, nodes without flow left out; each non-zero flow is a
/// band (class="flow", data-value) from its left node to its right node, as wide as its size,
/// coloured as its left node. Bands leave a left node in the order of the right nodes and enter
/// a right node in the order of the left ones, so they cross as little as that order allows.
/// Throws UsageError for a negative or non-finite flow or a shape that differs from the nodes.
std::string flow_diagram(const FlowDiagramData& data);

}  // namespace clvkit::report
