// clvkit run --upgrade end to end: the next purchase predicted for every customer equals what
// `clvkit run` gives when that purchase is actually appended to the log (threshold scheme, so
// the edges are held by construction).

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "../support/schemes.hpp"
#include "cli_runner.hpp"
#include "clvkit/io/date.hpp"

namespace {

using nlohmann::json;
using namespace clvkit::test;

// The log with one purchase per customer appended on `day`: the amount is the record's `spend`
// field, with six decimals as a log holds it.
std::string with_next_purchases(const std::string& log, const json& records, const std::string& day,
                                const char* spend) {
  std::string out = log;
  for (const json& r : records) {
    char amount[64];
    std::snprintf(amount, sizeof amount, "%.6f", r.at(spend).get<double>());
    out += r.at("customer_id").get<std::string>() + "," + day + "," + amount + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE(
    "run --upgrade: next_purchase_segment is the segment of the log with the purchase "
    "appended",
    "[cli][consistency]") {
  // Without a model the purchase is the customer's avg_spend; with one, expected_avg_spend.
  const auto [model_args, spend] =
      GENERATE(std::pair<std::string, const char*>{"--no-model", "avg_spend"},
               std::pair<std::string, const char*>{"", "expected_avg_spend"});
  CAPTURE(model_args);
  TempDir dir;
  const std::string now = dir.file("now.json");
  auto result = run_cli(
      "run data/cdnow.csv " + model_args + " --upgrade --segments rfm11-thresholds -q -o " + now,
      dir);
  REQUIRE(result.exit_code == 0);
  const json before = json::parse(read_text(now));
  const json& records = before.at("customers");
  REQUIRE(records.size() == 2357);
  CHECK(before.at("metadata").at("upgrade").at("spend") == spend);
  const std::string next_day = clvkit::format_day(
      clvkit::parse_iso_date_or_throw(
          before.at("metadata").at("input").at("as_of").get<std::string>(), "as_of") +
      1);
  const std::string log = dir.file("appended.csv");
  write_text(log, with_next_purchases(read_text("data/cdnow.csv"), records, next_day, spend));
  const std::string after_path = dir.file("after.json");
  result = run_cli("run " + log + " --no-model --segments rfm11-thresholds --as-of " + next_day +
                       " -q -o " + after_path,
                   dir);
  REQUIRE(result.exit_code == 0);
  const json after = json::parse(read_text(after_path)).at("customers");
  REQUIRE(after.size() == records.size());
  int upgraded = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& r = records[i];
    CAPTURE(i, r.at("customer_id"));
    REQUIRE(after[i].at("customer_id") == r.at("customer_id"));
    CHECK(after[i].at("purchase_days") == r.at("purchase_days").get<int>() + 1);
    CHECK(after[i].at("days_since_last") == 0);
    CHECK(after[i].at("T") == r.at("T").get<int>() + 1);
    CHECK(after[i].at("segment") == r.at("next_purchase_segment"));
    CHECK(after[i].at("r_score") == r.at("next_r_score"));
    CHECK(after[i].at("f_score") == r.at("next_f_score"));
    CHECK(after[i].at("m_score") == r.at("next_m_score"));
    if (r.at("purchases_to_upgrade") == 1) {
      CHECK(after[i].at("segment") == r.at("upgrade_segment"));
      ++upgraded;
    }
  }
  CHECK(upgraded > 0);
}

TEST_CASE("run --upgrade refuses a scheme without a value order, before reading the log",
          "[cli][inputcheck]") {
  TempDir dir;
  const std::string scheme = dir.file("plain.json");
  write_text(scheme, std::string(kSchemeWithoutValueOrder));
  auto result = run_cli("run no/such/log.csv --upgrade --segments " + scheme + " -o -", dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("no value_order") != std::string::npos);
  CHECK(result.err.find(scheme) != std::string::npos);
  // Without --upgrade the scheme is fine.
  result = run_cli(
      "run data/cdnow.csv --no-model --segments " + scheme + " -q -o " + dir.file("plain-out.json"),
      dir);
  CHECK(result.exit_code == 0);
  result = run_cli("run data/cdnow.csv --upgrade-cap 3 -o -", dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("--upgrade") != std::string::npos);
  result = run_cli("run data/cdnow.csv --upgrade --upgrade-cap 0 -o -", dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("--upgrade-cap") != std::string::npos);
}

TEST_CASE("predict --upgrade gives the next purchase with the saved models, as run does",
          "[cli][consistency]") {
  TempDir dir;
  const std::string model = dir.file("model.json");
  REQUIRE(run_cli("fit data/cdnow.csv -q -o " + model, dir).exit_code == 0);
  const std::string predicted = dir.file("predict.json");
  REQUIRE(run_cli("predict data/cdnow.csv --model " + model + " --upgrade -o " + predicted, dir)
              .exit_code == 0);
  const std::string ran = dir.file("run.json");
  REQUIRE(run_cli("run data/cdnow.csv --upgrade -q -o " + ran, dir).exit_code == 0);
  const json p = json::parse(read_text(predicted));
  const json r = json::parse(read_text(ran));
  CHECK(p.at("metadata").at("upgrade").at("spend") == "expected_avg_spend");
  REQUIRE(p.at("customers").size() == r.at("customers").size());
  // The same models (fit's are run's): the same next purchases; upgrade_value to the 12 digits
  // written, relative to the CLV after the purchase.
  for (std::size_t i = 0; i < p.at("customers").size(); i += 50) {
    const json& a = p.at("customers")[i];
    const json& b = r.at("customers")[i];
    CAPTURE(i);
    CHECK(a.at("next_purchase_segment") == b.at("next_purchase_segment"));
    CHECK(a.at("purchases_to_upgrade") == b.at("purchases_to_upgrade"));
    const double scale = 1.0 + std::abs(a.at("clv").get<double>());
    CHECK(std::abs(a.at("upgrade_value").get<double>() - b.at("upgrade_value").get<double>()) <=
          1e-9 * scale);
  }
}
