#pragma once
// Pareto/NBD model of Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are
// they and what will they do next?", Management Science 33(1), in the form of Fader & Hardie
// (2005), "A note on deriving the Pareto/NBD model and related expressions" (FH 2005a) and
// "Deriving an expression for P(X(t) = x) under the Pareto/NBD model" (FH 2005b). Pure functions
// of plain values: no IO, no allocation. Time is in the model's time unit (weeks by default); x is
// the number of repeat purchases, t_x the time of the last purchase and T the length of
// observation, both from the customer's first purchase, 0 <= t_x <= T.
//
// Everything is built on one positive quantity, the tail integral
//   F(y; p, q) = integral_y^inf (alpha + tau)^-p (beta + tau)^-q dtau,   p + q > 1,
// which is FH 2005a's A0 in disguise: with p = r + x and q = s + 1,
//   s/(r+s+x) A0 = s [F(t_x) - F(T)]
// (the probability density of "alive until t_x, dead at some tau in (t_x, T]"). Its closed form
// (FH 2005a, section 3) is a 2F1 in one of two branches,
//   alpha >= beta: F = 2F1(p+q-1, q; p+q; (alpha-beta)/(alpha+y)) / ((p+q-1) (alpha+y)^(p+q-1)),
//   alpha <  beta: F = 2F1(p+q-1, p; p+q; (beta-alpha)/(beta+y)) / ((p+q-1) (beta+y)^(p+q-1)),
// both with z in [0, 1) and z = 0 at alpha = beta (so the branches meet continuously). It is kept
// as a logarithm; the difference F(t_x) - F(T) is a log_diff_exp, which can only lose digits when
// t_x is close to T, where the term it feeds is small next to the "still alive" term.

#include <array>

