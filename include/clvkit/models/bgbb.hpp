#pragma once
// BG/BB model of Fader, Hardie & Shang (2010), "Customer-Base Analysis in a Discrete-Time
// Noncontractual Setting", Marketing Science 29(6), 1086-1108 (FHS 2010). Time is discrete: after
// the first transaction (opportunity 0) a customer has transaction opportunities 1, 2, ...; an
// active customer becomes inactive (for ever) at the beginning of each opportunity with
// probability theta, and transacts at it with probability p if still active. Across customers
// p ~ Beta(alpha, beta) and theta ~ Beta(gamma, delta), independent. Pure functions of plain
// values: no IO, no allocation.
//
// A history is (x, t_x, n): n opportunities observed after the first transaction, x of them with
// a transaction, the last of those at opportunity t_x (0 when x = 0). Whole numbers with
// x <= t_x <= n, and t_x = 0 exactly when x = 0 (is_bgbb_history). The functions below take the
// history as it is; the PurchaseModel (bgbb_model.hpp) first reads it from (x, t_x, T) in model
// time units with bgbb_history.
//
// Every beta ratio is written with rising factorials (u)_k = Gamma(u+k)/Gamma(u),
//   B(alpha+x, beta+y)/B(alpha, beta) = (alpha)_x (beta)_y / (alpha+beta)_{x+y},
//   B(gamma, delta+k)/B(gamma, delta) = (delta)_k / (gamma+delta)_k,
//   B(gamma+1, delta+k)/B(gamma, delta) = gamma/(gamma+delta+k) (delta)_k / (gamma+delta)_k,
// and computed as log_rising (exact products for small whole k, accurate gamma differences
// otherwise), so nothing cancels for large parameters or long histories.

#include <array>

