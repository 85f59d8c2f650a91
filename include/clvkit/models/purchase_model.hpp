#pragma once
// The purchase-model interface: what every consumer of a model of repeat purchases (predictions
// and value, the per-segment forecast, holdout validation, the model file, metadata, the report
// and the CLI) may ask of it. Its implementations are BG/NBD (bgnbd_model.hpp), MBG/NBD
// (mbgnbd_model.hpp), Pareto/NBD (pnbd_model.hpp) and BG/BB (bgbb_model.hpp), each new files
// plus a registration in model_registry.cpp (README, "Adding a model").
//
// Why an abstract class and not a std::variant of the models:
//  - a model is added without editing a type list every consumer compiles against, and a user
//    can bring their own model from outside the library (Stan's distributions and Ceres'
//    CostFunction are open the same way); a variant would close the family;
//  - the hot loops do not suffer: a fit evaluates the likelihood over all patterns in one call,
//    predictions tabulate E[X(t) | alive] per distinct (x, T) and cost a hypergeometric series per
//    customer, against which one indirect call is noise (measured: bench/RESULTS.md, issue 11);
//  - the Python bindings wrap one polymorphic type.
//
// Conventions: times are in the model's time unit (the unit of its rate parameters); a history is
// (x, t_x, T): x repeat purchases, t_x the time of the last one and T the length of observation,
// both from the first purchase, 0 <= t_x <= T. Parameters are natural (positive) values in the
// paper's order and symbols; fits optimise their logarithms (fit.hpp). A discrete-time model
// (BG/BB) has one transaction opportunity per time unit and reads these times as whole
// opportunities; its header says how (bgbb_model.hpp).

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

/// One customer's purchase history in model time units (see the file comment).
struct PurchaseHistory {
  double x = 0.0;
  double t_x = 0.0;
  double T = 0.0;
};

/// P(alive | x, t_x, T) of one x in a closed form another system can evaluate (a SQL engine:
/// clvkit sql score): the log-odds of having dropped out are
///   d = constant + slope * ln(1 + (T - t_x) / (shift + t_x)),
/// and P(alive) = 1 / (1 + e^d) for every 0 <= t_x <= T; when always_alive, P(alive) = 1.
struct AliveOdds {
  double constant = 0.0;
  double slope = 0.0;
  double shift = 0.0;
  bool always_alive = false;
};

/// Simulated futures of a fixed list of customers over a fixed horizon, for the forecast
/// (forecast.hpp): made by PurchaseModel::future_simulator, then asked for one draw at a time.
class FutureSimulator {
 public:
  virtual ~FutureSimulator() = default;
  /// One draw of the purchases of customer `customer` (an index into the list the simulator was
  /// made for) in (T, T + horizon], with the population parameters of draw `draw` (or the
  /// model's own when it was made without parameter draws), from `rng`. Must consume the
  /// stream the same way for the same inputs (results are reproducible bit for bit).
  virtual double draw_purchases(std::size_t customer, int draw,
                                SimulationRng& rng) const noexcept = 0;
};

/// The first two moments of the future purchases of a fixed list of customers (in the forecast,
/// the distinct histories of its large groups): made by PurchaseModel::future_moments.
class FutureMoments {
 public:
  virtual ~FutureMoments() = default;
  /// For every customer i of the list, E[X] and E[X^2] of its purchases in (T, T + horizon]
  /// given its history, with the population parameters of draw `draw` (or the model's own when
  /// made without parameter draws), into mean[i] and second[i] (both sized like the list).
  /// Computed, not simulated: the same values on every call.
  virtual void moments(int draw, std::span<double> mean, std::span<double> second) const = 0;
};

/// A model of repeat purchases (see the file comment); key, label, parameters and latent traits
/// as every ParametricModel.
class PurchaseModel : public ParametricModel {
 public:
  /// The model's assumptions for people, in one plain-text clause with its source, rates per
  /// `unit` ("week"): "purchase rate λ ~ Gamma(r, α) per week while active, ...".
  virtual std::string description(std::string_view unit) const = 0;
  /// What a reader of P(alive) must know about this model, one plain-text sentence, or empty:
  /// BG/NBD counts every customer without a repeat purchase as alive.
  virtual std::string p_alive_remark() const { return {}; }
  /// The parameters that govern dropout (a subset of parameter_names), whose intervals tell
  /// whether the data identify who has left (identification.hpp): BG/NBD {"a", "b"}.
  virtual std::vector<std::string> dropout_parameters() const = 0;
  /// The same model at other natural parameters (the order of parameter_names). Throws
  /// ModelError naming the parameter when one is outside the model's domain.
  virtual std::unique_ptr<PurchaseModel> with_parameters(std::span<const double> params) const = 0;

