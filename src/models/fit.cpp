#include "clvkit/models/fit.hpp"

#include <LBFGS.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/util/checks.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {

const char* fit_termination_key(FitTermination termination) noexcept {
  switch (termination) {
    case FitTermination::converged:
      return "converged";
    case FitTermination::max_iterations:
      return "max_iterations";
    case FitTermination::line_search_failed:
      return "line_search_failed";
    case FitTermination::failed:
      return "failed";
  }
  return "failed";
}

namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Standard errors are refused above this condition number of the observed information.
constexpr double kMaxConditionNumber = 1e12;
// Central differences of the analytic gradient on the log scale: truncation error ~h^2 = 1e-8
// relative, rounding error ~eps * |gradient terms| / h ~ 1e-12 * sqrt(n); both far below what
// a standard error needs, at two gradient evaluations per parameter (one evaluation on a
// million customers costs as much as one L-BFGS iteration).
constexpr double kHessianStep = 1e-4;
// L-BFGS restarts from the best point after a line-search failure, per start.
constexpr int kMaxRestartsPerStart = 8;
// LBFGSpp's own stopping test is set this much tighter than ours, so that when it stops
// normally our test passes too; when it cannot get that far it fails in the line search, which
// we catch and then judge the best point by our own test.
constexpr double kSolverToleranceFactor = 0.1;

// LL and its gradient with respect to theta = log(params), with a flag for "usable": the
// parameters are representable and the value and every gradient entry are finite.
struct Evaluation {
  bool finite = false;
  double log_likelihood = -kInfinity;
  VectorXd gradient_theta;  // dLL/dtheta_i = dLL/dp_i * p_i
};

Evaluation evaluate(const LogLikelihoodFunction& log_likelihood, const VectorXd& theta) {
  Evaluation result;
  const Eigen::Index k = theta.size();
  result.gradient_theta = VectorXd::Zero(k);
  VectorXd params(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    params[i] = std::exp(theta[i]);
    // exp over- or underflowed: outside the parameters the model can represent.
    if (!std::isfinite(theta[i]) || !std::isfinite(params[i]) || params[i] <= 0.0) return result;
  }
  VectorXd gradient = VectorXd::Zero(k);
  const double value = log_likelihood(params, &gradient);
  if (!std::isfinite(value) || gradient.size() != k || !gradient.allFinite()) return result;
  result.finite = true;
  result.log_likelihood = value;
  result.gradient_theta = gradient.cwiseProduct(params);
  return result;
}

double gradient_max_norm(const VectorXd& gradient_theta) {
  return gradient_theta.size() == 0 ? 0.0 : gradient_theta.cwiseAbs().maxCoeff();
}

double gradient_threshold(double log_likelihood, double tolerance) {
  return tolerance * std::max(1.0, std::abs(log_likelihood));
}

// The objective LBFGSpp minimises: f(theta) = -LL(exp(theta)) / scale. Points where the
// likelihood is not finite get +inf, which the line search treats as a step too long, shrinking
// the step. The functor remembers the best point it has seen, because LBFGSpp leaves its
// iterate at an arbitrary trial point when a line search throws.
struct Objective {
  const LogLikelihoodFunction* log_likelihood = nullptr;
  double scale = 1.0;
  int evaluations = 0;
  int line_searches = 0;  // one per L-BFGS iteration, counted by StrongWolfeLineSearch
  bool has_best = false;
  double best_value = kInfinity;
  VectorXd best_theta;
  Evaluation best;

  double operator()(const VectorXd& theta, VectorXd& gradient) {
    // LBFGSpp starts every run by evaluating its starting point, which is the best point seen
    // (already evaluated): answer that from memory, it costs a full pass over the data.
    if (has_best && theta == best_theta) {
      gradient = -best.gradient_theta / scale;
      return best_value;
    }
    ++evaluations;
    Evaluation e = evaluate(*log_likelihood, theta);
    if (!e.finite) {
      gradient.setZero();
      return kInfinity;
    }
    const double value = -e.log_likelihood / scale;
    gradient = -e.gradient_theta / scale;
    if (!has_best || value < best_value) {
      has_best = true;
      best_value = value;
      best_theta = theta;
      best = std::move(e);
    }
    return value;
  }
};

