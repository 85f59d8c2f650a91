#include "clvkit/models/pnbd_fit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/numerics/log_space.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"
#include "clvkit/util/parallel.hpp"
#include "compensated_sum.hpp"
#include "distinct_values.hpp"
#include "pnbd_terms.hpp"

namespace clvkit {

using detail::compensated_pattern_sums;
using detail::DistinctValues;

namespace {

// ---------------------------------------------------------------------------------------------
// Evaluation over distinct values.
//
// A pattern's likelihood needs two tail integrals F(y; r+x, s+1), at y = t_x and y = T, each a
// 2F1 (five more with the gradient: p +- h, q +- h, p + 1 and q + 1, see pnbd.hpp). They depend on
// the pair (x, y), not on the triple, and customer bases have few distinct x and few distinct
// times (days, in weeks): so the patterns are indexed once by their distinct x, T and (x, y)
// pairs, each evaluation computes the tail integrals once per pair (on up to `threads` threads),
// and per pattern only the log-sum-exp of the alive and died terms remains (pnbd_combine).

struct IndexedPattern {
  std::uint32_t x;       // into x_values
  std::uint32_t T;       // into T_values
  std::uint32_t tail_t;  // into tails: (x, t_x)
  std::uint32_t tail_T;  // into tails: (x, T)
  bool died_possible;    // t_x < T
  double count;
};

struct Tail {
  double x;
  double y;
};

struct PreparedPatterns {
  std::vector<double> x_values;
  std::vector<double> T_values;
  std::vector<Tail> tails;
  std::vector<IndexedPattern> patterns;
};

PreparedPatterns prepare_patterns(const std::vector<FrequencyRecencyPattern>& data) {
  DistinctValues x;
  DistinctValues T;
  DistinctValues y;
  std::unordered_map<std::uint64_t, std::uint32_t> tail_index;
  PreparedPatterns prepared;
  prepared.patterns.reserve(data.size());
  const auto tail_of = [&](std::uint32_t x_index, double x_value, double y_value) {
    const std::uint64_t key = (std::uint64_t{x_index} << 32) | y.index_of(y_value);
    const auto [it, inserted] =
        tail_index.try_emplace(key, static_cast<std::uint32_t>(prepared.tails.size()));
    if (inserted) prepared.tails.push_back({x_value, y_value});
    return it->second;
  };
  for (const FrequencyRecencyPattern& d : data) {
    const std::uint32_t xi = x.index_of(d.x);
    prepared.patterns.push_back({xi, T.index_of(d.T), tail_of(xi, d.x, d.t_x),
                                 tail_of(xi, d.x, d.T), d.t_x != d.T, d.count});
  }
  prepared.x_values = x.values();
  prepared.T_values = T.values();
  return prepared;
}

// The x-only terms: log[Gamma(r+x)/Gamma(r)] and psi(r+x) - psi(r).
struct CountTerms {
  double r_x = 0.0;  // r + x
  double log_rising = 0.0;
  double digamma_rise = 0.0;
};

// The T-only terms.
struct TimeTerms {
  double log_alpha_T;
  double log_beta_T;
  double inv_alpha_T;
  double inv_beta_T;
};

struct Tables {
  std::vector<CountTerms> by_x;
  std::vector<TimeTerms> by_T;
  std::vector<PnbdLogTail> tails;
  double log_alpha = 0.0;
  double log_beta = 0.0;
  double log_s = 0.0;
};

// Tail integrals per task: ~50 us of work with the gradient, so a thread pays for itself.
constexpr std::size_t kTailsPerTask = 64;

template <bool kGradient>
Tables tables(const ParetoNbdParams& params, const PreparedPatterns& data, int threads) {
  Tables t;
  t.log_alpha = std::log(params.alpha);
  t.log_beta = std::log(params.beta);
  t.log_s = std::log(params.s);
  for (const double x : data.x_values) {
    t.by_x.push_back(
        {params.r + x, log_rising(params.r, x), kGradient ? digamma_rise(params.r, x) : 0.0});
  }
  for (const double T : data.T_values) {
    t.by_T.push_back({std::log(params.alpha + T), std::log(params.beta + T),
                      1.0 / (params.alpha + T), 1.0 / (params.beta + T)});
  }
  t.tails.resize(data.tails.size());
  const std::size_t n = data.tails.size();
  parallel_for(threads, (n + kTailsPerTask - 1) / kTailsPerTask, [&](std::size_t task) {
    const std::size_t end = std::min(n, (task + 1) * kTailsPerTask);
    for (std::size_t i = task * kTailsPerTask; i < end; ++i) {
      const Tail& tail = data.tails[i];
      if constexpr (kGradient) {
        t.tails[i] = pnbd_log_tail_gradient(params, tail.x, tail.y);
      } else {
        t.tails[i].value = pnbd_log_tail_integral(params.r + tail.x, params.s + 1.0, params.alpha,
                                                  params.beta, tail.y);
      }
    }
  });
  return t;
}

// LL of one pattern and, when kGradient, its gradient: pnbd_log_likelihood_gradient's algebra
// (pnbd_combine) with the parts looked up.
template <bool kGradient>
std::array<double, 5> pattern_terms(const ParetoNbdParams& p, const Tables& t,
                                    const IndexedPattern& pattern) noexcept {
  const CountTerms& k = t.by_x[pattern.x];
  const TimeTerms& at_T = t.by_T[pattern.T];
  const double log_common = k.log_rising + p.r * t.log_alpha + p.s * t.log_beta;
  const double alive = -k.r_x * at_T.log_alpha_T - p.s * at_T.log_beta_T;
  const PnbdLogTail* tail_t = pattern.died_possible ? &t.tails[pattern.tail_t] : nullptr;
  const PnbdLogTail* tail_T = pattern.died_possible ? &t.tails[pattern.tail_T] : nullptr;
  if constexpr (!kGradient) {
    if (tail_t == nullptr) return {log_common + alive, 0.0, 0.0, 0.0, 0.0};
    const double died = detail::pnbd_died(t.log_s, tail_t->value, tail_T->value).died;
    return {log_common + detail::pnbd_total(alive, died).total, 0.0, 0.0, 0.0, 0.0};
  }
  std::array<double, 4> gradient = {k.digamma_rise + t.log_alpha, p.r / p.alpha, t.log_beta,
                                    p.s / p.beta};
  const std::array<double, 4> d_alive = {-at_T.log_alpha_T, -k.r_x * at_T.inv_alpha_T,
                                         -at_T.log_beta_T, -p.s * at_T.inv_beta_T};
  const double ll =
      log_common + detail::pnbd_combine(p.s, t.log_s, alive, d_alive, tail_t, tail_T, gradient);
  return {ll, gradient[0], gradient[1], gradient[2], gradient[3]};
}

// Summed by compensated_pattern_sums, so the total does not depend on `threads`.

template <bool kGradient>
double total_log_likelihood(const ParetoNbdParams& params, const PreparedPatterns& data,
                            std::array<double, 4>* gradient, int threads) {
  const Tables t = tables<kGradient>(params, data, threads);
  constexpr std::size_t kSums = kGradient ? 5 : 1;
  const std::array<double, kSums> sum = compensated_pattern_sums<kSums>(
      data.patterns.size(), threads, [&](std::size_t i, std::array<double, kSums>& block) {
        const IndexedPattern& pattern = data.patterns[i];
        const std::array<double, 5> terms = pattern_terms<kGradient>(params, t, pattern);
        for (std::size_t j = 0; j < kSums; ++j) block[j] += pattern.count * terms[j];
      });
  if constexpr (kGradient) {
    for (std::size_t i = 0; i < 4; ++i) (*gradient)[i] = sum[i + 1];
  }
  return sum[0];
}

double total_log_likelihood(const ParetoNbdParams& params, const PreparedPatterns& data,
                            std::array<double, 4>* gradient, int threads) {
  if (gradient == nullptr) return total_log_likelihood<false>(params, data, nullptr, threads);
  return total_log_likelihood<true>(params, data, gradient, threads);
}

}  // namespace

double pnbd_total_log_likelihood(const ParetoNbdParams& params,
                                 const std::vector<FrequencyRecencyPattern>& data,
                                 std::array<double, 4>* gradient, int threads) noexcept {
  return total_log_likelihood(params, prepare_patterns(data), gradient, threads);
}

ParetoNbdFit fit_pnbd(const std::vector<FrequencyRecencyPattern>& data, const FitOptions& options) {
  double customers = 0.0;
  double repeat_buyers = 0.0;
  double sum_x = 0.0;
  double sum_T = 0.0;
  double max_T = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const FrequencyRecencyPattern& d = data[i];
    if (!is_positive_finite(d.count)) {
      throw ModelError("pnbd fit: pattern " + std::to_string(i + 1) + " has count " +
                       format_number(d.count) + ", but must be positive and finite");
    }
    check_purchase_history("pnbd fit: pattern", i, d.x, d.t_x, d.T);
    customers += d.count;
    if (d.x > 0.0) repeat_buyers += d.count;
    sum_x += d.count * d.x;
    sum_T += d.count * d.T;
    max_T = std::max(max_T, d.T);
  }
  if (data.empty()) throw ModelError("pnbd fit: no customers to fit");
  if (repeat_buyers == 0.0) {
    throw ModelError(
        "pnbd fit: no customer has a repeat purchase, so the purchase and dropout processes "
        "cannot be told apart");
  }
  if (max_T == 0.0) {
    throw ModelError(
        "pnbd fit: every customer has T = 0, so there is no observation time to "
        "estimate the purchase rate from");
  }

