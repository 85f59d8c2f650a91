#include "clvkit/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/util/format.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit {
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

void report_stage(const AnalysisOptions& options, std::string_view stage, std::size_t customers) {
  if (options.stage_done) options.stage_done(stage, customers);
}

IngestOptions ingest_options(const AnalysisOptions& options) {
  IngestOptions ingest = options.input;
  ingest.threads = resolve_thread_count(options.threads);
  return ingest;
}

// Every stage after ingest; `plan` was made before the log was read.
CustomerAnalysis analyze_read(CustomerBase base, const IngestOptions& ingest,
                              const SegmentPlan& plan, const AnalysisOptions& options) {
  CustomerAnalysis out;
  out.threads = ingest.threads;
  out.value = options.model.value;
  out.segmented = segment_base(std::move(base), ingest, plan, out.threads);
  report_stage(options, "segment", out.size());
  const auto check_dropout = [&out] {
    out.dropout = check_dropout_identification(out.models->purchase, out.customers(),
                                               out.predictions, out.models->time_unit);
  };
  if (options.given_models) {
    check_model_fits_log(options.given_models->purchase.model->key(), ingest);
    ModelRun run =
        predict_with(out.segmented, *options.given_models, options.model.value, out.threads);
    out.models = std::move(run.models);
    out.predictions = std::move(run.predictions);
    check_dropout();
    report_stage(options, "predict", out.size());
  } else if (options.fit_models) {
    check_model_fits_log(options.model.choice.purchase, ingest);
    ModelOptions model = options.model;
    model.fit.threads = out.threads;
    FittedModels fitted =
        fit_customer_models(out.segmented.base.customers, model.time_unit, model.fit, model.choice);
    report_stage(options, "fit", out.size());
    check_fits_converged(fitted, model.allow_unconverged);
    ModelRun run = predict_with(out.segmented, fitted, options.model.value, out.threads);
    out.models = std::move(run.models);
    out.predictions = std::move(run.predictions);
    check_dropout();
    report_stage(options, "predict", out.size());
  }
  if (options.next_purchase) {
    out.upgrade = next_purchases(out, *options.next_purchase);
    report_stage(options, "upgrade", out.size());
  }
  return out;
}

}  // namespace

SegmentPlan plan_segments(const SegmentationOptions& options) {
  return plan_segments(load_segment_scheme(options.scheme), options);
}

