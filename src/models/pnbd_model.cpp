#include "clvkit/models/pnbd_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/models/pnbd_fit.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/util/parallel.hpp"
#include "key_index.hpp"
#include "pnbd_terms.hpp"

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

std::vector<double> ParetoNbdModel::p_alive_of(std::span<const PurchaseHistory> histories,
                                               int threads) const {
  // Named copies, not a structured binding: the lambdas below capture them (clang 14).
  const double r = params_.r, alpha = params_.alpha, s = params_.s, beta = params_.beta;
  // Each history's (x, t_x) and (x, T) numbered among the distinct pairs (bit patterns, so a NaN
  // is a pair like any other), their tails computed once, then pnbd_p_alive's arithmetic.
  detail::KeyIndex<2> pairs;
  std::vector<std::array<std::uint32_t, 2>> pair_of(histories.size());
  for (std::size_t i = 0; i < histories.size(); ++i) {
    const PurchaseHistory& h = histories[i];
    if (h.t_x == h.T) continue;  // P(alive) = 1 without a tail
    pair_of[i] = {static_cast<std::uint32_t>(pairs.index_of({h.x, h.t_x})),
                  static_cast<std::uint32_t>(pairs.index_of({h.x, h.T}))};
  }
  const std::vector<std::array<double, 2>>& keys = pairs.keys();
  constexpr std::size_t kPairBlock = 64;
  std::vector<double> log_tail(keys.size());
  parallel_for(threads, (keys.size() + kPairBlock - 1) / kPairBlock, [&](std::size_t block) {
    const std::size_t end = std::min(keys.size(), (block + 1) * kPairBlock);
    for (std::size_t k = block * kPairBlock; k < end; ++k) {
      log_tail[k] = pnbd_log_tail_integral(r + keys[k][0], s + 1.0, alpha, beta, keys[k][1]);
    }
  });
  constexpr std::size_t kBlock = 4096;
  std::vector<double> out(histories.size());
  const double log_s = std::log(s);
  parallel_for(threads, (histories.size() + kBlock - 1) / kBlock, [&](std::size_t block) {
    const std::size_t end = std::min(histories.size(), (block + 1) * kBlock);
    for (std::size_t i = block * kBlock; i < end; ++i) {
      const PurchaseHistory& h = histories[i];
      if (h.t_x == h.T) {
        out[i] = 1.0;
        continue;
      }
      const double alive = -(r + h.x) * std::log(alpha + h.T) - s * std::log(beta + h.T);
      const double died =
          detail::pnbd_died(log_s, log_tail[pair_of[i][0]], log_tail[pair_of[i][1]]).died;
      out[i] = std::exp(-log1p_exp(died - alive));
    }
  });
  return out;
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
