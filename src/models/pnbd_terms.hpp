#pragma once
// Internal to src/models: how the Pareto/NBD log-likelihood of one pattern is put together from
// its parts (pnbd.hpp's file comment), shared by the per-customer functions (pnbd.cpp) and the
// total over patterns (pnbd_fit.cpp), which tabulates the parts by distinct value.
//
// With common = log[Gamma(r+x)/Gamma(r)] + r log alpha + s log beta,
//   alive = -(r+x) log(alpha+T) - s log(beta+T)       (still alive at T)
//   died  = log s + log(F(t_x) - F(T))                 (died in (t_x, T])
// the log-likelihood is common + log(exp(alive) + exp(died)).

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

#include "clvkit/models/pnbd.hpp"
#include "clvkit/numerics/log_space.hpp"

namespace clvkit::detail {

// The died term from log s, log F(t_x) and log F(T), with rho = F(T)/F(t_x) and 1 - rho (for
// the gradient). F(t_x) >= F(T) in exact arithmetic; when rounding says otherwise (t_x within
// rounding of T) the term is 0 (died = -inf).
struct PnbdDied {
  double died = -std::numeric_limits<double>::infinity();
  double rho = 1.0;
  double one_minus_rho = 0.0;
};

inline PnbdDied pnbd_died(double log_s, double log_F_t_x, double log_F_T) noexcept {
  PnbdDied d;
  const double log_rho = log_F_T - log_F_t_x;
  if (!(log_rho < 0.0)) return d;
  d.rho = std::exp(log_rho);
  // 1 - rho without cancellation where rho > 1/2 (Maechler's log1m_exp split).
  d.one_minus_rho = log_rho > -0.6931471805599453 ? -std::expm1(log_rho) : 1.0 - d.rho;
  d.died = log_s + log_F_t_x + std::log(d.one_minus_rho);
  return d;
}

// log(exp(alive) + exp(died)) and the share of the died term, from one exp: with
// e = exp(-|alive - died|) the total is max + log1p(e) and the smaller term's share e/(1+e).
struct PnbdTotal {
  double total = 0.0;
  double w_died = 0.0;
};

inline PnbdTotal pnbd_total(double alive, double died) noexcept {
  if (died == -std::numeric_limits<double>::infinity()) return {alive, 0.0};
  const double e = std::exp(-std::abs(alive - died));
  const double share = e / (1.0 + e);
  if (died > alive) return {died + std::log1p(e), 1.0 - share};
  return {alive + std::log1p(e), share};
}

// The log-likelihood without common (= pnbd_total(alive, died).total) and, into `gradient`
// (which holds d common on entry), its gradient with respect to (r, alpha, s, beta):
//   d died = (d log F(t_x) - rho d log F(T)) / (1 - rho) + [s] 1/s,
// weighted by the posterior shares of the two terms. `at_t_x` and `at_T` are null when t_x = T
// (then only the alive term counts). The value is bit for bit that of the same parts without the
// gradient.
inline double pnbd_combine(double s, double log_s, double alive,
                           const std::array<double, 4>& d_alive, const PnbdLogTail* at_t_x,
                           const PnbdLogTail* at_T, std::array<double, 4>& gradient) noexcept {
  if (at_t_x == nullptr) {
    for (std::size_t i = 0; i < 4; ++i) gradient[i] += d_alive[i];
    return alive;
  }
  const PnbdDied died = pnbd_died(log_s, at_t_x->value, at_T->value);
  const PnbdTotal total = pnbd_total(alive, died.died);
  const double w_alive = 1.0 - total.w_died;
  for (std::size_t i = 0; i < 4; ++i) gradient[i] += w_alive * d_alive[i];
  if (total.w_died == 0.0) return total.total;
  const double scale = total.w_died / died.one_minus_rho;
  for (std::size_t i = 0; i < 4; ++i) {
    gradient[i] += scale * (at_t_x->gradient[i] - died.rho * at_T->gradient[i]);
  }
  gradient[2] += total.w_died / s;
  return total.total;
}

}  // namespace clvkit::detail
