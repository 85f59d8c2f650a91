#include "clvkit/models/mbgnbd.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/numerics/hyp2f1.hpp"

namespace {

using clvkit::MbgNbdParams;
using clvkit::ModelError;

// lifetimes 0.11.3's MBG/NBD estimates on the CDNOW 2,357 (reference.json, key
// mbgnbd_cdnow2357; tests/data/reference/README.md).
const MbgNbdParams kLifetimes{0.5248377255676664, 6.1829884791339715, 0.8913562809311414,
                              1.6140000256721279};
constexpr double kLifetimesLogLikelihood = -9582.13268489992;
constexpr double kLifetimesHoldoutSum = 1576.7356993135209;  // sum of E[X(39) | x, t_x, T]

double rel(double got, double want) {
  if (want == 0.0) return std::fabs(got);
  return std::fabs(got - want) / std::fabs(want);
}

struct Customer {
  double x, t_x, T;
};

std::string model_error_message(const MbgNbdParams& p) {
  return clvkit::test::error_message<ModelError>([&] { clvkit::check_mbgnbd_params(p); });
}

}  // namespace

TEST_CASE("check_mbgnbd_params names the bad parameter and its value", "[mbgnbd][inputcheck]") {
  CHECK_NOTHROW(clvkit::check_mbgnbd_params(kLifetimes));
  MbgNbdParams p = kLifetimes;
  p.alpha = -1.0;
  CHECK(model_error_message(p) == "mbgnbd: alpha is -1, but must be positive and finite");
  p = kLifetimes;
  p.b = 0.0;
  CHECK(model_error_message(p) == "mbgnbd: b is 0, but must be positive and finite");
}

TEST_CASE("MBG/NBD reproduces lifetimes on the CDNOW 2,357, customer by customer",
          "[mbgnbd][paper][consistency]") {
  // mbgnbd_cdnow2357_customers.csv prints ~10 significant digits: 1e-6 relative per customer.
  // The summed LL and E[X(39)] come from reference.json at full precision: 1e-6 absolute on the
  // LL (-9582.13), 1e-3 on the holdout sum (lifetimes' hyp2f1 of scipy agrees to ~1e-10).
  const auto summary = clvkit::test::read_reference_csv("cdnow_customers_summary.csv");
  const auto reference = clvkit::test::read_reference_csv("mbgnbd_cdnow2357_customers.csv");
  const auto& x = summary.at("frequency");
  const auto& t_x = summary.at("recency");
  const auto& T = summary.at("T");
  REQUIRE(x.size() == 2357);
  REQUIRE(reference.at("ID") == summary.at("ID"));
  double worst_p = 0.0, worst_39 = 0.0, sum39 = 0.0, ll = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double p = clvkit::mbgnbd_p_alive(kLifetimes, x[i], t_x[i], T[i]);
    const double e39 =
        clvkit::mbgnbd_conditional_expected_purchases(kLifetimes, x[i], t_x[i], T[i], 39.0);
    CAPTURE(i, x[i], t_x[i], T[i], p, e39);
    CHECK(rel(p, reference.at("p_alive")[i]) < 1e-6);
    CHECK(rel(e39, reference.at("exp_purchases_39w")[i]) < 1e-6);
    worst_p = std::max(worst_p, rel(p, reference.at("p_alive")[i]));
    worst_39 = std::max(worst_39, rel(e39, reference.at("exp_purchases_39w")[i]));
    sum39 += e39;
    ll += clvkit::mbgnbd_log_likelihood(kLifetimes, x[i], t_x[i], T[i]);
  }
  CAPTURE(worst_p, worst_39, sum39, ll);
  CHECK(std::fabs(sum39 - kLifetimesHoldoutSum) < 1e-3);
  CHECK(std::fabs(ll - kLifetimesLogLikelihood) < 1e-6);
  WARN("MBG/NBD vs lifetimes: worst relative p_alive "
       << worst_p << ", E[X(39)] " << worst_39 << "; sum E[X(39)] " << sum39 << ", LL " << ll);
}

