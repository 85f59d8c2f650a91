// --horizon lifetime: value over the whole remaining lifetime (DERT), from run, predict and a
// summary table; refused where a finite horizon is needed.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;
using nlohmann::json;

}  // namespace

TEST_CASE("run --horizon lifetime gives DERT and its value for every customer",
          "[cli][dert]") {
  TempDir dir;
  for (const char* model : {"bgnbd", "pnbd"}) {
    INFO(model);
    const std::string common = std::string("run data/cdnow.csv --as-of 1997-09-30 -q --model ") +
                               model + " --discount-rate 0.1 -o ";
    REQUIRE(run_cli(common + dir.file("year.json"), dir).exit_code == 0);
    const auto result = run_cli(common + dir.file("life.json") + " --horizon lifetime", dir);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const json year = json::parse(read_text(dir.file("year.json")));
    const json life = json::parse(read_text(dir.file("life.json")));
    const json& value = life["metadata"]["value"];
    CHECK(value["horizon"] == "lifetime");
    CHECK_FALSE(value.contains("horizon_days"));
    CHECK(value["discount"]["timing"] == "continuous");
    CHECK(value["discount"]["continuous_rate_per_day"].get<double>() ==
          Approx(std::log(1.1) / 365.25).epsilon(1e-12));
    REQUIRE(life["customers"].size() == year["customers"].size());
    for (std::size_t i = 0; i < life["customers"].size(); ++i) {
      const json& l = life["customers"][i];
      const json& y = year["customers"][i];
      // The same P(alive) and spend; the lifetime holds at least the first year, discounted by
      // at most 10%, and more.
      CHECK(l["p_alive"] == y["p_alive"]);
      CHECK(l["expected_avg_spend"] == y["expected_avg_spend"]);
      CHECK(l["expected_purchases"].get<double>() >
            y["expected_purchases"].get<double>() / 1.1);
      CHECK(l["clv"].get<double>() ==
            Approx(l["expected_purchases"].get<double>() * l["expected_avg_spend"].get<double>())
                .epsilon(1e-9));
    }
  }
}

TEST_CASE("a lifetime horizon is refused where a finite horizon is simulated or shown",
          "[cli][dert][errors]") {
  TempDir dir;
  auto result = run_cli("segments data/cdnow.csv --forecast --horizon lifetime", dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("finite horizon") != std::string::npos);
  result = run_cli("report data/cdnow.csv --horizon lifetime -o " + dir.file("r.html"), dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("finite horizon") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("r.html")));
  result = run_cli("run data/cdnow.csv --horizon lifetime --discount-rate 0 -o " +
                       dir.file("o.json"),
                   dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("positive discount rate") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("o.json")));
}

TEST_CASE("predict --summary with a lifetime horizon gives DERT also without a spend model",
          "[cli][dert][summary-table]") {
  // A model file with only Pareto/NBD (lifetimes' CDNOW estimates, weeks): the lifetime DERT of
  // every row is its P(alive) times FHL 2005's closed form, not the 12-month expectation.
  TempDir dir;
  json model = {{"format", "clvkit-model"}, {"format_version", 1},
                {"calibration", json::object()}, {"time_unit", "week"}};
  model["pnbd"]["parameters"] = {{"r", {{"value", 0.5532815861528053}}},
                                 {"alpha", {{"value", 10.577753122778805}}},
                                 {"s", {{"value", 0.6061714462872277}}},
                                 {"beta", {{"value", 11.666906530603386}}}};
  clvkit::test::write_text(dir.file("m.json"), model.dump());
  const std::string common = "predict --summary tests/data/reference/cdnow_customers_summary.csv "
                             "--model " + dir.file("m.json") + " -o ";
  REQUIRE(run_cli(common + dir.file("year.json"), dir).exit_code == 0);
  const auto result = run_cli(common + dir.file("life.json") + " --horizon lifetime", dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json year = json::parse(read_text(dir.file("year.json")));
  const json life = json::parse(read_text(dir.file("life.json")));
  CHECK(life["metadata"]["value"]["horizon"] == "lifetime");
  REQUIRE(life["customers"].size() == year["customers"].size());
  for (std::size_t i = 0; i < life["customers"].size(); ++i) {
    const json& l = life["customers"][i];
    const json& y = year["customers"][i];
    CHECK(l["p_alive"] == y["p_alive"]);
    // The whole lifetime at 10% a year holds more than the first year (s < 1: lifetimes last).
    CHECK(l["expected_purchases"].get<double>() > 1.5 * y["expected_purchases"].get<double>());
  }
}
