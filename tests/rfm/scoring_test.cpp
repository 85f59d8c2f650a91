#include "clvkit/rfm/scoring.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "clvkit/error.hpp"

namespace {

using clvkit::InputError;
using clvkit::RfmScore;
using clvkit::UsageError;

// Deterministic pseudo-random numbers (splitmix64): the standard distributions are
// implementation-defined, so they would make the sweeps differ between standard libraries.
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

template <typename T>
void shuffle(std::vector<T>& v, SplitMix& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    std::swap(v[i - 1], v[static_cast<std::size_t>(rng.below(static_cast<int>(i)))]);
  }
}

std::map<int, int> bin_sizes(const std::vector<int>& scores) {
  std::map<int, int> sizes;
  for (const int s : scores) ++sizes[s];
  return sizes;
}

/// Values with heavy ties: mostly small integers, a few distinct large ones.
std::vector<double> tied_values(int n, SplitMix& rng) {
  std::vector<double> values;
  for (int i = 0; i < n; ++i) {
    const int kind = rng.below(10);
    values.push_back(kind < 6 ? 1.0 : kind < 8 ? 2.0 + rng.below(3) : 10.0 + rng.below(1000));
  }
  return values;
}

clvkit::CustomerSummary customer(const char* id, int days_since_last, int purchase_days,
                                 double total_spend) {
  clvkit::CustomerSummary c;
  c.id = id;
  c.days_since_last = days_since_last;
  c.purchase_days = purchase_days;
  c.frequency = purchase_days - 1;
  c.total_spend = total_spend;
  c.avg_spend = total_spend / purchase_days;
  return c;
}

}  // namespace

TEST_CASE("rfm_cell concatenates the R, F and M digits", "[rfm]") {
  CHECK(clvkit::rfm_cell(RfmScore{5, 1, 5}) == "515");
  CHECK(clvkit::rfm_cell(RfmScore{1, 2, 3}) == "123");
  CHECK(clvkit::rfm_cell(RfmScore{9, 9, 9}) == "999");
}

TEST_CASE("quantile scores of distinct values fill bins whose sizes differ by at most one",
          "[rfm][property]") {
  for (int bins = 1; bins <= 9; ++bins) {
    for (int n = 0; n <= 60; ++n) {
      CAPTURE(bins, n);
      std::vector<double> values;
      for (int i = 0; i < n; ++i) values.push_back(static_cast<double>((i * 37) % 61) - 30.0);
      const std::vector<int> scores = clvkit::quantile_scores(values, bins);
      REQUIRE(scores.size() == values.size());
      const std::map<int, int> sizes = bin_sizes(scores);
      // Used bins are exactly 1..min(n, bins), each floor(n/bins) or ceil(n/bins) customers.
      REQUIRE(static_cast<int>(sizes.size()) == std::min(n, bins));
      for (const auto& [bin, size] : sizes) {
        CAPTURE(bin, size);
        CHECK(bin >= 1);
        CHECK(bin <= std::min(n, bins));
        CHECK(size >= n / bins);
        CHECK(size <= (n + bins - 1) / bins);
      }
      // Higher value, higher or equal score.
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
          if (values[i] < values[j]) CHECK(scores[i] <= scores[j]);
        }
      }
    }
  }
}

TEST_CASE("quantile scores give equal values equal scores and are monotone", "[rfm][property]") {
  SplitMix rng{42};
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + rng.below(300);
    const int bins = 1 + rng.below(9);
    const std::vector<double> values = tied_values(n, rng);
    const std::vector<int> scores = clvkit::quantile_scores(values, bins);
    CAPTURE(trial, n, bins);
    std::map<double, int> score_of_value;
    for (int i = 0; i < n; ++i) {
      CAPTURE(i, values[i]);
      REQUIRE(scores[i] >= 1);
      REQUIRE(scores[i] <= bins);
      const auto [it, inserted] = score_of_value.emplace(values[i], scores[i]);
      REQUIRE(it->second == scores[i]);  // equal values, equal scores
    }
    // Monotone, and bottom-up: the used scores are 1..k without gaps.
    int previous = 0;
    for (const auto& [value, score] : score_of_value) {
      CAPTURE(value);
      REQUIRE(score >= previous);
      REQUIRE(score <= previous + 1);
      previous = score;
    }
  }
}

