#pragma once
// Segments over time (`clvkit migrate`): one log's customers segmented as of several days, read
// in one pass; how each segment grows, and who moved from one segment to another.
//
//   clvkit::MigrationOptions options;
//   options.schedule.every = clvkit::Period::month;
//   const clvkit::Migration m = clvkit::analyze_migration("orders.csv", options);
//   m.snapshots[k].segments.segments[s].customers, m.transitions[k].count(origin, s),
//   m.transitions[k].moves[i].id, ...

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/summary/snapshots.hpp"

namespace clvkit {

/// Which score boundaries each snapshot is scored with.
enum class SnapshotEdges {
  /// Quantiles of each snapshot's own customers: what `clvkit run --as-of D` gives. A customer
  /// can then move because the others changed (new customers push the boundaries).
  each,
  /// The first snapshot's quantile boundaries, held (threshold_spec_from_scores): a move then
  /// means the customer's own behaviour changed, not the population around it. A scheme on
  /// fixed thresholds holds its edges anyway: there both are the same.
  first,
};

/// Which moves are listed (every move is counted in the transition matrix): segment names, an
/// empty list meaning any segment.
struct MoveFilter {
  std::vector<std::string> from;
  std::vector<std::string> to;
};

struct MigrationOptions {
  /// Input, segmentation, models and threads, as for analyze(); input.as_of is not used (the
  /// schedule gives the days). Models are fitted at every snapshot (what `run --as-of D` does)
  /// unless fit_models is false or given_models is set.
  AnalysisOptions analysis;
  SnapshotSchedule schedule;
  SnapshotEdges edges = SnapshotEdges::each;
  MoveFilter moves;
  /// Called on the calling thread after each snapshot is analysed (its day, its number from 0),
  /// for progress lines; must not throw.
  std::function<void(Day as_of, std::size_t index)> snapshot_done;
};

/// The customers of one snapshot by segment.
struct Snapshot {
  Day as_of = 0;
  SegmentSummary summary;  ///< counts, means, revenue and, with models, their aggregates
  /// Per segment (scheme order): customers whose first purchase is after the previous snapshot
  /// (at the first snapshot, every customer), and the spend of the segment's customers since
  /// the previous snapshot (at the first, their whole spend), returns netted.
  std::vector<std::int64_t> entries;
  std::vector<double> period_revenue;
  std::int64_t customers = 0;
  IngestStats rows;  ///< the row accounting of ingest as of this day
  std::optional<FittedModels> models;

  std::int64_t total_entries() const noexcept;
  /// The revenue in the period over every segment, summed exactly in millionths.
  double total_period_revenue() const noexcept;
};

/// A customer in a different segment than at the previous snapshot.
struct CustomerMove {
  std::string id;
  int from = 0;  ///< segment index at the earlier snapshot
  int to = 0;    ///< at the later one
  RfmScore before;
  RfmScore after;
  /// At the later snapshot, when the migration has models.
  double p_alive = 0.0;
  double clv = 0.0;
  double value_at_risk = 0.0;
};

/// From one snapshot to the next.
struct Transition {
  Day from_as_of = 0;
  Day to_as_of = 0;
  int segments = 0;
  /// Customers by origin and destination, row-major: counts[origin * segments + to], origin 0
  /// = new (no purchase day by from_as_of), origin s + 1 = segment s at from_as_of.
  std::vector<std::int64_t> counts;
  std::int64_t moved = 0;           ///< customers whose segment changed (new ones not included)
  std::vector<CustomerMove> moves;  ///< the moves the filter keeps, in the later base's order

  std::int64_t count(int origin, int to) const {
    return counts[static_cast<std::size_t>(origin * segments + to)];
  }
  /// count(origin, to) over the origin's customers (0 for an empty origin).
  double share(int origin, int to) const;
  /// Per segment: customers at to_as_of minus customers at from_as_of.
  std::vector<std::int64_t> net_flow() const;
};

struct Migration {
  std::string scheme;
  std::vector<std::string> segment_names;
  SnapshotEdges edges = SnapshotEdges::each;
  /// With SnapshotEdges::first: the held boundaries every snapshot is scored with.
  std::optional<ScoringSpec> held_edges;
  bool has_models = false;
  std::vector<Snapshot> snapshots;
  std::vector<Transition> transitions;  ///< between consecutive snapshots
  /// The analysis as of the last snapshot day: what analyze() as of that day gives (its
  /// records, metadata and predictions).
  std::optional<CustomerAnalysis> last;
};

/// The snapshot summary of one analysis; `previous` is the analysis of the snapshot before it
/// (null for the first) and `previous_index[i]` the index there of customer i (kNewCustomer
/// when it has none).
inline constexpr std::uint32_t kNewCustomer = 0xFFFFFFFFu;
Snapshot summarize_snapshot(const CustomerAnalysis& analysis, const CustomerAnalysis* previous,
                            const std::vector<std::uint32_t>& previous_index);

/// For each customer of `later` (the same log as `earlier`, summarised as of a later day, so a
/// superset of its customers): its index in `earlier`, or kNewCustomer. Linear when both are in
/// the same order (as ingest's order is unless a later id makes it bytewise), hashed otherwise.
std::vector<std::uint32_t> match_customers(const std::vector<CustomerSummary>& earlier,
                                           const std::vector<CustomerSummary>& later);

/// Where the customers stood at the earlier day of a transition, by their index then.
struct EarlierPlacement {
  Day as_of = 0;
  std::function<int(std::uint32_t index)> segment;
  std::function<RfmScore(std::uint32_t index)> score;
};
/// The prediction of customer i of the later base, or null when there is none.
using PredictionOf = std::function<const CustomerPrediction*(std::size_t i)>;

/// The transition from `earlier` to the customers of `later`, `previous_index[i]` being the
/// index at the earlier day of later's customer i (kNewCustomer when it has none), the moves
/// kept by `filter` carrying the predictions `prediction_of` gives (it may be empty). Throws
/// UsageError when the filter names a segment the scheme has not.
Transition transition_between(const EarlierPlacement& earlier, const SegmentedBase& later,
                              const std::vector<std::uint32_t>& previous_index,
                              const PredictionOf& prediction_of, const MoveFilter& filter);

/// The transition from `earlier` to `later` (see match_customers for `previous_index`), the
/// moves kept by `filter`. Throws UsageError when the filter names a segment the scheme has not.
Transition compare_snapshots(const CustomerAnalysis& earlier, const CustomerAnalysis& later,
                             const std::vector<std::uint32_t>& previous_index,
                             const MoveFilter& filter);

/// Reads the log at `path` ("-" = standard input) once and analyses it as of every day of the
/// schedule. Each snapshot's customers, scores, segments and predictions are those of
/// analyze(path, options with as_of = that day) under SnapshotEdges::each. Throws what analyze
/// and ingest_snapshots throw.
Migration analyze_migration(const std::string& path, const MigrationOptions& options);

/// The same for a log already open as a stream, named `source` in messages.
Migration analyze_migration(std::istream& in, const std::string& source,
                            const MigrationOptions& options);

}  // namespace clvkit
