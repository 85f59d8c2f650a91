#include "clvkit/summary/ingest.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "amount.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/io/mapped_file.hpp"
#include "clvkit/util/parallel.hpp"
#include "clvkit/util/utf8.hpp"
#include "customer_order.hpp"
#include "customer_table.hpp"
#include "ingest_internal.hpp"
#include "log_scan.hpp"

namespace clvkit {
namespace {

using detail::CustomerRef;
using detail::CustomerTable;
using detail::DayTracking;
using detail::fill_summaries;
using detail::kCustomerBlock;
using detail::kNone;
using detail::kUnitsPerCurrency;
using detail::output_order;

// Whether the first rows look like a log whose customers' days come in order: no customer's day
// steps back, and either the log steps back in time at most once in a hundred changes of
// customer (sorted by date) or runs of one customer average two rows or more (grouped).
bool starts_in_order(const detail::RowOrderProbe& probe) noexcept {
  if (probe.same_id_steps_back > 0) return false;
  return probe.new_id_steps_back * 100 <= probe.new_id_pairs ||
         probe.same_id_pairs >= probe.new_id_pairs;
}

// The second pass of DayTracking::ordered: the log is read again from `start` and the distinct
// purchase days of the customers marked for a recount are counted exactly, in tables that keep
// day lists for them alone. The rows are the same as in the first pass (same checks, same
// partitions), so no error can arise that the first pass did not report.
void recount_days(const detail::LogInput& input, std::istream::pos_type start,
                  const std::string& source, const IngestOptions& options, int threads,
                  std::vector<CustomerTable>& tables) {
  const bool any = std::any_of(tables.begin(), tables.end(), [](const CustomerTable& table) {
    return table.recount_count() > 0;
  });
  if (!any) return;
  if (options.second_pass) {
    std::int64_t customers = 0;
    for (const CustomerTable& table : tables) {
      customers += static_cast<std::int64_t>(table.recount_count());
    }
    options.second_pass(customers);
  }
  if (input.stream != nullptr) {
    input.stream->clear();
    input.stream->seekg(start);
    if (!*input.stream)
      throw IoError(source +
                    ": cannot read the log again to count purchase days that came out of order");
  }
  std::vector<CustomerTable> recount(tables.size());
  IngestStats again;
  detail::scan_log(
      input, source, options, threads, tables.size(), detail::ChooseRuns{}, again,
      [&](std::size_t partition, const char* block, std::span<const detail::ParsedRow> rows) {
        const CustomerTable& table = tables[partition];
        CustomerTable& days = recount[partition];
        for (const detail::ParsedRow& row : rows) {
          if (row.is_return) continue;
          const std::string_view id{block + row.id_offset, row.id_length};
          const std::uint32_t index = table.find(id, row.hash);
          if (index == kNone || !table.needs_recount(index)) continue;
          days.add_purchase(days.find_or_insert(id, row.hash), row.first, 0);
        }
      });
  parallel_for(threads, tables.size(), [&](std::size_t partition) {
    CustomerTable& table = tables[partition];
    const CustomerTable& days = recount[partition];
    for (std::uint32_t index = 0; index < table.size(); ++index) {
      if (!table.needs_recount(index)) continue;
      const std::string_view id = table.id(table[index]);
      const std::uint32_t found = days.find(id, detail::hash_id(id));
      if (found == kNone) throw IoError(source + ": the log changed while it was read");
      table.set_days_count(index, days[found].days_count);
    }
  });
}

// A customer's spend overflowed: the log is read again on one thread, in one table, row by row
// (no runs), so that the error names the first row in the file whose amount takes its customer's
// total out of range, whatever the threads and blocks of the first pass. Throws that
// SpendOverflowError; returns only if the log no longer overflows (it changed meanwhile).
void locate_spend_overflow(const detail::LogInput& input, std::istream::pos_type start,
                           const std::string& source, const IngestOptions& options) {
  if (input.stream != nullptr) {
    input.stream->clear();
    input.stream->seekg(start);
    if (!*input.stream) return;
  }
  CustomerTable table(DayTracking::lists);
  IngestStats again;
  detail::scan_log(
      input, source, options, 1, 1, detail::ChooseRuns{}, again,
      [&table](std::size_t, const char* block, std::span<const detail::ParsedRow> rows) {
        table.add_rows(block, rows);
      });
}

std::size_t customer_count(const std::vector<CustomerTable>& tables) {
  std::size_t count = 0;
  for (const CustomerTable& table : tables) count += table.size();
  return count;
}

}  // namespace

namespace detail {

void append_csv_header(std::string& out, const IngestOptions& options) {
  append_csv_field(out, options.customer_col);
  out += ',';
  append_csv_field(out, options.date_col);
  out += ',';
  append_csv_field(out, options.amount_col);
  out += '\n';
}

void fill_summaries(const std::vector<CustomerTable>& tables, const std::vector<CustomerRef>& order,
                    Day as_of, std::vector<CustomerSummary>& customers, int threads) {
  constexpr std::size_t kBlock = kCustomerBlock;
  // About 100 bytes a customer, in fresh memory: its pages are faulted in on every thread
  // before the (single-threaded) construction by resize writes them.
  customers.clear();
  customers.reserve(order.size());
  populate_pages(customers.data(), order.size() * sizeof(CustomerSummary), threads);
  customers.resize(order.size());
  // Customers in id order are scattered over the tables unless the log was sorted by id: their
  // accumulators are fetched kAhead customers before they are read.
  constexpr std::size_t kAhead = 16;
  parallel_for(threads, (order.size() + kBlock - 1) / kBlock, [&](std::size_t block) {
    const std::size_t end = std::min(order.size(), (block + 1) * kBlock);
    for (std::size_t i = block * kBlock; i < end; ++i) {
      if (i + kAhead < end) {
        detail::prefetch_line(&tables[order[i + kAhead].table][order[i + kAhead].index]);
      }
      const CustomerTable& table = tables[order[i].table];
      const detail::Accumulator& from = table[order[i].index];
      summarize_customer(table.id(from), from.first, from.last, from.days_count, from.total,
                         from.first_day_spend, as_of, customers[i]);
    }
  });
}

}  // namespace detail

namespace {

// The policy of `keys` (names in enum order) named `text`, or UsageError listing them.
template <class Policy, std::size_t N>
Policy parse_policy(std::string_view text, std::string_view what, const char* const (&keys)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    if (text == keys[i]) return static_cast<Policy>(i);
  }
  std::string expected;
  for (std::size_t i = 0; i < N; ++i) {
    expected += i == 0 ? "" : i + 1 == N ? " or " : ", ";
    expected += keys[i];
  }
  throw UsageError(std::string(what) + ": expected " + expected + ", got '" + std::string(text) +
                   "'");
}

constexpr const char* kReturnsKeys[] = {"net", "drop", "fail"};      // ReturnsPolicy order
constexpr const char* kZeroAmountKeys[] = {"keep", "drop", "fail"};  // ZeroAmountPolicy order
constexpr const char* kBadRowKeys[] = {"fail", "skip"};              // BadRowPolicy order

}  // namespace

