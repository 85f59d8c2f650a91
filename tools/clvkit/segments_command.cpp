// clvkit segments: the segment table (size, R/F/M means, revenue, and model aggregates) and the
// R×F, F×M, R×M cross tables, as a terminal table or JSON.

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>

#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/output/customer_records.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/output_file.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "pipeline.hpp"
#include "progress.hpp"
#include "text_table.hpp"

namespace clvkit::cli {
namespace {

struct SegmentsOptions {
  InputOptions input;
  SegmentOptions segments;
  ValueCliOptions value;
  std::string format = "table";
  std::string out = "-";
  bool no_model = false;
  bool forecast = false;
  bool fixed_parameters = false;
  int draws = 2000;
  bool quiet = false;
  std::uint64_t seed = 1;
  int threads = 0;  ///< 0 = one per hardware thread
};

double finite_number(double value, const char* what) {
  if (!std::isfinite(value)) {
    throw ModelError(std::string("non-finite ") + what + " in the segment table");
  }
  return value;
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

std::string cross_table_text(const std::vector<std::int64_t>& cells, int bins, char rows,
                             char columns) {
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header{std::string(1, rows) + "\\" + columns};
  for (int j = 1; j <= bins; ++j) header.push_back(std::to_string(j));
  table.push_back(header);
  for (int i = bins; i >= 1; --i) {
    std::vector<std::string> row{std::to_string(i)};
    for (int j = 1; j <= bins; ++j) {
      row.push_back(std::to_string(cells[static_cast<std::size_t>((i - 1) * bins + j - 1)]));
    }
    table.push_back(row);
  }
  return render_table(table);
}

std::string interval_text(const Interval& interval, int decimals) {
  return format_fixed(interval.mean, decimals) + " [" + format_fixed(interval.low, decimals) +
         ", " + format_fixed(interval.high, decimals) + "]";
}

std::string summary_text(const SegmentSummary& summary, const SegmentedBase& segmented,
                         const ForecastResult* forecast) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"segment",       "customers", "share",   "days since last",
                                  "purchase days", "spend",     "revenue", "revenue share"};
  if (summary.has_predictions) {
    for (const char* h : {"exp. purchases", "mean P(alive)", "CLV", "value at risk"}) {
      header.push_back(h);
    }
  }
  if (forecast != nullptr) {
    header.push_back("purchases [90% PI]");
    header.push_back("revenue [90% PI]");
  }
  rows.push_back(header);
  for (const SegmentStats& s : summary.segments) {
    std::vector<std::string> row{s.name,
                                 std::to_string(s.customers),
                                 format_fixed(100.0 * s.share, 1) + "%",
                                 format_fixed(s.mean_days_since_last, 0),
                                 format_fixed(s.mean_purchase_days, 2),
                                 format_fixed(s.mean_total_spend, 2),
                                 format_fixed(s.revenue, 2),
                                 format_fixed(100.0 * s.revenue_share, 1) + "%"};
    if (summary.has_predictions) {
      row.push_back(format_fixed(s.expected_purchases, 1));
      row.push_back(format_fixed(s.mean_p_alive, 3));
      row.push_back(format_fixed(s.clv, 2));
      row.push_back(format_fixed(s.value_at_risk, 2));
    }
    if (forecast != nullptr) {
      const GroupForecast& f = forecast->groups[rows.size() - 1];
      row.push_back(interval_text(f.purchases, 1));
      row.push_back(interval_text(f.revenue, 0));
    }
    rows.push_back(row);
  }
  std::ostringstream out;
  out << segmented.base.customers.size() << " customers, scheme " << segmented.scheme->name()
      << ", as of " << format_day(segmented.base.as_of)
      << " (means per customer; spend = total spend)\n\n"
      << render_table(rows);
  if (forecast != nullptr) {
    out << "\nAll customers: " << interval_text(forecast->total.purchases, 1)
        << " purchases, revenue " << interval_text(forecast->total.revenue, 0)
        << " (mean [5%, 95%] over simulated futures)\n";
  }
  out << "\nCustomers by R and F score\n"
      << cross_table_text(summary.r_by_f, summary.bins, 'R', 'F')
      << "\nCustomers by F and M score\n"
      << cross_table_text(summary.f_by_m, summary.bins, 'F', 'M')
      << "\nCustomers by R and M score\n"
      << cross_table_text(summary.r_by_m, summary.bins, 'R', 'M');
  return out.str();
}

void run_segments(const SegmentsOptions& options) {
  if (options.forecast && options.no_model) {
    throw UsageError("--forecast needs the model: drop --no-model");
  }
  if (options.format != "table" && options.format != "json") {
    throw UsageError("--format: expected table or json, got '" + options.format + "'");
  }
  const ValueOptions value = options.value.to_value_options();
  const TimeUnit unit = options.value.unit();
  const int threads = resolve_threads(options.threads);
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit segments");
  InputOptions input = options.input;
  input.threads = threads;
  report_reading(input, progress);
  const SegmentedBase segmented = read_and_segment(input, options.segments);

  nlohmann::ordered_json metadata = tool_metadata("segments");
  metadata["input"] = ingest_metadata(segmented.base, segmented.ingest);
  metadata["segmentation"] = segmentation_metadata(segmented);
  ModelRun model;
  if (!options.no_model) {
    progress.stage("fitting and predicting " +
                   format_count(static_cast<double>(segmented.base.customers.size())) +
                   " customers");
    model = fit_and_predict(segmented, unit, value, metadata, nullptr, threads);
  }
  const SegmentSummary summary =
      summarize_segments(segmented.base.customers, segmented.scores, segmented.segment,
                         *segmented.scheme, model.predictions);
  std::optional<ForecastResult> forecast;
  if (options.forecast) {
    forecast = forecast_segments(
        segmented, model.models, value,
        {options.draws, options.seed, threads, options.fixed_parameters,
         forecast_progress(progress, segmented.base.customers.size(), options.draws)});
    nlohmann::ordered_json settings;
    settings["draws"] = options.draws;
    settings["seed"] = options.seed;
    settings["parameter_uncertainty"] =
        !options.fixed_parameters &&
        (!model.models.purchase.summary.log_parameter_covariance.empty() ||
         !model.models.spend.summary.log_parameter_covariance.empty());
    settings["interval"] = "5% and 95% quantiles of the simulated totals (90% prediction interval)";
    metadata["forecast"] = settings;
  }
  std::string text;
  if (options.format == "json") {
    nlohmann::ordered_json out;
    out["metadata"] = metadata;
    nlohmann::ordered_json body = summary_json(summary, forecast ? &*forecast : nullptr);
    out["segments"] = std::move(body["segments"]);
    if (forecast) out["forecast_total"] = std::move(body["forecast_total"]);
    out["cross_tables"] = std::move(body["cross_tables"]);
    text = out.dump(2) + "\n";
  } else {
    text = summary_text(summary, segmented, forecast ? &*forecast : nullptr);
  }
  progress.finish();  // before the table, which may go to the terminal
  write_file_atomically(options.out, text);
}

}  // namespace

