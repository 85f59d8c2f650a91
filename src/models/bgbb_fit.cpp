#include "clvkit/models/bgbb_fit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bgbb_terms.hpp"
#include "clvkit/error.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"
#include "clvkit/util/parallel.hpp"
#include "compensated_sum.hpp"
#include "distinct_values.hpp"

namespace clvkit {

using detail::BgBbRising;
using detail::compensated_pattern_sums;
using detail::DistinctValues;

namespace {

// ---------------------------------------------------------------------------------------------
// Evaluation over distinct counts.
//
// A pattern's special functions (log rising factorials, digamma differences) depend on five whole
// counts only: x, n - x, n, t_x - x and t_x (bgbb_terms.hpp). Discrete histories share few
// distinct counts (at most max n + 1), so the patterns are indexed once by them and each
// evaluation computes the special functions once per distinct count; per pattern only the sum
// over its n - t_x opportunities after the last transaction and a log-sum-exp remain. The
// per-customer functions compute the same special functions by the same calls, so both agree
// bit for bit.

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

struct IndexedPattern {
  double x;
  double t_x;
  double n;
  double count;
  bool valid;  // a BG/BB history after rounding; otherwise its log-likelihood is -inf
  std::array<std::uint32_t, 5> at;  // into counts: x, n - x, n, t_x - x, t_x
};

struct PreparedPatterns {
  std::vector<double> counts;  // the distinct whole counts
  std::vector<IndexedPattern> patterns;
};

// Rounded to whole opportunities and indexed once; every evaluation of a fit reuses the index.
PreparedPatterns prepare_patterns(const std::vector<FrequencyRecencyPattern>& data) {
  DistinctValues counts;
  PreparedPatterns prepared;
  prepared.patterns.reserve(data.size());
  for (const FrequencyRecencyPattern& d : data) {
    IndexedPattern p{std::round(d.x), std::round(d.t_x), std::round(d.T), d.count, false, {}};
    p.valid = is_bgbb_history(p.x, p.t_x, p.n);
    if (p.valid) {
      p.at = {counts.index_of(p.x), counts.index_of(p.n - p.x), counts.index_of(p.n),
              counts.index_of(p.t_x - p.x), counts.index_of(p.t_x)};
    }
    prepared.patterns.push_back(p);
  }
  prepared.counts = counts.take_values();
  return prepared;
}

// Distinct counts per task of the table: each costs four (value) or nine (gradient) special
// functions, ~1 us with the gradient, so a task is worth a thread.
constexpr std::size_t kCountsPerTask = 256;

template <bool kGradient>
std::vector<BgBbRising> rising_table(const BgBbParams& params, const PreparedPatterns& data,
                                     int threads) {
  std::vector<BgBbRising> table(data.counts.size());
  const std::size_t n = table.size();
  parallel_for(threads, (n + kCountsPerTask - 1) / kCountsPerTask, [&](std::size_t task) {
    const std::size_t end = std::min(n, (task + 1) * kCountsPerTask);
    for (std::size_t i = task * kCountsPerTask; i < end; ++i) {
      table[i] = detail::bgbb_rising<kGradient>(params, data.counts[i]);
    }
  });
  return table;
}

// Summed by compensated_pattern_sums, so the total does not depend on `threads`; the value is
// computed by the same operations with and without the gradient.
template <bool kGradient>
double total_log_likelihood(const BgBbParams& params, const PreparedPatterns& data,
                            std::array<double, 4>* gradient, int threads) {
  const std::vector<BgBbRising> table = rising_table<kGradient>(params, data, threads);
  constexpr std::size_t kSums = kGradient ? 5 : 1;
  const std::array<double, kSums> sum = compensated_pattern_sums<kSums>(
      data.patterns.size(), threads, [&](std::size_t i, std::array<double, kSums>& block) {
        const IndexedPattern& d = data.patterns[i];
        if (!d.valid) {
          block[0] += d.count * kNegInf;
          return;
        }
        const detail::BgBbParts parts = detail::bgbb_parts<kGradient>(
            params, d.x, d.t_x, d.n,
            {&table[d.at[0]], &table[d.at[1]], &table[d.at[2]], &table[d.at[3]], &table[d.at[4]]});
        if constexpr (kGradient) {
          std::array<double, 4> g{};
          block[0] += d.count * detail::bgbb_combine(parts, &g);
          for (std::size_t j = 0; j < 4; ++j) block[j + 1] += d.count * g[j];
        } else {
          block[0] += d.count * detail::bgbb_combine(parts, nullptr);
        }
      });
  if constexpr (kGradient) {
    for (std::size_t j = 0; j < 4; ++j) (*gradient)[j] = sum[j + 1];
  }
  return sum[0];
}

double total_of_prepared(const BgBbParams& params, const PreparedPatterns& data,
                         std::array<double, 4>* gradient, int threads) {
  if (gradient == nullptr) return total_log_likelihood<false>(params, data, nullptr, threads);
  return total_log_likelihood<true>(params, data, gradient, threads);
}

}  // namespace

double bgbb_total_log_likelihood(const BgBbParams& params,
                                 const std::vector<FrequencyRecencyPattern>& data,
                                 std::array<double, 4>* gradient, int threads) noexcept {
  return total_of_prepared(params, prepare_patterns(data), gradient, threads);
}

BgBbFit fit_bgbb(const std::vector<FrequencyRecencyPattern>& data, const FitOptions& options) {
  double customers = 0.0;
  double sum_x = 0.0;
  double sum_n = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const FrequencyRecencyPattern& d = data[i];
    if (!is_positive_finite(d.count)) {
      throw ModelError("bgbb fit: pattern " + std::to_string(i + 1) + " has count " +
                       format_number(d.count) + ", but must be positive and finite");
    }
    check_purchase_history("bgbb fit: pattern", i, d.x, d.t_x, d.T);
    const double x = std::round(d.x);
    const double t_x = std::round(d.t_x);
    const double n = std::round(d.T);
    if (!is_bgbb_history(x, t_x, n)) {
      throw ModelError(
          "bgbb fit: pattern " + std::to_string(i + 1) + " has x = " + format_number(d.x) +
          ", t_x = " + format_number(d.t_x) + ", n = " + format_number(d.T) +
          (x == d.x && t_x == d.t_x && n == d.T
               ? std::string()
               : " (" + format_number(x) + ", " + format_number(t_x) + ", " + format_number(n) +
                     " in whole opportunities)") +
          ", but BG/BB counts at most one transaction per opportunity: it needs x <= t_x <= n, "
          "with t_x the last opportunity with a transaction (0 exactly when x = 0); are x, t_x "
          "and T counted in opportunities?");
    }
    customers += d.count;
    sum_x += d.count * x;
    sum_n += d.count * n;
  }
  if (data.empty()) throw ModelError("bgbb fit: no customers to fit");
  if (sum_n == 0.0) {
    throw ModelError(
        "bgbb fit: every customer has n = 0 opportunities, so there is nothing to estimate the "
        "transaction and dropout probabilities from");
  }
  if (sum_x == 0.0) {
    throw ModelError(
        "bgbb fit: no customer has a repeat transaction, so the transaction and dropout "
        "processes cannot be told apart");
  }