// Strong-Wolfe line search (bracketing, then zoom with safeguarded cubic interpolation; Nocedal
// & Wright, Numerical Optimization, 2nd ed., algorithms 3.5 and 3.6), written for this driver
// instead of LBFGSpp's own because
//  - LBFGSpp's backtracking search only doubles or halves the step, and on the long, curved
//    ridges of these likelihoods (r/alpha in BG/NBD, p/gamma in Gamma-Gamma) it can cycle
//    between a step that is too long and one that is too short until it gives up;
//  - LBFGSpp's Nocedal-Wright search interpolates with +inf (our value for points outside the
//    model's domain) and returns an arbitrary trial point when it runs out of trials.
// Non-finite values are treated as "too far" and bisected towards. When the trials run out (or
// the bracket shrinks below rounding), the best point that satisfies the sufficient-decrease
// condition is accepted if it keeps the curvature s'y positive, so the L-BFGS update stays
// positive definite; otherwise the search throws like LBFGSpp's, and the driver restarts.
// It also counts how often it runs: LBFGSpp performs exactly one line search per iteration.
template <typename Scalar>
class StrongWolfeLineSearch {
 public:
  template <typename Function, typename Vector>
  static void LineSearch(Function& f, Scalar& fx, Vector& x, Vector& grad, Scalar& step,
                         const Vector& drt, const Vector& xp,
                         const LBFGSpp::LBFGSParam<Scalar>& param) {
    ++f.line_searches;
    const Scalar f0 = fx;
    const Scalar dg0 = grad.dot(drt);
    if (!(dg0 < 0)) {
      throw std::logic_error("the moving direction does not decrease the objective function value");
    }
    const Scalar c1 = param.ftol;
    const Scalar c2 = param.wolfe;
    // `lo` is the best step so far that satisfies sufficient decrease (0 at the start); `hi`
    // is the other end of the bracket, +inf until one is found.
    Scalar lo = 0, f_lo = f0, dg_lo = dg0;
    Scalar hi = std::numeric_limits<Scalar>::infinity(), f_hi = 0, dg_hi = 0;
    bool have_lo = false;
    Vector x_lo = xp;
    Vector grad_lo = grad;
    Scalar alpha = std::min(step, param.max_step);
    for (int trial = 0; trial < param.max_linesearch; ++trial) {
      x.noalias() = xp + alpha * drt;
      fx = f(x, grad);
      const Scalar dg = grad.dot(drt);
      if (!std::isfinite(fx) || fx > f0 + c1 * alpha * dg0 || (have_lo && fx >= f_lo)) {
        hi = alpha;
        f_hi = fx;
        dg_hi = dg;
      } else {
        if (std::abs(dg) <= -c2 * dg0) {
          step = alpha;
          return;
        }
        if (dg * (hi - lo) >= 0) {  // the minimum lies between lo and alpha
          hi = lo;
          f_hi = f_lo;
          dg_hi = dg_lo;
        }
        lo = alpha;
        f_lo = fx;
        dg_lo = dg;
        have_lo = true;
        x_lo = x;
        grad_lo = grad;
      }
      if (std::isinf(hi)) {
        // Still descending steeply: extrapolate.
        alpha = std::min(Scalar(4) * alpha, param.max_step);
        if (alpha == lo) break;
        continue;
      }
      const Scalar width = std::abs(hi - lo);
      if (width <= Scalar(4) * std::numeric_limits<Scalar>::epsilon() * std::max(lo, hi) ||
          std::max(lo, hi) < param.min_step) {
        break;
      }
      alpha = interpolate(lo, f_lo, dg_lo, hi, f_hi, dg_hi);
    }
    // Out of trials: settle for sufficient decrease when the curvature pair stays usable.
    if (have_lo && dg_lo > dg0) {
      x = x_lo;
      grad = grad_lo;
      fx = f_lo;
      step = lo;
      return;
    }
    throw std::runtime_error("the line search found no step satisfying the Wolfe conditions");
  }

