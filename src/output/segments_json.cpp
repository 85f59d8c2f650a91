#include "clvkit/output/segments_json.hpp"

#include <cmath>
#include <string>

#include "clvkit/output/json_number.hpp"

namespace clvkit {
namespace {

double finite_number(double value, const char* what) {
  return finite_json_number(value, what, "the segment table");
}

nlohmann::ordered_json cross_table_json(const std::vector<std::int64_t>& cells, int bins,
                                        const char* rows, const char* columns) {
  nlohmann::ordered_json table;
  table["rows"] = rows;
  table["columns"] = columns;
  nlohmann::ordered_json counts = nlohmann::ordered_json::array();
  for (int i = 0; i < bins; ++i) {
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (int j = 0; j < bins; ++j) row.push_back(cells[static_cast<std::size_t>(i * bins + j)]);
    counts.push_back(row);
  }
  table["counts"] = counts;
  return table;
}

nlohmann::ordered_json interval_json(const Interval& interval, const char* what) {
  nlohmann::ordered_json out;
  out["mean"] = finite_number(interval.mean, what);
  out["low"] = finite_number(interval.low, what);
  out["high"] = finite_number(interval.high, what);
  out["sd"] = finite_number(interval.sd, what);
  return out;
}

nlohmann::ordered_json group_forecast_json(const GroupForecast& forecast) {
  nlohmann::ordered_json out;
  out["purchases"] = interval_json(forecast.purchases, "forecast purchases");
  out["revenue"] = interval_json(forecast.revenue, "forecast revenue");
  out["expected_purchases_analytic"] =
      finite_number(forecast.expected_purchases_analytic, "expected purchases");
  out["expected_revenue_analytic"] =
      finite_number(forecast.expected_revenue_analytic, "expected revenue");
  return out;
}

nlohmann::ordered_json summary_json(const SegmentSummary& summary, const ForecastResult* forecast) {
  nlohmann::ordered_json segments = nlohmann::ordered_json::array();
  for (const SegmentStats& s : summary.segments) {
    nlohmann::ordered_json row;
    row["segment"] = s.name;
    row["description"] = s.description;
    row["customers"] = s.customers;
    row["share"] = finite_number(s.share, "share");
    row["mean_days_since_last"] = finite_number(s.mean_days_since_last, "mean recency");
    row["mean_purchase_days"] = finite_number(s.mean_purchase_days, "mean frequency");
    row["mean_total_spend"] = finite_number(s.mean_total_spend, "mean spend");
    row["mean_r_score"] = finite_number(s.mean_r_score, "mean R score");
    row["mean_f_score"] = finite_number(s.mean_f_score, "mean F score");
    row["mean_m_score"] = finite_number(s.mean_m_score, "mean M score");
    row["revenue"] = finite_number(s.revenue, "revenue");
    row["revenue_share"] = finite_number(s.revenue_share, "revenue share");
    if (summary.has_predictions) {
      row["expected_purchases"] = finite_number(s.expected_purchases, "expected purchases");
      row["mean_p_alive"] = finite_number(s.mean_p_alive, "mean P(alive)");
      row["clv"] = finite_number(s.clv, "CLV");
      row["value_at_risk"] = finite_number(s.value_at_risk, "value at risk");
    }
    if (summary.has_upgrade) {
      row["one_purchase_to_better"] = s.one_purchase_to_better;
      row["one_purchase_to_top"] = s.one_purchase_to_top;
      if (summary.has_predictions) {
        row["upgrade_value_one_purchase"] =
            finite_number(s.upgrade_value_one_purchase, "upgrade value (one purchase away)");
        row["upgrade_value"] = finite_number(s.upgrade_value, "upgrade value");
      }
    }
    if (forecast != nullptr) {
      row["forecast"] = group_forecast_json(forecast->groups[segments.size()]);
    }
    segments.push_back(row);
  }
  nlohmann::ordered_json out;
  out["segments"] = segments;
  if (forecast != nullptr) out["forecast_total"] = group_forecast_json(forecast->total);
  out["cross_tables"] = {
      {"r_by_f", cross_table_json(summary.r_by_f, summary.bins, "r_score", "f_score")},
      {"f_by_m", cross_table_json(summary.f_by_m, summary.bins, "f_score", "m_score")},
      {"r_by_m", cross_table_json(summary.r_by_m, summary.bins, "r_score", "m_score")}};
  return out;
}

}  // namespace

nlohmann::ordered_json segments_json(const nlohmann::ordered_json& metadata,
                                     const SegmentSummary& summary,
                                     const ForecastResult* forecast) {
  nlohmann::ordered_json out;
  out["metadata"] = metadata;
  nlohmann::ordered_json body = summary_json(summary, forecast);
  if (summary.has_upgrade)
    out["top_segment"] = summary.segments[static_cast<std::size_t>(summary.top_segment)].name;
  out["segments"] = std::move(body["segments"]);
  if (forecast != nullptr) out["forecast_total"] = std::move(body["forecast_total"]);
  out["cross_tables"] = std::move(body["cross_tables"]);
  return out;
}

}  // namespace clvkit
