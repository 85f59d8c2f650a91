#include "clvkit/output/json_number.hpp"

#include <cmath>
#include <string>

#include "clvkit/error.hpp"

namespace clvkit {

double finite_json_number(double value, std::string_view what, std::string_view where) {
  if (!std::isfinite(value)) {
    throw ModelError("non-finite " + std::string(what) + " in " + std::string(where));
  }
  return value;
}

}  // namespace clvkit
