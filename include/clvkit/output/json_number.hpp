#pragma once
// Only finite numbers reach the JSON of any output: nlohmann_json writes NaN and infinities as
// null without a word (STYLE rule 11).

#include <string_view>

namespace clvkit {

/// `value` when it is finite; otherwise throws ModelError "non-finite <what> in <where>" (the
/// message is built only then).
double finite_json_number(double value, std::string_view what, std::string_view where);

}  // namespace clvkit
