// Runs the built `clvkit simulate` binary (CLVKIT_CLI_PATH) and checks exit codes and outputs.

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "cli_runner.hpp"

namespace {

namespace fs = std::filesystem;
using clvkit::test::CliResult;
using clvkit::test::read_text;
using clvkit::test::TempDir;

CliResult run_cli(const TempDir& dir, const std::string& arguments) {
  return clvkit::test::run_cli(arguments, dir);
}

}  // namespace

TEST_CASE("simulate --help lists the options", "[simulate][cli]") {
  TempDir dir;
  const CliResult run = run_cli(dir, "simulate --help");
  CHECK(run.exit_code == 0);
  for (const char* option : {"--customers", "--start", "--cohort-days", "--end", "--time-unit",
                             "--alpha", "--gamma", "--seed", "--threads", "--output", "--quiet"}) {
    CAPTURE(option);
    CHECK(run.out.find(option) != std::string::npos);
  }
}

TEST_CASE("simulate writes the same bytes to stdout and to a file, for any thread count",
          "[simulate][cli][consistency]") {
  TempDir dir;
  const std::string common =
      "simulate --customers 12000 --seed 7 --start 2023-06-01 --end 2024-05-31";
  const CliResult to_stdout = run_cli(dir, common);
  REQUIRE(to_stdout.exit_code == 0);
  CHECK(to_stdout.out.rfind("customer_id,date,amount\n", 0) == 0);
  // The summary line: customers, rows and the date range.
  CHECK(to_stdout.err.find("simulate: 12000 customers, ") != std::string::npos);
  CHECK(to_stdout.err.find("observed 2023-06-01 to 2024-05-31") != std::string::npos);

  const fs::path file = dir.path() / "log.csv";
  const CliResult to_file =
      run_cli(dir, common + " --threads 2 --quiet -o '" + file.string() + "'");
  REQUIRE(to_file.exit_code == 0);
  CHECK(to_file.out.empty());
  CHECK(to_file.err.empty());
  CHECK(read_text(file) == to_stdout.out);
  // The atomic write left nothing but the target (and the captured stdout/stderr) behind.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    CAPTURE(name);
    CHECK((name == "log.csv" || name == "cli.stdout" || name == "cli.stderr"));
  }

  const CliResult other_seed = run_cli(dir,
                                       "simulate --customers 12000 --seed 8 --start 2023-06-01 "
                                       "--end 2024-05-31 --quiet");
  REQUIRE(other_seed.exit_code == 0);
  CHECK(other_seed.out != to_stdout.out);
}

TEST_CASE("simulate rejects bad parameters with a message naming the option",
          "[simulate][cli][inputcheck]") {
  TempDir dir;
  const auto [args, option] = GENERATE(table<std::string, std::string>({
      {"--alpha -1", "--alpha"},
      {"--r 0", "--r"},
      {"--a nan", "--a"},
      {"--b inf", "--b"},
      {"--p -2.5", "--p"},
      {"--q 0", "--q"},
      {"--gamma -1e-3", "--gamma"},
      {"--customers 0", "--customers"},
      {"--cohort-days 0", "--cohort-days"},
      {"--threads 0", "--threads"},
      {"--time-unit fortnight", "--time-unit"},
      {"--start 2024-02-30", "--start"},
      {"--end 2024-02-01", "--end"},  // before the default 90-day cohort window ends
  }));
  CAPTURE(args);
  const fs::path file = dir.path() / "never.csv";
  const CliResult run = run_cli(dir, "simulate " + args + " -o '" + file.string() + "'");
  CHECK(run.exit_code == 1);  // ExitCode::usage
  CAPTURE(run.err);
  CHECK(run.err.find(option) != std::string::npos);
  CHECK(run.out.empty());
  CHECK(!fs::exists(file));
}

TEST_CASE("simulate reports an unwritable output as an IO error", "[simulate][cli]") {
  TempDir dir;
  const fs::path file = dir.path() / "missing" / "log.csv";
  const CliResult run = run_cli(dir, "simulate --customers 10 -o '" + file.string() + "'");
  CHECK(run.exit_code == 4);  // ExitCode::io
  CHECK(run.err.find("log.csv") != std::string::npos);
}

TEST_CASE("simulate --model mbgnbd draws a log whose MBG/NBD fit recovers the parameters",
          "[cli][simulate][mbgnbd]") {
  clvkit::test::TempDir dir;
  const std::string log = dir.file("mbg.csv");
  REQUIRE(clvkit::test::run_cli(
              "simulate --model mbgnbd --customers 20000 --seed 5 --quiet -o " + log, dir)
              .exit_code == 0);
  REQUIRE(clvkit::test::run_cli("fit " + log + " --model mbgnbd -q -o " + dir.file("m.json"), dir)
              .exit_code == 0);
  const auto model = nlohmann::json::parse(clvkit::test::read_text(dir.file("m.json")));
  REQUIRE(model.contains("mbgnbd"));
  // The defaults r 0.243, alpha 4.414, a 0.793, b 2.426, each within 3 standard errors (fixed
  // seed; days rounding biases alpha up by ~2 standard errors at this size, see RESULTS).
  const std::pair<const char*, double> truth[] = {
      {"r", 0.243}, {"alpha", 4.414}, {"a", 0.793}, {"b", 2.426}};
  for (const auto& [name, value] : truth) {
    CAPTURE(name);
    const auto& p = model["mbgnbd"]["parameters"][name];
    CHECK(std::abs(p["value"].get<double>() - value) <= 3.0 * p["standard_error"].get<double>());
  }
  CHECK(clvkit::test::run_cli("simulate --model pareto -o " + dir.file("x.csv"), dir).exit_code ==
        1);
}

TEST_CASE("simulate --model pnbd draws a log whose Pareto/NBD fit recovers the parameters",
          "[cli][simulate][pnbd]") {
  clvkit::test::TempDir dir;
  const std::string log = dir.file("pnbd.csv");
  // Monthly rates: purchases rarely share a day, so day bucketing does not bias alpha (README,
  // Simulation).
  REQUIRE(clvkit::test::run_cli("simulate --model pnbd --time-unit month --customers 20000 "
                                "--seed 5 --quiet -o " +
                                    log,
                                dir)
              .exit_code == 0);
  REQUIRE(clvkit::test::run_cli(
              "fit " + log + " --model pnbd --time-unit month -q -o " + dir.file("m.json"), dir)
              .exit_code == 0);
  const auto model = nlohmann::json::parse(clvkit::test::read_text(dir.file("m.json")));
  REQUIRE(model.contains("pnbd"));
  const std::pair<const char*, double> truth[] = {
      {"r", 0.243}, {"alpha", 4.414}, {"s", 0.606}, {"beta", 11.67}};
  for (const auto& [name, value] : truth) {
    CAPTURE(name);
    const auto& p = model["pnbd"]["parameters"][name];
    CHECK(std::abs(p["value"].get<double>() - value) <= 3.0 * p["standard_error"].get<double>());
  }
}
