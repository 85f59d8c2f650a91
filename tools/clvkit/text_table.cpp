#include "text_table.hpp"

#include <algorithm>
#include <cstdio>

namespace clvkit::cli {

std::string format_fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string format_fixed(double value, int decimals, const Language& language) {
  if (language.code() == "en") return format_fixed(value, decimals);
  return language.number(value, decimals);
}

std::string format_share(double share, int decimals, const Language& language) {
  if (language.code() == "en") return format_fixed(100.0 * share, decimals) + "%";
  return language.percent(share, decimals);
}

std::string format_integer(std::int64_t value, const Language& language) {
  return language.code() == "en" ? std::to_string(value) : language.count(value);
}

std::string signed_percent(double value, const Language& language) {
  if (language.code() == "en") {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%+.1f%%", value);
    return buffer;
  }
  const std::string text = language.percent(value / 100.0, 1);
  return text.front() == '-' ? text : "+" + text;
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (std::size_t j = 0; j < row.size(); ++j)
      width[j] = std::max(width[j], display_width(row[j]));
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t j = 0; j < row.size(); ++j) {
      const std::string pad(width[j] - display_width(row[j]), ' ');
      out += j == 0 ? row[j] + pad : "  " + pad + row[j];
    }
    out += '\n';
  }
  return out;
}

}  // namespace clvkit::cli
