// The model path from the command line: run with BG/NBD + Gamma-Gamma on CDNOW's calibration
// period, fit + predict with a saved model, and the segment table's model columns.

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <fstream>
#include <map>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::TempDir;
using nlohmann::json;

double parameter(const json& fit, const char* name) {
  return fit["parameters"][name]["value"].get<double>();
}

}  // namespace

TEST_CASE("run --as-of 1997-09-30 reproduces the FHL 2005 CDNOW estimates", "[cli][paper]") {
  TempDir dir;
  const auto result =
      run_cli("run data/cdnow.csv --as-of 1997-09-30 -o " + dir.file("c.json"), dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json doc = json::parse(read_text(dir.file("c.json")));
  const json& meta = doc["metadata"];
  CHECK(meta["input"]["rows"]["after_as_of"] == 1959);
  CHECK(meta["input"]["rows"]["used"] == 4960);
  CHECK(meta["models"]["time_unit"] == "week");

  // Published: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4. The event log
  // gives exact day counts (the paper's file rounds weeks to 2 decimals), so lifetimes' fit on
  // it (reference.json, bgnbd_cdnow2357_from_elog) is the sharper reference. They agree to 2e-6
  // (a and b lie on a flat ridge; the log-likelihoods to 1e-10): checked to 1e-5.
  const json& bgnbd = meta["models"]["bgnbd"];
  CHECK(bgnbd["converged"] == true);
  CHECK(parameter(bgnbd, "r") == Approx(0.2425945434210671).epsilon(1e-5));
  CHECK(parameter(bgnbd, "alpha") == Approx(4.413602716077381).epsilon(1e-5));
  CHECK(parameter(bgnbd, "a") == Approx(0.7929218333479776).epsilon(1e-5));
  CHECK(parameter(bgnbd, "b") == Approx(2.425905728722163).epsilon(1e-5));
  CHECK(bgnbd["log_likelihood"].get<double>() == Approx(-9582.429206673936).epsilon(1e-9));
  const double standard_errors[] = {0.012557379181029445, 0.37822410126505346,
                                    0.18573374969728337, 0.7054138496774083};
  const char* const names[] = {"r", "alpha", "a", "b"};
  for (int k = 0; k < 4; ++k) {
    CAPTURE(names[k]);
    CHECK(bgnbd["parameters"][names[k]]["standard_error"].get<double>() ==
          Approx(standard_errors[k]).epsilon(1e-5));
  }

  const json& gg = meta["models"]["gamma_gamma"];
  CHECK(gg["converged"] == true);
  CHECK(gg["customers"] == 946);
  CHECK(parameter(gg, "p") == Approx(6.25).margin(0.02));
  CHECK(parameter(gg, "q") == Approx(3.74).margin(0.02));
  CHECK(parameter(gg, "gamma") == Approx(15.44).margin(0.1));

  // Properties of every record.
  const json& customers = doc["customers"];
  REQUIRE(customers.size() == 2357u);
  std::vector<std::int64_t> ranks;
  double expected_total = 0.0;
  for (const json& c : customers) {
    const double p_alive = c["p_alive"];
    CHECK(p_alive >= 0.0);
    CHECK(p_alive <= 1.0);
    if (c["frequency"] == 0) CHECK(p_alive == 1.0);
    CHECK(c["clv"].get<double>() >= 0.0);
    CHECK(c["value_at_risk"].get<double>() ==
          Approx((1.0 - p_alive) * c["clv_if_alive"].get<double>()).margin(1e-9));
    expected_total += c["expected_purchases"].get<double>();
    ranks.push_back(c["churn_priority"]);
  }
  std::sort(ranks.begin(), ranks.end());
  for (std::size_t i = 0; i < ranks.size(); ++i)
    CHECK(ranks[i] == static_cast<std::int64_t>(i + 1));
  CHECK(expected_total > 0.0);

  // E[X(39 weeks)] per customer against lifetimes' on the same event-log fit
  // (bgnbd_cdnow2357_customers.csv, elog_exp_purchases_39w, 10 significant digits).
  REQUIRE(run_cli("run data/cdnow.csv --as-of 1997-09-30 --horizon 39w -q -o " +
                      dir.file("c39.json"),
                  dir)
              .exit_code == 0);
  const json c39 = json::parse(read_text(dir.file("c39.json")));
  std::map<std::string, double> reference;
  {
    std::ifstream in("tests/data/reference/bgnbd_cdnow2357_customers.csv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::stringstream fields(line);
      std::string field, id;
      for (int k = 0; k < 12; ++k) {
        std::getline(fields, field, ',');
        if (k == 0) id = field;
      }
      reference[id] = std::stod(field);
    }
  }
  REQUIRE(reference.size() == 2357u);
  double total39 = 0.0;
  for (const json& c : c39["customers"]) {
    const std::string id = c["customer_id"];
    CAPTURE(id);
    CHECK(c["expected_purchases"].get<double>() == Approx(reference.at(id)).epsilon(1e-5));
    total39 += c["expected_purchases"].get<double>();
  }
  CHECK(total39 == Approx(1653.4087241839284).epsilon(1e-6));
}

TEST_CASE("predict with a saved model gives the same records as run", "[cli][consistency]") {
  TempDir dir;
  const auto fit =
      run_cli("fit data/cdnow.csv --as-of 1997-09-30 -q -o " + dir.file("model.json"), dir);
  INFO(fit.err);
  REQUIRE(fit.exit_code == 0);
  const json model = json::parse(read_text(dir.file("model.json")));
  CHECK(model["format"] == "clvkit-model");
  CHECK(model["calibration"]["as_of"] == "1997-09-30");
  CHECK(model["time_unit"] == "week");
  CHECK(model["bgnbd"]["parameters"]["r"]["value"].get<double>() == Approx(0.2426).margin(1e-3));

  REQUIRE(
      run_cli("run data/cdnow.csv --as-of 1997-09-30 -o " + dir.file("run.json"), dir).exit_code ==
      0);
  const auto predict = run_cli("predict data/cdnow.csv --as-of 1997-09-30 --model " +
                                   dir.file("model.json") + " -o " + dir.file("predict.json"),
                               dir);
  INFO(predict.err);
  REQUIRE(predict.exit_code == 0);
  const json run = json::parse(read_text(dir.file("run.json")));
  const json predicted = json::parse(read_text(dir.file("predict.json")));
  CHECK(run["customers"] == predicted["customers"]);
  CHECK(predicted["metadata"]["command"] == "predict");
}

TEST_CASE("fit and predict write the same bytes with 1 and 4 threads",
          "[cli][determinism][threads]") {
  TempDir dir;
  // 70,000 customers: enough for the fits and predictions to split their work into blocks.
  const std::string log = dir.file("sim.csv");
  REQUIRE(run_cli("simulate --customers 70000 --seed 9 --quiet -o " + log, dir).exit_code == 0);
  for (const char* threads : {"1", "4"}) {
    const auto fit = run_cli("fit " + log + " -q --threads " + threads + " -o " +
                                 dir.file(std::string("model") + threads + ".json"),
                             dir);
    INFO(fit.err);
    REQUIRE(fit.exit_code == 0);
  }
  CHECK(read_text(dir.file("model1.json")) == read_text(dir.file("model4.json")));
  for (const char* threads : {"1", "4"}) {
    const auto predict =
        run_cli("predict " + log + " --model " + dir.file("model1.json") + " --format ndjson" +
                    " --threads " + threads + " -o " + dir.file(std::string("p") + threads),
                dir);
    INFO(predict.err);
    REQUIRE(predict.exit_code == 0);
  }
  const std::string one = read_text(dir.file("p1"));
  CHECK(one.size() > 1'000'000);
  CHECK(one == read_text(dir.file("p4")));
  CHECK(read_text(dir.file("p1.meta.json")) == read_text(dir.file("p4.meta.json")));
}

TEST_CASE("segments --format json adds model totals that agree with run", "[cli]") {
  TempDir dir;
  REQUIRE(run_cli("run data/cdnow.csv -o " + dir.file("run.json"), dir).exit_code == 0);
  const auto result =
      run_cli("segments data/cdnow.csv --format json -o " + dir.file("s.json"), dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json run = json::parse(read_text(dir.file("run.json")));
  const json table = json::parse(read_text(dir.file("s.json")));

  double clv = 0.0, var = 0.0, revenue = 0.0;
  for (const json& c : run["customers"]) {
    clv += c["clv"].get<double>();
    var += c["value_at_risk"].get<double>();
    revenue += c["total_spend"].get<double>();
  }
  std::int64_t customers = 0;
  double table_clv = 0.0, table_var = 0.0, share = 0.0, revenue_share = 0.0;
  for (const json& s : table["segments"]) {
    customers += s["customers"].get<std::int64_t>();
    table_clv += s["clv"].get<double>();
    table_var += s["value_at_risk"].get<double>();
    share += s["share"].get<double>();
    revenue_share += s["revenue_share"].get<double>();
  }
  CHECK(customers == 2357);
  CHECK(share == Approx(1.0));
  CHECK(revenue_share == Approx(1.0));
  CHECK(table_clv == Approx(clv).epsilon(1e-9));
  CHECK(table_var == Approx(var).epsilon(1e-9));
  for (const char* name : {"r_by_f", "f_by_m", "r_by_m"}) {
    std::int64_t total = 0;
    for (const json& row : table["cross_tables"][name]["counts"]) {
      for (const json& n : row) total += n.get<std::int64_t>();
    }
    CHECK(total == 2357);
  }

  const auto text = run_cli("segments data/cdnow.csv --no-model", dir);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("Champions") != std::string::npos);
  CHECK(text.out.find("Customers by R and F score") != std::string::npos);
}

TEST_CASE("segments --forecast gives per-segment intervals that agree with the analytic mean",
          "[cli][forecast]") {
  TempDir dir;
  const std::string common =
      "segments data/cdnow.csv --as-of 1997-09-30 --horizon 39w --forecast "
      "--draws 500 --format json ";
  const auto one = run_cli(common + "--threads 1 -o " + dir.file("f1.json"), dir);
  INFO(one.err);
  REQUIRE(one.exit_code == 0);
  REQUIRE(run_cli(common + "--threads 2 -o " + dir.file("f2.json"), dir).exit_code == 0);
  CHECK(read_text(dir.file("f1.json")) == read_text(dir.file("f2.json")));

  const json doc = json::parse(read_text(dir.file("f1.json")));
  CHECK(doc["metadata"]["forecast"]["draws"] == 500);
  for (const json& s : doc["segments"]) {
    CAPTURE(s["segment"]);
    const json& f = s["forecast"];
    CHECK(f["purchases"]["low"].get<double>() <= f["purchases"]["mean"].get<double>() + 1e-9);
    CHECK(f["purchases"]["mean"].get<double>() <= f["purchases"]["high"].get<double>() + 1e-9);
    // The simulated mean is within 4 Monte Carlo standard errors of the analytic sum.
    const double mc_se = f["purchases"]["sd"].get<double>() / std::sqrt(500.0);
    CHECK(std::abs(f["purchases"]["mean"].get<double>() -
                   f["expected_purchases_analytic"].get<double>()) <= 4 * mc_se + 1e-9);
  }
  // FHL 2005: the BG/NBD forecast of CDNOW's 39-week holdout is 1653.4 repeat purchases (the
  // actual was 1882, outside the interval: BG/NBD under-forecasts CDNOW).
  const json& total = doc["forecast_total"]["purchases"];
  CHECK(doc["forecast_total"]["expected_purchases_analytic"].get<double>() ==
        Approx(1653.41).margin(0.1));
  CHECK(total["low"].get<double>() < 1653.4);
  CHECK(total["high"].get<double>() > 1653.4);
  CHECK(total["high"].get<double>() < 1882.0);

  const auto no_model = run_cli("segments data/cdnow.csv --forecast --no-model", dir);
  CHECK(no_model.exit_code == 1);
  CHECK(no_model.err.find("--forecast") != std::string::npos);
}

TEST_CASE("the option --model names the purchase model, checked before the log is read",
          "[cli][inputcheck]") {
  TempDir dir;
  // The default is the registry's first model; naming it changes nothing.
  const auto named = run_cli("run data/cdnow.csv --model bgnbd -q -o " + dir.file("n.json"), dir);
  REQUIRE(named.exit_code == 0);
  const auto plain = run_cli("run data/cdnow.csv -q -o " + dir.file("p.json"), dir);
  REQUIRE(plain.exit_code == 0);
  CHECK(clvkit::test::read_text(dir.file("n.json")) == clvkit::test::read_text(dir.file("p.json")));
  // An unknown model is a usage error naming the known ones, for every command that fits; a log
  // that does not exist shows that the check comes first (a read would give exit 4).
  for (const char* command :
       {"run", "segments", "fit", "validate --calibration-end 1997-09-30", "report"}) {
    CAPTURE(command);
    const auto unknown = run_cli(
        std::string(command) + " no-such-log.csv --model pareto -o " + dir.file("x.out"), dir);
    CHECK(unknown.exit_code == 1);
    CHECK_THAT(unknown.err, Catch::Contains("'pareto'") && Catch::Contains("bgnbd"));
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("x.out")));
}

