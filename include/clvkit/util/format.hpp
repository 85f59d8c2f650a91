#pragma once
// Numbers in messages (errors, fit summaries): one definition of how they are written.

#include <string>

namespace clvkit {

/// `value` as printf's %g writes it with `significant_digits` digits ("0.242593", "1e+12").
std::string format_number(double value, int significant_digits = 6);

}  // namespace clvkit
