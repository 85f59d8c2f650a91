#include "clvkit/models/bgnbd_fit.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/models/bgnbd.hpp"

namespace {

using clvkit::BgNbdParams;
using clvkit::FrequencyRecencyPattern;
using clvkit::ModelError;

template <typename F>
std::string model_error_message(F&& f) {
  return clvkit::test::error_message<ModelError>(std::forward<F>(f));
}

std::map<std::string, std::vector<double>> read_csv(const std::string& name) {
  return clvkit::test::read_reference_csv(name);
}

struct Customers {
  std::vector<double> x, t_x, T;
};

// CDNOW 2357-customer calibration summary in weeks (FHL 2005).
Customers cdnow() {
  auto csv = read_csv("cdnow_customers_summary.csv");
  return {csv.at("frequency"), csv.at("recency"), csv.at("T")};
}

// lifetimes 0.11.3 on the same file (tests/data/reference/README.md).
const BgNbdParams kLifetimes{0.24259292827982198, 4.413532265271817, 0.7928859664406002,
                             2.4257523826255123};
constexpr double kLifetimesLogLikelihood = -9582.425560567366;

double round_to(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

}  // namespace

TEST_CASE("compress_patterns merges equal triples and sorts them", "[bgnbd]") {
  const std::vector<double> x = {2, 0, 2, 1, 0, 2};
  const std::vector<double> t_x = {5, 0, 5, 3, 0, 5};
  const std::vector<double> T = {9, 7, 9, 8, 8, 9.5};
  const auto patterns = clvkit::compress_patterns(x, t_x, T);
  REQUIRE(patterns.size() == 5);
  CHECK(patterns[0].x == 0);
  CHECK(patterns[0].T == 7);
  CHECK(patterns[0].count == 1);
  CHECK(patterns[1].x == 0);
  CHECK(patterns[1].T == 8);
  CHECK(patterns[2].x == 1);
  CHECK(patterns[3].x == 2);
  CHECK(patterns[3].t_x == 5);
  CHECK(patterns[3].T == 9);
  CHECK(patterns[3].count == 2);
  CHECK(patterns[4].T == 9.5);  // (2, 5, 9.5) differs from (2, 5, 9) in T only
  CHECK(patterns[4].count == 1);
  CHECK(clvkit::compress_patterns({}, {}, {}).empty());
}

TEST_CASE("compress_patterns equals sorting the triples and merging equal ones",
          "[bgnbd][property]") {
  // compress_patterns sorts ranks with radix sorts over blocks of 64k customers, in parallel;
  // compare with the obvious comparison sort on data with many repeats (days in weeks, small
  // counts), -0.0, and coordinates whose values are all distinct. 200k customers: four blocks,
  // with runs of equal triples across block boundaries.
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int> day(0, 400);
  std::uniform_int_distribution<int> count(0, 30);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Customers c;
  for (int i = 0; i < 200000; ++i) {
    const bool continuous = i % 5 == 0;  // every fifth customer has unrounded times
    const double T = continuous ? 60.0 * uniform(rng) : day(rng) / 7.0;
    const double t_x = continuous ? T * uniform(rng) : std::min(T, day(rng) / 7.0);
    const double x = i % 7 == 0 ? -0.0 : (i % 11 == 0 ? 2.5 : count(rng));
    c.x.push_back(x);
    c.t_x.push_back(x == 0.0 ? 0.0 : t_x);
    c.T.push_back(T);
  }
  std::vector<FrequencyRecencyPattern> expected;
  for (std::size_t i = 0; i < c.x.size(); ++i) expected.push_back({c.x[i], c.t_x[i], c.T[i], 1});
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
    if (a.x != b.x) return a.x < b.x;
    if (a.t_x != b.t_x) return a.t_x < b.t_x;
    return a.T < b.T;
  });
  std::vector<FrequencyRecencyPattern> merged;
  for (const auto& p : expected) {
    if (!merged.empty() && merged.back().x == p.x && merged.back().t_x == p.t_x &&
        merged.back().T == p.T) {
      merged.back().count += 1;
    } else {
      merged.push_back(p);
    }
  }
  for (const int threads : {1, 4}) {
    CAPTURE(threads);
    const auto patterns = clvkit::compress_patterns(c.x, c.t_x, c.T, threads);
    REQUIRE(patterns.size() == merged.size());
    CHECK(patterns.size() < c.x.size());
    std::size_t first_mismatch = 0;
    while (first_mismatch < patterns.size() &&
           patterns[first_mismatch].x == merged[first_mismatch].x &&
           patterns[first_mismatch].t_x == merged[first_mismatch].t_x &&
           patterns[first_mismatch].T == merged[first_mismatch].T &&
           patterns[first_mismatch].count == merged[first_mismatch].count) {
      ++first_mismatch;
    }
    CHECK(first_mismatch == patterns.size());
    CHECK_FALSE(std::signbit(patterns.front().x));  // -0.0 and 0.0 merge into one +0 pattern
  }
}

