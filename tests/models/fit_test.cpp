#include "clvkit/models/fit.hpp"

#include <array>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "clvkit/error.hpp"

namespace {

using clvkit::FitOptions;
using clvkit::FitSummary;
using clvkit::FitTermination;
using clvkit::LogLikelihoodFunction;
using clvkit::maximize_log_likelihood;
using clvkit::ModelError;
using Eigen::VectorXd;

// The message of the ModelError that `f` throws; any other exception escapes and fails the test.
template <typename F>
std::string model_error_message(F&& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "<no ModelError thrown>";
}

VectorXd vec(std::initializer_list<double> values) {
  VectorXd v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double value : values) v[i++] = value;
  return v;
}

// A fixed positive sample (no RNG, so the test is the same everywhere).
const std::vector<double>& sample() {
  static const std::vector<double> data = {
      0.42, 1.73, 0.95, 2.61, 0.18, 1.27, 3.44, 0.77, 1.05, 0.63, 2.08, 1.49, 0.31, 4.12,
      0.88, 1.91, 0.54, 1.36, 2.95, 0.71, 1.12, 0.26, 1.58, 2.23, 0.99, 0.47, 3.07, 1.64,
      0.83, 1.21, 0.38, 2.47, 1.02, 0.69, 1.84, 0.57, 1.33, 2.76, 0.92, 1.45};
  return data;
}

}  // namespace

TEST_CASE("fit termination keys are stable", "[fit]") {
  CHECK(std::string(clvkit::fit_termination_key(FitTermination::converged)) == "converged");
  CHECK(std::string(clvkit::fit_termination_key(FitTermination::max_iterations)) ==
        "max_iterations");
  CHECK(std::string(clvkit::fit_termination_key(FitTermination::line_search_failed)) ==
        "line_search_failed");
  CHECK(std::string(clvkit::fit_termination_key(FitTermination::failed)) == "failed");
}

TEST_CASE("an interval that leaves the double range is reported as not available, with why",
          "[fit][inputcheck]") {
  // LL = -c ((log p0)^2 + (log p1)^2) + 1000 with c = 1e-9: the optimum p = (1, 1) is well
  // defined and the information well conditioned, but se(log p) = 1/sqrt(2c) ~ 22,000, so
  // exp(+-1.96 se) is 0 and inf (issue 13: a stray date gave se(a) = 4.9e9 and aborted the run).
  const double c = 1e-9;
  const LogLikelihoodFunction ll = [&](const VectorXd& p, VectorXd* g) {
    if (g) {
      for (int j = 0; j < 2; ++j) (*g)[j] = -2.0 * c * std::log(p[j]) / p[j];
    }
    return -c * (std::pow(std::log(p[0]), 2) + std::pow(std::log(p[1]), 2)) + 1000.0;
  };
  const FitSummary fit = maximize_log_likelihood("flat", {"u", "v"}, ll, {vec({1.0, 1.0})}, 100);
  REQUIRE(fit.converged());
  CHECK_FALSE(fit.standard_errors_available);
  CHECK_THAT(fit.standard_errors_message,
             Catch::Contains("95% interval of u") && Catch::Contains("do not bound it"));
  CHECK(fit.log_parameter_covariance.empty());
  for (const auto& p : fit.parameters) {
    CHECK(p.value == Approx(1.0));
    CHECK(p.standard_error == 0.0);
  }
}

