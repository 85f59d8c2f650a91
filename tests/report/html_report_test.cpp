// The HTML report as a document: well-formed, every figure present with its chart and caption,
// self-contained (no scripts, no network references), user text escaped, deterministic bytes;
// and `clvkit report` end to end on the bundled CDNOW log.

#include "clvkit/report/html_report.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "../cli/cli_runner.hpp"
#include "../support/matchers.hpp"
#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/bgnbd_model.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/models/gamma_gamma_model.hpp"
#include "clvkit/rfm/segments.hpp"

namespace {

using Catch::Matchers::Contains;
using clvkit::test::What;
using namespace clvkit;
using namespace clvkit::report;

// ---- A small HTML structure checker -------------------------------------------------------
//
// Checks what the report promises about its markup: a doctype, then elements with balanced tags
// (void elements such as <meta> unclosed, SVG elements may self-close with />), attributes
// written name="value" without duplicates, no raw < in text or attribute values, & only as the
// start of a named or numeric character reference, and the contents of <style> free of "</".
// Comments, CDATA and processing instructions are refused (the report writes none). Returns ""
// when the document passes, else the first fault and its byte offset.

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == ':' || c == '.';
}

bool void_element(std::string_view tag) {
  return tag == "meta" || tag == "br" || tag == "hr" || tag == "img" || tag == "input" ||
         tag == "link" || tag == "col" || tag == "wbr";
}

// Character data or an attribute value: no raw '<', '&' only as a reference.
std::string check_text(std::string_view text, std::size_t offset) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') return "raw '<' at " + std::to_string(offset + i);
    if (text[i] != '&') continue;
    std::size_t j = i + 1;
    if (j < text.size() && text[j] == '#') ++j;
    const std::size_t start = j;
    while (j < text.size() && name_char(text[j])) ++j;
    if (j == start || j >= text.size() || text[j] != ';') {
      return "bare '&' at " + std::to_string(offset + i);
    }
  }
  return "";
}

