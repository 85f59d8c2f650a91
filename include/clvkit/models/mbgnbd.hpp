#pragma once
// MBG/NBD model of Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of
// models for customer base analysis", International Journal of Research in Marketing 24(3), with
// the conditional expectation of Wagner & Hoppe (2008), "Erratum on the MBG/NBD model", IJRM
// 25(3). BG/NBD (bgnbd.hpp) in which a customer can also drop out at time zero, right after the
// first purchase: the dropout coin (probability p) is tossed after every purchase, the first one
// included, so customers without a repeat purchase get P(alive) < 1. Pure functions of plain
// values: no IO, no allocation. Time is in the model's time unit (weeks by default); x is the
// number of repeat purchases, t_x the time of the last purchase and T the length of observation,
// both measured from the customer's first purchase, 0 <= t_x <= T.

#include <array>

namespace clvkit {

/// MBG/NBD parameters (the symbols of BG/NBD): purchase rate lambda ~ Gamma(r, alpha), dropout
/// probability p ~ Beta(a, b) per purchase, the first purchase included.
struct MbgNbdParams {
  double r = 0.0;
  double alpha = 0.0;
  double a = 0.0;
  double b = 0.0;
};

/// Throws ModelError naming the parameter when one is not positive and finite
/// ("mbgnbd: alpha is -1, but must be positive and finite").
void check_mbgnbd_params(const MbgNbdParams& params);

/// Individual log-likelihood (BDF 2007, appendix A; x + 1 survived coins if alive at T):
///   L = B(a, b+x+1)/B(a, b) Gamma(r+x)/Gamma(r) alpha^r / (alpha+T)^(r+x)
///     + B(a+1, b+x)/B(a, b) Gamma(r+x)/Gamma(r) alpha^r / (alpha+t_x)^(r+x),
/// the second term (dropout right after the last purchase, at time zero when x = 0) present for
/// every x. Computed as L1 + log1p_exp(d), d = log(a/(b+x)) + (r+x) log((alpha+T)/(alpha+t_x)).
/// Any 0 <= t_x <= T is accepted. Parameters are not checked here (hot path): call
/// check_mbgnbd_params at the boundary.
double mbgnbd_log_likelihood(const MbgNbdParams& params, double x, double t_x, double T) noexcept;

/// Log-likelihood and its analytic gradient with respect to (r, alpha, a, b): the gradient of L1
/// (digamma differences of (r)_x, (b)_{x+1}, (a+b)_{x+1}; r/alpha - (r+x)/(alpha+T)) plus
/// (1 - P(alive)) times the gradient of d (log((alpha+T)/(alpha+t_x)), (r+x) (1/(alpha+T) -
/// 1/(alpha+t_x)), 1/a, -1/(b+x)).
double mbgnbd_log_likelihood_gradient(const MbgNbdParams& params, double x, double t_x, double T,
                                      std::array<double, 4>& gradient) noexcept;

/// P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) (BDF 2007, appendix
/// A, eq. 5), as exp(-log1p_exp(d)); below 1 also for x = 0 (b/(a+b) at T = 0).
double mbgnbd_p_alive(const MbgNbdParams& params, double x, double t_x, double T) noexcept;

/// E[X(t) | x, T, alive at T]: given alive at T, lambda ~ Gamma(r+x, alpha+T) and p ~
/// Beta(a, b+x+1) (one more survived coin than BG/NBD, the one at time zero), and the future is
/// BG/NBD's: (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x;
/// t/(alpha+T+t))] (Wagner & Hoppe 2008). That is bgnbd_expected_purchases_given_alive at
/// b + 1, which is how it is computed (its all-positive mixture and 2F1 deficit, no cancellation
/// as a -> 1). Independent of t_x. 0 at t = 0; NaN for t < 0.
double mbgnbd_expected_purchases_given_alive(const MbgNbdParams& params, double x, double T,
                                             double t) noexcept;

/// E[X(t) | x, t_x, T] = P(alive) * mbgnbd_expected_purchases_given_alive (Wagner & Hoppe 2008).
/// 0 at t = 0; NaN for t < 0.
double mbgnbd_conditional_expected_purchases(const MbgNbdParams& params, double x, double t_x,
                                             double T, double t) noexcept;

/// E[X(t)] for a customer just acquired (BDF 2007, appendix A):
/// b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))], the conditional expectation
/// at x = t_x = T = 0 (P(alive) = b/(a+b) there). 0 at t = 0; NaN for t < 0.
double mbgnbd_expected_purchases_new_customer(const MbgNbdParams& params, double t) noexcept;

/// P(X(t) = n) for a randomly chosen customer (BDF 2007, appendix A):
///   B(a, b+n+1)/B(a, b) NB(n; r, z) + B(a+1, b+n)/B(a, b) [1 - sum_{j<n} NB(j; r, z)],
/// z = t/(alpha+t); the second term (dropout after the n-th purchase, at time zero when n = 0) is
/// a/(a+b) at n = 0. Term by term this is a/(a+b) [n = 0] + b/(a+b) P_BG/NBD(X(t) = n) at b + 1
/// (dropped out at time zero, or survived the first coin and then BG/NBD with p ~ Beta(a, b+1)),
/// which is how it is computed (bgnbd_probability_of_purchases: log space, Boost's I_z(n, r) for
/// the tail). 1 or 0 at t = 0; 0 for n < 0; NaN for t < 0.
double mbgnbd_probability_of_purchases(const MbgNbdParams& params, double t, int n) noexcept;

}  // namespace clvkit
