// BG/BB (bgbb.hpp, bgbb_fit.hpp): the published donation numbers of Fader, Hardie & Shang (2010)
// and lifetimes' per-pattern values, gradients against central differences, DERT against its
// discounted sum, the new-customer distribution against its mean, properties over extreme grids
// and the fit's refusals.

#include "clvkit/models/bgbb.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/models/bgbb_fit.hpp"
#include "clvkit/models/patterns.hpp"

namespace {

using clvkit::BgBbParams;
using clvkit::FrequencyRecencyPattern;

// lifetimes 0.11.3's BG/BB estimates on the donations (tests/data/reference/README.md; the shared
// reference.json, key bgbb_donations) and the published (rounded) ones of FHS 2010.
const BgBbParams kLifetimes{1.203522393608002, 0.7497163581757513, 0.6567181695499895,
                            2.783441982887859};
const BgBbParams kPaper{1.204, 0.750, 0.657, 2.783};

double rel(double got, double want) {
  if (want == 0.0) return std::fabs(got);
  return std::fabs(got - want) / std::fabs(want);
}

// The 22 (x, t_x, n = 6) patterns of the donations with their numbers of donors (11,104 in all).
std::vector<FrequencyRecencyPattern> donations() {
  const auto columns = clvkit::test::read_reference_csv("donations.csv");
  std::vector<FrequencyRecencyPattern> patterns;
  for (std::size_t i = 0; i < columns.at("frequency").size(); ++i) {
    patterns.push_back({columns.at("frequency")[i], columns.at("recency")[i],
                        columns.at("periods")[i], columns.at("weights")[i]});
  }
  return patterns;
}

// Every BG/BB history with n opportunities: (0, 0, n) and x <= t_x <= n for x >= 1.
std::vector<std::array<double, 3>> histories_of(double n) {
  std::vector<std::array<double, 3>> out = {{0.0, 0.0, n}};
  for (double x = 1.0; x <= n; x += 1.0) {
    for (double t_x = x; t_x <= n; t_x += 1.0) out.push_back({x, t_x, n});
  }
  return out;
}

}  // namespace

TEST_CASE("check_bgbb_params names the bad parameter and its value", "[bgbb][inputcheck]") {
  const auto message = [](const BgBbParams& p) {
    return clvkit::test::error_message<clvkit::ModelError>([&] { clvkit::check_bgbb_params(p); });
  };
  CHECK_THAT(message({-1.0, 0.7, 0.6, 2.7}), Catch::Contains("alpha is -1"));
  CHECK_THAT(message({1.2, 0.0, 0.6, 2.7}), Catch::Contains("beta is 0"));
  CHECK_THAT(message({1.2, 0.7, NAN, 2.7}), Catch::Contains("gamma is nan"));
  CHECK_THAT(message({1.2, 0.7, 0.6, INFINITY}), Catch::Contains("delta is inf"));
  CHECK_NOTHROW(clvkit::check_bgbb_params(kLifetimes));
}

TEST_CASE("BG/BB log-likelihood of the donations matches lifetimes and FHS 2010 (-33225.6)",
          "[bgbb][paper]") {
  // lifetimes: -33225.58127434614 at its estimates, -33225.58175451771 at the published ones; the
  // paper prints -33225.6. 1e-6 absolute: the same formula on the same 22 patterns.
  const auto patterns = donations();
  double ll = 0.0, ll_paper = 0.0, customers = 0.0;
  for (const auto& d : patterns) {
    ll += d.count * clvkit::bgbb_log_likelihood(kLifetimes, d.x, d.t_x, d.T);
    ll_paper += d.count * clvkit::bgbb_log_likelihood(kPaper, d.x, d.t_x, d.T);
    customers += d.count;
  }
  CHECK(customers == 11104.0);
  CHECK(std::fabs(ll - -33225.58127434614) < 1e-6);
  CHECK(std::fabs(ll_paper - -33225.58175451771) < 1e-6);
  CHECK(std::round(ll_paper * 10.0) / 10.0 == -33225.6);
  const double total = clvkit::bgbb_total_log_likelihood(kLifetimes, patterns, nullptr);
  CHECK(total == Approx(ll).epsilon(1e-14));
  std::array<double, 4> gradient{};
  CHECK(clvkit::bgbb_total_log_likelihood(kLifetimes, patterns, &gradient, 1) == total);
  // lifetimes' gradient at its own optimum (reference.json): |dLL/dparam| < 1e-4.
  for (const double g : gradient) CHECK(std::fabs(g) < 2e-4);
}

