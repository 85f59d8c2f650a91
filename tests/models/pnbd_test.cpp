// Pareto/NBD (pnbd.hpp, pnbd_fit.hpp, pnbd_model.hpp): the published CDNOW numbers and lifetimes'
// per-customer values, both 2F1 branches of the tail integral against quadrature and their
// continuity at alpha = beta, gradients against central differences, properties over extreme
// grids, and the simulators against the analytic expectations.

#include "clvkit/models/pnbd.hpp"

#include <algorithm>
#include <array>
#include <boost/math/quadrature/exp_sinh.hpp>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/models/pnbd_fit.hpp"
#include "clvkit/models/pnbd_model.hpp"
#include "clvkit/models/simulation_rng.hpp"

namespace {

using clvkit::ParetoNbdParams;

// lifetimes 0.11.3's Pareto/NBD estimates on the CDNOW 2,357 (tests/data/reference/README.md,
// reference.json key paretonbd_cdnow2357) and the published (rounded) ones.
const ParetoNbdParams kLifetimes{0.5532815861528053, 10.577753122778805, 0.6061714462872277,
                                 11.666906530603386};
const ParetoNbdParams kPaper{0.55, 10.58, 0.61, 11.67};

double rel(double got, double want) {
  if (want == 0.0) return std::fabs(got);
  return std::fabs(got - want) / std::fabs(want);
}

struct Cdnow {
  std::vector<double> x, t_x, T;
};

const Cdnow& cdnow() {
  static const Cdnow data = [] {
    auto columns = clvkit::test::read_reference_csv("cdnow_customers_summary.csv");
    return Cdnow{columns.at("frequency"), columns.at("recency"), columns.at("T")};
  }();
  return data;
}

std::vector<clvkit::FrequencyRecencyPattern> cdnow_patterns() {
  const Cdnow& d = cdnow();
  return clvkit::compress_patterns(d.x, d.t_x, d.T);
}

// log of integral_y^inf (alpha+tau)^-p (beta+tau)^-q dtau by exp-sinh quadrature (Boost), the
// integrand scaled by its value at tau = y: an independent check of the 2F1 branches.
double log_tail_by_quadrature(double p, double q, double alpha, double beta, double y) {
  const double log_at_y = -p * std::log(alpha + y) - q * std::log(beta + y);
  boost::math::quadrature::exp_sinh<double> integrator;
  const double integral = integrator.integrate(
      [&](double v) {
        return std::exp(-p * std::log(alpha + y + v) - q * std::log(beta + y + v) - log_at_y);
      },
      1e-14);
  return std::log(integral) + log_at_y;
}

// Customers simulated by the model's log simulator (draw_customer, next_purchase_time) in model
// time units, observed for T_i = T_min + (T_max - T_min) i / n, with times rounded down to days
// (1/7 week) as summaries are: (x, t_x, T) per customer.
std::vector<clvkit::FrequencyRecencyPattern> simulate_histories(const clvkit::ParetoNbdModel& model,
                                                                std::size_t n, double T_min,
                                                                double T_max, std::uint64_t seed) {
  std::vector<double> x(n), t_x(n), T(n);
  for (std::size_t i = 0; i < n; ++i) {
    clvkit::SimulationRng rng = clvkit::SimulationRng::for_customer(seed, i);
    clvkit::LatentState state;
    model.draw_customer(rng, 1.0, state);
    T[i] = std::floor(7.0 * (T_min + (T_max - T_min) * static_cast<double>(i) / n)) / 7.0;
    double t = 0.0;
    std::int64_t k = 0;
    for (;;) {
      const double next = model.next_purchase_time(state, k, t, rng);
      if (!(next <= T[i])) break;
      t = next;
      ++k;
    }
    x[i] = static_cast<double>(k);
    t_x[i] = std::min(T[i], std::floor(7.0 * t) / 7.0);
  }
  return clvkit::compress_patterns(x, t_x, T);
}

}  // namespace