  /// Sum over patterns of count * log-likelihood of (x, t_x, T), and when `gradient` is non-null
  /// its gradient with respect to the natural parameters (resized to their number). Computed on
  /// up to `threads` threads with the same result for any number. Non-finite (never throws) when
  /// the data cannot occur under the model.
  virtual double total_log_likelihood(const std::vector<FrequencyRecencyPattern>& patterns,
                                      std::vector<double>* gradient, int threads) const = 0;

  /// P(alive at T | x, t_x, T) (BG/BB: at the next opportunity, n + 1).
  virtual double p_alive(const PurchaseHistory& history) const noexcept = 0;
  /// P(alive) of many histories: the values p_alive gives one by one, bit for bit, computed on up
  /// to `threads` threads. The default calls p_alive per history; a model whose P(alive) shares
  /// costly terms across histories overrides it (Pareto/NBD: the tail integrals depend on (x,
  /// t_x) and (x, T) only, far fewer pairs than triples).
  virtual std::vector<double> p_alive_of(std::span<const PurchaseHistory> histories,
                                         int threads) const;
  /// P(alive) of histories with `x` repeat purchases as AliveOdds, or nullopt when the model has
  /// no such form (the default; Pareto/NBD's needs a hypergeometric function of t_x and T, BG/BB's
  /// a sum over t_x): the form's value must equal p_alive's to ~1e-13 relative (tested).
  virtual std::optional<AliveOdds> alive_odds(double x) const noexcept {
    (void)x;
    return std::nullopt;
  }
  /// Whether p_alive costs much more than a closed form (a series or an integral per call):
  /// predictions then evaluate it once per distinct (x, t_x, T) rather than per customer (the
  /// same values). False by default.
  virtual bool p_alive_is_costly() const noexcept { return false; }
  /// E[X(t) | x, t_x, T]: expected purchases in (T, T + t]. 0 at t = 0; NaN for t < 0.
  virtual double expected_purchases(const PurchaseHistory& history, double t) const noexcept = 0;
  /// E[X(t) | x, T, alive at T] = E[X(t) | x, t_x, T] / P(alive), computed without dividing by
  /// a P(alive) that can underflow. Contract: it does not depend on t_x (true of the models of
  /// this family: given alive at T the future depends on the history through x and T only), so
  /// callers tabulate it per distinct (x, T).
  virtual double expected_purchases_if_alive(double x, double T, double t) const noexcept = 0;
  /// DERT given alive at T (discounted expected residual transactions; Fader, Hardie & Lee
  /// 2005, "RFM and CLV: using iso-value curves", JMR 42(4)): the purchases after T discounted
  /// continuously at rate `delta` > 0 per time unit, integral_0^inf e^(-delta t) dE[X(t) | alive,
  /// x, T], in purchases. Like expected_purchases_if_alive it must not depend on t_x. Default:
  /// integrating by parts, integral_0^inf e^(-u) E[X(u / delta) | alive, x, T] du by exp-sinh
  /// quadrature (Boost.Math) to ~1e-10 relative; a model with a closed form overrides it
  /// (Pareto/NBD: FHL 2005 eq. 2). NaN for delta <= 0 or when the integral does not converge.
  virtual double discounted_expected_purchases_if_alive(double x, double T,
                                                        double delta) const noexcept;
  /// DERT of a customer: P(alive) times discounted_expected_purchases_if_alive.
  double discounted_expected_purchases(const PurchaseHistory& history, double delta) const noexcept {
    return p_alive(history) * discounted_expected_purchases_if_alive(history.x, history.T, delta);
  }
  /// E[X(t)] of a customer just acquired (x = t_x = T = 0). 0 at t = 0; NaN for t < 0.
  virtual double expected_purchases_new_customer(double t) const noexcept = 0;
  /// P(X(t) = n) for a customer just acquired; 0 for n < 0, NaN for t < 0.
  virtual double probability_of_purchases(double t, int n) const noexcept = 0;

