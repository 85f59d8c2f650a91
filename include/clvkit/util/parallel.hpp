#pragma once
// Fork-join over an index range: the one threading primitive the library uses for data-parallel
// stages (ingest blocks, predictions, likelihood partials). Results must never depend on the
// thread count: callers give each index its own output slot and combine the slots in index
// order afterwards.

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <vector>

namespace clvkit {

/// Calls task(i) for every i in [0, count) on up to `threads` threads (the calling thread is one
/// of them; threads <= 1 or count <= 1 runs inline, in order). Indices are handed out
/// dynamically, so a task must not assume which thread runs it or in which order. When tasks
/// throw, every task still runs to completion or failure and the exception of the lowest failing
/// index is rethrown: the error reported does not depend on the thread count.
void parallel_for(int threads, std::size_t count, const std::function<void(std::size_t)>& task);

/// Where each of `blocks` blocks starts writing its part of an output assembled in parallel:
/// count_in_block(b) is how many items block b will write; the result (size blocks + 1) holds
/// their running totals, so block b writes from result[b] and the output has result[blocks].
/// The counts are taken on up to `threads` threads.
std::vector<std::size_t> parallel_block_offsets(
    int threads, std::size_t blocks, const std::function<std::size_t(std::size_t)>& count_in_block);

/// One output per run of adjacent equal items of [0, n) (a sorted sequence, say), in order:
/// same(i, j) says whether items i and j are equal, make(first, count) builds the output of the
/// run of `count` items starting at `first`. Blocks of `block` items are scanned on up to
/// `threads` threads, each writing the runs that start in it (a run may reach into later
/// blocks) at offsets counted beforehand; the result does not depend on `threads`.
template <class Out, class Same, class Make>
std::vector<Out> collapse_equal_runs(std::size_t n, std::size_t block, int threads,
                                     const Same& same, const Make& make) {
  const std::size_t blocks = (n + block - 1) / block;
  const auto starts_run = [&same](std::size_t i) { return i == 0 || !same(i, i - 1); };
  const auto each_run_start = [&](std::size_t b, const auto& visit) {
    for (std::size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
      if (starts_run(i)) visit(i);
    }
  };
  const std::vector<std::size_t> first_output =
      parallel_block_offsets(threads, blocks, [&](std::size_t b) {
        std::size_t count = 0;
        each_run_start(b, [&count](std::size_t) { ++count; });
        return count;
      });
  std::vector<Out> out(first_output[blocks]);
  parallel_for(threads, blocks, [&](std::size_t b) {
    std::size_t next = first_output[b];
    each_run_start(b, [&](std::size_t first) {
      std::size_t end = first + 1;
      while (end < n && same(end, first)) ++end;
      out[next++] = make(first, end - first);
    });
  });
  return out;
}

/// Asks the kernel to back the pages of [begin, begin + bytes) with memory now, on up to
/// `threads` threads, before a single thread fills them. Fresh memory costs a fault per page on
/// first touch (on virtual machines also a fault on the host, 0.3-2.5 s per GB here) and faults
/// taken on several threads overlap. A hint only: without MADV_POPULATE_WRITE (Linux < 5.14) or
/// on any error, the pages are faulted in later, when first written.
void populate_pages(void* begin, std::size_t bytes, int threads) noexcept;

/// The thread count to use when the caller asks for `requested` (0 = all hardware threads,
/// at least 1).
int resolve_thread_count(int requested) noexcept;

}  // namespace clvkit
