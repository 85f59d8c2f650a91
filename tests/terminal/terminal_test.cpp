// The progress line on a terminal (through `script`, a pseudo-terminal), in an executable of its
// own: where no pseudo-terminal can be opened it exits with 77, which ctest reports as skipped
// (SKIP_RETURN_CODE), never as passed.

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../cli/cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;

}  // namespace

TEST_CASE("segments, report and validate draw a progress line on a terminal, and only there",
          "[cli][progress]") {
  using Catch::Matchers::Contains;
  // `script` (util-linux) runs the command on a pseudo-terminal, as a user's shell would.
  TempDir dir;
  if (std::system("script -qec true /dev/null > /dev/null 2>&1") != 0) {
    // Not a pass: ctest reports the exit code 77 as skipped (SKIP_RETURN_CODE of this
    // executable, which holds this test alone).
    std::fprintf(stderr, "no pseudo-terminal here (script -qec true failed): skipped\n");
    std::exit(77);
  }
  const auto on_terminal = [&](const std::string& arguments) {
    const std::string captured = dir.file("terminal.txt");
    const std::string command = "script -qfec '\"" + std::string(CLVKIT_CLI_PATH) + "\" " +
                                arguments + "' /dev/null > \"" + captured + "\" 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    return read_text(captured);
  };
  const std::string segments = on_terminal(
      "segments data/cdnow.csv --forecast --draws 200 "
      "--format json -o " +
      dir.file("s.json"));
  CHECK_THAT(segments, Contains("clvkit segments: reading, 6919 rows"));
  CHECK_THAT(segments, Contains("clvkit segments: fitting and predicting 2357 customers"));
  CHECK_THAT(segments,
             Contains("clvkit segments: forecasting: 100% of 2357 customers x 200 draws"));
  const std::string report =
      on_terminal("report data/cdnow.csv --forecast-draws 100 -o " + dir.file("r.html"));
  CHECK_THAT(report, Contains("clvkit report: forecasting: 100% of 2357 customers x 100 draws"));
  CHECK_THAT(report, Contains("clvkit report: writing " + dir.file("r.html")));
  const std::string validate =
      on_terminal("validate data/cdnow.csv --calibration-end 1997-09-30 --format json -o " +
                  dir.file("v.json"));
  CHECK_THAT(validate, Contains("clvkit validate: reading, 6919 rows"));
  CHECK_THAT(validate, Contains("clvkit validate: fitting 2357 customers on the calibration"));
  // --quiet on a terminal, and any run whose stderr is not a terminal, print nothing.
  CHECK_THAT(on_terminal("segments data/cdnow.csv --quiet --format json -o " + dir.file("q.json")),
             !Contains("clvkit segments:"));
  const auto piped = run_cli(
      "segments data/cdnow.csv --forecast --draws 50 --format json -o " + dir.file("p.json"), dir);
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.err.empty());
}
