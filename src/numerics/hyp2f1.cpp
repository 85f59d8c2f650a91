#include "clvkit/numerics/hyp2f1.hpp"

// Gauss 2F1 for real parameters and z < 1. Design notes (why these methods):
//
// * The Maclaurin series sum (a)_n (b)_n / ((c)_n n!) z^n converges for |z| < 1, but its terms
//   peak near n ~ z a b / ((1 - z) c) and then decay like z^n n^(a+b-c-1): for the BG/NBD triple
//   (r+x, b+x, a+b+x-1) with x = 1000 the direct series needs thousands of terms at z = 1/2, while
//   Euler's form (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) has numerator parameters (a+b-1-r, a-1) that
//   do not grow with x, so it converges in a handful. We estimate both costs and sum the cheaper.
// * No series in z is usable near z = 1 (0.9999 needs ~10^5 terms); Pfaff's z -> z/(z-1) maps
//   [1/2, 1) onto (-inf, -1] where the series diverges, so it does not help there. We use the
//   linear transformation z -> 1 - z (A&S 15.3.6). Its textbook form has Gamma(c-a-b) and
//   Gamma(a+b-c) coefficients that blow up when c - a - b is an integer m, and the two halves
//   cancel to ~ |log eps| / |c-a-b-m| digits nearby; the usual remedy (A&S 15.3.11-12 at exactly
//   m plus a cutoff) is discontinuous and inaccurate just off the integers. For BG/NBD,
//   c - a - b = a_model - 1 - r - x hits integers exactly (r = a_model) and nearly (fitted
//   values), so we regroup instead: with c - a - b = m + eta, |eta| <= 1/2, the terms of order
//   s^(m+k) of both halves are paired and their difference divided by eta is computed without
//   cancellation (d_k below, in the spirit of Forrey 1997 and Michel & Stoitsov 2008). The
//   result is one formula, exact for every eta including 0, hence no cutoff in c - a - b at all.
//   If c - a - b < -1/2 we apply Euler's transformation first, so m >= 0.
// * z < 0 is mapped into [0, 1) by Pfaff's transformation.
//
// The deficit [1 - (1-z)^b F] / b of hyp2f1_deficit uses the same two expansions with the factor b
// divided out analytically, so b -> 0 (a_model -> 1 in BG/NBD) costs no digits.

#include <algorithm>
#include <cmath>
#include <limits>

#include "clvkit/numerics/log_space.hpp"

