#include "clvkit/summary/ingest.hpp"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <string_view>

#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/io/date.hpp"
#include "ingest_internal.hpp"

namespace clvkit {
namespace {

// Amounts are accumulated as integers in millionths of the currency unit: integer sums do not
// depend on the order of the rows, so an unsorted log gives bit-for-bit the sorted result.
constexpr double kUnitsPerCurrency = 1e6;
// Bound on one amount: keeps amount * 1e6 far inside int64 and every realistic sum with it.
constexpr double kMaxAbsAmount = 1e12;
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

std::string_view trim(std::string_view text, bool tabs_too) noexcept {
  const auto is_blank = [tabs_too](char c) { return c == ' ' || (tabs_too && c == '\t'); };
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// A decimal with '.', an optional sign, no exponent; finite and below kMaxAbsAmount.
bool parse_amount(std::string_view text, double& value) noexcept {
  const char* first = text.data();
  const char* const last = first + text.size();
  if (first != last && *first == '+') {
    ++first;
    if (first != last && *first == '-') return false;
  }
  const auto result = fast_float::from_chars(first, last, value, fast_float::chars_format::fixed);
  return result.ec == std::errc() && result.ptr == last && std::isfinite(value) &&
         std::fabs(value) < kMaxAbsAmount;
}

// GCC and Clang's 128-bit integer; __extension__ tells -Wpedantic that it is deliberate.
__extension__ using Uint128 = unsigned __int128;

// 64-bit multiply-fold: the full 128-bit product with its halves xor-ed together.
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
  const Uint128 product = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// Hash of a customer id: 8 bytes at a time through a multiply-fold, the length mixed in first
// so that ids differing only by trailing zero bytes differ. Ids are short, so this is a handful
// of multiplications per row.
std::uint64_t hash_id(std::string_view id) noexcept {
  constexpr std::uint64_t kSeed = 0x9E3779B97F4A7C15ull;
  constexpr std::uint64_t kBlock = 0xC2B2AE3D27D4EB4Full;
  constexpr std::uint64_t kTail = 0x165667B19E3779F9ull;
  constexpr std::uint64_t kFinal = 0xD6E8FEB86659FD93ull;
  const char* p = id.data();
  std::size_t n = id.size();
  std::uint64_t h = kSeed ^ (static_cast<std::uint64_t>(n) * kBlock);
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = fold_multiply(h ^ word, kBlock);
    p += 8;
    n -= 8;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = fold_multiply(h ^ tail, kTail);
  return fold_multiply(h, kFinal);
}

void add_or_throw(std::int64_t& sum, std::int64_t amount) {
  if (__builtin_add_overflow(sum, amount, &sum)) [[unlikely]] {
    throw InputError("ingest: a customer's spend exceeds the representable range (9.2e12)");
  }
}

constexpr std::size_t kInlineId = 20;

/// One customer's running state in one 64-byte cache line, id included when it has at most
/// kInlineId bytes (longer ids live in the arena): a row costs a miss on its hash slot and one
/// on this line. Beyond it, 4 bytes per distinct purchase day from the third on (the shared day
/// pool) and 16 per return that may still fall on the first purchase day.
struct alignas(64) Accumulator {
  std::int64_t total = 0;            ///< all used amounts, in millionths
  std::int64_t first_day_spend = 0;  ///< all used amounts on day `first`, in millionths
  Day first = 0;                     ///< first purchase day, when days_count > 0
  Day last = 0;                      ///< last purchase day, when days_count > 0
  std::uint32_t days_begin = 0;      ///< sorted distinct days in the pool, when days_count >= 3
  std::uint32_t days_count = 0;      ///< distinct purchase days; 1 and 2 are just first/last
  std::uint32_t days_capacity = 0;
  std::uint32_t pending = kNone;  ///< list of returns dated before `first` (or before any purchase)
  std::uint32_t id_length = 0;
  char id[kInlineId] = {};  ///< the id, or its uint64 offset in the arena when longer
};
static_assert(sizeof(Accumulator) == 64);

/// A return that happened on a day earlier than the customer's first purchase seen so far: it
/// belongs to the first purchase day's spend if a purchase on that day turns up later.
struct PendingReturn {
  std::int64_t amount;
  Day day;
  std::uint32_t next;
};

/// Customers by id: interned ids, an open-addressing table, and per-customer accumulators that
/// give exact results for rows in any order. It holds no row, so memory grows with customers
/// and distinct purchase days, not with rows. A parallel version would fill one table per chunk
/// of the input and merge them (union of the day lists, sums added, pending returns replayed).
class CustomerTable {
 public:
  CustomerTable() : slots_(std::size_t{1} << 12, 0), mask_(slots_.size() - 1) {}

  /// The index of `id`, whose hash_id is `hash`, inserting an empty accumulator for a new id.
  std::uint32_t find_or_insert(std::string_view id, std::uint64_t hash) {
    if ((customers_.size() + 1) * 2 > slots_.size()) grow_slots();
    const std::uint64_t tag = hash >> 32;
    std::size_t position = hash & mask_;
    for (;;) {
      const std::uint64_t slot = slots_[position];
      if (slot == 0) break;
      if ((slot >> 32) == tag) {
        const auto index = static_cast<std::uint32_t>(slot) - 1;
        const Accumulator& customer = customers_[index];
        if (customer.id_length == id.size() && this->id(customer) == id) {
          return index;
        }
      }
      position = (position + 1) & mask_;
    }
    if (customers_.size() >= kNone - 1 || id.size() >= kNone) {
      throw InputError("ingest: too many distinct customer ids (the limit is 2^32 - 2)");
    }
    Accumulator customer;
    customer.id_length = static_cast<std::uint32_t>(id.size());
    if (id.size() <= kInlineId) {
      std::memcpy(customer.id, id.data(), id.size());
    } else {
      const std::uint64_t offset = id_bytes_.size();
      std::memcpy(customer.id, &offset, sizeof offset);
      id_bytes_.insert(id_bytes_.end(), id.begin(), id.end());
    }
    all_numeric_ = all_numeric_ &&
                   std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    const auto index = static_cast<std::uint32_t>(customers_.size());
    customers_.push_back(customer);
    slots_[position] = (tag << 32) | (std::uint64_t{index} + 1);
    return index;
  }

  /// A purchase occasion (positive amount, or zero under keep) of `amount` millionths.
  void add_purchase(std::uint32_t index, Day day, std::int64_t amount) {
    Accumulator& customer = customers_[index];
    add_or_throw(customer.total, amount);
    if (customer.days_count == 0 || day < customer.first) {
      // A new first purchase day: its spend is this row plus the returns already seen on it.
      std::int64_t spend = amount;
      if (customer.pending != kNone) add_or_throw(spend, absorb_pending(customer, day));
      customer.first_day_spend = spend;
    } else if (day == customer.first) {
      add_or_throw(customer.first_day_spend, amount);
    }
    add_day(customer, day);
  }

  /// A return (negative amount) under returns=net: spend only, never a purchase day.
  void add_return(std::uint32_t index, Day day, std::int64_t amount) {
    Accumulator& customer = customers_[index];
    add_or_throw(customer.total, amount);
    if (customer.days_count > 0 && day == customer.first) {
      add_or_throw(customer.first_day_spend, amount);
    } else if (customer.days_count == 0 || day < customer.first) {
      // It joins the first day's spend only if a purchase on its day turns up later; a return
      // after the first purchase day never can, since the first purchase day only moves back.
      if (pending_.size() >= kNone) throw InputError("ingest: too many returns to track");
      pending_.push_back(PendingReturn{amount, day, customer.pending});
      customer.pending = static_cast<std::uint32_t>(pending_.size() - 1);
    }
  }

  // Prefetches, each a hint only: the three cache misses of a row (its hash slot, its
  // accumulator, the end of its day list) are issued for a whole batch before any is waited on.
  void prefetch_slot(std::uint64_t hash) const noexcept {
    __builtin_prefetch(slots_.data() + (hash & mask_));
  }
  void prefetch_customer(std::uint64_t hash) const noexcept {
    const std::uint64_t slot = slots_[hash & mask_];
    if (slot != 0 && (slot >> 32) == (hash >> 32)) {
      __builtin_prefetch(customers_.data() + (static_cast<std::uint32_t>(slot) - 1));
    }
  }
  void prefetch_days(std::uint32_t index) const noexcept {
    const Accumulator& customer = customers_[index];
    if (customer.days_count >= 3) {
      __builtin_prefetch(days_.data() + customer.days_begin + customer.days_count - 1, 1);
    }
  }

  std::size_t size() const noexcept { return customers_.size(); }
  const Accumulator& operator[](std::size_t index) const noexcept { return customers_[index]; }
  std::string_view id(const Accumulator& customer) const noexcept {
    if (customer.id_length <= kInlineId) return {customer.id, customer.id_length};
    std::uint64_t offset;
    std::memcpy(&offset, customer.id, sizeof offset);
    return {id_bytes_.data() + offset, customer.id_length};
  }
  bool all_ids_numeric() const noexcept { return all_numeric_; }

  /// The index of `id` (whose hash_id is `hash`), or kNone when it is not in the table.
  std::uint32_t find(std::string_view id, std::uint64_t hash) const noexcept {
    const std::uint64_t tag = hash >> 32;
    for (std::size_t position = hash & mask_;; position = (position + 1) & mask_) {
      const std::uint64_t slot = slots_[position];
      if (slot == 0) return kNone;
      if ((slot >> 32) != tag) continue;
      const auto index = static_cast<std::uint32_t>(slot) - 1;
      const Accumulator& customer = customers_[index];
      if (customer.id_length == id.size() && this->id(customer) == id) return index;
    }
  }

  /// Appends the customer's sorted distinct purchase days to `out`.
  void append_days(const Accumulator& customer, std::vector<Day>& out) const {
    if (customer.days_count == 0) return;
    if (customer.days_count <= 2) {
      out.push_back(customer.first);
      if (customer.days_count == 2) out.push_back(customer.last);
      return;
    }
    const auto begin = days_.begin() + customer.days_begin;
    out.insert(out.end(), begin, begin + customer.days_count);
  }

 private:
  void grow_slots() {
    std::vector<std::uint64_t> slots(slots_.size() * 2, 0);
    const std::size_t mask = slots.size() - 1;
    for (std::uint64_t slot : slots_) {
      if (slot == 0) continue;
      // Positions use the low hash bits, which the slot does not keep: hash the id again.
      std::size_t position = hash_id(id(customers_[static_cast<std::uint32_t>(slot) - 1])) & mask;
      while (slots[position] != 0) position = (position + 1) & mask;
      slots[position] = slot;
    }
    slots_.swap(slots);
    mask_ = mask;
  }

  // Sums the pending returns dated `new_first` and forgets every pending return not before it.
  std::int64_t absorb_pending(Accumulator& customer, Day new_first) {
    std::int64_t sum = 0;
    std::uint32_t* link = &customer.pending;
    while (*link != kNone) {
      PendingReturn& pending = pending_[*link];
      if (pending.day < new_first) {
        link = &pending.next;
        continue;
      }
      if (pending.day == new_first) add_or_throw(sum, pending.amount);
      *link = pending.next;
    }
    return sum;
  }

  std::uint32_t allocate_days(std::uint32_t count) {
    if (days_.size() + count >= kNone) {
      throw InputError("ingest: too many distinct customer purchase days (the limit is 2^32)");
    }
    const auto begin = static_cast<std::uint32_t>(days_.size());
    days_.resize(days_.size() + count);
    return begin;
  }

  // Room for one more day; a full list doubles, in place when it is the last one in the pool.
  void reserve_one_more(Accumulator& customer) {
    if (customer.days_count < customer.days_capacity) return;
    const std::uint32_t capacity = customer.days_capacity * 2;
    if (customer.days_begin + customer.days_capacity == days_.size()) {
      allocate_days(capacity - customer.days_capacity);
    } else {
      const std::uint32_t begin = allocate_days(capacity);
      std::copy_n(days_.begin() + customer.days_begin, customer.days_count, days_.begin() + begin);
      customer.days_begin = begin;
    }
    customer.days_capacity = capacity;
  }

  // Records a purchase day. Most days arrive in order (an O(1) append or a repeat of the last
  // day); an earlier day is found or inserted by binary search in the sorted list.
  void add_day(Accumulator& customer, Day day) {
    const std::uint32_t count = customer.days_count;
    if (count == 0) {
      customer.first = customer.last = day;
      customer.days_count = 1;
      return;
    }
    if (day == customer.last || day == customer.first) return;
    if (count == 1) {
      (day < customer.first ? customer.first : customer.last) = day;
      customer.days_count = 2;
      return;
    }
    if (count == 2) {
      const std::uint32_t begin = allocate_days(4);
      Day sorted[3] = {customer.first, customer.last, day};
      std::sort(sorted, sorted + 3);
      std::copy_n(sorted, 3, days_.begin() + begin);
      customer.days_begin = begin;
      customer.days_capacity = 4;
      customer.days_count = 3;
      customer.first = sorted[0];
      customer.last = sorted[2];
      return;
    }
    if (day > customer.last) {
      reserve_one_more(customer);
      days_[customer.days_begin + count] = day;
      customer.days_count = count + 1;
      customer.last = day;
      return;
    }
    const auto list_begin = days_.begin() + customer.days_begin;
    const auto found = std::lower_bound(list_begin, list_begin + count, day);
    if (*found == day) return;  // found is before the end: day < last
    const auto offset = found - list_begin;
    reserve_one_more(customer);
    const auto moved_begin = days_.begin() + customer.days_begin;
    std::copy_backward(moved_begin + offset, moved_begin + count, moved_begin + count + 1);
    moved_begin[offset] = day;
    customer.days_count = count + 1;
    customer.first = std::min(customer.first, day);
  }

  std::vector<Accumulator> customers_;
  std::vector<char> id_bytes_;        ///< the arena of ids longer than kInlineId
  std::vector<std::uint64_t> slots_;  ///< 0 = empty, else hash high 32 bits << 32 | index + 1
  std::size_t mask_;
  std::vector<Day> days_;  ///< pooled sorted day lists, one region per customer
  std::vector<PendingReturn> pending_;
  bool all_numeric_ = true;
};

std::string_view significant_digits(std::string_view id) noexcept {
  const std::size_t start = id.find_first_not_of('0');
  return start == std::string_view::npos ? std::string_view{} : id.substr(start);
}

// Orders ids numerically when all are digit strings (see CustomerBase), else bytewise.
bool numeric_id_less(std::string_view a, std::string_view b) noexcept {
  const std::string_view sa = significant_digits(a), sb = significant_digits(b);
  if (sa.size() != sb.size()) return sa.size() < sb.size();
  if (const int order = sa.compare(sb); order != 0) return order < 0;
  return a < b;
}

// Up to 8 bytes of `text` from `offset` as a big-endian number, zero-padded: comparing these
// numbers agrees with comparing the bytes, so most comparisons of a sort touch no id at all.
std::uint64_t big_endian_prefix(std::string_view text, std::size_t offset) noexcept {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const std::size_t at = offset + i;
    key = (key << 8) | (at < text.size() ? static_cast<unsigned char>(text[at]) : 0u);
  }
  return key;
}

/// A customer's position in the output order: two integer keys that decide almost every
/// comparison, and the full id comparison for ties.
struct SortKey {
  std::uint64_t major;
  std::uint64_t minor;
  std::uint32_t index;
};

// Numeric order: (number of significant digits, their first 19 digits as a number); bytewise
// order: the first 16 bytes. Both are consistent with the full comparison, which breaks ties.
SortKey sort_key(std::string_view id, bool numeric, std::uint32_t index) noexcept {
  if (!numeric) return SortKey{big_endian_prefix(id, 0), big_endian_prefix(id, 8), index};
  const std::string_view digits = significant_digits(id);
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(digits.size(), 19); ++i) {
    value = value * 10 + static_cast<std::uint64_t>(digits[i] - '0');
  }
  return SortKey{digits.size(), value, index};
}

/// Accepted rows on their way into the CustomerTable, applied in batches so that the cache misses
/// of different rows overlap (with ~1M customers a row's slot and accumulator are almost never
/// cached). Rows keep their order; ids are copied into a reused buffer because the CSV reader's
/// views die with its next record.
class RowBatch {
 public:
  static constexpr std::size_t kCapacity = 64;

