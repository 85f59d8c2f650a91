// The public entry point (analysis.hpp): every way in gives the same analysis, the stages report
// in order, given models predict like fitted ones, and the holdout validation reads the split.

#include "clvkit/analysis.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace {

using namespace clvkit;

const std::string kCdnow = std::string(CLVKIT_TEST_SOURCE_DIR) + "/data/cdnow.csv";

// Bitwise equality of two analyses: summaries, scores, segments and every prediction.
void check_same_analysis(const CustomerAnalysis& a, const CustomerAnalysis& b) {
  REQUIRE(a.size() == b.size());
  REQUIRE(a.predictions.size() == b.predictions.size());
  CHECK(a.rows().rows_read == b.rows().rows_read);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    const CustomerSummary& x = a.customers()[i];
    const CustomerSummary& y = b.customers()[i];
    REQUIRE(x.id == y.id);
    REQUIRE(x.frequency == y.frequency);
    REQUIRE(x.recency == y.recency);
    REQUIRE(x.T == y.T);
    REQUIRE(x.total_spend == y.total_spend);
    REQUIRE(a.segmented.segment[i] == b.segmented.segment[i]);
    REQUIRE(a.scores()[i].r == b.scores()[i].r);
    REQUIRE(a.scores()[i].f == b.scores()[i].f);
    REQUIRE(a.scores()[i].m == b.scores()[i].m);
  }
  for (std::size_t i = 0; i < a.predictions.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::memcmp(&a.predictions[i], &b.predictions[i], sizeof(CustomerPrediction)) == 0);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The CDNOW log as Transactions (ids point into `text`).
std::vector<Transaction> transactions_of(const std::string& text) {
  std::vector<Transaction> rows;
  std::size_t line_start = text.find('\n') + 1;  // after the header
  while (line_start < text.size()) {
    const std::size_t end = text.find('\n', line_start);
    const std::string_view line(text.data() + line_start, end - line_start);
    const std::size_t c1 = line.find(',');
    const std::size_t c2 = line.find(',', c1 + 1);
    rows.push_back({line.substr(0, c1),
                    parse_iso_date_or_throw(line.substr(c1 + 1, c2 - c1 - 1), "date"),
                    std::stod(std::string(line.substr(c2 + 1)))});
    line_start = end + 1;
  }
  return rows;
}

}  // namespace

TEST_CASE("analyze gives the same analysis from a file, a stream, rows in memory and a read base",
          "[analysis][consistency]") {
  const AnalysisOptions options;
  const CustomerAnalysis from_file = analyze(kCdnow, options);
  REQUIRE(from_file.size() == 2357);
  REQUIRE(from_file.rows().rows_read == 6919);
  REQUIRE(from_file.models.has_value());
  REQUIRE(from_file.predictions.size() == 2357);

  std::ifstream in(kCdnow, std::ios::binary);
  check_same_analysis(from_file, analyze(in, kCdnow, options));

  const std::string text = read_file(kCdnow);
  const std::vector<Transaction> rows = transactions_of(text);
  REQUIRE(rows.size() == 6919);
  check_same_analysis(from_file, analyze(rows, options));

  check_same_analysis(from_file, analyze(ingest_transactions_file(kCdnow, {}), options));
}

TEST_CASE("analyze does not depend on the thread count", "[analysis][consistency]") {
  AnalysisOptions one;
  one.threads = 1;
  AnalysisOptions three;
  three.threads = 3;
  check_same_analysis(analyze(kCdnow, one), analyze(kCdnow, three));
}

TEST_CASE("analyze reports its stages in order and fits only when asked", "[analysis]") {
  std::vector<std::string> stages;
  AnalysisOptions options;
  options.stage_done = [&stages](std::string_view stage, std::size_t customers) {
    CHECK(customers == 2357);
    stages.emplace_back(stage);
  };
  const CustomerAnalysis fitted = analyze(kCdnow, options);
  CHECK(stages == std::vector<std::string>{"ingest", "segment", "fit", "predict"});

  stages.clear();
  options.fit_models = false;
  const CustomerAnalysis rfm_only = analyze(kCdnow, options);
  CHECK(stages == std::vector<std::string>{"ingest", "segment"});
  CHECK_FALSE(rfm_only.models.has_value());
  CHECK(rfm_only.predictions.empty());
  CHECK(rfm_only.segment_name(0) == fitted.segment_name(0));
  CHECK_THROWS_AS(forecast_segments(rfm_only, {}), UsageError);

  // Given models predict exactly as the fitted ones they are, without a fit stage.
  stages.clear();
  options.given_models = fitted.models;
  const CustomerAnalysis given = analyze(kCdnow, options);
  CHECK(stages == std::vector<std::string>{"ingest", "segment", "predict"});
  check_same_analysis(fitted, given);
}

