#pragma once
// One log summarised as of several days in one pass: the snapshots of `clvkit migrate`.

#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "clvkit/day.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// When the snapshots are taken: on given days, or at the end of every period.
struct SnapshotSchedule {
  /// Given days, ascending and distinct; empty when `every` is set.
  std::vector<Day> as_of;
  /// A snapshot at the end of every period from `from` (default: the first used day) until
  /// `to` (default: the last used day), and one on `to` itself when it does not end a period.
  std::optional<Period> every;
  /// A snapshot on every day from `from` to `to` (instead of `every`).
  bool daily = false;
  std::optional<Day> from;
  std::optional<Day> to;
};

/// The days of the snapshots of `schedule` for a log whose used rows span first_day..last_day:
/// the given days, or under `every` the ends of the periods that end in [from, to) followed by
/// `to`, or under `daily` every day of [from, to]. Throws UsageError when the schedule gives no day (days not ascending, `from` after
/// `to`, neither days nor a period).
std::vector<Day> snapshot_days(const SnapshotSchedule& schedule, Day first_day, Day last_day);

/// Receives the snapshots in ascending order of their day; the base may be moved from.
using SnapshotConsumer = std::function<void(CustomerBase& snapshot)>;

/// Reads the log once and hands `consumer` one CustomerBase per day of snapshot_days(schedule,
/// ...), in that order. The snapshot as of day D holds exactly the customers and summaries of
/// ingest_transactions(log, options with as_of = D): every row goes through ingest's checks and
/// policies once, into the stretch of the log it belongs to (the rows between two snapshot
/// days, or of one period under `every`), and each snapshot adds its stretches to the previous
/// one (a customer's stretches never share a day, so their distinct days, first-day spend and
/// totals add exactly).
///
/// The row accounting of each snapshot is that of ingest as of its day too (rows after it, rows
/// used, returns netted, zero amounts used and dropped), with one difference: the policies that
/// stop on a row (returns=fail, zero-amounts=fail, a bad row under BadRowPolicy::fail) apply to
/// every row up to the last snapshot day, so a log that ingest as of an earlier day would accept
/// can be refused. options.as_of is ignored; under options.period every snapshot day is first
/// moved back to the end of the last period complete on it, as ingest does.
///
/// Memory: one accumulator (64 bytes) per customer and stretch in which the customer has rows,
/// held until the pass ends, plus one per customer for the running snapshot.
///
/// Throws what ingest_transactions throws, UsageError for a schedule without days, and
/// InputError when a snapshot has no customer with a purchase day ("as of D: no customer has a
/// purchase day yet").
void ingest_snapshots(std::istream& in, const std::string& source, const IngestOptions& options,
                      const SnapshotSchedule& schedule, const SnapshotConsumer& consumer);

/// The same for the file at `path` ("-" = standard input), mapped when it is a regular file.
void ingest_snapshots_file(const std::string& path, const IngestOptions& options,
                           const SnapshotSchedule& schedule, const SnapshotConsumer& consumer);

}  // namespace clvkit
