#pragma once
// BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
// alternative to the Pareto/NBD model", Marketing Science 24(2). Pure functions of plain values:
// no IO, no allocation. Time is in the model's time unit (weeks by default); x is the number of
// repeat purchases, t_x the time of the last purchase and T the length of observation, both
// measured from the customer's first purchase, 0 <= t_x <= T.

#include <array>

namespace clvkit {

/// BG/NBD parameters: purchase rate lambda ~ Gamma(r, alpha), dropout p ~ Beta(a, b).
struct BgNbdParams {
  double r = 0.0;
  double alpha = 0.0;
  double a = 0.0;
  double b = 0.0;
};

/// Throws ModelError naming the parameter when one is not positive and finite.
void check_bgnbd_params(const BgNbdParams& params);

/// Individual log-likelihood (FHL 2005 eq. 6), computed in log space. x is a count (0, 1, 2, ...
/// stored as a double); any 0 <= t_x <= T is accepted, t_x = 0 with x > 0 included. Parameters
/// are not checked here (hot path): call check_bgnbd_params at the boundary.
double bgnbd_log_likelihood(const BgNbdParams& params, double x, double t_x, double T) noexcept;

/// Log-likelihood and its analytic gradient with respect to (r, alpha, a, b).
double bgnbd_log_likelihood_gradient(const BgNbdParams& params, double x, double t_x, double T,
                                     std::array<double, 4>& gradient) noexcept;

/// P(alive | x, t_x, T) (FHL 2005 appendix / "Computing P(alive)" note); 1 when x = 0.
double bgnbd_p_alive(const BgNbdParams& params, double x, double t_x, double T) noexcept;

/// E[X(t) | x, t_x, T]: expected purchases in the next t time units (FHL 2005 eq. 10), computed
/// as P(alive) * bgnbd_expected_purchases_given_alive (no cancellation as a -> 1, finite for long
/// horizons). 0 at t = 0; NaN for t < 0.
double bgnbd_conditional_expected_purchases(const BgNbdParams& params, double x, double t_x,
                                            double T, double t) noexcept;

/// E[X(t) | x, T, alive at T] = E[X(t) | x, t_x, T] / P(alive), which does not depend on t_x:
/// E_p[(1 - (1 + p t/(alpha+T))^-(r+x)) / p] with p ~ Beta(a, b+x). Use it instead of dividing by
/// P(alive), which underflows to 0 for customers who are almost surely gone.
double bgnbd_expected_purchases_given_alive(const BgNbdParams& params, double x, double T,
                                            double t) noexcept;

/// E[X(t)] for a customer just acquired (FHL 2005 eq. 7): the conditional expectation at
/// x = t_x = T = 0. 0 at t = 0; NaN for t < 0.
double bgnbd_expected_purchases_new_customer(const BgNbdParams& params, double t) noexcept;

/// P(X(t) = n) for a randomly chosen customer (FHL 2005 eq. 8), a log-sum-exp of its two terms;
/// the 1 - sum_{j<n} NB(j) of the second is the regularized incomplete beta I_z(n, r) (Boost),
/// without the cancellation of the written form. 0 for n < 0; NaN for t < 0.
double bgnbd_probability_of_purchases(const BgNbdParams& params, double t, int n) noexcept;

}  // namespace clvkit
