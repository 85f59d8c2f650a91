#include "html_parts.hpp"

#include <algorithm>
#include <numeric>
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

const std::string& Context::segment(const std::string& name) const {
  const auto& segments = data.scheme->segments();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].name == name) return labels.names[i];
  }
  return name;
}

const std::string& Context::segment_description(const std::string& name) const {
  const auto& segments = data.scheme->segments();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].name == name) return labels.descriptions[i];
  }
  return name;
}

std::string esc(std::string_view text) { return escape_text(text); }

std::string num(double value, int decimals) { return label_number(value, decimals); }
std::string count(std::int64_t value) { return label_number(static_cast<double>(value), 0); }
std::string percent(double share, int decimals) {
  // The locale's pattern ("25.0%", "25,0 %"), with format_label's checks and rounding.
  return language().percent_sign(num(100.0 * share, decimals));
}

std::string money(double value, const ReportData& data, int decimals) {
  if (data.metadata.currency.empty()) return num(value, decimals);
  return language().with_currency(num(value, decimals), data.metadata.currency);
}

std::string date(Day day) { return language().date(day); }

std::string length_text(double n, int decimals, std::string_view unit) {
  const std::string key =
      std::string("length.").append(unit).append(".").append(language().plural_form(n, decimals));
  return trf(key, {{"n", num(n, decimals)}});
}

std::string purchase_description(const PurchaseModel& model, TimeUnit unit) {
  const std::string key = "model." + std::string(model.key()) + ".description";
  const std::string singular = tr(std::string("unit.singular.") + time_unit_key(unit));
  if (!language().has(key)) return model.description(singular);
  return trf(key, {{"unit", singular}});
}

std::string spend_description(const SpendModel& model) {
  const std::string key = "model." + std::string(model.key()) + ".description";
  return language().has(key) ? tr(key) : model.description();
}

std::string p_alive_remark(const PurchaseModel& model) {
  const std::string key = "model." + std::string(model.key()) + ".p_alive_remark";
  return language().has(key) ? tr(key) : model.p_alive_remark();
}

std::string dropout_text(const DropoutIdentification& check) {
  return dropout_warning(check, language());
}

std::string unit_plural(TimeUnit unit) {
  return tr(std::string("unit.plural.") + time_unit_key(unit));
}

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
  return "<p class=\"warn\" data-warning=\"dropout\">" + esc(dropout_text(*data.dropout)) +
         "</p>\n";
}

std::vector<std::size_t> largest_first(std::size_t count, std::size_t n,
                                       const std::function<double(std::size_t)>& value_of) {
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  n = std::min(n, count);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [&](std::size_t a, std::size_t b) {
                      const double va = value_of(a);
                      const double vb = value_of(b);
                      return va != vb ? va > vb : a < b;
                    });
  order.resize(n);
  return order;
}

}  // namespace clvkit::report::detail
