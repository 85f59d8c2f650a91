#include "clvkit/summary/ingest.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/util/parallel.hpp"
#include "clvkit/util/radix_sort.hpp"
#include "customer_table.hpp"
#include "ingest_internal.hpp"
#include "log_scan.hpp"

namespace clvkit {
namespace {

using detail::CustomerTable;
using detail::DayTracking;
using detail::kNone;
using detail::kUnitsPerCurrency;

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
// numbers agrees with comparing the bytes, so the keys order almost all ids without reading them.
std::uint64_t big_endian_prefix(std::string_view text, std::size_t offset) noexcept {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const std::size_t at = offset + i;
    key = (key << 8) | (at < text.size() ? static_cast<unsigned char>(text[at]) : 0u);
  }
  return key;
}

// Customers per task of the parallel passes over customers: a constant, so the split of the
// work does not depend on the thread count.
constexpr std::size_t kCustomerBlock = 1 << 16;

// The most significant digits whose value a uint64 always holds.
constexpr std::size_t kValueDigits = 19;

/// Two integer keys of an id that decide almost every comparison of the output order; the full
/// id comparison breaks ties.
struct SortKey {
  std::uint64_t major;
  std::uint64_t minor;
};

// Numeric order: ids of up to kValueDigits significant digits by their value alone, since fewer
// digits make a smaller number, so their major is 0; longer ids by (number of significant
// digits, value of the first kValueDigits). Bytewise order: the first 16 bytes. Both are
// consistent with the full comparison, which breaks ties.
SortKey sort_key(std::string_view id, bool numeric) noexcept {
  if (!numeric) return SortKey{big_endian_prefix(id, 0), big_endian_prefix(id, 8)};
  const std::string_view digits = significant_digits(id);
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < std::min(digits.size(), kValueDigits); ++i) {
    value = value * 10 + static_cast<std::uint64_t>(digits[i] - '0');
  }
  return SortKey{digits.size() <= kValueDigits ? 0 : digits.size(), value};
}

/// The customers with a purchase day of every table, in output order (see CustomerBase).
struct CustomerRef {
  // Leaves the fields uninitialised (= default would zero them), so that a vector of millions
  // of refs is allocated without being zeroed on one thread: the parallel pass that fills it
  // touches its memory first.
  CustomerRef() noexcept {}
  CustomerRef(std::uint32_t table, std::uint32_t index) noexcept : table(table), index(index) {}
  std::uint32_t table;
  std::uint32_t index;
};

// Layouts: how the radix sorts hold customers. Item, made from an id and its ref, holds kWords
// words of the id's sort_key, most significant first, each below 2^key_bits, and the ref. The
// smaller the item, the less every pass moves, so output_order picks the smallest layout that
// the longest id allows. Items have no member initialisers, so that buffers of millions of them
// can be left uninitialised, to be touched first by the parallel passes.

/// Key and ref packed in one word, key in the high bits: 8 bytes, when only one word of the keys
/// can differ and it fits beside the ref (numeric ids of up to 12 digits for 10M customers).
struct PackedLayout {
  using Item = std::uint64_t;
  static constexpr std::size_t kWords = 1;
  bool numeric;
  int index_bits;  ///< of a ref's index, below its table
  int ref_bits;    ///< of a ref, table and index
  int key_bits;

  Item make(std::string_view id, CustomerRef ref) const noexcept {
    const SortKey key = sort_key(id, numeric);
    // The bytes of a short id are the high bytes of its major.
    const std::uint64_t word = numeric ? key.minor : key.major >> (64 - key_bits);
    return (word << ref_bits) | (std::uint64_t{ref.table} << index_bits) | ref.index;
  }
  std::uint64_t word(Item item, std::size_t) const noexcept { return item >> ref_bits; }
  bool same_key(Item a, Item b) const noexcept { return (a ^ b) >> ref_bits == 0; }
  CustomerRef ref(Item item) const noexcept {
    const std::uint64_t ref = item & ((std::uint64_t{1} << ref_bits) - 1);
    return CustomerRef(static_cast<std::uint32_t>(ref >> index_bits),
                       static_cast<std::uint32_t>(ref & ((std::uint64_t{1} << index_bits) - 1)));
  }
};

/// Key words beside the ref: 16 bytes when only one word of the keys can differ (numeric ids of
/// up to kValueDigits characters, other ids of up to 8 bytes), else 24.
template <std::size_t Words>
struct KeyedLayout {
  struct Item {
    std::array<std::uint64_t, Words> key;
    CustomerRef ref;
  };
  static constexpr std::size_t kWords = Words;
  static constexpr int key_bits = 64;
  bool numeric;

