#include "clvkit/models/mbgnbd_fit.hpp"

#include <array>
#include <cmath>
#include <vector>

#include "clvkit/numerics/log_space.hpp"
#include "dropout_likelihood.hpp"

namespace clvkit {

using detail::CountTerms;
using detail::DropoutParams;

namespace {

// MBG/NBD's x-only terms (the fast evaluation over patterns and the fit are BG/NBD's,
// dropout_likelihood.cpp): one more survived coin than BG/NBD in the alive-at-T term, and a
// dropout term for every x, x = 0 included (dropout at time zero):
//   l1 = log[B(a, b+x+1)/B(a, b)] + log[Gamma(r+x)/Gamma(r)] + r log alpha,
//   log_odds = log(a / (b+x)),  g_a = -(psi(a+b+x+1) - psi(a+b)),
//   g_b = psi(b+x+1) - psi(b) - (psi(a+b+x+1) - psi(a+b)),  inv_odds_b = 1 / (b+x).
CountTerms count_terms(const DropoutParams& p, double log_alpha, double x) noexcept {
  CountTerms k;
  k.r_x = p.r + x;
  k.l1 = log_rising_ratio(p.b, p.a + p.b, x + 1.0) + log_rising(p.r, x) + p.r * log_alpha;
  const double psi_ab = digamma_rise(p.a + p.b, x + 1.0);
  k.g_r = digamma_rise(p.r, x) + log_alpha;
  k.g_a = -psi_ab;
  k.g_b = digamma_rise(p.b, x + 1.0) - psi_ab;
  k.repeat = true;
  k.log_odds = std::log(p.a / (p.b + x));
  k.inv_odds_b = 1.0 / (p.b + x);
  return k;
}

}  // namespace

double mbgnbd_total_log_likelihood(const MbgNbdParams& params,
                                   const std::vector<FrequencyRecencyPattern>& data,
                                   std::array<double, 4>* gradient, int threads) noexcept {
  return detail::total_dropout_log_likelihood(&count_terms,
                                              {params.r, params.alpha, params.a, params.b},
                                              detail::prepare_patterns(data), gradient, threads);
}

MbgNbdFit fit_mbgnbd(const std::vector<FrequencyRecencyPattern>& data, const FitOptions& options) {
  MbgNbdFit fit;
  fit.summary = detail::fit_dropout_model("mbgnbd", &count_terms, data, options);
  const auto& estimates = fit.summary.parameters;
  fit.params =
      MbgNbdParams{estimates[0].value, estimates[1].value, estimates[2].value, estimates[3].value};
  return fit;
}

}  // namespace clvkit
