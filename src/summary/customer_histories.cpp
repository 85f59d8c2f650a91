#include "clvkit/summary/customer_histories.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <utility>

#include "clvkit/error.hpp"
#include "clvkit/io/mapped_file.hpp"
#include "clvkit/util/parallel.hpp"
#include "customer_order.hpp"
#include "customer_table.hpp"
#include "ingest_internal.hpp"
#include "log_scan.hpp"

namespace clvkit {
namespace {

using detail::CustomerRef;
using detail::CustomerTable;
using detail::DayTracking;
using Bytes = std::vector<std::uint8_t>;

// ---- The record encoding -------------------------------------------------------------------
// A record is its body's length (varint) then the body, so that a pass can step over a record it
// does not need to read. The body puts first what a summary needs: varint id length, the id's
// bytes, varint day count; with days, the first day (zigzag), with two or more the last day's
// distance from it (varint), the total (zigzag) and the first day's spend (zigzag), then the
// days in between as gaps from the day before (varint, > 0); without days, the total. Last, the
// varint count of early-return days, each its day (zigzag, the first) or gap to the previous one
// (varint, > 0) and its amount (zigzag). LEB128 varints.

std::uint64_t zigzag(std::int64_t value) noexcept {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
std::int64_t unzigzag(std::uint64_t value) noexcept {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

void put_varint(Bytes& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

void encode(const CustomerHistory& h, Bytes& out) {
  thread_local Bytes body;
  body.clear();
  put_varint(body, h.id.size());
  body.insert(body.end(), h.id.begin(), h.id.end());
  const std::size_t days = h.days.size();
  put_varint(body, days);
  if (days > 0) {
    put_varint(body, zigzag(h.days.front()));
    if (days > 1) put_varint(body, static_cast<std::uint64_t>(h.days.back() - h.days.front()));
  }
  put_varint(body, zigzag(h.total));
  if (days > 0) put_varint(body, zigzag(h.first_day_spend));
  for (std::size_t k = 1; k + 1 < days; ++k) {
    put_varint(body, static_cast<std::uint64_t>(h.days[k] - h.days[k - 1]));
  }
  put_varint(body, h.early_returns.size());
  for (std::size_t k = 0; k < h.early_returns.size(); ++k) {
    const Day day = h.early_returns[k].day;
    put_varint(body,
               k == 0 ? zigzag(day) : static_cast<std::uint64_t>(day - h.early_returns[k - 1].day));
    put_varint(body, zigzag(h.early_returns[k].millionths));
  }
  put_varint(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

// A malformed record: only a state file that was altered yet kept its checksum gets here.
struct BadRecord {
  const char* reason;
};

/// Reads records from a chunk; every read is bounds-checked (throws BadRecord).
class RecordReader {
 public:
  explicit RecordReader(std::span<const std::uint8_t> bytes) noexcept
      : at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  const std::uint8_t* position() const noexcept { return at_; }
  bool done() const noexcept { return at_ == end_; }
  /// The next record's body (after its length), which the reader steps over.
  std::span<const std::uint8_t> body() {
    const std::uint64_t length = varint();
    if (length > static_cast<std::uint64_t>(end_ - at_)) {
      throw BadRecord{"a record runs past the end of its chunk"};
    }
    const std::span<const std::uint8_t> out(at_, static_cast<std::size_t>(length));
    at_ += length;
    return out;
  }

  std::uint64_t varint() {
    if (at_ != end_ && *at_ < 0x80) return *at_++;  // most gaps and counts: one byte
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ == end_) throw BadRecord{"a record runs past the end of its chunk"};
      const std::uint8_t byte = *at_++;
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw BadRecord{"a number is longer than 64 bits"};
  }
  Day day() {
    const std::int64_t value = unzigzag(varint());
    if (value < kMinDay || value > kMaxDay) throw BadRecord{"a day is out of range"};
    return static_cast<Day>(value);
  }
  Day next_day(Day previous) {
    const std::uint64_t gap = varint();
    if (gap == 0 || gap > static_cast<std::uint64_t>(kMaxDay - previous)) {
      throw BadRecord{"days are not ascending"};
    }
    return static_cast<Day>(previous + static_cast<std::int64_t>(gap));
  }
  std::string_view bytes(std::uint64_t count) {
    if (count > static_cast<std::uint64_t>(end_ - at_)) {
      throw BadRecord{"a record runs past the end of its chunk"};
    }
    const std::string_view out{reinterpret_cast<const char*>(at_), static_cast<std::size_t>(count)};
    at_ += count;
    return out;
  }
  std::uint32_t count(std::uint64_t limit) {
    const std::uint64_t value = varint();
    if (value > limit) throw BadRecord{"a count is out of range"};
    return static_cast<std::uint32_t>(value);
  }

 private:
  // Far beyond any calendar day a log can hold; keeps gaps from overflowing.
  static constexpr std::int64_t kMinDay = -100'000'000;
  static constexpr std::int64_t kMaxDay = 100'000'000;
  const std::uint8_t* at_;
  const std::uint8_t* end_;
};

/// What a summary needs of a record, read without keeping its lists.
struct RecordFacts {
  std::string_view id;
  std::uint32_t days = 0;
  Day first = 0;
  Day last = 0;
  std::int64_t total = 0;
  std::int64_t first_day_spend = 0;
};

constexpr std::uint64_t kMaxDays = std::uint64_t{1} << 20;  // as CustomerTable
constexpr std::uint64_t kMaxEarly = std::uint64_t{1} << 32;

// Reads one record; with `history`, decodes its lists into it too (else they are stepped over).
RecordFacts read_record(RecordReader& records, CustomerHistory* history) {
  RecordReader in(records.body());
  RecordFacts facts;
  const std::uint64_t id_length = in.varint();
  if (id_length == 0) throw BadRecord{"an empty customer id"};
  facts.id = in.bytes(id_length);
  facts.days = in.count(kMaxDays);
  if (facts.days > 0) {
    facts.first = facts.last = in.day();
    if (facts.days > 1) {
      facts.last = in.next_day(facts.first);
      if (facts.last - facts.first < static_cast<Day>(facts.days - 1)) {
        throw BadRecord{"more purchase days than days between the first and the last"};
      }
    }
  }
  facts.total = unzigzag(in.varint());
  if (facts.days > 0) facts.first_day_spend = unzigzag(in.varint());
  if (history == nullptr) return facts;
  history->id = facts.id;
  history->total = facts.total;
  history->first_day_spend = facts.first_day_spend;
  history->days.clear();
  history->early_returns.clear();
  if (facts.days > 0) history->days.push_back(facts.first);
  Day day = facts.first;
  for (std::uint32_t k = 1; k + 1 < facts.days; ++k) {
    day = in.next_day(day);
    history->days.push_back(day);
  }
  if (facts.days > 1) {
    if (day >= facts.last) throw BadRecord{"days are not ascending"};
    history->days.push_back(facts.last);
  }
  const std::uint32_t early = in.count(kMaxEarly);
  for (std::uint32_t k = 0; k < early; ++k) {
    day = k == 0 ? in.day() : in.next_day(day);
    history->early_returns.push_back(DayAmount{day, unzigzag(in.varint())});
  }
  if (early > 0 && facts.days > 0 && day >= facts.first) {
    throw BadRecord{"an early return is not before the first purchase day"};
  }
  if (!in.done()) throw BadRecord{"bytes after the end of a record"};
  return facts;
}

[[noreturn]] void throw_corrupt(const std::string& source, std::optional<std::size_t> chunk,
                                const BadRecord& bad) {
  throw InputError((source.empty() ? std::string("customer histories") : source) +
                   ": the customer histories are corrupt" +
                   (chunk ? " (chunk " + std::to_string(*chunk + 1) + ")" : std::string()) + ": " +
                   bad.reason);
}

// ---- Histories of a table's accumulators, and merging ---------------------------------------

// The history of one accumulator of a table (DayTracking::lists).
void history_of(const CustomerTable& table, const detail::Accumulator& customer,
                CustomerHistory& out) {
  out.id = table.id(customer);
  out.days.resize(customer.days_count);
  table.copy_days(customer, out.days.data());
  out.total = customer.total;
  out.first_day_spend = customer.days_count > 0 ? customer.first_day_spend : 0;
  out.early_returns.clear();
  table.for_each_pending(customer, [&out](Day day, std::int64_t amount) {
    out.early_returns.push_back(DayAmount{day, amount});
  });
  // One entry per day, ascending: the canonical form (a table keeps returns in row order).
  std::sort(out.early_returns.begin(), out.early_returns.end(),
            [](const DayAmount& a, const DayAmount& b) { return a.day < b.day; });
  std::size_t kept = 0;
  for (std::size_t k = 0; k < out.early_returns.size(); ++k) {
    if (kept > 0 && out.early_returns[kept - 1].day == out.early_returns[k].day) {
      out.early_returns[kept - 1].millionths += out.early_returns[k].millionths;
    } else {
      out.early_returns[kept++] = out.early_returns[k];
    }
  }
  out.early_returns.resize(kept);
}

[[noreturn]] void throw_merged_overflow(const std::string& source, std::string_view id) {
  throw InputError(source + ": customer '" + std::string(id) +
                   "': total spend exceeds the representable range (|total| < 9.2e12)");
}

std::int64_t add_checked(std::int64_t a, std::int64_t b, const std::string& source,
                         std::string_view id) {
  std::int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) throw_merged_overflow(source, id);
  return sum;
}

// The spend of `h`'s rows on `day`, which is on or before its first purchase day: its first day's
// spend, or its returns on that day.
std::int64_t spend_on_or_before_first(const CustomerHistory& h, Day day) {
  if (!h.days.empty() && h.days.front() == day) return h.first_day_spend;
  for (const DayAmount& early : h.early_returns) {
    if (early.day == day) return early.millionths;
  }
  return 0;
}

// The history of the rows of `a` and `b` together (disjoint rows of one customer).
void merge_histories(const CustomerHistory& a, const CustomerHistory& b, CustomerHistory& out,
                     const std::string& source) {
  out.id = a.id;
  out.days.clear();
  std::set_union(a.days.begin(), a.days.end(), b.days.begin(), b.days.end(),
                 std::back_inserter(out.days));
  out.total = add_checked(a.total, b.total, source, a.id);
  out.first_day_spend = 0;
  out.early_returns.clear();
  const bool any_day = !out.days.empty();
  const Day first = any_day ? out.days.front() : 0;
  if (any_day) {
    out.first_day_spend = add_checked(spend_on_or_before_first(a, first),
                                      spend_on_or_before_first(b, first), source, a.id);
  }
  // Returns before the (new) first purchase day, per day: the two ascending lists merged.
  std::size_t i = 0, j = 0;
  const auto keep = [&](Day day, std::int64_t amount) {
    if (any_day && day >= first) return;
    if (!out.early_returns.empty() && out.early_returns.back().day == day) {
      out.early_returns.back().millionths =
          add_checked(out.early_returns.back().millionths, amount, source, a.id);
    } else {
      out.early_returns.push_back(DayAmount{day, amount});
    }
  };
  while (i < a.early_returns.size() || j < b.early_returns.size()) {
    const bool take_a =
        j == b.early_returns.size() ||
        (i < a.early_returns.size() && a.early_returns[i].day <= b.early_returns[j].day);
    const DayAmount& next = take_a ? a.early_returns[i++] : b.early_returns[j++];
    keep(next.day, next.millionths);
  }
}

// ---- Assembling histories and bases ----------------------------------------------------------

[[noreturn]] void throw_no_purchase_day(const std::string& source, const IngestStats& stats) {
  throw InputError(source + ": no customer has a purchase day: " + detail::describe_stats(stats));
}

// The summaries of the histories with a purchase day (has_days[r] != 0 for history r), as of
// `as_of`, and each history's index among them (kNoHistory without a purchase day), decoded
// chunk by chunk on `threads` threads.
void summarize_histories(const CustomerHistories& histories,
                         const std::vector<std::uint8_t>& has_days, Day as_of, int threads,
                         std::vector<CustomerSummary>& customers,
                         std::vector<std::uint32_t>& base_index) {
  const auto& chunks = histories.chunks();
  std::vector<std::size_t> first_record(chunks.size() + 1, 0);
  std::vector<std::size_t> first_customer(chunks.size() + 1, 0);
  base_index.assign(histories.size(), kNoHistory);
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    first_record[c + 1] = first_record[c] + chunks[c].customers;
    std::size_t count = 0;
    for (std::size_t r = first_record[c]; r < first_record[c + 1]; ++r) count += has_days[r];
    first_customer[c + 1] = first_customer[c] + count;
  }
  customers.clear();
  customers.reserve(first_customer.back());
  populate_pages(customers.data(), first_customer.back() * sizeof(CustomerSummary), threads);
  customers.resize(first_customer.back());
  parallel_for(threads, chunks.size(), [&](std::size_t c) {
    RecordReader in(chunks[c].bytes);
    std::size_t next = first_customer[c];
    for (std::uint32_t r = 0; r < chunks[c].customers; ++r) {
      const RecordFacts facts = read_record(in, nullptr);
      if (facts.days == 0) continue;
      base_index[first_record[c] + r] = static_cast<std::uint32_t>(next);
      detail::summarize_customer(facts.id, facts.first, facts.last, facts.days, facts.total,
                                 facts.first_day_spend, as_of, customers[next++]);
    }
  });
}

IngestOptions checked_options(const IngestOptions& options) {
  if (options.period) {
    throw UsageError(
        "customer histories (--state, update) are kept by day: --period is not "
        "supported with them");
  }
  return options;
}

// Reads a log into per-partition tables that keep every day list; counts in `late` the used
// rows dated on or before `late_cutoff` (when given).
std::vector<CustomerTable> read_tables(const detail::LogInput& input, const std::string& source,
                                       const IngestOptions& options, IngestStats& stats,
                                       detail::LogScan& scan, std::optional<Day> late_cutoff,
                                       std::int64_t& late) {
  const int threads = std::max(options.threads, 1);
  const auto partitions = static_cast<std::size_t>(threads);
  std::vector<CustomerTable> tables;
  for (std::size_t p = 0; p < partitions; ++p) tables.emplace_back(DayTracking::lists);
  std::vector<std::int64_t> late_rows(partitions, 0);
  scan = detail::scan_log(
      input, source, options, threads, partitions, detail::ChooseRuns{}, stats,
      [&](std::size_t p, const char* block, std::span<const detail::ParsedRow> rows) {
        tables[p].add_rows(block, rows);
        if (!late_cutoff) return;
        for (const detail::ParsedRow& row : rows) {
          late_rows[p] += row.first <= *late_cutoff ? 1 : 0;
        }
      });
  late = std::accumulate(late_rows.begin(), late_rows.end(), std::int64_t{0});
  return tables;
}

HistoryIngest ingest_log(const detail::LogInput& input, const std::string& source,
                         const IngestOptions& given) {
  const IngestOptions options = checked_options(given);
  const int threads = std::max(options.threads, 1);
  HistoryIngest out;
  CustomerBase& base = out.base;
  base.source = source;
  detail::LogScan scan;
  std::int64_t late = 0;
  std::vector<CustomerTable> tables =
      read_tables(input, source, options, base.stats, scan, std::nullopt, late);
  const std::vector<CustomerRef> all =
      detail::output_order(tables, threads, {.all_customers = true});
  std::vector<CustomerRef> order;
  order.reserve(all.size());
  for (const CustomerRef ref : all) {
    if (tables[ref.table][ref.index].days_count > 0) order.push_back(ref);
  }
  base.stats.customers_without_purchase = static_cast<std::int64_t>(all.size() - order.size());
  if (order.empty()) throw_no_purchase_day(source, base.stats);
  base.delimiter = scan.delimiter;
  base.as_of = options.as_of.value_or(scan.last_day);
  base.first_day = scan.first_day;
  base.last_day = scan.last_day;

  // The records, one chunk per kChunkCustomers customers in order, encoded on every thread.
  const std::size_t chunk_count =
      (all.size() + CustomerHistories::kChunkCustomers - 1) / CustomerHistories::kChunkCustomers;
  std::vector<Bytes> storage(chunk_count);
  std::vector<std::uint32_t> counts(chunk_count);
  parallel_for(threads, chunk_count, [&](std::size_t c) {
    const std::size_t begin = c * CustomerHistories::kChunkCustomers;
    const std::size_t end = std::min(all.size(), begin + CustomerHistories::kChunkCustomers);
    CustomerHistory history;
    for (std::size_t i = begin; i < end; ++i) {
      const CustomerTable& table = tables[all[i].table];
      history_of(table, table[all[i].index], history);
      encode(history, storage[c]);
    }
    storage[c].shrink_to_fit();
    counts[c] = static_cast<std::uint32_t>(end - begin);
  });
  out.histories = CustomerHistories::owning(std::move(storage), std::move(counts),
                                            detail::all_ids_numeric(tables));
  out.histories.as_of = base.as_of;
  out.histories.first_day = base.first_day;
  out.histories.last_day = base.last_day;
  out.histories.rows = base.stats;
  for (CustomerTable& table : tables) table.release_lookup_and_days();
  detail::fill_summaries(tables, order, base.as_of, base.customers, threads);
  return out;
}

// ---- Updating ----------------------------------------------------------------------------

/// The previous histories re-sorted bytewise (a new id that is not digits ends the numeric
/// order), with each record's position in the original order.
struct Resorted {
  CustomerHistories histories;
  std::vector<std::uint32_t> original;
};

Resorted resort_bytewise(const CustomerHistories& previous) {
  struct Record {
    std::string_view id;
    std::span<const std::uint8_t> bytes;
    std::uint32_t position;
  };
  std::vector<Record> records;
  records.reserve(previous.size());
  for (const CustomerHistories::Chunk& chunk : previous.chunks()) {
    RecordReader in(chunk.bytes);
    for (std::uint32_t r = 0; r < chunk.customers; ++r) {
      const std::uint8_t* start = in.position();
      const RecordFacts facts = read_record(in, nullptr);
      records.push_back(
          Record{facts.id, {start, in.position()}, static_cast<std::uint32_t>(records.size())});
    }
  }
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.id < b.id; });
  Resorted out;
  std::vector<Bytes> storage;
  std::vector<std::uint32_t> counts;
  out.original.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i % CustomerHistories::kChunkCustomers == 0) {
      storage.emplace_back();
      counts.push_back(0);
    }
    storage.back().insert(storage.back().end(), records[i].bytes.begin(), records[i].bytes.end());
    ++counts.back();
    out.original.push_back(records[i].position);
  }
  out.histories = CustomerHistories::owning(std::move(storage), std::move(counts), false);
  return out;
}