TEST_CASE("compress_patterns checks its inputs", "[bgnbd][inputcheck]") {
  CHECK_THAT(model_error_message([&] {
               clvkit::compress_patterns({1, 2}, {1}, {3, 4});
             }),
             Catch::StartsWith("bgnbd data: x, t_x and T have different lengths"));
  CHECK_THAT(model_error_message([&] {
               clvkit::compress_patterns({1, 2}, {1, 5}, {3, 4});
             }),
             Catch::Equals("bgnbd data: customer 2 has t_x = 5, but must be in "
                           "[0, T = 4]"));
  CHECK_THAT(model_error_message([&] {
               clvkit::compress_patterns({1, -1}, {1, 0}, {3, 4});
             }),
             Catch::StartsWith("bgnbd data: customer 2 has x = -1"));
  CHECK_THAT(model_error_message([&] { clvkit::compress_patterns({1}, {1}, {std::nan("")}); }),
             Catch::StartsWith("bgnbd data: customer 1 has T = nan"));
  // Checked in blocks, several at a time: still the first invalid customer is named.
  std::vector<double> x(200000, 1.0);
  std::vector<double> t_x(200000, 2.0);
  std::vector<double> T(200000, 3.0);
  t_x[150000] = 4.0;
  x[70000] = -1.0;
  for (const int threads : {1, 4}) {
    CAPTURE(threads);
    CHECK_THAT(model_error_message([&] { clvkit::compress_patterns(x, t_x, T, threads); }),
               Catch::StartsWith("bgnbd data: customer 70001 has x = -1"));
  }
}

TEST_CASE("BG/NBD total log-likelihood is the weighted sum over customers",
          "[bgnbd][consistency]") {
  const Customers c = cdnow();
  const auto patterns = clvkit::compress_patterns(c.x, c.t_x, c.T);
  CHECK(patterns.size() < c.x.size());
  double customers = 0.0;
  for (const auto& p : patterns) customers += p.count;
  CHECK(customers == 2357.0);
  double direct = 0.0;
  for (std::size_t i = 0; i < c.x.size(); ++i) {
    direct += clvkit::bgnbd_log_likelihood(kLifetimes, c.x[i], c.t_x[i], c.T[i]);
  }
  std::array<double, 4> g{};
  const double with_gradient = clvkit::bgnbd_total_log_likelihood(kLifetimes, patterns, &g);
  const double without = clvkit::bgnbd_total_log_likelihood(kLifetimes, patterns, nullptr);
  CHECK(with_gradient == Approx(direct).epsilon(1e-12));
  CHECK(without == Approx(direct).epsilon(1e-12));
  // lifetimes' own likelihood at its estimates.
  CHECK(with_gradient == Approx(kLifetimesLogLikelihood).margin(1e-6));
}

