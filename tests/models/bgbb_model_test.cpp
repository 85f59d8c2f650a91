// BG/BB behind the PurchaseModel interface (bgbb_model.hpp): the formulas bit for bit, the
// discrete-time conventions (whole opportunities, P(alive) at the next one), the forecast's
// simulator and the log simulator against the analytic expectations, the documented order of
// random draws, and parameter recovery from simulated customers. (The interface's contract is
// checked for every registered model by model_interface_test.cpp.)

#include "clvkit/models/bgbb_model.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/models/bgbb.hpp"
#include "clvkit/models/patterns.hpp"

namespace {

using namespace clvkit;

// lifetimes' estimates on the donations (bgbb_test.cpp).
const BgBbParams kDonations{1.203522393608002, 0.7497163581757513, 0.6567181695499895,
                            2.783441982887859};

struct Moments {
  double mean = 0.0;
  double standard_error = 0.0;
};

template <typename Draw>
Moments moments(int n, Draw&& draw) {
  double sum = 0.0, sum2 = 0.0;
  for (int i = 0; i < n; ++i) {
    const double v = draw(i);
    sum += v;
    sum2 += v * v;
  }
  const double mean = sum / n;
  const double variance = (sum2 - n * mean * mean) / (n - 1);
  return {mean, std::sqrt(variance / n)};
}

// A new customer's transactions in opportunities 1 .. n from the log simulator (time_scale 1):
// their number and the last opportunity with one.
struct Simulated {
  double x = 0.0;
  double t_x = 0.0;
};

Simulated simulate_customer(const BgBbModel& model, double n, std::uint64_t seed,
                            std::uint64_t index) {
  SimulationRng rng = SimulationRng::for_customer(seed, index);
  LatentState state;
  model.draw_customer(rng, 1.0, state);
  Simulated s;
  std::int64_t repeat = 0;
  for (double t = 0.0;;) {
    t = model.next_purchase_time(state, repeat, t, rng);
    if (!(t <= n)) break;
    ++repeat;
    s.x += 1.0;
    s.t_x = t;
  }
  return s;
}

}  // namespace

TEST_CASE("BG/BB behind the interface is its formulas, bit for bit",
          "[bgbb][interface][consistency]") {
  const BgBbModel model(kDonations);
  CHECK(model.key() == "bgbb");
  CHECK(model.label() == "BG/BB");
  CHECK(model.parameter_names() == std::vector<std::string>{"alpha", "beta", "gamma", "delta"});
  CHECK(model.dropout_parameters() == std::vector<std::string>{"gamma", "delta"});
  CHECK(model.parameters() ==
        std::vector<double>{kDonations.alpha, kDonations.beta, kDonations.gamma, kDonations.delta});
  CHECK_THAT(model.description("year"), Catch::Contains("one transaction opportunity per year") &&
                                            Catch::Contains("Fader, Hardie & Shang 2010"));
  CHECK_FALSE(model.p_alive_remark().empty());
  CHECK(model.p_alive_is_costly());
  for (const auto& [x, t_x, n] : std::vector<std::array<double, 3>>{
           {0, 0, 6}, {1, 1, 6}, {3, 5, 6}, {6, 6, 6}, {0, 0, 0}, {20, 90, 100}}) {
    CAPTURE(x, t_x, n);
    CHECK(model.p_alive({x, t_x, n}) == bgbb_p_alive(kDonations, x, t_x, n));
    CHECK(model.expected_purchases({x, t_x, n}, 5.0) ==
          bgbb_conditional_expected_transactions(kDonations, x, t_x, n, 5.0));
    CHECK(model.expected_purchases_if_alive(x, n, 5.0) ==
          bgbb_expected_transactions_given_alive(kDonations, x, n, 5.0));
  }
  CHECK(model.expected_purchases_new_customer(6.0) ==
        bgbb_expected_transactions_new_customer(kDonations, 6.0));
  CHECK(model.probability_of_purchases(6.0, 3) ==
        bgbb_probability_of_transactions(kDonations, 6.0, 3));
  CHECK(bgbb_family().key == "bgbb");
  CHECK(bgbb_family().make(model.parameters())->parameters() == model.parameters());
  CHECK_THAT(test::error_message<ModelError>([] {
               bgbb_family().make(std::vector<double>{1, 1, -1, 1});
             }),
             Catch::Contains("gamma is -1"));
  CHECK_THROWS_AS(bgbb_family().make(std::vector<double>{1, 1, 1}), ModelError);
}

