#pragma once
// Internal to src/models: how the Pareto/NBD log-likelihood of one pattern is put together from
// its parts (pnbd.hpp's file comment), shared by the per-customer functions (pnbd.cpp) and the
// total over patterns (pnbd_fit.cpp), which tabulates the parts by distinct value.
//
// With common = log[Gamma(r+x)/Gamma(r)] + r log alpha + s log beta,
//   alive = -(r+x) log(alpha+T) - s log(beta+T)       (still alive at T)
//   died  = log s + log(F(t_x) - F(T))                 (died in (t_x, T])
// the log-likelihood is common + log_sum_exp(alive, died).

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

#include "clvkit/models/pnbd.hpp"
#include "clvkit/numerics/log_space.hpp"

namespace clvkit::detail {

// died from log F(t_x) and log F(T). F(t_x) >= F(T) in exact arithmetic; when rounding says
// otherwise (t_x within rounding of T) the term is 0.
inline double pnbd_log_died(double s, double log_F_t_x, double log_F_T) noexcept {
  if (!(log_F_t_x > log_F_T)) return -std::numeric_limits<double>::infinity();
  return std::log(s) + log_diff_exp(log_F_t_x, log_F_T);
}

// log_sum_exp(alive, died) and, into `gradient` (which holds d common on entry), the gradient of
// the log-likelihood with respect to (r, alpha, s, beta):
//   d died = (d log F(t_x) - rho d log F(T)) / (1 - rho) + [s] 1/s,  rho = F(T)/F(t_x),
// weighted by the posterior shares of the two terms. `at_t_x` and `at_T` are null when t_x = T
// (then died = -inf and only the alive term counts).
inline double pnbd_combine(double s, double alive, const std::array<double, 4>& d_alive,
                           const PnbdLogTail* at_t_x, const PnbdLogTail* at_T,
                           std::array<double, 4>& gradient) noexcept {
  if (at_t_x == nullptr) {
    for (std::size_t i = 0; i < 4; ++i) gradient[i] += d_alive[i];
    return alive;
  }
  const double died = pnbd_log_died(s, at_t_x->value, at_T->value);
  const double total = log_sum_exp(alive, died);
  const double w_alive = std::exp(alive - total);
  for (std::size_t i = 0; i < 4; ++i) gradient[i] += w_alive * d_alive[i];
  if (died == -std::numeric_limits<double>::infinity()) return total;
  const double w_died = std::exp(died - total);
  const double log_rho = at_T->value - at_t_x->value;
  const double rho = std::exp(log_rho);
  const double inv_gap = 1.0 / -std::expm1(log_rho);
  for (std::size_t i = 0; i < 4; ++i) {
    double d_died = (at_t_x->gradient[i] - rho * at_T->gradient[i]) * inv_gap;
    if (i == 2) d_died += 1.0 / s;
    gradient[i] += w_died * d_died;
  }
  return total;
}

}  // namespace clvkit::detail