const char* returns_policy_key(ReturnsPolicy policy) noexcept {
  return kReturnsKeys[static_cast<int>(policy)];
}
const char* zero_amount_policy_key(ZeroAmountPolicy policy) noexcept {
  return kZeroAmountKeys[static_cast<int>(policy)];
}
const char* bad_row_policy_key(BadRowPolicy policy) noexcept {
  return kBadRowKeys[static_cast<int>(policy)];
}
ReturnsPolicy parse_returns_policy(std::string_view text, std::string_view what) {
  return parse_policy<ReturnsPolicy>(text, what, kReturnsKeys);
}
ZeroAmountPolicy parse_zero_amount_policy(std::string_view text, std::string_view what) {
  return parse_policy<ZeroAmountPolicy>(text, what, kZeroAmountKeys);
}
BadRowPolicy parse_bad_row_policy(std::string_view text, std::string_view what) {
  return parse_policy<BadRowPolicy>(text, what, kBadRowKeys);
}

const char* reject_reason_key(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::wrong_field_count:
      return "wrong_field_count";
    case RejectReason::empty_id:
      return "empty_id";
    case RejectReason::invalid_utf8:
      return "invalid_utf8";
    case RejectReason::bad_date:
      return "bad_date";
    case RejectReason::bad_amount:
      return "bad_amount";
    case RejectReason::negative_amount:
      return "negative_amount";
    case RejectReason::zero_amount:
      return "zero_amount";
    case RejectReason::count_:
      break;
  }
  return "unknown";
}

