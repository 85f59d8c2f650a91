// BG/BB futures for the forecast (forecast.hpp's file comment): BgBbModel's FutureSimulator. The
// posterior, the draws and their order are documented at BgBbModel::future_simulator.

#include <cmath>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/bgbb_model.hpp"
#include "clvkit/models/simulation_rng.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

// What a draw needs of one customer at one parameter value.
struct Posterior {
  double p_alive = 1.0;    // P(alive at opportunity n+1)
  double p_shape_a = 0.0;  // p | alive ~ Beta(alpha + x, beta + n - x)
  double p_shape_b = 0.0;
  double theta_shape_a = 0.0;  // theta | alive ~ Beta(gamma, delta + n + 1)
  double theta_shape_b = 0.0;
};

Posterior posterior(const BgBbParams& p, const BgBbHistory& h) noexcept {
  return {bgbb_p_alive(p, h.x, h.t_x, h.n), p.alpha + h.x, p.beta + (h.n - h.x), p.gamma,
          p.delta + h.n + 1.0};
}

// 1 + floor(log U / log(1 - q)): Geometric(q) on 1, 2, ... by inversion; +inf for q = 0.
double geometric(SimulationRng& rng, double q) noexcept {
  return 1.0 + std::floor(std::log(sample_uniform(rng)) / std::log1p(-q));
}

// Steps 1-4 of BgBbModel::future_simulator's comment, over m >= 1 opportunities.
double draw_future(const Posterior& c, double m, SimulationRng& rng) noexcept {
  if (!(c.p_alive >= 1.0) && !(sample_uniform(rng) < c.p_alive)) return 0.0;
  const double p = sample_beta(rng, c.p_shape_a, c.p_shape_b);
  const double theta = sample_beta(rng, c.theta_shape_a, c.theta_shape_b);
  // Active at n+1 for certain, then at each later opportunity with probability 1 - theta.
  const double active = std::fmin(m, geometric(rng, theta));
  double transactions = 0.0;
  for (double at = geometric(rng, p); at <= active; at += geometric(rng, p)) transactions += 1.0;
  return transactions;
}

class BgBbFutureSimulator final : public FutureSimulator {
 public:
  BgBbFutureSimulator(const BgBbParams& params, const std::vector<PurchaseHistory>& customers,
                      double horizon, const std::vector<std::vector<double>>& draw_parameters)
      : opportunities_(std::floor(horizon + 1e-9)) {
    histories_.reserve(customers.size());
    prepared_.reserve(customers.size());
    for (std::size_t i = 0; i < customers.size(); ++i) {
      const PurchaseHistory& h = customers[i];
      histories_.push_back(bgbb_history(h.x, h.t_x, h.T));
      prepared_.push_back(posterior(params, histories_.back()));
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
    if (!(opportunities_ >= 1.0)) return 0.0;
    if (draws_.empty()) return draw_future(prepared_[customer], opportunities_, rng);
    // A parameter draw: P(alive) (a sum over the opportunities after t_x) and the posterior at
    // that draw's parameters, by the same expressions as the fixed path.
    const Posterior c = posterior(draws_[static_cast<std::size_t>(draw)], histories_[customer]);
    return draw_future(c, opportunities_, rng);
  }

 private:
  double opportunities_;  // m = floor(horizon + 1e-9)
  std::vector<BgBbHistory> histories_;
  std::vector<Posterior> prepared_;
  std::vector<BgBbParams> draws_;
};

}  // namespace

std::unique_ptr<FutureSimulator> BgBbModel::future_simulator(
    const std::vector<PurchaseHistory>& customers, double horizon,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<BgBbFutureSimulator>(params_, customers, horizon, draw_parameters);
}

}  // namespace clvkit