std::string check_html(std::string_view html) {
  const std::string_view doctype = "<!DOCTYPE html>";
  if (html.substr(0, doctype.size()) != doctype) return "no <!DOCTYPE html> at the start";
  std::vector<std::string> open;
  std::size_t i = doctype.size();
  bool seen_root = false;
  while (i < html.size()) {
    const std::size_t lt = html.find('<', i);
    const std::size_t text_end = lt == std::string_view::npos ? html.size() : lt;
    if (std::string e = check_text(html.substr(i, text_end - i), i); !e.empty()) return e;
    if (lt == std::string_view::npos) break;
    if (open.empty() && seen_root) return "content after the root element at " + std::to_string(lt);
    std::size_t j = lt + 1;
    const bool closing = j < html.size() && html[j] == '/';
    if (closing) ++j;
    const std::size_t name_start = j;
    while (j < html.size() && name_char(html[j])) ++j;
    const std::string tag(html.substr(name_start, j - name_start));
    if (tag.empty()) return "'<' without a tag name at " + std::to_string(lt);
    if (closing) {
      if (j >= html.size() || html[j] != '>') return "malformed end tag at " + std::to_string(lt);
      if (open.empty() || open.back() != tag) {
        return "</" + tag + "> at " + std::to_string(lt) + " closes " +
               (open.empty() ? std::string("nothing") : "<" + open.back() + ">");
      }
      open.pop_back();
      i = j + 1;
      continue;
    }
    if (open.empty() && tag != "html") return "root element is <" + tag + ">, not <html>";
    seen_root = true;
    std::vector<std::string> names;
    bool self_closing = false;
    while (true) {
      while (j < html.size() && html[j] == ' ') ++j;
      if (j >= html.size()) return "unterminated tag <" + tag + ">";
      if (html[j] == '>') break;
      if (html.substr(j, 2) == "/>") {
        self_closing = true;
        ++j;
        break;
      }
      const std::size_t attribute_start = j;
      while (j < html.size() && name_char(html[j])) ++j;
      const std::string attribute(html.substr(attribute_start, j - attribute_start));
      if (attribute.empty()) return "malformed attribute in <" + tag + "> at " + std::to_string(j);
      if (std::find(names.begin(), names.end(), attribute) != names.end()) {
        return "duplicate attribute " + attribute + " in <" + tag + "> at " + std::to_string(j);
      }
      names.push_back(attribute);
      if (html.substr(j, 2) != "=\"") {
        return "attribute " + attribute + " of <" + tag + "> is not name=\"value\" at " +
               std::to_string(j);
      }
      const std::size_t value_start = j + 2;
      const std::size_t value_end = html.find('"', value_start);
      if (value_end == std::string_view::npos) return "unterminated attribute " + attribute;
      if (std::string e =
              check_text(html.substr(value_start, value_end - value_start), value_start);
          !e.empty()) {
        return "attribute " + attribute + ": " + e;
      }
      j = value_end + 1;
    }
    i = j + 1;
    if (self_closing || void_element(tag)) continue;
    if (tag == "style") {
      const std::size_t end = html.find("</", i);
      if (end == std::string_view::npos || html.substr(end, 8) != "</style>") {
        return "<style> does not end with </style>";
      }
      i = end + 8;
      continue;
    }
    open.push_back(tag);
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return seen_root ? "" : "no root element";
}

std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The <figure data-figure="NAME"> ... </figure> element, or "" when there is none.
std::string figure_of(const std::string& html, const std::string& name) {
  const std::size_t attribute = html.find("data-figure=\"" + name + "\"");
  if (attribute == std::string::npos) return "";
  const std::size_t start = html.rfind("<figure", attribute);
  const std::size_t end = html.find("</figure>", attribute);
  return html.substr(start, end + 9 - start);
}

// ---- A small customer base with fixed model parameters ------------------------------------

// Fixed parameters near FHL 2005's CDNOW calibration estimates, in weeks: the report is about
// presentation, so nothing here depends on a fit converging.
FitSummary fit_summary(const char* model, const std::vector<std::pair<const char*, double>>& ps) {
  FitSummary s;
  s.model = model;
  s.termination = FitTermination::converged;
  s.message = "converged";
  s.iterations = 20;
  s.function_evaluations = 25;
  s.starts_tried = 1;
  s.best_start = 1;
  s.log_likelihood = -9582.43;
  s.gradient_norm = 2.7e-5;
  s.aic = 19172.9;
  s.bic = 19195.9;
  s.n_observations = 120;
  for (const auto& [name, value] : ps) {
    s.parameters.push_back({name, value, 0.1 * value, 0.8 * value, 1.2 * value});
  }
  s.standard_errors_available = true;
  return s;
}

struct Fixture {
  explicit Fixture(SegmentScheme s, std::size_t n = 120) : scheme(std::move(s)) {
    const Day first = days_from_civil(1997, 1, 1);
    const Day as_of = days_from_civil(1998, 6, 30);
    for (std::size_t i = 0; i < n; ++i) {
      CustomerSummary c;
      c.id = std::to_string(1001 + i);
      c.first_purchase = first + static_cast<Day>((i % 12) * 7);
      c.T = as_of - c.first_purchase;
      c.frequency = static_cast<std::int64_t>(i % 21);
      c.purchase_days = c.frequency + 1;
      const std::int32_t earliest = static_cast<std::int32_t>(c.frequency) * 7;
      c.recency = c.frequency == 0
                      ? 0
                      : earliest + static_cast<std::int32_t>((i * 37) % (c.T - earliest + 1));
      c.last_purchase = c.first_purchase + c.recency;
      c.days_since_last = c.T - c.recency;
      const double spend = 20.0 + static_cast<double>(i % 7) * 5.0;
      c.total_spend = spend * static_cast<double>(c.purchase_days);
      c.monetary = c.frequency > 0 ? spend : 0.0;
      c.avg_spend = spend;
      customers.push_back(c);
    }
    scores = score_customers(customers, scheme);
    for (const RfmScore& score : scores) segment.push_back(scheme.segment_of(score));
    models.time_unit = TimeUnit::week;
    models.purchase.model =
        std::make_shared<BgNbdModel>(BgNbdParams{0.2426, 4.4136, 0.7929, 2.4259});
    models.purchase.summary =
        fit_summary("bgnbd", {{"r", 0.2426}, {"alpha", 4.4136}, {"a", 0.7929}, {"b", 2.4259}});
    models.spend.model = std::make_shared<GammaGammaModel>(GammaGammaParams{6.25, 3.74, 15.44});
    models.spend.summary = fit_summary("gamma_gamma", {{"p", 6.25}, {"q", 3.74}, {"gamma", 15.44}});
    models.spend.customers_used = 100;
    models.spend.frequency_spend_correlation = 0.11;
    predictions = predict_customer_value(customers, TimeUnit::week, *models.purchase.model,
                                         *models.spend.model, value);
    summary = summarize_segments(customers, scores, segment, scheme, predictions);
    std::vector<ForecastCustomer> future;
    for (std::size_t i = 0; i < customers.size(); ++i) {
      const CustomerSummary& c = customers[i];
      future.push_back(
          {static_cast<double>(c.frequency), c.recency / 7.0, c.T / 7.0, c.monetary, segment[i]});
    }
    ForecastOptions options;
    options.horizon = value.horizon_days / 7.0;
    options.draws = 200;
    forecast = forecast_groups(future, static_cast<int>(scheme.segments().size()),
                               *models.purchase.model, *models.spend.model, options);
  }

  ReportData data() const {
    ReportData d;
    d.metadata.source = "orders.csv";
    d.metadata.version = "9.9.9";
    d.metadata.currency = "EUR";
    d.metadata.first_day = days_from_civil(1997, 1, 1);
    d.metadata.last_day = days_from_civil(1998, 6, 30);
    d.metadata.as_of = d.metadata.last_day;
    d.metadata.rows.rows_read = 500;
    d.metadata.rows.rows_used = 500;
    d.scheme = &scheme;
    d.summary = summary;
    d.customers = customers;
    d.scores = scores;
    d.segment = segment;
    d.models = models;
    d.value = value;
    d.predictions = predictions;
    d.calibration_fit = {{"0", 40, 38.5}, {"1", 20, 22.1}, {"2+", 60, 59.4}};
    d.forecast = forecast;
    d.forecast_draws = 200;
    d.forecast_seed = 1;
    d.top_customers = 10;
    return d;
  }

  SegmentScheme scheme;
  std::vector<CustomerSummary> customers;
  std::vector<RfmScore> scores;
  std::vector<int> segment;
  FittedModels models;
  ValueOptions value;
  std::vector<CustomerPrediction> predictions;
  SegmentSummary summary;
  ForecastResult forecast;
};

ValidationResult validation_of(const FittedModels& models) {
  ValidationResult v;
  v.models = models;
  v.calibration_end = days_from_civil(1997, 9, 30);
  v.holdout_end = days_from_civil(1998, 6, 30);
  v.holdout_length = 39.0;
  v.customers = 120;
  v.actual_purchases = 180;
  v.predicted_purchases = 165.3;
  v.purchases_error_pct = -8.2;
  v.actual_revenue = 7000;
  v.predicted_revenue = 6500;
  v.revenue_error_pct = -7.1;
  v.purchase_errors = {0.8, 1.6, 0.62};
  v.revenue_errors = {30.4, 72.3, 0.56};
  for (int k = 0; k < 8; ++k) {
    ComparisonRow row;
    row.label = k == 7 ? "7+" : std::to_string(k);
    row.customers = 10 + k;
    row.actual_purchases = 0.25 + 0.8 * k;
    row.predicted_purchases = 0.22 + 0.75 * k;
    v.by_frequency.push_back(row);
  }
  v.by_segment.push_back({"Champions", 30, 3.3, 3.1, 120.0, 110.0, {}});
  const Day cohort = days_from_civil(1997, 1, 1);
  double actual = 0, predicted = 0;
  for (int k = 1; k <= 78; ++k) {
    TrackingPoint p;
    p.time = k;
    p.day = cohort + 7 * k - 1;
    p.actual_incremental = 40 + (k % 5);
    p.predicted_incremental = 42;
    actual += p.actual_incremental;
    predicted += p.predicted_incremental;
    p.actual_cumulative = actual;
    p.predicted_cumulative = predicted;
    v.tracking.push_back(p);
  }
  v.calibration_fit = {{"0", 50, 48.5}, {"1", 30, 31.0}, {"7+", 40, 40.5}};
  return v;
}

const Fixture& rfm11_fixture() {
  static const Fixture fixture(load_segment_scheme("rfm11"));
  return fixture;
}

}  // namespace

