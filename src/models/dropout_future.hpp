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
