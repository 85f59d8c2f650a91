#include "clvkit/rfm/next_purchase.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../support/schemes.hpp"
#include "clvkit/error.hpp"
#include "clvkit/rfm/segments.hpp"

namespace {

using clvkit::CustomerSummary;
using clvkit::NextPurchase;
using clvkit::RfmScore;
using clvkit::SegmentScheme;
using clvkit::UsageError;

// A customer as-of day 1000 with `purchase_days` purchase days, `total` spend (spread evenly,
// first day included) and the last purchase `days_since_last` days before the as-of day; first
// purchase 200 days before the as-of day.
CustomerSummary customer(const std::string& id, std::int64_t purchase_days, double total,
                         std::int32_t days_since_last) {
  CustomerSummary c;
  c.id = id;
  c.first_purchase = 800;
  c.last_purchase = 1000 - days_since_last;
  c.purchase_days = purchase_days;
  c.frequency = purchase_days - 1;
  c.T = 200;
  c.recency = c.last_purchase - c.first_purchase;
  c.days_since_last = days_since_last;
  c.total_spend = total;
  c.avg_spend = total / static_cast<double>(purchase_days);
  c.monetary = c.frequency > 0 ? c.avg_spend : 0.0;
  return c;
}

std::string name_of(const SegmentScheme& scheme, int index) {
  return index < 0 ? std::string("(none)")
                   : scheme.segments().at(static_cast<std::size_t>(index)).name;
}

std::string cell(RfmScore s) { return clvkit::rfm_cell(s); }

// The segment the scheme gives the customer today, against the same edges.
int segment_now(const SegmentScheme& scheme, const CustomerSummary& c,
                const clvkit::ScoringSpec& held) {
  return scheme.segment_of(clvkit::threshold_scores(c, held));
}

}  // namespace

TEST_CASE("summary_after_purchases moves the as-of day with the purchases", "[next_purchase]") {
  CustomerSummary c = customer("a", 3, 90.0, 40);  // repeat days spent 60: monetary 30
  const CustomerSummary after = clvkit::summary_after_purchases(c, 2, 15.0);
  CHECK(after.id == "a");
  CHECK(after.first_purchase == 800);
  CHECK(after.last_purchase == 1002);  // as-of 1000, purchases on 1001 and 1002
  CHECK(after.purchase_days == 5);
  CHECK(after.frequency == 4);
  CHECK(after.T == 202);
  CHECK(after.recency == 202);
  CHECK(after.days_since_last == 0);
  CHECK(after.total_spend == 120.0);
  CHECK(after.avg_spend == 24.0);
  CHECK(after.monetary == (30.0 * 2 + 30.0) / 4);  // repeat spend 60 + 2 x 15 over 4 days
  const CustomerSummary same = clvkit::summary_after_purchases(c, 0, 15.0);
  CHECK(same.purchase_days == 3);
  CHECK(same.T == 200);
}

