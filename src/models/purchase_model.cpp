#include "clvkit/models/purchase_model.hpp"

#include <boost/math/quadrature/exp_sinh.hpp>
#include <algorithm>
#include <cmath>
#include <limits>

#include "clvkit/util/parallel.hpp"

namespace clvkit {

std::vector<double> PurchaseModel::p_alive_of(std::span<const PurchaseHistory> histories,
                                              int threads) const {
  constexpr std::size_t kBlock = 1024;
  std::vector<double> out(histories.size());
  parallel_for(threads, (histories.size() + kBlock - 1) / kBlock, [&](std::size_t block) {
    const std::size_t end = std::min(histories.size(), (block + 1) * kBlock);
    for (std::size_t i = block * kBlock; i < end; ++i) out[i] = p_alive(histories[i]);
  });
  return out;
}

double PurchaseModel::discounted_expected_purchases_if_alive(double x, double T,
                                                             double delta) const noexcept {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (!(delta > 0.0) || !std::isfinite(delta)) return kNaN;
  // One integrator per thread: its abscissas are computed once, and the result depends only on
  // the integrand (the same value on every thread and in every run).
  // (Not const: Boost 1.74 declares integrate const but defines it non-const.)
  thread_local boost::math::quadrature::exp_sinh<double> integrator;
  try {
    const double value = integrator.integrate(
        [&](double u) {
          const double weight = std::exp(-u);
          // Far in the tail the weight underflows: E[X] grows slower than e^u, so 0 is exact
          // there, and E[X] at such times need not even be finite in double.
          return weight == 0.0 ? 0.0 : weight * expected_purchases_if_alive(x, T, u / delta);
        },
        1e-10);
    return std::isfinite(value) && value >= 0.0 ? value : kNaN;
  } catch (...) {
    return kNaN;
  }
}

}  // namespace clvkit
