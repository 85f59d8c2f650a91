#include "text_table.hpp"

#include <algorithm>
#include <cstdio>

namespace clvkit::cli {

std::string format_fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (std::size_t j = 0; j < row.size(); ++j) width[j] = std::max(width[j], row[j].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t j = 0; j < row.size(); ++j) {
      const std::string pad(width[j] - row[j].size(), ' ');
      out += j == 0 ? row[j] + pad : "  " + pad + row[j];
    }
    out += '\n';
  }
  return out;
}

}  // namespace clvkit::cli
