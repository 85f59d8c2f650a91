#pragma once
// Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005) as a PurchaseModel: the
// formulas of pnbd.hpp, the fit of pnbd_fit.hpp, the forecast's simulation of futures and the
// simulation of new customers behind the common interface.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "clvkit/models/pnbd.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/simulation_rng.hpp"

namespace clvkit {

class ParetoNbdModel final : public PurchaseModel {
 public:
  /// Throws ModelError naming the parameter when one is not positive and finite.
  explicit ParetoNbdModel(const ParetoNbdParams& params);
  const ParetoNbdParams& params() const noexcept { return params_; }

  std::string_view key() const noexcept override { return "pnbd"; }
  std::string_view label() const noexcept override { return "Pareto/NBD"; }
  std::vector<std::string> parameter_names() const override { return {"r", "alpha", "s", "beta"}; }
  std::vector<double> parameters() const override;
  std::string description(std::string_view unit) const override;
  std::vector<std::string> dropout_parameters() const override { return {"s", "beta"}; }
  /// Two 2F1 tail integrals per call: predictions tabulate it per distinct (x, t_x, T), with
  /// p_alive_of.
  bool p_alive_is_costly() const noexcept override { return true; }
  std::unique_ptr<PurchaseModel> with_parameters(std::span<const double> params) const override;

  /// pnbd_total_log_likelihood (its r and s derivatives are central differences, pnbd.hpp).
  double total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                              std::vector<double>* gradient, int threads) const override;
  /// pnbd_p_alive: 1 when t_x = T.
  double p_alive(const PurchaseHistory& history) const noexcept override;
  /// pnbd_p_alive of every history, each tail integral computed once per distinct (x, y) among
  /// the histories' (x, t_x) and (x, T): the same values bit for bit.
  std::vector<double> p_alive_of(std::span<const PurchaseHistory> histories,
                                 int threads) const override;
  /// pnbd_conditional_expected_purchases.
  double expected_purchases(const PurchaseHistory& history, double t) const noexcept override;
  /// pnbd_expected_purchases_given_alive.
  double expected_purchases_if_alive(double x, double T, double t) const noexcept override;
  /// pnbd_dert at t_x = T (where P(alive) = 1): FHL 2005's closed form.
  double discounted_expected_purchases_if_alive(double x, double T,
                                                double delta) const noexcept override;
  /// pnbd_expected_purchases_new_customer.
  double expected_purchases_new_customer(double t) const noexcept override;
  /// pnbd_probability_of_purchases.
  double probability_of_purchases(double t, int n) const noexcept override;

  /// The Pareto/NBD posterior futures (pnbd_future.cpp): per draw, in this order,
  ///  1. alive at T: a uniform against P(alive) (skipped when P(alive) = 1);
  ///  2. the remaining lifetime omega, drawn by inversion from its marginal given alive (mu ~
  ///     Gamma(s, beta+T) integrated out: P(omega > w) = ((beta+T)/(beta+T+w))^s), one uniform;
  ///     the exposure is e = min(h, omega);
  ///  3. the first purchase time tau after T, by inversion from its marginal given alive (lambda ~
  ///     Gamma(r+x, alpha+T) integrated out: P(tau > v) = ((alpha+T)/(alpha+T+v))^(r+x)), one
  ///     uniform; tau > e means no purchase, and the draw ends (most draws end here);
  ///  4. otherwise lambda | tau ~ Gamma(r+x+1, alpha+T+tau), then exponential waiting times at rate
  ///     lambda until the exposure ends.
  /// This is the posterior of the brief (lambda and mu independent Gammas given alive, lifetime
  /// ~ Exp(mu), purchases Poisson(lambda e)) with mu integrated out and lambda drawn only when a
  /// purchase happens. With parameter draws P(alive) is recomputed per customer and draw.
  std::unique_ptr<FutureSimulator> future_simulator(
      const std::vector<PurchaseHistory>& customers, double horizon,
      const std::vector<std::vector<double>>& draw_parameters) const override;
  /// P(alive) times the moments given alive: N | lambda, lifetime ~ Poisson(lambda e) with
  /// e = min(lifetime, horizon), so E[N] = E[lambda] E[e] and E[N^2] = E[N] + E[lambda^2] E[e^2]
  /// (closed forms, pnbd_future.cpp).
  std::unique_ptr<FutureMoments> future_moments(
      const std::vector<PurchaseHistory>& customers, double horizon,
      const std::vector<std::vector<double>>& draw_parameters) const override;
  /// (r + x_max) / (alpha + T_min): the largest posterior mean purchase rate.
  double purchase_rate_bound(std::span<const double> params, double x_max,
                             double T_min) const noexcept override;

  /// Where draw_customer stores lambda (purchases per time unit) and mu (dropouts per time unit)
  /// in LatentState::values; values[2] holds time_scale / lambda and values[3] the end of the
  /// customer's lifetime in the caller's units.
  static constexpr std::size_t kLatentLambda = 0;
  static constexpr std::size_t kLatentMu = 1;
  /// {"lambda", "mu"}.
  std::vector<std::string> latent_names() const override { return {"lambda", "mu"}; }
  /// Schmittlein, Morrison & Colombo (1987): lambda = G_r / alpha, mu = G_s / beta with
  /// G_r ~ Gamma(r, 1), G_s ~ Gamma(s, 1), then the lifetime from the first purchase
  /// E / mu with E ~ Exponential(1), in that order (pnbd_simulation.cpp).
  void draw_customer(SimulationRng& rng, double time_scale,
                     LatentState& state) const noexcept override;
  /// t + E time_scale / lambda with E ~ Exponential(1); +inf when that is after the end of the
  /// customer's lifetime (or lambda = 0).
  double next_purchase_time(const LatentState& state, std::int64_t repeat_purchases, double t,
                            SimulationRng& rng) const noexcept override;
  /// {"lambda = ... per time unit and dropout rate mu = ... per time unit", "r, alpha, s and
  /// beta"}.
  LatentDescription describe_latent(const LatentState& state) const override;

 private:
  ParetoNbdParams params_;
  // The Gamma(r) and Gamma(s) samplers of draw_customer, made once per model.
  GammaSampler r_sampler_;
  GammaSampler s_sampler_;
};

/// Pareto/NBD's entry in the registry: key "pnbd", fit_pnbd, and ParetoNbdModel from
/// (r, alpha, s, beta).
PurchaseModelFamily pnbd_family() noexcept;

}  // namespace clvkit
