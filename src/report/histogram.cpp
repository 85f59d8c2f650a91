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

// Decimals that show a number of about this magnitude with three significant digits.
int significant_decimals(double magnitude) {
  if (!(magnitude > 0)) return 2;
  return std::clamp(2 - static_cast<int>(std::floor(std::log10(magnitude))), 0, 6);
}

void check_histogram_data(const HistogramData& data, const std::string& ref) {
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
}

struct XTicks {
  std::vector<double> values;
  std::vector<std::string> labels;
};

XTicks x_ticks(const HistogramData& data) {
  const double lo = data.edges.front();
  const double hi = data.edges.back();
  XTicks ticks;
  if (data.log_x) {
    // Log ticks are not evenly spaced: each is printed with the decimals it needs.
    ticks.values = log_ticks(lo, hi);
    for (double t : ticks.values) ticks.labels.push_back(label_number(t, shortest_decimals(t)));
  } else {
    ticks.values = nice_ticks(lo, hi, 6);
    ticks.labels = tick_labels(ticks.values, step_decimals(nice_step(hi - lo, 6)));
  }
  return ticks;
}

// "[lo, hi): count", the last bin closed.
std::string bin_tooltip(const HistogramData& data, std::size_t i) {
  const double c = data.counts[i];
  const int d = significant_decimals(data.edges[i + 1] - data.edges[i]);
  const bool last = i + 1 == data.counts.size();
  std::string tip = "[";
  tip += label_number(data.edges[i], d) + ", " + label_number(data.edges[i + 1], d);
  tip += (last ? "]: " : "): ") + label_number(c, c == std::floor(c) ? 0 : 2);
  return tip;
}

// The x axis and the bars (class="bar"), from edges[i] to edges[i + 1]; `x` is a LinearScale
// or a LogScale.
template <class Scale>
void add_x_axis_and_bars(SvgElement& svg, const HistogramData& data, const XTicks& ticks,
                         const Scale& x, const LinearScale& y, double top, double bottom) {
  svg.add(bottom_value_axis(ticks.values, ticks.labels, x, top, bottom));
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
    r.add(tooltip(bin_tooltip(data, i)));
    bars.add(r);
  }
  svg.add(bars);
}

}  // namespace

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
  const std::string ref = check_frame("histogram", data.title, data.width, data.height);
  check_histogram_data(data, ref);
  if (data.counts.empty()) return no_data_chart("histogram", data.title, data.width, data.height);

  const double width = data.width;
  const int height = data.height != 0 ? data.height : default_height;
  const double lo = data.edges.front();
  const double hi = data.edges.back();
  double max_count = 0;
  for (double c : data.counts) max_count = std::max(max_count, c);
  const AxisTicks y_axis = nice_axis(0.0, max_count, 5);
  const XTicks ticks = x_ticks(data);
  const std::vector<std::string> y_ticks = tick_labels(y_axis.values, y_axis.decimals);
  const double top = title_h + 10;
  const double left = pad + axis_title_w + 8 + max_label_width(y_ticks, text_font) + 6;
  const double right = width - 24;
  const double note_h = data.note.empty() ? 0 : 20;
  const double bottom = std::max(top + 60, height - (6.0 + 16 + 22 + 8 + note_h));
  SvgElement svg =
      chart_root("histogram", data.title,
                 trf(data.log_x ? "chart.histogram.log_description" : "chart.histogram.description",
                     {{"bins", std::to_string(data.counts.size())}}),
                 data.width, height);
  const LinearScale y(y_axis.lo, y_axis.hi, bottom, top);
  svg.add(left_value_axis(y_axis.values, y_axis.decimals, y, left, right));
  if (data.log_x) {
    add_x_axis_and_bars(svg, data, ticks, LogScale(lo, hi, left, right), y, top, bottom);
  } else {
    add_x_axis_and_bars(svg, data, ticks, LinearScale(lo, hi, left, right), y, top, bottom);
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

}  // namespace clvkit::report