TEST_CASE("MBG/NBD expectation matches the 2F1 forms of lifetimes away from a = 1",
          "[mbgnbd][consistency]") {
  // Wagner & Hoppe (2008): E[X(t) | alive] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
  // 2F1(r+x, b+x+1; a+b+x; z)], and for a new customer b/(a-1) [1 - (alpha/(alpha+t))^r
  // 2F1(r, b+1; a+b; t/(alpha+t))]. With a far from 1 the written form loses few digits (the
  // bracket is not small): 1e-9 relative.
  for (const MbgNbdParams& p : {MbgNbdParams{0.5, 6.0, 3.0, 2.0}, MbgNbdParams{2.0, 1.0, 0.3, 5.0},
                                MbgNbdParams{0.2, 20.0, 6.0, 0.4}}) {
    for (const double x : {0.0, 1.0, 7.0}) {
      for (const double t : {1.0, 39.0, 200.0}) {
        const double T = 30.0;
        const double z = t / (p.alpha + T + t);
        const double f = clvkit::hyp2f1(p.r + x, p.b + x + 1.0, p.a + p.b + x, z).value;
        const double want = (p.a + p.b + x) / (p.a - 1.0) *
                            (1.0 - std::pow((p.alpha + T) / (p.alpha + T + t), p.r + x) * f);
        CAPTURE(p.r, p.alpha, p.a, p.b, x, t, want);
        CHECK(rel(clvkit::mbgnbd_expected_purchases_given_alive(p, x, T, t), want) < 1e-9);
      }
    }
    for (const double t : {1.0, 39.0, 200.0}) {
      const double z = t / (p.alpha + t);
      const double f = clvkit::hyp2f1(p.r, p.b + 1.0, p.a + p.b, z).value;
      const double want = p.b / (p.a - 1.0) * (1.0 - std::pow(p.alpha / (p.alpha + t), p.r) * f);
      CAPTURE(p.r, p.alpha, p.a, p.b, t, want);
      CHECK(rel(clvkit::mbgnbd_expected_purchases_new_customer(p, t), want) < 1e-9);
    }
  }
}

TEST_CASE("MBG/NBD analytic gradient matches central differences", "[mbgnbd][gradient]") {
  // Four-point central differences with step 1e-3 * theta: truncation O(h^4) ~ 1e-12 relative,
  // rounding ~ eps |LL| / h ~ 1e-12; tolerance 1e-6 relative (plus 1e-9 absolute for components
  // that are ~0).
  const MbgNbdParams points[] = {kLifetimes,
                                 {1.0, 1.0, 1.0, 1.0},
                                 {0.05, 0.1, 3.0, 0.2},
                                 {10.0, 50.0, 0.5, 20.0},
                                 {2.0, 0.01, 100.0, 1e3}};
  const Customer customers[] = {{0, 0, 39},    {2, 30.43, 38.86}, {5, 39, 39},    {3, 0, 20},
                                {500, 38, 39}, {1, 0.3, 0.5},     {1000, 10, 39}, {1, 0.5, 0.5},
                                {0, 0, 0.01},  {20, 39, 39},      {0, 0, 0}};
  for (const MbgNbdParams& p0 : points) {
    for (const Customer& c : customers) {
      std::array<double, 4> g{};
      const double ll = clvkit::mbgnbd_log_likelihood_gradient(p0, c.x, c.t_x, c.T, g);
      CAPTURE(p0.r, p0.alpha, p0.a, p0.b, c.x, c.t_x, c.T, ll);
      CHECK(ll == Approx(clvkit::mbgnbd_log_likelihood(p0, c.x, c.t_x, c.T)).epsilon(1e-15));
      for (int k = 0; k < 4; ++k) {
        const auto at = [&](double factor) {
          MbgNbdParams p = p0;
          double* theta[] = {&p.r, &p.alpha, &p.a, &p.b};
          *theta[k] *= factor;
          return clvkit::mbgnbd_log_likelihood(p, c.x, c.t_x, c.T);
        };
        const double theta0 = std::array<double, 4>{p0.r, p0.alpha, p0.a, p0.b}[k];
        const double h = 1e-3;  // relative step
        const double fd =
            (8.0 * (at(1 + h) - at(1 - h)) - (at(1 + 2 * h) - at(1 - 2 * h))) / (12.0 * h * theta0);
        CAPTURE(k, g[k], fd);
        CHECK(std::fabs(g[k] - fd) <= 1e-6 * std::fabs(fd) + 1e-9 / theta0);
      }
    }
  }
}

