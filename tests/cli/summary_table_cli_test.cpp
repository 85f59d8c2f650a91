// fit and predict on a summary table (one row per customer, or per pattern with a count) instead
// of a log: lifetimes' CDNOW summary gives the published fits of every model, and predictions at
// lifetimes' own estimates equal its per-customer values.

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
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

const std::string kCdnowSummary = "tests/data/reference/cdnow_customers_summary.csv";
const std::string kCdnowWithSpend =
    "tests/data/reference/cdnow_customers_summary_with_transactions.csv";

double parameter(const json& fit, const char* name) {
  return fit["parameters"][name]["value"].get<double>();
}

// A model file holding only a purchase model at the given parameters (weeks).
std::string purchase_model_file(const std::string& key,
                                const std::vector<std::pair<std::string, double>>& params) {
  json doc = {{"format", "clvkit-model"},
              {"format_version", 1},
              {"calibration", json::object()},
              {"time_unit", "week"}};
  for (const auto& [name, value] : params) doc[key]["parameters"][name]["value"] = value;
  return doc.dump();
}

// The columns of a CSV written by clvkit (header, then numbers; no quoting needed here).
std::map<std::string, std::vector<double>> read_csv_columns(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) header.push_back(cell);
  }
  std::map<std::string, std::vector<double>> columns;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    for (const std::string& h : header) {
      std::getline(ss, cell, ',');
      columns[h].push_back(std::stod(cell));
    }
  }
  return columns;
}

}  // namespace

