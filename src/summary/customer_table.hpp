#pragma once
// Internal to src/summary: customers by id with exact, order-independent accumulators. Each
// ingest worker owns one table (one hash partition of the ids), so no table is ever shared.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/summary/customer_summary.hpp"
#include "clvkit/util/huge_buffer.hpp"
#include "clvkit/util/parallel.hpp"
#include "log_scan.hpp"

namespace clvkit::detail {

/// Asks for the cache line at `address` (a hint; any address is fine, nothing is loaded). Not
/// __builtin_prefetch: GCC deletes a loop whose body only prefetches (it has no side effect the
/// optimiser must keep), which silently removed add_rows' prefetching loops.
inline void prefetch_line(const void* address) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(address)));
#else
  __builtin_prefetch(address);
  asm volatile("" : : "r"(address));  // keeps the address, and so the prefetch, alive
#endif
}

/// Storage in fixed chunks of 2^Shift elements (allocate_huge) that never move: growing costs
/// no copy of what is already there (a vector of 10M accumulators would copy 640 MB while
/// doubling). Elements are constructed as append hands them out, so a chunk's pages are first
/// touched when used (small tables touch a few pages of a 4 MiB chunk, not all of them).
template <class T, unsigned Shift>
class ChunkedArray {
 public:
  static constexpr std::size_t kChunk = std::size_t{1} << Shift;

  T& operator[](std::size_t index) noexcept {
    return chunks_[index >> Shift][index & (kChunk - 1)];
  }
  const T& operator[](std::size_t index) const noexcept {
    return chunks_[index >> Shift][index & (kChunk - 1)];
  }
  const T* address(std::size_t index) const noexcept {
    return chunks_[index >> Shift].get() + (index & (kChunk - 1));
  }
  T* address(std::size_t index) noexcept {
    return chunks_[index >> Shift].get() + (index & (kChunk - 1));
  }
  std::size_t size() const noexcept { return size_; }
  /// Grows by `count` value-initialised elements that are not split across chunks (count <=
  /// kChunk); the rest of a chunk too small for them is skipped. Returns the first index.
  std::size_t append(std::size_t count) {
    if ((size_ & (kChunk - 1)) + count > kChunk) size_ = (size_ | (kChunk - 1)) + 1;
    const std::size_t first = size_;
    size_ += count;
    while (chunks_.size() * kChunk < size_) chunks_.push_back(allocate_chunk());
    std::uninitialized_value_construct_n(address(first), count);
    return first;
  }
  void clear() noexcept {
    chunks_.clear();
    size_ = 0;
  }

 private:
  static HugeBuffer<T> allocate_chunk() { return allocate_huge<T>(kChunk); }

  std::vector<HugeBuffer<T>> chunks_;
  std::size_t size_ = 0;
};

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Adds an amount in millionths; a sum beyond int64 (9.2e12 currency units) throws SpendOverflow,
// which the caller completes with the row (add_rows) and scan_log with the customer and line.
inline void add_or_throw(std::int64_t& sum, std::int64_t amount) {
  if (__builtin_add_overflow(sum, amount, &sum)) [[unlikely]]
    throw SpendOverflow{};
}

constexpr std::size_t kInlineId = 20;

