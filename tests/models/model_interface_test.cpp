// The model interfaces (purchase_model.hpp, spend_model.hpp): a contract every registered model
// must meet, checked for each entry of the registry, so a new model is tested by being
// registered; and BG/NBD's and Gamma-Gamma's implementations forward to their formulas exactly.

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/models/bgnbd_model.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/gamma_gamma_model.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/summary/ingest.hpp"

namespace {

using namespace clvkit;

const std::vector<CustomerSummary>& cdnow_customers() {
  static const CustomerBase base =
      ingest_transactions_file(std::string(CLVKIT_TEST_SOURCE_DIR) + "/data/cdnow.csv", {});
  return base.customers;
}

// FHS 2010's donations: 22 (x, t_x, n = 6) patterns counted in opportunities.
std::vector<FrequencyRecencyPattern> donation_patterns() {
  const auto columns = test::read_reference_csv("donations.csv");
  std::vector<FrequencyRecencyPattern> patterns;
  for (std::size_t i = 0; i < columns.at("frequency").size(); ++i) {
    patterns.push_back({columns.at("frequency")[i], columns.at("recency")[i],
                        columns.at("periods")[i], columns.at("weights")[i]});
  }
  return patterns;
}

// The data a family's contract is checked on: CDNOW in weeks, except for the discrete-time BG/BB
// (one transaction at most per opportunity), which CDNOW's weekly histories are not (several
// purchases in a week); it is fitted on the donations it was published with. Its predictions are
// still made for CDNOW's customers below: the model reads any history (bgbb_model.hpp).
std::vector<FrequencyRecencyPattern> contract_patterns(const PurchaseModelFamily& family) {
  if (family.key == "bgbb") return donation_patterns();
  return frequency_recency_patterns(cdnow_customers(), TimeUnit::week);
}

}  // namespace

TEST_CASE("every registered purchase model fits its data and keeps the interface's contract",
          "[models][interface][property]") {
  REQUIRE_FALSE(purchase_model_families().empty());
  for (const PurchaseModelFamily& family : purchase_model_families()) {
    CAPTURE(family.key);
    const auto patterns = contract_patterns(family);
    const FittedPurchaseModel fit = family.fit(patterns, FitOptions{});
    REQUIRE(fit.summary.converged());
    REQUIRE(fit.summary.is_usable());
    const PurchaseModel& model = *fit.model;
    CHECK(model.key() == family.key);
    CHECK(model.label() == family.label);
    const std::vector<std::string> names = model.parameter_names();
    REQUIRE(names.size() == family.parameter_names.size());
    for (std::size_t i = 0; i < names.size(); ++i) CHECK(names[i] == family.parameter_names[i]);
    const std::vector<double> theta = model.parameters();
    REQUIRE(theta.size() == names.size());

    // make and with_parameters rebuild the same model; the likelihood is the fit's.
    CHECK(family.make(theta)->parameters() == theta);
    CHECK(model.with_parameters(theta)->parameters() == theta);
    std::vector<double> gradient;
    const double ll = model.total_log_likelihood(patterns, &gradient, 1);
    CHECK(ll == Approx(fit.summary.log_likelihood).epsilon(1e-12));
    CHECK(model.total_log_likelihood(patterns, nullptr, 3) == ll);

    // The analytic gradient against central differences at the optimum and away from it
    // (relative step 1e-6; agreement to 1e-5 of the gradient's scale, which is ~|LL| / theta).
    for (const double scale : {1.0, 1.3}) {
      std::vector<double> at = theta;
      at[0] *= scale;
      const auto moved = model.with_parameters(at);
      REQUIRE(std::isfinite(moved->total_log_likelihood(patterns, &gradient, 1)));
      for (std::size_t k = 0; k < at.size(); ++k) {
        CAPTURE(scale, k);
        const double h = 1e-6 * at[k];
        std::vector<double> up = at, down = at;
        up[k] += h;
        down[k] -= h;
        const double numeric =
            (model.with_parameters(up)->total_log_likelihood(patterns, nullptr, 1) -
             model.with_parameters(down)->total_log_likelihood(patterns, nullptr, 1)) /
            (2.0 * h);
        CHECK(gradient[k] == Approx(numeric).margin(1e-5 * std::abs(ll) / at[k]));
      }
    }

    // Predictions: E[X(t) | h] = P(alive) E[X(t) | alive] (the latter free of t_x); P(X(t) = n)
    // is a distribution whose mean is E[X(t)] of a new customer.
    for (const PurchaseHistory h : {PurchaseHistory{0, 0, 30}, PurchaseHistory{2, 10, 30},
                                    PurchaseHistory{7, 29, 30}, PurchaseHistory{1, 1, 70}}) {
      CAPTURE(h.x, h.t_x, h.T);
      const double p = model.p_alive(h);
      CHECK(p >= 0.0);
      CHECK(p <= 1.0);
      const double e = model.expected_purchases(h, 52.0);
      CHECK(e == Approx(p * model.expected_purchases_if_alive(h.x, h.T, 52.0)).epsilon(1e-10));
      CHECK(model.expected_purchases(h, 0.0) == 0.0);
    }
    double total = 0.0, mean = 0.0;
    for (int n = 0; n < 400; ++n) {
      const double pn = model.probability_of_purchases(39.0, n);
      total += pn;
      mean += n * pn;
    }
    CHECK(total == Approx(1.0).epsilon(1e-9));
    CHECK(mean == Approx(model.expected_purchases_new_customer(39.0)).epsilon(1e-6));
    CHECK_FALSE(model.description("week").empty());
  }
}

