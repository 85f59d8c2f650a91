#include "clvkit/analysis/daily_update.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit {
namespace {

// Built-in schemes are found by name; a scheme file is kept as its text, so that later updates
// segment as the analysis did even if the file is edited.
std::string scheme_file_text(const SegmentScheme& scheme) {
  if (scheme.source().rfind("built-in:", 0) == 0) return {};
  std::ifstream file(scheme.source(), std::ios::binary);
  if (!file) throw IoError("cannot read '" + scheme.source() + "': " + std::strerror(errno));
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

SegmentPlan state_plan(const AnalysisState& state) {
  if (state.scheme_text.empty()) return plan_segments(state.segmentation);
  return plan_segments(parse_segment_scheme(state.scheme_text, state.segmentation.scheme),
                       state.segmentation);
}

// The settings an update keeps: no threads, as-of day or callbacks.
IngestOptions kept_input(IngestOptions input) {
  input.threads = 1;
  input.as_of.reset();
  input.block_bytes = 0;
  input.progress = nullptr;
  input.second_pass = nullptr;
  return input;
}

// Where each history's customer stands in `analysis` (base_index[r]: its index there).
std::vector<Placement> placements_of(const SegmentedBase& segmented,
                                     const std::vector<std::uint32_t>& base_index) {
  std::vector<Placement> out(base_index.size());
  for (std::size_t r = 0; r < base_index.size(); ++r) {
    const std::uint32_t i = base_index[r];
    if (i == kNoHistory) continue;
    out[r].score = segmented.scores[i];
    out[r].segment = static_cast<std::int16_t>(segmented.segment[i]);
  }
  return out;
}

void check_segment_count(const SegmentPlan& plan) {
  if (plan.scheme.segments().size() > 32767) {
    throw UsageError("a state keeps segments as 16-bit numbers: scheme '" + plan.scheme.name() +
                     "' has too many segments");
  }
}

// A state's placements must fit its histories and scheme (a state file checks its checksum,
// not that its parts agree).
void check_placements(const AnalysisState& state, const SegmentPlan& plan) {
  const auto segments = static_cast<int>(plan.scheme.segments().size());
  const int bins = plan.scheme.bins();
  const auto in_range = [bins](int score) { return score >= 1 && score <= bins; };
  if (state.placements.size() != state.histories.size()) {
    throw InputError("the state has " + std::to_string(state.placements.size()) +
                     " placements for " + std::to_string(state.histories.size()) + " customers");
  }
  for (const Placement& p : state.placements) {
    if (p.segment == kNotPlaced) continue;
    if (p.segment < 0 || p.segment >= segments || !in_range(p.score.r) || !in_range(p.score.f) ||
        !in_range(p.score.m)) {
      throw InputError("the state places a customer outside scheme '" + plan.scheme.name() +
                       "' (segment " + std::to_string(p.segment) + ")");
    }
  }
}

// The customers of `all` marked in `keep` (`count` of them), with their scores and segments.
SegmentedBase select_customers(const SegmentedBase& all, const std::vector<std::uint8_t>& keep,
                               std::size_t count) {
  SegmentedBase out;
  out.ingest = all.ingest;
  out.scheme = all.scheme;
  out.spec = all.spec;
  out.base.stats = all.base.stats;
  out.base.as_of = all.base.as_of;
  out.base.first_day = all.base.first_day;
  out.base.last_day = all.base.last_day;
  out.base.source = all.base.source;
  out.base.delimiter = all.base.delimiter;
  out.base.customers.reserve(count);
  out.scores.reserve(count);
  out.segment.reserve(count);
  for (std::size_t i = 0; i < keep.size(); ++i) {
    if (keep[i] == 0) continue;
    out.base.customers.push_back(all.base.customers[i]);
    out.scores.push_back(all.scores[i]);
    out.segment.push_back(all.segment[i]);
  }
  return out;
}

void report(const UpdateOptions& options, std::string_view stage, std::size_t customers) {
  if (options.stage_done) options.stage_done(stage, customers);
}

}  // namespace

StatefulAnalysis analyze_keeping_state(const std::string& path, const AnalysisOptions& options) {
  const SegmentPlan plan = plan_segments(options.segmentation);
  check_segment_count(plan);
  StatefulAnalysis out;
  AnalysisState& state = out.state;
  state.scheme_text = scheme_file_text(plan.scheme);
  IngestOptions ingest = options.input;
  ingest.threads = resolve_thread_count(options.threads);
  HistoryIngest read = ingest_histories_file(path, ingest);
  if (options.stage_done) options.stage_done("ingest", read.base.customers.size());
  state.logs.push_back(
      AppliedLog{path, digest_file(path), read.base.stats.rows_read, read.base.as_of});
  out.analysis = analyze(std::move(read.base), plan, options);
  state.input = kept_input(options.input);
  state.segmentation = options.segmentation;
  state.fit_models = options.fit_models && !options.given_models;
  state.model = options.model;
  state.models = out.analysis.models;
  // The histories hold every customer, those without a purchase day too; the analysis the ones
  // with one, in the same order.
  std::vector<std::uint32_t> base_index;
  base_index.reserve(read.histories.size());
  std::uint32_t next = 0;
  read.histories.for_each([&](const CustomerHistory& history) {
    base_index.push_back(history.days.empty() ? kNoHistory : next++);
  });
  state.placements = placements_of(out.analysis.segmented, base_index);
  state.histories = std::move(read.histories);
  return out;
}

DailyUpdate update_analysis(const AnalysisState& state, const std::string& path,
                            const UpdateOptions& options) {
  if (options.refit && !state.models) {
    throw UsageError("--refit: the state has no models (it was made with --no-model)");
  }
  const std::optional<FileDigest> digest = digest_file(path);
  if (digest && !options.allow_reapply) {
    for (std::size_t k = 0; k < state.logs.size(); ++k) {
      const AppliedLog& applied = state.logs[k];
      if (applied.rows_read == 0 || !applied.digest || applied.digest->digest != digest->digest ||
          applied.digest->bytes != digest->bytes) {
        continue;
      }
      throw UsageError("'" + path + "' has the same bytes as '" + applied.source +
                       "', applied already (state as of " + format_day(applied.as_of) +
                       "): its rows would count twice; pass --allow-reapply if that is meant");
    }
  }
  const SegmentPlan plan = state_plan(state);
  check_placements(state, plan);
  if (options.next_purchase) {
    plan.scheme.check_value_order(kNextPurchaseFeature);
  }
  const int threads = resolve_thread_count(options.threads);
  IngestOptions ingest = state.input;
  ingest.threads = threads;
  ingest.as_of = options.as_of;
  HistoryUpdate update = update_histories_file(state.histories, path, ingest);
  report(options, "ingest", update.base.customers.size());

  DailyUpdate out;
  out.previous_as_of = state.histories.as_of;
  out.new_rows = update.new_rows;
  out.late_rows = update.late_rows;
  out.new_customers = update.new_customers;
  out.refitted = options.refit;

  // Every customer is scored (quantile edges depend on all of them); the models are refitted on
  // every customer or taken from the state; the predictions are made for the customers returned.
  IngestOptions used = ingest;
  used.as_of = update.base.as_of;
  SegmentedBase segmented = segment_base(std::move(update.base), used, plan, threads);
  report(options, "segment", segmented.base.customers.size());
  std::optional<FittedModels> models = state.models;
  if (options.refit) {
    check_model_fits_log(state.model.choice.purchase, used);
    FitOptions fit = state.model.fit;
    fit.threads = threads;
    models = fit_customer_models(segmented.base.customers, state.model.time_unit, fit,
                                 state.model.choice);
    report(options, "fit", segmented.base.customers.size());
    check_fits_converged(*models, state.model.allow_unconverged);
  }

  std::vector<std::uint8_t> changed(segmented.base.customers.size(), 0);
  for (std::size_t i = 0; i < changed.size(); ++i) {
    const std::uint32_t j = update.previous[i];
    const bool moved = j == kNoHistory || state.placements[j].segment != segmented.segment[i];
    changed[i] = update.touched[i] != 0 || moved ? 1 : 0;
    out.customers_with_new_rows += update.touched[i];
    out.changed_customers += changed[i];
  }
  std::vector<Placement> placements = placements_of(segmented, update.base_index);

  CustomerAnalysis& analysis = out.analysis;
  analysis.threads = threads;
  analysis.value = state.model.value;
  // Customer i of the full base is analysis's customer position[i].
  std::vector<std::uint32_t> position;
  if (options.changed_only) {
    position.assign(changed.size(), kNoHistory);
    std::uint32_t kept = 0;
    for (std::size_t i = 0; i < changed.size(); ++i) {
      if (changed[i] != 0) position[i] = kept++;
    }
    analysis.segmented = select_customers(segmented, changed, kept);
  }
  const SegmentedBase& every = options.changed_only ? segmented : analysis.segmented;
  if (!options.changed_only) analysis.segmented = std::move(segmented);
  if (models) {
    ModelRun run = predict_with(analysis.segmented, *models, state.model.value, threads);
    analysis.models = std::move(run.models);
    analysis.predictions = std::move(run.predictions);
    // The identification check describes the model on every customer: made for a new fit (the
    // state's models carry theirs), from every customer's P(alive).
    if (!options.changed_only) {
      analysis.dropout =
          check_dropout_identification(analysis.models->purchase, analysis.customers(),
                                       analysis.predictions, analysis.models->time_unit);
    } else if (options.refit) {
      analysis.dropout = check_dropout_identification(
          analysis.models->purchase, every.base.customers, analysis.models->time_unit);
    }
    report(options, "predict", analysis.size());
  }
  if (options.next_purchase) {
    // The edges held are every customer's, as run holds them, also when only the changed
    // customers are returned: each one's next purchase is then what the full records give it
    // (its prediction, the CLV after the purchase, is its own either way).
    const ScoringSpec held =
        held_scoring_spec(every.base.customers, every.scores, every.spec, plan.scheme.bins());
    analysis.upgrade = next_purchases(analysis, held, *options.next_purchase);
    report(options, "upgrade", analysis.size());
  }

  const EarlierPlacement earlier{
      state.histories.as_of,
      [&state](std::uint32_t j) { return static_cast<int>(state.placements[j].segment); },
      [&state](std::uint32_t j) { return state.placements[j].score; }};
  PredictionOf prediction_of;
  if (!analysis.predictions.empty()) {
    prediction_of = [&](std::size_t i) -> const CustomerPrediction* {
      const std::size_t at = options.changed_only ? position[i] : i;
      return at == kNoHistory ? nullptr : &analysis.predictions[at];
    };
  }
  out.transition =
      transition_between(earlier, every, update.previous, prediction_of, options.moves);

  AnalysisState& next = out.state;
  next.input = state.input;
  next.segmentation = state.segmentation;
  next.scheme_text = state.scheme_text;
  next.fit_models = state.fit_models;
  next.model = state.model;
  next.models = analysis.models ? analysis.models : models;
  next.placements = std::move(placements);
  next.histories = std::move(update.histories);
  next.logs = state.logs;
  next.logs.push_back(AppliedLog{path, digest, out.new_rows.rows_read, next.histories.as_of});
  return out;
}

}  // namespace clvkit
