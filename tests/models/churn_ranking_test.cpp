// The churn ranking on its own: by value at risk, largest first, ties in input order, the same
// ranks for any thread count.

#include "clvkit/models/churn_ranking.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

namespace {

using clvkit::CustomerPrediction;

std::vector<CustomerPrediction> with_values_at_risk(const std::vector<double>& values) {
  std::vector<CustomerPrediction> predictions(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) predictions[i].value_at_risk = values[i];
  return predictions;
}

}  // namespace

TEST_CASE("rank_churn ranks by value at risk, largest first, ties in input order", "[clv]") {
  auto predictions = with_values_at_risk({3.0, 0.0, 7.5, -0.0, 3.0, -2.0, 1e300});
  clvkit::rank_churn(predictions);
  std::vector<std::int64_t> ranks;
  for (const CustomerPrediction& p : predictions) ranks.push_back(p.churn_priority);
  // 1e300, 7.5, 3.0 (input 0, then 4), 0.0 and -0.0 tie (input 1, then 3), -2.
  CHECK(ranks == std::vector<std::int64_t>{3, 5, 2, 6, 4, 7, 1});
}

TEST_CASE("rank_churn gives the same ranks for any thread count", "[clv][consistency][threads]") {
  // More than one block of 16384 predictions, with many ties (value % 97) across blocks.
  std::vector<double> values(100'000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i * 7919 % 97);
  auto one = with_values_at_risk(values);
  auto four = with_values_at_risk(values);
  clvkit::rank_churn(one, 1);
  clvkit::rank_churn(four, 4);
  std::size_t out_of_order = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    CAPTURE(i);
    REQUIRE(one[i].churn_priority == four[i].churn_priority);
    if (i + 1 == values.size()) continue;
    // Ties keep the input order; a larger value ranks first.
    const bool before = one[i].churn_priority < one[i + 1].churn_priority;
    if (before != (values[i] >= values[i + 1])) ++out_of_order;
  }
  CHECK(out_of_order == 0);
}

TEST_CASE("rank_churn of nothing does nothing", "[clv]") {
  std::vector<CustomerPrediction> none;
  CHECK_NOTHROW(clvkit::rank_churn(none, 4));
}
