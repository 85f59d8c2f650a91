#include "clvkit/models/customer_value.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/models/churn_ranking.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"
#include "clvkit/util/parallel.hpp"
#include "key_index.hpp"

namespace clvkit {
namespace {

using detail::KeyIndex;

// The discount schedule shared by every customer: period ends t_k (model units) and factors.
struct Schedule {
  std::vector<double> ends;
  std::vector<double> factors;
};

// The discount rate per period of `options`, checked.
double period_rate(const ValueOptions& options) {
  if (!(options.period_days > 0.0)) throw UsageError("discount period must be positive");
  const double rate =
      options.period_discount_rate
          ? *options.period_discount_rate
          : std::pow(1.0 + options.annual_discount_rate, options.period_days / 365.25) - 1.0;
  if (!std::isfinite(rate) || rate <= -1.0) {
    throw UsageError("discount rate must be finite and greater than -100%");
  }
  return rate;
}

Schedule make_schedule(double unit, const ValueOptions& options) {
  if (options.lifetime) return {{0.0}, {1.0}};  // one "period": DERT, already discounted
  if (!is_positive_finite(options.horizon_days)) {
    throw UsageError("horizon must be positive and finite");
  }
  const double rate = period_rate(options);
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

// Customers per task of the prediction passes. A constant, so the split of the work, and with it
// every intermediate result, is the same for any thread count; a block takes a few milliseconds.
constexpr std::size_t kCustomerBlock = 16384;
// Distinct (x, T) pairs per task when tabulating E[X(t) | alive]: a pair costs one series per
// discount period, a few microseconds in all.
constexpr std::size_t kPairBlock = 64;

std::size_t block_count(std::size_t n, std::size_t block) { return (n + block - 1) / block; }

std::string describe(std::size_t index, const ModelInput& c) {
  return "customer " + std::to_string(index + 1) + " (x " + std::to_string(c.x) + ", t_x " +
         std::to_string(c.t_x) + ", T " + std::to_string(c.T) + ", m " + std::to_string(c.m) + ")";
}

[[noreturn]] void non_finite(std::size_t index, const ModelInput& c, double value) {
  throw CustomerModelError(
      index, "non-finite prediction (" + std::to_string(value) + ") for " + describe(index, c));
}

// CLV over the horizon can never exceed margin * E[M] * E[X(horizon)] (each period's purchases
// are discounted by at most the largest factor): a value above it means the model's expectation
// was not computed right at these parameters (e.g. r = 2e18 after a fit that did not converge).
[[noreturn]] void inconsistent_value(std::size_t index, const ModelInput& c, double clv,
                                     double bound) {
  throw CustomerModelError(
      index, "inconsistent prediction for " + describe(index, c) + ": CLV if alive " +
                 std::to_string(clv) + " exceeds margin x E[M] x E[X] = " + std::to_string(bound) +
                 "; the model's expectations cannot be evaluated accurately at these parameters");
}

// Numbers the distinct keys of all blocks in one index (`all`), block after block, and
// returns per block the row in it of each of the block's keys; frees the block lists.
template <std::size_t N>
std::vector<std::vector<std::size_t>> merge_block_keys(
    std::vector<std::vector<std::array<double, N>>>& keys_of_block, KeyIndex<N>& all) {
  std::vector<std::vector<std::size_t>> table_row(keys_of_block.size());
  for (std::size_t block = 0; block < keys_of_block.size(); ++block) {
    table_row[block].reserve(keys_of_block[block].size());
    for (const auto& key : keys_of_block[block]) table_row[block].push_back(all.index_of(key));
    keys_of_block[block] = {};
  }
  return table_row;
}

// E[X(t_k) | alive, x, T] for every distinct (x, T) pair and period end t_k: a row per pair, a
// column per period, filled in blocks of pairs on up to `threads` threads.
std::vector<double> tabulate_if_alive(const std::vector<std::array<double, 2>>& pairs,
                                      const Schedule& schedule, const PurchaseModel& purchase,
                                      int threads) {
  const std::size_t periods = schedule.ends.size();
  std::vector<double> cumulative(pairs.size() * periods);
  parallel_for(threads, block_count(pairs.size(), kPairBlock), [&](std::size_t block) {
    const std::size_t end = std::min(pairs.size(), (block + 1) * kPairBlock);
    for (std::size_t row = block * kPairBlock; row < end; ++row) {
      for (std::size_t k = 0; k < periods; ++k) {
        cumulative[row * periods + k] =
            purchase.expected_purchases_if_alive(pairs[row][0], pairs[row][1], schedule.ends[k]);
      }
    }
  });
  return cumulative;
}

// DERT given alive for every distinct (x, T) pair (one column), in blocks of pairs.
std::vector<double> tabulate_dert_if_alive(const std::vector<std::array<double, 2>>& pairs,
                                           double delta, const PurchaseModel& purchase,
                                           int threads) {
  std::vector<double> dert(pairs.size());
  parallel_for(threads, block_count(pairs.size(), kPairBlock), [&](std::size_t block) {
    const std::size_t end = std::min(pairs.size(), (block + 1) * kPairBlock);
    for (std::size_t row = block * kPairBlock; row < end; ++row) {
      dert[row] =
          purchase.discounted_expected_purchases_if_alive(pairs[row][0], pairs[row][1], delta);
    }
  });
  return dert;
}

// P(alive | x, t_x, T) for every distinct triple (PurchaseModel::p_alive_of): the same values
// as per customer, computed once per triple.
std::vector<double> tabulate_p_alive(const std::vector<std::array<double, 3>>& triples,
                                     const PurchaseModel& purchase, int threads) {
  std::vector<PurchaseHistory> histories(triples.size());
  for (std::size_t i = 0; i < triples.size(); ++i) {
    histories[i] = {triples[i][0], triples[i][1], triples[i][2]};
  }
  return purchase.p_alive_of(histories, threads);
}

// Predictions for customers 0..n-1, input_of(i) giving customer i's ModelInput.
//
// E[X(t) | x, t_x, T] = P(alive) * E[X(t) | alive, x, T], and the second factor does not depend
// on t_x: it is tabulated once per distinct (x, T), so its cost (a series per discount period)
// follows the number of distinct pairs rather than customers. Three passes over fixed blocks:
// each block of customers numbers its distinct pairs; the block lists are merged in block order
// (serially: a few thousand pairs per block) and the table is filled by blocks of pairs; then
// every customer is predicted from the table. One table for all blocks, rather than one per
// block, because customers of 16k-blocks of a 10M-customer base share few pairs with their own
// block (0.18 distinct pairs per customer on simulated data, against 0.001 overall).
//
// With `bought_at_end` every customer's t_x is T, so P(alive) too is a function of (x, T): it is
// tabulated with the pairs (p_alive_of: the same values as per customer).
template <class InputOf>
std::vector<CustomerPrediction> predict(std::size_t n, const InputOf& input_of, double unit_days,
                                        const PurchaseModel& purchase, const SpendModel& spend,
                                        const ValueOptions& options, int threads,
                                        bool bought_at_end = false) {
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    throw ModelError("predictions: " + std::to_string(n) +
                     " customers, but the churn ranking numbers at most 2^32 - 1");
  }
  const double population_spend = spend.population_mean();
  const Schedule schedule = make_schedule(unit_days, options);
  const double delta = options.lifetime ? continuous_discount_rate(options, unit_days) : 0.0;
  const double largest_factor =
      std::max(1.0, *std::max_element(schedule.factors.begin(), schedule.factors.end()));
  const std::size_t periods = schedule.ends.size();
  const std::size_t blocks = block_count(n, kCustomerBlock);
  const auto block_end = [n](std::size_t block) {
    return std::min(n, (block + 1) * kCustomerBlock);
  };

  // The scratch buffers are left uninitialised, for the parallel passes to touch first: zeroing
  // them on one thread took 7% of the time of predicting 10M customers on one. The predictions
  // are a std::vector, zeroed by one thread whatever we do (15% of that time), so that is task 0
  // of the first pass: it overlaps the numbering of the pairs on the other threads.
  static_assert(kCustomerBlock <= 65536, "a block's key numbers must fit 16 bits");
  // P(alive) too is tabulated, per distinct (x, t_x, T), when the model says it is costly.
  const bool tabled_alive = !bought_at_end && purchase.p_alive_is_costly();
  auto block_pair = std::make_unique_for_overwrite<std::uint16_t[]>(n);  // pair in its block
  auto block_triple = std::make_unique_for_overwrite<std::uint16_t[]>(tabled_alive ? n : 0);
  std::vector<std::vector<std::array<double, 2>>> pairs_of_block(blocks);
  std::vector<std::vector<std::array<double, 3>>> triples_of_block(tabled_alive ? blocks : 0);
  std::vector<CustomerPrediction> predictions;
  parallel_for(threads, blocks + 1, [&](std::size_t task) {
    if (task == 0) {
      predictions.resize(n);
      return;
    }
    const std::size_t block = task - 1;
    KeyIndex<2> pairs;
    KeyIndex<3> triples;
    for (std::size_t i = block * kCustomerBlock; i < block_end(block); ++i) {
      const ModelInput c = input_of(i);
      if (bought_at_end && c.t_x != c.T) {
        throw CustomerModelError(i, "not bought at the end: " + describe(i, c));
      }
      block_pair[i] = static_cast<std::uint16_t>(pairs.index_of({c.x, c.T}));
      if (tabled_alive) {
        block_triple[i] = static_cast<std::uint16_t>(triples.index_of({c.x, c.t_x, c.T}));
      }
    }
    pairs_of_block[block] = pairs.take_keys();
    if (tabled_alive) triples_of_block[block] = triples.take_keys();
  });

  KeyIndex<2> all_pairs;
  // A block's pair number -> its row in the table.
  const std::vector<std::vector<std::size_t>> table_row =
      merge_block_keys(pairs_of_block, all_pairs);
  const std::vector<double> cumulative =
      options.lifetime ? tabulate_dert_if_alive(all_pairs.keys(), delta, purchase, threads)
                       : tabulate_if_alive(all_pairs.keys(), schedule, purchase, threads);
  KeyIndex<3> all_triples;
  const std::vector<std::vector<std::size_t>> alive_row =
      merge_block_keys(triples_of_block, all_triples);
  const std::vector<double> alive = tabulate_p_alive(all_triples.keys(), purchase, threads);
  std::vector<double> pair_alive;
  if (bought_at_end) {
    std::vector<std::array<double, 3>> at_end;
    at_end.reserve(all_pairs.keys().size());
    for (const auto& [x, T] : all_pairs.keys()) at_end.push_back({x, T, T});
    pair_alive = tabulate_p_alive(at_end, purchase, threads);
  }

  parallel_for(threads, blocks, [&](std::size_t block) {
    const std::vector<std::size_t>& rows = table_row[block];
    for (std::size_t i = block * kCustomerBlock; i < block_end(block); ++i) {
      const ModelInput c = input_of(i);
      CustomerPrediction& p = predictions[i];
      p.p_alive = bought_at_end  ? pair_alive[rows[block_pair[i]]]
                  : tabled_alive ? alive[alive_row[block][block_triple[i]]]
                                 : purchase.p_alive({c.x, c.t_x, c.T});
      p.expected_avg_spend =
          (c.x > 0.0 && c.m > 0.0) ? spend.expected_spend(c.x, c.m) : population_spend;
      const double* cum = cumulative.data() + rows[block_pair[i]] * periods;
      p.expected_purchases = p.p_alive * cum[periods - 1];
      p.clv_if_alive = discounted_value(cum, static_cast<int>(periods), p.expected_avg_spend,
                                        options, schedule.factors.data());
      p.clv = p.p_alive * p.clv_if_alive;
      p.value_at_risk = (1.0 - p.p_alive) * p.clv_if_alive;
      const double values[] = {p.p_alive, p.expected_purchases, p.expected_avg_spend,
                               p.clv_if_alive};
      const double bound =
          options.margin * p.expected_avg_spend * cum[periods - 1] * largest_factor;
      if (p.clv_if_alive > bound * (1.0 + 1e-9) + 1e-9) {
        inconsistent_value(i, c, p.clv_if_alive, bound);
      }
      for (double v : values) {
        if (!std::isfinite(v)) non_finite(i, c, v);
      }
    }
  });
  return predictions;
}

}  // namespace

FittedModels fit_customer_models(const std::vector<CustomerSummary>& customers, TimeUnit unit,
                                 const FitOptions& options, const ModelChoice& choice) {
  const PurchaseModelFamily& purchase = purchase_model_family(choice.purchase);
  const SpendModelFamily& spend = spend_model_family(choice.spend);
  FittedModels models;
  models.time_unit = unit;
  models.purchase =
      purchase.fit(frequency_recency_patterns(customers, unit, options.threads), options);
  models.spend = spend.fit(spend_observations(customers), options);
  return models;
}

FittedModels fit_customer_models(const CustomerPatterns& patterns, TimeUnit unit,
                                 const FitOptions& options, const ModelChoice& choice) {
  const PurchaseModelFamily& purchase = purchase_model_family(choice.purchase);
  const SpendModelFamily& spend = spend_model_family(choice.spend);
  FittedModels models;
  models.time_unit = unit;
  models.purchase = purchase.fit(frequency_recency_patterns(patterns.patterns, unit), options);
  models.spend = spend.fit(spend_observations(patterns.spend), options);
  return models;
}

double continuous_discount_rate(const ValueOptions& options, double unit_days) {
  const double delta = std::log1p(period_rate(options)) / options.period_days * unit_days;
  if (!is_positive_finite(delta)) {
    throw UsageError(
        "a lifetime value needs a positive discount rate (without discounting, "
        "expected lifetime purchases can be infinite)");
  }
  return delta;
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

std::vector<ValueIfAlive> value_if_alive(const std::vector<std::array<double, 2>>& pairs,
                                         double unit_days, const PurchaseModel& purchase,
                                         const ValueOptions& options, int threads) {
  const Schedule schedule = make_schedule(unit_days, options);
  const std::vector<double> cumulative =
      options.lifetime ? tabulate_dert_if_alive(pairs, continuous_discount_rate(options, unit_days),
                                                purchase, threads)
                       : tabulate_if_alive(pairs, schedule, purchase, threads);
  const std::size_t periods = schedule.ends.size();
  std::vector<ValueIfAlive> out(pairs.size());
  for (std::size_t row = 0; row < pairs.size(); ++row) {
    const double* cum = cumulative.data() + row * periods;
    out[row].expected_purchases = cum[periods - 1];
    out[row].value_per_spend =
        discounted_value(cum, static_cast<int>(periods), 1.0, options, schedule.factors.data());
    if (!std::isfinite(out[row].expected_purchases) || !std::isfinite(out[row].value_per_spend)) {
      throw ModelError("non-finite expectation given alive for x " + format_number(pairs[row][0]) +
                       ", T " + format_number(pairs[row][1]));
    }
  }
  return out;
}

std::vector<CustomerPrediction> predict_value(const std::vector<ModelInput>& customers,
                                              double unit_days, const PurchaseModel& purchase,
                                              const SpendModel& spend, const ValueOptions& options,
                                              int threads) {
  return predict_value_of(
      customers.size(), [&customers](std::size_t i) { return customers[i]; }, unit_days, purchase,
      spend, options, threads);
}

std::vector<CustomerPrediction> predict_value_of(
    std::size_t n, const std::function<ModelInput(std::size_t)>& input_of, double unit_days,
    const PurchaseModel& purchase, const SpendModel& spend, const ValueOptions& options,
    int threads, bool bought_at_end) {
  std::vector<CustomerPrediction> predictions =
      predict(n, input_of, unit_days, purchase, spend, options, threads, bought_at_end);
  if (options.rank_churn) rank_churn(predictions, threads);
  return predictions;
}

std::vector<CustomerPrediction> predict_customer_value(
    const std::vector<CustomerSummary>& customers, TimeUnit unit, const PurchaseModel& purchase,
    const SpendModel& spend, const ValueOptions& options, int threads) {
  const double days = unit_days(unit);
  // Converted where they are used: a copy of 10M model inputs would cost 320 MB.
  const auto input_of = [&customers, days](std::size_t i) {
    const CustomerSummary& c = customers[i];
    return ModelInput{static_cast<double>(c.frequency), c.recency / days, c.T / days, c.monetary};
  };
  std::vector<CustomerPrediction> predictions;
  try {
    predictions = predict(customers.size(), input_of, days, purchase, spend, options, threads);
  } catch (const CustomerModelError& e) {
    throw ModelError(std::string(e.what()) + " (customer id '" + customers[e.index].id + "')");
  }
  if (options.rank_churn) rank_churn(predictions, threads);
  return predictions;
}

}  // namespace clvkit
