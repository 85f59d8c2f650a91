#include "clvkit/util/huge_buffer.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace clvkit {

void* map_huge(std::size_t bytes) {
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  // Map one huge page more than asked and cut the ends so that the rest is aligned to one.
  const std::size_t mapped = bytes + kHugePage;
  void* memory = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(memory);
  const std::uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) munmap(memory, aligned - start);
  if (const std::uintptr_t end = start + mapped; end > aligned + bytes) {
    munmap(reinterpret_cast<void*>(aligned + bytes), end - (aligned + bytes));
  }
#if defined(MADV_HUGEPAGE)
  madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // a hint only
#endif
  return reinterpret_cast<void*>(aligned);
}

void FreeHugeBuffer::operator()(void* memory) const noexcept {
  if (memory != nullptr) munmap(memory, bytes);
}

}  // namespace clvkit