TEST_CASE("BG/BB fit reproduces FHS 2010's donation estimates", "[bgbb][paper][fit]") {
  // FHS 2010 / lifetimes: alpha 1.2035, beta 0.7497, gamma 0.6567, delta 2.7834 (to that
  // rounding), LL -33225.58; lifetimes' standard errors 0.069, 0.029, 0.051, 0.321 (delta method
  // from autograd's Hessian), which the observed information here matches to 2%.
  const clvkit::BgBbFit fit = clvkit::fit_bgbb(donations());
  CAPTURE(fit.summary.brief_report());
  REQUIRE(fit.summary.converged());
  REQUIRE(fit.summary.standard_errors_available);
  const auto round4 = [](double v) { return std::round(v * 1e4) / 1e4; };
  CHECK(round4(fit.params.alpha) == 1.2035);
  CHECK(round4(fit.params.beta) == 0.7497);
  CHECK(round4(fit.params.gamma) == 0.6567);
  CHECK(round4(fit.params.delta) == 2.7834);
  CHECK(std::round(fit.summary.log_likelihood * 100.0) / 100.0 == -33225.58);
  CHECK(fit.summary.log_likelihood >= -33225.58127434614 - 1e-6);
  const std::array<double, 4> se = {0.06939136218670083, 0.029447716220977884, 0.05100985033286411,
                                    0.320818939435451};
  for (std::size_t k = 0; k < 4; ++k) {
    CAPTURE(k, fit.summary.parameters[k].standard_error);
    CHECK(rel(fit.summary.parameters[k].standard_error, se[k]) < 0.02);
  }
  // The same fit for any number of threads.
  clvkit::FitOptions threads;
  threads.threads = 3;
  const clvkit::BgBbFit again = clvkit::fit_bgbb(donations(), threads);
  CHECK(again.summary.log_likelihood == fit.summary.log_likelihood);
  CHECK(again.params.delta == fit.params.delta);
}

TEST_CASE("BG/BB reproduces lifetimes' expected transactions and P(alive) per pattern",
          "[bgbb][paper][consistency]") {
  // tests/data/reference/bgbb_donations_patterns.csv (lifetimes 0.11.3 at its estimates) prints
  // 10 significant digits: 1e-6 relative per pattern (measured: below 2e-10). The columns are
  // E[X(n, n+5) | x, t_x, n] and P(alive at opportunity n+1); the donor-weighted sum of the first
  // is reference.json's 12884.156963748705.
  const auto ref = clvkit::test::read_reference_csv("bgbb_donations_patterns.csv");
  const auto& x = ref.at("frequency");
  const auto& t_x = ref.at("recency");
  const auto& n = ref.at("periods");
  const auto& w = ref.at("weights");
  const auto& want_e = ref.at("exp_transactions_opportunities_n+1..n+5");
  const auto& want_p = ref.at("p_alive_at_opportunity_n_plus_1");
  REQUIRE(x.size() == 22);
  double worst_e = 0.0, worst_p = 0.0, total = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double e =
        clvkit::bgbb_conditional_expected_transactions(kLifetimes, x[i], t_x[i], n[i], 5);
    const double p = clvkit::bgbb_p_alive(kLifetimes, x[i], t_x[i], n[i]);
    CAPTURE(i, x[i], t_x[i], n[i], e, want_e[i], p, want_p[i]);
    CHECK(rel(e, want_e[i]) < 1e-6);
    CHECK(rel(p, want_p[i]) < 1e-6);
    worst_e = std::max(worst_e, rel(e, want_e[i]));
    worst_p = std::max(worst_p, rel(p, want_p[i]));
    total += w[i] * e;
  }
  CAPTURE(worst_e, worst_p);
  CHECK(worst_e < 1e-9);
  CHECK(worst_p < 1e-9);
  CHECK(std::fabs(total - 12884.156963748705) < 1e-5);
}

