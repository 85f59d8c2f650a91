// The forecast's aggregated path for large groups (forecast.hpp, "Large groups"): the purchase
// models' exact moments, and intervals that agree with simulating every customer.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clvkit/models/forecast.hpp"
#include "clvkit/models/gamma_gamma_model.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/simulation_rng.hpp"

namespace {

using namespace clvkit;

// Weekly parameters of each family (CDNOW-like), and Gamma-Gamma at its CDNOW estimates.
std::vector<double> parameters_of(std::string_view key) {
  if (key == "pnbd") return {0.553, 10.578, 0.606, 11.669};
  return {0.243, 4.414, 0.793, 2.426};
}

std::vector<PurchaseHistory> history_grid() {
  std::vector<PurchaseHistory> grid;
  for (const double x : {0.0, 1.0, 3.0, 12.0, 60.0}) {
    for (const double T : {0.5, 10.0, 39.0, 150.0}) {
      for (const double share : {0.0, 0.3, 1.0}) {
        if (x == 0.0 && share > 0.0) continue;
        grid.push_back({x, share * T, T});
      }
    }
  }
  return grid;
}

}  // namespace

TEST_CASE("future moments give each model's analytic expected purchases",
          "[forecast][moments][consistency]") {
  // The mean of FutureMoments and PurchaseModel::expected_purchases are separate derivations
  // (a negative-binomial series stopped by the dropout urn, or Pareto/NBD's lifetime integrals,
  // against FHL's 2F1 closed forms): they agree to 1e-9 relative.
  for (const PurchaseModelFamily& family : purchase_model_families()) {
    const std::vector<double> params = parameters_of(family.key);
    if (params.size() != family.parameter_names.size()) continue;  // a model this test predates
    if (family.discrete) continue;  // BG/BB has no future_moments yet
    const std::unique_ptr<PurchaseModel> model = family.make(params);
    const std::vector<PurchaseHistory> grid = history_grid();
    for (const double horizon : {1.0, 39.0, 200.0}) {
      const std::unique_ptr<FutureMoments> moments = model->future_moments(grid, horizon, {});
      if (!moments) continue;
      std::vector<double> mean(grid.size());
      std::vector<double> second(grid.size());
      moments->moments(0, mean, second);
      for (std::size_t i = 0; i < grid.size(); ++i) {
        const double expected = model->expected_purchases(grid[i], horizon);
        CAPTURE(family.key, horizon, grid[i].x, grid[i].t_x, grid[i].T, mean[i], expected,
                second[i]);
        CHECK(mean[i] == Approx(expected).epsilon(1e-9).margin(1e-300));
        CHECK(second[i] >= mean[i] * mean[i]);
        CHECK(second[i] >= mean[i]);  // N is an integer: E[N^2] >= E[N]
      }
    }
  }
}

TEST_CASE("future moments' second moment matches the simulated futures",
          "[forecast][moments][simulation]") {
  // E[X^2] against 200,000 draws of the model's own FutureSimulator per history; within 4
  // standard errors of the sample mean of X^2 (estimated from the draws' fourth moment).
  const int draws = 200'000;
  for (const PurchaseModelFamily& family : purchase_model_families()) {
    const std::vector<double> params = parameters_of(family.key);
    if (params.size() != family.parameter_names.size()) continue;
    if (family.discrete) continue;  // BG/BB has no future_moments yet: always simulated
    const std::unique_ptr<PurchaseModel> model = family.make(params);
    const std::vector<PurchaseHistory> histories{
        {0.0, 0.0, 30.0}, {4.0, 25.0, 30.0}, {12.0, 10.0, 39.0}};
    const double horizon = 39.0;
    const std::unique_ptr<FutureMoments> moments = model->future_moments(histories, horizon, {});
    if (!moments) continue;
    std::vector<double> mean(histories.size());
    std::vector<double> second(histories.size());
    moments->moments(0, mean, second);
    const std::unique_ptr<FutureSimulator> simulator =
        model->future_simulator(histories, horizon, {});
    for (std::size_t i = 0; i < histories.size(); ++i) {
      SimulationRng rng = SimulationRng::for_customer(11, i);
      double sum2 = 0.0;
      double sum4 = 0.0;
      for (int k = 0; k < draws; ++k) {
        const double n = simulator->draw_purchases(i, k, rng);
        sum2 += n * n;
        sum4 += n * n * n * n;
      }
      const double m2 = sum2 / draws;
      const double se = std::sqrt((sum4 / draws - m2 * m2) / draws);
      CAPTURE(family.key, i, m2, se, second[i]);
      CHECK(std::abs(m2 - second[i]) <= 4.0 * se);
    }
  }
}

