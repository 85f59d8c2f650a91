#include "clvkit/util/format.hpp"

#include <cmath>
#include <cstdio>

namespace clvkit {

std::string format_number(double value, int significant_digits) {
  char buffer[64];
  const int length = std::snprintf(buffer, sizeof buffer, "%.*g", significant_digits, value);
  return std::string(buffer, static_cast<std::size_t>(length));
}

std::string describe_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return format_number(value, 15);
}

}  // namespace clvkit
