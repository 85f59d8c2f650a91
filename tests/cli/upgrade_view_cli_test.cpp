// The segment view of the next purchase: `segments --upgrade` and `report --upgrade` count and
// rank exactly what the records of `run --upgrade` say customer by customer.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <regex>
#include <string>
#include <vector>

#include "../support/schemes.hpp"
#include "cli_runner.hpp"

namespace {

using nlohmann::json;
using namespace clvkit::test;

struct Expected {
  std::int64_t customers = 0;
  std::int64_t one_purchase_to_better = 0;
  std::int64_t one_purchase_to_top = 0;
  double upgrade_value_one_purchase = 0.0;
  double upgrade_value = 0.0;
};

// Per segment, from the records: who is one purchase from a better segment and from `top`.
std::map<std::string, Expected> expected_from(const json& records, const std::string& top) {
  std::map<std::string, Expected> out;
  for (const json& r : records) {
    Expected& e = out[r.at("segment").get<std::string>()];
    ++e.customers;
    const double value = r.contains("upgrade_value") ? r.at("upgrade_value").get<double>() : 0.0;
    if (r.at("purchases_to_upgrade") == 1) {
      ++e.one_purchase_to_better;
      e.upgrade_value_one_purchase += value;
    }
    if (r.at("segment") != top && r.at("next_purchase_segment") == top) ++e.one_purchase_to_top;
    e.upgrade_value += value;
  }
  return out;
}

}  // namespace

TEST_CASE("segments --upgrade counts what the records of run --upgrade say, segment by segment",
          "[cli][consistency]") {
  const std::string model_args = GENERATE(std::string(""), std::string("--no-model"));
  const std::string scheme = GENERATE(std::string("rfm11"), std::string("rfm8"));
  CAPTURE(model_args, scheme);
  TempDir dir;
  const std::string options = " --upgrade --segments " + scheme + " " + model_args + " -q";
  auto result = run_cli("run data/cdnow.csv" + options + " -o " + dir.file("run.json"), dir);
  REQUIRE(result.exit_code == 0);
  result = run_cli(
      "segments data/cdnow.csv" + options + " --format json -o " + dir.file("segments.json"), dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json records = json::parse(read_text(dir.file("run.json"))).at("customers");
  const json segments = json::parse(read_text(dir.file("segments.json")));
  const std::string top = segments.at("top_segment");
  CHECK(top == (scheme == "rfm11" ? "Champions" : segments.at("segments")[0].at("segment")));
  CHECK(segments.at("metadata").at("upgrade").at("max_purchases") == 10);
  const std::map<std::string, Expected> expected = expected_from(records, top);
  std::int64_t one_away = 0;
  for (const json& s : segments.at("segments")) {
    const std::string name = s.at("segment");
    CAPTURE(name);
    const Expected e = expected.count(name) != 0 ? expected.at(name) : Expected{};
    CHECK(s.at("customers") == e.customers);
    CHECK(s.at("one_purchase_to_better") == e.one_purchase_to_better);
    CHECK(s.at("one_purchase_to_top") == e.one_purchase_to_top);
    one_away += e.one_purchase_to_better;
    if (model_args.empty()) {
      // Sums of the records' 12-digit values.
      CHECK(s.at("upgrade_value_one_purchase").get<double>() ==
            Approx(e.upgrade_value_one_purchase).epsilon(1e-9).margin(1e-6));
      CHECK(s.at("upgrade_value").get<double>() ==
            Approx(e.upgrade_value).epsilon(1e-9).margin(1e-6));
    } else {
      CHECK_FALSE(s.contains("upgrade_value"));
      CHECK_FALSE(s.contains("upgrade_value_one_purchase"));
    }
    if (name == top) {
      CHECK(s.at("one_purchase_to_better") == 0);  // nothing ranks above the top
      CHECK(s.at("one_purchase_to_top") == 0);
    }
  }
  CHECK(one_away > 100);  // CDNOW: most lapsed customers are one purchase from a better segment
}

TEST_CASE("segments without --upgrade has no next-purchase columns; a table shows them", "[cli]") {
  TempDir dir;
  auto result =
      run_cli("segments data/cdnow.csv -q --format json -o " + dir.file("plain.json"), dir);
  REQUIRE(result.exit_code == 0);
  const json plain = json::parse(read_text(dir.file("plain.json")));
  CHECK_FALSE(plain.contains("top_segment"));
  CHECK_FALSE(plain.at("segments")[0].contains("one_purchase_to_better"));
  result = run_cli("segments data/cdnow.csv -q --upgrade", dir);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("1 purchase to better") != std::string::npos);
  CHECK(result.out.find("1 purchase to Champions") != std::string::npos);
  CHECK(result.out.find("upgrade value (1 away)") != std::string::npos);
}