  const PreparedPatterns prepared = prepare_patterns(data);
  const int threads = options.threads;
  const LogLikelihoodFunction log_likelihood = [&prepared, threads](const Eigen::VectorXd& theta,
                                                                    Eigen::VectorXd* gradient) {
    const BgBbParams params{theta[0], theta[1], theta[2], theta[3]};
    if (gradient == nullptr) return total_of_prepared(params, prepared, nullptr, threads);
    std::array<double, 4> g{};
    const double value = total_of_prepared(params, prepared, &g, threads);
    *gradient = Eigen::Vector4d(g[0], g[1], g[2], g[3]);
    return value;
  };

  // Starting values. Uniform p and theta first (FHS 2010's estimates on their donation data are
  // all of order one). Then the mean p at the observed share of opportunities with a transaction
  // (dropout makes the true p higher, which the fit finds) with a mean lifetime of a few
  // opportunities, then more and less heterogeneity.
  const double share = std::clamp(sum_x / sum_n, 0.05, 0.95);
  std::vector<Eigen::VectorXd> starts;
  starts.push_back(Eigen::Vector4d(1.0, 1.0, 1.0, 1.0));
  starts.push_back(Eigen::Vector4d(2.0 * share, 2.0 * (1.0 - share), 1.0, 3.0));
  starts.push_back(Eigen::Vector4d(0.5, 0.5, 0.5, 0.5));
  starts.push_back(Eigen::Vector4d(5.0 * share, 5.0 * (1.0 - share), 2.0, 10.0));

  BgBbFit fit;
  fit.summary =
      maximize_log_likelihood("bgbb", {"alpha", "beta", "gamma", "delta"}, log_likelihood, starts,
                              std::max<std::int64_t>(1, std::llround(customers)), options);
  const auto& estimates = fit.summary.parameters;
  fit.params =
      BgBbParams{estimates[0].value, estimates[1].value, estimates[2].value, estimates[3].value};
  return fit;
}

}  // namespace clvkit
