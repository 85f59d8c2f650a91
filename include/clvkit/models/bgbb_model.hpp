#pragma once
// BG/BB (Fader, Hardie & Shang 2010) as a PurchaseModel: the formulas of bgbb.hpp, the fit of
// bgbb_fit.hpp, the forecast's simulation of futures and the simulation of new customers behind
// the common interface.
//
// BG/BB is a discrete-time model, and reads the interface's continuous conventions
// (purchase_model.hpp) this way:
//  - the model's time unit is one transaction opportunity (period): a PurchaseHistory's T is the
//    number of opportunities n after the first transaction, t_x the last opportunity with a
//    transaction and x the number of opportunities with one;
//  - x, t_x and T are rounded to the nearest whole number (the log path gives near-whole values
//    such as 2.9993 from days / period length), and a history that is still not a BG/BB history
//    is made one by bgbb_history (x capped at n, t_x moved into [x, n]; t_x = 0 when x = 0),
//    which keeps x and n. The likelihood and the fit only round: there such a history cannot
//    occur (the likelihood is -inf, the fit refuses it naming the pattern);
//  - a horizon t counts the whole opportunities n+1 .. n+floor(t + 1e-9) (the 1e-9 absorbs the
//    rounding of a horizon computed in days / period length): expected_purchases(h, 2.5) is the
//    expectation over two opportunities, and a horizon below one opportunity gives 0;
//  - p_alive(h) is P(alive at opportunity n+1 | x, t_x, n), "alive at the next opportunity",
//    below 1 for every history (at most (delta+n)/(gamma+delta+n), when t_x = n);
//  - expected_purchases_if_alive(x, T, t) is E[X(n, n+m) | x, n, alive at n+1], so that
//    p_alive(h) * expected_purchases_if_alive(h.x, h.T, t) == expected_purchases(h, t) exactly
//    (the same product), and it does not depend on t_x;
//  - a customer makes at most one transaction per opportunity: purchase_rate_bound is 1.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "clvkit/models/bgbb.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/simulation_rng.hpp"

namespace clvkit {

class BgBbModel final : public PurchaseModel {
 public:
  /// Throws ModelError naming the parameter when one is not positive and finite.
  explicit BgBbModel(const BgBbParams& params);
  const BgBbParams& params() const noexcept { return params_; }

  std::string_view key() const noexcept override { return "bgbb"; }
  std::string_view label() const noexcept override { return "BG/BB"; }
  std::vector<std::string> parameter_names() const override {
    return {"alpha", "beta", "gamma", "delta"};
  }
  std::vector<double> parameters() const override;
  /// One transaction opportunity per `unit`, with per-opportunity probabilities p and theta.
  std::string description(std::string_view unit) const override;
  /// That P(alive) is at the next opportunity, so below 1 even after a transaction at the last.
  std::string p_alive_remark() const override;
  std::vector<std::string> dropout_parameters() const override { return {"gamma", "delta"}; }
  /// A sum over the opportunities after t_x per call: predictions tabulate it per distinct
  /// (x, t_x, T).
  bool p_alive_is_costly() const noexcept override { return true; }
  std::unique_ptr<PurchaseModel> with_parameters(std::span<const double> params) const override;

  /// bgbb_total_log_likelihood (x, t_x, T rounded; -inf when a pattern is then not a BG/BB
  /// history).
  double total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                              std::vector<double>* gradient, int threads) const override;
  /// bgbb_p_alive of bgbb_history(x, t_x, T): P(alive at opportunity n+1).
  double p_alive(const PurchaseHistory& history) const noexcept override;
  /// bgbb_conditional_expected_transactions of bgbb_history(x, t_x, T) over floor(t + 1e-9)
  /// opportunities: p_alive(history) * expected_purchases_if_alive(x, T, t). NaN for t < 0.
  double expected_purchases(const PurchaseHistory& history, double t) const noexcept override;
  /// bgbb_expected_transactions_given_alive with x and n of bgbb_history (which do not depend on
  /// t_x) over floor(t + 1e-9) opportunities. NaN for t < 0.
  double expected_purchases_if_alive(double x, double T, double t) const noexcept override;
  /// bgbb_expected_transactions_new_customer over floor(t + 1e-9) opportunities.
  double expected_purchases_new_customer(double t) const noexcept override;
  /// bgbb_probability_of_transactions in floor(t + 1e-9) opportunities.
  double probability_of_purchases(double t, int n) const noexcept override;

