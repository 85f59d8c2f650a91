#pragma once
// Internal to src/report: the language the report being rendered is written in. Sections and
// charts read it through language(), tr() and trf(); render_html_report sets it for the time it
// renders (LanguageScope), and a chart drawn on its own (charts.hpp) is written in English.

#include <initializer_list>
#include <string>
#include <string_view>

#include "clvkit/util/language.hpp"

namespace clvkit::report::detail {

/// The language of the report being rendered on this thread; English outside a LanguageScope.
const Language& language();

/// language().text(key) and language().format(key, arguments).
inline const std::string& tr(std::string_view key) { return language().text(key); }
inline std::string trf(std::string_view key, std::initializer_list<TextArgument> arguments) {
  return language().format(key, arguments);
}

/// Makes `language` the report language of this thread until destroyed (scopes nest).
class LanguageScope {
 public:
  explicit LanguageScope(const Language& language);
  ~LanguageScope();
  LanguageScope(const LanguageScope&) = delete;
  LanguageScope& operator=(const LanguageScope&) = delete;

 private:
  const Language* previous_;
};

/// A number in a chart label, as the report language writes it (format_label's rounding).
std::string label_number(double value, int decimals);

}  // namespace clvkit::report::detail
