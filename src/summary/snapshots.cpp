#include "clvkit/summary/snapshots.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/io/mapped_file.hpp"
#include "clvkit/util/parallel.hpp"
#include "customer_order.hpp"
#include "customer_table.hpp"
#include "ingest_internal.hpp"
#include "log_scan.hpp"

namespace clvkit {
namespace {

using detail::CustomerTable;

// Row counts of one stretch of the log.
struct StretchCounts {
  std::int64_t rows_used = 0;
  std::int64_t returns_netted = 0;
  std::int64_t zero_amount_rows = 0;
  std::int64_t negative_dropped = 0;  ///< rows dropped under returns=drop
  std::int64_t zero_dropped = 0;      ///< rows dropped under zero-amounts=drop
  Day first_day = std::numeric_limits<Day>::max();  ///< of the used rows
  Day last_day = std::numeric_limits<Day>::min();

  void add(const StretchCounts& other) noexcept {
    rows_used += other.rows_used;
    returns_netted += other.returns_netted;
    zero_amount_rows += other.zero_amount_rows;
    negative_dropped += other.negative_dropped;
    zero_dropped += other.zero_dropped;
    first_day = std::min(first_day, other.first_day);
    last_day = std::max(last_day, other.last_day);
  }
};

// One stretch of the log in one partition: its customers' accumulations and its rows.
struct StretchPart {
  CustomerTable table;
  StretchCounts counts;
};

// A partition's stretches by key (see StretchKeys), each made when its first row arrives.
using PartitionStretches = std::map<Day, StretchPart>;

// Which stretch a used row belongs to, as an ascending key: under `every` the first day of the
// row's period, otherwise the index of the first cut on or after the row's day.
struct StretchKeys {
  std::optional<Period> every;
  bool daily = false;
  std::vector<Day> cuts;