TEST_CASE("MBG/NBD functions stay finite and sane over an extreme grid", "[mbgnbd][property]") {
  // Every valid combination of extreme values gives finite results: 0 <= P(alive) <= 1 (below 1
  // for x = 0 too, b/(a+b) at T = 0), a finite LL and gradient, E[X(t)] finite, >= 0 and
  // non-decreasing in t.
  const double values[] = {1e-3, 0.1, 1.0, 10.0, 1e3};
  const double xs[] = {0.0, 1.0, 10.0, 1000.0};
  const double Ts[] = {0.0, 0.5, 39.0, 1e4};
  const double ts[] = {0.0, 1.0, 52.0, 1e4};
  long checked = 0;
  for (double r : values) {
    for (double alpha : values) {
      for (double a : values) {
        for (double b : values) {
          const MbgNbdParams p{r, alpha, a, b};
          for (double x : xs) {
            for (double T : Ts) {
              for (double t_x : {0.0, T / 2, T}) {
                if (x == 0.0 && t_x > 0.0) continue;  // x = 0 means t_x = 0
                CAPTURE(r, alpha, a, b, x, t_x, T);
                const double pa = clvkit::mbgnbd_p_alive(p, x, t_x, T);
                REQUIRE(std::isfinite(pa));
                CHECK(pa >= 0.0);
                CHECK(pa <= 1.0);
                if (x == 0.0 && T == 0.0) CHECK(pa == Approx(b / (a + b)).epsilon(1e-14));
                const double ll = clvkit::mbgnbd_log_likelihood(p, x, t_x, T);
                CHECK(std::isfinite(ll));
                std::array<double, 4> g{};
                clvkit::mbgnbd_log_likelihood_gradient(p, x, t_x, T, g);
                for (double gk : g) CHECK(std::isfinite(gk));
                double previous = 0.0;
                for (double t : ts) {
                  CAPTURE(t);
                  const double e = clvkit::mbgnbd_conditional_expected_purchases(p, x, t_x, T, t);
                  REQUIRE(std::isfinite(e));
                  CHECK(e >= previous * (1.0 - 1e-12));
                  previous = e;
                  ++checked;
                }
              }
            }
          }
        }
      }
    }
  }
  CHECK(checked > 20000);
}

TEST_CASE("MBG/NBD expectation is increasing in t on a fine grid", "[mbgnbd][property]") {
  // t from 0 to 1e5 weeks, through every method switch of the given-alive expectation, at
  // ordinary and extreme parameters (a = 1 + 1e-9, where the written 2F1 form cancels).
  for (const MbgNbdParams& p :
       {kLifetimes, MbgNbdParams{0.5, 2.0, 1.0 + 1e-9, 3.0}, MbgNbdParams{3.0, 10.0, 5.0, 20.0},
        MbgNbdParams{0.05, 0.3, 0.3, 0.8}, MbgNbdParams{1e3, 1e-3, 1e-3, 1e3}}) {
    for (const Customer& c : {Customer{0, 0, 0}, Customer{0, 0, 39}, Customer{3, 20, 39},
                              Customer{40, 39, 39}, Customer{1000, 39, 39}}) {
      double previous = 0.0;
      for (double t = 0.0; t <= 1e5; t = t < 1 ? t + 0.125 : t * 1.05) {
        const double e = clvkit::mbgnbd_conditional_expected_purchases(p, c.x, c.t_x, c.T, t);
        CAPTURE(p.r, p.alpha, p.a, p.b, c.x, c.t_x, c.T, t, e, previous);
        REQUIRE(std::isfinite(e));
        CHECK(e >= previous * (1.0 - 1e-13));
        previous = e;
      }
    }
  }
}