TEST_CASE("quantile scores do not depend on the order of the customers", "[rfm][property]") {
  SplitMix rng{7};
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 1 + rng.below(200);
    const int bins = 2 + rng.below(8);
    std::vector<double> values = tied_values(n, rng);
    const std::vector<int> scores = clvkit::quantile_scores(values, bins);
    std::map<double, int> expected;
    for (int i = 0; i < n; ++i) expected[values[i]] = scores[i];
    for (int round = 0; round < 5; ++round) {
      shuffle(values, rng);
      const std::vector<int> shuffled = clvkit::quantile_scores(values, bins);
      for (int i = 0; i < n; ++i) {
        CAPTURE(trial, round, i, values[i]);
        REQUIRE(shuffled[i] == expected.at(values[i]));
      }
    }
  }
}

TEST_CASE("a 60% tie of one-time buyers scores 1 and the other 40% split evenly over 2..5",
          "[rfm]") {
  std::vector<double> purchase_days(60, 1.0);
  for (int i = 0; i < 40; ++i) purchase_days.push_back(2.0 + i);
  const std::vector<int> scores = clvkit::quantile_scores(purchase_days, 5);
  CHECK(bin_sizes(scores) == std::map<int, int>{{1, 60}, {2, 10}, {3, 10}, {4, 10}, {5, 10}});
  for (int i = 0; i < 60; ++i) CHECK(scores[i] == 1);
}

TEST_CASE("heavy ties in the middle take their bin and later bins share the rest evenly", "[rfm]") {
  // 10 distinct low values, a 50-customer tie, then 40 distinct high values; 5 bins.
  // Bin 1 target 20: the 10 low values leave it 10 short; adding the tie would overshoot by 40,
  // more than the undershoot of 10, so bin 1 closes at 10. Bin 2 (target 90/4) takes the tie
  // alone; bins 3..5 share the 40 high values (target 40/3): 13 (a 14th would overshoot by
  // 2/3, more than the 1/3 undershoot), then 14 of the 27 left (target 13.5), then 13.
  std::vector<double> values;
  for (int i = 0; i < 10; ++i) values.push_back(i);
  for (int i = 0; i < 50; ++i) values.push_back(100.0);
  for (int i = 0; i < 40; ++i) values.push_back(200.0 + i);
  const std::vector<int> scores = clvkit::quantile_scores(values, 5);
  CHECK(bin_sizes(scores) == std::map<int, int>{{1, 10}, {2, 50}, {3, 13}, {4, 14}, {5, 13}});
}