TEST_CASE("driver finds the closed-form exponential MLE and its standard error", "[fit]") {
  // LL(lambda) = n log lambda - lambda S: lambda_hat = n / S, se = lambda_hat / sqrt(n),
  // and the log-scale interval is lambda_hat exp(+-1.96 / sqrt(n)).
  const auto& x = sample();
  const double n = static_cast<double>(x.size());
  const double s = std::accumulate(x.begin(), x.end(), 0.0);
  const LogLikelihoodFunction ll = [&](const VectorXd& p, VectorXd* g) {
    if (g) (*g)[0] = n / p[0] - s;
    return n * std::log(p[0]) - p[0] * s;
  };
  for (const double start : {1e-3, 0.1, 1.0, 50.0}) {
    CAPTURE(start);
    const FitSummary fit =
        maximize_log_likelihood("exponential", {"lambda"}, ll, {vec({start})}, x.size());
    const double lambda = n / s;
    REQUIRE(fit.converged());
    CHECK(fit.termination == FitTermination::converged);
    CHECK(fit.starts_tried == 1);
    CHECK(fit.best_start == 1);
    CHECK(fit.iterations >= 1);
    CHECK(fit.function_evaluations > fit.iterations);
    REQUIRE(fit.parameters.size() == 1);
    CHECK(fit.parameters[0].name == "lambda");
    // Gradient test 1e-7 * |LL| on dLL/dlog(lambda) = n - lambda S; the curvature is n, so
    // log(lambda) is within ~1e-7 * |LL| / n of the optimum: 1e-6 relative is safe.
    CHECK(fit.parameters[0].value == Approx(lambda).epsilon(1e-6));
    CHECK(fit.log_likelihood == Approx(n * std::log(lambda) - n).epsilon(1e-12));
    CHECK(fit.gradient_norm <= 1e-7 * std::abs(fit.log_likelihood));
    REQUIRE(fit.standard_errors_available);
    CHECK(fit.standard_errors_message.empty());
    // Central differences with step 1e-4 in log(lambda): error ~1e-8 relative on the SE.
    CHECK(fit.parameters[0].standard_error == Approx(lambda / std::sqrt(n)).epsilon(1e-6));
    CHECK(fit.parameters[0].ci_low ==
          Approx(lambda * std::exp(-1.96 / std::sqrt(n))).epsilon(1e-6));
    CHECK(fit.parameters[0].ci_high ==
          Approx(lambda * std::exp(1.96 / std::sqrt(n))).epsilon(1e-6));
    CHECK(fit.aic == Approx(2.0 - 2.0 * fit.log_likelihood).epsilon(1e-15));
    CHECK(fit.bic == Approx(std::log(n) - 2.0 * fit.log_likelihood).epsilon(1e-15));
    CHECK(fit.n_observations == static_cast<std::int64_t>(x.size()));
    CHECK(fit.model == "exponential");
  }
}

TEST_CASE("driver matches the gamma MLE and the inverse Fisher information", "[fit]") {
  // Gamma(k, rate beta): beta_hat = k_hat / mean(x), and k_hat solves
  // log k - psi(k) = log mean(x) - mean(log x). The second derivatives do not depend on the
  // data, so observed = expected information n [[psi'(k), -1/beta], [-1/beta, k/beta^2]].
  const auto& x = sample();
  const double n = static_cast<double>(x.size());
  double sum = 0.0;
  double sum_log = 0.0;
  for (double v : x) {
    sum += v;
    sum_log += std::log(v);
  }
  const double target = std::log(sum / n) - sum_log / n;
  double lo = 1e-3;
  double hi = 1e3;
  for (int i = 0; i < 200; ++i) {  // bisection: log k - psi(k) is decreasing
    const double mid = std::sqrt(lo * hi);
    (std::log(mid) - boost::math::digamma(mid) > target ? lo : hi) = mid;
  }
  const double k = std::sqrt(lo * hi);
  const double beta = k / (sum / n);
  const double det = n * n * (boost::math::trigamma(k) * k / (beta * beta) - 1.0 / (beta * beta));
  const double var_k = n * k / (beta * beta) / det;
  const double var_beta = n * boost::math::trigamma(k) / det;

  const LogLikelihoodFunction ll = [&](const VectorXd& p, VectorXd* g) {
    const double kk = p[0];
    const double b = p[1];
    if (g) {
      (*g)[0] = n * std::log(b) - n * boost::math::digamma(kk) + sum_log;
      (*g)[1] = n * kk / b - sum;
    }
    return n * kk * std::log(b) - n * boost::math::lgamma(kk) + (kk - 1.0) * sum_log - b * sum;
  };
  const FitSummary fit =
      maximize_log_likelihood("gamma", {"k", "beta"}, ll, {vec({1.0, 1.0})}, x.size());
  CAPTURE(fit.message, fit.iterations);
  REQUIRE(fit.converged());
  CHECK(fit.parameters[0].value == Approx(k).epsilon(1e-5));
  CHECK(fit.parameters[1].value == Approx(beta).epsilon(1e-5));
  REQUIRE(fit.standard_errors_available);
  // 1e-5: the estimate is within ~1e-6 of the optimum and the information varies with k.
  CHECK(fit.parameters[0].standard_error == Approx(std::sqrt(var_k)).epsilon(1e-5));
  CHECK(fit.parameters[1].standard_error == Approx(std::sqrt(var_beta)).epsilon(1e-5));
  CHECK(fit.parameters[0].ci_low < k);
  CHECK(fit.parameters[0].ci_high > k);
  CHECK(fit.aic == Approx(4.0 - 2.0 * fit.log_likelihood));
  CHECK(fit.bic == Approx(2.0 * std::log(n) - 2.0 * fit.log_likelihood));
}

