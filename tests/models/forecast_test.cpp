#include "clvkit/models/forecast.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/bgnbd.hpp"
#include "clvkit/models/bgnbd_model.hpp"
#include "clvkit/models/gamma_gamma.hpp"
#include "clvkit/models/gamma_gamma_model.hpp"
#include "clvkit/models/simulate.hpp"

namespace {

using clvkit::BgNbdModel;
using clvkit::ForecastCustomer;
using clvkit::ForecastOptions;
using clvkit::ForecastResult;
using clvkit::GammaGammaModel;
using clvkit::GroupForecast;

// CDNOW estimates: FHL 2005 (BG/NBD, weeks) and Fader & Hardie 2013 (Gamma-Gamma).
const clvkit::BgNbdParams kBgNbd{0.243, 4.414, 0.793, 2.426};
const clvkit::GammaGammaParams kGammaGamma{6.25, 3.74, 15.44};

// Monte Carlo checks compare a simulated mean with its expectation within kSigmas standard errors
// (sd over draws / sqrt(draws)). Seeds are fixed, so every check is deterministic; 4 SE leaves
// room for the few dozen checks per test case (a two-sided 4-sigma miss has probability 6e-5).
// Spend under the prior nu ~ Gamma(q = 3.74, gamma) has no fourth moment, so the revenue SE of
// groups with one-time buyers is itself a noisy estimate; a scratch run of 1e6 draws for a
// one-time buyer agreed with the analytic mean within 1.1 SE.
constexpr double kSigmas = 4.0;

// A deterministic spread of customer histories: one-time buyers, frequent buyers seen recently and
// long ago, short and long observation, repeat buyers with unknown spend (m = 0).
std::vector<ForecastCustomer> mixed_customers(int count, int n_groups) {
  std::vector<ForecastCustomer> customers;
  for (int i = 0; i < count; ++i) {
    ForecastCustomer c;
    c.T = 10.0 + static_cast<double>((i * 37) % 70);  // 10 .. 79 weeks
    c.x = static_cast<double>((i * 7) % 13);          // 0 .. 12 repeat purchases
    c.t_x = c.x > 0.0 ? c.T * static_cast<double>((i * 11) % 10 + 1) / 10.0 : 0.0;
    c.m = c.x > 0.0 && i % 9 != 0 ? 5.0 + static_cast<double>((i * 13) % 60) : 0.0;
    c.group = i % n_groups;
    customers.push_back(c);
  }
  return customers;
}

ForecastOptions options_with(double horizon, int draws, std::uint64_t seed, int threads = 1) {
  ForecastOptions options;
  options.horizon = horizon;
  options.draws = draws;
  options.seed = seed;
  options.threads = threads;
  return options;
}

bool same_bits(const clvkit::Interval& x, const clvkit::Interval& y) {
  return x.mean == y.mean && x.low == y.low && x.high == y.high && x.sd == y.sd;
}

bool same_bits(const GroupForecast& x, const GroupForecast& y) {
  return x.customers == y.customers && same_bits(x.purchases, y.purchases) &&
         same_bits(x.revenue, y.revenue) &&
         x.expected_purchases_analytic == y.expected_purchases_analytic &&
         x.expected_revenue_analytic == y.expected_revenue_analytic;
}

bool same_bits(const ForecastResult& x, const ForecastResult& y) {
  if (x.groups.size() != y.groups.size() || !same_bits(x.total, y.total)) return false;
  for (std::size_t g = 0; g < x.groups.size(); ++g) {
    if (!same_bits(x.groups[g], y.groups[g])) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Forecast mean purchases and revenue match the analytic expectations per group",
          "[forecast][consistency]") {
  constexpr int kGroups = 3;
  constexpr int kDraws = 20000;
  const auto customers = mixed_customers(90, kGroups);
  const double horizon = GENERATE(4.0, 39.0, 150.0);
  CAPTURE(horizon);
  const auto result =
      clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              options_with(horizon, kDraws, 7));

  REQUIRE(result.groups.size() == kGroups);
  std::vector<GroupForecast> all = result.groups;
  all.push_back(result.total);
  for (std::size_t g = 0; g < all.size(); ++g) {
    const GroupForecast& group = all[g];
    CAPTURE(g, group.customers);
    // The analytic sums are computed here independently of forecast_groups.
    double expected_purchases = 0.0;
    double expected_revenue = 0.0;
    for (const ForecastCustomer& c : customers) {
      if (g < kGroups && c.group != static_cast<int>(g)) continue;
      const double ex =
          clvkit::bgnbd_conditional_expected_purchases(kBgNbd, c.x, c.t_x, c.T, horizon);
      const double em =
          clvkit::gamma_gamma_conditional_expected_spend(kGammaGamma, c.m > 0.0 ? c.x : 0.0, c.m);
      expected_purchases += ex;
      expected_revenue += ex * em;  // purchases and spend are independent given the customer
    }
    CHECK(group.expected_purchases_analytic == Approx(expected_purchases).epsilon(1e-12));
    CHECK(group.expected_revenue_analytic == Approx(expected_revenue).epsilon(1e-12));

    const double purchases_se = group.purchases.sd / std::sqrt(double{kDraws});
    const double revenue_se = group.revenue.sd / std::sqrt(double{kDraws});
    CAPTURE(group.purchases.mean, expected_purchases, purchases_se);
    CAPTURE(group.revenue.mean, expected_revenue, revenue_se);
    CHECK(purchases_se > 0.0);
    CHECK(std::abs(group.purchases.mean - expected_purchases) <= kSigmas * purchases_se);
    CHECK(std::abs(group.revenue.mean - expected_revenue) <= kSigmas * revenue_se);
  }
}

TEST_CASE("Forecast of a single customer matches the analytic expectation over a grid",
          "[forecast][consistency]") {
  // Extreme histories one at a time, so a wrong posterior for one kind of customer cannot hide in a
  // group sum: no repeat purchases with short and long T, many purchases recent and long ago,
  // a heavy buyer observed briefly, and a repeat buyer without a known spend.
  const std::vector<ForecastCustomer> grid = {
      {0.0, 0.0, 0.0, 0.0, 0},    {0.0, 0.0, 80.0, 0.0, 0},  {1.0, 1.0, 30.0, 20.0, 0},
      {6.0, 29.0, 30.0, 40.0, 0}, {6.0, 3.0, 30.0, 40.0, 0}, {40.0, 9.5, 10.0, 12.0, 0},
      {3.0, 20.0, 60.0, 0.0, 0},  {2.0, 0.5, 1.0, 300.0, 0},
  };
  constexpr int kDraws = 20000;
  for (const ForecastCustomer& c : grid) {
    CAPTURE(c.x, c.t_x, c.T, c.m);
    const auto result = clvkit::forecast_groups(
        {c}, 1, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma), options_with(26.0, kDraws, 11));
    const GroupForecast& f = result.groups[0];
    const double purchases_se = f.purchases.sd / std::sqrt(double{kDraws});
    const double revenue_se = f.revenue.sd / std::sqrt(double{kDraws});
    CAPTURE(f.purchases.mean, f.expected_purchases_analytic, purchases_se);
    CAPTURE(f.revenue.mean, f.expected_revenue_analytic, revenue_se);
    CHECK(std::abs(f.purchases.mean - f.expected_purchases_analytic) <= kSigmas * purchases_se);
    CHECK(std::abs(f.revenue.mean - f.expected_revenue_analytic) <= kSigmas * revenue_se);
    CHECK(f.purchases.low <= f.purchases.high);
    CHECK(f.revenue.low <= f.revenue.high);
  }
}

