#include "clvkit/models/identification.hpp"

#include <algorithm>
#include <cstdio>

#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

constexpr double kMaxIntervalRatio = 100.0;  // two orders of magnitude
constexpr double kAliveLevel = 0.99;
constexpr double kMaxAliveShare = 0.95;
// A window shorter than this many times the time between purchases is too short to show
// dropout (a silence of a few purchase intervals is not yet unusual).
constexpr double kWindowPerGap = 4.0;

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

std::string number(double value) { return format_number(value, 3); }

// Condition (1): a dropout parameter's interval spans more than two orders of magnitude.
void check_intervals(const FittedPurchaseModel& fit, DropoutIdentification& out) {
  if (!fit.summary.standard_errors_available) return;
  for (const std::string& name : fit.model->dropout_parameters()) {
    for (const ParameterEstimate& p : fit.summary.parameters) {
      if (p.name != name || !(p.ci_high > kMaxIntervalRatio * p.ci_low)) continue;
      out.reasons.push_back("The 95% interval of the dropout parameter " + name + " (" +
                            number(p.ci_low) + " to " + number(p.ci_high) +
                            ") spans more than two orders of magnitude, so the data do not pin "
                            "down how often customers leave.");
    }
  }
}

// The observation window against the time between purchases, the usual cause.
void add_cause(const std::vector<CustomerSummary>& customers, double days,
               const std::string& unit_name, DropoutIdentification& out) {
  std::vector<double> T;
  std::vector<double> gaps;
  T.reserve(customers.size());
  for (const CustomerSummary& c : customers) {
    T.push_back(c.T / days);
    if (c.frequency > 0) gaps.push_back(c.recency / days / static_cast<double>(c.frequency));
  }
  out.median_observation = median(std::move(T));
  out.median_time_between_purchases = median(std::move(gaps));
  if (out.informative) return;
  const std::string window = "Customers have been observed for " + number(out.median_observation) +
                             " " + unit_name + "s (median) and repeat buyers buy every " +
                             number(out.median_time_between_purchases) + " " + unit_name +
                             "s (median)";
  if (out.median_observation < kWindowPerGap * out.median_time_between_purchases) {
    out.reasons.push_back(window +
                          ": a customer who left cannot be told from one who is between purchases "
                          "until the window is several times longer than that.");
  } else {
    out.reasons.push_back(window +
                          ": the window is long enough to show customers leaving, and few appear "
                          "to have left (no dropout, or dropout too rare to estimate).");
  }
}

// The verdict once the share of customers with P(alive) >= 0.99 is known.
DropoutIdentification verdict(const FittedPurchaseModel& fit,
                              const std::vector<CustomerSummary>& customers, double alive_share,
                              TimeUnit unit) {
  DropoutIdentification out;
  if (!fit.summary.converged()) {
    out.reasons.push_back("The " + fit.summary.model + " fit did not converge (" +
                          fit.summary.message + ").");
  }
  check_intervals(fit, out);
  if (!fit.summary.standard_errors_available) {
    out.reasons.push_back("The fit's standard errors were refused (" +
                          fit.summary.standard_errors_message + ").");
  }
  out.share_p_alive_at_least_0_99 = alive_share;
  if (alive_share >= kMaxAliveShare) {
    char share[32];
    std::snprintf(share, sizeof share, "%.1f%%", 100.0 * alive_share);
    out.reasons.push_back(std::string(share) + " of the customers have P(alive) of 0.99 or more.");
  }
  out.informative = out.reasons.empty();
  add_cause(customers, unit_days(unit), time_unit_key(unit), out);
  return out;
}

double share_of(std::size_t count, std::size_t total) {
  return total == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(total);
}

}  // namespace

DropoutIdentification check_dropout_identification(const FittedPurchaseModel& fit,
                                                   const std::vector<CustomerSummary>& customers,
                                                   std::span<const CustomerPrediction> predictions,
                                                   TimeUnit unit) {
  std::size_t alive = 0;
  for (const CustomerPrediction& p : predictions) alive += p.p_alive >= kAliveLevel ? 1 : 0;
  return verdict(fit, customers, share_of(alive, predictions.size()), unit);
}

DropoutIdentification check_dropout_identification(const FittedPurchaseModel& fit,
                                                   const std::vector<CustomerSummary>& customers,
                                                   TimeUnit unit) {
  const double days = unit_days(unit);
  std::size_t alive = 0;
  for (const CustomerSummary& c : customers) {
    const PurchaseHistory history{static_cast<double>(c.frequency), c.recency / days, c.T / days};
    alive += fit.model->p_alive(history) >= kAliveLevel ? 1 : 0;
  }
  return verdict(fit, customers, share_of(alive, customers.size()), unit);
}

std::string dropout_warning(const DropoutIdentification& check) {
  if (check.informative) return {};
  std::string out = "P(alive) and value at risk are not informative on this data:";
  for (const std::string& reason : check.reasons) out += " " + reason;
  return out;
}

}  // namespace clvkit