  /// Posterior futures over the opportunities n+1 .. n+m, m = floor(horizon + 1e-9)
  /// (bgbb_future.cpp). The posterior given (x, t_x, n): the likelihood of (p, theta) is
  ///   p^x (1-p)^(n-x) (1-theta)^n + sum_i p^x (1-p)^(t_x-x+i) theta (1-theta)^(t_x+i),
  /// and "alive at n+1" is the part of the first term that also survives the beginning of
  /// opportunity n+1, p^x (1-p)^(n-x) (1-theta)^(n+1). So P(alive at n+1) is bgbb_p_alive and,
  /// given alive at n+1, the posterior density is proportional to that part times the priors:
  /// p ~ Beta(alpha+x, beta+n-x) and theta ~ Beta(gamma, delta+n+1), independent. The customer
  /// is active at n+1 (no dropout coin there), and at each later opportunity drops out with
  /// theta, then transacts with p if still active. Per draw, in this order:
  ///  1. nothing when m = 0; else alive at n+1: a uniform against P(alive) (skipped when it is 1);
  ///  2. p ~ Beta(alpha+x, beta+n-x), then theta ~ Beta(gamma, delta+n+1) (sample_beta: log X then
  ///     log Y each);
  ///  3. the opportunities active, L = min(m, 1 + floor(log U / log(1-theta))): P(L >= k) =
  ///     (1-theta)^(k-1), the dropout coins of opportunities n+2, n+3, ... drawn at once by
  ///     inversion, one uniform;
  ///  4. the transactions among those L opportunities, Binomial(L, p), by the gaps between them:
  ///     1 + floor(log U / log(1-p)) opportunities each (Geometric(p)), one uniform per gap until
  ///     the L-th opportunity is passed (a draw with k transactions uses k + 1 uniforms).
  /// Steps 3-4 are the per-opportunity coins "drop out with theta, then transact with p" in
  /// distribution, at a cost independent of the horizon's length. With parameter draws P(alive)
  /// and the posterior are recomputed per customer and draw by the same expressions, so a draw
  /// at the model's own parameters reproduces the fixed path bit for bit.
  std::unique_ptr<FutureSimulator> future_simulator(
      const std::vector<PurchaseHistory>& customers, double horizon,
      const std::vector<std::vector<double>>& draw_parameters) const override;
  /// 1: at most one transaction per opportunity, whatever the parameters.
  double purchase_rate_bound(std::span<const double> params, double x_max,
                             double T_min) const noexcept override;

  /// Where draw_customer stores p (transaction probability per opportunity) and theta (dropout
  /// probability per opportunity) in LatentState::values; values[2] holds the number of
  /// opportunities the customer stays active (a whole number, or +inf) and values[3] the
  /// caller's time units per opportunity.
  static constexpr std::size_t kLatentTransaction = 0;
  static constexpr std::size_t kLatentDropout = 1;
  /// {"p", "theta"}.
  std::vector<std::string> latent_names() const override { return {"p", "theta"}; }
  /// FHS 2010: p ~ Beta(alpha, beta) (log X, log Y of X ~ Gamma(alpha), Y ~ Gamma(beta)), then
  /// theta ~ Beta(gamma, delta) (likewise), then the number A of opportunities the customer stays
  /// active, A = floor(log U / log(1-theta)) with one uniform (P(A >= k) = (1-theta)^k: the
  /// dropout coins at the beginning of opportunities 1, 2, ...), in that order
  /// (bgbb_simulation.cpp). Opportunity k is at time k * time_scale.
  void draw_customer(SimulationRng& rng, double time_scale,
                     LatentState& state) const noexcept override;
  /// From the opportunity j = round(t / time_scale) of the purchase at t, the next transaction is
  /// G = 1 + floor(log U / log(1-p)) opportunities later (one uniform per call): at time
  /// (j + G) * time_scale if j + G <= A, else +inf (inactive by then; also when p = 0). So times
  /// are whole opportunities and a customer's stream is: p's two gamma variates, theta's two,
  /// the lifetime's uniform, then one uniform per purchase (and one for the +inf that ends it).
  double next_purchase_time(const LatentState& state, std::int64_t repeat_purchases, double t,
                            SimulationRng& rng) const noexcept override;
  /// {"p = ... per opportunity and dropout theta = ... per opportunity", "alpha, beta, gamma and
  /// delta"}.
  LatentDescription describe_latent(const LatentState& state) const override;

 private:
  BgBbParams params_;
  // The Gamma(alpha), Gamma(beta), Gamma(gamma) and Gamma(delta) samplers of draw_customer, made
  // once per model.
  GammaSampler alpha_sampler_;
  GammaSampler beta_sampler_;
  GammaSampler gamma_sampler_;
  GammaSampler delta_sampler_;
};

/// BG/BB's entry in the registry: key "bgbb", fit_bgbb, and BgBbModel from
/// (alpha, beta, gamma, delta).
PurchaseModelFamily bgbb_family() noexcept;

}  // namespace clvkit
