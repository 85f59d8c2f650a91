// Exit codes stay in the README's table (0-4) for command-line errors, out-of-range horizons and
// discount rates, and JSON numbers beyond double in model files and schemes (issue 13, items 1-3,
// 9 and 10). Nothing is written when a run is refused.

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;
using clvkit::test::write_text;

struct Case {
  std::string arguments;  // after "run data/cdnow.csv -o OUT" unless it starts with '!'
  int exit_code;
  std::string message;
};

}  // namespace

TEST_CASE("bad options and values exit 1 with clvkit's prefix and write nothing",
          "[cli][errors][exit-codes]") {
  TempDir dir;
  const std::string out = dir.file("o.json");
  const Case cases[] = {
      {"--horizon 1e15d", 1, "--horizon 1e15d is longer than 100 years"},
      {"--horizon 99999999999999999999d", 1, "longer than 100 years"},
      {"--horizon 1e9d", 1, "longer than 100 years"},
      {"--horizon 1000000m", 1, "longer than 100 years"},
      {"--monthly-discount-rate -2", 1, "--monthly-discount-rate: must be finite and > -1"},
      {"--monthly-discount-rate nan", 1, "--monthly-discount-rate: must be finite and > -1"},
      {"--monthly-discount-rate -inf", 1, "--monthly-discount-rate"},
      {"--discount-rate inf", 1, "--discount-rate"},
      {"--threads -1", 1, "--threads"},
      {"--no-such-option", 1, "--no-such-option"},
  };
  for (const Case& c : cases) {
    const auto result = run_cli("run data/cdnow.csv -o " + out + " " + c.arguments, dir);
    CAPTURE(c.arguments, result.err);
    CHECK(result.exit_code == c.exit_code);
    CHECK(result.err.rfind("clvkit: error: ", 0) == 0);
    CHECK(result.err.find(c.message) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
  }
  // Values out of range that used to be taken silently, and directories given as files.
  CHECK(run_cli("run data/cdnow.csv --bins 0 -o " + out, dir).exit_code == 1);
  CHECK(run_cli("simulate --seed -1 -o " + out, dir).exit_code == 1);
  CHECK(run_cli("simulate --model bgbb --purchase-parameters zeta=2 -o " + out, dir).exit_code == 1);
  CHECK(run_cli("simulate --model bgbb --purchase-parameters alpha -o " + out, dir).exit_code == 1);
  CHECK(run_cli("simulate --model bgbb --purchase-parameters alpha=-1 -o " + out, dir).exit_code ==
        1);
  CHECK(run_cli("segments data/cdnow.csv --forecast --seed -1", dir).exit_code == 1);
  auto directory = run_cli("predict data/cdnow.csv --model " + dir.path().string() + " -o " + out, dir);
  CHECK(directory.exit_code == 4);
  CHECK(directory.err.find("it is a directory") != std::string::npos);
  CHECK(run_cli("run data/cdnow.csv --segments " + dir.path().string() + "/ -o " + out, dir)
            .exit_code == 4);
  // A directory as the log said "read error"; it says what it is, for a log and a table.
  auto log_directory = run_cli("run " + dir.path().string() + " -o " + out, dir);
  CHECK(log_directory.exit_code == 4);
  CHECK(log_directory.err.find("it is a directory") != std::string::npos);
  CHECK(run_cli("validate " + dir.path().string() + " --calibration-end 1997-09-30", dir)
            .exit_code == 4);
  CHECK(run_cli("fit --summary " + dir.path().string() + " -o " + out, dir).exit_code == 4);
  // A seed past 2^64 - 1 was read as 2^64 - 1 without a word.
  auto seed = run_cli("simulate --seed 18446744073709551616 -o " + out, dir);
  CHECK(seed.exit_code == 1);
  CHECK(seed.err.find("--seed: must be at most 2^64 - 1") != std::string::npos);
  CHECK(run_cli("segments data/cdnow.csv --forecast --seed 99999999999999999999", dir).exit_code ==
        1);
  CHECK(run_cli("report data/cdnow.csv --seed 1x -o " + out, dir).exit_code == 1);
  CHECK_FALSE(std::filesystem::exists(out));
  // A missing argument and a missing subcommand are usage errors too.
  CHECK(run_cli("run", dir).exit_code == 1);
  CHECK(run_cli("", dir).exit_code == 1);
  // --help and --version still succeed.
  CHECK(run_cli("--version", dir).exit_code == 0);
  CHECK(run_cli("run --help", dir).exit_code == 0);
  // A negative monthly rate above -1 is a rate like any other.
  CHECK(run_cli("run data/cdnow.csv -q -o " + out + " --monthly-discount-rate -0.005", dir)
            .exit_code == 0);
}

TEST_CASE("a number beyond double in a model file or a scheme is bad input, exit 2",
          "[cli][errors][exit-codes]") {
  TempDir dir;
  std::string model = read_text("models/cdnow-calibration-1997-09-30.json");
  const std::size_t at = model.find("\"value\": ");
  REQUIRE(at != std::string::npos);
  model.replace(at, model.find(',', at) - at, "\"value\": 1e999");
  write_text(dir.file("model.json"), model);
  auto result = run_cli("predict data/cdnow.csv --model " + dir.file("model.json") + " -o " +
                            dir.file("o.json"),
                        dir);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find(dir.file("model.json") + ": not valid JSON") != std::string::npos);
  CHECK(result.err.find("1e999") != std::string::npos);

  std::string scheme = read_text("models/segments/rfm11.json");
  const std::size_t bins = scheme.find("\"bins\": ");
  REQUIRE(bins != std::string::npos);
  scheme.replace(bins, scheme.find(',', bins) - bins, "\"bins\": 1e999");
  write_text(dir.file("scheme.json"), scheme);
  result = run_cli("run data/cdnow.csv --segments " + dir.file("scheme.json") + " -o " +
                       dir.file("o.json"),
                   dir);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("invalid JSON: number overflow") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("o.json")));
}

