#include "clvkit/models/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace clvkit {
namespace {

// Error measures in one pass. The co-moments are updated Welford-style, so the correlation stays
// accurate for large groups whose means dwarf their spread.
class ErrorMoments {
 public:
  void add(double predicted, double actual) noexcept {
    n_ += 1.0;
    const double dp = predicted - mean_p_;
    const double da = actual - mean_a_;
    mean_p_ += dp / n_;
    mean_a_ += da / n_;
    m2_p_ += dp * (predicted - mean_p_);
    m2_a_ += da * (actual - mean_a_);
    c_ += dp * (actual - mean_a_);
    const double e = predicted - actual;
    sum_abs_ += std::fabs(e);
    sum_sq_ += e * e;
  }

  ErrorStats stats() const noexcept {
    ErrorStats out;
    if (n_ == 0.0) return out;
    out.mae = sum_abs_ / n_;
    out.rmse = std::sqrt(sum_sq_ / n_);
    // A constant side (every customer of a bucket predicted alike, or no holdout purchase at
    // all) has no correlation; report 0 rather than 0/0.
    out.correlation = (m2_p_ > 0.0 && m2_a_ > 0.0) ? c_ / std::sqrt(m2_p_ * m2_a_) : 0.0;
    return out;
  }

 private:
  double n_ = 0.0;
  double mean_p_ = 0.0, mean_a_ = 0.0;
  double m2_p_ = 0.0, m2_a_ = 0.0, c_ = 0.0;
  double sum_abs_ = 0.0, sum_sq_ = 0.0;
};

// One customer's holdout: predicted and actual.
struct Outcome {
  double predicted_purchases;
  double actual_purchases;
  double predicted_revenue;
  double actual_revenue;
};

// Sums of a group of customers (all, a frequency bucket, a segment).
struct GroupSums {
  std::int64_t customers = 0;
  double actual_purchases = 0.0, predicted_purchases = 0.0;
  double actual_revenue = 0.0, predicted_revenue = 0.0;
  ErrorMoments purchase_errors, revenue_errors;

  void add(const Outcome& o) noexcept {
    ++customers;
    actual_purchases += o.actual_purchases;
    predicted_purchases += o.predicted_purchases;
    actual_revenue += o.actual_revenue;
    predicted_revenue += o.predicted_revenue;
    purchase_errors.add(o.predicted_purchases, o.actual_purchases);
    revenue_errors.add(o.predicted_revenue, o.actual_revenue);
  }

  ComparisonRow row(std::string label) const {
    ComparisonRow out;
    out.label = std::move(label);
    out.customers = customers;
    if (customers > 0) {
      const auto n = static_cast<double>(customers);
      out.actual_purchases = actual_purchases / n;
      out.predicted_purchases = predicted_purchases / n;
      out.actual_revenue = actual_revenue / n;
      out.predicted_revenue = predicted_revenue / n;
    }
    out.purchase_errors = purchase_errors.stats();
    return out;
  }
};

double percent_error(double predicted, double actual) noexcept {
  return actual != 0.0 ? 100.0 * (predicted - actual) / actual
                       : std::numeric_limits<double>::quiet_NaN();
}

std::string bucket_label(int k, int max_bucket) {
  return k < max_bucket ? std::to_string(k) : std::to_string(max_bucket) + "+";
}

void check_max_bucket(int max_bucket) {
  if (max_bucket < 1) {
    throw UsageError("validation: the last frequency bucket is " + std::to_string(max_bucket) +
                     ", but must be at least 1");
  }
}

void check_tracking_step(double step_days) {
  if (!(step_days >= 1.0 && step_days <= 1e6 && step_days == std::floor(step_days))) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", step_days);
    throw UsageError(std::string("validation: the tracking step is ") + text +
                     " days, but must be a whole number of days >= 1");
  }
}

// Everything validate_fitted_models needs besides the models, checked before any fit.
void check_inputs(const CalibrationHoldout& data, const std::vector<int>& segment,
                  const std::vector<std::string>& segment_names, const ValidationOptions& options) {
  check_max_bucket(options.max_frequency_bucket);
  check_tracking_step(options.tracking_step_days);
  const std::vector<CustomerSummary>& customers = data.calibration.customers;
  const std::size_t n = customers.size();
  if (n == 0) throw ModelError("validation: no calibration customers");
  if (data.holdout.size() != n) {
    throw ModelError("validation: " + std::to_string(data.holdout.size()) +
                     " holdout records for " + std::to_string(n) + " calibration customers");
  }
  if (!segment.empty() && segment.size() != n) {
    throw ModelError("validation: " + std::to_string(segment.size()) + " segment labels for " +
                     std::to_string(n) + " calibration customers");
  }
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] < 0 || static_cast<std::size_t>(segment[i]) >= segment_names.size()) {
      throw ModelError("validation: customer '" + customers[i].id + "' has segment index " +
                       std::to_string(segment[i]) + ", but there are " +
                       std::to_string(segment_names.size()) + " segments");
    }
  }
  if (data.holdout_end <= data.calibration_end) {
    throw ModelError("validation: the holdout period is empty (it ends on " +
                     format_day(data.holdout_end) + ", the calibration period on " +
                     format_day(data.calibration_end) + ")");
  }
}

}  // namespace

