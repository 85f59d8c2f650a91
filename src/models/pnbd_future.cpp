// Pareto/NBD futures for the forecast (forecast.hpp's file comment): ParetoNbdModel's
// FutureSimulator. The draws and their order are documented at ParetoNbdModel::future_simulator.

#include <algorithm>
#include <cmath>
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

}  // namespace

std::unique_ptr<FutureSimulator> ParetoNbdModel::future_simulator(
    const std::vector<PurchaseHistory>& customers, double horizon,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<ParetoNbdFutureSimulator>(params_, customers, horizon, draw_parameters);
}

}  // namespace clvkit
