#include "clvkit/models/purchase_model.hpp"

#include <boost/math/quadrature/exp_sinh.hpp>
#include <cmath>
#include <limits>

namespace clvkit {

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
