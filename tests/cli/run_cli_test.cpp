// clvkit run end to end, as a user runs it: the bundled CDNOW log checked against facts computed
// here independently of the library (plain getline/split and std::chrono calendar arithmetic).

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace {

using clvkit::test::read_text;
using clvkit::test::run_cli;
using clvkit::test::StdinFrom;
using clvkit::test::TempDir;
using clvkit::test::write_text;
using nlohmann::json;

struct ExpectedCustomer {
  std::set<std::string> days;
  std::map<std::string, double> spend_by_day;
  double total = 0.0;
};

int day_number(const std::string& iso) {
  const std::chrono::year_month_day date{std::chrono::year{std::stoi(iso.substr(0, 4))},
                                         std::chrono::month{unsigned(std::stoi(iso.substr(5, 2)))},
                                         std::chrono::day{unsigned(std::stoi(iso.substr(8, 2)))}};
  return std::chrono::sys_days{date}.time_since_epoch().count();
}

std::map<std::string, ExpectedCustomer> read_cdnow_independently(int* rows) {
  std::istringstream lines(read_text("data/cdnow.csv"));
  std::string line;
  std::getline(lines, line);  // header
  std::map<std::string, ExpectedCustomer> customers;
  *rows = 0;
  while (std::getline(lines, line)) {
    ++*rows;
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
    const std::string id = line.substr(0, c1), day = line.substr(c1 + 1, c2 - c1 - 1);
    const double amount = std::stod(line.substr(c2 + 1));
    ExpectedCustomer& c = customers[id];
    c.days.insert(day);
    c.spend_by_day[day] += amount;
    c.total += amount;
  }
  return customers;
}

}  // namespace