TEST_CASE(
    "report --upgrade: the section's table is segments --upgrade's and its list the records' "
    "largest upgrade values",
    "[cli][consistency]") {
  TempDir dir;
  auto result = run_cli("run data/cdnow.csv --upgrade -q -o " + dir.file("run.json"), dir);
  REQUIRE(result.exit_code == 0);
  result = run_cli("report data/cdnow.csv --upgrade --top 40 -q -o " + dir.file("r.html"), dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const std::string html = read_text(dir.file("r.html"));
  const std::size_t begin = html.find("<section id=\"upgrade\"");
  REQUIRE(begin != std::string::npos);
  CHECK(html.find("<a href=\"#upgrade\">") != std::string::npos);
  // After the call list.
  CHECK(html.find("<section id=\"call-list\"") < begin);
  const std::string section = html.substr(begin, html.find("</section>", begin) - begin);

  // The list: the 40 largest upgrade values, ties in file order.
  const json records = json::parse(read_text(dir.file("run.json"))).at("customers");
  std::vector<std::size_t> order(records.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return records[a].at("upgrade_value").get<double>() >
           records[b].at("upgrade_value").get<double>();
  });
  std::vector<std::string> listed;
  const std::regex id_cell(R"(<td class="id">([^<]*)</td>)");
  for (auto it = std::sregex_iterator(section.begin(), section.end(), id_cell);
       it != std::sregex_iterator(); ++it) {
    listed.push_back((*it)[1]);
  }
  REQUIRE(listed.size() == 40);
  for (std::size_t k = 0; k < listed.size(); ++k) {
    CAPTURE(k);
    CHECK(listed[k] == records[order[k]].at("customer_id").get<std::string>());
  }

  // The lead's totals: customers one purchase from a better segment and from Champions.
  const std::map<std::string, Expected> expected = expected_from(records, "Champions");
  std::int64_t better = 0;
  std::int64_t top = 0;
  for (const auto& [name, e] : expected) {
    better += e.one_purchase_to_better;
    top += e.one_purchase_to_top;
  }
  const auto with_comma = [](std::int64_t n) {  // the report's 1,234
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  };
  CHECK(section.find(with_comma(better) + " customers are one purchase from a better segment, " +
                     with_comma(top) + " of them from Champions") != std::string::npos);

  // Without --upgrade: no section, no link.
  result = run_cli("report data/cdnow.csv -q -o " + dir.file("plain.html"), dir);
  REQUIRE(result.exit_code == 0);
  const std::string plain = read_text(dir.file("plain.html"));
  CHECK(plain.find("id=\"upgrade\"") == std::string::npos);
  CHECK(plain.find("#upgrade") == std::string::npos);
}

TEST_CASE("segments and report --upgrade refuse a scheme without a value order",
          "[cli][inputcheck]") {
  TempDir dir;
  const std::string scheme = dir.file("plain.json");
  write_text(scheme, std::string(kSchemeWithoutValueOrder));
  for (const char* command : {"segments", "report"}) {
    CAPTURE(command);
    const auto result = run_cli(std::string(command) + " data/cdnow.csv --upgrade --segments " +
                                    scheme + " -q -o " + dir.file("out"),
                                dir);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("no value_order") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.file("out")));
  }
}
