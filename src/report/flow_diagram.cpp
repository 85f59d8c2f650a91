#include <algorithm>
#include <vector>

#include "chart_frame.hpp"
#include "report_language.hpp"
#include "clvkit/error.hpp"
#include "clvkit/report/charts.hpp"
#include "clvkit/report/svg.hpp"

namespace clvkit::report {

using namespace detail;

namespace {

constexpr double node_width = 14;
constexpr double node_gap = 8;
constexpr int default_flow_height = 460;

// Checks the shape and the values; returns the totals out of each left node and into each
// right node.
std::pair<std::vector<double>, std::vector<double>> checked_totals(const FlowDiagramData& data,
                                                                   const std::string& ref) {
  if (data.flows.size() != data.left_nodes.size()) {
    throw UsageError(ref + ": " + std::to_string(data.flows.size()) + " rows of flows for " +
                     std::to_string(data.left_nodes.size()) + " left nodes");
  }
  std::vector<double> out(data.left_nodes.size(), 0.0), in(data.right_nodes.size(), 0.0);
  for (std::size_t l = 0; l < data.flows.size(); ++l) {
    if (data.flows[l].size() != data.right_nodes.size()) {
      throw UsageError(ref + ": row " + std::to_string(l) + " has " +
                       std::to_string(data.flows[l].size()) + " flows for " +
                       std::to_string(data.right_nodes.size()) + " right nodes");
    }
    for (std::size_t r = 0; r < data.right_nodes.size(); ++r) {
      const double flow = data.flows[l][r];
      check_finite(flow, ref, "flow [" + std::to_string(l) + "][" + std::to_string(r) + "]");
      if (flow < 0) {
        throw UsageError(ref + ": flow [" + std::to_string(l) + "][" + std::to_string(r) +
                         "] is negative");
      }
      out[l] += flow;
      in[r] += flow;
    }
  }
  return {out, in};
}

// The top of each node with a non-zero total, stacked from `top` with gaps, `scale` px per unit.
std::vector<double> node_tops(const std::vector<double>& totals, double top, double scale) {
  std::vector<double> tops(totals.size(), 0.0);
  double y = top;
  for (std::size_t i = 0; i < totals.size(); ++i) {
    if (totals[i] <= 0) continue;
    tops[i] = y;
    y += totals[i] * scale + node_gap;
  }
  return tops;
}

std::size_t nodes_with_flow(const std::vector<double>& totals) {
  return static_cast<std::size_t>(
      std::count_if(totals.begin(), totals.end(), [](double t) { return t > 0; }));
}

SvgElement node_column(const std::vector<std::string>& names, const std::vector<double>& totals,
                       const std::vector<double>& tops, double scale, double x, bool left,
                       const std::string& unit, double label_room) {
  SvgElement column = group(left ? "left-nodes" : "right-nodes");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (totals[i] <= 0) continue;
    const double h = std::max(1.0, totals[i] * scale);
    SvgElement rect("rect");
    rect.set("class", "node").set("x", x).set("y", tops[i]).set("width", node_width).set(
        "height", h);
    rect.set("fill", left ? categorical_colour(i) : std::string("#777777"));
    rect.set("data-value", format_fixed(totals[i], 6));
    rect.add(tooltip(names[i] + ": " + label_number(totals[i], 0) + " " + unit));
    column.add(rect);
    const std::string label = truncate_text(names[i], label_room, text_font) + " (" +
                              label_number(totals[i], 0) + ")";
    column.add(text_at(left ? x - 6 : x + node_width + 6, tops[i] + h / 2 + 4, label,
                       left ? "end" : "start"));
  }
  return column;
}

}  // namespace

std::string flow_diagram(const FlowDiagramData& data) {
  const std::string ref = check_frame("flow diagram", data.title, data.width, data.height);
  const auto [out, in] = checked_totals(data, ref);
  double total = 0;
  for (const double t : out) total += t;
  if (total <= 0) return no_data_chart("flow", data.title, data.width, data.height);

  const double width = data.width;
  const int height = data.height != 0 ? data.height : default_flow_height;
  const double label_room = width * 0.22;
  const double left_x = pad + label_room + 60;
  const double right_x = width - pad - label_room - 60 - node_width;
  const double top = title_h + 24;
  const double bottom = height - pad;
  const std::size_t gaps = std::max(nodes_with_flow(out), nodes_with_flow(in)) - 1;
  const double scale = std::max(0.0, bottom - top - static_cast<double>(gaps) * node_gap) / total;
  const std::vector<double> left_tops = node_tops(out, top, scale);
  const std::vector<double> right_tops = node_tops(in, top, scale);

  SvgElement svg = chart_root("flow", data.title,
                              trf("chart.flow.description",
                                  {{"from", std::to_string(nodes_with_flow(out))},
                                   {"to", std::to_string(nodes_with_flow(in))},
                                   {"total", label_number(total, 0)},
                                   {"unit", data.unit}}),
                              data.width, height);
  svg.add(text_at(left_x + node_width / 2, title_h + 10, data.left_label, "middle"));
  svg.add(text_at(right_x + node_width / 2, title_h + 10, data.right_label, "middle"));
  // Bands: out of each left node in the right nodes' order, into each right node in the left
  // nodes' order.
  std::vector<std::vector<double>> enter(out.size(), std::vector<double>(in.size(), 0.0));
  for (std::size_t r = 0; r < in.size(); ++r) {
    double y = right_tops[r];
    for (std::size_t l = 0; l < out.size(); ++l) {
      enter[l][r] = y;
      y += data.flows[l][r] * scale;
    }
  }
  SvgElement bands = group("flows");
  const double x0 = left_x + node_width;
  const double x1 = right_x;
  const double xm = (x0 + x1) / 2;
  for (std::size_t l = 0; l < out.size(); ++l) {
    double y0 = left_tops[l];
    for (std::size_t r = 0; r < in.size(); ++r) {
      const double flow = data.flows[l][r];
      if (flow <= 0) continue;
      const double h = flow * scale;
      const double y1 = enter[l][r];
      SvgElement band("path");
      band.set("class", "flow")
          .set("d", "M" + point(x0, y0) + " C" + point(xm, y0) + " " + point(xm, y1) + " " +
                        point(x1, y1) + " L" + point(x1, y1 + h) + " C" + point(xm, y1 + h) +
                        " " + point(xm, y0 + h) + " " + point(x0, y0 + h) + " Z")
          .set("fill", categorical_colour(l))
          .set("fill-opacity", "0.45")
          .set("data-value", format_fixed(flow, 6));
      band.add(tooltip(data.left_nodes[l] + " → " + data.right_nodes[r] + ": " +
                       label_number(flow, 0) + " " + data.unit));
      bands.add(band);
      y0 += h;
    }
  }
  svg.add(bands);
  svg.add(node_column(data.left_nodes, out, left_tops, scale, left_x, true, data.unit, label_room));
  svg.add(
      node_column(data.right_nodes, in, right_tops, scale, right_x, false, data.unit, label_room));
  return svg.str();
}

}  // namespace clvkit::report