TEST_CASE("run on the bundled CDNOW log matches independently computed summaries", "[cli][e2e]") {
  TempDir dir;
  const std::string out = dir.file("customers.json");
  const auto result = run_cli("run data/cdnow.csv --no-model -o " + out, dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const json doc = json::parse(read_text(out));

  int rows = 0;
  const auto expected = read_cdnow_independently(&rows);
  REQUIRE(rows == 6919);
  const json& meta_rows = doc["metadata"]["input"]["rows"];
  CHECK(meta_rows["read"] == rows);
  CHECK(meta_rows["used"] == rows);
  CHECK(meta_rows["rejected_total"] == 0);
  CHECK(meta_rows["after_as_of"] == 0);
  CHECK(doc["metadata"]["input"]["as_of"] == "1998-06-30");

  const json& customers = doc["customers"];
  REQUIRE(customers.size() == expected.size());
  REQUIRE(customers.size() == 2357u);
  const int as_of = day_number("1998-06-30");
  std::int64_t previous_id = 0;
  for (const json& record : customers) {
    const std::string id = record["customer_id"];
    CAPTURE(id);
    CHECK(std::stoll(id) > previous_id);  // numeric ids come out in numeric order
    previous_id = std::stoll(id);
    const ExpectedCustomer& e = expected.at(id);
    const std::string first = *e.days.begin(), last = *e.days.rbegin();
    CHECK(record["first_purchase"] == first);
    CHECK(record["last_purchase"] == last);
    CHECK(record["purchase_days"] == e.days.size());
    CHECK(record["frequency"] == e.days.size() - 1);
    CHECK(record["recency"] == day_number(last) - day_number(first));
    CHECK(record["T"] == as_of - day_number(first));
    CHECK(record["days_since_last"] == as_of - day_number(last));
    CHECK(record["total_spend"].get<double>() == Approx(e.total).margin(1e-9));
    const double repeat_spend = e.total - e.spend_by_day.at(first);
    const double monetary = e.days.size() > 1 ? repeat_spend / (e.days.size() - 1) : 0.0;
    CHECK(record["monetary"].get<double>() == Approx(monetary).margin(1e-9));
    const std::string cell = record["rfm_cell"];
    CHECK(cell == std::to_string(record["r_score"].get<int>()) +
                      std::to_string(record["f_score"].get<int>()) +
                      std::to_string(record["m_score"].get<int>()));
    CHECK(!record["segment"].get<std::string>().empty());
  }
  // Every customer is counted in exactly one segment.
  std::int64_t in_segments = 0;
  for (const auto& [name, count] : doc["metadata"]["segmentation"]["counts"].items()) {
    in_segments += count.get<std::int64_t>();
  }
  CHECK(in_segments == 2357);
}

TEST_CASE("run output is byte-identical across runs and formats agree", "[cli][determinism]") {
  TempDir dir;
  const auto a = run_cli("run data/cdnow.csv -o " + dir.file("a.json"), dir);
  const auto b = run_cli("run data/cdnow.csv -o " + dir.file("b.json"), dir);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(read_text(dir.file("a.json")) == read_text(dir.file("b.json")));

  REQUIRE(run_cli("run data/cdnow.csv --format ndjson -o " + dir.file("c.ndjson"), dir).exit_code ==
          0);
  const json doc = json::parse(read_text(dir.file("a.json")));
  std::istringstream lines(read_text(dir.file("c.ndjson")));
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    CHECK(json::parse(line) == doc["customers"][n]);
    ++n;
  }
  CHECK(n == 2357u);
  const json side = json::parse(read_text(dir.file("c.ndjson.meta.json")));
  CHECK(side["input"] == doc["metadata"]["input"]);

  REQUIRE(run_cli("run data/cdnow.csv --format csv -o " + dir.file("d.csv"), dir).exit_code == 0);
  const std::string csv = read_text(dir.file("d.csv"));
  CHECK(csv.rfind("customer_id,first_purchase,last_purchase,purchase_days,frequency,recency,T,"
                  "days_since_last,total_spend,monetary,avg_spend,r_score,f_score,m_score,"
                  "rfm_cell,segment,p_alive,expected_purchases,expected_avg_spend,clv,"
                  "clv_if_alive,value_at_risk,churn_priority\n",
                  0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 2358);
}

TEST_CASE("run reads standard input and writes standard output", "[cli]") {
  TempDir dir;
  const auto result = run_cli("run - --no-model --format ndjson -o -", dir, "data/cdnow.csv");
  REQUIRE(result.exit_code == 0);
  CHECK(std::count(result.out.begin(), result.out.end(), '\n') == 2357);
  // The metadata goes to stderr as one JSON line when the records go to stdout.
  const json meta = json::parse(result.err);
  CHECK(meta["input"]["source"] == "-");
  CHECK(meta["input"]["rows"]["read"] == 6919);
}

TEST_CASE("a bad row stops run with file:line:column and exit code 2", "[cli][inputcheck]") {
  TempDir dir;
  const std::string log = dir.file("orders.csv");
  write_text(log, "customer_id,date,amount\nA,2024-01-01,10\nB,2023-13-01,5\n");
  const auto result = run_cli("run " + log + " --no-model -o " + dir.file("out.json"), dir);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find(log + ":3:2:") != std::string::npos);
  CHECK(result.err.find("2023-13-01") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("out.json")));  // nothing half-written

  const auto skipped =
      run_cli("run " + log + " --no-model --on-bad-row skip -o " + dir.file("out.json"), dir);
  REQUIRE(skipped.exit_code == 0);
  const json doc = json::parse(read_text(dir.file("out.json")));
  CHECK(doc["metadata"]["input"]["rows"]["read"] == 2);
  CHECK(doc["metadata"]["input"]["rows"]["used"] == 1);
  CHECK(doc["metadata"]["input"]["rows"]["rejected"]["bad_date"] == 1);
  CHECK(doc["customers"].size() == 1u);
}

TEST_CASE("usage errors exit with code 1 and name the option", "[cli][inputcheck]") {
  TempDir dir;
  auto result = run_cli("run data/cdnow.csv --returns maybe", dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("--returns") != std::string::npos);
  result = run_cli("run data/cdnow.csv --horizon 12 -o -", dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("--horizon") != std::string::npos);
  result = run_cli("run data/cdnow.csv --segments nosuchscheme", dir);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("rfm11") != std::string::npos);  // lists what is available
  result = run_cli("run no/such/file.csv", dir);
  CHECK(result.exit_code == 4);
  CHECK(result.err.find("no/such/file.csv") != std::string::npos);
}

