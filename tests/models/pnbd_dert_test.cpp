// Pareto/NBD DERT (pnbd.hpp: pnbd_dert, pnbd_log_dert, log_exp_integral_scaled): the closed form
// against quadrature of the discounted purchase rate, the scaled exponential integral against
// Boost's integer-order expint and the half-integer erfc form on each side of its branch
// boundaries, properties in delta, and the domain.

#include <boost/math/quadrature/exp_sinh.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/expint.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "clvkit/models/pnbd.hpp"

namespace {

using clvkit::ParetoNbdParams;

// lifetimes 0.11.3's Pareto/NBD estimates on the CDNOW 2,357 (as in pnbd_test.cpp).
const ParetoNbdParams kCdnow{0.5532815861528053, 10.577753122778805, 0.6061714462872277,
                             11.666906530603386};

double rel(double got, double want) { return std::fabs(got - want) / std::fabs(want); }

// integral_0^inf e^(-delta t) P(alive) (r+x)/(alpha+T) ((beta+T)/(beta+T+t))^s dt, the expected
// discounted purchase rate given (x, t_x, T) (given alive at T, lambda ~ Gamma(r+x, alpha+T) and
// mu ~ Gamma(s, beta+T)), by exp-sinh quadrature (Boost) in t: independent of the closed form's
// continued fraction, incomplete gamma and Gauss-Kronrod branches.
double dert_by_quadrature(const ParetoNbdParams& p, double x, double t_x, double T, double delta) {
  const double B = p.beta + T;
  boost::math::quadrature::exp_sinh<double> integrator;
  const double integral = integrator.integrate(
      [&](double t) { return std::exp(-delta * t - p.s * std::log1p(t / B)); }, 1e-14);
  return clvkit::pnbd_p_alive(p, x, t_x, T) * (p.r + x) / (p.alpha + T) * integral;
}

}  // namespace

TEST_CASE("Pareto/NBD DERT matches FHL 2005 eq. 2 evaluated at 40 digits",
          "[pnbd][dert][consistency]") {
  // FHL 2005's eq. 2 as printed (Tricomi U and the likelihood L), evaluated with mpmath 1.3.0 at
  // 40 significant digits: mp.hyperu(s, s, delta (beta+T)) and L with its integral
  // s integral_{t_x}^T (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau by mp.quad over 20 equal pieces.
  // Independent of the exponential integral, the 2F1 tail integrals and P(alive) used here.
  // 1e-12 relative, except 2e-10 for x = 50, t_x = T/2, whose P(alive) ~ 4e-13 comes from the
  // likelihood's log_diff_exp of two nearly equal tail integrals (pnbd.hpp, file comment).
  struct Case {
    ParetoNbdParams p;
    double x, t_x, T, delta, want, tolerance;
  };
  const ParetoNbdParams s17{0.5533, 10.578, 1.7, 11.668};
  const double annual_10 = std::log(1.1) / 52.0;
  const std::vector<Case> cases = {
      {kCdnow, 2.0, 30.43, 38.86, annual_10, 8.156670573812316276, 1e-12},
      {kCdnow, 0.0, 0.0, 38.86, annual_10, 0.6001403591543084163, 1e-12},
      {kCdnow, 50.0, 100.0, 200.0, 0.05, 1.9014624637768066392e-12, 2e-10},
      {s17, 7.0, 20.0, 60.0, 1e-4, 0.025533516005543621627, 1e-12},
      {s17, 7.0, 20.0, 60.0, 0.3, 8.3169459272281986713e-4, 1e-12},
  };
  for (const Case& c : cases) {
    CAPTURE(c.p.s, c.x, c.t_x, c.T, c.delta, c.want);
    const double got = clvkit::pnbd_dert(c.p, c.x, c.t_x, c.T, c.delta);
    CAPTURE(got);
    CHECK(rel(got, c.want) < c.tolerance);
  }
}