void setup_segments(CLI::App& app) {
  auto options = std::make_shared<SegmentsOptions>();
  CLI::App* command = app.add_subcommand(
      "segments",
      "Segment table: customers, R/F/M means, revenue, expected purchases, CLV and "
      "value at risk per segment, with the R×F, F×M and R×M cross tables");
  add_input_options(*command, options->input);
  add_segment_options(*command, options->segments);
  command->add_flag("--no-model", options->no_model, "Skip the BG/NBD and Gamma-Gamma columns")
      ->group("Model");
  add_value_options(*command, options->value, /*with_time_unit=*/true);
  command
      ->add_flag("--forecast", options->forecast,
                 "Add per-segment purchases and revenue over the horizon with 90% prediction "
                 "intervals, from simulated customer futures")
      ->group("Forecast");
  command
      ->add_flag("--fixed-parameters", options->fixed_parameters,
                 "Hold the fitted parameters fixed in --forecast (by default each simulated "
                 "future draws its own from their estimated uncertainty)")
      ->group("Forecast");
  command->add_option("--draws", options->draws, "Simulated futures for --forecast")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000))
      ->group("Forecast");
  command->add_option("--seed", options->seed, "Random seed for --forecast")
      ->capture_default_str()
      ->group("Forecast");
  add_threads_option(*command, options->threads,
                     "reading the log, the fits, the predictions and --forecast", "Forecast");
  command->add_option("--format", options->format, "table (for people) or json (for machines)")
      ->capture_default_str()
      ->group("Output");
  command->add_option("-o,--output", options->out, "Output file ('-' = stdout)")
      ->capture_default_str()
      ->group("Output");
  add_quiet_flag(*command, options->quiet);
  command->callback([options] { run_segments(*options); });
}

}  // namespace clvkit::cli
