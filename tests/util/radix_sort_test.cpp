#include "clvkit/util/radix_sort.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

using clvkit::stable_radix_sort;

namespace {

struct Item {
  std::uint64_t key;
  std::uint32_t position;  // in the input: identifies the item and shows stability
};

bool operator==(const Item& a, const Item& b) { return a.key == b.key && a.position == b.position; }

// stable_radix_sort on a copy of `input`, against std::stable_sort.
void check_sorts_like_stable_sort(const std::vector<Item>& input, int key_bits, int threads) {
  std::vector<Item> expected = input;
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Item& a, const Item& b) { return a.key < b.key; });
  std::vector<Item> buffer = input;
  std::vector<Item> other(input.size());
  std::span<Item> items(buffer);
  std::span<Item> scratch(other);
  stable_radix_sort(
      items, scratch, key_bits, [](const Item& item) { return item.key; }, threads);
  REQUIRE(items.size() == expected.size());
  CHECK(std::equal(items.begin(), items.end(), expected.begin()));
}

}  // namespace

TEST_CASE("stable_radix_sort sorts like std::stable_sort for any thread count",
          "[radixsort][property][threads]") {
  // 200k items: four blocks of 64k, whose counts and scatters run on several threads.
  std::mt19937_64 rng(41);
  for (const int threads : {1, 2, 4}) {
    for (const int key_bits : {1, 7, 8, 12, 33, 64}) {
      CAPTURE(threads, key_bits);
      const std::uint64_t mask =
          key_bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << key_bits) - 1;
      std::vector<Item> input;
      for (std::uint32_t i = 0; i < 200000; ++i) {
        // Half the keys from a few values (long runs of ties), half spread over the whole range.
        const std::uint64_t key = i % 2 == 0 ? rng() % 5 : rng();
        input.push_back({key & mask, i});
      }
      check_sorts_like_stable_sort(input, key_bits, threads);
    }
  }
}

TEST_CASE("stable_radix_sort skips bytes that are equal in every key", "[radixsort]") {
  // Keys that differ only in their second-highest byte, and keys that are all equal: the sort
  // must still be right (and stable) when most or all passes are skipped.
  std::mt19937_64 rng(43);
  std::vector<Item> one_byte;
  std::vector<Item> all_equal;
  for (std::uint32_t i = 0; i < 100000; ++i) {
    one_byte.push_back({0x4000'0000'0000'0000ull | ((rng() % 256) << 48), i});
    all_equal.push_back({0x4000'0000'0000'0000ull, i});
  }
  for (const int threads : {1, 3}) {
    CAPTURE(threads);
    check_sorts_like_stable_sort(one_byte, 64, threads);
    check_sorts_like_stable_sort(all_equal, 64, threads);
  }
}

TEST_CASE("stable_radix_sort handles empty, single and two-item input", "[radixsort]") {
  check_sorts_like_stable_sort({}, 64, 2);
  check_sorts_like_stable_sort({{5, 0}}, 64, 2);
  check_sorts_like_stable_sort({{5, 0}, {3, 1}}, 8, 2);
  check_sorts_like_stable_sort({{3, 0}, {3, 1}}, 8, 2);
}