std::int64_t IngestStats::rows_rejected() const noexcept {
  std::int64_t sum = 0;
  for (const std::int64_t count : rejected) sum += count;
  return sum;
}

namespace {

// The customers of `tables` once every row is in (`options` with the as-of day of a period
// moved back already): the output order, the accounting of customers without a purchase day,
// the as-of day, the day range of the used rows and the summaries. Throws InputError naming
// `base.source` when no customer has a purchase day.
void finish_base(std::vector<CustomerTable>& tables, const IngestOptions& options, Day first_day,
                 Day last_day, int threads, CustomerBase& base) {
  for (CustomerTable& table : tables) table.release_lookup_and_days();
  const std::vector<CustomerRef> order = output_order(tables, threads);
  base.stats.customers_without_purchase =
      static_cast<std::int64_t>(customer_count(tables) - order.size());
  if (order.empty()) {
    throw InputError(base.source +
                     ": no customer has a purchase day: " + detail::describe_stats(base.stats));
  }
  base.as_of = options.as_of.value_or(last_day);
  if (options.period) base.as_of = period_start(base.as_of, *options.period);
  base.first_day = first_day;
  base.last_day = last_day;
  fill_summaries(tables, order, base.as_of, base.customers, threads);
}

// `given` as the rows are read: under a period, up to the end of the last period complete on
// the as-of day.
IngestOptions read_options(const IngestOptions& given) {
  IngestOptions options = given;
  if (options.period && options.as_of) {
    options.as_of = last_complete_period_end(*options.as_of, *options.period);
  }
  return options;
}

// ingest_transactions on a stream or a mapped file.
CustomerBase ingest(const detail::LogInput& input, const std::string& source,
                    const IngestOptions& given) {
  const IngestOptions options = read_options(given);
  CustomerBase base;
  base.source = source;
  // One table per thread, each owning one hash partition of the ids: no table is shared, and
  // since the accumulators are exact in any row order the result does not depend on the count.
  const int threads = std::max(options.threads, 1);
  // A log that can be read again and starts in order (sorted by date, or grouped by customer
  // with days in order) is read with runs and no day lists: a customer whose days still come out
  // of order is recounted by a second pass. Any other log keeps every customer's day list in one
  // pass: a pipe cannot be read twice, and a shuffled log would have most customers recounted.
  const std::istream::pos_type start =
      input.stream != nullptr ? input.stream->tellg() : std::istream::pos_type(0);
  const bool rereadable = start != std::istream::pos_type(-1);
  DayTracking tracking = DayTracking::lists;
  std::vector<CustomerTable> tables;
  const auto make_tables = [&] {
    tables.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) tables.emplace_back(tracking);
  };
  const detail::ChooseRuns choose_runs = [&](const detail::RowOrderProbe& first_rows) {
    if (starts_in_order(first_rows)) tracking = DayTracking::ordered;
    make_tables();
    return tracking == DayTracking::ordered;
  };
  if (!rereadable) make_tables();
  detail::LogScan scan;
  try {
    scan = detail::scan_log(input, source, options, threads, static_cast<std::size_t>(threads),
                            rereadable ? choose_runs : detail::ChooseRuns{}, base.stats,
                            [&tables](std::size_t partition, const char* block,
                                      std::span<const detail::ParsedRow> rows) {
                              tables[partition].add_rows(block, rows);
                            });
  } catch (const detail::SpendOverflowError&) {
    if (rereadable) locate_spend_overflow(input, start, source, options);
    throw;
  }
  if (tables.empty()) make_tables();  // a log without rows: the probe never ran
  if (tracking == DayTracking::ordered) {
    recount_days(input, start, source, options, threads, tables);
  }
  base.delimiter = scan.delimiter;
  finish_base(tables, options, scan.first_day, scan.last_day, threads, base);
  return base;
}

