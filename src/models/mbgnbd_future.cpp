// MBG/NBD futures for the forecast (forecast.hpp's file comment, steps 1-3): MbgNbdModel's
// FutureSimulator. As BG/NBD's (bgnbd_future.cpp) with one more survived coin, the one at time
// zero: P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) for every x (x = 0 included),
// and given alive p ~ Beta(a, b+x+1), so the urn after the k-th future purchase drops with
// probability a / (a+b+x+1+k-1). The draw after "alive and a purchase in the horizon" is the
// shared detail::draw_future.
//
// Unlike BG/NBD's simulator this one does not tabulate the logarithms of the parameter-uncertainty
// path by distinct value: a parameter draw computes its customer's four logarithms and two
// exponentials directly, by the same expressions as the fixed path (so the fitted parameters
// reproduce it bit for bit). That is slower with parameter draws on very large bases; MBG/NBD is
// not the default model.

#include <cmath>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/mbgnbd_model.hpp"
#include "clvkit/models/simulation_rng.hpp"
#include "clvkit/util/format.hpp"
#include "dropout_future.hpp"
#include "dropout_moments.hpp"

namespace clvkit {
namespace {

// What the simulation needs of one customer at one parameter value.
struct PreparedCustomer {
  double p_alive = 1.0;
  double p_none = 1.0;  // P(no purchase in the horizon | alive) = (beta / (beta + h))^s
  detail::FutureDraw future{};
};

PreparedCustomer prepare(const MbgNbdParams& p, const PurchaseHistory& h, double horizon) noexcept {
  PreparedCustomer c;
  const double shape = p.r + h.x;
  c.p_alive = 1.0 / (1.0 + std::exp(std::log(p.a / (p.b + h.x)) +
                                    shape * (std::log(p.alpha + h.T) - std::log(p.alpha + h.t_x))));
  c.p_none = std::exp(-shape * std::log1p(horizon / (p.alpha + h.T)));
  c.future = {shape, 1.0 / shape, p.alpha + h.T, p.a + p.b + h.x + 1.0, p.a};
  return c;
}

class MbgNbdFutureSimulator final : public FutureSimulator {
 public:
  MbgNbdFutureSimulator(const MbgNbdParams& params, const std::vector<PurchaseHistory>& customers,
                        double horizon, const std::vector<std::vector<double>>& draw_parameters)
      : customers_(customers), horizon_(horizon) {
    prepared_.reserve(customers.size());
    for (std::size_t i = 0; i < customers.size(); ++i) {
      const PurchaseHistory& h = customers[i];
      prepared_.push_back(prepare(params, h, horizon));
      const double p_alive = prepared_.back().p_alive;
      if (!(p_alive >= 0.0 && p_alive <= 1.0)) {
        throw ModelError("forecast: customer " + std::to_string(i) +
                         " (0-based) (x = " + format_number(h.x) +
                         ", t_x = " + format_number(h.t_x) + ", T = " + format_number(h.T) +
                         ") has P(alive) = " + format_number(p_alive) + ", not a probability");
      }
    }
    draws_.reserve(draw_parameters.size());
    for (const std::vector<double>& d : draw_parameters) draws_.push_back({d[0], d[1], d[2], d[3]});
  }

  double draw_purchases(std::size_t customer, int draw,
                        SimulationRng& rng) const noexcept override {
    const PreparedCustomer c = draws_.empty() ? prepared_[customer]
                                              : prepare(draws_[static_cast<std::size_t>(draw)],
                                                        customers_[customer], horizon_);
    if (!(c.p_alive >= 1.0) && !(sample_uniform(rng) < c.p_alive)) return 0.0;
    const double u = sample_uniform(rng);
    if (u < c.p_none) return 0.0;
    return detail::draw_future(rng, c.future, u, horizon_);
  }

 private:
  std::vector<PurchaseHistory> customers_;
  double horizon_;
  std::vector<PreparedCustomer> prepared_;
  std::vector<MbgNbdParams> draws_;
};

}  // namespace

std::unique_ptr<FutureSimulator> MbgNbdModel::future_simulator(
    const std::vector<PurchaseHistory>& customers, double horizon,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<MbgNbdFutureSimulator>(params_, customers, horizon, draw_parameters);
}

std::unique_ptr<FutureMoments> MbgNbdModel::future_moments(
    const std::vector<PurchaseHistory>& customers, double horizon,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<detail::DropoutFutureMoments>(true, parameters(), customers, horizon,
                                                        draw_parameters);
}

}  // namespace clvkit
