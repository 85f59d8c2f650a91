#include "clvkit/models/bgbb_fit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"
#include "compensated_sum.hpp"

namespace clvkit {

using detail::compensated_pattern_sums;

namespace {

// The patterns in whole opportunities: rounded once, evaluated by every call of the fit.
std::vector<FrequencyRecencyPattern> rounded(const std::vector<FrequencyRecencyPattern>& data) {
  std::vector<FrequencyRecencyPattern> out;
  out.reserve(data.size());
  for (const FrequencyRecencyPattern& d : data) {
    out.push_back({std::round(d.x), std::round(d.t_x), std::round(d.T), d.count});
  }
  return out;
}

// Summed by compensated_pattern_sums, so the total does not depend on `threads`; the value is
// computed by the same operations with and without the gradient (bgbb.hpp).
template <bool kGradient>
double total_log_likelihood(const BgBbParams& params,
                            const std::vector<FrequencyRecencyPattern>& data,
                            std::array<double, 4>* gradient, int threads) {
  constexpr std::size_t kSums = kGradient ? 5 : 1;
  const std::array<double, kSums> sum = compensated_pattern_sums<kSums>(
      data.size(), threads, [&](std::size_t i, std::array<double, kSums>& block) {
        const FrequencyRecencyPattern& d = data[i];
        if constexpr (kGradient) {
          std::array<double, 4> g{};
          block[0] += d.count * bgbb_log_likelihood_gradient(params, d.x, d.t_x, d.T, g);
          for (std::size_t j = 0; j < 4; ++j) block[j + 1] += d.count * g[j];
        } else {
          block[0] += d.count * bgbb_log_likelihood(params, d.x, d.t_x, d.T);
        }
      });
  if constexpr (kGradient) {
    for (std::size_t j = 0; j < 4; ++j) (*gradient)[j] = sum[j + 1];
  }
  return sum[0];
}

double total_of_rounded(const BgBbParams& params, const std::vector<FrequencyRecencyPattern>& data,
                        std::array<double, 4>* gradient, int threads) {
  if (gradient == nullptr) return total_log_likelihood<false>(params, data, nullptr, threads);
  return total_log_likelihood<true>(params, data, gradient, threads);
}

}  // namespace

double bgbb_total_log_likelihood(const BgBbParams& params,
                                 const std::vector<FrequencyRecencyPattern>& data,
                                 std::array<double, 4>* gradient, int threads) noexcept {
  return total_of_rounded(params, rounded(data), gradient, threads);
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

  const std::vector<FrequencyRecencyPattern> prepared = rounded(data);
  const int threads = options.threads;
  const LogLikelihoodFunction log_likelihood = [&prepared, threads](const Eigen::VectorXd& theta,
                                                                    Eigen::VectorXd* gradient) {
    const BgBbParams params{theta[0], theta[1], theta[2], theta[3]};
    if (gradient == nullptr) return total_of_rounded(params, prepared, nullptr, threads);
    std::array<double, 4> g{};
    const double value = total_of_rounded(params, prepared, &g, threads);
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
