// Pareto/NBD futures for the forecast (forecast.hpp's file comment): ParetoNbdModel's
// FutureSimulator. The draws and their order are documented at ParetoNbdModel::future_simulator.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/pnbd_model.hpp"
#include "clvkit/models/simulation_rng.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

// What a draw needs of one customer at one parameter value.
struct Posterior {
  double p_alive = 1.0;
  double shape = 0.0;         // r + x: lambda | alive ~ Gamma(r + x, alpha + T)
  double inv_shape = 0.0;     // 1 / (r + x)
  double rate = 0.0;          // alpha + T
  double inv_s = 0.0;         // 1 / s: mu | alive ~ Gamma(s, beta + T)
  double dropout_rate = 0.0;  // beta + T
  double p_outlives = 1.0;    // P(omega > h | alive) = ((beta+T)/(beta+T+h))^s
};

Posterior posterior(const ParetoNbdParams& p, const PurchaseHistory& h, double horizon) noexcept {
  Posterior post;
  post.p_alive = pnbd_p_alive(p, h.x, h.t_x, h.T);
  post.shape = p.r + h.x;
  post.inv_shape = 1.0 / post.shape;
  post.rate = p.alpha + h.T;
  post.inv_s = 1.0 / p.s;
  post.dropout_rate = p.beta + h.T;
  post.p_outlives = std::exp(-p.s * std::log1p(horizon / post.dropout_rate));
  return post;
}

// Steps 1-4 of ParetoNbdModel::future_simulator's comment. Inversion of a Lomax tail
// P(V > v) = (b / (b + v))^k at a uniform u: v = b expm1(-log(u) / k).
double draw_future(const Posterior& c, double horizon, SimulationRng& rng) noexcept {
  if (!(c.p_alive >= 1.0) && !(sample_uniform(rng) < c.p_alive)) return 0.0;
  const double u_life = sample_uniform(rng);
  const double exposure =
      u_life < c.p_outlives
          ? horizon
          : std::min(horizon, c.dropout_rate * std::expm1(-std::log(u_life) * c.inv_s));
  const double u_first = sample_uniform(rng);
  // P(tau > e) = (rate / (rate + e))^shape: no purchase in the exposure.
  if (u_first < std::exp(-c.shape * std::log1p(exposure / c.rate))) return 0.0;
  const double tau = std::min(c.rate * std::expm1(-std::log(u_first) * c.inv_shape), exposure);
  const double lambda = sample_gamma(rng, c.shape + 1.0, c.rate + tau);
  // Later arrivals: a unit-rate process over [0, lambda (e - tau)].
  const double remaining = lambda * (exposure - tau);
  double n = 1.0;
  for (double arrival = sample_exponential(rng); arrival <= remaining;
       arrival += sample_exponential(rng)) {
    n += 1.0;
  }
  return n;
}

class ParetoNbdFutureSimulator final : public FutureSimulator {
 public:
  ParetoNbdFutureSimulator(const ParetoNbdParams& params,
                           const std::vector<PurchaseHistory>& customers, double horizon,
                           const std::vector<std::vector<double>>& draw_parameters)
      : horizon_(horizon), customers_(customers) {
    prepared_.reserve(customers.size());
    for (std::size_t i = 0; i < customers.size(); ++i) {
      const PurchaseHistory& h = customers[i];
      prepared_.push_back(posterior(params, h, horizon));
      const double p = prepared_.back().p_alive;
      if (!(p >= 0.0 && p <= 1.0)) {
        throw ModelError("forecast: customer " + std::to_string(i) +
                         " (0-based) (x = " + format_number(h.x) +
                         ", t_x = " + format_number(h.t_x) + ", T = " + format_number(h.T) +
                         ") has P(alive) = " + format_number(p) + ", not a probability");
      }
    }
    draws_.reserve(draw_parameters.size());
    for (const std::vector<double>& d : draw_parameters) draws_.push_back({d[0], d[1], d[2], d[3]});
  }

  double draw_purchases(std::size_t customer, int draw,
                        SimulationRng& rng) const noexcept override {
    if (draws_.empty()) return draw_future(prepared_[customer], horizon_, rng);
    // A parameter draw: the posterior (P(alive): two 2F1s) at that draw's parameters.
    const Posterior c =
        posterior(draws_[static_cast<std::size_t>(draw)], customers_[customer], horizon_);
    return draw_future(c, horizon_, rng);
  }

 private:
  double horizon_;
  std::vector<PurchaseHistory> customers_;
  std::vector<Posterior> prepared_;
  std::vector<ParetoNbdParams> draws_;
};

// (exp(k L) - 1) / k, its limit L at k = 0.
double expm1_ratio(double k, double L) noexcept { return k == 0.0 ? L : std::expm1(k * L) / k; }