TEST_CASE("Forecast intervals are ordered and contain the mean of a sizeable group",
          "[forecast][property]") {
  constexpr int kGroups = 4;
  const auto customers = mixed_customers(400, kGroups);
  const auto result =
      clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              options_with(39.0, 2000, 3));
  std::vector<GroupForecast> all = result.groups;
  all.push_back(result.total);
  for (std::size_t g = 0; g < all.size(); ++g) {
    const GroupForecast& group = all[g];
    CAPTURE(g, group.purchases.low, group.purchases.mean, group.purchases.high);
    CAPTURE(group.revenue.low, group.revenue.mean, group.revenue.high);
    CHECK(group.customers == (g < kGroups ? 100 : 400));
    CHECK(0.0 <= group.purchases.low);
    CHECK(group.purchases.low < group.purchases.mean);
    CHECK(group.purchases.mean < group.purchases.high);
    CHECK(0.0 <= group.revenue.low);
    CHECK(group.revenue.low < group.revenue.mean);
    CHECK(group.revenue.mean < group.revenue.high);
  }
  // Purchases are counts, so the per-draw sums are exact integers and the total's mean equals the
  // sum of the groups' means up to the rounding of the final divisions.
  double sum_of_means = 0.0;
  for (const GroupForecast& group : result.groups) sum_of_means += group.purchases.mean;
  CHECK(result.total.purchases.mean == Approx(sum_of_means).epsilon(1e-12));
}

TEST_CASE("Forecast is bit-identical for any thread count", "[forecast][property]") {
  // 2,000 customers are 8 blocks: enough for three workers to finish out of order.
  constexpr int kGroups = 5;
  const auto customers = mixed_customers(2000, kGroups);
  const auto one =
      clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              options_with(39.0, 300, 5, 1));
  for (const int threads : {2, 3, 8}) {
    CAPTURE(threads);
    const auto many =
        clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                GammaGammaModel(kGammaGamma), options_with(39.0, 300, 5, threads));
    CHECK(same_bits(one, many));
  }
}