std::vector<TrackingPoint> repeat_purchase_tracking(const CalibrationHoldout& data,
                                                    const PurchaseModel& model, TimeUnit unit,
                                                    double step_days) {
  check_tracking_step(step_days);
  const auto step = static_cast<std::int64_t>(step_days);
  const double days = unit_days(unit);
  const Day first = data.cohort_first_day;
  const std::int64_t span = static_cast<std::int64_t>(data.holdout_end) - first + 1;
  if (span < 1 || data.daily_repeat_purchases.size() != static_cast<std::size_t>(span)) {
    throw ModelError(
        "validation: the daily repeat purchases do not span the cohort's first day "
        "to the holdout end");
  }

  // Customers acquired per day; the model side is a convolution of these counts with E[X(t)]
  // at whole-day lags, so E[X] is computed once per lag, not once per customer and step.
  std::vector<std::int64_t> acquired(static_cast<std::size_t>(span), 0);
  for (const CustomerSummary& c : data.calibration.customers) {
    ++acquired[static_cast<std::size_t>(c.first_purchase - first)];
  }
  std::vector<std::pair<std::int64_t, double>> cohorts;  // (day offset, customers)
  for (std::int64_t s = 0; s < span; ++s) {
    if (acquired[static_cast<std::size_t>(s)] > 0) {
      cohorts.emplace_back(s, static_cast<double>(acquired[static_cast<std::size_t>(s)]));
    }
  }
  std::vector<double> expected(static_cast<std::size_t>(span) + 1, 0.0);
  for (std::int64_t lag = 1; lag <= span; ++lag) {
    const double value = model.expected_purchases_new_customer(static_cast<double>(lag) / days);
    if (!std::isfinite(value)) {
      throw ModelError("validation: non-finite E[X(t)] at t = " +
                       std::to_string(static_cast<double>(lag) / days));
    }
    expected[static_cast<std::size_t>(lag)] = value;
  }

  std::vector<TrackingPoint> points;
  std::int64_t actual = 0;
  std::int64_t counted_through = -1;  // day offset up to which `actual` has summed
  for (std::int64_t k = 1;; ++k) {
    const std::int64_t end = std::min(k * step, span) - 1;  // offset of the step's last day
    while (counted_through < end) {
      actual += data.daily_repeat_purchases[static_cast<std::size_t>(++counted_through)];
    }
    double predicted = 0.0;
    for (const auto& [s, n] : cohorts) {
      if (s > end) break;
      predicted += n * expected[static_cast<std::size_t>(end + 1 - s)];
    }
    TrackingPoint point;
    point.time = static_cast<double>(end + 1) / days;
    point.day = static_cast<Day>(first + end);
    point.actual_cumulative = static_cast<double>(actual);
    point.predicted_cumulative = predicted;
    point.actual_incremental =
        point.actual_cumulative - (points.empty() ? 0.0 : points.back().actual_cumulative);
    point.predicted_incremental =
        predicted - (points.empty() ? 0.0 : points.back().predicted_cumulative);
    points.push_back(point);
    if (end == span - 1) break;
  }
  return points;
}