 private:
  // Minimiser of the cubic through (a, fa, da) and (b, fb, db), or of the quadratic through
  // (a, fa, da) and (b, fb) when db is unusable, kept inside the middle 80% of [a, b];
  // bisection when neither is defined (e.g. fb = +inf).
  static Scalar interpolate(Scalar a, Scalar fa, Scalar da, Scalar b, Scalar fb, Scalar db) {
    const Scalar low = std::min(a, b) + Scalar(0.1) * std::abs(b - a);
    const Scalar high = std::max(a, b) - Scalar(0.1) * std::abs(b - a);
    Scalar t = std::numeric_limits<Scalar>::quiet_NaN();
    if (std::isfinite(fb) && std::isfinite(db)) {
      const Scalar d1 = da + db - Scalar(3) * (fa - fb) / (a - b);
      const Scalar disc = d1 * d1 - da * db;
      if (disc >= 0) {
        const Scalar d2 = (b > a ? 1 : -1) * std::sqrt(disc);
        t = b - (b - a) * (db + d2 - d1) / (db - da + Scalar(2) * d2);
      }
    }
    if (!std::isfinite(t) && std::isfinite(fb)) {
      const Scalar h = b - a;
      const Scalar curvature = fb - fa - da * h;
      if (curvature > 0) t = a - da * h * h / (Scalar(2) * curvature);
    }
    if (!std::isfinite(t) || t < low || t > high) t = Scalar(0.5) * (a + b);
    return t;
  }
};

struct RunResult {
  bool started = false;  // the likelihood was finite at the start
  FitTermination termination = FitTermination::failed;
  std::string detail;  // last LBFGSpp exception message, if any
  int iterations = 0;
  int evaluations = 0;
  VectorXd theta;
  Evaluation at_solution;
};

// One start: L-BFGS from theta0, restarted from the best point after line-search failures
// while that still makes progress. Convergence is decided here, from the gradient.
RunResult run_from(const LogLikelihoodFunction& log_likelihood, const VectorXd& theta0,
                   double scale, const FitOptions& options) {
  RunResult run;
  Objective objective;
  objective.log_likelihood = &log_likelihood;
  objective.scale = scale;
  VectorXd scratch(theta0.size());
  objective(theta0, scratch);
  run.evaluations = objective.evaluations;
  if (!objective.has_best) {
    run.detail = "the log-likelihood or its gradient is not finite at the start";
    return run;
  }
  run.started = true;

  LBFGSpp::LBFGSParam<double> param;
  param.m = 6;
  param.epsilon_rel = 0.0;
  param.past = 0;
  param.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
  param.max_linesearch = 40;

  int restarts = 0;
  for (;;) {
    const double round_start_value = objective.best_value;
    const int remaining = options.max_iterations - objective.line_searches;
    if (remaining <= 0) {
      run.termination = FitTermination::max_iterations;
      break;
    }
    param.max_iterations = remaining;
    param.epsilon = kSolverToleranceFactor *
                    gradient_threshold(objective.best.log_likelihood, options.gradient_tolerance) /
                    scale;
    LBFGSpp::LBFGSSolver<double, StrongWolfeLineSearch> solver(param);
    VectorXd theta = objective.best_theta;
    double value = objective.best_value;
    bool threw = false;
    try {
      solver.minimize(objective, theta, value);
    } catch (const std::exception& e) {
      // Line-search failures: std::runtime_error (no acceptable step) and std::logic_error (the
      // direction does not descend, e.g. after rounding spoiled the L-BFGS memory). Judge the
      // best point instead.
      threw = true;
      run.detail = e.what();
    }
    const Evaluation& best = objective.best;
    if (gradient_max_norm(best.gradient_theta) <=
        gradient_threshold(best.log_likelihood, options.gradient_tolerance)) {
      run.termination = FitTermination::converged;
      break;
    }
    if (objective.line_searches >= options.max_iterations) {
      run.termination = FitTermination::max_iterations;
      break;
    }
    // Not converged yet: LBFGSpp either failed its line search or stopped on its own test with
    // a threshold taken from an older |LL|. Restart with fresh memory from the best point, but
    // only while that makes progress.
    const bool progressed = objective.best_value < round_start_value;
    if (!progressed || restarts >= kMaxRestartsPerStart) {
      run.termination = threw ? FitTermination::line_search_failed : FitTermination::failed;
      if (!threw) run.detail = "no further decrease of the objective";
      break;
    }
    ++restarts;
  }
  run.iterations = objective.line_searches;
  run.evaluations = objective.evaluations;
  run.theta = objective.best_theta;
  run.at_solution = objective.best;
  return run;
}

