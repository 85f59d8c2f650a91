#pragma once
// Checks of argument values at the library's boundary (STYLE rule 9), so that every "must be
// positive and finite" is tested and worded the same way: "bgnbd: alpha is -1, but must be
// positive and finite". The message is built only when the check fails.

#include <cmath>
#include <string>
#include <string_view>

#include "clvkit/error.hpp"

namespace clvkit {

/// True when `value` is greater than 0 and finite; false for 0, negatives, NaN and +-inf.
inline bool is_positive_finite(double value) noexcept {
  return value > 0.0 && std::isfinite(value);
}

/// True when `value` is at least 0 (-0 included) and finite; false for negatives, NaN and +-inf.
inline bool is_non_negative_finite(double value) noexcept {
  return value >= 0.0 && std::isfinite(value);
}

/// "<what>: <name> is <value>, but must be positive and finite", the value as format_number
/// writes it ("-1", "0", "nan", "inf"): the message of a failed require_positive_finite, for
/// callers whose `what` would cost a string to build before the check.
std::string not_positive_finite_message(std::string_view what, std::string_view name, double value);

/// Throws E (an Error: ModelError by default, UsageError for options) with
/// not_positive_finite_message(what, name, value) unless is_positive_finite(value). `what`
/// locates the check ("bgnbd", "forecast"), `name` is the parameter or option.
template <class E = ModelError>
void require_positive_finite(std::string_view what, std::string_view name, double value) {
  if (!is_positive_finite(value)) [[unlikely]] {
    throw E(not_positive_finite_message(what, name, value));
  }
}

}  // namespace clvkit