TEST_CASE("Pareto/NBD DERT equals the integral of the discounted purchase rate at CDNOW",
          "[pnbd][dert][consistency]") {
  // 1e-8 relative: the quadrature reaches ~1e-12 on this smooth, positive integrand and the
  // closed form ~1e-14 (continued fraction / incomplete gamma); 1e-8 leaves room for P(alive)'s
  // log_diff_exp when t_x is near T, which both sides share.
  const std::vector<double> deltas = {1e-4, 3e-4, std::log(1.1) / 52.0, 0.005, 0.01, 0.02, 0.05};
  for (double T : {1.0, 10.0, 38.86, 78.0, 200.0}) {
    for (double frac : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      for (double x : {0.0, 1.0, 2.0, 7.0, 20.0, 50.0}) {
        const double t_x = x == 0.0 ? 0.0 : frac * T;
        for (double delta : deltas) {
          CAPTURE(x, t_x, T, delta);
          const double got = clvkit::pnbd_dert(kCdnow, x, t_x, T, delta);
          const double want = dert_by_quadrature(kCdnow, x, t_x, T, delta);
          CAPTURE(got, want);
          CHECK(std::isfinite(got));
          CHECK(got > 0.0);
          CHECK(rel(got, want) < 1e-8);
        }
      }
    }
  }
}

TEST_CASE("Pareto/NBD DERT equals the integral for s on both sides of 1 and large",
          "[pnbd][dert][consistency]") {
  // Every branch of log_exp_integral_scaled: z = delta (beta+T) from 1e-4 to ~60 with s < 1
  // (incomplete gamma / continued fraction) and s >= 1 (Gauss-Kronrod / continued fraction).
  for (double s : {0.05, 0.6062, 0.999, 1.0, 1.001, 1.5, 2.0, 3.7, 25.0}) {
    const ParetoNbdParams p{0.5533, 10.578, s, 11.668};
    for (double T : {0.5, 38.86, 200.0}) {
      for (double x : {0.0, 2.0, 50.0}) {
        const double t_x = x == 0.0 ? 0.0 : 0.7 * T;
        for (double delta : {1e-5, 1e-4, 0.0018, 0.01, 0.05, 0.3}) {
          CAPTURE(s, x, t_x, T, delta);
          const double got = clvkit::pnbd_dert(p, x, t_x, T, delta);
          const double want = dert_by_quadrature(p, x, t_x, T, delta);
          CAPTURE(got, want);
          CHECK(rel(got, want) < 1e-8);
        }
      }
    }
  }
}

TEST_CASE("Scaled exponential integral matches Boost's expint and the erfc form",
          "[pnbd][dert][consistency]") {
  // Integer s: e^z E_n(z) with Boost's expint(n, z); s = 1/2: e^z E_(1/2)(z) =
  // sqrt(pi/z) e^z erfc(sqrt(z)) (DLMF 8.19.1 and 7.11.2 / 8.4.6). 1e-12 relative: both sides are
  // accurate to a few ulp times the condition number of exp(log J).
  for (double z : {1e-6, 1e-3, 0.05, 0.5, 0.999999, 1.0, 1.000001, 3.0, 30.0, 300.0}) {
    for (int n = 1; n <= 5; ++n) {
      CAPTURE(z, n);
      const double want = std::exp(z) * boost::math::expint(n, z);
      CHECK(rel(std::exp(clvkit::log_exp_integral_scaled(n, z)), want) < 1e-12);
    }
    CAPTURE(z);
    const double half =
        std::sqrt(std::numbers::pi / z) * std::exp(z) * boost::math::erfc(std::sqrt(z));
    CHECK(rel(std::exp(clvkit::log_exp_integral_scaled(0.5, z)), half) < 1e-12);
  }
  // Large z, where e^z E_s(z) ~ 1/z and neither factor would be representable.
  CHECK(rel(std::exp(clvkit::log_exp_integral_scaled(0.6, 1e6)), 1.0 / (1e6 + 0.6)) < 1e-10);
}

TEST_CASE("Scaled exponential integral is continuous at its branch boundaries",
          "[pnbd][dert][consistency]") {
  // z = 1 (continued fraction above, incomplete gamma or quadrature below) and s = 1
  // (incomplete gamma below, quadrature above), each side within 1e-12 relative of the other
  // after the first-order change across the gap (the function's derivatives are O(1) there).
  for (double s : {0.3, 0.6062, 0.9, 1.0, 1.4, 4.0}) {
    CAPTURE(s);
    const double below = clvkit::log_exp_integral_scaled(s, 1.0 - 1e-13);
    const double at = clvkit::log_exp_integral_scaled(s, 1.0);
    CHECK(std::fabs(below - at) < 1e-12);
  }
  for (double z : {1e-4, 0.01, 0.3, 0.99}) {
    CAPTURE(z);
    const double below = clvkit::log_exp_integral_scaled(1.0 - 1e-13, z);
    const double at = clvkit::log_exp_integral_scaled(1.0, z);
    CHECK(std::fabs(below - at) < 1e-11);
  }
}

