// next_purchases (analysis.hpp) against what an analysis gives when the purchases are actually
// appended to the log: the differential check of the "one purchase away" fields.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace {

using namespace clvkit;

const std::string kCdnow = std::string(CLVKIT_TEST_SOURCE_DIR) + "/data/cdnow.csv";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Day as_of_of(const CustomerAnalysis& a) {
  return a.customers()[0].last_purchase + a.customers()[0].days_since_last;
}

// The CDNOW log with `k` purchases of `spend` by customer `id` appended, one a day from `day`.
std::string with_purchases(const std::string& log, const std::string& id, Day day, int k,
                           double spend) {
  std::string out = log;
  for (int j = 0; j < k; ++j) {
    char amount[64];
    std::snprintf(amount, sizeof amount, "%.6f", spend);
    out += id + "," + format_day(day + j) + "," + amount + "\n";
  }
  return out;
}

// The analysis of `log` read as of `as_of`, scored against `plan` (the held edges), predicted
// with the models of `given` (options with given_models set, made once by the caller).
CustomerAnalysis analyze_log(const std::string& log, Day as_of, const SegmentPlan& plan,
                             const AnalysisOptions& given) {
  IngestOptions ingest = given.input;
  ingest.as_of = as_of;
  std::istringstream in(log);
  CustomerBase base = ingest_transactions(in, "appended", ingest);
  AnalysisOptions options = given;
  options.input.as_of = as_of;
  return analyze(std::move(base), plan, options);
}

AnalysisOptions with_models(const FittedModels& models) {
  AnalysisOptions options;
  options.given_models = models;
  return options;
}

// Customers spread over the base, and every 97th.
std::vector<std::size_t> sample(std::size_t n) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < n; i += 97) out.push_back(i);
  return out;
}

}  // namespace

// For each scheme (fixed thresholds, and quantiles whose edges are held as thresholds) and a
// sample of CDNOW customers: append the predicted purchase (E[M], written with six decimals as
// a log holds it) on the day after the as-of day, read the log as of that day with the held
// edges and the same models, and compare that customer's record with the prediction. Scores and
// segments must be equal; the CLV gain agrees to 2e-8 relative (measured: 5.6e-9 at most; the
// amount's rounding to millionths by the log moves E[M] by up to 5e-7).
TEST_CASE("next purchase equals the analysis of the log with that purchase appended",
          "[next_purchase][consistency]") {
  const std::string scheme = GENERATE(std::string("rfm11-thresholds"), std::string("rfm11"));
  CAPTURE(scheme);
  const std::string log = read_text(kCdnow);
  AnalysisOptions options;
  options.segmentation.scheme = scheme;
  options.next_purchase = NextPurchaseOptions{};
  const CustomerAnalysis base = analyze(kCdnow, options);
  REQUIRE(base.upgrade);
  REQUIRE(base.upgrade->customers.size() == base.size());
  CHECK(std::string(base.upgrade->spend_basis) == "expected_avg_spend");
  if (scheme == "rfm11-thresholds") {
    CHECK(base.upgrade->held.monetary_edges == base.segmented.spec.monetary_edges);
  }
  SegmentPlan plan = plan_segments(options.segmentation);
  plan.spec = base.upgrade->held;
  const Day as_of = as_of_of(base);
  const AnalysisOptions given = with_models(*base.models);
  double worst = 0.0;
  for (const std::size_t i : sample(base.size())) {
    const CustomerSummary& c = base.customers()[i];
    const NextPurchase& next = base.upgrade->customers[i];
    const double spend = base.predictions[i].expected_avg_spend;
    CAPTURE(i, c.id, spend);
    const CustomerAnalysis after =
        analyze_log(with_purchases(log, c.id, as_of + 1, 1, spend), as_of + 1, plan, given);
    REQUIRE(after.customers()[i].id == c.id);
    const CustomerSummary expected = summary_after_purchases(c, 1, spend);
    const CustomerSummary& got = after.customers()[i];
    CHECK(got.purchase_days == expected.purchase_days);
    CHECK(got.frequency == expected.frequency);
    CHECK(got.recency == expected.recency);
    CHECK(got.T == expected.T);
    CHECK(got.days_since_last == 0);
    CHECK(got.total_spend == Approx(expected.total_spend).epsilon(1e-8));
    CHECK(after.scores()[i] == next.score);
    CHECK(after.segmented.segment[i] == next.segment);
    const double gain = after.predictions[i].clv - base.predictions[i].clv;
    const double scale = std::max(1.0, std::abs(after.predictions[i].clv));
    worst = std::max(worst, std::abs(gain - next.upgrade_value) / scale);
    CHECK(std::abs(gain - next.upgrade_value) <= 2e-8 * scale);
  }
  WARN("largest relative CLV gain difference: " << worst);
}

