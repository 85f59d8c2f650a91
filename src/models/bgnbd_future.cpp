// BG/NBD futures for the forecast (forecast.hpp's file comment, steps 1-3): BgNbdModel's
// FutureSimulator.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/bgnbd_model.hpp"
#include "clvkit/models/simulation_rng.hpp"
#include "clvkit/util/format.hpp"
#include "dropout_future.hpp"
#include "dropout_moments.hpp"

namespace clvkit {
namespace {

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

// What the simulation needs of one customer, computed once rather than once per draw.
struct PreparedCustomer {
  double p_alive = 1.0;
  double p_none = 1.0;      // P(no purchase in the horizon | alive) = (beta / (beta + h))^s
  double shape = 0.0;       // s = r + x: lambda | alive ~ Gamma(s, beta)
  double inv_shape = 0.0;   // 1 / s
  double rate = 0.0;        // beta = alpha + T
  double dropout_ab = 0.0;  // a + b + x: the urn's total after x survived coins
  // The history itself, for per-draw parameters.
  double x = 0.0;
  double t_x = 0.0;
  double T = 0.0;
  // Rows of DrawLogs: of the customer's T, of its t_x, and of its x (x > 0 only).
  std::uint32_t T_row = 0;
  std::uint32_t t_x_row = 0;
  std::uint32_t x_row = 0;
};

// The population parameters of one draw (parameter uncertainty, see forecast.hpp).
struct DrawParameters {
  BgNbdParams bgnbd;
  double a_plus_b = 0.0;
};

// The per-draw logarithms of the parameter-uncertainty path, tabulated by value: a customer's
// draws otherwise spent most of their time in seven logarithms and exponentials per draw; with
// the tables two exponentials remain. Customers share few values (times in whole days, purchase
// counts), so a row per distinct T or t_x value (log(alpha_k + v) and log1p(h / (alpha_k + v))
// for every draw k) and per distinct x (log(a_k / (b_k + x - 1))) is small; rows are laid out
// draw after draw, so one customer's draws read contiguous memory. Above kMaxTableBytes (data of
// continuous times, say) each value is computed when a draw needs it, by the same expressions:
// the same bits either way.
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
    if (tabled_) fill(days, counts);
  }

  // log(alpha_k + T), log(alpha_k + t_x), log1p(h / (alpha_k + T)) and, for x > 0,
  // log(a_k / (b_k + x - 1)) of customer c in draw k.
  double log_alpha_T(const PreparedCustomer& c, std::size_t k) const noexcept {
    return tabled_ ? log_alpha_[c.T_row * draws_ + k] : log_alpha_plus(table_[k].bgnbd.alpha, c.T);
  }
  double log_alpha_t_x(const PreparedCustomer& c, std::size_t k) const noexcept {
    return tabled_ ? log_alpha_[c.t_x_row * draws_ + k]
                   : log_alpha_plus(table_[k].bgnbd.alpha, c.t_x);
  }
  double log_none(const PreparedCustomer& c, std::size_t k) const noexcept {
    return tabled_ ? log_none_[c.T_row * draws_ + k]
                   : log_no_purchase_rate(table_[k].bgnbd.alpha, c.T, horizon_);
  }
  double log_odds(const PreparedCustomer& c, std::size_t k) const noexcept {
    return tabled_ ? log_odds_[c.x_row * draws_ + k]
                   : log_dropout_odds(table_[k].bgnbd.a, table_[k].bgnbd.b, c.x);
  }

 private:
  void fill(const std::vector<double>& days, const std::vector<double>& counts) {
    log_alpha_.resize(days.size() * draws_);
    log_none_.resize(days.size() * draws_);
    log_odds_.resize(counts.size() * draws_);
    for (std::size_t v = 0; v < days.size(); ++v) {
      for (std::size_t k = 0; k < draws_; ++k) {
        const double alpha = table_[k].bgnbd.alpha;
        log_alpha_[v * draws_ + k] = log_alpha_plus(alpha, days[v]);
        log_none_[v * draws_ + k] = log_no_purchase_rate(alpha, days[v], horizon_);
      }
    }
    for (std::size_t v = 0; v < counts.size(); ++v) {
      for (std::size_t k = 0; k < draws_; ++k) {
        log_odds_[v * draws_ + k] =
            log_dropout_odds(table_[k].bgnbd.a, table_[k].bgnbd.b, counts[v]);
      }
    }
  }

  const std::vector<DrawParameters>& table_;
  double horizon_;
  std::size_t draws_;
  bool tabled_ = false;
  std::vector<double> log_alpha_;  // [day value][draw]
  std::vector<double> log_none_;   // [day value][draw]
  std::vector<double> log_odds_;   // [x value][draw]
};