SegmentPlan plan_segments(SegmentScheme scheme, const SegmentationOptions& options) {
  SegmentPlan plan{std::move(scheme), {}};
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

SegmentedBase segment_base(CustomerBase base, const IngestOptions& ingest, const SegmentPlan& plan,
                           int threads) {
  threads = resolve_thread_count(threads);
  SegmentedBase out;
  out.base = std::move(base);
  out.ingest = ingest;
  out.scheme.emplace(plan.scheme);
  out.spec = plan.spec;
  out.scores = score_customers(out.base.customers, plan.spec, plan.scheme.bins(), threads);
  out.segment = segments_of(out.scores, plan.scheme, threads);
  return out;
}

void check_fits_converged(const FittedModels& models, bool allow) {
  if (allow) return;
  for (const FitSummary* fit : {&models.purchase.summary, &models.spend.summary}) {
    if (fit->model.empty() || fit->converged()) continue;  // empty: a saved model, not refitted
    throw ModelError("the " + fit->model + " fit did not converge (" + fit->message +
                     "), so its predictions cannot be trusted; check the data (the identification "
                     "warning and `clvkit compare` help), try another --model, or pass "
                     "--allow-unconverged to predict anyway (the metadata then says converged: "
                     "false)");
  }
}

ModelRun fit_and_predict(const SegmentedBase& segmented, const ModelOptions& options, int threads) {
  FitOptions fit = options.fit;
  fit.threads = resolve_thread_count(threads);
  const FittedModels models =
      fit_customer_models(segmented.base.customers, options.time_unit, fit, options.choice);
  check_fits_converged(models, options.allow_unconverged);
  return predict_with(segmented, models, options.value, fit.threads);
}

ModelRun predict_with(const SegmentedBase& segmented, const FittedModels& models,
                      const ValueOptions& value, int threads) {
  ModelRun run;
  run.models = models;
  run.predictions =
      predict_customer_value(segmented.base.customers, models.time_unit, *models.purchase.model,
                             *models.spend.model, value, resolve_thread_count(threads));
  return run;
}

namespace {

// Every analyze() that reads: `read(ingest)` gives the base, then the stages run on it. The plan
// is made first: a typo in the scheme should not cost a pass over a large log.
template <class Read>
CustomerAnalysis read_and_analyze(const AnalysisOptions& options, const Read& read) {
  const SegmentPlan plan = plan_segments(options.segmentation);
  if (options.next_purchase) {
    plan.scheme.check_value_order(kNextPurchaseFeature);
  }
  const IngestOptions ingest = ingest_options(options);
  CustomerBase base = read(ingest);
  report_stage(options, "ingest", base.customers.size());
  return analyze_read(std::move(base), ingest, plan, options);
}

}  // namespace

CustomerAnalysis analyze(const std::string& path, const AnalysisOptions& options) {
  return read_and_analyze(
      options, [&](const IngestOptions& ingest) { return ingest_transactions_file(path, ingest); });
}

CustomerAnalysis analyze(std::istream& in, const std::string& source,
                         const AnalysisOptions& options) {
  return read_and_analyze(options, [&](const IngestOptions& ingest) {
    return ingest_transactions(in, source, ingest);
  });
}

CustomerAnalysis analyze(std::span<const Transaction> rows, const AnalysisOptions& options,
                         const std::string& source) {
  return read_and_analyze(options, [&](const IngestOptions& ingest) {
    return ingest_transactions(rows, source, ingest);
  });
}

CustomerAnalysis analyze(const DatabaseSource& source, const AnalysisOptions& options) {
  return read_and_analyze(
      options, [&](const IngestOptions& ingest) { return ingest_database(source, ingest); });
}

CustomerAnalysis analyze(CustomerBase base, const AnalysisOptions& options) {
  const SegmentPlan plan = plan_segments(options.segmentation);
  return analyze_read(std::move(base), ingest_options(options), plan, options);
}

CustomerAnalysis analyze(CustomerBase base, const SegmentPlan& plan,
                         const AnalysisOptions& options) {
  return analyze_read(std::move(base), ingest_options(options), plan, options);
}

SegmentSummary summarize_segments(const CustomerAnalysis& analysis) {
  const SegmentedBase& s = analysis.segmented;
  return summarize_segments(s.base.customers, s.scores, s.segment, *s.scheme, analysis.predictions,
                            analysis.upgrade ? &analysis.upgrade->customers : nullptr);
}

bool forecast_draws_parameters(const CustomerAnalysis& analysis,
                               const SegmentForecastOptions& options) noexcept {
  return analysis.models && !options.fixed_parameters &&
         (!analysis.models->purchase.summary.log_parameter_covariance.empty() ||
          !analysis.models->spend.summary.log_parameter_covariance.empty());
}

ForecastResult forecast_segments(const CustomerAnalysis& analysis,
                                 const SegmentForecastOptions& options) {
  if (!analysis.models) throw UsageError("a per-segment forecast needs the models");
  if (analysis.value.lifetime) {
    throw UsageError(
        "a per-segment forecast simulates purchases over a finite horizon: give "
        "--horizon as a length (e.g. 12m), not 'lifetime'");
  }
  const FittedModels& models = *analysis.models;
  const SegmentedBase& segmented = analysis.segmented;
  const double days = unit_days(models.time_unit);
  std::vector<ForecastCustomer> customers;
  customers.reserve(segmented.base.customers.size());
  for (std::size_t i = 0; i < segmented.base.customers.size(); ++i) {
    const CustomerSummary& c = segmented.base.customers[i];
    customers.push_back({static_cast<double>(c.frequency), c.recency / days, c.T / days,
                         c.monetary > 0.0 ? c.monetary : 0.0, segmented.segment[i]});
  }
  ForecastOptions forecast;
  forecast.horizon = analysis.value.horizon_days / days;
  forecast.draws = options.draws;
  forecast.seed = options.seed;
  forecast.threads = analysis.threads;
  forecast.margin = analysis.value.margin;
  forecast.progress = options.progress;
  if (!options.fixed_parameters) {
    // Empty when a fit has no standard errors: those parameters are then held fixed.
    forecast.purchase_log_covariance = models.purchase.summary.log_parameter_covariance;
    forecast.spend_log_covariance = models.spend.summary.log_parameter_covariance;
  }
  return forecast_groups(customers, static_cast<int>(segmented.scheme->segments().size()),
                         *models.purchase.model, *models.spend.model, forecast);
}

namespace {

// The log read once split at the calibration end, and its calibration customers segmented;
// `names` receives the segment names.
// The split read by `read(ingest, calibration_end)` (a file or a database), segmented.
template <class Read>
HoldoutAnalysis read_split(const Read& read, const HoldoutOptions& options,
                           std::vector<std::string>& names) {
  IngestOptions ingest = options.input;
  ingest.threads = resolve_thread_count(options.threads);
  if (ingest.as_of && *ingest.as_of <= options.calibration_end) {
    throw UsageError("--calibration-end " + format_day(options.calibration_end) +
                     " must be before --holdout-end " + format_day(*ingest.as_of));
  }
  const SegmentPlan plan = plan_segments(options.segmentation);
  HoldoutAnalysis out;
  out.data = read(ingest, options.calibration_end);
  if (options.stage_done) options.stage_done("ingest", out.data.calibration.customers.size());
  ingest.as_of = out.data.holdout_end;
  // A copy: `data` stays whole for the validation; the segments need their own base.
  out.calibration = segment_base(out.data.calibration, ingest, plan, ingest.threads);
  names.clear();
  for (const Segment& segment : out.calibration.scheme->segments()) names.push_back(segment.name);
  return out;
}

}  // namespace

void check_model_fits_log(std::string_view key, const IngestOptions& ingest) {
  const PurchaseModelFamily& family = purchase_model_family(key);
  if (family.discrete && !ingest.period) {
    throw UsageError(std::string(family.label) +
                     " is a model of discrete opportunities: read the log by periods with "
                     "--period week|month|quarter|year (a purchase in a period is a transaction "
                     "at that opportunity), or fit a summary table of opportunities (--summary)");
  }
}

namespace {

// The split of a log file, of a database's rows or of rows in memory.
auto split_reader(const std::string& path) {
  return [&path](const IngestOptions& ingest, Day calibration_end) {
    return ingest_calibration_holdout(path, ingest, calibration_end);
  };
}
auto split_reader(const DatabaseSource& source) {
  return [&source](const IngestOptions& ingest, Day calibration_end) {
    return ingest_database_calibration_holdout(source, ingest, calibration_end);
  };
}
auto split_reader(std::span<const Transaction> rows, const std::string& source) {
  return [rows, &source](const IngestOptions& ingest, Day calibration_end) {
    return ingest_calibration_holdout(rows, source, ingest, calibration_end);
  };
}

template <class Read>
HoldoutAnalysis validate_split(const Read& read, const HoldoutOptions& options) {
  check_model_fits_log(options.validation.models.purchase, options.input);
  std::vector<std::string> names;
  HoldoutAnalysis out = read_split(read, options, names);
  ValidationOptions validation = options.validation;
  validation.fit.threads = resolve_thread_count(options.threads);
  out.result = validate_models(out.data, out.calibration.segment, names, validation);
  return out;
}

}  // namespace

HoldoutAnalysis validate_holdout(const std::string& path, const HoldoutOptions& options) {
  return validate_split(split_reader(path), options);
}

HoldoutAnalysis validate_holdout(const DatabaseSource& source, const HoldoutOptions& options) {
  return validate_split(split_reader(source), options);
}

HoldoutAnalysis validate_holdout(std::span<const Transaction> rows, const HoldoutOptions& options,
                                 const std::string& source) {
  return validate_split(split_reader(rows, source), options);
}

HoldoutOptions holdout_options(const CustomerAnalysis& analysis,
                               const SegmentationOptions& segmentation, Day calibration_end) {
  if (!analysis.models) throw UsageError("a holdout validation needs the models: fit them first");
  HoldoutOptions holdout;
  holdout.input = analysis.segmented.ingest;
  holdout.calibration_end = calibration_end;
  holdout.segmentation = segmentation;
  holdout.validation.time_unit = analysis.models->time_unit;
  holdout.validation.models.purchase = std::string(analysis.models->purchase.model->key());
  if (analysis.models->spend.model) {
    holdout.validation.models.spend = std::string(analysis.models->spend.model->key());
  }
  holdout.threads = analysis.threads;
  return holdout;
}

namespace {

std::int64_t likely_lost(const CalibrationHoldout& data, const FittedModels& models) {
  const double days = unit_days(models.time_unit);
  std::int64_t lost = 0;
  for (const CustomerSummary& c : data.calibration.customers) {
    const PurchaseHistory history{static_cast<double>(c.frequency), c.recency / days, c.T / days};
    lost += models.purchase.model->p_alive(history) < 0.5 ? 1 : 0;
  }
  return lost;
}

// Per-customer RMSEs closer than this (relative) do not separate two models; the holdout total
// decides between them.
constexpr double kRmseTie = 0.01;

// The usable model with the lowest per-customer RMSE of holdout purchases, or among those within
// 1% of it the one with the smallest holdout total error, and the sentence saying so.
void recommend(ModelComparisonResult& out) {
  std::vector<std::size_t> usable;
  for (std::size_t i = 0; i < out.models.size(); ++i) {
    const ModelComparison& m = out.models[i];
    if (m.fitted && m.result.models.purchase.summary.is_usable()) usable.push_back(i);
  }
  if (usable.empty()) {
    throw ModelError("compare: no purchase model could be fitted with usable estimates");
  }
  const auto rmse = [&out](std::size_t i) { return out.models[i].result.purchase_errors.rmse; };
  const auto total_error = [&out](std::size_t i) {
    return std::abs(out.models[i].result.purchases_error_pct);
  };
  const std::size_t lowest =
      *std::min_element(usable.begin(), usable.end(),
                        [&](std::size_t a, std::size_t b) { return rmse(a) < rmse(b); });
  std::vector<std::size_t> tied;
  for (const std::size_t i : usable) {
    if (rmse(i) <= (1.0 + kRmseTie) * rmse(lowest)) tied.push_back(i);
  }
  out.recommended = *std::min_element(tied.begin(), tied.end(), [&](std::size_t a, std::size_t b) {
    return total_error(a) < total_error(b);
  });
  out.ground = recommendation_ground(out.models, out.recommended, english());
}

}  // namespace

std::string recommendation_ground(const std::vector<ModelComparison>& models,
                                  std::size_t recommended, const Language& language) {
  // The same tallies as recommend(): the usable fits, and those within 1% of the lowest RMSE.
  std::vector<std::size_t> usable;
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (models[i].fitted && models[i].result.models.purchase.summary.is_usable()) {
      usable.push_back(i);
    }
  }
  if (usable.empty() || recommended >= models.size()) return {};
  const auto rmse = [&models](std::size_t i) { return models[i].result.purchase_errors.rmse; };
  double lowest = rmse(usable.front());
  for (const std::size_t i : usable) lowest = std::min(lowest, rmse(i));
  std::size_t tied = 0;
  for (const std::size_t i : usable) tied += rmse(i) <= (1.0 + kRmseTie) * lowest ? 1 : 0;
  const std::string& best = models[recommended].label;
  const NumberFormat& marks = language.numbers();
  if (usable.size() == 1) return language.format("compare.ground.only", {{"model", best}});
  if (tied == 1) {
    return language.format("compare.ground.lowest_rmse",
                           {{"model", best}, {"rmse", format_significant(lowest, 4, marks)}});
  }
  return language.format(
      "compare.ground.tie",
      {{"model", best},
       {"rmse", format_significant(lowest, 4, marks)},
       {"error",
        format_significant(std::abs(models[recommended].result.purchases_error_pct), 3, marks)}});
}

