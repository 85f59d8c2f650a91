#include "clvkit/util/checks.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "clvkit/error.hpp"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");

}  // namespace

TEST_CASE("is_positive_finite and is_non_negative_finite reject NaN and infinities", "[checks]") {
  CHECK(clvkit::is_positive_finite(1e-300));
  CHECK(clvkit::is_positive_finite(1e300));
  CHECK_FALSE(clvkit::is_positive_finite(0.0));
  CHECK_FALSE(clvkit::is_positive_finite(-1.0));
  CHECK_FALSE(clvkit::is_positive_finite(kNaN));
  CHECK_FALSE(clvkit::is_positive_finite(kInf));
  CHECK(clvkit::is_non_negative_finite(0.0));
  CHECK(clvkit::is_non_negative_finite(-0.0));
  CHECK(clvkit::is_non_negative_finite(2.5));
  CHECK_FALSE(clvkit::is_non_negative_finite(-1e-300));
  CHECK_FALSE(clvkit::is_non_negative_finite(kNaN));
  CHECK_FALSE(clvkit::is_non_negative_finite(kInf));
}

TEST_CASE("require_positive_finite throws the requested type, naming the value", "[checks]") {
  CHECK_NOTHROW(clvkit::require_positive_finite("bgnbd", "r", 0.25));
  CHECK_THROWS_MATCHES(clvkit::require_positive_finite("bgnbd", "alpha", -1.0), clvkit::ModelError,
                       Catch::Message("bgnbd: alpha is -1, but must be positive and finite"));
  CHECK_THROWS_MATCHES(
      clvkit::require_positive_finite<clvkit::UsageError>("forecast", "horizon", kNaN),
      clvkit::UsageError,
      Catch::Message("forecast: horizon is nan, but must be positive and finite"));
  CHECK(clvkit::not_positive_finite_message("m fit: start 2", "q", -kInf) ==
        "m fit: start 2: q is -inf, but must be positive and finite");
}