// Deterministic alternative starts around `theta`: the point itself (continuing with a fresh
// iteration budget), then +-0.5, +-1, ... on the log scale with alternating sign patterns.
VectorXd derived_start(const VectorXd& theta, int index) {
  VectorXd start = theta;
  if (index == 0) return start;
  const double size = 0.5 * ((index + 1) / 2);
  for (Eigen::Index i = 0; i < start.size(); ++i) {
    const bool up = ((i + index) % 2) == 0;
    start[i] += up ? size : -size;
  }
  return start;
}

std::string describe_direction(const std::vector<std::string>& names, const VectorXd& v) {
  const double largest = v.cwiseAbs().maxCoeff();
  // Show the direction with its largest component positive, skipping negligible components.
  const Eigen::Index lead = [&] {
    Eigen::Index index = 0;
    v.cwiseAbs().maxCoeff(&index);
    return index;
  }();
  const double sign = v[lead] < 0 ? -1.0 : 1.0;
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << "(";
  bool first = true;
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    const double c = sign * v[i];
    if (std::abs(c) < 0.1 * largest) continue;
    if (!first) out << ", ";
    out << (c >= 0 ? "+" : "") << c << " log " << names[static_cast<std::size_t>(i)];
    first = false;
  }
  out << ")";
  return out.str();
}

// A parameter that ends more than e^15 (about 3.3e6) times away from every starting value
// (which callers choose on the data's own scale) has usually run off towards the edge of the
// parameter space, e.g. a, b -> infinity with a / b fixed in BG/NBD, when the likelihood keeps
// increasing there. Measuring the distance from the starts keeps the test free of units.
constexpr double kEdgeLogDistance = 15.0;

// Names and values of the parameters at the edge, e.g. "a = 7.2e+09, b = 1e+10"; empty if none.
std::string parameters_at_edge(const std::vector<std::string>& names, const VectorXd& theta,
                               const std::vector<VectorXd>& starts, int& count) {
  std::string listed;
  count = 0;
  for (Eigen::Index i = 0; i < theta.size(); ++i) {
    double distance = kInfinity;
    for (const VectorXd& start : starts) {
      distance = std::min(distance, std::abs(theta[i] - std::log(start[i])));
    }
    if (distance <= kEdgeLogDistance) continue;
    listed += (count++ > 0 ? ", " : "") + names[static_cast<std::size_t>(i)] + " = " +
              format_number(std::exp(theta[i]), 3);
  }
  return listed;
}

struct StandardErrors {
  bool available = false;
  std::string message;
  VectorXd se_theta;
  MatrixXd covariance;  // of theta = log parameters
};