TEST_CASE("an aggregated group's interval agrees with simulating its every customer",
          "[forecast][moments][simulation][consistency]") {
  // 8,000 customers in one group (plus a small one that is simulated either way), forecast
  // with parameter draws from a covariance, once simulating every customer
  // (aggregate_min_customers = 0) and once aggregating groups of >= 5,000 (the default is
  // 20,000; smaller here to keep the exact run short). The parameter draws
  // are the same in both (same seed), so the two differ by process noise and the normal
  // approximation only. Tolerance: 0.25 sd of the group's draws for the 5% and 95% quantiles
  // (their Monte Carlo SE with 1,000 draws is about 0.07 sd each), 0.1 sd for the mean and 10%
  // for the sd.
  for (const PurchaseModelFamily& family : purchase_model_families()) {
    const std::vector<double> params = parameters_of(family.key);
    if (params.size() != family.parameter_names.size()) continue;
    if (family.discrete) continue;  // BG/BB has no future_moments yet: always simulated
    const std::unique_ptr<PurchaseModel> model = family.make(params);
    const GammaGammaModel spend({6.25, 3.74, 15.44});
    std::vector<ForecastCustomer> customers;
    for (int i = 0; i < 9'000; ++i) {
      ForecastCustomer c;
      c.T = 27.0 + static_cast<double>(i % 12);
      c.x = static_cast<double>((i * 7) % 11 == 0 ? (i % 9) : (i % 3 == 0 ? 1 : 0));
      c.t_x = c.x > 0.0 ? c.T * static_cast<double>((i * 11) % 10 + 1) / 10.0 : 0.0;
      c.m = c.x > 0.0 ? 10.0 + static_cast<double>((i * 13) % 50) : 0.0;
      c.group = i < 8'000 ? 0 : 1;
      customers.push_back(c);
    }
    ForecastOptions options;
    options.horizon = 39.0;
    options.draws = 1000;
    options.seed = 5;
    options.threads = 2;
    options.aggregate_min_customers = 5'000;
    // log-parameter SEs of about 0.1, as a fit on a few thousand customers gives.
    options.purchase_log_covariance.assign(16, 0.0);
    for (int j = 0; j < 4; ++j) options.purchase_log_covariance[j * 5] = 0.01;
    options.spend_log_covariance = {0.01, 0.0, 0.0, 0.0, 0.004, 0.0, 0.0, 0.0, 0.004};
    ForecastOptions exact_options = options;
    exact_options.aggregate_min_customers = 0;
    const ForecastResult aggregated = forecast_groups(customers, 2, *model, spend, options);
    const ForecastResult exact = forecast_groups(customers, 2, *model, spend, exact_options);
    CHECK(aggregated.groups[0].aggregated);
    CHECK_FALSE(aggregated.groups[1].aggregated);
    CHECK_FALSE(exact.groups[0].aggregated);
    for (const bool revenue : {false, true}) {
      const Interval& a = revenue ? aggregated.groups[0].revenue : aggregated.groups[0].purchases;
      const Interval& e = revenue ? exact.groups[0].revenue : exact.groups[0].purchases;
      CAPTURE(family.key, revenue, a.mean, a.low, a.high, a.sd, e.mean, e.low, e.high, e.sd);
      CHECK(std::abs(a.mean - e.mean) <= 0.1 * e.sd);
      CHECK(std::abs(a.low - e.low) <= 0.25 * e.sd);
      CHECK(std::abs(a.high - e.high) <= 0.25 * e.sd);
      CHECK(a.sd == Approx(e.sd).epsilon(0.1));
    }
    // The small group is simulated in both runs from the same streams: the same bits.
    CHECK(aggregated.groups[1].purchases.low == exact.groups[1].purchases.low);
    CHECK(aggregated.groups[1].purchases.mean == exact.groups[1].purchases.mean);
  }
}

TEST_CASE("the aggregated path does not depend on the thread count",
          "[forecast][moments][determinism]") {
  const std::unique_ptr<PurchaseModel> model =
      purchase_model_family("bgnbd").make(parameters_of("bgnbd"));
  const GammaGammaModel spend({6.25, 3.74, 15.44});
  std::vector<ForecastCustomer> customers;
  for (int i = 0; i < 5'000; ++i) {
    const double x = static_cast<double>(i % 5);
    customers.push_back({x, x > 0 ? 20.0 : 0.0, 30.0 + i % 7, x > 0 ? 12.0 + i % 13 : 0.0, 0});
  }
  ForecastOptions options;
  options.horizon = 39.0;
  options.draws = 300;
  options.aggregate_min_customers = 1000;
  options.purchase_log_covariance.assign(16, 0.0);
  for (int j = 0; j < 4; ++j) options.purchase_log_covariance[j * 5] = 0.01;
  const ForecastResult one = forecast_groups(customers, 1, *model, spend, options);
  options.threads = 3;
  const ForecastResult three = forecast_groups(customers, 1, *model, spend, options);
  REQUIRE(one.groups[0].aggregated);
  CHECK(one.groups[0].purchases.low == three.groups[0].purchases.low);
  CHECK(one.groups[0].purchases.high == three.groups[0].purchases.high);
  CHECK(one.groups[0].revenue.mean == three.groups[0].revenue.mean);
  CHECK(one.total.revenue.sd == three.total.revenue.sd);
}
