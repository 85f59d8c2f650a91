// BG/BB from the command line: the donations table of Fader, Hardie & Shang (2010) as a summary
// table, the same fit from a log read by years, a simulated log recovering its parameters, and
// the commands that need opportunities refusing a log read by days.

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../support/reference_data.hpp"
#include "cli_runner.hpp"

namespace {

using clvkit::test::read_reference_csv;
using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;
using clvkit::test::write_text;
using nlohmann::json;

double parameter(const json& fit, const char* name) {
  return fit["parameters"][name]["value"].get<double>();
}

// The donations table as a log: donor i first gives on some day of 1995 and then in x of the
// years 1996..2001, the last of them 1995 + t_x, twice in some years (one opportunity still).
std::string donations_log() {
  const auto table = read_reference_csv("donations.csv");
  std::ostringstream log;
  log << "customer_id,date,amount\n";
  int id = 0;
  for (std::size_t row = 0; row < table.at("weights").size(); ++row) {
    const int x = static_cast<int>(table.at("frequency")[row]);
    const int t_x = static_cast<int>(table.at("recency")[row]);
    for (int k = 0; k < static_cast<int>(table.at("weights")[row]); ++k) {
      ++id;
      const int month = 1 + id % 12;
      log << id << ",1995-" << (month < 10 ? "0" : "") << month << "-15," << 10 + id % 7 << "\n";
      for (int year = 1995 + t_x - x + 1; year <= 1995 + t_x; ++year) {
        log << id << "," << year << "-0" << 1 + id % 9 << "-0" << 1 + id % 9 << ",25\n";
        if (id % 5 == 0) log << id << "," << year << "-11-30,5\n";
      }
    }
  }
  return log.str();
}

}  // namespace

TEST_CASE("fit --summary on the donations table reproduces FHS 2010's BG/BB fit",
          "[cli][bgbb][paper]") {
  TempDir dir;
  const auto result = run_cli("fit --summary data/donations.csv --time-unit year --model bgbb -o " +
                                  dir.file("m.json"),
                              dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json doc = json::parse(read_text(dir.file("m.json")));
  const json& fit = doc["bgbb"];
  CHECK(fit["converged"] == true);
  // Published: 1.204, 0.750, 0.657, 2.783, LL -33225.6; lifetimes' optimum to more digits.
  CHECK(parameter(fit, "alpha") == Approx(1.203522393608002).epsilon(1e-5));
  CHECK(parameter(fit, "beta") == Approx(0.7497163581757513).epsilon(1e-5));
  CHECK(parameter(fit, "gamma") == Approx(0.6567181695499895).epsilon(1e-5));
  CHECK(parameter(fit, "delta") == Approx(2.783441982887859).epsilon(1e-5));
  CHECK(fit["log_likelihood"].get<double>() == Approx(-33225.58127434614).margin(1e-5));
  CHECK(fit["parameters"]["delta"]["standard_error"].get<double>() ==
        Approx(0.320818939435451).epsilon(0.02));
  CHECK(doc["calibration"]["customers"] == 11104);
  CHECK_FALSE(doc.contains("gamma_gamma"));

  // Per pattern, at lifetimes' estimates: E[X(n, n+5)] and P(alive at n + 1).
  json model = {{"format", "clvkit-model"}, {"format_version", 1},
                {"calibration", json::object()}, {"time_unit", "year"}};
  model["bgbb"]["parameters"] = {{"alpha", {{"value", 1.203522393608002}}},
                                 {"beta", {{"value", 0.7497163581757513}}},
                                 {"gamma", {{"value", 0.6567181695499895}}},
                                 {"delta", {{"value", 2.783441982887859}}}};
  write_text(dir.file("lifetimes.json"), model.dump());
  REQUIRE(run_cli("predict --summary data/donations.csv --model " + dir.file("lifetimes.json") +
                      " --horizon 5y -o " + dir.file("p.json"),
                  dir)
              .exit_code == 0);
  const json predictions = json::parse(read_text(dir.file("p.json")));
  const auto reference = read_reference_csv("bgbb_donations_patterns.csv");
  const json& rows = predictions["customers"];
  REQUIRE(rows.size() == 22u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i);
    CHECK(rows[i]["line"] == static_cast<int>(i) + 2);
    CHECK(rows[i]["expected_purchases"].get<double>() ==
          Approx(reference.at("exp_transactions_opportunities_n+1..n+5")[i]).epsilon(1e-6));
    CHECK(rows[i]["p_alive"].get<double>() ==
          Approx(reference.at("p_alive_at_opportunity_n_plus_1")[i]).epsilon(1e-6));
  }
}

