#pragma once
// The spend-model interface: the mean spend per purchase of each customer, for value and the
// forecast. Gamma-Gamma (gamma_gamma_model.hpp) is its first implementation; a new spend model is
// new files plus one line in model_registry.cpp. An abstract class for the reasons given in
// purchase_model.hpp.
//
// A customer's spend history is (x, m): x repeat purchases with mean spend m (m <= 0 or x = 0:
// unknown, the population is used).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/models/fit.hpp"
#include "clvkit/models/parametric_model.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/models/simulation_rng.hpp"

namespace clvkit {

/// Sums over customers of moments of the spend z of one future purchase given each customer's
/// spend history, for the forecast's aggregated path (forecast.hpp). For a customer, M is the
/// mean spend per purchase given their latent traits (Gamma-Gamma: p / nu), and the spends of
/// their purchases are independent given M.
struct SpendMomentSums {
  double mean = 0.0;          ///< sum of E[z] (= E[M])
  double second = 0.0;        ///< sum of E[z^2]
  double mean_square = 0.0;   ///< sum of E[M^2]
  double squared_mean = 0.0;  ///< sum of E[M]^2
};

/// Simulated spend of the purchases a FutureSimulator draws, for a fixed list of customers: made
/// by SpendModel::spend_simulator.
class SpendSimulator {
 public:
  virtual ~SpendSimulator() = default;
  /// The total spend of `purchases` (>= 1) future purchases of customer `customer` in draw
  /// `draw` (parameters as in FutureSimulator::draw_purchases), from `rng`.
  virtual double draw_spend(std::size_t customer, int draw, double purchases,
                            SimulationRng& rng) const noexcept = 0;
  /// SpendMomentSums of `count` customers who share x (0 for customers whose spend is unknown:
  /// x = 0 or m <= 0), with sum_m and sum_m2 the sums of their m and m^2, in draw `draw`
  /// (parameters as in draw_spend); these need not be customers of the simulator's list. False
  /// when the model has no such moments or they are not finite in this draw (the forecast then
  /// simulates). Gamma-Gamma needs q + p x > 2 for E[M^2].
  virtual bool spend_moment_sums(int draw, double x, double count, double sum_m, double sum_m2,
                                 SpendMomentSums& sums) const noexcept {
    (void)draw;
    (void)x;
    (void)count;
    (void)sum_m;
    (void)sum_m2;
    (void)sums;
    return false;
  }
};

/// A model of the spend per purchase (see the file comment); key ("gamma_gamma"), label,
/// parameters ("p", "q", "gamma") and latent traits as every ParametricModel.
class SpendModel : public ParametricModel {
 public:
  /// The model's assumptions for people, one plain-text clause: "spend per purchase z ~ ...".
  virtual std::string description() const = 0;
  /// The same model at other natural parameters; throws ModelError naming a parameter outside
  /// the domain.
  virtual std::unique_ptr<SpendModel> with_parameters(std::span<const double> params) const = 0;

  /// Sum of the log-likelihoods of the observations (x >= 1, m > 0) and, when `gradient` is
  /// non-null, its gradient in the natural parameters; the same for any `threads`.
  virtual double total_log_likelihood(const std::vector<SpendObservation>& data,
                                      std::vector<double>* gradient, int threads) const = 0;

  /// E[M]: the population's mean spend per purchase. Throws ModelError when it does not exist
  /// (e.g. Gamma-Gamma with q <= 1).
  virtual double population_mean() const = 0;
  /// E[M | x, m]: a customer's expected mean spend per purchase; the population mean when x = 0
  /// or m <= 0. Throws ModelError when it does not exist.
  virtual double expected_spend(double x, double m) const = 0;
  /// E[M | x, m] for repeat buyers of `x` (> 0) repeat purchases as weight * m + (1 - weight) *
  /// population_mean() for every m > 0 (a credibility-weighted mean, as Gamma-Gamma's is), for
  /// another system to evaluate (clvkit sql score); nullopt when the model's is not of that form
  /// (the default). Throws ModelError as expected_spend.
  virtual std::optional<double> spend_weight(double x) const {
    (void)x;
    return std::nullopt;
  }
  /// Whether the population mean exists at natural parameters `params` (a forecast refuses
  /// parameter draws without one).
  virtual bool has_mean(std::span<const double> params) const noexcept = 0;

  /// A simulator of the spend of `customers`' future purchases ((x, m) as SpendObservation, m <= 0
  /// for unknown), with `draw_parameters` as in PurchaseModel::future_simulator.
  virtual std::unique_ptr<SpendSimulator> spend_simulator(
      const std::vector<SpendObservation>& customers,
      const std::vector<std::vector<double>>& draw_parameters) const = 0;

  // Simulating customers from the population (the log simulator, simulate.hpp), as
  // PurchaseModel::draw_customer: a LatentState drawn once per customer, then one spend per
  // purchase; nothing is allocated per customer.

  /// Draws a new customer's latent spend from the population into `state`. Gamma-Gamma (Fader &
  /// Hardie 2013, eq. 1-2): nu ~ Gamma(q, gamma), gamma a rate; one gamma variate.
  virtual void draw_customer_spend(SimulationRng& rng, LatentState& state) const noexcept = 0;
  /// One purchase's spend (money units, unrounded) of the customer in `state`. Gamma-Gamma:
  /// z ~ Gamma(p, nu), nu a rate; one gamma variate. May be 0 or +inf (or NaN) when the latent
  /// spend is extreme: the caller checks.
  virtual double draw_purchase_spend(const LatentState& state,
                                     SimulationRng& rng) const noexcept = 0;
};

/// A fitted spend model and how its fit went.
struct FittedSpendModel {
  std::shared_ptr<const SpendModel> model;
  FitSummary summary;
  /// Pearson correlation between x and m over the fitted customers: spend models assume spend
  /// independent of frequency; a large |correlation| means that assumption fails on this data.
  double frequency_spend_correlation = 0.0;
  std::int64_t customers_used = 0;
};

/// A family of spend models as the registry (model_registry.cpp) lists it.
struct SpendModelFamily {
  std::string_view key;                           ///< "gamma_gamma"
  std::string_view label;                         ///< "Gamma-Gamma"
  std::vector<std::string_view> parameter_names;  ///< in the order of `make`
  FittedSpendModel (*fit)(const std::vector<SpendObservation>& data, const FitOptions& options);
  std::unique_ptr<SpendModel> (*make)(std::span<const double> params);
};

std::span<const SpendModelFamily> spend_model_families() noexcept;
/// The family with `key`; throws UsageError listing the known keys when there is none.
const SpendModelFamily& spend_model_family(std::string_view key);

}  // namespace clvkit
