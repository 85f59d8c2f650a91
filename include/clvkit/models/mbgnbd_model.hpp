#pragma once
// MBG/NBD (Batislam, Denizel & Filiztekin 2007) as a PurchaseModel: the formulas of mbgnbd.hpp,
// the fit of mbgnbd_fit.hpp, the forecast's simulation of futures and the simulation of new
// customers behind the common interface.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "clvkit/models/mbgnbd.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/simulation_rng.hpp"

namespace clvkit {

class MbgNbdModel final : public PurchaseModel {
 public:
  /// Throws ModelError naming the parameter when one is not positive and finite.
  explicit MbgNbdModel(const MbgNbdParams& params);
  const MbgNbdParams& params() const noexcept { return params_; }

  std::string_view key() const noexcept override { return "mbgnbd"; }
  std::string_view label() const noexcept override { return "MBG/NBD"; }
  std::vector<std::string> parameter_names() const override { return {"r", "alpha", "a", "b"}; }
  std::vector<double> parameters() const override;
  std::string description(std::string_view unit) const override;
  std::vector<std::string> dropout_parameters() const override { return {"a", "b"}; }
  std::unique_ptr<PurchaseModel> with_parameters(std::span<const double> params) const override;

  /// mbgnbd_total_log_likelihood.
  double total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                              std::vector<double>* gradient, int threads) const override;
  /// mbgnbd_p_alive: below 1 also when x = 0.
  double p_alive(const PurchaseHistory& history) const noexcept override;
  /// mbgnbd_p_alive's log-odds: constant ln(a / (b + x)), slope r + x, shift alpha.
  std::optional<AliveOdds> alive_odds(double x) const noexcept override;
  /// mbgnbd_conditional_expected_purchases.
  double expected_purchases(const PurchaseHistory& history, double t) const noexcept override;
  /// mbgnbd_expected_purchases_given_alive.
  double expected_purchases_if_alive(double x, double T, double t) const noexcept override;
  /// mbgnbd_expected_purchases_new_customer.
  double expected_purchases_new_customer(double t) const noexcept override;
  /// mbgnbd_probability_of_purchases.
  double probability_of_purchases(double t, int n) const noexcept override;

  /// Posterior futures (mbgnbd_future.cpp): alive at T with P(alive) (mbgnbd_p_alive); if alive,
  /// lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x+1) (x + 1 survived coins: one at time
  /// zero, one after each repeat purchase), purchases at rate lambda in (T, T + horizon] and the
  /// dropout coin after each of them. Per draw, from `rng`, in this order: a uniform for alive
  /// (skipped when P(alive) is exactly 1), a uniform for the first purchase time (by inversion
  /// of its Lomax marginal; none in the horizon ends the draw), a Gamma(r+x+1, alpha+T+tau)
  /// purchase rate given that time, then per purchase a uniform for the dropout coin
  /// (probability a/(a+b+x+1+k-1) after the k-th future purchase, p integrated out: a Polya urn)
  /// and, if still active, an Exponential(1) waiting time. Parameter draws use the same
  /// expressions as the fixed parameters, so a draw at the fitted parameters reproduces them.
  std::unique_ptr<FutureSimulator> future_simulator(
      const std::vector<PurchaseHistory>& customers, double horizon,
      const std::vector<std::vector<double>>& draw_parameters) const override;
  /// As BG/NBD's, with MBG/NBD's P(alive) and p ~ Beta(a, b + x + 1) (dropout_moments.hpp).
  std::unique_ptr<FutureMoments> future_moments(
      const std::vector<PurchaseHistory>& customers, double horizon,
      const std::vector<std::vector<double>>& draw_parameters) const override;
  /// (r + x_max) / (alpha + T_min): the largest posterior mean purchase rate.
  double purchase_rate_bound(std::span<const double> params, double x_max,
                             double T_min) const noexcept override;

  /// Where draw_customer stores lambda (purchases per time unit) and p (dropout probability)
  /// in LatentState::values; values[2] holds time_scale / lambda for next_purchase_time.
  static constexpr std::size_t kLatentLambda = 0;
  static constexpr std::size_t kLatentDropout = 1;
  /// {"lambda", "p"}.
  std::vector<std::string> latent_names() const override { return {"lambda", "p"}; }
  /// lambda = G / alpha with G ~ Gamma(r, 1), then p ~ Beta(a, b) (log X, log Y of X ~ Gamma(a),
  /// Y ~ Gamma(b), in that order), as BG/NBD; mbgnbd_simulation.cpp.
  void draw_customer(SimulationRng& rng, double time_scale,
                     LatentState& state) const noexcept override;
  /// After every purchase, the first one included (repeat_purchases = 0: dropout at time zero,
  /// before any repeat purchase), the customer drops out when a uniform is below p (+inf);
  /// otherwise t + E time_scale / lambda with E ~ Exponential(1) (+inf when lambda = 0). So a
  /// customer's stream is: lambda's gamma variate, p's two gamma variates, then per purchase a
  /// uniform and, if still active, an exponential.
  double next_purchase_time(const LatentState& state, std::int64_t repeat_purchases, double t,
                            SimulationRng& rng) const noexcept override;
  /// {"lambda = ... per time unit and dropout p = ...", "r, alpha, a and b"}.
  LatentDescription describe_latent(const LatentState& state) const override;

 private:
  MbgNbdParams params_;
  // The Gamma(r), Gamma(a) and Gamma(b) samplers of draw_customer, made once per model.
  GammaSampler r_sampler_;
  GammaSampler a_sampler_;
  GammaSampler b_sampler_;
};

/// MBG/NBD's entry in the registry: key "mbgnbd", fit_mbgnbd, and MbgNbdModel from
/// (r, alpha, a, b).
PurchaseModelFamily mbgnbd_family() noexcept;

}  // namespace clvkit
