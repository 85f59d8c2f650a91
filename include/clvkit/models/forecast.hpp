#pragma once
// Per-group forecast intervals for purchases and revenue over a future horizon, by simulating each
// customer's future from the purchase model's posterior (PurchaseModel::future_simulator) and the
// spend of those purchases from the spend model's (SpendModel::spend_simulator). The engine here
// (draws of the population parameters, blocks, threads, reduction, intervals) is the same for
// every model; below, the process is written out for its first models, BG/NBD (Fader, Hardie & Lee
// 2005, "Counting your customers the easy way", Marketing Science 24(2)) with Gamma-Gamma spend
// (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").
//
// The process, for each draw k = 0..draws-1 and each customer with summary (x, t_x, T, m):
//  1. alive ~ Bernoulli(P(alive | x, t_x, T)) (bgnbd_p_alive). A customer who is not alive at T
//     makes no further purchases.
//  2. If alive: lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x), independently. This is
//     the posterior given the customer is alive at T. Given (lambda, p), the probability of the
//     observed history and of being alive at T is
//       lambda^x exp(-lambda t_x)   x purchases at the observed times (Poisson, rate lambda)
//       * (1 - p)^x                 survived the dropout coin after each of the x repeat purchases
//       * exp(-lambda (T - t_x))    no purchase in (t_x, T] while alive
//       = lambda^x exp(-lambda T) (1 - p)^x,
//     which factorises; times the priors Gamma(r, alpha) and Beta(a, b) it gives the two
//     posteriors above. The rate is alpha + T, not alpha + t_x: an alive customer was also
//     exposed, without purchasing, over (t_x, T]. (Conditioning on "dead" would instead give
//     lambda^x exp(-lambda t_x) (1 - p)^(x-1) p, but a dead customer needs no lambda or p.)
//  3. The horizon (T, T + horizon]: by memorylessness the purchases of an alive customer form a
//     Poisson process of rate lambda from T; right after each purchase the customer drops out with
//     probability p (so the purchase at which they drop out counts, as in FHL 2005). The count is
//     the number of arrivals in the horizon up to and including the dropout purchase.
//  4. Spend: nu ~ Gamma(q + p_gg x, gamma + x m) for a repeat buyer with m > 0 (the Gamma-Gamma
//     posterior; p_gg is the Gamma-Gamma p), the prior nu ~ Gamma(q, gamma) when x = 0 or m is
//     unknown (m = 0). Each of the n future purchases spends z ~ Gamma(p_gg, nu). Revenue =
//     margin * sum z.
// The implementation draws from exactly this distribution, rearranged so that a draw without a
// purchase costs one or two uniforms: the first future purchase time is drawn from its marginal
// (Lomax) and lambda from its posterior given that time; p is integrated out (the dropout coin
// after the k-th future purchase has probability a / (a + b + x + k - 1), a Polya urn); the n
// spends are drawn at once as Gamma(n p_gg, nu). See the comments in src/models/forecast.cpp.
// Per draw, purchases and revenue are summed per group and over all customers; across draws each
// sum is reported as its mean and its 5% and 95% quantiles, a 90% prediction interval that carries
// both the parameter uncertainty of each customer (posterior) and the process noise (Poisson,
// dropout, spend). Quantiles are Hyndman & Fan (1996) type 7: for sorted draws s_0..s_{n-1} and
// probability P, h = (n - 1) P, q = s_floor(h) + (h - floor(h)) (s_floor(h)+1 - s_floor(h)) (R's
// and NumPy's default). The interval of a small group need not contain its mean: one customer with
// E[X] = 0.05 has low = high = 0.
//
// Purchases and spend are independent given the customer, so E[revenue] = margin * sum over
// customers of E[X(horizon) | x, t_x, T] E[M | x, m]; GroupForecast reports that and the analytic
// expected purchases next to the simulated means, which agree within Monte Carlo error.
//
// Parameter uncertainty (optional). The steps above hold the population parameters fixed at the
// fitted values, so the interval ignores their estimation error and is too narrow for a base that
// was itself fitted (bench/coverage_study: on CDNOW-like bases of 2,500 customers the holdout
// total is covered in 60-78% of bases with fixed parameters, 85-91% with the draws below; the
// per-segment intervals 79-82% and 87-91%; bench/RESULTS.md). Given the covariance of the fitted
// log-parameters (FitSummary::log_parameter_covariance, the inverse observed information), each
// draw d first draws its own parameters from the asymptotic normal on the log scale: log theta_d =
// log theta_hat + L z_d, L the Cholesky factor of the covariance and z_d standard normals from the
// stream SimulationRng::for_customer(seed ^ kForecastParameterStream, d), which depends on the draw
// only. Every customer's draw d then uses theta_d in steps 1-4, so the draws also vary together
// through the shared parameters and the interval carries the parameter uncertainty. A draw is
// redrawn from the same stream (the normal truncated) when a parameter overflows or underflows (a
// fit nearly flat along a ridge, e.g. a and b scaled together, can have log-variances in the
// thousands), when q_d <= 1 (no mean spend) or when the largest posterior mean purchase rate times
// the horizon, (r_d + max x) / (alpha_d + min T) h, exceeds max(1e6, its value at the fit). The
// analytic expectations stay at theta_hat. With a zero covariance theta_d = theta_hat exactly and
// the result equals the fixed-parameter one bit for bit.
//
// Centring (ForecastOptions::centre, on by default). The mean of the draws above is not the point
// forecast sum E[X(horizon) | x, t_x, T] at theta_hat: the forecast is not linear in the
// log-parameters, so symmetric draws along a direction the fit barely identifies (MBG/NBD's a and
// b scaled together, with log-SEs near 1) move it, and by how much depends on the parametrization
// the normal is drawn in (log scale here), which the maximum-likelihood point forecast does not.
// On 2,500-customer bases the one-time buyers' MBG/NBD forecast fell 0.5 sd below their point
// forecast this way, and their interval covered the realised total in 77% of 200 bases. So, with
// parameter draws, each group's purchases are moved by the whole number nearest to (its point
// forecast - the mean of its draws), a whole number so that the interval's ends stay counts a group
// can make, and its revenue by (margin * sum E[X] E[M] - their mean); draws are floored at 0.
// The spread and shape of the draws are kept, the total is the sum of the centred groups, and
// the coverage study (bench/RESULTS.md) puts every model's per-segment and total coverage in
// 87-93%. Drawing from the likelihood itself (importance resampling of widened normal draws by
// likelihood / proposal, a flat prior on the log-parameters) was tried and covered less: 78.5%
// of the MBG/NBD totals.
//
// Large groups (ForecastOptions::aggregate_min_customers, default 20,000 customers). Given a
// draw's parameters, customers are independent, so a group's total is a sum of many independent
// futures, and for a large group its distribution is close to a normal with the sum's exact mean
// and variance. Such a group is not simulated customer by customer: per draw, each distinct
// history (x, t_x, T) of its customers gets E[X] and E[X^2] at the draw's parameters
// (PurchaseModel::future_moments: P(alive) times the moments given alive, which depend on (x, T)
// only; BG/NBD and MBG/NBD by a negative-binomial series stopped by the Beta-Bernoulli dropout
// urn, Pareto/NBD in closed form), the spend of one purchase gets E[z], E[z^2], E[M] and E[M^2]
// from the sums of m and m^2 of the customers sharing that history and x
// (SpendSimulator::spend_moment_sums; Gamma-Gamma's are affine in m and m^2), and the group's
// purchases and revenue are drawn from normals with those means and variances (floored at 0),
// from the stream SimulationRng::for_customer(seed ^ kForecastAggregateStream, g draws + d).
// The parameter uncertainty, which dominates the interval of a large group, is carried exactly
// as above (the same parameter draws); only the process noise given the parameters is
// approximated. At 20,000 customers the skewness of that sum is below ~0.05 (a customer's
// purchases have skewness of a few units, divided by sqrt(20,000)), which moves a 5% or 95%
// quantile by less than 0.01 sd (Cornish-Fisher); tests/models/forecast_aggregate_test.cpp
// checks that the intervals agree with simulating every customer. The cost is one P(alive) per
// distinct history and draw instead of one simulated future per customer and draw: a 10M-customer
// base has about a million distinct histories. Groups below the threshold are simulated exactly,
// customer by customer, with the streams below, so their results do not depend on the threshold.
// A model without moments (future_moments returns null) or a spend draw without a finite second
// moment (Gamma-Gamma q + p x <= 2) sends every group to the simulation.
//
// Reproducibility: customer i (its position in the input) draws from its own stream
// SimulationRng::for_customer(seed, i), all of its draws in order. Customers are processed in
// fixed blocks of kForecastBlockCustomers (independent of the thread count); each block sums its
// customers in index order into per-draw, per-group partial sums, and the block partials are added
// in block order. The aggregated groups are computed draw by draw, each draw alone (threads
// take draws d, d + threads, ...). The result is therefore bit-identical for any `threads`.