/// One customer's running state in one 64-byte cache line, id included when it has at most
/// kInlineId bytes (longer ids live in the arena): a row costs a miss on its hash slot and one
/// on this line. Beyond it, under DayTracking::lists, 4 bytes per distinct purchase day from the
/// third on (the shared day pool; days_begin and days_capacity are unused otherwise), and 16 per
/// return that may still fall on the first purchase day.
struct alignas(64) Accumulator {
  std::int64_t total = 0;            ///< all used amounts, in millionths
  std::int64_t first_day_spend = 0;  ///< all used amounts on day `first`, in millionths
  Day first = 0;                     ///< first purchase day, when days_count > 0
  Day last = 0;                      ///< last purchase day, when days_count > 0
  std::uint32_t days_begin = 0;      ///< sorted distinct days in the pool, when days_count >= 3
  std::uint32_t days_count = 0;      ///< distinct purchase days; 1 and 2 are just first/last
  std::uint32_t days_capacity = 0;   ///< a power of two, >= 4 when days_count >= 3
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

/// How a table counts a customer's distinct purchase days.
enum class DayTracking {
  /// Every customer's sorted distinct days are kept (4 bytes a day from the third): exact for
  /// rows in any order, and copy_days can list them.
  lists,
  /// Only first, last and the count are kept, which is exact while each customer's days arrive
  /// in non-decreasing order, or before all or after all of the days seen (a log sorted by date
  /// or grouped by customer). A day strictly inside the span seen so far cannot be told from the
  /// days already counted: the customer is marked for a recount (needs_recount), and its count
  /// is wrong until set_days_count gives the right one.
  ordered,
};

/// Customers by id: interned ids, an open-addressing table, and per-customer accumulators that
/// give exact results for rows in any order. It holds no row, so memory grows with customers
/// (and with DayTracking::lists, distinct purchase days), not with rows.
class CustomerTable {
 public:
  explicit CustomerTable(DayTracking tracking = DayTracking::lists)
      : slots_(allocate_slots(kInitialSlotBits)),
        slot_bits_(kInitialSlotBits),
        tracking_(tracking) {}

