#include "html_parts.hpp"

#include <string_view>
#include <utility>

#include "clvkit/models/time_unit.hpp"
#include "clvkit/report/svg.hpp"

namespace clvkit::report::detail {
namespace {

std::string cell(const char* tag, const char* cls, const std::string& html,
                 const char* scope = nullptr) {
  std::string out = std::string("<") + tag;
  if (scope != nullptr) out += std::string(" scope=\"") + scope + "\"";
  if (*cls != '\0') out += std::string(" class=\"") + cls + "\"";
  return out + ">" + html + "</" + tag + ">";
}

}  // namespace

std::string esc(std::string_view text) { return escape_text(text); }

std::string num(double value, int decimals) { return format_label(value, decimals); }
std::string count(std::int64_t value) { return format_label(static_cast<double>(value), 0); }
std::string percent(double share, int decimals) { return num(100.0 * share, decimals) + "%"; }

std::string money(double value, const ReportData& data, int decimals) {
  const std::string unit = data.metadata.currency.empty() ? "" : " " + data.metadata.currency;
  return num(value, decimals) + unit;
}

std::string unit_plural(TimeUnit unit) { return std::string(time_unit_key(unit)) + "s"; }

std::vector<Column> named_number_columns(std::string first, std::vector<std::string> numbers) {
  std::vector<Column> columns = {{std::move(first), ""}};
  for (std::string& label : numbers) columns.push_back({std::move(label), "num"});
  return columns;
}

std::string table(const std::string& caption, const std::vector<Column>& columns,
                  const std::vector<std::vector<std::string>>& rows, const char* cls) {
  std::string out = "<div class=\"table-wrap\"><table";
  if (*cls != '\0') out += std::string(" class=\"") + cls + "\"";
  out += ">";
  if (!caption.empty()) out += "<caption>" + caption + "</caption>";
  out += "<thead><tr>";
  for (const Column& c : columns) out += cell("th", c.cls, c.label, "col");
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (std::size_t j = 0; j < row.size(); ++j) {
      out += cell("td", j < columns.size() ? columns[j].cls : "", row[j]);
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

std::string key_value_table(const std::string& caption,
                            const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = "<div class=\"table-wrap\"><table class=\"key-value\">";
  if (!caption.empty()) out += "<caption>" + caption + "</caption>";
  out += "<tbody>\n";
  for (const auto& [key, value] : rows) {
    out += "<tr>" + cell("th", "", key, "row") + cell("td", "", value) + "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

std::string figure(std::string_view name, Layout layout, const std::string& svg,
                   const std::string& caption) {
  const char* cls = layout == Layout::half ? "chart" : "chart wide";
  std::string out = "<figure class=\"";
  out += cls;
  out += "\" id=\"fig-" + std::string(name) + "\" data-figure=\"" + std::string(name) + "\">\n";
  out += svg;
  out += "\n<figcaption>" + caption + "</figcaption>\n</figure>\n";
  return out;
}

std::string section_start(const char* id, const std::string& heading, const std::string& lead) {
  std::string out = std::string("<section id=\"") + id + "\">\n<h2>" + heading + "</h2>\n";
  if (!lead.empty()) out += "<p class=\"lead\">" + lead + "</p>\n";
  return out;
}

std::string dropout_note(const ReportData& data) {
  if (!data.dropout || data.dropout->informative) return {};
  return "<p class=\"warn\" data-warning=\"dropout\">" + esc(dropout_warning(*data.dropout)) +
         "</p>\n";
}

}  // namespace clvkit::report::detail
