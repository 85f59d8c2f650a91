#include "clvkit/util/checks.hpp"

#include "clvkit/util/format.hpp"

namespace clvkit {

std::string not_positive_finite_message(std::string_view what, std::string_view name,
                                        double value) {
  std::string message(what);
  message += ": ";
  message += name;
  message += " is ";
  message += format_number(value);
  message += ", but must be positive and finite";
  return message;
}

}  // namespace clvkit