// purchases_to_upgrade = k: with k purchases appended the customer is in upgrade_segment, and
// with k - 1 in no segment ranked above today's; when it is null, no number up to the cap (3
// here, so that CDNOW has such customers) upgrades.
TEST_CASE("purchases_to_upgrade is the first number of appended purchases that upgrades",
          "[next_purchase][consistency]") {
  const std::string log = read_text(kCdnow);
  AnalysisOptions options;
  options.segmentation.scheme = "rfm11-thresholds";
  constexpr int cap = 3;
  options.next_purchase = NextPurchaseOptions{cap};
  const CustomerAnalysis base = analyze(kCdnow, options);
  const SegmentScheme& scheme = *base.segmented.scheme;
  SegmentPlan plan = plan_segments(options.segmentation);
  const Day as_of = as_of_of(base);
  const AnalysisOptions given = with_models(*base.models);
  int checked_far = 0;
  int checked_none = 0;
  for (std::size_t i = 0; i < base.size() && (checked_far < 6 || checked_none < 3); ++i) {
    const NextPurchase& next = base.upgrade->customers[i];
    const int k = next.purchases_to_upgrade;
    const bool far = k >= 2;
    const bool none = k < 0;
    if ((far && checked_far >= 6) || (none && checked_none >= 3) || (!far && !none)) continue;
    const CustomerSummary& c = base.customers()[i];
    const double spend = base.predictions[i].expected_avg_spend;
    CAPTURE(i, c.id, k, spend);
    const int now_rank = scheme.value_rank(base.segmented.segment[i]);
    const int last = none ? cap : k;
    for (int j = far ? k - 1 : 1; j <= last; ++j) {
      CAPTURE(j);
      const CustomerAnalysis after =
          analyze_log(with_purchases(log, c.id, as_of + 1, j, spend), as_of + j, plan, given);
      const int segment = after.segmented.segment[i];
      if (far && j == k) {
        CHECK(segment == next.upgrade_segment);
      } else {
        CHECK(scheme.value_rank(segment) >= now_rank);
      }
    }
    (far ? checked_far : checked_none) += 1;
  }
  CHECK(checked_far > 0);
  CHECK(checked_none > 0);
}

TEST_CASE("next purchases without a model use the average spend and leave no value",
          "[next_purchase]") {
  AnalysisOptions options;
  options.fit_models = false;
  options.next_purchase = NextPurchaseOptions{};
  const CustomerAnalysis a = analyze(kCdnow, options);
  REQUIRE(a.upgrade);
  CHECK(std::string(a.upgrade->spend_basis) == "avg_spend");
  for (std::size_t i = 0; i < a.size(); i += 131) {
    CAPTURE(i);
    const NextPurchase direct =
        next_purchase(a.customers()[i], a.segmented.segment[i], a.customers()[i].avg_spend,
                      *a.segmented.scheme, a.upgrade->held);
    CHECK(a.upgrade->customers[i].score == direct.score);
    CHECK(a.upgrade->customers[i].purchases_to_upgrade == direct.purchases_to_upgrade);
    CHECK(a.upgrade->customers[i].upgrade_value == 0.0);
  }
}

TEST_CASE(
    "an analysis asking for next purchases refuses a scheme without a value order before "
    "reading the log",
    "[next_purchase][inputcheck]") {
  const std::string path = "/tmp/clvkit-test-no-order.json";
  {
    std::ofstream out(path);
    out << R"({"name": "clvkit-test-no-order", "bins": 2, "scoring": {"method": "quantile"},
      "segments": [{"name": "All", "description": "Everyone.", "rules": [{}]}]})";
  }
  AnalysisOptions options;
  options.segmentation.scheme = path;
  options.next_purchase = NextPurchaseOptions{};
  CHECK_THROWS_AS(analyze("/nonexistent/log.csv", options), UsageError);
  CHECK_THROWS_WITH(analyze("/nonexistent/log.csv", options),
                    Catch::Contains("has no value_order"));
  std::remove(path.c_str());
}

// `clvkit update --changed-only` returns a selection of the customers; their next purchases are
// computed against the edges of every customer (the quantile boundaries of the selection alone
// may differ). Each customer's fields then equal the full analysis's: the result of a customer
// depends only on it, its prediction and the edges. upgrade_value to 1e-12 relative (the value
// is tabulated per chunk of customers; measured equal).
TEST_CASE("next purchases of a selection against the whole base's held edges equal the whole's",
          "[next_purchase][consistency]") {
  AnalysisOptions options;
  options.next_purchase = NextPurchaseOptions{};
  const CustomerAnalysis whole = analyze(kCdnow, options);
  REQUIRE(whole.upgrade);
  CustomerAnalysis part = whole;
  part.upgrade.reset();
  part.segmented.base.customers.clear();
  part.segmented.scores.clear();
  part.segmented.segment.clear();
  part.predictions.clear();
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < whole.size(); i += 3) {
    kept.push_back(i);
    part.segmented.base.customers.push_back(whole.customers()[i]);
    part.segmented.scores.push_back(whole.scores()[i]);
    part.segmented.segment.push_back(whole.segmented.segment[i]);
    part.predictions.push_back(whole.predictions[i]);
  }
  const UpgradePaths paths = next_purchases(part, whole.upgrade->held, *options.next_purchase);
  CHECK(paths.held.recency_edges == whole.upgrade->held.recency_edges);
  CHECK(paths.held.monetary_edges == whole.upgrade->held.monetary_edges);
  CHECK(std::string(paths.spend_basis) == "expected_avg_spend");
  REQUIRE(paths.customers.size() == kept.size());
  for (std::size_t j = 0; j < kept.size(); ++j) {
    const NextPurchase& a = paths.customers[j];
    const NextPurchase& b = whole.upgrade->customers[kept[j]];
    CAPTURE(kept[j], a.upgrade_value, b.upgrade_value);
    CHECK(a.score == b.score);
    CHECK(a.segment == b.segment);
    CHECK(a.purchases_to_upgrade == b.purchases_to_upgrade);
    CHECK(a.upgrade_segment == b.upgrade_segment);
    CHECK(std::abs(a.upgrade_value - b.upgrade_value) <= 1e-12 * (1.0 + std::abs(b.upgrade_value)));
  }
}