namespace clvkit {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kTol = 0.25 * kEps;  // truncation target, relative to the running sum
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;
constexpr int kDefaultMaxTerms = 20000;

bool is_nonpositive_integer(double v) noexcept { return v <= 0.0 && v == std::floor(v); }

LogHyp2f1Result invalid_result() noexcept {
  LogHyp2f1Result r;
  r.log_abs = kNaN;
  r.error = kInf;
  r.method = Hyp2f1Method::invalid;
  return r;
}

LogHyp2f1Result make_log_result(double value, double rel_error, Hyp2f1Method method,
                                int terms) noexcept {
  LogHyp2f1Result r;
  r.sign = value < 0.0 ? -1 : 1;
  r.log_abs = std::log(std::fabs(value));
  r.error = rel_error;
  r.method = method;
  r.terms = terms;
  return r;
}

// pi x / sin(pi x), 1 at x = 0 (|x| <= 1/2 here).
double pi_x_over_sin(double x) noexcept {
  if (x == 0.0) return 1.0;
  return kPi * x / std::sin(kPi * x);
}

// log |(x)_n| and its sign for integer n >= 0.
double log_pochhammer(double x, int n, int* sign) noexcept {
  *sign = 1;
  if (n <= 0) return 0.0;
  if (x > 0.0) return lgamma_difference(x, n);
  // Walk the factors until they turn positive, then use the accurate gamma difference.
  double log_abs = 0.0;
  int k = 0;
  for (; k < n && x + k <= 0.0; ++k) {
    const double f = x + k;
    if (f == 0.0) {
      *sign = 1;
      return -kInf;
    }
    if (f < 0.0) *sign = -*sign;
    log_abs += std::log(std::fabs(f));
  }
  if (k < n) log_abs += lgamma_difference(x + k, n - k);
  return log_abs;
}

// The Maclaurin sum t_0 + t_1 + ... with t_0 = 1, t_{n+1} = t_n x (al+n)(be+n) / ((ga+n)(n+1)).
struct SeriesSum {
  double sum = 1.0;
  double abs_sum = 1.0;
  double truncation = 0.0;  // estimated |remainder|
  int terms = 1;
  bool converged = false;
};

SeriesSum hyp_series(double al, double be, double ga, double x, int max_terms) noexcept {
  SeriesSum s;
  double t = 1.0;
  // Past this index every factor (al+n), (be+n), (ga+n) has its final sign, so the ratios tend
  // monotonically-enough to x and max(|next ratio|, |x|) bounds the remaining ratios.
  const double settle = std::max({0.0, -al, -be, -ga});
  double ratio = x * al * be / ga;
  for (int n = 0; n < max_terms; ++n) {
    t *= ratio;
    s.sum += t;
    s.abs_sum += std::fabs(t);
    s.terms = n + 2;
    if (t == 0.0) {  // a terminating (polynomial) series
      s.converged = true;
      return s;
    }
    if (!std::isfinite(s.abs_sum))
      return s;  // overflow: the value needs the log form of another method
    const double n1 = n + 1.0;
    ratio = x * (al + n1) * (be + n1) / ((ga + n1) * (n1 + 1.0));
    if (n1 > settle) {
      const double rho = std::max(std::fabs(ratio), std::fabs(x));
      if (rho < 1.0) {
        const double rest = std::fabs(t) * rho / (1.0 - rho);
        if (rest <= kTol * std::fabs(s.sum)) {
          s.truncation = rest;
          s.converged = true;
          return s;
        }
      }
    }
  }
  return s;
}

double series_rel_error(const SeriesSum& s) noexcept {
  if (s.sum == 0.0) return kInf;
  return kEps * (s.abs_sum / std::fabs(s.sum)) * (2.0 + std::sqrt(static_cast<double>(s.terms))) +
         s.truncation / std::fabs(s.sum);
}

// Rough number of terms the series (al, be; ga; x), 0 <= x < 1, needs for double precision: up
// to the peak (where the term ratio crosses 1), plus the peak's width, plus the geometric decay
// after it (slowed by the n^(al+be-ga-1) factor).
double estimate_terms(double al, double be, double ga, double x) noexcept {
  if (x == 0.0) return 1.0;
  if (is_nonpositive_integer(al)) return 1.0 - al;
  if (is_nonpositive_integer(be)) return 1.0 - be;
  const double qa = 1.0 - x;
  const double qb = ga + 1.0 - x * (al + be);
  const double qc = ga - x * al * be;
  const double disc = qb * qb - 4.0 * qa * qc;
  double peak = 0.0;
  if (disc > 0.0) peak = std::max(0.0, (-qb + std::sqrt(disc)) / (2.0 * qa));
  const double decay = -std::log(x);
  const double growth = std::max(0.0, al + be - ga - 1.0);
  const double after = (40.0 + growth * std::log(peak + 40.0 / decay + 2.0)) / decay;
  return peak + 3.0 * std::sqrt(peak / qa) + after + 2.0;
}

// ---------------------------------------------------------------------------------------------
// The z -> 1 - z connection formula in regrouped form.
//
// With s = 1 - z and c - a - b = m + eta (m >= 0 an integer, |eta| <= 1/2), A&S 15.3.6 reads
//   F = R1 * sum_{n<m} t_n                                                    (finite part)
//     + (-1)^m (pi eta / sin(pi eta)) G(c) / (G(c-a) G(c-b)) s^m sum_k s^k d_k (paired tail)
// where R1 = G(c) G(m+eta) / (G(c-a) G(c-b)), t_n = (a)_n (b)_n s^n / ((1-m-eta)_n n!), and
//   d_k = [f_k - g_k] / (eta G(a) G(b)),
//   f_k = G(a+m+k) G(b+m+k) / (G(1+k-eta) G(1+m+k)),
//   g_k = s^eta G(a+m+k+eta) G(b+m+k+eta) / (G(1+m+k+eta) G(1+k)).
// (G = Gamma.) f_k and g_k are the coefficients of s^(m+k) in the two halves of 15.3.6 with their
// common singular factor pi / sin(pi eta) removed; at eta = 0 they coincide, and (f_0 - g_0)/eta
// is evaluated as -f_0 (Delta/eta) exprel(Delta), Delta = log(g_0/f_0) = eta * [log s + Lg(a+m)
// + Lg(b+m) - Lg(1+m) - Lg(1, -eta)] with Lg the gamma difference quotient, which has an exact
// eta -> 0 limit. Later d_k follow from d_{k+1} = alpha_k d_k + g_k (alpha_k - beta_k)/eta, where
// alpha_k = f_{k+1}/f_k, beta_k = g_{k+1}/g_k, and (alpha_k - beta_k)/eta is expanded by hand:
//   (alpha_k - beta_k)/eta = [(c-2) p (p+eta) + (a-1)(b-1)(2p-m)]
//                            / [(1+k-eta)(1+m+k)(1+m+k+eta)(1+k)],   p = 1+m+k.
// Everything except R1's own coefficient carries one factor b ((b)_n = b (1+b)_{n-1} and
// 1/G(b) = b/G(1+b)); we keep that factor out ("hat" quantities) so the deficit
// [1 - s^b F]/b can be formed without cancellation as b -> 0.
//
// Outputs, for m >= 1:  F = R1 * (1 + b * fin_hat) + b * R1 * tail_rel,
//          for m == 0:  F = R1 * eta * (d0 + b * tail_hat)   (R1 * eta = G(c)G(1+eta)/(...)),
// so that callers never touch a 1/eta singularity except the deficit with m = 0.
struct ConnectionParts {
  bool ok = false;
  int m = 0;
  double eta = 0.0;
  double log_r1 = 0.0;  // log |R1|, or log |R1 eta| when m == 0
  int sign_r1 = 1;
  double fin_hat = 0.0;    // sum_{1<=n<m} t_n / b
  double tail_rel = 0.0;   // (paired tail)/(b R1) for m >= 1
  double d0 = 0.0;         // m == 0: d_0 / f_0, the accurate eta-divided difference
  double g0_hat = 0.0;     // m == 0: g_0 / (b f_0), needed only by the deficit
  double tail_hat = 0.0;   // m == 0: sum_{k>=1} s^k d_k / (b f_0)
  double fin_abs = 0.0;    // m >= 1: sum of |t_n / b|
  double tail_abs = 0.0;   // m >= 1: |ratio| sum |s^k D_k|; m == 0: sum_{k>=1} |s^k D_k / b|
  double abs_sum = 0.0;    // sum of |pieces| relative to |R1|, for the error estimate
  double log_error = 0.0;  // absolute error of the gamma-function logs
  int terms = 0;
};

// lG(y) - lG(x) (lG = log Gamma) for x, y > 0, with y supplied exactly.
double lgamma_delta(double x, double y) noexcept {
  const double h = y - x;
  return h == 0.0 ? 0.0 : h * lgamma_difference_quotient(x, h, y);
}

// log(G(c) G(d) / (G(ca) G(cb))) with ca = c - a, cb = c - b, d = c - a - b, and its sign;
// accurately (as gamma differences, no large cancelling logs) when every argument is positive.
double log_r1_coefficient(double c, double ca, double cb, double d, int* sign) noexcept {
  if (c > 0.0 && ca > 0.0 && cb > 0.0 && d > 0.0) {
    *sign = 1;
    return lgamma_delta(cb, c) - lgamma_delta(d, ca);
  }
  int s1, s2, s3, s4;
  const double v = log_gamma(c, &s1) + log_gamma(d, &s2) - log_gamma(ca, &s3) - log_gamma(cb, &s4);
  *sign = s1 * s2 * s3 * s4;
  return v;
}

// Long on purpose: one derivation whose two cases (m >= 1, m = 0) share a dozen intermediates and
// the recurrence; split, every piece would take them all as arguments.
ConnectionParts connection_parts(double a, double b, double c, double s, int max_terms) noexcept {
  ConnectionParts p;
  const double delta = c - a - b;
  if (!(delta >= -0.5) || !(s > 0.0) || !(s < 1.0)) return p;
  const int m = static_cast<int>(std::floor(delta + 0.5));
  const double eta = delta - m;
  p.m = m;
  p.eta = eta;
  const double log_s = std::log(s);
  // One double each for a+m, b+m, c-b = a+m+eta and c-a = b+m+eta, used everywhere below: the
  // formula then evaluates 2F1(a, b; a+b+m+eta; z) exactly-consistently (c moves by an ulp, to
  // which F is insensitive), whereas mixing fl(c-b) with fl(a+m)+eta would put an inconsistent
  // rounding into Gamma(c-b)/Gamma(a+m+eta), which is steep when c - b is tiny.
  const double am = a + m;
  const double bm = b + m;
  const double cb = am + eta;
  const double ca = bm + eta;

  // Delta = log(g_0 / f_0) and its sign.
  double delta_log = 0.0;  // Delta
  double delta_q = 0.0;    // Delta / eta when available without division
  int delta_sign = 1;
  bool have_q = false;
  {
    if (am > 0.0 && cb > 0.0 && bm > 0.0 && ca > 0.0) {
      delta_q = log_s + lgamma_difference_quotient(am, eta, cb) +
                lgamma_difference_quotient(bm, eta, ca) - lgamma_difference_quotient(1.0 + m, eta) -
                lgamma_difference_quotient(1.0, -eta);
      delta_log = eta * delta_q;
      have_q = true;
    } else {
      int s1, s2, s3, s4;
      delta_log = eta * log_s + (log_gamma(cb, &s1) - log_gamma(am, &s2)) +
                  (log_gamma(ca, &s3) - log_gamma(bm, &s4)) -
                  (log_gamma(1.0 + m + eta) - log_gamma(1.0 + m)) + log_gamma(1.0 - eta);
      delta_sign = s1 * s2 * s3 * s4;
    }
  }
  // D_0 = d_0 / f_0 = (1 - g_0/f_0) / eta (for m = 0 without have_q it is redone below).
  double d0;
  if (delta_sign > 0) {
    if (have_q) {
      d0 = -delta_q * exprel(delta_log);
    } else {
      d0 = eta == 0.0 ? 0.0 : -std::expm1(delta_log) / eta;
    }
  } else {
    d0 = (1.0 + std::exp(delta_log)) / eta;
  }
  const double g0 = delta_sign * std::exp(delta_log);  // g_0 / f_0

  int sign_r1 = 1;
  double log_r1 = log_r1_coefficient(c, ca, cb, delta, &sign_r1);
  double log_err = kEps * (std::fabs(log_r1) + 1.0);

  // Recurrence pieces shared by both cases.
  const auto alpha = [&](int k) { return (am + k) * (bm + k) / ((1.0 + k - eta) * (1.0 + m + k)); };
  const auto beta = [&](int k) { return (cb + k) * (ca + k) / ((1.0 + m + k + eta) * (1.0 + k)); };
  const auto qdiff = [&](int k) {
    const double pp = 1.0 + m + k;
    return ((c - 2.0) * pp * (pp + eta) + (a - 1.0) * (b - 1.0) * (2.0 * pp - m)) /
           ((1.0 + k - eta) * (1.0 + m + k) * (1.0 + m + k + eta) * (1.0 + k));
  };

  // Sums sum_{k>=k0} E_k with E_k = s^k D_k, E_{k+1} = s alpha_k E_k + s H_k Q_k,
  // H_{k+1} = s beta_k H_k (H_k = s^k g_k / f_0); returns false when the cap is hit.
  const auto tail_sum = [&](int k0, double e, double h, double* sum, double* abs_sum, int* terms) {
    *sum = 0.0;
    *abs_sum = 0.0;
    int quiet = 0;
    for (int k = k0; k < k0 + max_terms; ++k) {
      *sum += e;
      ++*terms;
      const double ak = alpha(k);
      const double bk = beta(k);
      const double qk = qdiff(k);
      // The recurrence adds two terms that can nearly cancel; count both for the error estimate.
      *abs_sum += std::fabs(e) + s * (std::fabs(ak * e) + std::fabs(h * qk));
      const double e_next = s * (ak * e + h * qk);
      h *= s * bk;
      e = e_next;
      const bool small = std::fabs(e) + std::fabs(h * qdiff(k + 1)) <= kTol * std::fabs(*sum);
      const bool shrinking = s * std::fabs(ak) < 1.0 && s * std::fabs(bk) < 1.0;
      quiet = (small && shrinking && k + 1 > -std::min(a, b) - m) ? quiet + 1 : 0;
      if (quiet >= 2 || (e == 0.0 && h == 0.0)) return true;
    }
    return false;
  };

  if (m >= 1) {
    // Finite part / (b R1): sum_{1<=n<m} t_n / b.
    double t = a * s / (1.0 - m - eta);  // t_1 / b
    double fin = 0.0;
    double fin_abs = 0.0;
    for (int n = 1; n < m; ++n) {
      fin += t;
      fin_abs += std::fabs(t);
      ++p.terms;
      t *= (a + n) * (b + n) * s / ((1.0 - m - eta + n) * (n + 1.0));
      if (t == 0.0) break;
    }
    // Tail relative to b R1: (-1)^m (pi eta/sin) s^m (a)_m (1+b)_{m-1} / (G(1-eta) m! G(m+eta)).
    // Split as [(a)_m / m!] [(1+b)_{m-1} / G(m+eta)], each without large cancelling logs.
    int sa = 1, sb = 1;
    double log_am;  // log |(a)_m / m!|
    if (a > 0.0) {
      log_am = -std::log(a + m) - lbeta(a, m + 1.0);
    } else {
      log_am = log_pochhammer(a, m, &sa) - log_gamma(m + 1.0);
    }
    double log_bm;  // log |(1+b)_{m-1} / G(m+eta)| = log |G(b+m) / (G(1+b) G(m+eta))|
    if (1.0 + b > 0.0) {
      log_bm = lgamma_difference(m + eta, b - eta) - log_gamma(1.0 + b);
    } else {
      log_bm = log_pochhammer(1.0 + b, m - 1, &sb) - log_gamma(m + eta);
    }
    const double log_ratio =
        std::log(pi_x_over_sin(eta)) + m * log_s + log_am + log_bm - log_gamma(1.0 - eta);
    const double ratio = ((m % 2 == 0) ? 1.0 : -1.0) * sa * sb * std::exp(log_ratio);
    if (std::isfinite(log_ratio)) log_err += kEps * (std::fabs(log_ratio) + 1.0);
    double sum = 0.0, abs_sum = 0.0;
    int terms = 0;
    bool ok = true;
    if (ratio != 0.0 && std::isfinite(ratio)) {
      ok = tail_sum(0, d0, g0, &sum, &abs_sum, &terms);
    } else if (!std::isfinite(ratio)) {
      ok = false;
    }
    p.terms += terms;
    p.fin_hat = fin;
    p.tail_rel = ratio == 0.0 ? 0.0 : ratio * sum;
    p.fin_abs = fin_abs;
    p.tail_abs = std::fabs(ratio) * abs_sum;
    p.abs_sum = 1.0 + std::fabs(b) * (fin_abs + p.tail_abs);
    p.log_r1 = log_r1;
    p.sign_r1 = sign_r1;
    p.log_error = log_err;
    p.ok = ok && std::isfinite(log_r1);
    return p;
  }

  // m == 0: R1 eta = G(c) G(1+eta) / (G(c-a) G(c-b)); store it as the scale (finite at eta = 0).
  {
    int s1, s2, s3;
    if (c > 0.0 && ca > 0.0 && cb > 0.0) {
      // G(c)/(G(c-a)G(c-b)) = 1 / (B(c-a, c-b) G(c+eta)/G(c)) since (c-a)+(c-b) = c + eta.
      log_r1 = -lbeta(ca, cb) - lgamma_delta(c, ca + cb) + log_gamma(1.0 + eta);
      sign_r1 = 1;
    } else {
      log_r1 = log_gamma(c, &s1) - log_gamma(ca, &s2) - log_gamma(cb, &s3) + log_gamma(1.0 + eta);
      sign_r1 = s1 * s2 * s3;
    }
    log_err = kEps * (std::fabs(log_r1) + 1.0);
  }
  // g_0 / (b f_0) = s^eta G(a+eta) G(b+eta) G(1-eta) / (G(a) G(1+b) G(1+eta)), direct (no 1/b).
  double g0_hat;
  {
    int s1 = 1, s2 = 1, s3 = 1;
    double la;
    if (a > 0.0 && cb > 0.0) {
      la = eta * lgamma_difference_quotient(a, eta, cb);
    } else {
      la = log_gamma(cb, &s1) - log_gamma(a, &s2);
    }
    const double lg = eta * log_s + la + log_gamma(ca, &s3) - log_gamma(1.0 + b) -
                      log_gamma(1.0 + eta) + log_gamma(1.0 - eta);
    g0_hat = s1 * s2 * s3 * std::exp(lg);
  }
  // Without the all-positive quotient form (some argument <= 0, e.g. b = 0 exactly, where
  // Gamma(b) has its pole), use g_0/f_0 = b * g0_hat, exact and free of the pole.
  if (!have_q) d0 = (1.0 - b * g0_hat) / eta;
  // D_1 / b = [a / (1 - eta)] D_0 + (g_0 / (b f_0)) Q_0, then the usual recurrence from k = 1.
  const double e1 = s * (a / (1.0 - eta) * d0 + g0_hat * qdiff(0));
  const double h1 = s * beta(0) * g0_hat;
  double sum = 0.0, abs_sum = 0.0;
  int terms = 0;
  const bool ok = tail_sum(1, e1, h1, &sum, &abs_sum, &terms);
  p.terms = terms + 1;
  p.d0 = d0;
  p.g0_hat = g0_hat;
  p.tail_hat = sum;
  p.tail_abs = abs_sum;
  p.abs_sum = std::fabs(d0) + std::fabs(b) * abs_sum;
  p.log_r1 = log_r1;
  p.sign_r1 = sign_r1;
  p.log_error = log_err;
  p.ok = ok && std::isfinite(log_r1) && std::isfinite(d0);
  return p;
}

// F by the connection formula; c - a - b must be >= -1/2 (the caller applies Euler otherwise).
LogHyp2f1Result connection_value(double a, double b, double c, double s, int max_terms) noexcept {
  const ConnectionParts p = connection_parts(a, b, c, s, max_terms);
  if (!p.ok) return invalid_result();
  double bracket;
  if (p.m >= 1) {
    bracket = 1.0 + b * p.fin_hat + b * p.tail_rel;
  } else {
    bracket = p.d0 + b * p.tail_hat;
  }
  if (bracket == 0.0 || !std::isfinite(bracket)) return invalid_result();
  LogHyp2f1Result r;
  r.log_abs = p.log_r1 + std::log(std::fabs(bracket));
  r.sign = p.sign_r1 * (bracket < 0.0 ? -1 : 1);
  // Rounding in the recurrences compounds along the terms (each D_k inherits the errors of all
  // earlier ones), hence the factor linear in the number of terms.
  r.error = kEps * (p.abs_sum / std::fabs(bracket)) * (4.0 + p.terms) + p.log_error;
  r.method = Hyp2f1Method::connection;
  r.terms = p.terms;
  return r;
}

LogHyp2f1Result series_value(double a, double b, double c, double z, int max_terms,
                             Hyp2f1Method method) noexcept {
  const SeriesSum s = hyp_series(a, b, c, z, max_terms);
  if (!s.converged || s.sum == 0.0) return invalid_result();
  return make_log_result(s.sum, series_rel_error(s), method, s.terms);
}

// log of (1-z)^e given log(1-z); 0 when e == 0 (even if log(1-z) were -inf).
double log_power(double e, double log_s) noexcept { return e == 0.0 ? 0.0 : e * log_s; }

LogHyp2f1Result euler_value(double a, double b, double c, double z, double s, int max_terms,
                            Hyp2f1Method method) noexcept {
  LogHyp2f1Result r = series_value(c - a, c - b, c, z, max_terms, method);
  if (r.method == Hyp2f1Method::invalid) return r;
  const double lp = log_power(c - a - b, std::log(s));
  r.log_abs += lp;
  r.error += kEps * std::fabs(lp);
  return r;
}

// The connection formula for any c - a - b: Euler's transformation first when it is < -1/2.
LogHyp2f1Result connection_any(double a, double b, double c, double s, int max_terms) noexcept {
  if (c - a - b >= -0.5) return connection_value(a, b, c, s, max_terms);
  LogHyp2f1Result r = connection_value(c - a, c - b, c, s, max_terms);
  if (r.method == Hyp2f1Method::invalid) return r;
  const double lp = (c - a - b) * std::log(s);
  r.log_abs += lp;
  r.error += kEps * std::fabs(lp);
  return r;
}

double estimate_connection(double a, double b, double c, double s) noexcept {
  double a2 = a, b2 = b;
  if (c - a - b < -0.5) {
    a2 = c - a;
    b2 = c - b;
  }
  const double m = std::floor(c - a2 - b2 + 0.5);
  return 30.0 + m + estimate_terms(a2 + m, b2 + m, 1.0 + m, s);
}

// Valid parameters: c not a non-positive integer, unless the series terminates before (c)_n = 0.
bool parameters_valid(double a, double b, double c) noexcept {
  if (!is_nonpositive_integer(c)) return true;
  return (is_nonpositive_integer(a) && a > c) || (is_nonpositive_integer(b) && b > c);
}

LogHyp2f1Result dispatch(double a, double b, double c, double z, double s) noexcept {
  if (std::isnan(a) || std::isnan(b) || std::isnan(c) || std::isnan(z) || std::isnan(s) ||
      !(z < 1.0) || !std::isfinite(a) || !std::isfinite(b) || !std::isfinite(c) ||
      !parameters_valid(a, b, c)) {
    return invalid_result();
  }
  if (z == 0.0 || a == 0.0 || b == 0.0)
    return make_log_result(1.0, 0.0, Hyp2f1Method::closed_form, 0);
  if (z < 0.0) {
    // Pfaff: F(a,b;c;z) = (1-z)^-a F(a, c-b; c; w), w = z/(z-1) in (0, 1), 1 - w = 1/(1-z).
    const double one_minus = 1.0 - z;
    const double w = -z / one_minus;
    LogHyp2f1Result r = dispatch(a, c - b, c, w, 1.0 / one_minus);
    if (r.method == Hyp2f1Method::invalid) return r;
    const double lp = -a * std::log1p(-z);
    r.log_abs += lp;
    r.error += kEps * std::fabs(lp);
    return r;
  }
  const double log_s = std::log(s);
  if (c == a) {
    return LogHyp2f1Result{-b * log_s, 1, kEps * std::fabs(b * log_s), Hyp2f1Method::closed_form,
                           0};
  }
  if (c == b) {
    return LogHyp2f1Result{-a * log_s, 1, kEps * std::fabs(a * log_s), Hyp2f1Method::closed_form,
                           0};
  }
  // Terminating series. A high-degree polynomial near z = 1 alternates and cancels (degree 990
  // at z = 0.99 loses everything); the connection formula has no such problem there (its
  // 1/Gamma(a) half vanishes), so it is tried whenever the finite sum is not clean.
  const bool poly = is_nonpositive_integer(a) || is_nonpositive_integer(b);
  const bool euler_poly = !poly && (is_nonpositive_integer(c - a) || is_nonpositive_integer(c - b));
  if (poly || euler_poly) {
    LogHyp2f1Result r =
        poly ? series_value(a, b, c, z, kDefaultMaxTerms, Hyp2f1Method::polynomial)
             : euler_value(a, b, c, z, s, kDefaultMaxTerms, Hyp2f1Method::polynomial);
    if (r.method != Hyp2f1Method::invalid && r.error < 1e-13) return r;
    const LogHyp2f1Result conn = connection_any(a, b, c, s, kDefaultMaxTerms);
    if (conn.method != Hyp2f1Method::invalid && conn.error < r.error) return conn;
    return r;
  }
  // Cost-based choice among the three general methods; fall back in cost order if one fails
  // (cap reached) or if its error estimate is poor while another one is comparably cheap.
  struct Candidate {
    Hyp2f1Method method;
    double cost;
  };
  Candidate cand[3] = {{Hyp2f1Method::series, estimate_terms(a, b, c, z)},
                       {Hyp2f1Method::euler_series, estimate_terms(c - a, c - b, c, z)},
                       {Hyp2f1Method::connection, estimate_connection(a, b, c, s)}};
  std::sort(std::begin(cand), std::end(cand),
            [](const Candidate& x, const Candidate& y) { return x.cost < y.cost; });
  LogHyp2f1Result best = invalid_result();
  for (const Candidate& cd : cand) {
    if (best.method != Hyp2f1Method::invalid && cd.cost > 8.0 * cand[0].cost + 200.0) break;
    const int cap = static_cast<int>(std::min<double>(kDefaultMaxTerms, 4.0 * cd.cost + 200.0));
    LogHyp2f1Result r = log_hyp2f1_by(cd.method, a, b, c, z, s, cap);
    if (r.method != Hyp2f1Method::invalid && r.error < best.error) best = r;
    if (best.error < 1e-13) break;
  }
  return best;
}

}  // namespace