TEST_CASE("a tie group straddling a boundary goes to the side nearer the target", "[rfm]") {
  // 10 customers, 2 bins: target 5 for bin 1, which already holds a group of 4.
  SECTION("overshooting by more than the undershoot: the group opens the next bin") {
    // Adding 3 would give 7 (2 over), leaving it gives 4 (1 under).
    const std::vector<double> values{1, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    CHECK(clvkit::quantile_scores(values, 2) == std::vector<int>{1, 1, 1, 1, 2, 2, 2, 2, 2, 2});
  }
  SECTION("overshooting exactly as much as the undershoot: the group stays") {
    // Adding 2 gives 6 (1 over), leaving it gives 4 (1 under): an exact tie keeps the group.
    const std::vector<double> values{1, 1, 1, 1, 2, 2, 3, 3, 3, 3};
    CHECK(clvkit::quantile_scores(values, 2) == std::vector<int>{1, 1, 1, 1, 1, 1, 2, 2, 2, 2});
  }
  SECTION("a group that reaches the target exactly closes the bin") {
    const std::vector<double> values{1, 1, 1, 1, 2, 3, 3, 3, 3, 3};
    CHECK(clvkit::quantile_scores(values, 2) == std::vector<int>{1, 1, 1, 1, 1, 2, 2, 2, 2, 2});
  }
}

TEST_CASE("fewer distinct values than bins leave the top scores unused", "[rfm]") {
  const std::vector<double> values{3, 1, 2, 1, 3, 2, 1, 2, 3};
  CHECK(clvkit::quantile_scores(values, 5) == std::vector<int>{3, 1, 2, 1, 3, 2, 1, 2, 3});
  // Fewer customers than bins: one customer per score, bottom-up.
  CHECK(clvkit::quantile_scores(std::vector<double>{30, 10, 20}, 5) == std::vector<int>{3, 1, 2});
}

TEST_CASE("all-equal values all score 1", "[rfm]") {
  const std::vector<double> values(17, 4.5);
  CHECK(clvkit::quantile_scores(values, 5) == std::vector<int>(17, 1));
  CHECK(clvkit::quantile_scores(std::vector<double>{}, 5).empty());
}

TEST_CASE("quantile scores treat negative zero as zero and sort infinities", "[rfm]") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values{-0.0, 0.0, -inf, inf};
  const std::vector<int> scores = clvkit::quantile_scores(values, 3);
  CHECK(scores[0] == scores[1]);
  CHECK(scores[2] == 1);
  CHECK(scores[3] == 3);
}

TEST_CASE("quantile scores reject NaN values and fewer than one bin", "[rfm][inputcheck]") {
  const std::vector<double> values{1.0, std::nan(""), 2.0};
  CHECK_THROWS_AS(clvkit::quantile_scores(values, 5), UsageError);
  CHECK_THROWS_WITH(clvkit::quantile_scores(values, 5), Catch::Contains("value 1 is NaN"));
  CHECK_THROWS_AS(clvkit::quantile_scores(std::vector<double>{1.0}, 0), UsageError);
  CHECK_THROWS_WITH(clvkit::quantile_scores(std::vector<double>{1.0}, 0),
                    Catch::Contains("bins is 0"));
}

TEST_CASE("threshold score is 1 + the number of edges strictly below the value", "[rfm]") {
  const std::vector<double> edges{1, 2, 3, 5};
  const std::vector<std::pair<double, int>> expected{{-1, 1}, {0, 1},    {1, 1},   {1.5, 2},
                                                     {2, 2},  {3, 3},    {3.5, 4}, {4, 4},
                                                     {5, 4},  {5.01, 5}, {6, 5},   {1e9, 5}};
  for (const auto& [value, score] : expected) {
    CAPTURE(value);
    CHECK(clvkit::threshold_score(value, edges) == score);
  }
}

TEST_CASE("threshold recency score: at most the first edge in days is the top score", "[rfm]") {
  const std::vector<double> edges{30, 90, 180, 365};
  const std::vector<std::pair<double, int>> expected{{0, 5},   {30, 5},  {31, 4},  {90, 4},
                                                     {91, 3},  {180, 3}, {181, 2}, {365, 2},
                                                     {366, 1}, {5000, 1}};
  for (const auto& [days, score] : expected) {
    CAPTURE(days);
    CHECK(clvkit::threshold_recency_score(days, edges) == score);
  }
  // Two bins, one edge.
  CHECK(clvkit::threshold_recency_score(7, std::vector<double>{7}) == 2);
  CHECK(clvkit::threshold_recency_score(8, std::vector<double>{7}) == 1);
}

TEST_CASE("threshold edges must be bins - 1 finite, strictly increasing values",
          "[rfm][inputcheck]") {
  using clvkit::check_threshold_edges;
  CHECK_NOTHROW(check_threshold_edges(std::vector<double>{30, 90, 180, 365}, 5, "recency_days"));
  CHECK_THROWS_AS(check_threshold_edges(std::vector<double>{30, 90, 180}, 5, "recency_days"),
                  UsageError);
  CHECK_THROWS_WITH(check_threshold_edges(std::vector<double>{30, 90, 180}, 5, "recency_days"),
                    Catch::Contains("recency_days edges: 3 given, but 5 bins need 4"));
  CHECK_THROWS_WITH(check_threshold_edges(std::vector<double>{1, 2, 2, 5}, 5, "purchase_days"),
                    Catch::Contains("purchase_days edges must be strictly increasing, but 2 "
                                    "follows 2"));
  CHECK_THROWS_WITH(check_threshold_edges(std::vector<double>{10, 5, 20, 30}, 5, "monetary"),
                    Catch::Contains("but 5 follows 10"));
  CHECK_THROWS_WITH(
      check_threshold_edges(std::vector<double>{1, std::numeric_limits<double>::infinity()}, 3,
                            "monetary"),
      Catch::Contains("edge 2 is inf, but must be finite"));
}

