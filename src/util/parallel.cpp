#include "clvkit/util/parallel.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>

namespace clvkit {

void parallel_for(int threads, std::size_t count, const std::function<void(std::size_t)>& task) {
  std::vector<std::exception_ptr> errors(count);
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      try {
        task(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const std::size_t helpers =
      threads <= 1 || count <= 1 ? 0 : std::min(count, static_cast<std::size_t>(threads)) - 1;
  std::vector<std::thread> pool;
  pool.reserve(helpers);
  try {
    for (std::size_t i = 0; i < helpers; ++i) pool.emplace_back(work);
  } catch (...) {
    // A thread that cannot start leaves its share to the ones that did.
  }
  work();
  for (std::thread& thread : pool) thread.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

std::vector<std::size_t> parallel_block_offsets(
    int threads, std::size_t blocks,
    const std::function<std::size_t(std::size_t)>& count_in_block) {
  std::vector<std::size_t> offsets(blocks + 1, 0);
  parallel_for(threads, blocks,
               [&](std::size_t block) { offsets[block + 1] = count_in_block(block); });
  for (std::size_t block = 0; block < blocks; ++block) offsets[block + 1] += offsets[block];
  return offsets;
}

int resolve_thread_count(int requested) noexcept {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void populate_pages(void* begin, std::size_t bytes, int threads) noexcept {
#if defined(MADV_POPULATE_WRITE)
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto first = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(begin) + bytes) / page * page;
  if (threads < 1 || page == 0 || end <= first) return;
  // Pieces of whole pages, a few per thread so that a slow piece does not hold up the rest.
  const std::size_t pages = (end - first) / page;
  const std::size_t pieces = std::min<std::size_t>(pages, static_cast<std::size_t>(threads) * 4);
  try {
    parallel_for(threads, pieces, [&](std::size_t piece) {
      const std::uintptr_t from = first + pages * piece / pieces * page;
      const std::uintptr_t to = first + pages * (piece + 1) / pieces * page;
      madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);  // a hint only
    });
  } catch (...) {
    // No thread could start: the pages are faulted in when first written.
  }
#else
  (void)begin, (void)bytes, (void)threads;
#endif
}

}  // namespace clvkit
