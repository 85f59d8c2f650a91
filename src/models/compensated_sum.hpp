#pragma once
// Internal to src/models: the deterministic summation of the likelihood totals of the
// purchase-model fits (dropout_likelihood.cpp for BG/NBD and MBG/NBD, pnbd_fit.cpp): Neumaier's
// compensated sum, and the blocked sum over patterns that uses it.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "clvkit/util/parallel.hpp"

namespace clvkit::detail {

// Neumaier's compensated sum: the total log-likelihood of a million customers is a sum of a
// million terms, and the line search compares totals that differ in the 12th digit near the
// optimum.
class CompensatedSum {
 public:
  void add(double value) noexcept {
    const double t = sum_ + value;
    if (std::abs(sum_) >= std::abs(value)) {
      compensation_ += (sum_ - t) + value;
    } else {
      compensation_ += (value - t) + sum_;
    }
    sum_ = t;
  }
  double value() const noexcept { return sum_ + compensation_; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

// Summation: plain sums over blocks of kSumBlock patterns (error at most kSumBlock eps/2 ~ 4e-15
// of the block's sum of |terms|), and Neumaier's compensated sum of the block sums. As accurate as
// compensating every term for the line search's purpose, at 1/64 of the cost: compensating all
// five sums term by term took a quarter of the evaluation time.
inline constexpr std::size_t kSumBlock = 64;

// Patterns per task of an evaluation on several threads, in whole blocks: about 0.2 ms of work,
// so that starting a thread (~50 us) pays for itself, and data of fewer patterns (CDNOW has 1k)
// is summed on the calling thread alone.
inline constexpr std::size_t kSumTaskPatterns = 128 * kSumBlock;

/// The K sums over patterns 0..n-1 of what `add_pattern(i, block)` adds into `block` (a
/// std::array<double, K>), in pattern order: blocks of kSumBlock patterns summed plainly by tasks
/// of kSumTaskPatterns on up to `threads` threads, then the block sums compensated in block order,
/// exactly as one thread sums them, so the result does not depend on `threads`.
template <std::size_t K, class AddPattern>
std::array<double, K> compensated_pattern_sums(std::size_t n, int threads,
                                               const AddPattern& add_pattern) {
  std::vector<std::array<double, K>> block_sums((n + kSumBlock - 1) / kSumBlock);
  parallel_for(threads, (n + kSumTaskPatterns - 1) / kSumTaskPatterns, [&](std::size_t task) {
    const std::size_t task_end = std::min(n, (task + 1) * kSumTaskPatterns);
    for (std::size_t begin = task * kSumTaskPatterns; begin < task_end; begin += kSumBlock) {
      const std::size_t end = std::min(task_end, begin + kSumBlock);
      std::array<double, K> block{};
      for (std::size_t i = begin; i < end; ++i) add_pattern(i, block);
      block_sums[begin / kSumBlock] = block;
    }
  });
  std::array<CompensatedSum, K> sum;
  for (const std::array<double, K>& block : block_sums) {
    for (std::size_t j = 0; j < K; ++j) sum[j].add(block[j]);
  }
  std::array<double, K> out;
  for (std::size_t j = 0; j < K; ++j) out[j] = sum[j].value();
  return out;
}

}  // namespace clvkit::detail
