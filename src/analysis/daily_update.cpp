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
std::vector<Placement> placements_of(const CustomerAnalysis& analysis,
                                     const std::vector<std::uint32_t>& base_index) {
  std::vector<Placement> out(base_index.size());
  for (std::size_t r = 0; r < base_index.size(); ++r) {
    const std::uint32_t i = base_index[r];
    if (i == kNoHistory) continue;
    out[r].score = analysis.scores()[i];
    out[r].segment = static_cast<std::int16_t>(analysis.segmented.segment[i]);
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

// The customers of `all` marked in `keep`, with their scores, segments and predictions.
CustomerAnalysis select_customers(CustomerAnalysis all, const std::vector<std::uint8_t>& keep) {
  CustomerAnalysis out;
  out.models = std::move(all.models);
  out.dropout = std::move(all.dropout);
  out.value = all.value;
  out.threads = all.threads;
  SegmentedBase& from = all.segmented;
  SegmentedBase& to = out.segmented;
  to.ingest = from.ingest;
  to.scheme = std::move(from.scheme);
  to.spec = from.spec;
  to.base.stats = from.base.stats;
  to.base.as_of = from.base.as_of;
  to.base.first_day = from.base.first_day;
  to.base.last_day = from.base.last_day;
  to.base.source = from.base.source;
  to.base.delimiter = from.base.delimiter;
  const bool with_predictions = !all.predictions.empty();
  for (std::size_t i = 0; i < keep.size(); ++i) {
    if (keep[i] == 0) continue;
    to.base.customers.push_back(std::move(from.base.customers[i]));
    to.scores.push_back(from.scores[i]);
    to.segment.push_back(from.segment[i]);
    if (with_predictions) out.predictions.push_back(all.predictions[i]);
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
  state.logs.push_back(AppliedLog{path, digest_file(path), read.base.stats.rows_read,
                                  read.base.as_of});
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
  state.placements = placements_of(out.analysis, base_index);
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

  AnalysisOptions analysis;
  analysis.input = ingest;
  analysis.input.as_of = update.base.as_of;
  analysis.segmentation = state.segmentation;
  analysis.fit_models = state.fit_models;
  analysis.model = state.model;
  if (state.models && !options.refit) analysis.given_models = state.models;
  analysis.threads = threads;
  analysis.stage_done = options.stage_done;
  CustomerAnalysis all = analyze(std::move(update.base), plan, analysis);

  const EarlierPlacement earlier{
      state.histories.as_of,
      [&state](std::uint32_t j) { return static_cast<int>(state.placements[j].segment); },
      [&state](std::uint32_t j) { return state.placements[j].score; }};
  PredictionOf prediction_of;
  if (!all.predictions.empty()) prediction_of = [&all](std::size_t i) { return &all.predictions[i]; };
  out.transition =
      transition_between(earlier, all.segmented, update.previous, prediction_of, options.moves);

  std::vector<std::uint8_t> changed(all.size(), 0);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::uint32_t j = update.previous[i];
    const bool moved = j == kNoHistory || state.placements[j].segment != all.segmented.segment[i];
    changed[i] = update.touched[i] != 0 || moved ? 1 : 0;
    out.customers_with_new_rows += update.touched[i];
    out.changed_customers += changed[i];
  }

  AnalysisState& next = out.state;
  next.input = state.input;
  next.segmentation = state.segmentation;
  next.scheme_text = state.scheme_text;
  next.fit_models = state.fit_models;
  next.model = state.model;
  next.models = all.models;
  next.placements = placements_of(all, update.base_index);
  next.histories = std::move(update.histories);
  next.logs = state.logs;
  next.logs.push_back(AppliedLog{path, digest, out.new_rows.rows_read, next.histories.as_of});
  out.analysis = options.changed_only ? select_customers(std::move(all), changed) : std::move(all);
  return out;
}

}  // namespace clvkit
