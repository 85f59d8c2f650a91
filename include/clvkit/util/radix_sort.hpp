#pragma once
// Stable sorting of large arrays by unsigned integer keys, in parallel: the sort behind
// compressing customers into distinct patterns and ranking them by value at risk, where a
// comparison sort of millions of elements took seconds.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "clvkit/util/parallel.hpp"

namespace clvkit {

/// Sorts the elements `items` views by key_of(element), an unsigned integer below 2^key_bits
/// (key_bits <= 64), keeping the order of elements with equal keys (so sorting by a minor key,
/// then stably by a major one, sorts by both).
///
/// LSD radix sort by bytes over fixed blocks of elements on up to `threads` threads: one parallel
/// pass counts every byte of every key, then each byte that is not the same in all keys costs a
/// parallel count (except the first) and a parallel scatter. A stable sort has exactly one result,
/// so the result does not depend on `threads`. `scratch`, of the same size, is the other buffer
/// of the scatters; it is written before it is read, so it may be uninitialised memory (first
/// touched by the parallel scatter rather than zeroed on one thread). The spans are swapped after
/// each scatter: on return `items` views the sorted elements, in whichever buffer they ended.
template <class T, class KeyOf>
void stable_radix_sort(std::span<T>& items, std::span<T>& scratch, int key_bits,
                       const KeyOf& key_of, int threads = 1) {
  using Counts = std::array<std::size_t, 256>;
  // Large enough that handing out a block costs nothing next to sorting it, small enough for
  // the counters (256 per block and byte) to stay small.
  constexpr std::size_t kBlock = 1 << 16;
  const std::size_t n = items.size();
  const int bytes = std::min(8, (key_bits + 7) / 8);
  if (n < 2 || bytes <= 0) return;
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  const auto block_end = [n](std::size_t block) { return std::min(n, (block + 1) * kBlock); };
  const auto digit = [&key_of](const T& item, int byte) {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key_of(item)) >> (8 * byte)) &
                                    0xff);
  };

  // Every byte counted in one read: a byte that is the same in all keys (the high bytes of a
  // small count stored in a double, say) is then skipped without reading the items again.
  std::vector<std::array<Counts, 8>> block_counts(blocks);
  parallel_for(threads, blocks, [&](std::size_t block) {
    std::array<Counts, 8>& counts = block_counts[block];
    for (int byte = 0; byte < bytes; ++byte) counts[byte].fill(0);
    for (std::size_t i = block * kBlock; i < block_end(block); ++i) {
      for (int byte = 0; byte < bytes; ++byte) ++counts[byte][digit(items[i], byte)];
    }
  });
  std::array<bool, 8> varies{};
  for (int byte = 0; byte < bytes; ++byte) {
    Counts total{};
    for (const std::array<Counts, 8>& counts : block_counts) {
      for (std::size_t d = 0; d < 256; ++d) total[d] += counts[byte][d];
    }
    varies[byte] = std::find(total.begin(), total.end(), n) == total.end();
  }

  std::vector<Counts> next(blocks);  // per block: counts of the pass's byte, then free slots
  bool first_pass = true;
  for (int byte = 0; byte < bytes; ++byte) {
    if (!varies[byte]) continue;
    if (first_pass) {
      // The items are still in their original places, so the first count is valid.
      for (std::size_t block = 0; block < blocks; ++block) next[block] = block_counts[block][byte];
      block_counts = {};
      first_pass = false;
    } else {
      parallel_for(threads, blocks, [&](std::size_t block) {
        Counts& counts = next[block];
        counts.fill(0);
        for (std::size_t i = block * kBlock; i < block_end(block); ++i) {
          ++counts[digit(items[i], byte)];
        }
      });
    }
    // Block b's items with digit d go after all items with smaller digits and after the items
    // with digit d of the blocks before b: that order is what keeps the sort stable.
    std::size_t offset = 0;
    for (std::size_t d = 0; d < 256; ++d) {
      for (Counts& counts : next) {
        const std::size_t count = counts[d];
        counts[d] = offset;
        offset += count;
      }
    }
    parallel_for(threads, blocks, [&](std::size_t block) {
      Counts& slot = next[block];
      for (std::size_t i = block * kBlock; i < block_end(block); ++i) {
        scratch[slot[digit(items[i], byte)]++] = items[i];
      }
    });
    std::swap(items, scratch);
  }
}

}  // namespace clvkit