TEST_CASE("Forecast depends on the seed and only on it", "[forecast][property]") {
  const auto customers = mixed_customers(300, 2);
  const auto a = clvkit::forecast_groups(customers, 2, BgNbdModel(kBgNbd),
                                         GammaGammaModel(kGammaGamma), options_with(20.0, 500, 42));
  const auto b = clvkit::forecast_groups(customers, 2, BgNbdModel(kBgNbd),
                                         GammaGammaModel(kGammaGamma), options_with(20.0, 500, 42));
  const auto c = clvkit::forecast_groups(customers, 2, BgNbdModel(kBgNbd),
                                         GammaGammaModel(kGammaGamma), options_with(20.0, 500, 43));
  CHECK(same_bits(a, b));
  CHECK_FALSE(same_bits(a, c));
  CHECK(a.total.revenue.mean != c.total.revenue.mean);
  // The analytic sums do not depend on the seed.
  CHECK(a.total.expected_purchases_analytic == c.total.expected_purchases_analytic);
}

TEST_CASE("Forecast revenue scales exactly with the margin", "[forecast][property]") {
  const auto customers = mixed_customers(200, 2);
  auto options = options_with(39.0, 400, 9);
  const auto base = clvkit::forecast_groups(customers, 2, BgNbdModel(kBgNbd),
                                            GammaGammaModel(kGammaGamma), options);
  options.margin = 0.25;  // a power of two: the scaled sums are exact
  const auto scaled = clvkit::forecast_groups(customers, 2, BgNbdModel(kBgNbd),
                                              GammaGammaModel(kGammaGamma), options);
  CHECK(same_bits(base.total.purchases, scaled.total.purchases));
  CHECK(scaled.total.revenue.mean == 0.25 * base.total.revenue.mean);
  CHECK(scaled.total.revenue.low == 0.25 * base.total.revenue.low);
  CHECK(scaled.total.revenue.high == 0.25 * base.total.revenue.high);
  CHECK(scaled.total.expected_revenue_analytic ==
        Approx(0.25 * base.total.expected_revenue_analytic).epsilon(1e-14));
}

TEST_CASE("A customer who is almost surely gone contributes nothing", "[forecast][property]") {
  // 30 purchases in the first 2 weeks, then silence for 100 weeks: P(alive) is astronomically
  // small, so no draw of 20,000 should find them alive.
  const ForecastCustomer gone{30.0, 2.0, 102.0, 25.0, 1};
  const double p_alive = clvkit::bgnbd_p_alive(kBgNbd, gone.x, gone.t_x, gone.T);
  CAPTURE(p_alive);
  REQUIRE(p_alive < 1e-9);
  const ForecastCustomer active{0.0, 0.0, 30.0, 0.0, 0};
  const auto result =
      clvkit::forecast_groups({active, gone}, 3, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              options_with(52.0, 20000, 1));
  const GroupForecast& g1 = result.groups[1];
  CHECK(g1.customers == 1);
  CHECK(g1.purchases.mean == 0.0);
  CHECK(g1.purchases.high == 0.0);
  CHECK(g1.revenue.mean == 0.0);
  CHECK(g1.expected_purchases_analytic < 1e-6);
  // A group without customers is all zeros.
  const GroupForecast& g2 = result.groups[2];
  CHECK(g2.customers == 0);
  CHECK(g2.purchases.mean == 0.0);
  CHECK(g2.revenue.high == 0.0);
  CHECK(g2.expected_purchases_analytic == 0.0);
  CHECK(result.total.customers == 2);
  CHECK(same_bits(result.total.purchases, result.groups[0].purchases));
}

TEST_CASE("Forecast of no customers is all zeros", "[forecast][property]") {
  const auto result = clvkit::forecast_groups(
      {}, 2, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma), options_with(10.0, 50, 1));
  REQUIRE(result.groups.size() == 2);
  CHECK(result.total.customers == 0);
  CHECK(result.total.purchases.mean == 0.0);
  CHECK(result.total.revenue.high == 0.0);
}

