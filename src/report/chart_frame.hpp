#pragma once
// Internal to src/report: what every chart in charts.hpp is drawn with. The frame (root <svg>
// with its title and accessibility attributes, the "No data" chart), the checks every chart
// makes, the legend, the axes, and the small element builders. One chart kind per .cpp file
// (bar_chart.cpp, line_chart.cpp, heatmap.cpp, histogram.cpp, interval_chart.cpp) uses these.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/report/svg.hpp"

namespace clvkit::report::detail {

// Layout constants in px. 12-13 px text is readable on a laptop at 720 px wide; the title is
// larger. Every colour below is either from the palettes in svg.hpp or a neutral grey.
inline constexpr double title_font = 16;
inline constexpr double text_font = 12;
inline constexpr double axis_title_font = 13;
inline constexpr double pad = 12;           // outer padding
inline constexpr double axis_title_w = 18;  // room for a rotated y-axis title
inline constexpr double title_h = 40;       // band taken by the chart title
inline constexpr double legend_row_h = 20;
inline constexpr int default_height = 400;
inline constexpr const char* font_stack =
    "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";
inline constexpr const char* ink = "#222222";
inline constexpr const char* muted_ink = "#555555";
inline constexpr const char* grid_colour = "#e3e3e3";
inline constexpr const char* axis_colour = "#666666";
inline constexpr const char* missing_colour = "#d4d4d4";

// ---- Checks ---------------------------------------------------------------------------------

/// "bar chart 'Revenue by segment'": prefixes every error message.
std::string chart_ref(const char* kind, const std::string& title);

/// Throws UsageError for an empty title, a width outside 320..4096 or a height neither 0 nor
/// 160..8192 (the contract in charts.hpp); returns chart_ref(kind, title) for further messages.
std::string check_frame(const char* kind, const std::string& title, int width, int height);

/// Throws UsageError "<chart>: <what> is <value>, but must be finite" for a NaN or infinity.
void check_finite(double value, const std::string& chart, const std::string& what);

/// The smallest interval holding every value added; empty until the first one.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

/// Rows (or categories) stacked down from the top of the plot, `band` px each, in a chart
/// `height` px high.
struct RowBands {
  double band = 0;
  int height = 0;
};

/// With `height` 0, rows of `natural_band` px and the chart height that holds them between
/// `top` and `bottom_margin`; otherwise the band that fills the given height. Throws UsageError
/// "<ref>: height H is too small for N <what>" when that band is below `min_band` px.
RowBands fit_rows(const std::string& ref, int height, double top, double bottom_margin,
                  std::size_t n, double natural_band, double min_band, const char* what);

// ---- Element builders -----------------------------------------------------------------------

/// "x,y" with two decimals, for path data.
std::string point(double x, double y);

/// A <text> at (x, y); text-anchor and font-size are written only when not the defaults.
SvgElement text_at(double x, double y, std::string_view content, const char* anchor = "start",
                   double size = text_font);

/// A <title> child: the tooltip browsers show on hover.
SvgElement tooltip(std::string_view content);

SvgElement line(double x1, double y1, double x2, double y2, const char* stroke, double width);

/// A <g class="cls">.
SvgElement group(const char* cls);

// ---- Frame ----------------------------------------------------------------------------------

/// The <svg> root with everything every chart has: data-chart, accessibility attributes,
/// <title>, <desc>, a white background (charts stay legible in dark-mode viewers) and the
/// visible title.
SvgElement chart_root(const char* kind, const std::string& title, const std::string& desc,
                      int width, int height);

/// A chart with only its title and a "No data" note (class="no-data"), 160 px high unless
/// `height` is set.
std::string no_data_chart(const char* kind, const std::string& title, int width, int height);

// ---- Legends --------------------------------------------------------------------------------

enum class Mark { swatch, line, point, line_point, interval, key };

struct LegendItem {
  std::string name;
  std::string colour;
  Mark mark = Mark::swatch;
  std::string dash;  // for Mark::line / line_point
  std::string key;   // for Mark::key: text drawn before the name, e.g. the segment number
};

/// Rows the legend of `items` takes when laid out by `legend` in a chart `width` px wide.
int legend_rows(const std::vector<LegendItem>& items, double width);

/// Items left to right from x = pad, wrapping within the width, the first row at `top`.
SvgElement legend(const std::vector<LegendItem>& items, double width, double top);

// ---- Axes -----------------------------------------------------------------------------------

double max_label_width(const std::vector<std::string>& labels, double font);

std::vector<std::string> tick_labels(const std::vector<double>& ticks, int decimals);

/// Rotated y-axis title centred on the plot, at the left edge of the chart.
SvgElement y_axis_title(std::string_view label, double top, double bottom);

SvgElement x_axis_title(std::string_view label, double left, double right, double y);

/// Value axis on the left: grid lines across the plot, tick labels, a line at value 0 when it
/// is inside the axis.
SvgElement left_value_axis(const std::vector<double>& ticks, int decimals, const LinearScale& y,
                           double left, double right);

/// Numeric axis along the bottom: vertical grid lines, tick marks and labels. `position` maps a
/// tick value to x (a LinearScale or LogScale).
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

SvgElement axis_line(double x1, double y1, double x2, double y2);

}  // namespace clvkit::report::detail