  Item make(std::string_view id, CustomerRef ref) const noexcept {
    const SortKey key = sort_key(id, numeric);
    if constexpr (Words == 1) {
      return Item{{numeric ? key.minor : key.major}, ref};
    } else {
      return Item{{key.major, key.minor}, ref};
    }
  }
  std::uint64_t word(const Item& item, std::size_t which) const noexcept { return item.key[which]; }
  bool same_key(const Item& a, const Item& b) const noexcept { return a.key == b.key; }
  CustomerRef ref(const Item& item) const noexcept { return item.ref; }
};

/// Customers [begin, end) of one table: a task of the parallel passes that make the keys.
struct TableBlock {
  std::uint32_t table;
  std::size_t begin;
  std::size_t end;
};

std::vector<TableBlock> table_blocks(const std::vector<CustomerTable>& tables) {
  std::vector<TableBlock> blocks;
  for (std::uint32_t t = 0; t < tables.size(); ++t) {
    for (std::size_t begin = 0; begin < tables[t].size(); begin += kCustomerBlock) {
      blocks.push_back(TableBlock{t, begin, std::min(tables[t].size(), begin + kCustomerBlock)});
    }
  }
  return blocks;
}

// The refs of `sorted`, with each run of equal keys put in order by `id_less`. Each block copies
// its refs and finds the runs that start in it (a run may reach into later blocks); the runs are
// sorted once every ref is in place.
template <class Layout, class IdLess>
std::vector<CustomerRef> refs_in_order(std::span<const typename Layout::Item> sorted,
                                       const Layout& layout, const IdLess& id_less, int threads) {
  const std::size_t n = sorted.size();
  const std::size_t blocks = (n + kCustomerBlock - 1) / kCustomerBlock;
  std::vector<CustomerRef> order(n);
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> runs(blocks);  // [first, last)
  parallel_for(threads, blocks, [&](std::size_t block) {
    const std::size_t begin = block * kCustomerBlock;
    const std::size_t end = std::min(n, begin + kCustomerBlock);
    bool same_as_previous = begin > 0 && layout.same_key(sorted[begin - 1], sorted[begin]);
    for (std::size_t i = begin; i < end; ++i) {
      order[i] = layout.ref(sorted[i]);
      const bool same_as_next = i + 1 < n && layout.same_key(sorted[i + 1], sorted[i]);
      if (same_as_next && !same_as_previous) {
        std::size_t last = i + 2;
        while (last < n && layout.same_key(sorted[last], sorted[i])) ++last;
        runs[block].emplace_back(i, last);
      }
      same_as_previous = same_as_next;
    }
  });
  parallel_for(threads, blocks, [&](std::size_t block) {
    for (const auto& [first, last] : runs[block]) {
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(first),
                order.begin() + static_cast<std::ptrdiff_t>(last), id_less);
    }
  });
  return order;
}

// The customers of `blocks`, first_item[b] the first position of block b's customers with a
// purchase day, by a stable LSD radix sort of their keys: by the last word first. A word that is
// the same in every key costs one read (the radix sort skips bytes equal in all keys).
template <class Layout, class IdLess>
std::vector<CustomerRef> sorted_refs(const std::vector<CustomerTable>& tables,
                                     const std::vector<TableBlock>& blocks,
                                     const std::vector<std::size_t>& first_item,
                                     const Layout& layout, const IdLess& id_less, int threads) {
  using Item = typename Layout::Item;
  const std::size_t n = first_item.back();
  auto items_buffer = std::make_unique_for_overwrite<Item[]>(n);
  auto scratch_buffer = std::make_unique_for_overwrite<Item[]>(n);
  std::span<Item> items(items_buffer.get(), n);
  std::span<Item> scratch(scratch_buffer.get(), n);
  parallel_for(threads, blocks.size(), [&](std::size_t b) {
    const CustomerTable& table = tables[blocks[b].table];
    std::size_t next = first_item[b];
    for (std::size_t i = blocks[b].begin; i < blocks[b].end; ++i) {
      if (table[i].days_count == 0) continue;
      items[next++] = layout.make(table.id(table[i]),
                                  CustomerRef(blocks[b].table, static_cast<std::uint32_t>(i)));
    }
  });
  for (std::size_t word = Layout::kWords; word-- > 0;) {
    stable_radix_sort(
        items, scratch, layout.key_bits,
        [&layout, word](const Item& item) { return layout.word(item, word); }, threads);
  }
  // The buffer that does not hold the sorted items goes before the order is allocated.
  (items.data() == items_buffer.get() ? scratch_buffer : items_buffer).reset();
  return refs_in_order<Layout>(items, layout, id_less, threads);
}