#include <cstdint>
#include <functional>
#include <vector>

#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/spend_model.hpp"

namespace clvkit {

/// One customer's summary in the model's time unit (the unit of the BG/NBD alpha).
struct ForecastCustomer {
  double x = 0.0;    ///< repeat purchases, >= 0
  double t_x = 0.0;  ///< time of the last purchase since the first, 0 <= t_x <= T
  double T = 0.0;    ///< length of observation since the first purchase, >= 0
  double m = 0.0;    ///< mean spend of the x repeat purchases; 0 when x = 0 or unknown
  int group = 0;     ///< 0 <= group < n_groups (e.g. an RFM segment index)
};

/// How to simulate.
struct ForecastOptions {
  double horizon = 0.0;    ///< future period length in model time units, positive and finite
  int draws = 2000;        ///< simulated futures, >= 1
  std::uint64_t seed = 1;  ///< the same seed gives bit-identical results
  int threads = 1;         ///< worker threads, >= 1; the result does not depend on it
  double margin = 1.0;     ///< revenue multiplier (e.g. a profit margin), finite and >= 0
  /// Covariance of the purchase model's log-parameters (for BG/NBD log r, log alpha, log a,
  /// log b: 4x4 row-major), as in its fit's FitSummary::log_parameter_covariance. Empty: the
  /// purchase model's parameters are held fixed. Otherwise each draw draws its own parameters
  /// (see the file comment).
  std::vector<double> purchase_log_covariance;
  /// Likewise for the spend model's log-parameters (Gamma-Gamma: log p, log q, log gamma, 3x3).
  std::vector<double> spend_log_covariance;
  /// With parameter draws, move each group's draws so that their mean is the point forecast
  /// (see "Centring" in the file comment). False: the draws as simulated.
  bool centre = true;
  /// Groups with at least this many customers are aggregated: per draw their totals are drawn
  /// from a normal with the exact mean and variance of the sum of their customers' futures
  /// (see "Large groups" in the file comment) instead of simulating every customer. 0: simulate
  /// every customer of every group.
  std::int64_t aggregate_min_customers = 20'000;
  /// Called from the calling thread as the simulation goes, with the number of customers whose
  /// draws are all done (in input order; every 64 blocks and at the end), e.g. for a progress
  /// line; must not throw. Empty = no reports. The result does not depend on it.
  std::function<void(std::int64_t customers_done)> progress;
};

/// Mean, 90% prediction interval and spread of one simulated total. sd / sqrt(draws) is the
/// Monte Carlo standard error of the mean.
struct Interval {
  double mean = 0.0;  ///< mean over draws
  double low = 0.0;   ///< 5% quantile over draws (type 7)
  double high = 0.0;  ///< 95% quantile over draws (type 7)
  double sd = 0.0;    ///< standard deviation over draws (divisor draws - 1; 0 for one draw)
};

/// The forecast of one group (or of all customers).
struct GroupForecast {
  std::int64_t customers = 0;
  Interval purchases;  ///< purchases in (T, T + horizon], summed over the group's customers
  Interval revenue;    ///< margin * spend of those purchases, summed likewise
  double expected_purchases_analytic = 0.0;  ///< sum of E[X(horizon) | x, t_x, T] (FHL eq. 10)
  double expected_revenue_analytic = 0.0;    ///< margin * sum of E[X(horizon) | .] E[M | x, m]
  bool aggregated = false;  ///< drawn from the group's moments per draw (see the file comment)
};

/// Groups 0..n_groups-1 in order, and the total over all customers. The total's interval is
/// taken from the per-draw totals, so it is not the sum of the groups' intervals.
struct ForecastResult {
  std::vector<GroupForecast> groups;
  GroupForecast total;
};

/// Customers per block of the deterministic reduction (see the file comment).
inline constexpr std::int64_t kForecastBlockCustomers = 256;

/// Mixed into the seed for the stream of the per-draw parameters (see the file comment).
inline constexpr std::uint64_t kForecastParameterStream = 0x9e3779b97f4a7c15ULL;
/// Mixed into the seed for the streams of the aggregated groups' totals (see the file comment).
inline constexpr std::uint64_t kForecastAggregateStream = 0xd1b54a32d192ed03ULL;

/// Simulates `options.draws` futures of every customer over `options.horizon` (process in the file
/// comment) and summarises purchases and revenue per group and in total. Groups without customers
/// get zeros. Cost, for the customers of groups below options.aggregate_min_customers (an
/// aggregated group costs one E[X], E[X^2] per distinct (x, t_x, T) and draw, see the file
/// comment): one or two uniforms per customer and draw, a few gamma variates per draw with
/// a purchase and two variates per simulated purchase: about 0.2 s of one core for the 2,357 CDNOW
/// customers x 2,000 draws over 39 weeks. Memory: 2 n_groups draws doubles for the result plus as
/// many per block in flight (1 block, or 2 threads blocks when threads > 1). With a covariance,
/// P(alive) and the posterior of each (customer, draw) are evaluated from that draw's parameters
/// (a few logs and exps more per customer and draw) and 8 draws doubles hold the parameters.
///
/// Throws UsageError naming the option when horizon is not positive and finite, draws < 1,
/// threads < 1, margin is negative or not finite, or n_groups < 1. Throws ModelError when the
/// spend model has no population mean (Gamma-Gamma q <= 1: no mean revenue either), and naming
/// the customer (0-based index)
/// when its summary is invalid (x, t_x, T, m negative or not finite; t_x > T; m = 0 is allowed),
/// its group is out of range, or its expected purchases in the horizon are not finite or exceed
/// 1e6 (the simulation would not finish). Throws UsageError when a covariance has neither 0 nor
/// k*k values, and ModelError when it is not finite, symmetric and positive semidefinite, or when
/// 1000 parameter draws in a row are unusable (see the file comment).
ForecastResult forecast_groups(const std::vector<ForecastCustomer>& customers, int n_groups,
                               const PurchaseModel& purchase_model, const SpendModel& spend_model,
                               const ForecastOptions& options);

}  // namespace clvkit
