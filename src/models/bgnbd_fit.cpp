#include "clvkit/models/bgnbd_fit.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"
#include "clvkit/util/parallel.hpp"
#include "clvkit/util/radix_sort.hpp"
#include "compensated_sum.hpp"
#include "distinct_values.hpp"

namespace clvkit {

using detail::CompensatedSum;
using detail::DistinctValues;

namespace {

// ---------------------------------------------------------------------------------------------
// Fast evaluation of the total log-likelihood.
//
// Eq. 6 for one pattern costs about a dozen logarithms, gamma-function ratios and digammas, yet
// almost all of them depend on x alone (the rising factorials of r, b and a+b and their digamma
// differences) or on a single time (log(alpha + T), log(alpha + t_x)). Customer bases have few
// distinct x (one per purchase count) and few distinct times (one per day, in weeks), but many
// distinct (x, t_x, T) triples. So the patterns are indexed once by their distinct x, t_x and T
// values (PreparedPatterns), each evaluation tabulates the x-only and time-only terms (Tables),
// and per pattern only the log-sum-exp of eq. 6's two terms remains: one exp, one log1p, one
// division (pattern_terms). On 1M simulated customers (507k patterns) an evaluation with the
// gradient went from ~130 ns to ~20 ns per pattern. The algebra is that of
// bgnbd_log_likelihood_gradient (bgnbd.cpp); the tests check that the totals agree.

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

// The x-only terms of eq. 6 and its gradient. With ell = log((alpha+T)/(alpha+t_x)),
//   LL = l1 - (r+x) log(alpha+T) + [x > 0] log1p_exp(d),  d = log_odds + (r+x) ell,
// and the gradient of the first part is (g_r - log(alpha+T), r/alpha - (r+x)/(alpha+T), g_a,
// g_b); the second part adds sigma(d) times the gradient of d.
struct CountTerms {
  double r_x = 0.0;       // r + x
  double l1 = 0.0;        // log[B(a, b+x)/B(a, b)] + log[Gamma(r+x)/Gamma(r)] + r log alpha
  double log_odds = 0.0;  // log(a / (b+x-1)), x > 0 only
  double g_r = 0.0;       // psi(r+x) - psi(r) + log alpha
  double g_a = 0.0;       // -(psi(a+b+x) - psi(a+b))
  double g_b = 0.0;       // psi(b+x) - psi(b) - (psi(a+b+x) - psi(a+b))
  double inv_b_x1 = 0.0;  // 1 / (b+x-1) = -dd/db, x > 0 only
  bool repeat = false;    // x > 0: the "dropped out after the last purchase" term exists
};

CountTerms count_terms(const BgNbdParams& p, double log_alpha, double x) noexcept {
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
    k.inv_b_x1 = 1.0 / (p.b + x - 1.0);
  }
  return k;
}

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
  std::vector<CountTerms> by_x;
  std::vector<TimeTerms> by_t_x;
  std::vector<TimeTerms> by_T;
  double r_over_alpha = 0.0;
  double inv_a = 0.0;
};

Tables tables(const BgNbdParams& params, const PreparedPatterns& data) {
  Tables t;
  const double log_alpha = std::log(params.alpha);
  t.by_x.reserve(data.x_values.size());
  for (const double x : data.x_values) t.by_x.push_back(count_terms(params, log_alpha, x));
  t.by_t_x = time_terms(params.alpha, data.t_x_values);
  t.by_T = time_terms(params.alpha, data.T_values);
  t.r_over_alpha = params.r / params.alpha;
  t.inv_a = 1.0 / params.a;
  return t;
}

// LL of one pattern (eq. 6) and, when kGradient, its gradient in (r, alpha, a, b), from the
// tables: the algebra of bgnbd_log_likelihood_gradient with the x-only and time-only terms
// looked up.
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
          k.g_a + sigma * t.inv_a, k.g_b - sigma * k.inv_b_x1};
}

// Summation: plain sums over blocks of kBlock patterns (error at most kBlock eps/2 ~ 4e-15 of
// the block's sum of |terms|), and Neumaier's compensated sum of the block sums. As accurate as
// compensating every term for the line search's purpose, at 1/64 of the cost: compensating all
// five sums term by term took a quarter of the evaluation time.
constexpr std::size_t kBlock = 64;

// Patterns per task of an evaluation on several threads, in whole kBlocks: about 0.2 ms of work,
// so that starting a thread (~50 us) pays for itself, and data of fewer patterns (CDNOW has 1k)
// is summed on the calling thread alone.
constexpr std::size_t kTaskPatterns = 128 * kBlock;

