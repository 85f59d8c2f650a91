#pragma once
// Plain-text tables for the terminal output of segments and validate.

#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/util/language.hpp"

namespace clvkit::cli {

/// `value` with exactly `decimals` decimals ("%.*f").
std::string format_fixed(double value, int decimals);

/// The same as `language` writes it: English tables keep the plain "%.*f" (1234.56, what
/// scripts reading them expect); other languages use their decimal mark and thousands separator
/// (1.234,56 in Spanish).
std::string format_fixed(double value, int decimals, const Language& language);

/// A share (0.25) as a percentage with `decimals` decimals: "25.0%" in English, "25,0 %" in
/// Spanish.
std::string format_share(double share, int decimals, const Language& language);

/// A count: std::to_string in English, with the thousands separator in other languages.
std::string format_integer(std::int64_t value, const Language& language);

/// A signed percentage ("+12.5%", "-3.0%"; value 12.5 is 12.5%), as printf's "%+.1f%%" in
/// English and with the language's marks and percent sign otherwise ("+12,5 %").
std::string signed_percent(double value, const Language& language);

/// Columns separated by two spaces, widths fitting the widest cell in terminal columns
/// (display_width: a CJK character takes two, an accented letter one); the first column is
/// left-aligned, the others right-aligned (numbers).
std::string render_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace clvkit::cli
