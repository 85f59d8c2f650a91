#pragma once
// Maximum-likelihood fitting shared by every model: L-BFGS (LBFGSpp) on log-parameters,
// restarts from other starting points, observed-information standard errors (delta method).

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace clvkit {

/// Controls of maximize_log_likelihood.
struct FitOptions {
  int max_iterations = 500;          ///< L-BFGS iterations per start
  double gradient_tolerance = 1e-7;  ///< on the gradient w.r.t. log-parameters, relative to |LL|
  int max_starts = 6;                ///< the first start plus retries from other starts
  /// Run every start (up to max_starts) and keep the converged one with the highest
  /// log-likelihood, instead of stopping at the first start that converges.
  bool try_all_starts = false;
  /// Threads that prepare the data and evaluate the likelihood (<= 1: the calling thread only).
  /// The work is cut into fixed blocks whose results are combined in a fixed order, so the fit
  /// does not depend on it.
  int threads = 1;
};

/// One estimated parameter with its standard error and a 95% interval. The interval is
/// computed on the log scale (exp(log theta +- 1.96 se_log)), so it stays positive.
struct ParameterEstimate {
  std::string name;
  double value = 0.0;
  double standard_error = 0.0;  ///< delta method; 0 when standard errors are unavailable
  double ci_low = 0.0;
  double ci_high = 0.0;
};

/// How the reported run ended. `converged` is decided by clvkit from the gradient (see
/// maximize_log_likelihood), never from the optimiser's own return value.
enum class FitTermination { converged, max_iterations, line_search_failed, failed };
/// "converged", "max_iterations", "line_search_failed" or "failed" (stable JSON keys).
const char* fit_termination_key(FitTermination termination) noexcept;

/// Everything a fit reports (Ceres-style Summary), and how to say it.
struct FitSummary {
  std::string model;
  FitTermination termination = FitTermination::failed;
  std::string message;
  int iterations = 0;            ///< L-BFGS iterations, summed over every start tried
  int function_evaluations = 0;  ///< log-likelihood + gradient evaluations, all starts
  int starts_tried = 0;
  int best_start = 0;  ///< 1-based index of the start whose result is reported (0: none)
  double log_likelihood = 0.0;
  double gradient_norm = 0.0;  ///< max |dLL/dlog(theta)| at the solution
  double aic = 0.0;
  double bic = 0.0;
  std::int64_t n_observations = 0;  ///< customers (sum of weights)
  std::vector<ParameterEstimate> parameters;
  bool standard_errors_available = false;
  std::string standard_errors_message;  ///< why SEs are missing, when they are
  /// cov(log theta) = inverse observed information, k*k row-major in the order of `parameters`;
  /// empty when standard errors are unavailable.
  std::vector<double> log_parameter_covariance;

  /// Whether the reported run converged (termination is FitTermination::converged).
  bool converged() const noexcept { return termination == FitTermination::converged; }
  /// Whether the estimates may feed predictions: the fit converged and every parameter is
  /// positive and finite. Callers that predict anyway say so (validate, report warn).
  bool is_usable() const noexcept;
  /// The fit for people, as `clvkit fit` prints it: a line with the model, convergence,
  /// iterations, log-likelihood and AIC, then one line per parameter with its standard error and
  /// 95% interval (or a line saying why there are no standard errors).
  std::string brief_report() const;
  /// One line for a fit that should not be trusted silently: "the <model> fit did not converge:
  /// <message>", or "<model>: <why no standard errors>"; empty for a usable fit with standard
  /// errors.
  std::string warning() const;
};

/// Log-likelihood of natural (positive) parameters; fills `gradient` (same size) when non-null.
/// Returns a non-finite value when the parameters are outside the model's domain.
using LogLikelihoodFunction =
    std::function<double(const Eigen::VectorXd& params, Eigen::VectorXd* gradient)>;

/// Maximises `log_likelihood` over positive parameters named `names`, from each of `starts` in
/// turn until one converges. Throws ModelError when no start gives a finite likelihood.
///
/// Minimises f(theta) = -LL(exp(theta)) / n_observations with L-BFGS (LBFGSpp, with a
/// strong-Wolfe line search of clvkit's own that steps back from non-finite values). Line-search
/// failures are caught; the best point seen is kept and L-BFGS is restarted from it while it still
/// improves. A run has converged when max_i |dLL/dtheta_i| <= gradient_tolerance * max(1, |LL|).
/// When the given starts are used up without convergence and max_starts allows, further starts are
/// derived from the best point so far (itself, then deterministic perturbations of it). The
/// reported run is the first converged one (or, with try_all_starts, the converged one with the
/// highest LL); when none converged, the one with the highest LL, with converged = false and the
/// reason in `message`.
///
/// A parameter that ends more than e^15 (3.3e6) times away from every start is reported in
/// `message` as running off to the edge of the parameter space (not identified by the data).
///
/// Standard errors: the observed information -d2LL/dtheta2 is computed by central differences
/// of the analytic gradient (step 1e-4 on the log scale) and symmetrised. When the fit did not
/// converge, a parameter is at the edge, the information is not positive definite or its
/// condition number exceeds 1e12, standard_errors_available is false and
/// standard_errors_message says why; otherwise
/// cov(theta) = information^-1 (kept in log_parameter_covariance), se(p_i) = p_i sqrt(cov_ii)
/// (delta method) and the 95% interval is exp(theta_i +- 1.96 sqrt(cov_ii)). AIC = 2k - 2LL, BIC =
/// k ln(n) - 2LL.
///
/// Throws ModelError for malformed arguments (no parameter names, a start of the wrong size or
/// with a non-positive value, n_observations < 1, non-positive options). Deterministic.
FitSummary maximize_log_likelihood(const std::string& model, const std::vector<std::string>& names,
                                   const LogLikelihoodFunction& log_likelihood,
                                   const std::vector<Eigen::VectorXd>& starts,
                                   std::int64_t n_observations, const FitOptions& options = {});

}  // namespace clvkit
