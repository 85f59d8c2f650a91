#include "clvkit/analysis/migration.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit {
namespace {

// Per segment of `scheme`, whether the list of names passes it (an empty list passes every one).
// Throws UsageError naming `what` (the option) for a name the scheme has not.
std::vector<bool> segment_mask(const std::vector<std::string>& names, const SegmentScheme& scheme,
                               const char* what) {
  const std::vector<Segment>& segments = scheme.segments();
  std::vector<bool> mask(segments.size(), names.empty());
  for (const std::string& name : names) {
    const auto found = std::find_if(segments.begin(), segments.end(),
                                    [&](const Segment& segment) { return segment.name == name; });
    if (found == segments.end()) {
      std::string known;
      for (const Segment& segment : segments) known += (known.empty() ? "" : ", ") + segment.name;
      throw UsageError(std::string(what) + ": segment scheme '" + scheme.name() +
                       "' has no segment '" + name + "' (it has: " + known + ")");
    }
    mask[static_cast<std::size_t>(found - segments.begin())] = true;
  }
  return mask;
}

// The first snapshot's quantile boundaries as a plan for every later one.
SegmentPlan held_plan(const CustomerAnalysis& first, const SegmentPlan& plan) {
  SegmentPlan held = plan;
  held.spec = threshold_spec_from_scores(first.customers(), first.scores(), plan.spec,
                                         plan.scheme.bins());
  return held;
}

}  // namespace

std::int64_t Snapshot::total_entries() const noexcept {
  std::int64_t sum = 0;
  for (const std::int64_t n : entries) sum += n;
  return sum;
}

double Snapshot::total_period_revenue() const noexcept {
  std::int64_t millionths = 0;
  for (const double revenue : period_revenue) millionths += std::llround(revenue * 1e6);
  return static_cast<double>(millionths) / 1e6;
}

double Transition::share(int origin, int to) const {
  std::int64_t total = 0;
  for (int s = 0; s < segments; ++s) total += count(origin, s);
  return total == 0 ? 0.0 : static_cast<double>(count(origin, to)) / static_cast<double>(total);
}

std::vector<std::int64_t> Transition::net_flow() const {
  std::vector<std::int64_t> flow(static_cast<std::size_t>(segments), 0);
  for (int origin = 0; origin <= segments; ++origin) {
    for (int s = 0; s < segments; ++s) {
      flow[static_cast<std::size_t>(s)] += count(origin, s);
      if (origin > 0) flow[static_cast<std::size_t>(origin - 1)] -= count(origin, s);
    }
  }
  return flow;
}

std::vector<std::uint32_t> match_customers(const std::vector<CustomerSummary>& earlier,
                                           const std::vector<CustomerSummary>& later) {
  std::vector<std::uint32_t> index(later.size(), kNewCustomer);
  std::size_t next = 0;
  for (std::size_t i = 0; i < later.size(); ++i) {
    if (next < earlier.size() && later[i].id == earlier[next].id) {
      index[i] = static_cast<std::uint32_t>(next++);
    }
  }
  if (next == earlier.size()) return index;  // every earlier customer found in order
  // The orders differ (a later id that is not all digits made the order bytewise).
  std::unordered_map<std::string_view, std::uint32_t> by_id;
  by_id.reserve(earlier.size());
  for (std::size_t j = 0; j < earlier.size(); ++j) {
    by_id.emplace(earlier[j].id, static_cast<std::uint32_t>(j));
  }
  for (std::size_t i = 0; i < later.size(); ++i) {
    const auto found = by_id.find(later[i].id);
    index[i] = found == by_id.end() ? kNewCustomer : found->second;
  }
  return index;
}

Snapshot summarize_snapshot(const CustomerAnalysis& analysis, const CustomerAnalysis* previous,
                            const std::vector<std::uint32_t>& previous_index) {
  Snapshot out;
  out.as_of = analysis.segmented.base.as_of;
  out.summary = summarize_segments(analysis);
  out.customers = static_cast<std::int64_t>(analysis.size());
  out.rows = analysis.rows();
  out.models = analysis.models;
  const std::size_t segments = analysis.segmented.scheme->segments().size();
  out.entries.assign(segments, 0);
  // Summed exactly in millionths, the precision ingest sums amounts in (a total spend is its
  // millionths correctly rounded to a double, so llround gives them back).
  std::vector<std::int64_t> millionths(segments, 0);
  const auto units = [](double spend) { return std::llround(spend * 1e6); };
  for (std::size_t i = 0; i < analysis.size(); ++i) {
    const auto s = static_cast<std::size_t>(analysis.segmented.segment[i]);
    std::int64_t spend = units(analysis.customers()[i].total_spend);
    if (previous == nullptr || previous_index[i] == kNewCustomer) {
      ++out.entries[s];
    } else {
      spend -= units(previous->customers()[previous_index[i]].total_spend);
    }
    millionths[s] += spend;
  }
  for (const std::int64_t sum : millionths) {
    out.period_revenue.push_back(static_cast<double>(sum) / 1e6);
  }
  return out;
}

