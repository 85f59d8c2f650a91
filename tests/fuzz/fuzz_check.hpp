#pragma once
// What every fuzz target of tests/fuzz uses to report a broken property: the property and the
// values that broke it on stderr, then abort(), which libFuzzer records as a finding (with the
// input saved as an artifact). The sanitizers report their own findings the same way.

#include <cstdio>
#include <cstdlib>
#include <string>

namespace clvkit::fuzz {

[[noreturn]] inline void fail(const std::string& property, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz finding: %s%s%s\n", property.c_str(), detail.empty() ? "" : ": ",
               detail.c_str());
  std::abort();
}

inline void require(bool holds, const std::string& property, const std::string& detail = {}) {
  if (!holds) fail(property, detail);
}

}  // namespace clvkit::fuzz
