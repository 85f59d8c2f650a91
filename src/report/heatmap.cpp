#include <algorithm>
#include <cmath>
#include <utility>

#include "chart_frame.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"
#include "clvkit/util/format.hpp"
#include "report_language.hpp"

namespace clvkit::report {

using namespace detail;

namespace {

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
        // Named, not a structured binding: the lambda captures them (clang 14).
        const std::size_t cr = stack.back().first;
        const std::size_t cc = stack.back().second;
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

// The colour scale of the cells: the given bounds, else the data range (an unset bound never
// crosses a set one), else [0, 1] when there is no finite value at all.
struct ColourScale {
  double lo = 0.0;
  double hi = 1.0;
  bool any_missing = false;  // some cell has no value (NaN)

  std::string colour_of(double v) const {
    return sequential_colour(hi > lo ? (v - lo) / (hi - lo) : 0.0);
  }
  std::string fill(double v) const { return std::isnan(v) ? missing_colour : colour_of(v); }
};

ColourScale colour_scale(const HeatmapData& data) {
  Range finite;
  ColourScale scale;
  for (const auto& row : data.values) {
    for (double v : row) {
      if (std::isnan(v)) {
        scale.any_missing = true;
      } else {
        finite.add(v);
      }
    }
  }
  scale.lo = data.colour_min.value_or(finite.empty() ? 0.0 : finite.lo);
  scale.hi = data.colour_max.value_or(finite.empty() ? 1.0 : finite.hi);
  if (!data.colour_max) scale.hi = std::max(scale.hi, scale.lo);
  if (!data.colour_min) scale.lo = std::min(scale.lo, scale.hi);
  return scale;
}

// Colour legend ticks and the width the legend needs on the right.
struct ColourTicks {
  std::vector<double> values;
  std::vector<std::string> labels;
  double area = 0;
};

ColourTicks colour_ticks(const HeatmapData& data, const ColourScale& scale) {
  ColourTicks ticks;
  ticks.values = nice_ticks(scale.lo, scale.hi, 5);
  const int decimals =
      scale.hi > scale.lo ? step_decimals(nice_step(scale.hi - scale.lo, 5)) : data.value_decimals;
  ticks.labels = tick_labels(ticks.values, decimals);
  const double legend_title_w = std::min(text_width(data.value_label, text_font), 150.0);
  ticks.area = std::max({14 + 6 + max_label_width(ticks.labels, text_font), legend_title_w,
                         text_width("no data", text_font) + 30}) +
               24;
  return ticks;
}

// The segment legend under the map: each segment's number and name.
std::vector<LegendItem> segment_legend(const HeatmapData& data) {
  std::vector<LegendItem> items;
  for (std::size_t s = 0; !data.segments.empty() && s < data.segment_names.size(); ++s) {
    items.push_back({data.segment_names[s], "", Mark::key, "", std::to_string(s + 1)});
  }
  return items;
}

// The grid: row labels on the left, the colour legend on the right, cells as wide as the rest
// allows and as high as the height allows (or 0.7 of their width, 16..56 px, when automatic).
struct HeatmapLayout {
  std::size_t rows = 0;
  std::size_t cols = 0;
  double top = 0, left = 0, right = 0, bottom = 0;
  double cell_w = 0, cell_h = 0;
  double row_label_cap = 0;
  int height = 0;
};

HeatmapLayout heatmap_layout(const HeatmapData& data, const std::string& ref, double legend_area,
                             double segment_legend_h) {
  HeatmapLayout l;
  const double width = data.width;
  l.rows = data.row_labels.size();
  l.cols = data.column_labels.size();
  l.top = title_h + 18;  // room for the colour legend title
  l.row_label_cap = width * 0.25;
  const double row_label_w = std::min(max_label_width(data.row_labels, text_font), l.row_label_cap);
  l.left = pad + axis_title_w + 8 + row_label_w + 8;
  l.right = width - pad - legend_area;
  if (l.right - l.left < l.cols * 2.0) {
    throw UsageError(ref + ": width " + std::to_string(data.width) + " is too small for " +
                     std::to_string(l.cols) + " columns");
  }
  l.cell_w = (l.right - l.left) / l.cols;
  const double bottom_margin = 6 + 16 + 22 + (segment_legend_h > 0 ? segment_legend_h + 8 : 0) + 8;
  const RowBands bands = fit_rows(ref, data.height, l.top, bottom_margin, l.rows,
                                  std::clamp(l.cell_w * 0.7, 16.0, 56.0), 2, "rows");
  l.cell_h = bands.band;
  l.height = bands.height;
  l.bottom = l.top + l.rows * l.cell_h;
  return l;
}

// Value labels only when every one of them fits its cell, so the grid reads uniformly.
bool value_labels_fit(const HeatmapData& data, const HeatmapLayout& l) {
  bool show_values = data.show_values && l.cell_h >= 16;
  for (std::size_t r = 0; show_values && r < l.rows; ++r) {
    for (double v : data.values[r]) {
      if (!std::isnan(v) &&
          text_width(label_number(v, data.value_decimals), text_font) > l.cell_w - 6) {
        show_values = false;
      }
    }
  }
  return show_values;
}

SvgElement heatmap_cell(const HeatmapData& data, const HeatmapLayout& l, const ColourScale& scale,
                        std::size_t r, std::size_t c) {
  const double v = data.values[r][c];
  const bool missing = std::isnan(v);
  SvgElement cell("rect");
  cell.set("class", "cell").set("x", l.left + c * l.cell_w).set("y", l.top + r * l.cell_h);
  cell.set("width", l.cell_w).set("height", l.cell_h).set("fill", scale.fill(v));
  cell.set("stroke", "#ffffff").set("stroke-width", 1);
  if (missing) {
    cell.set("data-missing", "true");
  } else {
    cell.set("data-value", format_fixed(v, 6));
  }
  std::string tip = data.row_labels[r] + ", " + data.column_labels[c] + ": " +
                    (missing ? tr("chart.heatmap.no_data") : label_number(v, data.value_decimals));
  if (!data.value_label.empty() && !missing) tip += " (" + data.value_label + ")";
  if (!data.segments.empty()) tip += ", " + data.segment_names[data.segments[r][c]];
  cell.add(tooltip(tip));
  return cell;
}

// Cells (class="cell"), then their values (class="cell-label") when they fit.
void add_cells(SvgElement& svg, const HeatmapData& data, const HeatmapLayout& l,
               const ColourScale& scale) {
  const bool show_values = value_labels_fit(data, l);
  SvgElement cells = group("cells");
  SvgElement value_labels = group("value-labels");
  for (std::size_t r = 0; r < l.rows; ++r) {
    for (std::size_t c = 0; c < l.cols; ++c) {
      cells.add(heatmap_cell(data, l, scale, r, c));
      const double v = data.values[r][c];
      if (show_values && !std::isnan(v)) {
        SvgElement t =
            text_at(l.left + c * l.cell_w + l.cell_w / 2, l.top + r * l.cell_h + l.cell_h / 2 + 4,
                    label_number(v, data.value_decimals), "middle");
        t.set("class", "cell-label").set("fill", contrasting_text_colour(scale.fill(v)));
        value_labels.add(t);
      }
    }
  }
  svg.add(cells);
  svg.add(value_labels);
}

// Boundary segments between neighbours of different segments, as one path, drawn twice: a wide
// white halo under a dark line, visible on both ends of the colour scale.
void add_segment_boundaries(SvgElement& svg, const HeatmapData& data, const HeatmapLayout& l) {
  std::string d;
  for (std::size_t r = 0; r < l.rows; ++r) {
    for (std::size_t c = 0; c < l.cols; ++c) {
      const double x1 = l.left + (c + 1) * l.cell_w;
      const double y1 = l.top + (r + 1) * l.cell_h;
      if (c + 1 < l.cols && data.segments[r][c] != data.segments[r][c + 1]) {
        d += (d.empty() ? "M" : " M") + point(x1, l.top + r * l.cell_h) + " L" + point(x1, y1);
      }
      if (r + 1 < l.rows && data.segments[r][c] != data.segments[r + 1][c]) {
        d += (d.empty() ? "M" : " M") + point(l.left + c * l.cell_w, y1) + " L" + point(x1, y1);
      }
    }
  }
  if (d.empty()) return;
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

// Each connected region's segment number, once, in its first cell.
SvgElement segment_tags(const HeatmapData& data, const HeatmapLayout& l, const ColourScale& scale) {
  SvgElement tags = group("segment-tags");
  for (const auto& [r, c] : region_anchors(data.segments)) {
    SvgElement t = text_at(l.left + c * l.cell_w + 5, l.top + r * l.cell_h + 13,
                           std::to_string(data.segments[r][c] + 1), "start", 11);
    t.set("class", "segment-tag").set("font-weight", "700");
    t.set("fill", contrasting_text_colour(scale.fill(data.values[r][c])));
    t.add(tooltip(data.segment_names[data.segments[r][c]]));
    tags.add(t);
  }
  return tags;
}

// Row and column labels, thinned when there are too many to fit.
SvgElement row_and_column_labels(const HeatmapData& data, const HeatmapLayout& l) {
  SvgElement labels = group("tick-labels");
  const std::size_t row_stride = label_stride(16, l.cell_h);
  for (std::size_t r = 0; r < l.rows; r += row_stride) {
    const std::string text = truncate_text(data.row_labels[r], l.row_label_cap, text_font);
    SvgElement t = text_at(l.left - 8, l.top + (r + 0.5) * l.cell_h + 4, text, "end");
    t.set("class", "tick-label");
    labels.add(t);
  }
  const std::size_t col_stride =
      label_stride(std::min(max_label_width(data.column_labels, text_font), 120.0) + 8, l.cell_w);
  for (std::size_t c = 0; c < l.cols; c += col_stride) {
    const std::string text =
        truncate_text(data.column_labels[c], l.cell_w * col_stride - 4, text_font);
    SvgElement t = text_at(l.left + (c + 0.5) * l.cell_w, l.bottom + 16, text, "middle");
    t.set("class", "tick-label");
    labels.add(t);
  }
  return labels;
}

// Colour legend: a vertical bar of 40 steps, high values at the top, with ticks, and a grey
// "no data" swatch under it when some cell has no value.
SvgElement colour_legend(const HeatmapData& data, const HeatmapLayout& l, const ColourScale& scale,
                         const ColourTicks& ticks) {
  SvgElement legend = group("colour-legend");
  const double lx = l.right + 24;
  SvgElement legend_title =
      text_at(lx, l.top - 8, truncate_text(data.value_label, ticks.area - 8, text_font));
  legend_title.set("class", "legend-title");
  legend.add(legend_title);
  const int steps = 40;
  const double bar_h = l.bottom - l.top;
  for (int i = 0; i < steps; ++i) {
    const double t0 = static_cast<double>(i) / steps;
    SvgElement step("rect");
    step.set("class", "legend-step").set("x", lx).set("y", l.bottom - (i + 1) * bar_h / steps);
    // Overlap by half a pixel so no hairline gaps show between steps.
    step.set("width", 14).set("height", bar_h / steps + 0.5);
    step.set("fill", sequential_colour(t0 + 0.5 / steps));
    legend.add(step);
  }
  const LinearScale legend_y(scale.lo, scale.hi, l.bottom, l.top);
  for (std::size_t i = 0; i < ticks.values.size(); ++i) {
    const double ty = scale.hi > scale.lo ? legend_y(ticks.values[i]) : l.bottom;
    legend.add(line(lx + 14, ty, lx + 18, ty, axis_colour, 1));
    SvgElement t = text_at(lx + 21, ty + 4, ticks.labels[i]);
    t.set("class", "tick-label");
    legend.add(t);
  }
  if (scale.any_missing) {
    const double my = l.bottom + 10;
    SvgElement swatch("rect");
    swatch.set("x", lx).set("y", my).set("width", 14).set("height", 14);
    swatch.set("fill", missing_colour);
    legend.add(swatch);
    legend.add(text_at(lx + 20, my + 11, tr("chart.heatmap.no_data")));
  }
  return legend;
}

}  // namespace

std::string heatmap(const HeatmapData& data) {
  const std::string ref = check_frame("heatmap", data.title, data.width, data.height);
  check_heatmap_data(data, ref);
  const std::size_t rows = data.row_labels.size();
  const std::size_t cols = data.column_labels.size();
  if (rows == 0 || cols == 0) return no_data_chart("heatmap", data.title, data.width, data.height);
  const ColourScale scale = colour_scale(data);
  const ColourTicks ticks = colour_ticks(data, scale);
  const std::vector<LegendItem> segment_items = segment_legend(data);
  const HeatmapLayout l =
      heatmap_layout(data, ref, ticks.area, legend_rows(segment_items, data.width) * legend_row_h);
  const bool has_segments = !data.segments.empty();
  SvgElement svg = chart_root(
      "heatmap", data.title,
      trf(has_segments ? "chart.heatmap.segments_description" : "chart.heatmap.description",
          {{"rows", std::to_string(rows)}, {"columns", std::to_string(cols)}}),
      data.width, l.height);
  add_cells(svg, data, l, scale);
  if (has_segments) {
    add_segment_boundaries(svg, data, l);
    // Tags only when cells have room for them.
    if (l.cell_w >= 28 && l.cell_h >= 30) svg.add(segment_tags(data, l, scale));
  }
  svg.add(row_and_column_labels(data, l));
  svg.add(y_axis_title(data.row_label, l.top, l.bottom));
  svg.add(x_axis_title(data.column_label, l.left, l.right, l.bottom + 16 + 22));
  if (!segment_items.empty()) svg.add(legend(segment_items, data.width, l.bottom + 16 + 22 + 8));
  svg.add(colour_legend(data, l, scale, ticks));
  return svg.str();
}

}  // namespace clvkit::report
