#include "dropout_likelihood.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/fit.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"
#include "clvkit/util/parallel.hpp"
#include "compensated_sum.hpp"
#include "distinct_values.hpp"

namespace clvkit::detail {

namespace {

// ---------------------------------------------------------------------------------------------
// Fast evaluation of the total log-likelihood.
//
// BG/NBD's eq. 6 (and MBG/NBD's likelihood) for one pattern costs about a dozen logarithms,
// gamma-function ratios and digammas, yet almost all of them depend on x alone (the rising
// factorials of r, b and a+b and their digamma differences) or on a single time (log(alpha + T),
// log(alpha + t_x)). Customer bases have few distinct x (one per purchase count) and few distinct
// times (one per day, in weeks), but many distinct (x, t_x, T) triples. So the patterns are
// indexed once by their distinct x, t_x and T values (PreparedPatterns), each evaluation
// tabulates the x-only terms (the model's CountTerms) and time-only terms (Tables), and per
// pattern only the log-sum-exp of the two terms remains: one exp, one log1p, one division
// (pattern_terms). On 1M simulated customers (507k patterns) an evaluation with the gradient went
// from ~130 ns to ~20 ns per pattern. The algebra is that of bgnbd_log_likelihood_gradient
// (bgnbd.cpp) and mbgnbd_log_likelihood_gradient; the tests check that the totals agree.

struct TimeTerms {
  double log_alpha_t;  // log(alpha + t)
  double inv_alpha_t;  // 1 / (alpha + t)
};

std::vector<TimeTerms> time_terms(double alpha, const std::vector<double>& times) {
  std::vector<TimeTerms> terms;
  terms.reserve(times.size());
  for (const double t : times) terms.push_back({std::log(alpha + t), 1.0 / (alpha + t)});
  return terms;
}

// The x-only and time-only terms at one parameter value.
struct Tables {
  const std::vector<CountTerms>& by_x;
  std::vector<TimeTerms> by_t_x;
  std::vector<TimeTerms> by_T;
  double r_over_alpha = 0.0;
  double inv_a = 0.0;
};

// LL of one pattern and, when kGradient, its gradient in (r, alpha, a, b), from the tables.
template <bool kGradient>
std::array<double, 5> pattern_terms(const Tables& t, const IndexedPattern& pattern) noexcept {
  const CountTerms& k = t.by_x[pattern.x];
  const TimeTerms& at_T = t.by_T[pattern.T];
  double ll = k.l1 - k.r_x * at_T.log_alpha_t;
  double sigma = 0.0;  // sigma(d) = 1 - P(alive)
  double ell = 0.0;
  double d_alpha = 0.0;  // dell/dalpha = 1/(alpha+T) - 1/(alpha+t_x)
  if (k.repeat) {
    const TimeTerms& at_t_x = t.by_t_x[pattern.t_x];
    // log(alpha+T) - log(alpha+t_x) instead of bgnbd.cpp's log1p((T-t_x)/(alpha+t_x)): both
    // logs are tabulated; the difference is exactly 0 at t_x = T and otherwise off by a few ulp
    // of log(alpha+T) in absolute terms, which is rounding in LL.
    ell = at_T.log_alpha_t - at_t_x.log_alpha_t;
    const double d = k.log_odds + k.r_x * ell;
    // log1p_exp(d) = max(d, 0) + log1p(e) and sigma(d) = 1/(1 + e^-d), e = exp(-|d|) <= 1:
    // one exp serves both and neither overflows.
    const double e = std::exp(-std::abs(d));
    ll += std::max(d, 0.0) + std::log1p(e);
    if constexpr (kGradient) {
      sigma = (d > 0.0 ? 1.0 : e) / (1.0 + e);
      d_alpha = at_T.inv_alpha_t - at_t_x.inv_alpha_t;
    }
  }
  if constexpr (!kGradient) return {ll, 0.0, 0.0, 0.0, 0.0};
  return {ll, k.g_r - at_T.log_alpha_t + sigma * ell,
          t.r_over_alpha - k.r_x * at_T.inv_alpha_t + sigma * k.r_x * d_alpha,
          k.g_a + sigma * t.inv_a, k.g_b - sigma * k.inv_odds_b};
}

// Sum over patterns of count * LL, and of count * gradient when kGradient, in pattern order
// (compensated_pattern_sums: the total does not depend on `threads`).
template <bool kGradient>
double total_log_likelihood(const Tables& t, const PreparedPatterns& data,
                            std::array<double, 4>* gradient, int threads) {
  constexpr std::size_t kSums = kGradient ? 5 : 1;
  const std::array<double, kSums> sum = compensated_pattern_sums<kSums>(
      data.patterns.size(), threads, [&](std::size_t i, std::array<double, kSums>& block) {
        const IndexedPattern& pattern = data.patterns[i];
        const std::array<double, 5> terms = pattern_terms<kGradient>(t, pattern);
        for (std::size_t j = 0; j < kSums; ++j) block[j] += pattern.count * terms[j];
      });
  if constexpr (kGradient) {
    for (std::size_t i = 0; i < 4; ++i) (*gradient)[i] = sum[i + 1];
  }
  return sum[0];
}

}  // namespace

PreparedPatterns prepare_patterns(const std::vector<FrequencyRecencyPattern>& data) {
  DistinctValues x;
  DistinctValues t_x;
  DistinctValues T;
  PreparedPatterns prepared;
  prepared.patterns.reserve(data.size());
  for (const FrequencyRecencyPattern& d : data) {
    prepared.patterns.push_back({x.index_of(d.x), t_x.index_of(d.t_x), T.index_of(d.T), d.count});
  }
  prepared.x_values = x.values();
  prepared.t_x_values = t_x.values();
  prepared.T_values = T.values();
  return prepared;
}

double total_dropout_log_likelihood(CountTermsFunction count_terms, const DropoutParams& params,
                                    const PreparedPatterns& data, std::array<double, 4>* gradient,
                                    int threads) {
  std::vector<CountTerms> by_x;
  by_x.reserve(data.x_values.size());
  const double log_alpha = std::log(params.alpha);
  for (const double x : data.x_values) by_x.push_back(count_terms(params, log_alpha, x));
  const Tables t{by_x, time_terms(params.alpha, data.t_x_values),
                 time_terms(params.alpha, data.T_values), params.r / params.alpha, 1.0 / params.a};
  if (gradient == nullptr) return total_log_likelihood<false>(t, data, nullptr, threads);
  return total_log_likelihood<true>(t, data, gradient, threads);
}

PatternTotals check_fit_patterns(std::string_view what,
                                 const std::vector<FrequencyRecencyPattern>& data) {
  const std::string name(what);
  PatternTotals totals;
  double repeat_buyers = 0.0;
  double max_T = 0.0;
  const std::string pattern = name + ": pattern";
  for (std::size_t i = 0; i < data.size(); ++i) {
    const FrequencyRecencyPattern& d = data[i];
    if (!is_positive_finite(d.count)) {
      throw ModelError(name + ": pattern " + std::to_string(i + 1) + " has count " +
                       format_number(d.count) + ", but must be positive and finite");
    }
    check_purchase_history(pattern.c_str(), i, d.x, d.t_x, d.T);
    totals.customers += d.count;
    if (d.x > 0.0) repeat_buyers += d.count;
    totals.sum_x += d.count * d.x;
    totals.sum_T += d.count * d.T;
    max_T = std::max(max_T, d.T);
  }
  if (data.empty()) throw ModelError(name + ": no customers to fit");
  if (repeat_buyers == 0.0) {
    throw ModelError(name +
                     ": no customer has a repeat purchase, so the dropout process cannot be "
                     "estimated");
  }
  if (max_T == 0.0) {
    throw ModelError(name +
                     ": every customer has T = 0, so there is no observation time to "
                     "estimate the purchase rate from");
  }
  return totals;
}

FitSummary fit_dropout_model(std::string_view key, CountTermsFunction count_terms,
                             const std::vector<FrequencyRecencyPattern>& data,
                             const FitOptions& options) {
  const PatternTotals totals = check_fit_patterns(std::string(key) + " fit", data);

  // Indexed once: every evaluation of the fit (a few dozen, Hessian included) reuses the index.
  const PreparedPatterns prepared = prepare_patterns(data);
  const int threads = options.threads;
  const LogLikelihoodFunction log_likelihood =
      [&prepared, count_terms, threads](const Eigen::VectorXd& theta, Eigen::VectorXd* gradient) {
        const DropoutParams params{theta[0], theta[1], theta[2], theta[3]};
        if (gradient == nullptr) {
          return total_dropout_log_likelihood(count_terms, params, prepared, nullptr, threads);
        }
        std::array<double, 4> g{};
        const double value =
            total_dropout_log_likelihood(count_terms, params, prepared, &g, threads);
        *gradient = Eigen::Vector4d(g[0], g[1], g[2], g[3]);
        return value;
      };

  // Starting values. With r = 1 the mean purchase rate is 1/alpha; ignoring dropout,
  // alpha = mean T / mean x matches the observed purchase rate (dropout makes the true rate
  // higher, i.e. alpha smaller, which the fit finds). a = b = 1: uniform dropout probability.
  // Then the common neutral start r = 1, alpha = mean T, and two with more heterogeneity.
  // (Chosen for BG/NBD; MBG/NBD has the same purchase process and converges from them on CDNOW
  // and simulated bases alike.)
  const double mean_T = totals.sum_T / totals.customers;
  const double mean_x = totals.sum_x / totals.customers;
  std::vector<Eigen::VectorXd> starts;
  starts.push_back(Eigen::Vector4d(1.0, mean_T / mean_x, 1.0, 1.0));
  starts.push_back(Eigen::Vector4d(1.0, mean_T, 1.0, 1.0));
  starts.push_back(Eigen::Vector4d(0.5, 0.5 * mean_T / mean_x, 0.5, 2.0));
  starts.push_back(Eigen::Vector4d(1.0, 1.0, 1.0, 1.0));
  return maximize_log_likelihood(std::string(key), {"r", "alpha", "a", "b"}, log_likelihood, starts,
                                 std::max<std::int64_t>(1, std::llround(totals.customers)),
                                 options);
}

}  // namespace clvkit::detail