TEST_CASE("check_pnbd_params names the bad parameter and its value", "[pnbd][inputcheck]") {
  const auto message = [](const ParetoNbdParams& p) {
    return clvkit::test::error_message<clvkit::ModelError>([&] { clvkit::check_pnbd_params(p); });
  };
  CHECK(message({0.5, -1.0, 0.6, 11.0}).find("alpha") != std::string::npos);
  CHECK(message({0.5, 10.0, 0.6, NAN}).find("beta") != std::string::npos);
  CHECK(message({0.0, 10.0, 0.6, 11.0}).find("r") != std::string::npos);
  CHECK(message({0.5, 10.0, 0.0, 11.0}).find("s") != std::string::npos);
  CHECK_NOTHROW(clvkit::check_pnbd_params(kLifetimes));
}

TEST_CASE("Pareto/NBD summed log-likelihood matches lifetimes and the paper (-9595.0)",
          "[pnbd][paper]") {
  // lifetimes: -9594.97392991023 at its estimates, -9595.008530490335 at the published values;
  // the paper prints -9595.0. Agreement to 1e-6 absolute: the same formula on the same data.
  const Cdnow& d = cdnow();
  double ll = 0.0, ll_paper = 0.0;
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    ll += clvkit::pnbd_log_likelihood(kLifetimes, d.x[i], d.t_x[i], d.T[i]);
    ll_paper += clvkit::pnbd_log_likelihood(kPaper, d.x[i], d.t_x[i], d.T[i]);
  }
  CHECK(std::fabs(ll - -9594.97392991023) < 1e-6);
  CHECK(std::fabs(ll_paper - -9595.008530490335) < 1e-6);
  CHECK(std::round(ll_paper * 10.0) / 10.0 == -9595.0);
  const double total = clvkit::pnbd_total_log_likelihood(kLifetimes, cdnow_patterns(), nullptr);
  CHECK(total == Approx(ll).epsilon(1e-13));
}

TEST_CASE("Pareto/NBD reproduces lifetimes on the CDNOW 2,357, customer by customer",
          "[pnbd][paper][consistency]") {
  // tests/data/reference/paretonbd_cdnow2357_customers.csv prints ~10 significant digits: 1e-6
  // relative per customer. The holdout sum of E[X(39)] is reference.json's 1665.5664985259268.
  const Cdnow& d = cdnow();
  const auto ref = clvkit::test::read_reference_csv("paretonbd_cdnow2357_customers.csv");
  REQUIRE(ref.at("p_alive").size() == d.x.size());
  double worst_p = 0.0, worst_e = 0.0, sum = 0.0;
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    const double p = clvkit::pnbd_p_alive(kLifetimes, d.x[i], d.t_x[i], d.T[i]);
    const double e =
        clvkit::pnbd_conditional_expected_purchases(kLifetimes, d.x[i], d.t_x[i], d.T[i], 39.0);
    CAPTURE(i, d.x[i], d.t_x[i], d.T[i], p, e);
    CHECK(rel(p, ref.at("p_alive")[i]) < 1e-6);
    CHECK(rel(e, ref.at("exp_purchases_39w")[i]) < 1e-6);
    worst_p = std::max(worst_p, rel(p, ref.at("p_alive")[i]));
    worst_e = std::max(worst_e, rel(e, ref.at("exp_purchases_39w")[i]));
    sum += e;
  }
  CAPTURE(worst_p, worst_e, sum);
  CHECK(std::fabs(sum - 1665.5664985259268) < 1e-4);
}

TEST_CASE("Pareto/NBD P(alive) of many histories is p_alive of each, bit for bit",
          "[pnbd][consistency]") {
  // p_alive_of computes each tail integral once per distinct (x, y): the CDNOW histories (with
  // their repeats), t_x = T ones, a NaN and -0, on one and two threads.
  const Cdnow& d = cdnow();
  std::vector<clvkit::PurchaseHistory> histories;
  for (std::size_t i = 0; i < d.x.size(); ++i) histories.push_back({d.x[i], d.t_x[i], d.T[i]});
  histories.push_back({3.0, 20.0, 20.0});
  histories.push_back({0.0, -0.0, 10.0});
  histories.push_back({std::nan(""), 1.0, 2.0});
  const clvkit::ParetoNbdModel model(kLifetimes);
  for (const int threads : {1, 2}) {
    const std::vector<double> all = model.p_alive_of(histories, threads);
    REQUIRE(all.size() == histories.size());
    for (std::size_t i = 0; i < histories.size(); ++i) {
      const double one = model.p_alive(histories[i]);
      CAPTURE(threads, i, one, all[i]);
      if (std::isnan(one)) {
        CHECK(std::isnan(all[i]));
      } else {
        CHECK(std::bit_cast<std::uint64_t>(all[i]) == std::bit_cast<std::uint64_t>(one));
      }
    }
  }
}

