#include "clvkit/models/pnbd_model.hpp"

#include <array>
#include <limits>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/models/pnbd_fit.hpp"

namespace clvkit {
namespace {

ParetoNbdParams params_from(std::span<const double> params) {
  require_parameter_count("pnbd", params, {"r", "alpha", "s", "beta"});
  return ParetoNbdParams{params[0], params[1], params[2], params[3]};
}

FittedPurchaseModel fit_model(const std::vector<FrequencyRecencyPattern>& patterns,
                              const FitOptions& options) {
  ParetoNbdFit fit = fit_pnbd(patterns, options);
  return {std::make_shared<ParetoNbdModel>(fit.params), std::move(fit.summary)};
}

std::unique_ptr<PurchaseModel> make_model(std::span<const double> params) {
  return std::make_unique<ParetoNbdModel>(params_from(params));
}

}  // namespace

ParetoNbdModel::ParetoNbdModel(const ParetoNbdParams& params)
    : params_(params), r_sampler_(params.r), s_sampler_(params.s) {
  check_pnbd_params(params);
}

std::vector<double> ParetoNbdModel::parameters() const {
  return {params_.r, params_.alpha, params_.s, params_.beta};
}

std::string ParetoNbdModel::description(std::string_view unit) const {
  return "purchase rate λ ~ Gamma(r, α) per " + std::string(unit) +
         " while active, an exponential lifetime with dropout rate μ ~ Gamma(s, β) per " +
         std::string(unit) + " (Schmittlein, Morrison & Colombo 1987)";
}

std::unique_ptr<PurchaseModel> ParetoNbdModel::with_parameters(
    std::span<const double> params) const {
  return make_model(params);
}

double ParetoNbdModel::total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                                            std::vector<double>* gradient, int threads) const {
  if (gradient == nullptr) return pnbd_total_log_likelihood(params_, patterns, nullptr, threads);
  std::array<double, 4> g{};
  const double value = pnbd_total_log_likelihood(params_, patterns, &g, threads);
  gradient->assign(g.begin(), g.end());
  return value;
}

double ParetoNbdModel::p_alive(const PurchaseHistory& h) const noexcept {
  return pnbd_p_alive(params_, h.x, h.t_x, h.T);
}

double ParetoNbdModel::expected_purchases(const PurchaseHistory& h, double t) const noexcept {
  return pnbd_conditional_expected_purchases(params_, h.x, h.t_x, h.T, t);
}

double ParetoNbdModel::discounted_expected_purchases_if_alive(double x, double T,
                                                              double delta) const noexcept {
  if (!(delta > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  return pnbd_dert(params_, x, T, T, delta);
}

double ParetoNbdModel::expected_purchases_if_alive(double x, double T, double t) const noexcept {
  return pnbd_expected_purchases_given_alive(params_, x, T, t);
}

double ParetoNbdModel::expected_purchases_new_customer(double t) const noexcept {
  return pnbd_expected_purchases_new_customer(params_, t);
}

double ParetoNbdModel::probability_of_purchases(double t, int n) const noexcept {
  return pnbd_probability_of_purchases(params_, t, n);
}

double ParetoNbdModel::purchase_rate_bound(std::span<const double> params, double x_max,
                                           double T_min) const noexcept {
  return (params[0] + x_max) / (params[1] + T_min);
}

PurchaseModelFamily pnbd_family() noexcept {
  return {"pnbd", "Pareto/NBD", {"r", "alpha", "s", "beta"}, &fit_model, &make_model};
}

}  // namespace clvkit