TEST_CASE("BG/BB analytic gradient matches central differences", "[bgbb][gradient]") {
  // Relative step 1e-6 on each parameter (1e-5 where a parameter is 1e-3, so the step is not
  // lost next to it); agreement to 1e-6 of the gradient's scale, max(1, |LL|) / theta, and the
  // value with the gradient is bit for bit the value without.
  const std::vector<BgBbParams> params = {kLifetimes,
                                          {1e-3, 1e-3, 1e-3, 1e-3},
                                          {1e3, 1e3, 1e3, 1e3},
                                          {1e-3, 1e3, 1e3, 1e-3},
                                          {1e3, 1e-3, 1e-3, 1e3},
                                          {0.5, 2.0, 1.0, 5.0},
                                          {20.0, 0.1, 3.0, 0.2}};
  const std::vector<std::array<double, 3>> histories = {
      {0, 0, 6},     {1, 1, 6},     {3, 5, 6},          {6, 6, 6},      {0, 0, 0},
      {2, 10, 100},  {50, 60, 100}, {0, 0, 1000},       {10, 20, 1000}, {1000, 1000, 1000},
      {1, 1, 10000}, {0, 0, 10000}, {5000, 9000, 10000}};
  for (const BgBbParams& p : params) {
    for (const auto& [x, t_x, n] : histories) {
      std::array<double, 4> g{};
      const double ll = clvkit::bgbb_log_likelihood_gradient(p, x, t_x, n, g);
      CAPTURE(p.alpha, p.beta, p.gamma, p.delta, x, t_x, n, ll);
      REQUIRE(std::isfinite(ll));
      CHECK(ll == clvkit::bgbb_log_likelihood(p, x, t_x, n));
      const std::array<double, 4> theta = {p.alpha, p.beta, p.gamma, p.delta};
      for (std::size_t k = 0; k < 4; ++k) {
        const double h = (theta[k] < 0.01 ? 1e-5 : 1e-6) * theta[k];
        auto up = theta, down = theta;
        up[k] += h;
        down[k] -= h;
        const double numeric =
            (clvkit::bgbb_log_likelihood({up[0], up[1], up[2], up[3]}, x, t_x, n) -
             clvkit::bgbb_log_likelihood({down[0], down[1], down[2], down[3]}, x, t_x, n)) /
            (2.0 * h);
        CAPTURE(k, g[k], numeric);
        CHECK(std::isfinite(g[k]));
        CHECK(g[k] == Approx(numeric).margin(1e-6 * std::max(1.0, std::fabs(ll)) / theta[k]));
      }
    }
  }
  // The total's gradient is the count-weighted sum of the per-pattern ones.
  const auto patterns = donations();
  std::array<double, 4> total{};
  clvkit::bgbb_total_log_likelihood(kPaper, patterns, &total, 1);
  std::array<double, 4> sum{};
  for (const auto& d : patterns) {
    std::array<double, 4> g{};
    clvkit::bgbb_log_likelihood_gradient(kPaper, d.x, d.t_x, d.T, g);
    for (std::size_t k = 0; k < 4; ++k) sum[k] += d.count * g[k];
  }
  for (std::size_t k = 0; k < 4; ++k) CHECK(total[k] == Approx(sum[k]).margin(1e-8));
}

TEST_CASE("BG/BB total log-likelihood is the same for any number of threads",
          "[bgbb][consistency]") {
  // Every history with n = 1 .. 40 opportunities (11,480 patterns: more than one task of the
  // blocked sum), with counts 1 .. 7: the total and its gradient bit for bit on 1, 2 and 3 threads.
  std::vector<FrequencyRecencyPattern> patterns;
  for (double n = 1.0; n <= 40.0; n += 1.0) {
    for (const auto& [x, t_x, nn] : histories_of(n)) {
      patterns.push_back({x, t_x, nn, static_cast<double>(1 + patterns.size() % 7)});
    }
  }
  REQUIRE(patterns.size() > 8192);
  std::array<double, 4> g1{}, g2{}, g3{};
  const double one = clvkit::bgbb_total_log_likelihood(kLifetimes, patterns, &g1, 1);
  CHECK(clvkit::bgbb_total_log_likelihood(kLifetimes, patterns, &g2, 2) == one);
  CHECK(clvkit::bgbb_total_log_likelihood(kLifetimes, patterns, &g3, 3) == one);
  CHECK(clvkit::bgbb_total_log_likelihood(kLifetimes, patterns, nullptr, 3) == one);
  CHECK(g1 == g2);
  CHECK(g1 == g3);
  // Its special functions, tabulated per distinct count, are the per-pattern function's own: a
  // pattern alone gives bgbb_log_likelihood(_gradient) bit for bit.
  for (std::size_t i = 0; i < patterns.size(); i += 97) {
    const FrequencyRecencyPattern one{patterns[i].x, patterns[i].t_x, patterns[i].T, 1.0};
    CAPTURE(one.x, one.t_x, one.T);
    std::array<double, 4> g{}, total{};
    CHECK(clvkit::bgbb_total_log_likelihood(kLifetimes, {one}, &total, 1) ==
          clvkit::bgbb_log_likelihood_gradient(kLifetimes, one.x, one.t_x, one.T, g));
    CHECK(total == g);
  }
}