StandardErrors standard_errors(const LogLikelihoodFunction& log_likelihood,
                               const std::vector<std::string>& names, const VectorXd& theta,
                               int& evaluations) {
  StandardErrors result;
  const Eigen::Index k = theta.size();
  MatrixXd hessian(k, k);
  auto gradient_at = [&](Eigen::Index j, double h, bool& ok) {
    VectorXd shifted = theta;
    shifted[j] += h;
    ++evaluations;
    Evaluation e = evaluate(log_likelihood, shifted);
    ok = ok && e.finite;
    return e.gradient_theta;
  };
  for (Eigen::Index j = 0; j < k; ++j) {
    const double h = kHessianStep * std::max(1.0, std::abs(theta[j]));
    bool ok = true;
    const VectorXd column = (gradient_at(j, h, ok) - gradient_at(j, -h, ok)) / (2.0 * h);
    if (!ok) {
      result.message = "Hessian could not be computed: the log-likelihood is not finite within " +
                       format_number(h, 3) + " of the estimate in log " +
                       names[static_cast<std::size_t>(j)];
      return result;
    }
    hessian.col(j) = column;
  }
  const MatrixXd information = -0.5 * (hessian + hessian.transpose());
  if (!information.allFinite()) {
    result.message = "Hessian has non-finite entries";
    return result;
  }
  Eigen::SelfAdjointEigenSolver<MatrixXd> eigen(information);
  if (eigen.info() != Eigen::Success) {
    result.message = "the eigen-decomposition of the observed information failed";
    return result;
  }
  const VectorXd& lambda = eigen.eigenvalues();  // ascending
  const double lambda_min = lambda[0];
  const double lambda_max = lambda[k - 1];
  const std::string direction = describe_direction(names, eigen.eigenvectors().col(0));
  if (!(lambda_min > 0.0)) {
    result.message =
        "Hessian not positive definite (smallest eigenvalue of the observed "
        "information " +
        format_number(lambda_min, 3) + "): the likelihood is flat or curves upward along " +
        direction + ", so those parameters are not identified by the data";
    return result;
  }
  const double condition = lambda_max / lambda_min;
  if (!(condition <= kMaxConditionNumber)) {
    result.message = "Hessian ill-conditioned (condition number " + format_number(condition, 3) +
                     " > 1e12): the likelihood is nearly flat along " + direction +
                     ", so standard errors there would be meaningless";
    return result;
  }
  const MatrixXd covariance =
      eigen.eigenvectors() * lambda.cwiseInverse().asDiagonal() * eigen.eigenvectors().transpose();
  result.se_theta = covariance.diagonal().cwiseMax(0.0).cwiseSqrt();
  result.covariance = covariance;
  result.available = true;
  return result;
}

void check_arguments(const std::string& model, const std::vector<std::string>& names,
                     const std::vector<VectorXd>& starts, std::int64_t n_observations,
                     const FitOptions& options) {
  const std::string where = model + " fit: ";
  if (names.empty()) throw ModelError(where + "no parameters to estimate");
  if (starts.empty()) throw ModelError(where + "no starting values given");
  if (n_observations < 1) {
    throw ModelError(where + "n_observations is " + std::to_string(n_observations) +
                     ", but must be at least 1");
  }
  if (options.max_iterations < 1 || options.max_starts < 1 ||
      !is_positive_finite(options.gradient_tolerance)) {
    throw ModelError(where +
                     "max_iterations and max_starts must be at least 1 and "
                     "gradient_tolerance positive and finite");
  }
  for (std::size_t s = 0; s < starts.size(); ++s) {
    if (static_cast<std::size_t>(starts[s].size()) != names.size()) {
      throw ModelError(where + "start " + std::to_string(s + 1) + " has " +
                       std::to_string(starts[s].size()) + " values for " +
                       std::to_string(names.size()) + " parameters");
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
      const double v = starts[s][static_cast<Eigen::Index>(i)];
      if (!is_positive_finite(v)) {
        throw ModelError(
            not_positive_finite_message(where + "start " + std::to_string(s + 1), names[i], v));
      }
    }
  }
}

// Every run from the starts, in order: the given starts, then starts derived from the best run
// while none has converged, up to options.max_starts; without try_all_starts it stops at the first
// run that converges. `chosen` is the converged run with the highest log-likelihood and
// `best_any` the started run with the highest one (-1 when there is none).
struct StartRuns {
  std::vector<RunResult> runs;
  int chosen = -1;
  int best_any = -1;
};

StartRuns run_starts(const LogLikelihoodFunction& log_likelihood,
                     const std::vector<Eigen::VectorXd>& starts, double scale,
                     const FitOptions& options) {
  StartRuns result;
  std::vector<RunResult>& runs = result.runs;
  int& chosen = result.chosen;
  int& best_any = result.best_any;
  int derived = 0;
  for (int s = 0; s < options.max_starts; ++s) {
    VectorXd theta0;
    if (static_cast<std::size_t>(s) < starts.size()) {
      theta0 = starts[static_cast<std::size_t>(s)].array().log().matrix();
    } else if (chosen < 0 && best_any >= 0) {
      theta0 = derived_start(runs[static_cast<std::size_t>(best_any)].theta, derived++);
    } else {
      break;
    }
    runs.push_back(run_from(log_likelihood, theta0, scale, options));
    const RunResult& run = runs.back();
    const int index = static_cast<int>(runs.size()) - 1;
    if (!run.started) continue;
    const double ll = run.at_solution.log_likelihood;
    if (best_any < 0 || ll > runs[static_cast<std::size_t>(best_any)].at_solution.log_likelihood) {
      best_any = index;
    }
    if (run.termination == FitTermination::converged) {
      if (chosen < 0 || ll > runs[static_cast<std::size_t>(chosen)].at_solution.log_likelihood) {
        chosen = index;
      }
      if (!options.try_all_starts) break;
    }
  }
  return result;
}

