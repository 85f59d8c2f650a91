// DERT for every purchase model (PurchaseModel::discounted_expected_purchases_if_alive): the
// generic quadrature of the expected purchases against Pareto/NBD's closed form (FHL 2005) and,
// for BG/NBD and MBG/NBD, against a plain Riemann sum of the discounted increments; properties;
// and value predictions with ValueOptions::lifetime.

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/gamma_gamma_model.hpp"
#include "clvkit/models/purchase_model.hpp"

namespace {

using namespace clvkit;

std::unique_ptr<PurchaseModel> model(const char* key, std::vector<double> params) {
  return purchase_model_family(key).make(params);
}

// lifetimes' CDNOW estimates (weeks), as in the per-model tests.
std::unique_ptr<PurchaseModel> cdnow(const char* key) {
  if (std::string(key) == "pnbd") {
    return model(key, {0.5532815861528053, 10.577753122778805, 0.6061714462872277,
                       11.666906530603386});
  }
  if (std::string(key) == "mbgnbd") {
    return model(key, {0.5248377255676664, 6.1829884791339715, 0.8913562809311414,
                       1.6140000256721279});
  }
  return model(key, {0.24259292827982198, 4.413532265271817, 0.7928859664406002,
                     2.4257523826255123});
}

// sum_k e^(-delta t_k) (E(t_k) - E(t_{k-1})) on a fine grid to where the discount is 1e-12: the
// discounted increments of E[X(t) | alive], the definition of DERT, with no quadrature rule.
double riemann_dert(const PurchaseModel& m, double x, double T, double delta) {
  const double end = -std::log(1e-12) / delta;
  const int steps = 100000;
  double previous = 0.0;
  double sum = 0.0;
  for (int k = 1; k <= steps; ++k) {
    const double t = end * k / steps;
    const double mid = end * (k - 0.5) / steps;
    const double e = m.expected_purchases_if_alive(x, T, t);
    sum += std::exp(-delta * mid) * (e - previous);
    previous = e;
  }
  return sum;
}

}  // namespace

TEST_CASE("the generic DERT quadrature equals Pareto/NBD's closed form", "[dert][pnbd]") {
  const auto pnbd = cdnow("pnbd");
  for (const double delta : {0.0018, 0.01, 0.1, 1.0}) {      // 10% a year in weeks .. steep
    for (const double x : {0.0, 1.0, 5.0, 40.0}) {
      for (const double T : {0.5, 38.86, 200.0}) {
        const double closed = pnbd->discounted_expected_purchases_if_alive(x, T, delta);
        const double generic = pnbd->PurchaseModel::discounted_expected_purchases_if_alive(x, T, delta);
        CAPTURE(delta, x, T, closed, generic);
        CHECK(generic == Approx(closed).epsilon(1e-8));
      }
    }
  }
}

TEST_CASE("DERT of BG/NBD and MBG/NBD equals the discounted increments of E[X(t)]",
          "[dert][bgnbd][mbgnbd]") {
  for (const char* key : {"bgnbd", "mbgnbd"}) {
    const auto m = cdnow(key);
    for (const double delta : {0.0018, 0.05}) {
      for (const double x : {0.0, 2.0, 10.0}) {
        const double T = 38.86;
        const double dert = m->discounted_expected_purchases_if_alive(x, T, delta);
        CAPTURE(key, delta, x, dert);
        CHECK(dert == Approx(riemann_dert(*m, x, T, delta)).epsilon(1e-6));
      }
    }
  }
}

TEST_CASE("DERT properties: below the undiscounted total, falling in delta, P(alive) times",
          "[dert]") {
  for (const char* key : {"bgnbd", "mbgnbd", "pnbd"}) {
    const auto m = cdnow(key);
    const PurchaseHistory h{3.0, 20.0, 38.86};
    double previous = INFINITY;
    for (const double delta : {0.001, 0.01, 0.1, 1.0, 10.0}) {
      const double dert = m->discounted_expected_purchases_if_alive(h.x, h.T, delta);
      CAPTURE(key, delta, dert);
      CHECK(std::isfinite(dert));
      CHECK(dert > 0.0);
      CHECK(dert < previous);
      // Discounting at delta never gives more than the undiscounted purchases up to a time where
      // the discount is still e^-1, plus what comes after, discounted at least by e^-1.
      CHECK(dert > std::exp(-1.0) * m->expected_purchases_if_alive(h.x, h.T, 1.0 / delta));
      previous = dert;
    }
    CHECK(m->discounted_expected_purchases(h, 0.01) ==
          Approx(m->p_alive(h) * m->discounted_expected_purchases_if_alive(h.x, h.T, 0.01)));
    CHECK(std::isnan(m->discounted_expected_purchases_if_alive(h.x, h.T, 0.0)));
    CHECK(std::isnan(m->discounted_expected_purchases_if_alive(h.x, h.T, -1.0)));
  }
}

TEST_CASE("lifetime value predictions are DERT times the expected spend", "[dert][value]") {
  const auto m = cdnow("pnbd");
  const auto spend = spend_model_family("gamma_gamma").make(std::vector<double>{6.25, 3.74, 15.44});
  ValueOptions options;
  options.lifetime = true;
  options.margin = 0.3;
  options.annual_discount_rate = 0.15;
  const std::vector<ModelInput> customers = {{0, 0, 38.86, 0}, {2, 30.43, 38.86, 22.35}};
  const auto predictions = predict_value(customers, 7.0, *m, *spend, options);
  // delta per week from 15% a year, compounded per month: ln((1.15^(1/12))^12) / 365.25 * 7.
  const double delta = std::log(1.15) / 365.25 * 7.0;
  CHECK(continuous_discount_rate(options, 7.0) == Approx(delta).epsilon(1e-12));
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const ModelInput& c = customers[i];
    const double dert = m->discounted_expected_purchases({c.x, c.t_x, c.T}, delta);
    CHECK(predictions[i].expected_purchases == Approx(dert).epsilon(1e-12));
    const double spend_i = c.x > 0 ? spend->expected_spend(c.x, c.m) : spend->population_mean();
    CHECK(predictions[i].clv == Approx(0.3 * spend_i * dert).epsilon(1e-12));
    CHECK(predictions[i].value_at_risk ==
          Approx((1 - predictions[i].p_alive) * predictions[i].clv_if_alive));
  }
  options.annual_discount_rate = 0.0;
  CHECK_THROWS_AS(predict_value(customers, 7.0, *m, *spend, options), UsageError);
}