TEST_CASE("BG/BB DERT equals the discounted sum of the expected transactions",
          "[bgbb][dert][consistency]") {
  // FHS 2010 eq. 14 discounts the first future opportunity n+1 by 1/(1+d) (bgbb.hpp): DERT =
  // sum_{k>=1} [E(n, n+k) - E(n, n+k-1)] / (1+d)^k, summed here from the conditional expectation
  // until the discounted increments are below 1e-17 of the sum (at most 1e6 terms). Agreement to
  // 1e-9 relative (the 2F1 is good to ~1e-12; the increments, differences of E, lose a few digits).
  for (const BgBbParams& p : {kLifetimes, BgBbParams{0.5, 2.0, 2.5, 5.0},
                              BgBbParams{3.0, 1.0, 1.0, 1.0}, BgBbParams{1e-3, 1e3, 1e-3, 1e3},
                              BgBbParams{1e3, 1e-3, 1e3, 1e-3}, BgBbParams{2.0, 2.0, 0.1, 100.0}}) {
    for (const auto& [x, t_x, n] : std::vector<std::array<double, 3>>{{0, 0, 6},
                                                                      {3, 5, 6},
                                                                      {6, 6, 6},
                                                                      {0, 0, 0},
                                                                      {10, 90, 100},
                                                                      {500, 1000, 1000},
                                                                      {5000, 9999, 10000}}) {
      // d = 0.001 at n = 1e4 is where log_hyp2f1's connection formula would lose 6 digits.
      for (const double d : {0.1, 0.01, 0.001, 1.0, 10.0}) {
        double sum = 0.0, previous = 0.0, discount = 1.0;
        for (int k = 1; k <= 1'000'000; ++k) {
          const double e = clvkit::bgbb_conditional_expected_transactions(p, x, t_x, n, k);
          discount /= 1.0 + d;
          const double increment = (e - previous) * discount;
          sum += increment;
          previous = e;
          if (increment <= 1e-17 * sum || discount < 1e-300) break;
        }
        const double dert = clvkit::bgbb_dert(p, x, t_x, n, d);
        CAPTURE(p.alpha, p.beta, p.gamma, p.delta, x, t_x, n, d, dert, sum);
        CHECK(std::isfinite(dert));
        CHECK(rel(dert, sum) < 1e-9);
      }
    }
  }
}

TEST_CASE("BG/BB DERT decreases in d towards its undiscounted limit", "[bgbb][dert][property]") {
  // d -> 0: E[X(n, inf) | x, t_x, n] = P(alive) (alpha+x)/(alpha+beta+n) (gamma+delta+n)/(gamma-1)
  // for gamma > 1, +inf otherwise; DERT decreases as the discount rate grows.
  const BgBbParams p{0.5, 2.0, 2.5, 5.0};
  for (const auto& [x, t_x, n] :
       std::vector<std::array<double, 3>>{{0, 0, 6}, {3, 5, 6}, {20, 700, 1000}}) {
    const double limit = clvkit::bgbb_conditional_expected_transactions(p, x, t_x, n, INFINITY);
    CAPTURE(x, t_x, n, limit);
    CHECK(clvkit::bgbb_dert(p, x, t_x, n, 0.0) == Approx(limit).epsilon(1e-14));
    // The approach is linear in d with slope -E[1/theta^2]-ish (finite for gamma > 2): ~2e-6
    // relative per 1e-9 at n = 1000, where theta's posterior mean is ~1/400.
    CHECK(clvkit::bgbb_dert(p, x, t_x, n, 1e-12) == Approx(limit).epsilon(1e-7));
    double previous = limit;
    for (const double d : {1e-6, 1e-3, 0.05, 0.1, 1.0, 100.0, 1e6}) {
      const double dert = clvkit::bgbb_dert(p, x, t_x, n, d);
      CAPTURE(d, dert);
      CHECK(dert < previous);
      CHECK(dert > 0.0);
      previous = dert;
    }
  }
  CHECK(clvkit::bgbb_dert(kLifetimes, 3, 5, 6, 0.0) == INFINITY);  // gamma = 0.66 <= 1
  CHECK(std::isnan(clvkit::bgbb_dert(kLifetimes, 3, 5, 6, -0.1)));
  CHECK(std::isnan(clvkit::bgbb_dert(kLifetimes, 7, 7, 6, 0.1)));  // not a BG/BB history
  CHECK(std::isnan(clvkit::bgbb_dert({1.0, -1.0, 1.0, 1.0}, 3, 5, 6, 0.1)));
}