// FitSummary::message for the reported run, without the note on parameters at the edge.
std::string convergence_message(const FitSummary& summary, const RunResult& run, bool converged,
                                double threshold, const FitOptions& options) {
  if (converged) {
    return "converged from start " + std::to_string(summary.best_start) + " of " +
           std::to_string(summary.starts_tried) + " in " + std::to_string(run.iterations) +
           " iterations: max |dLL/dlog theta| = " + format_number(summary.gradient_norm, 3) +
           " <= " + format_number(threshold, 3);
  }
  std::string reason;
  switch (run.termination) {
    case FitTermination::max_iterations:
      reason = "reached the iteration limit (" + std::to_string(options.max_iterations) + ")";
      break;
    case FitTermination::line_search_failed:
      reason = "line search failed (" + run.detail + ")";
      break;
    default:
      reason = "stopped making progress (" + run.detail + ")";
      break;
  }
  return "did not converge: none of " + std::to_string(summary.starts_tried) +
         " starts met the gradient test; the best (start " + std::to_string(summary.best_start) +
         ") " + reason + " with max |dLL/dlog theta| = " + format_number(summary.gradient_norm, 3) +
         " > " + format_number(threshold, 3);
}

// The natural parameters exp(theta) with, when `se` is available, their delta-method standard
// errors, 95% intervals and the covariance of the log-parameters.
void add_parameters(const std::vector<std::string>& names, const VectorXd& theta,
                    const StandardErrors& computed, FitSummary& summary) {
  // An interval that leaves the double range (se(log theta) in the hundreds: a parameter the
  // data do not bound, e.g. after one stray date decades before the rest) does not exist:
  // reported as standard errors not available, with the reason, rather than as [0, inf].
  StandardErrors se = computed;
  for (std::size_t i = 0; se.available && i < names.size(); ++i) {
    const Eigen::Index j = static_cast<Eigen::Index>(i);
    const double value = std::exp(theta[j]);
    const double low = std::exp(theta[j] - 1.96 * se.se_theta[j]);
    const double high = std::exp(theta[j] + 1.96 * se.se_theta[j]);
    if (std::isfinite(value * se.se_theta[j]) && low > 0.0 && std::isfinite(high)) continue;
    se.available = false;
    se.message = "standard errors not computed: the 95% interval of " + names[i] +
                 " (standard error of log " + names[i] + " " +
                 format_number(se.se_theta[j], 3) +
                 ") leaves the range of double precision, so the data do not bound it";
  }
  summary.standard_errors_available = se.available;
  summary.standard_errors_message = se.message;
  if (se.available) {
    const Eigen::Index k = se.covariance.rows();
    summary.log_parameter_covariance.resize(static_cast<std::size_t>(k * k));
    for (Eigen::Index i = 0; i < k; ++i) {
      for (Eigen::Index j = 0; j < k; ++j) {
        summary.log_parameter_covariance[static_cast<std::size_t>(i * k + j)] = se.covariance(i, j);
      }
    }
  }
  summary.parameters.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const Eigen::Index j = static_cast<Eigen::Index>(i);
    ParameterEstimate estimate;
    estimate.name = names[i];
    estimate.value = std::exp(theta[j]);
    if (se.available) {
      estimate.standard_error = estimate.value * se.se_theta[j];
      estimate.ci_low = std::exp(theta[j] - 1.96 * se.se_theta[j]);
      estimate.ci_high = std::exp(theta[j] + 1.96 * se.se_theta[j]);
    }
    summary.parameters.push_back(std::move(estimate));
  }
}

}  // namespace