// rfm11-thresholds: R 5..1 for <= 30, 90, 180, 365 days and more; F 1, 2, 3 for 1-3 days, 4
// for 4-5, 5 for 6+; M 1..5 for total spend <= 25, 50, 100, 250 and more. Every case below is
// worked out by hand from those edges and the rfm11 cell table (models/segments/README.md).
TEST_CASE("next purchase on a threshold scheme: hand-computed cases", "[next_purchase]") {
  const SegmentScheme scheme = clvkit::load_segment_scheme("rfm11-thresholds");
  const clvkit::ScoringSpec held = scheme.scoring();  // thresholds are held as they are
  REQUIRE(scheme.has_value_order());
  REQUIRE(name_of(scheme, scheme.top_segment()) == "Champions");

  SECTION("a customer already in Champions: 0 purchases, and stays there") {
    const CustomerSummary c = customer("champ", 6, 300.0, 10);  // 5-5-5
    const int now = segment_now(scheme, c, held);
    REQUIRE(name_of(scheme, now) == "Champions");
    const NextPurchase next = clvkit::next_purchase(c, now, 50.0, scheme, held);
    CHECK(cell(next.score) == "555");
    CHECK(name_of(scheme, next.segment) == "Champions");
    CHECK(next.purchases_to_upgrade == 0);
    CHECK(next.upgrade_segment == -1);
  }
  SECTION("a one-time buyer of middling recency: one purchase to Potential Loyalists") {
    // 100 days since the purchase: R 3 (edges 30, 90 below 100); F 1; M 2 (25 < 30 <= 50).
    const CustomerSummary c = customer("once", 1, 30.0, 100);
    const int now = segment_now(scheme, c, held);
    REQUIRE(name_of(scheme, now) == "About to Sleep");  // 3-1-2
    // Next: 0 days -> R 5; 2 days -> F 2; 30 + 30 = 60 -> M 3: 5-2-3.
    const NextPurchase next = clvkit::next_purchase(c, now, c.avg_spend, scheme, held);
    CHECK(cell(next.score) == "523");
    CHECK(name_of(scheme, next.segment) == "Potential Loyalists");
    CHECK(next.purchases_to_upgrade == 1);
    CHECK(name_of(scheme, next.upgrade_segment) == "Potential Loyalists");
  }
  SECTION("a one-time buyer with a small spend: Promising first") {
    const CustomerSummary c = customer("small", 1, 5.0, 200);  // R 2 F 1 M 1: Hibernating
    const int now = segment_now(scheme, c, held);
    REQUIRE(name_of(scheme, now) == "Hibernating");
    // 5-2-1 (10 <= 25): Promising, ranked above Hibernating.
    const NextPurchase next = clvkit::next_purchase(c, now, 5.0, scheme, held);
    CHECK(cell(next.score) == "521");
    CHECK(name_of(scheme, next.segment) == "Promising");
    CHECK(next.purchases_to_upgrade == 1);
  }
  SECTION("a frequent buyer whose spend is too low to reach Champions under the cap") {
    // 6 days, 12 spent: 5-5-1, Loyal Customers; only Champions ranks higher, and it needs
    // M 4 (total > 100): 12 + 2k > 100 needs k = 45 purchases of 2, beyond the cap of 10.
    const CustomerSummary c = customer("frugal", 6, 12.0, 5);
    const int now = segment_now(scheme, c, held);
    REQUIRE(name_of(scheme, now) == "Loyal Customers");
    const NextPurchase next = clvkit::next_purchase(c, now, 2.0, scheme, held);
    CHECK(cell(next.score) == "551");
    CHECK(name_of(scheme, next.segment) == "Loyal Customers");
    CHECK(next.purchases_to_upgrade == -1);
    CHECK(next.upgrade_segment == -1);
    // With a cap of 45 it gets there on the 45th purchase (12 + 90 = 102 > 100), not before.
    clvkit::NextPurchaseOptions wide;
    wide.max_purchases = 45;
    const NextPurchase far = clvkit::next_purchase(c, now, 2.0, scheme, held, wide);
    CHECK(far.purchases_to_upgrade == 45);
    CHECK(name_of(scheme, far.upgrade_segment) == "Champions");
    wide.max_purchases = 44;
    CHECK(clvkit::next_purchase(c, now, 2.0, scheme, held, wide).purchases_to_upgrade == -1);
  }
  SECTION("M on average spend: more purchases of the same spend never raise it") {
    clvkit::ScoringSpec average = held;
    average.monetary_basis = clvkit::MonetaryBasis::average;
    const CustomerSummary c = customer("steady", 6, 120.0, 5);  // avg 20: 5-5-1
    const int now = segment_now(scheme, c, average);
    REQUIRE(name_of(scheme, now) == "Loyal Customers");
    clvkit::NextPurchaseOptions wide;
    wide.max_purchases = 1000;
    const NextPurchase next = clvkit::next_purchase(c, now, c.avg_spend, scheme, average, wide);
    CHECK(cell(next.score) == "551");
    CHECK(next.purchases_to_upgrade == -1);
  }
  SECTION("a lapsed big spender: one purchase back to Champions") {
    const CustomerSummary c = customer("lapsed", 6, 600.0, 400);  // 1-5-5: Can't Lose Them
    const int now = segment_now(scheme, c, held);
    REQUIRE(name_of(scheme, now) == "Can't Lose Them");
    const NextPurchase next = clvkit::next_purchase(c, now, 100.0, scheme, held);
    CHECK(cell(next.score) == "555");
    CHECK(next.purchases_to_upgrade == 1);
    CHECK(name_of(scheme, next.upgrade_segment) == "Champions");
  }
}

