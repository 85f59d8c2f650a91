#include "clvkit/numerics/log_space.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

namespace {

using clvkit::lbeta;
using clvkit::lgamma_difference_quotient;
using clvkit::log1m_exp;
using clvkit::log1p_exp;
using clvkit::log_diff_exp;
using clvkit::log_sum_exp;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative difference; the references below come from mpmath at 40 digits.
double rel(double got, double want) { return std::fabs(got - want) / std::fabs(want); }

}  // namespace

TEST_CASE("log_sum_exp is max-shifted and handles -inf", "[numerics][log_space]") {
  CHECK(log_sum_exp(0.0, 0.0) == Approx(std::log(2.0)).epsilon(1e-15));
  // exp(1000) overflows; the shifted form does not.
  CHECK(log_sum_exp(1000.0, 1000.0) == Approx(1000.0 + std::log(2.0)).epsilon(1e-15));
  CHECK(log_sum_exp(-1000.0, -1000.0) == Approx(-1000.0 + std::log(2.0)).epsilon(1e-15));
  CHECK(log_sum_exp(-kInf, 3.0) == 3.0);
  CHECK(log_sum_exp(3.0, -kInf) == 3.0);
  CHECK(log_sum_exp(-kInf, -kInf) == -kInf);
  // A tiny second term survives through log1p.
  CHECK(log_sum_exp(0.0, -40.0) == Approx(std::exp(-40.0)).epsilon(1e-14));

  const std::array<double, 4> values = {-1000.0, -1000.0, -1000.0, -1000.0};
  CHECK(log_sum_exp(values) == Approx(-1000.0 + std::log(4.0)).epsilon(1e-15));
  CHECK(log_sum_exp(std::span<const double>{}) == -kInf);
  const std::array<double, 3> mixed = {-kInf, 2.0, -kInf};
  CHECK(log_sum_exp(mixed) == 2.0);
}

TEST_CASE("log1p_exp is accurate on every branch and continuous at its cutoffs",
          "[numerics][log_space]") {
  // Branches: u > 37, -37 < u <= 37, u <= -37. Reference: the same function in long double.
  for (double u : {-745.0, -100.0, -37.0000001, -37.0, -36.9999999, -1.0, 0.0, 1e-10, 5.0,
                   36.9999999, 37.0, 37.0000001, 100.0, 800.0}) {
    CAPTURE(u);
    const long double ul = u;
    const long double ref = u > 30 ? ul + std::log1p(std::exp(-ul)) : std::log1p(std::exp(ul));
    CHECK(std::fabs(log1p_exp(u) - static_cast<double>(ref)) <=
          1e-15 * std::fabs(static_cast<double>(ref)));
  }
  CHECK(std::isfinite(log1p_exp(1e308)));
  CHECK(log1p_exp(-kInf) == 0.0);
}

TEST_CASE("log1m_exp and log_diff_exp switch formulas at -log 2 without a jump",
          "[numerics][log_space]") {
  const double cut = -std::log(2.0);
  for (double u : {cut * (1 + 1e-12), cut, cut * (1 - 1e-12), -1e-300, -1e-10, -1.0, -50.0}) {
    CAPTURE(u);
    // Long-double reference in the form that is exact for each side (log1p(-e^u) far from 0).
    const long double ul = u;
    const long double ref = u > -1 ? std::log(-std::expm1(ul)) : std::log1p(-std::exp(ul));
    CHECK(std::fabs(log1m_exp(u) - static_cast<double>(ref)) <=
          1e-15 * std::fabs(static_cast<double>(ref)));
  }
  CHECK(std::isnan(log1m_exp(1.0)));
  CHECK(log1m_exp(0.0) == -kInf);
  CHECK(log_diff_exp(2.0, 1.0) == Approx(std::log(std::exp(2.0) - std::exp(1.0))).epsilon(1e-15));
  CHECK(log_diff_exp(5.0, -kInf) == 5.0);
  CHECK(log_diff_exp(1.0, 1.0) == -kInf);
  CHECK(std::isnan(log_diff_exp(1.0, 2.0)));
}

TEST_CASE("lbeta matches mpmath for small, mixed and large arguments", "[numerics][log_space]") {
  // Tolerance 2e-15 relative: a few ulp of the result. The naive lgamma(a)+lgamma(b)-lgamma(a+b)
  // misses (1e3, 1e3) by ~1e-13 and (0.5, 1e10) by ~1e-7 (it cancels ~2e11 down to -10.9).
  struct Case {
    double a, b, want;
  };
  const Case cases[] = {
      {0.5, 0.5, 1.1447298858494001741},       {1e-3, 1e3, 6.900271629687954933},
      {1e3, 1e3, -1388.4826016359022503},      {0.5, 1e10, -10.940560522033028333},
      {2.5, 9.999999, -5.6478369279389839568}, {2.5, 10.000001, -5.6478373948251080237},
      {12.0, 15.5, -18.865768491887004268},    {1e-8, 3.0, 18.420680728952365514},
      {300.25, 1e6, -2737.5242649445701055},
  };
  for (const Case& c : cases) {
    CAPTURE(c.a, c.b);
    CHECK(rel(lbeta(c.a, c.b), c.want) < 2e-15);
    CHECK(lbeta(c.b, c.a) == lbeta(c.a, c.b));
  }
  CHECK(std::isnan(lbeta(0.0, 1.0)));
  CHECK(std::isnan(lbeta(-1.0, 1.0)));
  CHECK(std::isnan(lbeta(std::nan(""), 1.0)));
}