TEST_CASE("HTML report is one well-formed document with every figure, chart and caption",
          "[report][html]") {
  const Fixture& fixture = rfm11_fixture();
  ReportData data = fixture.data();
  const bool validated = GENERATE(false, true);
  CAPTURE(validated);
  if (validated) data.validation = validation_of(fixture.models);
  const std::string html = render_html_report(data);

  CHECK(check_html(html) == "");
  const std::vector<std::string> names = report_figure_names(data);
  CHECK(names.size() == (validated ? 12u : 9u));
  CHECK(count_of(html, "<figure") == names.size());
  CHECK(count_of(html, "<svg data-chart=") == names.size());
  for (const std::string& name : names) {
    CAPTURE(name);
    CHECK(count_of(html, "data-figure=\"" + name + "\"") == 1);
    const std::string figure = figure_of(html, name);
    REQUIRE_FALSE(figure.empty());
    CHECK(count_of(figure, "<svg data-chart=") == 1);
    CHECK(figure.find("class=\"no-data\"") == std::string::npos);
    const std::size_t caption = figure.find("<figcaption>");
    REQUIRE(caption != std::string::npos);
    CHECK(figure.find("</figcaption>") - caption > 80);  // says how to read the chart
  }
  const bool has_tracking = html.find("data-figure=\"tracking-cumulative\"") != std::string::npos;
  CHECK(has_tracking == validated);
  CHECK((html.find("--calibration-end") != std::string::npos) == !validated);
  // The holdout sections name their period.
  if (validated) CHECK_THAT(html, Contains("1997-10-01 to 1998-06-30"));
}