class BgNbdFutureSimulator final : public FutureSimulator {
 public:
  BgNbdFutureSimulator(const BgNbdParams& params, const std::vector<PurchaseHistory>& customers,
                       double horizon, const std::vector<std::vector<double>>& draw_parameters)
      : params_(params),
        horizon_(horizon),
        prepared_(prepare(params, customers, horizon)),
        table_(draw_table(draw_parameters)),
        logs_(table_, horizon, prepared_) {}

  double draw_purchases(std::size_t customer, int draw,
                        SimulationRng& rng) const noexcept override {
    const PreparedCustomer& c = prepared_[customer];
    if (table_.empty()) {
      if (!(c.p_alive >= 1.0) && !(sample_uniform(rng) < c.p_alive)) return 0.0;
      const double u = sample_uniform(rng);
      if (u < c.p_none) return 0.0;
      return detail::draw_future(rng, {c.shape, c.inv_shape, c.rate, c.dropout_ab, params_.a}, u,
                                 horizon_);
    }
    // Draw k's parameters: P(alive), the posterior and the no-purchase probability by the same
    // expressions as the fixed path (so the fitted parameters reproduce it bit for bit), the
    // random numbers consumed in the same order.
    const auto k = static_cast<std::size_t>(draw);
    const DrawParameters& d = table_[k];
    const double shape = d.bgnbd.r + c.x;
    // x = 0 is alive for certain (P(alive) = 1 exactly), as in the fixed path.
    if (c.x > 0.0) {
      const double p_alive = alive_probability(logs_.log_odds(c, k), shape, logs_.log_alpha_T(c, k),
                                               logs_.log_alpha_t_x(c, k));
      if (!(p_alive >= 1.0) && !(sample_uniform(rng) < p_alive)) return 0.0;
    }
    const double p_none = std::exp(-shape * logs_.log_none(c, k));
    const double u = sample_uniform(rng);
    if (u < p_none) return 0.0;
    return detail::draw_future(
        rng, {shape, 1.0 / shape, d.bgnbd.alpha + c.T, d.a_plus_b + c.x, d.bgnbd.a}, u, horizon_);
  }

 private:
  static std::vector<PreparedCustomer> prepare(const BgNbdParams& params,
                                               const std::vector<PurchaseHistory>& customers,
                                               double horizon) {
    std::vector<PreparedCustomer> prepared(customers.size());
    for (std::size_t i = 0; i < customers.size(); ++i) {
      const PurchaseHistory& h = customers[i];
      PreparedCustomer& p = prepared[i];
      p.shape = params.r + h.x;
      p.p_alive = h.x == 0.0 ? 1.0
                             : alive_probability(log_dropout_odds(params.a, params.b, h.x), p.shape,
                                                 log_alpha_plus(params.alpha, h.T),
                                                 log_alpha_plus(params.alpha, h.t_x));
      if (!(p.p_alive >= 0.0 && p.p_alive <= 1.0)) {
        throw ModelError("forecast: customer " + std::to_string(i) +
                         " (0-based) (x = " + format_number(h.x) +
                         ", t_x = " + format_number(h.t_x) + ", T = " + format_number(h.T) +
                         ") has P(alive) = " + format_number(p.p_alive) + ", not a probability");
      }
      p.inv_shape = 1.0 / p.shape;
      p.rate = params.alpha + h.T;
      p.p_none = std::exp(-p.shape * log_no_purchase_rate(params.alpha, h.T, horizon));
      p.dropout_ab = params.a + params.b + h.x;
      p.x = h.x;
      p.t_x = h.t_x;
      p.T = h.T;
    }
    return prepared;
  }

  static std::vector<DrawParameters> draw_table(const std::vector<std::vector<double>>& draws) {
    std::vector<DrawParameters> table;
    table.reserve(draws.size());
    for (const std::vector<double>& d : draws) {
      const BgNbdParams params{d[0], d[1], d[2], d[3]};
      table.push_back({params, params.a + params.b});
    }
    return table;
  }

  BgNbdParams params_;
  double horizon_;
  std::vector<PreparedCustomer> prepared_;
  std::vector<DrawParameters> table_;
  DrawLogs logs_;
};

}  // namespace

std::unique_ptr<FutureSimulator> BgNbdModel::future_simulator(
    const std::vector<PurchaseHistory>& customers, double horizon,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<BgNbdFutureSimulator>(params_, customers, horizon, draw_parameters);
}

std::unique_ptr<FutureMoments> BgNbdModel::future_moments(
    const std::vector<PurchaseHistory>& customers, double horizon,
    const std::vector<std::vector<double>>& draw_parameters) const {
  return std::make_unique<detail::DropoutFutureMoments>(false, parameters(), customers, horizon,
                                                        draw_parameters);
}

}  // namespace clvkit
