#include "clvkit/rfm/scoring.hpp"

#include <algorithm>
#include <array>
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

namespace {

// The scores as quantile_scores computed them by sorting a copy of the values, kept as the
// reference the faster algorithm must match exactly.
std::vector<int> sorted_reference_scores(const std::vector<double>& values, int bins) {
  const std::size_t n = values.size();
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> bin_max;
  int bin = 1;
  std::int64_t remaining = static_cast<std::int64_t>(n);
  std::int64_t bins_left = bins;
  std::int64_t in_bin = 0;
  const auto close_bin = [&](double largest) {
    bin_max.push_back(largest);
    ++bin;
    remaining -= in_bin;
    --bins_left;
    in_bin = 0;
  };
  std::size_t start = 0;
  while (start < n) {
    std::size_t end = start + 1;
    while (end < n && sorted[end] == sorted[start]) ++end;
    const auto group = static_cast<std::int64_t>(end - start);
    if (in_bin > 0 && bin < bins && (2 * in_bin + group) * bins_left > 2 * remaining) {
      close_bin(sorted[start - 1]);
    }
    in_bin += group;
    if (bin < bins && in_bin * bins_left >= remaining) close_bin(sorted[end - 1]);
    start = end;
  }
  std::vector<int> scores(n);
  for (std::size_t i = 0; i < n; ++i) {
    int score = 1;
    for (const double largest : bin_max) score += values[i] > largest ? 1 : 0;
    scores[i] = score;
  }
  return scores;
}

// Random values of one of several shapes, each hard on a different part of the algorithm: heavy
// ties, signs and zeros of both signs, values that differ only in their lowest bits (one bucket
// of the key's top bits holds many of them), extremes and infinities.
std::vector<double> random_values(std::size_t n, int shape, SplitMix& rng) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values(n);
  for (double& v : values) {
    switch (shape) {
      case 0:  // a few small integers, both signs, and zeros of both signs
        v = static_cast<double>(rng.below(7) - 3);
        if (v == 0.0 && rng.below(2) == 0) v = -0.0;
        break;
      case 1:  // spend in cents with returns: many distinct values, some ties
        v = static_cast<double>(rng.below(200000) - 20000) / 100.0;
        break;
      case 2:  // neighbours in the last bits: equal top bits, ties among them
        v = (rng.below(2) == 0 ? -1.0 : 1.0) * (1.0 + rng.below(50) * 0x1p-45);
        break;
      case 3:  // extremes: tiny and huge magnitudes, subnormals, infinities, zeros
        v =
            std::array<double, 9>{
                -inf, -1e300, -1e-310, -0.0, 0.0, 1e-310, 3.5, 1e300, inf}[static_cast<std::size_t>(
                rng.below(9))];
        break;
      case 4:  // one value for 90%, distinct values for the rest
        v = rng.below(10) != 0 ? 2.0 : static_cast<double>(rng.next() >> 11) * 0x1p-40;
        break;
      default:  // all equal
        v = -0.0;
        break;
    }
  }
  return values;
}

}  // namespace

TEST_CASE("quantile scores equal those of sorting the values, on any number of threads",
          "[rfm][property]") {
  SplitMix rng{2024};
  for (int trial = 0; trial < 600; ++trial) {
    const int shape = trial % 6;
    const int bins = 1 + rng.below(9);
    // Mostly small inputs, n < bins among them; every tenth spans several blocks of work.
    const std::size_t n = trial % 10 == 9  ? 65536 + static_cast<std::size_t>(rng.below(200000))
                          : trial % 3 == 0 ? static_cast<std::size_t>(rng.below(bins + 1))
                                           : static_cast<std::size_t>(rng.below(3000));
    const std::vector<double> values = random_values(n, shape, rng);
    const std::vector<int> expected = sorted_reference_scores(values, bins);
    for (const int threads : {1, 3}) {
      CAPTURE(trial, shape, bins, n, threads);
      REQUIRE(clvkit::quantile_scores(values, bins, threads) == expected);
    }
  }
}

TEST_CASE("quantile scores of all-equal values and of signed zeros", "[rfm]") {
  for (const int threads : {1, 3}) {
    CAPTURE(threads);
    CHECK(clvkit::quantile_scores(std::vector<double>(100000, 7.25), 5, threads) ==
          std::vector<int>(100000, 1));
    // -0.0 == +0.0: one tie group, whichever the sign.
    std::vector<double> zeros(70000, 0.0);
    for (std::size_t i = 0; i < zeros.size(); i += 3) zeros[i] = -0.0;
    zeros.push_back(1.0);
    zeros.push_back(-1.0);
    const std::vector<int> scores = clvkit::quantile_scores(zeros, 3, threads);
    CHECK(scores == sorted_reference_scores(zeros, 3));
    CHECK(scores[0] == scores[1]);
  }
}

