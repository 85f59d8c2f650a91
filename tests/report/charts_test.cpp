#include "clvkit/report/charts.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/error.hpp"

namespace {

using clvkit::UsageError;
using namespace clvkit::report;

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_value = std::numeric_limits<double>::infinity();

// ---- A small XML well-formedness checker ---------------------------------------------------
//
// Enough XML 1.0 for what the charts write: one root element, nested elements with balanced
// tags, attributes name="value" (or single quotes) without duplicates, character data and
// attribute values in which < never appears raw and & only starts a predefined or numeric
// reference. It is stricter than XML in one way the brief asks for: a raw > in text is an
// error too. Comments, CDATA, DOCTYPE and processing instructions are rejected (the charts
// write none). Input must be valid UTF-8. Returns "" when well-formed, else the first fault.

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80           ? 1
                    : (b >> 5) == 0x6  ? 2
                    : (b >> 4) == 0xE  ? 3
                    : (b >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

class XmlChecker {
 public:
  explicit XmlChecker(std::string_view xml) : s_(xml) {}

  std::string check() {
    if (!valid_utf8(s_)) return "invalid UTF-8";
    skip_space();
    if (!element()) return error_;
    skip_space();
    if (i_ != s_.size()) return fail("content after the root element");
    return "";
  }

 private:
  std::string fail(const std::string& what) {
    if (error_.empty()) {
      const std::size_t from = i_ > 30 ? i_ - 30 : 0;
      error_ = what + " at offset " + std::to_string(i_) + ": ..." +
               std::string(s_.substr(from, 60)) + "...";
    }
    return error_;
  }
  bool failed(const std::string& what) {
    fail(what);
    return false;
  }
  void skip_space() {
    while (i_ < s_.size() && space(s_[i_])) ++i_;
  }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }

  bool name(std::string& out) {
    if (i_ >= s_.size() || !name_start(s_[i_])) return failed("expected a name");
    const std::size_t start = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    out = std::string(s_.substr(start, i_ - start));
    return true;
  }

  // After '&': a predefined entity or a character reference, then ';'.
  bool reference() {
    static const std::set<std::string> entities = {"amp", "lt", "gt", "quot", "apos"};
    ++i_;
    const std::size_t semicolon = s_.find(';', i_);
    if (semicolon == std::string_view::npos || semicolon - i_ > 10) {
      return failed("unterminated reference");
    }
    const std::string ref(s_.substr(i_, semicolon - i_));
    bool ok = entities.count(ref) > 0;
    if (!ok && ref.size() > 1 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string digits = ref.substr(hex ? 2 : 1);
      ok = !digits.empty() && digits.find_first_not_of(hex ? "0123456789abcdefABCDEF"
                                                           : "0123456789") == std::string::npos;
    }
    if (!ok) return failed("unknown reference &" + ref + ";");
    i_ = semicolon + 1;
    return true;
  }

  bool attribute_value() {
    if (!peek('"') && !peek('\'')) return failed("unquoted attribute value");
    const char quote = s_[i_++];
    while (i_ < s_.size() && s_[i_] != quote) {
      if (s_[i_] == '<') return failed("raw < in attribute value");
      if (s_[i_] == '&') {
        if (!reference()) return false;
      } else {
        ++i_;
      }
    }
    if (i_ >= s_.size()) return failed("unterminated attribute value");
    ++i_;
    return true;
  }

  bool element() {
    if (!peek('<')) return failed("expected <");
    ++i_;
    if (peek('!') || peek('?')) return failed("comment, CDATA, DOCTYPE or PI");
    std::string tag;
    if (!name(tag)) return false;
    std::set<std::string> seen;
    for (;;) {
      const std::size_t before = i_;
      skip_space();
      if (peek('/')) {
        ++i_;
        if (!peek('>')) return failed("expected > after /");
        ++i_;
        return true;
      }
      if (peek('>')) {
        ++i_;
        break;
      }
      if (i_ == before) return failed("missing space before attribute");
      std::string attribute;
      if (!name(attribute)) return false;
      if (!seen.insert(attribute).second) return failed("duplicate attribute " + attribute);
      if (!peek('=')) return failed("attribute " + attribute + " without =");
      ++i_;
      if (!attribute_value()) return false;
    }
    // Content until the matching end tag.
    while (i_ < s_.size()) {
      if (s_.substr(i_, 2) == "</") {
        i_ += 2;
        std::string end;
        if (!name(end)) return false;
        if (end != tag) return failed("</" + end + "> closes <" + tag + ">");
        skip_space();
        if (!peek('>')) return failed("expected > in end tag");
        ++i_;
        return true;
      }
      if (peek('<')) {
        if (!element()) return false;
      } else if (peek('&')) {
        if (!reference()) return false;
      } else if (peek('>')) {
        return failed("raw > in text");
      } else {
        ++i_;
      }
    }
    return failed("<" + tag + "> never closed");
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string error_;
};

std::string xml_error(std::string_view xml) { return XmlChecker(xml).check(); }

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Every chart must be well-formed, self-contained and say what it is.
void check_chart(const std::string& svg, const std::string& kind) {
  CAPTURE(kind);
  INFO(svg.substr(0, 400));
  CHECK(xml_error(svg) == "");
  CHECK(svg.rfind("<svg ", 0) == 0);
  CHECK(contains(svg, "data-chart=\"" + kind + "\""));
  CHECK(contains(svg, "role=\"img\""));
  CHECK(contains(svg, "aria-label=\""));
  CHECK(contains(svg, "<title>"));
  CHECK_FALSE(contains(svg, "http"));
  CHECK_FALSE(contains(svg, "href"));
  CHECK_FALSE(contains(svg, "<script"));
  CHECK_FALSE(contains(svg, "url("));
  CHECK_FALSE(contains(svg, " id=\""));
}

// Labels that break naive markup: quotes, ampersand, angle brackets, non-ASCII, CJK.
const std::string awkward = "Can't \"Lose\" <Them> & Co";
const std::vector<std::string> awkward_names = {"Can't Lose Them", "Łódź & <Kraków>", "新客户",
                                                "\"Quoted\" 'single'", "a>b"};

// ---- Chart fixtures ----------------------------------------------------------------------

std::vector<std::string> segment_names() {
  return {"Champions",      "Loyal",     "Potential Loyalist",
          "New Customers",  "Promising", "Need Attention",
          "About To Sleep", "At Risk",   "Can't Lose Them",
          "Hibernating",    "Lost"};
}

BarChartData segment_sizes() {
  BarChartData data;
  data.title = "Customers per segment";
  data.category_label = "Segment";
  data.value_label = "Customers (count)";
  data.categories = segment_names();
  data.series = {{"Customers", {1653, 980, 1210, 402, 377, 611, 520, 890, 143, 2104, 3302}}};
  return data;
}

BarChartData calibration_fit() {
  BarChartData data;
  data.title = "Repeat purchases in calibration: actual vs model";
  data.category_label = "Repeat purchases";
  data.value_label = "Customers (count)";
  data.categories = {"0", "1", "2", "3", "4", "5", "6", "7+"};
  data.series = {{"Actual", {1411, 439, 214, 100, 62, 38, 29, 64}},
                 {"BG/NBD", {1399.4, 449.2, 208.3, 107.6, 58.7, 36.9, 22.1, 75.7}}};
  return data;
}

LineChartData tracking() {
  LineChartData data;
  data.title = "Cumulative repeat purchases";
  data.x_label = "Week";
  data.y_label = "Repeat purchases (count)";
  LineSeries actual{"Actual", {}, {}};
  LineSeries model{"BG/NBD", {}, {}};
  double a = 0, m = 0;
  for (int week = 1; week <= 78; ++week) {
    a += 60 + 25 * std::sin(week / 3.0);
    m += 60 + 0.1 * week;
    actual.x.push_back(week);
    actual.y.push_back(a);
    model.x.push_back(week);
    model.y.push_back(m);
  }
  data.series = {actual, model};
  data.reference_lines = {{39, "End of calibration"}};
  return data;
}

HeatmapData rf_heatmap() {
  HeatmapData data;
  data.title = "Customers by R and F score";
  data.column_label = "Frequency score (F)";
  data.row_label = "Recency score (R)";
  data.value_label = "Customers";
  data.column_labels = {"1", "2", "3", "4", "5"};
  data.row_labels = {"5", "4", "3", "2", "1"};
  data.values = {{120, 80, 150, 300, 520},
                 {200, 95, 130, 210, 180},
                 {310, 140, 90, 60, 40},
                 {420, 160, 75, 30, 12},
                 {900, 210, 40, 8, 0}};
  data.segment_names = {"Champions", "Loyal", "New Customers", "At Risk", "Lost"};
  data.segments = {
      {2, 1, 1, 0, 0}, {2, 1, 1, 0, 0}, {4, 3, 3, 1, 1}, {4, 4, 3, 3, 3}, {4, 4, 4, 3, 3}};
  return data;
}

HistogramData clv_histogram() {
  std::vector<double> clv;
  for (int i = 0; i < 500; ++i) clv.push_back(std::exp(0.02 * i) - 1);  // 0 .. ~21,000
  const Bins bins = bin_values(clv, 20, BinScale::log);
  HistogramData data;
  data.title = "CLV distribution";
  data.x_label = "CLV (EUR, log scale)";
  data.y_label = "Customers";
  data.edges = bins.edges;
  data.counts = bins.counts;
  data.log_x = true;
  data.note = std::to_string(bins.skipped) + " customers with CLV <= 0 not shown";
  return data;
}

IntervalChartData segment_forecast() {
  IntervalChartData data;
  data.title = "Purchases in the next 52 weeks by segment";
  data.category_label = "Segment";
  data.value_label = "Expected purchases (count)";
  data.rows = {{"Champions", 812.4, 760.1, 866.0},
               {"Loyal", 402.9, 371.3, 433.8},
               {"At Risk", 120.5, 101.2, 141.7},
               {"Lost", 15.2, 9.8, 21.9}};
  return data;
}

}  // namespace

// ---- The checker itself ------------------------------------------------------------------

TEST_CASE("the test's XML checker accepts well-formed and rejects broken markup", "[report][svg]") {
  CHECK(xml_error(
            R"(<svg a="1" b='x &amp; y'><g><rect/></g><text>a &lt; b &#39; &#x41;</text></svg>)") ==
        "");
  CHECK(xml_error("<svg><g></svg>") != "");
  CHECK(xml_error("<svg><g/>") != "");
  CHECK(xml_error("<svg a=1/>") != "");
  CHECK(xml_error(R"(<svg a="1" a="2"/>)") != "");
  CHECK(xml_error(R"(<svg a="x<y"/>)") != "");
  CHECK(xml_error("<svg>R&D</svg>") != "");
  CHECK(xml_error("<svg>a > b</svg>") != "");
  CHECK(xml_error("<svg>&nbsp;</svg>") != "");
  CHECK(xml_error("<svg/><svg/>") != "");
  CHECK(xml_error(R"(<svg a="1"b="2"/>)") != "");
  CHECK(xml_error("<svg>\xFF</svg>") != "");
  CHECK(xml_error("<svg><!-- x --></svg>") != "");
}

// ---- Well-formedness with awkward labels ---------------------------------------------------

TEST_CASE("every chart type stays well-formed with awkward labels", "[report][svg]") {
  BarChartData bar = calibration_fit();
  bar.title = awkward;
  bar.category_label = "Łódź & <Kraków>";
  bar.value_label = "新客户 (\"count\")";
  bar.categories = {"Can't Lose Them", "Łódź", "新客户", "<b>", "&amp;", "'", "\"", "x>y"};
  bar.series[0].name = "Actual & \"real\"";
  bar.series[1].name = "<model>";
  bar.show_values = true;
  const std::string vertical = bar_chart(bar);
  check_chart(vertical, "bar");
  CHECK(contains(vertical, "Can't Lose Them"));
  CHECK(contains(vertical, "Łódź"));
  CHECK(contains(vertical, "新客户"));
  CHECK(contains(vertical, "&amp;amp;"));
  CHECK(contains(vertical, "aria-label=\"Can&#39;t &quot;Lose&quot; &lt;Them&gt; &amp; Co\""));
  CHECK(contains(vertical, "<title>Can't \"Lose\" &lt;Them&gt; &amp; Co</title>"));
  bar.orientation = Orientation::horizontal;
  check_chart(bar_chart(bar), "bar");

  LineChartData line = tracking();
  line.title = awkward;
  line.x_label = "Woche & <Tag>";
  line.y_label = "新客户";
  line.series[0].name = "Can't Lose Them";
  line.series[1].name = "Łódź \"model\"";
  line.reference_lines = {{39, "End <calibration> & 'holdout'"}};
  line.show_markers = true;
  check_chart(line_chart(line), "line");

  HeatmapData map = rf_heatmap();
  map.title = awkward;
  map.column_labels = awkward_names;
  map.row_labels = {"<5>", "4 & up", "Łódź", "新客户", "\"1\""};
  map.segment_names = {"Can't Lose Them", "Łódź & Co", "新客户", "<At Risk>", "\"Lost\""};
  map.value_label = "Customers & <prospects>";
  check_chart(heatmap(map), "heatmap");

  HistogramData hist = clv_histogram();
  hist.title = awkward;
  hist.x_label = "CLV (€ & <$>)";
  hist.note = "Note: values <= 0 & \"odd\" ones skipped";
  check_chart(histogram(hist), "histogram");

  IntervalChartData intervals = segment_forecast();
  intervals.title = awkward;
  intervals.rows[0].label = "Can't Lose Them";
  intervals.rows[1].label = "Łódź & <Kraków>";
  intervals.rows[2].label = "新客户";
  intervals.interval_name = "90% \"interval\" <q5, q95>";
  check_chart(interval_chart(intervals), "interval");
}

// ---- Expected elements -------------------------------------------------------------------

TEST_CASE("a bar chart with 11 categories has 11 bars and no legend", "[report]") {
  const std::string svg = bar_chart(segment_sizes());
  check_chart(svg, "bar");
  CHECK(count(svg, "class=\"bar\"") == 11);
  CHECK_FALSE(contains(svg, "class=\"legend\""));
  CHECK(contains(svg, ">Customers per segment</text>"));
  CHECK(contains(svg, ">Segment</text>"));
  CHECK(contains(svg, ">Customers (count)</text>"));
  CHECK(contains(svg, ">3,500</text>"));  // top tick of the nice axis 0..3500
  // Eleven segment names do not fit 720 px side by side: they are rotated.
  CHECK(contains(svg, "transform=\"rotate(-40"));
}

TEST_CASE("a grouped bar chart has a bar per category and series and a legend with both",
          "[report]") {
  const std::string svg = bar_chart(calibration_fit());
  check_chart(svg, "bar");
  CHECK(count(svg, "class=\"bar\"") == 16);
  CHECK(count(svg, "data-series=\"1\"") >= 8);
  CHECK(count(svg, "class=\"legend-item\"") == 2);
  CHECK(contains(svg, ">Actual</text>"));
  CHECK(contains(svg, ">BG/NBD</text>"));
  CHECK(contains(svg, ">7+</text>"));
  CHECK(contains(svg, "<title>7+, BG/NBD: 76</title>"));  // value_decimals 0 rounds 75.7
}

TEST_CASE("a horizontal bar chart lists categories top to bottom with values", "[report]") {
  BarChartData data = segment_sizes();
  data.orientation = Orientation::horizontal;
  data.show_values = true;
  data.value_decimals = 0;
  const std::string svg = bar_chart(data);
  check_chart(svg, "bar");
  CHECK(count(svg, "class=\"bar\"") == 11);
  CHECK(count(svg, "class=\"value-label\"") == 11);
  CHECK(contains(svg, ">3,302</text>"));
  CHECK(svg.find(">Champions</text>") < svg.find(">Lost</text>"));
  CHECK_FALSE(contains(svg, "rotate(-40"));
}

TEST_CASE("bar charts handle negative values with the axis through zero", "[report]") {
  BarChartData data;
  data.title = "Change in customers";
  data.category_label = "Segment";
  data.value_label = "Change (count)";
  data.categories = {"A", "B", "C"};
  data.series = {{"Change", {-120, 40, 300}}};
  const std::string svg = bar_chart(data);
  check_chart(svg, "bar");
  CHECK(count(svg, "class=\"bar\"") == 3);
  CHECK(contains(svg, ">-200</text>"));
  CHECK(contains(svg, "class=\"axis\""));
}

TEST_CASE("a two-series line chart has two lines, a legend and the calibration marker",
          "[report]") {
  const std::string svg = line_chart(tracking());
  check_chart(svg, "line");
  CHECK(count(svg, "class=\"line\"") == 2);
  CHECK(count(svg, "class=\"legend-item\"") == 2);
  CHECK(contains(svg, ">Actual</text>"));
  CHECK(contains(svg, ">BG/NBD</text>"));
  CHECK(count(svg, "class=\"marker\"") == 1);
  CHECK(contains(svg, ">End of calibration</text>"));
  CHECK(count(svg, "class=\"point\"") == 0);
  CHECK(contains(svg, "stroke-dasharray=\"7 4\""));  // the second series is dashed
  CHECK(contains(svg, ">Week</text>"));
}

TEST_CASE("a line chart with markers has one point per observation", "[report]") {
  LineChartData data;
  data.title = "Conditional expectations";
  data.x_label = "Repeat purchases in calibration";
  data.y_label = "Mean purchases in holdout (count)";
  data.series = {
      {"Actual", {0, 1, 2, 3, 4, 5, 6, 7}, {0.2, 0.7, 1.4, 2.1, 2.6, 3.4, 3.9, 5.1}},
      {"Predicted", {0, 1, 2, 3, 4, 5, 6, 7}, {0.25, 0.8, 1.35, 1.9, 2.5, 3.1, 3.7, 4.6}}};
  data.show_markers = true;
  const std::string svg = line_chart(data);
  check_chart(svg, "line");
  CHECK(count(svg, "class=\"line\"") == 2);
  CHECK(count(svg, "class=\"point\"") == 16);
  CHECK(contains(svg, "<title>Predicted: 7, 4.60</title>"));
}

TEST_CASE("a single-series line chart has no legend", "[report]") {
  LineChartData data = tracking();
  data.series.resize(1);
  const std::string svg = line_chart(data);
  check_chart(svg, "line");
  CHECK(count(svg, "class=\"line\"") == 1);
  CHECK_FALSE(contains(svg, "class=\"legend\""));
}

TEST_CASE("a 5x5 heatmap has 25 cells, value labels, a colour legend and segment boundaries",
          "[report]") {
  const std::string svg = heatmap(rf_heatmap());
  check_chart(svg, "heatmap");
  CHECK(count(svg, "class=\"cell\"") == 25);
  CHECK(count(svg, "class=\"cell-label\"") == 25);
  CHECK(count(svg, "class=\"boundary\"") == 1);
  CHECK(contains(svg, "class=\"colour-legend\""));
  CHECK(count(svg, "class=\"legend-step\"") == 40);
  CHECK(contains(svg, ">Customers</text>"));
  CHECK(contains(svg, ">900</text>"));
  // Every segment is named in the legend, numbered 1..5.
  for (const std::string& name : rf_heatmap().segment_names)
    CHECK(contains(svg, ">" + name + "</text>"));
  CHECK(count(svg, "class=\"segment-tag\"") >= 5);
  // The smallest count is on dark purple, so its label is white; the largest on yellow, black.
  CHECK(contains(svg, "fill=\"#440154\""));
  CHECK(contains(svg, "fill=\"#fde725\""));
  CHECK(contains(svg, "fill=\"#ffffff\">0</text>"));
  CHECK(contains(svg, "fill=\"#000000\">900</text>"));
}

TEST_CASE("heatmap boundaries separate exactly the cells of different segments", "[report]") {
  HeatmapData data = rf_heatmap();
  data.segments = std::vector<std::vector<int>>(5, std::vector<int>(5, 0));
  data.segment_names = {"Everyone"};
  CHECK(count(heatmap(data), "class=\"boundary\"") == 0);

  // Left two columns one segment, the rest another: one vertical boundary of five cell edges.
  for (auto& row : data.segments) row = {0, 0, 1, 1, 1};
  data.segment_names = {"Left", "Right"};
  const std::string svg = heatmap(data);
  CHECK(count(svg, "class=\"boundary\"") == 1);
  const std::size_t d = svg.find("d=\"", svg.find("class=\"boundary\""));
  const std::string path = svg.substr(d, svg.find('"', d + 3) - d);
  CHECK(count(path, "M") == 5);
  CHECK(count(svg, "class=\"segment-tag\"") == 2);
}

TEST_CASE("a P(alive) heatmap with a fixed colour domain and missing cells", "[report]") {
  HeatmapData data;
  data.title = "P(alive) by frequency and recency";
  data.column_label = "Recency t_x (weeks)";
  data.row_label = "Frequency x (repeat purchases)";
  data.value_label = "P(alive)";
  data.colour_min = 0.0;
  data.colour_max = 1.0;
  data.value_decimals = 2;
  for (int x = 0; x < 8; ++x) data.row_labels.push_back(std::to_string(x));
  for (int t = 0; t < 12; ++t) data.column_labels.push_back(std::to_string(t * 6));
  for (int x = 0; x < 8; ++x) {
    std::vector<double> row;
    for (int t = 0; t < 12; ++t) {
      // x = 0 implies t_x = 0: the other cells of that row are impossible.
      row.push_back(x == 0 && t > 0 ? nan_value : 1.0 / (1.0 + x * std::exp(-0.08 * t * 6)));
    }
    data.values.push_back(row);
  }
  const std::string svg = heatmap(data);
  check_chart(svg, "heatmap");
  CHECK(count(svg, "class=\"cell\"") == 96);
  CHECK(count(svg, "data-missing=\"true\"") == 11);
  CHECK(contains(svg, ">no data</text>"));
  CHECK(contains(svg, ">0.2</text>"));  // colour legend ticks on 0..1
  CHECK(contains(svg, ">1</text>"));
  CHECK_FALSE(contains(svg, "class=\"boundary\""));
}

TEST_CASE("a large heatmap drops cell labels and thins axis labels", "[report]") {
  HeatmapData data;
  data.title = "Expected purchases";
  data.column_label = "Recency (weeks)";
  data.row_label = "Frequency";
  data.value_label = "Expected purchases (next 52 weeks)";
  data.value_decimals = 2;
  for (int r = 0; r < 40; ++r) data.row_labels.push_back(std::to_string(r));
  for (int c = 0; c < 60; ++c) data.column_labels.push_back(std::to_string(c));
  for (int r = 0; r < 40; ++r) {
    std::vector<double> row;
    for (int c = 0; c < 60; ++c) row.push_back(r * 0.37 + c * 0.011);
    data.values.push_back(row);
  }
  const std::string svg = heatmap(data);
  check_chart(svg, "heatmap");
  CHECK(count(svg, "class=\"cell\"") == 2400);
  CHECK(count(svg, "class=\"cell-label\"") == 0);
  CHECK(count(svg, "class=\"tick-label\"") < 100);
}

TEST_CASE("bin_values makes round linear bins that hold every value", "[report]") {
  const std::vector<double> values = {0, 0.5, 1, 1.5, 2, 9.99, 10, 3.3, 3.3, 7};
  const Bins bins = bin_values(values, 5);
  CHECK(bins.edges == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(bins.counts == std::vector<double>{4, 3, 0, 1, 2});
  CHECK(bins.skipped == 0);

  const Bins tenths = bin_values(std::vector<double>{0.1, 0.2, 0.3, 0.7}, 6);
  CHECK(tenths.edges == std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7});
  CHECK(tenths.counts == std::vector<double>{1, 1, 1, 0, 0, 1});  // 0.3 in [0.3, 0.4)

  const Bins same = bin_values(std::vector<double>{4, 4, 4}, 10);
  double total = 0;
  for (double c : same.counts) total += c;
  CHECK(total == 3);
  CHECK(same.edges.front() <= 4);
  CHECK(same.edges.back() >= 4);
  CHECK(bin_values(std::vector<double>{}, 5).edges.empty());
}

TEST_CASE("bin_values log bins skip values <= 0 and span the positive ones", "[report]") {
  const std::vector<double> values = {-5, 0, 1, 10, 100, 1000, 1000};
  const Bins bins = bin_values(values, 3, BinScale::log);
  CHECK(bins.skipped == 2);
  REQUIRE(bins.edges.size() == 4);
  CHECK(bins.edges.front() == 1);
  CHECK(bins.edges[1] == Approx(10));
  CHECK(bins.edges.back() == 1000);
  CHECK(bins.counts == std::vector<double>{1, 1, 3});
  CHECK(bin_values(std::vector<double>{-1, 0}, 4, BinScale::log).edges.empty());
}

TEST_CASE("bin_values rejects non-finite values and bad bin counts", "[report][inputcheck]") {
  CHECK_THROWS_WITH(bin_values(std::vector<double>{1, nan_value}, 5),
                    Catch::Contains("value 1 is NaN"));
  CHECK_THROWS_AS(bin_values(std::vector<double>{inf_value}, 5, BinScale::log), UsageError);
  CHECK_THROWS_WITH(bin_values(std::vector<double>{1}, 0), Catch::Contains("bin count is 0"));
}

TEST_CASE("a histogram has one bar per bin, a log axis and its note", "[report]") {
  const HistogramData data = clv_histogram();
  const std::string svg = histogram(data);
  check_chart(svg, "histogram");
  CHECK(count(svg, "class=\"bar\"") == 20);
  CHECK(contains(svg, "class=\"note\""));
  CHECK(contains(svg, "1 customers with CLV &lt;= 0 not shown"));
  CHECK(contains(svg, ">10,000</text>"));  // log ticks
  CHECK(contains(svg, "log scale"));

  HistogramData linear;
  linear.title = "Order values";
  linear.x_label = "Order value (EUR)";
  linear.y_label = "Orders";
  const std::vector<double> values = {3, 7, 12, 15, 18, 22, 25, 29, 33, 41, 55, 80};
  const Bins bins = bin_values(values, 8);
  linear.edges = bins.edges;
  linear.counts = bins.counts;
  const std::string plain = histogram(linear);
  check_chart(plain, "histogram");
  CHECK(count(plain, "class=\"bar\"") == bins.counts.size());
  CHECK_FALSE(contains(plain, "class=\"note\""));
}

TEST_CASE("an interval chart has a point and an error bar per row and a legend", "[report]") {
  const std::string svg = interval_chart(segment_forecast());
  check_chart(svg, "interval");
  CHECK(count(svg, "class=\"point\"") == 4);
  CHECK(count(svg, "class=\"interval\"") == 4);
  CHECK(count(svg, "class=\"legend-item\"") == 2);
  CHECK(contains(svg, ">90% interval</text>"));
  CHECK(contains(svg, ">Estimate</text>"));
  CHECK(contains(svg, "<title>Lost: 15.2 (90% interval 9.8 to 21.9)</title>"));
  CHECK(svg.find(">Champions</text>") < svg.find(">Lost</text>"));
}

// ---- Determinism and edge cases ------------------------------------------------------------

TEST_CASE("charts are deterministic: the same data gives the same bytes", "[report]") {
  CHECK(bar_chart(segment_sizes()) == bar_chart(segment_sizes()));
  CHECK(bar_chart(calibration_fit()) == bar_chart(calibration_fit()));
  CHECK(line_chart(tracking()) == line_chart(tracking()));
  CHECK(heatmap(rf_heatmap()) == heatmap(rf_heatmap()));
  CHECK(histogram(clv_histogram()) == histogram(clv_histogram()));
  CHECK(interval_chart(segment_forecast()) == interval_chart(segment_forecast()));
}

TEST_CASE("empty input gives a valid chart with a no-data note", "[report]") {
  BarChartData bar = segment_sizes();
  bar.categories.clear();
  bar.series[0].values.clear();
  LineChartData no_series = tracking();
  no_series.series.clear();
  LineChartData empty_series = tracking();
  for (LineSeries& s : empty_series.series) {
    s.x.clear();
    s.y.clear();
  }
  HeatmapData map = rf_heatmap();
  map.row_labels.clear();
  map.values.clear();
  map.segments.clear();
  HistogramData hist = clv_histogram();
  hist.edges.clear();
  hist.counts.clear();
  IntervalChartData intervals = segment_forecast();
  intervals.rows.clear();
  BarChartData no_bar_series = segment_sizes();
  no_bar_series.series.clear();

  const std::vector<std::pair<std::string, std::string>> charts = {
      {bar_chart(bar), "bar"},
      {bar_chart(no_bar_series), "bar"},
      {line_chart(no_series), "line"},
      {line_chart(empty_series), "line"},
      {heatmap(map), "heatmap"},
      {histogram(hist), "histogram"},
      {interval_chart(intervals), "interval"}};
  for (const auto& [svg, kind] : charts) {
    check_chart(svg, kind);
    CHECK(contains(svg, "class=\"no-data\""));
    CHECK(contains(svg, ">No data</text>"));
  }
}

TEST_CASE("all-zero data gives valid charts with a 0..1 axis", "[report]") {
  BarChartData bar = segment_sizes();
  bar.series[0].values.assign(11, 0.0);
  const std::string bars = bar_chart(bar);
  check_chart(bars, "bar");
  CHECK(count(bars, "class=\"bar\"") == 11);
  CHECK(contains(bars, ">0.2</text>"));

  HeatmapData map = rf_heatmap();
  for (auto& row : map.values) row.assign(5, 0.0);
  const std::string cells = heatmap(map);
  check_chart(cells, "heatmap");
  CHECK(count(cells, "class=\"cell\"") == 25);

  HistogramData hist;
  hist.title = "Nothing bought";
  hist.x_label = "Spend (EUR)";
  hist.y_label = "Customers";
  hist.edges = {0, 10, 20};
  hist.counts = {0, 0};
  check_chart(histogram(hist), "histogram");

  LineChartData flat = tracking();
  for (LineSeries& s : flat.series) s.y.assign(s.x.size(), 0.0);
  check_chart(line_chart(flat), "line");
}

TEST_CASE("single category, single point and single cell charts are valid", "[report]") {
  BarChartData bar = segment_sizes();
  bar.categories = {"Everyone"};
  bar.series[0].values = {42};
  const std::string bars = bar_chart(bar);
  check_chart(bars, "bar");
  CHECK(count(bars, "class=\"bar\"") == 1);

  LineChartData line;
  line.title = "One week";
  line.x_label = "Week";
  line.y_label = "Purchases";
  line.series = {{"Actual", {3}, {12}}};
  const std::string lines = line_chart(line);
  check_chart(lines, "line");
  CHECK(count(lines, "class=\"point\"") == 1);  // a lone point is still visible

  HeatmapData map;
  map.title = "One cell";
  map.row_labels = {"R5"};
  map.column_labels = {"F5"};
  map.values = {{7}};
  const std::string cell = heatmap(map);
  check_chart(cell, "heatmap");
  CHECK(count(cell, "class=\"cell\"") == 1);

  IntervalChartData intervals = segment_forecast();
  intervals.rows.resize(1);
  check_chart(interval_chart(intervals), "interval");
}

// ---- Input checks ------------------------------------------------------------------------

TEST_CASE("non-finite values are refused with a message naming where", "[report][inputcheck]") {
  BarChartData bar = segment_sizes();
  bar.series[0].values[3] = nan_value;
  CHECK_THROWS_AS(bar_chart(bar), UsageError);
  CHECK_THROWS_WITH(bar_chart(bar), Catch::Contains("'Customers per segment'") &&
                                        Catch::Contains("category 'New Customers'") &&
                                        Catch::Contains("NaN"));

  LineChartData line = tracking();
  line.series[1].y[5] = inf_value;
  CHECK_THROWS_WITH(line_chart(line), Catch::Contains("series 'BG/NBD', y[5] is inf"));
  line = tracking();
  line.reference_lines[0].x = nan_value;
  CHECK_THROWS_WITH(line_chart(line), Catch::Contains("'End of calibration'"));

  HeatmapData map = rf_heatmap();
  map.values[1][2] = -inf_value;
  CHECK_THROWS_WITH(heatmap(map),
                    Catch::Contains("row '4', column '3'") && Catch::Contains("-inf"));

  HistogramData hist = clv_histogram();
  hist.counts[2] = nan_value;
  CHECK_THROWS_WITH(histogram(hist), Catch::Contains("count 2 is NaN"));

  IntervalChartData intervals = segment_forecast();
  intervals.rows[2].high = nan_value;
  CHECK_THROWS_WITH(interval_chart(intervals), Catch::Contains("row 'At Risk'"));
}

TEST_CASE("inconsistent chart data is refused", "[report][inputcheck]") {
  BarChartData bar = calibration_fit();
  bar.series[1].values.pop_back();
  CHECK_THROWS_WITH(bar_chart(bar), Catch::Contains("series 'BG/NBD' has 7 values for 8"));

  LineChartData line = tracking();
  line.series[0].y.pop_back();
  CHECK_THROWS_WITH(line_chart(line), Catch::Contains("78 x values but 77 y values"));

  HeatmapData map = rf_heatmap();
  map.values[4].pop_back();
  CHECK_THROWS_WITH(heatmap(map), Catch::Contains("row 4"));
  map = rf_heatmap();
  map.segments[0][0] = 7;
  CHECK_THROWS_WITH(heatmap(map), Catch::Contains("segment index 7"));
  map = rf_heatmap();
  map.colour_min = 5;
  map.colour_max = 1;
  CHECK_THROWS_WITH(heatmap(map), Catch::Contains("colour_min 5 is greater than colour_max 1"));

  HistogramData hist = clv_histogram();
  hist.edges[3] = hist.edges[2];
  CHECK_THROWS_WITH(histogram(hist), Catch::Contains("edge 3"));
  hist = clv_histogram();
  hist.counts.pop_back();
  CHECK_THROWS_WITH(histogram(hist), Catch::Contains("one more edge than counts"));
  hist = clv_histogram();
  hist.edges.front() = 0;
  CHECK_THROWS_WITH(histogram(hist), Catch::Contains("log x axis"));
  hist = clv_histogram();
  hist.counts[0] = -1;
  CHECK_THROWS_WITH(histogram(hist), Catch::Contains("must not be negative"));

  IntervalChartData intervals = segment_forecast();
  intervals.rows[1].low = 500;
  CHECK_THROWS_WITH(interval_chart(intervals),
                    Catch::Contains("row 'Loyal'") && Catch::Contains("low <= estimate <= high"));
}

TEST_CASE("charts need a title and a sensible size", "[report][inputcheck]") {
  BarChartData bar = segment_sizes();
  bar.title.clear();
  CHECK_THROWS_WITH(bar_chart(bar), Catch::Contains("title is empty"));
  bar = segment_sizes();
  bar.width = 100;
  CHECK_THROWS_WITH(bar_chart(bar), Catch::Contains("width is 100"));
  LineChartData line = tracking();
  line.height = 50;
  CHECK_THROWS_WITH(line_chart(line), Catch::Contains("height is 50"));
  HeatmapData map = rf_heatmap();
  map.title.clear();
  CHECK_THROWS_AS(heatmap(map), UsageError);
}

TEST_CASE("charts use the requested size and a laptop-friendly default", "[report]") {
  const std::string svg = bar_chart(segment_sizes());
  CHECK(contains(svg, "width=\"720\""));
  CHECK(contains(svg, "viewBox=\"0 0 720 400\""));
  CHECK(contains(svg, "sans-serif"));
  CHECK(contains(svg, "font-size=\"12\""));
  LineChartData line = tracking();
  line.width = 960;
  line.height = 480;
  CHECK(contains(line_chart(line), "viewBox=\"0 0 960 480\""));
}

TEST_CASE("a flow diagram has a band per non-zero flow and a node per group with flow",
          "[report]") {
  FlowDiagramData data;
  data.title = "Where the customers went";
  data.left_label = "1998-03-31";
  data.right_label = "1998-06-30";
  data.left_nodes = {"New customers", "Champions", "At Risk"};
  data.right_nodes = {"Champions", "At Risk", "Lost"};
  data.flows = {{0, 0, 0}, {40, 8, 0}, {2, 30, 10}};
  const std::string svg = flow_diagram(data);
  check_chart(svg, "flow");
  CHECK(count(svg, "class=\"flow\"") == 5);
  CHECK(count(svg, "class=\"node\"") == 5);  // 'New customers' had nobody: no node
  CHECK(contains(svg, "Champions → At Risk: 8 customers"));
  CHECK(contains(svg, ">Champions (48)</text>"));  // out of the left node
  CHECK(contains(svg, ">Champions (42)</text>"));  // into the right node
  CHECK(contains(svg, "data-value=\"30\""));
  CHECK(flow_diagram(data) == svg);
  data.flows[2][1] = -1;
  CHECK_THROWS_WITH(flow_diagram(data), Catch::Matchers::Contains("flow [2][1] is negative"));
  data.flows[2][1] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(flow_diagram(data), clvkit::UsageError);
  data.flows.pop_back();
  CHECK_THROWS_WITH(flow_diagram(data), Catch::Matchers::Contains("2 rows of flows for 3"));
  data.flows = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
  CHECK(contains(flow_diagram(data), "class=\"no-data\""));
}
