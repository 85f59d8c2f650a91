// BG/BB's simulation of new customers (PurchaseModel::draw_customer, next_purchase_time): the
// process of Fader, Hardie & Shang (2010) drawn from a SimulationRng, at whole opportunities.
// Order of the draws: p, theta, the lifetime's uniform (draw_customer), then one uniform per
// purchase for the gap to the next transaction (next_purchase_time).

#include <cmath>
#include <limits>

#include "clvkit/models/bgbb_model.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

constexpr std::size_t kActiveOpportunities = 2;  // values[2]: opportunities active, A
constexpr std::size_t kTimeScale = 3;            // values[3]: caller's units per opportunity

// 1 + floor(log U / log(1 - q)) for U uniform: the opportunities until the first success of
// coins with probability q (Geometric(q) on 1, 2, ...). +inf for q = 0, 1 for q = 1.
double geometric_gap(SimulationRng& rng, double q) noexcept {
  return 1.0 + std::floor(std::log(sample_uniform(rng)) / std::log1p(-q));
}

}  // namespace

void BgBbModel::draw_customer(SimulationRng& rng, double time_scale,
                              LatentState& state) const noexcept {
  const double p = sample_beta(rng, alpha_sampler_, beta_sampler_);
  const double theta = sample_beta(rng, gamma_sampler_, delta_sampler_);
  state.values[kLatentTransaction] = p;
  state.values[kLatentDropout] = theta;
  // Active at opportunities 1 .. A: the first dropout coin to come up is at A + 1.
  state.values[kActiveOpportunities] = geometric_gap(rng, theta) - 1.0;
  state.values[kTimeScale] = time_scale;
}

double BgBbModel::next_purchase_time(const LatentState& state, std::int64_t, double t,
                                     SimulationRng& rng) const noexcept {
  const double time_scale = state.values[kTimeScale];
  const double next =
      std::round(t / time_scale) + geometric_gap(rng, state.values[kLatentTransaction]);
  if (!(next <= state.values[kActiveOpportunities]) || std::isinf(next)) {
    return std::numeric_limits<double>::infinity();
  }
  return next * time_scale;
}

LatentDescription BgBbModel::describe_latent(const LatentState& state) const {
  return {"p = " + format_number(state.values[kLatentTransaction]) +
              " per opportunity and dropout theta = " +
              format_number(state.values[kLatentDropout]) + " per opportunity",
          "alpha, beta, gamma and delta"};
}

}  // namespace clvkit
