#pragma once
// Large arrays in memory mapped for transparent huge pages: for arrays of hundreds of megabytes
// read at random (hash slots, accumulators), which otherwise miss the TLB on nearly every access.

#include <cstddef>
#include <memory>
#include <type_traits>

namespace clvkit {

/// Unmaps what map_huge mapped (`bytes` is the size given to it); the deleter of a HugeBuffer.
struct FreeHugeBuffer {
  std::size_t bytes = 0;
  void operator()(void* memory) const noexcept;
};

/// An array in memory from map_huge, unmapped when the pointer goes.
template <class T>
using HugeBuffer = std::unique_ptr<T[], FreeHugeBuffer>;

/// Maps `bytes` (a multiple of 2 MiB) of fresh zero memory aligned to 2 MiB, read-write and
/// private, and offers it to the kernel for transparent huge pages (madvise MADV_HUGEPAGE, a
/// hint only). The memory is mapped, not taken from the heap, so freeing it (FreeHugeBuffer)
/// returns it to the system at once (the heap would keep it in the process). No page is touched:
/// each is faulted in when first used. Throws std::bad_alloc when the mapping fails.
void* map_huge(std::size_t bytes);

/// Room for `count` T from map_huge, the size rounded up to whole 2 MiB pages. Nothing is
/// constructed: the kernel's zero bytes are the value of an integer array, and a container that
/// hands out elements constructs them as it does (ChunkedArray in src/summary), so that a page is
/// first touched when it is used (a fault on fresh memory costs more than filling it, and a small
/// table touches a few pages of a chunk, not all of them). T must be trivially copyable and
/// destructible. Throws std::bad_alloc when the mapping fails.
template <class T>
HugeBuffer<T> allocate_huge(std::size_t count) {
  static_assert(std::is_trivially_destructible_v<T> && std::is_trivially_copyable_v<T>);
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t bytes = (count * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
  return HugeBuffer<T>(static_cast<T*>(map_huge(bytes)), FreeHugeBuffer{bytes});
}

}  // namespace clvkit