/// What merging one chunk of previous histories with its new customers produced.
struct MergedBlock {
  std::vector<Bytes> storage;
  std::vector<std::uint32_t> counts;
  std::vector<std::uint32_t> previous;  ///< per record: previous position, or kNoHistory
  std::vector<std::uint8_t> touched;    ///< per record
  std::vector<std::uint8_t> has_days;   ///< per record: 1 when it has a purchase day
  std::int64_t new_customers = 0;
};

HistoryUpdate update_log(const CustomerHistories& previous, const detail::LogInput& input,
                         const std::string& source, const IngestOptions& given) {
  IngestOptions options = checked_options(given);
  if (options.as_of && *options.as_of < previous.as_of) {
    throw UsageError("--as-of " + format_day(*options.as_of) + " is before the state's as-of day " +
                     format_day(previous.as_of) +
                     ": the state may hold rows after it; update to a later day, or run again "
                     "over the log");
  }
  const int threads = std::max(options.threads, 1);
  HistoryUpdate out;
  detail::LogScan scan;
  detail::LogInput day_input = input;
  day_input.may_have_no_rows = true;
  std::vector<CustomerTable> tables =
      read_tables(day_input, source, options, out.new_rows, scan, previous.as_of, out.late_rows);
  const bool numeric = previous.numeric_ids() && detail::all_ids_numeric(tables);
  const std::vector<CustomerRef> delta =
      detail::output_order(tables, threads, {.all_customers = true, .bytewise = !numeric});
  const auto delta_id = [&tables](CustomerRef ref) {
    return tables[ref.table].id(tables[ref.table][ref.index]);
  };

  std::optional<Resorted> resorted;
  if (previous.numeric_ids() && !numeric) resorted = resort_bytewise(previous);
  const CustomerHistories& old = resorted ? resorted->histories : previous;
  const auto& chunks = old.chunks();
  std::vector<std::size_t> first_record(chunks.size() + 1, 0);
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    first_record[c + 1] = first_record[c] + chunks[c].customers;
  }
  // The new customers of chunk c are those from bound[c] to bound[c + 1]: after the chunk's
  // first id (every one for the first chunk) and before the next chunk's.
  const std::size_t blocks = std::max<std::size_t>(chunks.size(), 1);
  std::vector<std::size_t> bound(blocks + 1, 0);
  bound[blocks] = delta.size();
  for (std::size_t c = 1; c < chunks.size(); ++c) {
    RecordReader in(chunks[c].bytes);
    const std::string_view first_id = read_record(in, nullptr).id;
    bound[c] = static_cast<std::size_t>(std::lower_bound(delta.begin(), delta.end(), first_id,
                                                         [&](CustomerRef ref, std::string_view id) {
                                                           return detail::id_less(delta_id(ref), id,
                                                                                  numeric);
                                                         }) -
                                        delta.begin());
  }

  std::vector<MergedBlock> merged(blocks);
  std::vector<std::string_view> last_ids(blocks);
  // Merges chunk b of the previous histories with its new customers into merged[b].
  const auto merge_block = [&](std::size_t b) {
    MergedBlock& block = merged[b];
    CustomerHistory old_history, new_history, both;
    // Records copied as they are accumulate in a run of bytes, appended in one piece.
    const std::uint8_t* run_begin = nullptr;
    const std::uint8_t* run_end = nullptr;
    const auto flush_run = [&] {
      if (run_begin != run_end) {
        block.storage.back().insert(block.storage.back().end(), run_begin, run_end);
      }
      run_begin = run_end = nullptr;
    };
    const auto start_record = [&]() -> Bytes& {
      if (block.counts.empty() || block.counts.back() == CustomerHistories::kChunkCustomers) {
        flush_run();
        block.storage.emplace_back();
        // About the previous chunk's size: most records are copied as they are.
        if (b < chunks.size()) block.storage.back().reserve(chunks[b].bytes.size() * 9 / 8);
        block.counts.push_back(0);
      }
      ++block.counts.back();
      return block.storage.back();
    };
    const auto emit_new = [&](CustomerRef ref, std::uint32_t previous_position) {
      history_of(tables[ref.table], tables[ref.table][ref.index], new_history);
      Bytes& bytes = start_record();
      flush_run();
      if (previous_position == kNoHistory) {
        encode(new_history, bytes);
        block.has_days.push_back(new_history.days.empty() ? 0 : 1);
        ++block.new_customers;
      } else {
        merge_histories(old_history, new_history, both, source);
        encode(both, bytes);
        block.has_days.push_back(both.days.empty() ? 0 : 1);
      }
      block.previous.push_back(previous_position);
      block.touched.push_back(1);
    };
    std::size_t next = bound[b];
    const std::size_t end = bound[b + 1];
    const std::size_t expected = (b < chunks.size() ? chunks[b].customers : 0) + (end - next);
    block.previous.reserve(expected);
    block.touched.reserve(expected);
    block.has_days.reserve(expected);
    // The id of delta[next], fetched once per new customer rather than once per record.
    std::string_view next_id = next < end ? delta_id(delta[next]) : std::string_view{};
    const auto advance = [&] {
      ++next;
      if (next < end) next_id = delta_id(delta[next]);
    };
    if (b < chunks.size()) {
      RecordReader in(chunks[b].bytes);
      for (std::uint32_t r = 0; r < chunks[b].customers; ++r) {
        const std::uint8_t* start = in.position();
        const RecordFacts facts = read_record(in, nullptr);
        if (r > 0 && !detail::id_less(last_ids[b], facts.id, numeric)) {
          throw BadRecord{"customers are not in order"};
        }
        last_ids[b] = facts.id;
        while (next < end && detail::id_less(next_id, facts.id, numeric)) {
          emit_new(delta[next], kNoHistory);
          advance();
        }
        std::size_t position = first_record[b] + r;
        if (resorted) position = resorted->original[position];
        const auto original = static_cast<std::uint32_t>(position);
        if (next < end && next_id == facts.id) {
          RecordReader again(std::span<const std::uint8_t>(start, in.position()));
          read_record(again, &old_history);
          emit_new(delta[next], original);
          advance();
        } else {
          start_record();
          if (run_end != start) {
            flush_run();
            run_begin = start;
          }
          run_end = in.position();
          block.previous.push_back(original);
          block.touched.push_back(0);
          block.has_days.push_back(facts.days > 0 ? 1 : 0);
        }
      }
      if (!in.done()) throw BadRecord{"bytes after the last record of a chunk"};
    }
    while (next < end) emit_new(delta[next++], kNoHistory);
    flush_run();
  };
  parallel_for(threads, blocks, [&](std::size_t b) {
    try {
      merge_block(b);
    } catch (const BadRecord& bad) {
      throw_corrupt(previous.source(), b, bad);
    }
  });
  for (std::size_t c = 1; c < chunks.size(); ++c) {
    RecordReader in(chunks[c].bytes);
    if (!detail::id_less(last_ids[c - 1], read_record(in, nullptr).id, numeric)) {
      throw_corrupt(previous.source(), c, BadRecord{"customers are not in order"});
    }
  }

  std::vector<Bytes> storage;
  std::vector<std::uint32_t> counts;
  std::vector<std::uint32_t> record_previous;
  std::vector<std::uint8_t> record_touched;
  std::vector<std::uint8_t> record_has_days;
  record_previous.reserve(previous.size() + delta.size());
  record_touched.reserve(previous.size() + delta.size());
  for (MergedBlock& block : merged) {
    for (Bytes& bytes : block.storage) storage.push_back(std::move(bytes));
    counts.insert(counts.end(), block.counts.begin(), block.counts.end());
    record_previous.insert(record_previous.end(), block.previous.begin(), block.previous.end());
    record_touched.insert(record_touched.end(), block.touched.begin(), block.touched.end());
    record_has_days.insert(record_has_days.end(), block.has_days.begin(), block.has_days.end());
    out.new_customers += block.new_customers;
    MergedBlock().storage.swap(block.storage);
  }
  out.histories = CustomerHistories::owning(std::move(storage), std::move(counts), numeric);
  CustomerHistories& next = out.histories;
  const bool any_used = out.new_rows.rows_used > 0;
  next.as_of =
      std::max(previous.as_of, options.as_of.value_or(any_used ? scan.last_day : previous.as_of));
  next.first_day = any_used ? std::min(previous.first_day, scan.first_day) : previous.first_day;
  next.last_day = any_used ? std::max(previous.last_day, scan.last_day) : previous.last_day;
  next.rows = previous.rows;
  next.rows.rows_read += out.new_rows.rows_read;
  next.rows.rows_used += out.new_rows.rows_used;
  next.rows.rows_after_as_of += out.new_rows.rows_after_as_of;
  for (int r = 0; r < static_cast<int>(RejectReason::count_); ++r) {
    next.rows.rejected[r] += out.new_rows.rejected[r];
  }
  next.rows.returns_netted += out.new_rows.returns_netted;
  next.rows.zero_amount_rows += out.new_rows.zero_amount_rows;

  CustomerBase& base = out.base;
  base.source = source;
  base.delimiter = scan.delimiter;
  base.as_of = next.as_of;
  base.first_day = next.first_day;
  base.last_day = next.last_day;
  summarize_histories(next, record_has_days, next.as_of, threads, base.customers, out.base_index);
  next.rows.customers_without_purchase =
      static_cast<std::int64_t>(next.size() - base.customers.size());
  out.new_rows.customers_without_purchase = next.rows.customers_without_purchase;
  base.stats = next.rows;
  if (base.customers.empty()) throw_no_purchase_day(source, base.stats);
  out.previous.assign(base.customers.size(), kNoHistory);
  out.touched.assign(base.customers.size(), 0);
  for (std::size_t r = 0; r < next.size(); ++r) {
    const std::uint32_t i = out.base_index[r];
    if (i == kNoHistory) continue;
    out.previous[i] = record_previous[r];
    out.touched[i] = record_touched[r];
  }
  return out;
}

}  // namespace

