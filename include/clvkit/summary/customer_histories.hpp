#pragma once
// Every customer's exact history, kept so that later rows can be added without reading the log
// again: the customer part of the state of `clvkit run --state` and `clvkit update`.
//
//   clvkit::HistoryIngest first = clvkit::ingest_histories_file("orders.csv", options);
//   // ... a day later, with only that day's rows (late rows of earlier days included):
//   clvkit::HistoryUpdate next = clvkit::update_histories_file(first.histories, "day.csv",
//   options); next.base  // == ingest_transactions_file over both logs, as of the later day

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/day.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// The net amount of a customer's returns on one day, in millionths of the currency unit.
struct DayAmount {
  Day day = 0;
  std::int64_t millionths = 0;
  bool operator==(const DayAmount&) const = default;
};

/// One customer's history reduced to what stays exact whatever rows come later, in any order:
/// the distinct purchase days, the net spend in total and on the first purchase day, and the
/// returns dated before the first purchase day (a purchase on one of their days would make it
/// the first, with those returns in its spend). Amounts in millionths, as ingest sums them.
struct CustomerHistory {
  std::string_view id;
  std::vector<Day> days;                 ///< sorted distinct purchase days; empty: returns only
  std::int64_t total = 0;                ///< all used rows, returns included
  std::int64_t first_day_spend = 0;      ///< all used rows on days.front() (0 when days is empty)
  std::vector<DayAmount> early_returns;  ///< per day, ascending, all before days.front()
  bool operator==(const CustomerHistory&) const = default;
};

/// The histories of every customer of a log (those whose rows are all returns included), in the
/// order of CustomerBase (numeric when every id is digits, else bytewise), with the log's days
/// and cumulative row accounting. Records are encoded compactly (about 1.5 bytes a purchase day
/// and 10 bytes plus the id a customer) in chunks of at most kChunkCustomers, which the passes
/// over them share among threads. The encoding of a history is canonical: it depends only on
/// the rows, so histories built from the same rows in any split are equal record by record.
class CustomerHistories {
 public:
  static constexpr std::uint32_t kChunkCustomers = 1u << 16;

  /// A run of encoded records: `customers` histories in `bytes`.
  struct Chunk {
    std::span<const std::uint8_t> bytes;
    std::uint32_t customers = 0;
  };

  CustomerHistories() = default;

  std::size_t size() const noexcept { return size_; }
  /// Whether every id is digits (the order is then numeric).
  bool numeric_ids() const noexcept { return numeric_; }
  const std::vector<Chunk>& chunks() const noexcept { return chunks_; }

  Day as_of = 0;      ///< the day the histories stop (rows after it were not applied)
  Day first_day = 0;  ///< earliest used day
  Day last_day = 0;   ///< latest used day
  IngestStats rows;   ///< every row given so far: read = used + rejected + after as-of

  /// Calls visit(history) for every customer in order, on the calling thread.
  void for_each(const std::function<void(const CustomerHistory&)>& visit) const;

  /// Histories from encoded chunks (e.g. a state file's), keeping `owner` (the memory the chunks
  /// point into) alive. The records are checked as they are read (bounds, days ascending, ids in
  /// order): for_each and update_histories throw InputError naming `source` when one is
  /// malformed. Throws InputError here for a chunk without customers.
  static CustomerHistories from_chunks(std::vector<Chunk> chunks, bool numeric_ids,
                                       std::shared_ptr<const void> owner,
                                       const std::string& source);
  /// The name of the histories in messages (a state file's path), empty when built in memory.
  const std::string& source() const noexcept { return source_; }

  /// Internal: histories made of chunks whose bytes `storage` owns.
  static CustomerHistories owning(std::vector<std::vector<std::uint8_t>> storage,
                                  std::vector<std::uint32_t> counts, bool numeric_ids);

 private:
  std::vector<Chunk> chunks_;
  std::size_t size_ = 0;
  bool numeric_ = true;
  std::shared_ptr<const void> owner_;
  std::string source_;
};

/// A log read with every history kept: `base` is what ingest_transactions gives for the same
/// log and options (same customers, summaries, order and row accounting).
struct HistoryIngest {
  CustomerBase base;
  CustomerHistories histories;
};

/// Reads the log at `path` ("-" = standard input) as ingest_transactions_file does, keeping
/// every customer's history. Slower than ingest_transactions on a log sorted by date or grouped
/// by customer (it keeps every day list, ~4 bytes a purchase day), as fast on any other order.
/// Throws what ingest_transactions throws, and UsageError under options.period (histories are
/// kept by day).
HistoryIngest ingest_histories_file(const std::string& path, const IngestOptions& options);

/// The same for a log already open as a stream.
HistoryIngest ingest_histories(std::istream& in, const std::string& source,
                               const IngestOptions& options);

/// Histories carried forward with the rows of another log.
struct HistoryUpdate {
  /// The customers with a purchase day, summarised as of histories.as_of: what
  /// ingest_transactions gives for the earlier rows and these together, as of that day. Its
  /// stats are the cumulative accounting (histories.rows), its source the new log's name.
  CustomerBase base;
  CustomerHistories histories;
  IngestStats new_rows;  ///< the accounting of the new log alone
  /// Used rows of the new log dated on or before the previous as-of day (late data).
  std::int64_t late_rows = 0;
  std::int64_t new_customers =
      0;  ///< histories that did not exist before (with or without a purchase day)
  /// Per customer of base: its position in the previous histories, or kNoHistory for a new one.
  std::vector<std::uint32_t> previous;
  /// Per customer of base: 1 when the new log had used rows of it.
  std::vector<std::uint8_t> touched;
  /// Per history (in histories' order): its customer's index in base, or kNoHistory when it has
  /// no purchase day.
  std::vector<std::uint32_t> base_index;
};

inline constexpr std::uint32_t kNoHistory = 0xFFFFFFFFu;

/// Adds the rows of the log at `path` ("-" = standard input) to `previous`. Every row goes
/// through ingest's checks and policies (`options`, which should be those `previous` was made
/// with); rows dated after the new as-of day are counted, not applied. The new as-of day is
/// options.as_of, else the later of previous.as_of and the new log's last used day; a day before
/// previous.as_of throws UsageError (rows after it may be in the histories already). Rows on
/// or before previous.as_of are late data, applied exactly (a day already counted stays one
/// day). The result equals ingest of all the rows at once: base, and the histories record by
/// record. A log with a header and no data row is a day without sales. Throws what ingest
/// throws for the new log (bad rows name its lines), UsageError under options.period.
HistoryUpdate update_histories_file(const CustomerHistories& previous, const std::string& path,
                                    const IngestOptions& options);

/// The same for a log already open as a stream.
HistoryUpdate update_histories(const CustomerHistories& previous, std::istream& in,
                               const std::string& source, const IngestOptions& options);

}  // namespace clvkit
