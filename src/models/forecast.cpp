#include "clvkit/models/forecast.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/models/simulate.hpp"
#include "clvkit/models/spend_model.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"
#include "parameter_draws.hpp"

namespace clvkit {
namespace {

void check_options(const ForecastOptions& options, int n_groups) {
  require_positive_finite<UsageError>("forecast", "horizon", options.horizon);
  if (options.draws < 1) {
    throw UsageError("forecast: draws is " + std::to_string(options.draws) +
                     ", but must be at least 1");
  }
  if (options.threads < 1) {
    throw UsageError("forecast: threads is " + std::to_string(options.threads) +
                     ", but must be at least 1");
  }
  if (!is_non_negative_finite(options.margin)) {
    throw UsageError("forecast: margin is " + format_number(options.margin) +
                     ", but must be non-negative and finite");
  }
  if (n_groups < 1) {
    throw UsageError("forecast: n_groups is " + std::to_string(n_groups) +
                     ", but must be at least 1");
  }
}

[[noreturn]] void throw_bad_customer(std::size_t index, const std::string& reason) {
  throw ModelError("forecast: customer " + std::to_string(index) + " (0-based) " + reason);
}

void check_customer(const ForecastCustomer& c, std::size_t index, int n_groups) {
  const auto field = [&](const char* name, double value) {
    if (!is_non_negative_finite(value)) {
      throw_bad_customer(index, std::string("has ") + name + " = " + format_number(value) +
                                    ", but it must be non-negative and finite");
    }
  };
  field("x", c.x);
  field("t_x", c.t_x);
  field("T", c.T);
  field("m", c.m);
  if (c.t_x > c.T) {
    throw_bad_customer(index, "has t_x = " + format_number(c.t_x) + " > T = " + format_number(c.T) +
                                  "; the last purchase must be within T");
  }
  if (c.group < 0 || c.group >= n_groups) {
    throw_bad_customer(index, "has group " + std::to_string(c.group) + ", but n_groups is " +
                                  std::to_string(n_groups));
  }
}

// Per-draw, per-group sums of purchases and of revenue, each laid out [group][draw] so that one
// customer's draws are contiguous.
class DrawSums {
 public:
  explicit DrawSums(std::size_t size) : size_(size), values_(2 * size, 0.0) {}
  double* purchases() noexcept { return values_.data(); }
  double* revenue() noexcept { return values_.data() + size_; }
  const double* purchases() const noexcept { return values_.data(); }
  const double* revenue() const noexcept { return values_.data() + size_; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept { std::fill(values_.begin(), values_.end(), 0.0); }
  void add(const DrawSums& other) noexcept {
    for (std::size_t i = 0; i < values_.size(); ++i) values_[i] += other.values_[i];
  }

 private:
  std::size_t size_;
  std::vector<double> values_;
};

// The aggregated path (forecast.hpp, "Large groups"). Customers of the aggregated groups are
// collapsed into entries of equal (x, t_x, T), group and spend x (x when m > 0, else 0: the spend
// model's prior), each with its count and the sums of m and m^2; the distinct histories are
// the purchase model's FutureMoments list.
struct AggregateEntry {
  std::uint32_t history = 0;  // index into the distinct histories
  int group = 0;
  double spend_x = 0.0;
  double count = 0.0;
  double sum_m = 0.0;
  double sum_m2 = 0.0;
};

struct Aggregation {
  std::vector<PurchaseHistory> histories;
  std::vector<AggregateEntry> entries;
};

// Entries are found by hashing their key, and each entry sums its customers in input order; the
// entries are then sorted by (x, t_x, T, group, spend_x), all distinct, so the result does not
// depend on the hash table. (Sorting the customers themselves costs several seconds at 10M.)
struct EntryKey {
  double x, t_x, T, spend_x;
  int group;
  bool operator==(const EntryKey&) const = default;
  bool operator<(const EntryKey& o) const {
    if (x != o.x) return x < o.x;
    if (t_x != o.t_x) return t_x < o.t_x;
    if (T != o.T) return T < o.T;
    if (group != o.group) return group < o.group;
    return spend_x < o.spend_x;
  }
};

struct EntryKeyHash {
  std::size_t operator()(const EntryKey& k) const noexcept {
    // splitmix64's finaliser over the fields' bits.
    const auto mix = [](std::uint64_t h, std::uint64_t v) {
      h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      h ^= h >> 30;
      h *= 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 27;
      return h;
    };
    std::uint64_t h = static_cast<std::uint64_t>(k.group);
    for (const double v : {k.x, k.t_x, k.T, k.spend_x}) h = mix(h, std::bit_cast<std::uint64_t>(v));
    return static_cast<std::size_t>(h);
  }
};

Aggregation collapse(const std::vector<ForecastCustomer>& customers,
                     const std::vector<char>& aggregated_group) {
  std::unordered_map<EntryKey, std::uint32_t, EntryKeyHash> index;
  std::vector<std::pair<EntryKey, AggregateEntry>> found;
  for (const ForecastCustomer& c : customers) {
    if (!aggregated_group[static_cast<std::size_t>(c.group)]) continue;
    // +0.0 for -0.0, so that equal values have equal bits.
    const EntryKey key{c.x + 0.0, c.t_x + 0.0, c.T + 0.0, c.m > 0.0 ? c.x + 0.0 : 0.0, c.group};
    const auto [at, inserted] = index.try_emplace(key, static_cast<std::uint32_t>(found.size()));
    if (inserted) found.push_back({key, {0, c.group, key.spend_x, 0.0, 0.0, 0.0}});
    AggregateEntry& e = found[at->second].second;
    const double m = c.m > 0.0 ? c.m : 0.0;
    e.count += 1.0;
    e.sum_m += m;
    e.sum_m2 += m * m;
  }
  index = {};
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Aggregation out;
  out.entries.reserve(found.size());
  for (auto& [key, entry] : found) {
    if (out.histories.empty() || out.histories.back().x != key.x ||
        out.histories.back().t_x != key.t_x || out.histories.back().T != key.T) {
      out.histories.push_back({key.x, key.t_x, key.T});
    }
    entry.history = static_cast<std::uint32_t>(out.histories.size() - 1);
    out.entries.push_back(entry);
  }
  return out;
}

// One draw of every aggregated group: per entry the mean and variance of its purchases and
// revenue given the draw's parameters (independent customers: the variances add), then per group
// a normal with those moments from the group's own stream, floored at 0. For a customer with
// purchases X and spends z_1.. (independent given the customer's mean spend M):
//   E[R] = E[X] E[M],  E[R^2] = E[X] (E[z^2] - E[M^2]) + E[X^2] E[M^2].
// Returns false when the spend model has no finite moments in this draw.
bool draw_aggregated(const Aggregation& aggregation, const FutureMoments& moments,
                     const SpendSimulator& spend, int draw, int draws, int n_groups, double margin,
                     std::uint64_t seed, const std::vector<char>& aggregated_group,
                     std::vector<double>& mean, std::vector<double>& second, DrawSums& sums) {
  moments.moments(draw, mean, second);
  std::vector<double> purchase_mean(static_cast<std::size_t>(n_groups), 0.0);
  std::vector<double> purchase_var(static_cast<std::size_t>(n_groups), 0.0);
  std::vector<double> revenue_mean(static_cast<std::size_t>(n_groups), 0.0);
  std::vector<double> revenue_var(static_cast<std::size_t>(n_groups), 0.0);
  for (const AggregateEntry& e : aggregation.entries) {
    const double ex = mean[e.history];
    const double ex2 = second[e.history];
    const auto g = static_cast<std::size_t>(e.group);
    purchase_mean[g] += e.count * ex;
    purchase_var[g] += e.count * std::max(0.0, ex2 - ex * ex);
    SpendMomentSums z;
    if (!spend.spend_moment_sums(draw, e.spend_x, e.count, e.sum_m, e.sum_m2, z)) return false;
    revenue_mean[g] += margin * ex * z.mean;
    revenue_var[g] += margin * margin *
                      std::max(0.0, ex * (z.second - z.mean_square) + ex2 * z.mean_square -
                                        ex * ex * z.squared_mean);
  }
  const auto d = static_cast<std::size_t>(draw);
  for (std::size_t g = 0; g < purchase_mean.size(); ++g) {
    if (!aggregated_group[g]) continue;
    SimulationRng rng = SimulationRng::for_customer(seed ^ kForecastAggregateStream,
                                                    g * static_cast<std::size_t>(draws) + d);
    const double z_purchases = sample_standard_normal(rng);
    const double z_revenue = sample_standard_normal(rng);
    const std::size_t at = g * static_cast<std::size_t>(draws) + d;
    sums.purchases()[at] =
        std::max(0.0, purchase_mean[g] + std::sqrt(purchase_var[g]) * z_purchases);
    sums.revenue()[at] = std::max(0.0, revenue_mean[g] + std::sqrt(revenue_var[g]) * z_revenue);
  }
  return true;
}

// Every draw of the aggregated groups, on up to `threads` threads (draw d on thread d % threads;
// each draw is computed alone, so the result does not depend on the split). False when a draw
// has no finite spend moments: the caller then simulates those groups.
bool aggregate_all(const Aggregation& aggregation, const FutureMoments& moments,
                   const SpendSimulator& spend, int draws, int n_groups, double margin,
                   std::uint64_t seed, const std::vector<char>& aggregated_group, int threads,
                   DrawSums& sums) {
  const int workers = std::max(1, std::min(threads, draws));
  std::vector<char> ok(static_cast<std::size_t>(workers), 1);
  const auto work = [&](int worker) {
    std::vector<double> mean(aggregation.histories.size());
    std::vector<double> second(aggregation.histories.size());
    for (int d = worker; d < draws; d += workers) {
      if (!draw_aggregated(aggregation, moments, spend, d, draws, n_groups, margin, seed,
                           aggregated_group, mean, second, sums)) {
        ok[static_cast<std::size_t>(worker)] = 0;
        return;
      }
    }
  };
  if (workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
    work(0);
    for (std::thread& t : pool) t.join();
  }
  return std::all_of(ok.begin(), ok.end(), [](char v) { return v != 0; });
}

// What every draw of every customer shares.
struct Model {
  const FutureSimulator& purchases;
  const SpendSimulator& spend;
  const std::vector<int>& group;  // per customer
  double margin = 1.0;
  int draws = 0;
  const std::vector<char>& aggregated_group;  // groups drawn from their moments: not simulated
  // The simulators' index of each customer when they were made for the simulated customers
  // only; empty: every customer, index = position.
  const std::vector<std::uint32_t>& simulator_index;
};

// All draws of one customer, added to that customer's group in `sums`: per draw the purchase
// model's future (its purchase count; most draws have none and cost one or two uniforms), then
// the spend of those purchases, from the customer's own stream.
void simulate_customer_draws(const Model& model, std::uint64_t seed, std::uint64_t index,
                             DrawSums& sums) noexcept {
  if (model.aggregated_group[static_cast<std::size_t>(model.group[index])]) return;
  SimulationRng rng = SimulationRng::for_customer(seed, index);
  const std::size_t at = model.simulator_index.empty() ? index : model.simulator_index[index];
  const std::size_t offset =
      static_cast<std::size_t>(model.group[index]) * static_cast<std::size_t>(model.draws);
  double* const purchases = sums.purchases() + offset;
  double* const revenue = sums.revenue() + offset;
  for (int k = 0; k < model.draws; ++k) {
    const double n = model.purchases.draw_purchases(at, k, rng);
    if (n == 0.0) continue;
    purchases[k] += n;
    revenue[k] += model.margin * model.spend.draw_spend(at, k, n, rng);
  }
}

std::int64_t block_count_of(std::size_t customers) {
  const auto n = static_cast<std::int64_t>(customers);
  return (n + kForecastBlockCustomers - 1) / kForecastBlockCustomers;
}

void simulate_block(const Model& model, std::size_t customers, std::uint64_t seed,
                    std::int64_t block, DrawSums& sums) noexcept {
  sums.clear();
  const std::int64_t begin = block * kForecastBlockCustomers;
  const std::int64_t end =
      std::min<std::int64_t>(begin + kForecastBlockCustomers, static_cast<std::int64_t>(customers));
  for (std::int64_t i = begin; i < end; ++i) {
    simulate_customer_draws(model, seed, static_cast<std::uint64_t>(i), sums);
  }
}

// simulate_all on the calling thread alone: block after block, each added as soon as it is done.
template <class Report>
void simulate_serially(const Model& model, std::size_t customers, std::uint64_t seed,
                       std::int64_t block_count, DrawSums& total, const Report& report) {
  DrawSums sums(total.size());
  for (std::int64_t block = 0; block < block_count; ++block) {
    simulate_block(model, customers, seed, block, sums);
    total.add(sums);
    report(block + 1);
  }
}

// Simulates every block and adds the block sums into `total` in block order, whatever the thread
// count. With several threads, workers claim blocks in order from a counter and fill a ring of
// 2 * workers slots; the calling thread adds the slots in block order. A worker waits while its
// slot still holds a block not yet added, so memory stays bounded by the ring.
void simulate_all(const Model& model, std::size_t customers, std::uint64_t seed, int threads,
                  DrawSums& total, const std::function<void(std::int64_t)>& progress) {
  const std::int64_t block_count = block_count_of(customers);
  // Reports after every 64th block added, and after the last.
  const auto report = [&](std::int64_t blocks_added) {
    if (progress && (blocks_added % 64 == 0 || blocks_added == block_count)) {
      progress(std::min<std::int64_t>(blocks_added * kForecastBlockCustomers,
                                      static_cast<std::int64_t>(customers)));
    }
  };
  const std::size_t sums_size = total.size();
  const std::int64_t workers = std::min<std::int64_t>(threads, block_count);
  if (workers <= 1) {
    simulate_serially(model, customers, seed, block_count, total, report);
    return;
  }

  const std::int64_t ring = 2 * workers;
  std::vector<DrawSums> slots(static_cast<std::size_t>(ring), DrawSums(sums_size));
  std::vector<char> ready(static_cast<std::size_t>(ring), 0);  // guarded by mutex
  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<std::int64_t> next_block{0};
  std::int64_t added = 0;  // blocks added into `total`; guarded by mutex
  bool abort = false;      // guarded by mutex

  const auto work = [&] {
    for (;;) {
      const std::int64_t block = next_block.fetch_add(1);
      if (block >= block_count) return;
      const auto slot = static_cast<std::size_t>(block % ring);
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return abort || added > block - ring; });
        if (abort) return;
      }
      simulate_block(model, customers, seed, block, slots[slot]);
      {
        const std::lock_guard lock(mutex);
        ready[slot] = 1;
      }
      changed.notify_all();
    }
  };

