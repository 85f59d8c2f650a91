#include "clvkit/models/forecast.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "clvkit/error.hpp"
#include "clvkit/models/simulate.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

// Beyond this many expected purchases of one customer in the horizon the walk over exponential
// inter-purchase times (one variate per simulated purchase) would not finish in useful time.
constexpr double kMaxExpectedPurchasesPerCustomer = 1.0e6;

bool positive_finite(double v) { return v > 0.0 && std::isfinite(v); }
bool non_negative_finite(double v) { return v >= 0.0 && std::isfinite(v); }

void check_options(const ForecastOptions& options, int n_groups) {
  if (!positive_finite(options.horizon)) {
    throw UsageError("forecast: horizon is " + format_number(options.horizon) +
                     ", but must be positive and finite");
  }
  if (options.draws < 1) {
    throw UsageError("forecast: draws is " + std::to_string(options.draws) +
                     ", but must be at least 1");
  }
  if (options.threads < 1) {
    throw UsageError("forecast: threads is " + std::to_string(options.threads) +
                     ", but must be at least 1");
  }
  if (!non_negative_finite(options.margin)) {
    throw UsageError("forecast: margin is " + format_number(options.margin) +
                     ", but must be non-negative and finite");
  }
  if (n_groups < 1) {
    throw UsageError("forecast: n_groups is " + std::to_string(n_groups) +
                     ", but must be at least 1");
  }
}

[[noreturn]] void throw_bad_customer(std::size_t index, const std::string& reason) {
  throw ModelError("forecast: customer " + std::to_string(index) + " (0-based) " + reason);
}

void check_customer(const ForecastCustomer& c, std::size_t index, int n_groups) {
  const auto field = [&](const char* name, double value) {
    if (!non_negative_finite(value)) {
      throw_bad_customer(index, std::string("has ") + name + " = " + format_number(value) +
                                    ", but it must be non-negative and finite");
    }
  };
  field("x", c.x);
  field("t_x", c.t_x);
  field("T", c.T);
  field("m", c.m);
  if (c.t_x > c.T) {
    throw_bad_customer(index, "has t_x = " + format_number(c.t_x) + " > T = " + format_number(c.T) +
                                  "; the last purchase must be within T");
  }
  if (c.group < 0 || c.group >= n_groups) {
    throw_bad_customer(index, "has group " + std::to_string(c.group) + ", but n_groups is " +
                                  std::to_string(n_groups));
  }
}

// What the simulation needs of one customer, computed once rather than once per draw.
struct PreparedCustomer {
  double p_alive = 1.0;
  double p_none = 1.0;      // P(no purchase in the horizon | alive) = (beta / (beta + h))^s
  double shape = 0.0;       // s = r + x: lambda | alive ~ Gamma(s, beta)
  double inv_shape = 0.0;   // 1 / s
  double rate = 0.0;        // beta = alpha + T
  double dropout_ab = 0.0;  // a + b + x: the urn's total after x survived coins
  double nu_shape = 0.0;    // q + p_gg x (x = 0 without a usable m)
  double nu_rate = 0.0;     // gamma + x m
  int group = 0;
  // The summary itself, for per-draw parameters (see simulate_customer_draws_uncertain).
  double x = 0.0;
  double t_x = 0.0;
  double T = 0.0;
  double spend_x = 0.0;   // x, or 0 without a usable m
  double spend_xm = 0.0;  // spend_x m
  // Rows of DrawLogs: of the customer's T, of its t_x, and of its x (x > 0 only).
  std::uint32_t T_row = 0;
  std::uint32_t t_x_row = 0;
  std::uint32_t x_row = 0;
};

// The logarithms that P(alive) and P(no purchase) take from the parameters, one expression each,
// so that the fixed-parameter path and every parameter draw compute them alike (a draw with the
// fitted parameters reproduces the fixed path bit for bit):
//   P(alive) = 1 / (1 + exp(log(a / (b + x - 1)) + (r + x) (log(alpha + T) - log(alpha + t_x))))
//   P(none)  = exp(-(r + x) log1p(h / (alpha + T)))
// (bgnbd_p_alive's logistic of the same quantity, with log1p((T - t_x) / (alpha + t_x)) for the
// difference of logarithms, agrees to a few units in the last place.)
double log_alpha_plus(double alpha, double days) noexcept { return std::log(alpha + days); }
double log_no_purchase_rate(double alpha, double days, double horizon) noexcept {
  return std::log1p(horizon / (alpha + days));
}
double log_dropout_odds(double a, double b, double x) noexcept {
  return std::log(a / (b + x - 1.0));
}
double alive_probability(double log_odds, double shape, double log_alpha_T,
                         double log_alpha_t_x) noexcept {
  return 1.0 / (1.0 + std::exp(log_odds + shape * (log_alpha_T - log_alpha_t_x)));
}