TEST_CASE("analyze checks the segmentation before reading the log", "[analysis][inputcheck]") {
  AnalysisOptions options;
  options.segmentation.scheme = "no-such-scheme";
  bool read = false;
  options.stage_done = [&read](std::string_view, std::size_t) { read = true; };
  CHECK_THROWS_AS(analyze(kCdnow, options), UsageError);
  CHECK_FALSE(read);
  options.segmentation.scheme = "rfm11";
  options.segmentation.monetary = "median";
  CHECK_THAT(test::error_message<UsageError>([&] { analyze(kCdnow, options); }),
             Catch::Contains("'median'"));
}

TEST_CASE("in-memory rows are checked and counted like CSV rows", "[analysis][inputcheck]") {
  // Ids with the CSV's special characters survive; an empty id and a non-finite amount are bad
  // rows, rejected under skip and named by their line (row index + 2) under fail.
  const std::vector<Transaction> rows{{"a,\"b\"", 19723, 10.0},
                                      {"a,\"b\"", 19730, 5.5},
                                      {"", 19731, 1.0},
                                      {"c", 19731, std::numeric_limits<double>::infinity()},
                                      {"c\nd", 19733, 2.25}};
  IngestOptions options;
  options.on_bad_row = BadRowPolicy::skip;
  const CustomerBase base = ingest_transactions(rows, "rows", options);
  REQUIRE(base.customers.size() == 2);
  CHECK(base.customers[0].id == "a,\"b\"");
  CHECK(base.customers[0].frequency == 1);
  CHECK(base.customers[0].total_spend == 15.5);
  CHECK(base.customers[1].id == "c\nd");
  CHECK(base.stats.rows_read == 5);
  CHECK(base.stats.rows_used == 3);
  CHECK(base.stats.rejected[static_cast<int>(RejectReason::empty_id)] == 1);
  CHECK(base.stats.rejected[static_cast<int>(RejectReason::bad_amount)] == 1);
  CHECK(base.stats.reconciles());
  CHECK_THAT(test::error_message<InputError>([&] { ingest_transactions(rows, "rows", {}); }),
             Catch::Contains("rows:4:1"));
}

TEST_CASE("validate_holdout splits the CDNOW log at 1997-09-30 and compares the holdout",
          "[analysis][consistency]") {
  HoldoutOptions options;
  options.calibration_end = parse_iso_date_or_throw("1997-09-30", "calibration end");
  const HoldoutAnalysis holdout = validate_holdout(kCdnow, options);
  CHECK(holdout.result.customers == 2357);
  // Distinct purchase days of calibration customers after 1997-09-30, counted with pandas
  // (groupby customer, nunique of the date, summed).
  CHECK(holdout.result.actual_purchases == 1882.0);
  CHECK(holdout.calibration.segment.size() == 2357);
  CHECK(holdout.result.models.purchase.summary.converged());
  // FHL 2005's calibration estimates (r 0.243, alpha 4.414) to the 2 digits of the paper.
  const std::vector<double> p = holdout.result.models.purchase.model->parameters();
  CHECK(p[0] == Approx(0.243).epsilon(0.01));
  CHECK(p[1] == Approx(4.414).epsilon(0.01));

  options.input.as_of = options.calibration_end;
  CHECK_THROWS_AS(validate_holdout(kCdnow, options), UsageError);
}