  std::vector<std::thread> pool;
  const auto stop = [&] {
    {
      const std::lock_guard lock(mutex);
      abort = true;
    }
    changed.notify_all();
    for (std::thread& thread : pool) thread.join();
  };
  try {
    for (std::int64_t i = 0; i < workers; ++i) pool.emplace_back(work);
  } catch (...) {
    stop();  // std::thread could not start: stop the ones that did, then report
    throw;
  }
  for (std::int64_t block = 0; block < block_count; ++block) {
    const auto slot = static_cast<std::size_t>(block % ring);
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return ready[slot] != 0; });
    }
    total.add(slots[slot]);
    {
      const std::lock_guard lock(mutex);
      ready[slot] = 0;
      added = block + 1;
    }
    changed.notify_all();
    report(block + 1);
  }
  for (std::thread& thread : pool) thread.join();
}

// Hyndman & Fan (1996) type 7 on sorted values: h = (n - 1) prob, linear between neighbours.
double quantile_type7(const std::vector<double>& sorted, double prob) {
  const double h = static_cast<double>(sorted.size() - 1) * prob;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

// Moves the draws of one group by (point - their mean), rounded to a whole number when `whole`
// (purchases: the interval's ends stay counts a group can make), each floored at 0 (see
// "Centring" in forecast.hpp).
void centre_on_point_forecast(double* values, std::size_t draws, double point,
                              bool whole) noexcept {
  double sum = 0.0;
  for (std::size_t k = 0; k < draws; ++k) sum += values[k];
  double shift = point - sum / static_cast<double>(draws);
  if (whole) shift = std::round(shift);
  if (shift == 0.0) return;
  for (std::size_t k = 0; k < draws; ++k) values[k] = std::max(0.0, values[k] + shift);
}

Interval summarise(const double* draws, std::size_t n, std::vector<double>& scratch) {
  scratch.assign(draws, draws + n);
  double sum = 0.0;
  for (const double v : scratch) sum += v;
  const double mean = sum / static_cast<double>(n);
  double squares = 0.0;  // two passes: no cancellation for totals far from 0
  for (const double v : scratch) squares += (v - mean) * (v - mean);
  const double sd = n > 1 ? std::sqrt(squares / static_cast<double>(n - 1)) : 0.0;
  std::sort(scratch.begin(), scratch.end());
  return Interval{mean, quantile_type7(scratch, 0.05), quantile_type7(scratch, 0.95), sd};
}

}  // namespace

