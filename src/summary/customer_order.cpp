#include "customer_order.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "clvkit/util/parallel.hpp"
#include "clvkit/util/radix_sort.hpp"

namespace clvkit::detail {
namespace {

std::string_view significant_digits(std::string_view id) noexcept {
  const std::size_t start = id.find_first_not_of('0');
  return start == std::string_view::npos ? std::string_view{} : id.substr(start);
}

}  // namespace

bool numeric_id_less(std::string_view a, std::string_view b) noexcept {
  const std::string_view sa = significant_digits(a), sb = significant_digits(b);
  if (sa.size() != sb.size()) return sa.size() < sb.size();
  if (const int order = sa.compare(sb); order != 0) return order < 0;
  return a < b;
}

bool all_ids_numeric(const std::vector<CustomerTable>& tables) noexcept {
  return std::all_of(tables.begin(), tables.end(),
                     [](const CustomerTable& table) { return table.all_ids_numeric(); });
}

namespace {

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
                                     const Layout& layout, const IdLess& id_less,
                                     bool all_customers, int threads) {
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
      if (!all_customers && table[i].days_count == 0) continue;
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

}  // namespace

// Keys that decide almost every comparison, sorted by radix sorts on all threads; the full
// comparison only within runs of equal keys, which are rare (ids sharing 16 bytes, numeric ids
// differing in leading zeros). Ids are distinct across tables, so the order is the same whatever
// the number of tables and threads.
std::vector<CustomerRef> output_order(const std::vector<CustomerTable>& tables, int threads,
                                     const OrderOptions& options) {
  const bool numeric = !options.bytewise && all_ids_numeric(tables);
  const std::vector<TableBlock> blocks = table_blocks(tables);
  std::vector<std::size_t> longest_id(blocks.size(), 0);  // per block, for the layout
  const std::vector<std::size_t> first_item =
      parallel_block_offsets(threads, blocks.size(), [&](std::size_t b) {
        const CustomerTable& table = tables[blocks[b].table];
        std::size_t count = 0;
        for (std::size_t i = blocks[b].begin; i < blocks[b].end; ++i) {
          if (!options.all_customers && table[i].days_count == 0) continue;
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
    return sorted_refs(tables, blocks, first_item, KeyedLayout<2>{numeric}, id_less,
                       options.all_customers, threads);
  }
  const int key_bits = one_word_key_bits(longest, numeric);
  std::size_t largest_table = 0;
  for (const CustomerTable& table : tables) largest_table = std::max(largest_table, table.size());
  const int index_bits = bit_width(largest_table - 1);
  const int ref_bits = bit_width(tables.size() - 1) + index_bits;
  if (key_bits + ref_bits <= 64) {
    return sorted_refs(tables, blocks, first_item,
                       PackedLayout{numeric, index_bits, ref_bits, key_bits}, id_less,
                       options.all_customers, threads);
  }
  return sorted_refs(tables, blocks, first_item, KeyedLayout<1>{numeric}, id_less,
                     options.all_customers, threads);
}

}  // namespace clvkit::detail