TEST_CASE("score_customers takes R from recency, F from purchase days, M from the basis", "[rfm]") {
  // Five customers with distinct values: each dimension uses every score once.
  const std::vector<clvkit::CustomerSummary> customers{
      customer("a", 400, 1, 10.0), customer("b", 10, 5, 500.0), customer("c", 100, 2, 300.0),
      customer("d", 200, 4, 20.0), customer("e", 50, 3, 600.0)};
  clvkit::ScoringSpec spec;
  const std::vector<RfmScore> total = clvkit::score_customers(customers, spec, 5);
  CHECK(total == std::vector<RfmScore>{{1, 1, 1}, {5, 5, 4}, {3, 2, 3}, {2, 4, 2}, {4, 3, 5}});
  // Average spend: a 10, b 100, c 150, d 5, e 200.
  spec.monetary_basis = clvkit::MonetaryBasis::average;
  const std::vector<RfmScore> average = clvkit::score_customers(customers, spec, 5);
  CHECK(average == std::vector<RfmScore>{{1, 1, 2}, {5, 5, 3}, {3, 2, 4}, {2, 4, 1}, {4, 3, 5}});
}

TEST_CASE("score_customers with thresholds uses the spec's edges", "[rfm]") {
  clvkit::ScoringSpec spec;
  spec.method = clvkit::ScoringMethod::threshold;
  spec.recency_edges = {30, 90, 180, 365};
  spec.frequency_edges = {1, 2, 3, 5};
  spec.monetary_edges = {25, 50, 100, 250};
  const std::vector<clvkit::CustomerSummary> customers{
      customer("a", 0, 1, 25.0), customer("b", 91, 5, 250.01), customer("c", 1000, 6, 0.0)};
  CHECK(clvkit::score_customers(customers, spec, 5) ==
        std::vector<RfmScore>{{5, 1, 1}, {3, 4, 5}, {1, 5, 1}});
  spec.monetary_basis = clvkit::MonetaryBasis::average;  // b: 50.002 per day -> M 3
  CHECK(clvkit::score_customers(customers, spec, 5)[1] == RfmScore{3, 4, 3});
}

TEST_CASE("score_customers checks bins, edges and spends", "[rfm][inputcheck]") {
  std::vector<clvkit::CustomerSummary> customers{customer("c-1", 3, 1, 10.0),
                                                 customer("c-2", 3, 1, 10.0)};
  clvkit::ScoringSpec spec;
  CHECK_THROWS_AS(clvkit::score_customers(customers, spec, 1), UsageError);
  CHECK_THROWS_WITH(clvkit::score_customers(customers, spec, 10),
                    Catch::Contains("bins is 10, but must be in 2..9"));
  spec.method = clvkit::ScoringMethod::threshold;
  CHECK_THROWS_WITH(clvkit::score_customers(customers, spec, 5),
                    Catch::Contains("recency_days edges: 0 given"));
  spec = clvkit::ScoringSpec{};
  customers[1].total_spend = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(clvkit::score_customers(customers, spec, 5), InputError);
  CHECK_THROWS_WITH(clvkit::score_customers(customers, spec, 5),
                    Catch::Contains("customer 'c-2': total_spend is nan"));
  spec.monetary_basis = clvkit::MonetaryBasis::average;  // avg_spend is still finite
  CHECK_NOTHROW(clvkit::score_customers(customers, spec, 5));
}