TEST_CASE("quantile scores name the first NaN on any number of threads", "[rfm][inputcheck]") {
  std::vector<double> values(300000, 1.0);
  values[200001] = std::nan("");
  values[150000] = std::nan("");
  CHECK_THROWS_WITH(clvkit::quantile_scores(values, 5, 3), Catch::Contains("value 150000 is NaN"));
}

TEST_CASE("score_customers gives the same scores on one thread and on three", "[rfm][property]") {
  SplitMix rng{99};
  std::vector<clvkit::CustomerSummary> customers(250000);
  for (clvkit::CustomerSummary& c : customers) {
    c.days_since_last = rng.below(731);
    c.purchase_days = 1 + rng.below(rng.below(2) == 0 ? 3 : 60);
    c.frequency = c.purchase_days - 1;
    c.total_spend = static_cast<double>(rng.below(500000) - 5000) / 100.0;
    c.avg_spend = c.total_spend / static_cast<double>(c.purchase_days);
  }
  clvkit::ScoringSpec spec;
  for (const auto basis : {clvkit::MonetaryBasis::total, clvkit::MonetaryBasis::average}) {
    spec.monetary_basis = basis;
    const std::vector<RfmScore> one = clvkit::score_customers(customers, spec, 5, 1);
    CHECK(clvkit::score_customers(customers, spec, 5, 3) == one);
    // And each dimension is the reference's quantile score of its values.
    std::vector<double> r, f, m;
    for (const clvkit::CustomerSummary& c : customers) {
      r.push_back(-static_cast<double>(c.days_since_last));
      f.push_back(static_cast<double>(c.purchase_days));
      m.push_back(basis == clvkit::MonetaryBasis::total ? c.total_spend : c.avg_spend);
    }
    const std::vector<int> r_ref = sorted_reference_scores(r, 5);
    const std::vector<int> f_ref = sorted_reference_scores(f, 5);
    const std::vector<int> m_ref = sorted_reference_scores(m, 5);
    for (std::size_t i = 0; i < customers.size(); ++i) {
      CAPTURE(i);
      REQUIRE(one[i] == RfmScore{static_cast<std::uint8_t>(r_ref[i]),
                                 static_cast<std::uint8_t>(f_ref[i]),
                                 static_cast<std::uint8_t>(m_ref[i])});
    }
  }
  spec.method = clvkit::ScoringMethod::threshold;
  spec.recency_edges = {30, 90, 180, 365};
  spec.frequency_edges = {1, 2, 3, 5};
  spec.monetary_edges = {25, 50, 100, 250};
  CHECK(clvkit::score_customers(customers, spec, 5, 3) ==
        clvkit::score_customers(customers, spec, 5, 1));
  // The first customer whose spend is not finite is named, whichever thread finds it.
  customers[200000].avg_spend = std::numeric_limits<double>::infinity();
  customers[100000].id = "c-100000";
  customers[100000].avg_spend = -std::numeric_limits<double>::infinity();
  spec.monetary_basis = clvkit::MonetaryBasis::average;
  CHECK_THROWS_WITH(clvkit::score_customers(customers, spec, 5, 3),
                    Catch::Contains("customer 'c-100000': avg_spend is -inf"));
  spec = clvkit::ScoringSpec{};
  spec.monetary_basis = clvkit::MonetaryBasis::average;
  CHECK_THROWS_WITH(clvkit::score_customers(customers, spec, 5, 3),
                    Catch::Contains("customer 'c-100000': avg_spend is -inf"));
}

TEST_CASE("threshold edges from a base's quantile scores give that base the same scores",
          "[rfm][property][consistency]") {
  SplitMix rng{2026};
  for (int round = 0; round < 60; ++round) {
    const int bins = 2 + rng.below(8);
    const int n = 1 + rng.below(round < 10 ? 6 : 400);
    // Heavy ties (most customers bought once, recently or long ago), and now and then a base
    // with fewer distinct values than bins.
    const int distinct_days = 1 + rng.below(round % 3 == 0 ? 3 : 500);
    std::vector<clvkit::CustomerSummary> customers;
    for (int i = 0; i < n; ++i) {
      const int days = rng.below(distinct_days);
      const int purchases = rng.below(10) < 6 ? 1 : 1 + rng.below(round % 4 == 0 ? 2 : 40);
      const double spend = rng.below(10) < 3 ? 10.0 : 0.01 * rng.below(100000);
      customers.push_back(customer("c", days, purchases, spend));
    }
    for (const auto basis : {clvkit::MonetaryBasis::total, clvkit::MonetaryBasis::average}) {
      CAPTURE(round, bins, n, static_cast<int>(basis));
      clvkit::ScoringSpec quantile;
      quantile.monetary_basis = basis;
      const std::vector<RfmScore> scores = clvkit::score_customers(customers, quantile, bins);
      const clvkit::ScoringSpec held =
          clvkit::threshold_spec_from_scores(customers, scores, quantile, bins);
      CHECK(held.method == clvkit::ScoringMethod::threshold);
      CHECK(held.monetary_basis == basis);
      const std::vector<RfmScore> again = clvkit::score_customers(customers, held, bins);
      for (std::size_t i = 0; i < customers.size(); ++i) {
        CAPTURE(i, customers[i].days_since_last, customers[i].purchase_days);
        REQUIRE(again[i] == scores[i]);
      }
    }
  }
}

