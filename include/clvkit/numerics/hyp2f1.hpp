#pragma once
// Gauss hypergeometric function 2F1(a, b; c; z) for real parameters and real z < 1, built for the
// BG/NBD conditional expectation (FHL 2005 eq. 10), where a = r + x, b = b + x, c = a + b + x - 1
// (model symbols) and z = t / (alpha + T + t) runs over [0, 1): parameters up to a few thousand,
// z up to 1 - 1e-7 and beyond, and c - a - b = a_model - 1 - r - x anywhere, integers included.
//
// Methods (each chosen by an estimate of its cost, see hyp2f1.cpp for the argument):
//   * closed forms: z = 0, a or b = 0, c = a or c = b, terminating polynomials;
//   * z < 0: Pfaff, 2F1(a,b;c;z) = (1-z)^-a 2F1(a, c-b; c; z/(z-1)), mapping into [0, 1);
//   * the Maclaurin series in z, directly or after Euler's transformation
//     2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) (whichever converges faster), with a cap on
//     the number of terms and a rounding + truncation error estimate;
//   * near z = 1, the linear transformation z -> 1 - z (A&S 15.3.6) in a regrouped form that is
//     continuous in c - a - b through the integers (A&S 15.3.10-12 are its limits), so there is no
//     "near-integer" cutoff to fall off.
// Everything is noexcept and allocation-free. Invalid input (NaN, z >= 1, c a non-positive integer)
// gives NaN with an infinite error estimate, and so does the rare input no method can sum (both
// numerator parameters in the thousands with z near 1 after every transformation: the series
// needs more than 20000 terms and the connection sum overflows); BG/NBD never needs those, since
// its expectation has its own all-positive series for them (see bgnbd.cpp).
//
// Accuracy: against mpmath at 50 digits over 506 BG/NBD-type points (tests/data), the worst
// relative error is ~2e-12; the `error` estimates bound the actual error in every case tested.

namespace clvkit {

enum class Hyp2f1Method {
  invalid,       ///< input outside the domain; the value is NaN
  closed_form,   ///< z = 0, a or b = 0, c = a, c = b
  polynomial,    ///< a, b, c - a or c - b is a non-positive integer: a finite sum
  series,        ///< Maclaurin series in z
  euler_series,  ///< (1-z)^(c-a-b) times the Maclaurin series of 2F1(c-a, c-b; c; z)
  connection,    ///< the z -> 1 - z transformation (after Euler's if c - a - b < -1/2)
};

/// 2F1 in log form: value = sign * exp(log_abs). `error` estimates the relative error of the value
/// (equivalently the absolute error of log_abs): rounding in the summed terms, amplified by any
/// cancellation between them, plus the truncation estimate. `terms` counts the terms summed.
struct LogHyp2f1Result {
  double log_abs = 0.0;
  int sign = 1;
  double error = 0.0;
  Hyp2f1Method method = Hyp2f1Method::invalid;
  int terms = 0;
};

/// 2F1 as a plain value (inf when the log form exceeds the double range).
struct Hyp2f1Result {
  double value = 0.0;
  double error = 0.0;  ///< estimated relative error of `value`
  Hyp2f1Method method = Hyp2f1Method::invalid;
  int terms = 0;
};

/// log |2F1(a, b; c; z)| and its sign, for real a, b, c (c not 0, -1, -2, ...) and z < 1.
LogHyp2f1Result log_hyp2f1(double a, double b, double c, double z) noexcept;

/// Same, with 1 - z supplied by the caller (who can often compute it without the rounding of
/// 1 - z, e.g. (alpha + T) / (alpha + T + t)); it must be consistent with z to rounding.
LogHyp2f1Result log_hyp2f1(double a, double b, double c, double z, double one_minus_z) noexcept;

/// 2F1(a, b; c; z) as a value; see log_hyp2f1.
Hyp2f1Result hyp2f1(double a, double b, double c, double z) noexcept;

/// Forces one method (for tests of every branch and of continuity at each cutoff). Returns NaN
/// with Hyp2f1Method::invalid when that method does not apply to the input (e.g. a series that
/// would need more than `max_terms` terms, or closed_form for a generic input).
LogHyp2f1Result log_hyp2f1_by(Hyp2f1Method method, double a, double b, double c, double z,
                              double one_minus_z, int max_terms = 20000) noexcept;

/// The deficit D = [1 - (1-z)^b 2F1(a, b; c; z)] / b, continuous in b through b = 0 (where it is
/// -log(1-z) - sum_{n>=1} (a)_n z^n / (n (c)_n)). This is the quantity the BG/NBD conditional
/// expectation needs: with (a, b, c) = (c_m - r - x, a_m - 1, a_m + b_m + x - 1) it is
/// E[X(t) | alive] / c, and the textbook form [1 - (...) 2F1] / (a_m - 1) loses every digit as
/// a_m -> 1. Methods: the z-series of (F - 1)/b with b divided out analytically; near z = 1 the
/// connection formula with b divided out analytically (|b| < 1/4) or the plain log_hyp2f1
/// (|b| >= 1/4, where 1 - (1-z)^b F is no longer a cancellation of O(b)).
/// Domain: z in [0, 1), c not a non-positive integer; near z = 1 (where the series is too slow)
/// also c, c - a, c - b, c - a - b > 0 when |b| < 1/4 (always so in BG/NBD, where c - a = r + x).
/// `value` is D; `error` its estimated relative error (NaN and inf outside the domain).
Hyp2f1Result hyp2f1_deficit(double a, double b, double c, double z, double one_minus_z) noexcept;

}  // namespace clvkit
