#include "clvkit/output/validation_json.hpp"

#include <cmath>

#include "clvkit/io/date.hpp"
#include "clvkit/output/json_number.hpp"
#include "clvkit/output/metadata.hpp"

namespace clvkit {
namespace {

double finite_number(double value, const char* what) {
  return finite_json_number(value, what, "validation");
}

nlohmann::ordered_json error_stats_json(const ErrorStats& errors, const char* what) {
  nlohmann::ordered_json out;
  out["mae"] = finite_number(errors.mae, what);
  out["rmse"] = finite_number(errors.rmse, what);
  out["correlation"] = finite_number(errors.correlation, what);
  return out;
}

// {actual, predicted, error_pct}; error_pct is left out when the actual total is 0.
nlohmann::ordered_json total_json(double actual, double predicted, double error_pct,
                                  const char* what) {
  nlohmann::ordered_json out;
  out["actual"] = finite_number(actual, what);
  out["predicted"] = finite_number(predicted, what);
  if (std::isfinite(error_pct)) out["error_pct"] = error_pct;
  return out;
}

nlohmann::ordered_json rows_json(const std::vector<ComparisonRow>& rows, const char* key) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ComparisonRow& row : rows) {
    nlohmann::ordered_json item;
    item[key] = row.label;
    item["customers"] = row.customers;
    item["actual_purchases_mean"] = finite_number(row.actual_purchases, "mean purchases");
    item["predicted_purchases_mean"] = finite_number(row.predicted_purchases, "mean purchases");
    item["actual_revenue_mean"] = finite_number(row.actual_revenue, "mean revenue");
    item["predicted_revenue_mean"] = finite_number(row.predicted_revenue, "mean revenue");
    item["purchase_errors"] = error_stats_json(row.purchase_errors, "purchase errors");
    out.push_back(item);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json holdout_metadata(const HoldoutAnalysis& split,
                                        const ValidationResult& result,
                                        const std::string& command) {
  const CalibrationHoldout& data = split.data;
  nlohmann::ordered_json metadata = tool_metadata(command);
  metadata["calibration_end"] = format_day(result.calibration_end);
  metadata["holdout_end"] = format_day(result.holdout_end);
  metadata["holdout_days"] = result.holdout_end - result.calibration_end;
  metadata["holdout_length"] = finite_number(result.holdout_length, "holdout length");
  metadata["time_unit"] = time_unit_key(result.models.time_unit);
  metadata["input"] = ingest_metadata(data.calibration, split.calibration.ingest);
  nlohmann::ordered_json customers;
  customers["calibration"] = result.customers;
  customers["first_seen_in_holdout"] = data.holdout_customers_new;
  customers["first_seen_in_holdout_rows"] = data.holdout_rows_new_customers;
  customers["cohort_first_day"] = format_day(data.cohort_first_day);
  metadata["customers"] = customers;
  metadata["segmentation"] = segmentation_metadata(split.calibration);
  return metadata;
}

void add_holdout_comparison(const ValidationResult& result, nlohmann::ordered_json& out) {
  nlohmann::ordered_json totals;
  totals["customers"] = result.customers;
  totals["purchases"] = total_json(result.actual_purchases, result.predicted_purchases,
                                   result.purchases_error_pct, "holdout purchases");
  totals["revenue"] = total_json(result.actual_revenue, result.predicted_revenue,
                                 result.revenue_error_pct, "holdout revenue");
  out["totals"] = totals;
  out["per_customer"] = {{"purchases", error_stats_json(result.purchase_errors, "purchase errors")},
                         {"revenue", error_stats_json(result.revenue_errors, "revenue errors")}};
  out["by_frequency"] = rows_json(result.by_frequency, "calibration_repeat_purchases");
  out["by_segment"] = rows_json(result.by_segment, "segment");
}

nlohmann::ordered_json validation_json(const HoldoutAnalysis& holdout,
                                       const std::string& tracking_step, double step_days) {
  const ValidationResult& result = holdout.result;
  const std::string purchase(result.models.purchase.model->label());
  const std::string spend(result.models.spend.model->label());
  nlohmann::ordered_json metadata = holdout_metadata(holdout, result, "validate");
  metadata["models"] = models_metadata(result.models);
  metadata["definitions"] = {
      {"actual_purchases", "distinct purchase days in the holdout (repeat purchases)"},
      {"predicted_purchases", purchase + " E[X(holdout_length) | x, t_x, T] per customer"},
      {"actual_revenue", "net spend in the holdout"},
      {"predicted_revenue",
       "E[X(holdout_length) | x, t_x, T] * " + spend + " E[M | x, m], margin 1, undiscounted"},
      {"error_pct", "100 * (predicted - actual) / actual"},
      {"tracking",
       "step k ends with day cohort_first_day + k * step_days - 1; predicted = sum "
       "over customers acquired by then of E[X(t)], t from the start of their first "
       "purchase day to the end of the step's last day"}};

  nlohmann::ordered_json out;
  out["metadata"] = metadata;
  add_holdout_comparison(result, out);

  nlohmann::ordered_json tracking;
  tracking["step"] = tracking_step;
  tracking["step_days"] = static_cast<int>(step_days);
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < result.tracking.size(); ++k) {
    const TrackingPoint& p = result.tracking[k];
    nlohmann::ordered_json point;
    point["step"] = k + 1;
    point["day"] = format_day(p.day);
    point["time"] = finite_number(p.time, "tracking time");
    point["actual_cumulative"] = finite_number(p.actual_cumulative, "tracking actual");
    point["predicted_cumulative"] = finite_number(p.predicted_cumulative, "tracking prediction");
    point["actual_incremental"] = finite_number(p.actual_incremental, "tracking actual");
    point["predicted_incremental"] = finite_number(p.predicted_incremental, "tracking prediction");
    points.push_back(point);
  }
  tracking["points"] = points;
  out["tracking"] = tracking;

  nlohmann::ordered_json fit = nlohmann::ordered_json::array();
  for (const FrequencyCount& count : result.calibration_fit) {
    nlohmann::ordered_json item;
    item["calibration_repeat_purchases"] = count.label;
    item["actual"] = finite_number(count.actual, "calibration fit count");
    item["expected"] = finite_number(count.expected, "calibration fit expectation");
    fit.push_back(item);
  }
  out["calibration_fit"] = fit;
  return out;
}

nlohmann::ordered_json comparison_json(const ModelComparisonResult& comparison) {
  const ModelComparison& recommended = comparison.models[comparison.recommended];
  nlohmann::ordered_json metadata =
      holdout_metadata(comparison.split, recommended.result, "compare");
  nlohmann::ordered_json out;
  out["metadata"] = metadata;
  out["recommended"] = recommended.key;
  out["ground"] = comparison.ground;
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const ModelComparison& m : comparison.models) {
    nlohmann::ordered_json line;
    line["model"] = m.key;
    line["label"] = m.label;
    line["fitted"] = m.fitted;
    if (!m.fitted) {
      line["error"] = m.error;
      models.push_back(line);
      continue;
    }
    line["fit"] = fit_metadata(m.result.models.purchase.summary);
    line["likely_lost"] = m.likely_lost;
    add_holdout_comparison(m.result, line);
    models.push_back(line);
  }
  out["models"] = models;
  return out;
}

}  // namespace clvkit
