#include "clvkit/models/bgnbd_fit.hpp"

#include <array>
#include <cmath>
#include <vector>

#include "clvkit/numerics/log_space.hpp"
#include "dropout_likelihood.hpp"

namespace clvkit {

using detail::CountTerms;
using detail::DropoutParams;

namespace {

// BG/NBD's x-only terms of eq. 6 and its gradient; the fast evaluation over patterns and the fit
// are shared with MBG/NBD (dropout_likelihood.cpp):
//   l1 = log[B(a, b+x)/B(a, b)] + log[Gamma(r+x)/Gamma(r)] + r log alpha,
//   log_odds = log(a / (b+x-1)), present for x > 0 only (no dropout before the first repeat
//   purchase), g_a = -(psi(a+b+x) - psi(a+b)), g_b = psi(b+x) - psi(b) - (psi(a+b+x) - psi(a+b)),
//   inv_odds_b = 1 / (b+x-1).
CountTerms count_terms(const DropoutParams& p, double log_alpha, double x) noexcept {
  CountTerms k;
  k.r_x = p.r + x;
  k.l1 = log_rising_ratio(p.b, p.a + p.b, x) + log_rising(p.r, x) + p.r * log_alpha;
  const double psi_ab = digamma_rise(p.a + p.b, x);
  k.g_r = digamma_rise(p.r, x) + log_alpha;
  k.g_a = -psi_ab;
  k.g_b = digamma_rise(p.b, x) - psi_ab;
  k.repeat = x > 0.0;
  if (k.repeat) {
    k.log_odds = std::log(p.a / (p.b + x - 1.0));
    k.inv_odds_b = 1.0 / (p.b + x - 1.0);
  }
  return k;
}

}  // namespace

double bgnbd_total_log_likelihood(const BgNbdParams& params,
                                  const std::vector<FrequencyRecencyPattern>& data,
                                  std::array<double, 4>* gradient, int threads) noexcept {
  return detail::total_dropout_log_likelihood(&count_terms,
                                              {params.r, params.alpha, params.a, params.b},
                                              detail::prepare_patterns(data), gradient, threads);
}

BgNbdFit fit_bgnbd(const std::vector<FrequencyRecencyPattern>& data, const FitOptions& options) {
  BgNbdFit fit;
  fit.summary = detail::fit_dropout_model("bgnbd", &count_terms, data, options);
  const auto& estimates = fit.summary.parameters;
  fit.params =
      BgNbdParams{estimates[0].value, estimates[1].value, estimates[2].value, estimates[3].value};
  return fit;
}

}  // namespace clvkit
