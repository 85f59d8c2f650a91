#include "clvkit/models/mbgnbd_model.hpp"

#include <array>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/models/mbgnbd_fit.hpp"

namespace clvkit {
namespace {

MbgNbdParams params_from(std::span<const double> params) {
  require_parameter_count("mbgnbd", params, {"r", "alpha", "a", "b"});
  return MbgNbdParams{params[0], params[1], params[2], params[3]};
}

FittedPurchaseModel fit_model(const std::vector<FrequencyRecencyPattern>& patterns,
                              const FitOptions& options) {
  MbgNbdFit fit = fit_mbgnbd(patterns, options);
  return {std::make_shared<MbgNbdModel>(fit.params), std::move(fit.summary)};
}

std::unique_ptr<PurchaseModel> make_model(std::span<const double> params) {
  return std::make_unique<MbgNbdModel>(params_from(params));
}

}  // namespace

MbgNbdModel::MbgNbdModel(const MbgNbdParams& params)
    : params_(params), r_sampler_(params.r), a_sampler_(params.a), b_sampler_(params.b) {
  check_mbgnbd_params(params);
}

std::vector<double> MbgNbdModel::parameters() const {
  return {params_.r, params_.alpha, params_.a, params_.b};
}

std::string MbgNbdModel::description(std::string_view unit) const {
  return "purchase rate λ ~ Gamma(r, α) per " + std::string(unit) +
         " while active, dropout right after the first purchase and after each repeat purchase "
         "with probability p ~ Beta(a, b) (Batislam, Denizel & Filiztekin 2007)";
}

std::unique_ptr<PurchaseModel> MbgNbdModel::with_parameters(std::span<const double> params) const {
  return make_model(params);
}

double MbgNbdModel::total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                                         std::vector<double>* gradient, int threads) const {
  if (gradient == nullptr) return mbgnbd_total_log_likelihood(params_, patterns, nullptr, threads);
  std::array<double, 4> g{};
  const double value = mbgnbd_total_log_likelihood(params_, patterns, &g, threads);
  gradient->assign(g.begin(), g.end());
  return value;
}

double MbgNbdModel::p_alive(const PurchaseHistory& h) const noexcept {
  return mbgnbd_p_alive(params_, h.x, h.t_x, h.T);
}

std::optional<AliveOdds> MbgNbdModel::alive_odds(double x) const noexcept {
  return AliveOdds{std::log(params_.a / (params_.b + x)), params_.r + x, params_.alpha, false};
}

double MbgNbdModel::expected_purchases(const PurchaseHistory& h, double t) const noexcept {
  return mbgnbd_conditional_expected_purchases(params_, h.x, h.t_x, h.T, t);
}

double MbgNbdModel::expected_purchases_if_alive(double x, double T, double t) const noexcept {
  return mbgnbd_expected_purchases_given_alive(params_, x, T, t);
}

double MbgNbdModel::expected_purchases_new_customer(double t) const noexcept {
  return mbgnbd_expected_purchases_new_customer(params_, t);
}

double MbgNbdModel::probability_of_purchases(double t, int n) const noexcept {
  return mbgnbd_probability_of_purchases(params_, t, n);
}

double MbgNbdModel::purchase_rate_bound(std::span<const double> params, double x_max,
                                        double T_min) const noexcept {
  return (params[0] + x_max) / (params[1] + T_min);
}

PurchaseModelFamily mbgnbd_family() noexcept {
  return {"mbgnbd", "MBG/NBD", {"r", "alpha", "a", "b"}, &fit_model, &make_model};
}

}  // namespace clvkit