// Rows in memory are checked and accumulated in chunks of this many rows: a chunk's accepted
// rows (about 50 bytes each) and ids are what is held besides the tables.
constexpr std::size_t kRowsPerChunk = std::size_t{1} << 16;
// Chunks per batch and thread, as scan_log's blocks: one slow chunk leaves no thread idle long.
constexpr std::size_t kChunksPerThread = 4;

// The days a CSV log can write (years 0000 to 9999 in the automatic form).
constexpr Day kFirstWritableDay = detail::iso_day_number(0, 1, 1);
constexpr Day kLastWritableDay = detail::iso_day_number(9999, 12, 31);

// A bad row of a chunk under a fail policy: its index in the rows, its column and the reason.
struct RowFault {
  std::size_t row = 0;
  std::size_t column = 0;
  std::string reason;
};

// What checking one chunk of rows in memory found: the accepted rows per partition (their ids
// copied into `ids`, which ParsedRow::id_offset indexes), the accounting, the day range and
// the first bad row under a fail policy.
struct RowChunk {
  std::vector<char> ids;
  std::vector<std::vector<detail::ParsedRow>> rows;
  IngestStats stats;
  Day first_day = std::numeric_limits<Day>::max();
  Day last_day = std::numeric_limits<Day>::min();
  std::optional<RowFault> fault;
};

// The amount as the message quotes it: the text parse_amount would have read.
std::string amount_text(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char text[400];
  const auto written = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
  return std::string(text, written.ptr);
}

// A rejected row: counted under skip, the chunk's fault under fail (policy_fail: a fail policy
// of the returns or zero amounts, which applies whatever on_bad_row says).
[[gnu::cold]] bool reject_row(RowChunk& chunk, const IngestOptions& options, RejectReason reason,
                              std::size_t row, std::size_t column, bool policy_fail,
                              const std::function<std::string()>& why) {
  if (policy_fail ||
      (options.on_bad_row == BadRowPolicy::fail && reason != RejectReason::negative_amount &&
       reason != RejectReason::zero_amount)) {
    chunk.fault = RowFault{row, column, why()};
    return false;
  }
  ++chunk.stats.rejected[static_cast<int>(reason)];
  return true;
}

// Checks rows [begin, end) as a CSV log's rows are checked (ingest_transactions on a stream, in
// the same order: id, date, amount, as-of day, policies) and keeps the used ones. Stops at the
// first bad row under a fail policy (chunk.fault).
void check_rows(std::span<const Transaction> rows, std::size_t begin, std::size_t end,
                const IngestOptions& options, std::size_t partitions, RowChunk& chunk) {
  chunk.rows.assign(partitions, {});
  constexpr std::size_t kIdColumn = 1, kDateColumn = 2, kAmountColumn = 3;
  for (std::size_t i = begin; i < end; ++i) {
    const Transaction& row = rows[i];
    IngestStats& stats = chunk.stats;
    ++stats.rows_read;
    std::string_view id = row.customer_id;
    while (!id.empty() && id.front() == ' ') id.remove_prefix(1);
    while (!id.empty() && id.back() == ' ') id.remove_suffix(1);
    if (id.empty()) [[unlikely]] {
      if (reject_row(chunk, options, RejectReason::empty_id, i, kIdColumn, false, [&] {
            return "empty customer id in column '" + options.customer_col + "'";
          })) {
        continue;
      }
      return;
    }
    if (!is_valid_utf8(id)) [[unlikely]] {
      if (reject_row(chunk, options, RejectReason::invalid_utf8, i, kIdColumn, false,
                     [] { return std::string("invalid UTF-8 in customer id"); })) {
        continue;
      }
      return;
    }
    Day day = row.day;
    if (day < kFirstWritableDay || day > kLastWritableDay) [[unlikely]] {
      if (reject_row(chunk, options, RejectReason::bad_date, i, kDateColumn, false, [&] {
            return day == kMissingDay
                       ? "missing date in column '" + options.date_col + "'"
                       : "date " + format_day(day) + " out of range (0000-01-01 to 9999-12-31)";
          })) {
        continue;
      }
      return;
    }
    detail::Amount amount;
    if (!detail::amount_from_double(row.amount, amount)) [[unlikely]] {
      if (reject_row(chunk, options, RejectReason::bad_amount, i, kAmountColumn, false, [&] {
            if (std::isnan(row.amount)) {
              return "missing amount (NaN) in column '" + options.amount_col + "'";
            }
            return "amount '" + amount_text(row.amount) + "' " +
                   (std::isfinite(row.amount) ? "out of range (|amount| < 1e12)"
                                              : "is not a finite number");
          })) {
        continue;
      }
      return;
    }
    if (options.as_of && day > *options.as_of) {
      ++stats.rows_after_as_of;
      continue;
    }
    if (amount.negative) {
      if (options.returns != ReturnsPolicy::net) {
        if (reject_row(chunk, options, RejectReason::negative_amount, i, kAmountColumn,
                       options.returns == ReturnsPolicy::fail, [&] {
                         return "negative amount '" + amount_text(row.amount) + "' (returns=fail)";
                       })) {
          continue;
        }
        return;
      }
      ++stats.returns_netted;
    } else if (amount.zero) {
      if (options.zero_amounts != ZeroAmountPolicy::keep) {
        if (reject_row(chunk, options, RejectReason::zero_amount, i, kAmountColumn,
                       options.zero_amounts == ZeroAmountPolicy::fail, [&] {
                         return "zero amount '" + amount_text(row.amount) + "' (zero-amounts=fail)";
                       })) {
          continue;
        }
        return;
      }
      ++stats.zero_amount_rows;
    }
    if (options.period) day = period_start(day, *options.period);
    if (chunk.ids.size() + id.size() >= kNone) {
      throw InputError("ingest: the ids of " + std::to_string(kRowsPerChunk) +
                       " rows exceed 4 GiB");
    }
    const auto offset = static_cast<std::uint32_t>(chunk.ids.size());
    chunk.ids.insert(chunk.ids.end(), id.begin(), id.end());
    const std::uint64_t hash = detail::hash_id(id);
    chunk.rows[detail::partition_of(hash, partitions)].push_back(detail::ParsedRow{
        hash, amount.units, amount.units, offset, static_cast<std::uint32_t>(id.size()), day, day,
        1, amount.negative, amount.zero});
    ++stats.rows_used;
    chunk.first_day = std::min(chunk.first_day, day);
    chunk.last_day = std::max(chunk.last_day, day);
  }
}

