#include "pipeline.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit::cli {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

StageTimer::StageTimer() : start_(now_seconds()), last_(start_) {}

void StageTimer::lap(const char* stage) {
  const double t = now_seconds();
  stages_.emplace_back(stage, t - last_);
  last_ = t;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  peak_rss_mb_.push_back(static_cast<double>(usage.ru_maxrss) / 1024.0);  // Linux: KiB
}

std::string StageTimer::json() const {
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const auto& [name, seconds] : stages_) stages[name] = seconds;
  nlohmann::ordered_json out;
  out["stage_seconds"] = stages;
  out["total_seconds"] = last_ - start_;
  nlohmann::ordered_json rss = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < stages_.size(); ++i) rss[stages_[i].first] = peak_rss_mb_[i];
  out["peak_rss_mb"] = rss;
  return out.dump();
}

void add_segment_options(CLI::App& command, SegmentOptions& options) {
  command
      .add_option("--segments", options.scheme,
                  "Segment scheme: a name in models/segments (rfm11, rfm8, ...) or a JSON path")
      ->capture_default_str()
      ->group("Segments");
  command
      .add_option("--bins", options.bins,
                  "Scores per dimension (default: the scheme's, 5 for rfm11 and rfm8)")
      ->group("Segments");
  command
      .add_option("--monetary", options.monetary,
                  "M score from total spend (total) or mean spend per purchase day (average) "
                  "(default: the scheme's, total)")
      ->group("Segments");
}

SegmentedBase read_and_segment(const InputOptions& input, const SegmentOptions& options,
                               StageTimer* timer) {
  // Plan first: a typo in --segments should not cost a pass over a large log.
  const SegmentPlan plan = plan_segments(options);
  IngestOptions ingest;
  CustomerBase base = read_customer_base(input, &ingest);
  if (timer != nullptr) timer->lap("ingest");
  SegmentedBase out = segment_base(std::move(base), ingest, plan);
  if (timer != nullptr) timer->lap("segment");
  return out;
}

SegmentPlan plan_segments(const SegmentOptions& options) {
  SegmentPlan plan{load_segment_scheme(options.scheme), {}};
  plan.spec = plan.scheme.scoring();
  if (options.monetary == "total") {
    plan.spec.monetary_basis = MonetaryBasis::total;
  } else if (options.monetary == "average") {
    plan.spec.monetary_basis = MonetaryBasis::average;
  } else if (!options.monetary.empty()) {
    throw UsageError("--monetary: expected total or average, got '" + options.monetary + "'");
  }
  if (options.bins != 0 && options.bins != plan.scheme.bins()) {
    throw UsageError("segment scheme '" + plan.scheme.name() + "' is defined for " +
                     std::to_string(plan.scheme.bins()) + " bins, but --bins " +
                     std::to_string(options.bins) + " was requested");
  }
  return plan;
}

namespace {

// The segment of every score, in blocks on up to `threads` threads. Fresh memory: its pages are
// faulted in on every thread before resize writes them.
std::vector<int> segments_of(const std::vector<RfmScore>& scores, const SegmentScheme& scheme,
                             int threads) {
  constexpr std::size_t kBlock = 1 << 16;
  const std::size_t n = scores.size();
  std::vector<int> segment;
  segment.reserve(n);
  populate_pages(segment.data(), n * sizeof(int), threads);
  segment.resize(n);
  parallel_for(threads, (n + kBlock - 1) / kBlock, [&](std::size_t block) {
    for (std::size_t i = block * kBlock; i < std::min(n, (block + 1) * kBlock); ++i) {
      segment[i] = scheme.segment_of(scores[i]);
    }
  });
  return segment;
}

}  // namespace

SegmentedBase segment_base(CustomerBase base, const IngestOptions& ingest,
                           const SegmentPlan& plan) {
  SegmentedBase out;
  out.base = std::move(base);
  out.ingest = ingest;
  out.scheme.emplace(plan.scheme);
  out.spec = plan.spec;
  out.scores = score_customers(out.base.customers, plan.spec, plan.scheme.bins(), ingest.threads);
  out.segment = segments_of(out.scores, plan.scheme, ingest.threads);
  return out;
}

ModelRun fit_and_predict(const SegmentedBase& segmented, TimeUnit unit, const ValueOptions& value,
                         nlohmann::ordered_json& metadata, StageTimer* timer, int threads) {
  ModelRun run;
  FitOptions fit;
  fit.threads = threads;
  run.models = fit_customer_models(segmented.base.customers, unit, fit);
  if (timer != nullptr) timer->lap("fit");
  run.predictions =
      predict_customer_value(segmented.base.customers, unit, *run.models.purchase.model,
                             *run.models.spend.model, value, threads);
  if (timer != nullptr) timer->lap("predict");
  metadata["models"] = models_metadata(run.models);
  metadata["value"] = value_metadata(value);
  return run;
}

ForecastResult forecast_segments(const SegmentedBase& segmented, const FittedModels& models,
                                 const ValueOptions& value, const SegmentForecastOptions& options) {
  const double days = unit_days(models.time_unit);
  std::vector<ForecastCustomer> customers;
  customers.reserve(segmented.base.customers.size());
  for (std::size_t i = 0; i < segmented.base.customers.size(); ++i) {
    const CustomerSummary& c = segmented.base.customers[i];
    customers.push_back({static_cast<double>(c.frequency), c.recency / days, c.T / days,
                         c.monetary > 0.0 ? c.monetary : 0.0, segmented.segment[i]});
  }
  ForecastOptions forecast;
  forecast.horizon = value.horizon_days / days;
  forecast.draws = options.draws;
  forecast.seed = options.seed;
  forecast.threads = options.threads;
  forecast.margin = value.margin;
  forecast.progress = options.progress;
  if (!options.fixed_parameters) {
    // Empty when a fit has no standard errors: those parameters are then held fixed.
    forecast.purchase_log_covariance = models.purchase.summary.log_parameter_covariance;
    forecast.spend_log_covariance = models.spend.summary.log_parameter_covariance;
  }
  return forecast_groups(customers, static_cast<int>(segmented.scheme->segments().size()),
                         *models.purchase.model, *models.spend.model, forecast);
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
  out["source"] = scheme.source();
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

RecordSource record_source(const SegmentedBase& segmented,
                           const std::vector<CustomerPrediction>& predictions) {
  return [&segmented, &predictions](std::size_t i) {
    CustomerRecord record;
    record.summary = &segmented.base.customers[i];
    record.r_score = segmented.scores[i].r;
    record.f_score = segmented.scores[i].f;
    record.m_score = segmented.scores[i].m;
    record.segment =
        &segmented.scheme->segments()[static_cast<std::size_t>(segmented.segment[i])].name;
    record.prediction = predictions.empty() ? nullptr : &predictions[i];
    return record;
  };
}

void write_records_with_metadata(const std::string& out_path, RecordFormat format,
                                 std::size_t record_count, const RecordSource& records,
                                 const nlohmann::ordered_json& metadata, int threads) {
  OutputFile out(out_path);
  write_customer_records(out, format, record_count, records, metadata, threads);
  if (format != RecordFormat::json) {
    if (out_path == "-") {
      std::fprintf(stderr, "%s\n", metadata.dump().c_str());
    } else {
      write_file_atomically(out_path + ".meta.json", metadata.dump(2) + "\n");
    }
  }
  out.commit();
}

}  // namespace clvkit::cli