TEST_CASE("HTML report without a forecast leaves out the forecast figures", "[report][html]") {
  ReportData data = rfm11_fixture().data();
  data.forecast.reset();
  const std::string html = render_html_report(data);
  CHECK(check_html(html) == "");
  const std::vector<std::string> names = report_figure_names(data);
  CHECK(std::find(names.begin(), names.end(), "forecast-revenue") == names.end());
  CHECK(count_of(html, "<svg data-chart=") == names.size());
  CHECK(html.find("90% prediction interval") == std::string::npos);
}

TEST_CASE("HTML report has no scripts and refers to nothing outside itself", "[report][html]") {
  const Fixture& fixture = rfm11_fixture();
  ReportData data = fixture.data();
  data.validation = validation_of(fixture.models);
  const std::string html = render_html_report(data);
  for (const char* forbidden :
       {"http", "<script", "<link", "<img", "<iframe", "<object", "<embed", "src=", "url(",
        "@import", "xlink:href", "onload", "onclick", "javascript:"}) {
    CAPTURE(forbidden);
    CHECK(html.find(forbidden) == std::string::npos);
  }
  // Links only to places in the page, each of which exists.
  for (std::size_t at = html.find("href=\""); at != std::string::npos;
       at = html.find("href=\"", at + 1)) {
    REQUIRE(html[at + 6] == '#');
    const std::string target = html.substr(at + 7, html.find('"', at + 7) - at - 7);
    CAPTURE(target);
    CHECK(html.find("id=\"" + target + "\"") != std::string::npos);
  }
}