// ---- CustomerHistories -------------------------------------------------------------------

void CustomerHistories::for_each(const std::function<void(const CustomerHistory&)>& visit) const {
  CustomerHistory history;
  for (std::size_t c = 0; c < chunks_.size(); ++c) {
    RecordReader in(chunks_[c].bytes);
    for (std::uint32_t r = 0; r < chunks_[c].customers; ++r) {
      try {
        read_record(in, &history);
      } catch (const BadRecord& bad) {
        throw_corrupt(source_, c, bad);
      }
      visit(history);
    }
  }
}

CustomerHistories CustomerHistories::owning(std::vector<std::vector<std::uint8_t>> storage,
                                            std::vector<std::uint32_t> counts, bool numeric_ids) {
  auto owned = std::make_shared<std::vector<std::vector<std::uint8_t>>>(std::move(storage));
  CustomerHistories out;
  out.numeric_ = numeric_ids;
  for (std::size_t c = 0; c < owned->size(); ++c) {
    if (counts[c] == 0) continue;
    out.chunks_.push_back(Chunk{(*owned)[c], counts[c]});
    out.size_ += counts[c];
  }
  out.owner_ = std::move(owned);
  return out;
}

CustomerHistories CustomerHistories::from_chunks(std::vector<Chunk> chunks, bool numeric_ids,
                                                 std::shared_ptr<const void> owner,
                                                 const std::string& source) {
  CustomerHistories out;
  out.numeric_ = numeric_ids;
  out.owner_ = std::move(owner);
  out.source_ = source;
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    if (chunks[c].customers == 0) {
      throw InputError(source + ": customer histories, chunk " + std::to_string(c + 1) +
                       ": a chunk without customers");
    }
    out.size_ += chunks[c].customers;
  }
  out.chunks_ = std::move(chunks);
  return out;
}

// ---- Public functions --------------------------------------------------------------------

HistoryIngest ingest_histories_file(const std::string& path, const IngestOptions& options) {
  return detail::read_log_file(
      path, [&](const detail::LogInput& input) { return ingest_log(input, path, options); });
}

HistoryIngest ingest_histories(std::istream& in, const std::string& source,
                               const IngestOptions& options) {
  return ingest_log(detail::LogInput{&in, {}}, source, options);
}

HistoryUpdate update_histories_file(const CustomerHistories& previous, const std::string& path,
                                    const IngestOptions& options) {
  try {
    return detail::read_log_file(path, [&](const detail::LogInput& input) {
      return update_log(previous, input, path, options);
    });
  } catch (const BadRecord& bad) {
    throw_corrupt(previous.source(), std::nullopt, bad);
  }
}

HistoryUpdate update_histories(const CustomerHistories& previous, std::istream& in,
                               const std::string& source, const IngestOptions& options) {
  try {
    return update_log(previous, detail::LogInput{&in, {}}, source, options);
  } catch (const BadRecord& bad) {
    throw_corrupt(previous.source(), std::nullopt, bad);
  }
}

}  // namespace clvkit
