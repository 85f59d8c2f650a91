// The forecast interval against reality: bases simulated from known parameters are split into a
// calibration and a holdout period; the model fitted on the calibration part forecasts the
// holdout's repeat purchases with a 90% interval, and the actual total should fall inside it in
// roughly 90% of the bases.

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "clvkit/io/date.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/models/simulate.hpp"
#include "clvkit/models/validation.hpp"
#include "clvkit/summary/holdout.hpp"

namespace {

using namespace clvkit;

struct HoldoutCheck {
  double actual = 0.0;
  Interval forecast;
};

// One simulated base: a two-year log in months (slow clocks keep day bucketing negligible, see
// parameter_recovery_test.cpp), calibrated on its first year.
HoldoutCheck simulate_and_forecast(std::uint64_t seed, std::int64_t customers, int draws) {
  SimulationOptions simulation;
  simulation.customers = customers;
  simulation.seed = seed;
  simulation.time_unit = TimeUnit::month;
  simulation.end = days_from_civil(2025, 12, 31);
  std::string log;
  write_simulated_transactions(simulation, [&](std::string_view text) { log.append(text); });

  std::istringstream in(log);
  IngestOptions ingest;
  ingest.as_of = simulation.end;
  const CalibrationHoldout split =
      ingest_calibration_holdout(in, "simulated.csv", ingest, days_from_civil(2024, 12, 31));
  ValidationOptions validation;
  validation.time_unit = TimeUnit::month;
  const ValidationResult result = validate_models(split, {}, {}, validation);

  const double days = unit_days(TimeUnit::month);
  std::vector<ForecastCustomer> forecast_customers;
  for (const CustomerSummary& c : split.calibration.customers) {
    forecast_customers.push_back({static_cast<double>(c.frequency), c.recency / days, c.T / days,
                                  c.monetary > 0 ? c.monetary : 0.0, 0});
  }
  ForecastOptions options;
  options.horizon = result.holdout_length;
  options.draws = draws;
  options.seed = seed + 1000;
  // The fitted parameters are themselves uncertain: let each draw carry its own.
  options.purchase_log_covariance = result.models.purchase.summary.log_parameter_covariance;
  options.spend_log_covariance = result.models.spend.summary.log_parameter_covariance;
  const ForecastResult forecast = forecast_groups(
      forecast_customers, 1, *result.models.purchase.model, *result.models.spend.model, options);
  return {result.actual_purchases, forecast.total.purchases};
}

}  // namespace

TEST_CASE("the calibration fit's forecast of a simulated holdout: seed 1 pinned, inside its 90% interval",
          "[forecast][validation][simulation]") {
  // One base as a worked example, pinned: the simulated holdout, the forecast mean and the 90%
  // interval of seed 1 exactly as recorded (same simulator, fit and draws give the same bytes),
  // so a change in any of them shows here. Whether such intervals cover ~90% of bases is the
  // statistical question of the coverage test below (84 of 100 bases covered); any single base
  // misses with probability ~10%, which is why this one is pinned rather than merely inside.
  const HoldoutCheck check = simulate_and_forecast(1, 20'000, 2000);
  CAPTURE(check.actual, check.forecast.mean, check.forecast.low, check.forecast.high);
  CHECK(check.actual == 7304.0);
  CHECK(check.forecast.mean == Approx(7520.5423473515466).epsilon(1e-6));
  CHECK(check.forecast.low == Approx(7169.606646791035).epsilon(1e-6));
  CHECK(check.forecast.high == Approx(7887.7989768680318).epsilon(1e-6));
  CHECK(check.actual >= check.forecast.low);
  CHECK(check.actual <= check.forecast.high);
}

TEST_CASE("90% forecast intervals cover the simulated holdout in about 90% of bases",
          "[forecast][validation][simulation][coverage]") {
  // 100 independent bases of 3,000 customers. The interval carries each customer's posterior,
  // the process noise and the uncertainty of the fitted population parameters (asymptotic normal
  // on the log scale), so it should cover a refitted base's holdout about 90% of the time. With
  // 100 bases a binomial 90% has SD 3 points: accept 75..98%.
  const int bases = 100;
  int covered = 0;
  for (int i = 0; i < bases; ++i) {
    const HoldoutCheck check = simulate_and_forecast(100 + i, 3'000, 400);
    if (check.actual >= check.forecast.low && check.actual <= check.forecast.high) ++covered;
  }
  CAPTURE(covered, bases);
  CHECK(covered >= 75);
  CHECK(covered <= 98);
}