// The population parameters of one draw (parameter uncertainty, see the header).
struct DrawParameters {
  BgNbdParams bgnbd;
  double a_plus_b = 0.0;
  GammaGammaParams gamma_gamma;
};

// Beyond this many unusable parameter draws in a row (see draw_parameters) the covariance puts
// nearly all of its mass where the model has no forecast.
constexpr int kMaxParameterRedraws = 1000;

// Lower Cholesky factor (row-major k x k) of a symmetric positive semidefinite covariance. The
// fit's covariance V diag(1/lambda) V' is symmetric only up to rounding, so the two triangles are
// averaged. A pivot that is zero up to rounding gives a zero column (a zero covariance is valid and
// means fixed parameters); a clearly negative one is refused.
std::vector<double> cholesky_semidefinite(const std::vector<double>& covariance, std::size_t k,
                                          const char* name) {
  if (covariance.size() != k * k) {
    throw UsageError(std::string("forecast: ") + name + " has " +
                     std::to_string(covariance.size()) + " values, but must be empty or " +
                     std::to_string(k * k) + " (" + std::to_string(k) + "x" + std::to_string(k) +
                     " row-major)");
  }
  double largest_variance = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      const double v = covariance[i * k + j];
      if (!std::isfinite(v)) {
        throw ModelError(std::string("forecast: ") + name + " has entry (" + std::to_string(i) +
                         ", " + std::to_string(j) + ") = " + format_number(v) +
                         ", but must be finite");
      }
    }
    const double variance = covariance[i * k + i];
    if (variance < 0.0) {
      throw ModelError(std::string("forecast: ") + name + " has variance " +
                       format_number(variance) + " at (" + std::to_string(i) + ", " +
                       std::to_string(i) + "), but a covariance must be positive semidefinite");
    }
    largest_variance = std::max(largest_variance, variance);
  }
  const double tolerance = 1e-12 * largest_variance;
  std::vector<double> lower(k * k, 0.0);
  for (std::size_t j = 0; j < k; ++j) {
    for (std::size_t i = j; i < k; ++i) {
      const double c_ij = covariance[i * k + j];
      const double c_ji = covariance[j * k + i];
      if (std::abs(c_ij - c_ji) >
          1e-8 * std::sqrt(covariance[i * k + i] * covariance[j * k + j]) + tolerance) {
        throw ModelError(std::string("forecast: ") + name + " is not symmetric: (" +
                         std::to_string(i) + ", " + std::to_string(j) +
                         ") = " + format_number(c_ij) + " but (" + std::to_string(j) + ", " +
                         std::to_string(i) + ") = " + format_number(c_ji));
      }
      double sum = 0.5 * (c_ij + c_ji);
      for (std::size_t m = 0; m < j; ++m) sum -= lower[i * k + m] * lower[j * k + m];
      if (i == j) {
        if (sum < -1e-8 * largest_variance) {
          throw ModelError(std::string("forecast: ") + name +
                           " is not positive semidefinite (Cholesky pivot " + format_number(sum) +
                           " at " + std::to_string(j) + ")");
        }
        if (sum <= tolerance) break;  // zero up to rounding: this column stays zero
        lower[j * k + j] = std::sqrt(sum);
      } else {
        lower[i * k + j] = sum / lower[j * k + j];
      }
    }
  }
  return lower;
}

// theta_i exp((L z)_i) for i < k, with z standard normals drawn from `rng`. With L = 0 this is
// theta exactly (exp(0) = 1).
void perturb_log_scale(const std::vector<double>& lower, std::size_t k, SimulationRng& rng,
                       double* theta) noexcept {
  double z[4] = {0.0, 0.0, 0.0, 0.0};
  for (std::size_t j = 0; j < k; ++j) z[j] = sample_standard_normal(rng);
  for (std::size_t i = 0; i < k; ++i) {
    double shift = 0.0;
    for (std::size_t j = 0; j <= i; ++j) shift += lower[i * k + j] * z[j];
    theta[i] *= std::exp(shift);
  }
}

