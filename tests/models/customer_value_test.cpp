// Customer value: the discounted CLV formula on a hand-computed case, lifetimes' CDNOW CLV at its
// own parameters and convention, and the properties every record must have.

#include "clvkit/models/customer_value.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "clvkit/error.hpp"

namespace {

using namespace clvkit;

// lifetimes 0.11.3 fits on the paper's CDNOW summary (tests/data/reference/README.md).
const BgNbdParams kLifetimesBgNbd{0.24259292827982198, 4.413532265271817, 0.7928859664406002,
                                  2.4257523826255123};
const GammaGammaParams kLifetimesGammaGamma{6.248802496077898, 3.744588460922642,
                                            15.447748064920148};

struct ClvReferenceRow {
  ModelInput input;
  double expected_spend = 0.0;
  double clv = 0.0;
};

std::vector<ClvReferenceRow> read_clv_reference() {
  std::ifstream in(std::string(CLVKIT_TEST_DATA_DIR) +
                   "/reference/gammagamma_clv_cdnow2357_customers.csv");
  REQUIRE(in);
  std::string line;
  std::getline(in, line);  // ID,frequency,recency,T,zbar,cond_exp_avg_profit,clv_...
  std::vector<ClvReferenceRow> rows;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string cell;
    std::vector<double> v;
    while (std::getline(fields, cell, ',')) v.push_back(std::stod(cell));
    rows.push_back({{v[1], v[2], v[3], v[4]}, v[5], v[6]});
  }
  return rows;
}

// lifetimes' customer_lifetime_value(time=12, discount_rate=0.01, freq='W'): twelve steps of
// 4.345 weeks, each discounted once at 1% at its end.
ValueOptions lifetimes_convention() {
  ValueOptions options;
  options.period_days = 4.345 * 7.0;
  options.horizon_days = 12 * options.period_days;
  options.period_discount_rate = 0.01;
  return options;
}

}  // namespace

TEST_CASE("discounted_value matches a hand-computed three-month case", "[clv]") {
  // E(t) = 1, 2, 3 purchases at the end of months 1..3: one purchase a month, spend 10,
  // margin 0.5, 1% a month: 0.5 * 10 * (1/1.01 + 1/1.01^2 + 1/1.01^3) = 14.7049...
  const double cumulative[] = {1.0, 2.0, 3.0};
  const double factors[] = {1 / 1.01, 1 / (1.01 * 1.01), 1 / (1.01 * 1.01 * 1.01)};
  ValueOptions options;
  options.margin = 0.5;
  const double expected = 5.0 * (1 / 1.01 + 1 / 1.0201 + 1 / 1.030301);
  CHECK(discounted_value(cumulative, 3, 10.0, options, factors) == Approx(expected).epsilon(1e-14));
  CHECK(expected == Approx(14.7049).margin(1e-4));
}

TEST_CASE("an annual rate is applied monthly as (1 + d)^(1/12) - 1", "[clv]") {
  // A customer with no uncertainty is not available in BG/NBD, so compare two horizons: the
  // 12-month CLV equals the sum of monthly increments of E[X | alive], each discounted by
  // 1.1^(-k/12); a zero rate gives the undiscounted expected spend.
  const std::vector<ModelInput> one{{3.0, 20.0, 30.0, 25.0}};
  ValueOptions undiscounted;
  undiscounted.annual_discount_rate = 0.0;
  const auto flat = predict_value(one, 7.0, kLifetimesBgNbd, kLifetimesGammaGamma, undiscounted);
  CHECK(flat[0].clv ==
        Approx(flat[0].expected_purchases * flat[0].expected_avg_spend).epsilon(1e-12));

  ValueOptions discounted;  // 10% a year
  const auto d = predict_value(one, 7.0, kLifetimesBgNbd, kLifetimesGammaGamma, discounted);
  CHECK(d[0].clv < flat[0].clv);
  // Bounded by discounting everything at the first and at the last month end.
  CHECK(d[0].clv > flat[0].clv * std::pow(1.1, -1.0));
  CHECK(d[0].clv < flat[0].clv * std::pow(1.1, -1.0 / 12.0));
}