TEST_CASE("BG/BB P(X(n) = x) sums to 1 and its mean is E[X(n)] (FHS 2010 eqs. 7 and 8)",
          "[bgbb][consistency]") {
  for (const BgBbParams& p :
       {kLifetimes, BgBbParams{0.5, 2.0, 2.5, 5.0}, BgBbParams{1e-3, 1e3, 1e3, 1e-3},
        BgBbParams{50.0, 0.2, 0.01, 30.0}}) {
    for (const double n : {0.0, 1.0, 6.0, 39.0, 500.0}) {
      double total = 0.0, mean = 0.0;
      for (int x = 0; x <= static_cast<int>(n); ++x) {
        const double px = clvkit::bgbb_probability_of_transactions(p, n, x);
        REQUIRE(px >= 0.0);
        total += px;
        mean += x * px;
      }
      CAPTURE(p.alpha, p.beta, p.gamma, p.delta, n, total, mean);
      CHECK(total == Approx(1.0).epsilon(1e-11));
      CHECK(mean == Approx(clvkit::bgbb_expected_transactions_new_customer(p, n))
                        .epsilon(1e-10)
                        .margin(1e-300));
      CHECK(clvkit::bgbb_probability_of_transactions(p, n, static_cast<int>(n) + 1) == 0.0);
    }
  }
  // Eq. 8 in its textbook form at gamma = 2.5.
  const BgBbParams p{0.5, 2.0, 2.5, 5.0};
  for (const double n : {1.0, 6.0, 300.0}) {
    const double textbook = 0.5 / 2.5 * 5.0 / 1.5 *
                            (1.0 - std::exp(std::lgamma(7.5) + std::lgamma(6.0 + n) -
                                            std::lgamma(7.5 + n) - std::lgamma(6.0)));
    CHECK(clvkit::bgbb_expected_transactions_new_customer(p, n) == Approx(textbook).epsilon(1e-12));
  }
  CHECK(clvkit::bgbb_probability_of_transactions(kLifetimes, 6, -1) == 0.0);
  CHECK(std::isnan(clvkit::bgbb_probability_of_transactions(kLifetimes, -1, 0)));
  CHECK(clvkit::bgbb_expected_transactions_new_customer(kLifetimes, 0.0) == 0.0);
  CHECK(std::isnan(clvkit::bgbb_expected_transactions_new_customer(kLifetimes, -1.0)));
}