bool all_positive_finite(const double* theta, std::size_t k) noexcept {
  for (std::size_t i = 0; i < k; ++i) {
    if (!positive_finite(theta[i])) return false;
  }
  return true;
}

// The largest posterior mean of a customer's purchase rate times the horizon,
// (r + x_max) / (alpha + T_min) h: a cheap bound on the simulated purchases of an alive customer.
double rate_bound(double r, double alpha, double x_max, double T_min, double horizon) noexcept {
  return (r + x_max) / (alpha + T_min) * horizon;
}

// The parameters of every draw, from the stream of draw d only (see the header). Empty when
// neither covariance is given: the fixed-parameter path. A draw is redrawn from the same stream
// (a truncated normal) while a parameter is not positive and finite (exp overflowed or
// underflowed: a fit whose likelihood is nearly flat along a ridge, such as a and b scaled
// together, can have log-variances in the thousands), while q <= 1 (no mean spend), or while the
// rate bound exceeds max(1e6, its value at the fit) (the simulation would not finish).
std::vector<DrawParameters> draw_parameters(const BgNbdParams& bgnbd,
                                            const GammaGammaParams& gamma_gamma,
                                            const std::vector<PreparedCustomer>& prepared,
                                            const ForecastOptions& options) {
  const bool uncertain_bgnbd = !options.bgnbd_log_covariance.empty();
  const bool uncertain_spend = !options.gamma_gamma_log_covariance.empty();
  if (!uncertain_bgnbd && !uncertain_spend) return {};
  std::vector<double> bgnbd_lower;
  std::vector<double> spend_lower;
  if (uncertain_bgnbd) {
    bgnbd_lower = cholesky_semidefinite(options.bgnbd_log_covariance, 4, "bgnbd_log_covariance");
  }
  if (uncertain_spend) {
    spend_lower =
        cholesky_semidefinite(options.gamma_gamma_log_covariance, 3, "gamma_gamma_log_covariance");
  }
  double x_max = 0.0;
  double T_min = prepared.empty() ? 0.0 : prepared.front().T;
  for (const PreparedCustomer& c : prepared) {
    x_max = std::max(x_max, c.x);
    T_min = std::min(T_min, c.T);
  }
  const double max_rate_bound =
      std::max(kMaxExpectedPurchasesPerCustomer,
               rate_bound(bgnbd.r, bgnbd.alpha, x_max, T_min, options.horizon));
  std::vector<DrawParameters> table(static_cast<std::size_t>(options.draws));
  for (int d = 0; d < options.draws; ++d) {
    SimulationRng rng = SimulationRng::for_customer(options.seed ^ kForecastParameterStream,
                                                    static_cast<std::uint64_t>(d));
    double theta[4];
    double spend[3];
    for (int tries = 0;; ++tries) {
      if (tries == kMaxParameterRedraws) {
        throw ModelError("forecast: draw " + std::to_string(d) + " found no usable parameters in " +
                         std::to_string(kMaxParameterRedraws) +
                         " draws from the covariances (a parameter not positive and finite, "
                         "q <= 1 or an unbounded purchase rate every time); the parameter "
                         "uncertainty is too large for a forecast");
      }
      theta[0] = bgnbd.r;
      theta[1] = bgnbd.alpha;
      theta[2] = bgnbd.a;
      theta[3] = bgnbd.b;
      spend[0] = gamma_gamma.p;
      spend[1] = gamma_gamma.q;
      spend[2] = gamma_gamma.gamma;
      if (uncertain_bgnbd) perturb_log_scale(bgnbd_lower, 4, rng, theta);
      if (uncertain_spend) perturb_log_scale(spend_lower, 3, rng, spend);
      if (all_positive_finite(theta, 4) && all_positive_finite(spend, 3) && spend[1] > 1.0 &&
          rate_bound(theta[0], theta[1], x_max, T_min, options.horizon) <= max_rate_bound) {
        break;
      }
    }
    DrawParameters& out = table[static_cast<std::size_t>(d)];
    out.bgnbd = BgNbdParams{theta[0], theta[1], theta[2], theta[3]};
    out.a_plus_b = out.bgnbd.a + out.bgnbd.b;
    out.gamma_gamma = GammaGammaParams{spend[0], spend[1], spend[2]};
  }
  return table;
}

