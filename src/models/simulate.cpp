#include "clvkit/models/simulate.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace clvkit {
namespace {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;  // 2^64 / golden ratio, odd

// Marsaglia & Tsang's constants for one shape, computed once per shape: the spend draw happens
// once per row and would otherwise pay a sqrt and a division each time.
struct GammaShape {
  explicit GammaShape(double shape) noexcept
      : boost(shape < 1.0),
        inv_shape(1.0 / shape),
        d((boost ? shape + 1.0 : shape) - 1.0 / 3.0),
        c(1.0 / std::sqrt(9.0 * d)) {}
  bool boost;  // shape < 1: draw Gamma(shape + 1) and multiply by U^(1/shape)
  double inv_shape;
  double d;
  double c;
};

// Marsaglia & Tsang (2000): returns v with d * v ~ Gamma(d + 1/3, 1). The squeeze
// 1 - 0.0331 x^4 accepts most draws without a logarithm.
double marsaglia_tsang_v(SimulationRng& rng, double d, double c) noexcept {
  for (;;) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = sample_standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = sample_uniform(rng);
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return v;
  }
}

double gamma_variate(SimulationRng& rng, const GammaShape& shape) noexcept {
  const double g = shape.d * marsaglia_tsang_v(rng, shape.d, shape.c);
  if (!shape.boost) return g;
  return g * std::exp(std::log(sample_uniform(rng)) * shape.inv_shape);
}

double log_gamma_variate(SimulationRng& rng, const GammaShape& shape) noexcept {
  const double log_g = std::log(shape.d * marsaglia_tsang_v(rng, shape.d, shape.c));
  if (!shape.boost) return log_g;
  return log_g + std::log(sample_uniform(rng)) * shape.inv_shape;
}

double beta_variate(SimulationRng& rng, const GammaShape& a, const GammaShape& b) noexcept {
  const double log_x = log_gamma_variate(rng, a);
  const double log_y = log_gamma_variate(rng, b);
  // X / (X + Y) = 1 / (1 + exp(log Y - log X)); exp overflowing to inf gives exactly 0.
  return 1.0 / (1.0 + std::exp(log_y - log_x));
}

// std::round for x >= 0 (or NaN), inline: libm's round is a call per row. Below 2^52 the
// conversion truncates, which is floor, and x - floor(x) is exact, so this rounds half away from
// zero exactly like std::round; from 2^52 on every double is an integer already.
double round_nonnegative(double x) noexcept {
  if (!(x < 0x1.0p52)) return x;
  const double whole = static_cast<double>(static_cast<std::int64_t>(x));
  return x - whole >= 0.5 ? whole + 1.0 : whole;
}

// Everything about the population that customers share, computed once per block.
struct Population {
  explicit Population(const SimulationOptions& options) noexcept
      : r(options.bgnbd.r),
        a(options.bgnbd.a),
        b(options.bgnbd.b),
        q(options.gamma_gamma.q),
        p(options.gamma_gamma.p),
        days_per_unit(unit_days(options.time_unit)) {}
  GammaShape r;
  GammaShape a;
  GammaShape b;
  GammaShape q;
  GammaShape p;
  double days_per_unit;
};

std::string number_text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

void check_positive_finite(double value, const char* name) {
  if (!(std::isfinite(value) && value > 0.0)) {
    throw UsageError(std::string("simulate: ") + name + " is " + number_text(value) +
                     ", but must be positive and finite");
  }
}

// A growable text buffer written through raw pointers: one capacity check per row, no
// allocation once it has grown to the block's size.
class TextBuffer {
 public:
  // A pointer to at least `n` writable bytes at the end of the text.
  char* reserve(std::size_t n) {
    if (data_.size() - size_ < n) data_.resize(std::max(data_.size() * 2, size_ + n + 4096));
    return data_.data() + size_;
  }
  void commit(const char* end) noexcept { size_ = static_cast<std::size_t>(end - data_.data()); }
  void clear() noexcept { size_ = 0; }
  std::string_view view() const noexcept { return {data_.data(), size_}; }

 private:
  std::string data_;
  std::size_t size_ = 0;
};

constexpr std::size_t kDateChars = 10;  // "YYYY-MM-DD"
// id (<= 20 digits) + date + integral amount (<= 16 digits + ".dd") + separators, rounded up.
constexpr std::size_t kMaxRowChars = 64;
// Cents at or above this are formatted as a double: they no longer fit the integer path exactly.
constexpr double kMaxIntegralCents = 9.0e15;

