#pragma once
// Whether the data can tell who has left. A purchase model estimates dropout from customers who
// have been silent for long compared with how often they buy; on a short window, or a base where
// few customers have left yet, the dropout parameters are not identified: the fit still
// converges, but P(alive) is close to 1 for nearly everyone and value at risk close to 0, and
// those numbers say nothing. This check says so in plain words (issue 12's identification
// warning), for every purchase model (PurchaseModel::dropout_parameters names the parameters).

#include <span>
#include <string>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/util/language.hpp"

namespace clvkit {

/// One ground of the verdict as data, so that it can be written in any language: the catalogue
/// key of its sentence ("dropout.interval", ...) and the values of its placeholders, texts as
/// they are and numbers written with 3 significant digits (percentages: 1 decimal) in the
/// language's marks.
struct DropoutReason {
  std::string key;
  std::vector<std::pair<std::string, std::string>> texts;
  std::vector<std::pair<std::string, double>> numbers;      ///< 3 significant digits
  std::vector<std::pair<std::string, double>> percentages;  ///< shares, "95.3%"
};

/// The verdict and its grounds.
struct DropoutIdentification {
  /// False when any of the conditions below holds: P(alive) and value at risk are then not
  /// informative on this data.
  bool informative = true;
  /// One plain sentence per condition that holds, then one on why (the observation window
  /// against the time between purchases); empty when informative.
  std::vector<std::string> reasons;
  /// The same grounds as data (parallel to `reasons`), for dropout_warning(check, language).
  std::vector<DropoutReason> grounds;
  double share_p_alive_at_least_0_99 = 0.0;  ///< of all customers
  double median_observation = 0.0;           ///< median T, model time units
  /// Median of t_x / x over repeat buyers (model time units; 0 without repeat buyers).
  double median_time_between_purchases = 0.0;
};

/// Dropout is not identified when (1) the 95% interval of a dropout parameter spans more than
/// two orders of magnitude (upper / lower > 100), (2) the fit's standard errors were refused, or
/// (3) at least 95% of the customers have P(alive) >= 0.99. `predictions[i]` belongs to
/// `customers[i]`; `unit` is the fit's time unit. A fit that did not converge is reported as not
/// informative too, with its message.
DropoutIdentification check_dropout_identification(const FittedPurchaseModel& fit,
                                                   const std::vector<CustomerSummary>& customers,
                                                   std::span<const CustomerPrediction> predictions,
                                                   TimeUnit unit);

/// The same, computing each customer's P(alive) from the fitted model (for callers without
/// predictions, such as `clvkit fit`).
DropoutIdentification check_dropout_identification(const FittedPurchaseModel& fit,
                                                   const std::vector<CustomerSummary>& customers,
                                                   TimeUnit unit);

/// The same over patterns in `unit` (each weighted by its count: medians and shares are those
/// of the customers the patterns stand for), for data given as a summary table.
DropoutIdentification check_dropout_identification(
    const FittedPurchaseModel& fit, const std::vector<FrequencyRecencyPattern>& patterns,
    TimeUnit unit);

/// "P(alive) and value at risk are not informative on this data: <reasons>"; empty when
/// informative.
std::string dropout_warning(const DropoutIdentification& check);

/// The same in `language` (keys "dropout.*" of its catalogue); in English, byte for byte the
/// text of dropout_warning(check).
std::string dropout_warning(const DropoutIdentification& check, const Language& language);

}  // namespace clvkit