// Five customers with distinct values, five bins: each value its own quantile bin, so the held
// edges are F {1, 2, 3, 4}, M {10, 20, 30, 40} and R just below {20, 30, 40, 50} days.
TEST_CASE("next purchase on a quantile scheme holds the current edges", "[next_purchase]") {
  const SegmentScheme scheme = clvkit::load_segment_scheme("rfm11");
  const std::vector<CustomerSummary> base = {
      customer("c1", 1, 10.0, 50), customer("c2", 2, 20.0, 40), customer("c3", 3, 30.0, 30),
      customer("c4", 4, 40.0, 20), customer("c5", 5, 50.0, 10)};
  const std::vector<RfmScore> scores = clvkit::score_customers(base, scheme);
  const clvkit::ScoringSpec held =
      clvkit::held_scoring_spec(base, scores, scheme.scoring(), scheme.bins());
  CHECK(held.method == clvkit::ScoringMethod::threshold);
  // Without customers there is nothing to hold: the spec as it is.
  CHECK(clvkit::held_scoring_spec({}, {}, scheme.scoring(), scheme.bins()).method ==
        clvkit::ScoringMethod::quantile);
  CHECK(held.frequency_edges == std::vector<double>{1, 2, 3, 4});
  CHECK(held.monetary_edges == std::vector<double>{10, 20, 30, 40});
  std::vector<std::string> expected_now = {"Lost", "Hibernating", "Need Attention", "Champions",
                                           "Champions"};
  for (std::size_t i = 0; i < base.size(); ++i) {
    CAPTURE(i);
    CHECK(cell(scores[i]) == std::string(3, static_cast<char>('1' + i)));
    CHECK(name_of(scheme, scheme.segment_of(scores[i])) == expected_now[i]);
    CHECK(clvkit::threshold_scores(base[i], held) == scores[i]);  // the edges keep every score
  }
  // Each spends its average (10) once more, the day after: R 5, F and M one bin up.
  struct Case {
    const char* cell;
    const char* segment;
    int purchases;
    const char* upgrade;
  };
  const Case cases[] = {
      {"522", "Promising", 1, "Promising"},                      // one-time buyer: 2 days, 20
      {"533", "Potential Loyalists", 1, "Potential Loyalists"},  // 3 days, 30
      {"544", "Champions", 1, "Champions"},                      // 4 days, 40
      {"555", "Champions", 0, "(none)"},                         // already top
      {"555", "Champions", 0, "(none)"},
  };
  for (std::size_t i = 0; i < base.size(); ++i) {
    CAPTURE(i);
    const NextPurchase next = clvkit::next_purchase(base[i], scheme.segment_of(scores[i]),
                                                    base[i].avg_spend, scheme, held);
    CHECK(cell(next.score) == cases[i].cell);
    CHECK(name_of(scheme, next.segment) == cases[i].segment);
    CHECK(next.purchases_to_upgrade == cases[i].purchases);
    CHECK(name_of(scheme, next.upgrade_segment) == cases[i].upgrade);
  }
  // A purchase of 1 leaves the one-time buyer's total at 11 (M 2) but makes 2 days: Promising.
  const NextPurchase small =
      clvkit::next_purchase(base[0], scheme.segment_of(scores[0]), 1.0, scheme, held);
  CHECK(cell(small.score) == "522");
}

TEST_CASE("next purchase refuses a scheme without a value order", "[next_purchase][inputcheck]") {
  const SegmentScheme scheme =
      clvkit::parse_segment_scheme(clvkit::test::kSchemeWithoutValueOrder, "plain.json");
  CHECK_FALSE(scheme.has_value_order());
  const std::vector<CustomerSummary> base = {customer("a", 1, 10.0, 5)};
  const clvkit::ScoringSpec held =
      clvkit::held_scoring_spec(base, clvkit::score_customers(base, scheme), scheme.scoring(), 2);
  try {
    clvkit::next_purchase(base[0], 0, 10.0, scheme, held);
    FAIL("no exception");
  } catch (const UsageError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("'plain'") && Catch::Contains("plain.json") &&
                            Catch::Contains("no value_order"));
  }
}

TEST_CASE("a value order must name every segment once", "[segments][inputcheck]") {
  const auto scheme_with = [](const std::string& order) {
    return R"({"name": "two", "bins": 2, "scoring": {"method": "quantile"}, "value_order": )" +
           order +
           R"(, "segments": [{"name": "High", "description": "R 2.", "rules": [{"r": [2, 2]}]},
              {"name": "Low", "description": "The rest.", "rules": [{}]}]})";
  };
  const SegmentScheme ok = clvkit::parse_segment_scheme(scheme_with(R"(["Low", "High"])"), "t");
  CHECK(ok.value_rank(0) == 1);
  CHECK(ok.value_rank(1) == 0);
  CHECK(ok.top_segment() == 1);
  const auto message_of = [&](const std::string& order) {
    try {
      clvkit::parse_segment_scheme(scheme_with(order), "t.json");
    } catch (const clvkit::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message_of(R"(["High"])"),
             Catch::Contains("t.json: value_order: segment 'Low' is missing"));
  CHECK_THAT(message_of(R"(["High", "Low", "High"])"), Catch::Contains("'High' is listed twice"));
  CHECK_THAT(message_of(R"(["High", "Lo"])"), Catch::Contains("'Lo' is not a segment"));
  CHECK_THAT(message_of(R"([])"), Catch::Contains("field 'value_order' must be a non-empty array"));
  CHECK_THAT(message_of(R"(["High", 2])"), Catch::Contains("must be a string"));
}

TEST_CASE("the built-in schemes rank every segment, the top one first", "[segments]") {
  for (const std::string& name : clvkit::available_segment_schemes()) {
    CAPTURE(name);
    const SegmentScheme scheme = clvkit::load_segment_scheme(name);
    REQUIRE(scheme.has_value_order());
    CHECK(scheme.value_order().size() == scheme.segments().size());
    CHECK(scheme.value_rank(scheme.top_segment()) == 0);
    // The top segment is the one of the best cell.
    const auto best = static_cast<std::uint8_t>(scheme.bins());
    CHECK(scheme.segment_of(RfmScore{best, best, best}) == scheme.top_segment());
  }
}