// The per-draw logarithms of the parameter-uncertainty path, tabulated by value: a customer's
// draws otherwise spent most of their time in seven logarithms and exponentials per draw; with
// the tables two exponentials remain. Customers share few values (times in whole days, purchase
// counts), so a row per distinct T or t_x value (log(alpha_k + v) and log1p(h / (alpha_k + v))
// for every draw k) and per distinct x (log(a_k / (b_k + x - 1))) is small; rows are laid out
// draw after draw, so one customer's draws read contiguous memory. Above kMaxTableBytes (data of
// continuous times, say) the rows of each customer are computed when it is simulated, by the same
// expressions: the same bits either way.
class DrawLogs {
 public:
  static constexpr std::size_t kMaxTableBytes = std::size_t{256} << 20;

  DrawLogs(const std::vector<DrawParameters>& table, double horizon,
           std::vector<PreparedCustomer>& prepared)
      : table_(table), horizon_(horizon), draws_(table.size()) {
    if (table.empty()) return;
    std::vector<double> days;
    std::vector<double> counts;
    for (const PreparedCustomer& c : prepared) {
      days.push_back(c.T);
      days.push_back(c.t_x);
      if (c.x > 0.0) counts.push_back(c.x);
    }
    const auto distinct = [](std::vector<double>& values) {
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
    };
    distinct(days);
    distinct(counts);
    tabled_ = (2 * days.size() + counts.size()) * draws_ * sizeof(double) <= kMaxTableBytes;
    const auto row_of = [](const std::vector<double>& values, double value) {
      return static_cast<std::uint32_t>(std::lower_bound(values.begin(), values.end(), value) -
                                        values.begin());
    };
    for (PreparedCustomer& c : prepared) {
      c.T_row = row_of(days, c.T);
      c.t_x_row = row_of(days, c.t_x);
      c.x_row = c.x > 0.0 ? row_of(counts, c.x) : 0;
    }
    if (!tabled_) return;
    log_alpha_.resize(days.size() * draws_);
    log_none_.resize(days.size() * draws_);
    log_odds_.resize(counts.size() * draws_);
    for (std::size_t v = 0; v < days.size(); ++v) {
      for (std::size_t k = 0; k < draws_; ++k) {
        const double alpha = table[k].bgnbd.alpha;
        log_alpha_[v * draws_ + k] = log_alpha_plus(alpha, days[v]);
        log_none_[v * draws_ + k] = log_no_purchase_rate(alpha, days[v], horizon);
      }
    }
    for (std::size_t v = 0; v < counts.size(); ++v) {
      for (std::size_t k = 0; k < draws_; ++k) {
        log_odds_[v * draws_ + k] = log_dropout_odds(table[k].bgnbd.a, table[k].bgnbd.b, counts[v]);
      }
    }
  }

  // A customer's rows: log(alpha_k + T), log(alpha_k + t_x), log1p(h / (alpha_k + T)) and, for
  // x > 0, log(a_k / (b_k + x - 1)), for k = 0..draws-1; computed into `scratch` (room for
  // 4 * draws) when the rows are not tabled.
  struct Rows {
    const double* log_alpha_T;
    const double* log_alpha_t_x;
    const double* log_none;
    const double* log_odds;
  };
  Rows rows(const PreparedCustomer& c, double* scratch) const noexcept {
    if (tabled_) {
      return {log_alpha_.data() + c.T_row * draws_, log_alpha_.data() + c.t_x_row * draws_,
              log_none_.data() + c.T_row * draws_,
              c.x > 0.0 ? log_odds_.data() + c.x_row * draws_ : nullptr};
    }
    for (std::size_t k = 0; k < draws_; ++k) {
      const BgNbdParams& params = table_[k].bgnbd;
      scratch[k] = log_alpha_plus(params.alpha, c.T);
      scratch[draws_ + k] = log_alpha_plus(params.alpha, c.t_x);
      scratch[2 * draws_ + k] = log_no_purchase_rate(params.alpha, c.T, horizon_);
      scratch[3 * draws_ + k] = c.x > 0.0 ? log_dropout_odds(params.a, params.b, c.x) : 0.0;
    }
    return {scratch, scratch + draws_, scratch + 2 * draws_, scratch + 3 * draws_};
  }

 private:
  const std::vector<DrawParameters>& table_;
  double horizon_;
  std::size_t draws_;
  bool tabled_ = false;
  std::vector<double> log_alpha_;  // [day value][draw]
  std::vector<double> log_none_;   // [day value][draw]
  std::vector<double> log_odds_;   // [x value][draw]
};

struct Model {
  double a = 0.0;        // BG/NBD a
  double spend_p = 0.0;  // Gamma-Gamma p, the shape of one purchase's spend
  double horizon = 0.0;
  double margin = 1.0;
  int draws = 0;
};