TEST_CASE("driver refuses standard errors along a flat direction and says why", "[fit]") {
  // LL depends on a * b only: every point of the ridge a b = e is a maximum, the information
  // is singular along (+log a, -log b).
  const double n = 100.0;
  const LogLikelihoodFunction ll = [&](const VectorXd& p, VectorXd* g) {
    const double u = std::log(p[0] * p[1]) - 1.0;
    if (g) {
      (*g)[0] = -2.0 * n * u / p[0];
      (*g)[1] = -2.0 * n * u / p[1];
    }
    return -n * u * u;
  };
  const FitSummary fit = maximize_log_likelihood("ridge", {"a", "b"}, ll, {vec({0.3, 0.5})}, 100);
  CAPTURE(fit.message, fit.standard_errors_message);
  REQUIRE(fit.converged());
  CHECK(fit.parameters[0].value * fit.parameters[1].value == Approx(std::exp(1.0)).epsilon(1e-6));
  CHECK_FALSE(fit.standard_errors_available);
  const std::string& why = fit.standard_errors_message;
  CHECK_THAT(why, Catch::Contains("Hessian"));
  CHECK_THAT(why, Catch::Contains("flat"));
  CHECK_THAT(why, Catch::Contains("log a"));
  CHECK_THAT(why, Catch::Contains("log b"));
  for (const auto& p : fit.parameters) {
    CHECK(p.standard_error == 0.0);
    CHECK(p.ci_low == 0.0);
    CHECK(p.ci_high == 0.0);
  }
}

TEST_CASE("driver refuses standard errors when the information is ill-conditioned", "[fit]") {
  // Curvature 1e14 times weaker along log b than along log a.
  const LogLikelihoodFunction ll = [](const VectorXd& p, VectorXd* g) {
    const double u = std::log(p[0]);
    const double v = std::log(p[1]);
    if (g) {
      (*g)[0] = -1e6 * u / p[0];
      (*g)[1] = -1e-8 * v / p[1];
    }
    return -0.5e6 * u * u - 0.5e-8 * v * v;
  };
  const FitSummary fit = maximize_log_likelihood("ill", {"a", "b"}, ll, {vec({1.0, 1.0})}, 10);
  CAPTURE(fit.standard_errors_message);
  REQUIRE(fit.converged());
  CHECK_FALSE(fit.standard_errors_available);
  CHECK_THAT(fit.standard_errors_message, Catch::Contains("condition number"));
  CHECK_THAT(fit.standard_errors_message, Catch::Contains("log b"));
}

TEST_CASE("driver retries from the next start when the first is in a NaN region", "[fit]") {
  // NaN for lambda > 10 (outside the "model's domain"); the MLE is 2.
  int calls = 0;
  const LogLikelihoodFunction ll = [&](const VectorXd& p, VectorXd* g) {
    ++calls;
    if (p[0] > 10.0) return std::numeric_limits<double>::quiet_NaN();
    if (g) (*g)[0] = 50.0 / p[0] - 25.0;
    return 50.0 * std::log(p[0]) - 25.0 * p[0];
  };
  const FitSummary fit =
      maximize_log_likelihood("nan-region", {"lambda"}, ll, {vec({20.0}), vec({0.1})}, 50);
  CAPTURE(fit.message);
  REQUIRE(fit.converged());
  CHECK(fit.starts_tried == 2);
  CHECK(fit.best_start == 2);
  CHECK(fit.parameters[0].value == Approx(2.0).epsilon(1e-6));
  CHECK(fit.function_evaluations == calls);
}