int bit_width(std::size_t value) noexcept { return static_cast<int>(std::bit_width(value)); }

// The bits of one-word keys of ids of up to `longest_id` characters (kValueDigits digits, or 8
// bytes, at most): numeric keys are below 10^longest_id, other keys take 8 bits a byte.
int one_word_key_bits(std::size_t longest_id, bool numeric) noexcept {
  if (!numeric) return static_cast<int>(8 * longest_id);
  std::uint64_t largest_key = 9;
  for (std::size_t digit = 1; digit < longest_id; ++digit) largest_key = largest_key * 10 + 9;
  return bit_width(largest_key);
}

// Keys that decide almost every comparison, sorted by radix sorts on all threads; the full
// comparison only within runs of equal keys, which are rare (ids sharing 16 bytes, numeric ids
// differing in leading zeros). Ids are distinct across tables, so the order is the same whatever
// the number of tables and threads.
std::vector<CustomerRef> output_order(const std::vector<CustomerTable>& tables, int threads) {
  const bool numeric = std::all_of(tables.begin(), tables.end(), [](const CustomerTable& table) {
    return table.all_ids_numeric();
  });
  const std::vector<TableBlock> blocks = table_blocks(tables);
  std::vector<std::size_t> longest_id(blocks.size(), 0);  // per block, for the layout
  const std::vector<std::size_t> first_item =
      parallel_block_offsets(threads, blocks.size(), [&](std::size_t b) {
        const CustomerTable& table = tables[blocks[b].table];
        std::size_t count = 0;
        for (std::size_t i = blocks[b].begin; i < blocks[b].end; ++i) {
          if (table[i].days_count == 0) continue;
          ++count;
          longest_id[b] = std::max<std::size_t>(longest_id[b], table[i].id_length);
        }
        return count;
      });
  if (first_item.back() == 0) return {};

  const auto id_of = [&tables](CustomerRef ref) {
    const CustomerTable& table = tables[ref.table];
    return table.id(table[ref.index]);
  };
  const auto id_less = [&id_of, numeric](CustomerRef a, CustomerRef b) {
    return numeric ? numeric_id_less(id_of(a), id_of(b)) : id_of(a) < id_of(b);
  };
  const std::size_t longest = *std::max_element(longest_id.begin(), longest_id.end());
  if (longest > (numeric ? kValueDigits : 8)) {
    return sorted_refs(tables, blocks, first_item, KeyedLayout<2>{numeric}, id_less, threads);
  }
  const int key_bits = one_word_key_bits(longest, numeric);
  std::size_t largest_table = 0;
  for (const CustomerTable& table : tables) largest_table = std::max(largest_table, table.size());
  const int index_bits = bit_width(largest_table - 1);
  const int ref_bits = bit_width(tables.size() - 1) + index_bits;
  if (key_bits + ref_bits <= 64) {
    return sorted_refs(tables, blocks, first_item,
                       PackedLayout{numeric, index_bits, ref_bits, key_bits}, id_less, threads);
  }
  return sorted_refs(tables, blocks, first_item, KeyedLayout<1>{numeric}, id_less, threads);
}

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
void recount_days(std::istream& in, std::istream::pos_type start, const std::string& source,
                  const IngestOptions& options, int threads, std::vector<CustomerTable>& tables) {
  const bool any = std::any_of(tables.begin(), tables.end(), [](const CustomerTable& table) {
    return table.recount_count() > 0;
  });
  if (!any) return;
  in.clear();
  in.seekg(start);
  if (!in)
    throw IoError(source +
                  ": cannot read the log again to count purchase days that came out of order");
  std::vector<CustomerTable> recount(tables.size());
  IngestOptions quiet = options;
  quiet.progress = nullptr;
  IngestStats again;
  detail::scan_log(
      in, source, quiet, threads, tables.size(), detail::ChooseRuns{}, again,
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

std::size_t customer_count(const std::vector<CustomerTable>& tables) {
  std::size_t count = 0;
  for (const CustomerTable& table : tables) count += table.size();
  return count;
}

// The summaries of the customers `order` names, as of `as_of`, in blocks filled in parallel.
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
  });
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
  // One table per thread, each owning one hash partition of the ids: no table is shared, and
  // since the accumulators are exact in any row order the result does not depend on the count.
  const int threads = std::max(options.threads, 1);
  // A log that can be read again and starts in order (sorted by date, or grouped by customer
  // with days in order) is read with runs and no day lists: a customer whose days still come out
  // of order is recounted by a second pass. Any other log keeps every customer's day list in one
  // pass: a pipe cannot be read twice, and a shuffled log would have most customers recounted.
  const std::istream::pos_type start = in.tellg();
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
  const detail::LogScan scan = detail::scan_log(
      in, source, options, threads, static_cast<std::size_t>(threads),
      rereadable ? choose_runs : detail::ChooseRuns{}, base.stats,
      [&tables](std::size_t partition, const char* block, std::span<const detail::ParsedRow> rows) {
        tables[partition].add_rows(block, rows);
      });
  if (tables.empty()) make_tables();  // a log without rows: the probe never ran
  if (tracking == DayTracking::ordered) recount_days(in, start, source, options, threads, tables);
  for (CustomerTable& table : tables) table.release_lookup_and_days();

  const std::vector<CustomerRef> order = output_order(tables, threads);
  base.stats.customers_without_purchase =
      static_cast<std::int64_t>(customer_count(tables) - order.size());
  if (order.empty()) {
    throw InputError(source +
                     ": no customer has a purchase day: " + detail::describe_stats(base.stats));
  }
  base.delimiter = scan.delimiter;
  base.as_of = options.as_of.value_or(scan.last_day);
  base.first_day = scan.first_day;
  base.last_day = scan.last_day;
  fill_summaries(tables, order, base.as_of, base.customers, threads);
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
  // start buying after the split. Blocks are parsed on options.threads threads, but the rows go
  // into the tables one at a time, in file order, on one thread: add_rows' prefetching is left to
  // ingest_transactions, whose speed matters more than a validation run's.
  std::vector<CustomerTable> before_tables(1);
  CustomerTable& before_table = before_tables[0];
  CustomerTable after_table;
  std::vector<std::int64_t> before_rows, after_rows;
  const detail::LogScan scan = detail::scan_log(
      in, source, options, std::max(options.threads, 1), 1, detail::ChooseRuns{}, base.stats,
      [&](std::size_t, const char* block, std::span<const detail::ParsedRow> parsed) {
        for (const detail::ParsedRow& row : parsed) {
          CustomerTable& table = row.first <= split ? before_table : after_table;
          std::vector<std::int64_t>& rows = row.first <= split ? before_rows : after_rows;
          const std::uint32_t index =
              table.find_or_insert({block + row.id_offset, row.id_length}, row.hash);
          if (index == rows.size()) rows.push_back(0);
          ++rows[index];
          if (row.is_return) {
            table.add_return(index, row.first, row.units);
          } else {
            table.add_purchase(index, row.first, row.units);
          }
        }
      });

  const auto has_purchase = [](const CustomerTable& table, std::uint32_t index) {
    return index != kNone && table[index].days_count > 0;
  };
  std::int64_t without_purchase = 0;
  for (std::uint32_t b = 0; b < before_table.size(); ++b) {
    if (before_table[b].days_count > 0) continue;
    const std::string_view id = before_table.id(before_table[b]);
    const std::uint32_t a = after_table.find(id, detail::hash_id(id));
    if (has_purchase(after_table, a)) {
      ++out.after_only_customers;
      out.after_only_rows += before_rows[b] + after_rows[a];
    } else {
      ++without_purchase;
    }
  }
  for (std::uint32_t a = 0; a < after_table.size(); ++a) {
    const std::string_view id = after_table.id(after_table[a]);
    if (before_table.find(id, detail::hash_id(id)) != kNone) continue;  // counted above or below
    if (after_table[a].days_count > 0) {
      ++out.after_only_customers;
      out.after_only_rows += after_rows[a];
    } else {
      ++without_purchase;
    }
  }
  base.stats.customers_without_purchase = without_purchase;
  const std::vector<CustomerRef> order = output_order(before_tables, 1);
  if (order.empty() && out.after_only_customers == 0) {
    throw InputError(source +
                     ": no customer has a purchase day: " + detail::describe_stats(base.stats));
  }
  base.delimiter = scan.delimiter;
  base.as_of = split;
  base.first_day = scan.first_day;
  base.last_day = scan.last_day;
  fill_summaries(before_tables, order, split, base.customers, 1);
  out.before_offsets.reserve(order.size() + 1);
  out.after_offsets.reserve(order.size() + 1);
  out.after_spend.reserve(order.size());
  out.before_offsets.push_back(0);
  out.after_offsets.push_back(0);
  for (const CustomerRef& ref : order) {
    const detail::Accumulator& customer = before_table[ref.index];
    before_table.append_days(customer, out.before_days);
    out.before_offsets.push_back(out.before_days.size());
    const std::string_view id = before_table.id(customer);
    const std::uint32_t a = after_table.find(id, detail::hash_id(id));
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