ForecastResult forecast_groups(const std::vector<ForecastCustomer>& customers, int n_groups,
                               const PurchaseModel& purchase_model, const SpendModel& spend_model,
                               const ForecastOptions& options) {
  check_options(options, n_groups);
  // Throws when there is no mean spend, and so no mean revenue.
  const double population_spend = spend_model.population_mean();

  ForecastResult result;
  result.groups.resize(static_cast<std::size_t>(n_groups));

  // One pass on the calling thread: check each customer and sum the analytic expectations.
  std::vector<PurchaseHistory> histories(customers.size());
  std::vector<SpendObservation> spends(customers.size());
  std::vector<int> group(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const ForecastCustomer& c = customers[i];
    check_customer(c, i, n_groups);
    histories[i] = {c.x, c.t_x, c.T};
    spends[i] = {c.x, c.m};
    group[i] = c.group;
    const double expected_purchases =
        purchase_model.expected_purchases(histories[i], options.horizon);
    if (!(expected_purchases >= 0.0) || !(expected_purchases <= kMaxForecastPurchasesPerCustomer)) {
      throw_bad_customer(i, "(x = " + format_number(c.x) + ", t_x = " + format_number(c.t_x) +
                                ", T = " + format_number(c.T) + ") expects " +
                                format_number(expected_purchases) +
                                " purchases in the horizon; a forecast needs a finite number of "
                                "at most 1e6");
    }
    // Without a usable mean spend the customer's spend keeps the population's.
    const double expected_spend =
        (c.x > 0.0 && c.m > 0.0) ? spend_model.expected_spend(c.x, c.m) : population_spend;
    GroupForecast& forecast = result.groups[static_cast<std::size_t>(c.group)];
    ++forecast.customers;
    forecast.expected_purchases_analytic += expected_purchases;
    forecast.expected_revenue_analytic += options.margin * expected_purchases * expected_spend;
  }
  // Drawn on the calling thread before the customer loop, shared read-only by the workers.
  const DrawTables tables = draw_parameters(purchase_model, spend_model, histories, options);
  const auto draws = static_cast<std::size_t>(options.draws);
  DrawSums sums(static_cast<std::size_t>(n_groups) * draws);
  std::vector<char> aggregated_group(static_cast<std::size_t>(n_groups), 0);
  bool any_aggregated = false;
  if (options.aggregate_min_customers > 0) {
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
      aggregated_group[g] = result.groups[g].customers >= options.aggregate_min_customers;
      any_aggregated = any_aggregated || aggregated_group[g];
    }
    if (any_aggregated) {
      const Aggregation aggregation = collapse(customers, aggregated_group);
      const std::unique_ptr<FutureMoments> moments =
          purchase_model.future_moments(aggregation.histories, options.horizon, tables.purchase);
      // The moment sums need no customer list.
      const std::unique_ptr<SpendSimulator> spend_moments =
          spend_model.spend_simulator({}, tables.spend);
      if (!moments ||
          !aggregate_all(aggregation, *moments, *spend_moments, options.draws, n_groups,
                         options.margin, options.seed, aggregated_group, options.threads, sums)) {
        // No moments: every group is simulated.
        std::fill(aggregated_group.begin(), aggregated_group.end(), 0);
        any_aggregated = false;
        sums.clear();
      }
    }
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
      result.groups[g].aggregated = aggregated_group[g] != 0;
    }
  }
  // With aggregated groups the simulators are made for the other customers only.
  std::vector<std::uint32_t> simulator_index;
  if (any_aggregated) {
    simulator_index.assign(customers.size(), 0);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < customers.size(); ++i) {
      if (aggregated_group[static_cast<std::size_t>(group[i])]) continue;
      simulator_index[i] = static_cast<std::uint32_t>(kept);
      histories[kept] = histories[i];
      spends[kept] = spends[i];
      ++kept;
    }
    histories.resize(kept);
    spends.resize(kept);
  }
  const std::unique_ptr<FutureSimulator> futures =
      purchase_model.future_simulator(histories, options.horizon, tables.purchase);
  const std::unique_ptr<SpendSimulator> spend = spend_model.spend_simulator(spends, tables.spend);
  histories = {};
  spends = {};

  const Model model{*futures,      *spend,           group,          options.margin,
                    options.draws, aggregated_group, simulator_index};
  simulate_all(model, customers.size(), options.seed, options.threads, sums, options.progress);
  if (tables.parameters_vary && options.centre) {
    for (std::size_t g = 0; g < result.groups.size(); ++g) {
      centre_on_point_forecast(sums.purchases() + g * draws, draws,
                               result.groups[g].expected_purchases_analytic, true);
      centre_on_point_forecast(sums.revenue() + g * draws, draws,
                               result.groups[g].expected_revenue_analytic, false);
    }
  }

  // The total of each draw is the sum of its groups in group order.
  std::vector<double> total_purchases(draws, 0.0);
  std::vector<double> total_revenue(draws, 0.0);
  std::vector<double> scratch;
  for (std::size_t g = 0; g < result.groups.size(); ++g) {
    const double* purchases = sums.purchases() + g * draws;
    const double* revenue = sums.revenue() + g * draws;
    for (std::size_t k = 0; k < draws; ++k) {
      total_purchases[k] += purchases[k];
      total_revenue[k] += revenue[k];
    }
    GroupForecast& group = result.groups[g];
    group.purchases = summarise(purchases, draws, scratch);
    group.revenue = summarise(revenue, draws, scratch);
    result.total.customers += group.customers;
    result.total.expected_purchases_analytic += group.expected_purchases_analytic;
    result.total.expected_revenue_analytic += group.expected_revenue_analytic;
  }
  result.total.purchases = summarise(total_purchases.data(), draws, scratch);
  result.total.revenue = summarise(total_revenue.data(), draws, scratch);
  return result;
}

}  // namespace clvkit