std::vector<FrequencyCount> calibration_fit_check(const std::vector<CustomerSummary>& customers,
                                                  const PurchaseModel& model, TimeUnit unit,
                                                  int max_bucket) {
  check_max_bucket(max_bucket);
  const double days = unit_days(unit);
  const auto buckets = static_cast<std::size_t>(max_bucket) + 1;
  std::vector<FrequencyCount> out(buckets);
  for (std::size_t k = 0; k < buckets; ++k)
    out[k].label = bucket_label(static_cast<int>(k), max_bucket);

  // P(X(T) = k) depends on the customer only through T: one evaluation per distinct T.
  std::map<std::int32_t, std::int64_t> customers_by_T;
  for (const CustomerSummary& c : customers) {
    ++out[static_cast<std::size_t>(std::min<std::int64_t>(c.frequency, max_bucket))].actual;
    ++customers_by_T[c.T];
  }
  for (const auto& [T, n] : customers_by_T) {
    double below = 0.0;
    for (int k = 0; k < max_bucket; ++k) {
      const double p = model.probability_of_purchases(T / days, k);
      if (!std::isfinite(p)) {
        throw ModelError("validation: non-finite P(X(T) = " + std::to_string(k) +
                         ") at T = " + std::to_string(T / days));
      }
      out[static_cast<std::size_t>(k)].expected += static_cast<double>(n) * p;
      below += p;
    }
    // 1 - sum may come out a rounding error below 0 when the first buckets hold all the mass.
    out[buckets - 1].expected += static_cast<double>(n) * std::max(0.0, 1.0 - below);
  }
  return out;
}

ValidationResult validate_fitted_models(const CalibrationHoldout& data, const FittedModels& models,
                                        const std::vector<int>& segment,
                                        const std::vector<std::string>& segment_names,
                                        const ValidationOptions& options) {
  check_inputs(data, segment, segment_names, options);
  const std::vector<CustomerSummary>& customers = data.calibration.customers;
  const std::size_t n = customers.size();
  const int holdout_days = data.holdout_end - data.calibration_end;

  ValidationResult result;
  result.models = models;
  result.calibration_end = data.calibration_end;
  result.holdout_end = data.holdout_end;
  result.holdout_length = holdout_days / unit_days(models.time_unit);
  result.customers = static_cast<std::int64_t>(n);

  // E[X(h) | x, t_x, T] and E[M | x, m] come from the CLV path: a single undiscounted period of
  // the holdout's length, margin 1, so both follow the same conventions as `run`.
  ValueOptions value;
  value.horizon_days = holdout_days;
  value.period_days = holdout_days;
  value.period_discount_rate = 0.0;
  value.margin = 1.0;
  value.rank_churn = false;  // no churn ranking in a validation
  const std::vector<CustomerPrediction> predictions =
      predict_customer_value(customers, models.time_unit, *models.purchase.model,
                             *models.spend.model, value, options.fit.threads);

  const int max_bucket = options.max_frequency_bucket;
  GroupSums total;
  std::vector<GroupSums> by_frequency(static_cast<std::size_t>(max_bucket) + 1);
  std::vector<GroupSums> by_segment(segment.empty() ? 0 : segment_names.size());
  for (std::size_t i = 0; i < n; ++i) {
    const CustomerPrediction& p = predictions[i];
    const Outcome outcome{p.expected_purchases, static_cast<double>(data.holdout[i].purchase_days),
                          p.expected_purchases * p.expected_avg_spend, data.holdout[i].spend};
    total.add(outcome);
    by_frequency[static_cast<std::size_t>(
                     std::min<std::int64_t>(customers[i].frequency, max_bucket))]
        .add(outcome);
    if (!segment.empty()) by_segment[static_cast<std::size_t>(segment[i])].add(outcome);
  }
  result.actual_purchases = total.actual_purchases;
  result.predicted_purchases = total.predicted_purchases;
  result.purchases_error_pct = percent_error(total.predicted_purchases, total.actual_purchases);
  result.actual_revenue = total.actual_revenue;
  result.predicted_revenue = total.predicted_revenue;
  result.revenue_error_pct = percent_error(total.predicted_revenue, total.actual_revenue);
  result.purchase_errors = total.purchase_errors.stats();
  result.revenue_errors = total.revenue_errors.stats();
  for (std::size_t k = 0; k < by_frequency.size(); ++k) {
    result.by_frequency.push_back(
        by_frequency[k].row(bucket_label(static_cast<int>(k), max_bucket)));
  }
  for (std::size_t s = 0; s < by_segment.size(); ++s) {
    result.by_segment.push_back(by_segment[s].row(segment_names[s]));
  }
  result.tracking = repeat_purchase_tracking(data, *models.purchase.model, models.time_unit,
                                             options.tracking_step_days);
  result.calibration_fit =
      calibration_fit_check(customers, *models.purchase.model, models.time_unit, max_bucket);
  return result;
}

ValidationResult validate_models(const CalibrationHoldout& data, const std::vector<int>& segment,
                                 const std::vector<std::string>& segment_names,
                                 const ValidationOptions& options) {
  check_inputs(data, segment, segment_names, options);
  const FittedModels models = fit_customer_models(data.calibration.customers, options.time_unit,
                                                  options.fit, options.models);
  return validate_fitted_models(data, models, segment, segment_names, options);
}

}  // namespace clvkit