// Given alive at T: lambda ~ Gamma(r + x, alpha + T) and the remaining lifetime omega with
// P(omega > w) = (B / (B + w))^s, B = beta + T, independent. With e = min(omega, h) and
// H = h / B, L = log1p(H):
//   E[e]   = integral_0^h P(omega > w) dw      = B (exp((1 - s) L) - 1) / (1 - s)
//   E[e^2] = integral_0^h 2 w P(omega > w) dw  = 2 B^2 [(exp((2-s) L) - 1)/(2-s) - (exp((1-s) L) -
//   1)/(1-s)]
// and N | lambda, e ~ Poisson(lambda e): E[N] = E[lambda] E[e], E[N^2] = E[N] + E[lambda^2] E[e^2].
// The distinct values of `values` in ascending order, and each value's index among them.
std::vector<double> distinct_values(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

std::uint32_t index_of(const std::vector<double>& sorted, double value) {
  return static_cast<std::uint32_t>(std::lower_bound(sorted.begin(), sorted.end(), value) -
                                    sorted.begin());
}

class ParetoNbdFutureMoments final : public FutureMoments {
 public:
  ParetoNbdFutureMoments(const ParetoNbdParams& params,
                         const std::vector<PurchaseHistory>& customers, double horizon,
                         const std::vector<std::vector<double>>& draw_parameters)
      : params_(params), horizon_(horizon), customers_(customers) {
    for (const std::vector<double>& d : draw_parameters) draws_.push_back({d[0], d[1], d[2], d[3]});
    // P(alive) needs the tail integral at (x, t_x) and (x, T): the histories of a large base
    // share far fewer (x, time) pairs than they number, so the tails are tabulated per draw.
    std::vector<double> xs, times;
    for (const PurchaseHistory& h : customers_) {
      xs.push_back(h.x);
      times.push_back(h.t_x);
      times.push_back(h.T);
    }
    xs_ = distinct_values(std::move(xs));
    times_ = distinct_values(std::move(times));
    for (const PurchaseHistory& h : customers_) {
      keys_.push_back({index_of(xs_, h.x), index_of(times_, h.t_x), index_of(times_, h.T)});
    }
  }

  void moments(int draw, std::span<double> mean, std::span<double> second) const override {
    const ParetoNbdParams& p = draws_.empty() ? params_ : draws_[static_cast<std::size_t>(draw)];
    // log F(y; r + x, s + 1) by (x, y), computed when first needed (NaN: not yet).
    const std::size_t cells = xs_.size() * times_.size();
    const bool tabulate = cells <= kMaxTailTable;
    std::vector<double> tails(tabulate ? cells : 0, std::numeric_limits<double>::quiet_NaN());
    const auto tail = [&](std::uint32_t x, std::uint32_t time) {
      if (!tabulate) return pnbd_log_tail_integral(p.r + xs_[x], p.s + 1.0, p.alpha, p.beta, times_[time]);
      double& cell = tails[x * times_.size() + time];
      if (std::isnan(cell)) {
        cell = pnbd_log_tail_integral(p.r + xs_[x], p.s + 1.0, p.alpha, p.beta, times_[time]);
      }
      return cell;
    };
    // What depends on one time only, per distinct time: log(alpha + t), log(beta + t) and the
    // horizon factors of E[X] and E[X^2] given alive at T = t.
    const std::size_t n_times = times_.size();
    std::vector<double> log_alpha_t(n_times), log_beta_t(n_times), e1(n_times), e2(n_times);
    for (std::size_t t = 0; t < n_times; ++t) {
      log_alpha_t[t] = std::log(p.alpha + times_[t]);
      log_beta_t[t] = std::log(p.beta + times_[t]);
      const double B = p.beta + times_[t];
      const double L = std::log1p(horizon_ / B);
      e1[t] = B * expm1_ratio(1.0 - p.s, L);
      e2[t] = 2.0 * B * B * (expm1_ratio(2.0 - p.s, L) - expm1_ratio(1.0 - p.s, L));
    }
    const double log_s = std::log(p.s);
    for (std::size_t i = 0; i < customers_.size(); ++i) {
      const PurchaseHistory& h = customers_[i];
      const Key& key = keys_[i];
      const double shape = p.r + h.x;
      const double rate = p.alpha + h.T;
      const double n1 = shape / rate * e1[key.T];
      const double n2 = n1 + shape * (shape + 1.0) / (rate * rate) * e2[key.T];
      const double p_alive =
          h.t_x == h.T
              ? 1.0
              : pnbd_p_alive_from_parts(log_s,
                                        -(p.r + h.x) * log_alpha_t[key.T] - p.s * log_beta_t[key.T],
                                        tail(key.x, key.t_x), tail(key.x, key.T));
      mean[i] = p_alive * n1;
      second[i] = p_alive * n2;
    }
  }

 private:
  // Beyond this many (x, time) cells (32 MB of doubles) the tails are computed per history.
  static constexpr std::size_t kMaxTailTable = std::size_t{1} << 22;
  struct Key {
    std::uint32_t x, t_x, T;
  };

  ParetoNbdParams params_;
  double horizon_;
  std::vector<PurchaseHistory> customers_;
  std::vector<ParetoNbdParams> draws_;
  std::vector<double> xs_;     ///< distinct x of the histories
  std::vector<double> times_;  ///< distinct t_x and T
  std::vector<Key> keys_;      ///< per history: indices into xs_ and times_
};

}  // namespace

std::unique_ptr<FutureSimulator> ParetoNbdModel::future_simulator(
    const std::vector<PurchaseHistory>& customers, double horizon,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<ParetoNbdFutureSimulator>(params_, customers, horizon, draw_parameters);
}

std::unique_ptr<FutureMoments> ParetoNbdModel::future_moments(
    const std::vector<PurchaseHistory>& customers, double horizon,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<ParetoNbdFutureMoments>(params_, customers, horizon, draw_parameters);
}

}  // namespace clvkit
