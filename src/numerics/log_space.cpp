#include "clvkit/numerics/log_space.hpp"

#include <algorithm>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <limits>

#include "clvkit/numerics/no_throw_policy.hpp"

namespace clvkit {

namespace {

using detail::NoThrowPolicy;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kHalfLog2Pi = 0.91893853320467274178;  // log(2 pi) / 2

// Coefficients B_2k / (2k (2k - 1)) of the Stirling series
// log Gamma(z) = (z - 1/2) log z - z + log(2 pi)/2 + sum_k c_k z^(1 - 2k).
constexpr double kStirling[] = {1.0 / 12.0,   -1.0 / 360.0,      1.0 / 1260.0, -1.0 / 1680.0,
                                1.0 / 1188.0, -691.0 / 360360.0, 1.0 / 156.0};

// Threshold above which the Stirling series with the 7 terms above is accurate to < 1e-17
// (the first omitted term is 3617/122400 z^-15 < 3e-17 at z = 10).
constexpr double kStirlingMin = 10.0;

// delta(z) = log Gamma(z) - [(z - 1/2) log z - z + log(2 pi)/2] for z >= 10.
double stirling_correction(double z) noexcept {
  const double zinv = 1.0 / z;
  const double zinv2 = zinv * zinv;
  double sum = 0.0;
  for (int k = 6; k >= 0; --k) sum = sum * zinv2 + kStirling[k];
  return sum * zinv;
}

}  // namespace

double log_sum_exp(std::span<const double> values) noexcept {
  double hi = -std::numeric_limits<double>::infinity();
  for (double v : values) hi = std::max(hi, v);
  if (std::isinf(hi)) return hi;  // empty, all -inf, or some +inf
  if (std::isnan(hi)) return kNaN;
  double sum = 0.0;
  for (double v : values) sum += std::exp(v - hi);
  return hi + std::log(sum);
}

double log_gamma(double x, int* sign) noexcept {
  int s = 1;
  const double value = boost::math::lgamma(x, &s, NoThrowPolicy());
  if (sign != nullptr) *sign = s;
  return value;
}

double digamma(double x) noexcept { return boost::math::digamma(x, NoThrowPolicy()); }

double lbeta(double a, double b) noexcept {
  if (!(a > 0.0) || !(b > 0.0)) return kNaN;
  const double x = std::min(a, b);
  const double y = std::max(a, b);
  if (std::isinf(y)) return -std::numeric_limits<double>::infinity();
  if (y < kStirlingMin) return log_gamma(x) + log_gamma(y) - log_gamma(x + y);
  const double sum = x + y;
  if (x < kStirlingMin) {
    // log Gamma(y) - log Gamma(x + y) with the Stirling parts combined:
    // -(y - 1/2) log1p(x/y) - x log(x + y) + x + delta(y) - delta(x + y).
    return log_gamma(x) - (y - 0.5) * std::log1p(x / y) - x * std::log(sum) + x +
           (stirling_correction(y) - stirling_correction(sum));
  }
  // Both large: (x - 1/2) log(x/(x+y)) + (y - 1/2) log(y/(x+y)) - log(x+y)/2 + log(2 pi)/2 +
  // deltas.
  return kHalfLog2Pi - 0.5 * std::log(sum) + (x - 0.5) * std::log(x / sum) +
         (y - 0.5) * std::log1p(-x / sum) +
         (stirling_correction(x) + stirling_correction(y) - stirling_correction(sum));
}

double lgamma_difference_quotient(double x, double h, double y) noexcept {
  if (!(x > 0.0) || !(y > 0.0) || std::isinf(x) || std::isinf(y) || std::isnan(h)) return kNaN;
  if (h == 0.0) return digamma(x);
  // Shift both arguments to >= 10 with log Gamma(z + 1) = log Gamma(z) + log z:
  //   [lG(y) - lG(x)] = [lG(y+N) - lG(x+N)] - log P,   P = prod_{j<N} (y+j)/(x+j).
  // E = (P - 1)/h = sum_j P_j/(x+j) (P_j the partial products) is accumulated without
  // cancellation (all increments share the sign of h); log P is log1p(h E) when P is near 1 and
  // log(P) otherwise, where P comes from the ratios (y+j)/(x+j): exact-ish even when y << x
  // (y = x + h with h ~ -x), where 1 + h/x would cancel.
  const double lo = std::min(x, y);
  double shift = 0.0;
  double xs = x;
  double ys = y;
  if (lo < kStirlingMin) {
    const int n = static_cast<int>(std::ceil(kStirlingMin - lo));
    double product = 1.0;
    double e_over_h = 0.0;
    for (int j = 0; j < n; ++j) {
      const double xj = x + j;
      e_over_h += product / xj;
      product *= (y + j) / xj;
    }
    const double e = h * e_over_h;
    shift = std::fabs(e) < 0.5 ? log1p_rel(e) * e_over_h : std::log(product) / h;
    xs = x + n;
    ys = y + n;
  }
  // Stirling: [lG(ys) - lG(xs)]/h = (xs - 1/2) log1p(h/xs)/h + log(ys) - 1 + [delta(ys) -
  // delta(xs)]/h, and ys^-n - xs^-n = -h xs^-n / ys * sum_{i<n} rho^i with rho = xs/ys: no
  // cancellation.
  const double main = (xs - 0.5) * log1p_rel(h / xs) / xs + std::log(ys) - 1.0;
  const double rho = xs / ys;
  const double rho2 = rho * rho;
  const double xinv = 1.0 / xs;
  const double xinv2 = xinv * xinv;
  double xpow = xinv;      // xs^-(2k-1)
  double geometric = 1.0;  // sum_{i < 2k-1} rho^i
  double rho_pow = rho;    // rho^(2k-1)
  double corr = 0.0;
  for (double c : kStirling) {
    corr += c * xpow * geometric;
    xpow *= xinv2;
    geometric += rho_pow * (1.0 + rho);
    rho_pow *= rho2;
  }
  return main - corr / ys - shift;
}

double lgamma_difference_quotient(double x, double h) noexcept {
  return lgamma_difference_quotient(x, h, x + h);
}

namespace {
// Counts up to this are multiplied out: exact to rounding and cheaper than two lgamma calls.
constexpr int kSmallCount = 16;
bool is_small_count(double x) noexcept { return x <= kSmallCount && x == std::floor(x); }
}  // namespace

double log_rising(double v, double x) noexcept {
  if (x == 0.0) return 0.0;
  if (is_small_count(x)) {
    double product = v;
    for (int j = 1; j < static_cast<int>(x); ++j) product *= v + j;
    return std::log(product);
  }
  return lgamma_difference(v, x);
}

double log_rising_ratio(double u, double v, double x) noexcept {
  if (x == 0.0) return 0.0;
  if (is_small_count(x)) {
    double product = u / v;
    for (int j = 1; j < static_cast<int>(x); ++j) product *= (u + j) / (v + j);
    return std::log(product);
  }
  return lgamma_difference(u, x) - lgamma_difference(v, x);
}

double digamma_rise(double v, double x) noexcept {
  if (x == 0.0) return 0.0;
  if (is_small_count(x)) {
    double sum = 0.0;
    for (int j = 0; j < static_cast<int>(x); ++j) sum += 1.0 / (v + j);
    return sum;
  }
  return digamma(v + x) - digamma(v);
}

}  // namespace clvkit