TEST_CASE("Forecast 90% intervals cover about 90% of futures drawn independently",
          "[forecast][consistency]") {
  // The futures are draws of the same posterior process under other seeds (one draw each), so a
  // realised group total falls inside [low, high] with probability 0.90, plus for the
  // integer-valued purchase totals the mass of the endpoints (about 2 phi(1.645) / sd, under one
  // point for the sd ~ 28 of these groups). Tolerances: the binomial SD of a coverage over 1,000
  // futures is 0.0095, and the estimated 4,000-draw quantiles move the true coverage by about
  // 0.005 (sqrt(0.05 * 0.95 / 4000) per end), so 0.86 .. 0.94 is 3.5 SD either side of 0.90
  // (0.95 for purchases, for the ties). A scratch run with 40,000-draw quantiles and 20,000
  // futures gave 0.900 .. 0.904 for every group and both totals.
  constexpr int kGroups = 2;
  constexpr int kFutures = 1000;
  const auto customers = mixed_customers(400, kGroups);
  const auto forecast =
      clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              options_with(26.0, 4000, 2024));
  std::vector<int> purchases_inside(kGroups + 1, 0);
  std::vector<int> revenue_inside(kGroups + 1, 0);
  const auto inside = [](const clvkit::Interval& interval, double value) {
    return interval.low <= value && value <= interval.high;
  };
  for (int j = 0; j < kFutures; ++j) {
    const auto future =
        clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                GammaGammaModel(kGammaGamma), options_with(26.0, 1, 100000 + j));
    for (int g = 0; g <= kGroups; ++g) {
      const GroupForecast& f = g < kGroups ? forecast.groups[g] : forecast.total;
      const GroupForecast& realised = g < kGroups ? future.groups[g] : future.total;
      purchases_inside[g] += inside(f.purchases, realised.purchases.mean) ? 1 : 0;
      revenue_inside[g] += inside(f.revenue, realised.revenue.mean) ? 1 : 0;
    }
  }
  for (int g = 0; g <= kGroups; ++g) {
    const double purchases_coverage = purchases_inside[g] / double{kFutures};
    const double revenue_coverage = revenue_inside[g] / double{kFutures};
    CAPTURE(g, purchases_coverage, revenue_coverage);
    CHECK(purchases_coverage >= 0.86);
    CHECK(purchases_coverage <= 0.95);
    CHECK(revenue_coverage >= 0.86);
    CHECK(revenue_coverage <= 0.94);
  }
}

TEST_CASE("Forecast spread matches a literal simulation of the posterior process",
          "[forecast][consistency]") {
  // forecast_groups draws from the process in its header through exact rearrangements (first
  // purchase from its marginal, p integrated out, spends summed in one variate). Here the process
  // is simulated literally (lambda, p and nu drawn, a coin and an exponential per purchase, one
  // variate per spend) and the variances are compared: the means are already checked against
  // FHL eq. 10, so this checks the second moment. Tolerance: 4 SE of the difference of two
  // sample variances, SE^2 = (mu4 - sigma^4) / n for each, estimated from the literal sample.
  // Revenue is compared only where nu's posterior shape exceeds 4, so that its fourth moment
  // exists.
  constexpr int kDraws = 100000;
  constexpr double kHorizon = 26.0;
  const std::vector<ForecastCustomer> grid = {
      {0.0, 0.0, 20.0, 0.0, 0},   {2.0, 15.0, 30.0, 25.0, 0}, {6.0, 3.0, 30.0, 40.0, 0},
      {12.0, 38.0, 40.0, 8.0, 0}, {3.0, 20.0, 60.0, 0.0, 0},
  };
  for (std::size_t i = 0; i < grid.size(); ++i) {
    const ForecastCustomer& c = grid[i];
    CAPTURE(c.x, c.t_x, c.T, c.m);
    std::vector<double> purchases(kDraws, 0.0);
    std::vector<double> revenue(kDraws, 0.0);
    clvkit::SimulationRng rng = clvkit::SimulationRng::for_customer(99, i);
    const double p_alive = clvkit::bgnbd_p_alive(kBgNbd, c.x, c.t_x, c.T);
    const double spend_x = c.m > 0.0 ? c.x : 0.0;
    for (int k = 0; k < kDraws; ++k) {
      if (!(clvkit::sample_uniform(rng) < p_alive)) continue;
      const double lambda = clvkit::sample_gamma(rng, kBgNbd.r + c.x, kBgNbd.alpha + c.T);
      const double p = clvkit::sample_beta(rng, kBgNbd.a, kBgNbd.b + c.x);
      const double nu = clvkit::sample_gamma(rng, kGammaGamma.q + kGammaGamma.p * spend_x,
                                             kGammaGamma.gamma + spend_x * c.m);
      double t = clvkit::sample_exponential(rng) / lambda;
      while (t <= kHorizon) {
        purchases[k] += 1.0;
        revenue[k] += clvkit::sample_gamma(rng, kGammaGamma.p, nu);
        if (clvkit::sample_uniform(rng) < p) break;
        t += clvkit::sample_exponential(rng) / lambda;
      }
    }
    const auto result =
        clvkit::forecast_groups({c}, 1, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                                options_with(kHorizon, kDraws, 17));
    const auto compare = [](const std::vector<double>& literal, const clvkit::Interval& fast) {
      const double n = static_cast<double>(literal.size());
      double mean = 0.0;
      for (const double v : literal) mean += v / n;
      double m2 = 0.0;
      double m4 = 0.0;
      for (const double v : literal) {
        const double d2 = (v - mean) * (v - mean);
        m2 += d2 / n;
        m4 += d2 * d2 / n;
      }
      const double se = std::sqrt(2.0 * (m4 - m2 * m2) / n);
      CAPTURE(mean, fast.mean, m2, fast.sd * fast.sd, se);
      CHECK(std::abs(fast.sd * fast.sd - m2) <= kSigmas * se);
    };
    compare(purchases, result.groups[0].purchases);
    if (kGammaGamma.q + kGammaGamma.p * spend_x > 4.0) compare(revenue, result.groups[0].revenue);
  }
}

