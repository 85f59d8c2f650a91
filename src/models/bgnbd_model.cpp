#include "clvkit/models/bgnbd_model.hpp"

#include <array>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/models/bgnbd_fit.hpp"

namespace clvkit {
namespace {

BgNbdParams params_from(std::span<const double> params) {
  require_parameter_count("bgnbd", params, {"r", "alpha", "a", "b"});
  return BgNbdParams{params[0], params[1], params[2], params[3]};
}

FittedPurchaseModel fit_model(const std::vector<FrequencyRecencyPattern>& patterns,
                              const FitOptions& options) {
  BgNbdFit fit = fit_bgnbd(patterns, options);
  return {std::make_shared<BgNbdModel>(fit.params), std::move(fit.summary)};
}

std::unique_ptr<PurchaseModel> make_model(std::span<const double> params) {
  return std::make_unique<BgNbdModel>(params_from(params));
}

}  // namespace

BgNbdModel::BgNbdModel(const BgNbdParams& params)
    : params_(params), r_sampler_(params.r), a_sampler_(params.a), b_sampler_(params.b) {
  check_bgnbd_params(params);
}

std::vector<double> BgNbdModel::parameters() const {
  return {params_.r, params_.alpha, params_.a, params_.b};
}

std::string BgNbdModel::description(std::string_view unit) const {
  return "purchase rate λ ~ Gamma(r, α) per " + std::string(unit) +
         " while active, dropout after each repeat purchase with probability p ~ Beta(a, b) "
         "(Fader, Hardie & Lee 2005)";
}

std::string BgNbdModel::p_alive_remark() const {
  return "Customers with no repeat purchase (x = 0) count as alive in BG/NBD, which lets "
         "customers drop out only after a repeat purchase.";
}

std::unique_ptr<PurchaseModel> BgNbdModel::with_parameters(std::span<const double> params) const {
  return make_model(params);
}

double BgNbdModel::total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                                        std::vector<double>* gradient, int threads) const {
  if (gradient == nullptr) return bgnbd_total_log_likelihood(params_, patterns, nullptr, threads);
  std::array<double, 4> g{};
  const double value = bgnbd_total_log_likelihood(params_, patterns, &g, threads);
  gradient->assign(g.begin(), g.end());
  return value;
}

double BgNbdModel::p_alive(const PurchaseHistory& h) const noexcept {
  return bgnbd_p_alive(params_, h.x, h.t_x, h.T);
}

std::optional<AliveOdds> BgNbdModel::alive_odds(double x) const noexcept {
  if (x == 0.0) return AliveOdds{0.0, 0.0, 0.0, true};
  return AliveOdds{std::log(params_.a / (params_.b + x - 1.0)), params_.r + x, params_.alpha, false};
}

double BgNbdModel::expected_purchases(const PurchaseHistory& h, double t) const noexcept {
  return bgnbd_conditional_expected_purchases(params_, h.x, h.t_x, h.T, t);
}

double BgNbdModel::expected_purchases_if_alive(double x, double T, double t) const noexcept {
  return bgnbd_expected_purchases_given_alive(params_, x, T, t);
}

double BgNbdModel::expected_purchases_new_customer(double t) const noexcept {
  return bgnbd_expected_purchases_new_customer(params_, t);
}

double BgNbdModel::probability_of_purchases(double t, int n) const noexcept {
  return bgnbd_probability_of_purchases(params_, t, n);
}

double BgNbdModel::purchase_rate_bound(std::span<const double> params, double x_max,
                                       double T_min) const noexcept {
  return (params[0] + x_max) / (params[1] + T_min);
}

PurchaseModelFamily bgnbd_family() noexcept {
  return {"bgnbd", "BG/NBD", {"r", "alpha", "a", "b"}, &fit_model, &make_model};
}

}  // namespace clvkit