TEST_CASE("Pareto/NBD DERT decreases in delta towards its undiscounted limit",
          "[pnbd][dert][property]") {
  // s <= 1: the undiscounted limit E[X(inf)] is infinite (given alive, E[1/mu] = (beta+T)/(s-1)
  // only exists for s > 1), so DERT grows without bound as delta -> 0. s > 1: it approaches
  // P(alive) (r+x)(beta+T)/((alpha+T)(s-1)) from below.
  const std::vector<double> deltas = {0.5, 0.05, 0.01, 1e-3, 1e-4, 1e-6, 1e-9};
  for (double s : {0.6062, 1.0, 1.5, 3.0}) {
    const ParetoNbdParams p{0.5533, 10.578, s, 11.668};
    for (double T : {5.0, 38.86, 200.0}) {
      for (double x : {0.0, 2.0, 50.0}) {
        const double t_x = x == 0.0 ? 0.0 : 0.5 * T;
        CAPTURE(s, x, t_x, T);
        const double limit = clvkit::pnbd_dert(p, x, t_x, T, 0.0);
        double previous = 0.0;
        for (double delta : deltas) {
          CAPTURE(delta);
          const double value = clvkit::pnbd_dert(p, x, t_x, T, delta);
          CHECK(std::isfinite(value));
          CHECK(value > previous);
          CHECK(value < limit);
          previous = value;
        }
        if (s <= 1.0) {
          CHECK(limit == std::numeric_limits<double>::infinity());
        } else {
          const double expected = clvkit::pnbd_p_alive(p, x, t_x, T) * (p.r + x) * (p.beta + T) /
                                  ((p.alpha + T) * (s - 1.0));
          CHECK(rel(limit, expected) < 1e-13);
          // s = 3: J(3, z) = 1/2 - z/2 + O(z^2 log z), so at z ~ 1e-7 the gap is ~2e-7.
          if (s == 3.0) CHECK(rel(previous, limit) < 1e-6);
        }
      }
    }
  }
}

TEST_CASE("Pareto/NBD DERT is NaN outside its domain", "[pnbd][dert][inputcheck]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const double d = std::log(1.1) / 52.0;
  CHECK(std::isnan(clvkit::pnbd_dert(kCdnow, 2.0, 30.43, 38.86, -1e-3)));
  CHECK(std::isnan(clvkit::pnbd_dert(kCdnow, 2.0, 30.43, 38.86, nan)));
  CHECK(std::isnan(clvkit::pnbd_dert(kCdnow, 2.0, 30.43, 38.86, inf)));
  CHECK(std::isnan(clvkit::pnbd_dert(kCdnow, -1.0, 30.43, 38.86, d)));
  CHECK(std::isnan(clvkit::pnbd_dert(kCdnow, 2.0, 40.0, 38.86, d)));
  CHECK(std::isnan(clvkit::pnbd_dert(kCdnow, 2.0, -1.0, 38.86, d)));
  CHECK(std::isnan(clvkit::pnbd_dert(kCdnow, 2.0, 30.43, inf, d)));
  CHECK(std::isnan(clvkit::pnbd_dert({0.0, 10.0, 0.6, 11.0}, 2.0, 30.43, 38.86, d)));
  CHECK(std::isnan(clvkit::pnbd_dert({0.5, 10.0, -0.6, 11.0}, 2.0, 30.43, 38.86, d)));
  CHECK(std::isnan(clvkit::pnbd_dert({0.5, 10.0, 0.6, nan}, 2.0, 30.43, 38.86, d)));
  CHECK(std::isnan(clvkit::log_exp_integral_scaled(0.0, 1.0)));
  CHECK(std::isnan(clvkit::log_exp_integral_scaled(1.0, 0.0)));
  CHECK(std::isnan(clvkit::log_exp_integral_scaled(1.0, inf)));
}
