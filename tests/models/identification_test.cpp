// The identification warning (identification.hpp): it fires where the data cannot tell who has
// left, and nowhere else.

#include "clvkit/models/identification.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "clvkit/models/bgnbd_model.hpp"

namespace {

using namespace clvkit;

// A converged BG/NBD fit at CDNOW-like parameters whose a and b have the given intervals.
FittedPurchaseModel fit_with(double a_low, double a_high, bool standard_errors) {
  FittedPurchaseModel fit;
  fit.model = std::make_shared<BgNbdModel>(BgNbdParams{0.243, 4.414, 0.793, 2.426});
  fit.summary.model = "bgnbd";
  fit.summary.termination = FitTermination::converged;
  fit.summary.standard_errors_available = standard_errors;
  if (!standard_errors) fit.summary.standard_errors_message = "the Hessian is singular";
  fit.summary.parameters = {{"r", 0.243, 0.01, 0.22, 0.26},
                            {"alpha", 4.414, 0.4, 3.7, 5.2},
                            {"a", 0.793, 0.2, a_low, a_high},
                            {"b", 2.426, 0.7, 1.4, 4.3}};
  return fit;
}

// `n` customers, a share `alive` of them with P(alive) 1 and the rest 0.5; T = 50 weeks, repeat
// buyers every 10 weeks.
struct Base {
  std::vector<CustomerSummary> customers;
  std::vector<CustomerPrediction> predictions;
};
Base base_of(int n, double alive) {
  Base base;
  for (int i = 0; i < n; ++i) {
    CustomerSummary c;
    c.frequency = 3;
    c.recency = 210;
    c.T = 350;
    base.customers.push_back(c);
    CustomerPrediction p;
    p.p_alive = i < alive * n ? 1.0 : 0.5;
    base.predictions.push_back(p);
  }
  return base;
}

}  // namespace

TEST_CASE("the dropout check is quiet for an identified fit and names each failed condition",
          "[models][identification]") {
  const Base mixed = base_of(100, 0.5);
  const DropoutIdentification fine = check_dropout_identification(
      fit_with(0.42, 0.87, true), mixed.customers, mixed.predictions, TimeUnit::week);
  CHECK(fine.informative);
  CHECK(fine.reasons.empty());
  CHECK(dropout_warning(fine).empty());
  CHECK(fine.share_p_alive_at_least_0_99 == 0.5);
  CHECK(fine.median_observation == 50.0);
  CHECK(fine.median_time_between_purchases == 10.0);

  // (1) An interval of a dropout parameter over two orders of magnitude; 99 is not enough.
  const DropoutIdentification wide = check_dropout_identification(
      fit_with(1e-5, 1.2, true), mixed.customers, mixed.predictions, TimeUnit::week);
  CHECK_FALSE(wide.informative);
  CHECK_THAT(wide.reasons.front(), Catch::Contains("dropout parameter a (1e-05 to 1.2)"));
  CHECK(check_dropout_identification(fit_with(0.01, 0.99, true), mixed.customers, mixed.predictions,
                                     TimeUnit::week)
            .informative);
  // (2) Standard errors refused.
  const DropoutIdentification refused = check_dropout_identification(
      fit_with(0.42, 0.87, false), mixed.customers, mixed.predictions, TimeUnit::week);
  CHECK_FALSE(refused.informative);
  CHECK_THAT(refused.reasons.front(), Catch::Contains("the Hessian is singular"));
  // (3) 95% of the customers at P(alive) >= 0.99; 94% is not.
  const Base alive = base_of(100, 0.95);
  const DropoutIdentification all_alive = check_dropout_identification(
      fit_with(0.42, 0.87, true), alive.customers, alive.predictions, TimeUnit::week);
  CHECK_FALSE(all_alive.informative);
  CHECK_THAT(dropout_warning(all_alive),
             Catch::StartsWith("P(alive) and value at risk are not informative on this data: "
                               "95.0% of the customers"));
  // The last reason says why: here the window (50 weeks) is 5 purchase intervals, long enough.
  CHECK_THAT(all_alive.reasons.back(), Catch::Contains("few appear to have left"));
  const Base almost = base_of(100, 0.94);
  CHECK(check_dropout_identification(fit_with(0.42, 0.87, true), almost.customers,
                                     almost.predictions, TimeUnit::week)
            .informative);
}

TEST_CASE("the dropout check computes P(alive) itself when it has no predictions",
          "[models][identification][consistency]") {
  const Base mixed = base_of(10, 0.5);
  const FittedPurchaseModel fit = fit_with(0.42, 0.87, true);
  std::vector<CustomerPrediction> predictions(10);
  for (CustomerPrediction& p : predictions) p.p_alive = fit.model->p_alive({3.0, 30.0, 50.0});
  const DropoutIdentification from_predictions =
      check_dropout_identification(fit, mixed.customers, predictions, TimeUnit::week);
  const DropoutIdentification computed =
      check_dropout_identification(fit, mixed.customers, TimeUnit::week);
  CHECK(computed.share_p_alive_at_least_0_99 == from_predictions.share_p_alive_at_least_0_99);
  CHECK(computed.informative == from_predictions.informative);
}
