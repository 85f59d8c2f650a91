#pragma once
// Internal to src/models: FutureMoments of the models of Poisson purchases with a dropout coin
// after each purchase (BG/NBD, MBG/NBD), for the forecast's aggregated path (forecast.hpp).
// E[X] = P(alive) E[N] and E[X^2] = P(alive) E[N^2], with the moments of N given alive by
// dropout_future_moments (a function of x and T only, evaluated once per distinct (x, T) and
// draw) and P(alive) from logarithms tabulated per distinct day value and x for the draw, as
// BG/NBD's simulator does.
//   BG/NBD:  P(alive) = 1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)), 1 at
//            x = 0; given alive p ~ Beta(a, b + x).
//   MBG/NBD: P(alive) = 1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x)) for every
//            x; given alive p ~ Beta(a, b + x + 1).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "clvkit/models/purchase_model.hpp"
#include "dropout_future.hpp"

namespace clvkit::detail {

class DropoutFutureMoments final : public FutureMoments {
 public:
  // `modified`: MBG/NBD (else BG/NBD). `fixed` = {r, alpha, a, b}, used without draws.
  DropoutFutureMoments(bool modified, std::vector<double> fixed,
                       const std::vector<PurchaseHistory>& customers, double horizon,
                       const std::vector<std::vector<double>>& draws)
      : modified_(modified), fixed_(std::move(fixed)), horizon_(horizon), draws_(draws) {
    std::vector<std::pair<double, double>> pairs;
    for (const PurchaseHistory& h : customers) {
      days_.push_back(h.T);
      days_.push_back(h.t_x);
      counts_.push_back(h.x);
      pairs.emplace_back(h.x, h.T);
    }
    distinct(days_);
    distinct(counts_);
    distinct(pairs);
    for (const auto& [x, T] : pairs) {
      pair_x_row_.push_back(row_of(counts_, x));
      pair_T_row_.push_back(row_of(days_, T));
    }
    rows_.reserve(customers.size());
    for (const PurchaseHistory& h : customers) {
      rows_.push_back(
          {row_of(days_, h.T), row_of(days_, h.t_x), row_of(counts_, h.x),
           static_cast<std::uint32_t>(
               std::lower_bound(pairs.begin(), pairs.end(), std::pair(h.x, h.T)) - pairs.begin())});
    }
  }

  void moments(int draw, std::span<double> mean, std::span<double> second) const override {
    const std::vector<double>& p = draws_.empty() ? fixed_ : draws_[static_cast<std::size_t>(draw)];
    const double r = p[0], alpha = p[1], a = p[2], b = p[3];
    std::vector<double> log_day(days_.size());
    for (std::size_t v = 0; v < days_.size(); ++v) log_day[v] = std::log(alpha + days_[v]);
    std::vector<double> log_odds(counts_.size());
    for (std::size_t v = 0; v < counts_.size(); ++v) {
      log_odds[v] = std::log(a / (b + counts_[v] - (modified_ ? 0.0 : 1.0)));
    }
    std::vector<PurchaseMoments> alive(pair_x_row_.size());
    for (std::size_t j = 0; j < alive.size(); ++j) {
      const double x = counts_[pair_x_row_[j]];
      const double T = days_[pair_T_row_[j]];
      alive[j] =
          dropout_future_moments(r + x, alpha + T, a, b + x + (modified_ ? 1.0 : 0.0), horizon_);
    }
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      const Rows& c = rows_[i];
      const double x = counts_[c.x];
      double p_alive = 1.0;
      if (modified_ || x > 0.0) {
        p_alive = 1.0 / (1.0 + std::exp(log_odds[c.x] + (r + x) * (log_day[c.T] - log_day[c.t_x])));
      }
      mean[i] = p_alive * alive[c.pair].mean;
      second[i] = p_alive * alive[c.pair].second;
    }
  }

 private:
  struct Rows {
    std::uint32_t T;
    std::uint32_t t_x;
    std::uint32_t x;
    std::uint32_t pair;
  };
  template <class V>
  static void distinct(std::vector<V>& values) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
  }
  static std::uint32_t row_of(const std::vector<double>& values, double value) {
    return static_cast<std::uint32_t>(std::lower_bound(values.begin(), values.end(), value) -
                                      values.begin());
  }

  bool modified_;
  std::vector<double> fixed_;
  double horizon_;
  std::vector<std::vector<double>> draws_;
  std::vector<double> days_;
  std::vector<double> counts_;
  std::vector<std::uint32_t> pair_x_row_;
  std::vector<std::uint32_t> pair_T_row_;
  std::vector<Rows> rows_;
};

}  // namespace clvkit::detail