TEST_CASE("driver backtracks out of a NaN region met during the line search", "[fit]") {
  // The first L-BFGS step from 9.5 towards the optimum near 9.9 overshoots into the NaN
  // region above 10; the line search must shrink the step instead of failing.
  const LogLikelihoodFunction ll = [](const VectorXd& p, VectorXd* g) {
    if (p[0] >= 10.0) return std::numeric_limits<double>::quiet_NaN();
    if (g) (*g)[0] = 990.0 / p[0] - 100.0;
    return 990.0 * std::log(p[0]) - 100.0 * p[0];
  };
  const FitSummary fit =
      maximize_log_likelihood("nan-line-search", {"lambda"}, ll, {vec({0.5})}, 100);
  CAPTURE(fit.message);
  REQUIRE(fit.converged());
  CHECK(fit.starts_tried == 1);
  CHECK(fit.parameters[0].value == Approx(9.9).epsilon(1e-6));
}

TEST_CASE("driver reports non-convergence without trusting the optimiser", "[fit]") {
  SECTION("unbounded likelihood: no maximum to converge to") {
    const LogLikelihoodFunction ll = [](const VectorXd& p, VectorXd* g) {
      if (g) (*g)[0] = 1.0 / p[0];
      return std::log(p[0]);
    };
    FitOptions options;
    options.max_starts = 2;
    const FitSummary fit =
        maximize_log_likelihood("unbounded", {"p"}, ll, {vec({1.0})}, 1, options);
    CAPTURE(fit.message);
    CHECK_FALSE(fit.converged());
    CHECK(fit.termination != FitTermination::converged);
    CHECK(fit.starts_tried == 2);  // the given start plus one derived from the best point
    CHECK_THAT(fit.message, Catch::StartsWith("did not converge"));
    CHECK_THAT(fit.message, Catch::Contains("p = ") && Catch::Contains("edge of the parameter"));
    CHECK_FALSE(fit.standard_errors_available);
    CHECK_THAT(fit.standard_errors_message, Catch::Contains("did not converge"));
  }
  SECTION("iteration limit on the Rosenbrock valley") {
    const LogLikelihoodFunction ll = [](const VectorXd& p, VectorXd* g) {
      const double x = p[0];
      const double y = p[1];
      if (g) {
        (*g)[0] = -(-400.0 * x * (y - x * x) - 2.0 * (1.0 - x));
        (*g)[1] = -(200.0 * (y - x * x));
      }
      return -(100.0 * (y - x * x) * (y - x * x) + (1.0 - x) * (1.0 - x));
    };
    FitOptions options;
    options.max_iterations = 3;
    options.max_starts = 1;
    const FitSummary limited =
        maximize_log_likelihood("rosenbrock", {"x", "y"}, ll, {vec({0.2, 3.0})}, 1, options);
    CAPTURE(limited.message);
    CHECK_FALSE(limited.converged());
    CHECK(limited.termination == FitTermination::max_iterations);
    CHECK(limited.iterations == 3);
    CHECK_THAT(limited.message, Catch::Contains("iteration limit"));

    const FitSummary full =
        maximize_log_likelihood("rosenbrock", {"x", "y"}, ll, {vec({0.2, 3.0})}, 1);
    CAPTURE(full.message);
    REQUIRE(full.converged());
    CHECK(full.parameters[0].value == Approx(1.0).epsilon(1e-4));
    CHECK(full.parameters[1].value == Approx(1.0).epsilon(1e-4));
  }
}

TEST_CASE("driver flags a parameter that runs off to the edge of the parameter space", "[fit]") {
  // LL = -1/p increases towards p = infinity; its gradient in log p, 1/p, meets the test near
  // p = 1e7, which "converges" but is not an estimate.
  const LogLikelihoodFunction ll = [](const VectorXd& p, VectorXd* g) {
    if (g) (*g)[0] = 1.0 / (p[0] * p[0]);
    return -1.0 / p[0];
  };
  const FitSummary fit = maximize_log_likelihood("edge", {"p"}, ll, {vec({1.0})}, 1);
  CAPTURE(fit.message, fit.standard_errors_message);
  CHECK(fit.converged());
  CHECK(fit.parameters[0].value > 3e6);
  CHECK_THAT(fit.message,
             Catch::Contains("note: p = ") && Catch::Contains("edge of the parameter space"));
  CHECK_FALSE(fit.standard_errors_available);
  CHECK_THAT(fit.standard_errors_message,
             Catch::StartsWith("standard errors not computed: p = ") &&
                 Catch::Contains("at the edge of the parameter space"));
}