TEST_CASE("Forecast rejects bad options and names them", "[forecast][inputcheck]") {
  const std::vector<ForecastCustomer> customers = {{1.0, 2.0, 10.0, 30.0, 0}};
  const auto expect_usage = [&](const ForecastOptions& options, int n_groups,
                                const std::string& token) {
    CAPTURE(token);
    try {
      clvkit::forecast_groups(customers, n_groups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              options);
      FAIL("no UsageError");
    } catch (const clvkit::UsageError& e) {
      CHECK_THAT(e.what(), Catch::Contains(token));
    }
  };
  auto options = options_with(10.0, 100, 1);
  expect_usage(options, 0, "n_groups");
  options.horizon = 0.0;
  expect_usage(options, 1, "horizon");
  options.horizon = std::nan("");
  expect_usage(options, 1, "horizon");
  options = options_with(10.0, 0, 1);
  expect_usage(options, 1, "draws");
  options = options_with(10.0, 100, 1, 0);
  expect_usage(options, 1, "threads");
  options = options_with(10.0, 100, 1);
  options.margin = -1.0;
  expect_usage(options, 1, "margin is -1");
}

TEST_CASE("Forecast rejects bad parameters and customers and names them",
          "[forecast][inputcheck]") {
  const auto options = options_with(10.0, 50, 1);
  const auto expect_model =
      [&](const std::vector<ForecastCustomer>& customers, const clvkit::BgNbdParams& bgnbd,
          const clvkit::GammaGammaParams& gamma_gamma, const std::string& token) {
        CAPTURE(token);
        try {
          clvkit::forecast_groups(customers, 2, BgNbdModel(bgnbd), GammaGammaModel(gamma_gamma),
                                  options);
          FAIL("no ModelError");
        } catch (const clvkit::ModelError& e) {
          CHECK_THAT(e.what(), Catch::Contains(token));
        }
      };
  const ForecastCustomer good{1.0, 2.0, 10.0, 30.0, 0};
  expect_model({good}, {0.243, -1.0, 0.793, 2.426}, kGammaGamma, "alpha");
  expect_model({good}, kBgNbd, {6.25, 0.9, 15.44}, "q");
  expect_model({good, {1.0, 12.0, 10.0, 30.0, 0}}, kBgNbd, kGammaGamma, "customer 1");
  expect_model({good, {1.0, 12.0, 10.0, 30.0, 0}}, kBgNbd, kGammaGamma, "t_x = 12");
  expect_model({good, good, {1.0, 2.0, 10.0, 30.0, 2}}, kBgNbd, kGammaGamma, "customer 2");
  expect_model({good, good, {1.0, 2.0, 10.0, 30.0, 2}}, kBgNbd, kGammaGamma, "group 2");
  expect_model({{-1.0, 0.0, 10.0, 0.0, 0}}, kBgNbd, kGammaGamma, "x = -1");
  expect_model({{1.0, 2.0, 10.0, INFINITY, 1}}, kBgNbd, kGammaGamma, "m = inf");
}

namespace {

// Covariances of the log-parameters of the size of a CDNOW fit's (SEs of 10-25% on a and b,
// log a and log b strongly correlated as in FHL 2005); positive definite.
const std::vector<double> kBgNbdLogCovariance = {0.010, 0.008, 0.000, 0.000,  //
                                                 0.008, 0.012, 0.000, 0.000,  //
                                                 0.000, 0.000, 0.040, 0.045,  //
                                                 0.000, 0.000, 0.045, 0.060};
const std::vector<double> kGammaGammaLogCovariance = {0.020,  -0.010, 0.000,  //
                                                      -0.010, 0.020,  0.010,  //
                                                      0.000,  0.010,  0.030};

ForecastOptions with_covariance(ForecastOptions options, std::vector<double> bgnbd,
                                std::vector<double> gamma_gamma) {
  options.purchase_log_covariance = std::move(bgnbd);
  options.spend_log_covariance = std::move(gamma_gamma);
  return options;
}

}  // namespace

