#pragma once
// Internal to src/models: Neumaier's compensated sum, shared by the likelihood totals of the
// purchase-model fits (dropout_likelihood.cpp for BG/NBD and MBG/NBD, pnbd_fit.cpp).

#include <cmath>

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

}  // namespace clvkit::detail
