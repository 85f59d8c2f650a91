#include "clvkit/models/mbgnbd.hpp"

// MBG/NBD pure functions (Batislam, Denizel & Filiztekin 2007). Notation as in bgnbd.cpp.
//
// Decisions:
// * The likelihood has BG/NBD's shape with one more survived coin: LL = L1 + log1p_exp(d), with
//   L1 = log[(b)_{x+1}/(a+b)_{x+1}] + log (r)_x + r log alpha - (r+x) log(alpha+T) the "alive at T"
//   term and d = log(a/(b+x)) + (r+x) log((alpha+T)/(alpha+t_x)) the log-ratio of the "dropped out
//   after the last purchase" term to it (B(a+1, b+x)/B(a, b+x+1) = a/(b+x)). Unlike BG/NBD the
//   second term exists for x = 0 too (dropout at time zero). P(alive) = exp(-log1p_exp(d)).
// * Given alive at T, lambda | . ~ Gamma(r+x, alpha+T) and p | . ~ Beta(a, b+x+1), and the
//   future is a BG/NBD future (the next coin comes after the next purchase). BG/NBD's
//   E[X(t) | alive] is E_p[(1 - (1 + p u)^-(r+x)) / p] with p ~ Beta(a, b+x); ours is the same
//   with b+x+1 = (b+1)+x, i.e. bgnbd_expected_purchases_given_alive at b + 1, exactly. We call it
//   rather than repeat its negative-binomial mixture and 2F1 deficit (bgnbd.cpp explains both).
// * The same holds for a customer just acquired: with probability a/(a+b) = E[p] they drop out at
//   time zero and make no repeat purchase; otherwise (p | survived ~ Beta(a, b+1)) they are a
//   BG/NBD customer with b + 1. So E[X(t)] = b/(a+b) E_BG[X(t); b+1] and
//   P(X(t) = n) = b/(a+b) P_BG(X(t) = n; b+1) + [n = 0] a/(a+b), which is BDF 2007's expression
//   term by term (B(a, b+n+1)/B(a, b) = b/(a+b) B(a, b+1+n)/B(a, b+1), and likewise for
//   B(a+1, b+n)); bgnbd_probability_of_purchases evaluates it in log space with Boost's I_z(n, r).

#include <cmath>
#include <limits>

#include "clvkit/models/bgnbd.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/util/checks.hpp"

namespace clvkit {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// L1 (the alive-at-T term), d (log-ratio of the dropout term to it) and
// ell = log((alpha+T)/(alpha+t_x)).
struct LikelihoodParts {
  double l1;
  double d;
  double ell;
};

// d = log(a/(b+x)) + (r+x) ell for ell = log((alpha+T)/(alpha+t_x)).
double dropout_log_ratio(const MbgNbdParams& p, double x, double ell) noexcept {
  return std::log(p.a / (p.b + x)) + (p.r + x) * ell;
}

double log_time_ratio(const MbgNbdParams& p, double t_x, double T) noexcept {
  return std::log1p((T - t_x) / (p.alpha + t_x));
}

LikelihoodParts likelihood_parts(const MbgNbdParams& p, double x, double t_x, double T) noexcept {
  LikelihoodParts parts{};
  // B(a, b+x+1)/B(a, b) = (b)_{x+1} / (a+b)_{x+1};  Gamma(r+x)/Gamma(r) = (r)_x.
  parts.l1 = log_rising_ratio(p.b, p.a + p.b, x + 1.0) + log_rising(p.r, x) +
             p.r * std::log(p.alpha) - (p.r + x) * std::log(p.alpha + T);
  parts.ell = log_time_ratio(p, t_x, T);
  parts.d = dropout_log_ratio(p, x, parts.ell);
  return parts;
}

// BG/NBD's parameters whose E[X(t) | alive] and new customer are MBG/NBD's (file comment).
BgNbdParams bgnbd_given_alive_params(const MbgNbdParams& p) noexcept {
  return BgNbdParams{p.r, p.alpha, p.a, p.b + 1.0};
}

}  // namespace

void check_mbgnbd_params(const MbgNbdParams& params) {
  require_positive_finite("mbgnbd", "r", params.r);
  require_positive_finite("mbgnbd", "alpha", params.alpha);
  require_positive_finite("mbgnbd", "a", params.a);
  require_positive_finite("mbgnbd", "b", params.b);
}

double mbgnbd_log_likelihood(const MbgNbdParams& params, double x, double t_x, double T) noexcept {
  const LikelihoodParts parts = likelihood_parts(params, x, t_x, T);
  return parts.l1 + log1p_exp(parts.d);
}

double mbgnbd_log_likelihood_gradient(const MbgNbdParams& params, double x, double t_x, double T,
                                      std::array<double, 4>& gradient) noexcept {
  const double r = params.r;
  const double alpha = params.alpha;
  const double a = params.a;
  const double b = params.b;
  const LikelihoodParts parts = likelihood_parts(params, x, t_x, T);
  const double alpha_T = alpha + T;
  const double alpha_tx = alpha + t_x;
  // Gradient of L1, then sigma(d) = 1 - P(alive) times the gradient of d.
  const double psi_ab = digamma_rise(a + b, x + 1.0);  // psi(a+b+x+1) - psi(a+b)
  const double sigma = std::exp(-log1p_exp(-parts.d));
  gradient = {digamma_rise(r, x) + std::log(alpha / alpha_T) + sigma * parts.ell,
              r / alpha - (r + x) / alpha_T + sigma * (r + x) * (t_x - T) / (alpha_T * alpha_tx),
              -psi_ab + sigma / a, digamma_rise(b, x + 1.0) - psi_ab - sigma / (b + x)};
  return parts.l1 + log1p_exp(parts.d);
}

double mbgnbd_p_alive(const MbgNbdParams& params, double x, double t_x, double T) noexcept {
  return std::exp(-log1p_exp(dropout_log_ratio(params, x, log_time_ratio(params, t_x, T))));
}

double mbgnbd_expected_purchases_given_alive(const MbgNbdParams& params, double x, double T,
                                             double t) noexcept {
  return bgnbd_expected_purchases_given_alive(bgnbd_given_alive_params(params), x, T, t);
}

double mbgnbd_conditional_expected_purchases(const MbgNbdParams& params, double x, double t_x,
                                             double T, double t) noexcept {
  if (!(t >= 0.0)) return kNaN;
  if (t == 0.0) return 0.0;
  const double p_alive = mbgnbd_p_alive(params, x, t_x, T);
  if (p_alive == 0.0) return 0.0;
  return p_alive * mbgnbd_expected_purchases_given_alive(params, x, T, t);
}

double mbgnbd_expected_purchases_new_customer(const MbgNbdParams& params, double t) noexcept {
  return mbgnbd_conditional_expected_purchases(params, 0.0, 0.0, 0.0, t);
}

double mbgnbd_probability_of_purchases(const MbgNbdParams& params, double t, int n) noexcept {
  if (!(t >= 0.0)) return kNaN;
  if (n < 0) return 0.0;
  if (t == 0.0) return n == 0 ? 1.0 : 0.0;  // exactly, whether or not dropped out at time zero
  // Dropped out at time zero with probability a/(a+b), else BG/NBD at b + 1 (file comment).
  const double survived = params.b / (params.a + params.b);
  const double bgnbd = bgnbd_probability_of_purchases(bgnbd_given_alive_params(params), t, n);
  if (n > 0) return survived * bgnbd;
  return params.a / (params.a + params.b) + survived * bgnbd;
}

}  // namespace clvkit