// Per-draw, per-group sums of purchases and of revenue, each laid out [group][draw] so that one
// customer's draws are contiguous.
class DrawSums {
 public:
  explicit DrawSums(std::size_t size) : size_(size), values_(2 * size, 0.0) {}
  double* purchases() noexcept { return values_.data(); }
  double* revenue() noexcept { return values_.data() + size_; }
  const double* purchases() const noexcept { return values_.data(); }
  const double* revenue() const noexcept { return values_.data() + size_; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept { std::fill(values_.begin(), values_.end(), 0.0); }
  void add(const DrawSums& other) noexcept {
    for (std::size_t i = 0; i < values_.size(); ++i) values_[i] += other.values_[i];
  }

 private:
  std::size_t size_;
  std::vector<double> values_;
};

// All draws of one customer, added to that customer's group in `sums`. The process is the one in
// the header; three exact rearrangements make a draw without purchases cost one or two uniforms
// (most draws, and the gamma variates dominated the cost before):
//  - First purchase. With lambda ~ Gamma(s, beta) and the first arrival tau | lambda ~ Exp(lambda),
//    tau is marginally Lomax: P(tau > t) = (beta / (beta + t))^s, and lambda | tau ~
//    Gamma(s + 1, beta + tau). So tau is drawn by inversion, u = (beta / (beta + tau))^s, i.e.
//    tau = beta expm1(-log(u) / s); u < p_none means tau > h (no purchase) and nothing else is
//    drawn; otherwise lambda is drawn from its conditional and the later arrivals follow at rate
//    lambda from tau (memoryless).
//  - Dropout. Integrating p ~ Beta(a, b + x) out, the coin after the k-th future purchase, given
//    the k - 1 before it came up "stay", drops the customer with probability
//    a / (a + b + x + k - 1) (the posterior mean of p after k - 1 more survivals; a Polya urn).
//    One uniform per purchase replaces the Beta variate.
//  - Spend. The n spends Gamma(p_gg, nu) sum to Gamma(n p_gg, nu); with nu = G_2 / (gamma + x m),
//    G_2 ~ Gamma(nu_shape, 1), the sum is (gamma + x m) G_1 / G_2 with G_1 ~ Gamma(n p_gg, 1).
//    G_2 > 0: nu_shape >= q > 1, and Marsaglia-Tsang never returns 0 for a shape >= 1.
//
// `draw_future` is everything after "a purchase happens in the horizon": u >= p_none is the Lomax
// uniform; returns the number of purchases and adds their spend (before the margin) to `spend`.
struct FutureDraw {
  double shape;       // r + x
  double inv_shape;   // 1 / shape
  double rate;        // alpha + T
  double dropout_ab;  // a + b + x
  double a;
  double spend_p;
  double nu_shape;
  double nu_rate;
};

inline double draw_future(SimulationRng& rng, const FutureDraw& f, double u, double horizon,
                          double& spend) noexcept {
  // tau <= h up to rounding; the clamp keeps the remaining exposure non-negative.
  const double tau = std::min(f.rate * std::expm1(-std::log(u) * f.inv_shape), horizon);
  const double lambda = sample_gamma(rng, f.shape + 1.0, f.rate + tau);
  // Later arrivals in units of 1 / lambda: a unit-rate process over [0, lambda (h - tau)].
  const double exposure = lambda * (horizon - tau);
  double n = 1.0;
  double arrival = 0.0;
  for (;;) {
    if (sample_uniform(rng) * (f.dropout_ab + (n - 1.0)) < f.a) break;  // dropped out
    arrival += sample_exponential(rng);
    if (arrival > exposure) break;
    n += 1.0;
  }
  spend = f.nu_rate * sample_gamma(rng, n * f.spend_p, 1.0) / sample_gamma(rng, f.nu_shape, 1.0);
  return n;
}

void simulate_customer_draws(const Model& model, const PreparedCustomer& c, std::uint64_t seed,
                             std::uint64_t index, DrawSums& sums) noexcept {
  SimulationRng rng = SimulationRng::for_customer(seed, index);
  const std::size_t offset =
      static_cast<std::size_t>(c.group) * static_cast<std::size_t>(model.draws);
  double* const purchases = sums.purchases() + offset;
  double* const revenue = sums.revenue() + offset;
  const bool certain_alive = c.p_alive >= 1.0;
  for (int k = 0; k < model.draws; ++k) {
    if (!certain_alive && !(sample_uniform(rng) < c.p_alive)) continue;
    const double u = sample_uniform(rng);
    if (u < c.p_none) continue;
    const FutureDraw future{c.shape, c.inv_shape,   c.rate,     c.dropout_ab,
                            model.a, model.spend_p, c.nu_shape, c.nu_rate};
    double spend = 0.0;
    purchases[k] += draw_future(rng, future, u, model.horizon, spend);
    revenue[k] += model.margin * spend;
  }
}

// As simulate_customer_draws, with draw k using the parameters table[k]: P(alive), the posterior
// and the no-purchase probability are evaluated per draw, by the same expressions as in the fixed
// path (so a table of the fitted parameters reproduces it bit for bit), and the random numbers are
// consumed in the same order.
void simulate_customer_draws_uncertain(const Model& model, const std::vector<DrawParameters>& table,
                                       const DrawLogs::Rows& logs, const PreparedCustomer& c,
                                       std::uint64_t seed, std::uint64_t index,
                                       DrawSums& sums) noexcept {
  SimulationRng rng = SimulationRng::for_customer(seed, index);
  const std::size_t offset =
      static_cast<std::size_t>(c.group) * static_cast<std::size_t>(model.draws);
  double* const purchases = sums.purchases() + offset;
  double* const revenue = sums.revenue() + offset;
  for (int k = 0; k < model.draws; ++k) {
    const DrawParameters& d = table[static_cast<std::size_t>(k)];
    const double shape = d.bgnbd.r + c.x;
    // x = 0 is alive for certain (P(alive) = 1 exactly), as in the fixed path.
    if (c.x > 0.0) {
      const double p_alive =
          alive_probability(logs.log_odds[k], shape, logs.log_alpha_T[k], logs.log_alpha_t_x[k]);
      if (!(p_alive >= 1.0) && !(sample_uniform(rng) < p_alive)) continue;
    }
    const double rate = d.bgnbd.alpha + c.T;
    const double p_none = std::exp(-shape * logs.log_none[k]);
    const double u = sample_uniform(rng);
    if (u < p_none) continue;
    const FutureDraw future{shape,
                            1.0 / shape,
                            rate,
                            d.a_plus_b + c.x,
                            d.bgnbd.a,
                            d.gamma_gamma.p,
                            d.gamma_gamma.q + d.gamma_gamma.p * c.spend_x,
                            d.gamma_gamma.gamma + c.spend_xm};
    double spend = 0.0;
    purchases[k] += draw_future(rng, future, u, model.horizon, spend);
    revenue[k] += model.margin * spend;
  }
}

std::int64_t block_count_of(std::size_t customers) {
  const auto n = static_cast<std::int64_t>(customers);
  return (n + kForecastBlockCustomers - 1) / kForecastBlockCustomers;
}

void simulate_block(const Model& model, const std::vector<PreparedCustomer>& prepared,
                    const std::vector<DrawParameters>& table, const DrawLogs& logs,
                    std::uint64_t seed, std::int64_t block, DrawSums& sums,
                    double* scratch) noexcept {
  sums.clear();
  const std::int64_t begin = block * kForecastBlockCustomers;
  const std::int64_t end = std::min<std::int64_t>(begin + kForecastBlockCustomers,
                                                  static_cast<std::int64_t>(prepared.size()));
  for (std::int64_t i = begin; i < end; ++i) {
    const PreparedCustomer& c = prepared[static_cast<std::size_t>(i)];
    if (table.empty()) {
      simulate_customer_draws(model, c, seed, static_cast<std::uint64_t>(i), sums);
    } else {
      simulate_customer_draws_uncertain(model, table, logs.rows(c, scratch), c, seed,
                                        static_cast<std::uint64_t>(i), sums);
    }
  }
}

// Simulates every block and adds the block sums into `total` in block order, whatever the thread
// count. With several threads, workers claim blocks in order from a counter and fill a ring of
// 2 * workers slots; the calling thread adds the slots in block order. A worker waits while its
// slot still holds a block not yet added, so memory stays bounded by the ring.
void simulate_all(const Model& model, const std::vector<PreparedCustomer>& prepared,
                  const std::vector<DrawParameters>& table, const DrawLogs& logs,
                  std::uint64_t seed, int threads, DrawSums& total,
                  const std::function<void(std::int64_t)>& progress) {
  const std::int64_t block_count = block_count_of(prepared.size());
  // Reports after every 64th block added, and after the last.
  const auto report = [&](std::int64_t blocks_added) {
    if (progress && (blocks_added % 64 == 0 || blocks_added == block_count)) {
      progress(std::min<std::int64_t>(blocks_added * kForecastBlockCustomers,
                                      static_cast<std::int64_t>(prepared.size())));
    }
  };
  const std::size_t sums_size = total.size();
  const std::int64_t workers = std::min<std::int64_t>(threads, block_count);
  // Room for the rows DrawLogs computes when they are not tabled, one per block in flight.
  const std::size_t scratch_size = 4 * table.size();
  if (workers <= 1) {
    DrawSums sums(sums_size);
    std::vector<double> scratch(scratch_size);
    for (std::int64_t block = 0; block < block_count; ++block) {
      simulate_block(model, prepared, table, logs, seed, block, sums, scratch.data());
      total.add(sums);
      report(block + 1);
    }
    return;
  }

  const std::int64_t ring = 2 * workers;
  std::vector<DrawSums> slots(static_cast<std::size_t>(ring), DrawSums(sums_size));
  std::vector<std::vector<double>> scratches(static_cast<std::size_t>(ring),
                                             std::vector<double>(scratch_size));
  std::vector<char> ready(static_cast<std::size_t>(ring), 0);  // guarded by mutex
  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<std::int64_t> next_block{0};
  std::int64_t added = 0;  // blocks added into `total`; guarded by mutex
  bool abort = false;      // guarded by mutex

  const auto work = [&] {
    for (;;) {
      const std::int64_t block = next_block.fetch_add(1);
      if (block >= block_count) return;
      const auto slot = static_cast<std::size_t>(block % ring);
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return abort || added > block - ring; });
        if (abort) return;
      }
      simulate_block(model, prepared, table, logs, seed, block, slots[slot],
                     scratches[slot].data());
      {
        const std::lock_guard lock(mutex);
        ready[slot] = 1;
      }
      changed.notify_all();
    }
  };

  std::vector<std::thread> pool;
  const auto stop = [&] {
    {
      const std::lock_guard lock(mutex);
      abort = true;
    }
    changed.notify_all();
    for (std::thread& thread : pool) thread.join();
  };
  try {
    for (std::int64_t i = 0; i < workers; ++i) pool.emplace_back(work);
  } catch (...) {
    stop();  // std::thread could not start: stop the ones that did, then report
    throw;
  }
  for (std::int64_t block = 0; block < block_count; ++block) {
    const auto slot = static_cast<std::size_t>(block % ring);
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return ready[slot] != 0; });
    }
    total.add(slots[slot]);
    {
      const std::lock_guard lock(mutex);
      ready[slot] = 0;
      added = block + 1;
    }
    changed.notify_all();
    report(block + 1);
  }
  for (std::thread& thread : pool) thread.join();
}