TEST_CASE("every registered spend model fits CDNOW and keeps the interface's contract",
          "[models][interface][property]") {
  const auto data = spend_observations(cdnow_customers());
  REQUIRE_FALSE(spend_model_families().empty());
  for (const SpendModelFamily& family : spend_model_families()) {
    CAPTURE(family.key);
    const FittedSpendModel fit = family.fit(data, FitOptions{});
    REQUIRE(fit.summary.converged());
    const SpendModel& model = *fit.model;
    CHECK(model.key() == family.key);
    const std::vector<double> theta = model.parameters();
    CHECK(family.make(theta)->parameters() == theta);
    CHECK(model.total_log_likelihood(data, nullptr, 1) ==
          Approx(fit.summary.log_likelihood).epsilon(1e-12));
    CHECK(model.has_mean(theta));
    // Without a usable history the expectation is the population's; with one it moves towards
    // the customer's own mean spend.
    const double population = model.population_mean();
    CHECK(model.expected_spend(0.0, 0.0) == population);
    CHECK(model.expected_spend(3.0, 0.0) == population);
    CHECK(model.expected_spend(3.0, 2.0 * population) > population);
    CHECK(model.expected_spend(3.0, 2.0 * population) < 2.0 * population);
  }
}

TEST_CASE("BG/NBD and Gamma-Gamma behind the interfaces are their formulas, bit for bit",
          "[models][interface][consistency]") {
  const BgNbdParams p{0.243, 4.414, 0.793, 2.426};
  const BgNbdModel bgnbd(p);
  for (const double x : {0.0, 1.0, 4.0, 30.0}) {
    for (const double t_x : {0.0, 5.5, 20.0}) {
      const double T = 38.0;
      if (x == 0.0 && t_x > 0.0) continue;
      CAPTURE(x, t_x);
      CHECK(bgnbd.p_alive({x, t_x, T}) == bgnbd_p_alive(p, x, t_x, T));
      CHECK(bgnbd.expected_purchases({x, t_x, T}, 52.0) ==
            bgnbd_conditional_expected_purchases(p, x, t_x, T, 52.0));
      CHECK(bgnbd.expected_purchases_if_alive(x, T, 52.0) ==
            bgnbd_expected_purchases_given_alive(p, x, T, 52.0));
    }
  }
  CHECK(bgnbd.expected_purchases_new_customer(39.0) ==
        bgnbd_expected_purchases_new_customer(p, 39.0));
  CHECK(bgnbd.probability_of_purchases(39.0, 3) == bgnbd_probability_of_purchases(p, 39.0, 3));
  CHECK(bgnbd.parameters() == std::vector<double>{0.243, 4.414, 0.793, 2.426});

  const GammaGammaParams g{6.25, 3.74, 15.44};
  const GammaGammaModel spend(g);
  CHECK(spend.population_mean() == gamma_gamma_population_mean(g));
  CHECK(spend.expected_spend(2.0, 35.0) == gamma_gamma_conditional_expected_spend(g, 2.0, 35.0));
  CHECK_FALSE(spend.has_mean(std::vector<double>{6.25, 0.9, 15.44}));
}