  explicit RowBatch(CustomerTable& table) : table_(table) { id_bytes_.reserve(kCapacity * 32); }

  void add(std::string_view id, Day day, std::int64_t amount, bool is_return) {
    const std::uint64_t hash = hash_id(id);
    table_.prefetch_slot(hash);
    rows_[size_++] = Row{hash, id_bytes_.size(), id.size(), amount, day, is_return, 0};
    id_bytes_.insert(id_bytes_.end(), id.begin(), id.end());
    if (size_ == kCapacity) flush();
  }

  void flush() {
    for (std::size_t i = 0; i < size_; ++i) table_.prefetch_customer(rows_[i].hash);
    for (std::size_t i = 0; i < size_; ++i) {
      Row& row = rows_[i];
      row.customer =
          table_.find_or_insert({id_bytes_.data() + row.id_offset, row.id_length}, row.hash);
      table_.prefetch_days(row.customer);
    }
    for (std::size_t i = 0; i < size_; ++i) {
      const Row& row = rows_[i];
      if (row.is_return) {
        table_.add_return(row.customer, row.day, row.amount);
      } else {
        table_.add_purchase(row.customer, row.day, row.amount);
      }
    }
    size_ = 0;
    id_bytes_.clear();
  }

 private:
  struct Row {
    std::uint64_t hash;
    std::size_t id_offset;
    std::size_t id_length;
    std::int64_t amount;
    Day day;
    bool is_return;
    std::uint32_t customer;
  };
  CustomerTable& table_;
  Row rows_[kCapacity];
  std::size_t size_ = 0;
  std::vector<char> id_bytes_;
};

// Error messages quote the offending text, shortened so that one bad row cannot flood a log.
std::string quote_token(std::string_view token) {
  constexpr std::size_t kMaxShown = 60;
  std::string quoted(1, '\'');
  quoted.append(token.substr(0, kMaxShown));
  quoted.append(token.size() > kMaxShown ? "...'" : "'");
  return quoted;
}

[[noreturn, gnu::cold, gnu::noinline]] void throw_row_error(const CsvReader& reader,
                                                            std::size_t column,
                                                            const std::string& reason) {
  throw InputError(reader.source() + ":" + std::to_string(reader.line()) + ":" +
                   std::to_string(column) + ": " + reason);
}

[[noreturn, gnu::cold, gnu::noinline]] void throw_field_count(const CsvReader& reader,
                                                              std::size_t expected) {
  const std::size_t found = reader.size();
  throw_row_error(
      reader, std::min(found, expected) + 1,
      "expected " + std::to_string(expected) + " fields, found " + std::to_string(found));
}

[[noreturn, gnu::cold, gnu::noinline]] void throw_bad_amount(const CsvReader& reader,
                                                             std::size_t column) {
  const std::string_view text = reader[column - 1];
  double value = 0.0;
  const std::string_view trimmed = trim(text, true);
  const auto result = fast_float::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value,
                                             fast_float::chars_format::fixed);
  const bool out_of_range = result.ec == std::errc() &&
                            result.ptr == trimmed.data() + trimmed.size() && std::isfinite(value);
  throw_row_error(reader, column,
                  out_of_range ? "amount " + quote_token(text) + " out of range (|amount| < 1e12)"
                               : "unparsable amount " + quote_token(text) +
                                     " (expected a decimal number such as 12.50)");
}

