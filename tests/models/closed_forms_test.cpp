// The closed forms a SQL engine evaluates for clvkit sql score (analysis/database_scoring.hpp):
// P(alive) from AliveOdds, E[M | x, m] from the spend weight, and the per-(x, T) value terms,
// each against the model's own functions over a grid of histories.

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/spend_model.hpp"

namespace {

using namespace clvkit;

double p_alive_from_odds(const AliveOdds& odds, double t_x, double T) {
  if (odds.always_alive) return 1.0;
  const double d = odds.constant + odds.slope * std::log(1.0 + (T - t_x) / (odds.shift + t_x));
  return d > 0.0 ? std::exp(-d) / (1.0 + std::exp(-d)) : 1.0 / (1.0 + std::exp(d));
}

TEST_CASE("AliveOdds give the model's P(alive) to 1e-12 relative (BG/NBD, MBG/NBD)",
          "[models][closed-form]") {
  for (const char* key : {"bgnbd", "mbgnbd"}) {
    const std::unique_ptr<PurchaseModel> model =
        purchase_model_family(key).make(std::vector<double>{0.243, 4.41, 0.793, 2.43});
    CAPTURE(key);
    for (double x : {0.0, 1.0, 2.0, 7.0, 40.0}) {
      const std::optional<AliveOdds> odds = model->alive_odds(x);
      REQUIRE(odds);
      for (double T : {0.0, 0.5, 12.0, 38.86, 77.9}) {
        for (double share : {0.0, 0.3, 0.99, 1.0}) {
          const double t_x = x == 0.0 ? 0.0 : share * T;
          const double want = model->p_alive({x, t_x, T});
          CAPTURE(x, t_x, T, want);
          REQUIRE(p_alive_from_odds(*odds, t_x, T) == Approx(want).epsilon(1e-12).margin(1e-300));
        }
      }
    }
  }
  // Pareto/NBD has none: sql score takes its P(alive) from the terms table.
  REQUIRE_FALSE(purchase_model_family("pnbd")
                    .make(std::vector<double>{0.55, 10.6, 0.61, 11.7})
                    ->alive_odds(1.0));
}

TEST_CASE("Gamma-Gamma's spend weight gives its E[M | x, m]", "[models][closed-form]") {
  const std::unique_ptr<SpendModel> spend =
      spend_model_family("gamma_gamma").make(std::vector<double>{6.25, 3.74, 15.4});
  for (double x : {1.0, 2.0, 9.0, 100.0}) {
    const double w = spend->spend_weight(x).value();
    for (double m : {0.5, 23.7, 400.0}) {
      REQUIRE(w * m + (1 - w) * spend->population_mean() ==
              Approx(spend->expected_spend(x, m)).epsilon(1e-14));
    }
  }
}

TEST_CASE("value_if_alive is predict_value's factor of P(alive) and of E[M]",
          "[models][closed-form]") {
  const std::unique_ptr<PurchaseModel> purchase =
      purchase_model_family("bgnbd").make(std::vector<double>{0.243, 4.41, 0.793, 2.43});
  const std::unique_ptr<SpendModel> spend =
      spend_model_family("gamma_gamma").make(std::vector<double>{6.25, 3.74, 15.4});
  for (const bool lifetime : {false, true}) {
    ValueOptions options;
    options.lifetime = lifetime;
    options.margin = 0.3;
    const std::vector<ModelInput> customers = {
        {0, 0, 30.5, 0}, {3, 20.1, 38.9, 23.7}, {12, 70.0, 71.4, 8.2}};
    const std::vector<CustomerPrediction> predicted =
        predict_value(customers, 7.0, *purchase, *spend, options);
    std::vector<std::array<double, 2>> pairs;
    for (const ModelInput& c : customers) pairs.push_back({c.x, c.T});
    const std::vector<ValueIfAlive> terms = value_if_alive(pairs, 7.0, *purchase, options);
    for (std::size_t i = 0; i < customers.size(); ++i) {
      CAPTURE(lifetime, i);
      REQUIRE(predicted[i].p_alive * terms[i].expected_purchases ==
              Approx(predicted[i].expected_purchases).epsilon(1e-14));
      REQUIRE(terms[i].value_per_spend * predicted[i].expected_avg_spend ==
              Approx(predicted[i].clv_if_alive).epsilon(1e-14));
    }
  }
}

}  // namespace
