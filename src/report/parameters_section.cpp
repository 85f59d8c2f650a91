#include <cmath>
#include <cstdio>
#include <vector>

#include "clvkit/io/date.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {
namespace {

const char* parameter_label(const std::string& name) {
  if (name == "alpha") return "α (alpha)";
  if (name == "gamma") return "γ (gamma)";
  return nullptr;
}

std::string parameter_table(const std::string& caption, const FitSummary& fit) {
  std::vector<std::vector<std::string>> rows;
  for (const ParameterEstimate& p : fit.parameters) {
    const char* label = parameter_label(p.name);
    const bool se = fit.standard_errors_available;
    rows.push_back({label != nullptr ? label : esc(p.name), num(p.value, 4),
                    se ? num(p.standard_error, 4) : "n/a",
                    se ? num(p.ci_low, 4) + " – " + num(p.ci_high, 4) : "n/a"});
  }
  return table(
      caption,
      {{"Parameter", ""}, {"Estimate", "num"}, {"Standard error", "num"}, {"95% interval", "num"}},
      rows);
}

std::string scientific(double value) {
  if (!std::isfinite(value)) return "n/a";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2e", value);
  return buffer;
}

std::string convergence_table(const std::string& caption, const FitSummary& fit,
                              const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Converged",
       fit.converged() ? "<span class=\"ok\">yes</span>" : "<span class=\"warn\">no</span>"},
      {"Termination", esc(fit_termination_key(fit.termination))},
      {"Iterations (all starts)", count(fit.iterations)},
      {"Starts tried (best)", count(fit.starts_tried) + " (" + count(fit.best_start) + ")"},
      {"Log-likelihood", num(fit.log_likelihood, 2)},
      {"Gradient norm", scientific(fit.gradient_norm)},
      {"AIC / BIC", num(fit.aic, 1) + " / " + num(fit.bic, 1)},
      {"Customers", count(fit.n_observations)}};
  if (!fit.message.empty()) rows.push_back({"Message", esc(fit.message)});
  if (!fit.standard_errors_available) {
    rows.push_back({"Standard errors", "<span class=\"warn\">unavailable</span>: " +
                                           esc(fit.standard_errors_message)});
  }
  rows.insert(rows.end(), extra.begin(), extra.end());
  return key_value_table(caption, rows);
}

std::string models_tables(const FittedModels& models, const std::string& period) {
  std::string out = "<div class=\"tables\">\n<div>\n";
  const std::string purchase(models.purchase.model->label());
  const std::string spend(models.spend.model->label());
  out += parameter_table(purchase + ", " + period + " (" + unit_plural(models.time_unit) + ")",
                         models.purchase.summary);
  out += convergence_table(purchase + " fit", models.purchase.summary, {});
  out += "</div>\n<div>\n";
  out += parameter_table(spend + ", " + period, models.spend.summary);
  out += convergence_table(spend + " fit", models.spend.summary,
                           {{"Correlation of frequency and spend",
                             num(models.spend.frequency_spend_correlation, 3) +
                                 " (the model assumes none; |r| above 0.3 is a warning sign)"}});
  out += "</div>\n</div>\n";
  return out;
}

}  // namespace

std::string parameters_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const PurchaseModel& purchase = *data.models.purchase.model;
  const SpendModel& spend = *data.models.spend.model;
  std::string out = section_start(
      "parameters", "6. Model parameters",
      esc(std::string(purchase.label()) + ": " +
          purchase.description(time_unit_key(data.models.time_unit)) + ". " +
          std::string(spend.label()) + ": " + spend.description() + ".") +
          " Maximum likelihood; standard errors from the observed information by the delta "
          "method, 95% intervals on the log scale.");
  out += models_tables(data.models, "whole period");
  if (data.validation) {
    out += "<h3>Calibration-period fit (used for the holdout comparison)</h3>\n";
    out += models_tables(data.validation->models,
                         "up to " + format_day(data.validation->calibration_end));
  }
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
