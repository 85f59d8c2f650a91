// MBG/NBD's simulation of new customers (PurchaseModel::draw_customer, next_purchase_time): the
// process of Batislam, Denizel & Filiztekin (2007) drawn from a SimulationRng. Order of the draws:
// lambda, then p (draw_customer), then per purchase, the first one included, the dropout uniform
// and, if still active, the exponential waiting time (next_purchase_time). The first uniform is
// the dropout at time zero, before any repeat purchase: what distinguishes MBG/NBD from BG/NBD.

#include <limits>

#include "clvkit/models/mbgnbd_model.hpp"
#include "clvkit/util/format.hpp"

namespace clvkit {
namespace {

constexpr std::size_t kTimePerRate = 2;  // values[2]: time_scale / lambda

}  // namespace

void MbgNbdModel::draw_customer(SimulationRng& rng, double time_scale,
                                LatentState& state) const noexcept {
  const double lambda = r_sampler_.draw(rng) / params_.alpha;
  state.values[kLatentLambda] = lambda;
  state.values[kLatentDropout] = sample_beta(rng, a_sampler_, b_sampler_);
  // Waiting times are Exponential(lambda) in model time units: E / lambda, here in the caller's
  // units with one multiplication per purchase. inf when lambda == 0 (G underflows for tiny r).
  state.values[kTimePerRate] = time_scale / lambda;
}

double MbgNbdModel::next_purchase_time(const LatentState& state, std::int64_t /*repeat_purchases*/,
                                       double t, SimulationRng& rng) const noexcept {
  // BDF 2007: the coin is tossed after every purchase, the first one (time zero) included.
  if (sample_uniform(rng) < state.values[kLatentDropout]) {
    return std::numeric_limits<double>::infinity();
  }
  return t + sample_exponential(rng) * state.values[kTimePerRate];
}

LatentDescription MbgNbdModel::describe_latent(const LatentState& state) const {
  return {"lambda = " + format_number(state.values[kLatentLambda]) +
              " per time unit and dropout p = " + format_number(state.values[kLatentDropout]),
          "r, alpha, a and b"};
}

}  // namespace clvkit