TEST_CASE("BG/BB reads the interface's times as whole opportunities",
          "[bgbb][interface][property]") {
  const BgBbModel model(kDonations);
  // Near-whole histories (days / period length) are the whole ones.
  const PurchaseHistory exact{3, 4, 6};
  const PurchaseHistory near{2.9993, 4.0004, 5.9996};
  CHECK(model.p_alive(near) == model.p_alive(exact));
  CHECK(model.expected_purchases(near, 5.0) == model.expected_purchases(exact, 5.0));
  // A horizon counts whole opportunities n+1 .. n+floor(t + 1e-9).
  CHECK(model.expected_purchases(exact, 2.9999999999) == model.expected_purchases(exact, 3.0));
  CHECK(model.expected_purchases(exact, 3.7) == model.expected_purchases(exact, 3.0));
  CHECK(model.expected_purchases(exact, 0.99) == 0.0);
  CHECK(model.expected_purchases(exact, 0.0) == 0.0);
  CHECK(std::isnan(model.expected_purchases(exact, -1.0)));
  CHECK(model.expected_purchases_new_customer(6.5) == model.expected_purchases_new_customer(6.0));
  CHECK(model.probability_of_purchases(6.5, 2) == model.probability_of_purchases(6.0, 2));
  // P(alive) is at the next opportunity: below 1 right after a transaction at the last one.
  CHECK(model.p_alive({6, 6, 6}) ==
        Approx((kDonations.delta + 6.0) / (kDonations.gamma + kDonations.delta + 6.0))
            .epsilon(1e-15));
  // The interface's identity holds exactly for every history the model may be handed,
  // consistent or not (more transactions than opportunities, t_x > T, ...); such a history keeps
  // its x (capped at n) and n, and only t_x moves (bgbb_history).
  for (const PurchaseHistory h :
       {PurchaseHistory{0, 0, 6}, PurchaseHistory{2, 10, 30}, PurchaseHistory{7, 29, 30},
        PurchaseHistory{1, 1, 70}, PurchaseHistory{9, 3, 6}, PurchaseHistory{5, 2, 6},
        PurchaseHistory{0, 4, 6}, PurchaseHistory{3, 8, 6}, PurchaseHistory{12.4, 0.3, 0.4}}) {
    CAPTURE(h.x, h.t_x, h.T);
    const double p = model.p_alive(h);
    CHECK(p > 0.0);
    CHECK(p < 1.0);
    for (const double t : {1.0, 5.0, 52.0, 2.5}) {
      CAPTURE(t);
      const double e = model.expected_purchases(h, t);
      CHECK(std::isfinite(e));
      CHECK(e == p * model.expected_purchases_if_alive(h.x, h.T, t));
    }
  }
  // Histories that differ only in t_x differ only in P(alive).
  for (const double t_x : {1.0, 3.0, 6.0}) {
    const PurchaseHistory h{1, t_x, 6};
    CHECK(model.expected_purchases(h, 5.0) / model.p_alive(h) ==
          Approx(model.expected_purchases_if_alive(1, 6, 5.0)).epsilon(1e-15));
  }
  CHECK(model.expected_purchases_if_alive(2, 6, 5) ==
        bgbb_expected_transactions_given_alive(kDonations, 2, 6, 5));
  CHECK(model.purchase_rate_bound(model.parameters(), 1e6, 0.0) == 1.0);
  // The likelihood rounds but does not repair: such data cannot occur.
  CHECK(model.total_log_likelihood({{2, 2, 6, 1}}, nullptr, 1) ==
        model.total_log_likelihood({{2.0004, 1.9996, 6.0001, 1}}, nullptr, 1));
  CHECK_FALSE(std::isfinite(model.total_log_likelihood({{5, 2, 6, 1}}, nullptr, 1)));
}

