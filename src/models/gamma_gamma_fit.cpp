#include "clvkit/models/gamma_gamma_fit.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/numerics/log_space.hpp"

namespace clvkit {

namespace {

std::string format_number(double value) {
  std::ostringstream out;
  out << std::setprecision(6) << value;
  return out.str();
}

// A distinct (x, m) pair and how many customers share it. Spend is usually recorded in cents,
// so large customer bases repeat pairs often; the sorted order also makes the summed
// likelihood independent of the input order.
struct SpendPattern {
  double x = 0.0;
  double m = 0.0;
  double count = 0.0;
};

// Stable LSD radix sort of `items` by a non-negative double member: for x >= +0 the IEEE bit
// patterns read as unsigned integers are ordered like the values. A byte that is the same in
// every key is skipped, so x (a small count: two varying bytes) costs two passes. Sorting the
// ~1M observations of a large customer base this way takes a third of std::sort's time.
void radix_sort(std::vector<SpendObservation>& items, double SpendObservation::*key,
                std::vector<SpendObservation>& scratch) {
  const auto bits = [key](const SpendObservation& o) {
    return std::bit_cast<std::uint64_t>(o.*key);
  };
  std::array<std::array<std::size_t, 256>, 8> histogram{};
  for (const SpendObservation& o : items) {
    const std::uint64_t b = bits(o);
    for (std::size_t byte = 0; byte < 8; ++byte) ++histogram[byte][(b >> (8 * byte)) & 0xff];
  }
  scratch.resize(items.size());
  for (std::size_t byte = 0; byte < 8; ++byte) {
    std::array<std::size_t, 256>& next = histogram[byte];  // becomes the first free slot
    if (std::find(next.begin(), next.end(), items.size()) != next.end()) continue;
    std::size_t offset = 0;
    for (std::size_t& n : next) offset += std::exchange(n, offset);
    for (const SpendObservation& o : items) scratch[next[(bits(o) >> (8 * byte)) & 0xff]++] = o;
    items.swap(scratch);
  }
}

// Sorted by (x, m) (m first, then stably by x) and equal pairs merged.
std::vector<SpendPattern> compress(const std::vector<SpendObservation>& data) {
  std::vector<SpendObservation> sorted = data;
  std::vector<SpendObservation> scratch;
  radix_sort(sorted, &SpendObservation::m, scratch);
  radix_sort(sorted, &SpendObservation::x, scratch);
  std::vector<SpendPattern> patterns;
  for (const SpendObservation& o : sorted) {
    if (!patterns.empty() && patterns.back().x == o.x && patterns.back().m == o.m) {
      patterns.back().count += 1.0;
    } else {
      patterns.push_back({o.x, o.m, 1.0});
    }
  }
  return patterns;
}

// ---------------------------------------------------------------------------------------------
// Fast evaluation of the total log-likelihood.
//
// Per observation, LL = -log B(px, q) - q u - px v - log m with u = log1p(xm/gamma) and
// v = log1p(gamma/(xm)) (gamma_gamma.cpp). The beta function and the digammas of the gradient
// depend on x only, and x takes few values (purchase counts) while m is nearly unique per
// customer. So the observations, sorted by (x, m), are cut into groups of equal x; per
// evaluation the special functions are computed once per group, and per observation only u,
// v and 1/(xm + gamma) remain, summed per group:
//   sum LL      = -n lbeta(px, q) - q sum u - px sum v - sum log m
//   sum dLL/dp  = x [n (psi(px+q) - psi(px)) - sum v]
//   sum dLL/dq  = n (psi(px+q) - psi(q)) - sum u
//   sum dLL/dg  = n q/gamma - (px + q) sum 1/(xm + gamma)
// with every sum weighted by the pattern counts.

struct PreparedSpend {
  double xm;      // x m
  double inv_xm;  // 1 / (x m)
  double log_xm;  // log(x m)
  double count;
};

struct SpendGroup {
  double x = 0.0;
  std::size_t begin = 0;  // [begin, end) in PreparedSpendData::spends
  std::size_t end = 0;
  double count = 0.0;        // sum of counts
  double count_log_m = 0.0;  // sum of count * log m: constant across evaluations
};

struct PreparedSpendData {
  std::vector<PreparedSpend> spends;
  std::vector<SpendGroup> groups;
};

// `patterns` sorted by x (as compress returns them).
PreparedSpendData prepare(const std::vector<SpendPattern>& patterns) {
  PreparedSpendData data;
  data.spends.reserve(patterns.size());
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const SpendPattern& s = patterns[i];
    if (data.groups.empty() || data.groups.back().x != s.x) {
      data.groups.push_back({s.x, i, i, 0.0, 0.0});
    }
    SpendGroup& group = data.groups.back();
    const double xm = s.x * s.m;
    data.spends.push_back({xm, 1.0 / xm, std::log(xm), s.count});
    group.end = i + 1;
    group.count += s.count;
    group.count_log_m += s.count * std::log(s.m);
  }
  return data;
}

// u = log1p(xm/gamma) and v = log1p(gamma/(xm)) differ by log(xm) - log(gamma), so one log1p
// gives both. It is taken of the ratio that is <= 1, whose log1p is the small one of the two:
// the other one is then a sum of non-negative terms, and no digits cancel in either.
struct LogTerms {
  double u;
  double v;
};

LogTerms log_terms(const PreparedSpend& s, double gamma, double inv_gamma,
                   double log_gamma) noexcept {
  if (s.xm <= gamma) {
    const double u = std::log1p(s.xm * inv_gamma);
    return {u, u + (log_gamma - s.log_xm)};
  }
  const double v = std::log1p(gamma * s.inv_xm);
  return {v + (s.log_xm - log_gamma), v};
}

template <bool kGradient>
double total_log_likelihood(const GammaGammaParams& params, const PreparedSpendData& data,
                            std::array<double, 3>* gradient) {
  const double p = params.p;
  const double q = params.q;
  const double gamma = params.gamma;
  const double inv_gamma = 1.0 / gamma;
  const double log_gamma = std::log(gamma);
  const double psi_q = kGradient ? digamma(q) : 0.0;
  double total = 0.0;
  std::array<double, 3> sum{0.0, 0.0, 0.0};
  for (const SpendGroup& group : data.groups) {
    double sum_u = 0.0;
    double sum_v = 0.0;
    double sum_w = 0.0;  // sum of count / (xm + gamma)
    for (std::size_t i = group.begin; i < group.end; ++i) {
      const PreparedSpend& s = data.spends[i];
      const LogTerms t = log_terms(s, gamma, inv_gamma, log_gamma);
      sum_u += s.count * t.u;
      sum_v += s.count * t.v;
      if constexpr (kGradient) sum_w += s.count / (s.xm + gamma);
    }
    const double px = p * group.x;
    total += -group.count * lbeta(px, q) - q * sum_u - px * sum_v - group.count_log_m;
    if constexpr (kGradient) {
      const double psi_pxq = digamma(px + q);
      sum[0] += group.x * (group.count * (psi_pxq - digamma(px)) - sum_v);
      sum[1] += group.count * (psi_pxq - psi_q) - sum_u;
      sum[2] += group.count * q * inv_gamma - (px + q) * sum_w;
    }
  }
  if constexpr (kGradient) *gradient = sum;
  return total;
}

bool valid(const GammaGammaParams& params) {
  const auto positive_finite = [](double v) { return v > 0.0 && std::isfinite(v); };
  return positive_finite(params.p) && positive_finite(params.q) && positive_finite(params.gamma);
}

double total_log_likelihood(const GammaGammaParams& params, const PreparedSpendData& data,
                            std::array<double, 3>* gradient) {
  if (!valid(params)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (gradient != nullptr) *gradient = {nan, nan, nan};
    return nan;
  }
  if (gradient == nullptr) return total_log_likelihood<false>(params, data, nullptr);
  return total_log_likelihood<true>(params, data, gradient);
}

void check_data(const std::vector<SpendObservation>& data) {
  if (data.empty()) {
    throw ModelError(
        "gamma-gamma fit: no repeat buyers to fit (need customers with x >= 1 and "
        "mean spend m > 0)");
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    const SpendObservation& o = data[i];
    if (!(o.x >= 1.0) || !std::isfinite(o.x)) {
      throw ModelError("gamma-gamma fit: observation " + std::to_string(i + 1) +
                       " has x = " + format_number(o.x) +
                       ", but must have at least 1 repeat purchase (filter out one-time buyers)");
    }
    if (!(o.m > 0.0) || !std::isfinite(o.m)) {
      throw ModelError("gamma-gamma fit: observation " + std::to_string(i + 1) + " has m = " +
                       format_number(o.m) + ", but the mean spend must be positive and finite");
    }
  }
}

// Weighted by the pattern counts, so it equals the per-customer Pearson correlation; computed
// on the sorted patterns so that the result does not depend on the input order.
double pearson_correlation(const std::vector<SpendPattern>& patterns) {
  double n = 0.0;
  double mean_x = 0.0;
  double mean_m = 0.0;
  for (const SpendPattern& s : patterns) {
    n += s.count;
    mean_x += s.count * s.x;
    mean_m += s.count * s.m;
  }
  mean_x /= n;
  mean_m /= n;
  double sxx = 0.0;
  double smm = 0.0;
  double sxm = 0.0;
  for (const SpendPattern& s : patterns) {
    const double dx = s.x - mean_x;
    const double dm = s.m - mean_m;
    sxx += s.count * dx * dx;
    smm += s.count * dm * dm;
    sxm += s.count * dx * dm;
  }
  // Undefined when x or m is constant; report 0 (no evidence of dependence) rather than NaN.
  if (!(sxx > 0.0) || !(smm > 0.0)) return 0.0;
  return sxm / std::sqrt(sxx * smm);
}

// Starting values. A moment start: given nu, m has mean p/nu and variance p/(x nu^2); with
// E[1/nu] = gamma/(q-1) and E[1/nu^2] = gamma^2/((q-1)(q-2)),
//   E[m] = p gamma/(q-1),  E[m^2]/E[m]^2 = k (p + E[1/x]) / p,  k = (q-1)/(q-2)   (q > 2).
// Two moments cannot also pin q, so q is guessed (3, then 5) and p, gamma solved for; a guess
// is used only when it gives a positive p. Then the neutral starts (1, 2, mean m) (whose
// population mean equals the sample mean) and (1, 1, 1).
std::vector<Eigen::VectorXd> starting_values(const std::vector<SpendPattern>& patterns) {
  double n = 0.0;
  double mean_m = 0.0;
  double mean_m2 = 0.0;
  double mean_inv_x = 0.0;
  for (const SpendPattern& s : patterns) {
    n += s.count;
    mean_m += s.count * s.m;
    mean_m2 += s.count * s.m * s.m;
    mean_inv_x += s.count / s.x;
  }
  mean_m /= n;
  mean_m2 /= n;
  mean_inv_x /= n;
  const double ratio = mean_m2 / (mean_m * mean_m);
  std::vector<Eigen::VectorXd> starts;
  for (const double q : {3.0, 5.0}) {
    const double k = (q - 1.0) / (q - 2.0);
    if (!(ratio > k * 1.0001)) continue;
    const double p = k * mean_inv_x / (ratio - k);
    const double gamma = mean_m * (q - 1.0) / p;
    if (p > 0.0 && std::isfinite(p) && gamma > 0.0 && std::isfinite(gamma)) {
      starts.push_back(Eigen::Vector3d(p, q, gamma));
    }
  }
  starts.push_back(Eigen::Vector3d(1.0, 2.0, mean_m));
  starts.push_back(Eigen::Vector3d(1.0, 1.0, 1.0));
  return starts;
}

}  // namespace