TEST_CASE("driver keeps the best converged start when asked to try them all", "[fit]") {
  // Two local maxima in log p: near log p = -1 (LL ~ 1) and near log p = +1 (LL ~ 2).
  const LogLikelihoodFunction ll = [](const VectorXd& p, VectorXd* g) {
    const double t = std::log(p[0]);
    const double value =
        std::exp(-4.0 * (t + 1) * (t + 1)) + 2.0 * std::exp(-4.0 * (t - 1) * (t - 1));
    if (g) {
      (*g)[0] = (-8.0 * (t + 1) * std::exp(-4.0 * (t + 1) * (t + 1)) -
                 16.0 * (t - 1) * std::exp(-4.0 * (t - 1) * (t - 1))) /
                p[0];
    }
    return value;
  };
  const std::vector<VectorXd> starts = {vec({std::exp(-1.2)}), vec({std::exp(1.3)})};
  const FitSummary first = maximize_log_likelihood("bimodal", {"p"}, ll, starts, 1);
  CHECK(first.starts_tried == 1);
  CHECK(std::log(first.parameters[0].value) == Approx(-1.0).margin(1e-3));
  FitOptions all;
  all.try_all_starts = true;
  const FitSummary best = maximize_log_likelihood("bimodal", {"p"}, ll, starts, 1, all);
  CHECK(best.starts_tried == 2);
  CHECK(best.best_start == 2);
  CHECK(std::log(best.parameters[0].value) == Approx(1.0).margin(1e-3));
}

TEST_CASE("driver results are deterministic", "[fit][consistency]") {
  const auto& x = sample();
  const double s = std::accumulate(x.begin(), x.end(), 0.0);
  const double n = static_cast<double>(x.size());
  const LogLikelihoodFunction ll = [&](const VectorXd& p, VectorXd* g) {
    if (g) (*g)[0] = n / p[0] - s;
    return n * std::log(p[0]) - p[0] * s;
  };
  const FitSummary a = maximize_log_likelihood("e", {"l"}, ll, {vec({3.0})}, x.size());
  const FitSummary b = maximize_log_likelihood("e", {"l"}, ll, {vec({3.0})}, x.size());
  CHECK(a.parameters[0].value == b.parameters[0].value);
  CHECK(a.parameters[0].standard_error == b.parameters[0].standard_error);
  CHECK(a.log_likelihood == b.log_likelihood);
  CHECK(a.iterations == b.iterations);
  CHECK(a.message == b.message);
}

TEST_CASE("driver rejects malformed arguments", "[fit][inputcheck]") {
  const LogLikelihoodFunction ll = [](const VectorXd& p, VectorXd* g) {
    if (g) (*g)[0] = 1.0 / p[0] - 1.0;
    return std::log(p[0]) - p[0];
  };
  CHECK_THAT(
      model_error_message([&] { maximize_log_likelihood("m", {"p"}, ll, {vec({-1.0})}, 1); }),
      Catch::Equals("m fit: start 1: p is -1, but must be positive and finite"));
  CHECK_THAT(model_error_message([&] {
               maximize_log_likelihood("m", {"p"}, ll, {vec({1.0, 2.0})}, 1);
             }),
             Catch::Equals("m fit: start 1 has 2 values for 1 parameters"));
  CHECK_THAT(model_error_message([&] { maximize_log_likelihood("m", {"p"}, ll, {vec({1.0})}, 0); }),
             Catch::Contains("n_observations is 0"));
  CHECK_THROWS_AS(maximize_log_likelihood("m", {"p"}, ll, {}, 1), ModelError);
  CHECK_THROWS_AS(maximize_log_likelihood("m", {}, ll, {vec({1.0})}, 1), ModelError);

  const LogLikelihoodFunction nowhere = [](const VectorXd&, VectorXd*) {
    return std::numeric_limits<double>::quiet_NaN();
  };
  CHECK_THAT(model_error_message([&] {
               maximize_log_likelihood("m", {"p"}, nowhere, {vec({1.0}), vec({2.0})}, 1);
             }),
             Catch::Equals("m fit: the log-likelihood is not finite at any "
                           "of the 2 starting values, so the model cannot "
                           "be fitted to this data"));
}
