#pragma once
// BG/NBD (Fader, Hardie & Lee 2005) as a PurchaseModel: the formulas of bgnbd.hpp, the fit of
// bgnbd_fit.hpp and the forecast's simulation of futures behind the common interface.

#include <memory>
#include <span>

#include "clvkit/models/bgnbd.hpp"
#include "clvkit/models/purchase_model.hpp"

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
  std::unique_ptr<PurchaseModel> with_parameters(std::span<const double> params) const override;

  /// bgnbd_total_log_likelihood.
  double total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                              std::vector<double>* gradient, int threads) const override;
  /// bgnbd_p_alive: 1 when x = 0.
  double p_alive(const PurchaseHistory& history) const noexcept override;
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
  /// (r + x_max) / (alpha + T_min): the largest posterior mean purchase rate.
  double purchase_rate_bound(std::span<const double> params, double x_max,
                             double T_min) const noexcept override;

 private:
  BgNbdParams params_;
};

/// BG/NBD's entry in the registry: key "bgnbd", fit_bgnbd, and BgNbdModel from (r, alpha, a, b).
PurchaseModelFamily bgnbd_family() noexcept;

}  // namespace clvkit