std::string describe_stats(const IngestStats& stats) {
  std::string text = std::to_string(stats.rows_read) + " rows read, " +
                     std::to_string(stats.rows_used) + " used, " +
                     std::to_string(stats.rows_after_as_of) + " after the as-of day, " +
                     std::to_string(stats.rows_rejected()) + " rejected";
  std::string reasons;
  for (int reason = 0; reason < static_cast<int>(RejectReason::count_); ++reason) {
    if (stats.rejected[reason] == 0) continue;
    reasons += (reasons.empty() ? "" : ", ") +
               std::string(reject_reason_key(static_cast<RejectReason>(reason))) + " " +
               std::to_string(stats.rejected[reason]);
  }
  return reasons.empty() ? text : text + " (" + reasons + ")";
}

struct Columns {
  std::size_t id = 0, date = 0, amount = 0;
};

// Finds the configured columns in the header record.
Columns locate_columns(const CsvReader& header, const IngestOptions& options) {
  const auto fail = [&](const std::string& reason) {
    throw InputError(header.source() + ":" + std::to_string(header.line()) + ":0: " + reason);
  };
  const auto find = [&](const std::string& name) {
    std::size_t found = header.size();
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (trim(header[i], true) != name) continue;
      if (found != header.size()) {
        fail("column '" + name + "' appears twice in the header (fields " +
             std::to_string(found + 1) + " and " + std::to_string(i + 1) + ")");
      }
      found = i;
    }
    if (found == header.size()) {
      std::string names;
      for (std::size_t i = 0; i < header.size(); ++i) {
        names += (i ? ", " : "") + std::string(trim(header[i], true));
      }
      fail("missing column '" + name + "' (header has: " + names + ")");
    }
    return found;
  };
  return Columns{find(options.customer_col), find(options.date_col), find(options.amount_col)};
}