TEST_CASE("MBG/NBD new-customer expectation and P(X(t) = n) agree", "[mbgnbd][consistency]") {
  // E[X(t)] for a new customer is the conditional one at x = t_x = T = 0; P(X(t) = n) sums to 1
  // and its mean is that expectation (tail beyond n = 20000 negligible for these parameters).
  for (const MbgNbdParams& p : {kLifetimes, MbgNbdParams{2.0, 3.0, 2.5, 4.0}}) {
    for (double t : {1.0, 39.0, 104.0}) {
      CHECK(clvkit::mbgnbd_expected_purchases_new_customer(p, t) ==
            clvkit::mbgnbd_conditional_expected_purchases(p, 0, 0, 0, t));
      double total = 0.0, mean = 0.0;
      for (int n = 0; n < 20000; ++n) {
        const double pn = clvkit::mbgnbd_probability_of_purchases(p, t, n);
        REQUIRE(std::isfinite(pn));
        REQUIRE(pn >= 0.0);
        total += pn;
        mean += n * pn;
      }
      CAPTURE(p.r, p.alpha, p.a, p.b, t, total, mean);
      CHECK(total == Approx(1.0).epsilon(1e-10));
      CHECK(mean == Approx(clvkit::mbgnbd_expected_purchases_new_customer(p, t)).epsilon(1e-8));
    }
    // n = 0: dropped out at time zero (a/(a+b)) or no purchase while active.
    const double t = 39.0;
    CHECK(clvkit::mbgnbd_probability_of_purchases(p, t, 0) ==
          Approx(p.a / (p.a + p.b) + p.b / (p.a + p.b) * std::pow(p.alpha / (p.alpha + t), p.r))
              .epsilon(1e-14));
  }
  // The written form of BDF 2007 (lifetimes' probability_of_n_purchases_up_to_time), summed
  // directly: its 1 - s^r sum_{j<n} NB(j) cancels a few digits for these n, so 1e-10 relative.
  for (const double t : {1.0, 39.0, 104.0}) {
    const MbgNbdParams& p = kLifetimes;
    const double s = p.alpha / (p.alpha + t), z = t / (p.alpha + t);
    const auto lbeta = [](double u, double v) {
      return std::lgamma(u) + std::lgamma(v) - std::lgamma(u + v);
    };
    const auto nb = [&](int j) {
      return std::exp(std::lgamma(p.r + j) - std::lgamma(p.r) - std::lgamma(j + 1.0) +
                      p.r * std::log(s) + j * std::log(z));
    };
    for (int n = 1; n <= 6; ++n) {
      double below = 0.0;
      for (int j = 0; j < n; ++j) below += nb(j);
      const double want = std::exp(lbeta(p.a, p.b + n + 1) - lbeta(p.a, p.b)) * nb(n) +
                          std::exp(lbeta(p.a + 1, p.b + n) - lbeta(p.a, p.b)) * (1.0 - below);
      CAPTURE(t, n, want);
      CHECK(rel(clvkit::mbgnbd_probability_of_purchases(p, t, n), want) < 1e-10);
    }
  }
  CHECK(clvkit::mbgnbd_probability_of_purchases(kLifetimes, 0.0, 0) == 1.0);
  CHECK(clvkit::mbgnbd_probability_of_purchases(kLifetimes, 0.0, 3) == 0.0);
  CHECK(clvkit::mbgnbd_probability_of_purchases(kLifetimes, 10.0, -1) == 0.0);
  CHECK(std::isnan(clvkit::mbgnbd_conditional_expected_purchases(kLifetimes, 1, 1, 2, -1.0)));
  CHECK(std::isnan(clvkit::mbgnbd_probability_of_purchases(kLifetimes, -1.0, 1)));
}