FitSummary maximize_log_likelihood(const std::string& model, const std::vector<std::string>& names,
                                   const LogLikelihoodFunction& log_likelihood,
                                   const std::vector<Eigen::VectorXd>& starts,
                                   std::int64_t n_observations, const FitOptions& options) {
  check_arguments(model, names, starts, n_observations, options);

  // Dividing by the number of customers makes the objective a mean log-likelihood of order 1,
  // whatever the data size, so LBFGSpp's step and tolerance behave the same on 100 or 1e6
  // customers.
  const double scale = static_cast<double>(n_observations);

  FitSummary summary;
  summary.model = model;
  summary.n_observations = n_observations;

  const StartRuns started = run_starts(log_likelihood, starts, scale, options);
  const std::vector<RunResult>& runs = started.runs;
  const int chosen = started.chosen;
  const int best_any = started.best_any;
  for (const RunResult& run : runs) {
    summary.iterations += run.iterations;
    summary.function_evaluations += run.evaluations;
  }
  summary.starts_tried = static_cast<int>(runs.size());

  if (best_any < 0) {
    throw ModelError(model + " fit: the log-likelihood is not finite at any of the " +
                     std::to_string(summary.starts_tried) +
                     " starting values, so the model cannot be fitted to this data");
  }
  const bool converged = chosen >= 0;
  const int reported = converged ? chosen : best_any;
  const RunResult& run = runs[static_cast<std::size_t>(reported)];
  summary.best_start = reported + 1;
  summary.termination = run.termination;
  summary.log_likelihood = run.at_solution.log_likelihood;
  summary.gradient_norm = gradient_max_norm(run.at_solution.gradient_theta);
  const double k = static_cast<double>(names.size());
  summary.aic = 2.0 * k - 2.0 * summary.log_likelihood;
  summary.bic = k * std::log(static_cast<double>(n_observations)) - 2.0 * summary.log_likelihood;

  const double threshold = gradient_threshold(summary.log_likelihood, options.gradient_tolerance);
  summary.message = convergence_message(summary, run, converged, threshold, options);
  int at_edge = 0;
  const std::string edge = parameters_at_edge(names, run.theta, starts, at_edge);
  if (at_edge > 0) {
    summary.message += "; note: " + edge + (at_edge > 1 ? " are" : " is") +
                       " more than 3e6 times away from every starting value: the likelihood "
                       "probably keeps increasing towards the edge of the parameter space, so "
                       "the data do not identify " +
                       (at_edge > 1 ? "these parameters" : "this parameter");
  }

  StandardErrors se;
  if (!converged) {
    se.message = "standard errors not computed: the fit did not converge";
  } else if (at_edge > 0) {
    se.message = "standard errors not computed: " + edge +
                 " at the edge of the parameter space, where the curvature of the likelihood "
                 "does not describe the uncertainty";
  } else {
    se = standard_errors(log_likelihood, names, run.theta, summary.function_evaluations);
  }
  add_parameters(names, run.theta, se, summary);
  return summary;
}

bool FitSummary::is_usable() const noexcept {
  if (!converged() || !std::isfinite(log_likelihood)) return false;
  for (const ParameterEstimate& p : parameters) {
    if (!is_positive_finite(p.value)) return false;
  }
  return true;
}

std::string FitSummary::brief_report() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%s: %s after %d iterations, log-likelihood %.4f, AIC %.2f\n",
                model.c_str(), converged() ? "converged" : "NOT converged", iterations,
                log_likelihood, aic);
  out += line;
  for (const ParameterEstimate& p : parameters) {
    if (standard_errors_available) {
      std::snprintf(line, sizeof line, "  %-6s %12.6g  (SE %.4g, 95%% CI %.4g .. %.4g)\n",
                    p.name.c_str(), p.value, p.standard_error, p.ci_low, p.ci_high);
    } else {
      std::snprintf(line, sizeof line, "  %-6s %12.6g\n", p.name.c_str(), p.value);
    }
    out += line;
  }
  if (!standard_errors_available) {
    out += "  no standard errors: " + standard_errors_message + "\n";
  }
  return out;
}

std::string FitSummary::warning() const {
  if (!converged()) return "the " + model + " fit did not converge: " + message;
  if (!standard_errors_available) return model + ": " + standard_errors_message;
  return {};
}

}  // namespace clvkit