TEST_CASE("fit --summary on lifetimes' CDNOW table gives the published fit of every model",
          "[cli][summary-table][paper]") {
  TempDir dir;
  struct Expected {
    const char* model;
    std::vector<std::pair<const char*, double>> params;
    double log_likelihood;
  };
  // lifetimes 0.11.3's estimates on this very table (tests/data/reference/README.md).
  const Expected expected[] = {
      {"bgnbd",
       {{"r", 0.24259292827982198}, {"alpha", 4.413532265271817}, {"a", 0.7928859664406002},
        {"b", 2.4257523826255123}},
       -9582.425560567366},
      {"mbgnbd",
       {{"r", 0.5248377255676664}, {"alpha", 6.1829884791339715}, {"a", 0.8913562809311414},
        {"b", 1.6140000256721279}},
       -9582.13268489992},
      {"pnbd",
       {{"r", 0.5532815861528053}, {"alpha", 10.577753122778805}, {"s", 0.6061714462872277},
        {"beta", 11.666906530603386}},
       -9594.97392991023},
  };
  for (const Expected& e : expected) {
    const std::string out = dir.file(std::string(e.model) + ".json");
    const auto result = run_cli(
        "fit --summary " + kCdnowWithSpend + " --time-unit week --model " + e.model + " -o " + out,
        dir);
    INFO(e.model << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    const json doc = json::parse(read_text(out));
    CHECK(doc["calibration"]["kind"] == "summary_table");
    CHECK(doc["calibration"]["rows_used"] == 2357);
    CHECK(doc["calibration"]["customers"] == 2357);
    CHECK(doc["calibration"]["columns"]["monetary"] == "zbar");
    const json& fit = doc[e.model];
    CHECK(fit["converged"] == true);
    CHECK(fit["log_likelihood"].get<double>() == Approx(e.log_likelihood).margin(1e-4));
    for (const auto& [name, value] : e.params) {
      CAPTURE(name);
      CHECK(parameter(fit, name) == Approx(value).epsilon(2e-4));
    }
    // Gamma-Gamma on the zbar column: Fader & Hardie (2013) p 6.25, q 3.74, gamma 15.44.
    const json& gg = doc["gamma_gamma"];
    CHECK(gg["customers"] == 946);
    CHECK(parameter(gg, "p") == Approx(6.248802496077898).epsilon(1e-4));
    CHECK(parameter(gg, "q") == Approx(3.744588460922642).epsilon(1e-4));
  }
}

TEST_CASE("predict --summary at lifetimes' estimates equals its per-customer values",
          "[cli][summary-table]") {
  TempDir dir;
  struct Case {
    const char* model;
    const char* reference;
    std::vector<std::pair<std::string, double>> params;
  };
  const Case cases[] = {
      {"bgnbd",
       "bgnbd_cdnow2357_customers.csv",
       {{"r", 0.24259292827982198}, {"alpha", 4.413532265271817}, {"a", 0.7928859664406002},
        {"b", 2.4257523826255123}}},
      {"mbgnbd",
       "mbgnbd_cdnow2357_customers.csv",
       {{"r", 0.5248377255676664}, {"alpha", 6.1829884791339715}, {"a", 0.8913562809311414},
        {"b", 1.6140000256721279}}},
      {"pnbd",
       "paretonbd_cdnow2357_customers.csv",
       {{"r", 0.5532815861528053}, {"alpha", 10.577753122778805}, {"s", 0.6061714462872277},
        {"beta", 11.666906530603386}}},
  };
  for (const Case& c : cases) {
    INFO(c.model);
    write_text(dir.file("model.json"), purchase_model_file(c.model, c.params));
    const auto result = run_cli("predict --summary " + kCdnowSummary + " --model " +
                                    dir.file("model.json") + " --horizon 39w --format csv -o " +
                                    dir.file("p.csv"),
                                dir);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    const auto ours = read_csv_columns(read_text(dir.file("p.csv")));
    const auto reference = read_reference_csv(c.reference);
    REQUIRE(ours.at("customer_id").size() == 2357u);
    CHECK(ours.count("clv") == 0);  // no spend model in the file: purchase quantities only
    double worst_expected = 0.0;
    double worst_alive = 0.0;
    for (std::size_t i = 0; i < 2357; ++i) {
      REQUIRE(ours.at("customer_id")[i] == reference.at("ID")[i]);
      const double e = reference.at("exp_purchases_39w")[i];
      const double p = reference.at("p_alive")[i];
      worst_expected =
          std::max(worst_expected, std::abs(ours.at("expected_purchases")[i] - e) / e);
      worst_alive = std::max(worst_alive, std::abs(ours.at("p_alive")[i] - p) / p);
    }
    // The reference columns carry 10 significant digits.
    CHECK(worst_expected < 1e-6);
    CHECK(worst_alive < 1e-6);
    // The NDJSON side file: the table and the model it used.
    const json meta = json::parse(read_text(dir.file("p.csv.meta.json")));
    CHECK(meta["input"]["kind"] == "summary_table");
    CHECK(meta["input"]["rows_read"] == 2357);
    CHECK(meta["models"].contains(c.model));
  }
}

TEST_CASE("predict --summary with a spend model gives the CLV columns", "[cli][summary-table]") {
  TempDir dir;
  const std::string model = dir.file("m.json");
  REQUIRE(run_cli("fit --summary " + kCdnowWithSpend + " -o " + model + " -q", dir).exit_code == 0);
  const auto result = run_cli("predict --summary " + kCdnowWithSpend + " --model " + model +
                                  " --format json -o " + dir.file("p.json"),
                              dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json doc = json::parse(read_text(dir.file("p.json")));
  const json& first = doc["customers"][0];
  // Customer 1: x 2, zbar 22.35; E[M] shrinks towards the population mean 35.17.
  CHECK(first["customer_id"] == "1");
  CHECK(first["monetary_value"].get<double>() == Approx(22.35));
  CHECK(first["expected_avg_spend"].get<double>() > 22.35);
  CHECK(first["expected_avg_spend"].get<double>() < 35.18);
  CHECK(first["clv"].get<double>() == Approx(first["p_alive"].get<double>() *
                                             (first["clv"].get<double>() +
                                              first["value_at_risk"].get<double>()))
                                          .epsilon(1e-9));
  CHECK(doc["metadata"]["value"]["horizon_days"].get<double>() == Approx(365.25));
}

TEST_CASE("a bad summary-table row names file, line and column; skip accounts for it",
          "[cli][summary-table][errors]") {
  TempDir dir;
  const std::string table = dir.file("t.csv");
  write_text(table,
             "id,frequency,recency,T\n"
             "a,2,3.5,10\n"
             "b,1,12,10\n"      // recency beyond T
             "c,x,0,4\n"        // not a number
             "d,0,2,5\n"        // recency without a repeat purchase
             "e,1,1\n"          // a field missing
             "f,3,8,9\n");
  const std::string model = dir.file("m.json");
  auto result = run_cli("fit --summary " + table + " -o " + model, dir);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find(table + ":3:3: recency 12 outside [0, T = 10]") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(model));

  write_text(dir.file("m.json"),
             purchase_model_file("bgnbd", {{"r", 0.24}, {"alpha", 4.4}, {"a", 0.79}, {"b", 2.4}}));
  result = run_cli("predict --summary " + table + " --on-bad-row skip --model " + model +
                       " --format ndjson -o " + dir.file("p.ndjson"),
                   dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json meta = json::parse(read_text(dir.file("p.ndjson.meta.json")));
  const json& input = meta["input"];
  CHECK(input["rows_read"] == 6);
  CHECK(input["rows_used"] == 2);
  CHECK(input["rows_rejected"]["bad_history"] == 2);
  CHECK(input["rows_rejected"]["bad_number"] == 1);
  CHECK(input["rows_rejected"]["wrong_field_count"] == 1);
  const std::string records = read_text(dir.file("p.ndjson"));
  CHECK(records.find("\"customer_id\":\"a\"") != std::string::npos);
  CHECK(records.find("\"customer_id\":\"f\"") != std::string::npos);
  CHECK(records.find("\"customer_id\":\"b\"") == std::string::npos);

  // A model without spend cannot score a log.
  result = run_cli("predict data/cdnow.csv --model " + model, dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("holds no spend model") != std::string::npos);
}