TEST_CASE("a fit that did not converge does not feed predictions unless asked, and then not wrong ones",
          "[cli][errors][exit-codes]") {
  // Issue 13 item 5: BG/NBD runs off to r = 2e18 on this base and does not converge.
  TempDir dir;
  const std::string log = dir.file("log.csv");
  REQUIRE(run_cli("simulate --customers 100 --r 50 --alpha 1 --a 0.01 --b 1000 --cohort-days 1 "
                  "--end 2037-09-01 --quiet -o " + log,
                  dir)
              .exit_code == 0);
  auto result = run_cli("run " + log + " -q -o " + dir.file("o.json"), dir);
  CHECK(result.exit_code == 3);
  CHECK(result.err.find("the bgnbd fit did not converge") != std::string::npos);
  CHECK(result.err.find("--allow-unconverged") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("o.json")));
  // Asked to predict anyway, the expectations at r = 2e18 break CLV <= margin E[M] E[X]: the
  // run says so rather than writing CLVs of 1e18.
  result = run_cli("run " + log + " -q --allow-unconverged -o " + dir.file("o.json"), dir);
  CHECK(result.exit_code == 3);
  CHECK(result.err.find("inconsistent prediction for customer") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("o.json")));
}

TEST_CASE("records and their side file land together or not at all", "[cli][errors][exit-codes]") {
  // Issue 13 item 7: the side file was committed before the records. Here it cannot be written
  // (its path is a directory): exit 4, and neither the records nor a temporary file is left.
  TempDir dir;
  const std::string out = dir.file("o.ndjson");
  std::filesystem::create_directory(out + ".meta.json");
  const auto result = run_cli("run data/cdnow.csv -q --format ndjson -o " + out, dir);
  CHECK(result.exit_code == 4);
  CHECK_FALSE(std::filesystem::exists(out));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    CAPTURE(entry.path().string());
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
}

TEST_CASE("a run stopped by a signal while writing leaves no temporary file",
          "[cli][errors][signals]") {
  // Issue 13 item 8: SIGINT, SIGTERM or SIGHUP during the write left ".OUT.tmp-PID" behind.
  TempDir dir;
  const std::string log = dir.file("log.csv");
  REQUIRE(run_cli("simulate --customers 300000 --quiet -o " + log, dir).exit_code == 0);
  const std::filesystem::path out_dir = dir.path() / "out";
  std::filesystem::create_directory(out_dir);
  for (const char* signal : {"TERM", "INT", "HUP"}) {
    CAPTURE(signal);
    // Started in the background; the signal goes once the temporary file exists.
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on one long chain of +.
    std::string script = "\"";
    script.append(CLVKIT_CLI_PATH).append("\" run \"").append(log);
    script.append("\" --threads 1 -q --format ndjson -o \"").append((out_dir / "o.ndjson").string());
    script.append("\" & p=$!; for i in $(seq 1 2000); do ls -a \"").append(out_dir.string());
    script.append("\" | grep -q tmp- && break; sleep 0.01; done; kill -").append(signal);
    script.append(" $p; wait $p; echo $? > \"").append(dir.file("status")).append("\"");
    REQUIRE(std::system(("bash -c '" + script + "'").c_str()) == 0);
    const int status = std::stoi(read_text(dir.file("status")));
    CHECK((status > 128 || status == 0));  // killed by the signal (or done just before it)
    for (const auto& entry : std::filesystem::directory_iterator(out_dir)) {
      CAPTURE(entry.path().string());
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
    }
  }
}