void add_stats(IngestStats& to, const IngestStats& from) noexcept {
  to.rows_read += from.rows_read;
  to.rows_used += from.rows_used;
  to.rows_after_as_of += from.rows_after_as_of;
  for (int reason = 0; reason < static_cast<int>(RejectReason::count_); ++reason) {
    to.rejected[reason] += from.rejected[reason];
  }
  to.returns_netted += from.returns_netted;
  to.zero_amount_rows += from.zero_amount_rows;
}

// "source:line:column: " of row `row` of rows in memory: the line it has in the CSV text of the
// rows under a header (row + 2).
std::string row_location(const std::string& source, std::size_t row, std::size_t column) {
  return source + ":" + std::to_string(row + 2) + ":" + std::to_string(column) + ": ";
}

// A customer's spend overflowed: the rows are applied again one at a time in order, so that the
// error names the first row whose amount takes its customer's total out of range, whatever the
// threads (as locate_spend_overflow does for a log). With `split`, a customer's rows on or
// before that day and those after it are summed apart, as ingest_split sums them.
[[noreturn, gnu::cold]] void throw_rows_spend_overflow(std::span<const Transaction> rows,
                                                       const std::string& source,
                                                       const IngestOptions& options,
                                                       std::optional<Day> split) {
  CustomerTable before(DayTracking::lists);
  CustomerTable after(DayTracking::lists);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    RowChunk chunk;
    check_rows(rows, i, i + 1, options, 1, chunk);
    if (chunk.rows[0].empty()) continue;
    CustomerTable& table = split && chunk.rows[0].front().first > *split ? after : before;
    try {
      table.add_rows(chunk.ids.data(), chunk.rows[0]);
    } catch (const detail::SpendOverflow&) {
      const std::string_view id(chunk.ids.data(), chunk.ids.size());
      throw InputError(row_location(source, i, 3) + "customer '" + std::string(id.substr(0, 60)) +
                       (id.size() > 60 ? "..." : "") +
                       "': total spend exceeds the representable range (|total| < 9.2e12)");
    }
  }
  throw InputError(source + ": a customer's total spend exceeds the representable range");
}

}  // namespace

