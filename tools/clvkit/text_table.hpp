#pragma once
// Plain-text tables for the terminal output of segments and validate.

#include <string>
#include <vector>

namespace clvkit::cli {

/// `value` with exactly `decimals` decimals ("%.*f").
std::string format_fixed(double value, int decimals);

/// Columns separated by two spaces, widths fitting the widest cell; the first column is
/// left-aligned, the others right-aligned (numbers).
std::string render_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace clvkit::cli
