#include "clvkit/models/forecast.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "clvkit/error.hpp"
#include "clvkit/models/simulate.hpp"

namespace clvkit {
namespace {

// Beyond this many expected purchases of one customer in the horizon the walk over exponential
// inter-purchase times (one variate per simulated purchase) would not finish in useful time.
constexpr double kMaxExpectedPurchasesPerCustomer = 1.0e6;

std::string format_number(double value) {
  std::ostringstream out;
  out << std::setprecision(6) << value;
  return out.str();
}

bool positive_finite(double v) { return v > 0.0 && std::isfinite(v); }
bool non_negative_finite(double v) { return v >= 0.0 && std::isfinite(v); }

void check_options(const ForecastOptions& options, int n_groups) {
  if (!positive_finite(options.horizon)) {
    throw UsageError("forecast: horizon is " + format_number(options.horizon) +
                     ", but must be positive and finite");
  }
  if (options.draws < 1) {
    throw UsageError("forecast: draws is " + std::to_string(options.draws) +
                     ", but must be at least 1");
  }
  if (options.threads < 1) {
    throw UsageError("forecast: threads is " + std::to_string(options.threads) +
                     ", but must be at least 1");
  }
  if (!non_negative_finite(options.margin)) {
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
    if (!non_negative_finite(value)) {
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

// What the simulation needs of one customer, computed once rather than once per draw.
struct PreparedCustomer {
  double p_alive = 1.0;
  double p_none = 1.0;      // P(no purchase in the horizon | alive) = (beta / (beta + h))^s
  double shape = 0.0;       // s = r + x: lambda | alive ~ Gamma(s, beta)
  double inv_shape = 0.0;   // 1 / s
  double rate = 0.0;        // beta = alpha + T
  double dropout_ab = 0.0;  // a + b + x: the urn's total after x survived coins
  double nu_shape = 0.0;    // q + p_gg x (x = 0 without a usable m)
  double nu_rate = 0.0;     // gamma + x m
  int group = 0;
};

struct Model {
  double a = 0.0;        // BG/NBD a
  double spend_p = 0.0;  // Gamma-Gamma p, the shape of one purchase's spend
  double horizon = 0.0;
  double margin = 1.0;
  int draws = 0;
};

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

// All draws of one customer, added to that customer's group in `sums`. The process is the one in
// the header; three exact rearrangements make a draw without purchases cost one or two uniforms
// (most draws, and the gamma variates dominated the cost before):
//  - First purchase. With lambda ~ Gamma(s, beta) and the first arrival tau | lambda ~ Exp(lambda),
//    tau is marginally Lomax: P(tau > t) = (beta / (beta + t))^s, and lambda | tau ~
//    Gamma(s + 1, beta + tau). So tau is drawn by inversion, u = (beta / (beta + tau))^s, i.e.
//    tau = beta expm1(-log(u) / s); u < p_none means tau > h (no purchase) and nothing else is
//    drawn; otherwise lambda is drawn from its conditional and the later arrivals follow at rate
//    lambda from tau (memoryless).
//  - Dropout. Integrating p ~ Beta(a, b + x) out, the coin after the k-th future purchase, given
//    the k - 1 before it came up "stay", drops the customer with probability
//    a / (a + b + x + k - 1) (the posterior mean of p after k - 1 more survivals; a Polya urn).
//    One uniform per purchase replaces the Beta variate.
//  - Spend. The n spends Gamma(p_gg, nu) sum to Gamma(n p_gg, nu); with nu = G_2 / (gamma + x m),
//    G_2 ~ Gamma(nu_shape, 1), the sum is (gamma + x m) G_1 / G_2 with G_1 ~ Gamma(n p_gg, 1).
//    G_2 > 0: nu_shape >= q > 1, and Marsaglia-Tsang never returns 0 for a shape >= 1.
void simulate_customer_draws(const Model& model, const PreparedCustomer& c, std::uint64_t seed,
                             std::uint64_t index, DrawSums& sums) noexcept {
  SimulationRng rng = SimulationRng::for_customer(seed, index);
  const std::size_t offset =
      static_cast<std::size_t>(c.group) * static_cast<std::size_t>(model.draws);
  double* const purchases = sums.purchases() + offset;
  double* const revenue = sums.revenue() + offset;
  const bool certain_alive = c.p_alive >= 1.0;
  for (int k = 0; k < model.draws; ++k) {
    if (!certain_alive && !(sample_uniform(rng) < c.p_alive)) continue;
    const double u = sample_uniform(rng);
    if (u < c.p_none) continue;
    // tau <= h up to rounding; the clamp keeps the remaining exposure non-negative.
    const double tau = std::min(c.rate * std::expm1(-std::log(u) * c.inv_shape), model.horizon);
    const double lambda = sample_gamma(rng, c.shape + 1.0, c.rate + tau);
    // Later arrivals in units of 1 / lambda: a unit-rate process over [0, lambda (h - tau)].
    const double exposure = lambda * (model.horizon - tau);
    double n = 1.0;
    double arrival = 0.0;
    for (;;) {
      if (sample_uniform(rng) * (c.dropout_ab + (n - 1.0)) < model.a) break;  // dropped out
      arrival += sample_exponential(rng);
      if (arrival > exposure) break;
      n += 1.0;
    }
    purchases[k] += n;
    const double spend =
        c.nu_rate * sample_gamma(rng, n * model.spend_p, 1.0) / sample_gamma(rng, c.nu_shape, 1.0);
    revenue[k] += model.margin * spend;
  }
}

std::int64_t block_count_of(std::size_t customers) {
  const auto n = static_cast<std::int64_t>(customers);
  return (n + kForecastBlockCustomers - 1) / kForecastBlockCustomers;
}

void simulate_block(const Model& model, const std::vector<PreparedCustomer>& prepared,
                    std::uint64_t seed, std::int64_t block, DrawSums& sums) noexcept {
  sums.clear();
  const std::int64_t begin = block * kForecastBlockCustomers;
  const std::int64_t end = std::min<std::int64_t>(begin + kForecastBlockCustomers,
                                                  static_cast<std::int64_t>(prepared.size()));
  for (std::int64_t i = begin; i < end; ++i) {
    simulate_customer_draws(model, prepared[static_cast<std::size_t>(i)], seed,
                            static_cast<std::uint64_t>(i), sums);
  }
}

// Simulates every block and adds the block sums into `total` in block order, whatever the thread
// count. With several threads, workers claim blocks in order from a counter and fill a ring of
// 2 * workers slots; the calling thread adds the slots in block order. A worker waits while its
// slot still holds a block not yet added, so memory stays bounded by the ring.
void simulate_all(const Model& model, const std::vector<PreparedCustomer>& prepared,
                  std::uint64_t seed, int threads, DrawSums& total) {
  const std::int64_t block_count = block_count_of(prepared.size());
  const std::size_t sums_size = total.size();
  const std::int64_t workers = std::min<std::int64_t>(threads, block_count);
  if (workers <= 1) {
    DrawSums sums(sums_size);
    for (std::int64_t block = 0; block < block_count; ++block) {
      simulate_block(model, prepared, seed, block, sums);
      total.add(sums);
    }
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
      simulate_block(model, prepared, seed, block, slots[slot]);
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
                               const BgNbdParams& bgnbd, const GammaGammaParams& gamma_gamma,
                               const ForecastOptions& options) {
  check_options(options, n_groups);
  check_bgnbd_params(bgnbd);
  check_gamma_gamma_params(gamma_gamma);
  // Throws when q <= 1: the mean spend, and so the mean revenue, does not exist.
  gamma_gamma_population_mean(gamma_gamma);

  ForecastResult result;
  result.groups.resize(static_cast<std::size_t>(n_groups));

  // One pass on the calling thread: check each customer, sum the analytic expectations and
  // precompute the posterior parameters the draws use.
  std::vector<PreparedCustomer> prepared(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const ForecastCustomer& c = customers[i];
    check_customer(c, i, n_groups);
    const double expected_purchases =
        bgnbd_conditional_expected_purchases(bgnbd, c.x, c.t_x, c.T, options.horizon);
    if (!(expected_purchases >= 0.0) || !(expected_purchases <= kMaxExpectedPurchasesPerCustomer)) {
      throw_bad_customer(i, "(x = " + format_number(c.x) + ", t_x = " + format_number(c.t_x) +
                                ", T = " + format_number(c.T) + ") expects " +
                                format_number(expected_purchases) +
                                " purchases in the horizon; a forecast needs a finite number of "
                                "at most 1e6");
    }
    // Without a usable mean spend the customer's spend rate keeps its prior.
    const double spend_x = (c.x > 0.0 && c.m > 0.0) ? c.x : 0.0;
    const double expected_spend = gamma_gamma_conditional_expected_spend(gamma_gamma, spend_x, c.m);
    GroupForecast& group = result.groups[static_cast<std::size_t>(c.group)];
    ++group.customers;
    group.expected_purchases_analytic += expected_purchases;
    group.expected_revenue_analytic += options.margin * expected_purchases * expected_spend;

    const double p_alive = bgnbd_p_alive(bgnbd, c.x, c.t_x, c.T);
    if (!(p_alive >= 0.0 && p_alive <= 1.0)) {
      throw_bad_customer(i, "(x = " + format_number(c.x) + ", t_x = " + format_number(c.t_x) +
                                ", T = " + format_number(c.T) + ") has P(alive) = " +
                                format_number(p_alive) + ", not a probability");
    }
    PreparedCustomer& p = prepared[i];
    p.p_alive = p_alive;
    p.shape = bgnbd.r + c.x;
    p.inv_shape = 1.0 / p.shape;
    p.rate = bgnbd.alpha + c.T;
    p.p_none = std::exp(-p.shape * std::log1p(options.horizon / p.rate));
    p.dropout_ab = bgnbd.a + bgnbd.b + c.x;
    p.nu_shape = gamma_gamma.q + gamma_gamma.p * spend_x;
    p.nu_rate = gamma_gamma.gamma + spend_x * c.m;
    p.group = c.group;
  }

  const Model model{.a = bgnbd.a,
                    .spend_p = gamma_gamma.p,
                    .horizon = options.horizon,
                    .margin = options.margin,
                    .draws = options.draws};
  const auto draws = static_cast<std::size_t>(options.draws);
  DrawSums sums(static_cast<std::size_t>(n_groups) * draws);
  simulate_all(model, prepared, options.seed, options.threads, sums);

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
