#include "clvkit/report/html_report.hpp"

#include <cmath>
#include <cstdint>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/report/svg.hpp"
#include "html_parts.hpp"

namespace clvkit::report {

using namespace detail;

namespace {

// Inline style sheet. System fonts only; numbers in tables use tabular figures and align right.
constexpr const char* style_sheet = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d1d1f;
  font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header,main,footer{max-width:1360px;margin:0 auto;padding:0 24px}
header{padding-top:28px}
h1{font-size:28px;margin:0 0 4px;line-height:1.2}
h2{font-size:22px;margin:40px 0 6px;padding-bottom:6px;border-bottom:2px solid #d9dce1}
h3{font-size:17px;margin:24px 0 8px}
p{margin:6px 0 12px;max-width:110ch}
.subtitle{color:#4a4f57;margin:0 0 16px}
.lead{color:#33373d}
.kpis{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin:16px 0}
.kpi{background:#fff;border:1px solid #d9dce1;border-radius:8px;padding:10px 14px}
.kpi-value{display:block;font-size:22px;white-space:nowrap;font-weight:600;
  font-variant-numeric:tabular-nums}
.kpi-label{display:block;color:#4a4f57;font-size:13px}
nav ol{display:flex;flex-wrap:wrap;gap:4px 22px;padding:0;margin:8px 0 0;list-style:none}
nav a{color:#0b5cad}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:24px;align-items:start}
figure{margin:0;background:#fff;border:1px solid #d9dce1;border-radius:8px;padding:12px}
figure.wide{grid-column:1/-1}
figure svg{display:block;max-width:100%;height:auto}
figcaption{font-size:14px;color:#33373d;margin-top:8px;line-height:1.5}
.note{background:#fff8e1;border:1px solid #f0d48a;border-radius:8px;padding:12px 16px}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #d9dce1;border-radius:8px;
  margin:12px 0}
table{border-collapse:collapse;width:100%;font-size:14px;font-variant-numeric:tabular-nums}
caption{text-align:left;padding:10px 12px 4px;font-weight:600}
th,td{padding:6px 10px;border-bottom:1px solid #e6e8eb;vertical-align:top}
th{background:#f0f2f5;text-align:left;font-weight:600}
th.num,td.num{text-align:right}
td.num{white-space:nowrap}
table.named td:first-child{min-width:15em}
tbody tr:nth-child(even){background:#fafbfc}
td.id{word-break:break-all;max-width:24ch;
  font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.desc{display:block;color:#5b616a;font-size:12.5px}
.tables{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:0 24px}
.ok{color:#1a7f37;font-weight:600}
.warn{color:#b35900;font-weight:600}
footer{color:#5b616a;font-size:13px;padding-top:24px;padding-bottom:40px}
@media (max-width:900px){.grid,.tables,.kpis{grid-template-columns:1fr}}
@media print{body{background:#fff}figure,table{break-inside:avoid}}
)css";

// The currency named in labels: "USD", or "currency units" when the log does not say.
std::string currency_of(const ReportData& data) {
  return data.metadata.currency.empty() ? tr("report.currency_units") : data.metadata.currency;
}

// "12 months", "26 weeks" or "90 days": the horizon in the unit it was most likely given in.
// The language's plural form is chosen from the number (count_form).
std::string describe_days(double days) {
  const auto length = [](double n, const char* unit, int decimals) {
    return length_text(n, decimals, unit);
  };
  const double months = days / kDaysPerMonth;
  if (std::abs(months - std::round(months)) < 1e-9 && months >= 1) {
    return length(std::round(months), "month", 0);
  }
  if (std::abs(days / 7 - std::round(days / 7)) < 1e-9 && days >= 7) {
    return length(std::round(days / 7), "week", 0);
  }
  return length(days, "day", shortest_decimals(days) > 2 ? 2 : shortest_decimals(days));
}

void check_data(const ReportData& data) {
  if (data.scheme == nullptr) throw UsageError("html report: the segment scheme is missing");
  const std::size_t n = data.customers.size();
  if (n == 0) throw UsageError("html report: there are no customers to report on");
  if (data.scores.size() != n || data.segment.size() != n || data.predictions.size() != n) {
    throw UsageError("html report: " + std::to_string(n) + " customers but " +
                     std::to_string(data.scores.size()) + " scores, " +
                     std::to_string(data.segment.size()) + " segment indices and " +
                     std::to_string(data.predictions.size()) + " predictions");
  }
  const std::size_t segments = data.scheme->segments().size();
  if (data.summary.segments.size() != segments) {
    throw UsageError("html report: the segment summary has " +
                     std::to_string(data.summary.segments.size()) + " segments, the scheme " +
                     std::to_string(segments));
  }
  const int bins = data.scheme->bins();
  if (data.summary.bins != bins ||
      data.summary.r_by_f.size() != static_cast<std::size_t>(bins * bins)) {
    throw UsageError("html report: the segment summary is for " +
                     std::to_string(data.summary.bins) + " bins, the scheme has " +
                     std::to_string(bins));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const RfmScore s = data.scores[i];
    if (s.r < 1 || s.r > bins || s.f < 1 || s.f > bins || s.m < 1 || s.m > bins) {
      throw UsageError("html report: customer '" + data.customers[i].id + "' has scores " +
                       rfm_cell(s) + ", outside 1.." + std::to_string(bins));
    }
    if (data.segment[i] < 0 || static_cast<std::size_t>(data.segment[i]) >= segments) {
      throw UsageError("html report: customer '" + data.customers[i].id + "' has segment index " +
                       std::to_string(data.segment[i]) + ", outside 0.." +
                       std::to_string(segments - 1));
    }
  }
  if (data.forecast && data.forecast->groups.size() != segments) {
    throw UsageError("html report: the forecast has " +
                     std::to_string(data.forecast->groups.size()) + " groups for " +
                     std::to_string(segments) + " segments");
  }
  if (!data.upgrade.empty() &&
      (data.upgrade.size() != n || !data.summary.has_upgrade || !data.scheme->has_value_order())) {
    throw UsageError("html report: " + std::to_string(data.upgrade.size()) +
                     " next purchases for " + std::to_string(n) +
                     " customers, or a segment summary or scheme without them");
  }
  if (data.top_customers < 1) {
    throw UsageError("html report: the call list length is " + std::to_string(data.top_customers) +
                     ", but must be at least 1");
  }
}

// The title the page shows, the language's "Customer base report" when the metadata's is empty
// or the English default.
std::string report_title(const ReportMetadata& m) {
  return m.title.empty() || m.title == "Customer base report" ? tr("report.title") : m.title;
}

// From the doctype to the opening <body>: metadata, the page title and the style sheet.
std::string document_head(const ReportData& data) {
  const ReportMetadata& m = data.metadata;
  std::string out = "<!DOCTYPE html>\n<html lang=\"" + escape_attribute(language().html_lang()) +
                    "\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (!m.version.empty()) {
    out += "<meta name=\"generator\" content=\"clvkit " + escape_attribute(m.version) + "\">\n";
  }
  out += "<title>" +
         trf("report.page_title", {{"title", esc(report_title(m))},
                                   {"source", esc(m.source)},
                                   {"as_of", esc(date(m.as_of))}}) +
         "</title>\n";
  out += std::string("<style>") + style_sheet;
  // A language whose script the system-ui font may lack names fonts that have it (Noto CJK,
  // WenQuanYi); English, Spanish and Polish add nothing, so their pages keep the same bytes.
  if (const std::string& css = language().extra_css(); !css.empty()) out += css + "\n";
  out += "</style>\n</head>\n<body>\n";
  return out;
}

// The <header>: title, what the data are, the key figures and the table of contents; then
// <main> opens.
std::string page_header(const Context& ctx) {
  const ReportMetadata& m = ctx.data.metadata;
  std::string out = "<header>\n<h1>" + esc(report_title(m)) + "</h1>\n";
  out += "<p class=\"subtitle\">" +
         trf("report.subtitle",
             {{"source", esc(m.source)},
              {"customers", count(static_cast<std::int64_t>(ctx.data.customers.size()))},
              {"first", esc(date(m.first_day))},
              {"last", esc(date(m.last_day))},
              {"as_of", esc(date(m.as_of))},
              {"horizon", esc(ctx.horizon)}}) +
         "</p>\n";
  out += key_figures(ctx);
  const auto item = [](const char* id, const char* key) {
    return std::string("<li><a href=\"#") + id + "\">" + tr(key) + "</a></li>";
  };
  out += "<nav aria-label=\"" + escape_attribute(tr("nav.contents")) + "\"><ol>";
  out += item("segments", "nav.segments");
  if (ctx.data.migration != nullptr && ctx.data.migration->snapshots.size() >= 2) {
    out += item("migration", "nav.migration");
  }
  out += item("activity", "nav.activity");
  out += item("fit", "nav.fit");
  out += item("value", "nav.value");
  out += item("call-list", "nav.call_list");
  if (!ctx.data.upgrade.empty()) out += item("upgrade", "nav.upgrade");
  out += item("parameters", "nav.parameters");
  out += item("about", "nav.about");
  out += "</ol></nav>\n</header>\n<main>\n";
  return out;
}

// </main>, the footer and the end of the document.
std::string page_footer(const ReportMetadata& m) {
  std::string product = "clvkit";
  if (!m.version.empty()) product.append(" ").append(esc(m.version));
  std::string out =
      "</main>\n<footer>" + trf("report.footer", {{"product", product}}) + "</footer>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace

std::vector<std::string> report_figure_names(const ReportData& data) {
  std::vector<std::string> names = {"segment-sizes", "rf-heatmap"};
  if (data.migration != nullptr && data.migration->snapshots.size() >= 2) {
    names.insert(names.end(), {"segment-sizes-over-time", "segment-flows", "transition-matrix"});
  }
  names.insert(names.end(), {"p-alive-matrix", "expected-purchases-matrix", "calibration-fit"});
  if (data.validation) {
    names.insert(names.end(),
                 {"tracking-cumulative", "tracking-weekly", "conditional-expectation"});
    if (data.model_comparison.size() > 1) names.push_back("model-comparison-tracking");
  }
  names.insert(names.end(), {"clv-distribution", "segment-value"});
  if (data.forecast) names.insert(names.end(), {"forecast-revenue", "forecast-purchases"});
  return names;
}

std::string render_html_report(const ReportData& data) {
  check_data(data);
  const LanguageScope scope(data.language);
  const double days_per_unit = unit_days(data.models.time_unit);
  const SegmentLabels labels = segment_labels(*data.scheme, data.language.code());
  const Context ctx{data,
                    currency_of(data),
                    describe_days(data.value.horizon_days),
                    data.value.horizon_days / days_per_unit,
                    unit_plural(data.models.time_unit),
                    days_per_unit,
                    labels};

  std::string out;
  out.reserve(1 << 20);
  out += document_head(data);
  out += page_header(ctx);
  out += segments_section(ctx);
  if (data.migration != nullptr && data.migration->snapshots.size() >= 2) {
    out += migration_section(ctx);
  }
  out += activity_section(ctx);
  out += fit_section(ctx);
  out += value_section(ctx);
  out += call_list_section(ctx);
  if (!data.upgrade.empty()) out += upgrade_section(ctx);
  out += parameters_section(ctx);
  out += about_section(ctx);
  out += page_footer(data.metadata);
  return out;
}

ReportData report_data(const CustomerAnalysis& analysis, const ReportSettings& settings,
                       std::optional<ValidationResult> validation) {
  if (!analysis.models) throw UsageError("the report needs the models: fit them first");
  if (analysis.value.lifetime) {
    throw UsageError(
        "the report shows value over a finite horizon: give --horizon as a length "
        "(e.g. 12m), not 'lifetime'");
  }
  const CustomerBase& base = analysis.segmented.base;
  ReportData data;
  data.language = Language::load(settings.language);
  data.metadata.title = settings.title;
  data.metadata.source = base.source;
  data.metadata.version = CLVKIT_VERSION;
  data.metadata.currency = settings.currency;
  data.metadata.as_of = base.as_of;
  data.metadata.first_day = base.first_day;
  data.metadata.last_day = base.last_day;
  data.metadata.rows = base.stats;
  data.scheme = &*analysis.segmented.scheme;
  data.summary = summarize_segments(analysis);
  data.customers = base.customers;
  data.scores = analysis.segmented.scores;
  data.segment = analysis.segmented.segment;
  data.models = *analysis.models;
  data.value = analysis.value;
  data.predictions = analysis.predictions;
  data.dropout = analysis.dropout;
  if (analysis.upgrade) data.upgrade = analysis.upgrade->customers;
  data.forecast = forecast_segments(analysis, {settings.forecast_draws, settings.forecast_seed,
                                               false, settings.forecast_progress});
  data.forecast_draws = settings.forecast_draws;
  data.forecast_seed = settings.forecast_seed;
  data.top_customers = settings.top_customers;
  if (validation) {
    data.validation = std::move(validation);
  } else {
    constexpr int kFitBuckets = 7;  // 0..6 and "7+", as in FHL 2005 and `clvkit validate`
    data.calibration_fit = calibration_fit_check(base.customers, *analysis.models->purchase.model,
                                                 analysis.models->time_unit, kFitBuckets);
  }
  return data;
}

ReportData report_data(const CustomerAnalysis& analysis, const ReportSettings& settings,
                       const ModelComparisonResult& comparison) {
  if (!analysis.models) throw UsageError("the report needs the models: fit them first");
  const std::string_view key = analysis.models->purchase.model->key();
  std::optional<ValidationResult> validation;
  for (const ModelComparison& m : comparison.models) {
    if (m.key == key && m.fitted) validation = m.result;
  }
  if (!validation) {
    throw ModelError("report: the " + std::string(key) +
                     " model could not be fitted on the calibration period");
  }
  ReportData data = report_data(analysis, settings, std::move(validation));
  data.model_comparison = comparison.models;
  data.comparison_recommended = comparison.recommended;
  data.comparison_ground = comparison.ground;
  return data;
}

}  // namespace clvkit::report
