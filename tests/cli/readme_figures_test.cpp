// The README's figures are what clvkit prints: the CDNOW table of "Models and predictions" is
// checked against the commands it names, so a figure copied from a peer (or left behind by a
// change) fails here.

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;
using nlohmann::json;

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}
std::string significant(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}
// A log-likelihood as the README writes it: U+2212 minus, 4 decimals.
std::string log_likelihood(double value) {
  return (value < 0 ? "\u2212" : "") + fixed(value < 0 ? -value : value, 4);
}

std::string values(const json& fit, const std::vector<const char*>& names, int decimals) {
  std::string out;
  for (const char* name : names) {
    out +=
        (out.empty() ? "" : ", ") + fixed(fit["parameters"][name]["value"].get<double>(), decimals);
  }
  return out;
}

// The README line of the table row starting with `label`, and its clvkit cell (the second).
std::string clvkit_cell(const std::string& readme, const std::string& label) {
  const std::size_t at = readme.find("| " + label + " |");
  REQUIRE(at != std::string::npos);
  const std::size_t start = at + label.size() + 5;  // "| " label " | "
  const std::size_t end = readme.find(" |", start);
  return readme.substr(start, end - start);
}

}  // namespace

TEST_CASE("the README's CDNOW figures are what the commands beside them print", "[cli][readme]") {
  TempDir dir;
  const std::string readme = read_text("README.md");
  const std::string summary = "tests/data/reference/gammagamma_clv_cdnow2357_customers.csv";
  REQUIRE(run_cli("fit --summary " + summary + " -o " + dir.file("summary.json"), dir).exit_code ==
          0);
  const json fitted = json::parse(read_text(dir.file("summary.json")));
  const json& bgnbd = fitted["bgnbd"];
  CHECK(clvkit_cell(readme, "BG/NBD r, α, a, b (paper's summary file)") ==
        values(bgnbd, {"r", "alpha", "a", "b"}, 6));
  CHECK(clvkit_cell(readme, "log-likelihood") == log_likelihood(bgnbd["log_likelihood"]));
  std::string errors;
  for (const char* name : {"r", "alpha", "a", "b"}) {
    errors += (errors.empty() ? "" : ", ") +
              significant(bgnbd["parameters"][name]["standard_error"].get<double>(), 4);
  }
  CHECK(clvkit_cell(readme, "standard errors r, α, a, b") == errors);
  CHECK(clvkit_cell(readme, "Gamma-Gamma p, q, γ (946 repeat buyers)") ==
        values(fitted["gamma_gamma"], {"p", "q", "gamma"}, 6));

  REQUIRE(run_cli("predict --summary " + summary + " --model " + dir.file("summary.json") +
                      " --horizon 39w --format csv -o " + dir.file("p39.csv"),
                  dir)
              .exit_code == 0);
  std::stringstream lines(read_text(dir.file("p39.csv")));
  std::string line;
  std::getline(lines, line);
  double total = 0.0;
  while (std::getline(lines, line)) {
    // customer_id,frequency,recency,T,monetary_value,p_alive,expected_purchases,...
    std::stringstream fields(line);
    std::string field;
    for (int k = 0; k <= 6; ++k) std::getline(fields, field, ',');
    total += std::stod(field);
  }
  CHECK(clvkit_cell(readme, "Σ E[X(39 weeks)] over the 2,357 customers (holdout forecast)") ==
        fixed(total, 2));

  REQUIRE(
      run_cli("run data/cdnow.csv --as-of 1997-09-30 -q -o " + dir.file("c.json"), dir).exit_code ==
      0);
  const json run = json::parse(read_text(dir.file("c.json")));
  const json& event_log = run["metadata"]["models"]["bgnbd"];
  CHECK(clvkit_cell(readme, "BG/NBD from the event log (exact days / 7)") ==
        values(event_log, {"r", "alpha", "a", "b"}, 6) + "; LL " +
            log_likelihood(event_log["log_likelihood"]));
}