TEST_CASE("Pareto/NBD tail integral: both 2F1 branches match quadrature and meet at alpha = beta",
          "[pnbd][consistency]") {
  // Quadrature to ~1e-13; the 2F1 to ~1e-12 (hyp2f1.hpp). Tolerance 1e-10 absolute in the log.
  for (const double p : {0.05, 0.55, 3.0, 50.55, 1000.55}) {
    for (const double q : {1.01, 1.6, 5.0, 30.0}) {
      for (const auto& [alpha, beta] : std::vector<std::array<double, 2>>{
               {10.58, 11.67}, {11.67, 10.58}, {0.1, 100.0}, {100.0, 0.1}, {5.0, 5.0}}) {
        for (const double y : {0.0, 1.0, 38.86, 1000.0}) {
          CAPTURE(p, q, alpha, beta, y);
          const double got = clvkit::pnbd_log_tail_integral(p, q, alpha, beta, y);
          const double want = log_tail_by_quadrature(p, q, alpha, beta, y);
          CHECK(got == Approx(want).margin(1e-10 * std::max(1.0, std::fabs(want))));
        }
      }
    }
  }
  // Continuity across alpha = beta, where the branch changes: a relative change of 1e-9 in
  // alpha moves log F by at most ~p 1e-9.
  for (const double p : {0.55, 30.0, 1000.55}) {
    for (const double y : {0.0, 20.0, 1000.0}) {
      const double at = clvkit::pnbd_log_tail_integral(p, 1.6, 7.0, 7.0, y);
      const double below = clvkit::pnbd_log_tail_integral(p, 1.6, 7.0 * (1 - 1e-9), 7.0, y);
      const double above = clvkit::pnbd_log_tail_integral(p, 1.6, 7.0 * (1 + 1e-9), 7.0, y);
      CAPTURE(p, y, at, below, above);
      CHECK(std::fabs(below - at) < 1e-9 * (p + 1.6));
      CHECK(std::fabs(above - at) < 1e-9 * (p + 1.6));
      CHECK(below > at);
      CHECK(above < at);
    }
  }
}

TEST_CASE("Pareto/NBD tail integral and its gradient are continuous where the series hands over",
          "[pnbd][property]") {
  // The one-pass series applies for z <= 3/4 and (b + 1) z <= 40 (pnbd.cpp); at y = 0,
  // alpha = 1, beta = 4 is z = 3/4 exactly (alpha < beta: b = r + x), and with x = 55.45,
  // r = 0.55, alpha = 1, beta = 1/(1 - 40/57) is (b + 1) z = 40. Relative changes of 1e-12
  // in beta on either side agree to 1e-8 (value) and 1e-6 (gradient, central differences there).
  for (const auto& [r, x, beta] : std::vector<std::array<double, 3>>{
           {0.55, 2.0, 4.0}, {0.55, 55.45, 1.0 / (1.0 - 40.0 / 57.0)}}) {
    const clvkit::PnbdLogTail below =
        clvkit::pnbd_log_tail_gradient({r, 1.0, 0.61, beta * (1 - 1e-12)}, x, 0.0);
    const clvkit::PnbdLogTail above =
        clvkit::pnbd_log_tail_gradient({r, 1.0, 0.61, beta * (1 + 1e-12)}, x, 0.0);
    CAPTURE(r, x, beta, below.value, above.value);
    CHECK(below.value == Approx(above.value).epsilon(1e-8));
    for (std::size_t k = 0; k < 4; ++k) {
      CAPTURE(k, below.gradient[k], above.gradient[k]);
      CHECK(below.gradient[k] == Approx(above.gradient[k]).epsilon(1e-6));
    }
  }
}

