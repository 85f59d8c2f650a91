#include "clvkit/output/metadata.hpp"

#include <cmath>
#include <string>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/output/json_number.hpp"
#include "clvkit/util/utf8.hpp"

namespace clvkit {
namespace {

double finite(double value, const std::string& what) {
  return finite_json_number(value, what, "output metadata");
}

std::string delimiter_name(char delimiter) {
  if (delimiter == '\t') return "\\t";
  return std::string(1, delimiter);
}

}  // namespace

nlohmann::ordered_json ingest_metadata(const CustomerBase& base, const IngestOptions& options) {
  nlohmann::ordered_json rows;
  const IngestStats& stats = base.stats;
  rows["read"] = stats.rows_read;
  rows["used"] = stats.rows_used;
  nlohmann::ordered_json rejected = nlohmann::ordered_json::object();
  for (int i = 0; i < static_cast<int>(RejectReason::count_); ++i) {
    rejected[reject_reason_key(static_cast<RejectReason>(i))] = stats.rejected[i];
  }
  rows["rejected"] = rejected;
  rows["rejected_total"] = stats.rows_rejected();
  rows["after_as_of"] = stats.rows_after_as_of;
  rows["returns_netted"] = stats.returns_netted;
  rows["zero_amount_rows"] = stats.zero_amount_rows;
  rows["reconciles"] = stats.reconciles();

  nlohmann::ordered_json input;
  // Paths and option values are echoed as given, and need not be UTF-8 (a path is bytes):
  // invalid bytes become U+FFFD here so that the document stays valid JSON.
  input["source"] = replace_invalid_utf8(base.source);
  input["delimiter"] = delimiter_name(base.delimiter);
  input["columns"] = {{"customer", replace_invalid_utf8(options.customer_col)},
                      {"date", replace_invalid_utf8(options.date_col)},
                      {"amount", replace_invalid_utf8(options.amount_col)}};
  input["date_format"] =
      options.date_format.empty() ? "auto" : replace_invalid_utf8(options.date_format);
  if (options.period) input["period"] = period_key(*options.period);
  input["as_of"] = format_day(base.as_of);
  input["first_day"] = format_day(base.first_day);
  input["last_day"] = format_day(base.last_day);
  input["rows"] = rows;
  input["customers"] = base.customers.size();
  input["customers_without_purchase"] = stats.customers_without_purchase;
  return input;
}

nlohmann::ordered_json fit_metadata(const FitSummary& summary) {
  nlohmann::ordered_json fit;
  fit["converged"] = summary.converged();
  fit["termination"] = fit_termination_key(summary.termination);
  fit["message"] = summary.message;
  fit["iterations"] = summary.iterations;
  fit["starts_tried"] = summary.starts_tried;
  fit["customers"] = summary.n_observations;
  fit["log_likelihood"] = finite(summary.log_likelihood, summary.model + " log-likelihood");
  fit["aic"] = finite(summary.aic, summary.model + " AIC");
  fit["bic"] = finite(summary.bic, summary.model + " BIC");
  fit["gradient_norm"] = finite(summary.gradient_norm, summary.model + " gradient norm");
  fit["standard_errors_available"] = summary.standard_errors_available;
  if (!summary.standard_errors_message.empty()) {
    fit["standard_errors_message"] = summary.standard_errors_message;
  }
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  for (const ParameterEstimate& p : summary.parameters) {
    const std::string what = summary.model + " parameter " + p.name;
    nlohmann::ordered_json estimate;
    estimate["value"] = finite(p.value, what);
    if (summary.standard_errors_available) {
      estimate["standard_error"] = finite(p.standard_error, what + " standard error");
      estimate["ci95"] = {finite(p.ci_low, what + " interval"),
                          finite(p.ci_high, what + " interval")};
    }
    parameters[p.name] = estimate;
  }
  fit["parameters"] = parameters;
  return fit;
}

nlohmann::ordered_json models_metadata(const FittedModels& models) {
  nlohmann::ordered_json out;
  out["time_unit"] = time_unit_key(models.time_unit);
  out[std::string(models.purchase.model->key())] = fit_metadata(models.purchase.summary);
  if (!models.spend.model) return out;  // fitted on a summary table without spend
  nlohmann::ordered_json spend = fit_metadata(models.spend.summary);
  spend["frequency_spend_correlation"] =
      finite(models.spend.frequency_spend_correlation, "frequency-spend correlation");
  spend["population_mean_spend"] =
      finite(models.spend.model->population_mean(), "population mean spend");
  out[std::string(models.spend.model->key())] = spend;
  return out;
}

nlohmann::ordered_json value_metadata(const ValueOptions& options) {
  nlohmann::ordered_json out;
  if (options.lifetime) {
    out["horizon"] = "lifetime";
  } else {
    out["horizon_days"] = finite(options.horizon_days, "horizon");
  }
  out["margin"] = finite(options.margin, "margin");
  nlohmann::ordered_json discount;
  discount["period_days"] = finite(options.period_days, "discount period");
  if (options.period_discount_rate) {
    discount["rate_per_period"] = finite(*options.period_discount_rate, "discount rate");
  } else {
    discount["annual_rate"] = finite(options.annual_discount_rate, "discount rate");
  }
  if (options.lifetime) {
    discount["timing"] = "continuous";
    discount["continuous_rate_per_day"] =
        finite(continuous_discount_rate(options, 1.0), "continuous discount rate");
  } else {
    discount["timing"] = "end of each period";
  }
  out["discount"] = discount;
  return out;
}

nlohmann::ordered_json tool_metadata(const std::string& command) {
  nlohmann::ordered_json out;
  out["tool"] = "clvkit";
  out["version"] = CLVKIT_VERSION;
  out["command"] = command;
  out["schema_version"] = 1;
  return out;
}

nlohmann::ordered_json segmentation_metadata(const SegmentedBase& segmented) {
  const SegmentScheme& scheme = *segmented.scheme;
  nlohmann::ordered_json out;
  out["scheme"] = scheme.name();
  out["source"] = replace_invalid_utf8(scheme.source());
  out["method"] = scheme.scoring().method == ScoringMethod::quantile ? "quantile" : "threshold";
  out["bins"] = scheme.bins();
  out["monetary"] = segmented.spec.monetary_basis == MonetaryBasis::total ? "total" : "average";
  std::vector<std::int64_t> counts(scheme.segments().size(), 0);
  for (int s : segmented.segment) ++counts[static_cast<std::size_t>(s)];
  nlohmann::ordered_json by_segment = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < counts.size(); ++i) by_segment[scheme.segments()[i].name] = counts[i];
  out["counts"] = by_segment;
  return out;
}

