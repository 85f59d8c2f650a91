// Customer value: the discounted CLV formula on a hand-computed case, lifetimes' CDNOW CLV at its
// own parameters and convention, and the properties every record must have.

#include "clvkit/models/customer_value.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/models/bgnbd_model.hpp"
#include "clvkit/models/gamma_gamma_model.hpp"
#include "clvkit/models/pnbd_model.hpp"
#include "clvkit/models/simulate.hpp"

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

// A base simulated from BG/NBD (r = 1, alpha = 8, a = 0.5, b = 10, weekly: ~10 purchases a
// customer over two years) with CDNOW's Gamma-Gamma, summarised as ingest would (purchases on one
// day are one occasion) without writing a log. At 150k customers every parallel stage splits its
// work into several blocks: 3 blocks of 64k customers in compress_patterns (and of 64k spend
// observations in the Gamma-Gamma sort), 10 of 16k customers in the predictions, and 123k BG/NBD
// patterns and 117k spend patterns make 16 and 8 likelihood tasks.
std::vector<CustomerSummary> simulated_base(std::int64_t customers) {
  SimulationOptions options;
  options.customers = customers;
  options.purchase = std::make_shared<BgNbdModel>(BgNbdParams{1.0, 8.0, 0.5, 10.0});
  options.seed = 3;
  std::vector<CustomerSummary> base;
  std::vector<SimulatedPurchase> purchases;
  for (std::int64_t i = 0; i < customers; ++i) {
    simulate_customer(options, static_cast<std::uint64_t>(i), purchases);
    CustomerSummary c;
    c.id = std::to_string(i + 1);
    c.first_purchase = purchases.front().day;
    c.last_purchase = purchases.back().day;
    double repeat_spend = 0.0;
    Day previous = c.first_purchase;
    for (const SimulatedPurchase& purchase : purchases) {
      c.total_spend += purchase.cents / 100.0;
      if (purchase.day == c.first_purchase) continue;
      if (purchase.day != previous) ++c.frequency;
      previous = purchase.day;
      repeat_spend += purchase.cents / 100.0;
    }
    c.purchase_days = c.frequency + 1;
    c.recency = c.last_purchase - c.first_purchase;
    c.T = options.end - c.first_purchase;
    c.days_since_last = c.T - c.recency;
    c.monetary = c.frequency > 0 ? repeat_spend / static_cast<double>(c.frequency) : 0.0;
    c.avg_spend = c.total_spend / static_cast<double>(c.purchase_days);
    base.push_back(c);
  }
  return base;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

void check_same_fit(const FitSummary& one, const FitSummary& four) {
  CAPTURE(one.model);
  CHECK(same_bits(one.log_likelihood, four.log_likelihood));
  CHECK(same_bits(one.gradient_norm, four.gradient_norm));
  CHECK(one.iterations == four.iterations);
  CHECK(one.function_evaluations == four.function_evaluations);
  REQUIRE(one.parameters.size() == four.parameters.size());
  for (std::size_t i = 0; i < one.parameters.size(); ++i) {
    CAPTURE(one.parameters[i].name, one.parameters[i].value, four.parameters[i].value);
    CHECK(same_bits(one.parameters[i].value, four.parameters[i].value));
    CHECK(same_bits(one.parameters[i].standard_error, four.parameters[i].standard_error));
  }
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
  const double value = discounted_value(cumulative, 3, 10.0, options, factors);
  CHECK(value == Approx(expected).epsilon(1e-14));
  CHECK(value == Approx(14.704926036177778).epsilon(1e-15));  // the sum above, in Python
}

TEST_CASE("an annual rate is applied monthly as (1 + d)^(1/12) - 1", "[clv]") {
  // A customer with no uncertainty is not available in BG/NBD, so compare two horizons: the
  // 12-month CLV equals the sum of monthly increments of E[X | alive], each discounted by
  // 1.1^(-k/12); a zero rate gives the undiscounted expected spend.
  const std::vector<ModelInput> one{{3.0, 20.0, 30.0, 25.0}};
  ValueOptions undiscounted;
  undiscounted.annual_discount_rate = 0.0;
  const auto flat = predict_value(one, 7.0, BgNbdModel(kLifetimesBgNbd),
                                  GammaGammaModel(kLifetimesGammaGamma), undiscounted);
  CHECK(flat[0].clv ==
        Approx(flat[0].expected_purchases * flat[0].expected_avg_spend).epsilon(1e-12));

  ValueOptions discounted;  // 10% a year
  const auto d = predict_value(one, 7.0, BgNbdModel(kLifetimesBgNbd),
                               GammaGammaModel(kLifetimesGammaGamma), discounted);
  CHECK(d[0].clv < flat[0].clv);
  // Bounded by discounting everything at the first and at the last month end.
  CHECK(d[0].clv > flat[0].clv * std::pow(1.1, -1.0));
  CHECK(d[0].clv < flat[0].clv * std::pow(1.1, -1.0 / 12.0));
  // Exactly: the increments of E[X] over each month (undiscounted predictions at horizons of
  // k months), month k discounted by (1 + r)^-k with r = 1.1^(1/12) - 1. The simple d / 12
  // (0.8333% a month instead of 0.7974%) gives a CLV over 0.1% lower: far outside the tolerance.
  const auto value_with_rate = [&](double monthly) {
    double clv = 0.0, before = 0.0;
    for (int k = 1; k <= 12; ++k) {
      ValueOptions months = undiscounted;
      months.horizon_days = k * kDaysPerMonth;
      const double at = predict_value(one, 7.0, BgNbdModel(kLifetimesBgNbd),
                                      GammaGammaModel(kLifetimesGammaGamma), months)[0]
                            .expected_purchases;
      clv += (at - before) * flat[0].expected_avg_spend / std::pow(1.0 + monthly, k);
      before = at;
    }
    return clv;
  };
  const double exact = value_with_rate(std::pow(1.1, 1.0 / 12.0) - 1.0);
  CHECK(d[0].clv == Approx(exact).epsilon(1e-12));
  CHECK(std::abs(value_with_rate(0.1 / 12.0) / exact - 1.0) > 1e-3);
}

TEST_CASE("CDNOW CLV matches lifetimes customer by customer under its convention",
          "[clv][paper][consistency]") {
  const auto rows = read_clv_reference();
  REQUIRE(rows.size() == 2357);
  std::vector<ModelInput> inputs;
  for (const auto& row : rows) inputs.push_back(row.input);
  const auto predictions =
      predict_value(inputs, 7.0, BgNbdModel(kLifetimesBgNbd), GammaGammaModel(kLifetimesGammaGamma),
                    lifetimes_convention());
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
    return predict_value(customers, 7.0, BgNbdModel(kLifetimesBgNbd),
                         GammaGammaModel(kLifetimesGammaGamma), o);
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
    const auto predictions = predict_value(customers, 7.0, BgNbdModel(params),
                                           GammaGammaModel(kLifetimesGammaGamma), ValueOptions{});
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
  const auto p = predict_value(customers, 7.0, BgNbdModel(kLifetimesBgNbd),
                               GammaGammaModel(kLifetimesGammaGamma), {});
  // Customers 0 and 1 are identical and early dropouts: most at risk, in input order.
  CHECK(p[0].churn_priority == 1);
  CHECK(p[1].churn_priority == 2);
  CHECK(p[3].value_at_risk == 0.0);  // x = 0: P(alive) = 1 under BG/NBD
  CHECK(p[3].churn_priority == 4);
}

TEST_CASE("Gamma-Gamma with q <= 1 has no mean spend and is refused", "[clv][inputcheck]") {
  const std::vector<ModelInput> one{{1, 1, 2, 10}};
  CHECK_THROWS_AS(
      predict_value(one, 7.0, BgNbdModel(kLifetimesBgNbd), GammaGammaModel({6.0, 0.9, 15.0}), {}),
      ModelError);
}

TEST_CASE("fits and predictions are bit-identical for any thread count",
          "[clv][consistency][threads]") {
  const std::vector<CustomerSummary> base = simulated_base(150'000);
  // The blocks the comment of simulated_base promises, so that the threads have work to share.
  REQUIRE(frequency_recency_patterns(base, TimeUnit::week).size() > 3 * 8192);
  REQUIRE(spend_observations(base).size() > 2 * 65536);

  FitOptions four_threads;
  four_threads.threads = 4;
  const FittedModels one = fit_customer_models(base, TimeUnit::week);
  const FittedModels four = fit_customer_models(base, TimeUnit::week, four_threads);
  REQUIRE(one.purchase.summary.converged());
  REQUIRE(one.spend.summary.converged());
  check_same_fit(one.purchase.summary, four.purchase.summary);
  check_same_fit(one.spend.summary, four.spend.summary);

  const auto predicted_one = predict_customer_value(base, TimeUnit::week, *one.purchase.model,
                                                    *one.spend.model, ValueOptions{});
  const auto predicted_four = predict_customer_value(base, TimeUnit::week, *one.purchase.model,
                                                     *one.spend.model, ValueOptions{}, 4);
  REQUIRE(predicted_one.size() == base.size());
  REQUIRE(predicted_four.size() == base.size());
  CHECK(std::memcmp(predicted_one.data(), predicted_four.data(),
                    base.size() * sizeof(CustomerPrediction)) == 0);

  // Customers without a repeat purchase tie at value_at_risk = 0 in every block; the ranking
  // keeps them in input order across blocks.
  std::int64_t previous = 0;
  std::size_t ties = 0;
  for (std::size_t i = 0; i < base.size(); ++i) {
    if (base[i].frequency != 0) continue;
    CAPTURE(i);
    REQUIRE(predicted_four[i].value_at_risk == 0.0);
    CHECK(predicted_four[i].churn_priority > previous);
    previous = predicted_four[i].churn_priority;
    ++ties;
  }
  CHECK(ties > 10'000);
}

TEST_CASE("the first customer with a non-finite prediction is named, whatever the threads",
          "[clv][inputcheck][threads]") {
  std::vector<ModelInput> customers(100'000, ModelInput{2.0, 10.0, 30.0, 25.0});
  customers[70'000].x = std::nan("");
  customers[20'000].x = std::nan("");
  for (const int threads : {1, 4}) {
    CAPTURE(threads);
    CHECK_THROWS_WITH(predict_value(customers, 7.0, BgNbdModel(kLifetimesBgNbd),
                                    GammaGammaModel(kLifetimesGammaGamma), ValueOptions{}, threads),
                      Catch::Contains("for customer 20001 "));
  }
}

TEST_CASE("BG/NBD patterns from summaries are compress_patterns' of their (x, t_x, T)",
          "[clv][bgnbd][consistency]") {
  // frequency_recency_patterns sorts integer (frequency, recency, T) keys; compress_patterns
  // ranks the doubles. Same patterns, counts and order, in days and in weeks (t_x = recency / 7
  // is not exact), on 1 and 3 threads, for a base with many ties across blocks.
  const std::vector<CustomerSummary> base = simulated_base(60'000);
  for (const bool huge_T : {false, true}) {
    std::vector<CustomerSummary> customers = base;
    // Beyond the key's 2^21 days: the whole base then takes the path of doubles.
    if (huge_T) customers[7].T = 3'000'000;
    for (const TimeUnit unit : {TimeUnit::day, TimeUnit::week}) {
      const double days = unit_days(unit);
      std::vector<double> x, t_x, T;
      for (const CustomerSummary& c : customers) {
        x.push_back(static_cast<double>(c.frequency));
        t_x.push_back(c.recency / days);
        T.push_back(c.T / days);
      }
      const std::vector<FrequencyRecencyPattern> expected = compress_patterns(x, t_x, T);
      REQUIRE(expected.size() < customers.size() * 9 / 10);  // ties, so counts above 1
      for (const int threads : {1, 3}) {
        CAPTURE(huge_T, days, threads);
        const std::vector<FrequencyRecencyPattern> patterns =
            frequency_recency_patterns(customers, unit, threads);
        REQUIRE(patterns.size() == expected.size());
        for (std::size_t i = 0; i < patterns.size(); ++i) {
          CAPTURE(i);
          REQUIRE(patterns[i].x == expected[i].x);
          REQUIRE(patterns[i].t_x == expected[i].t_x);
          REQUIRE(patterns[i].T == expected[i].T);
          REQUIRE(patterns[i].count == expected[i].count);
        }
      }
    }
  }
  // An invalid summary is reported as before, naming the customer.
  std::vector<CustomerSummary> invalid = base;
  invalid[7].T = invalid[7].recency - 1;
  CHECK_THROWS_WITH(frequency_recency_patterns(invalid, TimeUnit::day),
                    Catch::Matchers::Contains("customer 8"));
}

TEST_CASE("predictions without the churn ranking are the same but for churn_priority",
          "[clv][consistency]") {
  const std::vector<CustomerSummary> base = simulated_base(20'000);
  const FittedModels models = fit_customer_models(base, TimeUnit::week);
  ValueOptions unranked;
  unranked.rank_churn = false;
  for (const int threads : {1, 3}) {
    CAPTURE(threads);
    const auto ranked = predict_customer_value(base, TimeUnit::week, *models.purchase.model,
                                               *models.spend.model, ValueOptions{}, threads);
    const auto plain = predict_customer_value(base, TimeUnit::week, *models.purchase.model,
                                              *models.spend.model, unranked, threads);
    REQUIRE(plain.size() == ranked.size());
    for (std::size_t i = 0; i < plain.size(); ++i) {
      CAPTURE(i);
      CHECK(plain[i].churn_priority == 0);
      CHECK(ranked[i].churn_priority > 0);
      CustomerPrediction same = ranked[i];
      same.churn_priority = 0;
      REQUIRE(std::memcmp(&same, &plain[i], sizeof same) == 0);
    }
  }
}

TEST_CASE("predictions of customers bought at the end take P(alive) per pair, the same bits",
          "[clv][consistency]") {
  // Histories whose last purchase ends them (t_x = T), as after a purchase on the as-of day:
  // many customers share each (x, T).
  std::vector<ModelInput> customers;
  for (int i = 0; i < 3000; ++i) {
    const double T = 1.0 + (i * 7) % 60;
    customers.push_back({static_cast<double>(i % 9), T, T, 5.0 + (i % 13)});
  }
  const auto input_of = [&customers](std::size_t i) { return customers[i]; };
  const GammaGammaModel spend(kLifetimesGammaGamma);
  const BgNbdModel bgnbd(kLifetimesBgNbd);
  const ParetoNbdModel pnbd(ParetoNbdParams{0.55, 10.58, 0.61, 11.67});
  for (const PurchaseModel* purchase :
       {static_cast<const PurchaseModel*>(&bgnbd), static_cast<const PurchaseModel*>(&pnbd)}) {
    CAPTURE(purchase->key());
    for (const int threads : {1, 2}) {
      const auto each = predict_value(customers, 7.0, *purchase, spend, {}, threads);
      const auto paired =
          predict_value_of(customers.size(), input_of, 7.0, *purchase, spend, {}, threads, true);
      REQUIRE(paired.size() == each.size());
      for (std::size_t i = 0; i < each.size(); ++i) {
        CAPTURE(i);
        REQUIRE(std::memcmp(&paired[i], &each[i], sizeof each[i]) == 0);
      }
    }
  }
  // A history that does not end with a purchase is refused, naming it.
  customers[17].t_x = customers[17].T - 1.0;
  try {
    predict_value_of(customers.size(), input_of, 7.0, bgnbd, spend, {}, 1, true);
    FAIL("no error");
  } catch (const CustomerModelError& e) {
    CHECK(e.index == 17);
    CHECK(std::string(e.what()).find("customer 18") != std::string::npos);
  }
}