TEST_CASE("BG/BB expectation given alive is continuous through gamma = 1 and across methods",
          "[bgbb][property]") {
  // Near gamma = 1 the closed form (gamma+delta+n)/(gamma-1) [1 - ...] cancels; the Q form does
  // not: at gamma = 1 +- dg the value moves by O(dg), and down as gamma grows (from n_star = 2 on:
  // the first opportunity, n+1, is certain given alive). Across n_star = 256 | 257 (direct sum |
  // lgamma quotients) the increment is the 257th term.
  for (const double n : {0.0, 6.0, 1000.0}) {
    const double x = std::min(3.0, n);
    for (const double m : {2.0, 5.0, 256.0, 257.0, 5000.0}) {
      const double at =
          clvkit::bgbb_expected_transactions_given_alive({1.0, 1.0, 1.0, 2.0}, x, n, m);
      for (const double dg : {1e-12, 1e-8, 1e-5}) {
        CAPTURE(n, m, dg, at);
        const double above =
            clvkit::bgbb_expected_transactions_given_alive({1.0, 1.0, 1.0 + dg, 2.0}, x, n, m);
        const double below =
            clvkit::bgbb_expected_transactions_given_alive({1.0, 1.0, 1.0 - dg, 2.0}, x, n, m);
        CHECK(rel(above, at) < 10.0 * dg * std::log(m + 2.0) + 1e-14);
        CHECK(rel(below, at) < 10.0 * dg * std::log(m + 2.0) + 1e-14);
        CHECK(below > at);
        CHECK(above < at);
      }
    }
  }
  for (const BgBbParams& p : {kLifetimes, BgBbParams{1.0, 1.0, 1.0, 2.0},
                              BgBbParams{1.0, 1.0, 3.0, 1e3}, BgBbParams{1.0, 1.0, 1e-3, 1e-3}}) {
    for (const double n : {0.0, 6.0, 1e4}) {
      // The sum's terms are (delta')_j / (gamma+delta')_j times (alpha+x)/(alpha+beta+n).
      const double delta1 = p.delta + n + 1.0;
      const double term_256 =
          std::exp(std::lgamma(delta1 + 256.0) - std::lgamma(delta1) -
                   std::lgamma(p.gamma + delta1 + 256.0) + std::lgamma(p.gamma + delta1)) *
          (p.alpha + 2.0) / (p.alpha + p.beta + n);
      const double e256 = clvkit::bgbb_expected_transactions_given_alive(p, 2, n, 256);
      const double e257 = clvkit::bgbb_expected_transactions_given_alive(p, 2, n, 257);
      CAPTURE(p.gamma, p.delta, n, e256, e257, term_256);
      CHECK(e257 - e256 == Approx(term_256).epsilon(1e-6).margin(1e-12 * e257));
    }
  }
}