// "YYYY-MM-DD" for every day of [start, end], formatted once: rows copy 10 bytes.
std::string date_table(Day start, Day end) {
  std::string table;
  for (Day day = start; day <= end; ++day) {
    const std::string text = format_day(day);
    if (text.size() != kDateChars) {
      throw UsageError("simulate: date " + text + " cannot be written as YYYY-MM-DD");
    }
    table += text;
  }
  return table;
}

char* write_amount(char* out, double cents) noexcept {
  if (cents < kMaxIntegralCents) {
    const auto whole = static_cast<std::uint64_t>(cents);
    out = std::to_chars(out, out + 20, whole / 100).ptr;
    const auto fraction = static_cast<unsigned>(whole % 100);
    out[0] = '.';
    out[1] = static_cast<char>('0' + fraction / 10);
    out[2] = static_cast<char>('0' + fraction % 10);
    return out + 3;
  }
  // Rare huge amounts (tiny nu): the caller reserved room for any finite double.
  return std::to_chars(out, out + 400, cents / 100.0, std::chars_format::fixed, 2).ptr;
}

struct BlockOutput {
  TextBuffer text;
  std::int64_t rows = 0;
  Day first_day = 0;
  Day last_day = 0;
  bool ready = false;  // guarded by the pipeline's mutex
};

SimulatedCustomer simulate_one(const SimulationOptions& options, const Population& population,
                               std::uint64_t index, std::vector<SimulatedPurchase>& purchases) {
  SimulationRng rng = SimulationRng::for_customer(options.seed, index);
  SimulatedCustomer customer;
  // floor(U * n) can round up to n when U is the largest double below 1: clamp.
  const auto offset = std::min(static_cast<std::int32_t>(sample_uniform(rng) * options.cohort_days),
                               options.cohort_days - 1);
  customer.first_purchase = options.start + offset;
  customer.lambda = gamma_variate(rng, population.r) / options.bgnbd.alpha;
  customer.p = beta_variate(rng, population.a, population.b);
  customer.nu = gamma_variate(rng, population.q) / options.gamma_gamma.gamma;

  const double nu = customer.nu;
  const auto add_purchase = [&](Day day) {
    const double z = gamma_variate(rng, population.p) / nu;
    // Round half away from zero to cents; every purchase is worth at least one cent. NaN (0 / 0)
    // and inf survive both steps and are caught below.
    const double cents = std::max(round_nonnegative(z * 100.0), 1.0);
    if (!std::isfinite(cents)) {
      throw ModelError("simulate: customer " + std::to_string(index + 1) +
                       " has spend rate nu = " + number_text(nu) +
                       " and an amount that overflows; q and gamma are too extreme");
    }
    purchases.push_back({day, cents});
  };

  purchases.clear();
  add_purchase(customer.first_purchase);
  // Continuous time in days since the start of the first purchase day; observation ends with the
  // end of day `end`. Waiting times are Exponential(lambda) in time units.
  const double horizon = static_cast<double>(options.end - customer.first_purchase + 1);
  const double days_per_unit_over_lambda = population.days_per_unit / customer.lambda;
  double t = 0.0;
  for (;;) {
    t += sample_exponential(rng) * days_per_unit_over_lambda;  // inf when lambda == 0
    if (!(t < horizon)) break;
    if (static_cast<std::int64_t>(purchases.size()) >= kMaxSimulatedPurchasesPerCustomer) {
      throw ModelError("simulate: customer " + std::to_string(index + 1) +
                       " has lambda = " + number_text(customer.lambda) +
                       " per time unit and dropout p = " + number_text(customer.p) +
                       ", more than " + std::to_string(kMaxSimulatedPurchasesPerCustomer) +
                       " purchases; r, alpha, a and b are too extreme");
    }
    add_purchase(customer.first_purchase + static_cast<Day>(t));  // t >= 0: truncation = floor
    ++customer.repeat_purchases;
    if (sample_uniform(rng) < customer.p) break;  // FHL 2005: dropout after a repeat purchase
  }
  return customer;
}

