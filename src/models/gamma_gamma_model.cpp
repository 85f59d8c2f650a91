#include "clvkit/models/gamma_gamma_model.hpp"

#include <array>
#include <cmath>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/models/gamma_gamma_fit.hpp"
#include "clvkit/models/simulation_rng.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

GammaGammaParams params_from(std::span<const double> params) {
  require_parameter_count("gamma_gamma", params, {"p", "q", "gamma"});
  return GammaGammaParams{params[0], params[1], params[2]};
}

FittedSpendModel fit_model(const std::vector<SpendObservation>& data, const FitOptions& options) {
  GammaGammaFit fit = fit_gamma_gamma(data, options);
  return {std::make_shared<GammaGammaModel>(fit.params), std::move(fit.summary),
          fit.frequency_spend_correlation, fit.customers_used};
}

std::unique_ptr<SpendModel> make_model(std::span<const double> params) {
  return std::make_unique<GammaGammaModel>(params_from(params));
}

// A customer's spend history as the simulation uses it: without a usable mean spend (x = 0 or
// m <= 0) the spend rate keeps its prior, as if x were 0.
struct SpendCustomer {
  double spend_x = 0.0;   // x, or 0 without a usable m
  double spend_xm = 0.0;  // spend_x m
  double nu_shape = 0.0;  // q + p spend_x at the model's parameters
  double nu_rate = 0.0;   // gamma + spend_x m at the model's parameters
};

// nu ~ Gamma(nu_shape, nu_rate) and the n spends Gamma(p, nu) sum to Gamma(n p, nu); with
// nu = G_2 / nu_rate, G_2 ~ Gamma(nu_shape, 1), the sum is nu_rate G_1 / G_2 with
// G_1 ~ Gamma(n p, 1). G_2 > 0: nu_shape >= q > 1, and Marsaglia-Tsang never returns 0 for a shape
// >= 1. (The expression is kept as one product so that the two variates are drawn in the order
// the forecast has always drawn them.)
class GammaGammaSpendSimulator final : public SpendSimulator {
 public:
  GammaGammaSpendSimulator(const GammaGammaParams& params,
                           const std::vector<SpendObservation>& customers,
                           const std::vector<std::vector<double>>& draw_parameters)
      : params_(params) {
    customers_.reserve(customers.size());
    for (const SpendObservation& c : customers) {
      const double spend_x = (c.x > 0.0 && c.m > 0.0) ? c.x : 0.0;
      customers_.push_back(
          {spend_x, spend_x * c.m, params.q + params.p * spend_x, params.gamma + spend_x * c.m});
    }
    draws_.reserve(draw_parameters.size());
    for (const std::vector<double>& d : draw_parameters) draws_.push_back(params_from(d));
  }

  double draw_spend(std::size_t customer, int draw, double n,
                    SimulationRng& rng) const noexcept override {
    const SpendCustomer& c = customers_[customer];
    if (draws_.empty()) {
      return c.nu_rate * sample_gamma(rng, n * params_.p, 1.0) / sample_gamma(rng, c.nu_shape, 1.0);
    }
    const GammaGammaParams& d = draws_[static_cast<std::size_t>(draw)];
    const double nu_shape = d.q + d.p * c.spend_x;
    const double nu_rate = d.gamma + c.spend_xm;
    return nu_rate * sample_gamma(rng, n * d.p, 1.0) / sample_gamma(rng, nu_shape, 1.0);
  }

