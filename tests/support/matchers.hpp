#pragma once
// Catch2 v2 matchers shared by the test areas.

#include <catch2/catch.hpp>
#include <exception>
#include <string>
#include <utility>

namespace clvkit::test {

/// Matches an exception's what() with a string matcher (Catch2 v2 has only the exact
/// Message()): CHECK_THROWS_MATCHES(f(), InputError, What(Contains("orders.csv:3:2:"))).
template <typename StringMatcher>
class WhatMatcher : public Catch::MatcherBase<std::exception> {
 public:
  explicit WhatMatcher(StringMatcher inner) : inner_(std::move(inner)) {}
  bool match(const std::exception& error) const override { return inner_.match(error.what()); }
  std::string describe() const override { return "has a message that " + inner_.describe(); }

 private:
  StringMatcher inner_;
};

template <typename StringMatcher>
WhatMatcher<StringMatcher> What(StringMatcher inner) {
  return WhatMatcher<StringMatcher>(std::move(inner));
}

}  // namespace clvkit::test
