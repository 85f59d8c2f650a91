#include "clvkit/models/gamma_gamma_fit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "clvkit/error.hpp"

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

std::vector<SpendPattern> compress(const std::vector<SpendObservation>& data) {
  std::vector<SpendPattern> patterns;
  patterns.reserve(data.size());
  for (const SpendObservation& o : data) patterns.push_back({o.x, o.m, 1.0});
  std::sort(patterns.begin(), patterns.end(), [](const SpendPattern& a, const SpendPattern& b) {
    return a.x != b.x ? a.x < b.x : a.m < b.m;
  });
  std::size_t out = 0;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    if (out > 0 && patterns[out - 1].x == patterns[i].x && patterns[out - 1].m == patterns[i].m) {
      patterns[out - 1].count += 1.0;
    } else {
      patterns[out++] = patterns[i];
    }
  }
  patterns.resize(out);
  return patterns;
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

GammaGammaFit fit_gamma_gamma(const std::vector<SpendObservation>& data,
                              const FitOptions& options) {
  check_data(data);
  const std::vector<SpendPattern> patterns = compress(data);

  const LogLikelihoodFunction log_likelihood = [&patterns](const Eigen::VectorXd& theta,
                                                           Eigen::VectorXd* gradient) {
    const GammaGammaParams params{theta[0], theta[1], theta[2]};
    double total = 0.0;
    if (gradient == nullptr) {
      for (const SpendPattern& s : patterns) {
        total += s.count * gamma_gamma_log_likelihood(params, s.x, s.m);
      }
      return total;
    }
    std::array<double, 3> sum{0.0, 0.0, 0.0};
    std::array<double, 3> g{};
    for (const SpendPattern& s : patterns) {
      total += s.count * gamma_gamma_log_likelihood_gradient(params, s.x, s.m, g);
      for (std::size_t i = 0; i < 3; ++i) sum[i] += s.count * g[i];
    }
    *gradient = Eigen::Vector3d(sum[0], sum[1], sum[2]);
    return total;
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
