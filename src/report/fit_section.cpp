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
  return v ? "The model was refitted on the calibration period up to " +
                 esc(format_day(v->calibration_end)) +
                 " and its predictions for the holdout period up to " +
                 esc(format_day(v->holdout_end)) + " compared with what the customers actually did."
           : std::string(
                 "The model is checked against the purchase counts it was fitted to. "
                 "Holdout charts (tracking plot, conditional expectations, holdout totals) "
                 "appear when the report is made with --calibration-end DATE.");
}

// Customers by number of repeat purchases, actual against expected, on the data the model was
// fitted to.
std::string calibration_fit_figure(const Context& ctx) {
  const ReportData& data = ctx.data;
  const std::optional<ValidationResult>& v = data.validation;
  const std::vector<FrequencyCount>& fit = v ? v->calibration_fit : data.calibration_fit;
  BarChartData histogram;
  histogram.title = "Calibration fit: customers by number of repeat purchases";
  histogram.category_label = v ? "Repeat purchases in the calibration period"
                               : "Repeat purchases in the observation period";
  histogram.value_label = "Customers";
  histogram.width = half_chart;
  BarSeries actual{"Actual", {}};
  const FittedModels& models = v ? v->models : data.models;
  BarSeries expected{"Expected by " + std::string(models.purchase.model->label()), {}};
  for (const FrequencyCount& f : fit) {
    histogram.categories.push_back(f.label);
    actual.values.push_back(f.actual);
    expected.values.push_back(f.expected);
  }
  histogram.series = {actual, expected};
  const std::string last = fit.empty() ? "" : fit.back().label;
  return figure("calibration-fit", Layout::half, bar_chart(histogram),
                "How many customers made 0, 1, 2, … repeat purchases (blue) against the number "
                "the fitted model expects, the sum over customers of P(X(T<sub>i</sub>) = k) "
                "given each customer's own observation length T<sub>i</sub> (orange). The last "
                "bar, " +
                    esc(last) +
                    ", counts that many or more. Close bars mean the model reproduces how "
                    "purchases are spread across customers.");
}

// Cumulative and per-step repeat purchases over time, actual against predicted, with the end of
// calibration marked.
std::string tracking_figures(const Context& ctx, const ValidationResult& v) {
  const std::vector<TrackingPoint>& tracking = v.tracking;
  const std::string step =
      tracking.size() >= 2 && tracking[1].day - tracking[0].day == 7
          ? std::string("week")
          : (tracking.size() >= 2 ? std::to_string(tracking[1].day - tracking[0].day) + " days"
                                  : std::string("step"));
  LineChartData cumulative;
  cumulative.title = "Tracking: cumulative repeat purchases";
  cumulative.x_label = std::string("Time since the cohort's first purchase (") + ctx.units + ")";
  cumulative.y_label = "Cumulative repeat purchases";
  cumulative.width = half_chart;
  cumulative.y_decimals = 0;
  LineChartData incremental = cumulative;
  incremental.title = "Tracking: repeat purchases per " + step;
  incremental.y_label = "Repeat purchases per " + step;
  const std::string model(v.models.purchase.model->label());
  LineSeries actual_cum{"Actual", {}, {}}, predicted_cum{model, {}, {}};
  LineSeries actual_inc{"Actual", {}, {}}, predicted_inc{model, {}, {}};
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
    cumulative.reference_lines.push_back({end, "End of calibration"});
    incremental.reference_lines.push_back({end, "End of calibration"});
  }
  std::string out =
      figure("tracking-cumulative", Layout::half, line_chart(cumulative),
             "Repeat purchases of the calibration-period customers added up over time: actual "
             "(solid) against the model fitted on the calibration period (dashed). Left of "
             "the dashed vertical line the model was fitted to these purchases; to the right "
             "it forecasts. A gap that opens after the line is forecast error.");
  out += figure("tracking-weekly", Layout::half, line_chart(incremental),
                "The same per " + esc(step) +
                    ": actual repeat purchases (solid) and the model's expectation (dashed). The "
                    "model predicts the average trend, not seasonal peaks; the last point can "
                    "cover a shorter period when the holdout does not end on a whole " +
                    esc(step) + ".");
  return out;
}

// Mean holdout purchases by calibration-period frequency, actual against predicted.
std::string conditional_expectation_figure(const Context& ctx, const ValidationResult& v) {
  LineChartData conditional;
  conditional.title = "Conditional expectations of holdout purchases";
  conditional.x_label = "Repeat purchases in the calibration period";
  conditional.y_label = "Mean repeat purchases in the holdout";
  conditional.show_markers = true;
  conditional.width = half_chart;
  LineSeries actual_ce{"Actual", {}, {}},
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
      "For the customers who made 0, 1, 2, … repeat purchases in the calibration period: the "
      "mean number they made in the " +
          esc(num(v.holdout_length, 1)) + " " + ctx.units +
          " of the holdout (solid) and the model's prediction for them (dashed). The last "
          "point is " +
          esc(last_bucket) +
          " (that many or more); groups without customers are left out. Points on top of each "
          "other mean the model ranks customers correctly.");
}

