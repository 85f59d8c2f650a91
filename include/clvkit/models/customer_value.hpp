#pragma once
// From customer summaries to fitted models and per-customer value predictions, for any purchase
// model (purchase_model.hpp) with any spend model (spend_model.hpp).

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/spend_model.hpp"
#include "clvkit/models/time_unit.hpp"
#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// Model outputs attached to a customer record (all finite; see README "Predictions").
struct CustomerPrediction {
  double p_alive = 0.0;
  double expected_purchases = 0.0;  ///< E[X(horizon) | x, t_x, T]
  double expected_avg_spend = 0.0;  ///< spend model's E[M | x, m]; population mean when x = 0
  double clv = 0.0;                 ///< discounted horizon CLV (margin applied)
  double clv_if_alive = 0.0;        ///< the same given the customer is alive: clv / p_alive
  double value_at_risk = 0.0;       ///< (1 - p_alive) * clv_if_alive
  std::int64_t churn_priority = 0;  ///< rank by value_at_risk, 1 = largest (ties: output order)
};

/// Which registered models to fit (keys of purchase_model_families() and
/// spend_model_families()).
struct ModelChoice {
  std::string purchase = "bgnbd";
  std::string spend = "gamma_gamma";
};

/// A fitted purchase model and spend model with the time unit their parameters are in.
struct FittedModels {
  TimeUnit time_unit = TimeUnit::week;
  FittedPurchaseModel purchase;
  FittedSpendModel spend;
};

/// Fits the chosen models (the purchase model on frequency_recency_patterns, the spend model on
/// spend_observations), on options.threads threads (the fits do not depend on them). Throws
/// UsageError for an unknown model key and ModelError when a model cannot be fitted (the message
/// says why).
FittedModels fit_customer_models(const std::vector<CustomerSummary>& customers, TimeUnit unit,
                                 const FitOptions& options = {}, const ModelChoice& choice = {});

/// The same fits on a customer base's patterns (database_patterns: the engine sends one row per
/// pattern): frequency_recency_patterns and spend_observations of the patterns. On the patterns
/// of a base, the same models as fit_customer_models on its summaries, to the bit.
FittedModels fit_customer_models(const CustomerPatterns& patterns, TimeUnit unit,
                                 const FitOptions& options = {}, const ModelChoice& choice = {});

/// How customer value is accumulated and discounted.
struct ValueOptions {
  double horizon_days = 12.0 * kDaysPerMonth;
  double margin = 1.0;                 ///< share of spend that is profit
  double annual_discount_rate = 0.10;  ///< converted to (1 + d)^(1/12) - 1 per month
  /// When set, used per discount period instead of the annual rate (lifetimes' convention).
  std::optional<double> period_discount_rate;
  double period_days = kDaysPerMonth;  ///< length of one discount period (a month)
  /// Value over the customer's whole remaining lifetime instead of horizon_days (`--horizon
  /// lifetime`), which is then ignored: expected_purchases is DERT, the expected purchases
  /// discounted continuously at the rate equivalent to the one above (continuous_discount_rate),
  /// and clv = margin * E[M] * DERT (PurchaseModel::discounted_expected_purchases_if_alive).
  bool lifetime = false;
  /// When false, churn_priority stays 0 and its ranking (rank_churn in churn_ranking.hpp: a sort
  /// with two buffers of 12 bytes a customer) is skipped: for callers that only use the
  /// expectations, such as validation.
  bool rank_churn = true;
};

/// The continuous discount rate per model time unit (`unit_days` days) equivalent to `options`'
/// rate: ln(1 + rate per period) / period, so that e^(-delta t) equals the discrete factor at
/// every period end. Throws UsageError when it is not positive and finite (DERT needs
/// discounting: undiscounted lifetime purchases can be infinite).
double continuous_discount_rate(const ValueOptions& options, double unit_days);

