#include "clvkit/models/bgnbd_fit.hpp"

#include <algorithm>
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

// Neumaier's compensated sum: the total log-likelihood of a million customers is a sum of a
// million terms, and the line search compares totals that differ in the 12th digit near the
// optimum.
class CompensatedSum {
 public:
  void add(double value) noexcept {
    const double t = sum_ + value;
    if (std::abs(sum_) >= std::abs(value)) {
      compensation_ += (sum_ - t) + value;
    } else {
      compensation_ += (value - t) + sum_;
    }
    sum_ = t;
  }
  double value() const noexcept { return sum_ + compensation_; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

// `what` is "bgnbd data: customer" or "bgnbd fit: pattern"; i is 0-based.
void check_customer(const char* what, std::size_t i, double x, double t_x, double T) {
  const std::string where = std::string(what) + " " + std::to_string(i + 1) + " has ";
  if (!(x >= 0.0) || !std::isfinite(x)) {
    throw ModelError(where + "x = " + format_number(x) +
                     ", but the number of repeat purchases must be non-negative and finite");
  }
  if (!(T >= 0.0) || !std::isfinite(T)) {
    throw ModelError(where + "T = " + format_number(T) + ", but must be non-negative and finite");
  }
  if (!(t_x >= 0.0) || !(t_x <= T)) {
    throw ModelError(where + "t_x = " + format_number(t_x) +
                     ", but must be in [0, T = " + format_number(T) + "]");
  }
}

}  // namespace

std::vector<FrequencyRecencyPattern> compress_patterns(const std::vector<double>& x,
                                                       const std::vector<double>& t_x,
                                                       const std::vector<double>& T) {
  if (x.size() != t_x.size() || x.size() != T.size()) {
    throw ModelError("bgnbd data: x, t_x and T have different lengths (" +
                     std::to_string(x.size()) + ", " + std::to_string(t_x.size()) + ", " +
                     std::to_string(T.size()) + ")");
  }
  std::vector<FrequencyRecencyPattern> patterns;
  patterns.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    check_customer("bgnbd data: customer", i, x[i], t_x[i], T[i]);
    patterns.push_back({x[i], t_x[i], T[i], 1.0});
  }
  std::sort(patterns.begin(), patterns.end(),
            [](const FrequencyRecencyPattern& a, const FrequencyRecencyPattern& b) {
              if (a.x != b.x) return a.x < b.x;
              if (a.t_x != b.t_x) return a.t_x < b.t_x;
              return a.T < b.T;
            });
  // Merge exactly equal triples only: rounding them together would change the likelihood.
  std::size_t out = 0;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const FrequencyRecencyPattern& p = patterns[i];
    if (out > 0) {
      FrequencyRecencyPattern& last = patterns[out - 1];
      if (last.x == p.x && last.t_x == p.t_x && last.T == p.T) {
        last.count += 1.0;
        continue;
      }
    }
    patterns[out++] = p;
  }
  patterns.resize(out);
  patterns.shrink_to_fit();
  return patterns;
}

double bgnbd_total_log_likelihood(const BgNbdParams& params,
                                  const std::vector<FrequencyRecencyPattern>& data,
                                  std::array<double, 4>* gradient) noexcept {
  CompensatedSum total;
  if (gradient == nullptr) {
    for (const FrequencyRecencyPattern& d : data) {
      total.add(d.count * bgnbd_log_likelihood(params, d.x, d.t_x, d.T));
    }
    return total.value();
  }
  std::array<CompensatedSum, 4> sum;
  std::array<double, 4> g{};
  for (const FrequencyRecencyPattern& d : data) {
    total.add(d.count * bgnbd_log_likelihood_gradient(params, d.x, d.t_x, d.T, g));
    for (std::size_t i = 0; i < 4; ++i) sum[i].add(d.count * g[i]);
  }
  for (std::size_t i = 0; i < 4; ++i) (*gradient)[i] = sum[i].value();
  return total.value();
}

BgNbdFit fit_bgnbd(const std::vector<FrequencyRecencyPattern>& data, const FitOptions& options) {
  double customers = 0.0;
  double repeat_buyers = 0.0;
  double sum_x = 0.0;
  double sum_T = 0.0;
  double max_T = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const FrequencyRecencyPattern& d = data[i];
    if (!(d.count > 0.0) || !std::isfinite(d.count)) {
      throw ModelError("bgnbd fit: pattern " + std::to_string(i + 1) + " has count " +
                       format_number(d.count) + ", but must be positive and finite");
    }
    check_customer("bgnbd fit: pattern", i, d.x, d.t_x, d.T);
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

  const LogLikelihoodFunction log_likelihood = [&data](const Eigen::VectorXd& theta,
                                                       Eigen::VectorXd* gradient) {
    const BgNbdParams params{theta[0], theta[1], theta[2], theta[3]};
    if (gradient == nullptr) return bgnbd_total_log_likelihood(params, data, nullptr);
    std::array<double, 4> g{};
    const double value = bgnbd_total_log_likelihood(params, data, &g);
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