TEST_CASE("HTML report escapes customer ids, segment names and labels", "[report][html]") {
  const std::string scheme_json = R"({
    "name": "hostile <scheme>",
    "description": "Segment names written to break HTML.",
    "bins": 2,
    "scoring": {"method": "quantile", "monetary_basis": "total"},
    "segments": [
      {"name": "<script>alert('seg')</script>", "description": "\"Quoted\" & <b>bold</b>.",
       "rules": [{"r": [2, 2]}]},
      {"name": "Rest & 'others'", "description": "Everyone else </figure>.", "rules": [{}]}
    ]})";
  Fixture fixture(parse_segment_scheme(scheme_json, "hostile.json"), 60);
  // The customer with the largest value at risk gets a hostile id, so it is on the call list.
  const auto top = std::max_element(
      fixture.predictions.begin(), fixture.predictions.end(),
      [](const auto& a, const auto& b) { return a.value_at_risk < b.value_at_risk; });
  fixture.customers[static_cast<std::size_t>(top - fixture.predictions.begin())].id =
      "<script>alert(\"id\")</script>&amp;\"'";
  ReportData data = fixture.data();
  data.metadata.title = "Q3 <report> & \"friends\"";
  data.metadata.source = "/data/<orders>.csv";
  data.metadata.currency = "<€>";
  const std::string html = render_html_report(data);

  CHECK(check_html(html) == "");
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<b>bold") == std::string::npos);
  CHECK(html.find("<report>") == std::string::npos);
  CHECK(html.find("<orders>") == std::string::npos);
  CHECK(html.find("<€>") == std::string::npos);
  CHECK_THAT(
      html,
      Contains("<td class=\"id\">&lt;script&gt;alert(\"id\")&lt;/script&gt;&amp;amp;\"'</td>"));
  CHECK_THAT(html, Contains("&lt;script&gt;alert("));
  CHECK_THAT(html, Contains("Q3 &lt;report&gt; &amp;"));
  CHECK_THAT(html, Contains("(&lt;€&gt;)"));
  CHECK(count_of(html, "</figure>") == count_of(html, "<figure"));
}

TEST_CASE("HTML report: the same data gives the same bytes", "[report][html][consistency]") {
  const Fixture& fixture = rfm11_fixture();
  ReportData data = fixture.data();
  data.validation = validation_of(fixture.models);
  const std::string first = render_html_report(data);
  const ReportData copy = data;
  CHECK(render_html_report(copy) == first);
  CHECK(render_html_report(data) == first);
}

TEST_CASE("HTML report grids grey out impossible histories and list the call list in order",
          "[report][html]") {
  const Fixture& fixture = rfm11_fixture();
  const ReportData data = fixture.data();
  const std::string html = render_html_report(data);

  // Frequencies 0..20: the grid's columns are x = 0..14 (the 99th percentile, capped at 14), the
  // rows t_x = T, 0.9 T, ..., 0. Impossible: x = 0 with t_x > 0 (10 cells) and x > 0 with
  // t_x = 0 (14 cells); at T of about 70 weeks every other t_x >= 7 weeks leaves room for 14
  // purchase days.
  for (const char* name : {"p-alive-matrix", "expected-purchases-matrix"}) {
    CAPTURE(name);
    const std::string figure = figure_of(html, name);
    CHECK(count_of(figure, "class=\"cell\"") == 11u * 15u);
    CHECK(count_of(figure, "data-missing=\"true\"") == 24u);
  }
  const std::string alive = figure_of(html, "p-alive-matrix");
  // x = 0 at t_x = 0 is the one possible cell of its column: P(alive) = 1 (FHL 2005).
  CHECK_THAT(alive, Contains("data-value=\"1\""));

  // Call list: top_customers rows, by value at risk, largest first.
  CHECK(count_of(html, "<td class=\"id\">") == 10u);
  std::size_t best = 0;
  for (std::size_t i = 1; i < fixture.predictions.size(); ++i) {
    if (fixture.predictions[i].value_at_risk > fixture.predictions[best].value_at_risk) best = i;
  }
  const std::size_t first_row = html.find("<td class=\"id\">");
  CHECK(html.compare(first_row + 15, fixture.customers[best].id.size() + 5,
                     fixture.customers[best].id + "</td>") == 0);
}