  /// A simulator of the futures of `customers` over (T, T + horizon] (horizon positive and
  /// finite, histories valid). `draw_parameters` is empty (every draw at this model's parameters)
  /// or holds one parameter vector per draw (natural parameters, each valid for the model). May
  /// allocate tables shared by all draws.
  virtual std::unique_ptr<FutureSimulator> future_simulator(
      const std::vector<PurchaseHistory>& customers, double horizon,
      const std::vector<std::vector<double>>& draw_parameters) const = 0;
  /// The moments of the same futures as future_simulator's (same arguments), for the forecast's
  /// aggregated path; nullptr when the model has none (the forecast then simulates every
  /// customer). BG/NBD, MBG/NBD and Pareto/NBD have them.
  virtual std::unique_ptr<FutureMoments> future_moments(
      const std::vector<PurchaseHistory>& customers, double horizon,
      const std::vector<std::vector<double>>& draw_parameters) const {
    (void)customers;
    (void)horizon;
    (void)draw_parameters;
    return nullptr;
  }
  /// A bound on the expected purchases per time unit of any alive customer with at most `x_max`
  /// repeat purchases and at least `T_min` of observation, at natural parameters `params`; the
  /// forecast refuses parameter draws whose bound times the horizon is implausibly large.
  virtual double purchase_rate_bound(std::span<const double> params, double x_max,
                                     double T_min) const noexcept = 0;

  // Simulating customers from the population (the log simulator, simulate.hpp). A customer is a
  // LatentState that draw_customer fills once, then a sequence of purchases that
  // next_purchase_time extends one at a time; nothing is allocated per customer. Both consume
  // `rng` in a fixed order (documented by each model), so a stream gives the same customer on
  // every platform with the same libm.

  /// Draws a customer just acquired (first purchase at time 0) from the population into `state`.
  /// `time_scale` is the caller's time units per model time unit (days per week, say): the times
  /// next_purchase_time returns are in the caller's units. BG/NBD (FHL 2005, section 3): lambda ~
  /// Gamma(r, alpha) then p ~ Beta(a, b), in that order.
  virtual void draw_customer(SimulationRng& rng, double time_scale,
                             LatentState& state) const noexcept = 0;
  /// The time of the customer's next purchase after their purchase at time `t` (the first one
  /// when `repeat_purchases` is 0, else their repeat_purchases-th repeat purchase), in the units of
  /// draw_customer's time_scale; +inf when there is none (the customer has dropped out, or never
  /// purchases again). Times only grow: the result is >= t or +inf. BG/NBD: after a repeat
  /// purchase a uniform decides dropout (probability p); then, if still active, an
  /// Exponential(lambda) waiting time is added to t.
  virtual double next_purchase_time(const LatentState& state, std::int64_t repeat_purchases,
                                    double t, SimulationRng& rng) const noexcept = 0;
};

/// A fitted purchase model and how its fit went. `model` is shared so that results holding it
/// can be copied; it is never null in a FittedPurchaseModel returned by the library.
struct FittedPurchaseModel {
  std::shared_ptr<const PurchaseModel> model;
  FitSummary summary;  ///< parameters named as model->parameter_names()
};

/// A family of purchase models as the registry (model_registry.cpp) lists it.
struct PurchaseModelFamily {
  std::string_view key;                           ///< "bgnbd"
  std::string_view label;                         ///< "BG/NBD"
  std::vector<std::string_view> parameter_names;  ///< in the order of `make`
  /// Fits by maximum likelihood on the patterns; throws ModelError when it cannot (the message
  /// says why). A fit that did not converge is returned with summary.converged() == false.
  FittedPurchaseModel (*fit)(const std::vector<FrequencyRecencyPattern>& patterns,
                             const FitOptions& options);
  /// The model at natural parameters in the family's order; throws ModelError naming a
  /// parameter outside the domain, or when there are not as many values as parameters.
  std::unique_ptr<PurchaseModel> (*make)(std::span<const double> params);
  /// A discrete-time model (BG/BB): its data are counts of opportunities, so a log must be read
  /// by periods (IngestOptions::period) or given as a summary table in opportunities.
  bool discrete = false;
};

/// Every registered purchase-model family, in registration order (the first is the default).
std::span<const PurchaseModelFamily> purchase_model_families() noexcept;
/// The family with `key`; throws UsageError listing the known keys when there is none.
const PurchaseModelFamily& purchase_model_family(std::string_view key);

}  // namespace clvkit