TEST_CASE("the identification warning fires on a base without dropout and not on one with it",
          "[cli][identification]") {
  TempDir dir;
  // BG/NBD with p ~ Beta(0.001, 1000): nobody drops out; Beta(2, 2): half leave after a purchase.
  const std::string none = dir.file("none.csv");
  const std::string strong = dir.file("strong.csv");
  REQUIRE(
      run_cli("simulate --customers 5000 --a 0.001 --b 1000 --seed 3 -o " + none, dir).exit_code ==
      0);
  REQUIRE(run_cli("simulate --customers 5000 --a 2 --b 2 --seed 3 -o " + strong, dir).exit_code ==
          0);
  const std::string warning = "P(alive) and value at risk are not informative on this data";

  const auto flat = run_cli("run " + none + " -q --format ndjson -o " + dir.file("n.ndjson"), dir);
  REQUIRE(flat.exit_code == 0);
  CHECK_THAT(flat.err, Catch::Contains(warning));
  const auto meta = nlohmann::json::parse(clvkit::test::read_text(dir.file("n.ndjson.meta.json")));
  CHECK(meta["dropout"]["informative"] == false);
  CHECK(meta["dropout"]["share_p_alive_at_least_0_99"].get<double>() >= 0.95);
  CHECK_FALSE(meta["dropout"]["reasons"].empty());
  const auto fit = run_cli("fit " + none + " -q -o " + dir.file("n-model.json"), dir);
  CHECK_THAT(fit.err, Catch::Contains(warning));
  const auto report =
      run_cli("report " + none + " -q --forecast-draws 20 -o " + dir.file("n.html"), dir);
  REQUIRE(report.exit_code == 0);
  CHECK_THAT(clvkit::test::read_text(dir.file("n.html")),
             Catch::Contains("data-warning=\"dropout\""));

  const auto identified = run_cli("run " + strong + " -q -o " + dir.file("s.json"), dir);
  REQUIRE(identified.exit_code == 0);
  CHECK_THAT(identified.err, !Catch::Contains(warning));
  const auto record = nlohmann::json::parse(clvkit::test::read_text(dir.file("s.json")));
  CHECK(record["metadata"]["dropout"]["informative"] == true);
  const auto cdnow = run_cli("segments data/cdnow.csv -q -o " + dir.file("c.txt"), dir);
  CHECK_THAT(cdnow.err, !Catch::Contains(warning));
}