namespace clvkit {

/// BG/BB parameters: transaction probability p ~ Beta(alpha, beta) per opportunity while active,
/// dropout probability theta ~ Beta(gamma, delta) at the beginning of each opportunity.
struct BgBbParams {
  double alpha = 0.0;
  double beta = 0.0;
  double gamma = 0.0;
  double delta = 0.0;
};

/// Throws ModelError naming the parameter when one is not positive and finite
/// ("bgbb: gamma is -1, but must be positive and finite").
void check_bgbb_params(const BgBbParams& params);

/// A history in whole opportunities (see the file comment).
struct BgBbHistory {
  double x = 0.0;
  double t_x = 0.0;
  double n = 0.0;
};

/// Whether (x, t_x, n) is a history the model can produce: whole numbers with
/// 0 <= x <= t_x <= n < 2^52 and t_x = 0 exactly when x = 0.
bool is_bgbb_history(double x, double t_x, double n) noexcept;

/// How the model reads a history (x, t_x, T) given in model time units, one opportunity per unit
/// (the log path gives near-whole values such as 2.9993 from days / period length): each value
/// is rounded to the nearest whole number (halves away from zero), then n = max(T, 0),
/// x = min(max(x, 0), n), t_x = 0 when x = 0 and otherwise t_x = min(max(t_x, x), n). The last
/// two steps only change histories that are not BG/BB histories after rounding (more
/// transactions than opportunities, a last transaction before the x-th opportunity): they keep x
/// and n, on which the future given alive depends, and move t_x to the nearest consistent value.
/// NaN stays NaN.
BgBbHistory bgbb_history(double x, double t_x, double T) noexcept;

/// Individual log-likelihood (FHS 2010, eq. 5):
///   L = B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n)/B(gamma, delta)
///     + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
///                           B(gamma+1, delta+t_x+i)/B(gamma, delta),
/// the first term alive through opportunity n, the i-th inactive from opportunity t_x+i+1. The
/// terms of the sum decrease in i (each is the previous times (beta+t_x-x+i)/(alpha+beta+t_x+i)
/// (delta+t_x+i)/(gamma+delta+t_x+i+1) < 1), so the sum is its first term, computed in log space,
/// times a sum of ratios in [0, 1] formed by that recurrence (the max-shifted log-sum-exp with
/// the maximum known); it stops once the terms left cannot reach 1e-17 of the sum. Then
/// log L = log_sum_exp of the two parts. Cost O(n - t_x). -inf when (x, t_x, n) is not a BG/BB
/// history (is_bgbb_history); parameters are not checked (hot path): call check_bgbb_params at
/// the boundary.
double bgbb_log_likelihood(const BgBbParams& params, double x, double t_x, double n) noexcept;

/// Log-likelihood (the same value as bgbb_log_likelihood, bit for bit) and its analytic gradient
/// with respect to (alpha, beta, gamma, delta): digamma differences of the rising factorials
/// (digamma_rise) for the two leading terms, and for the i-th term of the sum the running sums of
/// 1/(beta+t_x-x+k), 1/(alpha+beta+t_x+k), 1/(delta+t_x+k), 1/(gamma+delta+t_x+k+1), k < i, that
/// its recurrence contributes; the two parts are weighted by their shares of L. The gradient is 0
/// when the history is not a BG/BB history.
double bgbb_log_likelihood_gradient(const BgBbParams& params, double x, double t_x, double n,
                                    std::array<double, 4>& gradient) noexcept;

/// P(alive at opportunity n+1 | x, t_x, n) (FHS 2010, eq. 11 with m = 1):
///   B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n+1)/B(gamma, delta) / L
///   = (delta+n)/(gamma+delta+n) / (1 + S/A),
/// A and S the two parts of the likelihood, computed as exp(-log1p(gamma/(delta+n)) -
/// log1p_exp(log S - log A)). Below 1 for every history: at most (delta+n)/(gamma+delta+n),
/// reached when t_x = n. NaN when the history is not a BG/BB history.
double bgbb_p_alive(const BgBbParams& params, double x, double t_x, double n) noexcept;

/// E[X(n, n+n_star) | x, n, alive at opportunity n+1]: the expected transactions in
/// opportunities n+1 .. n+n_star of a customer alive at n+1. Given alive at n+1,
/// p ~ Beta(alpha+x, beta+n-x) and theta ~ Beta(gamma, delta+n+1), independent (the likelihood
/// of "alive at n+1" is p^x (1-p)^(n-x) (1-theta)^(n+1)), and the customer transacts at n+k with
/// probability p (1-theta)^(k-1), so
///   E = (alpha+x)/(alpha+beta+n) sum_{j=0}^{n_star-1} (delta')_j / (gamma+delta')_j,
///   delta' = delta+n+1,
/// whose sum is (gamma+delta+n)/(gamma-1) [1 - (delta')_{n_star} / (gamma+delta+n)_{n_star}]
/// (FHS 2010, eq. 13, divided by P(alive)). Computed as (gamma+delta+n) Q exprel(-(gamma-1) Q),
/// Q = sum_j log1p(h/(delta'+j))/h with h = gamma-1 (summed term by term for n_star <= 256, a
/// difference of lgamma_difference_quotient otherwise): no cancellation near gamma = 1 (the limit
/// is delta' (psi(delta'+n_star) - psi(delta'))) and a finite limit (gamma+delta+n)/(gamma-1)
/// as n_star -> inf when gamma > 1 (+inf otherwise). Does not depend on t_x. n_star >= 0 is a
/// number of opportunities (a fractional part is dropped); 0 at n_star = 0, NaN for n_star < 0.
double bgbb_expected_transactions_given_alive(const BgBbParams& params, double x, double n,
                                              double n_star) noexcept;

/// E[X(n, n+n_star) | x, t_x, n] (FHS 2010, eq. 13) = bgbb_p_alive *
/// bgbb_expected_transactions_given_alive: expected transactions in opportunities
/// n+1 .. n+n_star. 0 at n_star = 0; NaN for n_star < 0 or a history that is not a BG/BB history.
double bgbb_conditional_expected_transactions(const BgBbParams& params, double x, double t_x,
                                              double n, double n_star) noexcept;

/// E[X(n)] for a customer just acquired: expected transactions in opportunities 1 .. n (FHS 2010,
/// eq. 8), alpha/(alpha+beta) delta/(gamma-1) [1 - (delta+1)_n / (gamma+delta)_n], computed as the
/// conditional expectation at x = t_x = n = 0 (P(alive at 1) = delta/(gamma+delta)). A fractional
/// part of n is dropped; 0 at n = 0, NaN for n < 0.
double bgbb_expected_transactions_new_customer(const BgBbParams& params, double n) noexcept;

/// P(X(n) = x) for a customer just acquired (FHS 2010, eq. 7):
///   C(n, x) B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n)/B(gamma, delta)
///   + sum_{i=x}^{n-1} C(i, x) B(alpha+x, beta+i-x)/B(alpha, beta) B(gamma+1, delta+i)/B(gamma,
///   delta),
/// the terms of the sum by their ratios (i+1)/(i+1-x) (beta+i-x)/(alpha+beta+i)
/// (delta+i)/(gamma+delta+i+1), accumulated in log space with a running log-sum-exp. Cost O(n).
/// A fractional part of n is dropped; 0 for x < 0 or x > n; NaN for n < 0.
double bgbb_probability_of_transactions(const BgBbParams& params, double n, int x) noexcept;

/// log DERT: the discounted expected residual transactions of a customer with history
/// (x, t_x, n) (FHS 2010, eq. 14),
///   DERT = sum_{k >= 1} P(transaction at opportunity n+k | x, t_x, n) / (1+d)^k
///        = B(alpha+x+1, beta+n-x)/B(alpha, beta) B(gamma, delta+n+1)/B(gamma, delta)
///          2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / ((1+d) L),
/// so the first future opportunity n+1 is discounted by one period, 1/(1+d), as in FHS 2010 (the
/// transactions are valued at the end of their period). Written as
///   log P(alive at n+1) + log((alpha+x)/(alpha+beta+n)) - log1p(d) + log 2F1(...)
/// with the 2F1 of log_hyp2f1 (hyp2f1.hpp, 1 - z = d/(1+d) passed exactly), except where
/// b = delta+n+1 is large and b d/(1+d) > 1: there log_hyp2f1's connection formula loses digits
/// (see bgbb.cpp) and its all-positive Maclaurin series is summed instead (log_hyp2f1_by, fewer
/// than 37 b terms). Cost: the likelihood's O(n - t_x) plus at most O(delta + n). Units:
/// transactions, discounted to opportunity n; multiply by the margin per transaction for the
/// residual value. d is the discount rate per opportunity (an annual 10% with yearly opportunities
/// is 0.1). Domain: parameters positive and finite, a BG/BB history, d >= 0 finite. At d = 0 the
/// undiscounted limit E[X(n, inf) | x, t_x, n] = P(alive) (alpha+x)/(alpha+beta+n)
/// (gamma+delta+n)/(gamma-1) for gamma > 1 and +inf for gamma <= 1 (the expected lifetime is
/// infinite there). NaN outside the domain; never throws.
double bgbb_log_dert(const BgBbParams& params, double x, double t_x, double n, double d) noexcept;

/// exp(bgbb_log_dert): DERT in transactions.
double bgbb_dert(const BgBbParams& params, double x, double t_x, double n, double d) noexcept;

}  // namespace clvkit
