#include "clvkit/util/format.hpp"

#include <catch2/catch.hpp>
#include <cmath>

TEST_CASE("format_number writes %g with the requested significant digits", "[format]") {
  REQUIRE(clvkit::format_number(0.24259312) == "0.242593");
  REQUIRE(clvkit::format_number(1e12) == "1e+12");
  REQUIRE(clvkit::format_number(-3.14159, 3) == "-3.14");
  REQUIRE(clvkit::format_number(0.1, 15) == "0.1");
  REQUIRE(clvkit::format_number(0.1, 17) == "0.10000000000000001");
}

TEST_CASE("describe_number spells non-finite values and keeps 15 digits", "[format]") {
  REQUIRE(clvkit::describe_number(std::nan("")) == "NaN");
  REQUIRE(clvkit::describe_number(-HUGE_VAL) == "-inf");
  REQUIRE(clvkit::describe_number(0.1 + 0.2) == "0.3");
  REQUIRE(clvkit::describe_number(1.0 / 3.0) == "0.333333333333333");
}