// Customers [begin, end) as CSV rows into `out`.
void simulate_block(const SimulationOptions& options, const std::string& dates, std::int64_t begin,
                    std::int64_t end, std::vector<SimulatedPurchase>& scratch, BlockOutput& out) {
  out.text.clear();
  out.rows = 0;
  out.first_day = options.end;
  out.last_day = options.start;
  const Population population(options);
  for (std::int64_t index = begin; index < end; ++index) {
    simulate_one(options, population, static_cast<std::uint64_t>(index), scratch);
    char id[24];
    const std::size_t id_length =
        static_cast<std::size_t>(std::to_chars(id, id + sizeof id, index + 1).ptr - id);
    for (const SimulatedPurchase& purchase : scratch) {
      const bool huge = !(purchase.cents < kMaxIntegralCents);
      char* p = out.text.reserve(huge ? kMaxRowChars + 400 : kMaxRowChars);
      std::memcpy(p, id, id_length);
      p += id_length;
      *p++ = ',';
      std::memcpy(
          p, dates.data() + static_cast<std::size_t>(purchase.day - options.start) * kDateChars,
          kDateChars);
      p += kDateChars;
      *p++ = ',';
      p = write_amount(p, purchase.cents);
      *p++ = '\n';
      out.text.commit(p);
    }
    out.rows += static_cast<std::int64_t>(scratch.size());
    out.first_day = std::min(out.first_day, scratch.front().day);
    out.last_day = std::max(out.last_day, scratch.back().day);
  }
}

constexpr std::int64_t kBlockCustomers = 4096;

void merge_block(const BlockOutput& block, SimulationSummary& summary) {
  if (block.rows == 0) return;
  if (summary.rows == 0) {
    summary.first_day = block.first_day;
    summary.last_day = block.last_day;
  }
  summary.rows += block.rows;
  summary.first_day = std::min(summary.first_day, block.first_day);
  summary.last_day = std::max(summary.last_day, block.last_day);
}

// Workers claim blocks in order from a counter and fill a ring of 2 * threads slots; the calling
// thread hands the slots to the sink in block order. A worker waits while its slot still holds
// an unwritten block, so memory stays bounded by the ring.
void run_pipeline(const SimulationOptions& options, const std::string& dates,
                  std::int64_t block_count, int threads, const TextSink& sink,
                  SimulationSummary& summary) {
  const std::int64_t ring = 2 * static_cast<std::int64_t>(threads);
  std::vector<BlockOutput> slots(static_cast<std::size_t>(ring));
  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<std::int64_t> next_block{0};
  std::int64_t written = 0;  // blocks handed to the sink; guarded by mutex
  bool abort = false;        // guarded by mutex
  std::exception_ptr worker_error;

  const auto work = [&] {
    std::vector<SimulatedPurchase> scratch;
    for (;;) {
      const std::int64_t block = next_block.fetch_add(1);
      if (block >= block_count) return;
      BlockOutput& slot = slots[static_cast<std::size_t>(block % ring)];
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return abort || block < written + ring; });
        if (abort) return;
      }
      try {
        const std::int64_t begin = block * kBlockCustomers;
        simulate_block(options, dates, begin, std::min(begin + kBlockCustomers, options.customers),
                       scratch, slot);
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!worker_error) worker_error = std::current_exception();
        abort = true;
        changed.notify_all();
        return;
      }
      {
        const std::lock_guard lock(mutex);
        slot.ready = true;
      }
      changed.notify_all();
    }
  };

  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  const auto stop_and_join = [&] {
    {
      const std::lock_guard lock(mutex);
      abort = true;
    }
    changed.notify_all();
    for (std::thread& worker : workers) worker.join();
    workers.clear();
  };

  try {
    for (int i = 0; i < threads; ++i) workers.emplace_back(work);
    for (std::int64_t block = 0; block < block_count; ++block) {
      BlockOutput& slot = slots[static_cast<std::size_t>(block % ring)];
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return abort || slot.ready; });
        if (abort) break;
      }
      sink(slot.text.view());
      merge_block(slot, summary);
      {
        const std::lock_guard lock(mutex);
        slot.ready = false;
        written = block + 1;
      }
      changed.notify_all();
    }
  } catch (...) {
    stop_and_join();
    throw;
  }
  stop_and_join();
  if (worker_error) std::rethrow_exception(worker_error);
}

}  // namespace

