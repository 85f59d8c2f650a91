#pragma once
// Internal to src/models: the fast total log-likelihood shared by the models whose individual
// likelihood is BG/NBD's two-term form (BG/NBD, bgnbd_fit.cpp; MBG/NBD, mbgnbd_fit.cpp):
//   LL = l1(x) - (r+x) log(alpha+T) + [repeat(x)] log1p_exp(d),
//   d = log_odds(x) + (r+x) log((alpha+T)/(alpha+t_x)),
// where only the x-only terms (l1, log_odds, their gradients, whether the dropout term exists)
// differ between the models. Each model tabulates those per distinct x (CountTerms); this file
// does the rest (see dropout_likelihood.cpp for how and why).

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "clvkit/models/fit.hpp"
#include "clvkit/models/patterns.hpp"

namespace clvkit::detail {

struct IndexedPattern {
  std::uint32_t x;    // into PreparedPatterns::x_values
  std::uint32_t t_x;  // into PreparedPatterns::t_x_values
  std::uint32_t T;    // into PreparedPatterns::T_values
  double count;
};

// The patterns in the caller's order (the sum runs in that order, so it is deterministic), with
// their coordinates replaced by indices into the lists of distinct values.
struct PreparedPatterns {
  std::vector<double> x_values;
  std::vector<double> t_x_values;
  std::vector<double> T_values;
  std::vector<IndexedPattern> patterns;
};

PreparedPatterns prepare_patterns(const std::vector<FrequencyRecencyPattern>& data);

// The x-only terms of one model's likelihood and gradient. With ell = log((alpha+T)/(alpha+t_x)),
//   LL = l1 - (r+x) log(alpha+T) + [repeat] log1p_exp(d),  d = log_odds + (r+x) ell,
// and the gradient of the first part is (g_r - log(alpha+T), r/alpha - (r+x)/(alpha+T), g_a,
// g_b); the second part adds sigma(d) times the gradient of d, (ell, (r+x) dell/dalpha, 1/a,
// -inv_odds_b).
struct CountTerms {
  double r_x = 0.0;         // r + x
  double l1 = 0.0;          // log of the x-only factor of the alive-at-T term, + r log alpha
  double log_odds = 0.0;    // log of the dropout term's beta-function ratio to l1's (repeat only)
  double g_r = 0.0;         // dl1/dr: psi(r+x) - psi(r) + log alpha
  double g_a = 0.0;         // dl1/da
  double g_b = 0.0;         // dl1/db
  double inv_odds_b = 0.0;  // -dlog_odds/db (repeat only)
  bool repeat = false;      // the "dropped out after the last purchase" term exists
};

// The parameters of either model, in the papers' order and symbols.
struct DropoutParams {
  double r = 0.0;
  double alpha = 0.0;
  double a = 0.0;
  double b = 0.0;
};

// The model's CountTerms of x at `params` (log_alpha = log(params.alpha)).
using CountTermsFunction = CountTerms (*)(const DropoutParams& params, double log_alpha,
                                          double x) noexcept;

// Sum over patterns of count * LL, and of count * gradient in (r, alpha, a, b) when `gradient`
// is non-null, with the x-only terms from `count_terms`. Summed in pattern order, compensated
// across blocks of 64 patterns, on up to `threads` threads with the same result for any number.
double total_dropout_log_likelihood(CountTermsFunction count_terms, const DropoutParams& params,
                                    const PreparedPatterns& data, std::array<double, 4>* gradient,
                                    int threads);

// What a fit needs to know of its data before it starts, after checking it: every count positive
// and finite (else ModelError "<what>: pattern 3 has count -1, ..."), every history valid, at
// least one pattern, one repeat buyer and one T > 0 (else ModelError saying why).
struct PatternTotals {
  double customers = 0.0;
  double sum_x = 0.0;
  double sum_T = 0.0;
};
PatternTotals check_fit_patterns(std::string_view what,
                                 const std::vector<FrequencyRecencyPattern>& data);

// The fit of either model: checks the data (check_fit_patterns, messages "<key> fit: ..."),
// indexes it once and maximises the likelihood (maximize_log_likelihood, parameters r, alpha, a,
// b) from BG/NBD's starting values (dropout_likelihood.cpp).
FitSummary fit_dropout_model(std::string_view key, CountTermsFunction count_terms,
                             const std::vector<FrequencyRecencyPattern>& data,
                             const FitOptions& options);

}  // namespace clvkit::detail
