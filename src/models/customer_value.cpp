#include "clvkit/models/customer_value.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/models/bgnbd.hpp"
#include "clvkit/models/gamma_gamma.hpp"

namespace clvkit {
namespace {

// The discount schedule shared by every customer: period ends t_k (model units) and factors.
struct Schedule {
  std::vector<double> ends;
  std::vector<double> factors;
};

Schedule make_schedule(double unit, const ValueOptions& options) {
  if (!(options.horizon_days > 0.0) || !std::isfinite(options.horizon_days)) {
    throw UsageError("horizon must be positive and finite");
  }
  if (!(options.period_days > 0.0)) throw UsageError("discount period must be positive");
  const double rate =
      options.period_discount_rate
          ? *options.period_discount_rate
          : std::pow(1.0 + options.annual_discount_rate, options.period_days / 365.25) - 1.0;
  if (!std::isfinite(rate) || rate <= -1.0) {
    throw UsageError("discount rate must be finite and greater than -100%");
  }
  const double horizon = options.horizon_days / unit;
  const double period = options.period_days / unit;
  // A horizon within rounding of a whole number of periods must not get a sliver period.
  const int periods = std::max(1, static_cast<int>(std::ceil(horizon / period - 1e-9)));
  Schedule schedule;
  for (int k = 1; k <= periods; ++k) {
    const double end = std::min(k * period, horizon);
    schedule.ends.push_back(end);
    schedule.factors.push_back(std::pow(1.0 + rate, -end / period));
  }
  return schedule;
}

// Hash of an (x, T) pair by its bit patterns: the prediction cache is looked up once per
// customer, so an ordered map's log(n) comparisons would sit on the hot path.
struct PairHash {
  std::size_t operator()(const std::pair<double, double>& key) const noexcept {
    // + 0.0 maps -0.0 to 0.0: equal keys must hash alike.
    const std::uint64_t h = std::bit_cast<std::uint64_t>(key.first + 0.0) * 0x9E3779B97F4A7C15ull ^
                            std::bit_cast<std::uint64_t>(key.second + 0.0);
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

// Carries the customer's position so the caller can name the customer by id.
class CustomerModelError : public ModelError {
 public:
  CustomerModelError(std::size_t index, const std::string& message)
      : ModelError(message), index(index) {}
  std::size_t index;
};

[[noreturn]] void non_finite(std::size_t index, const ModelInput& c, double value) {
  throw CustomerModelError(index, "non-finite prediction (" + std::to_string(value) +
                                      ") for customer " + std::to_string(index + 1) + " (x " +
                                      std::to_string(c.x) + ", t_x " + std::to_string(c.t_x) +
                                      ", T " + std::to_string(c.T) + ", m " + std::to_string(c.m) +
                                      ")");
}

}  // namespace

std::vector<FrequencyRecencyPattern> frequency_recency_patterns(
    const std::vector<CustomerSummary>& customers, TimeUnit unit) {
  const double days = unit_days(unit);
  std::vector<double> x, t_x, T;
  x.reserve(customers.size());
  t_x.reserve(customers.size());
  T.reserve(customers.size());
  for (const CustomerSummary& c : customers) {
    x.push_back(static_cast<double>(c.frequency));
    t_x.push_back(c.recency / days);
    T.push_back(c.T / days);
  }
  return compress_patterns(x, t_x, T);
}

std::vector<SpendObservation> spend_observations(const std::vector<CustomerSummary>& customers,
                                                 std::int64_t* excluded) {
  std::vector<SpendObservation> data;
  std::int64_t left_out = 0;
  for (const CustomerSummary& c : customers) {
    if (c.frequency == 0) continue;
    if (c.monetary > 0.0) {
      data.push_back({static_cast<double>(c.frequency), c.monetary});
    } else {
      ++left_out;
    }
  }
  if (excluded != nullptr) *excluded = left_out;
  return data;
}

FittedModels fit_customer_models(const std::vector<CustomerSummary>& customers, TimeUnit unit,
                                 const FitOptions& options) {
  FittedModels models;
  models.time_unit = unit;
  models.bgnbd = fit_bgnbd(frequency_recency_patterns(customers, unit), options);
  models.gamma_gamma = fit_gamma_gamma(spend_observations(customers), options);
  return models;
}

double discounted_value(const double* cumulative, int periods, double spend,
                        const ValueOptions& options, const double* discount_factors) noexcept {
  double value = 0.0;
  double previous = 0.0;
  for (int k = 0; k < periods; ++k) {
    value += (cumulative[k] - previous) * discount_factors[k];
    previous = cumulative[k];
  }
  return options.margin * spend * value;
}

std::vector<CustomerPrediction> predict_value(const std::vector<ModelInput>& customers,
                                              double unit_days, const BgNbdParams& bgnbd,
                                              const GammaGammaParams& gamma_gamma,
                                              const ValueOptions& options) {
  check_bgnbd_params(bgnbd);
  check_gamma_gamma_params(gamma_gamma);
  const double population_spend = gamma_gamma_population_mean(gamma_gamma);
  const Schedule schedule = make_schedule(unit_days, options);
  const int periods = static_cast<int>(schedule.ends.size());

  // E[X(t) | x, t_x, T] = P(alive) * E[X(t) | alive, x, T], and the second factor does not depend
  // on t_x: it is computed once per distinct (x, T), so the cost of prediction follows the number
  // of distinct (x, T) pairs rather than customers.
  std::unordered_map<std::pair<double, double>, std::size_t, PairHash> slot_of;
  std::vector<double> cumulative;
  const auto cumulative_for = [&](const ModelInput& c) -> const double* {
    const auto [it, inserted] = slot_of.try_emplace({c.x, c.T}, cumulative.size());
    if (inserted) {
      for (int k = 0; k < periods; ++k) {
        cumulative.push_back(
            bgnbd_expected_purchases_given_alive(bgnbd, c.x, c.T, schedule.ends[k]));
      }
    }
    return cumulative.data() + it->second;
  };

  std::vector<CustomerPrediction> predictions(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const ModelInput& c = customers[i];
    CustomerPrediction& p = predictions[i];
    p.p_alive = bgnbd_p_alive(bgnbd, c.x, c.t_x, c.T);
    p.expected_avg_spend = (c.x > 0.0 && c.m > 0.0)
                               ? gamma_gamma_conditional_expected_spend(gamma_gamma, c.x, c.m)
                               : population_spend;
    const double* cum = cumulative_for(c);
    p.expected_purchases = p.p_alive * cum[periods - 1];
    p.clv_if_alive =
        discounted_value(cum, periods, p.expected_avg_spend, options, schedule.factors.data());
    p.clv = p.p_alive * p.clv_if_alive;
    p.value_at_risk = (1.0 - p.p_alive) * p.clv_if_alive;
    const double values[] = {p.p_alive, p.expected_purchases, p.expected_avg_spend, p.clv_if_alive};
    for (double v : values) {
      if (!std::isfinite(v)) non_finite(i, c, v);
    }
  }

  std::vector<std::size_t> order(customers.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) {
    return predictions[l].value_at_risk > predictions[r].value_at_risk;
  });
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    predictions[order[rank]].churn_priority = static_cast<std::int64_t>(rank + 1);
  }
  return predictions;
}

std::vector<CustomerPrediction> predict_customer_value(
    const std::vector<CustomerSummary>& customers, TimeUnit unit, const BgNbdParams& bgnbd,
    const GammaGammaParams& gamma_gamma, const ValueOptions& options) {
  const double days = unit_days(unit);
  std::vector<ModelInput> inputs;
  inputs.reserve(customers.size());
  for (const CustomerSummary& c : customers) {
    inputs.push_back({static_cast<double>(c.frequency), c.recency / days, c.T / days, c.monetary});
  }
  try {
    return predict_value(inputs, days, bgnbd, gamma_gamma, options);
  } catch (const CustomerModelError& e) {
    throw ModelError(std::string(e.what()) + " (customer id '" + customers[e.index].id + "')");
  }
}

}  // namespace clvkit
