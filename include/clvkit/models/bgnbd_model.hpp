#pragma once
// BG/NBD (Fader, Hardie & Lee 2005) as a PurchaseModel: the formulas of bgnbd.hpp, the fit of
// bgnbd_fit.hpp, the forecast's simulation of futures and the simulation of new customers behind
// the common interface.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "clvkit/models/bgnbd.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/simulation_rng.hpp"

namespace clvkit {

class BgNbdModel final : public PurchaseModel {
 public:
  /// Throws ModelError naming the parameter when one is not positive and finite.
  explicit BgNbdModel(const BgNbdParams& params);
  const BgNbdParams& params() const noexcept { return params_; }

  std::string_view key() const noexcept override { return "bgnbd"; }
  std::string_view label() const noexcept override { return "BG/NBD"; }
  std::vector<std::string> parameter_names() const override { return {"r", "alpha", "a", "b"}; }
  std::vector<double> parameters() const override;
  std::string description(std::string_view unit) const override;
  std::string p_alive_remark() const override;
  std::vector<std::string> dropout_parameters() const override { return {"a", "b"}; }
  std::unique_ptr<PurchaseModel> with_parameters(std::span<const double> params) const override;

  /// bgnbd_total_log_likelihood.
  double total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                              std::vector<double>* gradient, int threads) const override;
  /// bgnbd_p_alive: 1 when x = 0.
  double p_alive(const PurchaseHistory& history) const noexcept override;
  /// bgnbd_p_alive's log-odds: constant ln(a / (b + x - 1)), slope r + x, shift alpha; always alive when x = 0.
  std::optional<AliveOdds> alive_odds(double x) const noexcept override;
  /// bgnbd_conditional_expected_purchases (FHL 2005 eq. 10).
  double expected_purchases(const PurchaseHistory& history, double t) const noexcept override;
  /// bgnbd_expected_purchases_given_alive.
  double expected_purchases_if_alive(double x, double T, double t) const noexcept override;
  /// bgnbd_expected_purchases_new_customer (eq. 7).
  double expected_purchases_new_customer(double t) const noexcept override;
  /// bgnbd_probability_of_purchases (eq. 8).
  double probability_of_purchases(double t, int n) const noexcept override;

  /// The BG/NBD posterior futures of forecast.hpp's file comment (bgnbd_future.cpp).
  std::unique_ptr<FutureSimulator> future_simulator(
      const std::vector<PurchaseHistory>& customers, double horizon,
      const std::vector<std::vector<double>>& draw_parameters) const override;
  /// P(alive) times the moments of the future given alive (dropout_moments.hpp: a negative
  /// binomial count stopped by the Beta-Bernoulli dropout coin, a series per distinct (x, T)).
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
  /// FHL 2005, section 3: lambda = G / alpha with G ~ Gamma(r, 1), then p ~ Beta(a, b) (log X,
  /// log Y of X ~ Gamma(a), Y ~ Gamma(b), in that order); bgnbd_simulation.cpp.
  void draw_customer(SimulationRng& rng, double time_scale,
                     LatentState& state) const noexcept override;
  /// After a repeat purchase (repeat_purchases > 0) the customer drops out when a uniform is
  /// below p (+inf); otherwise t + E time_scale / lambda with E ~ Exponential(1) (+inf when
  /// lambda = 0). No dropout after the first purchase (FHL 2005, eq. 3 and 8).
  double next_purchase_time(const LatentState& state, std::int64_t repeat_purchases, double t,
                            SimulationRng& rng) const noexcept override;
  /// {"lambda = ... per time unit and dropout p = ...", "r, alpha, a and b"}.
  LatentDescription describe_latent(const LatentState& state) const override;

 private:
  BgNbdParams params_;
  // The Gamma(r), Gamma(a) and Gamma(b) samplers of draw_customer, made once per model.
  GammaSampler r_sampler_;
  GammaSampler a_sampler_;
  GammaSampler b_sampler_;
};

/// BG/NBD's entry in the registry: key "bgnbd", fit_bgnbd, and BgNbdModel from (r, alpha, a, b).
PurchaseModelFamily bgnbd_family() noexcept;

}  // namespace clvkit