// Reference for bgnbd_total_log_likelihood, which tabulates the x-only and time-only terms per
// evaluation: the per-customer function summed pattern by pattern, in long double so that the
// reference's own summation error does not count. `scale` receives sum |count * term| per
// component (value, then the four gradient entries), the size of the rounding to expect.
double direct_total(const BgNbdParams& params, const std::vector<FrequencyRecencyPattern>& data,
                    std::array<double, 4>& gradient, std::array<double, 5>& scale) {
  long double total = 0.0L;
  std::array<long double, 4> sum{};
  scale = {};
  for (const FrequencyRecencyPattern& d : data) {
    std::array<double, 4> g{};
    const double ll = clvkit::bgnbd_log_likelihood_gradient(params, d.x, d.t_x, d.T, g);
    total += static_cast<long double>(d.count) * ll;
    scale[0] += std::abs(d.count * ll);
    for (std::size_t i = 0; i < 4; ++i) {
      sum[i] += static_cast<long double>(d.count) * g[i];
      scale[i + 1] += std::abs(d.count * g[i]);
    }
  }
  for (std::size_t i = 0; i < 4; ++i) gradient[i] = static_cast<double>(sum[i]);
  return static_cast<double>(total);
}

TEST_CASE("BG/NBD total log-likelihood and gradient equal the per-customer sum",
          "[bgnbd][consistency]") {
  // CDNOW, plus patterns that take every branch of the tabulation: x = 0 (no second term),
  // x > 16 and fractional x (gamma differences instead of products), t_x = 0 and t_x = T
  // (ell = 0), T = 0, -0.0, repeated times, counts other than 1, and an unsorted order.
  const Customers c = cdnow();
  std::vector<FrequencyRecencyPattern> mixed = clvkit::compress_patterns(c.x, c.t_x, c.T);
  const std::vector<FrequencyRecencyPattern> extra = {
      {40, 30.5, 77.25, 3}, {0, 0, 0, 2},        {-0.0, 0, 12, 1},     {3, 0, 20, 1},
      {3, 20, 20, 4},       {17, 1.0 / 7, 2, 1}, {2.5, 10, 39, 1},     {130, 51.4, 52, 2},
      {1, 1e-9, 1e-9, 1},   {0, 0, 3e4, 1},      {5, 2e4, 3e4, 1},     {20.25, 0.5, 0.75, 1},
      {1, 39, 39.5, 0.5},   {2, 0, 0, 1},        {3, 20, 20.000001, 1}};
  mixed.insert(mixed.begin() + 100, extra.begin(), extra.end());
  std::mt19937 rng(5);
  std::vector<FrequencyRecencyPattern> shuffled = mixed;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);

  for (const BgNbdParams params :
       {kLifetimes, BgNbdParams{1.0, 1.0, 1.0, 1.0}, BgNbdParams{0.05, 30.0, 3.0, 0.4},
        BgNbdParams{5.0, 0.5, 0.2, 20.0}, BgNbdParams{1e-3, 1e-3, 1e-3, 1e3},
        BgNbdParams{50.0, 1e4, 60.0, 0.7}, BgNbdParams{0.3, 2e-2, 8.0, 1e-2}}) {
    for (const auto* data : {&mixed, &shuffled}) {
      CAPTURE(params.r, params.alpha, params.a, params.b, data == &shuffled);
      std::array<double, 4> expected_gradient{};
      std::array<double, 5> scale{};
      const double expected = direct_total(params, *data, expected_gradient, scale);
      std::array<double, 4> g{};
      const double value = clvkit::bgnbd_total_log_likelihood(params, *data, &g);
      // 1e-12 relative to the size of the summed terms: the two differ by rounding only (a few
      // ulp per term, e.g. log(alpha+T) - log(alpha+t_x) against log1p), never by algebra.
      CHECK(value == Approx(expected).margin(1e-12 * scale[0]));
      CHECK(clvkit::bgnbd_total_log_likelihood(params, *data, nullptr) == value);
      for (std::size_t i = 0; i < 4; ++i) {
        CAPTURE(i, scale[i + 1]);
        CHECK(g[i] == Approx(expected_gradient[i]).margin(1e-12 * scale[i + 1]));
      }
    }
  }
}