// Sum over patterns of count * LL, and of count * gradient when kGradient, in pattern order.
// The kBlock sums are computed by tasks of kTaskPatterns patterns and compensated-summed in block
// order afterwards, exactly as one thread sums them: the total does not depend on `threads`.
template <bool kGradient>
double total_log_likelihood(const BgNbdParams& params, const PreparedPatterns& data,
                            std::array<double, 4>* gradient, int threads) {
  const Tables t = tables(params, data);
  constexpr std::size_t kSums = kGradient ? 5 : 1;
  const std::size_t n = data.patterns.size();
  std::vector<std::array<double, kSums>> block_sums((n + kBlock - 1) / kBlock);
  parallel_for(threads, (n + kTaskPatterns - 1) / kTaskPatterns, [&](std::size_t task) {
    const std::size_t task_end = std::min(n, (task + 1) * kTaskPatterns);
    for (std::size_t begin = task * kTaskPatterns; begin < task_end; begin += kBlock) {
      const std::size_t end = std::min(task_end, begin + kBlock);
      std::array<double, kSums> block{};
      for (std::size_t i = begin; i < end; ++i) {
        const IndexedPattern& pattern = data.patterns[i];
        const std::array<double, 5> terms = pattern_terms<kGradient>(t, pattern);
        for (std::size_t j = 0; j < kSums; ++j) block[j] += pattern.count * terms[j];
      }
      block_sums[begin / kBlock] = block;
    }
  });
  std::array<CompensatedSum, kSums> sum;
  for (const std::array<double, kSums>& block : block_sums) {
    for (std::size_t j = 0; j < kSums; ++j) sum[j].add(block[j]);
  }
  if constexpr (kGradient) {
    for (std::size_t i = 0; i < 4; ++i) (*gradient)[i] = sum[i + 1].value();
  }
  return sum[0].value();
}

double total_log_likelihood(const BgNbdParams& params, const PreparedPatterns& data,
                            std::array<double, 4>* gradient, int threads) {
  if (gradient == nullptr) return total_log_likelihood<false>(params, data, nullptr, threads);
  return total_log_likelihood<true>(params, data, gradient, threads);
}

}  // namespace

double bgnbd_total_log_likelihood(const BgNbdParams& params,
                                  const std::vector<FrequencyRecencyPattern>& data,
                                  std::array<double, 4>* gradient, int threads) noexcept {
  return total_log_likelihood(params, prepare_patterns(data), gradient, threads);
}

BgNbdFit fit_bgnbd(const std::vector<FrequencyRecencyPattern>& data, const FitOptions& options) {
  double customers = 0.0;
  double repeat_buyers = 0.0;
  double sum_x = 0.0;
  double sum_T = 0.0;
  double max_T = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const FrequencyRecencyPattern& d = data[i];
    if (!is_positive_finite(d.count)) {
      throw ModelError("bgnbd fit: pattern " + std::to_string(i + 1) + " has count " +
                       format_number(d.count) + ", but must be positive and finite");
    }
    check_purchase_history("bgnbd fit: pattern", i, d.x, d.t_x, d.T);
    customers += d.count;
    if (d.x > 0.0) repeat_buyers += d.count;
    sum_x += d.count * d.x;
    sum_T += d.count * d.T;
    max_T = std::max(max_T, d.T);
  }
  if (data.empty()) throw ModelError("bgnbd fit: no customers to fit");
  if (repeat_buyers == 0.0) {
    throw ModelError(
        "bgnbd fit: no customer has a repeat purchase, so the dropout process cannot be "
        "estimated");
  }
  if (max_T == 0.0) {
    throw ModelError(
        "bgnbd fit: every customer has T = 0, so there is no observation time to "
        "estimate the purchase rate from");
  }

  // Indexed once: every evaluation of the fit (a few dozen, Hessian included) reuses the index.
  const PreparedPatterns prepared = prepare_patterns(data);
  const int threads = options.threads;
  const LogLikelihoodFunction log_likelihood = [&prepared, threads](const Eigen::VectorXd& theta,
                                                                    Eigen::VectorXd* gradient) {
    const BgNbdParams params{theta[0], theta[1], theta[2], theta[3]};
    if (gradient == nullptr) return total_log_likelihood(params, prepared, nullptr, threads);
    std::array<double, 4> g{};
    const double value = total_log_likelihood(params, prepared, &g, threads);
    *gradient = Eigen::Vector4d(g[0], g[1], g[2], g[3]);
    return value;
  };

  // Starting values. With r = 1 the mean purchase rate is 1/alpha; ignoring dropout,
  // alpha = mean T / mean x matches the observed purchase rate (dropout makes the true rate
  // higher, i.e. alpha smaller, which the fit finds). a = b = 1: uniform dropout probability.
  // Then the common neutral start r = 1, alpha = mean T, and two with more heterogeneity.
  const double mean_T = sum_T / customers;
  const double mean_x = sum_x / customers;
  std::vector<Eigen::VectorXd> starts;
  starts.push_back(Eigen::Vector4d(1.0, mean_T / mean_x, 1.0, 1.0));
  starts.push_back(Eigen::Vector4d(1.0, mean_T, 1.0, 1.0));
  starts.push_back(Eigen::Vector4d(0.5, 0.5 * mean_T / mean_x, 0.5, 2.0));
  starts.push_back(Eigen::Vector4d(1.0, 1.0, 1.0, 1.0));

  BgNbdFit fit;
  fit.summary =
      maximize_log_likelihood("bgnbd", {"r", "alpha", "a", "b"}, log_likelihood, starts,
                              std::max<std::int64_t>(1, std::llround(customers)), options);
  const auto& estimates = fit.summary.parameters;
  fit.params =
      BgNbdParams{estimates[0].value, estimates[1].value, estimates[2].value, estimates[3].value};
  return fit;
}

}  // namespace clvkit