  const PreparedPatterns prepared = prepare_patterns(data);
  const int threads = options.threads;
  const LogLikelihoodFunction log_likelihood = [&prepared, threads](const Eigen::VectorXd& theta,
                                                                    Eigen::VectorXd* gradient) {
    const ParetoNbdParams params{theta[0], theta[1], theta[2], theta[3]};
    if (gradient == nullptr) return total_log_likelihood(params, prepared, nullptr, threads);
    std::array<double, 4> g{};
    const double value = total_log_likelihood(params, prepared, &g, threads);
    *gradient = Eigen::Vector4d(g[0], g[1], g[2], g[3]);
    return value;
  };

  // Starting values. With r = 1 the mean purchase rate is 1/alpha; ignoring dropout,
  // alpha = mean T / mean x matches the observed purchase rate. s = 1, beta = mean T: a mean
  // lifetime of the order of the observation period. Then a neutral start and two with more
  // heterogeneity.
  const double mean_T = sum_T / customers;
  const double mean_x = sum_x / customers;
  std::vector<Eigen::VectorXd> starts;
  starts.push_back(Eigen::Vector4d(1.0, mean_T / mean_x, 1.0, mean_T));
  starts.push_back(Eigen::Vector4d(1.0, mean_T, 1.0, mean_T));
  starts.push_back(Eigen::Vector4d(0.5, 0.5 * mean_T / mean_x, 0.5, 0.5 * mean_T));
  starts.push_back(Eigen::Vector4d(1.0, 1.0, 1.0, 1.0));

  ParetoNbdFit fit;
  fit.summary =
      maximize_log_likelihood("pnbd", {"r", "alpha", "s", "beta"}, log_likelihood, starts,
                              std::max<std::int64_t>(1, std::llround(customers)), options);
  const auto& estimates = fit.summary.parameters;
  fit.params = ParetoNbdParams{estimates[0].value, estimates[1].value, estimates[2].value,
                               estimates[3].value};
  return fit;
}

}  // namespace clvkit