TEST_CASE("HTML report refuses inconsistent data, naming the fault", "[report][html][inputcheck]") {
  const Fixture& fixture = rfm11_fixture();
  ReportData data = fixture.data();
  SECTION("no scheme") {
    data.scheme = nullptr;
    CHECK_THROWS_MATCHES(render_html_report(data), UsageError, What(Contains("scheme")));
  }
  SECTION("spans of different lengths") {
    data.predictions = data.predictions.first(5);
    CHECK_THROWS_MATCHES(render_html_report(data), UsageError, What(Contains("5 predictions")));
  }
  SECTION("no customers") {
    data.customers = {};
    data.scores = {};
    data.segment = {};
    data.predictions = {};
    CHECK_THROWS_MATCHES(render_html_report(data), UsageError, What(Contains("no customers")));
  }
  SECTION("a segment index out of range") {
    std::vector<int> segment(fixture.segment);
    segment[3] = 99;
    data.segment = segment;
    CHECK_THROWS_MATCHES(render_html_report(data), UsageError,
                         What(Contains("'1004' has segment index 99")));
  }
  SECTION("an empty call list") {
    data.top_customers = 0;
    CHECK_THROWS_MATCHES(render_html_report(data), UsageError, What(Contains("call list")));
  }
}

TEST_CASE("clvkit report writes a self-contained report for CDNOW, the same bytes every time",
          "[report][cli]") {
  clvkit::test::TempDir dir;
  const std::string first = dir.file("first.html");
  const std::string second = dir.file("second.html");
  const auto a = clvkit::test::run_cli(
      "report data/cdnow.csv --calibration-end 1997-09-30 --currency USD --forecast-draws 300 -o " +
          first,
      dir);
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  const auto b = clvkit::test::run_cli(
      "report data/cdnow.csv --calibration-end 1997-09-30 --currency USD --forecast-draws 300 "
      "--threads 2 -o " +
          second,
      dir);
  REQUIRE(b.exit_code == 0);
  const std::string html = clvkit::test::read_text(first);
  CHECK(html == clvkit::test::read_text(second));
  CHECK(check_html(html) == "");
  CHECK(html.find("http") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  for (const char* name :
       {"segment-sizes", "rf-heatmap", "p-alive-matrix", "expected-purchases-matrix",
        "calibration-fit", "tracking-cumulative", "tracking-weekly", "conditional-expectation",
        "clv-distribution", "segment-value", "forecast-revenue", "forecast-purchases"}) {
    CAPTURE(name);
    CHECK(count_of(figure_of(html, name), "<svg data-chart=") == 1);
  }
  CHECK_THAT(html, Contains("2,357"));                     // customers
  CHECK_THAT(html, Contains("1997-10-01 to 1998-06-30"));  // the holdout
  CHECK(count_of(html, "<td class=\"id\">") == 25u);       // default call list
}

TEST_CASE("clvkit report without a holdout shows the calibration fit and says how to add one",
          "[report][cli]") {
  clvkit::test::TempDir dir;
  const auto result =
      clvkit::test::run_cli("report data/cdnow.csv --top 5 -o " + dir.file("r.html"), dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const std::string html = clvkit::test::read_text(dir.file("r.html"));
  CHECK(count_of(html, "<svg data-chart=") == 9u);
  CHECK(html.find("data-figure=\"tracking-cumulative\"") == std::string::npos);
  CHECK_THAT(html, Contains("--calibration-end"));
  CHECK(count_of(html, "<td class=\"id\">") == 5u);
}

TEST_CASE("clvkit report rejects bad options with a usage error naming them",
          "[report][cli][inputcheck]") {
  clvkit::test::TempDir dir;
  const std::string out = " -o " + dir.file("r.html");
  SECTION("a call list of 0") {
    const auto r = clvkit::test::run_cli("report data/cdnow.csv --top 0" + out, dir);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("--top"));
  }
  SECTION("no output file") {
    const auto r = clvkit::test::run_cli("report data/cdnow.csv", dir);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("--output"));
  }
  SECTION("an invalid calibration end") {
    const auto r =
        clvkit::test::run_cli("report data/cdnow.csv --calibration-end 1997-13-01" + out, dir);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("--calibration-end: '1997-13-01'"));
  }
  SECTION("a calibration end after the last day") {
    const auto r =
        clvkit::test::run_cli("report data/cdnow.csv --calibration-end 1999-01-01" + out, dir);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("1999-01-01"));
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("r.html")));
}

