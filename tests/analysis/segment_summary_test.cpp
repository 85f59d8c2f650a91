// summarize_segments with next-purchase paths: the counts and sums worked out by hand.

#include "clvkit/analysis/segment_summary.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../support/schemes.hpp"
#include "clvkit/error.hpp"

using namespace clvkit;

namespace {

int index_of(const SegmentScheme& scheme, const std::string& name) {
  for (std::size_t i = 0; i < scheme.segments().size(); ++i) {
    if (scheme.segments()[i].name == name) return static_cast<int>(i);
  }
  FAIL("no segment " << name);
  return -1;
}

NextPurchase path(int next_segment, int purchases, int upgrade_segment, double value) {
  NextPurchase out;
  out.segment = next_segment;
  out.purchases_to_upgrade = purchases;
  out.upgrade_segment = upgrade_segment;
  out.upgrade_value = value;
  return out;
}

}  // namespace

TEST_CASE("segment summary: customers one purchase from a better segment and from the top",
          "[segments][next_purchase]") {
  const SegmentScheme scheme = load_segment_scheme("rfm11");
  const int champions = index_of(scheme, "Champions");
  const int loyal = index_of(scheme, "Loyal Customers");
  const int lost = index_of(scheme, "Lost");
  const int hibernating = index_of(scheme, "Hibernating");
  const int promising = index_of(scheme, "Promising");
  // Six customers: two Champions (already at the top: counted in neither), two Loyal (one a
  // purchase from Champions, one two purchases away), a Lost one purchase from Promising, and
  // a Hibernating customer no purchase up to the cap upgrades.
  const std::vector<int> segment = {champions, champions, loyal, loyal, lost, hibernating};
  const std::vector<NextPurchase> upgrade = {
      path(champions, 0, -1, 10.0),        path(champions, 0, -1, 2.5),
      path(champions, 1, champions, 7.0),  path(loyal, 2, champions, 3.0),
      path(promising, 1, promising, 1.25), path(hibernating, -1, -1, 0.5)};
  const std::vector<CustomerSummary> customers(segment.size());
  const std::vector<RfmScore> scores(segment.size());
  // Predictions only say that there is a model; the sums come from the paths.
  const std::vector<CustomerPrediction> predictions(segment.size());
  const SegmentSummary summary =
      summarize_segments(customers, scores, segment, scheme, predictions, &upgrade);
  REQUIRE(summary.has_upgrade);
  CHECK(summary.top_segment == champions);
  const auto at = [&](int k) { return summary.segments[static_cast<std::size_t>(k)]; };
  CHECK(at(champions).one_purchase_to_better == 0);
  CHECK(at(champions).one_purchase_to_top == 0);
  CHECK(at(champions).upgrade_value_one_purchase == 0.0);
  CHECK(at(champions).upgrade_value == 12.5);
  CHECK(at(loyal).one_purchase_to_better == 1);
  CHECK(at(loyal).one_purchase_to_top == 1);
  CHECK(at(loyal).upgrade_value_one_purchase == 7.0);
  CHECK(at(loyal).upgrade_value == 10.0);
  CHECK(at(lost).one_purchase_to_better == 1);
  CHECK(at(lost).one_purchase_to_top == 0);
  CHECK(at(lost).upgrade_value_one_purchase == 1.25);
  CHECK(at(hibernating).one_purchase_to_better == 0);
  CHECK(at(hibernating).upgrade_value == 0.5);
  CHECK(at(promising).customers == 0);

  const SegmentSummary without =
      summarize_segments(customers, scores, segment, scheme, predictions);
  CHECK_FALSE(without.has_upgrade);
  CHECK(without.segments[static_cast<std::size_t>(loyal)].one_purchase_to_better == 0);
}

TEST_CASE("segment summary with next purchases needs a value order", "[segments][inputcheck]") {
  const SegmentScheme plain =
      parse_segment_scheme(clvkit::test::kSchemeWithoutValueOrder, "plain.json");
  const std::vector<NextPurchase> upgrade(1);
  CHECK_THROWS_AS(summarize_segments({CustomerSummary{}}, {RfmScore{}}, {0}, plain, {}, &upgrade),
                  UsageError);
}