namespace clvkit {

/// Pareto/NBD parameters: purchase rate lambda ~ Gamma(r, alpha), dropout rate mu ~ Gamma(s, beta)
/// (shape, rate), independent.
struct ParetoNbdParams {
  double r = 0.0;
  double alpha = 0.0;
  double s = 0.0;
  double beta = 0.0;
};

/// Throws ModelError naming the parameter when one is not positive and finite.
void check_pnbd_params(const ParetoNbdParams& params);

/// log F(y; p, q) of the file comment for alpha, beta > 0, y >= 0, p + q > 1 (either 2F1 branch by
/// the sign of alpha - beta). NaN outside the domain.
double pnbd_log_tail_integral(double p, double q, double alpha, double beta, double y) noexcept;

/// log F(y; r + x, s + 1) and its partial derivatives with respect to (r, alpha, s, beta).
/// Where the 2F1's Maclaurin series converges fast (z <= 3/4 and (b + 1) z <= 40 for its second
/// parameter b: almost every tail integral of a customer base) the value and all four derivatives
/// come from one pass over the series and its term-wise derivatives, analytically. Elsewhere the
/// alpha and beta derivatives are analytic (dF/dalpha = -p F(y; p+1, q), dF/dbeta =
/// -q F(y; p, q+1)), and the r and s derivatives, which would need derivatives of log_hyp2f1 with
/// respect to its parameters, are central differences of log F in p and q with steps
/// 1e-4 max(1, p) and 1e-4 q (smaller only where p or r + s + x is below 2e-4): log F is smooth in
/// p and q, the truncation error is ~1e-9 relative and the 2F1 rounding (~1e-13) divided by the
/// step adds ~1e-9, which the fit and the gradient tests tolerate (the fit reaches lifetimes'
/// optimum, pnbd_test.cpp). These differences are the one non-analytic part of the gradient.
struct PnbdLogTail {
  double value = 0.0;
  std::array<double, 4> gradient{};
};
PnbdLogTail pnbd_log_tail_gradient(const ParetoNbdParams& params, double x, double y) noexcept;

/// Individual log-likelihood (FH 2005a, section 3, with its A_0
/// written as the tail integrals):
///   L = Gamma(r+x) alpha^r beta^s / Gamma(r) [ (alpha+T)^-(r+x) (beta+T)^-s + s (F(t_x) - F(T)) ]
/// in log space. Parameters are not checked (hot path): call check_pnbd_params at the boundary.
double pnbd_log_likelihood(const ParetoNbdParams& params, double x, double t_x, double T) noexcept;

/// Log-likelihood and its gradient with respect to (r, alpha, s, beta): analytic except for the
/// r and s derivatives of log F, which are central differences (see pnbd_log_tail_gradient).
double pnbd_log_likelihood_gradient(const ParetoNbdParams& params, double x, double t_x, double T,
                                    std::array<double, 4>& gradient) noexcept;

/// P(alive | x, t_x, T) = 1 / (1 + s (F(t_x) - F(T)) (alpha+T)^(r+x) (beta+T)^s) (FH 2005a,
/// section 5, written with the tail integral), as exp(-log1p_exp(d)).
double pnbd_p_alive(const ParetoNbdParams& params, double x, double t_x, double T) noexcept;

/// The same from the two tail integrals, log F(t_x) and log F(T) (pnbd_log_tail_integral(r + x,
/// s + 1, alpha, beta, y)), for callers that evaluate many histories sharing x and a time: the
/// forecast tabulates the tails per (x, time) and parameter draw. pnbd_p_alive is this with the
/// tails it computes, so both give the same bits.
double pnbd_p_alive_from_tails(const ParetoNbdParams& params, double x, double t_x, double T,
                               double log_tail_t_x, double log_tail_T) noexcept;

/// The last step of both: P(alive) from log_s = log(s), log_alive = -(r + x) log(alpha + T) -
/// s log(beta + T) and the two tails, for t_x < T (the forecast caches the logs per time).
double pnbd_p_alive_from_parts(double log_s, double log_alive, double log_tail_t_x,
                               double log_tail_T) noexcept;

/// E[X(t) | x, T, alive at T] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
/// (the factor of FH 2005a, section 6, that multiplies P(alive)), computed as
/// (r+x)/(alpha+T) (beta+T) L exprel(-(s-1) L) with L = log1p(t/(beta+T)): valid for every s > 0,
/// with the s = 1 limit (r+x)(beta+T)/(alpha+T) L and no cancellation near it. Does not depend on
/// t_x. 0 at t = 0; NaN for t < 0.
double pnbd_expected_purchases_given_alive(const ParetoNbdParams& params, double x, double T,
                                           double t) noexcept;

/// E[X(t) | x, t_x, T] (FH 2005a, section 6) = P(alive) * pnbd_expected_purchases_given_alive.
double pnbd_conditional_expected_purchases(const ParetoNbdParams& params, double x, double t_x,
                                           double T, double t) noexcept;

/// E[X(t)] for a customer just acquired (FH 2005a, section 4): r beta / (alpha (s-1))
/// [1 - (beta/(beta+t))^(s-1)], the conditional expectation at x = t_x = T = 0 (same s = 1 limit).
double pnbd_expected_purchases_new_customer(const ParetoNbdParams& params, double t) noexcept;

/// log of e^z E_s(z) = integral_0^inf e^(-z u) (1+u)^(-s) du for s > 0, z > 0, where E_s is the
/// generalised exponential integral (DLMF 8.19.1, 8.19.4). It is the Tricomi function of DERT in
/// another guise: z^(s-1) U(s, s; z) = e^z E_s(z) = e^z z^(s-1) Gamma(1-s, z) (DLMF 13.6.6 and
/// 8.19.1; U(s, s; z) = e^z Gamma(1-s, z)). Three methods, by region:
///   z >= 1: the continued fraction of E_s (DLMF 8.19.17; Numerical Recipes 3rd ed., 6.3.5) by
///     modified Lentz, without the e^-z (fewer than 100 terms for every s; no overflow for large
///     z);
///   z < 1, s < 1: e^z z^(s-1) Gamma(1-s, z) with Boost's upper incomplete gamma (1-s > 0; Boost
///     1.74 rejects a non-positive first argument);
///   z < 1, s >= 1: adaptive Gauss-Kronrod quadrature (61 points, relative tolerance 1e-14) of
///     the integral in w = log1p(u), integral_0^W exp((1-s) w - z expm1(w)) dw, whose integrand
///     is smooth and at most 1, with W = log1p(60/z) (the rest is below e^-60 of the integral).
/// NaN outside the domain (s or z not positive and finite).
double log_exp_integral_scaled(double s, double z) noexcept;

/// Discounted expected residual transactions of one customer under continuous discounting (Fader,
/// Hardie & Lee 2005, "RFM and CLV: Using iso-value curves for customer base analysis", JMR
/// 42(4), eq. 2 and appendix):
///   DERT = integral_0^inf e^(-delta t) dE[X(t) | x, t_x, T]
///        = alpha^r beta^s delta^(s-1) Gamma(r+x+1) U(s, s; delta (beta+T))
///          / (Gamma(r) (alpha+T)^(r+x+1) L(r, alpha, s, beta | x, t_x, T)),
/// U the Tricomi confluent hypergeometric function of the second kind and L the likelihood
/// (pnbd_log_likelihood). Given alive at T, lambda ~ Gamma(r+x, alpha+T) and mu ~ Gamma(s,
/// beta+T), so the discounted purchase rate is P(alive) (r+x)/(alpha+T) ((beta+T)/(beta+T+t))^s
/// e^(-delta t), whose integral is P(alive) (r+x)/(alpha+T) (beta+T) e^z E_s(z) with
/// z = delta (beta+T): the formula above, computed in log space from log P(alive) and
/// log_exp_integral_scaled.
///
/// Units: x transactions; t_x, T in model time units; delta a continuous discount rate per model
/// time unit (an annual 10% is delta = ln(1.1)/52 per week). The result is in transactions
/// (discounted to T); multiply by the margin per transaction for CLV without a horizon.
/// Domain: parameters positive and finite, 0 <= x, 0 <= t_x <= T < inf, 0 <= delta < inf. At
/// delta = 0 the undiscounted limit E[X(inf) | x, t_x, T]: P(alive) (r+x)(beta+T)/((alpha+T)(s-1))
/// for s > 1 and +inf for s <= 1 (a mean lifetime of 1/mu is infinite in expectation there).
/// NaN outside the domain; never throws.
double pnbd_log_dert(const ParetoNbdParams& params, double x, double t_x, double T,
                     double delta) noexcept;

/// exp(pnbd_log_dert): DERT in transactions.
double pnbd_dert(const ParetoNbdParams& params, double x, double t_x, double T,
                 double delta) noexcept;

/// P(X(t) = n) for a customer just acquired (FH 2005b, sections 3-4): the customer outlives t,
///   NB(n; r, alpha/(alpha+t)) (beta/(beta+t))^s,
/// or dies at tau < t after n purchases,
///   s beta^s alpha^r Gamma(r+n)/(Gamma(r) n!) integral_0^t tau^n (alpha+tau)^-(r+n)
///   (beta+tau)^-(s+1) dtau.
/// FH 2005b gives the integral in closed form (2F1 terms and a finite sum); here it is computed
/// instead by adaptive Gauss-Kronrod quadrature (Boost, 61 points, relative tolerance 1e-13) in
/// u = tau/(alpha+tau), where it is integral_0^{t/(alpha+t)} u^n (1-u)^(r+s-1)
/// (beta + (alpha-beta) u)^-(s+1) du alpha^(1-r), with the integrand shifted by its maximum
/// (log space). 0 for n < 0; NaN for t < 0.
double pnbd_probability_of_purchases(const ParetoNbdParams& params, double t, int n) noexcept;

}  // namespace clvkit
