#include "report_language.hpp"

#include "clvkit/report/svg.hpp"

namespace clvkit::report::detail {
namespace {

// One pointer per thread: reports rendered on different threads do not see each other's
// language, and nothing is shared between them.
thread_local const Language* current = nullptr;

}  // namespace

const Language& language() { return current != nullptr ? *current : english(); }

LanguageScope::LanguageScope(const Language& language) : previous_(current) { current = &language; }

LanguageScope::~LanguageScope() { current = previous_; }

std::string label_number(double value, int decimals) {
  return format_label(value, decimals, language().numbers());
}

}  // namespace clvkit::report::detail