  // nu ~ Gamma(S, B) with S = q + p x and B = gamma + x m per customer: E[1/nu] = B / (S - 1),
  // E[1/nu^2] = B^2 / ((S - 1)(S - 2)); z | nu ~ Gamma(p, nu): E[z] = p E[1/nu], E[z^2] =
  // p (p + 1) E[1/nu^2], M = p / nu. B is affine in m, so the sums need only sum m and sum m^2.
  bool spend_moment_sums(int draw, double x, double count, double sum_m, double sum_m2,
                         SpendMomentSums& sums) const noexcept override {
    const GammaGammaParams& d = draws_.empty() ? params_ : draws_[static_cast<std::size_t>(draw)];
    const double shape = d.q + d.p * x;
    if (!(shape > 2.0)) return false;
    const double sum_b = count * d.gamma + x * sum_m;
    const double sum_b2 = count * d.gamma * d.gamma + 2.0 * d.gamma * x * sum_m + x * x * sum_m2;
    const double inv1 = 1.0 / (shape - 1.0);
    const double inv12 = inv1 / (shape - 2.0);
    sums.mean = d.p * sum_b * inv1;
    sums.second = d.p * (d.p + 1.0) * sum_b2 * inv12;
    sums.mean_square = d.p * d.p * sum_b2 * inv12;
    sums.squared_mean = d.p * d.p * sum_b2 * inv1 * inv1;
    return std::isfinite(sums.second);
  }

 private:
  GammaGammaParams params_;
  std::vector<SpendCustomer> customers_;
  std::vector<GammaGammaParams> draws_;
};

}  // namespace

GammaGammaModel::GammaGammaModel(const GammaGammaParams& params)
    : params_(params), q_sampler_(params.q), p_sampler_(params.p) {
  check_gamma_gamma_params(params);
}

std::vector<double> GammaGammaModel::parameters() const {
  return {params_.p, params_.q, params_.gamma};
}

std::string GammaGammaModel::description() const {
  return "spend per purchase z ~ Gamma(p, ν), ν ~ Gamma(q, γ)";
}

std::unique_ptr<SpendModel> GammaGammaModel::with_parameters(std::span<const double> params) const {
  return make_model(params);
}

double GammaGammaModel::total_log_likelihood(const std::vector<SpendObservation>& data,
                                             std::vector<double>* gradient, int threads) const {
  if (gradient == nullptr) {
    return gamma_gamma_total_log_likelihood(params_, data, nullptr, threads);
  }
  std::array<double, 3> g{};
  const double value = gamma_gamma_total_log_likelihood(params_, data, &g, threads);
  gradient->assign(g.begin(), g.end());
  return value;
}

double GammaGammaModel::population_mean() const { return gamma_gamma_population_mean(params_); }

double GammaGammaModel::expected_spend(double x, double m) const {
  if (!(x > 0.0 && m > 0.0)) return population_mean();
  return gamma_gamma_conditional_expected_spend(params_, x, m);
}

std::optional<double> GammaGammaModel::spend_weight(double x) const {
  population_mean();  // throws when there is no mean (q <= 1)
  return params_.p * x / (params_.p * x + params_.q - 1.0);
}

bool GammaGammaModel::has_mean(std::span<const double> params) const noexcept {
  return params.size() == 3 && params[1] > 1.0;
}

std::unique_ptr<SpendSimulator> GammaGammaModel::spend_simulator(
    const std::vector<SpendObservation>& customers,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<GammaGammaSpendSimulator>(params_, customers, draw_parameters);
}

void GammaGammaModel::draw_customer_spend(SimulationRng& rng, LatentState& state) const noexcept {
  state.values[kLatentNu] = q_sampler_.draw(rng) / params_.gamma;
}

double GammaGammaModel::draw_purchase_spend(const LatentState& state,
                                            SimulationRng& rng) const noexcept {
  return p_sampler_.draw(rng) / state.values[kLatentNu];
}

LatentDescription GammaGammaModel::describe_latent(const LatentState& state) const {
  return {"spend rate nu = " + format_number(state.values[kLatentNu]), "q and gamma"};
}

SpendModelFamily gamma_gamma_family() noexcept {
  return {"gamma_gamma", "Gamma-Gamma", {"p", "q", "gamma"}, &fit_model, &make_model};
}

}  // namespace clvkit
