#pragma once
// Internal to src/models: dense numbering of the distinct values of one coordinate, shared by the
// pattern compression (patterns.cpp) and the BG/NBD likelihood's preparation (bgnbd_fit.cpp).

#include <bit>
#include <cstdint>
#include <vector>

namespace clvkit::detail {

// Dense indices of distinct values, numbered in order of first appearance. Open addressing on the
// bit patterns: it is probed once per customer and coordinate, and std::unordered_map (a node per
// value, a modulo per probe) took twice as long. Sorted input repeats the previous value most of
// the time; that case skips the probe.
class DistinctValues {
 public:
  std::uint32_t index_of(double value) {
    if (!values_.empty() && value == last_value_) return last_index_;
    // + 0.0 maps -0 to +0, which compare equal and must share an entry.
    value += 0.0;
    last_value_ = value;
    last_index_ = probe(value);
    return last_index_;
  }
  const std::vector<double>& values() const noexcept { return values_; }
  std::vector<double> take_values() noexcept { return std::move(values_); }

 private:
  std::uint32_t probe(double value) {
    const std::uint64_t key = std::bit_cast<std::uint64_t>(value);
    // At most a quarter full: collisions cost mispredicted branches on this hot path.
    if (4 * (values_.size() + 1) > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.index == 0) {
        values_.push_back(value);
        slot = {key, static_cast<std::uint32_t>(values_.size())};
        return slot.index - 1;
      }
      if (slot.key == key) return slot.index - 1;
    }
  }

  std::size_t slot_of(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void grow() {
    const std::size_t size = std::max<std::size_t>(64, 2 * slots_.size());
    slots_.assign(size, Slot{});
    shift_ = 64 - std::countr_zero(size);
    for (std::size_t v = 0; v < values_.size(); ++v) {
      const std::uint64_t key = std::bit_cast<std::uint64_t>(values_[v]);
      std::size_t i = slot_of(key);
      while (slots_[i].index != 0) i = (i + 1) & (size - 1);
      slots_[i] = {key, static_cast<std::uint32_t>(v + 1)};
    }
  }

  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t index = 0;  // 1-based into values_; 0 = empty
  };
  std::vector<Slot> slots_;
  std::vector<double> values_;
  int shift_ = 64;
  double last_value_ = 0.0;
  std::uint32_t last_index_ = 0;
};

}  // namespace clvkit::detail
