#include "clvkit/models/bgbb_model.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/models/bgbb_fit.hpp"

namespace clvkit {
namespace {

BgBbParams params_from(std::span<const double> params) {
  require_parameter_count("bgbb", params, {"alpha", "beta", "gamma", "delta"});
  return BgBbParams{params[0], params[1], params[2], params[3]};
}

FittedPurchaseModel fit_model(const std::vector<FrequencyRecencyPattern>& patterns,
                              const FitOptions& options) {
  BgBbFit fit = fit_bgbb(patterns, options);
  return {std::make_shared<BgBbModel>(fit.params), std::move(fit.summary)};
}

std::unique_ptr<PurchaseModel> make_model(std::span<const double> params) {
  return std::make_unique<BgBbModel>(params_from(params));
}

// The whole opportunities in a horizon of t model time units (bgbb_model.hpp): the 1e-9 keeps a
// horizon of 3 opportunities computed as 2.9999999999 from being read as 2. NaN for t < 0.
double opportunities(double t) noexcept {
  if (!(t >= 0.0)) return std::numeric_limits<double>::quiet_NaN();
  return std::floor(t + 1e-9);
}

}  // namespace

BgBbModel::BgBbModel(const BgBbParams& params)
    : params_(params),
      alpha_sampler_(params.alpha),
      beta_sampler_(params.beta),
      gamma_sampler_(params.gamma),
      delta_sampler_(params.delta) {
  check_bgbb_params(params);
}

std::vector<double> BgBbModel::parameters() const {
  return {params_.alpha, params_.beta, params_.gamma, params_.delta};
}

std::string BgBbModel::description(std::string_view unit) const {
  return "one transaction opportunity per " + std::string(unit) +
         ": a transaction at each with probability p ~ Beta(α, β) while active, and inactive for "
         "good from the start of each opportunity with probability θ ~ Beta(γ, δ) (Fader, Hardie "
         "& Shang 2010)";
}

std::string BgBbModel::p_alive_remark() const {
  return "BG/BB's P(alive) is the probability of being active at the next opportunity, so it "
         "is below 1 even for customers who transacted at the last one.";
}

std::unique_ptr<PurchaseModel> BgBbModel::with_parameters(std::span<const double> params) const {
  return make_model(params);
}

double BgBbModel::total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                                       std::vector<double>* gradient, int threads) const {
  if (gradient == nullptr) return bgbb_total_log_likelihood(params_, patterns, nullptr, threads);
  std::array<double, 4> g{};
  const double value = bgbb_total_log_likelihood(params_, patterns, &g, threads);
  gradient->assign(g.begin(), g.end());
  return value;
}

double BgBbModel::p_alive(const PurchaseHistory& h) const noexcept {
  const BgBbHistory b = bgbb_history(h.x, h.t_x, h.T);
  return bgbb_p_alive(params_, b.x, b.t_x, b.n);
}

double BgBbModel::expected_purchases(const PurchaseHistory& h, double t) const noexcept {
  const double m = opportunities(t);
  if (m == 0.0) return 0.0;
  // The interface's identity, as the very same product.
  return p_alive(h) * expected_purchases_if_alive(h.x, h.T, m);
}

double BgBbModel::expected_purchases_if_alive(double x, double T, double t) const noexcept {
  // x and n of bgbb_history do not depend on t_x.
  const BgBbHistory b = bgbb_history(x, x, T);
  return bgbb_expected_transactions_given_alive(params_, b.x, b.n, opportunities(t));
}

double BgBbModel::expected_purchases_new_customer(double t) const noexcept {
  return bgbb_expected_transactions_new_customer(params_, opportunities(t));
}

double BgBbModel::probability_of_purchases(double t, int n) const noexcept {
  return bgbb_probability_of_transactions(params_, opportunities(t), n);
}

double BgBbModel::purchase_rate_bound(std::span<const double>, double, double) const noexcept {
  return 1.0;
}

PurchaseModelFamily bgbb_family() noexcept {
  return {"bgbb", "BG/BB", {"alpha", "beta", "gamma", "delta"}, &fit_model, &make_model,
          /*discrete=*/true};
}

}  // namespace clvkit