namespace detail {

LogScan scan_rows(std::span<const Transaction> rows, const std::string& source,
                  const IngestOptions& options, int threads, std::size_t partitions,
                  std::optional<Day> split, IngestStats& stats, const ApplyRows& apply) {
  // Chunks of rows are checked on every thread, then their accepted rows are applied partition
  // by partition, batch after batch, so that what is held besides the caller's tables is a
  // batch of chunks.
  const std::size_t chunk_count = (rows.size() + kRowsPerChunk - 1) / kRowsPerChunk;
  std::vector<RowChunk> batch(static_cast<std::size_t>(threads) * kChunksPerThread);
  LogScan scan;
  Day first_day = std::numeric_limits<Day>::max();
  Day last_day = std::numeric_limits<Day>::min();
  for (std::size_t first = 0; first < chunk_count; first += batch.size()) {
    const std::size_t count = std::min(batch.size(), chunk_count - first);
    parallel_for(threads, count, [&](std::size_t c) {
      RowChunk& chunk = batch[c];
      chunk = RowChunk{};
      const std::size_t begin = (first + c) * kRowsPerChunk;
      check_rows(rows, begin, std::min(rows.size(), begin + kRowsPerChunk), options, partitions,
                 chunk);
    });
    for (std::size_t c = 0; c < count; ++c) {
      const RowChunk& chunk = batch[c];
      if (chunk.fault) {
        throw InputError(row_location(source, chunk.fault->row, chunk.fault->column) +
                         chunk.fault->reason);
      }
      add_stats(stats, chunk.stats);
      first_day = std::min(first_day, chunk.first_day);
      last_day = std::max(last_day, chunk.last_day);
    }
    bool overflowed = false;
    try {
      parallel_for(threads, partitions, [&](std::size_t p) {
        for (std::size_t c = 0; c < count; ++c) apply(p, batch[c].ids.data(), batch[c].rows[p]);
      });
    } catch (const SpendOverflow&) {
      overflowed = true;
    }
    if (overflowed) throw_rows_spend_overflow(rows, source, options, split);
    if (options.progress) options.progress(stats.rows_read);
  }
  if (stats.rows_read == 0) {
    throw InputError(source + ": empty log: there are no rows");
  }
  scan.first_day = first_day;
  scan.last_day = last_day;
  return scan;
}

}  // namespace detail

namespace {

// ingest_transactions on rows in memory: one table per thread, as for a log.
CustomerBase ingest_rows(std::span<const Transaction> rows, const std::string& source,
                         const IngestOptions& given) {
  const IngestOptions options = read_options(given);
  CustomerBase base;
  base.source = source;
  base.delimiter = ',';
  const int threads = std::max(options.threads, 1);
  const auto partitions = static_cast<std::size_t>(threads);
  std::vector<CustomerTable> tables;
  tables.reserve(partitions);
  for (std::size_t t = 0; t < partitions; ++t) tables.emplace_back(DayTracking::lists);
  const detail::LogScan scan = detail::scan_rows(
      rows, source, options, threads, partitions, std::nullopt, base.stats,
      [&tables](std::size_t partition, const char* ids, std::span<const detail::ParsedRow> used) {
        tables[partition].add_rows(ids, used);
      });
  finish_base(tables, options, scan.first_day, scan.last_day, threads, base);
  return base;
}

}  // namespace

CustomerBase ingest_transactions(std::istream& in, const std::string& source,
                                 const IngestOptions& options) {
  return ingest(detail::LogInput{&in, {}}, source, options);
}

CustomerBase ingest_transactions(std::span<const Transaction> rows, const std::string& source,
                                 const IngestOptions& options) {
  return ingest_rows(rows, source, options);
}

CustomerBase ingest_transactions_file(const std::string& path, const IngestOptions& options) {
  return detail::read_log_file(
      path, [&](const detail::LogInput& input) { return ingest(input, path, options); });
}