  /// The index of `id`, whose hash_id is `hash`, inserting an empty accumulator for a new id.
  std::uint32_t find_or_insert(std::string_view id, std::uint64_t hash) {
    if ((customers_.size() + 1) * 2 > slot_count()) grow_slots();
    const std::uint64_t tag = hash >> 32;
    std::size_t position = slot_position(hash);
    for (;;) {
      const std::uint64_t slot = slots_[position];
      if (slot == 0) break;
      if ((slot >> 32) == tag) {
        const auto index = static_cast<std::uint32_t>(slot) - 1;
        const Accumulator& customer = customers_[index];
        if (customer.id_length == id.size() &&
            same_id_bytes(this->id(customer).data(), id.data(), id.size())) {
          return index;
        }
      }
      position = (position + 1) & mask();
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
    const auto index = static_cast<std::uint32_t>(customers_.append(1));
    customers_[index] = customer;
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

  /// The purchases of a run of rows (ParsedRow), under DayTracking::ordered.
  void add_purchases(std::uint32_t index, const ParsedRow& run) {
    Accumulator& customer = customers_[index];
    add_or_throw(customer.total, run.units);
    if (customer.days_count == 0 || run.first < customer.first) {
      std::int64_t spend = run.first_day_units;
      if (customer.pending != kNone) add_or_throw(spend, absorb_pending(customer, run.first));
      customer.first_day_spend = spend;
    } else if (run.first == customer.first) {
      add_or_throw(customer.first_day_spend, run.first_day_units);
    }
    if (customer.days_count == 0) {
      customer.first = run.first;
      customer.last = run.last;
      customer.days_count = run.days;
      return;
    }
    // The run after, or before, every day seen: its days are new but for a shared end day.
    if (run.first >= customer.last) {
      customer.days_count += run.days - (run.first == customer.last ? 1 : 0);
      customer.last = run.last;
    } else if (run.last <= customer.first) {
      customer.days_count += run.days - (run.last == customer.first ? 1 : 0);
      customer.first = run.first;
    } else {
      customer.first = std::min(customer.first, run.first);
      customer.last = std::max(customer.last, run.last);
      mark_for_recount(index);
    }
  }

  /// Adds `later`, another table's accumulation of the same customer over a later stretch of
  /// the log (ingest_snapshots): every purchase day of `later` comes after every purchase day
  /// and return of this customer's, so the distinct days, totals and first-day spend add. Keeps
  /// first, last and the count only (no day list, no pending returns): what summaries need.
  void append_later(std::uint32_t index, const Accumulator& later) {
    Accumulator& customer = customers_[index];
    add_or_throw(customer.total, later.total);
    if (later.days_count == 0) return;
    if (customer.days_count == 0) {
      customer.first = later.first;
      customer.first_day_spend = later.first_day_spend;
    }
    customer.last = later.last;
    customer.days_count += later.days_count;
  }

  /// Under DayTracking::ordered: true when the customer's day count is unknown (see DayTracking).
  bool needs_recount(std::uint32_t index) const noexcept {
    const std::size_t word = index / 64;
    return word < recount_.size() && ((recount_[word] >> (index % 64)) & 1u) != 0;
  }
  /// How many customers need a recount.
  std::size_t recount_count() const noexcept { return recount_count_; }
  /// The right distinct day count of a customer marked for a recount.
  void set_days_count(std::uint32_t index, std::uint32_t count) noexcept {
    customers_[index].days_count = count;
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

  /// Adds accepted rows in order (runs of rows only under DayTracking::ordered); their ids are in
  /// the block starting at `base`. The cache misses
  /// of a row (its hash slot, its accumulator, the end of its day list) are issued for a group
  /// of rows before any is waited on: with millions of customers they are almost never cached.
  void add_rows(const char* base, std::span<const ParsedRow> rows) {
    constexpr std::size_t kGroup = 32;
    std::uint32_t customers[kGroup];
    std::uint32_t previous = kNone;
    const std::size_t count = rows.size();
    // A software pipeline, one row at a time: the hash slot of the row kSlotAhead rows on and the
    // accumulator of the row kCustomerAhead rows on (whose slot arrived meanwhile) are requested
    // before this row is looked up. Spread out like this, a few misses are in flight at once;
    // issued a group at a time, the processor dropped most of them.
    constexpr std::size_t kSlotAhead = 16;
    constexpr std::size_t kCustomerAhead = 8;
    for (std::size_t i = 0; i < std::min(count, kSlotAhead); ++i) prefetch_slot(rows[i].hash);
    for (std::size_t i = 0; i < std::min(count, kCustomerAhead); ++i) {
      prefetch_customer(rows[i].hash);
    }
    for (std::size_t start = 0; start < count; start += kGroup) {
      const std::size_t end = std::min(count, start + kGroup);
      for (std::size_t i = start; i < end; ++i) {
        if (i + kSlotAhead < count) prefetch_slot(rows[i + kSlotAhead].hash);
        if (i + kCustomerAhead < count) prefetch_customer(rows[i + kCustomerAhead].hash);
        // Logs grouped by customer repeat the id row after row: the lookup is skipped then.
        const ParsedRow& row = rows[i];
        if (i > 0 && row.hash == rows[i - 1].hash && row.id_length == rows[i - 1].id_length &&
            same_id_bytes(base + row.id_offset, base + rows[i - 1].id_offset, row.id_length)) {
          customers[i - start] = previous;
          continue;
        }
        previous = customers[i - start] =
            find_or_insert({base + row.id_offset, row.id_length}, row.hash);
        prefetch_days(previous);
      }
      std::size_t i = start;
      try {
        for (; i < end; ++i) {
          const ParsedRow& row = rows[i];
          if (row.is_return) {
            add_return(customers[i - start], row.first, row.units);
          } else if (tracking_ == DayTracking::ordered) {
            add_purchases(customers[i - start], row);
          } else {
            add_purchase(customers[i - start], row.first, row.units);  // one row: days == 1
          }
        }
      } catch (SpendOverflow& overflow) {
        overflow.row = &rows[i];
        throw;
      }
    }
  }

  // Prefetches, each a hint only: the cache misses of a row (its hash slot, its
  // accumulator, the end of its day list) are issued rows before it is looked up.
  void prefetch_slot(std::uint64_t hash) const noexcept {
    prefetch_line(slots_.get() + slot_position(hash));
  }
  void prefetch_customer(std::uint64_t hash) const noexcept {
    const std::uint64_t slot = slots_[slot_position(hash)];
    if (slot != 0 && (slot >> 32) == (hash >> 32)) {
      prefetch_line(customers_.address(static_cast<std::uint32_t>(slot) - 1));
    }
  }
  void prefetch_days(std::uint32_t index) const noexcept {
    const Accumulator& customer = customers_[index];
    if (tracking_ == DayTracking::lists && customer.days_count >= 3) {
      prefetch_line(days_.address(customer.days_begin + customer.days_count - 1));
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
    for (std::size_t position = slot_position(hash);; position = (position + 1) & mask()) {
      const std::uint64_t slot = slots_[position];
      if (slot == 0) return kNone;
      if ((slot >> 32) != tag) continue;
      const auto index = static_cast<std::uint32_t>(slot) - 1;
      const Accumulator& customer = customers_[index];
      if (customer.id_length == id.size() &&
          same_id_bytes(this->id(customer).data(), id.data(), id.size())) {
        return index;
      }
    }
  }

  /// Writes the customer's days_count sorted distinct purchase days from `out` on
  /// (DayTracking::lists only).
  void copy_days(const Accumulator& customer, Day* out) const noexcept {
    if (customer.days_count == 0) return;
    if (customer.days_count <= 2) {
      out[0] = customer.first;
      if (customer.days_count == 2) out[1] = customer.last;
      return;
    }
    const Day* begin = days_.address(customer.days_begin);
    std::copy(begin, begin + customer.days_count, out);
  }

  /// Calls visit(day, millionths) for each return of the customer dated before its first
  /// purchase day (every return when it has none) that the table still holds: the returns that
  /// would join the first day's spend if a purchase on their day turned up.
  template <class Visit>
  void for_each_pending(const Accumulator& customer, Visit&& visit) const {
    for (std::uint32_t link = customer.pending; link != kNone; link = pending_[link].next) {
      const PendingReturn& pending = pending_[link];
      if (customer.days_count == 0 || pending.day < customer.first) {
        visit(pending.day, pending.amount);
      }
    }
  }

  /// Frees the hash slots and the day lists, keeping the accumulators and ids: what
  /// summarising needs once every row is in.
  void release_lookup_and_days() {
    slots_.reset();
    days_.clear();
    std::vector<std::uint32_t>().swap(free_days_);
  }

 private:
  // A slot's position is the top slot_bits_ bits of the hash, which its tag (the hash's high
  // 32 bits) keeps: doubling the table moves slots without touching a single customer.
  std::size_t slot_count() const noexcept { return std::size_t{1} << slot_bits_; }
  std::size_t mask() const noexcept { return slot_count() - 1; }
  std::size_t slot_position(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>(hash >> (64 - slot_bits_));
  }
  // 2^bits empty slots. Their pages are faulted in writable at once: a lookup reads a slot
  // before any insert writes it, and a first read of fresh memory maps the shared zero page,
  // which the first write then has to replace (two faults a page instead of one; a profile at
  // 10M customers showed the second at ~7% of the run).
  static HugeBuffer<std::uint64_t> allocate_slots(unsigned bits) {
    const std::size_t count = std::size_t{1} << bits;
    auto slots = allocate_huge<std::uint64_t>(count);
    populate_pages(slots.get(), count * sizeof(std::uint64_t), 1);
    return slots;
  }

  void grow_slots() {
    if (slot_bits_ == 32) throw InputError("ingest: too many distinct customer ids");
    const unsigned bits = slot_bits_ + 1;
    auto slots = allocate_slots(bits);
    const std::size_t mask = (std::size_t{1} << bits) - 1;
    for (std::size_t old = 0; old < slot_count(); ++old) {
      const std::uint64_t slot = slots_[old];
      if (slot == 0) continue;
      std::size_t position = static_cast<std::size_t>(slot >> (64 - bits));
      while (slots[position] != 0) position = (position + 1) & mask;
      slots[position] = slot;
    }
    slots_.swap(slots);
    slot_bits_ = bits;
  }

  void mark_for_recount(std::uint32_t index) {
    if (needs_recount(index)) return;
    const std::size_t word = index / 64;
    if (word >= recount_.size()) recount_.resize(std::max(word + 1, customers_.size() / 64 + 1));
    recount_[word] |= std::uint64_t{1} << (index % 64);
    ++recount_count_;
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

  // A region of `capacity` (a power of two) days: a freed region of that size if there is one,
  // else fresh pool space. Regions never span pool chunks.
  std::uint32_t allocate_days(std::uint32_t capacity) {
    if (capacity > DayPool::kChunk) {
      throw InputError("ingest: a customer has more than 2^20 distinct purchase days");
    }
    const auto size_class = static_cast<std::size_t>(__builtin_ctz(capacity));
    if (size_class < free_days_.size() && free_days_[size_class] != kNone) {
      const std::uint32_t begin = free_days_[size_class];
      free_days_[size_class] = static_cast<std::uint32_t>(days_[begin]);
      return begin;
    }
    const std::size_t begin = days_.append(capacity);
    if (begin + capacity >= kNone) {
      throw InputError("ingest: too many distinct customer purchase days (the limit is 2^32)");
    }
    return static_cast<std::uint32_t>(begin);
  }

  // A region given up by a list that moved; its first element links the free list of its size.
  void free_days(std::uint32_t begin, std::uint32_t capacity) {
    const auto size_class = static_cast<std::size_t>(__builtin_ctz(capacity));
    if (free_days_.size() <= size_class) free_days_.resize(size_class + 1, kNone);
    days_[begin] = static_cast<Day>(free_days_[size_class]);
    free_days_[size_class] = begin;
  }

  // Room for one more day; a full list moves to a region twice its size.
  void reserve_one_more(Accumulator& customer) {
    if (customer.days_count < customer.days_capacity) return;
    const std::uint32_t capacity = customer.days_capacity * 2;
    const std::uint32_t begin = allocate_days(capacity);
    for (std::uint32_t i = 0; i < customer.days_count; ++i) {
      days_[begin + i] = days_[customer.days_begin + i];
    }
    free_days(customer.days_begin, customer.days_capacity);
    customer.days_begin = begin;
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
      for (std::uint32_t i = 0; i < 3; ++i) days_[begin + i] = sorted[i];
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
    const Day* list_begin = days_.address(customer.days_begin);  // a list is in one chunk
    const Day* found = std::lower_bound(list_begin, list_begin + count, day);
    if (*found == day) return;  // found is before the end: day < last
    const auto offset = found - list_begin;
    reserve_one_more(customer);
    Day* moved_begin = days_.address(customer.days_begin);
    std::copy_backward(moved_begin + offset, moved_begin + count, moved_begin + count + 1);
    moved_begin[offset] = day;
    customer.days_count = count + 1;
    customer.first = std::min(customer.first, day);
  }

  static constexpr unsigned kInitialSlotBits = 12;
  using DayPool = ChunkedArray<Day, 20>;

  ChunkedArray<Accumulator, 16> customers_;  ///< 4 MiB chunks
  std::vector<char> id_bytes_;               ///< the arena of ids longer than kInlineId
  /// 2^slot_bits_ slots: 0 = empty, else hash high 32 bits << 32 | index + 1
  HugeBuffer<std::uint64_t> slots_;
  unsigned slot_bits_;
  DayPool days_;  ///< sorted day lists, one power-of-two region per customer
  std::vector<std::uint32_t> free_days_;  ///< per log2 size: first freed region, kNone = none
  std::vector<PendingReturn> pending_;
  bool all_numeric_ = true;
  DayTracking tracking_;
  std::vector<std::uint64_t> recount_;  ///< DayTracking::ordered: one bit per customer
  std::size_t recount_count_ = 0;
};

}  // namespace clvkit::detail
