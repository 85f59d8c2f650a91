#include "chart_frame.hpp"

#include <cmath>

#include "clvkit/error.hpp"
#include "clvkit/util/format.hpp"
#include "report_language.hpp"

namespace clvkit::report::detail {
namespace {

constexpr double legend_sample_w = 24;

double legend_item_width(const LegendItem& item, double max_name_w) {
  const double name_w = std::min(text_width(item.name, text_font), max_name_w);
  const double sample_w =
      item.mark == Mark::key ? text_width(item.key, text_font) + 4 : legend_sample_w + 6;
  return sample_w + name_w + 16;
}

}  // namespace

std::string chart_ref(const char* kind, const std::string& title) {
  return std::string(kind) + " '" + title + "'";
}

std::string check_frame(const char* kind, const std::string& title, int width, int height) {
  if (title.empty()) {
    throw UsageError(std::string(kind) +
                     ": the title is empty, but every chart needs one (its accessible name)");
  }
  if (width < 320 || width > 4096) {
    throw UsageError(chart_ref(kind, title) + ": width is " + std::to_string(width) +
                     ", but must be 320..4096");
  }
  if (height != 0 && (height < 160 || height > 8192)) {
    throw UsageError(chart_ref(kind, title) + ": height is " + std::to_string(height) +
                     ", but must be 0 (automatic) or 160..8192");
  }
  return chart_ref(kind, title);
}

void check_finite(double value, const std::string& chart, const std::string& what) {
  if (!std::isfinite(value)) {
    throw UsageError(chart + ": " + what + " is " + describe_number(value) +
                     ", but must be finite");
  }
}

RowBands fit_rows(const std::string& ref, int height, double top, double bottom_margin,
                  std::size_t n, double natural_band, double min_band, const char* what) {
  RowBands rows{natural_band, height};
  if (height == 0) {
    rows.height = static_cast<int>(std::ceil(top + n * natural_band + bottom_margin));
  } else {
    rows.band = (height - top - bottom_margin) / n;
    if (rows.band < min_band) {
      throw UsageError(ref + ": height " + std::to_string(height) + " is too small for " +
                       std::to_string(n) + " " + what);
    }
  }
  return rows;
}

std::string point(double x, double y) { return format_fixed(x, 2) + "," + format_fixed(y, 2); }

SvgElement text_at(double x, double y, std::string_view content, const char* anchor, double size) {
  SvgElement t("text");
  t.set("x", x).set("y", y);
  if (std::string_view(anchor) != "start") t.set("text-anchor", anchor);
  if (size != text_font) t.set("font-size", size);
  t.text(content);
  return t;
}

SvgElement tooltip(std::string_view content) {
  SvgElement t("title");
  t.text(content);
  return t;
}

SvgElement line(double x1, double y1, double x2, double y2, const char* stroke, double width) {
  SvgElement l("line");
  l.set("x1", x1).set("y1", y1).set("x2", x2).set("y2", y2).set("stroke", stroke);
  l.set("stroke-width", width);
  return l;
}

SvgElement group(const char* cls) {
  SvgElement g("g");
  g.set("class", cls);
  return g;
}

SvgElement chart_root(const char* kind, const std::string& title, const std::string& desc,
                      int width, int height) {
  SvgElement svg("svg");
  svg.set("data-chart", kind)
      .set("role", "img")
      .set("aria-label", title)
      .set("width", width)
      .set("height", height)
      .set("viewBox", "0 0 " + std::to_string(width) + " " + std::to_string(height))
      .set("style", "max-width:100%;height:auto")
      .set("font-family", font_stack)
      .set("font-size", text_font)
      .set("fill", ink);
  svg.add(tooltip(title));
  SvgElement d("desc");
  d.text(desc);
  svg.add(d);
  SvgElement background("rect");
  background.set("class", "background").set("width", width).set("height", height);
  background.set("fill", "#ffffff");
  svg.add(background);
  SvgElement heading =
      text_at(pad, 26, truncate_text(title, width - 2 * pad, title_font), "start", title_font);
  heading.set("class", "chart-title").set("font-weight", "600");
  svg.add(heading);
  return svg;
}

std::string no_data_chart(const char* kind, const std::string& title, int width, int height) {
  const int h = height != 0 ? height : 160;
  SvgElement svg = chart_root(kind, title, tr("chart.no_data_description"), width, h);
  SvgElement note = text_at(width / 2.0, title_h + (h - title_h) / 2.0, tr("chart.no_data"),
                            "middle", axis_title_font);
  note.set("class", "no-data").set("fill", muted_ink);
  svg.add(note);
  return svg.str();
}

int legend_rows(const std::vector<LegendItem>& items, double width) {
  if (items.empty()) return 0;
  const double max_name_w = width / 2;
  int rows = 1;
  double x = pad;
  for (const LegendItem& item : items) {
    const double w = legend_item_width(item, max_name_w);
    if (x > pad && x + w > width - pad) {
      ++rows;
      x = pad;
    }
    x += w;
  }
  return rows;
}

SvgElement legend(const std::vector<LegendItem>& items, double width, double top) {
  SvgElement g = group("legend");
  const double max_name_w = width / 2;
  double x = pad;
  double y = top;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const LegendItem& item = items[i];
    const double w = legend_item_width(item, max_name_w);
    if (x > pad && x + w > width - pad) {
      x = pad;
      y += legend_row_h;
    }
    SvgElement entry = group("legend-item");
    entry.set("data-series", static_cast<int>(i));
    const double mid = y + legend_row_h / 2;
    double name_x = x + legend_sample_w + 6;
    switch (item.mark) {
      case Mark::swatch: {
        SvgElement r("rect");
        r.set("x", x + 6).set("y", mid - 6).set("width", 12).set("height", 12);
        r.set("fill", item.colour);
        entry.add(r);
        break;
      }
      case Mark::line:
      case Mark::line_point:
      case Mark::interval: {
        SvgElement l = line(x, mid, x + legend_sample_w, mid, item.colour.c_str(), 2.5);
        if (!item.dash.empty()) l.set("stroke-dasharray", item.dash);
        entry.add(l);
        if (item.mark == Mark::interval) {
          entry.add(line(x, mid - 5, x, mid + 5, item.colour.c_str(), 2));
          entry.add(line(x + legend_sample_w, mid - 5, x + legend_sample_w, mid + 5,
                         item.colour.c_str(), 2));
        }
        if (item.mark != Mark::line_point) break;
        [[fallthrough]];
      }
      case Mark::point: {
        SvgElement c("circle");
        c.set("cx", x + legend_sample_w / 2).set("cy", mid).set("r", 4).set("fill", item.colour);
        c.set("stroke", "#ffffff").set("stroke-width", 1);
        entry.add(c);
        break;
      }
      case Mark::key: {
        SvgElement k = text_at(x, mid + 4, item.key);
        k.set("font-weight", "700");
        entry.add(k);
        name_x = x + text_width(item.key, text_font) + 4;
        break;
      }
    }
    SvgElement name = text_at(name_x, mid + 4, truncate_text(item.name, max_name_w, text_font));
    entry.add(tooltip(item.name));
    entry.add(name);
    g.add(entry);
    x += w;
  }
  return g;
}