TEST_CASE("clvkit report --every adds 'How segments change' from the same single read",
          "[report][cli][migration]") {
  clvkit::test::TempDir dir;
  const std::string with = dir.file("with.html");
  const std::string without = dir.file("without.html");
  const auto a = clvkit::test::run_cli(
      "report data/cdnow.csv --every quarter --forecast-draws 100 -o " + with, dir);
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  const auto b =
      clvkit::test::run_cli("report data/cdnow.csv --forecast-draws 100 -o " + without, dir);
  REQUIRE(b.exit_code == 0);
  const std::string html = clvkit::test::read_text(with);
  CHECK(check_html(html) == "");
  for (const char* name : {"segment-sizes-over-time", "segment-flows", "transition-matrix"}) {
    CAPTURE(name);
    const std::string figure = figure_of(html, name);
    CHECK(count_of(figure, "<svg data-chart=") == 1);
    CHECK(figure.find("class=\"no-data\"") == std::string::npos);
  }
  CHECK(count_of(figure_of(html, "segment-sizes-over-time"), "class=\"line\"") == 11);
  CHECK_THAT(html, Contains("6 snapshots from 1997-03-31 to 1998-06-30"));
  CHECK_THAT(html, Contains("score boundaries recomputed at each snapshot"));
  CHECK_THAT(html, Contains("<a href=\"#migration\">"));
  // The rest of the report is the report without snapshots: the last snapshot is its analysis.
  const std::string plain = clvkit::test::read_text(without);
  CHECK(figure_of(html, "segment-value") == figure_of(plain, "segment-value"));
  CHECK(figure_of(html, "forecast-revenue") == figure_of(plain, "forecast-revenue"));
  CHECK(plain.find("data-figure=\"segment-flows\"") == std::string::npos);
  // Held boundaries change the section, not the rest of the report.
  const auto held = clvkit::test::run_cli(
      "report data/cdnow.csv --every quarter --edges first --forecast-draws 100 -o " + with, dir);
  REQUIRE(held.exit_code == 0);
  const std::string held_html = clvkit::test::read_text(with);
  CHECK_THAT(held_html, Contains("scored with the first one"));
  CHECK(figure_of(held_html, "segment-value") == figure_of(plain, "segment-value"));
  CHECK(figure_of(held_html, "segment-sizes-over-time") !=
        figure_of(html, "segment-sizes-over-time"));
  const auto bad = clvkit::test::run_cli("report data/cdnow.csv --edges first -o " + with, dir);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Contains("--from and --edges go with --every"));
}