TEST_CASE("Pareto/NBD gradient matches central differences", "[pnbd][gradient]") {
  // Relative step 1e-6 on each parameter; agreement to 1e-6 of the gradient's scale
  // (the model's r and s derivatives are themselves central differences, pnbd.hpp).
  const std::vector<ParetoNbdParams> params = {
      kLifetimes, {0.05, 0.5, 3.0, 200.0}, {5.0, 100.0, 0.2, 0.5}, {1.0, 5.0, 1.0, 5.0}};
  const std::vector<std::array<double, 3>> histories = {
      {0, 0, 39},        {2, 30.43, 38.86}, {1, 1.71, 38.86}, {20, 5, 50},
      {1000, 990, 1000}, {1000, 10, 1000},  {7, 39, 39}};
  for (const ParetoNbdParams& p : params) {
    for (const auto& [x, t_x, T] : histories) {
      std::array<double, 4> g{};
      const double ll = clvkit::pnbd_log_likelihood_gradient(p, x, t_x, T, g);
      CAPTURE(p.r, p.alpha, p.s, p.beta, x, t_x, T, ll);
      CHECK(ll == Approx(clvkit::pnbd_log_likelihood(p, x, t_x, T)).epsilon(1e-13));
      std::array<double, 4> theta = {p.r, p.alpha, p.s, p.beta};
      for (std::size_t k = 0; k < 4; ++k) {
        const double h = 1e-6 * theta[k];
        auto up = theta, down = theta;
        up[k] += h;
        down[k] -= h;
        const double numeric =
            (clvkit::pnbd_log_likelihood({up[0], up[1], up[2], up[3]}, x, t_x, T) -
             clvkit::pnbd_log_likelihood({down[0], down[1], down[2], down[3]}, x, t_x, T)) /
            (2.0 * h);
        CAPTURE(k, g[k], numeric);
        CHECK(g[k] == Approx(numeric).margin(1e-6 * std::max(1.0, std::fabs(ll)) / theta[k]));
      }
    }
  }
  // The total's gradient is the sum of the per-pattern ones.
  const auto patterns = cdnow_patterns();
  std::array<double, 4> total{};
  clvkit::pnbd_total_log_likelihood(kLifetimes, patterns, &total, 1);
  std::array<double, 4> sum{};
  for (const auto& d : patterns) {
    std::array<double, 4> g{};
    clvkit::pnbd_log_likelihood_gradient(kLifetimes, d.x, d.t_x, d.T, g);
    for (std::size_t k = 0; k < 4; ++k) sum[k] += d.count * g[k];
  }
  for (std::size_t k = 0; k < 4; ++k) CHECK(total[k] == Approx(sum[k]).margin(1e-6));
}