TEST_CASE("Forecast with parameter uncertainty has wider intervals than with fixed parameters",
          "[forecast][property]") {
  // The per-draw parameters move every customer together, so the total's spread grows far beyond
  // its Monte Carlo noise (about 1/sqrt(2 * 1000) = 2% relative error on an SD): require +20%.
  constexpr int kGroups = 3;
  const auto customers = mixed_customers(1500, kGroups);
  const ForecastOptions fixed_options = options_with(39.0, 1000, 7);
  const auto fixed = clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                             GammaGammaModel(kGammaGamma), fixed_options);
  const auto uncertain = clvkit::forecast_groups(
      customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
      with_covariance(fixed_options, kBgNbdLogCovariance, kGammaGammaLogCovariance));
  CAPTURE(fixed.total.purchases.low, fixed.total.purchases.high, uncertain.total.purchases.low,
          uncertain.total.purchases.high, fixed.total.revenue.sd, uncertain.total.revenue.sd);
  const auto width = [](const clvkit::Interval& i) { return i.high - i.low; };
  CHECK(width(uncertain.total.purchases) > 1.2 * width(fixed.total.purchases));
  CHECK(uncertain.total.purchases.sd > 1.2 * fixed.total.purchases.sd);
  CHECK(width(uncertain.total.revenue) > 1.2 * width(fixed.total.revenue));
  for (std::size_t g = 0; g < fixed.groups.size(); ++g) {
    CAPTURE(g);
    CHECK(uncertain.groups[g].purchases.sd > fixed.groups[g].purchases.sd);
  }
  // The analytic expectations stay at the fitted parameters.
  CHECK(uncertain.total.expected_purchases_analytic == fixed.total.expected_purchases_analytic);
  CHECK(uncertain.total.expected_revenue_analytic == fixed.total.expected_revenue_analytic);
  // With log-normal SDs of 10-25% the mean moves by a few percent at most.
  CHECK(uncertain.total.purchases.mean == Approx(fixed.total.purchases.mean).epsilon(0.05));

  // Only one model uncertain: still wider than fixed.
  const auto bgnbd_only =
      clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              with_covariance(fixed_options, kBgNbdLogCovariance, {}));
  CHECK(bgnbd_only.total.purchases.sd > 1.2 * fixed.total.purchases.sd);
  const auto spend_only =
      clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              with_covariance(fixed_options, {}, kGammaGammaLogCovariance));
  // The purchases do not depend on the spend parameters (the random numbers differ: the spend
  // variates consume a varying number of uniforms).
  CHECK(spend_only.total.purchases.sd == Approx(fixed.total.purchases.sd).epsilon(0.15));
  CHECK(spend_only.total.revenue.sd > fixed.total.revenue.sd);
}

TEST_CASE("Forecast with a zero covariance equals the fixed-parameter forecast bit for bit",
          "[forecast][property]") {
  constexpr int kGroups = 4;
  const auto customers = mixed_customers(700, kGroups);
  const ForecastOptions fixed_options = options_with(52.0, 400, 11);
  const auto fixed = clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                             GammaGammaModel(kGammaGamma), fixed_options);
  const auto zero = clvkit::forecast_groups(
      customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
      with_covariance(fixed_options, std::vector<double>(16, 0.0), std::vector<double>(9, 0.0)));
  CHECK(same_bits(fixed, zero));
}

TEST_CASE("Forecast with parameter uncertainty is bit-identical for any thread count",
          "[forecast][property]") {
  constexpr int kGroups = 5;
  const auto customers = mixed_customers(2000, kGroups);
  const auto one =
      clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              with_covariance(options_with(39.0, 300, 5, 1), kBgNbdLogCovariance,
                                              kGammaGammaLogCovariance));
  for (const int threads : {2, 3}) {
    CAPTURE(threads);
    const auto many = clvkit::forecast_groups(
        customers, kGroups, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
        with_covariance(options_with(39.0, 300, 5, threads), kBgNbdLogCovariance,
                        kGammaGammaLogCovariance));
    CHECK(same_bits(one, many));
  }
}

