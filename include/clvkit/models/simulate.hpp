#pragma once
// Simulation of a transaction log from the BG/NBD purchase process (Fader, Hardie & Lee 2005,
// "Counting your customers the easy way", Marketing Science 24(2)) with Gamma-Gamma spend
// (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"). Used to test the fitters on
// data with known parameters and to produce large logs for benchmarks.
//
// The process, per customer i = 0..N-1 (written as id i + 1):
//  - first purchase day d0 uniform over [start, start + cohort_days - 1]; the first purchase is
//    at the beginning of that day in continuous time;
//  - lambda ~ Gamma(r, alpha) purchases per time unit (alpha is a rate), p ~ Beta(a, b),
//    nu ~ Gamma(q, gamma) (gamma is a rate);
//  - repeat purchases follow a Poisson process of rate lambda from the first purchase; right after
//    each repeat purchase the customer drops out with probability p. As in FHL 2005 (eq. 3 and 8:
//    P(X(t) = 0) = (alpha / (alpha + t))^r) there is no dropout after the initial purchase;
//  - the log is observed through the end of day `end`: a purchase at continuous time s days after
//    the start of d0 is written on day d0 + floor(s) when that is <= end. Several purchases can
//    fall on one day; they are separate rows (ingest merges them into one purchase occasion);
//  - every purchase (the first one too) spends z ~ Gamma(p, nu) (nu is a rate), rounded to cents
//    half away from zero and raised to at least 0.01, so every amount is positive.
//
// Reproducibility: customer i draws from its own xoshiro256** stream seeded by a splitmix64 mix of
// (seed, i), and every variate is computed here from raw 64-bit words (no std:: distributions,
// whose results are implementation-defined). The output therefore depends only on the options,
// not on the number of threads or the standard library. It still goes through the C library's
// log, exp and sqrt: sqrt is exact everywhere, but another libm could round log or exp
// differently in the last bit, which in rare draws can change a row.

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "clvkit/models/bgnbd.hpp"
#include "clvkit/models/gamma_gamma.hpp"
#include "clvkit/models/time_unit.hpp"
#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// xoshiro256** (Blackman & Vigna 2018): 256 bits of state, period 2^256 - 1. Cheap to seed,
/// which matters with one stream per customer. Also holds the second normal of the last polar
/// pair (see sample_standard_normal), so a stream's variates depend only on its seed and the
/// sequence of calls made on it.
class SimulationRng {
 public:
  /// The state is filled with four successive splitmix64 outputs starting from `seed`.
  explicit SimulationRng(std::uint64_t seed) noexcept;

  /// The stream of customer `index` under `seed`: seeded with a splitmix64 mix of both, so
  /// neighbouring customers and neighbouring seeds get unrelated streams.
  static SimulationRng for_customer(std::uint64_t seed, std::uint64_t index) noexcept;

  /// The next 64 uniformly distributed bits.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  friend double sample_standard_normal(SimulationRng& rng) noexcept;
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

/// The splitmix64 finaliser: a bijective 64-bit mixer (Steele, Lea & Flood 2014).
std::uint64_t splitmix64_mix(std::uint64_t x) noexcept;

/// Uniform on the open interval (0, 1): (k + 1/2) 2^-52 for the top 52 bits k of one word.
double sample_uniform(SimulationRng& rng) noexcept;

/// Exponential with rate 1: -log U.
double sample_exponential(SimulationRng& rng) noexcept;

/// Standard normal by Marsaglia's polar method. Each accepted point gives two independent
/// normals: the first is returned, the second kept in `rng` and returned by the next call.
double sample_standard_normal(SimulationRng& rng) noexcept;

/// log of a Gamma(shape, 1) variate. Marsaglia & Tsang (2000), "A simple method for generating
/// gamma variables", for shape >= 1; for shape < 1 their boost: log G(shape + 1) + log(U) / shape,
/// which stays finite where the variate itself underflows. Requires shape > 0 and finite.
double sample_log_gamma(SimulationRng& rng, double shape) noexcept;

/// Gamma(shape, rate) variate (mean shape / rate, variance shape / rate^2); may underflow to 0 for
/// small shapes. Requires shape and rate positive and finite.
double sample_gamma(SimulationRng& rng, double shape, double rate) noexcept;

/// Beta(a, b) variate as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), formed in log space so that
/// small shapes give 0 or 1 rather than 0/0. Requires a and b positive and finite.
double sample_beta(SimulationRng& rng, double a, double b) noexcept;

/// What to simulate. The defaults are the CDNOW estimates of FHL 2005 (BG/NBD, weeks) and of
/// Fader & Hardie 2013 (Gamma-Gamma), customers starting over 90 days from 2024-01-01 and the
/// log observed through 2025-12-31 (start + 730 days).
struct SimulationOptions {
  std::int64_t customers = 1000;  ///< N >= 1; ids 1..N
  Day start = 19723;              ///< 2024-01-01: first day of the cohort window
  std::int32_t cohort_days = 90;  ///< first purchases fall on start .. start + cohort_days - 1
  Day end = 19723 + 730;  ///< last observed day (inclusive), >= the cohort window's last day
  TimeUnit time_unit = TimeUnit::week;  ///< the unit lambda is a rate per
  BgNbdParams bgnbd{0.243, 4.414, 0.793, 2.426};
  GammaGammaParams gamma_gamma{6.25, 3.74, 15.44};
  std::uint64_t seed = 1;
  int threads = 1;  ///< worker threads for write_simulated_transactions; capped at the hardware's
};

/// Throws UsageError naming the field ("simulate: alpha is -1, but must be positive and finite")
/// when a parameter is not positive and finite, customers < 1, cohort_days < 1, threads < 1, or
/// the cohort window ends after `end`.
void check_simulation_options(const SimulationOptions& options);

/// One customer's latent draws and the number of purchases written for them.
struct SimulatedCustomer {
  Day first_purchase = 0;
  double lambda = 0.0;                ///< purchase rate per time unit
  double p = 0.0;                     ///< dropout probability after each repeat purchase
  double nu = 0.0;                    ///< spend rate: mean spend per purchase is gamma_gamma.p / nu
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