nlohmann::ordered_json dropout_metadata(const DropoutIdentification& check) {
  nlohmann::ordered_json out;
  out["informative"] = check.informative;
  out["share_p_alive_at_least_0_99"] =
      finite(check.share_p_alive_at_least_0_99, "share of customers with P(alive) >= 0.99");
  out["median_observation"] = finite(check.median_observation, "median observation");
  out["median_time_between_purchases"] =
      finite(check.median_time_between_purchases, "median time between purchases");
  out["reasons"] = check.reasons;
  return out;
}

nlohmann::ordered_json analysis_metadata(const CustomerAnalysis& analysis,
                                         const std::string& command) {
  nlohmann::ordered_json out = tool_metadata(command);
  out["input"] = ingest_metadata(analysis.segmented.base, analysis.segmented.ingest);
  out["segmentation"] = segmentation_metadata(analysis.segmented);
  if (analysis.models) {
    out["models"] = models_metadata(*analysis.models);
    out["value"] = value_metadata(analysis.value);
    if (analysis.dropout) out["dropout"] = dropout_metadata(*analysis.dropout);
  }
  if (analysis.upgrade) out["upgrade"] = upgrade_metadata(analysis);
  return out;
}

nlohmann::ordered_json upgrade_metadata(const CustomerAnalysis& analysis) {
  const UpgradePaths& upgrade = *analysis.upgrade;
  const SegmentScheme& scheme = *analysis.segmented.scheme;
  nlohmann::ordered_json out;
  out["purchase"] =
      "one more purchase on the day after the as-of day (the as-of day moves with it), of the "
      "customer's " + std::string(upgrade.spend_basis) + ", scored against the held edges";
  out["spend"] = upgrade.spend_basis;
  out["max_purchases"] = upgrade.options.max_purchases;
  out["value_order"] = scheme.value_order();
  out["edges"] = scheme.scoring().method == ScoringMethod::quantile
                     ? "held: the current customers' quantile boundaries as thresholds"
                     : "the scheme's thresholds";
  nlohmann::ordered_json edges;
  edges["recency_days"] = upgrade.held.recency_edges;
  edges["purchase_days"] = upgrade.held.frequency_edges;
  edges["monetary"] = upgrade.held.monetary_edges;
  for (const auto& [key, list] : edges.items()) {
    for (const auto& edge : list) finite(edge.get<double>(), "held " + key + " edge");
  }
  out["held_edges"] = edges;
  out["not_reachable"] = upgrade.beyond_cap;
  out["not_reachable_reason"] =
      "purchases_to_upgrade is null when no number of purchases up to max_purchases, one a day "
      "of the same spend, reaches a segment higher in value_order: e.g. when M is scored on "
      "average spend, which more purchases of the same spend leave unchanged, or when the spend "
      "is too low to reach the higher M scores under the cap";
  return out;
}

}  // namespace clvkit
