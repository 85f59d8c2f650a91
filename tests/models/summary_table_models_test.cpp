// Patterns and spend observations of a summary table, and the identification check weighted by
// counts.

#include "clvkit/models/summary_table_models.hpp"

#include "clvkit/error.hpp"

#include <catch2/catch.hpp>
#include <sstream>

namespace {

using namespace clvkit;

SummaryTable read(const std::string& text) {
  std::istringstream in(text);
  return read_summary_table(in, "t.csv");
}

}  // namespace

TEST_CASE("a summary table's patterns merge equal rows and do not depend on row order",
          "[summary-table]") {
  const SummaryTable a = read("frequency,recency,T,weights\n2,5,9,3\n0,0,9,10\n2,5,9,4\n1,1,4,1\n");
  const SummaryTable b = read("frequency,recency,T,weights\n1,1,4,1\n2,5,9,7\n0,0,9,10\n");
  const auto pa = summary_table_patterns(a);
  const auto pb = summary_table_patterns(b);
  REQUIRE(pa.size() == 3u);
  REQUIRE(pb.size() == 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(pa[i].x == pb[i].x);
    CHECK(pa[i].t_x == pb[i].t_x);
    CHECK(pa[i].T == pb[i].T);
    CHECK(pa[i].count == pb[i].count);
  }
  CHECK(pa[0].x == 0.0);
  CHECK(pa[0].count == 10.0);
  CHECK(pa[2].count == 7.0);
}

TEST_CASE("spend observations of a summary table repeat each row by its count",
          "[summary-table]") {
  std::int64_t excluded = 0;
  const auto data = summary_table_spend_observations(
      read("x,t_x,T,m.x,count\n2,3,5,10,3\n0,0,5,0,8\n1,1,5,0,2\n"), &excluded);
  REQUIRE(data.size() == 3u);
  CHECK(data[2].x == 2.0);
  CHECK(data[2].m == 10.0);
  CHECK(excluded == 2);
  CHECK_THROWS_AS(summary_table_spend_observations(read("x,t_x,T,m.x,count\n2,3,5,10,1.5\n")),
                  ModelError);
  CHECK_THROWS_AS(summary_table_spend_observations(read("x,t_x,T\n2,3,5\n")), ModelError);
}

TEST_CASE("the identification check over patterns weights each pattern by its count",
          "[summary-table][identification]") {
  // Pattern counts give medians of the customers: T = 9 for 10 of 11, gaps 5/2 for the one
  // repeat buyer pattern.
  const SummaryTable table = read("frequency,recency,T,weights\n0,0,9,10\n2,5,6,1\n");
  FittedPurchaseModel fit;
  fit.model = purchase_model_family("bgnbd").make(std::vector<double>{0.5, 4.0, 0.8, 2.4});
  fit.summary.model = "bgnbd";
  fit.summary.termination = FitTermination::converged;
  fit.summary.standard_errors_available = true;
  const DropoutIdentification check =
      check_dropout_identification(fit, summary_table_patterns(table), TimeUnit::week);
  CHECK(check.median_observation == 9.0);
  CHECK(check.median_time_between_purchases == 2.5);
  // BG/NBD: P(alive) = 1 for the 10 customers without a repeat purchase.
  CHECK(check.share_p_alive_at_least_0_99 == Approx(10.0 / 11.0));
}
