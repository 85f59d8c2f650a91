#pragma once
// Numbers in messages (errors, fit summaries): one definition of how they are written.

#include <string>

namespace clvkit {

/// `value` as printf's %g writes it with `significant_digits` digits ("0.242593", "1e+12").
std::string format_number(double value, int significant_digits = 6);

/// A number that may not be finite, for messages: format_number(value, 15), or "NaN", "inf",
/// "-inf".
std::string describe_number(double value);

}  // namespace clvkit
