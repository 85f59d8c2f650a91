// BG/NBD's simulation of new customers (PurchaseModel::draw_customer, next_purchase_time): the
// process of Fader, Hardie & Lee (2005), section 3, drawn from a SimulationRng. The order of the
// draws is part of `clvkit simulate`'s output (the golden test pins it): lambda, then p, then per
// purchase the dropout uniform (after a repeat purchase) and the exponential waiting time.

#include <limits>

#include "clvkit/models/bgnbd_model.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

constexpr std::size_t kTimePerRate = 2;  // values[2]: time_scale / lambda

}  // namespace

void BgNbdModel::draw_customer(SimulationRng& rng, double time_scale,
                               LatentState& state) const noexcept {
  const double lambda = r_sampler_.draw(rng) / params_.alpha;
  state.values[kLatentLambda] = lambda;
  state.values[kLatentDropout] = sample_beta(rng, a_sampler_, b_sampler_);
  // Waiting times are Exponential(lambda) in model time units: E / lambda, here in the caller's
  // units with one multiplication per purchase. inf when lambda == 0 (G underflows for tiny r).
  state.values[kTimePerRate] = time_scale / lambda;
}

double BgNbdModel::next_purchase_time(const LatentState& state, std::int64_t repeat_purchases,
                                      double t, SimulationRng& rng) const noexcept {
  if (repeat_purchases > 0 && sample_uniform(rng) < state.values[kLatentDropout]) {
    return std::numeric_limits<double>::infinity();  // FHL 2005: dropout after a repeat purchase
  }
  return t + sample_exponential(rng) * state.values[kTimePerRate];
}

LatentDescription BgNbdModel::describe_latent(const LatentState& state) const {
  return {"lambda = " + format_number(state.values[kLatentLambda]) +
              " per time unit and dropout p = " + format_number(state.values[kLatentDropout]),
          "r, alpha, a and b"};
}

}  // namespace clvkit
