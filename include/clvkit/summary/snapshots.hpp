#pragma once
// One log summarised as of several days in one pass: the snapshots of `clvkit migrate`.

#include <functional>
#include <istream>
#include <span>
#include <string>

#include "clvkit/day.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// Receives the snapshots in ascending order of their day; the base may be moved from.
using SnapshotConsumer = std::function<void(CustomerBase& snapshot)>;

/// Reads the log once and hands `consumer` one CustomerBase per day of `as_of` (ascending,
/// distinct, not empty), in that order. Snapshot k holds exactly the customers and summaries of
/// ingest_transactions(log, options with as_of = as_of[k]): every row goes through ingest's
/// checks and policies once, into the stretch of the log between two snapshot days it belongs
/// to, and each snapshot adds its stretch to the previous one (a customer's stretches never
/// share a day, so their distinct days, first-day spend and totals add exactly).
///
/// The row accounting of snapshot k is that of ingest with as_of = as_of[k] too (rows after it,
/// rows used, returns netted, zero amounts used and dropped), with one difference: the policies
/// that stop on a row (returns=fail, zero-amounts=fail, a bad row under BadRowPolicy::fail) apply
/// to every row up to the last snapshot day, so a log that ingest as of an earlier day would
/// accept can be refused. options.as_of is ignored; under options.period every day is first
/// moved back to the end of the last period complete on it, as ingest does.
///
/// Memory: one accumulator (64 bytes) per customer and stretch in which the customer has rows,
/// held until the pass ends, plus one per customer for the running snapshot.
///
/// Throws what ingest_transactions throws, UsageError when `as_of` is empty or not ascending,
/// and InputError when a snapshot has no customer with a purchase day ("as of D: no customer
/// has a purchase day yet").
void ingest_snapshots(std::istream& in, const std::string& source, const IngestOptions& options,
                      std::span<const Day> as_of, const SnapshotConsumer& consumer);

/// The same for the file at `path` ("-" = standard input), mapped when it is a regular file.
void ingest_snapshots_file(const std::string& path, const IngestOptions& options,
                           std::span<const Day> as_of, const SnapshotConsumer& consumer);

}  // namespace clvkit