TEST_CASE("BG/NBD total log-likelihood is bit-identical for any thread count",
          "[bgnbd][consistency][threads]") {
  // 40k distinct patterns: five tasks of 8k patterns, summed on up to four threads.
  std::mt19937_64 rng(23);
  std::uniform_int_distribution<int> day(0, 700);
  std::uniform_int_distribution<int> count(0, 40);
  std::vector<FrequencyRecencyPattern> data;
  for (int i = 0; i < 40000; ++i) {
    const double T = day(rng) / 7.0;
    const double x = count(rng);
    data.push_back({x, x == 0 ? 0.0 : std::min(T, day(rng) / 7.0), T, 1.0 + i % 3});
  }
  for (const BgNbdParams params : {kLifetimes, BgNbdParams{1.0, 8.0, 0.5, 10.0}}) {
    CAPTURE(params.r, params.alpha, params.a, params.b);
    std::array<double, 4> g_one{};
    std::array<double, 4> g_four{};
    const double one = clvkit::bgnbd_total_log_likelihood(params, data, &g_one);
    const double four = clvkit::bgnbd_total_log_likelihood(params, data, &g_four, 4);
    CHECK(std::memcmp(&one, &four, sizeof(double)) == 0);
    CHECK(std::memcmp(g_one.data(), g_four.data(), sizeof(g_one)) == 0);
    const double no_gradient = clvkit::bgnbd_total_log_likelihood(params, data, nullptr, 4);
    CHECK(std::memcmp(&one, &no_gradient, sizeof(double)) == 0);
  }
}

TEST_CASE("BG/NBD total gradient agrees with central differences", "[bgnbd][consistency]") {
  const Customers c = cdnow();
  const auto patterns = clvkit::compress_patterns(c.x, c.t_x, c.T);
  // Step 1e-5 relative in each parameter: truncation ~1e-10, rounding ~1e-16 * 1e4 / 1e-5;
  // tolerance 1e-6 relative to max(1, |gradient|) (the total is ~1e4).
  for (const BgNbdParams params :
       {kLifetimes, BgNbdParams{1.0, 1.0, 1.0, 1.0}, BgNbdParams{0.05, 30.0, 3.0, 0.4},
        BgNbdParams{5.0, 0.5, 0.2, 20.0}}) {
    CAPTURE(params.r, params.alpha, params.a, params.b);
    std::array<double, 4> g{};
    clvkit::bgnbd_total_log_likelihood(params, patterns, &g);
    for (int i = 0; i < 4; ++i) {
      CAPTURE(i);
      auto shifted = [&](double factor, double& value) {
        BgNbdParams q = params;
        double* v[] = {&q.r, &q.alpha, &q.a, &q.b};
        *v[i] *= factor;
        value = *v[i];
        return clvkit::bgnbd_total_log_likelihood(q, patterns, nullptr);
      };
      double v_up = 0.0;
      double v_down = 0.0;
      const double up = shifted(1.0 + 1e-5, v_up);
      const double down = shifted(1.0 - 1e-5, v_down);
      const double numeric = (up - down) / (v_up - v_down);
      CHECK(g[static_cast<std::size_t>(i)] ==
            Approx(numeric).margin(1e-6 * std::max(1.0, std::abs(numeric))));
    }
  }
}