namespace detail {

namespace {

// The per-customer after-split figures and the daily repeat purchases of ingest_split (see
// there), `order` not empty.
void count_split_days(const std::vector<CustomerTable>& before_tables,
                      const std::vector<CustomerTable>& after_tables,
                      const std::vector<CustomerRef>& order, Day last_day, int threads,
                      SplitHistory& out) {
  const std::size_t n = order.size();
  out.cohort_first_day = before_tables[order[0].table][order[0].index].first;
  for (const CustomerRef& ref : order) {
    out.cohort_first_day =
        std::min(out.cohort_first_day, before_tables[ref.table][ref.index].first);
  }
  const auto span_days = static_cast<std::size_t>(last_day - out.cohort_first_day) + 1;
  const std::size_t blocks = (n + kCustomerBlock - 1) / kCustomerBlock;
  std::vector<std::vector<std::int64_t>> block_counts(blocks);
  parallel_for(threads, blocks, [&](std::size_t block) {
    std::vector<std::int64_t>& daily = block_counts[block];
    daily.assign(span_days, 0);
    std::vector<Day> days;
    const auto count = [&](const CustomerTable& table, const detail::Accumulator& customer,
                           std::size_t skip) {
      days.resize(customer.days_count);
      table.copy_days(customer, days.data());
      for (std::size_t k = skip; k < days.size(); ++k) {
        ++daily[static_cast<std::size_t>(days[k] - out.cohort_first_day)];
      }
    };
    for (std::size_t i = block * kCustomerBlock; i < std::min(n, (block + 1) * kCustomerBlock);
         ++i) {
      const CustomerTable& before_table = before_tables[order[i].table];
      const CustomerTable& after_table = after_tables[order[i].table];
      const detail::Accumulator& customer = before_table[order[i].index];
      count(before_table, customer, 1);  // the first purchase day is no repeat purchase
      const std::string_view id = before_table.id(customer);
      const std::uint32_t a = after_table.find(id, detail::hash_id(id));
      if (a == kNone) continue;
      count(after_table, after_table[a], 0);
      out.after_purchase_days[i] = after_table[a].days_count;
      out.after_spend[i] = static_cast<double>(after_table[a].total) / kUnitsPerCurrency;
    }
  });
  out.daily_repeat_purchases.assign(span_days, 0);
  for (const std::vector<std::int64_t>& daily : block_counts) {
    for (std::size_t d = 0; d < span_days; ++d) out.daily_repeat_purchases[d] += daily[d];
  }
}

// Counts, over the tables of both sides, the customers who only buy after the split (with all
// their rows) into `out` and returns those with no purchase day at all; one partition per task.
std::int64_t count_customers_by_side(const std::vector<CustomerTable>& before_tables,
                                     const std::vector<CustomerTable>& after_tables,
                                     const std::vector<std::vector<std::int64_t>>& before_rows,
                                     const std::vector<std::vector<std::int64_t>>& after_rows,
                                     int threads, SplitHistory& out) {
  struct SideCounts {
    std::int64_t after_only_customers = 0;
    std::int64_t after_only_rows = 0;
    std::int64_t without_purchase = 0;
  };
  std::vector<SideCounts> counts(before_tables.size());
  parallel_for(threads, before_tables.size(), [&](std::size_t p) {
    const CustomerTable& before_table = before_tables[p];
    const CustomerTable& after_table = after_tables[p];
    SideCounts& count = counts[p];
    for (std::uint32_t b = 0; b < before_table.size(); ++b) {
      if (before_table[b].days_count > 0) continue;
      const std::string_view id = before_table.id(before_table[b]);
      const std::uint32_t a = after_table.find(id, detail::hash_id(id));
      if (a != kNone && after_table[a].days_count > 0) {
        ++count.after_only_customers;
        count.after_only_rows += before_rows[p][b] + after_rows[p][a];
      } else {
        ++count.without_purchase;
      }
    }
    for (std::uint32_t a = 0; a < after_table.size(); ++a) {
      const std::string_view id = after_table.id(after_table[a]);
      if (before_table.find(id, detail::hash_id(id)) != kNone) continue;  // counted above
      if (after_table[a].days_count > 0) {
        ++count.after_only_customers;
        count.after_only_rows += after_rows[p][a];
      } else {
        ++count.without_purchase;
      }
    }
  });
  std::int64_t without_purchase = 0;
  for (const SideCounts& count : counts) {
    out.after_only_customers += count.after_only_customers;
    out.after_only_rows += count.after_only_rows;
    without_purchase += count.without_purchase;
  }
  return without_purchase;
}

// One pass over the rows that `scan` reads (a log's, or rows in memory), split after `split`.
SplitHistory split_history(
    const std::string& source, const IngestOptions& options, Day split,
    const std::function<LogScan(int threads, IngestStats& stats, const ApplyRows& apply)>& scan) {
  SplitHistory out;
  CustomerBase& base = out.before;
  base.source = source;
  // As in ingest_transactions, one pair of tables per thread, each owning one hash partition of
  // the ids (a customer's rows all go to one partition, so its two histories meet there): the
  // rows on or before the split, and those after it, each with ingest's exact accumulation. Row
  // counts per customer give the rows of the customers who only start buying after the split.
  const int threads = std::max(options.threads, 1);
  const auto partitions = static_cast<std::size_t>(threads);
  std::vector<CustomerTable> before_tables(partitions);
  std::vector<CustomerTable> after_tables(partitions);
  std::vector<std::vector<std::int64_t>> before_rows(partitions);
  std::vector<std::vector<std::int64_t>> after_rows(partitions);
  const detail::LogScan scanned = scan(
      threads, base.stats,
      [&](std::size_t partition, const char* block, std::span<const detail::ParsedRow> parsed) {
        for (const detail::ParsedRow& row : parsed) {
          const bool before = row.first <= split;
          CustomerTable& table = (before ? before_tables : after_tables)[partition];
          std::vector<std::int64_t>& rows = (before ? before_rows : after_rows)[partition];
          const std::uint32_t index =
              table.find_or_insert({block + row.id_offset, row.id_length}, row.hash);
          if (index == rows.size()) rows.push_back(0);
          ++rows[index];
          try {
            if (row.is_return) {
              table.add_return(index, row.first, row.units);
            } else {
              table.add_purchase(index, row.first, row.units);
            }
          } catch (detail::SpendOverflow& overflow) {
            overflow.row = &row;
            throw;
          }
        }
      });

  base.stats.customers_without_purchase =
      count_customers_by_side(before_tables, after_tables, before_rows, after_rows, threads, out);
  std::vector<std::vector<std::int64_t>>().swap(before_rows);
  std::vector<std::vector<std::int64_t>>().swap(after_rows);
  const std::vector<CustomerRef> order = output_order(before_tables, threads);
  if (order.empty() && out.after_only_customers == 0) {
    throw InputError(source +
                     ": no customer has a purchase day: " + detail::describe_stats(base.stats));
  }
  base.delimiter = scanned.delimiter;
  base.as_of = split;
  base.first_day = scanned.first_day;
  base.last_day = scanned.last_day;

  // Per customer in output order: its purchase days and spend after the split, and its repeat
  // purchase days on both sides counted by calendar day, in blocks on all threads, each with its
  // own daily counts (integers, so their sum does not depend on the blocks). Done before the
  // summaries, so that the after-split tables and the day lists are freed before those fill
  // memory.
  const std::size_t n = order.size();
  out.after_purchase_days.assign(n, 0);
  out.after_spend.assign(n, 0.0);
  if (n > 0) count_split_days(before_tables, after_tables, order, base.last_day, threads, out);
  std::vector<CustomerTable>().swap(after_tables);
  for (CustomerTable& table : before_tables) table.release_lookup_and_days();
  fill_summaries(before_tables, order, split, base.customers, threads);
  return out;
}

}  // namespace

SplitHistory ingest_split(const LogInput& input, const std::string& source,
                          const IngestOptions& options, Day split) {
  return split_history(
      source, options, split, [&](int threads, IngestStats& stats, const ApplyRows& apply) {
        return scan_log(input, source, options, threads, static_cast<std::size_t>(threads),
                        ChooseRuns{}, stats, apply);
      });
}

SplitHistory ingest_split(std::span<const Transaction> rows, const std::string& source,
                          const IngestOptions& options, Day split) {
  return split_history(source, options, split,
                       [&](int threads, IngestStats& stats, const ApplyRows& apply) {
                         return scan_rows(rows, source, options, threads,
                                          static_cast<std::size_t>(threads), split, stats, apply);
                       });
}

}  // namespace detail

}  // namespace clvkit
