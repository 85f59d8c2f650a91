#include "parameter_draws.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/models/simulation_rng.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

// Parameters per model that the parameter draws support.
constexpr std::size_t kMaxParameters = 8;

// Beyond this many unusable parameter draws in a row (see draw_parameters) the covariance puts
// nearly all of its mass where the model has no forecast.
constexpr int kMaxParameterRedraws = 1000;

// theta_i exp((L z)_i) for i < k, with z standard normals drawn from `rng`. With L = 0 this is
// theta exactly (exp(0) = 1).
void perturb_log_scale(const std::vector<double>& lower, std::size_t k, SimulationRng& rng,
                       double* theta) noexcept {
  std::array<double, kMaxParameters> z{};
  for (std::size_t j = 0; j < k; ++j) z[j] = sample_standard_normal(rng);
  for (std::size_t i = 0; i < k; ++i) {
    double shift = 0.0;
    for (std::size_t j = 0; j <= i; ++j) shift += lower[i * k + j] * z[j];
    theta[i] *= std::exp(shift);
  }
}

bool all_positive_finite(const std::vector<double>& theta) noexcept {
  for (const double v : theta) {
    if (!is_positive_finite(v)) return false;
  }
  return true;
}

// What every draw shares: the fitted parameters, the Cholesky factors and the bounds that make a
// draw usable.
struct DrawSetting {
  std::vector<double> purchase_fit;
  std::vector<double> spend_fit;
  std::vector<double> purchase_lower;  // empty: purchase parameters fixed
  std::vector<double> spend_lower;     // empty: spend parameters fixed
  double x_max = 0.0;
  double T_min = 0.0;
  double max_rate_bound = 0.0;

  // Whether any draw can differ from the fit (a factor with a non-zero entry).
  bool varies() const noexcept {
    const auto non_zero = [](double v) { return v != 0.0; };
    return std::any_of(purchase_lower.begin(), purchase_lower.end(), non_zero) ||
           std::any_of(spend_lower.begin(), spend_lower.end(), non_zero);
  }

  // Whether a draw can be forecast: parameters positive and finite, a mean spend, and a bounded
  // purchase rate (the simulation would not finish otherwise).
  bool usable(const PurchaseModel& purchase_model, const SpendModel& spend_model,
              const std::vector<double>& purchase, const std::vector<double>& spend,
              double horizon) const noexcept {
    return all_positive_finite(purchase) && all_positive_finite(spend) &&
           spend_model.has_mean(spend) &&
           purchase_model.purchase_rate_bound(purchase, x_max, T_min) * horizon <= max_rate_bound;
  }
};

// From the stream `rng`: the purchase parameters perturbed with the purchase factor, then the
// spend parameters with the spend factor.
void perturb_draw(const DrawSetting& setting, SimulationRng& rng, std::vector<double>& purchase,
                  std::vector<double>& spend) {
  purchase = setting.purchase_fit;
  spend = setting.spend_fit;
  if (!setting.purchase_lower.empty()) {
    perturb_log_scale(setting.purchase_lower, purchase.size(), rng, purchase.data());
  }
  if (!setting.spend_lower.empty()) {
    perturb_log_scale(setting.spend_lower, spend.size(), rng, spend.data());
  }
}

// Draw d from its own stream, redrawn (a truncated normal) while unusable.
DrawTables draw_from_normal(const PurchaseModel& purchase_model, const SpendModel& spend_model,
                            const DrawSetting& setting, const ForecastOptions& options) {
  DrawTables tables;
  tables.parameters_vary = setting.varies();
  tables.purchase.resize(static_cast<std::size_t>(options.draws));
  tables.spend.resize(static_cast<std::size_t>(options.draws));
  for (int d = 0; d < options.draws; ++d) {
    SimulationRng rng = SimulationRng::for_customer(options.seed ^ kForecastParameterStream,
                                                    static_cast<std::uint64_t>(d));
    std::vector<double>& purchase = tables.purchase[static_cast<std::size_t>(d)];
    std::vector<double>& spend = tables.spend[static_cast<std::size_t>(d)];
    for (int tries = 0;; ++tries) {
      if (tries == kMaxParameterRedraws) {
        throw ModelError("forecast: draw " + std::to_string(d) + " found no usable parameters in " +
                         std::to_string(kMaxParameterRedraws) +
                         " draws from the covariances (a parameter not positive and finite, "
                         "no mean spend or an unbounded purchase rate every time); the parameter "
                         "uncertainty is too large for a forecast");
      }
      perturb_draw(setting, rng, purchase, spend);
      if (setting.usable(purchase_model, spend_model, purchase, spend, options.horizon)) break;
    }
  }
  return tables;
}

}  // namespace