/// What one pass over a log found besides the rows themselves.
struct LogScan {
  Day first_day = std::numeric_limits<Day>::max();  ///< earliest used day
  Day last_day = std::numeric_limits<Day>::min();   ///< latest used day
  char delimiter = ',';
};

// The streaming pass shared by every reader of a log: header, row checks, the as-of cut-off and
// the amount policies, with the accounting in `stats`. Each used row goes to
// sink(id, day, amount in millionths, is_return); the id view dies with the next row. A template
// so that ingest_transactions' sink is inlined into the loop.
template <class Sink>
LogScan scan_log(std::istream& in, const std::string& source, const IngestOptions& options,
                 IngestStats& stats, Sink&& sink) {
  const DateParser dates(options.date_format);
  CsvReader reader(in, source, options.delimiter);
  if (!reader.next()) throw InputError(source + ":1:0: empty log: no header line");
  const Columns columns = locate_columns(reader, options);
  const std::size_t header_fields = reader.size();

  LogScan scan;
  scan.delimiter = reader.delimiter();
  const auto reject = [&stats](RejectReason reason) { ++stats.rejected[static_cast<int>(reason)]; };
  const bool fail_bad_rows = options.on_bad_row == BadRowPolicy::fail;
  const bool has_as_of = options.as_of.has_value();
  const Day as_of = options.as_of.value_or(0);

  // Progress is reported every 2^20 rows: one branch per row, no clock reads on the hot path.
  constexpr std::int64_t kProgressRows = std::int64_t{1} << 20;
  const bool report_progress = static_cast<bool>(options.progress);
  while (reader.next()) {
    ++stats.rows_read;
    if ((stats.rows_read & (kProgressRows - 1)) == 0 && report_progress) [[unlikely]] {
      options.progress(stats.rows_read);
    }
    if (reader.size() != header_fields) [[unlikely]] {
      if (fail_bad_rows) throw_field_count(reader, header_fields);
      reject(RejectReason::wrong_field_count);
      continue;
    }
    const std::string_view id = trim(reader[columns.id], false);
    if (id.empty()) [[unlikely]] {
      if (fail_bad_rows) {
        throw_row_error(reader, columns.id + 1,
                        "empty customer id in column '" + options.customer_col + "'");
      }
      reject(RejectReason::empty_id);
      continue;
    }
    const std::optional<Day> day = dates.parse(trim(reader[columns.date], true));
    if (!day) [[unlikely]] {
      if (fail_bad_rows) {
        throw_row_error(reader, columns.date + 1,
                        "unparsable date " + quote_token(reader[columns.date]) + " (expected " +
                            dates.expectation() + ")");
      }
      reject(RejectReason::bad_date);
      continue;
    }
    double amount = 0.0;
    if (!parse_amount(trim(reader[columns.amount], true), amount)) [[unlikely]] {
      if (fail_bad_rows) throw_bad_amount(reader, columns.amount + 1);
      reject(RejectReason::bad_amount);
      continue;
    }
    if (has_as_of && *day > as_of) {
      ++stats.rows_after_as_of;
      continue;
    }
    const std::int64_t units = std::llround(amount * kUnitsPerCurrency);
    const bool is_return = amount < 0.0;
    if (is_return) {
      if (options.returns == ReturnsPolicy::fail) {
        throw_row_error(
            reader, columns.amount + 1,
            "negative amount " + quote_token(reader[columns.amount]) + " (returns=fail)");
      }
      if (options.returns == ReturnsPolicy::drop) {
        reject(RejectReason::negative_amount);
        continue;
      }
      ++stats.returns_netted;
    } else if (amount == 0.0) {
      if (options.zero_amounts == ZeroAmountPolicy::fail) {
        throw_row_error(
            reader, columns.amount + 1,
            "zero amount " + quote_token(reader[columns.amount]) + " (zero-amounts=fail)");
      }
      if (options.zero_amounts == ZeroAmountPolicy::drop) {
        reject(RejectReason::zero_amount);
        continue;
      }
      ++stats.zero_amount_rows;
    }
    sink(id, *day, units, is_return);
    ++stats.rows_used;
    scan.first_day = std::min(scan.first_day, *day);
    scan.last_day = std::max(scan.last_day, *day);
  }
  if (stats.rows_read == 0) {
    throw InputError(source + ": empty log: the header is not followed by any data row");
  }
  return scan;
}