LogHyp2f1Result log_hyp2f1_by(Hyp2f1Method method, double a, double b, double c, double z,
                              double one_minus_z, int max_terms) noexcept {
  if (!(z >= 0.0) || !(z < 1.0) || !parameters_valid(a, b, c)) return invalid_result();
  const double s = one_minus_z;
  switch (method) {
    case Hyp2f1Method::series:
      return series_value(a, b, c, z, max_terms, Hyp2f1Method::series);
    case Hyp2f1Method::euler_series:
      return euler_value(a, b, c, z, s, max_terms, Hyp2f1Method::euler_series);
    case Hyp2f1Method::connection:
      if (z == 0.0) return invalid_result();
      return connection_any(a, b, c, s, max_terms);
    default:
      return invalid_result();
  }
}

LogHyp2f1Result log_hyp2f1(double a, double b, double c, double z, double one_minus_z) noexcept {
  return dispatch(a, b, c, z, one_minus_z);
}

LogHyp2f1Result log_hyp2f1(double a, double b, double c, double z) noexcept {
  return dispatch(a, b, c, z, 1.0 - z);
}

Hyp2f1Result hyp2f1(double a, double b, double c, double z) noexcept {
  const LogHyp2f1Result r = log_hyp2f1(a, b, c, z);
  Hyp2f1Result out;
  out.value = r.method == Hyp2f1Method::invalid ? kNaN : r.sign * std::exp(r.log_abs);
  out.error = r.error;
  out.method = r.method;
  out.terms = r.terms;
  return out;
}