double max_label_width(const std::vector<std::string>& labels, double font) {
  double w = 0;
  for (const std::string& label : labels) w = std::max(w, text_width(label, font));
  return w;
}

std::vector<std::string> tick_labels(const std::vector<double>& ticks, int decimals) {
  std::vector<std::string> labels;
  for (double t : ticks) labels.push_back(label_number(t, decimals));
  return labels;
}

SvgElement y_axis_title(std::string_view label, double top, double bottom) {
  const double x = pad + 10;
  const double y = (top + bottom) / 2;
  SvgElement t = text_at(x, y, truncate_text(label, bottom - top + 40, axis_title_font), "middle",
                         axis_title_font);
  t.set("class", "axis-title")
      .set("transform", "rotate(-90 " + format_fixed(x, 2) + " " + format_fixed(y, 2) + ")");
  return t;
}

SvgElement x_axis_title(std::string_view label, double left, double right, double y) {
  SvgElement t =
      text_at((left + right) / 2, y, truncate_text(label, right - left + 40, axis_title_font),
              "middle", axis_title_font);
  t.set("class", "axis-title");
  return t;
}

SvgElement left_value_axis(const std::vector<double>& ticks, int decimals, const LinearScale& y,
                           double left, double right) {
  SvgElement g = group("y-axis");
  for (double t : ticks) {
    const double ty = y(t);
    SvgElement grid = line(left, ty, right, ty, t == 0.0 ? axis_colour : grid_colour, 1);
    grid.set("class", t == 0.0 ? "axis" : "grid");
    g.add(grid);
    SvgElement label = text_at(left - 6, ty + 4, label_number(t, decimals), "end");
    label.set("class", "tick-label");
    g.add(label);
  }
  return g;
}

SvgElement axis_line(double x1, double y1, double x2, double y2) {
  SvgElement l = line(x1, y1, x2, y2, axis_colour, 1);
  l.set("class", "axis");
  return l;
}

}  // namespace clvkit::report::detail
