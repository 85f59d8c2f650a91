// clvkit segments: the segment table (size, R/F/M means, revenue, and model aggregates) and the
// R×F, F×M, R×M cross tables, as a terminal table or JSON.

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>

#include "clvkit/analysis.hpp"
#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/output/customer_records.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/output/segments_json.hpp"
#include "commands.hpp"
#include "common_options.hpp"
#include "progress.hpp"
#include "text_table.hpp"

namespace clvkit::cli {
namespace {

struct SegmentsOptions {
  InputOptions input;
  SegmentationOptions segments;
  ValueCliOptions value;
  UpgradeCliOptions upgrade;
  std::string format = "table";
  std::string out = "-";
  bool no_model = false;
  bool forecast = false;
  bool fixed_parameters = false;
  int draws = 2000;
  bool quiet = false;
  std::uint64_t seed = 1;
  int threads = 0;  ///< 0 = one per hardware thread
  std::string language = "en";
};

// English terminal tables keep plain counts (scripts parse them); other languages group digits.
std::string count_text(std::int64_t count, const Language& language) {
  return language.code() == "en" ? std::to_string(count) : language.count(count);
}

std::string cross_table_text(const std::vector<std::int64_t>& cells, int bins, char rows,
                             char columns, const Language& language) {
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header{std::string(1, rows) + "\\" + columns};
  for (int j = 1; j <= bins; ++j) header.push_back(std::to_string(j));
  table.push_back(header);
  for (int i = bins; i >= 1; --i) {
    std::vector<std::string> row{std::to_string(i)};
    for (int j = 1; j <= bins; ++j) {
      row.push_back(count_text(cells[static_cast<std::size_t>((i - 1) * bins + j - 1)], language));
    }
    table.push_back(row);
  }
  return render_table(table);
}

std::string interval_text(const Interval& interval, int decimals, const Language& language) {
  // A list separator that is not the decimal mark: "12.5 [10.1, 14.9]", "12,5 [10,1; 14,9]".
  const char* separator = language.numbers().decimal == "," ? "; " : ", ";
  return format_fixed(interval.mean, decimals, language) + " [" +
         format_fixed(interval.low, decimals, language) + separator +
         format_fixed(interval.high, decimals, language) + "]";
}

std::string summary_text(const SegmentSummary& summary, const SegmentedBase& segmented,
                         const ForecastResult* forecast, const Language& language) {
  const auto& tr = [&language](std::string_view key) -> const std::string& {
    return language.text(key);
  };
  const SegmentLabels labels = shown_segments(*segmented.scheme, language);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (const char* key :
       {"table.segment", "table.customers", "table.share", "table.days_since_last",
        "table.purchase_days", "table.spend", "table.revenue", "table.revenue_share"}) {
    header.push_back(tr(key));
  }
  if (summary.has_predictions) {
    for (const char* key :
         {"table.expected_purchases", "table.mean_p_alive", "table.clv", "table.value_at_risk"}) {
      header.push_back(tr(key));
    }
  }
  if (summary.has_upgrade) {
    header.push_back(tr("table.one_purchase_to_better"));
    header.push_back(language.format(
        "table.one_purchase_to_top",
        {{"segment", labels.names[static_cast<std::size_t>(summary.top_segment)]}}));
    if (summary.has_predictions) {
      header.push_back(tr("table.upgrade_value_one_purchase"));
      header.push_back(tr("table.upgrade_value"));
    }
  }
  if (forecast != nullptr) {
    header.push_back(tr("table.purchases_interval"));
    header.push_back(tr("table.revenue_interval"));
  }
  rows.push_back(header);
  for (std::size_t k = 0; k < summary.segments.size(); ++k) {
    const SegmentStats& s = summary.segments[k];
    std::vector<std::string> row{labels.names[k],
                                 count_text(s.customers, language),
                                 format_share(s.share, 1, language),
                                 format_fixed(s.mean_days_since_last, 0, language),
                                 format_fixed(s.mean_purchase_days, 2, language),
                                 format_fixed(s.mean_total_spend, 2, language),
                                 format_fixed(s.revenue, 2, language),
                                 format_share(s.revenue_share, 1, language)};
    if (summary.has_predictions) {
      row.push_back(format_fixed(s.expected_purchases, 1, language));
      row.push_back(format_fixed(s.mean_p_alive, 3, language));
      row.push_back(format_fixed(s.clv, 2, language));
      row.push_back(format_fixed(s.value_at_risk, 2, language));
    }
    if (summary.has_upgrade) {
      row.push_back(count_text(s.one_purchase_to_better, language));
      row.push_back(count_text(s.one_purchase_to_top, language));
      if (summary.has_predictions) {
        row.push_back(format_fixed(s.upgrade_value_one_purchase, 2, language));
        row.push_back(format_fixed(s.upgrade_value, 2, language));
      }
    }
    if (forecast != nullptr) {
      const GroupForecast& f = forecast->groups[rows.size() - 1];
      row.push_back(interval_text(f.purchases, 1, language));
      row.push_back(interval_text(f.revenue, 0, language));
    }
    rows.push_back(row);
  }
  const auto customers = static_cast<std::int64_t>(segmented.base.customers.size());
  std::ostringstream out;
  out << language.format("segments.heading", {{"customers", count_text(customers, language)},
                                              {"scheme", segmented.scheme->name()},
                                              {"as_of", language.date(segmented.base.as_of)}})
      << "\n\n"
      << render_table(rows);
  if (forecast != nullptr) {
    out << "\n"
        << language.format("segments.forecast_total",
                           {{"purchases", interval_text(forecast->total.purchases, 1, language)},
                            {"revenue", interval_text(forecast->total.revenue, 0, language)}})
        << "\n";
  }
  out << "\n"
      << tr("segments.cross.rf") << "\n"
      << cross_table_text(summary.r_by_f, summary.bins, 'R', 'F', language) << "\n"
      << tr("segments.cross.fm") << "\n"
      << cross_table_text(summary.f_by_m, summary.bins, 'F', 'M', language) << "\n"
      << tr("segments.cross.rm") << "\n"
      << cross_table_text(summary.r_by_m, summary.bins, 'R', 'M', language);
  return out.str();
}

void run_segments(const SegmentsOptions& options) {
  if (options.forecast && options.no_model) {
    throw UsageError("--forecast needs the model: drop --no-model");
  }
  check_document_format(options.format);
  const Language language = Language::load(options.language);
  ProgressLine progress = ProgressLine::for_terminal(stderr, options.quiet, "clvkit segments");
  InputOptions input = options.input;
  report_reading(input, progress);
  AnalysisOptions analysis =
      analysis_options(input, options.segments, options.value, options.threads);
  analysis.fit_models = !options.no_model;
  analysis.next_purchase = options.upgrade.to_options();
  analysis.stage_done = [&](std::string_view stage, std::size_t customers) {
    if (stage == "segment" && analysis.fit_models) {
      progress.stage("fitting and predicting " + format_count(static_cast<double>(customers)) +
                     " customers");
    }
  };
  const CustomerAnalysis result = analyze_input(input, analysis);
  nlohmann::ordered_json metadata = analysis_metadata(result, "segments");
  const SegmentSummary summary = summarize_segments(result);
  std::optional<ForecastResult> forecast;
  if (options.forecast) {
    const SegmentForecastOptions settings{
        options.draws, options.seed, options.fixed_parameters,
        forecast_progress(progress, result.size(), options.draws)};
    forecast = forecast_segments(result, settings);
    nlohmann::ordered_json described;
    described["draws"] = options.draws;
    described["seed"] = options.seed;
    described["parameter_uncertainty"] = forecast_draws_parameters(result, settings);
    described["interval"] =
        "5% and 95% quantiles of the simulated totals (90% prediction interval)";
    metadata["forecast"] = described;
  }
  const ForecastResult* forecasted = forecast ? &*forecast : nullptr;
  const std::string text = options.format == "json"
                               ? segments_json(metadata, summary, forecasted).dump(2) + "\n"
                               : summary_text(summary, result.segmented, forecasted, language);
  progress.finish();  // before the table, which may go to the terminal
  if (result.dropout) print_dropout_warning(*result.dropout, language);
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
  add_upgrade_options(
      *command, options->upgrade,
      "Add per segment the customers one purchase from a better segment of the scheme's "
      "value_order and from its top segment, and with a model their upgrade value (the CLV "
      "gained if each makes that purchase) and the segment's in all (see run --upgrade)");
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
      ->check(check_seed_text)
      ->capture_default_str()
      ->group("Forecast");
  add_threads_option(*command, options->threads,
                     "reading the log, the fits, the predictions and --forecast", "Forecast");
  add_document_output_options(*command, options->format, options->out);
  add_language_option(*command, options->language);
  add_quiet_flag(*command, options->quiet);
  command->callback([options] { run_segments(*options); });
}

}  // namespace clvkit::cli