TEST_CASE("Pareto/NBD functions stay finite and sane over an extreme grid", "[pnbd][property]") {
  for (const double r : {0.01, 0.55, 20.0}) {
    for (const double alpha : {0.01, 10.0, 1000.0}) {
      for (const double s : {0.01, 0.61, 1.0, 20.0}) {
        for (const double beta : {0.01, 11.0, 1000.0}) {
          const ParetoNbdParams p{r, alpha, s, beta};
          for (const double x : {0.0, 1.0, 10.0, 1000.0}) {
            for (const double T : {0.5, 39.0, 1000.0}) {
              for (const double t_x : {0.0, 0.001 * T, 0.5 * T, T}) {
                if (x == 0.0 && t_x > 0.0) continue;
                CAPTURE(r, alpha, s, beta, x, t_x, T);
                std::array<double, 4> g{};
                CHECK(std::isfinite(clvkit::pnbd_log_likelihood(p, x, t_x, T)));
                CHECK(std::isfinite(clvkit::pnbd_log_likelihood_gradient(p, x, t_x, T, g)));
                for (const double gk : g) CHECK(std::isfinite(gk));
                const double pa = clvkit::pnbd_p_alive(p, x, t_x, T);
                CHECK(pa >= 0.0);
                CHECK(pa <= 1.0);
                double previous = 0.0;
                for (const double t : {1.0, 39.0, 520.0, 1e5}) {
                  const double e = clvkit::pnbd_conditional_expected_purchases(p, x, t_x, T, t);
                  CAPTURE(t, e);
                  CHECK(std::isfinite(e));
                  CHECK(e >= previous);
                  previous = e;
                }
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("Pareto/NBD expectation is continuous through s = 1 and is the new-customer one at 0",
          "[pnbd][property]") {
  for (const double t : {0.1, 39.0, 1000.0}) {
    const double at = clvkit::pnbd_expected_purchases_given_alive({0.5, 10.0, 1.0, 12.0}, 3, 39, t);
    for (const double ds : {1e-12, 1e-8, 1e-5}) {
      CAPTURE(t, ds);
      const double above =
          clvkit::pnbd_expected_purchases_given_alive({0.5, 10.0, 1.0 + ds, 12.0}, 3, 39, t);
      const double below =
          clvkit::pnbd_expected_purchases_given_alive({0.5, 10.0, 1.0 - ds, 12.0}, 3, 39, t);
      CHECK(rel(above, at) < 10.0 * ds * std::log1p(t / 51.0) + 1e-15);
      CHECK(rel(below, at) < 10.0 * ds * std::log1p(t / 51.0) + 1e-15);
    }
    // The textbook form at s = 3.
    const ParetoNbdParams p{0.5, 10.0, 3.0, 12.0};
    CHECK(clvkit::pnbd_expected_purchases_new_customer(p, t) ==
          Approx(0.5 * 12.0 / (10.0 * 2.0) * (1.0 - std::pow(12.0 / (12.0 + t), 2.0)))
              .epsilon(1e-13));
  }
  CHECK(clvkit::pnbd_expected_purchases_new_customer(kLifetimes, 0.0) == 0.0);
  CHECK(std::isnan(clvkit::pnbd_expected_purchases_new_customer(kLifetimes, -1.0)));
}

TEST_CASE("Pareto/NBD P(X(t) = n) sums to 1 and its mean is E[X(t)]", "[pnbd][consistency]") {
  // Terms to n = 500: the tail beyond is below 1e-15 here (t/(alpha+t) <= 0.89).
  for (const ParetoNbdParams& p :
       {kLifetimes, ParetoNbdParams{2.0, 10.0, 1.0, 5.0}, ParetoNbdParams{0.3, 20.0, 4.0, 2.0}}) {
    for (const double t : {1.0, 39.0, 78.0}) {
      double total = 0.0, mean = 0.0;
      for (int n = 0; n < 500; ++n) {
        const double pn = clvkit::pnbd_probability_of_purchases(p, t, n);
        REQUIRE(pn >= 0.0);
        total += pn;
        mean += n * pn;
      }
      CAPTURE(p.r, p.alpha, p.s, p.beta, t, total, mean);
      CHECK(total == Approx(1.0).epsilon(1e-10));
      CHECK(mean == Approx(clvkit::pnbd_expected_purchases_new_customer(p, t)).epsilon(1e-8));
    }
  }
  CHECK(clvkit::pnbd_probability_of_purchases(kLifetimes, 39.0, -1) == 0.0);
  CHECK(std::isnan(clvkit::pnbd_probability_of_purchases(kLifetimes, -1.0, 0)));
}

TEST_CASE("Pareto/NBD fit reproduces the CDNOW estimates (SMC 1987 / lifetimes)",
          "[pnbd][paper][fit]") {
  // lifetimes' Nelder-Mead optimum; the surface is flat along s/beta (five seeds spread over
  // 1.5e-4 in s and 3e-4 in beta relative), so r and alpha to 2e-4, s and beta to 1e-3, and the
  // LL to 1e-5 (every seed's LL agrees to 1e-7).
  const clvkit::ParetoNbdFit fit = clvkit::fit_pnbd(cdnow_patterns());
  CAPTURE(fit.summary.brief_report());
  REQUIRE(fit.summary.converged());
  CHECK(rel(fit.params.r, kLifetimes.r) < 2e-4);
  CHECK(rel(fit.params.alpha, kLifetimes.alpha) < 2e-4);
  CHECK(rel(fit.params.s, kLifetimes.s) < 1e-3);
  CHECK(rel(fit.params.beta, kLifetimes.beta) < 1e-3);
  CHECK(fit.summary.log_likelihood >= -9594.97393 - 1e-5);
  CHECK(fit.summary.log_likelihood < -9594.9739);
}

TEST_CASE("Pareto/NBD log simulator: mean repeat purchases of new customers is E[X(t)]",
          "[pnbd][simulation][consistency]") {
  // 200k customers observed for exactly t = 39 weeks (no rounding: T is a whole number of days).
  // The mean count is within 4 standard errors of the analytic E[X(39)].
  const clvkit::ParetoNbdModel model(kLifetimes);
  const auto patterns = simulate_histories(model, 200'000, 39.0, 39.0, 11);
  double n = 0.0, sum = 0.0, sum_sq = 0.0;
  for (const auto& d : patterns) {
    n += d.count;
    sum += d.count * d.x;
    sum_sq += d.count * d.x * d.x;
  }
  const double mean = sum / n;
  const double se = std::sqrt((sum_sq / n - mean * mean) / n);
  const double expected = model.expected_purchases_new_customer(39.0);
  CAPTURE(mean, se, expected);
  CHECK(std::fabs(mean - expected) < 4.0 * se);
}

TEST_CASE("Pareto/NBD future simulator: mean of draws is the conditional expectation",
          "[pnbd][simulation][consistency]") {
  // 200k draws per customer; within 4 standard errors of E[X(h) | x, t_x, T].
  const clvkit::ParetoNbdModel model(kLifetimes);
  const std::vector<clvkit::PurchaseHistory> customers = {
      {0, 0, 38.86}, {2, 30.43, 38.86}, {1, 1.71, 38.86}, {7, 38.0, 38.86}, {20, 50, 52}};
  const double horizon = 39.0;
  const auto simulator = model.future_simulator(customers, horizon, {});
  for (std::size_t c = 0; c < customers.size(); ++c) {
    clvkit::SimulationRng rng(1000 + c);
    double sum = 0.0, sum_sq = 0.0;
    constexpr int kDraws = 200'000;
    for (int k = 0; k < kDraws; ++k) {
      const double n = simulator->draw_purchases(c, 0, rng);
      sum += n;
      sum_sq += n * n;
    }
    const double mean = sum / kDraws;
    const double se = std::sqrt((sum_sq / kDraws - mean * mean) / kDraws);
    const double expected = model.expected_purchases(customers[c], horizon);
    CAPTURE(c, mean, se, expected);
    CHECK(std::fabs(mean - expected) < 4.0 * se);
  }
  // With parameter draws equal to the model's own parameters, the same stream gives the same
  // purchases.
  const auto with_draws =
      model.future_simulator(customers, horizon, {model.parameters(), model.parameters()});
  for (std::size_t c = 0; c < customers.size(); ++c) {
    clvkit::SimulationRng a(c), b(c);
    for (int k = 0; k < 100; ++k) {
      CHECK(simulator->draw_purchases(c, 0, a) == with_draws->draw_purchases(c, k % 2, b));
    }
  }
}

TEST_CASE("Pareto/NBD fit recovers the parameters of a simulated base",
          "[pnbd][simulation][consistency]") {
  // 50k customers from the CDNOW estimates, observed for 26 to 78 weeks, times in days. The fit
  // is within 3 standard errors of the truth in every parameter (the day rounding of t_x is a
  // bias far below them).
  const ParetoNbdParams truth{0.55, 10.58, 0.61, 11.67};
  const clvkit::ParetoNbdModel model(truth);
  const auto patterns = simulate_histories(model, 50'000, 26.0, 78.0, 5);
  const clvkit::ParetoNbdFit fit = clvkit::fit_pnbd(patterns);
  CAPTURE(fit.summary.brief_report());
  REQUIRE(fit.summary.converged());
  REQUIRE(fit.summary.standard_errors_available);
  const std::array<double, 4> want = {truth.r, truth.alpha, truth.s, truth.beta};
  for (std::size_t k = 0; k < 4; ++k) {
    const clvkit::ParameterEstimate& e = fit.summary.parameters[k];
    CAPTURE(e.name, e.value, e.standard_error, want[k]);
    CHECK(std::fabs(e.value - want[k]) < 3.0 * e.standard_error);
  }
}
