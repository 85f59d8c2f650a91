#include <algorithm>
#include <cmath>
#include <utility>

#include "chart_frame.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"
#include "clvkit/util/format.hpp"

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
        const auto [cr, cc] = stack.back();
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

}  // namespace

std::string heatmap(const HeatmapData& data) {
  check_frame("heatmap", data.title, data.width, data.height);
  const std::string ref = chart_ref("heatmap", data.title);
  check_heatmap_data(data, ref);
  const std::size_t rows = data.row_labels.size();
  const std::size_t cols = data.column_labels.size();
  if (rows == 0 || cols == 0) return no_data_chart("heatmap", data.title, data.width, data.height);

  Range finite;
  bool any_missing = false;
  for (const auto& row : data.values) {
    for (double v : row) {
      if (std::isnan(v)) {
        any_missing = true;
      } else {
        finite.add(v);
      }
    }
  }
  // Colour domain: the given bounds, else the data range (an unset bound never crosses a set
  // one), else [0, 1] when there is no finite value at all.
  double cmin = data.colour_min.value_or(finite.empty() ? 0.0 : finite.lo);
  double cmax = data.colour_max.value_or(finite.empty() ? 1.0 : finite.hi);
  if (!data.colour_max) cmax = std::max(cmax, cmin);
  if (!data.colour_min) cmin = std::min(cmin, cmax);
  const auto colour_of = [&](double v) {
    return sequential_colour(cmax > cmin ? (v - cmin) / (cmax - cmin) : 0.0);
  };

  const double width = data.width;
  const bool has_segments = !data.segments.empty();
  std::vector<LegendItem> segment_items;
  for (std::size_t s = 0; has_segments && s < data.segment_names.size(); ++s) {
    segment_items.push_back({data.segment_names[s], "", Mark::key, "", std::to_string(s + 1)});
  }

  // Colour legend ticks and the width they need on the right.
  const std::vector<double> legend_ticks = nice_ticks(cmin, cmax, 5);
  const int legend_decimals =
      cmax > cmin ? step_decimals(nice_step(cmax - cmin, 5)) : data.value_decimals;
  const std::vector<std::string> legend_labels = tick_labels(legend_ticks, legend_decimals);
  const double legend_title_w = std::min(text_width(data.value_label, text_font), 150.0);
  const double legend_area = std::max({14 + 6 + max_label_width(legend_labels, text_font),
                                       legend_title_w, text_width("no data", text_font) + 30}) +
                             24;

  const double top = title_h + 18;  // room for the colour legend title
  const double row_label_cap = width * 0.25;
  const double row_label_w = std::min(max_label_width(data.row_labels, text_font), row_label_cap);
  const double left = pad + axis_title_w + 8 + row_label_w + 8;
  const double right = width - pad - legend_area;
  if (right - left < cols * 2.0) {
    throw UsageError(ref + ": width " + std::to_string(data.width) + " is too small for " +
                     std::to_string(cols) + " columns");
  }
  const double cell_w = (right - left) / cols;
  const double segment_legend_h = legend_rows(segment_items, width) * legend_row_h;
  const double bottom_margin = 6 + 16 + 22 + (segment_legend_h > 0 ? segment_legend_h + 8 : 0) + 8;
  double cell_h = std::clamp(cell_w * 0.7, 16.0, 56.0);
  int height = data.height;
  if (height == 0) {
    height = static_cast<int>(std::ceil(top + rows * cell_h + bottom_margin));
  } else {
    cell_h = (height - top - bottom_margin) / rows;
    if (cell_h < 2) {
      throw UsageError(ref + ": height " + std::to_string(height) + " is too small for " +
                       std::to_string(rows) + " rows");
    }
  }
  const double bottom = top + rows * cell_h;

  SvgElement svg = chart_root(
      "heatmap", data.title,
      "Heatmap with " + std::to_string(rows) + " rows and " + std::to_string(cols) + " columns" +
          (has_segments ? ", segment boundaries drawn as thick lines." : "."),
      data.width, height);

  // Value labels only when every one of them fits its cell, so the grid reads uniformly.
  bool show_values = data.show_values && cell_h >= 16;
  for (std::size_t r = 0; show_values && r < rows; ++r) {
    for (double v : data.values[r]) {
      if (!std::isnan(v) &&
          text_width(format_label(v, data.value_decimals), text_font) > cell_w - 6) {
        show_values = false;
      }
    }
  }

  SvgElement cells = group("cells");
  SvgElement value_labels = group("value-labels");
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const double v = data.values[r][c];
      const bool missing = std::isnan(v);
      const std::string fill = missing ? missing_colour : colour_of(v);
      const double cx = left + c * cell_w;
      const double cy = top + r * cell_h;
      SvgElement cell("rect");
      cell.set("class", "cell").set("x", cx).set("y", cy).set("width", cell_w);
      cell.set("height", cell_h).set("fill", fill).set("stroke", "#ffffff").set("stroke-width", 1);
      if (missing) {
        cell.set("data-missing", "true");
      } else {
        cell.set("data-value", format_fixed(v, 6));
      }
      std::string tip = data.row_labels[r] + ", " + data.column_labels[c] + ": " +
                        (missing ? "no data" : format_label(v, data.value_decimals));
      if (!data.value_label.empty() && !missing) tip += " (" + data.value_label + ")";
      if (has_segments) tip += ", " + data.segment_names[data.segments[r][c]];
      cell.add(tooltip(tip));
      cells.add(cell);
      if (show_values && !missing) {
        SvgElement t = text_at(cx + cell_w / 2, cy + cell_h / 2 + 4,
                               format_label(v, data.value_decimals), "middle");
        t.set("class", "cell-label").set("fill", contrasting_text_colour(fill));
        value_labels.add(t);
      }
    }
  }
  svg.add(cells);
  svg.add(value_labels);

  if (has_segments) {
    // Boundary segments between neighbours of different segments, as one path, drawn twice:
    // a wide white halo under a dark line, visible on both ends of the colour scale.
    std::string d;
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        const double x1 = left + (c + 1) * cell_w;
        const double y1 = top + (r + 1) * cell_h;
        if (c + 1 < cols && data.segments[r][c] != data.segments[r][c + 1]) {
          d += (d.empty() ? "M" : " M") + point(x1, top + r * cell_h) + " L" + point(x1, y1);
        }
        if (r + 1 < rows && data.segments[r][c] != data.segments[r + 1][c]) {
          d += (d.empty() ? "M" : " M") + point(left + c * cell_w, y1) + " L" + point(x1, y1);
        }
      }
    }
    if (!d.empty()) {
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
    // Tag each connected region once, in its first cell, when cells have room for it.
    if (cell_w >= 28 && cell_h >= 30) {
      SvgElement tags = group("segment-tags");
      for (const auto& [r, c] : region_anchors(data.segments)) {
        const double v = data.values[r][c];
        const std::string fill = std::isnan(v) ? missing_colour : colour_of(v);
        SvgElement t = text_at(left + c * cell_w + 5, top + r * cell_h + 13,
                               std::to_string(data.segments[r][c] + 1), "start", 11);
        t.set("class", "segment-tag").set("font-weight", "700");
        t.set("fill", contrasting_text_colour(fill));
        t.add(tooltip(data.segment_names[data.segments[r][c]]));
        tags.add(t);
      }
      svg.add(tags);
    }
  }

  // Row and column labels, thinned when there are too many to fit.
  SvgElement labels = group("tick-labels");
  const std::size_t row_stride = label_stride(16, cell_h);
  for (std::size_t r = 0; r < rows; r += row_stride) {
    const std::string text = truncate_text(data.row_labels[r], row_label_cap, text_font);
    SvgElement t = text_at(left - 8, top + (r + 0.5) * cell_h + 4, text, "end");
    t.set("class", "tick-label");
    labels.add(t);
  }
  const std::size_t col_stride =
      label_stride(std::min(max_label_width(data.column_labels, text_font), 120.0) + 8, cell_w);
  for (std::size_t c = 0; c < cols; c += col_stride) {
    const std::string text =
        truncate_text(data.column_labels[c], cell_w * col_stride - 4, text_font);
    SvgElement t = text_at(left + (c + 0.5) * cell_w, bottom + 16, text, "middle");
    t.set("class", "tick-label");
    labels.add(t);
  }
  svg.add(labels);
  svg.add(y_axis_title(data.row_label, top, bottom));
  svg.add(x_axis_title(data.column_label, left, right, bottom + 16 + 22));
  if (!segment_items.empty()) {
    svg.add(legend(segment_items, width, bottom + 16 + 22 + 8));
  }

  // Colour legend: a vertical bar of 40 steps, high values at the top, with ticks.
  SvgElement colour_legend = group("colour-legend");
  const double lx = right + 24;
  SvgElement legend_title =
      text_at(lx, top - 8, truncate_text(data.value_label, legend_area - 8, text_font));
  legend_title.set("class", "legend-title");
  colour_legend.add(legend_title);
  const int steps = 40;
  const double bar_h = bottom - top;
  for (int i = 0; i < steps; ++i) {
    const double t0 = static_cast<double>(i) / steps;
    SvgElement step("rect");
    step.set("class", "legend-step").set("x", lx).set("y", bottom - (i + 1) * bar_h / steps);
    // Overlap by half a pixel so no hairline gaps show between steps.
    step.set("width", 14).set("height", bar_h / steps + 0.5);
    step.set("fill", sequential_colour(t0 + 0.5 / steps));
    colour_legend.add(step);
  }
  const LinearScale legend_y(cmin, cmax, bottom, top);
  for (std::size_t i = 0; i < legend_ticks.size(); ++i) {
    const double ty = cmax > cmin ? legend_y(legend_ticks[i]) : bottom;
    colour_legend.add(line(lx + 14, ty, lx + 18, ty, axis_colour, 1));
    SvgElement t = text_at(lx + 21, ty + 4, legend_labels[i]);
    t.set("class", "tick-label");
    colour_legend.add(t);
  }
  if (any_missing) {
    const double my = bottom + 10;
    SvgElement swatch("rect");
    swatch.set("x", lx).set("y", my).set("width", 14).set("height", 14);
    swatch.set("fill", missing_colour);
    colour_legend.add(swatch);
    colour_legend.add(text_at(lx + 20, my + 11, "no data"));
  }
  svg.add(colour_legend);
  return svg.str();
}

}  // namespace clvkit::report
