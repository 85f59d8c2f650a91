#include "clvkit/models/identification.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

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
      out.grounds.push_back({"dropout.interval",
                             {{"parameter", name}},
                             {{"low", p.ci_low}, {"high", p.ci_high}},
                             {}});
    }
  }
}

// The medians of the observation window and of the time between purchases (model units).
struct Window {
  double median_observation = 0.0;
  double median_time_between_purchases = 0.0;
};

Window window_of(const std::vector<CustomerSummary>& customers, double days) {
  std::vector<double> T;
  std::vector<double> gaps;
  T.reserve(customers.size());
  for (const CustomerSummary& c : customers) {
    T.push_back(c.T / days);
    if (c.frequency > 0) gaps.push_back(c.recency / days / static_cast<double>(c.frequency));
  }
  return {median(std::move(T)), median(std::move(gaps))};
}

// The weighted median: the smallest value whose cumulative weight exceeds half the total (for
// unit weights the element median() picks).
double weighted_median(std::vector<std::pair<double, double>> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  double total = 0.0;
  for (const auto& [value, weight] : values) total += weight;
  double cumulative = 0.0;
  for (const auto& [value, weight] : values) {
    cumulative += weight;
    if (cumulative > total / 2.0) return value;
  }
  return values.back().first;
}

Window window_of(const std::vector<FrequencyRecencyPattern>& patterns) {
  std::vector<std::pair<double, double>> T;
  std::vector<std::pair<double, double>> gaps;
  for (const FrequencyRecencyPattern& p : patterns) {
    T.emplace_back(p.T, p.count);
    if (p.x > 0) gaps.emplace_back(p.t_x / p.x, p.count);
  }
  return {weighted_median(std::move(T)), weighted_median(std::move(gaps))};
}

// The observation window against the time between purchases, the usual cause.
void add_cause(const Window& window, const std::string& unit_name, DropoutIdentification& out) {
  out.median_observation = window.median_observation;
  out.median_time_between_purchases = window.median_time_between_purchases;
  if (out.informative) return;
  const std::string text = "Customers have been observed for " + number(out.median_observation) +
                           " " + unit_name + "s (median) and repeat buyers buy every " +
                           number(out.median_time_between_purchases) + " " + unit_name +
                           "s (median)";
  const bool short_window =
      out.median_observation < kWindowPerGap * out.median_time_between_purchases;
  if (short_window) {
    out.reasons.push_back(text +
                          ": a customer who left cannot be told from one who is between purchases "
                          "until the window is several times longer than that.");
  } else {
    out.reasons.push_back(text +
                          ": the window is long enough to show customers leaving, and few appear "
                          "to have left (no dropout, or dropout too rare to estimate).");
  }
  out.grounds.push_back(
      {short_window ? "dropout.window_short" : "dropout.window_long",
       {{"unit", unit_name}},
       {{"observed", out.median_observation}, {"gap", out.median_time_between_purchases}},
       {}});
}

// The verdict once the share of customers with P(alive) >= 0.99 is known.
DropoutIdentification verdict(const FittedPurchaseModel& fit, const Window& window,
                              double alive_share, TimeUnit unit) {
  DropoutIdentification out;
  if (!fit.summary.converged()) {
    out.reasons.push_back("The " + fit.summary.model + " fit did not converge (" +
                          fit.summary.message + ").");
    out.grounds.push_back({"dropout.not_converged",
                           {{"model", fit.summary.model}, {"message", fit.summary.message}},
                           {},
                           {}});
  }
  check_intervals(fit, out);
  if (!fit.summary.standard_errors_available) {
    out.reasons.push_back("The fit's standard errors were refused (" +
                          fit.summary.standard_errors_message + ").");
    out.grounds.push_back(
        {"dropout.no_standard_errors", {{"message", fit.summary.standard_errors_message}}, {}, {}});
  }
  out.share_p_alive_at_least_0_99 = alive_share;
  if (alive_share >= kMaxAliveShare) {
    char share[32];
    std::snprintf(share, sizeof share, "%.1f%%", 100.0 * alive_share);
    out.reasons.push_back(std::string(share) + " of the customers have P(alive) of 0.99 or more.");
    out.grounds.push_back({"dropout.alive_share", {}, {}, {{"share", alive_share}}});
  }
  out.informative = out.reasons.empty();
  add_cause(window, time_unit_key(unit), out);
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
  return verdict(fit, window_of(customers, unit_days(unit)), share_of(alive, predictions.size()),
                 unit);
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
  return verdict(fit, window_of(customers, days), share_of(alive, customers.size()), unit);
}

DropoutIdentification check_dropout_identification(
    const FittedPurchaseModel& fit, const std::vector<FrequencyRecencyPattern>& patterns,
    TimeUnit unit) {
  double alive = 0.0;
  double total = 0.0;
  for (const FrequencyRecencyPattern& p : patterns) {
    total += p.count;
    if (fit.model->p_alive({p.x, p.t_x, p.T}) >= kAliveLevel) alive += p.count;
  }
  return verdict(fit, window_of(patterns), total > 0.0 ? alive / total : 0.0, unit);
}

std::string dropout_warning(const DropoutIdentification& check) {
  if (check.informative) return {};
  std::string out = "P(alive) and value at risk are not informative on this data:";
  for (const std::string& reason : check.reasons) out += " " + reason;
  return out;
}

std::string dropout_warning(const DropoutIdentification& check, const Language& language) {
  if (check.informative) return {};
  std::string out = language.text("dropout.headline");
  for (const DropoutReason& reason : check.grounds) {
    // Every value as a string first: the catalogue fills placeholders from string views.
    std::vector<std::pair<std::string, std::string>> values = reason.texts;
    for (const auto& [name, value] : reason.numbers) {
      values.emplace_back(name, format_significant(value, 3, language.numbers()));
    }
    for (const auto& [name, share] : reason.percentages) {
      values.emplace_back(name, language.percent(share, 1));
    }
    for (auto& [name, value] : values) {
      if (name == "unit") value = language.text(std::string("unit.plural.").append(value));
    }
    out += ' ';
    out += language.format(reason.key, values);
  }
  return out;
}

}  // namespace clvkit