TEST_CASE("compare prints every model side by side and writes the same comparison as JSON",
          "[cli][compare]") {
  TempDir dir;
  const auto table =
      run_cli("compare data/cdnow.csv --calibration-end 1997-09-30 -o " + dir.file("c.txt"), dir);
  REQUIRE(table.exit_code == 0);
  const std::string text = clvkit::test::read_text(dir.file("c.txt"));
  CHECK_THAT(text, Catch::Contains("BG/NBD") && Catch::Contains("Recommended: ") &&
                       Catch::Contains("0.7855") && Catch::Contains("1.6080"));
  const auto json = run_cli(
      "compare data/cdnow.csv --calibration-end 1997-09-30 --format json -o " + dir.file("c.json"),
      dir);
  REQUIRE(json.exit_code == 0);
  const auto doc = nlohmann::json::parse(clvkit::test::read_text(dir.file("c.json")));
  CHECK(doc["metadata"]["command"] == "compare");
  REQUIRE(doc["models"].size() >= 1);
  CHECK(doc["models"][0]["model"] == "bgnbd");
  CHECK(doc["models"][0]["totals"]["purchases"]["actual"] == 1882.0);
  bool recommended_listed = false;
  for (const auto& m : doc["models"]) recommended_listed |= m["model"] == doc["recommended"];
  CHECK(recommended_listed);
  CHECK_THAT(text, Catch::Contains(doc["ground"].get<std::string>()));
}
