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
                    se ? num(p.standard_error, 4) : tr("common.na"),
                    se ? num(p.ci_low, 4) + " – " + num(p.ci_high, 4) : tr("common.na")});
  }
  return table(caption,
               {{tr("parameters.parameter"), ""},
                {tr("parameters.estimate"), "num"},
                {tr("parameters.standard_error"), "num"},
                {tr("parameters.interval"), "num"}},
               rows);
}

std::string scientific(double value) {
  if (!std::isfinite(value)) return tr("common.na");
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2e", value);
  std::string out = buffer;
  if (const std::size_t point = out.find('.'); point != std::string::npos) {
    out.replace(point, 1, language().numbers().decimal);
  }
  return out;
}

std::string convergence_table(const std::string& caption, const FitSummary& fit,
                              const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {tr("parameters.converged"), fit.converged()
                                       ? "<span class=\"ok\">" + tr("common.yes") + "</span>"
                                       : "<span class=\"warn\">" + tr("common.no") + "</span>"},
      {tr("parameters.termination"),
       esc(tr(std::string("parameters.termination.") + fit_termination_key(fit.termination)))},
      {tr("parameters.iterations"), count(fit.iterations)},
      {tr("parameters.starts"), count(fit.starts_tried) + " (" + count(fit.best_start) + ")"},
      {tr("common.log_likelihood"), num(fit.log_likelihood, 2)},
      {tr("parameters.gradient_norm"), scientific(fit.gradient_norm)},
      {"AIC / BIC", num(fit.aic, 1) + " / " + num(fit.bic, 1)},
      {tr("common.customers"), count(fit.n_observations)}};
  // The fit's message is English free text; a converged fit's says nothing the rows above do
  // not, so other languages show it only for a fit that did not converge.
  if (!fit.message.empty() && (language().code() == "en" || !fit.converged())) {
    rows.push_back({tr("parameters.message"), esc(fit.message)});
  }
  if (!fit.standard_errors_available) {
    rows.push_back(
        {tr("parameters.standard_errors"), "<span class=\"warn\">" + tr("parameters.unavailable") +
                                               "</span>: " + esc(fit.standard_errors_message)});
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
  out +=
      convergence_table(trf("parameters.fit", {{"model", purchase}}), models.purchase.summary, {});
  out += "</div>\n<div>\n";
  out += parameter_table(spend + ", " + period, models.spend.summary);
  out += convergence_table(trf("parameters.fit", {{"model", spend}}), models.spend.summary,
                           {{tr("parameters.correlation"),
                             trf("parameters.correlation_value",
                                 {{"r", num(models.spend.frequency_spend_correlation, 3)}})}});
  out += "</div>\n</div>\n";
  return out;
}

}  // namespace

std::string parameters_section(const Context& ctx) {
  const ReportData& data = ctx.data;
  const PurchaseModel& purchase = *data.models.purchase.model;
  const SpendModel& spend = *data.models.spend.model;
  std::string out =
      section_start("parameters", tr("nav.parameters"),
                    esc(std::string(purchase.label()) + ": " +
                        purchase_description(purchase, data.models.time_unit) + ". " +
                        std::string(spend.label()) + ": " + spend_description(spend) + ".") +
                        " " + tr("parameters.lead"));
  out += models_tables(data.models, tr("parameters.whole_period"));
  if (data.validation) {
    out += "<h3>" + tr("parameters.calibration_heading") + "</h3>\n";
    out +=
        models_tables(data.validation->models,
                      trf("parameters.up_to", {{"date", date(data.validation->calibration_end)}}));
  }
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