Transition transition_between(const EarlierPlacement& earlier, const SegmentedBase& later,
                              const std::vector<std::uint32_t>& previous_index,
                              const PredictionOf& prediction_of, const MoveFilter& filter) {
  const SegmentScheme& scheme = *later.scheme;
  const std::vector<bool> from = segment_mask(filter.from, scheme, "--from-segment");
  const std::vector<bool> to = segment_mask(filter.to, scheme, "--to-segment");
  Transition out;
  out.from_as_of = earlier.as_of;
  out.to_as_of = later.base.as_of;
  out.segments = static_cast<int>(scheme.segments().size());
  out.counts.assign(static_cast<std::size_t>((out.segments + 1) * out.segments), 0);
  for (std::size_t i = 0; i < later.base.customers.size(); ++i) {
    const int now = later.segment[i];
    const std::uint32_t j = previous_index[i];
    const int before = j == kNewCustomer ? -1 : earlier.segment(j);
    ++out.counts[static_cast<std::size_t>((before + 1) * out.segments + now)];
    if (before < 0 || before == now) continue;
    ++out.moved;
    if (!from[static_cast<std::size_t>(before)] || !to[static_cast<std::size_t>(now)]) continue;
    CustomerMove move;
    move.id = later.base.customers[i].id;
    move.from = before;
    move.to = now;
    move.before = earlier.score(j);
    move.after = later.scores[i];
    if (const CustomerPrediction* prediction = prediction_of ? prediction_of(i) : nullptr) {
      move.p_alive = prediction->p_alive;
      move.clv = prediction->clv;
      move.value_at_risk = prediction->value_at_risk;
    }
    out.moves.push_back(std::move(move));
  }
  return out;
}

Transition compare_snapshots(const CustomerAnalysis& earlier, const CustomerAnalysis& later,
                             const std::vector<std::uint32_t>& previous_index,
                             const MoveFilter& filter) {
  const EarlierPlacement placement{
      earlier.segmented.base.as_of,
      [&earlier](std::uint32_t j) { return earlier.segmented.segment[j]; },
      [&earlier](std::uint32_t j) { return earlier.scores()[j]; }};
  PredictionOf prediction_of;
  if (!later.predictions.empty()) {
    prediction_of = [&later](std::size_t i) { return &later.predictions[i]; };
  }
  return transition_between(placement, later.segmented, previous_index, prediction_of, filter);
}

namespace {

Migration analyze_snapshots(
    const std::function<void(const IngestOptions&, const SnapshotConsumer&)>& read,
    const MigrationOptions& options) {
  // Plan first: a typo in the scheme or a filter costs nothing.
  const SegmentPlan plan = plan_segments(options.analysis.segmentation);
  segment_mask(options.moves.from, plan.scheme, "--from-segment");
  segment_mask(options.moves.to, plan.scheme, "--to-segment");
  Migration out;
  out.scheme = plan.scheme.name();
  for (const Segment& segment : plan.scheme.segments()) out.segment_names.push_back(segment.name);
  out.edges = options.edges;
  IngestOptions ingest = options.analysis.input;
  ingest.threads = resolve_thread_count(options.analysis.threads);
  std::optional<CustomerAnalysis> previous;
  std::optional<SegmentPlan> held;
  read(ingest, [&](CustomerBase& base) {
    AnalysisOptions analysis = options.analysis;
    analysis.input.as_of = base.as_of;
    CustomerAnalysis current = analyze(std::move(base), held ? *held : plan, analysis);
    if (options.edges == SnapshotEdges::first && !held &&
        plan.spec.method == ScoringMethod::quantile) {
      held = held_plan(current, plan);
      out.held_edges = held->spec;
    }
    out.has_models = !current.predictions.empty();
    const std::vector<std::uint32_t> previous_index =
        previous ? match_customers(previous->customers(), current.customers())
                 : std::vector<std::uint32_t>(current.size(), kNewCustomer);
    out.snapshots.push_back(
        summarize_snapshot(current, previous ? &*previous : nullptr, previous_index));
    if (previous) {
      out.transitions.push_back(
          compare_snapshots(*previous, current, previous_index, options.moves));
    }
    previous = std::move(current);
    if (options.snapshot_done) {
      options.snapshot_done(out.snapshots.back().as_of, out.snapshots.size() - 1);
    }
  });
  out.last = std::move(previous);
  return out;
}

}  // namespace

Migration analyze_migration(const std::string& path, const MigrationOptions& options) {
  return analyze_snapshots(
      [&](const IngestOptions& ingest, const SnapshotConsumer& consumer) {
        ingest_snapshots_file(path, ingest, options.schedule, consumer);
      },
      options);
}

Migration analyze_migration(std::istream& in, const std::string& source,
                            const MigrationOptions& options) {
  return analyze_snapshots(
      [&](const IngestOptions& ingest, const SnapshotConsumer& consumer) {
        ingest_snapshots(in, source, ingest, options.schedule, consumer);
      },
      options);
}

}  // namespace clvkit
