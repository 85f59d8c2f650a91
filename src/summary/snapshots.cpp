#include "clvkit/summary/snapshots.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
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
using detail::kNone;

// What one stretch of the log (the rows after one snapshot day, up to and including the next)
// adds: its customers' accumulations, one table per partition, and its rows.
struct Stretch {
  std::vector<CustomerTable> tables;
  std::int64_t rows_used = 0;
  std::int64_t returns_netted = 0;
  std::int64_t zero_amount_rows = 0;
  std::int64_t negative_dropped = 0;  ///< rows dropped under returns=drop
  std::int64_t zero_dropped = 0;      ///< rows dropped under zero-amounts=drop
  Day first_day = std::numeric_limits<Day>::max();
  Day last_day = std::numeric_limits<Day>::min();
};

// Per-partition counters of one stretch, merged into the Stretch after the pass (partitions are
// applied on different threads at the same time).
struct StretchCounts {
  std::int64_t rows_used = 0;
  std::int64_t returns_netted = 0;
  std::int64_t zero_amount_rows = 0;
  std::int64_t negative_dropped = 0;
  std::int64_t zero_dropped = 0;
  Day first_day = std::numeric_limits<Day>::max();
  Day last_day = std::numeric_limits<Day>::min();
};

// The snapshot days as ingest would cut them: under a period, the end of the last period
// complete on each day. Throws UsageError unless ascending and distinct as given.
std::vector<Day> cut_days(std::span<const Day> as_of, const IngestOptions& options) {
  if (as_of.empty()) throw UsageError("snapshots: no as-of day given");
  for (std::size_t k = 1; k < as_of.size(); ++k) {
    if (as_of[k] <= as_of[k - 1]) {
      throw UsageError("snapshots: the as-of days must be ascending and distinct, but " +
                       format_day(as_of[k]) + " follows " + format_day(as_of[k - 1]));
    }
  }
  std::vector<Day> cuts(as_of.begin(), as_of.end());
  if (options.period) {
    for (Day& cut : cuts) cut = last_complete_period_end(cut, *options.period);
  }
  return cuts;
}

// The stretch a used row of day `day` belongs to: the first cut on or after it.
std::size_t stretch_of(const std::vector<Day>& cuts, Day day) noexcept {
  return static_cast<std::size_t>(std::lower_bound(cuts.begin(), cuts.end(), day) - cuts.begin());
}

// One pass over the log into the stretches. The drop policies are applied here rather than by
// the scan, so that each dropped row is counted in its stretch: the scan keeps such rows (net,
// keep) and this drops them.
std::vector<Stretch> read_stretches(const detail::LogInput& input, const std::string& source,
                                    const IngestOptions& options, const std::vector<Day>& cuts,
                                    IngestStats& stats, detail::LogScan& scan) {
  IngestOptions scan_options = options;
  scan_options.as_of = cuts.back();
  if (scan_options.returns == ReturnsPolicy::drop) scan_options.returns = ReturnsPolicy::net;
  if (scan_options.zero_amounts == ZeroAmountPolicy::drop) {
    scan_options.zero_amounts = ZeroAmountPolicy::keep;
  }
  const bool drop_returns = options.returns == ReturnsPolicy::drop;
  const bool drop_zeros = options.zero_amounts == ZeroAmountPolicy::drop;
  const int threads = std::max(options.threads, 1);
  const auto partitions = static_cast<std::size_t>(threads);
  std::vector<Stretch> stretches(cuts.size());
  for (Stretch& stretch : stretches) stretch.tables.resize(partitions);
  std::vector<std::vector<StretchCounts>> counts(partitions,
                                                 std::vector<StretchCounts>(cuts.size()));
  scan = detail::scan_log(
      input, source, scan_options, threads, partitions, detail::ChooseRuns{}, stats,
      [&](std::size_t partition, const char* block, std::span<const detail::ParsedRow> rows) {
        for (const detail::ParsedRow& row : rows) {
          const std::size_t k = stretch_of(cuts, row.first);
          StretchCounts& count = counts[partition][k];
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
          CustomerTable& table = stretches[k].tables[partition];
          const std::uint32_t index =
              table.find_or_insert({block + row.id_offset, row.id_length}, row.hash);
          if (row.is_return) {
            table.add_return(index, row.first, row.units);
          } else {
            table.add_purchase(index, row.first, row.units);
          }
        }
      });
  for (std::size_t k = 0; k < cuts.size(); ++k) {
    Stretch& stretch = stretches[k];
    for (const std::vector<StretchCounts>& partition : counts) {
      const StretchCounts& count = partition[k];
      stretch.rows_used += count.rows_used;
      stretch.returns_netted += count.returns_netted;
      stretch.zero_amount_rows += count.zero_amount_rows;
      stretch.negative_dropped += count.negative_dropped;
      stretch.zero_dropped += count.zero_dropped;
      stretch.first_day = std::min(stretch.first_day, count.first_day);
      stretch.last_day = std::max(stretch.last_day, count.last_day);
    }
  }
  return stretches;
}