TEST_CASE("BG/BB fitted on the donations as a log read by years equals the table's fit",
          "[cli][bgbb][period]") {
  TempDir dir;
  write_text(dir.file("log.csv"), donations_log());
  const auto from_log = run_cli("fit " + dir.file("log.csv") +
                                    " --period year --as-of 2002-03-31 --model bgbb -o " +
                                    dir.file("log.json"),
                                dir);
  INFO(from_log.err);
  REQUIRE(from_log.exit_code == 0);
  REQUIRE(run_cli("fit --summary data/donations.csv --time-unit year --model bgbb -q -o " +
                      dir.file("table.json"),
                  dir)
              .exit_code == 0);
  const json log = json::parse(read_text(dir.file("log.json")));
  const json table = json::parse(read_text(dir.file("table.json")));
  CHECK(log["time_unit"] == "year");
  CHECK(log["calibration"]["as_of"] == "2001-01-01");  // 2002 is not over on 2002-03-31
  CHECK(log["calibration"]["customers"] == 11104);
  for (const char* name : {"alpha", "beta", "gamma", "delta"}) {
    CAPTURE(name);
    CHECK(parameter(log["bgbb"], name) == parameter(table["bgbb"], name));
  }
  CHECK(log["bgbb"]["log_likelihood"] == table["bgbb"]["log_likelihood"]);
  // A log read by days cannot be fitted by BG/BB, nor a period unit told apart from it.
  auto refused = run_cli("fit " + dir.file("log.csv") + " --model bgbb -o " + dir.file("x.json"),
                         dir);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("--period") != std::string::npos);
  refused = run_cli("run " + dir.file("log.csv") + " --period year --time-unit week -o " +
                        dir.file("x.json"),
                    dir);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("differs from --period") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("x.json")));
}

TEST_CASE("a BG/BB simulated log read by years recovers its parameters, and every command runs",
          "[cli][bgbb][simulation]") {
  TempDir dir;
  const std::string log = dir.file("sim.csv");
  REQUIRE(run_cli("simulate --model bgbb --time-unit year --customers 20000 --end 2033-12-31 "
                  "--seed 3 --quiet -o " + log,
                  dir)
              .exit_code == 0);
  const auto fit = run_cli("fit " + log + " --period year --model bgbb -o " + dir.file("m.json"), dir);
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  const json model = json::parse(read_text(dir.file("m.json")));
  const double truth[] = {1.2035, 0.7497, 0.6567, 2.7834};
  const char* names[] = {"alpha", "beta", "gamma", "delta"};
  for (int k = 0; k < 4; ++k) {
    const json& p = model["bgbb"]["parameters"][names[k]];
    const double z = (p["value"].get<double>() - truth[k]) / p["standard_error"].get<double>();
    CAPTURE(names[k], z);
    CHECK(std::fabs(z) < 3.0);
  }
  // Every command takes the model and the period; the forecast agrees with the analytic total.
  auto result = run_cli("run " + log + " --period year --model bgbb -q -o " + dir.file("r.json"), dir);
  REQUIRE(result.exit_code == 0);
  const json run = json::parse(read_text(dir.file("r.json")));
  CHECK(run["metadata"]["input"]["period"] == "year");
  CHECK(run["metadata"]["models"].contains("bgbb"));
  for (const json& c : run["customers"]) {
    REQUIRE(c["p_alive"].get<double>() <= 1.0);
    // At most one purchase per opportunity: 12 months hold one.
    REQUIRE(c["expected_purchases"].get<double>() <= 1.0);
  }
  result = run_cli("segments " + log + " --period year --model bgbb --forecast --draws 200 "
                   "--horizon 3y --format json -o " + dir.file("s.json"),
                   dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  result = run_cli("validate " + log + " --period year --model bgbb --calibration-end 2029-12-31", dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  result = run_cli("compare " + log + " --period year --calibration-end 2029-12-31 --format json -o " +
                       dir.file("c.json"),
                   dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json compare = json::parse(read_text(dir.file("c.json")));
  bool has_bgbb = false;
  for (const json& m : compare["models"]) has_bgbb = has_bgbb || m["model"] == "bgbb";
  CHECK(has_bgbb);
  result = run_cli("report " + log + " --period year --model bgbb --calibration-end 2029-12-31 "
                   "--forecast-draws 100 -q -o " + dir.file("r.html"),
                   dir);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  // Without --period, validate refuses BG/BB (compare leaves it out: analysis_test.cpp).
  CHECK(run_cli("validate " + log + " --model bgbb --calibration-end 2029-12-31", dir).exit_code ==
        1);
}