TEST_CASE("BG/NBD fit reproduces FHL 2005 CDNOW estimates", "[bgnbd][paper]") {
  const Customers c = cdnow();
  const auto fit = clvkit::fit_bgnbd(clvkit::compress_patterns(c.x, c.t_x, c.T));
  const auto& s = fit.summary;
  CAPTURE(s.message, s.iterations, s.starts_tried, s.gradient_norm, s.standard_errors_message);
  REQUIRE(s.converged());
  CHECK(s.termination == clvkit::FitTermination::converged);
  CHECK(s.model == "bgnbd");
  CHECK(s.n_observations == 2357);
  // FHL 2005: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
  CHECK(round_to(fit.params.r, 3) == Approx(0.243).margin(1e-12));
  CHECK(round_to(fit.params.alpha, 3) == Approx(4.414).margin(1e-12));
  CHECK(round_to(fit.params.a, 3) == Approx(0.793).margin(1e-12));
  CHECK(round_to(fit.params.b, 3) == Approx(2.426).margin(1e-12));
  CHECK(s.log_likelihood == Approx(-9582.4).margin(0.1));
  // lifetimes reaches -9582.42556 (gradient <= 3e-5); ours is at least as high, to 1e-4.
  CHECK(s.log_likelihood > kLifetimesLogLikelihood - 1e-4);
  CHECK(s.aic == Approx(8.0 - 2.0 * s.log_likelihood));
  CHECK(s.bic == Approx(4.0 * std::log(2357.0) - 2.0 * s.log_likelihood));
  REQUIRE(s.parameters.size() == 4);
  CHECK(s.parameters[0].name == "r");
  CHECK(s.parameters[1].name == "alpha");
  CHECK(s.parameters[2].name == "a");
  CHECK(s.parameters[3].name == "b");
  // lifetimes' delta-method standard errors: they agree to 2e-6 (a and b, on the flat ridge
  // of the two optima) and 1e-8 (r, alpha); 1e-5 catches any error in the Hessian.
  REQUIRE(s.standard_errors_available);
  CHECK(s.parameters[0].standard_error == Approx(0.012557320698193205).epsilon(1e-5));
  CHECK(s.parameters[1].standard_error == Approx(0.3782214570439269).epsilon(1e-5));
  CHECK(s.parameters[2].standard_error == Approx(0.18571907191204595).epsilon(1e-5));
  CHECK(s.parameters[3].standard_error == Approx(0.7053453435329281).epsilon(1e-5));
}

TEST_CASE("BG/NBD fit does not depend on the order of the customers", "[bgnbd][consistency]") {
  Customers c = cdnow();
  const auto a = clvkit::fit_bgnbd(clvkit::compress_patterns(c.x, c.t_x, c.T));
  std::vector<std::size_t> order(c.x.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 rng(11);
  std::shuffle(order.begin(), order.end(), rng);
  Customers s;
  for (std::size_t i : order) {
    s.x.push_back(c.x[i]);
    s.t_x.push_back(c.t_x[i]);
    s.T.push_back(c.T[i]);
  }
  const auto b = clvkit::fit_bgnbd(clvkit::compress_patterns(s.x, s.t_x, s.T));
  CHECK(a.params.r == b.params.r);
  CHECK(a.params.alpha == b.params.alpha);
  CHECK(a.params.a == b.params.a);
  CHECK(a.params.b == b.params.b);
  CHECK(a.summary.log_likelihood == b.summary.log_likelihood);
}

TEST_CASE("BG/NBD fit explains why it cannot fit", "[bgnbd][inputcheck]") {
  CHECK_THAT(model_error_message([&] { clvkit::fit_bgnbd({}); }),
             Catch::Equals("bgnbd fit: no customers to fit"));
  const auto one_timers = clvkit::compress_patterns({0, 0, 0}, {0, 0, 0}, {10, 20, 30});
  CHECK_THAT(model_error_message([&] { clvkit::fit_bgnbd(one_timers); }),
             Catch::Equals("bgnbd fit: no customer has a repeat purchase, so the "
                           "dropout process cannot be estimated"));
  const auto no_time = clvkit::compress_patterns({0, 1}, {0, 0}, {0, 0});
  CHECK_THAT(model_error_message([&] { clvkit::fit_bgnbd(no_time); }),
             Catch::StartsWith("bgnbd fit: every customer has T = 0"));
  std::vector<FrequencyRecencyPattern> bad = {{1, 1, 2, 1}, {0, 0, 3, -2}};
  CHECK_THAT(model_error_message([&] { clvkit::fit_bgnbd(bad); }),
             Catch::Equals("bgnbd fit: pattern 2 has count -2, but must be positive "
                           "and finite"));
  bad = {{1, 4, 2, 1}};
  CHECK_THAT(model_error_message([&] { clvkit::fit_bgnbd(bad); }),
             Catch::StartsWith("bgnbd fit: pattern 1 has t_x = 4"));
}