// Hyndman & Fan (1996) type 7 on sorted values: h = (n - 1) prob, linear between neighbours.
double quantile_type7(const std::vector<double>& sorted, double prob) {
  const double h = static_cast<double>(sorted.size() - 1) * prob;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

Interval summarise(const double* draws, std::size_t n, std::vector<double>& scratch) {
  scratch.assign(draws, draws + n);
  double sum = 0.0;
  for (const double v : scratch) sum += v;
  const double mean = sum / static_cast<double>(n);
  double squares = 0.0;  // two passes: no cancellation for totals far from 0
  for (const double v : scratch) squares += (v - mean) * (v - mean);
  const double sd = n > 1 ? std::sqrt(squares / static_cast<double>(n - 1)) : 0.0;
  std::sort(scratch.begin(), scratch.end());
  return Interval{mean, quantile_type7(scratch, 0.05), quantile_type7(scratch, 0.95), sd};
}

}  // namespace

ForecastResult forecast_groups(const std::vector<ForecastCustomer>& customers, int n_groups,
                               const BgNbdParams& bgnbd, const GammaGammaParams& gamma_gamma,
                               const ForecastOptions& options) {
  check_options(options, n_groups);
  check_bgnbd_params(bgnbd);
  check_gamma_gamma_params(gamma_gamma);
  // Throws when q <= 1: the mean spend, and so the mean revenue, does not exist.
  gamma_gamma_population_mean(gamma_gamma);

  ForecastResult result;
  result.groups.resize(static_cast<std::size_t>(n_groups));

  // One pass on the calling thread: check each customer, sum the analytic expectations and
  // precompute the posterior parameters the draws use.
  std::vector<PreparedCustomer> prepared(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const ForecastCustomer& c = customers[i];
    check_customer(c, i, n_groups);
    const double expected_purchases =
        bgnbd_conditional_expected_purchases(bgnbd, c.x, c.t_x, c.T, options.horizon);
    if (!(expected_purchases >= 0.0) || !(expected_purchases <= kMaxExpectedPurchasesPerCustomer)) {
      throw_bad_customer(i, "(x = " + format_number(c.x) + ", t_x = " + format_number(c.t_x) +
                                ", T = " + format_number(c.T) + ") expects " +
                                format_number(expected_purchases) +
                                " purchases in the horizon; a forecast needs a finite number of "
                                "at most 1e6");
    }
    // Without a usable mean spend the customer's spend rate keeps its prior.
    const double spend_x = (c.x > 0.0 && c.m > 0.0) ? c.x : 0.0;
    const double expected_spend = gamma_gamma_conditional_expected_spend(gamma_gamma, spend_x, c.m);
    GroupForecast& group = result.groups[static_cast<std::size_t>(c.group)];
    ++group.customers;
    group.expected_purchases_analytic += expected_purchases;
    group.expected_revenue_analytic += options.margin * expected_purchases * expected_spend;

    const double shape = bgnbd.r + c.x;
    const double p_alive = c.x == 0.0 ? 1.0
                                      : alive_probability(log_dropout_odds(bgnbd.a, bgnbd.b, c.x),
                                                          shape, log_alpha_plus(bgnbd.alpha, c.T),
                                                          log_alpha_plus(bgnbd.alpha, c.t_x));
    if (!(p_alive >= 0.0 && p_alive <= 1.0)) {
      throw_bad_customer(i, "(x = " + format_number(c.x) + ", t_x = " + format_number(c.t_x) +
                                ", T = " + format_number(c.T) + ") has P(alive) = " +
                                format_number(p_alive) + ", not a probability");
    }
    PreparedCustomer& p = prepared[i];
    p.p_alive = p_alive;
    p.shape = shape;
    p.inv_shape = 1.0 / p.shape;
    p.rate = bgnbd.alpha + c.T;
    p.p_none = std::exp(-p.shape * log_no_purchase_rate(bgnbd.alpha, c.T, options.horizon));
    p.dropout_ab = bgnbd.a + bgnbd.b + c.x;
    p.nu_shape = gamma_gamma.q + gamma_gamma.p * spend_x;
    p.nu_rate = gamma_gamma.gamma + spend_x * c.m;
    p.group = c.group;
    p.x = c.x;
    p.t_x = c.t_x;
    p.T = c.T;
    p.spend_x = spend_x;
    p.spend_xm = spend_x * c.m;
  }
  // Drawn on the calling thread before the customer loop, shared read-only by the workers.
  const std::vector<DrawParameters> table = draw_parameters(bgnbd, gamma_gamma, prepared, options);
  const DrawLogs logs(table, options.horizon, prepared);

  const Model model{.a = bgnbd.a,
                    .spend_p = gamma_gamma.p,
                    .horizon = options.horizon,
                    .margin = options.margin,
                    .draws = options.draws};
  const auto draws = static_cast<std::size_t>(options.draws);
  DrawSums sums(static_cast<std::size_t>(n_groups) * draws);
  simulate_all(model, prepared, table, logs, options.seed, options.threads, sums, options.progress);

  // The total of each draw is the sum of its groups in group order.
  std::vector<double> total_purchases(draws, 0.0);
  std::vector<double> total_revenue(draws, 0.0);
  std::vector<double> scratch;
  for (std::size_t g = 0; g < result.groups.size(); ++g) {
    const double* purchases = sums.purchases() + g * draws;
    const double* revenue = sums.revenue() + g * draws;
    for (std::size_t k = 0; k < draws; ++k) {
      total_purchases[k] += purchases[k];
      total_revenue[k] += revenue[k];
    }
    GroupForecast& group = result.groups[g];
    group.purchases = summarise(purchases, draws, scratch);
    group.revenue = summarise(revenue, draws, scratch);
    result.total.customers += group.customers;
    result.total.expected_purchases_analytic += group.expected_purchases_analytic;
    result.total.expected_revenue_analytic += group.expected_revenue_analytic;
  }
  result.total.purchases = summarise(total_purchases.data(), draws, scratch);
  result.total.revenue = summarise(total_revenue.data(), draws, scratch);
  return result;
}

}  // namespace clvkit