TEST_CASE("BG/BB functions stay finite and sane over an extreme grid", "[bgbb][property]") {
  // Parameters 1e-3 .. 1e3, histories up to n = 1e4 with x = 0, x = n and between: the
  // log-likelihood, its gradient, P(alive) in [0, 1], E[X(n, n+n*)] finite and non-decreasing in
  // n* (to 1e-13 relative), P(alive) * E[... | alive] = E, and DERT finite for d > 0.
  const std::vector<double> values = {1e-3, 1.0, 1e3};
  for (const double alpha : values) {
    for (const double beta : values) {
      for (const double gamma : values) {
        for (const double delta : values) {
          const BgBbParams p{alpha, beta, gamma, delta};
          for (const double n : {0.0, 1.0, 6.0, 100.0, 1e4}) {
            for (const auto& [x, t_x] : std::vector<std::array<double, 2>>{
                     {0, 0}, {n, n}, {1, 1}, {1, n}, {std::floor(n / 2), n - 1}}) {
              if (!clvkit::is_bgbb_history(x, t_x, n)) continue;
              CAPTURE(alpha, beta, gamma, delta, x, t_x, n);
              std::array<double, 4> g{};
              CHECK(std::isfinite(clvkit::bgbb_log_likelihood_gradient(p, x, t_x, n, g)));
              for (const double gk : g) CHECK(std::isfinite(gk));
              const double pa = clvkit::bgbb_p_alive(p, x, t_x, n);
              CHECK(pa >= 0.0);
              CHECK(pa <= 1.0);
              double previous = 0.0;
              for (const double m : {1.0, 2.0, 5.0, 52.0, 256.0, 257.0, 1e4, 1e8}) {
                const double e = clvkit::bgbb_conditional_expected_transactions(p, x, t_x, n, m);
                CAPTURE(m, e, previous);
                CHECK(std::isfinite(e));
                CHECK(e >= previous * (1.0 - 1e-13));
                CHECK(e <= m);
                CHECK(e == pa * clvkit::bgbb_expected_transactions_given_alive(p, x, n, m));
                previous = e;
              }
              for (const double d : {1e-3, 0.1, 10.0}) {
                CAPTURE(d);
                const double dert = clvkit::bgbb_dert(p, x, t_x, n, d);
                CHECK(std::isfinite(dert));
                CHECK(dert >= 0.0);
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("BG/BB reads histories in whole opportunities", "[bgbb][property]") {
  using clvkit::bgbb_history;
  using clvkit::is_bgbb_history;
  CHECK(is_bgbb_history(0, 0, 0));
  CHECK(is_bgbb_history(3, 5, 6));
  CHECK_FALSE(is_bgbb_history(3, 2, 6));  // more transactions than opportunities up to t_x
  CHECK_FALSE(is_bgbb_history(0, 2, 6));  // a last transaction without any
  CHECK_FALSE(is_bgbb_history(1, 0, 6));
  CHECK_FALSE(is_bgbb_history(3, 7, 6));
  CHECK_FALSE(is_bgbb_history(2.5, 3, 6));  // not whole
  CHECK_FALSE(is_bgbb_history(NAN, 3, 6));
  // Near-whole values (days / period length) are rounded; the rest is repaired keeping x and n.
  const auto same = [](const clvkit::BgBbHistory& h, double x, double t_x, double n) {
    return h.x == x && h.t_x == t_x && h.n == n;
  };
  CHECK(same(bgbb_history(2.9993, 4.0004, 5.9996), 3, 4, 6));
  CHECK(same(bgbb_history(5, 3, 6), 5, 5, 6));
  CHECK(same(bgbb_history(9, 3, 6), 6, 6, 6));
  CHECK(same(bgbb_history(0, 3, 6), 0, 0, 6));
  CHECK(same(bgbb_history(2, 8, 6), 2, 6, 6));
  CHECK(same(bgbb_history(0.4, 0.4, 0.4), 0, 0, 0));
  CHECK(std::isnan(bgbb_history(NAN, 1, 6).n));
  // Outside the histories the functions say so rather than invent a value.
  CHECK(clvkit::bgbb_log_likelihood(kLifetimes, 3, 2, 6) == -INFINITY);
  CHECK(std::isnan(clvkit::bgbb_p_alive(kLifetimes, 3, 2, 6)));
  CHECK(std::isnan(clvkit::bgbb_conditional_expected_transactions(kLifetimes, 3, 2, 6, 5)));
  CHECK(std::isnan(clvkit::bgbb_conditional_expected_transactions(kLifetimes, 3, 4, 6, -1)));
  CHECK(clvkit::bgbb_conditional_expected_transactions(kLifetimes, 3, 4, 6, 0.99) == 0.0);
}

TEST_CASE("BG/BB fit refuses data that cannot be BG/BB histories, naming the pattern",
          "[bgbb][fit][inputcheck]") {
  const auto message = [](const std::vector<FrequencyRecencyPattern>& data) {
    return clvkit::test::error_message<clvkit::ModelError>([&] { clvkit::fit_bgbb(data); });
  };
  auto data = donations();
  data[4] = {5.0, 3.2, 6.0, 10.0};  // 5 transactions in 3 opportunities
  CHECK_THAT(message(data), Catch::Contains("pattern 5") && Catch::Contains("x = 5") &&
                                Catch::Contains("t_x = 3.2") &&
                                Catch::Contains("(5, 3, 6 in whole") &&
                                Catch::Contains("at most one transaction per opportunity"));
  CHECK_FALSE(std::isfinite(clvkit::bgbb_total_log_likelihood(kLifetimes, data, nullptr)));
  data[4] = {1.0, 4.0, 3.0, 10.0};  // t_x > T
  CHECK_THAT(message(data), Catch::Contains("pattern 5") && Catch::Contains("t_x = 4"));
  data = donations();
  data[0].count = 0.0;
  CHECK_THAT(message(data), Catch::Contains("pattern 1 has count 0"));
  CHECK_THAT(message({}), Catch::Contains("no customers"));
  CHECK_THAT(message({{0, 0, 6, 10}}), Catch::Contains("no customer has a repeat transaction"));
  CHECK_THAT(message({{0, 0, 0, 10}}), Catch::Contains("n = 0 opportunities"));
  // Near-whole data (the log path's days / period length) fit as their rounded values.
  data = donations();
  auto blurred = data;
  for (auto& d : blurred) {
    d.x += 1e-4;
    d.t_x = std::max(0.0, d.t_x - 3e-4);
    d.T += 2e-4;
  }
  CHECK(clvkit::bgbb_total_log_likelihood(kLifetimes, blurred, nullptr) ==
        clvkit::bgbb_total_log_likelihood(kLifetimes, data, nullptr));
}
