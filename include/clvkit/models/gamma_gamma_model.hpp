#pragma once
// Gamma-Gamma (Fader & Hardie 2013) as a SpendModel: the formulas of gamma_gamma.hpp, the fit of
// gamma_gamma_fit.hpp and the simulation of spend behind the common interface.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "clvkit/models/gamma_gamma.hpp"
#include "clvkit/models/simulation_rng.hpp"
#include "clvkit/models/spend_model.hpp"

namespace clvkit {

class GammaGammaModel final : public SpendModel {
 public:
  /// Throws ModelError naming the parameter when one is not positive and finite.
  explicit GammaGammaModel(const GammaGammaParams& params);
  const GammaGammaParams& params() const noexcept { return params_; }

  std::string_view key() const noexcept override { return "gamma_gamma"; }
  std::string_view label() const noexcept override { return "Gamma-Gamma"; }
  std::vector<std::string> parameter_names() const override { return {"p", "q", "gamma"}; }
  std::vector<double> parameters() const override;
  std::string description() const override;
  std::unique_ptr<SpendModel> with_parameters(std::span<const double> params) const override;

  double total_log_likelihood(const std::vector<SpendObservation>& data,
                              std::vector<double>* gradient, int threads) const override;
  /// p gamma / (q - 1); ModelError when q <= 1.
  double population_mean() const override;
  /// gamma_gamma_conditional_expected_spend for x > 0 and m > 0, else population_mean().
  double expected_spend(double x, double m) const override;
  /// p x / (p x + q - 1): E[M | x, m] = p (gamma + x m) / (p x + q - 1) is that weight on m and
  /// the rest on the population mean p gamma / (q - 1).
  std::optional<double> spend_weight(double x) const override;
  /// q > 1.
  bool has_mean(std::span<const double> params) const noexcept override;

  /// Each future purchase spends z ~ Gamma(p, nu) with nu from its posterior given (x, m)
  /// (forecast.hpp, step 4): the n spends are drawn at once as (gamma + x m) G_1 / G_2 with
  /// G_1 ~ Gamma(n p, 1), G_2 ~ Gamma(q + p x, 1).
  std::unique_ptr<SpendSimulator> spend_simulator(
      const std::vector<SpendObservation>& customers,
      const std::vector<std::vector<double>>& draw_parameters) const override;

  /// Where draw_customer_spend stores nu (the spend rate) in LatentState::values.
  static constexpr std::size_t kLatentNu = 0;
  /// {"nu"}.
  std::vector<std::string> latent_names() const override { return {"nu"}; }
  /// nu = G / gamma with G ~ Gamma(q, 1) (Fader & Hardie 2013, eq. 2).
  void draw_customer_spend(SimulationRng& rng, LatentState& state) const noexcept override;
  /// z = G / nu with G ~ Gamma(p, 1) (Fader & Hardie 2013, eq. 1): inf or NaN for nu = 0.
  double draw_purchase_spend(const LatentState& state, SimulationRng& rng) const noexcept override;
  /// {"spend rate nu = ...", "q and gamma"}.
  LatentDescription describe_latent(const LatentState& state) const override;

 private:
  GammaGammaParams params_;
  // The Gamma(q) and Gamma(p) samplers of the customer and purchase draws, made once per model.
  GammaSampler q_sampler_;
  GammaSampler p_sampler_;
};

/// Gamma-Gamma's entry in the registry: key "gamma_gamma", fit_gamma_gamma, and GammaGammaModel
/// from (p, q, gamma).
SpendModelFamily gamma_gamma_family() noexcept;

}  // namespace clvkit