  Day key(Day day) const noexcept {
    if (daily) return day;
    if (every) return period_start(day, *every);
    return static_cast<Day>(std::lower_bound(cuts.begin(), cuts.end(), day) - cuts.begin());
  }
  // The largest key in the snapshot number k, whose (cut) day is `day`.
  Day last_key(std::size_t k, Day day) const noexcept {
    return daily || every ? day : static_cast<Day>(k);
  }
};

// The snapshot day as ingest cuts it: under a period, the end of the last complete period.
Day cut_day(Day day, const IngestOptions& options) noexcept {
  return options.period ? last_complete_period_end(day, *options.period) : day;
}

// One pass over the log into the stretches, one map per partition. The drop policies are
// applied here rather than by the scan, so that each dropped row is counted in its stretch: the
// scan keeps such rows (net, keep) and this drops them.
std::vector<PartitionStretches> read_stretches(const detail::LogInput& input,
                                               const std::string& source,
                                               const IngestOptions& options,
                                               const StretchKeys& keys, std::optional<Day> last,
                                               IngestStats& stats, detail::LogScan& scan) {
  IngestOptions scan_options = options;
  scan_options.as_of = last;
  if (scan_options.returns == ReturnsPolicy::drop) scan_options.returns = ReturnsPolicy::net;
  if (scan_options.zero_amounts == ZeroAmountPolicy::drop) {
    scan_options.zero_amounts = ZeroAmountPolicy::keep;
  }
  const bool drop_returns = options.returns == ReturnsPolicy::drop;
  const bool drop_zeros = options.zero_amounts == ZeroAmountPolicy::drop;
  const int threads = std::max(options.threads, 1);
  const auto partitions = static_cast<std::size_t>(threads);
  std::vector<PartitionStretches> stretches(partitions);
  scan = detail::scan_log(
      input, source, scan_options, threads, partitions, detail::ChooseRuns{}, stats,
      [&](std::size_t partition, const char* block, std::span<const detail::ParsedRow> rows) {
        PartitionStretches& mine = stretches[partition];
        StretchPart* part = nullptr;
        Day part_key = 0;
        for (const detail::ParsedRow& row : rows) {
          const Day key = keys.key(row.first);
          if (part == nullptr || key != part_key) {
            part = &mine[key];
            part_key = key;
          }
          StretchCounts& count = part->counts;
          if (row.is_return && drop_returns) {
            ++count.negative_dropped;
            continue;
          }
          if (row.is_zero && drop_zeros) {
            ++count.zero_dropped;
            continue;
          }
          ++count.rows_used;
          count.returns_netted += row.is_return ? 1 : 0;
          count.zero_amount_rows += row.is_zero ? 1 : 0;
          count.first_day = std::min(count.first_day, row.first);
          count.last_day = std::max(count.last_day, row.first);
          CustomerTable& table = part->table;
          const std::uint32_t index =
              table.find_or_insert({block + row.id_offset, row.id_length}, row.hash);
          if (row.is_return) {
            table.add_return(index, row.first, row.units);
          } else {
            table.add_purchase(index, row.first, row.units);
          }
        }
      });
  return stretches;
}

// Adds every stretch with a key up to `last_key` to the running tables and the running counts
// (partition by partition, in parallel), freeing each.
void append_stretches(std::vector<PartitionStretches>& stretches, Day last_key,
                      std::vector<CustomerTable>& running, StretchCounts& counts, int threads) {
  std::vector<StretchCounts> added(running.size());
  parallel_for(threads, running.size(), [&](std::size_t p) {
    PartitionStretches& mine = stretches[p];
    CustomerTable& table = running[p];
    while (!mine.empty() && mine.begin()->first <= last_key) {
      const StretchPart& part = mine.begin()->second;
      const CustomerTable& later = part.table;
      for (std::uint32_t i = 0; i < later.size(); ++i) {
        const std::string_view id = later.id(later[i]);
        table.append_later(table.find_or_insert(id, detail::hash_id(id)), later[i]);
      }
      added[p].add(part.counts);
      mine.erase(mine.begin());
    }
  });
  for (const StretchCounts& count : added) counts.add(count);
}

// The first and last used day of the whole pass.
StretchCounts pass_counts(const std::vector<PartitionStretches>& stretches) {
  StretchCounts all;
  for (const PartitionStretches& partition : stretches) {
    for (const auto& [key, part] : partition) all.add(part.counts);
  }
  return all;
}

// The row accounting of a snapshot, from the pass's accounting (which stops at the last day
// read) and the counts of the stretches it holds.
IngestStats snapshot_stats(const IngestStats& pass, const StretchCounts& counts) {
  IngestStats stats = pass;
  stats.rows_used = counts.rows_used;
  stats.returns_netted = counts.returns_netted;
  stats.zero_amount_rows = counts.zero_amount_rows;
  stats.rejected[static_cast<int>(RejectReason::negative_amount)] = counts.negative_dropped;
  stats.rejected[static_cast<int>(RejectReason::zero_amount)] = counts.zero_dropped;
  stats.rows_after_as_of = stats.rows_read - stats.rows_used - stats.rows_rejected();
  return stats;
}

void ingest_snapshots(const detail::LogInput& input, const std::string& source,
                      const IngestOptions& options, const SnapshotSchedule& schedule,
                      const SnapshotConsumer& consumer) {
  StretchKeys keys{schedule.every, schedule.daily, {}};
  std::optional<Day> last;  // the last day read: the last snapshot's, when known before the pass
  if (schedule.every || schedule.daily) {
    if (schedule.to) last = cut_day(*schedule.to, options);
  } else {
    for (const Day day : snapshot_days(schedule, 0, 0)) keys.cuts.push_back(cut_day(day, options));
    last = keys.cuts.back();
  }
  IngestStats pass;
  detail::LogScan scan;
  std::vector<PartitionStretches> stretches =
      read_stretches(input, source, options, keys, last, pass, scan);
  const StretchCounts all = pass_counts(stretches);
  if (all.rows_used == 0) {
    throw InputError(source + ": no customer has a purchase day: " + detail::describe_stats(pass));
  }
  const std::vector<Day> days = snapshot_days(schedule, all.first_day, all.last_day);
  const int threads = std::max(options.threads, 1);
  std::vector<CustomerTable> running(static_cast<std::size_t>(threads));
  StretchCounts counts;
  for (std::size_t k = 0; k < days.size(); ++k) {
    const Day cut = cut_day(days[k], options);
    append_stretches(stretches, keys.last_key(k, cut), running, counts, threads);
    CustomerBase base;
    base.source = source;
    base.delimiter = scan.delimiter;
    base.stats = snapshot_stats(pass, counts);
    const std::vector<detail::CustomerRef> order = detail::output_order(running, threads);
    std::size_t customers = 0;
    for (const CustomerTable& table : running) customers += table.size();
    base.stats.customers_without_purchase = static_cast<std::int64_t>(customers - order.size());
    if (order.empty()) {
      throw InputError(source + ": as of " + format_day(days[k]) +
                       ": no customer has a purchase day yet");
    }
    base.as_of = options.period ? period_start(cut, *options.period) : cut;
    base.first_day = counts.first_day;
    base.last_day = counts.last_day;
    detail::fill_summaries(running, order, base.as_of, base.customers, threads);
    consumer(base);
  }
}

}  // namespace

std::vector<Day> snapshot_days(const SnapshotSchedule& schedule, Day first_day, Day last_day) {
  if (!schedule.every && !schedule.daily) {
    if (schedule.as_of.empty()) throw UsageError("snapshots: no as-of day and no period given");
    for (std::size_t k = 1; k < schedule.as_of.size(); ++k) {
      if (schedule.as_of[k] <= schedule.as_of[k - 1]) {
        throw UsageError("snapshots: the as-of days must be ascending and distinct, but " +
                         format_day(schedule.as_of[k]) + " follows " +
                         format_day(schedule.as_of[k - 1]));
      }
    }
    return schedule.as_of;
  }
  const Day from = schedule.from.value_or(first_day);
  const Day to = schedule.to.value_or(last_day);
  if (from > to) {
    throw UsageError("snapshots: the first day " + format_day(from) + " is after the last " +
                     format_day(to));
  }
  std::vector<Day> days;
  if (schedule.daily) {
    for (Day day = from; day <= to; ++day) days.push_back(day);
    return days;
  }
  for (Day end = period_end(from, *schedule.every); end < to;
       end = period_end(end + 1, *schedule.every)) {
    days.push_back(end);
  }
  days.push_back(to);
  return days;
}

void ingest_snapshots(std::istream& in, const std::string& source, const IngestOptions& options,
                      const SnapshotSchedule& schedule, const SnapshotConsumer& consumer) {
  ingest_snapshots(detail::LogInput{&in, {}}, source, options, schedule, consumer);
}

void ingest_snapshots_file(const std::string& path, const IngestOptions& options,
                           const SnapshotSchedule& schedule, const SnapshotConsumer& consumer) {
  detail::read_log_file(path, [&](const detail::LogInput& input) {
    ingest_snapshots(input, path, options, schedule, consumer);
  });
}

}  // namespace clvkit