TEST_CASE("lbeta is continuous where it switches to the Stirling forms", "[numerics][log_space]") {
  // The switch is at max(a, b) = 10 and at min(a, b) = 10. Across a step of 2e-12 the function
  // moves by |d lbeta/db| * 2e-12 < 1e-12; a branch mismatch would show as a larger jump.
  for (double a : {1e-3, 0.7, 3.0, 9.999}) {
    CAPTURE(a);
    const double lo = lbeta(a, 10.0 - 1e-12);
    const double hi = lbeta(a, 10.0 + 1e-12);
    CHECK(std::fabs(hi - lo) < 1e-11);
  }
  const double lo = lbeta(10.0 - 1e-12, 25.0);
  const double hi = lbeta(10.0 + 1e-12, 25.0);
  CHECK(std::fabs(hi - lo) < 1e-11);
}

TEST_CASE("lgamma_difference_quotient is accurate, including h -> 0 and y << x",
          "[numerics][log_space]") {
  // Tolerance 1e-14 relative: the quotient is formed without cancellation (shift products and an
  // analytically differenced Stirling series), so only rounding in ~20 operations remains.
  struct Case {
    double x, h, want;
  };
  const Case cases[] = {
      {2000.0, 1e-3, 7.6006526887712182781}, {1e-3, 0.5, -12.673549975769643745},
      {3.7, 1e-9, 1.1671535395165303698},    {3.7, -2.5, 0.60537856666748161211},
      {9.5, 1.0, 2.2512917986064951506},     {10.5, -1.0, 2.2512917986064951506},
      {1e-8, 1e-8, -69314718.633210169719},  {50.0, 700.0, 5.8115688199892374698},
  };
  for (const Case& c : cases) {
    CAPTURE(c.x, c.h);
    CHECK(rel(lgamma_difference_quotient(c.x, c.h), c.want) < 1e-14);
  }
  // y = x + h tiny compared with x (Gamma is steep there): the three-argument form uses y as is.
  const double x = 0.2425929282798;
  const double h = -0.24259292827;
  CHECK(rel(lgamma_difference_quotient(x, h, x + h), -99.049973146083076429) < 1e-13);
  // h = 0 is digamma, and the quotient is continuous through it.
  for (double v : {1e-3, 0.5, 1.4616321449683622, 9.999, 10.0, 250.0}) {
    CAPTURE(v);
    const double psi = clvkit::digamma(v);
    CHECK(lgamma_difference_quotient(v, 0.0) == psi);
    for (double step : {1e-300, 1e-15 * v, -1e-15 * v}) {
      CHECK(std::fabs(lgamma_difference_quotient(v, step) - psi) <= 1e-13 * (1 + std::fabs(psi)));
    }
  }
  CHECK(std::isnan(lgamma_difference_quotient(-1.0, 0.5)));
  CHECK(std::isnan(lgamma_difference_quotient(1.0, -2.0)));
}

TEST_CASE("rising factorials agree across the multiplied-out and gamma-difference branches",
          "[numerics][consistency]") {
  // Integer x <= 16 is multiplied out, anything else goes through lgamma_difference; both must
  // equal log Gamma(v + x) - log Gamma(v) (long double lgamma as the reference, 1e-12 relative
  // to the size of the terms, which is what double lgamma differences can promise).
  for (double v : {0.05, 0.8, 2.4, 37.0}) {
    for (double x : {0.0, 1.0, 2.0, 7.0, 16.0, 17.0, 16.5, 250.0}) {
      CAPTURE(v, x);
      const long double reference =
          std::lgamma(static_cast<long double>(v + x)) - std::lgamma(static_cast<long double>(v));
      const double scale = 1.0 + std::abs(std::lgamma(v + x)) + std::abs(std::lgamma(v));
      CHECK(std::abs(clvkit::log_rising(v, x) - static_cast<double>(reference)) <= 1e-12 * scale);
      CHECK(
          clvkit::log_rising_ratio(v + 1.0, v, x) ==
          Approx(clvkit::log_rising(v + 1.0, x) - clvkit::log_rising(v, x)).margin(1e-12 * scale));
      double digamma_sum = 0.0;  // psi(v + x) - psi(v) = sum 1/(v + j) for integer x
      if (x == std::floor(x)) {
        for (int j = 0; j < static_cast<int>(x); ++j) digamma_sum += 1.0 / (v + j);
        CHECK(clvkit::digamma_rise(v, x) == Approx(digamma_sum).epsilon(1e-12));
      }
    }
  }
}
