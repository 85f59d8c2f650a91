#pragma once
// Simulation of a transaction log from a purchase model (purchase_model.hpp) and a spend model
// (spend_model.hpp); by default BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the
// easy way", Marketing Science 24(2)) with Gamma-Gamma spend (Fader & Hardie 2013, "The
// Gamma-Gamma model of monetary value") at their CDNOW estimates. Used to test the fitters on data
// with known parameters and to produce large logs for benchmarks. The simulator knows the models
// only through their interfaces.
//
// The process, per customer i = 0..N-1 (written as id i + 1), from the customer's own stream:
//  - first purchase day d0 uniform over [start, start + cohort_days - 1]; the first purchase is
//    at the beginning of that day in continuous time;
//  - the customer's latent traits: PurchaseModel::draw_customer, then
//    SpendModel::draw_customer_spend (BG/NBD: lambda ~ Gamma(r, alpha) purchases per time unit,
//    alpha a rate, then p ~ Beta(a, b); Gamma-Gamma: nu ~ Gamma(q, gamma), gamma a rate);
//  - the first purchase's spend (SpendModel::draw_purchase_spend), then repeat purchases at the
//    times PurchaseModel::next_purchase_time gives, each followed by its spend draw. BG/NBD:
//    a Poisson process of rate lambda from the first purchase; right after each repeat purchase
//    the customer drops out with probability p. As in FHL 2005 (eq. 3 and 8:
//    P(X(t) = 0) = (alpha / (alpha + t))^r) there is no dropout after the initial purchase;
//  - the log is observed through the end of day `end`: a purchase at continuous time s days after
//    the start of d0 is written on day d0 + floor(s) when that is <= end. Several purchases can
//    fall on one day; they are separate rows (ingest merges them into one purchase occasion);
//  - every purchase (the first one too) spends the model's draw (Gamma-Gamma: z ~ Gamma(p, nu),
//    nu a rate), rounded to cents half away from zero and raised to at least 0.01, so every amount
//    is positive.
//
// Reproducibility: customer i draws from its own xoshiro256** stream seeded by a splitmix64 mix of
// (seed, i) (simulation_rng.hpp). The output therefore depends only on the options, not on the
// number of threads or the standard library (up to libm's rounding of log and exp, see there).

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/simulation_rng.hpp"
#include "clvkit/models/spend_model.hpp"
#include "clvkit/models/time_unit.hpp"
#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// BG/NBD at FHL 2005's CDNOW estimates, weekly: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
/// (made through the registry, once; the model is immutable and shared).
std::shared_ptr<const PurchaseModel> cdnow_purchase_model();
/// Gamma-Gamma at Fader & Hardie 2013's CDNOW estimates: p = 6.25, q = 3.74, gamma = 15.44.
std::shared_ptr<const SpendModel> cdnow_spend_model();

/// What to simulate. The defaults are the CDNOW estimates of FHL 2005 (BG/NBD, weeks) and of
/// Fader & Hardie 2013 (Gamma-Gamma), customers starting over 90 days from 2024-01-01 and the
/// log observed through 2025-12-31 (start + 730 days). The models' parameters were checked when
/// they were made (PurchaseModelFamily::make throws ModelError naming a bad one).
struct SimulationOptions {
  std::int64_t customers = 1000;  ///< N >= 1; ids 1..N
  Day start = 19723;              ///< 2024-01-01: first day of the cohort window
  std::int32_t cohort_days = 90;  ///< first purchases fall on start .. start + cohort_days - 1
  Day end = 19723 + 730;  ///< last observed day (inclusive), >= the cohort window's last day
  TimeUnit time_unit = TimeUnit::week;  ///< the purchase model's time unit (lambda is per unit)
  std::shared_ptr<const PurchaseModel> purchase = cdnow_purchase_model();  ///< never null
  std::shared_ptr<const SpendModel> spend = cdnow_spend_model();           ///< never null
  std::uint64_t seed = 1;
  int threads = 1;  ///< worker threads for write_simulated_transactions; capped at the hardware's
  /// Bound on the text held in memory at once (see plan_simulation); 0 = half the physical
  /// memory.
  std::int64_t memory_limit_bytes = 0;
};