// The customers of `table` that have a purchase day, in output order (see CustomerBase).
std::vector<std::uint32_t> output_order(const CustomerTable& table) {
  std::vector<std::uint32_t> order;
  order.reserve(table.size());
  for (std::uint32_t i = 0; i < table.size(); ++i) {
    if (table[i].days_count > 0) order.push_back(i);
  }
  const bool numeric = table.all_ids_numeric();
  std::vector<SortKey> keys;
  keys.reserve(order.size());
  for (const std::uint32_t index : order)
    keys.push_back(sort_key(table.id(table[index]), numeric, index));
  std::sort(keys.begin(), keys.end(), [&table, numeric](const SortKey& a, const SortKey& b) {
    if (a.major != b.major) return a.major < b.major;
    if (a.minor != b.minor) return a.minor < b.minor;
    const std::string_view id_a = table.id(table[a.index]), id_b = table.id(table[b.index]);
    return numeric ? numeric_id_less(id_a, id_b) : id_a < id_b;
  });
  for (std::size_t i = 0; i < keys.size(); ++i) order[i] = keys[i].index;
  return order;
}

// The summaries of the customers `order` names, as of `as_of`.
void fill_summaries(const CustomerTable& table, const std::vector<std::uint32_t>& order, Day as_of,
                    std::vector<CustomerSummary>& customers) {
  customers.resize(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Accumulator& from = table[order[i]];
    CustomerSummary& to = customers[i];
    to.id = table.id(from);
    to.first_purchase = from.first;
    to.last_purchase = from.last;
    to.purchase_days = from.days_count;
    to.frequency = to.purchase_days - 1;
    to.recency = from.last - from.first;
    to.T = as_of - from.first;
    to.days_since_last = as_of - from.last;
    // One rounding each: the integer numerator over an exactly representable denominator.
    to.total_spend = static_cast<double>(from.total) / kUnitsPerCurrency;
    to.monetary = to.frequency == 0 ? 0.0
                                    : static_cast<double>(from.total - from.first_day_spend) /
                                          (kUnitsPerCurrency * static_cast<double>(to.frequency));
    to.avg_spend = static_cast<double>(from.total) /
                   (kUnitsPerCurrency * static_cast<double>(to.purchase_days));
  }
}

}  // namespace