/// Horizon CLV of one customer, given the cumulative expected purchases E(t) at the end of each
/// discount period (`cumulative[k]` = E((k+1) * period) capped at the horizon):
/// CLV = margin * spend * sum_k (E(t_k) - E(t_{k-1})) / (1 + d)^(t_k / period).
double discounted_value(const double* cumulative, int periods, double spend,
                        const ValueOptions& options, const double* discount_factors) noexcept;

/// A customer as the models see it, in model time units: x repeat purchases, t_x time of the
/// last one and T the observation length (both from the first purchase), m the mean repeat spend
/// (<= 0 when unknown: the Gamma-Gamma population mean is used).
struct ModelInput {
  double x = 0.0;
  double t_x = 0.0;
  double T = 0.0;
  double m = 0.0;
};

/// Predictions at fixed parameters; `unit_days` converts the horizon and discount period of
/// `options` into model units. churn_priority ranks by value_at_risk (ties: input order) when
/// options.rank_churn is set (rank_churn, after every customer is predicted).
/// Customers are predicted in fixed blocks on up to `threads` threads; every prediction is a
/// function of its customer alone and the ranking is a stable sort, so the result is
/// bit-identical for any `threads`. Throws ModelError naming the customer's index when a value is
/// not finite (the first such customer, whatever `threads`), and when Gamma-Gamma's q <= 1.
std::vector<CustomerPrediction> predict_value(const std::vector<ModelInput>& customers,
                                              double unit_days, const PurchaseModel& purchase,
                                              const SpendModel& spend, const ValueOptions& options,
                                              int threads = 1);

/// predict_value's error about one customer: `index` is the customer's position in the input,
/// so that a caller can name the customer by id.
class CustomerModelError : public ModelError {
 public:
  CustomerModelError(std::size_t index, const std::string& message)
      : ModelError(message), index(index) {}
  std::size_t index;
};

/// predict_value for `n` customers whose inputs are made on demand: input_of(i) is customer i's
/// ModelInput. It is called more than once per customer and from several threads, so it must be
/// a pure function of i. For inputs derived from other data (summaries, a purchase added)
/// without a copy of them: 10M inputs take 320 MB. With `bought_at_end`, every input's t_x is
/// its T (a history whose last purchase ends it, as after a purchase on the as-of day): P(alive)
/// is then computed once per distinct (x, T) rather than per customer, with the same values.
/// Throws what predict_value throws, the errors about one customer as CustomerModelError.
std::vector<CustomerPrediction> predict_value_of(
    std::size_t n, const std::function<ModelInput(std::size_t)>& input_of, double unit_days,
    const PurchaseModel& purchase, const SpendModel& spend, const ValueOptions& options,
    int threads = 1, bool bought_at_end = false);

/// What a customer's value given alive at T depends on, for one (x, T): predict_value's
/// expected_purchases and clv_if_alive are p_alive * expected_purchases and expected_avg_spend
/// * value_per_spend of the customer's (x, T) (up to the order of the last multiplications).
struct ValueIfAlive {
  double expected_purchases = 0.0;  ///< E[X(horizon) | alive, x, T] (lifetime: DERT)
  double value_per_spend = 0.0;     ///< clv_if_alive of a customer whose E[M] is 1
};

/// ValueIfAlive of each (x, T) of `pairs` (model units), computed as predict_value computes it,
/// on up to `threads` threads (the same values for any number). For scoring elsewhere (a SQL
/// engine: clvkit sql score) from a table per distinct (x, T). Throws UsageError for invalid
/// `options`, ModelError naming the pair when a value is not finite.
std::vector<ValueIfAlive> value_if_alive(const std::vector<std::array<double, 2>>& pairs,
                                         double unit_days, const PurchaseModel& purchase,
                                         const ValueOptions& options, int threads = 1);

/// predict_value for customer summaries (x = frequency, t_x = recency, T, m = monetary, converted
/// to `unit`); errors name the customer id.
std::vector<CustomerPrediction> predict_customer_value(
    const std::vector<CustomerSummary>& customers, TimeUnit unit, const PurchaseModel& purchase,
    const SpendModel& spend, const ValueOptions& options, int threads = 1);

}  // namespace clvkit