// hyp2f1_deficit's three ways to D = (1 - (1-z)^b F(a, b; c; z)) / b: each returns false when
// it does not apply or does not converge within `cap` terms.
namespace {

// (a) The z-series: D = lead - s^b J, J = (F - 1)/b = sum_{n>=1} (a)_n (1+b)_{n-1} z^n/((c)_n n!)
//     = (a z / c) sum_k (a+1)_k (1+b)_k (1)_k / ((c+1)_k (2)_k k!) z^k.
bool deficit_by_series(double a, double b, double c, double z, double lead, double sb, int cap,
                       Hyp2f1Result* res) noexcept {
  double t = 1.0, sum = 1.0, abs_sum = 1.0;
  const double settle = std::max({0.0, -(a + 1.0), -(b + 1.0), -(c + 1.0)});
  double ratio = z * (a + 1.0) * (b + 1.0) / ((c + 1.0) * 2.0);
  int terms = 1;
  bool converged = false;
  double truncation = 0.0;
  for (int k = 0; k < cap; ++k) {
    t *= ratio;
    sum += t;
    abs_sum += std::fabs(t);
    ++terms;
    if (t == 0.0) {
      converged = true;
      break;
    }
    if (!std::isfinite(abs_sum)) return false;
    const double k1 = k + 1.0;
    ratio = z * (a + 1.0 + k1) * (b + 1.0 + k1) / ((c + 1.0 + k1) * (k1 + 2.0));
    if (k1 > settle) {
      const double rho = std::max(std::fabs(ratio), z);
      if (rho < 1.0 && std::fabs(t) * rho / (1.0 - rho) <= kTol * std::fabs(sum)) {
        truncation = std::fabs(t) * rho / (1.0 - rho);
        converged = true;
        break;
      }
    }
  }
  if (!converged) return false;
  const double j = a * z / c * sum;
  const double value = lead - sb * j;
  const double j_err =
      std::fabs(a * z / c) *
      (kEps * abs_sum * (2.0 + std::sqrt(static_cast<double>(terms))) + truncation);
  res->value = value;
  res->error = value == 0.0 ? kInf
                            : (kEps * 4.0 * (std::fabs(lead) + std::fabs(sb * j)) + sb * j_err) /
                                  std::fabs(value);
  res->method = Hyp2f1Method::series;
  res->terms = terms;
  return true;
}

// (b) Connection with b divided out: F = R1 + b Rest, D = (1 - s^b R1)/b - s^b Rest, where
//     log(s^b R1) = b [log s + Lg(c-b, b) - Lg(c-a-b, b)] is O(b), so D has no 1/b anywhere.
//     Needs c, c-a, c-b, c-a-b > 0 (true in BG/NBD when |b| = |a_model - 1| < 1/4).
bool deficit_by_connection(double a, double b, double c, double s, double log_s, int cap,
                           Hyp2f1Result* res) noexcept {
  const double delta = c - a - b;
  if (!(c > 0.0 && c - a > 0.0 && c - b > 0.0 && delta > 0.0)) return false;
  const ConnectionParts p = connection_parts(a, b, c, s, cap);
  if (!p.ok) return false;
  const double xi =
      log_s + lgamma_difference_quotient(c - b, b, c) - lgamma_difference_quotient(delta, b, c - a);
  const double first = -xi * exprel(b * xi);  // (1 - s^b R1)/b
  const double sbr1 = std::exp(b * xi);       // s^b R1 (R1 > 0 here)
  double rest_rel;                            // Rest / R1
  double abs_rel;
  if (p.m >= 1) {
    rest_rel = p.fin_hat + p.tail_rel;
    abs_rel = p.fin_abs + p.tail_abs;
  } else {
    // Rest = R1 [-g0_hat + eta * tail_hat] (R1 = scale / eta); the only 1/eta-type
    // cancellation left, between `first` and this, is for c - a - b -> 0 (A -> b in BG/NBD).
    rest_rel = -p.g0_hat + p.eta * p.tail_hat;
    abs_rel = std::fabs(p.g0_hat) + std::fabs(p.eta) * p.tail_abs;
  }
  const double value = first - sbr1 * rest_rel;
  res->value = value;
  res->error =
      value == 0.0
          ? kInf
          : (kEps * (std::fabs(first) * (4.0 + std::fabs(xi)) + sbr1 * abs_rel * (4.0 + p.terms)) +
             (std::fabs(first) + sbr1 * std::fabs(rest_rel)) * p.log_error) /
                std::fabs(value);
  res->method = Hyp2f1Method::connection;
  res->terms = p.terms;
  return true;
}

// (c) Plain: D = (1 - s^b F)/b with F from log_hyp2f1; fine once |b| is not small.
bool deficit_by_plain(double a, double b, double c, double z, double s, double log_s,
                      Hyp2f1Result* res) noexcept {
  if (b == 0.0) return false;
  const LogHyp2f1Result f = log_hyp2f1(a, b, c, z, s);
  if (f.method == Hyp2f1Method::invalid) return false;
  const double lg = b * log_s + f.log_abs;  // log |s^b F|
  double value;
  if (f.sign > 0) {
    value = -std::expm1(lg) / b;
  } else {
    value = (1.0 + std::exp(lg)) / b;
  }
  const double g = std::exp(lg);
  res->value = value;
  res->error = value == 0.0
                   ? kInf
                   : (g * (f.error + kEps * (2.0 + std::fabs(lg)))) / std::fabs(b * value) + kEps;
  res->method = f.method;
  res->terms = f.terms;
  return true;
}

}  // namespace

