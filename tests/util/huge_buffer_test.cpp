#include "clvkit/util/huge_buffer.hpp"

#include <catch2/catch.hpp>
#include <cstdint>

TEST_CASE("allocate_huge gives zeroed, writable memory aligned to 2 MiB", "[huge_buffer]") {
  constexpr std::size_t kCount = 300'000;  // 2.4 MB: two huge pages
  const clvkit::HugeBuffer<std::uint64_t> buffer = clvkit::allocate_huge<std::uint64_t>(kCount);
  REQUIRE(buffer != nullptr);
  CHECK(reinterpret_cast<std::uintptr_t>(buffer.get()) % (std::size_t{2} << 20) == 0);
  CHECK(buffer.get_deleter().bytes == std::size_t{4} << 20);
  std::size_t non_zero = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    non_zero += buffer[i] != 0 ? 1 : 0;
    buffer[i] = i;
  }
  CHECK(non_zero == 0);
  CHECK(buffer[kCount - 1] == kCount - 1);
}