const char* reject_reason_key(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::wrong_field_count:
      return "wrong_field_count";
    case RejectReason::empty_id:
      return "empty_id";
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

CustomerBase ingest_transactions(std::istream& in, const std::string& source,
                                 const IngestOptions& options) {
  CustomerBase base;
  base.source = source;
  CustomerTable table;
  RowBatch batch(table);
  const LogScan scan = scan_log(in, source, options, base.stats,
                                [&batch](std::string_view id, Day day, std::int64_t units,
                                         bool is_return) { batch.add(id, day, units, is_return); });
  batch.flush();

  const std::vector<std::uint32_t> order = output_order(table);
  base.stats.customers_without_purchase = static_cast<std::int64_t>(table.size() - order.size());
  if (order.empty()) {
    throw InputError(source + ": no customer has a purchase day: " + describe_stats(base.stats));
  }
  base.delimiter = scan.delimiter;
  base.as_of = options.as_of.value_or(scan.last_day);
  base.first_day = scan.first_day;
  base.last_day = scan.last_day;
  fill_summaries(table, order, base.as_of, base.customers);
  return base;
}

CustomerBase ingest_transactions_file(const std::string& path, const IngestOptions& options) {
  if (path == "-") return ingest_transactions(std::cin, path, options);
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  return ingest_transactions(file, path, options);
}

namespace detail {

SplitHistory ingest_split(std::istream& in, const std::string& source, const IngestOptions& options,
                          Day split) {
  SplitHistory out;
  CustomerBase& base = out.before;
  base.source = source;
  // Two tables fed by one pass, each with ingest's exact accumulation: the rows on or before the
  // split, and those after it. Row counts per customer give the rows of the customers who only
  // start buying after the split. Rows go in one at a time: RowBatch's prefetching is left to
  // ingest_transactions, whose speed matters more than a validation run's.
  CustomerTable before_table, after_table;
  std::vector<std::int64_t> before_rows, after_rows;
  const LogScan scan =
      scan_log(in, source, options, base.stats,
               [&](std::string_view id, Day day, std::int64_t units, bool is_return) {
                 CustomerTable& table = day <= split ? before_table : after_table;
                 std::vector<std::int64_t>& rows = day <= split ? before_rows : after_rows;
                 const std::uint32_t index = table.find_or_insert(id, hash_id(id));
                 if (index == rows.size()) rows.push_back(0);
                 ++rows[index];
                 if (is_return) {
                   table.add_return(index, day, units);
                 } else {
                   table.add_purchase(index, day, units);
                 }
               });

  const auto has_purchase = [](const CustomerTable& table, std::uint32_t index) {
    return index != kNone && table[index].days_count > 0;
  };
  std::int64_t without_purchase = 0;
  for (std::uint32_t b = 0; b < before_table.size(); ++b) {
    if (before_table[b].days_count > 0) continue;
    const std::string_view id = before_table.id(before_table[b]);
    const std::uint32_t a = after_table.find(id, hash_id(id));
    if (has_purchase(after_table, a)) {
      ++out.after_only_customers;
      out.after_only_rows += before_rows[b] + after_rows[a];
    } else {
      ++without_purchase;
    }
  }
  for (std::uint32_t a = 0; a < after_table.size(); ++a) {
    const std::string_view id = after_table.id(after_table[a]);
    if (before_table.find(id, hash_id(id)) != kNone) continue;  // counted above or below
    if (after_table[a].days_count > 0) {
      ++out.after_only_customers;
      out.after_only_rows += after_rows[a];
    } else {
      ++without_purchase;
    }
  }
  base.stats.customers_without_purchase = without_purchase;
  const std::vector<std::uint32_t> order = output_order(before_table);
  if (order.empty() && out.after_only_customers == 0) {
    throw InputError(source + ": no customer has a purchase day: " + describe_stats(base.stats));
  }
  base.delimiter = scan.delimiter;
  base.as_of = split;
  base.first_day = scan.first_day;
  base.last_day = scan.last_day;
  fill_summaries(before_table, order, split, base.customers);
  out.before_offsets.reserve(order.size() + 1);
  out.after_offsets.reserve(order.size() + 1);
  out.after_spend.reserve(order.size());
  out.before_offsets.push_back(0);
  out.after_offsets.push_back(0);
  for (const std::uint32_t b : order) {
    const Accumulator& customer = before_table[b];
    before_table.append_days(customer, out.before_days);
    out.before_offsets.push_back(out.before_days.size());
    const std::string_view id = before_table.id(customer);
    const std::uint32_t a = after_table.find(id, hash_id(id));
    if (a != kNone) {
      after_table.append_days(after_table[a], out.after_days);
      out.after_spend.push_back(static_cast<double>(after_table[a].total) / kUnitsPerCurrency);
    } else {
      out.after_spend.push_back(0.0);
    }
    out.after_offsets.push_back(out.after_days.size());
  }
  return out;
}

}  // namespace detail

}  // namespace clvkit