TEST_CASE("a copy of the binary run from another directory uses the compiled-in schemes", "[cli]") {
  // Nothing is looked up next to the executable or in the source tree: a copy of clvkit in a
  // temporary directory, run there, still knows rfm11 (the default) and rfm8 by name.
  TempDir dir;
  const std::filesystem::path copy = dir.path() / "clvkit";
  std::filesystem::copy_file(CLVKIT_CLI_PATH, copy);
  std::filesystem::permissions(copy, std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  const std::string log = CLVKIT_TEST_SOURCE_DIR "/data/cdnow.csv";
  for (const char* scheme : {"", "rfm8"}) {
    CAPTURE(scheme);
    const std::string command = "cd \"" + dir.path().string() + "\" && ./clvkit segments \"" + log +
                                "\" -q --format json --no-model" +
                                (*scheme ? std::string(" --segments ") + scheme : "") +
                                " -o s.json 2>err.txt";
    const int status = std::system(command.c_str());
    INFO(read_text(dir.file("err.txt")));
    REQUIRE(status == 0);
    const json doc = json::parse(read_text(dir.file("s.json")));
    const json& segmentation = doc["metadata"]["segmentation"];
    const std::string name = *scheme ? scheme : "rfm11";
    CHECK(segmentation["scheme"] == name);
    CHECK(segmentation["source"] == "built-in:" + name);
  }
}

TEST_CASE("help reads like a familiar tool", "[cli]") {
  TempDir dir;
  const auto top = run_cli("--help", dir);
  CHECK(top.exit_code == 0);
  for (const char* command : {"run", "segments", "fit", "predict", "simulate"}) {
    CHECK(top.out.find(command) != std::string::npos);
    const auto sub = run_cli(std::string(command) + " --help", dir);
    CHECK(sub.exit_code == 0);
    CHECK(sub.out.find("Usage") != std::string::npos);
  }
}

TEST_CASE("monetary average scores M on spend per purchase day and says so", "[cli]") {
  TempDir dir;
  REQUIRE(
      run_cli("run data/cdnow.csv --no-model --monetary average -o " + dir.file("avg.json"), dir)
          .exit_code == 0);
  REQUIRE(run_cli("run data/cdnow.csv --no-model -o " + dir.file("total.json"), dir).exit_code ==
          0);
  const json average = json::parse(read_text(dir.file("avg.json")));
  const json total = json::parse(read_text(dir.file("total.json")));
  CHECK(average["metadata"]["segmentation"]["monetary"] == "average");
  CHECK(total["metadata"]["segmentation"]["monetary"] == "total");
  // A customer with a big total over many days but modest spend per day scores lower on average.
  int differ = 0;
  for (std::size_t i = 0; i < total["customers"].size(); ++i) {
    if (total["customers"][i]["m_score"] != average["customers"][i]["m_score"]) ++differ;
  }
  CHECK(differ > 100);
}

TEST_CASE("run writes the same bytes with 1 and 4 threads", "[cli][determinism][threads]") {
  TempDir dir;
  // 70,000 customers: the model stages split their work into several blocks too (the pattern
  // compression's 64k customers, both fits' likelihood tasks, the predictions' 16k customers),
  // besides the output's blocks of 8,192 records.
  const std::string log = dir.file("sim.csv");
  REQUIRE(run_cli("simulate --customers 70000 --seed 5 --quiet -o " + log, dir).exit_code == 0);
  for (const char* format : {"json", "ndjson", "csv"}) {
    CAPTURE(format);
    const std::string one = dir.file(std::string("one.") + format);
    const std::string four = dir.file(std::string("four.") + format);
    const std::string common = "run " + log + " --format " + format + " ";
    REQUIRE(run_cli(common + "--threads 1 -o " + one, dir).exit_code == 0);
    REQUIRE(run_cli(common + "--threads 4 -o " + four, dir).exit_code == 0);
    const std::string a = read_text(one);
    CHECK(a.size() > 1'000'000);
    CHECK(a == read_text(four));
  }
}

TEST_CASE("run gives the same records for a log sorted, shuffled, and read from a pipe",
          "[cli][determinism]") {
  // The shuffled CDNOW log has most customers' days out of order: as a file, they are recounted
  // by a second pass; from a pipe (no second pass possible) every day list is kept instead.
  TempDir dir;
  std::istringstream log(read_text("data/cdnow.csv"));
  std::string header, line;
  std::getline(log, header);
  std::vector<std::string> rows;
  while (std::getline(log, line)) rows.push_back(line);
  REQUIRE(rows.size() > 6000);
  std::mt19937 rng(7);
  std::shuffle(rows.begin(), rows.end(), rng);
  std::string shuffled_text = header + "\n";
  for (const std::string& row : rows) shuffled_text += row + "\n";
  const std::string shuffled = dir.file("shuffled.csv");
  write_text(shuffled, shuffled_text);

  const std::string sorted_out = dir.file("sorted.csv");
  const std::string shuffled_out = dir.file("shuffled-out.csv");
  const std::string piped_out = dir.file("piped.csv");
  REQUIRE(run_cli("run data/cdnow.csv --format csv -o " + sorted_out, dir).exit_code == 0);
  REQUIRE(run_cli("run " + shuffled + " --format csv -o " + shuffled_out, dir).exit_code == 0);
  REQUIRE(run_cli("run - --format csv -o " + piped_out, dir, shuffled, StdinFrom::pipe).exit_code ==
          0);
  const std::string expected = read_text(sorted_out);
  CHECK(expected.size() > 100'000);
  CHECK(read_text(shuffled_out) == expected);
  CHECK(read_text(piped_out) == expected);
}

TEST_CASE("a log that starts grouped and ends shuffled is recounted the same from a file or stdin",
          "[cli][determinism]") {
  // 219K rows, 5 MB: the first batch of blocks (2 MiB on one thread) is grouped by customer, so
  // runs are merged without day lists; the shuffled rest puts many customers' days out of order,
  // and the second pass (seeking back in the file, or in standard input redirected from it)
  // recounts them. A pipe keeps day lists in one pass: the three must agree.
  TempDir dir;
  const std::string simulated = dir.file("sim.csv");
  REQUIRE(run_cli("simulate --customers 70000 --seed 5 --quiet -o " + simulated, dir).exit_code ==
          0);
  std::istringstream log(read_text(simulated));
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(log, line)) lines.push_back(line);
  REQUIRE(lines.size() > 200'000);
  std::mt19937 rng(11);
  std::shuffle(lines.begin() + 120'000, lines.end(), rng);
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  const std::string mixed = dir.file("mixed.csv");
  write_text(mixed, text);

  const std::string common = " --no-model --format csv --threads 1 -o ";
  const std::string from_file = dir.file("file.csv");
  const std::string from_stdin = dir.file("stdin.csv");
  const std::string from_pipe = dir.file("pipe.csv");
  REQUIRE(run_cli("run " + mixed + common + from_file, dir).exit_code == 0);
  REQUIRE(run_cli("run -" + common + from_stdin, dir, mixed).exit_code == 0);
  REQUIRE(run_cli("run -" + common + from_pipe, dir, mixed, StdinFrom::pipe).exit_code == 0);
  const std::string expected = read_text(from_pipe);
  CHECK(expected.size() > 1'000'000);
  CHECK(read_text(from_file) == expected);
  CHECK(read_text(from_stdin) == expected);
}

TEST_CASE("run refuses ids that are not UTF-8, counts them under skip, and repairs paths",
          "[cli][utf8]") {
  // Issue 13 item 6: an id with byte 0xFF was written raw, and the JSON was not UTF-8.
  TempDir dir;
  const std::string log = dir.file("log\xFF.csv");  // a path that is not UTF-8 either
  write_text(log, read_text("data/cdnow.csv") + "x\xFFy,1997-03-01,1\n");
  const std::string out = dir.file("o.json");
  auto result = run_cli("run \"" + log + "\" -q -o " + out, dir);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("log\xFF.csv:6921:1: invalid UTF-8 in customer id") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));

  result = run_cli("run \"" + log + "\" -q --on-bad-row skip -o " + out, dir);
  REQUIRE(result.exit_code == 0);
  const json document = json::parse(read_text(out));  // throws on invalid UTF-8
  const json& input = document["metadata"]["input"];
  CHECK(input["rows"]["rejected"]["invalid_utf8"] == 1);
  CHECK(input["rows"]["read"] == 6920);
  CHECK(input["rows"]["used"] == 6919);
  CHECK(input["rows"]["reconciles"] == true);
  CHECK(input["source"].get<std::string>().find("log\xEF\xBF\xBD.csv") != std::string::npos);
}