TEST_CASE("CDNOW CLV matches lifetimes customer by customer under its convention",
          "[clv][paper][consistency]") {
  const auto rows = read_clv_reference();
  REQUIRE(rows.size() == 2357);
  std::vector<ModelInput> inputs;
  for (const auto& row : rows) inputs.push_back(row.input);
  const auto predictions =
      predict_value(inputs, 7.0, kLifetimesBgNbd, kLifetimesGammaGamma, lifetimes_convention());
  double total = 0.0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i, rows[i].input.x, rows[i].input.t_x, rows[i].input.T, rows[i].input.m);
    // The CSV keeps 10 significant digits.
    CHECK(predictions[i].expected_avg_spend == Approx(rows[i].expected_spend).epsilon(1e-8));
    CHECK(predictions[i].clv == Approx(rows[i].clv).epsilon(1e-8).margin(1e-9));
    total += predictions[i].clv;
  }
  // reference.json: total_all_2357 = 71509.89931936648.
  CHECK(total == Approx(71509.89931936648).epsilon(1e-9));
}

TEST_CASE("CLV grows with margin and falls with the discount rate", "[clv][property]") {
  const std::vector<ModelInput> customers{{0, 0, 30, 0}, {2, 10, 30, 20}, {12, 29, 30, 80}};
  ValueOptions base;
  const auto at = [&](double margin, double rate) {
    ValueOptions o = base;
    o.margin = margin;
    o.annual_discount_rate = rate;
    return predict_value(customers, 7.0, kLifetimesBgNbd, kLifetimesGammaGamma, o);
  };
  for (std::size_t i = 0; i < customers.size(); ++i) {
    CAPTURE(i);
    CHECK(at(0.5, 0.1)[i].clv < at(1.0, 0.1)[i].clv);
    CHECK(at(1.0, 0.1)[i].clv == Approx(2.0 * at(0.5, 0.1)[i].clv));
    CHECK(at(1.0, 0.2)[i].clv < at(1.0, 0.1)[i].clv);
    CHECK(at(1.0, 0.0)[i].clv > at(1.0, 0.1)[i].clv);
  }
}

TEST_CASE("predictions stay finite and in range over extreme customers", "[clv][property]") {
  std::vector<ModelInput> customers;
  for (double x : {0.0, 1.0, 10.0, 1000.0}) {
    for (double T : {0.0, 0.5, 39.0, 500.0}) {
      for (double share : {0.0, 0.5, 1.0}) {
        if (x == 0.0 && share > 0.0) continue;
        customers.push_back({x, share * T, T, x > 0 ? 35.0 : 0.0});
      }
    }
  }
  for (const BgNbdParams& params :
       {kLifetimesBgNbd, BgNbdParams{0.01, 100.0, 0.01, 50.0}, BgNbdParams{50.0, 0.1, 5.0, 0.05}}) {
    const auto predictions =
        predict_value(customers, 7.0, params, kLifetimesGammaGamma, ValueOptions{});
    for (std::size_t i = 0; i < customers.size(); ++i) {
      const auto& p = predictions[i];
      CAPTURE(params.r, params.alpha, params.a, params.b, customers[i].x, customers[i].t_x,
              customers[i].T);
      CHECK(p.p_alive >= 0.0);
      CHECK(p.p_alive <= 1.0);
      if (customers[i].x == 0.0) CHECK(p.p_alive == 1.0);
      CHECK(std::isfinite(p.expected_purchases));
      CHECK(p.expected_purchases >= 0.0);
      CHECK(std::isfinite(p.clv));
      CHECK(p.clv >= 0.0);
      CHECK(p.clv <= p.clv_if_alive * (1 + 1e-12));
      CHECK(p.value_at_risk == Approx((1 - p.p_alive) * p.clv_if_alive));
    }
  }
}

TEST_CASE("churn priority ranks by value at risk, ties in input order", "[clv]") {
  const std::vector<ModelInput> customers{
      {1, 1, 39, 30}, {1, 1, 39, 30}, {10, 38, 39, 30}, {0, 0, 39, 0}};
  const auto p = predict_value(customers, 7.0, kLifetimesBgNbd, kLifetimesGammaGamma, {});
  // Customers 0 and 1 are identical and early dropouts: most at risk, in input order.
  CHECK(p[0].churn_priority == 1);
  CHECK(p[1].churn_priority == 2);
  CHECK(p[3].value_at_risk == 0.0);  // x = 0: P(alive) = 1 under BG/NBD
  CHECK(p[3].churn_priority == 4);
}

TEST_CASE("Gamma-Gamma with q <= 1 has no mean spend and is refused", "[clv][inputcheck]") {
  const std::vector<ModelInput> one{{1, 1, 2, 10}};
  CHECK_THROWS_AS(predict_value(one, 7.0, kLifetimesBgNbd, {6.0, 0.9, 15.0}, {}), ModelError);
}
