#pragma once
// Internal to src/models: dense indices of distinct keys of N doubles, for tabulating a costly
// function once per distinct argument (predictions, Pareto/NBD's P(alive)).

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace clvkit::detail {

// Dense indices of distinct keys of N doubles ((x, T) pairs, (x, t_x, T) triples), numbered in
// order of first appearance. Open addressing on the bit patterns, at most half full: it is
// probed once per customer, and std::unordered_map (a node per entry, a modulo per probe) took
// twice as long.
template <std::size_t N>
class KeyIndex {
 public:
  using Key = std::array<double, N>;

  std::size_t index_of(Key key) {
    std::array<std::uint64_t, N> bits;
    for (std::size_t j = 0; j < N; ++j) {
      key[j] += 0.0;  // maps -0 to +0: they compare equal, so they must share an entry
      bits[j] = std::bit_cast<std::uint64_t>(key[j]);
    }
    if (2 * (keys_.size() + 1) > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = slot_of(bits);; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.index == 0) {
        keys_.push_back(key);
        slot = {bits, keys_.size()};
        return keys_.size() - 1;
      }
      if (slot.bits == bits) return slot.index - 1;
    }
  }
  const std::vector<Key>& keys() const noexcept { return keys_; }
  std::vector<Key> take_keys() noexcept { return std::move(keys_); }

 private:
  struct Slot {
    std::array<std::uint64_t, N> bits{};
    std::size_t index = 0;  // 1-based into keys_; 0 = empty
  };

  std::size_t slot_of(const std::array<std::uint64_t, N>& bits) const noexcept {
    std::uint64_t h = 0;
    for (const std::uint64_t b : bits) h = (h ^ b) * 0x9E3779B97F4A7C15ull;
    h *= 0xBF58476D1CE4E5B9ull;
    return static_cast<std::size_t>(h >> shift_);  // the best-mixed bits
  }

  void grow() {
    const std::size_t size = std::max<std::size_t>(64, 2 * slots_.size());
    slots_.assign(size, Slot{});
    shift_ = 64 - std::countr_zero(size);
    const std::size_t mask = size - 1;
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      std::array<std::uint64_t, N> bits;
      for (std::size_t j = 0; j < N; ++j) bits[j] = std::bit_cast<std::uint64_t>(keys_[k][j]);
      std::size_t i = slot_of(bits);
      while (slots_[i].index != 0) i = (i + 1) & mask;
      slots_[i] = {bits, k + 1};
    }
  }

  std::vector<Slot> slots_;
  std::vector<Key> keys_;
  int shift_ = 64;
};

}  // namespace clvkit::detail