// Holdout totals, per-customer errors and, when there are segments, the holdout per segment.
std::string holdout_tables(const Context& ctx, const ValidationResult& v) {
  const auto error = [](double pct) { return std::isfinite(pct) ? num(pct, 1) + "%" : "n/a"; };
  std::string out = "<div class=\"tables\">\n";
  out += table("Holdout totals (" + count(v.customers) + " calibration customers, holdout " +
                   esc(format_day(v.calibration_end + 1)) + " to " +
                   esc(format_day(v.holdout_end)) + ")",
               {{"", ""}, {"Actual", "num"}, {"Predicted", "num"}, {"Error", "num"}},
               {{"Repeat purchases", num(v.actual_purchases, 0), num(v.predicted_purchases, 0),
                 error(v.purchases_error_pct)},
                {"Revenue (" + esc(ctx.currency) + ")", num(v.actual_revenue, 0),
                 num(v.predicted_revenue, 0), error(v.revenue_error_pct)}});
  out += table("Per-customer errors in the holdout",
               {{"", ""}, {"MAE", "num"}, {"RMSE", "num"}, {"Correlation", "num"}},
               {{"Repeat purchases", num(v.purchase_errors.mae, 3), num(v.purchase_errors.rmse, 3),
                 num(v.purchase_errors.correlation, 3)},
                {"Revenue (" + esc(ctx.currency) + ")", num(v.revenue_errors.mae, 2),
                 num(v.revenue_errors.rmse, 2), num(v.revenue_errors.correlation, 3)}});
  out += "</div>\n";
  if (!v.by_segment.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const ComparisonRow& row : v.by_segment) {
      rows.push_back({esc(row.label), count(row.customers), num(row.actual_purchases, 2),
                      num(row.predicted_purchases, 2), num(row.actual_revenue, 2),
                      num(row.predicted_revenue, 2)});
    }
    out += table(
        "Holdout by calibration-period segment (means per customer)",
        named_number_columns("Segment", {"Customers", "Actual purchases", "Predicted purchases",
                                         "Actual revenue", "Predicted revenue"}),
        rows, "named");
  }
  return out;
}

// Every compared model's cumulative tracking against the actual, one chart.
std::string comparison_tracking_figure(const Context& ctx) {
  const std::vector<ModelComparison>& models = ctx.data.model_comparison;
  LineChartData chart;
  chart.title = "Tracking of every model: cumulative repeat purchases";
  chart.x_label = std::string("Time since the cohort's first purchase (") + ctx.units + ")";
  chart.y_label = "Cumulative repeat purchases";
  chart.y_decimals = 0;
  const ValidationResult* first = nullptr;
  for (const ModelComparison& m : models) {
    if (!m.fitted) continue;
    if (first == nullptr) {
      first = &m.result;
      LineSeries actual{"Actual", {}, {}};
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
         "End of calibration"});
  }
  return figure("model-comparison-tracking", Layout::wide, line_chart(chart),
                "Repeat purchases of the calibration-period customers added up over time, actual "
                "(solid) against each purchase model fitted on the same calibration period "
                "(dashed). The models agree where they were fitted and part where they forecast.");
}

// The compared models side by side, and which one compare_models recommends.
std::string comparison_table(const Context& ctx) {
  const ReportData& data = ctx.data;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < data.model_comparison.size(); ++i) {
    const ModelComparison& m = data.model_comparison[i];
    const std::string name =
        esc(m.label) + (i == data.comparison_recommended ? " (recommended)" : "");
    if (!m.fitted) {
      rows.push_back({name, "not fitted", "", "", "", "", "", ""});
      continue;
    }
    const FitSummary& fit = m.result.models.purchase.summary;
    rows.push_back(
        {name, num(fit.log_likelihood, 2), num(fit.bic, 2), num(m.result.predicted_purchases, 0),
         num(m.result.purchases_error_pct, 1) + "%", num(m.result.purchase_errors.mae, 3),
         num(m.result.purchase_errors.rmse, 3), count(m.likely_lost)});
  }
  std::string out =
      table("Purchase models on the same holdout (" +
                num(data.model_comparison.front().result.actual_purchases, 0) +
                " actual repeat purchases)",
            named_number_columns("Model", {"Log-likelihood", "BIC", "Predicted purchases", "Error",
                                           "MAE", "RMSE", "Likely lost"}),
            rows, "named");
  out += "<p>" + esc(data.comparison_ground) + " This report uses " +
         esc(data.models.purchase.model->label()) +
         " (<code>--model</code>); likely lost: P(alive) &lt; 0.5 at the calibration end.</p>\n";
  return out;
}

}  // namespace

std::string fit_section(const Context& ctx) {
  const std::optional<ValidationResult>& v = ctx.data.validation;
  std::string out = section_start("fit", "3. How well the model fits", fit_lead(v));
  out += "<div class=\"grid\">\n";
  out += calibration_fit_figure(ctx);
  if (!v) {
    out +=
        "<div class=\"note\"><b>Holdout validation not run.</b> Make the report with "
        "<code>--calibration-end YYYY-MM-DD</code> to refit the model on the data up to that "
        "day and add the tracking plot (cumulative and weekly repeat purchases, actual against "
        "predicted), the conditional expectations by calibration frequency and the holdout "
        "totals and error measures.</div>\n";
    out += "</div>\n";
    return out + "</section>\n";
  }
  out += tracking_figures(ctx, *v);
  out += conditional_expectation_figure(ctx, *v);
  out += "</div>\n";
  out += holdout_tables(ctx, *v);
  if (ctx.data.model_comparison.size() > 1) {
    out += "<h3>Which purchase model?</h3>\n<div class=\"grid\">\n";
    out += comparison_tracking_figure(ctx);
    out += "</div>\n";
    out += comparison_table(ctx);
  }
  return out + "</section>\n";
}

}  // namespace clvkit::report::detail
