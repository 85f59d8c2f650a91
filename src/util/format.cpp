#include "clvkit/util/format.hpp"

#include <cstdio>

namespace clvkit {

std::string format_number(double value, int significant_digits) {
  char buffer[64];
  const int length = std::snprintf(buffer, sizeof buffer, "%.*g", significant_digits, value);
  return std::string(buffer, static_cast<std::size_t>(length));
}

}  // namespace clvkit