/// How write_simulated_transactions will hold its output: blocks of customers simulated ahead
/// of the sink, sized from the expected rows per customer so that a block's text stays near
/// kSimulationBlockBytes whatever the rates (the output streams; blocks only bound the memory).
struct SimulationPlan {
  double expected_rows_per_customer = 0.0;  ///< 1 + E[X(window)] of a customer just acquired
  std::int64_t customers_per_block = 0;     ///< 1 .. 4096
  int threads = 1;                          ///< after capping at the hardware and block count
  double memory_bytes = 0.0;                ///< estimated text and scratch in flight
  double memory_limit_bytes = 0.0;          ///< the limit it was checked against
};
/// A block's target text size.
inline constexpr double kSimulationBlockBytes = 8.0 * 1024 * 1024;

/// Plans the simulation without allocating: the expected rows per customer over the whole
/// window (start to end) from PurchaseModel::expected_purchases_new_customer, the block size,
/// and the memory the 2 x threads blocks in flight are expected to hold. Throws UsageError when
/// a customer is expected to make more than kMaxSimulatedPurchasesPerCustomer purchases (every
/// customer would stop the run after millions of rows), and IoError (exit 4, memory) naming the
/// estimate and the limit when the blocks in flight are expected to need more memory than
/// options.memory_limit_bytes allows. Calls check_simulation_options first.
SimulationPlan plan_simulation(const SimulationOptions& options);

/// Throws UsageError naming the field ("simulate: customers is 0, but must be at least 1") when a
/// model is null, customers < 1, cohort_days < 1, threads < 1, or the cohort window ends after
/// `end`.
void check_simulation_options(const SimulationOptions& options);

/// One customer's latent draws and the number of purchases written for them. The latent traits
/// are the models' own, named by their latent_names(): BG/NBD's purchase.values are {lambda (rate
/// per time unit), p (dropout probability after each repeat purchase)}, Gamma-Gamma's
/// spend.values are {nu (spend rate: mean spend per purchase is p / nu)}; the indices are
/// BgNbdModel::kLatentLambda, kLatentDropout and GammaGammaModel::kLatentNu.
struct SimulatedCustomer {
  Day first_purchase = 0;
  LatentState purchase;               ///< from options.purchase->draw_customer
  LatentState spend;                  ///< from options.spend->draw_customer_spend
  std::int64_t repeat_purchases = 0;  ///< purchases in the window after the first (X in BG/NBD)
};

/// One purchase: its day and its amount in cents (an integral value >= 1).
struct SimulatedPurchase {
  Day day = 0;
  double cents = 0.0;
};

/// At most this many purchases per customer; beyond that the rates are implausible and
/// simulate_customer throws ModelError rather than loop (nearly) forever.
inline constexpr std::int64_t kMaxSimulatedPurchasesPerCustomer = 10'000'000;

/// Simulates customer `index` (0-based) of a log, replacing the contents of `purchases` with their
/// purchases in time order. The options are not checked here (see check_simulation_options).
/// Throws ModelError naming the customer when a spend draw overflows or the purchase cap is hit.
SimulatedCustomer simulate_customer(const SimulationOptions& options, std::uint64_t index,
                                    std::vector<SimulatedPurchase>& purchases);

/// What was written.
struct SimulationSummary {
  std::int64_t customers = 0;
  std::int64_t rows = 0;
  Day first_day = 0;  ///< earliest purchase written
  Day last_day = 0;   ///< latest purchase written
};

/// Receives consecutive pieces of the CSV text; may throw (the exception propagates).
using TextSink = std::function<void(std::string_view)>;

/// Writes the log as CSV "customer_id,date,amount" (header line, ISO dates, amounts with two
/// decimals), rows grouped by customer in id order and by time within a customer. Blocks of
/// customers are simulated on `options.threads` threads and handed to `sink` in order, so the
/// bytes do not depend on the thread count. Checks the options first (UsageError); rethrows
/// ModelError from simulate_customer and whatever `sink` throws.
SimulationSummary write_simulated_transactions(const SimulationOptions& options,
                                               const TextSink& sink);

}  // namespace clvkit
