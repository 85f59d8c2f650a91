#include <cmath>
#include <optional>
#include <vector>

#include "clvkit/io/date.hpp"
#include "clvkit/report/charts.hpp"
#include "html_parts.hpp"

namespace clvkit::report::detail {

namespace {

// What the section compares: the holdout when there is one, else the calibration data only.
std::string fit_lead(const std::optional<ValidationResult>& v) {
  return v ? trf("fit.lead.holdout", {{"calibration_end", esc(date(v->calibration_end))},
                                      {"holdout_end", esc(date(v->holdout_end))}})
           : tr("fit.lead.calibration");
}

// Customers by number of repeat purchases, actual against expected, on the data the model was
// fitted to.
std::string calibration_fit_figure(const Context& ctx) {
  const ReportData& data = ctx.data;
  const std::optional<ValidationResult>& v = data.validation;
  const std::vector<FrequencyCount>& fit = v ? v->calibration_fit : data.calibration_fit;
  BarChartData histogram;
  histogram.title = tr("fit.calibration.title");
  histogram.category_label =
      v ? tr("fit.calibration.category_holdout") : tr("fit.calibration.category");
  histogram.value_label = tr("common.customers");
  histogram.width = half_chart;
  BarSeries actual{tr("common.actual"), {}};
  const FittedModels& models = v ? v->models : data.models;
  BarSeries expected{
      trf("fit.calibration.expected_by", {{"model", models.purchase.model->label()}}), {}};
  for (const FrequencyCount& f : fit) {
    histogram.categories.push_back(f.label);
    actual.values.push_back(f.actual);
    expected.values.push_back(f.expected);
  }
  histogram.series = {actual, expected};
  const std::string last = fit.empty() ? "" : fit.back().label;
  return figure("calibration-fit", Layout::half, bar_chart(histogram),
                trf("fit.calibration.caption", {{"last", esc(last)}}));
}

// Cumulative and per-step repeat purchases over time, actual against predicted, with the end of
// calibration marked.
std::string tracking_figures(const Context& ctx, const ValidationResult& v) {
  const std::vector<TrackingPoint>& tracking = v.tracking;
  // The step in the phrase "per <step>" (Spanish "por semana", Polish "na tydzień").
  const std::string step =
      tracking.size() >= 2 && tracking[1].day - tracking[0].day == 7
          ? tr("fit.tracking.step_week")
          : (tracking.size() >= 2 ? trf("fit.tracking.step_days",
                                        {{"n", std::to_string(tracking[1].day - tracking[0].day)}})
                                  : tr("fit.tracking.step"));
  LineChartData cumulative;
  cumulative.title = tr("fit.tracking.cumulative_title");
  cumulative.x_label = trf("fit.tracking.x_label", {{"units", ctx.units}});
  cumulative.y_label = tr("fit.tracking.cumulative_label");
  cumulative.width = half_chart;
  cumulative.y_decimals = 0;
  LineChartData incremental = cumulative;
  incremental.title = trf("fit.tracking.incremental_title", {{"step", step}});
  incremental.y_label = trf("fit.tracking.incremental_label", {{"step", step}});
  const std::string model(v.models.purchase.model->label());
  LineSeries actual_cum{tr("common.actual"), {}, {}}, predicted_cum{model, {}, {}};
  LineSeries actual_inc{tr("common.actual"), {}, {}}, predicted_inc{model, {}, {}};
  for (const TrackingPoint& p : tracking) {
    for (LineSeries* s : {&actual_cum, &predicted_cum, &actual_inc, &predicted_inc}) {
      s->x.push_back(p.time);
    }
    actual_cum.y.push_back(p.actual_cumulative);
    predicted_cum.y.push_back(p.predicted_cumulative);
    actual_inc.y.push_back(p.actual_incremental);
    predicted_inc.y.push_back(p.predicted_incremental);
  }
  cumulative.series = {actual_cum, predicted_cum};
  incremental.series = {actual_inc, predicted_inc};
  if (!tracking.empty()) {
    const double end =
        tracking.front().time + (v.calibration_end - tracking.front().day) / ctx.days_per_unit;
    cumulative.reference_lines.push_back({end, tr("fit.calibration_end")});
    incremental.reference_lines.push_back({end, tr("fit.calibration_end")});
  }
  std::string out = figure("tracking-cumulative", Layout::half, line_chart(cumulative),
                           tr("fit.tracking.cumulative_caption"));
  out +=
      figure("tracking-weekly", Layout::half, line_chart(incremental),
             trf("fit.tracking.incremental_caption",
                 {{"step", esc(step)},
                  {"whole_step", esc(tracking.size() >= 2 && tracking[1].day - tracking[0].day == 7
                                         ? tr("fit.tracking.whole_week")
                                         : step)}}));
  return out;
}

// Mean holdout purchases by calibration-period frequency, actual against predicted.
std::string conditional_expectation_figure(const ValidationResult& v) {
  LineChartData conditional;
  conditional.title = tr("fit.conditional.title");
  conditional.x_label = tr("fit.calibration.category_holdout");
  conditional.y_label = tr("fit.conditional.y_label");
  conditional.show_markers = true;
  conditional.width = half_chart;
  LineSeries actual_ce{tr("common.actual"), {}, {}},
      predicted_ce{std::string(v.models.purchase.model->label()), {}, {}};
  for (std::size_t k = 0; k < v.by_frequency.size(); ++k) {
    const ComparisonRow& row = v.by_frequency[k];
    if (row.customers == 0) continue;
    actual_ce.x.push_back(static_cast<double>(k));
    predicted_ce.x.push_back(static_cast<double>(k));
    actual_ce.y.push_back(row.actual_purchases);
    predicted_ce.y.push_back(row.predicted_purchases);
  }
  conditional.series = {actual_ce, predicted_ce};
  const std::string last_bucket = v.by_frequency.empty() ? "" : v.by_frequency.back().label;
  return figure(
      "conditional-expectation", Layout::half, line_chart(conditional),
      trf("fit.conditional.caption",
          {{"length", esc(length_text(v.holdout_length, 1, time_unit_key(v.models.time_unit)))},
           {"last", esc(last_bucket)}}));
}

// Holdout totals, per-customer errors and, when there are segments, the holdout per segment.
std::string holdout_tables(const Context& ctx, const ValidationResult& v) {
  const auto error = [](double pct) {
    return std::isfinite(pct) ? language().percent_sign(num(pct, 1)) : tr("common.na");
  };
  const std::string revenue = trf("common.revenue_in", {{"currency", esc(ctx.currency)}});
  std::string out = "<div class=\"tables\">\n";
  out += table(trf("fit.holdout.totals_caption", {{"customers", count(v.customers)},
                                                  {"first", esc(date(v.calibration_end + 1))},
                                                  {"last", esc(date(v.holdout_end))}}),
               {{"", ""},
                {tr("common.actual"), "num"},
                {tr("common.predicted"), "num"},
                {tr("common.error"), "num"}},
               {{tr("common.repeat_purchases"), num(v.actual_purchases, 0),
                 num(v.predicted_purchases, 0), error(v.purchases_error_pct)},
                {revenue, num(v.actual_revenue, 0), num(v.predicted_revenue, 0),
                 error(v.revenue_error_pct)}});
  out += table(tr("fit.holdout.errors_caption"),
               {{"", ""}, {"MAE", "num"}, {"RMSE", "num"}, {tr("common.correlation"), "num"}},
               {{tr("common.repeat_purchases"), num(v.purchase_errors.mae, 3),
                 num(v.purchase_errors.rmse, 3), num(v.purchase_errors.correlation, 3)},
                {revenue, num(v.revenue_errors.mae, 2), num(v.revenue_errors.rmse, 2),
                 num(v.revenue_errors.correlation, 3)}});
  out += "</div>\n";
  if (!v.by_segment.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const ComparisonRow& row : v.by_segment) {
      rows.push_back({esc(ctx.segment(row.label)), count(row.customers),
                      num(row.actual_purchases, 2), num(row.predicted_purchases, 2),
                      num(row.actual_revenue, 2), num(row.predicted_revenue, 2)});
    }
    out += table(tr("fit.holdout.segment_caption"),
                 named_number_columns(
                     tr("common.segment"),
                     {tr("common.customers"), tr("fit.holdout.actual_purchases"),
                      tr("fit.holdout.predicted_purchases"), tr("fit.holdout.actual_revenue"),
                      tr("fit.holdout.predicted_revenue")}),
                 rows, "named");
  }
  return out;
}

// Every compared model's cumulative tracking against the actual, one chart.
std::string comparison_tracking_figure(const Context& ctx) {
  const std::vector<ModelComparison>& models = ctx.data.model_comparison;
  LineChartData chart;
  chart.title = tr("fit.comparison.tracking_title");
  chart.x_label = trf("fit.tracking.x_label", {{"units", ctx.units}});
  chart.y_label = tr("fit.tracking.cumulative_label");
  chart.y_decimals = 0;
  const ValidationResult* first = nullptr;
  for (const ModelComparison& m : models) {
    if (!m.fitted) continue;
    if (first == nullptr) {
      first = &m.result;
      LineSeries actual{tr("common.actual"), {}, {}};
      for (const TrackingPoint& p : m.result.tracking) {
        actual.x.push_back(p.time);
        actual.y.push_back(p.actual_cumulative);
      }
      chart.series.push_back(actual);
    }
    LineSeries predicted{m.label, {}, {}};
    for (const TrackingPoint& p : m.result.tracking) {
      predicted.x.push_back(p.time);
      predicted.y.push_back(p.predicted_cumulative);
    }
    chart.series.push_back(predicted);
  }
  if (first != nullptr && !first->tracking.empty()) {
    const TrackingPoint& start = first->tracking.front();
    chart.reference_lines.push_back(
        {start.time + (first->calibration_end - start.day) / ctx.days_per_unit,
         tr("fit.calibration_end")});
  }
  return figure("model-comparison-tracking", Layout::wide, line_chart(chart),
                tr("fit.comparison.tracking_caption"));
}

// Why the comparison recommends its model: the caller's sentence in English, else the same
// ground in the report language.
std::string comparison_ground(const ReportData& data) {
  if (language().code() == "en") return data.comparison_ground;
  return recommendation_ground(data.model_comparison, data.comparison_recommended, language());
}

// The compared models side by side, and which one compare_models recommends.
std::string comparison_table(const Context& ctx) {
  const ReportData& data = ctx.data;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < data.model_comparison.size(); ++i) {
    const ModelComparison& m = data.model_comparison[i];
    const std::string name =
        esc(m.label) + (i == data.comparison_recommended ? tr("fit.comparison.recommended") : "");
    if (!m.fitted) {
      rows.push_back({name, tr("fit.comparison.not_fitted"), "", "", "", "", "", ""});
      continue;
    }
    const FitSummary& fit = m.result.models.purchase.summary;
    rows.push_back({name, num(fit.log_likelihood, 2), num(fit.bic, 2),
                    num(m.result.predicted_purchases, 0),
                    language().percent_sign(num(m.result.purchases_error_pct, 1)),
                    num(m.result.purchase_errors.mae, 3), num(m.result.purchase_errors.rmse, 3),
                    count(m.likely_lost)});
  }
  std::string out =
      table(trf("fit.comparison.caption",
                {{"actual", num(data.model_comparison.front().result.actual_purchases, 0)}}),
            named_number_columns(
                tr("fit.comparison.model"),
                {tr("common.log_likelihood"), "BIC", tr("fit.comparison.predicted_purchases"),
                 tr("common.error"), "MAE", "RMSE", tr("fit.comparison.likely_lost")}),
            rows, "named");
  out += "<p>" + esc(comparison_ground(data)) + " " +
         trf("fit.comparison.note", {{"model", esc(data.models.purchase.model->label())}}) +
         "</p>\n";
  return out;
}

}  // namespace

std::string fit_section(const Context& ctx) {
  const std::optional<ValidationResult>& v = ctx.data.validation;
  std::string out = section_start("fit", tr("fit.heading"), fit_lead(v));
  out += "<div class=\"grid\">\n";
  out += calibration_fit_figure(ctx);
  if (!v) {
    out += "<div class=\"note\">" + tr("fit.no_holdout_note") + "</div>\n";
    out += "</div>\n";
    return out + "</section>\n";
  }
  out += tracking_figures(ctx, *v);
  out += conditional_expectation_figure(*v);
  out += "</div>\n";
  out += holdout_tables(ctx, *v);
  if (ctx.data.model_comparison.size() > 1) {
    out += "<h3>" + tr("fit.comparison.heading") + "</h3>\n<div class=\"grid\">\n";
    out += comparison_tracking_figure(ctx);
    out += "</div>\n";
    out += comparison_table(ctx);
  }
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