TEST_CASE("Forecast rejects malformed covariances and names them", "[forecast][inputcheck]") {
  const std::vector<ForecastCustomer> customers = {{1.0, 2.0, 10.0, 30.0, 0}};
  const ForecastOptions base = options_with(10.0, 100, 1);
  try {
    clvkit::forecast_groups(customers, 1, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                            with_covariance(base, std::vector<double>(9, 0.0), {}));
    FAIL("no UsageError");
  } catch (const clvkit::UsageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("purchase_log_covariance has 9 values"));
  }
  const auto expect_model_error = [&](const ForecastOptions& options, const std::string& token) {
    CAPTURE(token);
    try {
      clvkit::forecast_groups(customers, 1, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              options);
      FAIL("no ModelError");
    } catch (const clvkit::ModelError& e) {
      CHECK_THAT(e.what(), Catch::Contains(token));
    }
  };
  std::vector<double> negative = {0.01, 0.0, 0.0, 0.0, 0.01, 0.0, 0.0, 0.0, -0.01};
  expect_model_error(with_covariance(base, {}, negative), "spend_log_covariance has variance");
  std::vector<double> indefinite = {0.01, 0.02, 0.0, 0.02, 0.01, 0.0, 0.0, 0.0, 0.01};
  expect_model_error(with_covariance(base, {}, indefinite), "not positive semidefinite");
  std::vector<double> asymmetric = {0.01, 0.005, 0.0, 0.0, 0.01, 0.0, 0.0, 0.0, 0.01};
  expect_model_error(with_covariance(base, {}, asymmetric), "not symmetric");
  std::vector<double> not_finite(16, 0.0);
  not_finite[5] = std::nan("");
  expect_model_error(with_covariance(base, not_finite, {}),
                     "purchase_log_covariance has entry (1, 1)");
}

TEST_CASE("Forecast redraws unusable parameter draws", "[forecast][property]") {
  // q just above 1 with a log-scale SD of 0.1: about half the first draws have q_d <= 1 (no mean
  // spend), and are redrawn from the same stream, so every revenue stays finite.
  const clvkit::GammaGammaParams near_one{6.25, 1.0 + 1e-9, 15.44};
  const std::vector<double> q_only = {0.0, 0.0, 0.0, 0.0, 0.01, 0.0, 0.0, 0.0, 0.0};
  const auto customers = mixed_customers(200, 1);
  const auto result =
      clvkit::forecast_groups(customers, 1, BgNbdModel(kBgNbd), GammaGammaModel(near_one),
                              with_covariance(options_with(39.0, 500, 3), {}, q_only));
  CAPTURE(result.total.revenue.mean, result.total.revenue.high);
  CHECK(std::isfinite(result.total.revenue.mean));
  CHECK(std::isfinite(result.total.revenue.sd));
  CHECK(result.total.revenue.mean > 0.0);

  // a and b on a flat ridge (log-variance 1e6, correlation 1): most draws overflow or underflow
  // and are redrawn; the forecast still finishes with finite totals.
  const std::vector<double> ridge = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                                     0.0, 0.0, 1e6, 1e6, 0.0, 0.0, 1e6, 1e6};
  const auto flat =
      clvkit::forecast_groups(customers, 1, BgNbdModel(kBgNbd), GammaGammaModel(kGammaGamma),
                              with_covariance(options_with(39.0, 500, 3), ridge, {}));
  CHECK(std::isfinite(flat.total.purchases.mean));
  CHECK(std::isfinite(flat.total.revenue.sd));
}

TEST_CASE("Forecast with parameter draws centres each group on its point forecast",
          "[forecast][property]") {
  // a and b on a wide ridge (log-SD 1, correlation 0.95): the forecast is not linear along it,
  // so the draws' mean moves away from the point forecast by many Monte Carlo standard errors;
  // centred, each group's purchases lie within 0.5 (a whole-number shift) and its revenue
  // exactly on it, with the spread unchanged.
  constexpr int kGroups = 3;
  const auto customers = mixed_customers(3000, kGroups);
  const std::vector<double> ridge = {0.0, 0.0, 0.0,  0.0,   //
                                     0.0, 0.0, 0.0,  0.0,   //
                                     0.0, 0.0, 1.0,  0.95,  //
                                     0.0, 0.0, 0.95, 1.0};
  ForecastOptions options = with_covariance(options_with(39.0, 4000, 9, 2), ridge, {});
  options.centre = false;
  const auto uncentred = clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                                 GammaGammaModel(kGammaGamma), options);
  options.centre = true;
  const auto centred = clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                               GammaGammaModel(kGammaGamma), options);
  for (std::size_t g = 0; g < kGroups; ++g) {
    CAPTURE(g);
    const GroupForecast& before = uncentred.groups[g];
    const GroupForecast& after = centred.groups[g];
    const double standard_error = before.purchases.sd / std::sqrt(4000.0);
    CAPTURE(before.purchases.mean, after.purchases.mean, before.expected_purchases_analytic);
    CHECK(std::abs(before.purchases.mean - before.expected_purchases_analytic) >
          kSigmas * standard_error);
    CHECK(std::abs(after.purchases.mean - after.expected_purchases_analytic) <= 0.5);
    CHECK(after.revenue.mean == Approx(after.expected_revenue_analytic).epsilon(1e-12));
    CHECK(after.purchases.sd == Approx(before.purchases.sd).epsilon(1e-12));
    CHECK(after.purchases.high - after.purchases.low ==
          Approx(before.purchases.high - before.purchases.low).epsilon(1e-12));
    // A whole-number shift: the interval's ends keep their fractional parts.
    CHECK(std::abs(std::remainder(after.purchases.low - before.purchases.low, 1.0)) < 1e-9);
  }
  // The total is the sum of the centred groups.
  CHECK(std::abs(centred.total.purchases.mean - centred.total.expected_purchases_analytic) <=
        0.5 * kGroups);

  // Without parameter draws there is nothing to centre: the flag changes no bit.
  ForecastOptions fixed = options_with(39.0, 300, 9);
  fixed.centre = false;
  const auto fixed_uncentred = clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                                       GammaGammaModel(kGammaGamma), fixed);
  fixed.centre = true;
  CHECK(same_bits(fixed_uncentred,
                  clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                          GammaGammaModel(kGammaGamma), fixed)));
}