double gamma_gamma_total_log_likelihood(const GammaGammaParams& params,
                                        const std::vector<SpendObservation>& data,
                                        std::array<double, 3>* gradient) {
  return total_log_likelihood(params, prepare(compress(data)), gradient);
}

GammaGammaFit fit_gamma_gamma(const std::vector<SpendObservation>& data,
                              const FitOptions& options) {
  check_data(data);
  const std::vector<SpendPattern> patterns = compress(data);

  const PreparedSpendData prepared = prepare(patterns);
  const LogLikelihoodFunction log_likelihood = [&prepared](const Eigen::VectorXd& theta,
                                                           Eigen::VectorXd* gradient) {
    const GammaGammaParams params{theta[0], theta[1], theta[2]};
    if (gradient == nullptr) return total_log_likelihood(params, prepared, nullptr);
    std::array<double, 3> g{};
    const double value = total_log_likelihood(params, prepared, &g);
    *gradient = Eigen::Vector3d(g[0], g[1], g[2]);
    return value;
  };

  GammaGammaFit fit;
  fit.customers_used = static_cast<std::int64_t>(data.size());
  fit.frequency_spend_correlation = pearson_correlation(patterns);
  fit.summary = maximize_log_likelihood("gamma-gamma", {"p", "q", "gamma"}, log_likelihood,
                                        starting_values(patterns), fit.customers_used, options);
  const auto& estimates = fit.summary.parameters;
  fit.params = GammaGammaParams{estimates[0].value, estimates[1].value, estimates[2].value};
  if (!(fit.params.q > 1.0)) {
    throw ModelError("gamma-gamma fit: q = " + format_number(fit.params.q) + " <= 1 at the " +
                     (fit.summary.converged ? "maximum-likelihood estimate"
                                            : "best point found (the fit did not converge)") +
                     ": the data's spend is too "
                     "heavy-tailed for a finite mean spend, so E[M] and CLV do not exist");
  }
  return fit;
}

}  // namespace clvkit