// Adds every customer of `stretch` to the running tables (partition by partition, in parallel)
// and frees the stretch.
void append_stretch(Stretch& stretch, std::vector<CustomerTable>& running, int threads) {
  parallel_for(threads, running.size(), [&](std::size_t p) {
    const CustomerTable& later = stretch.tables[p];
    CustomerTable& table = running[p];
    for (std::uint32_t i = 0; i < later.size(); ++i) {
      const std::string_view id = later.id(later[i]);
      table.append_later(table.find_or_insert(id, detail::hash_id(id)), later[i]);
    }
  });
  std::vector<CustomerTable>().swap(stretch.tables);
}

// The row accounting of the snapshot through stretch k, from the pass's accounting (which
// stops at the last cut) and the stretches.
IngestStats snapshot_stats(const IngestStats& pass, const std::vector<Stretch>& stretches,
                           std::size_t k) {
  IngestStats stats = pass;
  stats.rows_used = 0;
  stats.returns_netted = 0;
  stats.zero_amount_rows = 0;
  stats.rejected[static_cast<int>(RejectReason::negative_amount)] = 0;
  stats.rejected[static_cast<int>(RejectReason::zero_amount)] = 0;
  for (std::size_t j = 0; j <= k; ++j) {
    stats.rows_used += stretches[j].rows_used;
    stats.returns_netted += stretches[j].returns_netted;
    stats.zero_amount_rows += stretches[j].zero_amount_rows;
    stats.rejected[static_cast<int>(RejectReason::negative_amount)] +=
        stretches[j].negative_dropped;
    stats.rejected[static_cast<int>(RejectReason::zero_amount)] += stretches[j].zero_dropped;
  }
  stats.rows_after_as_of = stats.rows_read - stats.rows_used - stats.rows_rejected();
  return stats;
}

void ingest_snapshots(const detail::LogInput& input, const std::string& source,
                      const IngestOptions& options, std::span<const Day> as_of,
                      const SnapshotConsumer& consumer) {
  const std::vector<Day> cuts = cut_days(as_of, options);
  IngestStats pass;
  detail::LogScan scan;
  std::vector<Stretch> stretches = read_stretches(input, source, options, cuts, pass, scan);
  const int threads = std::max(options.threads, 1);
  std::vector<CustomerTable> running(static_cast<std::size_t>(threads));
  Day first_day = std::numeric_limits<Day>::max();
  Day last_day = std::numeric_limits<Day>::min();
  for (std::size_t k = 0; k < cuts.size(); ++k) {
    first_day = std::min(first_day, stretches[k].first_day);
    last_day = std::max(last_day, stretches[k].last_day);
    append_stretch(stretches[k], running, threads);
    CustomerBase base;
    base.source = source;
    base.delimiter = scan.delimiter;
    base.stats = snapshot_stats(pass, stretches, k);
    const std::vector<detail::CustomerRef> order = detail::output_order(running, threads);
    std::size_t customers = 0;
    for (const CustomerTable& table : running) customers += table.size();
    base.stats.customers_without_purchase = static_cast<std::int64_t>(customers - order.size());
    if (order.empty()) {
      throw InputError(source + ": as of " + format_day(as_of[k]) +
                       ": no customer has a purchase day yet");
    }
    base.as_of = options.period ? period_start(cuts[k], *options.period) : cuts[k];
    base.first_day = first_day;
    base.last_day = last_day;
    detail::fill_summaries(running, order, base.as_of, base.customers, threads);
    consumer(base);
  }
}

}  // namespace

void ingest_snapshots(std::istream& in, const std::string& source, const IngestOptions& options,
                      std::span<const Day> as_of, const SnapshotConsumer& consumer) {
  ingest_snapshots(detail::LogInput{&in, {}}, source, options, as_of, consumer);
}

void ingest_snapshots_file(const std::string& path, const IngestOptions& options,
                           std::span<const Day> as_of, const SnapshotConsumer& consumer) {
  if (path == "-") return ingest_snapshots(std::cin, path, options, as_of, consumer);
  if (const std::optional<detail::MappedFile> mapped = detail::MappedFile::open(path)) {
    return ingest_snapshots(detail::LogInput{nullptr, mapped->bytes()}, path, options, as_of,
                            consumer);
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  ingest_snapshots(file, path, options, as_of, consumer);
}

}  // namespace clvkit