std::vector<double> cholesky_semidefinite(const std::vector<double>& covariance, std::size_t k,
                                          const char* name) {
  if (covariance.size() != k * k) {
    throw UsageError(std::string("forecast: ") + name + " has " +
                     std::to_string(covariance.size()) + " values, but must be empty or " +
                     std::to_string(k * k) + " (" + std::to_string(k) + "x" + std::to_string(k) +
                     " row-major)");
  }
  double largest_variance = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      const double v = covariance[i * k + j];
      if (!std::isfinite(v)) {
        throw ModelError(std::string("forecast: ") + name + " has entry (" + std::to_string(i) +
                         ", " + std::to_string(j) + ") = " + format_number(v) +
                         ", but must be finite");
      }
    }
    const double variance = covariance[i * k + i];
    if (variance < 0.0) {
      throw ModelError(std::string("forecast: ") + name + " has variance " +
                       format_number(variance) + " at (" + std::to_string(i) + ", " +
                       std::to_string(i) + "), but a covariance must be positive semidefinite");
    }
    largest_variance = std::max(largest_variance, variance);
  }
  const double tolerance = 1e-12 * largest_variance;
  std::vector<double> lower(k * k, 0.0);
  for (std::size_t j = 0; j < k; ++j) {
    for (std::size_t i = j; i < k; ++i) {
      const double c_ij = covariance[i * k + j];
      const double c_ji = covariance[j * k + i];
      if (std::abs(c_ij - c_ji) >
          1e-8 * std::sqrt(covariance[i * k + i] * covariance[j * k + j]) + tolerance) {
        throw ModelError(std::string("forecast: ") + name + " is not symmetric: (" +
                         std::to_string(i) + ", " + std::to_string(j) +
                         ") = " + format_number(c_ij) + " but (" + std::to_string(j) + ", " +
                         std::to_string(i) + ") = " + format_number(c_ji));
      }
      double sum = 0.5 * (c_ij + c_ji);
      for (std::size_t m = 0; m < j; ++m) sum -= lower[i * k + m] * lower[j * k + m];
      if (i == j) {
        if (sum < -1e-8 * largest_variance) {
          throw ModelError(std::string("forecast: ") + name +
                           " is not positive semidefinite (Cholesky pivot " + format_number(sum) +
                           " at " + std::to_string(j) + ")");
        }
        if (sum <= tolerance) break;  // zero up to rounding: this column stays zero
        lower[j * k + j] = std::sqrt(sum);
      } else {
        lower[i * k + j] = sum / lower[j * k + j];
      }
    }
  }
  return lower;
}


DrawTables draw_parameters(const PurchaseModel& purchase_model, const SpendModel& spend_model,
                           const std::vector<PurchaseHistory>& histories,
                           const ForecastOptions& options) {
  const bool uncertain_purchase = !options.purchase_log_covariance.empty();
  const bool uncertain_spend = !options.spend_log_covariance.empty();
  if (!uncertain_purchase && !uncertain_spend) return {};
  DrawSetting setting;
  setting.purchase_fit = purchase_model.parameters();
  setting.spend_fit = spend_model.parameters();
  const std::size_t k_purchase = setting.purchase_fit.size();
  const std::size_t k_spend = setting.spend_fit.size();
  if (k_purchase > kMaxParameters || k_spend > kMaxParameters) {
    throw ModelError("forecast: a model with more than " + std::to_string(kMaxParameters) +
                     " parameters cannot draw parameters");
  }
  if (uncertain_purchase) {
    setting.purchase_lower = cholesky_semidefinite(options.purchase_log_covariance, k_purchase,
                                                   "purchase_log_covariance");
  }
  if (uncertain_spend) {
    setting.spend_lower =
        cholesky_semidefinite(options.spend_log_covariance, k_spend, "spend_log_covariance");
  }
  setting.T_min = histories.empty() ? 0.0 : histories.front().T;
  for (const PurchaseHistory& h : histories) {
    setting.x_max = std::max(setting.x_max, h.x);
    setting.T_min = std::min(setting.T_min, h.T);
  }
  setting.max_rate_bound = std::max(
      kMaxForecastPurchasesPerCustomer,
      purchase_model.purchase_rate_bound(setting.purchase_fit, setting.x_max, setting.T_min) *
          options.horizon);
  return draw_from_normal(purchase_model, spend_model, setting, options);
}

}  // namespace clvkit