TEST_CASE("Forecast draws are the same whether the per-draw logarithms are tabled or not",
          "[forecast][property]") {
  // The parameter-uncertainty path tabulates log(alpha_k + v), log1p(h / (alpha_k + v)) and
  // log(a_k / (b_k + x - 1)) by value unless the table would pass 256 MB, then computes each
  // customer's rows itself. 10 customers first, each its own group, then 60,000 with distinct
  // continuous times (two rows of 300 draws for each of 120,000 day values: 576 MB, not tabled):
  // the 10 customers' groups must equal those of a forecast of the 10 alone (few values:
  // tabled), bit for bit, since every customer draws from its own stream and both runs draw the
  // same parameters.
  constexpr int kFirst = 10;
  std::vector<ForecastCustomer> first = mixed_customers(kFirst, 1);
  for (int i = 0; i < kFirst; ++i) first[static_cast<std::size_t>(i)].group = i;
  std::vector<ForecastCustomer> all = first;
  for (int i = 0; i < 60'000; ++i) {
    ForecastCustomer c;
    c.T = 10.0 + 69.0 * (i + 0.5) / 60'000.0;
    c.x = static_cast<double>(1 + i % 9);
    c.t_x = c.T * (0.1 + 0.8 * ((i * 7919) % 1000) / 1000.0);
    c.m = 20.0;
    c.group = kFirst;
    all.push_back(c);
  }
  const ForecastOptions options = with_covariance(options_with(39.0, 300, 17, 2),
                                                  kBgNbdLogCovariance, kGammaGammaLogCovariance);
  const ForecastResult alone = clvkit::forecast_groups(first, kFirst, BgNbdModel(kBgNbd),
                                                       GammaGammaModel(kGammaGamma), options);
  const ForecastResult mixed = clvkit::forecast_groups(all, kFirst + 1, BgNbdModel(kBgNbd),
                                                       GammaGammaModel(kGammaGamma), options);
  for (int g = 0; g < kFirst; ++g) {
    CAPTURE(g);
    CHECK(same_bits(alone.groups[static_cast<std::size_t>(g)].purchases,
                    mixed.groups[static_cast<std::size_t>(g)].purchases));
    CHECK(same_bits(alone.groups[static_cast<std::size_t>(g)].revenue,
                    mixed.groups[static_cast<std::size_t>(g)].revenue));
  }
  CHECK(alone.total.purchases.mean > 0.0);
}

TEST_CASE("Forecast reports its progress in customers, in order, without changing the result",
          "[forecast][property]") {
  constexpr int kGroups = 3;
  const auto customers = mixed_customers(40'000, kGroups);  // 157 blocks of 256
  for (const int threads : {1, 3}) {
    CAPTURE(threads);
    ForecastOptions options = options_with(39.0, 20, 3, threads);
    const auto quiet = clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                               GammaGammaModel(kGammaGamma), options);
    std::vector<std::int64_t> reports;
    options.progress = [&reports](std::int64_t done) { reports.push_back(done); };
    const auto reported = clvkit::forecast_groups(customers, kGroups, BgNbdModel(kBgNbd),
                                                  GammaGammaModel(kGammaGamma), options);
    CHECK(same_bits(quiet, reported));
    // Every 64 blocks of 256 customers, then the end.
    CHECK(reports == std::vector<std::int64_t>{64 * 256, 128 * 256, 40'000});
  }
}
