// Pareto/NBD's simulation of new customers (PurchaseModel::draw_customer, next_purchase_time):
// the process of Schmittlein, Morrison & Colombo (1987) drawn from a SimulationRng. Order of the
// draws: lambda, mu, the lifetime's exponential (draw_customer), then one exponential waiting
// time per purchase (next_purchase_time).

#include <limits>

#include "clvkit/models/pnbd_model.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

constexpr std::size_t kTimePerRate = 2;  // values[2]: time_scale / lambda
constexpr std::size_t kLifetimeEnd = 3;  // values[3]: end of the lifetime, caller's units

}  // namespace

void ParetoNbdModel::draw_customer(SimulationRng& rng, double time_scale,
                                   LatentState& state) const noexcept {
  const double lambda = r_sampler_.draw(rng) / params_.alpha;
  const double mu = s_sampler_.draw(rng) / params_.beta;
  state.values[kLatentLambda] = lambda;
  state.values[kLatentMu] = mu;
  // inf when lambda == 0 or mu == 0 (the Gamma variate underflows for tiny shapes).
  state.values[kTimePerRate] = time_scale / lambda;
  state.values[kLifetimeEnd] = sample_exponential(rng) * (time_scale / mu);
}

double ParetoNbdModel::next_purchase_time(const LatentState& state, std::int64_t, double t,
                                          SimulationRng& rng) const noexcept {
  const double next = t + sample_exponential(rng) * state.values[kTimePerRate];
  // The lifetime runs from the first purchase (time 0): purchases after it do not happen.
  if (!(next <= state.values[kLifetimeEnd])) return std::numeric_limits<double>::infinity();
  return next;
}

LatentDescription ParetoNbdModel::describe_latent(const LatentState& state) const {
  return {"lambda = " + format_number(state.values[kLatentLambda]) +
              " per time unit and dropout rate mu = " + format_number(state.values[kLatentMu]) +
              " per time unit",
          "r, alpha, s and beta"};
}

}  // namespace clvkit