namespace {

template <class Read>
ModelComparisonResult compare_split(const Read& read, const HoldoutOptions& options) {
  ModelComparisonResult out;
  std::vector<std::string> names;
  out.split = read_split(read, options, names);
  ValidationOptions split = options.validation;
  split.fit.threads = resolve_thread_count(options.threads);
  for (const PurchaseModelFamily& family : purchase_model_families()) {
    if (family.discrete && !options.input.period) continue;  // applies to opportunities only
    ModelComparison line;
    line.key = std::string(family.key);
    line.label = std::string(family.label);
    ValidationOptions validation = split;
    validation.models.purchase = line.key;
    try {
      line.result =
          validate_models(out.split.data, out.split.calibration.segment, names, validation);
      line.likely_lost = likely_lost(out.split.data, line.result.models);
      line.fitted = true;
    } catch (const ModelError& e) {
      line.error = e.what();
    }
    out.models.push_back(std::move(line));
  }
  recommend(out);
  return out;
}

}  // namespace

ModelComparisonResult compare_models(const std::string& path, const HoldoutOptions& options) {
  return compare_split(split_reader(path), options);
}

ModelComparisonResult compare_models(const DatabaseSource& source, const HoldoutOptions& options) {
  return compare_split(split_reader(source), options);
}

ModelComparisonResult compare_models(std::span<const Transaction> rows,
                                     const HoldoutOptions& options, const std::string& source) {
  return compare_split(split_reader(rows, source), options);
}

}  // namespace clvkit