std::uint64_t splitmix64_mix(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

SimulationRng::SimulationRng(std::uint64_t seed) noexcept {
  // splitmix64 as a generator: never yields an all-zero state (the mixer is a bijection of
  // four distinct counter values).
  for (std::uint64_t& word : s_) {
    seed += kGolden;
    word = splitmix64_mix(seed);
  }
}

SimulationRng SimulationRng::for_customer(std::uint64_t seed, std::uint64_t index) noexcept {
  // Mixing the seed before adding the index keeps (seed, index) and (seed + 1, index - 1) apart.
  return SimulationRng(splitmix64_mix(splitmix64_mix(seed) + (index + 1) * kGolden));
}

double sample_uniform(SimulationRng& rng) noexcept {
  return (static_cast<double>(rng.next() >> 12) + 0.5) * 0x1.0p-52;
}

double sample_exponential(SimulationRng& rng) noexcept { return -std::log(sample_uniform(rng)); }

double sample_standard_normal(SimulationRng& rng) noexcept {
  if (rng.has_spare_normal_) {
    rng.has_spare_normal_ = false;
    return rng.spare_normal_;
  }
  for (;;) {
    const double u = 2.0 * sample_uniform(rng) - 1.0;
    const double v = 2.0 * sample_uniform(rng) - 1.0;
    const double s = u * u + v * v;
    if (s < 1.0 && s > 0.0) {
      // One logarithm, square root and division for two normals: the gamma draw behind every
      // amount spends most of its time here.
      const double scale = std::sqrt(-2.0 * std::log(s) / s);
      rng.spare_normal_ = v * scale;
      rng.has_spare_normal_ = true;
      return u * scale;
    }
  }
}

double sample_log_gamma(SimulationRng& rng, double shape) noexcept {
  return log_gamma_variate(rng, GammaShape(shape));
}

double sample_gamma(SimulationRng& rng, double shape, double rate) noexcept {
  return gamma_variate(rng, GammaShape(shape)) / rate;
}

double sample_beta(SimulationRng& rng, double a, double b) noexcept {
  return beta_variate(rng, GammaShape(a), GammaShape(b));
}

void check_simulation_options(const SimulationOptions& options) {
  check_positive_finite(options.bgnbd.r, "r");
  check_positive_finite(options.bgnbd.alpha, "alpha");
  check_positive_finite(options.bgnbd.a, "a");
  check_positive_finite(options.bgnbd.b, "b");
  check_positive_finite(options.gamma_gamma.p, "p");
  check_positive_finite(options.gamma_gamma.q, "q");
  check_positive_finite(options.gamma_gamma.gamma, "gamma");
  if (options.customers < 1) {
    throw UsageError("simulate: customers is " + std::to_string(options.customers) +
                     ", but must be at least 1");
  }
  if (options.cohort_days < 1) {
    throw UsageError("simulate: cohort_days is " + std::to_string(options.cohort_days) +
                     ", but must be at least 1");
  }
  if (options.threads < 1) {
    throw UsageError("simulate: threads is " + std::to_string(options.threads) +
                     ", but must be at least 1");
  }
  // 64-bit arithmetic: start + cohort_days may leave the Day range.
  const std::int64_t cohort_last =
      static_cast<std::int64_t>(options.start) + options.cohort_days - 1;
  if (cohort_last > options.end) {
    throw UsageError("simulate: end (day " + std::to_string(options.end) +
                     ") is before the last day of the cohort window (day " +
                     std::to_string(cohort_last) + ")");
  }
}

SimulatedCustomer simulate_customer(const SimulationOptions& options, std::uint64_t index,
                                    std::vector<SimulatedPurchase>& purchases) {
  return simulate_one(options, Population(options), index, purchases);
}

SimulationSummary write_simulated_transactions(const SimulationOptions& options,
                                               const TextSink& sink) {
  check_simulation_options(options);
  const std::string dates = date_table(options.start, options.end);
  SimulationSummary summary;
  summary.customers = options.customers;
  sink("customer_id,date,amount\n");

  const std::int64_t block_count = (options.customers + kBlockCustomers - 1) / kBlockCustomers;
  std::int64_t threads = options.threads;
  if (const unsigned hardware = std::thread::hardware_concurrency(); hardware > 0) {
    threads = std::min<std::int64_t>(threads, hardware);
  }
  threads = std::min(threads, block_count);
  if (threads <= 1) {
    std::vector<SimulatedPurchase> scratch;
    BlockOutput block;
    for (std::int64_t begin = 0; begin < options.customers; begin += kBlockCustomers) {
      simulate_block(options, dates, begin, std::min(begin + kBlockCustomers, options.customers),
                     scratch, block);
      sink(block.text.view());
      merge_block(block, summary);
    }
  } else {
    run_pipeline(options, dates, block_count, static_cast<int>(threads), sink, summary);
  }
  return summary;
}

}  // namespace clvkit