TEST_CASE("compare_models fits every registered model on one split of CDNOW and recommends one",
          "[analysis][compare]") {
  HoldoutOptions options;
  options.calibration_end = parse_iso_date_or_throw("1997-09-30", "calibration end");
  const ModelComparisonResult comparison = compare_models(kCdnow, options);
  // Every model that applies to a log read by days: all but the discrete-time ones.
  std::size_t continuous = 0;
  for (const PurchaseModelFamily& family : purchase_model_families()) {
    continuous += family.discrete ? 0 : 1;
  }
  REQUIRE(comparison.models.size() == continuous);
  REQUIRE(comparison.recommended < comparison.models.size());
  CHECK_FALSE(comparison.ground.empty());
  for (const ModelComparison& m : comparison.models) {
    CAPTURE(m.key);
    // BG/BB needs a log read by periods: a log read by days leaves it out.
    CHECK(m.key != "bgbb");
    REQUIRE(m.fitted);
    CHECK(m.result.actual_purchases == 1882.0);
    CHECK(m.likely_lost >= 0);
    CHECK(m.likely_lost <= 2357);
  }
  // The lifetimes peer's holdout sums of E[X(39)] (tests/data/reference/README.md).
  CHECK(comparison.models[0].key == "bgnbd");
  CHECK(comparison.models[0].result.predicted_purchases == Approx(1653.42).margin(0.01));
  CHECK(comparison.models[0].result.purchase_errors.mae == Approx(0.7855).margin(5e-5));
  CHECK(comparison.models[0].result.purchase_errors.rmse == Approx(1.6080).margin(5e-5));
  for (const ModelComparison& m : comparison.models) {
    if (m.key == "mbgnbd") CHECK(m.result.predicted_purchases == Approx(1576.74).margin(0.01));
  }
  // The same split validated for one model gives that model's line exactly.
  const HoldoutAnalysis alone = validate_holdout(kCdnow, options);
  CHECK(alone.result.predicted_purchases == comparison.models[0].result.predicted_purchases);
}

TEST_CASE("validate_holdout and compare_models on rows in memory equal them on the log file",
          "[analysis][holdout][rows][consistency]") {
  const std::string text = read_file(kCdnow);
  const std::vector<Transaction> rows = transactions_of(text);
  // The same split (ingest_calibration_holdout on rows equals the file's, bit by bit), so the
  // same fits and comparisons, exactly, on any threads.
  const auto same_result = [](const ValidationResult& a, const ValidationResult& b) {
    REQUIRE(a.models.purchase.model->parameters() == b.models.purchase.model->parameters());
    REQUIRE(a.models.spend.model->parameters() == b.models.spend.model->parameters());
    REQUIRE(a.customers == b.customers);
    REQUIRE(a.actual_purchases == b.actual_purchases);
    REQUIRE(a.predicted_purchases == b.predicted_purchases);
    REQUIRE(a.actual_revenue == b.actual_revenue);
    REQUIRE(a.predicted_revenue == b.predicted_revenue);
    REQUIRE(a.purchase_errors.rmse == b.purchase_errors.rmse);
    REQUIRE(a.revenue_errors.mae == b.revenue_errors.mae);
    REQUIRE(a.by_segment.size() == b.by_segment.size());
    REQUIRE(a.tracking.size() == b.tracking.size());
  };
  HoldoutOptions options;
  options.calibration_end = parse_iso_date_or_throw("1997-09-30", "calibration end");
  for (const int threads : {1, 3}) {
    CAPTURE(threads);
    options.threads = threads;
    const HoldoutAnalysis file = validate_holdout(kCdnow, options);
    const HoldoutAnalysis memory = validate_holdout(rows, options, "frame");
    CHECK(memory.data.calibration.source == "frame");
    REQUIRE(memory.calibration.segment == file.calibration.segment);
    same_result(memory.result, file.result);
  }
  const ModelComparisonResult file = compare_models(kCdnow, options);
  const ModelComparisonResult memory = compare_models(rows, options);
  REQUIRE(memory.models.size() == file.models.size());
  for (std::size_t i = 0; i < file.models.size(); ++i) {
    CAPTURE(file.models[i].key);
    REQUIRE(memory.models[i].key == file.models[i].key);
    REQUIRE(memory.models[i].fitted == file.models[i].fitted);
    REQUIRE(memory.models[i].likely_lost == file.models[i].likely_lost);
    same_result(memory.models[i].result, file.models[i].result);
  }
  CHECK(memory.recommended == file.recommended);
  CHECK(memory.ground == file.ground);
}
