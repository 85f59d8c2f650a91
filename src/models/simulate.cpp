#include "clvkit/models/simulate.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace clvkit {
namespace {

// std::round for x >= 0 (or NaN), inline: libm's round is a call per row. Below 2^52 the
// conversion truncates, which is floor, and x - floor(x) is exact, so this rounds half away from
// zero exactly like std::round; from 2^52 on every double is an integer already.
double round_nonnegative(double x) noexcept {
  if (!(x < 0x1.0p52)) return x;
  const double whole = static_cast<double>(static_cast<std::int64_t>(x));
  return x - whole >= 0.5 ? whole + 1.0 : whole;
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

// The order of the draws from the customer's stream is part of the output (the golden test pins
// it): first purchase day, the purchase model's latent traits, the spend model's, the first
// purchase's spend, then per repeat purchase its time and its spend.
SimulatedCustomer simulate_one(const SimulationOptions& options, double days_per_unit,
                               std::uint64_t index, std::vector<SimulatedPurchase>& purchases) {
  const PurchaseModel& purchase_model = *options.purchase;
  const SpendModel& spend_model = *options.spend;
  SimulationRng rng = SimulationRng::for_customer(options.seed, index);
  SimulatedCustomer customer;
  // floor(U * n) can round up to n when U is the largest double below 1: clamp.
  const auto offset = std::min(static_cast<std::int32_t>(sample_uniform(rng) * options.cohort_days),
                               options.cohort_days - 1);
  customer.first_purchase = options.start + offset;
  purchase_model.draw_customer(rng, days_per_unit, customer.purchase);
  spend_model.draw_customer_spend(rng, customer.spend);

  const auto add_purchase = [&](Day day) {
    const double z = spend_model.draw_purchase_spend(customer.spend, rng);
    // Round half away from zero to cents; every purchase is worth at least one cent. NaN (0 / 0)
    // and inf survive both steps and are caught below.
    const double cents = std::max(round_nonnegative(z * 100.0), 1.0);
    if (!std::isfinite(cents)) {
      const LatentDescription latent = spend_model.describe_latent(customer.spend);
      throw ModelError("simulate: customer " + std::to_string(index + 1) + " has " + latent.values +
                       " and an amount that overflows; " + latent.parameters + " are too extreme");
    }
    purchases.push_back({day, cents});
  };

  purchases.clear();
  add_purchase(customer.first_purchase);
  // Continuous time in days since the start of the first purchase day; observation ends with the
  // end of day `end`.
  const double horizon = static_cast<double>(options.end - customer.first_purchase + 1);
  double t = 0.0;
  for (;;) {
    t = purchase_model.next_purchase_time(customer.purchase, customer.repeat_purchases, t, rng);
    if (!(t < horizon)) break;  // also +inf: no further purchase
    if (static_cast<std::int64_t>(purchases.size()) >= kMaxSimulatedPurchasesPerCustomer) {
      const LatentDescription latent = purchase_model.describe_latent(customer.purchase);
      throw ModelError("simulate: customer " + std::to_string(index + 1) + " has " + latent.values +
                       ", more than " + std::to_string(kMaxSimulatedPurchasesPerCustomer) +
                       " purchases; " + latent.parameters + " are too extreme");
    }
    add_purchase(customer.first_purchase + static_cast<Day>(t));  // t >= 0: truncation = floor
    ++customer.repeat_purchases;
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
  const double days_per_unit = unit_days(options.time_unit);
  for (std::int64_t index = begin; index < end; ++index) {
    simulate_one(options, days_per_unit, static_cast<std::uint64_t>(index), scratch);
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
// A row in a block's text, as planned: rows average about 30 characters, and the text buffer
// grows by doubling, so up to twice that is held.
constexpr double kTextBytesPerPlannedRow = 2 * 30.0;

double physical_memory_bytes() noexcept {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size)
                                    : 0.0;
}

std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g GB", bytes / 1e9);
  return text;
}

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
                  std::int64_t block_count, std::int64_t block_customers, int threads,
                  const TextSink& sink, SimulationSummary& summary) {
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
        const std::int64_t begin = block * block_customers;
        simulate_block(options, dates, begin, std::min(begin + block_customers, options.customers),
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

std::shared_ptr<const PurchaseModel> cdnow_purchase_model() {
  static const std::shared_ptr<const PurchaseModel> model =
      purchase_model_family("bgnbd").make(std::array{0.243, 4.414, 0.793, 2.426});
  return model;
}

std::shared_ptr<const SpendModel> cdnow_spend_model() {
  static const std::shared_ptr<const SpendModel> model =
      spend_model_family("gamma_gamma").make(std::array{6.25, 3.74, 15.44});
  return model;
}

void check_simulation_options(const SimulationOptions& options) {
  if (options.purchase == nullptr) throw UsageError("simulate: no purchase model");
  if (options.spend == nullptr) throw UsageError("simulate: no spend model");
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

SimulationPlan plan_simulation(const SimulationOptions& options) {
  check_simulation_options(options);
  SimulationPlan plan;
  // The whole window is an upper bound for every customer's (they start within the cohort).
  const double window =
      static_cast<double>(options.end - options.start + 1) / unit_days(options.time_unit);
  plan.expected_rows_per_customer = 1.0 + options.purchase->expected_purchases_new_customer(window);
  const double cap = static_cast<double>(kMaxSimulatedPurchasesPerCustomer);
  if (plan.expected_rows_per_customer > cap) {  // inf too; NaN (no estimate) is let through
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", plan.expected_rows_per_customer);
    throw UsageError("simulate: a customer is expected to make " + std::string(text) +
                     " purchases from start to end, more than the limit of " +
                     std::to_string(kMaxSimulatedPurchasesPerCustomer) + " per customer (" +
                     options.purchase->description(time_unit_key(options.time_unit)) +
                     "); lower the purchase rate or shorten the window");
  }
  const double rows = std::isfinite(plan.expected_rows_per_customer)
                          ? std::max(plan.expected_rows_per_customer, 1.0)
                          : 1.0;
  // Blocks of about kSimulationBlockBytes: the output bytes do not depend on the block size
  // (every customer draws from its own stream), only the memory held ahead of the sink does.
  plan.customers_per_block = static_cast<std::int64_t>(
      std::clamp(std::floor(kSimulationBlockBytes / (rows * kTextBytesPerPlannedRow)), 1.0,
                 static_cast<double>(kBlockCustomers)));
  const std::int64_t block_count =
      (options.customers + plan.customers_per_block - 1) / plan.customers_per_block;
  std::int64_t threads = options.threads;
  if (const unsigned hardware = std::thread::hardware_concurrency(); hardware > 0) {
    threads = std::min<std::int64_t>(threads, hardware);
  }
  plan.threads = static_cast<int>(std::max<std::int64_t>(std::min(threads, block_count), 1));
  // In flight: a ring of 2 x threads blocks (one when single-threaded), and per worker the
  // purchases of the customer it draws.
  const double slots = plan.threads <= 1 ? 1.0 : 2.0 * plan.threads;
  const double block_bytes =
      static_cast<double>(plan.customers_per_block) * rows * kTextBytesPerPlannedRow;
  plan.memory_bytes = slots * block_bytes + plan.threads * rows * sizeof(SimulatedPurchase);
  plan.memory_limit_bytes = options.memory_limit_bytes > 0
                                ? static_cast<double>(options.memory_limit_bytes)
                                : physical_memory_bytes() / 2;
  if (plan.memory_limit_bytes > 0 && plan.memory_bytes > plan.memory_limit_bytes) {
    throw IoError("simulate: an estimated " + gigabytes(plan.memory_bytes) +
                  " of rows in memory (" + std::to_string(plan.threads) + " threads, blocks of " +
                  std::to_string(plan.customers_per_block) + " customers expected to make " +
                  gigabytes(block_bytes) + " of rows each), more than the limit of " +
                  gigabytes(plan.memory_limit_bytes) +
                  (options.memory_limit_bytes > 0 ? "" : " (half the physical memory)") +
                  "; use fewer threads or lower the purchase rate");
  }
  return plan;
}

SimulatedCustomer simulate_customer(const SimulationOptions& options, std::uint64_t index,
                                    std::vector<SimulatedPurchase>& purchases) {
  return simulate_one(options, unit_days(options.time_unit), index, purchases);
}

SimulationSummary write_simulated_transactions(const SimulationOptions& options,
                                               const TextSink& sink) {
  const SimulationPlan plan = plan_simulation(options);  // before anything is allocated
  const std::string dates = date_table(options.start, options.end);
  SimulationSummary summary;
  summary.customers = options.customers;
  sink("customer_id,date,amount\n");

  const std::int64_t block_customers = plan.customers_per_block;
  const std::int64_t block_count = (options.customers + block_customers - 1) / block_customers;
  if (plan.threads <= 1) {
    std::vector<SimulatedPurchase> scratch;
    BlockOutput block;
    for (std::int64_t begin = 0; begin < options.customers; begin += block_customers) {
      simulate_block(options, dates, begin, std::min(begin + block_customers, options.customers),
                     scratch, block);
      sink(block.text.view());
      merge_block(block, summary);
    }
  } else {
    run_pipeline(options, dates, block_count, block_customers, plan.threads, sink, summary);
  }
  return summary;
}

}  // namespace clvkit
