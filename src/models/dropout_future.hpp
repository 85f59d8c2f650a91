#pragma once
// Internal to src/models: one posterior future of a customer alive at T under a model of
// Poisson purchases with a dropout coin after each purchase (BG/NBD, bgnbd_future.cpp; MBG/NBD,
// mbgnbd_future.cpp), shared so that both consume the random stream identically.

#include <algorithm>
#include <cmath>

#include "clvkit/models/simulation_rng.hpp"

namespace clvkit::detail {

// Everything after "a purchase happens in the horizon", by three exact rearrangements that make
// a draw without purchases cost one or two uniforms:
//  - First purchase. With lambda ~ Gamma(s, beta) and the first arrival tau | lambda ~ Exp(lambda),
//    tau is marginally Lomax: P(tau > t) = (beta / (beta + t))^s, and lambda | tau ~
//    Gamma(s + 1, beta + tau). So tau is drawn by inversion, u = (beta / (beta + tau))^s, i.e.
//    tau = beta expm1(-log(u) / s); u < p_none means tau > h (no purchase, decided by the
//    caller); otherwise lambda is drawn from its conditional and the later arrivals follow at
//    rate lambda from tau (memoryless).
//  - Dropout. Integrating p ~ Beta(a, b') out (BG/NBD: b' = b + x; MBG/NBD: b' = b + x + 1),
//    the coin after the k-th future purchase, given the k - 1 before it came up "stay", drops the
//    customer with probability a / (a + b' + k - 1) (the posterior mean of p after k - 1 more
//    survivals; a Polya urn). One uniform per purchase replaces the Beta variate.
//  - Spend is the spend model's (SpendSimulator), drawn by the forecast after this returns.
// Returns the number of purchases.
struct FutureDraw {
  double shape;       // r + x
  double inv_shape;   // 1 / shape
  double rate;        // alpha + T
  double dropout_ab;  // a + b': the urn's total after the survived coins (BG/NBD a + b + x)
  double a;
};

inline double draw_future(SimulationRng& rng, const FutureDraw& f, double u,
                          double horizon) noexcept {
  // tau <= h up to rounding; the clamp keeps the remaining exposure non-negative.
  const double tau = std::min(f.rate * std::expm1(-std::log(u) * f.inv_shape), horizon);
  const double lambda = sample_gamma(rng, f.shape + 1.0, f.rate + tau);
  // Later arrivals in units of 1 / lambda: a unit-rate process over [0, lambda (h - tau)].
  const double exposure = lambda * (horizon - tau);
  double n = 1.0;
  double arrival = 0.0;
  for (;;) {
    if (sample_uniform(rng) * (f.dropout_ab + (n - 1.0)) < f.a) break;  // dropped out
    arrival += sample_exponential(rng);
    if (arrival > exposure) break;
    n += 1.0;
  }
  return n;
}

}  // namespace clvkit::detail

namespace clvkit::detail {

// E[N] and E[N^2] of the purchases N in a horizon h of a customer alive at its T, under the same
// posterior as draw_future: lambda ~ Gamma(s, beta) and the dropout coin p ~ Beta(a, b'), both
// integrated out. Given lambda the arrivals K in (T, T + h] would be Poisson(lambda h) without
// dropout, so marginally K is negative binomial: P(K = k) = Gamma(s + k) / (Gamma(s) k!)
// pi^s (1 - pi)^k with pi = beta / (beta + h). The customer drops out at the purchase G after
// which the coin falls: P(G >= n) = S(n - 1), S(m) = prod_{j<m} (b' + j) / (a + b' + j) (the
// urn of draw_future), independent of K. N = min(K, G), so for f(0) = 0
//   E[f(N)] = sum_k P(K = k) sum_{n=1..k} (f(n) - f(n-1)) S(n - 1),
// with f(n) - f(n-1) = 1 for the mean and 2n - 1 for the second moment. The sum runs over k
// until the remaining terms are below 1e-17 of the total, in pmf units rescaled against
// overflow (the pmf is kept relative to P(K = 0) and normalised by its own sum).
struct PurchaseMoments {
  double mean = 0.0;
  double second = 0.0;  // E[N^2]
};

inline PurchaseMoments dropout_future_moments(double s, double beta, double a, double b_prime,
                                              double horizon) noexcept {
  const double q = horizon / (beta + horizon);  // 1 - pi
  const double mode = s > 1.0 ? (s - 1.0) * q / (1.0 - q) : 0.0;
  double v = 1.0;  // P(K = k) / P(K = 0), rescaled
  double norm = 1.0;
  double sum1 = 0.0;
  double sum2 = 0.0;
  double w1 = 0.0;       // sum_{n<=k} S(n - 1)
  double w2 = 0.0;       // sum_{n<=k} (2n - 1) S(n - 1)
  double survive = 1.0;  // S(k - 1) before the update at k
  constexpr double kRescale = 1e-250;
  for (double k = 1.0; k < 1e7; k += 1.0) {
    v *= (s + k - 1.0) / k * q;
    w1 += survive;
    w2 += (2.0 * k - 1.0) * survive;
    survive *= (b_prime + k - 1.0) / (a + b_prime + k - 1.0);
    norm += v;
    sum1 += v * w1;
    sum2 += v * w2;
    if (norm > 1e250) {
      v *= kRescale;
      norm *= kRescale;
      sum1 *= kRescale;
      sum2 *= kRescale;
    }
    // Past the mode the pmf falls at least geometrically with ratio -> q; the remaining mass of
    // the second moment is below v w2' / (1 - q)^3 with w2' growing at most like k^2.
    if (k > mode && v * (w2 + 2.0 * k + 1.0) < 1e-17 * (1.0 - q) * (1.0 - q) * sum2) break;
  }
  return {sum1 / norm, sum2 / norm};
}

}  // namespace clvkit::detail