TEST_CASE("the registry names its models and refuses unknown keys and bad parameters",
          "[models][interface][inputcheck]") {
  CHECK(purchase_model_families().front().key == "bgnbd");
  CHECK(spend_model_families().front().key == "gamma_gamma");
  CHECK(purchase_model_family("bgnbd").label == "BG/NBD");
  const std::string message =
      test::error_message<UsageError>([] { purchase_model_family("pareto"); });
  CHECK_THAT(message, Catch::Contains("'pareto'") && Catch::Contains("bgnbd"));
  CHECK_THROWS_AS(spend_model_family("lognormal"), UsageError);
  CHECK_THAT(test::error_message<ModelError>([] {
               purchase_model_family("bgnbd").make(std::vector<double>{1, -1, 1, 1});
             }),
             Catch::Contains("alpha"));
  CHECK_THROWS_AS(purchase_model_family("bgnbd").make(std::vector<double>{1, 1, 1}), ModelError);
  CHECK_THROWS_AS(spend_model_family("gamma_gamma").make(std::vector<double>{1, 1}), ModelError);
}

TEST_CASE("a fit summary speaks for itself", "[models][fit]") {
  FitSummary s;
  s.model = "bgnbd";
  s.termination = FitTermination::converged;
  s.iterations = 18;
  s.log_likelihood = -9582.4291;
  s.aic = 19172.86;
  s.parameters = {{"r", 0.242594, 0.0125, 0.22, 0.27}, {"alpha", 4.41358, 0.378, 3.7, 5.2}};
  s.standard_errors_available = true;
  CHECK(s.converged());
  CHECK(s.is_usable());
  CHECK(s.warning().empty());
  CHECK(s.brief_report() ==
        "bgnbd: converged after 18 iterations, log-likelihood -9582.4291, AIC 19172.86\n"
        "  r          0.242594  (SE 0.0125, 95% CI 0.22 .. 0.27)\n"
        "  alpha       4.41358  (SE 0.378, 95% CI 3.7 .. 5.2)\n");
  s.standard_errors_available = false;
  s.standard_errors_message = "the information matrix is singular";
  CHECK(s.brief_report() ==
        "bgnbd: converged after 18 iterations, log-likelihood -9582.4291, AIC 19172.86\n"
        "  r          0.242594\n"
        "  alpha       4.41358\n"
        "  no standard errors: the information matrix is singular\n");
  CHECK(s.warning() == "bgnbd: the information matrix is singular");
  s.termination = FitTermination::max_iterations;
  s.message = "500 iterations";
  CHECK_FALSE(s.converged());
  CHECK_FALSE(s.is_usable());
  CHECK(s.warning() == "the bgnbd fit did not converge: 500 iterations");
  s.termination = FitTermination::converged;
  s.parameters[1].value = std::numeric_limits<double>::infinity();
  CHECK_FALSE(s.is_usable());
}

TEST_CASE("predictions carry each model's own P(alive) and E[X], tabulated or not, bit for bit",
          "[models][interface][consistency]") {
  // Pareto/NBD's P(alive) is tabulated per distinct (x, t_x, T) (p_alive_is_costly); BG/NBD's is
  // computed per customer: either way each prediction equals the model's value for that history.
  const auto& customers = cdnow_customers();
  const auto data = spend_observations(customers);
  const FittedSpendModel spend = spend_model_families().front().fit(data, FitOptions{});
  for (const PurchaseModelFamily& family : purchase_model_families()) {
    CAPTURE(family.key);
    const FittedPurchaseModel fit = family.fit(contract_patterns(family), FitOptions{});
    ValueOptions value;
    value.horizon_days = 39 * 7;
    for (const int threads : {1, 3}) {
      const auto predictions = predict_customer_value(customers, TimeUnit::week, *fit.model,
                                                      *spend.model, value, threads);
      REQUIRE(predictions.size() == customers.size());
      for (std::size_t i = 0; i < customers.size(); ++i) {
        const CustomerSummary& c = customers[i];
        const PurchaseHistory h{static_cast<double>(c.frequency), c.recency / 7.0, c.T / 7.0};
        CAPTURE(i, threads);
        REQUIRE(predictions[i].p_alive == fit.model->p_alive(h));
        REQUIRE(predictions[i].expected_purchases ==
                Approx(fit.model->expected_purchases(h, 39.0)).epsilon(1e-12));
      }
    }
  }
}