TEST_CASE("threshold edges from scores on a hand-made base", "[rfm]") {
  // Recency 2, 5, 9, 30 days; 1, 1, 2, 6 purchase days; spend 10, 20, 30, 40; two bins.
  const std::vector<clvkit::CustomerSummary> customers{
      customer("a", 2, 1, 10.0), customer("b", 5, 1, 20.0), customer("c", 9, 2, 30.0),
      customer("d", 30, 6, 40.0)};
  const std::vector<RfmScore> scores = clvkit::score_customers(customers, {}, 2);
  const clvkit::ScoringSpec held = clvkit::threshold_spec_from_scores(customers, scores, {}, 2);
  // R: 2 and 5 days score 2, 9 and 30 score 1: the edge is just below 9 days (a recency edge
  // counts when it is strictly below the days).
  REQUIRE(held.recency_edges.size() == 1);
  CHECK(held.recency_edges[0] == std::nextafter(9.0, -HUGE_VAL));
  CHECK(held.frequency_edges == std::vector<double>{1.0});
  CHECK(held.monetary_edges == std::vector<double>{20.0});
  // Later customers are scored against this base's boundaries: 8 days is still recent, 10 not.
  const std::vector<RfmScore> later = clvkit::score_customers(
      {customer("e", 8, 3, 25.0), customer("f", 10, 1, 20.0)}, held, 2);
  CHECK(later[0] == RfmScore{2, 2, 2});
  CHECK(later[1] == RfmScore{1, 1, 1});
  CHECK_THROWS_AS(clvkit::threshold_spec_from_scores({}, {}, {}, 2), UsageError);
}

// quantile_edges_of_counts is quantile_scores' tie rule from the counts alone: on random
// multisets (heavy ties, few distinct values, more bins than values), every value's score is 1 +
// the edges below it, and each edge is the largest value of its score.
TEST_CASE("quantile edges from counts score every value as quantile_scores does",
          "[rfm][quantile][edges]") {
  SplitMix rng{2026};
  for (int trial = 0; trial < 400; ++trial) {
    const int bins = 1 + rng.below(9);
    const int distinct = 1 + rng.below(trial % 3 == 0 ? 4 : 60);
    std::vector<clvkit::ValueCount> counts;
    std::vector<double> values;
    for (int v = 0; v < distinct; ++v) {
      const double value = (rng.below(2) == 0 ? -1.0 : 1.0) * (v * 7.25 + rng.below(5));
      if (std::any_of(counts.begin(), counts.end(),
                      [value](const clvkit::ValueCount& c) { return c.value == value; })) {
        continue;
      }
      const std::int64_t count = 1 + (rng.below(4) == 0 ? rng.below(200) : rng.below(3));
      counts.push_back({value, count});
      values.insert(values.end(), static_cast<std::size_t>(count), value);
    }
    shuffle(values, rng);
    const std::vector<int> scores = clvkit::quantile_scores(values, bins);
    const std::vector<double> edges = clvkit::quantile_edges_of_counts(counts, bins);
    CAPTURE(trial, bins, counts.size());
    REQUIRE(edges.size() < static_cast<std::size_t>(bins));
    for (std::size_t i = 0; i < values.size(); ++i) {
      REQUIRE(clvkit::threshold_score(values[i], edges) == scores[i]);
    }
    for (std::size_t k = 0; k < edges.size(); ++k) {
      double largest = -std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (scores[i] <= static_cast<int>(k) + 1) largest = std::max(largest, values[i]);
      }
      REQUIRE(edges[k] == largest);
    }
  }
}

TEST_CASE("quantile edges from counts: a worked case and what is refused", "[rfm][quantile][edges]") {
  // 10 customers, 5 bins: the 6 ones take bin 1 (target 2); the other 4 have targets of 1 each:
  // 2, then 3 and 3 (a tie stays together), then 4, which closes bin 4 and leaves 5 unused.
  const std::vector<clvkit::ValueCount> counts = {{3, 2}, {1, 6}, {4, 1}, {2, 1}};
  REQUIRE(clvkit::quantile_edges_of_counts(counts, 5) == std::vector<double>{1, 2, 3, 4});
  REQUIRE_THROWS_AS(clvkit::quantile_edges_of_counts({{1, 0}}, 5), UsageError);
  REQUIRE_THROWS_AS(clvkit::quantile_edges_of_counts({{1, 1}, {1, 2}}, 5), UsageError);
  REQUIRE_THROWS_AS(clvkit::quantile_edges_of_counts({{std::nan(""), 1}}, 5), UsageError);
  REQUIRE_THROWS_AS(clvkit::quantile_edges_of_counts({{1, 1}}, 0), UsageError);
}