Hyp2f1Result hyp2f1_deficit(double a, double b, double c, double z, double one_minus_z) noexcept {
  Hyp2f1Result out;
  out.value = kNaN;
  out.error = kInf;
  const double s = one_minus_z;
  if (!(z >= 0.0) || !(z < 1.0) || !(s > 0.0) || !parameters_valid(a, b, c) || std::isnan(b)) {
    return out;
  }
  if (z == 0.0) {
    out.value = 0.0;
    out.error = 0.0;
    out.method = Hyp2f1Method::closed_form;
    return out;
  }
  const double log_s = std::log(s);
  if (a == 0.0) {  // F = 1: D = (1 - s^b)/b exactly
    out.value = -log_s * exprel(b * log_s);
    out.error = 4.0 * kEps;
    out.method = Hyp2f1Method::closed_form;
    return out;
  }
  // (1 - s^b)/b = -log(s) exprel(b log s) > 0; the leading part of every form below.
  const double lead = -log_s * exprel(b * log_s);
  const double sb = std::exp(b * log_s);

  const double series_cost = estimate_terms(a + 1.0, b + 1.0, c + 1.0, z);
  const bool small_b = std::fabs(b) < 0.25;
  const double conn_cost = estimate_connection(a, b, c, s);
  Hyp2f1Result best = out;
  Hyp2f1Result r;
  const auto consider = [&](bool ok) {
    if (ok && std::isfinite(r.value) && r.error < best.error) best = r;
  };
  if (series_cost <= conn_cost || z <= 0.5) {
    consider(deficit_by_series(
        a, b, c, z, lead, sb,
        static_cast<int>(std::min<double>(kDefaultMaxTerms, 4.0 * series_cost + 200.0)), &r));
    if (best.error < 1e-13) return best;
  }
  if (small_b) {
    consider(deficit_by_connection(
        a, b, c, s, log_s,
        static_cast<int>(std::min<double>(kDefaultMaxTerms, 4.0 * conn_cost + 200.0)), &r));
    if (best.error < 1e-13) return best;
  }
  consider(deficit_by_plain(a, b, c, z, s, log_s, &r));
  if (best.error < 1e-12) return best;
  if (!(series_cost <= conn_cost || z <= 0.5)) {
    consider(deficit_by_series(a, b, c, z, lead, sb, kDefaultMaxTerms, &r));
  }
  return best;
}

}  // namespace clvkit
