#include "clvkit/util/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using clvkit::parallel_for;

TEST_CASE("parallel_for runs every index exactly once for any thread count", "[parallel]") {
  for (const int threads : {0, 1, 2, 4, 16}) {
    for (const std::size_t count :
         {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
      CAPTURE(threads, count);
      std::vector<std::atomic<int>> calls(count);
      parallel_for(threads, count, [&](std::size_t i) { ++calls[i]; });
      for (std::size_t i = 0; i < count; ++i) REQUIRE(calls[i].load() == 1);
    }
  }
}

TEST_CASE("parallel_for rethrows the lowest failing index and still runs the others",
          "[parallel]") {
  for (const int threads : {1, 2, 4}) {
    CAPTURE(threads);
    std::atomic<int> ran{0};
    try {
      parallel_for(threads, 100, [&](std::size_t i) {
        ++ran;
        if (i == 37 || i == 80) throw std::runtime_error("task " + std::to_string(i));
      });
      FAIL("no exception");
    } catch (const std::runtime_error& error) {
      REQUIRE(std::string(error.what()) == "task 37");
    }
    REQUIRE(ran.load() == 100);
  }
}

TEST_CASE("resolve_thread_count keeps positive requests and maps 0 to the hardware", "[parallel]") {
  REQUIRE(clvkit::resolve_thread_count(3) == 3);
  REQUIRE(clvkit::resolve_thread_count(0) >= 1);
  REQUIRE(clvkit::resolve_thread_count(-2) >= 1);
}

TEST_CASE("parallel_block_offsets gives running totals of the block counts", "[parallel]") {
  for (const int threads : {1, 3}) {
    CAPTURE(threads);
    const std::vector<std::size_t> offsets =
        clvkit::parallel_block_offsets(threads, 4, [](std::size_t block) { return block * 2 + 1; });
    REQUIRE(offsets == std::vector<std::size_t>{0, 1, 4, 9, 16});
    REQUIRE(clvkit::parallel_block_offsets(threads, 0, [](std::size_t) { return 1; }) ==
            std::vector<std::size_t>{0});
  }
}

TEST_CASE("populate_pages leaves memory usable and unchanged for any range and thread count",
          "[parallel]") {
  for (const int threads : {0, 1, 3}) {
    CAPTURE(threads);
    std::vector<std::uint32_t> values;
    values.reserve(300'001);  // not a whole number of pages, not page-aligned in general
    clvkit::populate_pages(values.data() + 1, 300'000 * sizeof(std::uint32_t) - 3, threads);
    clvkit::populate_pages(values.data(), 0, threads);
    values.resize(300'001, 7u);
    REQUIRE(std::all_of(values.begin(), values.end(), [](std::uint32_t v) { return v == 7u; }));
    std::vector<std::uint32_t> filled(values.size());
    clvkit::populate_pages(filled.data(), filled.size() * sizeof(std::uint32_t), threads);
    REQUIRE(std::all_of(filled.begin(), filled.end(), [](std::uint32_t v) { return v == 0u; }));
  }
}

TEST_CASE("collapse_equal_runs gives one output per run, runs crossing blocks included",
          "[parallel]") {
  const std::vector<int> sorted = {1, 1, 1, 1, 2, 3, 3, 4, 4, 4, 4, 4, 4, 5};
  using Run = std::pair<int, std::size_t>;  // value, count
  const std::vector<Run> expected = {{1, 4}, {2, 1}, {3, 2}, {4, 6}, {5, 1}};
  for (const int threads : {1, 3}) {
    for (const std::size_t block : {std::size_t{1}, std::size_t{3}, std::size_t{100}}) {
      CAPTURE(threads, block);
      const std::vector<Run> runs = clvkit::collapse_equal_runs<Run>(
          sorted.size(), block, threads,
          [&](std::size_t i, std::size_t j) { return sorted[i] == sorted[j]; },
          [&](std::size_t first, std::size_t count) {
            return Run{sorted[first], count};
          });
      REQUIRE(runs == expected);
    }
  }
  CHECK(clvkit::collapse_equal_runs<Run>(
            0, 4, 2, [](std::size_t, std::size_t) { return true; },
            [](std::size_t, std::size_t count) {
              return Run{0, count};
            })
            .empty());
}