TEST_CASE("BG/BB future simulator's mean is the conditional expectation",
          "[bgbb][simulation][consistency]") {
  // 100k draws per customer and horizon: the sample mean within 4 standard errors of
  // E[X(n, n+m) | x, t_x, n] (the seed is fixed). A parameter "draw" at the model's own
  // parameters reproduces the fixed path bit for bit; a horizon below one opportunity gives 0
  // without touching the stream.
  for (const BgBbParams& params : {kDonations, BgBbParams{0.3, 3.0, 5.0, 2.0}}) {
    const BgBbModel model(params);
    const std::vector<PurchaseHistory> customers = {
        {0, 0, 6}, {1, 1, 6}, {3, 5, 6}, {6, 6, 6}, {10, 40, 50}, {2.9993, 4.0004, 5.9996}};
    for (const double horizon : {1.0, 5.0, 20.0}) {
      const auto simulator = model.future_simulator(customers, horizon, {});
      for (std::size_t c = 0; c < customers.size(); ++c) {
        SimulationRng rng(1000 + c);
        const Moments m =
            moments(100'000, [&](int) { return simulator->draw_purchases(c, 0, rng); });
        const double expected = model.expected_purchases(customers[c], horizon);
        CAPTURE(params.alpha, params.gamma, horizon, c, m.mean, m.standard_error, expected);
        CHECK(std::fabs(m.mean - expected) < 4.0 * m.standard_error);
      }
    }
    const auto fixed = model.future_simulator(customers, 5.0, {});
    const auto with_draws =
        model.future_simulator(customers, 5.0, {model.parameters(), model.parameters()});
    for (std::size_t c = 0; c < customers.size(); ++c) {
      SimulationRng a(c), b(c);
      for (int k = 0; k < 100; ++k) {
        CHECK(fixed->draw_purchases(c, 0, a) == with_draws->draw_purchases(c, k % 2, b));
      }
    }
    const auto short_horizon = model.future_simulator(customers, 0.5, {});
    SimulationRng a(3), b(3);
    CHECK(short_horizon->draw_purchases(2, 0, a) == 0.0);
    CHECK(a.next() == b.next());
  }
}

TEST_CASE("BG/BB log simulator's customers make the expected transactions at whole opportunities",
          "[bgbb][simulation][consistency]") {
  // New customers from draw_customer / next_purchase_time over n opportunities: the mean number
  // of transactions is E[X(n)] and the share without any is P(X(n) = 0) (20000 customers, 4
  // standard errors). Purchase times are whole multiples of the time scale.
  for (const BgBbParams& p : {kDonations, BgBbParams{0.3, 3.0, 5.0, 2.0}}) {
    const BgBbModel model(p);
    for (const double n : {6.0, 30.0}) {
      constexpr int kCustomers = 20000;
      int none = 0;
      const Moments m = moments(kCustomers, [&](int i) {
        const Simulated s = simulate_customer(model, n, 11, static_cast<std::uint64_t>(i));
        none += s.x == 0.0;
        return s.x;
      });
      const double p0 = model.probability_of_purchases(n, 0);
      const double p0_se = std::sqrt(p0 * (1.0 - p0) / kCustomers);
      CAPTURE(p.alpha, p.gamma, n, m.mean, m.standard_error, none, p0);
      CHECK(std::fabs(m.mean - model.expected_purchases_new_customer(n)) < 4.0 * m.standard_error);
      CHECK(std::fabs(static_cast<double>(none) / kCustomers - p0) < 4.0 * p0_se);
    }
  }
  const BgBbModel model(kDonations);
  for (std::uint64_t i = 0; i < 200; ++i) {
    SimulationRng rng = SimulationRng::for_customer(3, i);
    LatentState state;
    model.draw_customer(rng, 7.0, state);
    double t = 0.0;
    for (std::int64_t repeat = 0; repeat < 50; ++repeat) {
      const double next = model.next_purchase_time(state, repeat, t, rng);
      if (std::isinf(next)) break;
      CAPTURE(i, repeat, t, next);
      CHECK(next > t);
      CHECK(next / 7.0 == std::round(next / 7.0));
      t = next;
    }
  }
}

TEST_CASE("BG/BB draws simulated customers in the documented order",
          "[bgbb][simulation][consistency]") {
  // p (two gamma variates), theta (two), the lifetime's uniform, then one uniform per call of
  // next_purchase_time: compared bit for bit with the free samplers.
  const BgBbModel model(kDonations);
  const std::uint64_t index = GENERATE(0u, 1u, 17u, 123456u);
  const double time_scale = 365.25;
  CAPTURE(index);
  SimulationRng model_rng = SimulationRng::for_customer(5, index);
  SimulationRng free_rng = SimulationRng::for_customer(5, index);
  LatentState state;
  model.draw_customer(model_rng, time_scale, state);
  const double p = sample_beta(free_rng, kDonations.alpha, kDonations.beta);
  const double theta = sample_beta(free_rng, kDonations.gamma, kDonations.delta);
  const double active = std::floor(std::log(sample_uniform(free_rng)) / std::log1p(-theta));
  CHECK(state.values[BgBbModel::kLatentTransaction] == p);
  CHECK(state.values[BgBbModel::kLatentDropout] == theta);
  double opportunity = 0.0;
  for (std::int64_t repeat = 0; repeat < 4; ++repeat) {
    const double next =
        model.next_purchase_time(state, repeat, opportunity * time_scale, model_rng);
    opportunity += 1.0 + std::floor(std::log(sample_uniform(free_rng)) / std::log1p(-p));
    CAPTURE(repeat, next, opportunity, active);
    if (opportunity > active) {
      CHECK(next == std::numeric_limits<double>::infinity());
      break;
    }
    CHECK(next == opportunity * time_scale);
  }
  CHECK(model_rng.next() == free_rng.next());  // the same number of words consumed
  CHECK(model.describe_latent(state).parameters == "alpha, beta, gamma and delta");
}

TEST_CASE("BG/BB fit recovers the parameters of 20000 simulated customers",
          "[bgbb][simulation][consistency]") {
  // 20,000 customers drawn through the log simulator at the donation estimates and at a
  // base with more transactions and faster dropout, observed for n = 10 opportunities (and for
  // 6 .. 10, mixed), fitted through the family: every parameter within 3 standard errors.
  struct Case {
    BgBbParams truth;
    bool mixed_n;
  };
  for (const Case& c : {Case{kDonations, false}, Case{BgBbParams{2.0, 1.0, 0.5, 4.0}, true}}) {
    const BgBbModel model(c.truth);
    std::vector<double> x, t_x, n;
    for (std::uint64_t i = 0; i < 20'000; ++i) {
      const double observed = c.mixed_n ? 6.0 + static_cast<double>(i % 5) : 10.0;
      const Simulated s = simulate_customer(model, observed, 7, i);
      x.push_back(s.x);
      t_x.push_back(s.t_x);
      n.push_back(observed);
    }
    const FittedPurchaseModel fit = bgbb_family().fit(compress_patterns(x, t_x, n), FitOptions{});
    CAPTURE(fit.summary.brief_report());
    REQUIRE(fit.summary.converged());
    REQUIRE(fit.summary.standard_errors_available);
    const std::vector<double> truth = model.parameters();
    for (std::size_t k = 0; k < truth.size(); ++k) {
      const ParameterEstimate& e = fit.summary.parameters[k];
      CAPTURE(e.name, truth[k], e.value, e.standard_error);
      CHECK(std::fabs(e.value - truth[k]) < 3.0 * e.standard_error);
    }
  }
}
