// `clvkit validate` as users run it: FHL 2005's CDNOW holdout in JSON and as a terminal summary,
// a simulated log with customers who start in the holdout, and the errors users make.

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;
// ordered_json keeps the keys in file order, so the layout itself can be checked.
using json = nlohmann::ordered_json;

const char* const kCdnow = "validate data/cdnow.csv --calibration-end 1997-09-30 ";

std::vector<std::string> keys(const json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) out.push_back(item.key());
  return out;
}

}  // namespace

TEST_CASE("validate --format json gives FHL 2005's CDNOW holdout in a fixed layout",
          "[cli][validation][paper]") {
  TempDir dir;
  const auto result = run_cli(std::string(kCdnow) + "--format json -o " + dir.file("v.json"), dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const std::string text = read_text(dir.file("v.json"));
  const json doc = json::parse(text);
  CHECK(keys(doc) == std::vector<std::string>{"metadata", "totals", "per_customer", "by_frequency",
                                              "by_segment", "tracking", "calibration_fit"});
  const json& meta = doc["metadata"];
  CHECK(meta["command"] == "validate");
  CHECK(meta["calibration_end"] == "1997-09-30");
  CHECK(meta["holdout_end"] == "1998-06-30");
  CHECK(meta["holdout_days"] == 273);
  CHECK(meta["holdout_length"] == 39.0);
  CHECK(meta["time_unit"] == "week");
  CHECK(meta["input"]["as_of"] == "1997-09-30");
  CHECK(meta["input"]["rows"]["read"] == 6919);
  CHECK(meta["input"]["rows"]["used"] == 6919);
  CHECK(meta["input"]["rows"]["reconciles"] == true);
  CHECK(meta["customers"]["calibration"] == 2357);
  CHECK(meta["customers"]["first_seen_in_holdout"] == 0);
  CHECK(meta["segmentation"]["scheme"] == "rfm11");
  CHECK(meta["models"]["bgnbd"]["converged"] == true);
  CHECK(meta.contains("definitions"));

  const json& totals = doc["totals"];
  CHECK(totals["customers"] == 2357);
  CHECK(totals["purchases"]["actual"] == 1882.0);
  CHECK(totals["purchases"]["predicted"].get<double>() == Approx(1653.4087).margin(0.1));
  CHECK(totals["purchases"]["error_pct"].get<double>() == Approx(-12.15).margin(0.01));
  CHECK(keys(totals["revenue"]) == std::vector<std::string>{"actual", "predicted", "error_pct"});
  CHECK(doc["per_customer"]["purchases"]["mae"].get<double>() == Approx(0.7855).margin(1e-3));
  CHECK(doc["per_customer"]["purchases"]["rmse"].get<double>() == Approx(1.6080).margin(1e-3));
  CHECK(doc["per_customer"]["purchases"]["correlation"].get<double>() ==
        Approx(0.6256).margin(1e-3));

  REQUIRE(doc["by_frequency"].size() == 8u);
  CHECK(doc["by_frequency"][0]["calibration_repeat_purchases"] == "0");
  CHECK(doc["by_frequency"][0]["customers"] == 1411);
  CHECK(doc["by_frequency"][7]["calibration_repeat_purchases"] == "7+");
  CHECK(doc["by_frequency"][7]["actual_purchases_mean"].get<double>() ==
        Approx(6.359375).margin(1e-6));
  CHECK(keys(doc["by_frequency"][0]) ==
        std::vector<std::string>{"calibration_repeat_purchases", "customers",
                                 "actual_purchases_mean", "predicted_purchases_mean",
                                 "actual_revenue_mean", "predicted_revenue_mean",
                                 "purchase_errors"});
  std::int64_t segment_customers = 0;
  for (const json& row : doc["by_segment"])
    segment_customers += row["customers"].get<std::int64_t>();
  CHECK(segment_customers == 2357);
  CHECK(doc["by_segment"].size() == meta["segmentation"]["counts"].size());

  const json& tracking = doc["tracking"];
  CHECK(tracking["step"] == "week");
  CHECK(tracking["step_days"] == 7);
  REQUIRE(tracking["points"].size() == 78u);
  CHECK(tracking["points"][38]["day"] == "1997-09-30");
  CHECK(tracking["points"][38]["actual_cumulative"] == 2457.0);
  CHECK(tracking["points"][38]["predicted_cumulative"].get<double>() ==
        Approx(2501.54).epsilon(0.005));
  CHECK(tracking["points"][77]["actual_cumulative"] == 4339.0);
  CHECK(tracking["points"][77]["predicted_cumulative"].get<double>() ==
        Approx(4165.69).epsilon(0.005));
  REQUIRE(doc["calibration_fit"].size() == 8u);
  CHECK(doc["calibration_fit"][1]["actual"] == 439.0);

  // Same input, same bytes; and the same document on stdout.
  const auto again = run_cli(std::string(kCdnow) + "--format json", dir);
  REQUIRE(again.exit_code == 0);
  CHECK(again.out == text);
}

TEST_CASE("validate prints a terminal summary with totals, conditional expectations and tracking",
          "[cli][validation]") {
  TempDir dir;
  const auto result = run_cli(kCdnow, dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  for (const char* text : {"Holdout totals", "repeat purchases", "1882.0", "1653.4", "-12.1%",
                           "Conditional expectations", "7+", "By segment (rfm11", "Calibration fit",
                           "Tracking", "39 (calibration end)", "1998-06-30", "4339"}) {
    CAPTURE(text);
    CHECK(result.out.find(text) != std::string::npos);
  }
  CHECK(result.err.empty());
}

TEST_CASE("validate on a simulated log counts the customers who start in the holdout",
          "[cli][validation][simulation]") {
  TempDir dir;
  // First purchases over 120 days from 2024-01-01: those after 2024-03-31 start in the holdout.
  REQUIRE(run_cli("simulate --customers 3000 --cohort-days 120 --end 2024-12-31 --seed 3 --quiet "
                  "-o " +
                      dir.file("sim.csv"),
                  dir)
              .exit_code == 0);
  const auto result = run_cli("validate " + dir.file("sim.csv") +
                                  " --calibration-end 2024-03-31 --as-of 2024-11-30 "
                                  "--tracking-step day --time-unit day --segments rfm8 "
                                  "--format json -o " +
                                  dir.file("v.json"),
                              dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json doc = json::parse(read_text(dir.file("v.json")));
  const json& meta = doc["metadata"];
  CHECK(meta["holdout_end"] == "2024-11-30");
  CHECK(meta["holdout_days"] == 244);
  CHECK(meta["holdout_length"] == 244.0);
  CHECK(meta["time_unit"] == "day");
  CHECK(meta["segmentation"]["scheme"] == "rfm8");
  const std::int64_t calibration = meta["customers"]["calibration"];
  const std::int64_t late = meta["customers"]["first_seen_in_holdout"];
  // Uniform first days: 91 of the 120 fall in the calibration period, so about 24% start later.
  CHECK(calibration + late == 3000);
  CHECK(late == Approx(3000.0 * 29.0 / 120.0).margin(4.0 * std::sqrt(3000.0 * 0.24 * 0.76)));
  CHECK(meta["customers"]["first_seen_in_holdout_rows"].get<std::int64_t>() >= late);
  CHECK(meta["input"]["rows"]["after_as_of"].get<std::int64_t>() > 0);
  CHECK(meta["input"]["rows"]["reconciles"] == true);
  CHECK(doc["tracking"]["step"] == "day");
  // From the cohort's first day, 2024-01-01, through the holdout end: one point per day.
  CHECK(doc["tracking"]["points"].size() == 335u);
  CHECK(doc["tracking"]["points"].back()["day"] == "2024-11-30");
  CHECK(doc["totals"]["customers"] == calibration);

  // The report is the same bytes whatever --threads.
  for (const char* threads : {"1", "4"}) {
    const std::string out = dir.file(std::string("v") + threads + ".json");
    REQUIRE(run_cli("validate " + dir.file("sim.csv") +
                        " --calibration-end 2024-03-31 --as-of 2024-11-30 --tracking-step day "
                        "--time-unit day --segments rfm8 --format json --threads " +
                        threads + " -o " + out,
                    dir)
                .exit_code == 0);
  }
  CHECK(read_text(dir.file("v1.json")) == read_text(dir.file("v4.json")));
}

TEST_CASE("validate rejects calibration ends that leave no holdout, and bad options",
          "[cli][validation][inputcheck]") {
  TempDir dir;
  const auto after = run_cli("validate data/cdnow.csv --calibration-end 1998-07-01", dir);
  CHECK(after.exit_code == 1);
  CHECK(after.err.find("calibration end 1998-07-01 is not before the holdout end 1998-06-30 "
                       "(the last transaction day)") != std::string::npos);
  CHECK(after.out.empty());

  const auto before = run_cli("validate data/cdnow.csv --calibration-end 1996-12-31", dir);
  CHECK(before.exit_code == 1);
  CHECK(before.err.find("before every customer's first purchase") != std::string::npos);

  const auto order = run_cli(std::string(kCdnow) + "--holdout-end 1997-09-30", dir);
  CHECK(order.exit_code == 1);
  CHECK(order.err.find("--calibration-end 1997-09-30 must be before --holdout-end 1997-09-30") !=
        std::string::npos);

  const auto date = run_cli("validate data/cdnow.csv --calibration-end 1997-09-31", dir);
  CHECK(date.exit_code == 1);
  CHECK(date.err.find("--calibration-end: '1997-09-31'") != std::string::npos);

  const auto step = run_cli(std::string(kCdnow) + "--tracking-step month", dir);
  CHECK(step.exit_code == 1);
  CHECK(step.err.find("--tracking-step") != std::string::npos);

  const auto format = run_cli(std::string(kCdnow) + "--format csv", dir);
  CHECK(format.exit_code == 1);
  CHECK(format.err.find("--format") != std::string::npos);

  const auto missing = run_cli("validate data/cdnow.csv", dir);
  CHECK(missing.exit_code != 0);
  CHECK(missing.err.find("--calibration-end") != std::string::npos);

  const auto no_file = run_cli("validate no/such.csv --calibration-end 1997-09-30", dir);
  CHECK(no_file.exit_code == 4);
}
